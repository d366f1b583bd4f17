"""Read the input tables of a workbook file with python-calamine.

``read_tables(path)`` returns one ``RawTable`` per input sheet of the spec that
the workbook holds: the cells exactly as the workbook holds them, with their
worksheet row numbers, nothing parsed, coerced or dropped (``abmxl.engine``
decides what is usable). Every way a file can fail to be a readable workbook
raises ``WorkbookReadError`` with a one-line message meant for the person who
chose the file.

Why python-calamine and how it is used: ``docs/reading.md``.
"""

from __future__ import annotations

import gc
import os
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

import numpy as np
import pandas as pd
from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum

from abmxl.engine.model import RawTable
from abmxl.engine.required import InputError, check_required
from abmxl.io.cellref import column_index
from abmxl.schema import INPUT_SHEETS, match_name

__all__ = ["CellError", "WorkbookReadError", "read_tables"]


PathLike = str | os.PathLike[str]

SUPPORTED = ".xlsx/.xlsm"


class WorkbookReadError(Exception):
    """The file cannot be read as an abmxl workbook; ``str(error)`` is one line for a person."""


class CellError(str):
    """An Excel error value (``#DIV/0!``, ``#N/A``, ``#REF!``, ...) held by a cell.

    It is the error's text, so anything that treats it as text (DataIssues, a
    number parser that rejects it) shows what Excel shows; ``isinstance(value,
    CellError)`` tells it apart from a cell holding that text typed in.

    >>> value = CellError("#DIV/0!")
    >>> value == "#DIV/0!", isinstance(value, CellError), repr(value)
    (True, True, "CellError('#DIV/0!')")
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"CellError({str.__repr__(self)})"


def read_tables(
    path: PathLike, *, progress: Callable[[str], None] | None = None
) -> dict[str, RawTable]:
    """Read every input table the workbook holds.

    Each input sheet of ``abmxl.schema.INPUT_SHEETS`` is looked up as an Excel
    Table of that name, else as a worksheet of that name whose first non-empty
    row is the header row; names match ignoring case, spaces and underscores.

    Parameters
    ----------
    path : str or os.PathLike
        An .xlsx or .xlsm workbook.
    progress : callable, optional
        Called with a short message (``"Reading Engagement"``) before each
        table is read, for a progress display.

    Returns
    -------
    dict of str to RawTable
        Keyed by canonical sheet name, in ``INPUT_SHEETS`` order; an input
        sheet the workbook does not have (or that is empty) is not a key.
        Frames have object dtype, the header cells as written as columns (a
        blank header cell's column is left out; of columns whose headers match
        the same name, the first is kept), the 1-based worksheet row numbers as
        index, and the cell values: ``None`` for an empty cell, ``str``
        (``"NA"`` stays text), ``float`` for every number, ``bool``,
        ``datetime.date``/``datetime.datetime``/``datetime.time``/``datetime.timedelta``
        for cells with a date or time format, and ``CellError`` for an error value.

    Raises
    ------
    WorkbookReadError
        The file is missing, a folder, unreadable, not a workbook, damaged,
        password-protected or of a format abmxl cannot write back (.xls, .xlsb,
        .ods), or lacks a required sheet (Accounts, Opportunities) or a required
        column of a sheet it has.
    """
    path = Path(path)
    _check_file(path)
    say = progress or (lambda message: None)
    try:
        workbook = CalamineWorkbook.from_path(path, load_tables=True)
    except (CalamineError, OSError, ValueError) as error:
        raise WorkbookReadError(
            f"'{path.name}' is damaged and cannot be read ({_first_line(error)})"
        ) from error

    sheet_names = list(workbook.sheet_names)
    tables: dict[str, RawTable] = {}
    # The cyclic GC would scan the millions of fresh cell objects again and again
    # (calamine's to_python runs 5x slower with it on); cells hold no cycles.
    with _gc_paused(), workbook, zipfile.ZipFile(path) as archive:
        parts, table_sheets = _package_map(archive)
        sources = _find_sources(workbook, table_sheets)
        # Error cells are found in the XML on a second thread while calamine,
        # which releases the GIL, parses the sheets.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="abmxl-errors") as scanner:
            scans = {
                name: scanner.submit(_error_cells, archive, parts.get(source.sheet))
                for name, source in sources.items()
                if source.sheet is not None
            }
            for name, source in sources.items():
                say(f"Reading {name}")
                try:
                    loaded = _load(workbook, source)
                except (CalamineError, ValueError) as error:
                    raise WorkbookReadError(
                        f"'{path.name}' is damaged: the {source.sheet or name} sheet cannot be "
                        f"read ({_first_line(error)})"
                    ) from error
                if loaded is None:
                    continue
                if name not in scans:
                    scans[name] = scanner.submit(_error_cells, archive, parts.get(loaded.sheet))
                tables[name] = _raw_table(loaded, scans[name].result())

    for name, spec in INPUT_SHEETS.items():
        if spec.required and name in sources and name not in tables:
            raise WorkbookReadError(
                f"the {sources[name].sheet or name} sheet of '{path.name}' is empty: "
                f"it needs a header row with {', '.join(spec.required_columns)}"
            )
    try:
        check_required(tables, path.name, sheet_names)
    except InputError as error:
        raise WorkbookReadError(str(error)) from None
    return tables


@contextmanager
def _gc_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# --- the file itself ----------------------------------------------------------

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _check_file(path: Path) -> None:
    """Raise WorkbookReadError unless ``path`` is a readable .xlsx/.xlsm package."""
    if not path.exists():
        raise WorkbookReadError(f"no such file: '{path}'")
    if path.is_dir():
        raise WorkbookReadError(f"'{path}' is a folder, not a workbook file")
    try:
        with path.open("rb") as file:
            head = file.read(8)
    except PermissionError as error:
        raise WorkbookReadError(
            f"cannot open '{path.name}': permission denied "
            "(is it open or locked in another program?)"
        ) from error
    except OSError as error:
        raise WorkbookReadError(f"cannot open '{path.name}': {error.strerror or error}") from error

    if not head:
        raise WorkbookReadError(f"'{path.name}' is empty (0 bytes), not a workbook")
    if head.startswith(_OLE_MAGIC):
        raise WorkbookReadError(_ole_message(path))
    if not head.startswith(_ZIP_MAGIC):
        kind = "a PDF file" if head.startswith(b"%PDF") else "not a workbook"
        raise WorkbookReadError(f"'{path.name}' is {kind}: abmxl reads {SUPPORTED} workbooks")
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError) as error:
        raise WorkbookReadError(
            f"'{path.name}' is damaged: it is not a complete {SUPPORTED} file ({error})"
        ) from error
    if "xl/workbook.xml" in names:
        return
    if "xl/workbook.bin" in names:
        raise WorkbookReadError(_convert_message(path, "an Excel binary .xlsb workbook"))
    if "content.xml" in names and "mimetype" in names:
        raise WorkbookReadError(_convert_message(path, "an OpenDocument (.ods) file"))
    if "word/document.xml" in names:
        raise WorkbookReadError(f"'{path.name}' is a Word document, not an Excel workbook")
    if "ppt/presentation.xml" in names:
        raise WorkbookReadError(f"'{path.name}' is a PowerPoint file, not an Excel workbook")
    raise WorkbookReadError(f"'{path.name}' is a zip file but not an Excel workbook")


def _ole_message(path: Path) -> str:
    # An encrypted .xlsx is an OLE container holding an "EncryptedPackage" stream;
    # anything else in OLE form is a legacy .xls (or another Office 97 file).
    try:
        encrypted = "EncryptedPackage".encode("utf-16-le") in path.read_bytes()
    except OSError:
        encrypted = False
    if encrypted:
        return (
            f"'{path.name}' is password-protected: remove the password in Excel "
            "(File > Info > Protect Workbook > Encrypt with Password) and try again"
        )
    return _convert_message(path, "an Excel 97-2003 .xls workbook")


def _convert_message(path: Path, kind: str) -> str:
    # calamine could read these, but a refresh writes its results back into the
    # file and that writer produces .xlsx/.xlsm parts only.
    return (
        f"'{path.name}' is {kind}: abmxl reads and writes {SUPPORTED} only; "
        "open it in Excel and save it as .xlsx (or .xlsm to keep macros)"
    )


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


# --- where each input table is ------------------------------------------------


@dataclass(frozen=True)
class _Source:
    sheet: str | None  # worksheet name; None until calamine tells (a table we could not place)
    table: str | None  # Excel Table name, or None: the sheet's first non-empty row is the header


def _find_sources(workbook: CalamineWorkbook, table_sheets: dict[str, str]) -> dict[str, _Source]:
    """Where each input sheet's data is: a Table of that name, else a worksheet of that name."""
    worksheets = [
        meta.name for meta in workbook.sheets_metadata if meta.typ == SheetTypeEnum.WorkSheet
    ]
    table_names = workbook.table_names or []
    sources: dict[str, _Source] = {}
    for name in INPUT_SHEETS:
        table = match_name(name, table_names)
        if table is not None:
            sources[name] = _Source(table_sheets.get(table.casefold()), table)
            continue
        sheet = match_name(name, worksheets)
        if sheet is not None:
            sources[name] = _Source(sheet, None)
    return sources


