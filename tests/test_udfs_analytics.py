"""LIFT, ENGAGEMENT_TREND, TIER_REASON and the channels argument, called as Excel calls them.

The functions are called through xlwings' Office.js dispatcher (as in
``test_udfs.py``); the demo-book check calls the Python function directly, as
one formula over the whole Engagement table.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest

from abmxl import udfs
from tests.test_udfs import call, cell, column, pytestmark  # noqa: F401  (same runtime gate)

AS_OF = 46112  # 2026-03-31 as an Excel serial


def test_lift_spills_ratio_low_high():
    ((ratio, low, high),) = call("LIFT", cell(30), cell(100), cell(10), cell(100))
    assert ratio == 3.0
    assert (low, high) == pytest.approx((1.5508, 5.8033), abs=5e-5)


def test_lift_one_row_per_input_row_and_errors_in_their_own_row():
    got = call("LIFT", column(12, 0, 5, 1), column(40, 10, 4, 10), cell(45), cell(300))
    assert got[0] == pytest.approx([2.0, 1.1601, 3.4480], abs=5e-5)
    assert got[1] == [0.0, "", ""]  # no success: no log interval
    assert got[2] == ["#NUM!"] * 3  # 5 successes of 4
    assert got[3][0] == pytest.approx(0.1 / 0.15)


def test_lift_without_a_baseline_rate_is_div0():
    assert call("LIFT", cell(3), cell(10), cell(0), cell(10)) == [["#DIV/0!"] * 3]


def test_engagement_trend_spec_example():
    got = call(
        "ENGAGEMENT_TREND",
        column("A", "B", "C"),
        column("A", "A", "A", "B"),
        column(AS_OF - 1, AS_OF - 21, AS_OF - 30, AS_OF - 30),
        column(30, 2, 10, 2),
        cell(AS_OF),
    )
    assert got == [[9.0], [-1.0], ["#DIV/0!"]]


def test_tier_reason_text_and_errors():
    got = call("TIER_REASON", column(85, None, "x"), cell(70), cell(0), cell(50000))
    assert got[0][0].startswith("Tier 2: fit 85 >= 70, intent 70 >= 60, ACV 50,000 >= 25,000;")
    assert got[1:] == [["Untiered: no fit score"], ["#VALUE!"]]
    assert call(
        "TIER_REASON", cell(85), cell(70), cell(12), cell(150000), *[cell(None)] * 5, cell(3)
    ) == [["Tier 3: tier_override"]]


def test_channels_fill_blank_weights_with_channel_defaults():
    args = [column("A", "B"), column("A", "B", "A", "B"), column(AS_OF, AS_OF, AS_OF, AS_OF)]
    weights = column(None, None, 4, None)
    channels = column("Web Visit", "meeting", "podcast", None)
    without = call("ENGAGEMENT_SCORES", *args, weights, cell(AS_OF))
    assert without == [[4.0], [0.0]]  # a blank weight is 0
    with_channels = call(
        "ENGAGEMENT_SCORES", *args, weights, cell(AS_OF), cell(None), cell(None), channels
    )
    # A: web_visit 1 + podcast (unknown, own weight 4); B: meeting 30, the row
    # without a channel skipped as the refresh skips it.
    assert with_channels == [[5.0], [30.0]]


def test_channels_of_another_length_is_value_error():
    got = call(
        "ENGAGEMENT_SCORES",
        column("A"),
        column("A", "A"),
        column(AS_OF, AS_OF),
        column(1, 1),
        cell(AS_OF),
        cell(None),
        cell(None),
        column("web_visit", "web_visit", "web_visit"),
    )
    assert got == [["#VALUE!"]]


@pytest.fixture(scope="module")
def demo_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from abmxl.template import new_workbook

    # What `abmxl demo` builds: 300 sample accounts, seed 7, messy rows included.
    return new_workbook(
        tmp_path_factory.mktemp("demo") / "demo.xlsm", sample_accounts=300, seed=7, messy=True
    )


def test_documented_formula_gives_the_account_scores_of_the_refresh(demo_book: Path):
    """ABM_ENGAGEMENT_SCORES / ABM_ENGAGEMENT_TREND over the Engagement table's columns, with
    Engagement[channel], give Account Scores' numbers for every account whose events the
    refresh kept whole (an unreadable weight is an error value in its account's cell)."""
    import abmxl
    from abmxl.io.reader import read_tables
    from abmxl.serials import EXCEL_EPOCH_DATETIME

    summary = abmxl.refresh_workbook(demo_book, today=dt.date(2026, 4, 1))
    tables = read_tables(demo_book)
    events = tables["Engagement"].frame
    accounts = tables["Accounts"].frame
    keys, values = tables["Settings"].frame.iloc[:, 0], tables["Settings"].frame.iloc[:, 1]
    settings = dict(zip(keys, values, strict=True))
    as_of = (dt.datetime.combine(summary.as_of, dt.time()) - EXCEL_EPOCH_DATETIME).days

    def col(frame, name):
        return [[value] for value in frame[name].tolist()]

    ids, headers = col(accounts, "account_id"), events.columns
    assert {"account_id", "date", "weight", "channel"} <= set(headers)
    event_args = [col(events, "account_id"), col(events, "date"), col(events, "weight")]
    window = settings.get("window_days") or 90
    scores = udfs.ABM_ENGAGEMENT_SCORES(
        ids, *event_args, as_of, window, settings.get("half_life_days"), col(events, "channel")
    )
    trends = udfs.ABM_ENGAGEMENT_TREND(ids, *event_args, as_of, 7, 28, col(events, "channel"))
    by_id = summary.accounts.set_index("account_id")
    bad_rows = set(summary.issues.query("Sheet == 'Engagement'")["Row"])
    matched = errors = 0
    for (account,), (score,), (trend,) in zip(ids, scores, trends, strict=True):
        if account is None or str(account).strip() not in by_id.index:
            continue
        row = by_id.loc[str(account).strip()]
        if isinstance(row, type(by_id)):  # a duplicate id: the refresh keeps the first
            row = row.iloc[0]
        if isinstance(score, str):
            errors += 1
            assert score in ("#VALUE!", "#NUM!")
            continue
        assert score == pytest.approx(row["engagement_score"], rel=1e-12, abs=1e-12)
        expected_trend = row["engagement_trend"]
        if isinstance(trend, str):
            assert trend == "#DIV/0!" and math.isnan(expected_trend)
        else:
            assert trend == pytest.approx(expected_trend, rel=1e-12)
        matched += 1
    assert errors <= len(bad_rows)
    assert matched >= 0.95 * len(by_id)
    # Without the channel column, blank weights count 0: other numbers than the sheet's.
    plain = udfs.ABM_ENGAGEMENT_SCORES(ids, *event_args, as_of, window)
    differ = sum(
        isinstance(a[0], float) and isinstance(b[0], float) and abs(a[0] - b[0]) > 1e-9
        for a, b in zip(plain, scores, strict=True)
    )
    assert differ > 100  # issue 10: 203 of the 302 accounts differed
    assert np.isfinite([s[0] for s in scores if isinstance(s[0], float)]).all()
