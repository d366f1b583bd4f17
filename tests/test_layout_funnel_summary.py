"""The Funnel Summary layout: what a leader reads, and what the analyst needs."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from abmxl.engine import build_summary
from abmxl.io.content import Chart, PrintSetup
from abmxl.io.layout import funnel_summary_sheet
from abmxl.io.layout.common import MAX_WIDTH, shown_length
from abmxl.schema import SEGMENTS
from tests.test_engine_analytics import BOOK


def _summary(**changes):
    summary = build_summary(BOOK, dt.date(2026, 4, 1))
    for name, value in changes.items():
        setattr(summary, name, value)
    return summary


def _texts(sheet) -> list[str]:
    return [c.value for c in sheet.cells if isinstance(c.value, str)]


def test_tables_chart_and_print_setup():
    sheet = funnel_summary_sheet(_summary())
    names = [t.name for t in sheet.tables]
    assert names == [
        "FunnelStages",
        "FunnelKPIs",
        "FunnelLift",
        "StageVelocity",
        "Inputs",
        "DataIssues",
    ]
    kpis = next(t for t in sheet.tables if t.name == "FunnelKPIs")
    assert list(kpis.header[:2]) == ["KPI", "Key"]  # readable label first
    assert kpis.rows[0][:2] == ("Target accounts", "target_accounts")
    (chart,) = sheet.charts
    assert isinstance(chart, Chart) and chart.direction == "column"
    # Legend left to right as the tables' columns: All targets, Tier 1-3, Non-target.
    assert [s.name for s in chart.series] == list(SEGMENTS)
    # One page wide, as many tall as needed (one page would shrink the text to ~3 pt).
    assert sheet.print_setup == PrintSetup(landscape=True, fit_width=1, fit_height=0)
    lift = next(t for t in sheet.tables if t.name == "FunnelLift")
    assert lift.cell_formats[0][3] == "0.0%" and lift.cell_formats[0][5] == '0.00"x"'


def test_chart_data_is_each_segments_share_of_accounts():
    summary = _summary()
    sheet = funnel_summary_sheet(summary)
    (chart,) = sheet.charts
    (tier1,) = [s for s in chart.series if s.name == "Tier 1"]
    first, col, last = tier1.values
    shares = {c.row: c.value for c in sheet.cells if c.col == col and first <= c.row <= last}
    counts = summary.stages["Tier 1"].to_numpy()
    # Target (100 % for every segment, the base of the shares) is not drawn.
    assert list(shares.values()) == [n / counts[0] for n in counts[1:]]
    first_category, label_col, last_category = chart.categories
    stages = [c.value for c in sheet.cells if c.col == label_col and first <= c.row <= last]
    assert (first_category, last_category) == (first, last)
    assert stages == ["Engaged", "Opportunity", "Won", "Retained", "Expanded"]


def test_header_lines_for_blank_as_of_and_ignored_settings():
    plain = _texts(funnel_summary_sheet(_summary()))
    assert not any("today" in t or t.startswith("Settings:") for t in plain)
    texts = _texts(funnel_summary_sheet(_summary(as_of_is_today=True, settings_ignored=2)))
    assert "(today: as_of is blank)" in texts
    assert "Settings: 2 value(s) ignored (see DataIssues)" in texts


def test_inputs_table_when_the_reader_reports_inputs():
    inputs = pd.DataFrame(
        {
            "Input": ["Accounts"],
            "Source": ["sheet Accounts"],
            "Rows read": [7],
            "Rows skipped": [0],
            "Columns": ["account_id, fit_score"],
        }
    )
    sheet = funnel_summary_sheet(_summary(inputs=inputs))
    table = next(t for t in sheet.tables if t.name == "Inputs")
    assert list(table.header) == ["Input", "Source", "Rows read", "Rows skipped", "Columns"]
    assert table.rows == [("Accounts", "sheet Accounts", 7, 0, "account_id, fit_score")]
    issues = next(t for t in sheet.tables if t.name == "DataIssues")
    assert issues.row > table.row  # below Inputs


@pytest.mark.parametrize(
    ("value", "number_format", "expected"),
    [
        ("row skipped", None, 11),
        (0.557, "0.0%", 5),  # 55.7%
        (10275600.0, "$#,##0", 11),  # $10,275,600
        (2.0234, '0.00"x"', 5),  # 2.02x
        (86.66, '#,##0.0 "days"', 9),  # 86.7 days
        (1234, "#,##0", 5),  # 1,234
        (dt.date(2026, 3, 31), "yyyy-mm-dd", 10),
        (None, None, 0),
        (float("nan"), "0.0%", 0),
    ],
)
def test_shown_length(value, number_format, expected):
    assert shown_length(value, number_format) == expected


def test_column_widths_fit_the_longest_text_and_keep_numbers_narrow():
    issues = pd.DataFrame(
        {
            "Sheet": ["Opportunities"],
            "Row": [129],
            "Column": ["opportunity_id"],
            "Value": ["OPP-00001"],
            "Problem": ["duplicate opportunity_id, twice"],
            "Action": ["kept; left out of time-based KPIs too"],
        }
    )
    sheet = funnel_summary_sheet(_summary(issues=issues))
    table = next(t for t in sheet.tables if t.name == "DataIssues")
    widths = sheet.column_widths
    problem, action = table.col + 4, table.col + 5
    assert widths[problem] >= len(issues["Problem"][0]) + 1
    assert widths[action] >= len(issues["Action"][0]) + 1
    # The issues' long texts share the right block's text columns, not its numbers.
    lift = next(t for t in sheet.tables if t.name == "FunnelLift")
    for j, name in enumerate(lift.header):
        if name in ("Value", "Non-target", "Lift", "Low", "High", "Difference"):
            assert widths[lift.col + j] <= 20
    assert max(widths.values()) <= MAX_WIDTH
