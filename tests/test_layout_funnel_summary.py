"""The Funnel Summary layout: what a leader reads, and what the analyst needs."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from abmxl.engine import build_summary
from abmxl.io.content import Chart, PrintSetup
from abmxl.io.layout import funnel_summary_sheet
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
    assert isinstance(chart, Chart) and chart.direction == "bar"
    assert [s.name for s in chart.series] == list(SEGMENTS[1:])
    assert sheet.print_setup == PrintSetup(landscape=True, fit_width=1, fit_height=1)
    lift = next(t for t in sheet.tables if t.name == "FunnelLift")
    assert lift.cell_formats[0][3] == "0.0%" and lift.cell_formats[0][5] == '0.00"x"'


def test_chart_data_is_each_segments_share_of_accounts():
    summary = _summary()
    sheet = funnel_summary_sheet(summary)
    (chart,) = sheet.charts
    first, col, last = chart.series[0].values  # Tier 1
    shares = {c.row: c.value for c in sheet.cells if c.col == col and first <= c.row <= last}
    counts = summary.stages["Tier 1"].to_numpy()
    assert list(shares.values()) == [n / counts[0] for n in counts]


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
