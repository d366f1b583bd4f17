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


def book_strategy(messy: bool) -> st.SearchStrategy[dict]:
    """Random books; ``messy`` ones mix blanks and bad cells into every column."""

    def maybe(good: st.SearchStrategy, *bad: object) -> st.SearchStrategy:
        if not messy:
            return good
        return st.one_of(good, good, st.none(), *([st.sampled_from(bad)] if bad else []))

    ids = st.sampled_from(["A1", "A2", "A3", "A4", "NA", "1001", 1001.0, " A2 "])
    if messy:
        ids = st.one_of(ids, st.sampled_from([None, "ZZ"]))
    day = st.dates(dt.date(2025, 6, 1), dt.date(2026, 8, 1))
    dates = maybe(day, "2026-03-01", "03/04/2026", 46100.0)
    money = maybe(st.integers(0, 300_000), "5000", -10, "x")
    scores = maybe(st.integers(60, 100) | st.integers(0, 100), "85", "abc", 120, -3)
    statuses = ["Won", "Closed Won", "closedwon", "Lost", "Closed-Lost", "Open", "Negotiation"]
    types = ["New Business", "Renewal", "Upsell", "Expansion", "Renewal", "Upsell"]
    channels = ["meeting", "web_visit", "Web Visit", "event", "email_open"]
    return st.fixed_dictionaries(
        {
            "Accounts": rows(
                id=ids,
                fit=scores,
                intent=scores,
                acv=money,
                override=st.sampled_from([None, None, None, 0, 1, 2, 3]),
            ),
            "Opportunities": rows(
                id=st.sampled_from([f"O{i}" for i in range(12)] + ([None] if messy else [])),
                account=ids,
                type=maybe(st.sampled_from(types), "Partner"),
                status=maybe(st.sampled_from(statuses)),
                amount=money,
                created=dates,
                close=dates,
            ),
            "Engagement": rows(
                date=dates,
                account=ids,
                channel=maybe(st.sampled_from(channels), "mystery"),
                weight=st.none() | money,
            ),
            "Spend": rows(date=dates, tier=st.sampled_from([None, 0, 1, 2, 3]), amount=money),
            "engagement_min": st.sampled_from([None, 0, 10, 40]),
        }
    )


def rows(**columns: st.SearchStrategy) -> st.SearchStrategy[list[tuple]]:
    return st.lists(st.tuples(*columns.values()), max_size=12)


def frame(header: list[str], values: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(
        [list(v) for v in values], columns=header, index=range(2, len(values) + 2), dtype=object
    )


books = st.booleans().flatmap(book_strategy)

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
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
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
