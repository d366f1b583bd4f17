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
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

import numpy as np
import pandas as pd
from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum

from abmxl.engine.model import RawTable
from abmxl.engine.sources import BookInputs, BookInventory, Source, TableInfo, find_sources
from abmxl.io.cellref import column_index
from abmxl.io.rawtable import Grid, range_raw, table_raw

__all__ = ["CellError", "WorkbookReadError", "is_percent_format", "read_book", "read_tables"]


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
    """Read every input table the workbook holds: ``read_book(path).tables``."""
    return read_book(path, progress=progress).tables


def read_book(path: PathLike, *, progress: Callable[[str], None] | None = None) -> BookInputs:
    """Read every input table the workbook holds, found by ingest.md section 1.

    Each input (``abmxl.engine.sources.INPUTS``: the sheets of
    ``abmxl.schema.INPUT_SHEETS``, ColumnMap and ValueMap) is found by
    ``abmxl.engine.sources.find_sources``: a Table of that name on any sheet,
    else a sheet of that name (its only Table, or its used range), else the
    same under the input's sheet synonyms.

    Parameters
    ----------
    path : str or os.PathLike
        An .xlsx or .xlsm workbook.
    progress : callable, optional
        Called with a short message (``"Reading Engagement"``) before each
        table is read, for a progress display.

    Returns
    -------
    BookInputs
        The file's name, its sheet names, and ``tables``: keyed by input name,
        in ``INPUTS`` order; an input the workbook does
        not have is not a key. A Table gives ``header_known=True`` (columns =
        its header cells; a blank header cell's column is left out; its totals
        row left out; ``rows_below`` the filled rows right under it); a plain
        range gives ``header_known=False`` (columns 0..n-1, every row of the
        used range, the engine finds the header). The index is the 1-based
        worksheet row; values are ``None`` for an empty cell, ``str``
        (``"NA"`` stays text), ``float`` for every number, ``bool``,
        ``datetime.date``/``datetime.datetime``/``datetime.time``/``datetime.timedelta``
        for cells with a date or time format, and ``CellError`` for an error
        value; ``percent`` flags the cells with a percent number format.

    Raises
    ------
    WorkbookReadError
        The file is missing, a folder, unreadable, not a workbook, damaged,
        password-protected or of a format abmxl cannot write back (.xls, .xlsb,
        .ods). Missing inputs and columns are the caller's to check
        (``abmxl.engine.required.check_required``, run by the refresh pipeline).
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
        package = _package_map(archive)
        worksheets = [
            meta.name for meta in workbook.sheets_metadata if meta.typ == SheetTypeEnum.WorkSheet
        ]
        inventory = BookInventory(
            tuple(worksheets),
            tuple(TableInfo(t.name, t.sheet) for t in package.tables if t.sheet in worksheets),
        )
        sources = find_sources(inventory)
        needed = list(dict.fromkeys(source.sheet for source in sources.values()))
        percent_styles = _percent_styles(archive)
        calamine_tables = set(workbook.table_names or [])
        # Error cells and percent formats are found in the XML on a second thread
        # while calamine, which releases the GIL, parses the sheets.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="abmxl-scan") as scanner:
            scans = {
                sheet: scanner.submit(
                    _scan_cells, archive, package.sheet_parts.get(sheet), percent_styles
                )
                for sheet in needed
            }
            grids: dict[str, Grid] = {}

            def sheet_grid(sheet: str) -> Grid:
                if sheet not in grids:
                    grids[sheet] = _load_sheet(path, workbook, sheet, scans[sheet])
                return grids[sheet]

            last_use = {source.sheet: name for name, source in sources.items()}
            for name, source in sources.items():
                say(f"Reading {name}")
                if source.table is None:
                    raw = range_raw(source.sheet, source.describe(), sheet_grid(source.sheet))
                    tables[name] = raw or RawTable(
                        source.sheet, pd.DataFrame(dtype=object), source.describe(), False
                    )
                else:
                    part = package.table(source.table)
                    if source.table in calamine_tables:
                        header, body = _load_table(
                            path, workbook, source, part, scans[source.sheet]
                        )
                    else:  # a Table calamine names otherwise: cut it out of its sheet
                        header, body = _cut_table(part, sheet_grid(source.sheet))
                    below = None
                    _, _, bottom, _ = part.bounds
                    last_row = scans[source.sheet].result().last_row
                    if last_row is None or last_row > bottom:  # maybe rows below the Table
                        below = _below(part, sheet_grid(source.sheet))
                    tables[name] = table_raw(
                        source.sheet, source.describe(), header, body, below=below
                    )
                if last_use[source.sheet] == name:
                    grids.pop(source.sheet, None)  # the bulk of the memory: free it now
    return BookInputs(path.name, tables, sheet_names)


def _load_table(
    path: Path, workbook: CalamineWorkbook, source: Source, part: _TablePart, scan: Future[Scan]
) -> tuple[list[object], Grid]:
    """A Table's column names and body (calamine leaves the header and totals rows out),
    error cells and percent flags in place."""
    try:
        table = workbook.get_table_by_name(source.table)
        rows = table.to_python() if table.start is not None else []
    except (CalamineError, ValueError) as error:
        raise WorkbookReadError(
            f"'{path.name}' is damaged: the {source.sheet} sheet cannot be "
            f"read ({_first_line(error)})"
        ) from error
    header = list(table.columns)
    top, left, _, _ = part.bounds
    if table.start is not None:
        top, left = table.start
    else:
        top += part.header_rows
    return header, _grid(_cell_array(rows, len(header)), top, left, scan.result())


def _cut_table(part: _TablePart, grid: Grid) -> tuple[list[object], Grid]:
    """A Table's header and body cut out of its sheet by the bounds its part gives."""
    top, left, bottom, right = part.bounds
    if part.header_rows:
        header = list(grid.region(top, left, top, right).cells[0])
    else:
        header = list(part.columns)
    body = grid.region(top + part.header_rows, left, bottom - part.totals_rows, right)
    return header, body


