"""The Trends sheet: what changed by period, and since the last period.

Trends, top to bottom (rows are 1-based as Excel shows them)::

    A1        title
    A2:B4     as-of date, the periods shown, the progression's start date (D)
    A6:J27    chart: pipeline created and new revenue won per period (columns)
              with the win rate on a second axis (line), All targets
    L6        Progression         (stage at D x stage now, All targets; 7 rows)
    L15       ProgressionSummary  (progressed / unchanged / regressed; 6 rows)
    A30       Trends              (one row per segment and period)

The Trends table is ordered segment by segment, All targets first and periods
oldest first within each, so the chart reads the first ``trend_periods`` rows
of the table itself: no hidden helper range to keep in step, and an analyst
who filters the table by Segment sees one segment's periods in order.
"""

from __future__ import annotations

from abmxl.engine.model import FunnelSummary
from abmxl.engine.progression import PROGRESSION_SUMMARY_COLUMNS
from abmxl.engine.trends import TREND_MEASURES
from abmxl.io.content import (
    FMT_CURRENCY,
    FMT_DATE,
    FMT_DAYS,
    FMT_INTEGER,
    FMT_PERCENT,
    Cell,
    Chart,
    ChartSeries,
    SheetContent,
    Table,
)
from abmxl.io.layout.common import table_rows
from abmxl.schema import SEGMENTS, STAGES, TRENDS_SHEET

__all__ = ["TREND_COLUMNS", "TREND_FORMATS", "trends_sheet"]

TRENDS_TABLE = "Trends"
PROGRESSION_TABLE = "Progression"
PROGRESSION_SUMMARY_TABLE = "ProgressionSummary"
TRENDS_CHART = "abmxl trends"

# 0-based anchors.
CHART_ROW = 5
CHART_HEIGHT = 22  # rows: tall enough that a quarter's bars read on a slide
TRENDS_ROW = CHART_ROW + CHART_HEIGHT + 2
SIDE_COL = 11  # column L: the progression tables sit right of the chart
PROGRESSION_ROW = 5
SUMMARY_ROW = PROGRESSION_ROW + 9

TREND_COLUMNS: tuple[str, ...] = ("Period", "Segment", *TREND_MEASURES)
TREND_FORMATS: dict[str, str] = {
    "Period": "@",
    "Segment": "@",
    "new_engaged_accounts": FMT_INTEGER,
    "new_opportunity_accounts": FMT_INTEGER,
    "opportunities_created": FMT_INTEGER,
    "pipeline_created": FMT_CURRENCY,
    "new_won_accounts": FMT_INTEGER,
    "won_deals": FMT_INTEGER,
    "new_revenue_won": FMT_CURRENCY,
    "win_rate": FMT_PERCENT,
    "avg_deal_size": FMT_CURRENCY,
    "avg_sales_cycle_days": FMT_DAYS,
    "touches": FMT_INTEGER,
    "spend": FMT_CURRENCY,
}
"""Number format of each Trends column (the CLI may print with the same)."""

_PERIOD_NAMES = {"month": "months", "quarter": "quarters", "year": "years"}


