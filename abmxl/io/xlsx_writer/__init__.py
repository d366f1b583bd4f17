"""Write ``SheetContent`` into an existing .xlsx/.xlsm by editing its zip parts.

A workbook is a zip of XML parts. A refresh owns its output sheets; everything
else in the file (other sheets, charts, pivot tables, images, comments,
validation, defined names, the VBA project, buttons) belongs to the user and
must come out byte for byte as it went in. So the writer never loads the
workbook into an object model: it copies every untouched zip member's
*compressed* bytes as they are, edits the few shared parts it has to touch
(``[Content_Types].xml``, the workbook part and its relationships,
``styles.xml``, a drawing) as XML trees changed element by element, and
generates the parts it owns (the output sheets, their tables, drawing and
charts). A part whose new bytes equal its old ones is copied raw, so a second
refresh of unchanged content writes a byte-identical file.

One module per job:

========== ===============================================================
zipio      read the zip directory once, copy members raw, append new parts
package    parts by name, relationships, content types (lxml)
workbook   the workbook part: sheets, defined names, calcPr (lxml)
styles     number formats, fonts, cell formats: find or append (lxml)
cells      values and table columns as ``<c>`` text (the fast path)
sheet      an output sheet: kept user elements (lxml) + generated rows
tables     the workbook's tables, ids, table parts, the user's tables
drawing    the sheet's drawing: the user's anchors kept, our charts redrawn
chart      chart parts (clustered bars, column-and-line combos)
page       print setup (orientation, fit to pages)
save       atomic replace, symlinks, read-only targets, file modes
========== ===============================================================

See ``docs/writing.md``.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Sequence
from pathlib import Path

from abmxl.io.content import SheetContent, as_chart
from abmxl.io.xlsx_writer.cells import CellWriter, Dates
from abmxl.io.xlsx_writer.chart import ChartError, check_chart
from abmxl.io.xlsx_writer.errors import WorkbookWriteError
from abmxl.io.xlsx_writer.ooxml import (
    CT_STYLES,
    CT_WORKSHEET,
    MAX_SHEET_NAME,
    REL_STYLES,
    REL_WORKSHEET,
)
from abmxl.io.xlsx_writer.package import (
    CONTENT_TYPES_PART,
    ContentTypes,
    Package,
    relative,
    resolve,
)
from abmxl.io.xlsx_writer.save import check_writable, replace_atomically
from abmxl.io.xlsx_writer.sheet import SheetWriter
from abmxl.io.xlsx_writer.styles import MINIMAL_STYLES, Styles
from abmxl.io.xlsx_writer.tables import TableIds, check_table_name, table_inventory
from abmxl.io.xlsx_writer.workbook import Workbook, calc_chain_mentions

__all__ = [
    "WorkbookWarning",
    "WorkbookWriteError",
    "check_writable_target",
    "write_sheets",
]

PathLike = str | os.PathLike[str]

_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_SIGNATURE_FOLDER = "_xmlsignatures/"


class WorkbookWarning(UserWarning):
    """Something the user should know about a write that succeeded (one line)."""


def check_writable_target(path: PathLike) -> None:
    """Raise ``WorkbookWriteError`` now if ``path`` could not be replaced (read-only, a folder).

    The refresh calls it before reading, so that a long refresh does not end
    in a refusal.
    """
    check_writable(Path(path))


def _check_sheet_name(name: str) -> None:
    if (
        not name
        or len(name) > MAX_SHEET_NAME
        or _SHEET_NAME_FORBIDDEN.search(name)
        or name.startswith("'")
        or name.endswith("'")
        or name.lower() == "history"
    ):
        raise WorkbookWriteError(f"invalid sheet name {name!r}")


def _validate(contents: Sequence[SheetContent]) -> None:
    sheet_names: set[str] = set()
    table_names: set[str] = set()
    for content in contents:
        _check_sheet_name(content.name)
        if content.name.lower() in sheet_names:
            raise WorkbookWriteError(f"sheet {content.name!r} appears twice in the output")
        sheet_names.add(content.name.lower())
        for table in content.tables:
            check_table_name(table.name)
            if table.name.lower() in table_names:
                raise WorkbookWriteError(f"table name {table.name!r} appears twice in the output")
            table_names.add(table.name.lower())
        chart_names = [c.name for c in content.charts]
        if len(set(chart_names)) != len(chart_names):
            raise WorkbookWriteError(f"sheet {content.name!r}: chart names must be unique")
        for chart in content.charts:
            try:
                check_chart(as_chart(chart))
            except ChartError as exc:
                raise WorkbookWriteError(f"sheet {content.name!r}: {exc}") from None


def _styles(pkg: Package, workbook: Workbook, content_types: ContentTypes) -> tuple[Styles, str]:
    """The workbook's stylesheet (a minimal one is added to a package without one)."""
    rel = next((r for r in workbook.rels.rels if r.type == REL_STYLES), None)
    if rel is not None and pkg.exists(resolve(workbook.part, rel.target)):
        part = resolve(workbook.part, rel.target)
        return Styles(part, pkg.read(part)), part
    part = pkg.free_name("xl/styles.xml")
    workbook.rels.add(REL_STYLES, relative(workbook.part, part))
    content_types.add(part, CT_STYLES)
    styles = Styles(part, MINIMAL_STYLES)
    styles.changed = True
    return styles, part


