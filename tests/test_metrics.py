"""Worked examples, domains, broadcasting and missing values of abmxl.metrics."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

import abmxl
from abmxl import metrics
from abmxl.metrics import (
    ERROR_DIV0,
    ERROR_NONE,
    ERROR_NUM,
    ERROR_VALUE,
    DomainError,
    account_penetration,
    acv,
    cac,
    cac_payback_months,
    churn_rate,
    clv,
    clv_from_churn,
    cost_per,
    engagement_pct,
    engagement_scores,
    evaluate,
    gross_revenue_retention,
    ltv_to_cac,
    net_revenue_retention,
    nps,
    pipeline_velocity,
    renewal_rate,
    tam,
    tier,
    win_rate,
)

SPEC_NAMES = [
    "win_rate",
    "acv",
    "clv",
    "clv_from_churn",
    "cac",
    "engagement_pct",
    "tier",
    "tam",
    "pipeline_velocity",
    "churn_rate",
    "renewal_rate",
    "net_revenue_retention",
    "gross_revenue_retention",
    "nps",
    "ltv_to_cac",
    "cac_payback_months",
    "account_penetration",
    "cost_per",
    "engagement_scores",
    # analytics.md
    "lift",
    "engagement_trend",
    "tier_reason",
    "attribution_shares",
]


def test_all_lists_exactly_the_contract_and_is_importable_from_the_package():
    assert sorted(metrics.__all__) == sorted(SPEC_NAMES)
    for name in SPEC_NAMES:
        assert getattr(abmxl, name) is getattr(metrics, name)


# Every worked example of shared/spec/metrics.md, with the spec's rounding.
WORKED_EXAMPLES = [
    (win_rate, (10, 100), 0.10),
    (acv, (500000, 5), 100000.0),
    (acv, (90000, 3, 5000), 28333.33),
    (clv, (100000, 5), 500000.0),
    (clv, (100000, 5, 0.8), 400000.0),
    (clv, (100000, 5, 0.8, 0.1), 333589.24),
    (clv_from_churn, (100000, 0.2, 0.8), 400000.0),
    (clv_from_churn, (100000, 0.2, 0.8, 0.1), 293333.33),
    (clv_from_churn, (24000, 0.08, 0.75), 225000.0),
    (cac, (300000, 200000, 10), 50000.0),
    (cac, (300000, 200000, 10, 100000), 60000.0),
    (engagement_pct, (45, 300), 0.15),
    (tam, (1200, 50000), 60000000.0),
    (pipeline_velocity, (50, 20000, 0.25, 90), 2777.78),
    (churn_rate, (8, 100), 0.08),
    (renewal_rate, (45, 50), 0.9),
    (net_revenue_retention, (1000000, 180000, 50000, 100000), 1.03),
    (gross_revenue_retention, (1000000, 50000, 100000), 0.85),
    (nps, ([10, 9, 8, 7, 6, 0, 10, 9, 3, 10],), 20.0),
    (ltv_to_cac, (300000, 100000), 3.0),
    (cac_payback_months, (1200, 1200, 0.8), 15.0),
    (account_penetration, (4, 10), 0.4),
    (cost_per, (50000, 25), 2000.0),
]


@pytest.mark.parametrize(
    ("function", "args", "expected"),
    WORKED_EXAMPLES,
    ids=[f"{f.__name__}{args}" for f, args, _ in WORKED_EXAMPLES],
)
def test_worked_example(function, args, expected):
    result = function(*args)
    assert type(result) is float
    assert result == pytest.approx(expected, abs=0.005)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((85, 70, 12, 150000), 1),
        ((85, 70, 0, 50000), 2),
        ((85, 0, 0, 10000), 3),
        ((50, 90, 90, 900000), 0),
        ((85, 70, 12, 50000), 2),
        # The thresholds are inclusive.
        ((70, 60, 10, 100000), 1),
        ((70, 60, 0, 25000), 2),
        ((70, 0, 10, 24999), 3),
        ((69.9, 100, 100, 1e9), 0),
        # Missing intent/engagement/ACV count as 0; a missing fit is untiered.
        ((85, None, 12, 50000), 2),
        ((85, None, None, 150000), 3),
        ((85, 70, 12, None), 3),
        ((None, 100, 100, 1e9), 0),
        ((math.nan, 100, 100, 1e9), 0),
    ],
)
def test_tier_rules(args, expected):
    result = tier(*args)
    assert type(result) is int
    assert result == expected


def test_tier_thresholds_override_defaults_and_missing_counts_as_zero_against_them():
    assert tier(50, 0, 0, 0, fit_min=50, intent_min=0, acv_tier2=0) == 2
    # intent_min 0: a missing intent (= 0) meets it, as a 0 would.
    assert tier(50, None, 0, 0, fit_min=50, intent_min=0, acv_tier2=0) == 2
    assert tier(85, 70, 12, 150000, acv_tier1=200000) == 2


def test_spec_engagement_scores_example():
    ids = ["A", "B", "C"]
    events = ["A", "A", "B", "Z", "A"]
    dates = ["2026-03-30", "2025-11-01", "2026-03-01", "2026-03-30", "2026-04-02"]
    weights = [30, 10, 2, 5, 100]
    plain = engagement_scores(ids, events, dates, weights, "2026-03-31")
    np.testing.assert_allclose(plain, [30.0, 2.0, 0.0])
    decayed = engagement_scores(ids, events, dates, weights, "2026-03-31", half_life_days=30)
    np.testing.assert_allclose(decayed, [30 * 0.5 ** (1 / 30), 1.0, 0.0])
    assert decayed[0] == pytest.approx(29.31, abs=0.005)


# --------------------------------------------------------------------------- domains

DOMAIN_ERRORS = [
    (win_rate, (-1, 10), "won", "won=-1"),
    (win_rate, (1, -10), "closed", "closed=-10"),
    (win_rate, (12, 10), "won", "won=12, closed=10"),
    (win_rate, ("ten", 10), "won", "won='ten'"),
    (acv, (-1, 5), "total_contract_value", "total_contract_value=-1"),
    (acv, (100, 0), "years", "years=0"),
    (acv, (100, -2), "years", "years=-2"),
    (acv, (100, 5, -1), "one_time_fees", "one_time_fees=-1"),
    (acv, (100, 5, 101), "one_time_fees", "one_time_fees=101"),
    (clv, (-5, 5), "acv", "acv=-5"),
    (clv, (100, 0), "lifetime_years", "lifetime_years=0"),
    (clv, (100, 5, 1.2), "gross_margin", "gross_margin=1.2"),
    (clv, (100, 5, -0.1), "gross_margin", "gross_margin=-0.1"),
    (clv, (100, 5, 0.8, -1), "discount_rate", "discount_rate=-1"),
    (clv, (100, 5, 0.8, 0.1, -1.5), "expansion_rate", "expansion_rate=-1.5"),
    (clv_from_churn, (100, 0), "churn_rate", "churn_rate=0"),
    (clv_from_churn, (100, 1.5), "churn_rate", "churn_rate=1.5"),
    (clv_from_churn, (100, 0.1, 1, 0, 0.2), "churn_rate", "expansion_rate=0.2"),
    (clv_from_churn, (100, 0.2, 2), "gross_margin", "gross_margin=2"),
    (clv_from_churn, (100, 0.2, 1, -1), "discount_rate", "discount_rate=-1"),
    (cac, (-1, 0, 1), "sales_cost", "sales_cost=-1"),
    (cac, (1, -1, 1), "marketing_cost", "marketing_cost=-1"),
    (cac, (1, 1, -1), "new_customers", "new_customers=-1"),
    (cac, (1, 1, 1, -1), "overhead_cost", "overhead_cost=-1"),
    (engagement_pct, (301, 300), "engaged_accounts", "engaged_accounts=301"),
    (engagement_pct, (-1, 300), "engaged_accounts", "engaged_accounts=-1"),
    (tam, (-1, 50000), "accounts", "accounts=-1"),
    (tam, (1, -50000), "average_acv", "average_acv=-50000"),
    (pipeline_velocity, (-1, 1, 0.5, 9), "opportunities", "opportunities=-1"),
    (pipeline_velocity, (1, -1, 0.5, 9), "average_deal_size", "average_deal_size=-1"),
    (pipeline_velocity, (1, 1, 1.5, 9), "win_rate", "win_rate=1.5"),
    (pipeline_velocity, (1, 1, 0.5, -9), "sales_cycle_days", "sales_cycle_days=-9"),
    (churn_rate, (11, 10), "customers_lost", "customers_lost=11"),
    (churn_rate, (1, -10), "customers_at_start", "customers_at_start=-10"),
    (renewal_rate, (51, 50), "renewed", "renewed=51"),
    (renewal_rate, (-1, 50), "renewed", "renewed=-1"),
    (net_revenue_retention, (-1, 0, 0, 0), "starting_arr", "starting_arr=-1"),
    (net_revenue_retention, (100, -1, 0, 0), "expansion_arr", "expansion_arr=-1"),
    (net_revenue_retention, (100, 0, 60, 50), "contraction_arr", "starting_arr=100"),
    (gross_revenue_retention, (100, 0, -5), "churned_arr", "churned_arr=-5"),
    (gross_revenue_retention, (100, 60, 50), "contraction_arr", "churned_arr=50"),
    (nps, ([10, 11],), "scores", "scores=11 at index 1"),
    (nps, ([10, 9.5],), "scores", "scores=9.5 at index 1"),
    (nps, ([-1],), "scores", "scores=-1 at index 0"),
    (nps, ([10, "yes"],), "scores", "scores='yes' at index 1"),
    (ltv_to_cac, (-1, 1), "clv", "clv=-1"),
    (ltv_to_cac, (1, -1), "cac", "cac=-1"),
    (cac_payback_months, (-1, 1), "cac", "cac=-1"),
    (cac_payback_months, (1, -1), "acv", "acv=-1"),
    (cac_payback_months, (1, 1, 1.01), "gross_margin", "gross_margin=1.01"),
    (account_penetration, (11, 10), "engaged_contacts", "buying_committee_size=10"),
    (account_penetration, (1, -10), "buying_committee_size", "buying_committee_size=-10"),
    (cost_per, (-1, 1), "spend", "spend=-1"),
    (cost_per, (1, -1), "accounts", "accounts=-1"),
    (tier, (101, 0, 0, 0), "fit_score", "fit_score=101"),
    (tier, (-1, 0, 0, 0), "fit_score", "fit_score=-1"),
    (tier, (80, 100.5, 0, 0), "intent_score", "intent_score=100.5"),
    (tier, (80, 0, -1, 0), "engagement_score", "engagement_score=-1"),
    (tier, (80, 0, 0, -1), "expected_acv", "expected_acv=-1"),
    (tier, (80, 0, 0, 0, None), "fit_min", "fit_min=nan"),
    (tier, (80, "high", 0, 0), "intent_score", "intent_score='high'"),
]


@pytest.mark.parametrize(
    ("function", "args", "argument", "shown"),
    DOMAIN_ERRORS,
    ids=[f"{f.__name__}{args}" for f, args, *_ in DOMAIN_ERRORS],
)
def test_domain_error(function, args, argument, shown):
    with pytest.raises(ValueError, match=argument) as raised:
        function(*args)
    error = raised.value
    assert isinstance(error, DomainError)
    assert str(error).startswith(f"{function.__name__}: {argument} ")
    assert shown in str(error)
    assert error.argument == argument
    assert error.function == function.__name__
    assert error.kind == ("value" if "'" in shown else "num")


def test_error_message_names_the_position_in_the_broadcast_shape():
    with pytest.raises(DomainError) as raised:
        win_rate([1, 2, 3, 12, 20], [10, 10, 10, 10, 10])
    assert str(raised.value) == "win_rate: won must be <= closed; got won=12, closed=10 at index 3"
    assert raised.value.index == (3,)
    with pytest.raises(DomainError) as raised:
        win_rate([[1], [2]], [5, -1])
    assert raised.value.argument == "closed"
    assert raised.value.index == (0, 1)
    assert "at index (0, 1)" in str(raised.value)
    with pytest.raises(DomainError) as raised:
        win_rate(1, 0.5)
    assert raised.value.index is None
    assert "index" not in str(raised.value)


def test_shapes_that_do_not_broadcast_are_a_value_error():
    with pytest.raises(DomainError, match="cannot be broadcast") as raised:
        win_rate([1, 2, 3], [4, 5])
    assert raised.value.kind == "value"


@pytest.mark.parametrize(
    "bad",
    ["12", b"12", dt.date(2026, 1, 1), np.datetime64("2026-01-01"), 1 + 2j, object()],
)
def test_non_numbers_are_rejected_even_numeric_text(bad):
    with pytest.raises(DomainError, match="won must be a number") as raised:
        win_rate([1, bad], [10, 10])
    assert raised.value.kind == "value"


def test_numpy_text_array_is_rejected():
    with pytest.raises(DomainError, match="closed must be a number"):
        win_rate(1, np.array(["10", "20"]))


# --------------------------------------------------------------------------- shapes and types


def test_scalar_in_python_scalar_out():
    assert type(win_rate(1, 4)) is float
    assert type(win_rate(np.int64(1), np.float32(4))) is float
    assert type(tier(85, 70, 12, 150000)) is int
    assert type(nps(9)) is float


def test_broadcasting_scalar_with_array_and_column_with_row():
    np.testing.assert_allclose(win_rate([1, 2, 5], 10), [0.1, 0.2, 0.5])
    grid = win_rate([[1], [2]], [4, 8, 10])
    assert grid.shape == (2, 3)
    np.testing.assert_allclose(grid, [[0.25, 0.125, 0.1], [0.5, 0.25, 0.2]])
    assert acv([[100], [200]], [1, 2], [[0], [10]]).shape == (2, 2)
    assert clv(100000, [1, 2, 5], [[1.0], [0.5]]).shape == (2, 3)
    assert tier([[80], [90]], [70, 0, 70], 12, 150000).shape == (2, 3)


def test_one_element_array_stays_an_array():
    result = win_rate([1], 4)
    assert isinstance(result, np.ndarray)
    assert result.shape == (1,)


def test_empty_input_gives_empty_output():
    assert win_rate([], []).shape == (0,)
    assert tier([], [], [], []).shape == (0,)
    assert math.isnan(nps([]))


def test_pandas_series_in_ndarray_out():
    won = pd.Series([1, 2, None], index=["x", "y", "z"], dtype="Float64")
    result = win_rate(won, pd.Series([4, 4, 4]))
    assert type(result) is np.ndarray
    np.testing.assert_allclose(result, [0.25, 0.5, np.nan])
    np.testing.assert_array_equal(
        tier(pd.Series([85.0, 50.0]), pd.Series([70, 70]), 12, pd.Series([150000, 1])), [1, 0]
    )
    assert nps(pd.Series([10, None, 0], dtype=object)) == 0.0


def test_inputs_are_not_modified():
    won = np.array([1.0, np.nan, 3.0])
    closed = np.array([2.0, 4.0, 4.0])
    scores = pd.Series([85.0, np.nan, 60.0])
    intent = [70, None, 90]
    won_copy, closed_copy, scores_copy = won.copy(), closed.copy(), scores.copy()
    win_rate(won, closed)
    tier(scores, intent, [12, 0, 0], [150000, 0, 0])
    nps(won)
    evaluate(win_rate, won, closed)
    np.testing.assert_array_equal(won, won_copy)
    np.testing.assert_array_equal(closed, closed_copy)
    pd.testing.assert_series_equal(scores, scores_copy)
    assert intent == [70, None, 90]


# --------------------------------------------------------------------------- missing values


@pytest.mark.parametrize(
    ("function", "args", "missing_position"),
    [
        (win_rate, ([1, None, 3], [4, 4, 4]), 1),
        (win_rate, ([1, 2, 3], [4, math.nan, 4]), 1),
        (acv, ([100, 200], [1, 2], [0, None]), 1),
        (clv, ([100, None], 5, 0.8, 0.1, 0.05), 1),
        (clv_from_churn, (100, [0.2, None], 0.8), 1),
        (cac, (1, 1, [1, 2], [None, 1]), 0),
        (net_revenue_retention, ([None, 100], 0, 0, 0), 0),
        (pipeline_velocity, (10, 1000, [0.5, np.nan], 30), 1),
        (cac_payback_months, ([1200, None], 1200), 1),
    ],
)
def test_missing_elements_propagate_to_nan(function, args, missing_position):
    result = function(*args)
    assert np.isnan(result[missing_position])
    assert np.isfinite(np.delete(result, missing_position)).all()


def test_nps_ignores_blanks_and_is_nan_without_answers():
    assert nps([10, None, math.nan, 0]) == 0.0
    assert nps([[10, 9], [None, 7]]) == pytest.approx(100 * 2 / 3)
    assert math.isnan(nps([None, None]))


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize(
    ("function", "args"),
    [
        (win_rate, ([0, 0], [0, 5])),
        (engagement_pct, (0, 0)),
        (churn_rate, (0, 0)),
        (renewal_rate, (0, 0)),
        (account_penetration, (0, 0)),
        (net_revenue_retention, (0, 0, 0, 0)),
        (gross_revenue_retention, (0, 0, 0)),
        (ltv_to_cac, (5, 0)),
        (cost_per, (5, 0)),
        (cac, (1, 1, 0)),
        (cac_payback_months, (1, 100, 0)),
        (pipeline_velocity, (1, 1, 1, 0)),
    ],
)
def test_zero_denominator_gives_nan_without_warning(function, args):
    result = np.atleast_1d(function(*args))
    assert np.isnan(result[0])


def test_clv_is_continuous_where_growth_equals_discount():
    exact = clv(100000, 5, 0.8, 0.1, 0.1)
    assert exact == pytest.approx(400000.0)
    near = clv(100000, 5, 0.8, 0.1, 0.1 + 1e-12)
    assert near == pytest.approx(exact, rel=1e-9)
    # A fractional lifetime and full contraction (q = 0: only the first year) are defined.
    assert clv(100000, 2.5) == pytest.approx(250000.0)
    assert clv(100000, 5, 1, 0, -1) == pytest.approx(100000.0)


def test_clv_matches_the_explicit_yearly_sum():
    acv_, years, margin, rate, growth = 52000.0, 7, 0.7, 0.12, 0.04
    explicit = sum(acv_ * margin * (1 + growth) ** t / (1 + rate) ** t for t in range(years))
    assert clv(acv_, years, margin, rate, growth) == pytest.approx(explicit, rel=1e-12)


def test_clv_from_churn_is_the_limit_of_the_survival_weighted_sum():
    acv_, churn, margin, rate, growth = 24000.0, 0.08, 0.75, 0.1, 0.05
    q = (1 + growth) / (1 + rate)
    explicit = sum(acv_ * margin * (q * (1 - churn)) ** t for t in range(2000))
    assert clv_from_churn(acv_, churn, margin, rate, growth) == pytest.approx(explicit)


# --------------------------------------------------------------------------- evaluate


def test_evaluate_marks_only_the_offending_elements():
    result = evaluate(win_rate, [10, 12, 0, "x", None], [100, 10, 0, 5, 5])
    np.testing.assert_allclose(result.values, [0.1, np.nan, np.nan, np.nan, np.nan])
    assert result.errors.tolist() == [ERROR_NONE, ERROR_NUM, ERROR_DIV0, ERROR_VALUE, ERROR_NONE]


def test_evaluate_broadcasts_errors_and_picks_the_strongest_kind():
    result = evaluate(win_rate, [["x"], [-1], [0], [1]], [0, 2])
    assert result.errors.tolist() == [
        [ERROR_VALUE, ERROR_VALUE],
        [ERROR_NUM, ERROR_NUM],
        [ERROR_DIV0, ERROR_NONE],
        [ERROR_NUM, ERROR_NONE],
    ]


def test_evaluate_scalar_aggregate_and_tier():
    assert evaluate(acv, 100, 0).errors.tolist() == ERROR_NUM
    assert evaluate(nps, [10, 11]).errors.tolist() == ERROR_NUM
    assert evaluate(nps, [None]).errors.tolist() == ERROR_DIV0
    tiers = evaluate(tier, [101, 80, "x"], 70, 12, 150000)
    assert tiers.values.tolist() == [0, 1, 0]
    assert tiers.errors.tolist() == [ERROR_NUM, ERROR_NONE, ERROR_VALUE]


def test_evaluate_does_not_leak_into_later_calls():
    evaluate(win_rate, [12], [10])
    with pytest.raises(DomainError):
        win_rate([12], [10])


# --------------------------------------------------------------------------- engagement scores

AS_OF = dt.date(2026, 3, 31)


def test_engagement_scores_accepts_every_date_form():
    ids = ["A", "B", "C"]
    events = ["A", "A", "B", "Z", "A"]
    iso = ["2026-03-30", "2025-11-01", "2026-03-01", "2026-03-30", "2026-04-02"]
    weights = [30, 10, 2, 5, 100]
    forms = [
        iso,
        np.array(iso, dtype="datetime64[ns]") + np.timedelta64(23, "h"),
        pd.Series(pd.to_datetime(iso)),
        pd.DatetimeIndex(iso).tz_localize("Asia/Tokyo"),
        [dt.date.fromisoformat(d) for d in iso],
        [dt.datetime.fromisoformat(d + "T23:59:59") for d in iso],
        [d + "T08:15" for d in iso],
    ]
    as_ofs = [AS_OF, "2026-03-31", np.datetime64("2026-03-31T23:00"), pd.Timestamp("2026-03-31")]
    for dates in forms:
        for as_of in as_ofs:
            result = engagement_scores(ids, events, dates, weights, as_of)
            np.testing.assert_allclose(result, [30.0, 2.0, 0.0])


def test_engagement_scores_window_ends_are_inclusive_and_future_is_ignored():
    dates = ["2026-03-31", "2026-01-01", "2025-12-31", "2026-04-01"]  # ages 0, 89, 90, -1
    result = engagement_scores(["A"], ["A"] * 4, dates, [1, 2, 4, 8], AS_OF)
    np.testing.assert_allclose(result, [7.0])
    result = engagement_scores(["A"], ["A"] * 4, dates, [1, 2, 4, 8], AS_OF, window_days=0)
    np.testing.assert_allclose(result, [1.0])


def test_engagement_scores_int_ids_duplicates_and_missing():
    result = engagement_scores(
        [7, 3, 7, None],
        [3, 7, 7, 99],
        ["2026-03-31"] * 4,
        [1.0, 2.0, 4.0, 8.0],
        AS_OF,
    )
    np.testing.assert_allclose(result, [6.0, 1.0, 6.0, np.nan])


def test_engagement_scores_missing_weight_or_date_of_a_counted_event_is_nan():
    ids = ["A", "B", "C"]
    result = engagement_scores(
        ids,
        ["A", "B", "B", "Z"],
        ["2026-03-30", None, "2025-01-01", None],
        [None, 1, math.nan, 5],
        AS_OF,
    )
    # A: missing weight in window; B: missing date; B's old nan weight does not count.
    np.testing.assert_allclose(result, [np.nan, np.nan, 0.0])


def test_engagement_scores_empty_events_and_accounts():
    assert engagement_scores([], [], [], [], AS_OF).shape == (0,)
    np.testing.assert_array_equal(engagement_scores(["A"], [], [], [], AS_OF), [0.0])


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"event_weights": [1, -2]}, "event_weights"),
        ({"event_weights": [1, "two"]}, "event_weights"),
        ({"event_dates": ["2026-03-30", "30/03/2026"]}, "event_dates"),
        ({"event_dates": [1.0, 2.0]}, "event_dates"),
        ({"event_account_ids": ["A"]}, "event_account_ids"),
        ({"as_of": None}, "as_of"),
        ({"as_of": "31.03.2026"}, "as_of"),
        ({"window_days": -1}, "window_days"),
        ({"window_days": [90]}, "window_days"),
        ({"half_life_days": 0}, "half_life_days"),
        ({"half_life_days": "30"}, "half_life_days"),
        ({"account_ids": [["A"], ["B"]]}, "account_ids"),  # a nested list is 2-D
    ],
)
def test_engagement_scores_domain_errors(kwargs, argument):
    call = {
        "account_ids": ["A", "B"],
        "event_account_ids": ["A", "B"],
        "event_dates": ["2026-03-30", "2026-03-29"],
        "event_weights": [1, 2],
        "as_of": AS_OF,
    } | kwargs
    with pytest.raises(DomainError, match=argument) as raised:
        engagement_scores(**call)
    assert raised.value.argument == argument


def test_engagement_scores_negative_weight_message_names_the_event():
    with pytest.raises(DomainError) as raised:
        engagement_scores(["A"], ["A", "A", "Z"], ["2026-03-30"] * 3, [1, 2, -3], AS_OF)
    assert str(raised.value) == (
        "engagement_scores: event_weights must be >= 0; got event_weights=-3 at index 2"
    )
    assert raised.value.index == (2,)


def test_engagement_scores_evaluate_marks_accounts_of_bad_events():
    result = evaluate(
        engagement_scores,
        ["A", "B", "C"],
        ["A", "B", "C", "Z"],
        ["2026-03-30"] * 4,
        [1, -1, "x", -5],
        AS_OF,
    )
    np.testing.assert_allclose(result.values, [1.0, np.nan, np.nan])
    assert result.errors.tolist() == [ERROR_NONE, ERROR_NUM, ERROR_VALUE]


def test_engagement_scores_does_not_modify_inputs():
    ids = pd.Series(["A", "B"])
    events = np.array(["A", "B", "A"], dtype=object)
    dates = pd.Series(pd.to_datetime(["2026-03-30", "2026-03-01", "2026-03-31"]))
    weights = np.array([1.0, 2.0, 3.0])
    copies = ids.copy(), events.copy(), dates.copy(), weights.copy()
    engagement_scores(ids, events, dates, weights, AS_OF, half_life_days=7)
    pd.testing.assert_series_equal(ids, copies[0])
    np.testing.assert_array_equal(events, copies[1])
    pd.testing.assert_series_equal(dates, copies[2])
    np.testing.assert_array_equal(weights, copies[3])


def test_engagement_scores_ids_match_like_dict_keys():
    # 7 and 7.0 are one id (equal and same hash, as in a dict); "7" is another.
    result = engagement_scores(
        [7, "7", 7.0], [7, "7", 7.0, "x"], ["2026-03-31"] * 4, [1, 2, 4, 8], AS_OF
    )
    np.testing.assert_allclose(result, [5.0, 2.0, 5.0])


def test_engagement_scores_categorical_event_ids_match_plain_ids():
    events = ["A", "B", "A", "Z", None]
    dates = ["2026-03-30", "2026-03-01", "2025-01-01", "2026-03-30", "2026-03-30"]
    weights = [1.0, 2.0, 4.0, 8.0, 16.0]
    plain = engagement_scores(["B", "A", "C"], events, dates, weights, AS_OF)
    categorical = engagement_scores(
        pd.Series(["B", "A", "C"]), pd.Series(events, dtype="category"), dates, weights, AS_OF
    )
    np.testing.assert_allclose(plain, [2.0, 1.0, 0.0])
    np.testing.assert_allclose(categorical, plain)


# Text ids match exactly as dict keys would (look-alikes, duplicates, non-text).
TEXT_ID_CASES = [
    # (accounts, event ids) ; every event is dated AS_OF with weight 2**position
    (["a", "a\x00", ""], ["a\x00", "a", "", "a\x00\x00"]),  # NUL-padded look-alikes
    (["acct-0001", "acct-00010"], ["acct-00010", "acct-0001", "acct-000100000000000"]),
    (["abcdefgh", "abcdefghi", "x"], ["abcdefghi", "abcdefgh", "abcdefghij"]),  # word edges
    (["A", "B", "A"], ["A", "B", "C", "a"]),  # duplicate accounts
    (["A", "B"], ["A", None, 7, np.nan, "é", "B", np.str_("A")]),  # non-text events
    (["é", "A"], ["é", "A", "e"]),  # non-ASCII accounts: generic path
    (["A", "B"], []),
]


@pytest.mark.parametrize(("accounts", "events"), TEXT_ID_CASES)
def test_engagement_scores_text_ids_match_like_dict_keys(accounts, events):
    weights = [float(2**i) for i in range(len(events))]
    totals: dict[object, float] = {}
    for event, weight in zip(events, weights, strict=True):
        if not (isinstance(event, float) and math.isnan(event)):
            totals[event] = totals.get(event, 0.0) + weight
    result = engagement_scores(
        np.array(accounts, dtype=object),
        np.array(events, dtype=object),
        [AS_OF] * len(events),
        weights,
        AS_OF,
    )
    np.testing.assert_array_equal(result, [totals.get(a, 0.0) for a in accounts])


def test_engagement_scores_text_ids_agree_with_categorical():
    rng = np.random.default_rng(7)
    accounts = np.array([f"acct-{i:05d}" for i in range(300)], dtype=object)
    known = rng.integers(0, 300, 2_000)
    events = np.array([f"acct-{i:05d}" if i % 10 else f"other-{i}" for i in known], dtype=object)
    events[::97] = None
    weights = rng.uniform(0, 10, events.size)
    dates = np.datetime64("2026-03-31") - rng.integers(-5, 120, events.size).astype("m8[D]")
    expected = engagement_scores(
        pd.Categorical(accounts), pd.Categorical(events), dates, weights, AS_OF
    )
    np.testing.assert_allclose(
        engagement_scores(accounts, events, dates, weights, AS_OF), expected, rtol=1e-12
    )


@pytest.mark.parametrize(
    ("window_days", "expected"),
    [(0, 1.0), (0.5, 1.0), (1, 3.0), (29.99, 3.0), (30, 7.0), (math.inf, 15.0)],
)
def test_engagement_scores_window_counts_whole_days(window_days, expected):
    # Ages 0, 1, 30 and 10,000 days, plus a future event (age -1) that never counts.
    dates = ["2026-03-31", "2026-03-30", "2026-03-01", "1998-11-13", "2026-04-01"]
    result = engagement_scores(["A"], ["A"] * 5, dates, [1, 2, 4, 8, 16], AS_OF, window_days)
    np.testing.assert_array_equal(result, [expected])


INT_ID_CASES = [
    # (accounts, event ids): dense ranges take a lookup table, sparse ones a hash.
    (np.arange(5), np.array([0, 4, 5, -1, 2, 2])),
    (np.array([-3, 7, -3, 0]), np.array([-3, 7, 8, -4, 0, 2**62, -(2**62)])),  # far-away ids
    (np.array([10**12, 5]), np.array([5, 10**12, 6])),  # sparse
    (np.array([1, 2], dtype=np.uint8), np.array([2, 258, 1], dtype=np.int64)),
    (np.array([-128, 127], dtype=np.int8), np.array([127, -128, 0], dtype=np.int8)),
    (np.array([2**64 - 1, 2**64 - 2], dtype=np.uint64), np.array([2**64 - 1, 3], dtype=np.uint64)),
    (np.array([1, 2], dtype=np.int64), np.array([2, 2**64 - 1, 1], dtype=np.uint64)),
    (np.array([3, 1], dtype=np.int32), np.array([1.0, 3.0, 2.0])),  # float events
]


@pytest.mark.parametrize(("accounts", "events"), INT_ID_CASES)
def test_engagement_scores_int_ids_match_like_dict_keys(accounts, events):
    weights = [float(2**i) for i in range(len(events))]
    totals: dict[object, float] = {}
    for event, weight in zip(events.tolist(), weights, strict=True):
        totals[event] = totals.get(event, 0.0) + weight
    result = engagement_scores(accounts, events, [AS_OF] * len(events), weights, AS_OF)
    np.testing.assert_array_equal(result, [totals.get(a, 0.0) for a in accounts.tolist()])
