"""FunnelLift, StageVelocity, spikes and stage-date columns on a hand-computed book."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abmxl.engine import RawTable, build_summary
from abmxl.engine.clean import Settings
from abmxl.engine.events import Spikes
from abmxl.engine.spikes import spike_columns

d = dt.date
Z = 1.959964


def table(sheet: str, header: list[str], rows: list[tuple]) -> RawTable:
    frame = pd.DataFrame(
        [list(r) for r in rows], columns=header, index=range(2, len(rows) + 2), dtype=object
    )
    return RawTable(sheet, frame)


# Tiers by tier_override: A, B Tier 1; C Tier 2; N1-N4 non-target.
BOOK = {
    "Settings": table("Settings", ["key", "value"], [("as_of", d(2026, 3, 31))]),
    "Accounts": table(
        "Accounts",
        ["account_id", "fit_score", "tier_override"],
        [("A", 90, 1), ("B", 90, 1), ("C", 90, 2)] + [(f"N{i}", 90, 0) for i in range(1, 5)],
    ),
    "Engagement": table(
        "Engagement",
        ["date", "account_id", "channel", "weight"],
        [
            (d(2026, 1, 10), "A", "webinar", None),  # 30: engaged on 01-10
            (d(2026, 3, 30), "B", "web_visit", 5),  # 5: not engaged, spiking
            (d(2026, 2, 1), "N1", "meeting", None),  # 30: engaged on 02-01
        ],
    ),
    "Opportunities": table(
        "Opportunities",
        ["opportunity_id", "account_id", "status", "amount", "created_date", "close_date"],
        [
            ("O1", "A", "Won", 100000, d(2026, 1, 20), d(2026, 3, 1)),
            ("O2", "C", "Lost", 50000, d(2026, 2, 1), d(2026, 3, 15)),
            ("O3", "N1", "Won", 40000, d(2026, 2, 11), d(2026, 3, 13)),
            ("O4", "N2", "Open", 10000, d(2026, 3, 1), None),
        ],
    ),
}


@pytest.fixture(scope="module")
def summary():
    return build_summary(BOOK, d(2026, 4, 1))


def katz(a, n1, c, n2):
    ratio = (a / n1) / (c / n2)
    se = math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2)
    return ratio, ratio * math.exp(-Z * se), ratio * math.exp(Z * se)


NAN = math.nan
# (segment, measure): (value, non-target, lift, low, high), computed by hand.
EXPECTED_LIFT = {
    ("All targets", "engaged_pct"): (2 / 3, 2 / 4, *katz(2, 3, 2, 4)),
    ("All targets", "opportunity_rate"): (2 / 3, 2 / 4, *katz(2, 3, 2, 4)),
    ("All targets", "account_win_rate"): (1 / 3, 1 / 4, *katz(1, 3, 1, 4)),
    ("All targets", "win_rate"): (1 / 2, 1.0, *katz(1, 2, 1, 1)),
    ("All targets", "avg_deal_size"): (100000, 40000, 2.5, NAN, NAN),
    ("All targets", "avg_sales_cycle_days"): (40, 30, 4 / 3, NAN, NAN),
    ("Tier 1", "engaged_pct"): (1 / 2, 2 / 4, *katz(1, 2, 2, 4)),
    ("Tier 1", "win_rate"): (1.0, 1.0, *katz(1, 1, 1, 1)),
    ("Tier 2", "engaged_pct"): (1.0, 2 / 4, *katz(1, 1, 2, 4)),
    ("Tier 2", "account_win_rate"): (0.0, 1 / 4, 0.0, NAN, NAN),  # no success: no interval
    ("Tier 2", "avg_deal_size"): (NAN, 40000, NAN, NAN, NAN),
    ("Tier 3", "engaged_pct"): (NAN, 2 / 4, NAN, NAN, NAN),  # no accounts
}


@pytest.mark.parametrize("key", list(EXPECTED_LIFT), ids=lambda k: "/".join(k))
def test_funnel_lift_by_hand(summary, key):
    row = summary.lift.set_index(["Segment", "Measure"]).loc[key]
    value, baseline, ratio, low, high = EXPECTED_LIFT[key]
    got = row[["Value", "Non-target", "Lift", "Low", "High", "Difference"]].to_numpy(float)
    want = [value, baseline, ratio, low, high, value - baseline]
    np.testing.assert_allclose(got, want, rtol=1e-6, equal_nan=True)


def test_funnel_lift_shape(summary):
    lift = summary.lift
    assert list(lift.columns) == [
        "Segment", "Measure", "KPI", "Value", "Non-target", "Lift", "Low", "High", "Difference",
    ]  # fmt: skip
    assert len(lift) == 4 * 6
    assert lift["KPI"].iloc[0] == "Engaged accounts %"


# (transition, segment): (accounts, mean, median)
EXPECTED_VELOCITY = {
    ("First touch -> Engaged", "All targets"): (1, 0, 0),
    ("First touch -> Engaged", "Non-target"): (1, 0, 0),
    ("Engaged -> Opportunity", "All targets"): (1, 10, 10),  # C engaged by its opportunity only
    ("Engaged -> Opportunity", "Non-target"): (1, 10, 10),
    ("Opportunity -> Won", "All targets"): (1, 40, 40),
    ("Opportunity -> Won", "Tier 1"): (1, 40, 40),
    ("Opportunity -> Won", "Tier 2"): (0, NAN, NAN),
    ("Opportunity -> Won", "Non-target"): (1, 30, 30),
    ("Won -> Retained", "All targets"): (0, NAN, NAN),
}


@pytest.mark.parametrize("key", list(EXPECTED_VELOCITY), ids=lambda k: "/".join(k))
def test_stage_velocity_by_hand(summary, key):
    row = summary.velocity.set_index(["Transition", "Segment"]).loc[key]
    got = row[["Accounts", "Mean days", "Median days"]].to_numpy(float)
    np.testing.assert_allclose(got, EXPECTED_VELOCITY[key], equal_nan=True)


def test_account_columns_by_hand(summary):
    scores = summary.accounts.set_index("account_id")
    assert str(scores.at["A", "engaged_date"].date()) == "2026-01-10"
    assert pd.isna(scores.at["C", "engaged_date"]) and scores.at["C", "reached_engaged"]
    assert str(scores.at["N1", "won_date"].date()) == "2026-03-13"
    assert scores["spiking"].tolist() == [False, True, False, False, False, False, False]
    assert scores.at["B", "recent_engagement"] == 5 and scores.at["B", "baseline_engagement"] == 0
    assert math.isnan(scores.at["B", "engagement_trend"])
    assert scores.at["A", "tier_reason"] == "Tier 1: tier_override"
    kpis = summary.kpis
    assert kpis.loc["spiking_accounts", ["All targets", "Tier 1", "Non-target"]].tolist() == [
        1,
        1,
        0,
    ]
    assert kpis.loc["surging_accounts"].iloc[1:].tolist() == [0, 0, 0, 0, 0]


def test_json_has_lift_and_velocity(summary):
    document = summary.to_json()
    first = document["lift"][0]
    assert list(first) == [
        "segment", "measure", "kpi", "value", "non_target", "lift", "low", "high", "difference",
    ]  # fmt: skip
    tier3 = [r for r in document["lift"] if r["segment"] == "Tier 3"]
    assert all(r["value"] is None and r["lift"] is None for r in tier3)
    assert list(document["velocity"][0]) == [
        "transition", "segment", "accounts", "mean_days", "median_days",
    ]  # fmt: skip


SETTINGS = Settings(
    as_of=d(2026, 3, 31), fit_min=70, intent_min=60, engagement_min=10, acv_tier1=1e5,
    acv_tier2=25000, window_days=90, half_life_days=None, gross_margin=0.8, discount_rate=0.1,
    customer_lifetime_years=3,
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    recent=st.floats(0, 1e6),
    baseline=st.floats(0, 1e6),
    extra=st.floats(0, 1e6),
    min_lift=st.floats(0, 10),
    min_recent=st.floats(0, 100),
)
def test_raising_recent_engagement_never_turns_a_spike_off(
    recent, baseline, extra, min_lift, min_recent
):
    s = Settings(
        **{**SETTINGS.__dict__, "spike_min_lift": min_lift, "spike_min_recent": min_recent}
    )
    intent = np.array([np.nan])
    before = spike_columns(Spikes(np.array([recent]), np.array([baseline])), intent, s)
    after = spike_columns(Spikes(np.array([recent + extra]), np.array([baseline])), intent, s)
    assert after["spiking"][0] or not before["spiking"][0]


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), half_life=st.sampled_from([None, 7.0, 30.0]))
def test_no_velocity_is_negative(seed, half_life):
    from abmxl.sample import generate

    data = generate(40, seed=seed)
    tables = {
        name: RawTable(name, frame.astype(object).set_axis(range(2, len(frame) + 2)))
        for name, frame in data.items()
    }
    settings_rows = data["Settings"].copy()
    settings_rows.loc[settings_rows["key"] == "half_life_days", "value"] = half_life
    tables["Settings"] = RawTable(
        "Settings", settings_rows.astype(object).set_axis(range(2, len(settings_rows) + 2))
    )
    velocity = build_summary(tables, d(2026, 4, 1)).velocity
    assert (velocity["Accounts"] >= 0).all()
    measured = velocity.dropna()
    assert (measured["Mean days"] >= 0).all() and (measured["Median days"] >= 0).all()
