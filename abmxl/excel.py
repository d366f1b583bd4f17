"""The funnel refresh inside Excel, through xlwings.

``refresh()`` is what the template's "Refresh funnel" button runs
(``RunPython "import abmxl.excel; abmxl.excel.refresh()"``); ``refresh_funnel``
is the same refresh as an xlwings Lite script bound to the Lite button of the
Funnel Summary sheet. Both read the input tables through xlwings into
``RawTable`` (cells as the book holds them), run the same engine and layout as
the command line, and draw the resulting ``SheetContent`` with xlwings.

Nothing here runs at import time: ``xw.Book.caller()`` is only valid inside a
``RunPython`` call.
"""

from __future__ import annotations

import datetime as dt
import math
import sys
import traceback
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import xlwings as xw
from xlwings import script

from abmxl.engine.model import FunnelSummary, RawTable
from abmxl.engine.sources import BookInputs, BookInventory, Source, TableInfo, find_sources
from abmxl.io.content import SheetContent, Table
from abmxl.io.rawtable import Grid, range_raw, table_raw
from abmxl.io.reader import CellError, is_percent_format
from abmxl.io.xlwings_charts import add_chart, apply_print_setup
from abmxl.schema import OUTPUT_SHEETS
from abmxl.template import LITE_BUTTON

ALERT_TITLE = "abmxl: Refresh funnel"


def refresh(book: xw.Book | None = None) -> FunnelSummary | None:
    """Rebuild the Funnel Summary and Account Scores sheets of an open workbook.

    Runs ``abmxl.pipeline.run_refresh``, the refresh of every door, reading
    with ``read_book`` and writing with ``render_sheet``.

    Parameters
    ----------
    book : xlwings.Book, optional
        The workbook; default ``xw.Book.caller()``, the workbook whose button
        ran the macro.

    Returns
    -------
    FunnelSummary or None
        The summary written, or ``None`` when the refresh failed. A failure is
        shown in a message box and the status bar, never as a traceback (which
        goes to stderr, the xlwings console); input sheets are never written.
    """
    from abmxl.engine.required import InputError
    from abmxl.pipeline import run_refresh

    if book is None:
        book = xw.Book.caller()
    status = _StatusBar(book)

    def read(say: Callable[[str], None]) -> BookInputs:
        say("reading the input sheets")
        return read_book(book)

    def write(contents: list[SheetContent], say: Callable[[str], None]) -> None:
        for content in contents:
            say(f"writing {content.name}")
            render_sheet(book, content)

    try:
        summary = run_refresh(
            read,
            write,
            today=dt.date.today(),
            now=dt.datetime.now().replace(microsecond=0),
            progress=lambda message: status(f"abmxl: {message} ..."),
        )
    except Exception as error:
        traceback.print_exc(file=sys.stderr)
        message = f"The funnel was not refreshed: {error}"
        if not isinstance(error, InputError | ValueError | KeyError | LookupError | OSError):
            message = f"The funnel was not refreshed ({type(error).__name__}: {error})"
        status(f"abmxl: {message}")
        _alert(book, message)
        return None
    issues = len(summary.issues)
    status(
        f"abmxl: funnel refreshed as of {summary.as_of.isoformat()}: "
        f"{len(summary.accounts):,} accounts, {issues:,} data issue{'s' * (issues != 1)}"
    )
    return summary


@script(button=LITE_BUTTON, name="Refresh funnel")
def refresh_funnel(book: xw.Book) -> None:
    """xlwings Lite: the same refresh, bound to the Lite button on Funnel Summary."""
    refresh(book)


# -- reading ----------------------------------------------------------------------------


def read_tables(book: xw.Book) -> dict[str, RawTable]:
    """Every input table of the book: ``read_book(book).tables``."""
    return read_book(book).tables


