"""Trends by period and Progression since the last period (analytics.md sections 4, 5).

A hand-built book of five accounts with fixed tiers (tier_override), dated so
that every measure lands in known periods, some records fall before the
window, some after as_of, one opportunity has no created_date and one closes
before it was created. Every expected value below was counted by hand from the
rows (the day counts with ``datetime.date`` subtraction), not by the engine.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from abmxl.engine import RawTable, build_summary
from abmxl.engine.trends import TREND_MEASURES, PeriodWindow, period_codes, period_labels
from abmxl.sample import generate
from abmxl.schema import SEGMENTS, STAGES
from tests.test_engine import table

d = dt.date
AS_OF = d(2026, 5, 15)
TODAY = d(2026, 11, 22)
N = math.nan

# account_id, fit, tier_override
ACCOUNTS = [("T1a", 90, 1), ("T2a", 80, 2), ("T3a", 75, 3), ("T3b", 75, 3), ("N0", 40, 0)]
OPPORTUNITY_HEADER = ["opportunity_id", "account_id", "type", "status", "amount"]
OPPORTUNITY_HEADER += ["created_date", "close_date"]
OPPORTUNITIES = [
    ("O1", "T1a", "New Business", "Won", 100000, d(2025, 8, 1), d(2025, 10, 15)),
    ("O2", "T1a", "Renewal", "Won", 50000, d(2026, 1, 10), d(2026, 2, 10)),
    ("O3", "T2a", "New Business", "Lost", 40000, d(2025, 12, 1), d(2026, 1, 20)),
    ("O4", "T2a", "New Business", "Won", 60000, d(2026, 2, 1), d(2026, 4, 10)),
    ("O5", "T3a", "New Business", "Open", 30000, d(2026, 4, 1), None),
    ("O6", "N0", "New Business", "Won", 20000, d(2026, 3, 1), d(2026, 3, 20)),
    # After as_of: left out of every Trends measure (still a won deal today).
    ("O7", "T3a", "New Business", "Won", 10000, d(2026, 5, 20), d(2026, 5, 25)),
    # Created before the window, won in its first quarter.
    ("O8", "T2a", "New Business", "Won", 5000, d(2024, 1, 1), d(2025, 7, 5)),
    # No created_date: counted where it closed, never as created, no sales cycle.
    ("O9", "T1a", "New Business", "Won", 7000, None, d(2026, 1, 5)),
    ("O10", "T3a", "New Business", "Lost", 1000, d(2025, 9, 1), d(2025, 9, 20)),
    # Closes before it was created (repaired): dated by each of its dates.
    ("O11", "N0", "New Business", "Lost", 5000, d(2026, 3, 10), d(2026, 3, 5)),
]
# date, account_id, channel, weight
EVENTS = [
    (d(2025, 9, 10), "T1a", "web_visit", 12),  # T1a engaged 2025-09-10
    (d(2026, 5, 10), "T1a", "web_visit", 1),
    (d(2026, 1, 5), "T2a", "web_visit", 5),
    (d(2025, 11, 11), "N0", "ad_impression", 0),  # weight 0 still a touch
    (d(2026, 5, 16), "T3a", "event", 50),  # after as_of
    (d(2024, 12, 31), "T3a", "web_visit", 1),  # before the window
    (d(2026, 1, 20), "T3b", "webinar", 15),  # engaged at D (70 days), not at as_of (115)
]
# date, tier, amount
SPEND = [
    (d(2025, 7, 1), None, 1000),  # program-wide: All targets only
    (d(2025, 10, 1), 1, 500),
    (d(2026, 2, 1), 0, 300),
    (d(2026, 4, 1), 3, 200),
    (d(2026, 6, 1), 2, 999),  # after as_of
]


def book(settings: dict, *, without: tuple[str, ...] = ()) -> dict:
    tables = {
        "Settings": table("Settings", ["key", "value"], list(settings.items())),
        "Accounts": table("Accounts", ["account_id", "fit_score", "tier_override"], ACCOUNTS),
        "Opportunities": table(
            "Opportunities",
            OPPORTUNITY_HEADER,
            OPPORTUNITIES,
        ),
        "Engagement": table("Engagement", ["date", "account_id", "channel", "weight"], EVENTS),
        "Spend": table("Spend", ["date", "tier", "amount"], SPEND),
    }
    return {name: raw for name, raw in tables.items() if name not in without}


def trends_of(settings: dict, **kwargs: object) -> pd.DataFrame:
    return build_summary(book(settings, **kwargs), today=TODAY).trends


def column(trends: pd.DataFrame, measure: str, segment: str) -> list[float]:
    return trends.loc[trends["Segment"] == segment, measure].tolist()


def assert_values(actual: list[float], expected: list[float]) -> None:
    assert len(actual) == len(expected)
    for mine, theirs in zip(actual, expected, strict=True):
        if math.isnan(theirs):
            assert math.isnan(mine), (actual, expected)
        else:
            assert mine == pytest.approx(theirs, rel=1e-12), (actual, expected)


# --- quarters: every measure, every segment ------------------------------------------

QUARTERS = {"as_of": AS_OF, "period": "quarter", "trend_periods": 4}
QUARTER_LABELS = ["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]

# measure -> segment -> values for 2025-Q3, 2025-Q4, 2026-Q1, 2026-Q2.
BY_QUARTER: dict[str, dict[str, list[float]]] = {
    "new_engaged_accounts": {
        "All targets": [1, 0, 1, 0],  # T1a 2025-09-10 (12), T3b 2026-01-20 (15)
        "Tier 1": [1, 0, 0, 0],
        "Tier 2": [0, 0, 0, 0],  # T2a's 5 never reaches 10
        "Tier 3": [0, 0, 1, 0],  # T3a's 50 is after as_of
        "Non-target": [0, 0, 0, 0],
    },
    "new_opportunity_accounts": {
        "All targets": [2, 0, 0, 0],  # T1a (O1), T3a (O10); T2a's first is 2024
        "Tier 1": [1, 0, 0, 0],
        "Tier 2": [0, 0, 0, 0],
        "Tier 3": [1, 0, 0, 0],
        "Non-target": [0, 0, 1, 0],
    },
    "opportunities_created": {
        "All targets": [2, 1, 2, 1],
        "Tier 1": [1, 0, 1, 0],
        "Tier 2": [0, 1, 1, 0],
        "Tier 3": [1, 0, 0, 1],
        "Non-target": [0, 0, 2, 0],
    },
    "pipeline_created": {
        "All targets": [101000, 40000, 110000, 30000],
        "Tier 1": [100000, 0, 50000, 0],
        "Tier 2": [0, 40000, 60000, 0],
        "Tier 3": [1000, 0, 0, 30000],
        "Non-target": [0, 0, 25000, 0],
    },
    "new_won_accounts": {
        "All targets": [1, 1, 0, 0],  # T2a (O8), T1a (O1); T3a wins after as_of
        "Tier 1": [0, 1, 0, 0],
        "Tier 2": [1, 0, 0, 0],
        "Tier 3": [0, 0, 0, 0],
        "Non-target": [0, 0, 1, 0],
    },
    "won_deals": {
        "All targets": [1, 1, 1, 1],
        "Tier 1": [0, 1, 1, 0],
        "Tier 2": [1, 0, 0, 1],
        "Tier 3": [0, 0, 0, 0],
        "Non-target": [0, 0, 1, 0],
    },
    "new_revenue_won": {
        "All targets": [5000, 100000, 7000, 60000],
        "Tier 1": [0, 100000, 7000, 0],
        "Tier 2": [5000, 0, 0, 60000],
        "Tier 3": [0, 0, 0, 0],
        "Non-target": [0, 0, 20000, 0],
    },
    "win_rate": {
        "All targets": [0.5, 1.0, 0.5, 1.0],  # Q3: O8 won, O10 lost; Q1: O9 won, O3 lost
        "Tier 1": [N, 1.0, 1.0, N],
        "Tier 2": [1.0, N, 0.0, 1.0],
        "Tier 3": [0.0, N, N, N],
        "Non-target": [N, N, 0.5, N],  # O6 won, O11 lost (closed before created)
    },
    "avg_deal_size": {
        "All targets": [5000, 100000, 7000, 60000],
        "Tier 1": [N, 100000, 7000, N],
        "Tier 2": [5000, N, N, 60000],
        "Tier 3": [N, N, N, N],
        "Non-target": [N, N, 20000, N],
    },
    "avg_sales_cycle_days": {
        # O8 551 days, O1 75, O9 has no created_date, O4 68, O6 19.
        "All targets": [551, 75, N, 68],
        "Tier 1": [N, 75, N, N],
        "Tier 2": [551, N, N, 68],
        "Tier 3": [N, N, N, N],
        "Non-target": [N, N, 19, N],
    },
    "touches": {
        "All targets": [1, 0, 2, 1],
        "Tier 1": [1, 0, 0, 1],
        "Tier 2": [0, 0, 1, 0],
        "Tier 3": [0, 0, 1, 0],
        "Non-target": [0, 1, 0, 0],
    },
    "spend": {
        "All targets": [1000, 500, 0, 200],
        "Tier 1": [0, 500, 0, 0],
        "Tier 2": [0, 0, 0, 0],
        "Tier 3": [0, 0, 0, 200],
        "Non-target": [0, 0, 300, 0],
    },
}


@pytest.fixture(scope="module")
def quarterly() -> pd.DataFrame:
    return trends_of(QUARTERS)


def test_table_shape_and_order(quarterly: pd.DataFrame) -> None:
    assert list(quarterly.columns) == ["Period", "Segment", *TREND_MEASURES]
    # Segment by segment, periods oldest first: All targets' rows are contiguous.
    assert quarterly["Segment"].tolist() == [s for s in SEGMENTS for _ in QUARTER_LABELS]
    assert quarterly["Period"].tolist() == QUARTER_LABELS * len(SEGMENTS)


@pytest.mark.parametrize("segment", SEGMENTS)
@pytest.mark.parametrize("measure", list(BY_QUARTER))
def test_quarterly_measures_by_hand(quarterly: pd.DataFrame, measure: str, segment: str) -> None:
    assert_values(column(quarterly, measure, segment), BY_QUARTER[measure][segment])


# --- months and years: the period rule --------------------------------------------------

MONTH_LABELS = [f"2025-{m:02d}" for m in range(6, 13)] + [f"2026-{m:02d}" for m in range(1, 6)]
BY_PERIOD = [
    # (period, trend_periods, labels, measure, All targets values)
    (
        "month",
        12,
        MONTH_LABELS,
        "pipeline_created",
        [0, 0, 100000, 1000, 0, 0, 40000, 50000, 60000, 0, 30000, 0],
    ),
    ("month", 12, MONTH_LABELS, "touches", [0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1]),
    ("month", 12, MONTH_LABELS, "spend", [0, 1000, 0, 0, 500, 0, 0, 0, 0, 0, 200, 0]),
    ("month", 12, MONTH_LABELS, "won_deals", [0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0]),
    ("month", 12, MONTH_LABELS, "win_rate", [N, 1.0, N, 0.0, 1.0, N, N, 0.5, N, N, 1.0, N]),
    # O8, created 2024-01-01, is inside a 3-year window.
    ("year", 3, ["2024", "2025", "2026"], "opportunities_created", [1, 3, 3]),
    ("year", 3, ["2024", "2025", "2026"], "pipeline_created", [5000, 141000, 140000]),
    ("year", 3, ["2024", "2025", "2026"], "touches", [1, 1, 3]),
    ("year", 3, ["2024", "2025", "2026"], "spend", [0, 1500, 200]),
    ("year", 3, ["2024", "2025", "2026"], "won_deals", [0, 2, 2]),
    ("year", 3, ["2024", "2025", "2026"], "avg_sales_cycle_days", [N, (551 + 75) / 2, 68]),
    ("quarter", 2, ["2026-Q1", "2026-Q2"], "pipeline_created", [110000, 30000]),
]


@pytest.mark.parametrize(("period", "n_periods", "labels", "measure", "expected"), BY_PERIOD)
def test_periods_by_hand(
    period: str, n_periods: int, labels: list[str], measure: str, expected: list[float]
) -> None:
    trends = trends_of({"as_of": AS_OF, "period": period, "trend_periods": n_periods})
    assert column(trends, "Period", "All targets") == labels
    assert_values(column(trends, measure, "All targets"), expected)


@pytest.mark.parametrize(
    ("day", "period", "code", "label"),
    [
        (d(2026, 1, 1), "quarter", 2026 * 4, "2026-Q1"),
        (d(2026, 3, 31), "quarter", 2026 * 4, "2026-Q1"),
        (d(2026, 4, 1), "quarter", 2026 * 4 + 1, "2026-Q2"),
        (d(2025, 12, 31), "quarter", 2025 * 4 + 3, "2025-Q4"),
        (d(2026, 3, 9), "month", 2026 * 12 + 2, "2026-03"),
        (d(2025, 12, 1), "month", 2025 * 12 + 11, "2025-12"),
        (d(2026, 7, 4), "year", 2026, "2026"),
        (d(1969, 12, 31), "quarter", 1969 * 4 + 3, "1969-Q4"),  # before numpy's epoch
    ],
)
def test_period_codes_and_labels(day: dt.date, period: str, code: int, label: str) -> None:
    days = np.array([day], dtype="datetime64[D]").view(np.int64)
    assert period_codes(days, period).tolist() == [code]
    assert period_labels(np.array([code]), period).tolist() == [label]


@pytest.mark.parametrize(
    ("as_of", "period", "previous_end"),
    [
        (d(2026, 5, 15), "quarter", d(2026, 3, 31)),
        (d(2026, 4, 1), "quarter", d(2026, 3, 31)),
        (d(2026, 1, 1), "quarter", d(2025, 12, 31)),
        (d(2026, 3, 31), "month", d(2026, 2, 28)),
        (d(2024, 3, 31), "month", d(2024, 2, 29)),
        (d(2026, 5, 15), "year", d(2025, 12, 31)),
    ],
)
def test_previous_period_end(as_of: dt.date, period: str, previous_end: dt.date) -> None:
    assert PeriodWindow(period, 4, as_of).previous_period_end == previous_end


def test_one_period_book_fills_one_row() -> None:
    """Every record in 2026-Q2 up to as_of: the other periods are 0 or blank."""
    tables = book(QUARTERS)
    spring = d(2026, 4, 20)
    tables["Opportunities"] = table(
        "Opportunities",
        ["opportunity_id", "account_id", "status", "amount", "created_date", "close_date"],
        [
            ("P1", "T1a", "Won", 1000, d(2026, 4, 1), spring),
            ("P2", "T2a", "Lost", 2000, d(2026, 4, 2), spring),
        ],
    )
    tables["Engagement"] = table(
        "Engagement", ["date", "account_id", "channel"], [(spring, "T3a", "meeting")]
    )
    tables["Spend"] = table("Spend", ["date", "amount"], [(spring, 700)])
    trends = build_summary(tables, today=TODAY).trends
    rows = trends[trends["Segment"] == "All targets"].set_index("Period")
    filled = rows.loc["2026-Q2"]
    assert filled[["opportunities_created", "pipeline_created", "won_deals"]].tolist() == [
        2,
        3000,
        1,
    ]
    assert filled[["win_rate", "avg_sales_cycle_days", "touches", "spend"]].tolist() == [
        0.5,
        19,
        1,
        700,
    ]
    assert filled["new_engaged_accounts"] == 1  # T3a: a meeting (30) on 2026-04-20
    empty = rows.drop(index="2026-Q2")
    counts = [m for m in TREND_MEASURES if m not in ("win_rate", "avg_deal_size")]
    counts.remove("avg_sales_cycle_days")
    assert (empty[counts].to_numpy() == 0).all()
    assert empty[["win_rate", "avg_deal_size", "avg_sales_cycle_days"]].isna().all().all()


@pytest.mark.parametrize(
    ("without", "blank"),
    [(("Engagement",), ("new_engaged_accounts", "touches")), (("Spend",), ("spend",))],
)
def test_missing_sheets_blank_their_columns(without: tuple[str, ...], blank: tuple) -> None:
    trends = trends_of(QUARTERS, without=without)
    for measure in TREND_MEASURES:
        values = trends[measure]
        if measure in blank:
            assert values.isna().all(), measure
        elif measure not in ("win_rate", "avg_deal_size", "avg_sales_cycle_days"):
            assert values.notna().all(), measure


def test_json_rows() -> None:
    summary = build_summary(book(QUARTERS), today=TODAY)
    rows = summary.to_json()["trends"]
    assert len(rows) == 4 * len(SEGMENTS)
    assert rows[2] == {
        "period": "2026-Q1",
        "segment": "All targets",
        "new_engaged_accounts": 1,
        "new_opportunity_accounts": 0,
        "opportunities_created": 2,
        "pipeline_created": 110000,
        "new_won_accounts": 0,
        "won_deals": 1,
        "new_revenue_won": 7000,
        "win_rate": 0.5,
        "avg_deal_size": 7000,
        "avg_sales_cycle_days": None,
        "touches": 2,
        "spend": 0,
    }


# --- progression -------------------------------------------------------------------


def test_progression_by_hand() -> None:
    """D = 2026-03-31. T1a Retained -> Retained, T2a Won -> Won, T3a Opportunity -> Won
    (O7, created after D), T3b Engaged (webinar 70 days before D) -> Target (115 days
    before as_of), N0 Won -> Won."""
    summary = build_summary(book(QUARTERS), today=TODAY)
    moved = summary.progression
    assert moved.from_date == d(2026, 3, 31)
    expected = pd.DataFrame(0, index=list(STAGES), columns=list(STAGES))
    expected.loc["Retained", "Retained"] = 1
    expected.loc["Won", "Won"] = 1
    expected.loc["Opportunity", "Won"] = 1
    expected.loc["Engaged", "Target"] = 1
    assert (moved.matrix.to_numpy() == expected.to_numpy()).all()
    assert moved.matrix.index.name == "From"
    assert moved.summary.to_dict(orient="list") == {
        "Segment": list(SEGMENTS),
        "Progressed": [1, 0, 0, 1, 0],
        "Unchanged": [2, 1, 1, 0, 1],
        "Regressed": [1, 0, 0, 1, 0],
    }
    document = summary.to_json()["progression"]
    assert document["from_date"] == "2026-03-31"
    assert document["matrix"]["Engaged"]["Target"] == 1
    assert document["matrix"]["Target"]["Target"] == 0
    assert document["summary"]["Tier 3"] == {"progressed": 1, "unchanged": 0, "regressed": 1}


# --- stage at D = a refresh as of D on the book without later records ---------------------

_WON_WORDS = {"won", "closedwon"}
_CLOSED_WORDS = _WON_WORDS | {"lost", "closedlost"}


def _squashed(status: object) -> str:
    return "".join(ch for ch in str(status).lower() if ch not in " _-")


def book_as_known_on(data: dict[str, pd.DataFrame], day: dt.date, tiers: list[int]) -> dict:
    """The generated book as it stood on ``day``: later events and opportunities removed,
    deals closed after ``day`` (or without a close date) still open, tiers fixed."""
    stamp = pd.Timestamp(day)
    settings = data["Settings"].copy()
    settings.loc[settings["key"] == "as_of", "value"] = day
    accounts = data["Accounts"].copy()
    accounts["tier_override"] = [float(t) for t in tiers]
    events = data["Engagement"][data["Engagement"]["date"] <= stamp]
    opps = data["Opportunities"]
    opps = opps[opps["created_date"].notna() & (opps["created_date"] <= stamp)].copy()
    closed = opps["status"].map(_squashed).isin(_CLOSED_WORDS)
    closed_later = closed & ~(opps["close_date"] <= stamp)  # NaT: not closed by then
    opps.loc[closed_later, "status"] = "Open"
    opps.loc[closed_later, "close_date"] = pd.NaT
    return {
        **data,
        "Settings": settings,
        "Accounts": accounts,
        "Engagement": events,
        "Opportunities": opps,
    }


@pytest.mark.parametrize(
    ("n_accounts", "seed", "overrides"),
    [
        (80, 1, {}),
        (120, 2, {"half_life_days": 30.0}),
        (60, 3, {"period": "month"}),
        (100, 4, {"period": "year", "engagement_min": 5.0, "window_days": 200.0}),
        (90, 5, {"as_of": d(2026, 1, 1), "half_life_days": 7.0}),
    ],
)
def test_stage_at_d_is_a_refresh_as_of_d(
    tmp_path, n_accounts: int, seed: int, overrides: dict
) -> None:
    from abmxl.engine.changes import stage_ranks_on
    from abmxl.engine.clean import clean_book
    from abmxl.engine.progression import stage_ranks
    from tests.test_engine_reference import read_back, with_settings

    data = with_settings(generate(n_accounts, seed=seed), **overrides)
    tables = read_back(tmp_path, data)
    full = build_summary(tables, today=TODAY)
    day = full.progression.from_date
    then = build_summary(
        read_back(tmp_path, book_as_known_on(data, day, full.accounts["tier"].tolist())),
        today=TODAY,
    )
    assert then.as_of == day
    assert then.accounts["tier"].tolist() == full.accounts["tier"].tolist()
    expected = stage_ranks(then.accounts["current_stage"].to_numpy())
    assert stage_ranks_on(clean_book(tables, TODAY), day).tolist() == expected.tolist()
    # ...and so the Progression matrix is the cross-count of the two refreshes.
    targeted = full.accounts["tier"] > 0
    crossed = pd.crosstab(
        pd.Categorical(then.accounts.loc[targeted, "current_stage"], categories=STAGES),
        pd.Categorical(full.accounts.loc[targeted, "current_stage"], categories=STAGES),
        dropna=False,
    )
    assert (crossed.to_numpy() == full.progression.matrix.to_numpy()).all()
    assert len(set(expected.tolist())) > 1  # the book has several stages at D


# --- invariants ----------------------------------------------------------------------


def raw_tables(data: dict[str, pd.DataFrame]) -> dict[str, RawTable]:
    """Generated frames as the cells a reader hands over (None for empty, rows from 2)."""
    tables = {}
    for name, frame in data.items():
        cells = frame.astype(object).where(frame.notna(), None)
        cells.index = range(2, len(cells) + 2)
        tables[name] = RawTable(name, cells)
    return tables


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    n_accounts=st.integers(3, 60),
    period=st.sampled_from(["month", "quarter", "year"]),
    n_periods=st.integers(1, 30),
    as_of=st.dates(d(2025, 6, 1), d(2026, 6, 30)),
    half_life=st.sampled_from([None, 15.0]),
)
def test_trend_and_progression_invariants(
    seed: int, n_accounts: int, period: str, n_periods: int, as_of: dt.date, half_life
) -> None:
    from abmxl.engine.clean import clean_book

    data = generate(n_accounts, seed=seed, engagement_per_account=4)
    values = {"as_of": as_of, "period": period, "half_life_days": half_life}
    frame = data["Settings"].copy()
    for key, value in values.items():
        frame.loc[frame["key"] == key, "value"] = value
    tables = raw_tables({**data, "Settings": frame})
    wide = build_summary(tables, today=TODAY)  # 12 periods (the default)...
    tables["Settings"].frame.loc[tables["Settings"].frame["key"] == "trend_periods", "value"] = (
        400.0
    )
    everything = build_summary(tables, today=TODAY)  # ...and every record's period
    tables["Settings"].frame.loc[tables["Settings"].frame["key"] == "trend_periods", "value"] = (
        n_periods
    )
    some = build_summary(tables, today=TODAY)
    book = clean_book(tables, TODAY)

    # Sums over the periods are the totals of the records dated up to as_of.
    stamp = np.datetime64(as_of, "D")
    opps = book.opportunities
    created = opps["created_date"].to_numpy().astype("datetime64[D]") <= stamp
    closed = opps["close_date"].to_numpy().astype("datetime64[D]") <= stamp  # NaT: False
    won_nb = (opps["status"] == "won").to_numpy() & (opps["type"] == "New Business").to_numpy()
    events = book.engagement["date"].to_numpy().astype("datetime64[D]") <= stamp
    spent = book.spend["date"].to_numpy().astype("datetime64[D]") <= stamp
    tiers = everything.accounts["tier"].to_numpy()
    won_accounts = np.unique(opps["account"].to_numpy()[(opps["status"] == "won") & closed])
    totals = {
        "opportunities_created": created.sum(),
        "pipeline_created": opps["amount"].to_numpy()[created].sum(),
        "won_deals": (won_nb & closed).sum(),
        "new_revenue_won": opps["amount"].to_numpy()[won_nb & closed].sum(),
        "touches": events.sum(),
        "new_won_accounts": len(won_accounts),
        "new_opportunity_accounts": np.unique(opps["account"].to_numpy()[created]).size,
    }
    all_rows = everything.trends
    for measure, total in totals.items():
        targets = all_rows.loc[all_rows["Segment"] == "All targets", measure].sum()
        others = all_rows.loc[all_rows["Segment"] == "Non-target", measure].sum()
        assert targets + others == pytest.approx(total), measure
    spend_total = book.spend["amount"].to_numpy()[spent].sum()
    tier_zero = (book.spend["tier"] == 0).to_numpy()
    assert all_rows.loc[all_rows["Segment"] == "All targets", "spend"].sum() == pytest.approx(
        book.spend["amount"].to_numpy()[spent & ~tier_zero].sum()
    )
    assert all_rows["spend"][all_rows["Segment"] == "Non-target"].sum() == pytest.approx(
        spend_total - book.spend["amount"].to_numpy()[spent & ~tier_zero].sum()
    )
    # A shorter window is the tail of a longer one.
    for shorter in (wide.trends, some.trends):
        k = len(shorter) // len(SEGMENTS)
        tail = all_rows.groupby("Segment", sort=False).tail(k).reset_index(drop=True)
        pd.testing.assert_frame_equal(shorter, tail)
    # All targets = Tier 1 + Tier 2 + Tier 3 for every count of accounts and opportunities.
    sums = [m for m in TREND_MEASURES if m not in ("win_rate", "avg_deal_size", "spend")]
    sums.remove("avg_sales_cycle_days")
    by_segment = {s: all_rows.loc[all_rows["Segment"] == s, sums].to_numpy() for s in SEGMENTS}
    np.testing.assert_allclose(
        by_segment["All targets"],
        by_segment["Tier 1"] + by_segment["Tier 2"] + by_segment["Tier 3"],
    )

    # Progression: every account is progressed, unchanged or regressed, once.
    moved = everything.progression
    summary = moved.summary.set_index("Segment")
    accounts = everything.stages.loc["Target", list(SEGMENTS)].to_numpy()
    assert (summary.sum(axis=1).to_numpy() == accounts).all()
    assert moved.matrix.to_numpy().sum() == (tiers > 0).sum()
    in_stage_now = everything.stages["In stage now"].to_numpy()
    assert (moved.matrix.sum(axis=0).to_numpy() == in_stage_now).all()
    ranks = np.arange(len(STAGES))
    cells = moved.matrix.to_numpy()
    assert cells[ranks[:, None] < ranks].sum() == summary.loc["All targets", "Progressed"]
    assert cells[ranks[:, None] > ranks].sum() == summary.loc["All targets", "Regressed"]