def _below(part: _TablePart, grid: Grid) -> Grid | None:
    """The Table's columns under it, to the end of the sheet's used range."""
    _, left, bottom, right = part.bounds
    used_bottom = grid.top + grid.cells.shape[0] - 1
    return grid.region(bottom + 1, left, used_bottom, right) if used_bottom > bottom else None


def _load_sheet(
    path: Path,
    workbook: CalamineWorkbook,
    sheet_name: str,
    scan: Future[Scan],
) -> Grid:
    """A worksheet's used range as a ``Grid``, error cells and percent flags in place.

    calamine parses while the scan of the same sheet runs on the other thread;
    its result is awaited only once the cells are in.
    """
    try:
        sheet = workbook.get_sheet_by_name(sheet_name)
        rows = sheet.to_python() if sheet.start is not None else []
    except (CalamineError, ValueError) as error:
        raise WorkbookReadError(
            f"'{path.name}' is damaged: the {sheet_name} sheet cannot be "
            f"read ({_first_line(error)})"
        ) from error
    top, left = sheet.start if sheet.start is not None else (0, 0)
    cells = _cell_array(rows, max((len(row) for row in rows[:1]), default=0))
    del rows
    return _grid(cells, top, left, scan.result())


def _grid(cells: np.ndarray, top: int, left: int, scan: Scan) -> Grid:
    """Cells whose top-left is worksheet (top, left), with the scan's error cells and
    percent flags placed."""
    _place_errors(cells, top, left, scan.errors)
    percent = np.zeros(cells.shape, dtype=bool)
    _place_flags(percent, top, left, scan.percent)
    return Grid(cells, top, left, percent)


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


# --- cells --------------------------------------------------------------------


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


# --- the package: sheet parts, Tables, styles ----------------------------------

_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