def read_book(book: xw.Book) -> BookInputs:
    """The input tables of an open book, found and cut as the file reader does.

    The same rule (``abmxl.engine.sources.find_sources``) and the same cutting
    (``abmxl.io.rawtable``) as ``abmxl.io.reader.read_book``, so the same book
    gives equal ``RawTable``\\ s through both. Values are what xlwings returns,
    made what python-calamine gives for the same cells: a date at midnight is a
    ``datetime.date``, an error value (read as its text) a ``CellError``, empty
    text ``None``. Percent formats are read per column (one call each; a column
    of mixed formats is split in halves until each part has one format); an
    engine that cannot read formats (xlwings Lite, the remote engine) gives
    ``percent=None``.
    """
    sheets = {sheet.name: sheet for sheet in book.sheets}
    listed: dict[str, list[xw.main.Table]] = {}
    for name, sheet in sheets.items():
        try:
            listed[name] = list(sheet.tables)
        except (NotImplementedError, AttributeError, KeyError):
            listed[name] = []  # an engine without ListObjects: sheets only
    inventory = BookInventory(
        tuple(sheets),
        tuple(TableInfo(table.name, name) for name, tables in listed.items() for table in tables),
    )
    tables: dict[str, RawTable] = {}
    for name, source in find_sources(inventory).items():
        sheet = sheets[source.sheet]
        if source.table is None:
            grid = _grid(sheet, sheet.used_range)
            raw = range_raw(source.sheet, source.describe(), grid)
            tables[name] = raw or RawTable(
                source.sheet, pd.DataFrame(dtype=object), source.describe(), False
            )
        else:
            table = next(t for t in listed[source.sheet] if t.name == source.table)
            tables[name] = _read_table(sheet, table, source)
    return BookInputs(book.name, tables, list(sheets))


def _read_table(sheet: xw.Sheet, table: xw.main.Table, source: Source) -> RawTable:
    """The Table's range in one read; header, body and totals rows split here."""
    area = table.range
    header_rows = 1 if table.show_headers else 0
    totals_rows = 1 if table.show_totals else 0
    grid = _grid(sheet, area, skip_rows=header_rows, skip_last=totals_rows)
    end = grid.cells.shape[0] - totals_rows
    body = Grid(
        grid.cells[header_rows:end],
        grid.top + header_rows,
        grid.left,
        None if grid.percent is None else grid.percent[header_rows:end],
    )
    if header_rows:
        header = list(grid.cells[0])
    else:
        header = [column.name for column in table.columns]
    bottom = area.row + area.shape[0] - 1  # 1-based
    used = sheet.used_range
    used_bottom = used.row + used.shape[0] - 1
    below = None
    if used_bottom > bottom:
        right = area.column + area.shape[1] - 1
        below = _grid(
            sheet, sheet.range((bottom + 1, area.column), (used_bottom, right)), formats=False
        )
    return table_raw(source.sheet, source.describe(), header, body, below=below)


# err_to_str: an error cell arrives as its text ("#DIV/0!"), made a CellError below,
# so the engine reports it instead of taking it for a blank.
_VALUES = {"ndim": 2, "empty": None, "err_to_str": True}
_ERROR_TEXTS = frozenset(
    {
        "#DIV/0!",
        "#N/A",
        "#NAME?",
        "#NULL!",
        "#NUM!",
        "#REF!",
        "#VALUE!",
        "#GETTING_DATA",
        "#SPILL!",
        "#CALC!",
        "#FIELD!",
        "#BLOCKED!",
        "#CONNECT!",
        "#BUSY!",
        "#UNKNOWN!",
    }
)


def _grid(
    sheet: xw.Sheet, area: xw.Range, *, skip_rows: int = 0, skip_last: int = 0, formats: bool = True
) -> Grid:
    """The cells of ``area`` as the file reader holds them, and their percent flags
    (looked up for the rows between the first ``skip_rows`` and the last ``skip_last``:
    a Table's body)."""
    values = area.options(**_VALUES).value or [[]]
    width = max(len(row) for row in values)
    cells = np.empty((len(values), width), dtype=object)
    if width:
        cells[:] = values
    cells = _as_file_values(cells)
    top, left = area.row - 1, area.column - 1
    percent = None
    if formats and cells.size:
        percent = _percent_flags(sheet, top, left, cells.shape, skip_rows, skip_last)
    return Grid(cells, top, left, percent)


