"""lift, engagement_trend and tier_reason (analytics.md sections 2, 6 and 7)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abmxl.metrics import (
    ERROR_DIV0,
    ERROR_NUM,
    DomainError,
    engagement_trend,
    evaluate,
    lift,
    tier,
    tier_reason,
)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((30, 100, 10, 100), (3.0, 1.5508, 5.8033)),
        ((12, 40, 45, 300), (2.0, 1.1601, 3.4480)),
    ],
)
def test_lift_spec_examples(args, expected):
    got = lift(*args)
    assert all(type(x) is float for x in got)
    assert got[0] == expected[0]
    assert got[1:] == pytest.approx(expected[1:], abs=5e-5)


def test_lift_hand_computed_katz_interval_at_90_percent():
    # z(0.95) = 1.6448536; se = sqrt(1/12 - 1/40 + 1/45 - 1/300)
    se = math.sqrt(1 / 12 - 1 / 40 + 1 / 45 - 1 / 300)
    _, low, high = lift(12, 40, 45, 300, confidence=0.9)
    assert (low, high) == pytest.approx(
        (2 * math.exp(-1.6448536 * se), 2 * math.exp(1.6448536 * se))
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((0, 100, 10, 100), (0.0, None, None)),  # no success: ratio 0, no log interval
        ((10, 100, 0, 100), (None, None, None)),  # baseline rate 0: no ratio
        ((0, 0, 10, 100), (None, None, None)),  # empty group
        ((10, 100, 0, 0), (None, None, None)),  # empty baseline
    ],
)
def test_lift_blank_cases(args, expected):
    got = lift(*args)
    assert [None if math.isnan(x) else x for x in got] == list(expected)


def test_lift_domain_and_evaluate():
    with pytest.raises(DomainError, match="successes must be <= trials"):
        lift(5, 4, 1, 10)
    with pytest.raises(DomainError, match="confidence"):
        lift(5, 10, 1, 10, confidence=1)
    result = evaluate(lambda *a: lift(*a)[0], [30, 5, 1], [100, 4, 10], [10, 1, 0], [100, 10, 10])
    assert result.errors.tolist() == [0, ERROR_NUM, ERROR_DIV0]


@settings(max_examples=200, deadline=None)
@given(
    trials=st.integers(1, 10_000),
    share=st.floats(0.001, 1.0),
    confidence=st.floats(0.5, 0.999),
)
def test_a_segment_against_itself_has_lift_one_and_an_interval_containing_one(
    trials, share, confidence
):
    successes = max(1, round(trials * share))
    ratio, low, high = lift(successes, trials, successes, trials, confidence)
    assert ratio == 1.0
    if successes < trials:
        assert low <= 1.0 <= high
    else:  # every trial a success: a zero-width interval at exactly 1
        assert low == pytest.approx(1.0) and high == pytest.approx(1.0)


@settings(max_examples=200, deadline=None)
@given(
    a=st.integers(1, 500),
    n1=st.integers(1, 500),
    c=st.integers(1, 500),
    n2=st.integers(1, 500),
)
def test_interval_surrounds_the_ratio_and_widens_with_confidence(a, n1, c, n2):
    a, c = min(a, n1), min(c, n2)
    ratio, low, high = lift(a, n1, c, n2)
    _, low99, high99 = lift(a, n1, c, n2, 0.99)
    assert 0 < low <= ratio <= high
    assert low99 <= low * (1 + 1e-12) and high99 >= high * (1 - 1e-12)


def test_engagement_trend_spec_example():
    events = ["A", "A", "A", "B"]
    dates = ["2026-03-30", "2026-03-10", "2026-03-01", "2026-03-01"]
    got = engagement_trend(["A", "B", "C"], events, dates, [30, 2, 10, 2], "2026-03-31")
    assert got[:2].tolist() == [9.0, -1.0]
    assert math.isnan(got[2])


def test_engagement_trend_period_edges_and_future():
    # as_of 03-31, recent 7: ages 0..6 (03-25..03-31) recent; ages 7..34 (02-25..03-24) baseline.
    dates = ["2026-03-25", "2026-03-24", "2026-02-25", "2026-02-24", "2026-04-01"]
    got = engagement_trend(["A"] * 1, ["A"] * 5, dates, [7, 4, 4, 1000, 1000], "2026-03-31")
    assert got.tolist() == [7 / (8 * 7 / 28) - 1]


def test_engagement_trend_evaluate_marks_no_baseline():
    result = evaluate(engagement_trend, ["A", "B"], ["A"], ["2026-03-30"], [5], "2026-03-31")
    assert result.errors.tolist() == [ERROR_DIV0, ERROR_DIV0]
    with pytest.raises(DomainError, match="recent_days"):
        engagement_trend(["A"], ["A"], ["2026-03-30"], [5], "2026-03-31", recent_days=0)


SPEC_REASONS = [
    (
        (85, 70, 12, 150000),
        "Tier 1: fit 85 >= 70, intent 70 >= 60, engagement 12 >= 10, ACV 150,000 >= 100,000",
    ),
    (
        (85, 70, 0, 50000),
        "Tier 2: fit 85 >= 70, intent 70 >= 60, ACV 50,000 >= 25,000; "
        "not Tier 1: engagement 0 < 10, ACV 50,000 < 100,000",
    ),
    ((85, 0, 0, 30000), "Tier 3: fit 85 >= 70; not Tier 2: intent 0 < 60, engagement 0 < 10"),
    ((50, 90, 90, 900000), "Untiered: fit 50 < 70"),
    ((None, 90, 90, 900000), "Untiered: no fit score"),
    # Beyond the spec's list: both signals in Tier 2, a small ACV in Tier 3, decimals.
    (
        (85, 70, 12.25, 50000),
        "Tier 2: fit 85 >= 70, intent 70 >= 60, engagement 12.2 >= 10, ACV 50,000 >= 25,000; "
        "not Tier 1: ACV 50,000 < 100,000",
    ),
    ((85, 70, 12, 1234.56), "Tier 3: fit 85 >= 70; not Tier 2: ACV 1,234.6 < 25,000"),
    (
        (85, None, None, None),
        "Tier 3: fit 85 >= 70; not Tier 2: intent 0 < 60, engagement 0 < 10, ACV 0 < 25,000",
    ),
]


@pytest.mark.parametrize(("args", "expected"), SPEC_REASONS)
def test_tier_reason_spec_examples(args, expected):
    assert tier_reason(*args) == expected


def test_tier_reason_of_no_accounts_is_empty():
    assert tier_reason([], [], [], []).shape == (0,)


def test_tier_reason_override_and_arrays():
    assert tier_reason(85, 70, 12, 150000, tier_override=2) == "Tier 2: tier_override"
    got = tier_reason([85, 85], [70, 70], [12, 12], [150000, 150000], tier_override=[None, 0])
    assert got.tolist() == [SPEC_REASONS[0][1], "Untiered: tier_override"]
    with pytest.raises(DomainError):
        tier_reason(85, 70, 12, 150000, tier_override=5)


scores = st.one_of(st.none(), st.floats(0, 100))
amounts = st.one_of(st.none(), st.floats(0, 1e7))


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(
        st.tuples(scores, scores, st.one_of(st.none(), st.floats(0, 500)), amounts),
        min_size=1,
        max_size=20,
    ),
    engagement_min=st.sampled_from([0, 10, 30]),
)
def test_every_tier_reason_starts_with_its_tier(rows, engagement_min):
    columns = [list(c) for c in zip(*rows, strict=True)]
    tiers = tier(*columns, engagement_min=engagement_min)
    reasons = tier_reason(*columns, engagement_min=engagement_min)
    names = {0: "Untiered: ", 1: "Tier 1: ", 2: "Tier 2: ", 3: "Tier 3: "}
    for t, reason in zip(np.atleast_1d(tiers).tolist(), reasons.tolist(), strict=True):
        assert reason.startswith(names[t])
