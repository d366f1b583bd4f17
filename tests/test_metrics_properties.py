"""Invariants of abmxl.metrics checked with hypothesis."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from abmxl.metrics import engagement_scores, tier, win_rate

counts = st.integers(min_value=0, max_value=10**9)
scores_0_100 = st.floats(min_value=0, max_value=100, allow_nan=False)
maybe_missing = st.one_of(st.none(), st.just(math.nan))


@given(st.lists(st.tuples(counts, counts), min_size=1, max_size=50))
def test_win_rate_is_a_fraction(pairs):
    won = [min(a, b) for a, b in pairs]
    closed = [max(a, b) for a, b in pairs]
    rates = win_rate(won, closed)
    defined = np.array(closed) > 0
    assert np.all((rates[defined] >= 0) & (rates[defined] <= 1))
    assert np.isnan(rates[~defined]).all()


@given(
    st.lists(
        st.tuples(
            st.one_of(scores_0_100, maybe_missing),
            st.one_of(scores_0_100, maybe_missing),
            st.one_of(st.floats(min_value=0, max_value=1e4), maybe_missing),
            st.one_of(st.floats(min_value=0, max_value=1e7), maybe_missing),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_tier_returns_only_0_to_3(rows):
    fit, intent, engagement, acv = zip(*rows, strict=True)
    tiers = tier(list(fit), list(intent), list(engagement), list(acv))
    assert tiers.dtype == np.int8
    assert set(tiers.tolist()) <= {0, 1, 2, 3}


# Tiers from best to worst: 1 "just right", 2, 3, then 0 untiered.
RANK = {1: 0, 2: 1, 3: 2, 0: 3}

thresholds = st.fixed_dictionaries(
    {
        "fit_min": st.floats(min_value=0, max_value=100),
        "intent_min": st.floats(min_value=0, max_value=100),
        "engagement_min": st.floats(min_value=0, max_value=1000),
        "acv_tier1": st.floats(min_value=0, max_value=1e6),
        "acv_tier2": st.floats(min_value=0, max_value=1e6),
    }
)


@settings(max_examples=300)
@given(
    account=st.tuples(
        st.one_of(scores_0_100, maybe_missing),
        st.one_of(scores_0_100, maybe_missing),
        st.one_of(st.floats(min_value=0, max_value=1e4), maybe_missing),
        st.one_of(st.floats(min_value=0, max_value=1e7), maybe_missing),
    ),
    which=st.integers(min_value=0, max_value=3),
    raised_to=st.floats(min_value=0, max_value=1),
    limits=thresholds,
)
def test_tier_is_monotone(account, which, raised_to, limits):
    """Raising fit, intent, engagement or ACV never moves an account to a worse tier."""
    ceilings = (100.0, 100.0, 1e4, 1e7)
    before = list(account)
    current = 0.0 if before[which] is None or math.isnan(before[which]) else before[which]
    after = list(before)
    after[which] = current + (ceilings[which] - current) * raised_to
    assert RANK[tier(*after, **limits)] <= RANK[tier(*before, **limits)]


@given(
    fit=st.one_of(scores_0_100, maybe_missing),
    intent=st.one_of(scores_0_100, maybe_missing),
    engagement=st.one_of(st.floats(min_value=0, max_value=1e4), maybe_missing),
    acv=st.one_of(st.floats(min_value=0, max_value=1e7), maybe_missing),
    limits=thresholds,
)
def test_tier_follows_the_rules_in_order(fit, intent, engagement, acv, limits):
    def value(x):
        return 0.0 if x is None or math.isnan(x) else x

    if fit is None or math.isnan(fit) or fit < limits["fit_min"]:
        expected = 0
    else:
        has_intent = value(intent) >= limits["intent_min"]
        has_engagement = value(engagement) >= limits["engagement_min"]
        if has_intent and has_engagement and value(acv) >= limits["acv_tier1"]:
            expected = 1
        elif (has_intent or has_engagement) and value(acv) >= limits["acv_tier2"]:
            expected = 2
        else:
            expected = 3
    assert tier(fit, intent, engagement, acv, **limits) == expected


AS_OF = dt.date(2026, 3, 31)


def brute_force_scores(account_ids, event_ids, event_dates, weights, window, half_life):
    """The definition, event by event, in plain Python."""
    totals = {}
    for account, day, weight in zip(event_ids, event_dates, weights, strict=True):
        age = (AS_OF - day).days
        if 0 <= age <= window:
            decay = 1.0 if half_life is None else 0.5 ** (age / half_life)
            totals[account] = totals.get(account, 0.0) + weight * decay
    return [totals.get(account, 0.0) for account in account_ids]


def id_sets(draw_id):
    return st.lists(draw_id, min_size=0, max_size=12, unique=True)


@settings(max_examples=150)
@given(
    data=st.data(),
    string_ids=st.booleans(),
    window=st.integers(min_value=0, max_value=120),
    half_life=st.one_of(st.none(), st.floats(min_value=0.5, max_value=200)),
)
def test_engagement_scores_equal_the_per_event_sum(data, string_ids, window, half_life):
    identifier = (
        st.text(alphabet="abcXYZ-é", min_size=0, max_size=4)
        if string_ids
        else st.integers(min_value=-(2**40), max_value=2**40)
    )
    accounts = data.draw(st.lists(identifier, max_size=12), label="accounts")  # may repeat
    # Events name known accounts and unknown ids, and fall before, inside and
    # after the window (ages -30..200 days).
    known_or_not = st.sampled_from(accounts) | identifier if accounts else identifier
    events = data.draw(
        st.lists(
            st.tuples(
                known_or_not,
                st.integers(min_value=-30, max_value=200),
                st.floats(min_value=0, max_value=1e6, allow_nan=False),
            ),
            max_size=60,
        ),
        label="events",
    )
    event_ids = [e[0] for e in events]
    dates = [AS_OF - dt.timedelta(days=e[1]) for e in events]
    weights = [e[2] for e in events]
    result = engagement_scores(
        accounts,
        event_ids,
        np.array(dates, dtype="datetime64[D]"),
        weights,
        AS_OF,
        window_days=window,
        half_life_days=half_life,
    )
    expected = brute_force_scores(accounts, event_ids, dates, weights, window, half_life)
    assert result.shape == (len(accounts),)
    np.testing.assert_allclose(result, expected, rtol=1e-12, atol=1e-9)