def trends_sheet(summary: FunnelSummary) -> SheetContent:
    """The Trends sheet of a summary that has ``trends`` and ``progression``."""
    trends = summary.trends
    moved = summary.progression
    if trends is None or moved is None:
        raise ValueError("the summary has no Trends (build it with the analytics engine)")
    trend_rows = table_rows(trends, TREND_COLUMNS)
    n_periods = len(trends) // len(SEGMENTS)
    periods = trends["Period"].iloc[:n_periods]
    first_period, last_period = periods.iloc[0], periods.iloc[-1]

    matrix_header = ["From", *STAGES]
    matrix_rows = table_rows(moved.matrix.reset_index(names="From"), matrix_header)
    summary_rows = table_rows(moved.summary, PROGRESSION_SUMMARY_COLUMNS)

    # The chart reads the All targets rows: the table's first n_periods rows.
    first, last = TRENDS_ROW + 1, TRENDS_ROW + n_periods

    def column(name: str) -> int:
        return TREND_COLUMNS.index(name)

    from_date = moved.from_date
    return SheetContent(
        name=TRENDS_SHEET,
        cells=[
            Cell(0, 0, "What changed: trends by period and progression", bold=True, font_size=16),
            Cell(1, 0, "As of", bold=True),
            Cell(1, 1, summary.as_of, FMT_DATE),
            Cell(2, 0, "Periods", bold=True),
            Cell(
                2,
                1,
                f"{n_periods} {_period_word(n_periods, first_period)}: "
                f"{first_period} to {last_period}",
            ),
            Cell(3, 0, "Progression from", bold=True),
            Cell(3, 1, from_date, FMT_DATE),
            Cell(
                PROGRESSION_ROW - 1,
                SIDE_COL,
                f"Progression: All targets accounts by stage on {from_date:%Y-%m-%d} "
                "(rows) and now (columns)",
                bold=True,
            ),
            Cell(
                SUMMARY_ROW - 1,
                SIDE_COL,
                f"Accounts that moved since {from_date:%Y-%m-%d}, by segment",
                bold=True,
            ),
            Cell(
                TRENDS_ROW - 1,
                0,
                "Trends by period and segment (All targets first; records after the "
                "as-of date left out)",
                bold=True,
            ),
        ],
        tables=[
            Table(
                TRENDS_TABLE,
                TRENDS_ROW,
                0,
                TREND_COLUMNS,
                trend_rows,
                [TREND_FORMATS[name] for name in TREND_COLUMNS],
            ),
            Table(
                PROGRESSION_TABLE,
                PROGRESSION_ROW,
                SIDE_COL,
                matrix_header,
                matrix_rows,
                ["@", *[FMT_INTEGER] * len(STAGES)],
            ),
            Table(
                PROGRESSION_SUMMARY_TABLE,
                SUMMARY_ROW,
                SIDE_COL,
                PROGRESSION_SUMMARY_COLUMNS,
                summary_rows,
                ["@", FMT_INTEGER, FMT_INTEGER, FMT_INTEGER],
            ),
        ],
        charts=[
            Chart(
                name=TRENDS_CHART,
                title="Pipeline created and new revenue won: All targets",
                categories=(first, column("Period"), last),
                series=[
                    ChartSeries(
                        "Pipeline created",
                        (first, column("pipeline_created"), last),
                        kind="bar",
                        number_format=FMT_CURRENCY,
                    ),
                    ChartSeries(
                        "New revenue won",
                        (first, column("new_revenue_won"), last),
                        kind="bar",
                        number_format=FMT_CURRENCY,
                    ),
                    ChartSeries(
                        "Win rate",
                        (first, column("win_rate"), last),
                        kind="line",
                        secondary_axis=True,
                        number_format="0%",
                    ),
                ],
                direction="column",
                row=CHART_ROW,
                col=0,
                width_cols=10,
                height_rows=CHART_HEIGHT,
                data_labels=False,
            )
        ],
        # Wide enough for each snake_case header; the progression tables share
        # columns L:R with the Trends table below, which are wider still.
        column_widths={
            0: 18,
            1: 14,
            **{i: max(14, len(name) + 3) for i, name in enumerate(TREND_COLUMNS) if i > 1},
            **{i: 14 for i in range(len(TREND_COLUMNS), SIDE_COL + 1 + len(STAGES))},
        },
    )


def _period_word(n_periods: int, label: str) -> str:
    """``quarters`` for ``2026-Q1``, ``months`` for ``2026-03``, ``years`` for ``2026``."""
    period = "quarter" if "-Q" in label else "month" if "-" in label else "year"
    word = _PERIOD_NAMES[period]
    return word if n_periods != 1 else word[:-1]