# --- cells -> RawTable --------------------------------------------------------


@dataclass
class _Loaded:
    """A source's cells as calamine gave them and where they sit (0-based)."""

    sheet: str
    header: list[object]
    rows: list[list[object]]
    first_row: int  # worksheet row of the first data row
    first_col: int  # worksheet column of the first header cell


def _load(workbook: CalamineWorkbook, source: _Source) -> _Loaded | None:
    """The source's header and data rows, or None for an empty sheet."""
    if source.table is not None:
        table = workbook.get_table_by_name(source.table)
        if table.start is None:
            return None
        first_row, first_col = table.start
        return _Loaded(table.sheet, list(table.columns), table.to_python(), first_row, first_col)
    if source.sheet is None:
        return None
    sheet = workbook.get_sheet_by_name(source.sheet)
    if sheet.start is None:
        return None
    rows = sheet.to_python()
    header_at = next((i for i, row in enumerate(rows) if any(v != "" for v in row)), None)
    if header_at is None:
        return None
    first_row, first_col = sheet.start
    return _Loaded(
        source.sheet, rows[header_at], rows[header_at + 1 :], first_row + header_at + 1, first_col
    )


def _raw_table(loaded: _Loaded, errors: list[tuple[int, int, str]]) -> RawTable:
    keep, names = _columns(loaded.header)
    cells = _cell_array(loaded.rows, len(loaded.header))
    loaded.rows = []  # the row lists are the bulk of the memory: free them now
    _place_errors(cells, loaded.first_row, loaded.first_col, errors)
    if keep != list(range(cells.shape[1])):
        cells = cells[:, keep]
    frame = pd.DataFrame(
        cells,
        columns=pd.Index(names, dtype=object),
        index=pd.RangeIndex(loaded.first_row + 1, loaded.first_row + 1 + len(cells)),
        dtype=object,
        copy=False,
    )
    return RawTable(sheet=loaded.sheet, frame=frame)