def _build(pkg: Package, contents: Sequence[SheetContent]) -> list[str]:
    """Apply all edits for ``contents`` to ``pkg`` (nothing is written yet); the warnings."""
    if not pkg.exists(CONTENT_TYPES_PART):
        raise WorkbookWriteError("not a .xlsx/.xlsm workbook (no [Content_Types].xml)")
    content_types = ContentTypes(pkg.read(CONTENT_TYPES_PART))
    workbook = Workbook(pkg)
    styles, styles_part = _styles(pkg, workbook, content_types)

    inventory = table_inventory(pkg, workbook, content_types)
    writer = SheetWriter(
        pkg,
        content_types,
        CellWriter(styles, Dates(workbook.date1904)),
        inventory,
        TableIds(inventory),
        {c.name.lower() for c in contents},
        {t.name.lower() for c in contents for t in c.tables},
        workbook.defined_names,
    )
    # Every refusal first: nothing is changed when a sheet cannot be written.
    plan = []
    for content in contents:
        entry = workbook.sheet(content.name)
        if entry is not None and (entry.rel_type != REL_WORKSHEET or entry.part is None):
            raise WorkbookWriteError(
                f"sheet {entry.name!r} is not a worksheet (a chart sheet or a dialog?); "
                "rename it so that the refresh can write its own"
            )
        existing = entry is not None and entry.part is not None and pkg.exists(entry.part)
        if existing:
            assert entry is not None and entry.part is not None
            writer.check_existing(entry.part)
        plan.append((content, entry, existing))

    rebuilt_ids: set[int] = set()
    previous: str | None = None  # a missing sheet goes right after the one written before it
    for content, entry, existing in plan:
        if existing:
            assert entry is not None and entry.part is not None
            rebuilt_ids.add(entry.sheet_id)
            writer.write(content, entry.part, existing=True)
        else:
            if entry is None:
                entry = workbook.add_sheet(pkg, content.name, after=previous)
            assert entry.part is not None
            # A new sheet, or a sheet entry whose part was missing: register its type.
            content_types.add(entry.part, CT_WORKSHEET)
            writer.write(content, entry.part, existing=False)
        previous = content.name

    if rebuilt_ids and calc_chain_mentions(pkg, workbook, rebuilt_ids):
        workbook.drop_calc_chain(pkg, content_types)
    workbook.recalculate_on_open()
    workbook.save(pkg)
    pkg.write(CONTENT_TYPES_PART, content_types.to_bytes())
    if styles.changed:
        pkg.write(styles_part, styles.to_bytes())

    notes = []
    if any(name.lower().startswith(_SIGNATURE_FOLDER) for name in pkg.names()):
        notes.append(
            "the workbook was digitally signed; the refresh invalidates its signature "
            "(Excel will show it as invalid: sign it again if you need it)"
        )
    return notes


def write_sheets(
    src: PathLike, dst: PathLike | None, contents: Sequence[SheetContent]
) -> list[str]:
    """Write output sheets into a copy of ``src`` (or into ``src`` itself).

    Parameters
    ----------
    src
        An existing .xlsx or .xlsm workbook.
    dst
        Where to write; ``None`` replaces ``src``. Written atomically: on any
        failure the file at ``dst`` is left as it was. A symlink is written
        through to its target; a read-only file is refused.
    contents
        The sheets to (re)build, by name. An existing sheet of that name keeps
        its buttons, shapes, form controls, comments and page setup; its cells,
        tables and the charts this writer made are rebuilt. A missing sheet is
        inserted right after the sheet of the content before it in
        ``contents`` (so an older book without Trends gets it after Funnel
        Summary); the first one, when missing, is appended at the end.

    Returns
    -------
    list of str
        Warnings for the user, one line each (a signed workbook's signature
        is invalidated); each is also issued as a ``WorkbookWarning``.

    Raises
    ------
    WorkbookWriteError
        ``src`` is not a readable .xlsx/.xlsm (not a zip, corrupt, Strict Open
        XML, a part is missing), an output sheet holds a table of the user's,
        a table name is already used elsewhere in the workbook, a sheet or
        table name is invalid, or ``dst`` cannot be replaced.

    Notes
    -----
    Every zip member the outputs do not own is copied as stored (compressed
    bytes untouched), so other sheets, charts, pivot tables, images, comments,
    validation, defined names, ``vbaProject.bin`` and buttons stay byte-identical.
    The workbook is marked for a full recalculation when Excel opens it, so
    formulas that read the output sheets show the new values.
    """
    source = Path(src)
    target = Path(dst) if dst is not None else source
    _validate(contents)
    if source.is_dir():
        raise WorkbookWriteError(f"{source.name} is a folder, not a workbook file")
    try:
        fp = source.open("rb")
    except FileNotFoundError as exc:
        raise WorkbookWriteError(f"{source.name}: no such file") from exc
    except OSError as exc:
        raise WorkbookWriteError(f"{source.name}: cannot open ({exc.strerror or exc})") from exc
    with fp:
        try:
            check_writable(target)
            pkg = Package(fp, os.fstat(fp.fileno()).st_size)
            try:
                notes = _build(pkg, contents)
                replace_atomically(target, pkg.emit)
            finally:
                pkg.close()
        except WorkbookWriteError as exc:
            raise WorkbookWriteError(f"{source.name}: {exc}") from exc
    for note in notes:
        warnings.warn(f"{source.name}: {note}", WorkbookWarning, stacklevel=2)
    return [f"{source.name}: {note}" for note in notes]