def _as_file_values(cells: np.ndarray) -> np.ndarray:
    """xlwings values -> what python-calamine gives for the same cells (vectorized by type)."""
    if not cells.size:
        return cells
    flat = cells.reshape(-1)  # a view: the edits below are the cells'
    kinds = np.frompyfunc(type, 1, 1)(flat)
    text = np.flatnonzero(np.equal(kinds, str))
    if len(text):
        texts = flat[text]
        flat[text[texts == ""]] = None
        errors = pd.Series(texts, dtype=object).isin(_ERROR_TEXTS).to_numpy()
        if errors.any():
            flat[text[errors]] = [CellError(value) for value in texts[errors]]
    stamps = np.flatnonzero(np.equal(kinds, dt.datetime))
    if len(stamps):
        moments = pd.DatetimeIndex(list(flat[stamps]))
        midnight = np.asarray(moments.tz is None) & np.asarray(moments == moments.normalize())
        flat[stamps[midnight]] = moments[midnight].date
    return cells


def _percent_flags(
    sheet: xw.Sheet,
    top: int,
    left: int,
    shape: tuple[int, int],
    skip_rows: int,
    skip_last: int,
) -> np.ndarray | None:
    """True where a cell's number format is a percentage; None when the engine cannot say."""
    flags = np.zeros(shape, dtype=bool)
    first, last = skip_rows, shape[0] - 1 - skip_last
    if last < first:
        return flags
    try:
        for col in range(shape[1]):
            _mark_percent(sheet, flags, top, left, col, first, last)
    except (NotImplementedError, AttributeError):
        return None
    return flags


def _mark_percent(
    sheet: xw.Sheet, flags: np.ndarray, top: int, left: int, col: int, first: int, last: int
) -> None:
    """One call for rows ``first..last`` of column ``col``; halves while the format is mixed
    (Excel answers None for a range whose cells have different formats)."""
    area = sheet.range((top + first + 1, left + col + 1), (top + last + 1, left + col + 1))
    code = area.number_format
    if code is not None:
        if is_percent_format(code):
            flags[first : last + 1, col] = True
        return
    if first == last:
        return
    middle = (first + last) // 2
    _mark_percent(sheet, flags, top, left, col, first, middle)
    _mark_percent(sheet, flags, top, left, col, middle + 1, last)


# -- writing ----------------------------------------------------------------------------


def render_sheet(book: xw.Book, content: SheetContent) -> None:
    """Draw one output sheet: clear what the last refresh wrote, then write ``content``.

    The sheet is created when missing (after the output sheet before it, else at
    the end). Shapes and buttons on it
    stay; tables are removed by deleting their cells, charts of the same name
    are deleted.
    """
    sheet = _output_sheet(book, content.name)
    _clear(sheet, content)
    for column, width in content.column_widths.items():
        _try(lambda c=column, w=width: setattr(sheet.range((1, c + 1)), "column_width", w))
    for cell in content.cells:
        target = sheet.range((cell.row + 1, cell.col + 1))
        target.value = _excel_value(cell.value)
        if cell.number_format:
            target.number_format = cell.number_format
        if cell.bold:
            _try(lambda t=target: setattr(t.font, "bold", True))
        if cell.font_size:
            _try(lambda t=target, s=cell.font_size: setattr(t.font, "size", s))
    for table in content.tables:
        _write_table(sheet, table)
    for chart in content.charts:
        _try(lambda c=chart: add_chart(sheet, c))
    if content.print_setup is not None:
        apply_print_setup(sheet, content.print_setup)
    if content.freeze_rows:
        _try(lambda: sheet.freeze_panes.freeze_at((content.freeze_rows + 1, 1)))


