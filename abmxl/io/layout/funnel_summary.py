"""The Funnel Summary sheet.

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

from abmxl.engine.model import FunnelSummary
from abmxl.io.content import (
    FMT_DATE,
    FMT_DATETIME,
    FMT_INTEGER,
    BarChart,
    Cell,
    SheetContent,
    Table,
)
from abmxl.io.layout.common import (
    CHART_ROW,
    FUNNEL_CHART,
    ISSUES_COL,
    ISSUES_TABLE,
    KPIS_ROW,
    KPIS_TABLE,
    STAGE_COLUMNS,
    STAGE_FORMATS,
    STAGES_ROW,
    STAGES_TABLE,
    kpi_format,
    table_rows,
)
from abmxl.schema import FUNNEL_SUMMARY_SHEET, ISSUE_COLUMNS, SEGMENTS


def funnel_summary_sheet(summary: FunnelSummary) -> SheetContent:
    stages = summary.stages
    stage_rows = table_rows(stages.reset_index(names="Stage"), STAGE_COLUMNS)

    kpis = summary.kpis
    kpi_header = ["Key", "KPI", *SEGMENTS]
    kpi_rows = table_rows(kpis.reset_index(names="Key"), kpi_header)
    kpi_cell_formats = [[None, None, *[kpi_format(key)] * len(SEGMENTS)] for key in kpis.index]

    issue_rows = table_rows(summary.issues, list(ISSUE_COLUMNS))
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
