"""A structural check of a written workbook, independent of the writer's code.

``check_workbook(path)`` asserts what Excel needs of every book the project
writes, the defects Excel "repairs" (and so reports to the user):

- every table id is unique across the workbook's table parts;
- every font in styles.xml has a size (``<sz>``);
- every internal relationship target exists, in every relationships part;
- every part has a content type (an Override, or a Default for its extension);
- every table's columns are named like its header cells, in order;
- every ``<sheet>`` of the workbook resolves to a part (by namespace URI).

It parses with lxml by namespace URI, reads the zip with ``zipfile``, and
shares nothing with ``abmxl.io.xlsx_writer``.
"""

from __future__ import annotations

import posixpath
import zipfile
from pathlib import Path
from urllib.parse import unquote

from lxml import etree

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
TABLE_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml"


def _resolve(source: str, target: str) -> str:
    target = unquote(target)
    if target.startswith("/"):
        return posixpath.normpath(target[1:])
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


def _source_of(rels_part: str) -> str:
    folder, base = posixpath.split(rels_part)
    return posixpath.join(posixpath.dirname(folder), base.removesuffix(".rels"))


def _column_index(ref: str) -> int:
    letters = "".join(ch for ch in ref if ch.isalpha())
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def _row_index(ref: str) -> int:
    return int("".join(ch for ch in ref if ch.isdigit())) - 1


class Book:
    """The parts of a zip, parsed on demand."""

    def __init__(self, path: Path) -> None:
        with zipfile.ZipFile(path) as archive:
            self.data = {name: archive.read(name) for name in archive.namelist()}
        self.names = {name.lower(): name for name in self.data}
        self._parsed: dict[str, etree._Element] = {}

    def xml(self, part: str) -> etree._Element:
        if part not in self._parsed:
            self._parsed[part] = etree.fromstring(self.data[self.names[part.lower()]])
        return self._parsed[part]

    def exists(self, part: str) -> bool:
        return part.lower() in self.names

    def rels(self, part: str) -> list[tuple[str, str, str, str | None]]:
        """(Id, Type, resolved target, TargetMode) of ``part``'s relationships."""
        folder, base = posixpath.split(part)
        name = posixpath.join(folder, "_rels", base + ".rels")
        if not self.exists(name):
            return []
        return [
            (
                r.get("Id"),
                r.get("Type"),
                _resolve(part, r.get("Target")),
                # A "#Sheet!A1" target is a place in this workbook, not a part.
                "Location" if r.get("Target").startswith("#") else r.get("TargetMode"),
            )
            for r in self.xml(name).iter(f"{{{PKG_RELS}}}Relationship")
        ]

    def shared_strings(self) -> list[str]:
        found = [n for n in self.data if n.lower().endswith("sharedstrings.xml")]
        if not found:
            return []
        return ["".join(si.itertext()) for si in self.xml(found[0]).iter(f"{{{MAIN}}}si")]

    def cell_texts(self, sheet_part: str, row: int) -> dict[int, str]:
        """The text of the cells of one 0-based row: column -> text."""
        strings = None
        found: dict[int, str] = {}
        for cell in self.xml(sheet_part).iter(f"{{{MAIN}}}c"):
            ref = cell.get("r", "")
            if _row_index(ref) != row:
                continue
            kind = cell.get("t")
            if kind == "inlineStr":
                text = "".join(cell.find(f"{{{MAIN}}}is").itertext())
            elif kind == "s":
                strings = strings if strings is not None else self.shared_strings()
                text = strings[int(cell.findtext(f"{{{MAIN}}}v"))]
            else:
                text = cell.findtext(f"{{{MAIN}}}v") or ""
            found[_column_index(ref)] = text
        return found


def check_workbook(path: Path) -> None:
    """Assert the structural rules above; the failure message names the defect."""
    book = Book(path)
    types = book.xml("[Content_Types].xml")
    overrides = {
        e.get("PartName").lstrip("/").lower(): e.get("ContentType")
        for e in types.iter(f"{{{CONTENT_TYPES}}}Override")
    }
    defaults = {
        e.get("Extension").lower(): e.get("ContentType")
        for e in types.iter(f"{{{CONTENT_TYPES}}}Default")
    }

    # Every part has a content type.
    for name in book.data:
        if name == "[Content_Types].xml" or name.endswith("/"):
            continue
        extension = name.rpartition(".")[2].lower()  # ".rels" too (splitext says none)
        assert name.lower() in overrides or extension in defaults, f"{name} has no content type"
    for name in overrides:
        assert book.exists(name), f"content type registered for missing part {name}"

    # Every internal relationship target exists.
    for name in list(book.data):
        if not name.endswith(".rels"):
            continue
        source = _source_of(name)
        assert source == "" or book.exists(source), f"{name} belongs to a missing part"
        for rid, kind, target, mode in book.rels(source):
            if mode in ("External", "Location"):
                continue
            assert book.exists(target), f"{name}: {rid} ({kind}) points to missing {target}"

    # The workbook's sheets resolve, by namespace.
    workbook_part = next(t for _, kind, t, _ in book.rels("") if kind.endswith("/officeDocument"))
    by_id = {rid: (kind, target) for rid, kind, target, _ in book.rels(workbook_part)}
    sheets = {}
    for sheet in book.xml(workbook_part).iter(f"{{{MAIN}}}sheet"):
        rid = sheet.get(f"{{{R}}}id")
        assert rid in by_id, f"sheet {sheet.get('name')!r}: r:id {rid} not in the relationships"
        sheets[by_id[rid][1].lower()] = sheet.get("name")

    # Fonts have sizes.
    styles = next(t for _, kind, t, _ in book.rels(workbook_part) if kind.endswith("/styles"))
    for i, font in enumerate(book.xml(styles).iter(f"{{{MAIN}}}font")):
        if font.getparent().tag == f"{{{MAIN}}}fonts":
            assert font.find(f"{{{MAIN}}}sz") is not None, f"font {i} has no <sz>"

    # Tables: unique ids; columns named like their header cells.
    table_parts = [n for n, t in overrides.items() if t == TABLE_TYPE]
    ids: dict[str, str] = {}
    for part in table_parts:
        table = book.xml(part)
        table_id = table.get("id")
        assert table_id not in ids, f"table id {table_id} used by {ids.get(table_id)} and {part}"
        ids[table_id] = part
    for sheet_part in sheets:
        for _, kind, target, _ in book.rels(sheet_part):
            if not kind.endswith("/table"):
                continue
            table = book.xml(target)
            first, _, _ = table.get("ref").partition(":")
            header_row, first_col = _row_index(first), _column_index(first)
            header_cells = book.cell_texts(sheet_part, header_row)
            columns = [c.get("name") for c in table.iter(f"{{{MAIN}}}tableColumn")]
            cells = [header_cells.get(first_col + i) for i in range(len(columns))]
            assert columns == cells, (
                f"table {table.get('name')}: columns {columns} but header cells {cells}"
            )
