"""A neutral description of what a refresh writes into a sheet.

``abmxl.io.layout`` turns a ``FunnelSummary`` into ``SheetContent``; two writers
render it: ``abmxl.io.xlsx_writer`` into the .xlsx/.xlsm file (headless) and
``abmxl.excel`` through xlwings into an open workbook. Coordinates are 0-based
(row, column); values are ``str`` (always written as text, never as a formula),
``int``/``float`` (``nan`` = empty cell), ``bool``, ``datetime.date``/``datetime``
or ``None`` (empty).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

CellValue = object

# Excel number formats used by the outputs.
FMT_INTEGER = "#,##0"
FMT_DECIMAL = "#,##0.00"
FMT_PERCENT = "0.0%"
FMT_CURRENCY = "$#,##0"
FMT_DAYS = '#,##0.0 "days"'
FMT_DATE = "yyyy-mm-dd"
FMT_DATETIME = "yyyy-mm-dd hh:mm"


@dataclass
class Cell:
    row: int
    col: int
    value: CellValue
    number_format: str | None = None
    bold: bool = False
    font_size: float | None = None


@dataclass
class Table:
    """An Excel Table (ListObject) with a header row at ``(row, col)``.

    ``rows`` is row-major; ``cell_formats`` optionally gives a number format per
    body cell (same shape as ``rows``, ``None`` = the column's format), for
    tables such as FunnelKPIs whose rows hold different units.
    """

    name: str
    row: int
    col: int
    header: Sequence[str]
    rows: Sequence[Sequence[CellValue]]
    column_formats: Sequence[str | None] | None = None
    cell_formats: Sequence[Sequence[str | None]] | None = None
    style: str = "TableStyleMedium2"

    @property
    def last_row(self) -> int:
        # A table needs at least one body row; an empty table keeps one empty row.
        return self.row + max(len(self.rows), 1)

    @property
    def last_col(self) -> int:
        return self.col + len(self.header) - 1


@dataclass
class BarChart:
    """A horizontal bar chart (the funnel), categories top to bottom.

    ``categories`` and ``values`` are (first_row, col, last_row) ranges on the
    same sheet, 0-based.
    """

    name: str
    title: str
    categories: tuple[int, int, int]
    values: tuple[int, int, int]
    series_name: str
    row: int
    col: int
    width_cols: int = 8
    height_rows: int = 16


@dataclass
class SheetContent:
    name: str
    cells: list[Cell] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[BarChart] = field(default_factory=list)
    column_widths: dict[int, float] = field(default_factory=dict)
    freeze_rows: int = 0
