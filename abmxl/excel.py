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
from collections.abc import Sequence

import pandas as pd
import xlwings as xw
from xlwings import script

from abmxl import schema
from abmxl.engine.model import FunnelSummary, RawTable
from abmxl.io.content import SheetContent, Table
from abmxl.io.xlwings_charts import add_chart, apply_print_setup
from abmxl.template import LITE_BUTTON

ALERT_TITLE = "abmxl: Refresh funnel"


def refresh(book: xw.Book | None = None) -> FunnelSummary | None:
    """Rebuild the Funnel Summary and Account Scores sheets of an open workbook.

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
    from abmxl.engine import build_summary
    from abmxl.engine.required import InputError, check_required
    from abmxl.io.layout import build_output_sheets

    if book is None:
        book = xw.Book.caller()
    status = _StatusBar(book)
    try:
        status("abmxl: reading the input sheets ...")
        tables = read_tables(book)
        check_required(tables, book.name, [sheet.name for sheet in book.sheets])
        status("abmxl: computing the funnel ...")
        summary = build_summary(tables, today=dt.date.today())
        summary.refreshed_at = dt.datetime.now().replace(microsecond=0)
        contents = build_output_sheets(summary)
        for content in contents:
            status(f"abmxl: writing {content.name} ...")
            render_sheet(book, content)
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


def read_tables(book: xw.Book) -> dict[str, RawTable | None]:
    """Every input sheet of the book as a ``RawTable`` (``None`` when the sheet is absent).

    The table (ListObject) named like the sheet is read when there is one;
    otherwise the sheet's used range, its first row being the header. Values
    are what xlwings returns for the cells: ``None`` for empty cells, floats,
    strings, booleans and datetimes.
    """
    sheets = {sheet.name: sheet for sheet in book.sheets}
    tables: dict[str, RawTable | None] = {}
    for name in schema.INPUT_SHEETS:
        # The file reader's rule: "Channel Weights" is the ChannelWeights sheet.
        found = schema.match_name(name, sheets)
        tables[name] = None if found is None else _read_sheet_table(sheets[found], name)
    return tables


def _read_sheet_table(sheet: xw.Sheet, name: str) -> RawTable:
    area = _table_range(sheet, name)
    # err_to_str: an error cell arrives as its text ("#DIV/0!"), as from the file
    # reader, so the engine reports it instead of taking it for a blank.
    options = {"ndim": 2, "empty": None, "err_to_str": True}
    values = area.options(**options).value if area is not None else [[]]
    if not values or not values[0] or all(v is None for v in values[0]):
        return RawTable(sheet.name, pd.DataFrame(dtype=object))
    header, body = values[0], values[1:]
    first_row = area.row + 1
    frame = pd.DataFrame(
        body,
        columns=pd.Index(header, dtype=object),
        index=pd.RangeIndex(first_row, first_row + len(body)),
        dtype=object,
    )
    return RawTable(sheet.name, frame)


def _table_range(sheet: xw.Sheet, name: str) -> xw.Range | None:
    """The range of the table named ``name`` on the sheet, else the sheet's used range."""
    try:
        for table in sheet.tables:
            if schema.match_name(name, [table.name]):
                return table.range
    except (NotImplementedError, AttributeError, KeyError):
        pass  # an engine without ListObjects: fall back to the used range
    used = sheet.used_range
    return used


# -- writing ----------------------------------------------------------------------------


def render_sheet(book: xw.Book, content: SheetContent) -> None:
    """Draw one output sheet: clear what the last refresh wrote, then write ``content``.

    The sheet is created (at the end) when missing. Shapes and buttons on it
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
    for sheet in book.sheets:
        if sheet.name.casefold() == name.casefold():
            return sheet
    return book.sheets.add(name=name, after=book.sheets[len(book.sheets) - 1])


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


__all__: Sequence[str] = ("read_tables", "refresh", "refresh_funnel", "render_sheet")
