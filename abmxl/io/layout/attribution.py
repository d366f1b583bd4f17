"""The Attribution sheet: what drove pipeline and revenue (analytics.md section 8).

Attribution, top to bottom (rows are 1-based as Excel shows them)::

    A1        title
    A2        the Settings model, window and half-life
    A4        Attribution (one row per model and channel)
    K4        chart: Revenue by channel for the Settings model

The rows of one model are contiguous in the table, so the chart reads the
Channel and Revenue cells of the Settings model's block directly.
"""

from __future__ import annotations

from abmxl.engine.attribution import ATTRIBUTION_COLUMNS
from abmxl.engine.model import FunnelSummary
from abmxl.io.content import (
    FMT_CURRENCY,
    FMT_DAYS,
    FMT_DECIMAL,
    Cell,
    Chart,
    ChartSeries,
    PrintSetup,
    SheetContent,
    Table,
)
from abmxl.io.layout.common import FMT_RATIO, content_widths, table_rows
from abmxl.schema import ATTRIBUTION_SHEET

ATTRIBUTION_TABLE = "Attribution"
ATTRIBUTION_CHART = "abmxl attribution"
TABLE_ROW = 3  # 0-based: the header on row 4
CHART_COL = len(ATTRIBUTION_COLUMNS) + 1  # one empty column right of the table

ATTRIBUTION_FORMATS: dict[str, str | None] = {
    "Model": "@",
    "Channel": "@",
    "Opportunities": FMT_DECIMAL,
    "Pipeline": FMT_CURRENCY,
    "Won deals": FMT_DECIMAL,
    "Revenue": FMT_CURRENCY,
    "Avg days to close": FMT_DAYS,
    "Spend": FMT_CURRENCY,
    "ROI": FMT_RATIO,
}
_WIDTHS = (12, 20, 14, 16, 12, 16, 18, 14, 10)


def _days(value: float) -> str:
    return f"{value:g} day" + ("" if value == 1 else "s")


def attribution_sheet(summary: FunnelSummary) -> SheetContent:
    """The Attribution sheet of a refresh (an empty table when there is none)."""
    header = list(ATTRIBUTION_COLUMNS)
    frame = summary.attribution
    rows = table_rows(frame, header) if frame is not None else []
    model = summary.attribution_model
    subtitle = (
        f"Chart: {model} model. Journeys: touches from {_days(summary.attribution_window_days)} "
        f"before an opportunity is created; time_decay half-life "
        f"{_days(summary.attribution_half_life_days)}."
    )
    charts = []
    block = [i for i, row in enumerate(rows) if row[0] == model]
    if block:
        first, last = TABLE_ROW + 1 + block[0], TABLE_ROW + 1 + block[-1]
        charts.append(
            Chart(
                name=ATTRIBUTION_CHART,
                title=f"Revenue by channel ({model})",
                categories=(first, header.index("Channel"), last),
                series=[
                    ChartSeries(
                        name="Revenue",
                        values=(first, header.index("Revenue"), last),
                        number_format=FMT_CURRENCY,
                    )
                ],
                direction="bar",
                row=TABLE_ROW,
                col=CHART_COL,
                width_cols=10,
                # Two rows a channel: each bar and its label read on a slide.
                height_rows=max(22, 2 * len(block) + 6),
                legend=False,
            )
        )
    table = Table(
        ATTRIBUTION_TABLE,
        TABLE_ROW,
        0,
        header,
        rows,
        [ATTRIBUTION_FORMATS[column] for column in header],
    )
    # Widths from the content (a model name or channel is never cut), at least
    # the old fixed widths so a short book does not look cramped.
    widths = content_widths([], [table])
    widths = {col: max(width, widths.get(col, 0)) for col, width in enumerate(_WIDTHS)}
    return SheetContent(
        name=ATTRIBUTION_SHEET,
        cells=[
            Cell(0, 0, "What drove pipeline and revenue", bold=True, font_size=16),
            Cell(1, 0, subtitle),
        ],
        tables=[table],
        charts=charts,
        column_widths=widths,
        freeze_rows=TABLE_ROW + 1,
        # One landscape page: seven models of a dozen channels still read well.
        print_setup=PrintSetup(landscape=True, fit_width=1, fit_height=1),
    )
