"""Invariants of the funnel on random books (hypothesis).

Books are small and messy on purpose: ids that repeat or are blank, numbers
as text, bad cells, statuses and types in CRM spellings, events in the future.
Whatever the book, the funnel must be nested, the tiers must add up to All
targets, the refresh must be deterministic and must not touch its input.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from abmxl.engine import RawTable, build_summary
from abmxl.schema import SEGMENTS, STAGES

TODAY = dt.date(2026, 6, 30)

ids = st.sampled_from(["A1", "A2", "A3", "A4", "A5", "NA", "1001", 1001.0, None, " A2 "])
scores = st.one_of(st.none(), st.integers(0, 100), st.sampled_from(["85", "abc", 120, -3]))
money = st.one_of(st.none(), st.integers(0, 300_000), st.sampled_from(["5000", -10, "x"]))
dates = st.one_of(
    st.none(),
    st.dates(dt.date(2025, 6, 1), dt.date(2026, 8, 1)),
    st.sampled_from(["2026-03-01", "03/04/2026", 46100.0]),
)
statuses = st.sampled_from(["Won", "Closed Won", "closedwon", "Lost", "Closed-Lost", "Open", None])
types = st.sampled_from(["New Business", "Renewal", "Upsell", "Expansion", None, "Partner"])
channels = st.sampled_from(["meeting", "web_visit", "Web Visit", "event", "mystery", None])


def rows(**columns: st.SearchStrategy) -> st.SearchStrategy[list[tuple]]:
    return st.lists(st.tuples(*columns.values()), max_size=12)


def frame(header: list[str], values: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(
        [list(v) for v in values], columns=header, index=range(2, len(values) + 2), dtype=object
    )


books = st.fixed_dictionaries(
    {
        "Accounts": rows(
            id=ids,
            fit=scores,
            intent=scores,
            acv=money,
            override=st.sampled_from([None, None, None, 0, 1, 2, 3, 7]),
        ),
        "Opportunities": rows(
            id=st.sampled_from(["O1", "O2", "O3", "O4", "O5", "O6", None]),
            account=ids,
            type=types,
            status=statuses,
            amount=money,
            created=dates,
            close=dates,
        ),
        "Engagement": rows(date=dates, account=ids, channel=channels, weight=money),
        "Spend": rows(date=dates, tier=st.sampled_from([None, 0, 1, 2, 3, 5]), amount=money),
        "engagement_min": st.sampled_from([None, 0, 10, 40]),
    }
)

HEADERS = {
    "Accounts": ["account_id", "fit_score", "intent_score", "expected_acv", "tier_override"],
    "Opportunities": [
        "opportunity_id",
        "account_id",
        "type",
        "status",
        "amount",
        "created_date",
        "close_date",
    ],
    "Engagement": ["date", "account_id", "channel", "weight"],
    "Spend": ["date", "tier", "amount"],
}


def tables_of(book: dict) -> dict[str, RawTable]:
    tables = {name: RawTable(name, frame(HEADERS[name], book[name])) for name in HEADERS}
    tables["Settings"] = RawTable(
        "Settings", frame(["key", "value"], [("engagement_min", book["engagement_min"])])
    )
    return tables


PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(books)
def test_funnel_is_nested_and_tiers_add_up(book: dict) -> None:
    summary = build_summary(tables_of(book), TODAY)
    stages = summary.stages
    implied = {
        "Engaged": "Target",
        "Opportunity": "Engaged",
        "Won": "Opportunity",
        "Retained": "Won",
        "Expanded": "Won",
    }
    for segment in SEGMENTS:
        for stage, before in implied.items():
            assert stages.at[stage, segment] <= stages.at[before, segment], (stage, segment)
    for stage in STAGES:
        tiers = sum(stages.at[stage, f"Tier {t}"] for t in (1, 2, 3))
        assert tiers == stages.at[stage, "All targets"], stage
    assert stages["In stage now"].sum() == stages.at["Target", "All targets"]
    assert (
        len(summary.accounts)
        == stages.at["Target", "All targets"] + stages.at["Target", "Non-target"]
    )
    assert not np.isinf(summary.kpis.loc[:, list(SEGMENTS)].to_numpy(dtype=float)).any()


@PROPERTY_SETTINGS
@given(books)
def test_deterministic_and_input_untouched(book: dict) -> None:
    tables = tables_of(book)
    before = {name: raw.frame.copy(deep=True) for name, raw in tables.items()}
    first = build_summary(tables, TODAY)
    second = build_summary(tables, TODAY)
    for name, raw in tables.items():
        pd.testing.assert_frame_equal(raw.frame, before[name])
    pd.testing.assert_frame_equal(first.stages, second.stages)
    pd.testing.assert_frame_equal(first.kpis, second.kpis)
    pd.testing.assert_frame_equal(first.issues, second.issues)
    pd.testing.assert_frame_equal(first.accounts, second.accounts)
    assert first.to_json() == second.to_json()