@dataclass(frozen=True)
class _TablePart:
    """An Excel Table as its part describes it; ``bounds`` = (top, left, bottom, right),
    0-based and inclusive, header and totals rows included."""

    name: str
    sheet: str
    bounds: tuple[int, int, int, int]
    header_rows: int
    totals_rows: int
    columns: tuple[str, ...]


@dataclass
class _Package:
    sheet_parts: dict[str, str]  # worksheet name -> its part
    tables: list[_TablePart]

    def table(self, name: str) -> _TablePart:
        return next(table for table in self.tables if table.name == name)


def _package_map(archive: zipfile.ZipFile) -> _Package:
    """Worksheet parts and Tables, from workbook.xml, the relationship parts and the
    table parts, all small; an entry that cannot be resolved is simply left out.

    Relationship ids are resolved by namespace (ElementTree), whatever prefix the
    part declares, and wherever it declares it.
    """
    package = _Package({}, [])
    book = _xml(archive, "xl/workbook.xml")
    if book is None:
        return package
    book_rels = _relationships(archive, "xl/workbook.xml")
    for sheet in book.iter(f"{_MAIN}sheet"):
        part = book_rels.get(sheet.get(_REL_ID, ""), ("", ""))[1]
        if part:
            package.sheet_parts[sheet.get("name", "")] = part
    for sheet_name, part in package.sheet_parts.items():
        for kind, target in _relationships(archive, part).values():
            if not kind.endswith("/table"):
                continue
            table = _table_part(_xml(archive, target), sheet_name)
            if table is not None:
                package.tables.append(table)
    return package


def _table_part(table: ElementTree.Element | None, sheet: str) -> _TablePart | None:
    if table is None:
        return None
    name = table.get("displayName") or table.get("name")
    ref = table.get("ref", "")
    match = re.fullmatch(r"\$?([A-Za-z]+)\$?([0-9]+)(?::\$?([A-Za-z]+)\$?([0-9]+))?", ref)
    if not name or match is None:
        return None
    first_col, first_row, last_col, last_row = match.groups()
    bounds = (
        int(first_row) - 1,
        column_index(first_col.upper()),
        int(last_row or first_row) - 1,
        column_index((last_col or first_col).upper()),
    )
    columns = tuple(column.get("name", "") for column in table.iter(f"{_MAIN}tableColumn"))
    return _TablePart(
        name,
        sheet,
        bounds,
        header_rows=_count(table.get("headerRowCount"), 1),
        totals_rows=_count(table.get("totalsRowCount"), 0),
        columns=columns,
    )


def _count(value: str | None, default: int) -> int:
    try:
        return max(int(value), 0) if value is not None else default
    except ValueError:
        return default


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


# Number formats Excel shows as a percentage: built-ins 9 (0%) and 10 (0.00%),
# and custom codes with a % outside quotes, escapes and [brackets].
_PERCENT_BUILTINS = frozenset({9, 10})
_FORMAT_LITERALS = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')


def is_percent_format(code: str) -> bool:
    r"""True when a number format code shows its number as a percentage.

    >>> [is_percent_format(c) for c in ("0%", '0.0"%"', "0.00\\%", "[Red]0.0%;-0%", "General")]
    [True, False, False, True, False]
    """
    return "%" in _FORMAT_LITERALS.sub("", code)


def _percent_styles(archive: zipfile.ZipFile) -> frozenset[int]:
    """Indices of the cell styles (``s=`` of a cell: styles.xml cellXfs) whose number
    format is a percentage."""
    styles = _xml(archive, "xl/styles.xml")
    if styles is None:
        return frozenset()
    percent_ids = set(_PERCENT_BUILTINS)
    for number_format in styles.iter(f"{_MAIN}numFmt"):
        try:
            format_id = int(number_format.get("numFmtId", ""))
        except ValueError:
            continue
        if is_percent_format(number_format.get("formatCode", "")):
            percent_ids.add(format_id)
        else:
            percent_ids.discard(format_id)  # a custom code may redefine a built-in id
    cell_xfs = styles.find(f"{_MAIN}cellXfs")
    if cell_xfs is None:
        return frozenset()
    found = set()
    for index, xf in enumerate(cell_xfs.iter(f"{_MAIN}xf")):
        try:
            if int(xf.get("numFmtId", "0")) in percent_ids:
                found.add(index)
        except ValueError:
            continue
    return frozenset(found)


