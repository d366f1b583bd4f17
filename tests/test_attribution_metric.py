"""attribution_shares: the spec's worked example, micro journeys, invariants, domains."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abmxl import metrics
from abmxl.metrics import DomainError, attribution_shares, evaluate
from abmxl.metrics.attribution import ATTRIBUTION_MODELS
from abmxl.schema import ATTRIBUTION_MODELS as SETTINGS_MODELS

C = dt.date(2026, 3, 1)  # created date of the spec's example opportunity
K = C + dt.timedelta(days=40)  # its close date
TOUCHES = [C - dt.timedelta(days=30), C - dt.timedelta(days=10), C, C + dt.timedelta(days=20)]
WEIGHTS = [1, 30, 30, 120]
AMOUNT = 100000

# analytics.md section 8, worked example: credited amounts per touch
# (web_visit, webinar, meeting, event), rounded as the spec prints them.
REVENUE = {
    "first": (100000, 0, 0, 0),
    "last": (0, 0, 0, 100000),
    "linear": (25000, 25000, 25000, 25000),
    "u_shaped": (40000, 10000, 10000, 40000),
    "w_shaped": (30000, 10000, 30000, 30000),
    "time_decay": (12882.94, 20450.39, 25765.88, 40900.79),
    "weighted": (552.49, 16574.59, 16574.59, 66298.34),
}
PIPELINE = {
    "first": (100000, 0, 0),
    "last": (0, 0, 100000),
    "linear": (33333.33, 33333.33, 33333.33),
    "u_shaped": (40000, 20000, 40000),
    "w_shaped": (30000, 10000, 60000),
    "time_decay": (21798.84, 34603.49, 43597.67),
    "weighted": (1639.34, 49180.33, 49180.33),
}


def test_models_are_the_settings_models_in_the_spec_order():
    assert ATTRIBUTION_MODELS == SETTINGS_MODELS


@pytest.mark.parametrize(("model", "expected"), REVENUE.items())
def test_spec_example_revenue_journey(model, expected):
    shares = attribution_shares([1] * 4, TOUCHES, K, model, C, WEIGHTS, 30)
    assert np.round(shares * AMOUNT, 2).tolist() == pytest.approx(expected, abs=0.006)


@pytest.mark.parametrize(("model", "expected"), PIPELINE.items())
def test_spec_example_pipeline_journey(model, expected):
    shares = attribution_shares(["opp"] * 3, TOUCHES[:3], C, model, C, WEIGHTS[:3], 30)
    assert np.round(shares * AMOUNT, 2).tolist() == pytest.approx(expected, abs=0.006)


def test_spec_example_in_scrambled_order_with_a_second_journey_between():
    # Rows of two journeys interleaved and out of date order: shares follow the rows.
    journeys = ["a", "b", "a", "b", "a", "a"]
    dates = [TOUCHES[3], C, TOUCHES[0], C, TOUCHES[2], TOUCHES[1]]
    shares = attribution_shares(journeys, dates, [K, C, K, C, K, K], "u_shaped", C)
    assert shares.tolist() == pytest.approx([0.4, 0.5, 0.4, 0.5, 0.1, 0.1])


# Hand-made micro journeys in the manner of DP6's tests: a few touches, the
# shares written out by hand.
MICRO = [
    # model, touch day offsets, created offset, end offset, weights, shares
    ("first", [0], 0, 0, None, [1.0]),
    ("last", [0, 5], 5, 5, None, [0.0, 1.0]),
    ("linear", [0, 1, 2, 3, 4], 4, 4, None, [0.2] * 5),
    ("u_shaped", [0], 0, 0, None, [1.0]),
    ("u_shaped", [0, 9], 9, 9, None, [0.5, 0.5]),
    ("u_shaped", [0, 1, 2], 2, 2, None, [0.4, 0.2, 0.4]),
    ("u_shaped", [0, 1, 2, 3, 4], 4, 4, None, [0.4, 0.2 / 3, 0.2 / 3, 0.2 / 3, 0.4]),
    # w_shaped: one touch is all three milestones (0.9) and gets the 0.1 too.
    ("w_shaped", [0], 0, 0, None, [1.0]),
    # two touches, created on the last: t1 0.3, t2 creation+last 0.6, 0.1 split.
    ("w_shaped", [0, 3], 3, 3, None, [0.35, 0.65]),
    # two touches, created before both: creation = t1 (0.6), last 0.3.
    ("w_shaped", [5, 6], 0, 6, None, [0.65, 0.35]),
    # created between: t1, t2 = creation, t4 last; t3 gets the 0.1.
    ("w_shaped", [0, 2, 4, 6], 3, 6, None, [0.3, 0.3, 0.1, 0.3]),
    # created after every touch: creation = last touch.
    ("w_shaped", [0, 1, 2, 3], 10, 10, None, [0.3, 0.05, 0.05, 0.6]),
    # ties on the created date: the last touch of that day (by row) is tc.
    ("w_shaped", [0, 3, 3, 5], 3, 5, None, [0.3, 0.1, 0.3, 0.3]),
    # time decay, half-life 30: 30 days older = half the weight.
    ("time_decay", [0, 30], 30, 30, None, [1 / 3, 2 / 3]),
    ("time_decay", [0, 0], 0, 10, None, [0.5, 0.5]),
    ("weighted", [0, 1], 1, 1, [1, 3], [0.25, 0.75]),
    ("weighted", [0, 1, 2], 2, 2, [0, 0, 5], [0.0, 0.0, 1.0]),
]


@pytest.mark.parametrize(("model", "offsets", "created", "end", "weights", "expected"), MICRO)
def test_micro_journeys(model, offsets, created, end, weights, expected):
    base = np.datetime64("2026-01-01")
    dates = base + np.array(offsets)
    n = len(offsets)
    shares = attribution_shares(
        np.zeros(n, dtype=int), dates, base + end, model, base + created, weights, 30
    )
    assert shares.tolist() == pytest.approx(expected)


def test_same_day_touches_keep_row_order():
    shares = attribution_shares(
        [1, 1, 1], ["2026-01-02", "2026-01-01", "2026-01-02"], "2026-01-05", "first"
    )
    assert shares.tolist() == [0.0, 1.0, 0.0]
    last = attribution_shares(
        [1, 1, 1], ["2026-01-02", "2026-01-01", "2026-01-02"], "2026-01-05", "last"
    )
    assert last.tolist() == [0.0, 0.0, 1.0]


def test_scalar_touch_gives_a_float():
    assert attribution_shares(5, "2026-01-01", "2026-02-01", "linear") == 1.0
    assert isinstance(attribution_shares(5, "2026-01-01", "2026-02-01", "linear"), float)


def test_inputs_of_every_kind():
    series = pd.Series(["x", "x"])
    dates = pd.Series(pd.to_datetime(["2026-01-01", "2026-01-03"]))
    shares = attribution_shares(series, dates, np.datetime64("2026-01-03"), " Linear ")
    assert shares.tolist() == [0.5, 0.5]
    categorical = pd.Series(["b", "a", "b"], dtype="category")
    shares = attribution_shares(categorical, ["2026-01-01"] * 3, "2026-01-02", "first")
    assert shares.tolist() == [1.0, 1.0, 0.0]


def test_empty_input():
    assert attribution_shares([], [], [], "w_shaped").shape == (0,)


def test_missing_values_spoil_their_journey_only():
    shares = attribution_shares(
        ["a", "a", "b", None],
        ["2026-01-01", None, "2026-01-01", "2026-01-01"],
        "2026-02-01",
        "linear",
    )
    assert np.isnan(shares[[0, 1, 3]]).all()
    assert shares[2] == 1.0
    weighted = attribution_shares(
        [1, 1, 2], ["2026-01-01"] * 3, "2026-01-02", "weighted", weights=[1, np.nan, 4]
    )
    assert np.isnan(weighted[:2]).all() and weighted[2] == 1.0


def test_all_zero_weights_are_nan_and_div0_under_evaluate():
    result = evaluate(
        attribution_shares,
        [1, 1, 2],
        ["2026-01-01"] * 3,
        "2026-01-02",
        "weighted",
        weights=[0, 0, 3],
    )
    assert np.isnan(result.values[:2]).all() and result.values[2] == 1.0
    assert result.errors.tolist() == [metrics.ERROR_DIV0, metrics.ERROR_DIV0, 0]


@pytest.mark.parametrize(
    ("kwargs", "argument", "kind"),
    [
        ({"model": "shapley"}, "model", "value"),
        ({"model": "linear", "half_life_days": 0}, "half_life_days", "num"),
        ({"model": "linear", "half_life_days": "x"}, "half_life_days", "value"),
        ({"model": "weighted"}, "weights", "value"),
        ({"model": "weighted", "weights": [1, -1]}, "weights", "num"),
        ({"model": "weighted", "weights": [1, "x"]}, "weights", "value"),
        ({"model": "weighted", "weights": [1, 2, 3]}, "weights", "value"),
        ({"model": "linear", "end_dates": "2025-12-31"}, "touch_dates", "num"),
        ({"model": "linear", "end_dates": ["2026-03-01", "2026-03-02"]}, "end_dates", "value"),
        ({"model": "linear", "end_dates": 3.5}, "end_dates", "value"),
    ],
)
def test_domain_errors(kwargs, argument, kind):
    arguments = {"end_dates": "2026-03-01", **kwargs}
    with pytest.raises(DomainError) as raised:
        attribution_shares([1, 1], ["2026-01-01", "2026-01-02"], **arguments)
    assert raised.value.argument == argument
    assert raised.value.kind == kind
    assert raised.value.function == "attribution_shares"
    assert str(raised.value).startswith("attribution_shares: ")


def test_evaluate_marks_whole_bad_journeys():
    result = evaluate(
        attribution_shares,
        [1, 1, 2, 2],
        ["2026-01-01"] * 4,
        "2026-01-02",
        "weighted",
        weights=[1, -1, 2, "x"],
    )
    assert result.errors.tolist() == [metrics.ERROR_NUM] * 2 + [metrics.ERROR_VALUE] * 2
    assert np.isnan(result.values).all()
    late = evaluate(
        attribution_shares, [1, 2], ["2026-01-01", "2026-03-01"], "2026-02-01", "linear"
    )
    assert late.errors.tolist() == [0, metrics.ERROR_NUM]
    assert late.values[0] == 1.0


# --------------------------------------------------------------------------- invariants


@st.composite
def journeys(draw):
    n = draw(st.integers(1, 60))
    journey = draw(st.lists(st.integers(0, 8), min_size=n, max_size=n))
    offsets = draw(st.lists(st.integers(0, 200), min_size=n, max_size=n))
    weights = draw(st.lists(st.integers(1, 120), min_size=n, max_size=n))
    created_shift = draw(st.integers(-50, 250))
    return np.array(journey), np.array(offsets), np.array(weights, dtype=float), created_shift


BASE = np.datetime64("2026-01-01")


def _shares(model, data):
    journey, offsets, weights, created_shift = data
    ends = np.zeros(9, dtype=np.int64)
    np.maximum.at(ends, journey, offsets)  # each journey ends on its last touch
    end = BASE + ends[journey]
    created = BASE + np.minimum(ends[journey], np.maximum(created_shift, 0))
    return attribution_shares(journey, BASE + offsets, end, model, created, weights, 30)


@settings(max_examples=60, deadline=None)
@given(data=journeys(), model=st.sampled_from(ATTRIBUTION_MODELS))
def test_shares_sum_to_one_per_journey(data, model):
    shares = _shares(model, data)
    journey = data[0]
    assert (shares >= 0).all()
    totals = np.bincount(journey, weights=shares)
    present = np.bincount(journey) > 0
    assert totals[present] == pytest.approx(np.ones(present.sum()))


@settings(max_examples=60, deadline=None)
@given(data=journeys(), model=st.sampled_from(["first", "last"]))
def test_first_and_last_put_everything_on_one_touch(data, model):
    journey, offsets = data[0], data[1]
    shares = _shares(model, data)
    assert set(np.unique(shares)) <= {0.0, 1.0}
    assert (np.bincount(journey, weights=shares == 1.0) == (np.bincount(journey) > 0)).all()
    chosen = shares == 1.0
    for j in np.unique(journey):  # check only: which touch, by a plain rule
        rows = np.flatnonzero(journey == j)
        key = sorted(rows, key=lambda r: (offsets[r], r))
        assert chosen[key[0 if model == "first" else -1]]


@settings(max_examples=60, deadline=None)
@given(data=journeys())
def test_linear_is_uniform(data):
    journey = data[0]
    shares = _shares("linear", data)
    assert shares == pytest.approx(1.0 / np.bincount(journey)[journey])


@settings(max_examples=60, deadline=None)
@given(data=journeys())
def test_time_decay_never_gives_an_older_touch_more(data):
    journey, offsets = data[0], data[1]
    shares = _shares("time_decay", data)
    same = journey[:, None] == journey[None, :]
    older = offsets[:, None] < offsets[None, :]
    assert not (same & older & (shares[:, None] > shares[None, :] + 1e-12)).any()


@settings(max_examples=40, deadline=None)
@given(data=journeys(), model=st.sampled_from(ATTRIBUTION_MODELS))
def test_row_order_of_journeys_does_not_matter(data, model):
    # Moving whole journeys around (keeping each journey's rows in order) keeps shares.
    journey, offsets, weights, created_shift = data
    permutation = np.argsort(-journey, kind="stable")
    moved = (journey[permutation], offsets[permutation], weights[permutation], created_shift)
    assert _shares(model, moved) == pytest.approx(_shares(model, data)[permutation])


# In the manner of DP6's marketing-attribution-models tests: nine journeys
# written as "A > B > C", each converting for 3, and each channel's total
# credit worked out by hand (the totals sum to 27 under every model).
DP6_JOURNEYS = ["A", "A > B", "A > B > C", "B", "B > A", "B > C > A", "C", "C > A", "C > B > A"]
DP6_TOTALS = {
    "first": {"A": 9, "B": 9, "C": 9},
    "last": {"A": 15, "B": 6, "C": 6},
    "linear": {"A": 10.5, "B": 9, "C": 7.5},
    "u_shaped": {"A": 11.1, "B": 8.4, "C": 7.5},
    # created on the last touch: t1 0.3, tc = tn 0.6, the middle 0.1; two
    # touches 0.35 / 0.65 (no other touch: the 0.1 split by the two milestones).
    "w_shaped": {"A": 12.45, "B": 7.5, "C": 7.05},
}


@pytest.mark.parametrize(("model", "totals"), DP6_TOTALS.items())
def test_dp6_style_channel_totals(model, totals):
    journey, channel, offset = [], [], []
    for number, path in enumerate(DP6_JOURNEYS):
        for position, name in enumerate(path.split(" > ")):
            journey.append(number)
            channel.append(name)
            offset.append(position)
    dates = np.datetime64("2026-01-01") + np.array(offset)
    ends = np.datetime64("2026-01-01") + np.array([len(p.split(" > ")) - 1 for p in DP6_JOURNEYS])
    shares = attribution_shares(journey, dates, ends[journey], model)
    credit = pd.Series(3 * shares).groupby(channel).sum()
    assert credit.to_dict() == pytest.approx(totals)
    assert credit.sum() == pytest.approx(27)
