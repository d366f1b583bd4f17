"""The Funnel Summary sheet: what a leader reads, top to bottom, left to right.

Both renderers (the headless zip writer and the xlwings writer inside Excel)
draw exactly this, so the file a CLI refresh writes and the sheet the Excel
button fills look the same.

Funnel Summary (rows 1-based as Excel shows them; the right-hand block starts
in column J)::

    A1        title
    A2:C5     as-of date (and "today: as_of is blank"), refresh time, data
              issues, "Settings: N value(s) ignored" when some were
    A7:H30    funnel chart (columns): % of each segment's accounts reaching
              each stage from Engaged on (Target is the 100 % base), All
              targets, Tier 1-3 and Non-target side by side
    A33       FunnelStages     (7 rows; Conversion = All targets)
    A42       "Reached stage, % of accounts": the chart's data (plain cells)
    A51       FunnelKPIs       (KPI label first, then the key)
    J8        FunnelLift       (25 rows: targets against non-targets)
    J37       StageVelocity    (26 rows)
    K65       Inputs           (one row per input, when the reader says; from K
              so that its counts fall in narrow numeric columns)
    F…        DataIssues       (below both blocks; one row per skipped or
              repaired row; its Problem and Action fall in the text columns J, K)

Columns D:H of rows 1-5 hold no values, so a Refresh button the template
places there never covers a number. Column widths come from the content
(``content_widths``). The sheet prints landscape, one page wide and as many
tall as needed (docs/funnel.md says why).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from abmxl.engine.model import FunnelSummary
from abmxl.io.content import (
    FMT_DATE,
    FMT_DATETIME,
    FMT_INTEGER,
    FMT_PERCENT,
    Cell,
    Chart,
    ChartSeries,
    PrintSetup,
    SheetContent,
    Table,
)
from abmxl.io.layout.common import (
    CHART_HEIGHT,
    CHART_ROW,
    FUNNEL_CHART,
    INPUTS_COL,
    INPUTS_COLUMNS,
    INPUTS_TABLE,
    ISSUES_COL,
    ISSUES_TABLE,
    KPIS_ROW,
    KPIS_TABLE,
    LIFT_FORMATS,
    LIFT_TABLE,
    RATES_ROW,
    RIGHT_COL,
    STAGE_COLUMNS,
    STAGE_FORMATS,
    STAGES_ROW,
    STAGES_TABLE,
    VELOCITY_FORMATS,
    VELOCITY_ROW,
    VELOCITY_TABLE,
    content_widths,
    kpi_format,
    lift_row_format,
    table_rows,
)
from abmxl.schema import FUNNEL_SUMMARY_SHEET, ISSUE_COLUMNS, SEGMENTS, STAGES

# All targets, Tier 1, Tier 2, Tier 3, Non-target: the tables' order, left to right
_CHART_SEGMENTS = SEGMENTS


def funnel_summary_sheet(summary: FunnelSummary) -> SheetContent:
    cells = _header_cells(summary)
    tables: list[Table] = []

    stage_rows = table_rows(summary.stages.reset_index(names="Stage"), STAGE_COLUMNS)
    cells.append(
        Cell(STAGES_ROW - 1, 0, "Funnel by segment: accounts reaching each stage", bold=True)
    )
    tables.append(Table(STAGES_TABLE, STAGES_ROW, 0, STAGE_COLUMNS, stage_rows, STAGE_FORMATS))

    cells.extend(_rate_cells(summary))

    kpis = summary.kpis
    kpi_header = ["KPI", "Key", *SEGMENTS]
    kpi_rows = table_rows(kpis.reset_index(names="Key"), kpi_header)
    kpi_cell_formats = [[None, None, *[kpi_format(key)] * len(SEGMENTS)] for key in kpis.index]
    cells.append(Cell(KPIS_ROW - 1, 0, "KPIs by segment", bold=True))
    tables.append(
        Table(KPIS_TABLE, KPIS_ROW, 0, kpi_header, kpi_rows, cell_formats=kpi_cell_formats)
    )

    next_row = CHART_ROW + 1
    if summary.lift is not None:
        lift = summary.lift
        header = list(lift.columns)
        cells.append(
            Cell(
                CHART_ROW,
                RIGHT_COL,
                "Lift: target accounts against non-target accounts (95 % interval)",
                bold=True,
            )
        )
        lift_formats = [
            [None, None, None, *[lift_row_format(m)] * 2, *LIFT_FORMATS, lift_row_format(m)]
            for m in lift["Measure"]
        ]
        tables.append(
            Table(
                LIFT_TABLE,
                next_row,
                RIGHT_COL,
                header,
                table_rows(lift, header),
                cell_formats=lift_formats,
            )
        )
        next_row += len(lift) + 2
    if summary.velocity is not None:
        velocity = summary.velocity
        header = list(velocity.columns)
        row = max(next_row + 1, VELOCITY_ROW)
        cells.append(Cell(row - 1, RIGHT_COL, "Stage velocity: days between stages", bold=True))
        tables.append(
            Table(
                VELOCITY_TABLE,
                row,
                RIGHT_COL,
                header,
                table_rows(velocity, header),
                VELOCITY_FORMATS,
            )
        )
    # Inputs below StageVelocity; DataIssues, the analyst's long list, below
    # both blocks (see ISSUES_COL), so it never pushes the leader's part apart.
    next_row = VELOCITY_ROW + (len(summary.velocity) if summary.velocity is not None else 0) + 3
    if summary.inputs is not None:
        inputs = summary.inputs
        header = [c for c in INPUTS_COLUMNS if c in inputs.columns] or list(inputs.columns)
        cells.append(Cell(next_row - 1, INPUTS_COL, "Inputs: where each table was read", bold=True))
        tables.append(Table(INPUTS_TABLE, next_row, INPUTS_COL, header, table_rows(inputs, header)))
        next_row += max(len(inputs), 1) + 3
    next_row = max(next_row, KPIS_ROW + max(len(kpis), 1) + 3)

    issue_rows = table_rows(summary.issues, list(ISSUE_COLUMNS))
    cells.append(
        Cell(
            next_row - 1,
            ISSUES_COL,
            "Data issues: input rows that were skipped or repaired",
            bold=True,
        )
    )
    tables.append(Table(ISSUES_TABLE, next_row, ISSUES_COL, list(ISSUE_COLUMNS), issue_rows))

    widths = content_widths(cells, tables)
    widths[RIGHT_COL - 1] = max(widths.get(RIGHT_COL - 1, 0), 3)  # the gutter
    return SheetContent(
        name=FUNNEL_SUMMARY_SHEET,
        cells=cells,
        tables=tables,
        charts=[_funnel_chart()],
        column_widths=widths,
        # Fit to one page wide, as many tall as needed: on one page the ~120
        # rows shrink the text to about 3 pt (docs/funnel.md).
        print_setup=PrintSetup(landscape=True, fit_width=1, fit_height=0),
    )


def _header_cells(summary: FunnelSummary) -> list[Cell]:
    cells = [
        Cell(0, 0, "ABM funnel summary", bold=True, font_size=16),
        Cell(1, 0, "As of", bold=True),
        Cell(1, 1, summary.as_of, FMT_DATE),
        Cell(2, 0, "Refreshed", bold=True),
        Cell(2, 1, summary.refreshed_at, FMT_DATETIME),
        Cell(3, 0, "Data issues", bold=True),
        Cell(3, 1, len(summary.issues), FMT_INTEGER),
    ]
    if summary.as_of_is_today:
        cells.append(Cell(1, 2, "(today: as_of is blank)"))
    if summary.settings_ignored > 0:
        n = summary.settings_ignored
        cells.append(Cell(4, 0, f"Settings: {n} value(s) ignored (see DataIssues)", bold=True))
    return cells


def _rate_cells(summary: FunnelSummary) -> list[Cell]:
    """The chart's data: each segment's accounts reaching each stage, as a share."""
    counts = summary.stages[list(SEGMENTS)].to_numpy(dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = np.where(counts[0] > 0, counts / np.where(counts[0] > 0, counts[0], 1), np.nan)
    cells = [
        Cell(
            RATES_ROW - 1, 0, "Reached stage, % of the segment's accounts (chart data)", bold=True
        ),
        Cell(RATES_ROW, 0, "Stage", bold=True),
    ]
    cells += [
        Cell(RATES_ROW, col, segment, bold=True) for col, segment in enumerate(SEGMENTS, start=1)
    ]
    for i, stage in enumerate(STAGES):
        cells.append(Cell(RATES_ROW + 1 + i, 0, stage))
        for col in range(len(SEGMENTS)):
            share = shares[i, col]
            cells.append(
                Cell(
                    RATES_ROW + 1 + i,
                    col + 1,
                    None if pd.isna(share) else float(share),
                    FMT_PERCENT,
                )
            )
    return cells


def _funnel_chart() -> Chart:
    # Target is every segment's 100 % (the base of the shares): drawing it
    # tells nothing, so the chart starts at Engaged and its title names the base.
    first, last = RATES_ROW + 2, RATES_ROW + len(STAGES)
    return Chart(
        name=FUNNEL_CHART,
        title="Accounts reaching each stage, % of the segment (Target = 100 %)",
        categories=(first, 0, last),
        series=[
            ChartSeries(segment, (first, SEGMENTS.index(segment) + 1, last), number_format="0%")
            for segment in _CHART_SEGMENTS
        ],
        direction="column",
        row=CHART_ROW,
        col=0,
        width_cols=RIGHT_COL - 1,
        height_rows=CHART_HEIGHT,
    )
