"""What every output sheet shares: number formats, table names and row conversion."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from abmxl.io.content import (
    FMT_CURRENCY,
    FMT_DATE,
    FMT_DAYS,
    FMT_DECIMAL,
    FMT_INTEGER,
    FMT_PERCENT,
)
from abmxl.schema import SEGMENTS

STAGES_TABLE = "FunnelStages"
KPIS_TABLE = "FunnelKPIs"
ISSUES_TABLE = "DataIssues"
ACCOUNTS_TABLE = "AccountScores"
LIFT_TABLE = "FunnelLift"
VELOCITY_TABLE = "StageVelocity"
INPUTS_TABLE = "Inputs"
FUNNEL_CHART = "abmxl funnel"

# 0-based anchors of the Funnel Summary blocks (layout/funnel_summary.py).
CHART_ROW = 6
CHART_HEIGHT = 24  # rows: 25 columns with a label each, none on top of another
STAGES_ROW = CHART_ROW + CHART_HEIGHT + 2
RATES_ROW = STAGES_ROW + 9
KPIS_ROW = RATES_ROW + 9
RIGHT_COL = 9  # FunnelLift, StageVelocity and Inputs sit right of the funnel
# (column J), so their long texts get wide columns of their own.
VELOCITY_ROW = 36
# DataIssues sits below both blocks, from column F: its two long texts
# (Problem, Action) then fall in J and K, the right block's text columns, and
# the leader's numeric columns keep their width.
ISSUES_COL = 5
# Inputs below StageVelocity from column K: Input and Source in the text
# columns K and L, its counts in the narrow numeric columns M and N.
INPUTS_COL = RIGHT_COL + 1

INPUTS_COLUMNS = ("Input", "Source", "Rows read", "Rows skipped", "Columns")

FMT_SCORE = "#,##0.0"
FMT_RATIO = '0.00"x"'
FMT_CHANGE = "+0%;-0%;0%"

# FunnelLift: Lift, Low, High are ratios; Value, Non-target and Difference take
# the measure's own format (lift_row_format).
LIFT_FORMATS = (FMT_RATIO, FMT_RATIO, FMT_RATIO)
VELOCITY_FORMATS = ("@", "@", FMT_INTEGER, FMT_DAYS, FMT_DAYS)

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
    "spiking_accounts": FMT_INTEGER,
    "surging_accounts": FMT_INTEGER,
    "sourced_pipeline": FMT_CURRENCY,
    "influenced_pipeline": FMT_CURRENCY,
    "sourced_pipeline_pct": FMT_PERCENT,
    "influenced_pipeline_pct": FMT_PERCENT,
    "sourced_revenue_won": FMT_CURRENCY,
    "influenced_revenue_won": FMT_CURRENCY,
}

ACCOUNT_SCORE_FORMATS: dict[str, str] = {
    "tier": "0",
    "engagement_score": FMT_SCORE,
    "first_touch": FMT_DATE,
    "open_pipeline": FMT_CURRENCY,
    "won_amount": FMT_CURRENCY,
    "engaged_date": FMT_DATE,
    "opportunity_date": FMT_DATE,
    "won_date": FMT_DATE,
    "retained_date": FMT_DATE,
    "expanded_date": FMT_DATE,
    "recent_engagement": FMT_SCORE,
    "baseline_engagement": FMT_SCORE,
    "engagement_trend": FMT_CHANGE,
    "sourced_pipeline": FMT_CURRENCY,
    "influenced_pipeline": FMT_CURRENCY,
}


def lift_row_format(measure: str) -> str:
    """Number format of a FunnelLift row's Value, Non-target and Difference."""
    return kpi_format(measure)


def kpi_format(key: str) -> str:
    """The number format a KPI is shown with (Excel format code)."""
    return KPI_FORMATS.get(key, FMT_DECIMAL)


def table_rows(frame: pd.DataFrame, columns: Sequence[str]) -> list[tuple]:
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


# Column widths from the content: Excel's width unit is one digit of the
# default font, so the longest shown text (plus a margin) is the width.
_WIDTH_MARGIN = 2
MIN_WIDTH = 10  # a short header and its filter button
MAX_WIDTH = 48  # a longer text is cut at the next non-empty cell, not the layout


def shown_length(value: object, number_format: str | None) -> int:
    """About how many characters Excel shows for ``value`` in ``number_format``."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return 0
    if isinstance(value, dt.datetime):
        return 16  # yyyy-mm-dd hh:mm
    if isinstance(value, dt.date):
        return 10
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        return len(str(value))
    fmt = number_format or ""
    number = float(value)
    if "%" in fmt:
        decimals = len(fmt.split(".")[1].split("%")[0]) if "." in fmt else 0
        return len(f"{number * 100:,.{decimals}f}") + 1
    if fmt.startswith("$"):
        return len(f"{number:,.0f}") + 1
    decimals = len(fmt.split(".")[1].split('"')[0].split(" ")[0]) if "." in fmt else 0
    literal = re.sub(r"[#0,.]", "", fmt.split(";")[0]).replace('"', "")  # ' days', 'x'
    return len(f"{number:,.{decimals}f}") + len(literal)


def content_widths(cells: Sequence, tables: Sequence) -> dict[int, float]:
    """Each used column's width: its longest header or value, capped at ``MAX_WIDTH``.

    Loose text cells (titles above the tables) overflow into the empty cells
    to their right, so they set no width; loose numbers and dates do.
    """
    longest: dict[int, int] = {}

    def see(col: int, length: int) -> None:
        longest[col] = max(longest.get(col, 0), length)

    for cell in cells:
        if not isinstance(cell.value, str):
            see(cell.col, shown_length(cell.value, cell.number_format))
    for table in tables:
        for j, name in enumerate(table.header):
            see(table.col + j, len(str(name)) + 2)  # room for the filter button
        for i, row in enumerate(table.rows):
            for j, value in enumerate(row):
                fmt = None
                if table.cell_formats is not None:
                    fmt = table.cell_formats[i][j]
                if fmt is None and table.column_formats is not None:
                    fmt = table.column_formats[j]
                see(table.col + j, shown_length(value, fmt))
    return {
        col: float(min(max(length + _WIDTH_MARGIN, MIN_WIDTH), MAX_WIDTH))
        for col, length in longest.items()
    }