def _columns(header: list[object]) -> tuple[list[int], list[str]]:
    """Positions and names of the named columns.

    A header repeated under another spelling ("Fit Score" after "FIT_SCORE") is
    kept: the engine reads the first and reports the other in DataIssues, as it
    does for a book read through xlwings.
    """
    keep: list[int] = []
    names: list[str] = []
    for position, cell in enumerate(header):
        name = _header_text(cell)
        if name.strip():
            keep.append(position)
            names.append(name)
    return keep, names


def _header_text(cell: object) -> str:
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))  # a header typed as 2026 reads "2026", not "2026.0"
    return "" if cell is None else str(cell)


def _cell_array(rows: list[list[object]], width: int) -> np.ndarray:
    """Rows of calamine cells -> a 2-D object array with ``None`` for empty cells.

    calamine gives ``""`` for an empty cell (and for a cell holding empty text,
    which Excel also shows as blank); a cell holding any other text stays text.
    """
    cells = np.empty((len(rows), width), dtype=object)
    if rows:
        cells[:] = rows
        cells[cells == ""] = None
    return cells


# --- Excel error cells --------------------------------------------------------
#
# python-calamine returns "" for an error cell, the same as for an empty one. A
# #DIV/0! in an amount column is not a blank amount (which a refresh repairs as
# 0), so the reader finds error cells in the worksheet XML itself: they are the
# cells with t="e". The scan is a byte search of the decompressed part.

_ERROR_MARKS = (b't="e"', b"t='e'")
_CELL_OPEN = re.compile(rb"<(?:\w+:)?c\b[^>]*>")
_CELL_REF = re.compile(rb"""\br=["']([A-Z]+)([0-9]+)["']""")
_ERROR_TYPE = re.compile(rb"""\st=["']e["']""")
_CELL_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_CELL_CLOSE = re.compile(rb"</(?:\w+:)?c>")
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_CHUNK = 1 << 22
_OVERLAP = 512  # longer than any cell's opening tag


