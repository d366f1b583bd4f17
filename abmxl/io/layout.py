"""Where a refresh puts things: ``FunnelSummary`` -> the two output sheets.

Both renderers (the headless zip writer and the xlwings writer inside Excel)
draw exactly this, so the file a CLI refresh writes and the sheet the Excel
button fills look the same.

Funnel Summary, top to bottom (rows are 1-based as Excel shows them)::

    A1        title
    A2:B4     as-of date, refresh time, number of data issues
    A6:H21    funnel chart of the All targets counts (bars, top-down)
    A23       FunnelStages  (7 rows)
    A32       FunnelKPIs    (one row per KPI key)
    J23       DataIssues    (one row per skipped or repaired input row)

Columns D:H of rows 1-4 hold no values, so a Refresh button the template
places there never covers a number.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from abmxl.engine.model import FunnelSummary
from abmxl.io.content import (
    FMT_CURRENCY,
    FMT_DATE,
    FMT_DATETIME,
    FMT_DAYS,
    FMT_DECIMAL,
    FMT_INTEGER,
    FMT_PERCENT,
    BarChart,
    Cell,
    SheetContent,
    Table,
)
from abmxl.schema import (
    ACCOUNT_SCORES_COLUMNS,
    ACCOUNT_SCORES_SHEET,
    FUNNEL_SUMMARY_SHEET,
    ISSUE_COLUMNS,
    SEGMENTS,
)

STAGES_TABLE = "FunnelStages"
KPIS_TABLE = "FunnelKPIs"
ISSUES_TABLE = "DataIssues"
ACCOUNTS_TABLE = "AccountScores"
FUNNEL_CHART = "abmxl funnel"

# 0-based anchors of the Funnel Summary blocks.
CHART_ROW = 5
STAGES_ROW = 22
KPIS_ROW = STAGES_ROW + 9
ISSUES_COL = 9  # DataIssues sits right of the funnel tables (column J), so its
# long texts get wide columns of their own and the list can grow freely.

FMT_SCORE = "#,##0.0"
FMT_RATIO = '0.00"x"'

# The FunnelStages table: its columns and the number format of each (the CLI
# prints the same table with the same formats).
STAGE_COLUMNS = ("Stage", *SEGMENTS, "Conversion", "In stage now")
STAGE_FORMATS = ("@", *[FMT_INTEGER] * len(SEGMENTS), FMT_PERCENT, FMT_INTEGER)

# Number format of each FunnelKPIs row, by key. Keys not listed are plain decimals.
KPI_FORMATS: dict[str, str] = {
    "target_accounts": FMT_INTEGER,
    "tam": FMT_CURRENCY,
    "engaged_accounts": FMT_INTEGER,
    "engaged_pct": FMT_PERCENT,
    "avg_engagement_score": FMT_SCORE,
    "opportunity_accounts": FMT_INTEGER,
    "opportunity_rate": FMT_PERCENT,
    "open_pipeline": FMT_CURRENCY,
    "won_accounts": FMT_INTEGER,
    "account_win_rate": FMT_PERCENT,
    "win_rate": FMT_PERCENT,
    "new_revenue_won": FMT_CURRENCY,
    "new_acv_won": FMT_CURRENCY,
    "avg_deal_size": FMT_CURRENCY,
    "avg_sales_cycle_days": FMT_DAYS,
    "avg_days_to_opportunity": FMT_DAYS,
    "avg_touches_per_won_account": FMT_SCORE,
    "pipeline_velocity": FMT_CURRENCY,
    "total_spend": FMT_CURRENCY,
    "cost_per_engaged_account": FMT_CURRENCY,
    "cost_per_opportunity_account": FMT_CURRENCY,
    "cost_per_won_account": FMT_CURRENCY,
    "renewal_rate": FMT_PERCENT,
    "churn_rate": FMT_PERCENT,
    "expansion_revenue_won": FMT_CURRENCY,
    "total_revenue_won": FMT_CURRENCY,
    "avg_acv": FMT_CURRENCY,
    "clv": FMT_CURRENCY,
    "ltv_to_cac": FMT_RATIO,
    "nps": FMT_SCORE,
    "account_penetration": FMT_PERCENT,
}

ACCOUNT_SCORE_FORMATS: dict[str, str] = {
    "tier": "0",
    "engagement_score": FMT_SCORE,
    "first_touch": FMT_DATE,
    "open_pipeline": FMT_CURRENCY,
    "won_amount": FMT_CURRENCY,
}


def kpi_format(key: str) -> str:
    """The number format a KPI is shown with (Excel format code)."""
    return KPI_FORMATS.get(key, FMT_DECIMAL)


def build_output_sheets(summary: FunnelSummary) -> list[SheetContent]:
    """Both output sheets of a refresh, ready for a renderer."""
    return [funnel_summary_sheet(summary), account_scores_sheet(summary)]


def funnel_summary_sheet(summary: FunnelSummary) -> SheetContent:
    stages = summary.stages
    stage_rows = _rows(stages.reset_index(names="Stage"), STAGE_COLUMNS)

    kpis = summary.kpis
    kpi_header = ["Key", "KPI", *SEGMENTS]
    kpi_rows = _rows(kpis.reset_index(names="Key"), kpi_header)
    kpi_cell_formats = [[None, None, *[kpi_format(key)] * len(SEGMENTS)] for key in kpis.index]

    issue_rows = _rows(summary.issues, list(ISSUE_COLUMNS))
    n_issues = len(issue_rows)

    first_stage, last_stage = STAGES_ROW + 1, STAGES_ROW + len(stage_rows)
    return SheetContent(
        name=FUNNEL_SUMMARY_SHEET,
        cells=[
            Cell(0, 0, "ABM funnel summary", bold=True, font_size=16),
            Cell(1, 0, "As of", bold=True),
            Cell(1, 1, summary.as_of, FMT_DATE),
            Cell(2, 0, "Refreshed", bold=True),
            Cell(2, 1, summary.refreshed_at, FMT_DATETIME),
            Cell(3, 0, "Data issues", bold=True),
            Cell(3, 1, n_issues, FMT_INTEGER),
            Cell(STAGES_ROW - 1, 0, "Funnel by segment", bold=True),
            Cell(KPIS_ROW - 1, 0, "KPIs by segment", bold=True),
            Cell(
                STAGES_ROW - 1,
                ISSUES_COL,
                "Data issues: input rows that were skipped or repaired",
                bold=True,
            ),
        ],
        tables=[
            Table(STAGES_TABLE, STAGES_ROW, 0, STAGE_COLUMNS, stage_rows, STAGE_FORMATS),
            Table(KPIS_TABLE, KPIS_ROW, 0, kpi_header, kpi_rows, cell_formats=kpi_cell_formats),
            Table(ISSUES_TABLE, STAGES_ROW, ISSUES_COL, list(ISSUE_COLUMNS), issue_rows),
        ],
        charts=[
            BarChart(
                name=FUNNEL_CHART,
                title="Funnel: All targets",
                categories=(first_stage, 0, last_stage),
                values=(first_stage, 1, last_stage),
                series_name="All targets",
                row=CHART_ROW,
                col=0,
                width_cols=8,
                height_rows=16,
            )
        ],
        column_widths={
            **{0: 28, 1: 44, 2: 14, 3: 14, 4: 14, 5: 14, 6: 14, 7: 14},
            # DataIssues: Sheet, Row, Column, Value, Problem, Action
            **dict(zip(range(ISSUES_COL, ISSUES_COL + 6), (14, 8, 16, 20, 34, 38), strict=True)),
        },
    )


def account_scores_sheet(summary: FunnelSummary) -> SheetContent:
    header = list(ACCOUNT_SCORES_COLUMNS)
    formats = [ACCOUNT_SCORE_FORMATS.get(column) for column in header]
    widths = {i: max(12.0, len(column) + 4.0) for i, column in enumerate(header)}
    widths[1] = 32.0
    return SheetContent(
        name=ACCOUNT_SCORES_SHEET,
        tables=[Table(ACCOUNTS_TABLE, 0, 0, header, _rows(summary.accounts, header), formats)],
        column_widths=widths,
        freeze_rows=1,
    )


def _rows(frame: pd.DataFrame, columns: Sequence[str]) -> list[tuple]:
    """Row tuples of plain Python values: no numpy scalars; NaT, NA -> None.

    Float ``nan`` is left as is: the renderers write no cell for it.
    """
    return list(zip(*(_plain(frame[column]) for column in columns), strict=True))


def _plain(series: pd.Series) -> list:
    missing = series.isna().to_numpy()
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        present = series[~missing]
        # Whole days become dates (shown as dates), anything else datetimes.
        whole_days = bool((present == present.dt.normalize()).all())
        values = np.asarray(series.dt.date if whole_days else series.dt.to_pydatetime(), object)
    elif series.dtype == object or isinstance(series.dtype, pd.api.extensions.ExtensionDtype):
        values = series.to_numpy(dtype=object)
    else:  # numpy bool, int and float columns: tolist() gives Python scalars
        return series.tolist()
    if missing.any():
        values = values.copy()
        values[missing] = None
    return values.tolist()