# --- Excel error cells and percent formats -------------------------------------
#
# python-calamine returns "" for an error cell, the same as for an empty one. A
# #DIV/0! in an amount column is not a blank amount (which a refresh repairs as
# 0), so the reader finds error cells in the worksheet XML itself: they are the
# cells with t="e". calamine gives no number formats either, so the same pass
# finds the cells whose style (s="N") is a percent format. Both are byte
# searches of the decompressed part, done by the regex engine in C.

_ERROR_MARKS = (b't="e"', b"t='e'")
_CELL_OPEN = re.compile(rb"<(?:\w+:)?c\b[^>]*>")
_CELL_REF = re.compile(rb"""\br=["']([A-Z]+)([0-9]+)["']""")
_ERROR_TYPE = re.compile(rb"""\st=["']e["']""")
_CELL_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_CELL_CLOSE = re.compile(rb"</(?:\w+:)?c>")
_CHUNK = 1 << 22
_OVERLAP = 512  # longer than any cell's opening tag


@dataclass(frozen=True)
class Scan:
    """What the byte search of a worksheet part found: 0-based ``(row, column, text)``
    of each error cell, an (n, 2) array of 0-based (row, column) of each
    percent-formatted cell, and the last row of the sheet's ``<dimension>`` (its
    used range as the writer saw it; None when the part has none)."""

    errors: list[tuple[int, int, str]]
    percent: np.ndarray
    last_row: int | None


_NOTHING = Scan([], np.empty((0, 2), dtype=np.int64), None)
_DIMENSION = re.compile(rb"""<(?:\w+:)?dimension\b[^>]*?\bref=["'][^"']*?([0-9]+)["']""")


@dataclass(frozen=True)
class _StyleMarks:
    """The style attributes of some styles as writers spell them (`` s="9"``)."""

    marks: tuple[bytes, ...]

    @classmethod
    def of(cls, styles: frozenset[int]) -> _StyleMarks | None:
        if not styles:
            return None
        numbers = [str(index).encode() for index in sorted(styles)]
        return cls(tuple(b" s=" + q + n + q for n in numbers for q in (b'"', b"'")))

    def cells(self, buffer: bytes, start: int, stop: int) -> list[tuple[bytes, bytes]]:
        """(column letters, row number) of the styled cells whose marks lie in [start, stop).

        The marks are found at C speed (``bytes.find``); each is then checked to
        sit in a cell's opening tag (not in text, not on a styled ``<row>``).
        ``<c r="B7" s="9"``, as Excel, openpyxl and XlsxWriter write it, is read
        directly; anything else through the tag's regex.
        """
        found: list[tuple[bytes, bytes]] = []
        marks = self.marks
        if buffer.find(b"'", start, stop) < 0:  # no single-quoted attribute here
            marks = tuple(mark for mark in marks if not mark.endswith(b"'"))
        for position in _find_all(buffer, marks, start, stop):
            tag = buffer.rfind(b"<", 0, position)
            if buffer.startswith(b'<c r="', tag):
                end = buffer.find(b'"', tag + 6, position)
                reference = _REFERENCE.fullmatch(buffer, tag + 6, end) if end > 0 else None
                if reference is not None:
                    found.append(reference.groups())
                    continue
            opening = _CELL_OPEN.match(buffer, tag) if tag >= 0 else None
            if opening is None or opening.end() <= position:
                continue  # a mark in text or on another element (a styled row)
            reference = _CELL_REF.search(opening.group())
            if reference is not None:
                found.append(reference.groups())
        return found


_REFERENCE = re.compile(rb"([A-Z]+)([0-9]+)")


