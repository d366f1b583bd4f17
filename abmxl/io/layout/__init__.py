"""Where a refresh puts things: ``FunnelSummary`` -> the output sheets.

Both renderers (the headless zip writer and the xlwings writer inside Excel)
draw exactly this, so the file a CLI refresh writes and the sheet the Excel
button fills look the same. One module per output sheet.
"""

from __future__ import annotations

from abmxl.engine.model import FunnelSummary
from abmxl.io.content import SheetContent
from abmxl.io.layout.account_scores import account_scores_sheet
from abmxl.io.layout.attribution import attribution_sheet
from abmxl.io.layout.common import (
    ACCOUNT_SCORE_FORMATS,
    FMT_RATIO,
    FMT_SCORE,
    KPI_FORMATS,
    STAGE_COLUMNS,
    STAGE_FORMATS,
    kpi_format,
)
from abmxl.io.layout.funnel_summary import funnel_summary_sheet
from abmxl.io.layout.trends import trends_sheet

__all__ = [
    "ACCOUNT_SCORE_FORMATS",
    "FMT_RATIO",
    "FMT_SCORE",
    "KPI_FORMATS",
    "STAGE_COLUMNS",
    "STAGE_FORMATS",
    "account_scores_sheet",
    "attribution_sheet",
    "build_output_sheets",
    "funnel_summary_sheet",
    "kpi_format",
    "trends_sheet",
]


def build_output_sheets(summary: FunnelSummary) -> list[SheetContent]:
    """Every output sheet of a refresh, in workbook order, ready for a renderer."""
    sheets = [funnel_summary_sheet(summary)]
    if summary.trends is not None and summary.progression is not None:
        sheets.append(trends_sheet(summary))
    sheets.append(attribution_sheet(summary))
    sheets.append(account_scores_sheet(summary))
    return sheets
