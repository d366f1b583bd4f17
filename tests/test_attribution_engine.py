"""The Attribution table and the influence KPIs through the engine (analytics.md section 8)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from abmxl.engine import RawTable, build_summary
from abmxl.engine.attribution import ATTRIBUTION_COLUMNS, NO_TOUCH
from abmxl.schema import ATTRIBUTION_MODELS

C = dt.date(2026, 3, 1)
K = C + dt.timedelta(days=40)
AS_OF = dt.date(2026, 6, 30)
TODAY = dt.date(2026, 7, 1)
CHANNELS = ("web_visit", "webinar", "meeting", "event")


def days(n: int) -> dt.date:
    return C + dt.timedelta(days=n)


def table(sheet: str, header: list[str], rows: list[tuple]) -> RawTable:
    frame = pd.DataFrame(
        [list(r) for r in rows], columns=header, index=range(2, len(rows) + 2), dtype=object
    )
    return RawTable(sheet, frame)


def book(opportunities, events, spend=None, settings_rows=()) -> dict[str, RawTable]:
    tables = {
        "Settings": table("Settings", ["key", "value"], [("as_of", AS_OF), *settings_rows]),
        "Accounts": table("Accounts", ["account_id", "fit_score"], [("A", 90), ("B", 50)]),
        "Opportunities": table(
            "Opportunities",
            ["opportunity_id", "account_id", "status", "amount", "created_date", "close_date"],
            opportunities,
        ),
        "Engagement": table("Engagement", ["date", "account_id", "channel", "weight"], events),
    }
    if spend is not None:
        tables["Spend"] = table("Spend", list(spend[0]), spend[1])
    return tables


# The spec's example: touches (channel weights: 1, 30, 30, 120), a won 100,000.
EXAMPLE_EVENTS = [
    (days(-30), "A", "Web Visit", None),
    (days(-10), "A", "webinar", None),
    (days(0), "A", "meeting", None),
    (days(20), "A", "event", None),
]
EXAMPLE_OPPS = [("O1", "A", "Closed Won", 100000, C, K)]

# analytics.md section 8: (web_visit, webinar, meeting, event) credits.
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
    "first": (100000, 0, 0, 0),
    "last": (0, 0, 100000, 0),
    "linear": (33333.33, 33333.33, 33333.33, 0),
    "u_shaped": (40000, 20000, 40000, 0),
    "w_shaped": (30000, 10000, 60000, 0),
    "time_decay": (21798.84, 34603.49, 43597.67, 0),
    "weighted": (1639.34, 49180.33, 49180.33, 0),
}
AVG_DAYS_ALL_ROWS = {
    "first": 70,
    "last": 20,
    "linear": 45,
    "u_shaped": 45,
    "w_shaped": 44,
    "time_decay": 37.73,
    "weighted": 28.56,
}
AGE_AT_CLOSE = {"web_visit": 70, "webinar": 50, "meeting": 40, "event": 20}


@pytest.fixture(scope="module")
def example():
    return build_summary(book(EXAMPLE_OPPS, EXAMPLE_EVENTS), TODAY).attribution


def rows_of(frame: pd.DataFrame, model: str) -> pd.DataFrame:
    return frame[frame["Model"] == model].set_index("Channel")


def test_table_shape_and_order(example):
    assert list(example.columns) == list(ATTRIBUTION_COLUMNS)
    channels = [*sorted(CHANNELS), NO_TOUCH]
    assert example["Model"].tolist() == [m for m in ATTRIBUTION_MODELS for _ in channels]
    assert example["Channel"].tolist() == channels * len(ATTRIBUTION_MODELS)
    assert example["Spend"].isna().all() and example["ROI"].isna().all()


@pytest.mark.parametrize("model", ATTRIBUTION_MODELS)
def test_spec_example_revenue_and_pipeline(example, model):
    rows = rows_of(example, model)
    revenue = [round(rows.at[c, "Revenue"], 2) for c in CHANNELS]
    pipeline = [round(rows.at[c, "Pipeline"], 2) for c in CHANNELS]
    assert revenue == pytest.approx(REVENUE[model], abs=0.006)
    assert pipeline == pytest.approx(PIPELINE[model], abs=0.006)
    assert [rows.at[c, "Won deals"] for c in CHANNELS] == pytest.approx(
        [x / 100000 for x in REVENUE[model]], abs=1e-7
    )
    assert [rows.at[c, "Opportunities"] for c in CHANNELS] == pytest.approx(
        [x / 100000 for x in PIPELINE[model]], abs=1e-7
    )
    assert rows.loc[NO_TOUCH, ["Opportunities", "Pipeline", "Won deals", "Revenue"]].eq(0).all()


@pytest.mark.parametrize("model", ATTRIBUTION_MODELS)
def test_spec_example_avg_days_to_close(example, model):
    rows = rows_of(example, model)
    for channel in CHANNELS:
        got = rows.at[channel, "Avg days to close"]
        if rows.at[channel, "Revenue"] > 0:
            assert got == pytest.approx(AGE_AT_CLOSE[channel])
        else:
            assert math.isnan(got)
    assert math.isnan(rows.at[NO_TOUCH, "Avg days to close"])
    credited = rows["Revenue"] > 0
    overall = (rows["Revenue"] * rows["Avg days to close"])[credited].sum() / rows["Revenue"].sum()
    assert round(overall, 2) == AVG_DAYS_ALL_ROWS[model]


def test_influence_kpis_and_account_columns_of_the_example():
    opps = [
        *EXAMPLE_OPPS,
        # Not sourced (no touch in [c - 90, c]); influenced (touches up to as_of).
        ("O2", "A", "Open", 5000, days(-200), None),
        ("O3", "A", "Open", 700, None, None),  # no created date: neither
        ("O4", "B", "Closed Lost", 300, days(10), days(30)),  # B has no touch
    ]
    summary = build_summary(book(opps, EXAMPLE_EVENTS), TODAY)
    kpis = summary.kpis
    # A is a target (tier 3), B is not: the two columns hold every opportunity.
    total = kpis.loc[["sourced_pipeline", "influenced_pipeline"], ["All targets", "Non-target"]]
    assert total.sum(axis=1).tolist() == [100000, 105000]
    assert kpis.at["influenced_pipeline_pct", "All targets"] == pytest.approx(105000 / 105000)
    assert kpis.at["sourced_pipeline_pct", "All targets"] == pytest.approx(100000 / 105000)
    assert kpis.at["sourced_pipeline_pct", "Non-target"] == 0  # B's 300: no touch
    assert kpis.loc["sourced_revenue_won", ["All targets", "Non-target"]].sum() == 100000
    scores = summary.accounts.set_index("account_id")
    assert scores.at["A", "sourced_pipeline"] == 100000
    assert scores.at["A", "influenced_pipeline"] == 105000
    assert scores.at["B", "sourced_pipeline"] == 0
    assert list(summary.accounts.columns)[-2:] == ["sourced_pipeline", "influenced_pipeline"]
    # O2, O3, O4 credit (no touch) in full under every model.
    for model in ATTRIBUTION_MODELS:
        rows = rows_of(summary.attribution, model)
        assert rows.at[NO_TOUCH, "Opportunities"] == 3
        assert rows.at[NO_TOUCH, "Pipeline"] == 6000
        assert rows.at[NO_TOUCH, "Won deals"] == 0


def test_influence_journey_runs_to_as_of_while_open():
    events = [(days(100), "A", "meeting", None)]
    opps = [("O1", "A", "Open", 1000, C, None), ("O2", "A", "Closed Lost", 10, C, days(50))]
    summary = build_summary(book(opps, events), TODAY)
    scores = summary.accounts.set_index("account_id")
    assert scores.at["A", "sourced_pipeline"] == 0
    assert scores.at["A", "influenced_pipeline"] == 1000  # O2 closed before the touch


def test_without_engagement_the_influence_kpis_are_blank():
    tables = book(EXAMPLE_OPPS, EXAMPLE_EVENTS)
    del tables["Engagement"]
    summary = build_summary(tables, TODAY)
    assert summary.kpis.loc["sourced_pipeline":"influenced_revenue_won", "All targets"].isna().all()
    assert summary.accounts["sourced_pipeline"].isna().all()
    rows = rows_of(summary.attribution, "linear")
    assert rows.index.tolist() == [NO_TOUCH]
    assert rows.at[NO_TOUCH, "Revenue"] == 100000


def test_zero_weight_and_future_touches_are_no_touches():
    events = [
        (days(-5), "A", "ad_impression", None),  # weight 0 by default
        (days(-5), "A", "webinar", 0),
        (AS_OF + dt.timedelta(days=1), "A", "meeting", None),
    ]
    opps = [("O1", "A", "Won", 10, C, AS_OF + dt.timedelta(days=5))]
    summary = build_summary(book(opps, events), TODAY)
    assert summary.attribution["Channel"].unique().tolist() == [NO_TOUCH]


def test_spend_by_channel_and_roi():
    spend = (
        ["date", "amount", "Channel"],
        [(C, 1000, "Webinar"), (C, 500, "webinar"), (C, 200, None), (C, 300, "Direct Mail")],
    )
    summary = build_summary(book(EXAMPLE_OPPS, EXAMPLE_EVENTS, spend), TODAY)
    rows = rows_of(summary.attribution, "linear")
    assert rows.index.tolist() == ["direct_mail", "event", "meeting", "web_visit", "webinar",
                                   NO_TOUCH]  # fmt: skip
    assert rows.at["webinar", "Spend"] == 1500
    assert rows.at["webinar", "ROI"] == pytest.approx(25000 / 1500)
    assert rows.at["direct_mail", "Spend"] == 300 and rows.at["direct_mail", "Revenue"] == 0
    assert rows.at["event", "Spend"] == 0 and math.isnan(rows.at["event", "ROI"])
    assert math.isnan(rows.at[NO_TOUCH, "Spend"])


def test_settings_window_and_half_life():
    rows = [("attribution_window_days", 15), ("attribution_half_life_days", 10)]
    summary = build_summary(book(EXAMPLE_OPPS, EXAMPLE_EVENTS, settings_rows=rows), TODAY)
    linear = rows_of(summary.attribution, "linear")
    # Window 15: the web visit (c - 30) is in no journey, so no row; three touches left.
    assert "web_visit" not in linear.index
    assert linear.at["webinar", "Revenue"] == pytest.approx(100000 / 3)
    decay = rows_of(summary.attribution, "time_decay")
    raw = np.array([0.5**5, 0.5**4, 0.5**2])  # ages 50, 40, 20 over half-life 10
    assert decay.loc[["webinar", "meeting", "event"], "Revenue"].tolist() == pytest.approx(
        (100000 * raw / raw.sum()).tolist()
    )


def test_to_json_attribution():
    document = build_summary(book(EXAMPLE_OPPS, EXAMPLE_EVENTS), TODAY).to_json()
    rows = document["attribution"]
    assert set(rows[0]) == {"model", "channel", "opportunities", "pipeline", "won_deals",
                            "revenue", "avg_days_to_close", "spend", "roi"}  # fmt: skip
    first = [r for r in rows if r["model"] == "first"]
    assert first[-1] == {
        "model": "first",
        "channel": NO_TOUCH,
        "opportunities": 0,
        "pipeline": 0,
        "won_deals": 0,
        "revenue": 0,
        "avg_days_to_close": None,
        "spend": None,
        "roi": None,
    }


# --------------------------------------------------------------------------- invariant

STATUSES = ("Won", "Lost", "Open")


@st.composite
def random_books(draw):
    n_opps = draw(st.integers(1, 8))
    opps = []
    for i in range(n_opps):
        created = draw(st.one_of(st.none(), st.integers(-60, 60)))
        close = draw(st.one_of(st.none(), st.integers(-30, 120)))
        opps.append(
            (
                f"O{i}",
                draw(st.sampled_from("AB")),
                draw(st.sampled_from(STATUSES)),
                draw(st.integers(0, 100000)),
                None if created is None else days(created),
                None if close is None else days(close),
            )
        )
    events = [
        (
            days(draw(st.integers(-150, 130))),
            draw(st.sampled_from("AB")),
            draw(st.sampled_from(("web_visit", "webinar", "event", "meeting", "chat"))),
            draw(st.one_of(st.none(), st.integers(0, 50))),
        )
        for _ in range(draw(st.integers(0, 15)))
    ]
    return opps, events


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=random_books())
def test_every_model_sums_to_the_opportunity_totals(data):
    opps, events = data
    summary = build_summary(book(opps, events), TODAY)
    amount = sum(o[3] for o in opps)
    won = [o for o in opps if o[2] == "Won"]
    sums = summary.attribution.groupby("Model", sort=False)[
        ["Opportunities", "Pipeline", "Won deals", "Revenue"]
    ].sum()
    assert sums.index.tolist() == list(ATTRIBUTION_MODELS)
    for model in ATTRIBUTION_MODELS:
        assert sums.at[model, "Opportunities"] == pytest.approx(len(opps))
        assert sums.at[model, "Pipeline"] == pytest.approx(amount)
        assert sums.at[model, "Won deals"] == pytest.approx(len(won))
        assert sums.at[model, "Revenue"] == pytest.approx(sum(o[3] for o in won))