def _package_map(archive: zipfile.ZipFile) -> tuple[dict[str, str], dict[str, str]]:
    """Worksheet name -> its part, and Table name (casefolded) -> its worksheet's name.

    Read from workbook.xml, the relationship parts and the table parts, all
    small; an entry that cannot be resolved is simply left out.
    """
    sheet_parts: dict[str, str] = {}
    table_sheets: dict[str, str] = {}
    book = _xml(archive, "xl/workbook.xml")
    book_rels = _relationships(archive, "xl/workbook.xml")
    if book is None:
        return sheet_parts, table_sheets
    for sheet in book.iter(f"{_MAIN}sheet"):
        part = book_rels.get(sheet.get(_REL_ID, ""), ("", ""))[1]
        if part:
            sheet_parts[sheet.get("name", "")] = part
    for sheet_name, part in sheet_parts.items():
        for kind, target in _relationships(archive, part).values():
            if not kind.endswith("/table"):
                continue
            table = _xml(archive, target)
            if table is None:
                continue
            for attribute in ("name", "displayName"):
                if table.get(attribute):
                    table_sheets[table.get(attribute, "").casefold()] = sheet_name
    return sheet_parts, table_sheets


def _xml(archive: zipfile.ZipFile, part: str) -> ElementTree.Element | None:
    try:
        return ElementTree.fromstring(archive.read(part))
    except (KeyError, ElementTree.ParseError, zipfile.BadZipFile, OSError):
        return None


def _relationships(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, target part path) of a part."""
    folder = PurePosixPath(part).parent
    rels = _xml(archive, str(folder / "_rels" / f"{PurePosixPath(part).name}.rels"))
    if rels is None:
        return {}
    found = {}
    for rel in rels.iter(_RELS):
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External" or not target:
            continue
        path = target.lstrip("/") if target.startswith("/") else str(folder / target)
        found[rel.get("Id", "")] = (rel.get("Type", ""), posixpath.normpath(path))
    return found


def _error_cells(archive: zipfile.ZipFile, part: str | None) -> list[tuple[int, int, str]]:
    """``(row, column, text)`` 0-based of every error cell of a worksheet part."""
    if part is None:
        return []
    try:
        return list(_scan_errors(archive, part))
    except (KeyError, zipfile.BadZipFile, OSError, EOFError):
        return []  # calamine read the sheet; a part we cannot scan has nothing to add


def _scan_errors(archive: zipfile.ZipFile, part: str) -> Iterator[tuple[int, int, str]]:
    buffer = b""
    scanned = 0  # bytes at the start of ``buffer`` kept as context, already searched
    with archive.open(part) as stream:
        while True:
            chunk = stream.read(_CHUNK)
            final = not chunk
            buffer += chunk
            # Leave the last bytes for the next round: a mark may be cut in two.
            limit = len(buffer) if final else max(len(buffer) - _OVERLAP, scanned)
            resume = limit
            for position in _marks(buffer, scanned, limit):
                start = buffer.rfind(b"<", 0, position)
                opening = _CELL_OPEN.match(buffer, start) if start >= 0 else None
                if (
                    opening is None
                    or opening.end() <= position
                    or not _ERROR_TYPE.search(opening.group())
                    or opening.group().endswith(b"/>")
                ):
                    continue  # t="e" in text or on another element, or a cell without value
                closing = _CELL_CLOSE.search(buffer, opening.end())
                if closing is None:
                    resume = position  # the cell goes on in the next chunk
                    break
                reference = _CELL_REF.search(opening.group())
                value = _CELL_VALUE.search(buffer, opening.end(), closing.end())
                if reference is not None and value is not None:
                    letters, number = reference.groups()
                    text = value.group(1).decode("utf-8", "replace")
                    yield int(number) - 1, column_index(letters.decode()), text
            if final:
                return
            keep_from = max(resume - _OVERLAP, 0)
            scanned = resume - keep_from
            buffer = buffer[keep_from:]


def _marks(buffer: bytes, start: int, stop: int) -> list[int]:
    """Positions in ``[start, stop)`` where an error-type mark begins (it may end past ``stop``)."""
    found: list[int] = []
    for mark in _ERROR_MARKS:
        end = stop + len(mark) - 1
        at = buffer.find(mark, start, end)
        while at >= 0:
            found.append(at)
            at = buffer.find(mark, at + 1, end)
    return sorted(found)


def _place_errors(
    cells: np.ndarray, first_row: int, first_col: int, errors: list[tuple[int, int, str]]
) -> None:
    """Put each error cell that falls inside ``cells`` there as a ``CellError``."""
    if not errors:
        return
    rows = np.array([e[0] for e in errors]) - first_row
    cols = np.array([e[1] for e in errors]) - first_col
    inside = (rows >= 0) & (rows < cells.shape[0]) & (cols >= 0) & (cols < cells.shape[1])
    values = np.array([CellError(e[2]) for e in errors], dtype=object)
    cells[rows[inside], cols[inside]] = values[inside]
