"""The Trends sheet end to end: a real .xlsm refreshed, read back, its chart's ranges."""

from __future__ import annotations

import math
import re
import zipfile
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

import abmxl
from abmxl.engine import build_summary
from abmxl.engine.trends import TREND_MEASURES
from abmxl.io.layout import build_output_sheets
from abmxl.io.layout.trends import SIDE_COL, TREND_COLUMNS, TREND_FORMATS
from abmxl.schema import SEGMENTS, STAGES
from tests.conftest import TODAY


def _table_at(rows: list[list], header_first: str, col: int = 0) -> list[list]:
    """The block of rows under the header row whose cell ``col`` is ``header_first``."""
    start = next(i for i, row in enumerate(rows) if len(row) > col and row[col] == header_first)
    block = []
    for row in rows[start:]:
        if len(row) <= col or row[col] in ("", None):
            break
        block.append(row)
    return block


@pytest.fixture
def refreshed(sample_book: Path):
    summary = abmxl.refresh_workbook(sample_book, today=TODAY)
    rows = CalamineWorkbook.from_path(str(sample_book)).get_sheet_by_name("Trends").to_python()
    return sample_book, summary, rows


def test_sheet_order() -> None:
    summary = build_summary(
        {
            "Accounts": _raw("Accounts", ["account_id", "fit_score"], [("A", 80)]),
            "Opportunities": _raw(
                "Opportunities",
                ["opportunity_id", "account_id", "status", "amount", "created_date"],
                [],
            ),
        },
        today=TODAY,
    )
    names = [sheet.name for sheet in build_output_sheets(summary)]
    assert names == ["Funnel Summary", "Trends", "Attribution", "Account Scores"]


def _raw(sheet: str, header: list[str], rows: list[tuple]):
    from tests.test_engine import table

    return table(sheet, header, rows)


def test_trends_table_read_back(refreshed) -> None:
    _, summary, rows = refreshed
    table = _table_at(rows, "Period")
    assert table[0][: len(TREND_COLUMNS)] == list(TREND_COLUMNS)
    body = table[1:]
    assert len(body) == len(summary.trends)
    for written, (_, expected) in zip(body, summary.trends.iterrows(), strict=True):
        assert written[0] == expected["Period"] and written[1] == expected["Segment"]
        for value, name in zip(written[2 : len(TREND_COLUMNS)], TREND_MEASURES, strict=True):
            want = expected[name]
            if math.isnan(want):
                assert value in ("", None), name
            else:
                assert value == pytest.approx(want), name
    assert {row[1] for row in body} == set(SEGMENTS)


def test_progression_tables_read_back(refreshed) -> None:
    _, summary, rows = refreshed
    side = SIDE_COL
    matrix = _table_at(rows, "From", side)
    assert matrix[0][side : side + 7] == ["From", *STAGES]
    for written, stage in zip(matrix[1:], STAGES, strict=True):
        assert written[side] == stage
        assert written[side + 1 : side + 7] == [
            float(summary.progression.matrix.at[stage, to]) for to in STAGES
        ]
    moved = _table_at(rows, "Segment", side)
    assert moved[0][side : side + 4] == ["Segment", "Progressed", "Unchanged", "Regressed"]
    assert [row[side] for row in moved[1:]] == list(SEGMENTS)
    # The date line says where progression starts.
    assert any("Progression from" in str(cell) for row in rows[:5] for cell in row)


def test_chart_reads_the_all_targets_rows(refreshed) -> None:
    book, summary, rows = refreshed
    n_periods = len(summary.trends) // len(SEGMENTS)
    header_row = next(i for i, row in enumerate(rows) if row and row[0] == "Period") + 1
    first, last = header_row + 1, header_row + n_periods
    with zipfile.ZipFile(book) as archive:
        charts = [
            archive.read(name).decode()
            for name in archive.namelist()
            if re.fullmatch(r"xl/charts/chart\d+\.xml", name)
        ]
    trends_chart = next(chart for chart in charts if "'Trends'!" in chart)
    refs = re.findall(r"<c:f>([^<]+)</c:f>", trends_chart)
    letters = {name: chr(ord("A") + TREND_COLUMNS.index(name)) for name in TREND_COLUMNS}
    for name in ("pipeline_created", "new_revenue_won", "win_rate"):
        col = letters[name]
        assert f"'Trends'!${col}${first}:${col}${last}" in refs, name
    assert f"'Trends'!$A${first}:$A${last}" in refs
    assert "<c:lineChart>" in trends_chart and trends_chart.count("<c:valAx>") == 2
    # Those rows are All targets, oldest period first.
    assert {row[1] for row in rows[first - 1 : last]} == {"All targets"}
    assert [row[0] for row in rows[first - 1 : last]] == summary.trends["Period"][
        :n_periods
    ].tolist()


def test_number_formats_cover_every_column() -> None:
    assert set(TREND_FORMATS) == set(TREND_COLUMNS)
