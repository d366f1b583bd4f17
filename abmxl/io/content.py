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
from typing import Literal

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

    def to_chart(self) -> Chart:
        """The same chart as a one-series ``Chart`` (what both renderers draw)."""
        return Chart(
            name=self.name,
            title=self.title,
            categories=self.categories,
            series=[ChartSeries(self.series_name, self.values)],
            direction="bar",
            row=self.row,
            col=self.col,
            width_cols=self.width_cols,
            height_rows=self.height_rows,
            legend=False,
        )


CellRange = tuple[int, int, int]
"""(first_row, col, last_row), 0-based, on the sheet that holds the chart."""


@dataclass
class ChartSeries:
    """One series of a ``Chart``: its values, name, and how it is drawn.

    ``kind`` ``bar`` is drawn as bars (horizontal in a ``bar`` chart, vertical
    columns in a ``column`` chart); ``line`` as a line, so a ``column`` chart
    with a ``line`` series is the column-and-line combo. ``secondary_axis``
    puts the series on a second value axis (right-hand side), for a rate shown
    beside amounts. ``number_format`` is the data labels' and the axis' format.
    """

    name: str
    values: CellRange
    kind: Literal["bar", "line"] = "bar"
    secondary_axis: bool = False
    number_format: str | None = None


@dataclass
class Chart:
    """A chart of one or more series over shared categories.

    ``direction`` ``bar`` draws horizontal bars with the first category on
    top (a funnel); ``column`` draws vertical columns, categories left to
    right (periods). Several ``bar`` series are clustered side by side.
    """

    name: str
    title: str
    categories: CellRange
    series: Sequence[ChartSeries]
    direction: Literal["bar", "column"] = "bar"
    row: int = 0
    col: int = 0
    width_cols: int = 8
    height_rows: int = 16
    data_labels: bool = True
    legend: bool = True

    def to_chart(self) -> Chart:
        return self


def as_chart(chart: BarChart | Chart) -> Chart:
    """Either kind of chart as a ``Chart``."""
    return chart.to_chart()


@dataclass
class PrintSetup:
    """How the sheet prints: orientation and fit-to-page (Excel's Page Setup)."""

    landscape: bool = True
    fit_width: int = 1  # pages wide; 0 = as many as needed
    fit_height: int = 1  # pages tall; 0 = as many as needed


@dataclass
class SheetContent:
    name: str
    cells: list[Cell] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[BarChart | Chart] = field(default_factory=list)
    column_widths: dict[int, float] = field(default_factory=dict)
    freeze_rows: int = 0
    print_setup: PrintSetup | None = None