def _output_sheet(book: xw.Book, name: str) -> xw.Sheet:
    """The output sheet ``name``; a missing one is added right after the output sheet
    before it (``schema.OUTPUT_SHEETS`` order: an older book without Trends gets it
    after Funnel Summary), or at the end when there is none."""
    sheets = {sheet.name.casefold(): sheet for sheet in book.sheets}
    if name.casefold() in sheets:
        return sheets[name.casefold()]
    earlier = OUTPUT_SHEETS[: OUTPUT_SHEETS.index(name)] if name in OUTPUT_SHEETS else ()
    anchor = next(
        (sheets[other.casefold()] for other in reversed(earlier) if other.casefold() in sheets),
        book.sheets[len(book.sheets) - 1],
    )
    return book.sheets.add(name=name, after=anchor)


def _clear(sheet: xw.Sheet, content: SheetContent) -> None:
    try:
        old_tables = list(sheet.tables)
    except (NotImplementedError, AttributeError):
        old_tables = []
    # Deleting a table's cells deletes the table (Excel and Office.js alike); last first,
    # so the indices of the ones still to delete stay valid.
    for table in reversed(old_tables):
        _try(lambda t=table: t.range.delete(shift="up"))
    chart_names = {chart.name for chart in content.charts}
    try:
        old_charts = [chart for chart in sheet.charts if chart.name in chart_names]
    except (NotImplementedError, AttributeError):
        old_charts = []
    for chart in reversed(old_charts):
        _try(chart.delete)
    sheet.clear()


def _write_table(sheet: xw.Sheet, table: Table) -> None:
    n_cols = len(table.header)
    rows = [list(map(_excel_value, row)) for row in table.rows] or [[None] * n_cols]
    top, left = table.row + 1, table.col + 1
    bottom = top + len(rows)
    sheet.range((top, left)).value = [list(table.header), *rows]
    for offset, number_format in enumerate(table.column_formats or ()):
        if number_format:
            column = sheet.range((top + 1, left + offset), (bottom, left + offset))
            column.number_format = number_format
    for row_offset, formats in enumerate(table.cell_formats or ()):
        for col_offset, number_format in enumerate(formats):
            if number_format:
                cell = sheet.range((top + 1 + row_offset, left + col_offset))
                cell.number_format = number_format
    area = sheet.range((top, left), (bottom, left + n_cols - 1))
    sheet.tables.add(source=area, name=table.name, table_style_name=table.style, has_headers=True)


def _excel_value(value: object) -> object:
    """A content value as xlwings should write it.

    Text gets Excel's leading apostrophe so that it is stored as typed: never a
    formula (``=...``), never a number or date Excel would parse out of it
    (``00123``, ``1-2``). ``nan`` and infinities are an empty cell.
    """
    if isinstance(value, str):
        return "'" + value if value else None
    if isinstance(value, float) and not math.isfinite(value):
        return None  # nan and +-inf: an empty cell, as the file writer leaves it
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


# -- Excel's status bar and message box ---------------------------------------------------


class _StatusBar:
    """Writes to Excel's status bar where the engine has one (Office.js has not)."""

    def __init__(self, book: xw.Book) -> None:
        self._book = book
        self._available = True

    def __call__(self, text: str) -> None:
        if not self._available:
            return
        try:
            self._book.app.status_bar = text
        except (NotImplementedError, AttributeError):
            self._available = False


def _alert(book: xw.Book, message: str) -> None:
    try:
        book.app.alert(message, title=ALERT_TITLE, buttons="ok", mode="critical")
    except Exception:  # no message box on this engine: the status bar and stderr remain
        traceback.print_exc(file=sys.stderr)


def _try(action: object) -> None:
    """Formatting an engine may not support (fonts, widths, chart axes) is best effort."""
    try:
        action()  # type: ignore[operator]
    except (NotImplementedError, AttributeError):
        pass


__all__: Sequence[str] = ("read_book", "read_tables", "refresh", "refresh_funnel", "render_sheet")