def _find_all(buffer: bytes, marks: tuple[bytes, ...], start: int, stop: int) -> list[int]:
    found = []
    for mark in marks:
        at = buffer.find(mark, start, stop)
        while at >= 0:
            found.append(at)
            at = buffer.find(mark, at + 1, stop)
    return found


def _scan_cells(archive: zipfile.ZipFile, part: str | None, percent_styles: frozenset[int]) -> Scan:
    """Error cells, percent-formatted cells and the declared used range of a worksheet part."""
    if part is None:
        return _NOTHING
    errors: list[tuple[int, int, str]] = []
    percent: list[tuple[bytes, bytes]] = []
    try:
        head = _scan(archive, part, errors, percent, _StyleMarks.of(percent_styles))
    except (KeyError, zipfile.BadZipFile, OSError, EOFError):
        return _NOTHING  # calamine read the sheet; a part we cannot scan has nothing to add
    dimension = _DIMENSION.search(head)
    last_row = int(dimension.group(1)) - 1 if dimension is not None else None
    return Scan(errors, _positions(percent), last_row)


def _positions(references: list[tuple[bytes, bytes]]) -> np.ndarray:
    """(letters, digits) cell references -> an (n, 2) array of 0-based (row, column)."""
    if not references:
        return np.empty((0, 2), dtype=np.int64)
    letters, digits = zip(*references, strict=True)
    rows = np.array(digits, dtype=bytes).astype(np.int64) - 1
    unique, inverse = np.unique(np.array(letters, dtype=bytes), return_inverse=True)
    columns = np.array([column_index(text.decode()) for text in unique], dtype=np.int64)
    return np.column_stack([rows, columns[inverse]])


def _scan(
    archive: zipfile.ZipFile,
    part: str,
    errors: list[tuple[int, int, str]],
    percent: list[tuple[bytes, bytes]],
    styled: _StyleMarks | None,
) -> bytes:
    """Fill ``errors`` and ``percent``; return the part's first bytes (its
    ``<dimension>`` is there, before ``<sheetData>``)."""
    head = b""
    buffer = b""
    scanned = 0  # bytes at the start of ``buffer`` kept as context, already searched
    styled_from = 0  # where the search for styled cells goes on
    with archive.open(part) as stream:
        while True:
            chunk = stream.read(_CHUNK)
            final = not chunk
            if not head:
                head = chunk[:4096]
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
                    errors.append((int(number) - 1, column_index(letters.decode()), text))
            # Styled cells: every tag starting before the last "<" of the searched
            # bytes ends before it (a tag holds no "<"), so [styled_from, cut) holds
            # whole tags only; the search goes on from ``cut`` next round.
            cut = len(buffer) if final else buffer.rfind(b"<", styled_from, resume)
            cut = max(cut, styled_from)
            if styled is not None:
                percent.extend(styled.cells(buffer, styled_from, cut))
            if final:
                return head
            keep_from = max(min(resume - _OVERLAP, cut), 0)
            scanned = resume - keep_from
            styled_from = cut - keep_from
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
    rows, cols, inside = _inside(cells.shape, first_row, first_col, [e[:2] for e in errors])
    values = np.array([CellError(e[2]) for e in errors], dtype=object)
    cells[rows[inside], cols[inside]] = values[inside]


def _place_flags(flags: np.ndarray, first_row: int, first_col: int, positions: np.ndarray) -> None:
    """Set the flags at the 0-based worksheet ``positions`` that fall inside ``flags``."""
    if not len(positions):
        return
    rows, cols, inside = _inside(flags.shape, first_row, first_col, positions)
    flags[rows[inside], cols[inside]] = True


def _inside(
    shape: tuple[int, ...], first_row: int, first_col: int, positions: object
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    where = np.array(positions, dtype=np.int64).reshape(-1, 2)
    rows, cols = where[:, 0] - first_row, where[:, 1] - first_col
    inside = (rows >= 0) & (rows < shape[0]) & (cols >= 0) & (cols < shape[1])
    return rows, cols, inside
