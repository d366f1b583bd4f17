"""Differential tests: the engine against a plain second reading of the spec.

``tests/reference_funnel.py`` implements ``shared/spec/workbook.md`` with row
loops and dicts, sharing no code with ``abmxl.engine`` or ``abmxl.metrics``.
Each test hands both the same ``RawTable``s and requires the same as-of date,
the same per-account tiers, scores, first touches and stages, identical
FunnelStages counts, every FunnelKPIs value to 1e-9 relative (blank = blank),
and the same DataIssues (sheet, row, column, skipped or repaired).

Books come from ``abmxl.sample.generate``, written by
``abmxl.template.build_workbook`` and read back by ``abmxl.io.reader.read_tables``,
so the cells are exactly what a real refresh sees; a hypothesis test adds
hand-made cells the generator never writes (numbers and dates as text, Excel
serial dates, padded and numeric ids, CRM spellings).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from abmxl.engine import FunnelSummary, RawTable, build_summary
from abmxl.io.reader import read_tables
from abmxl.sample import generate
from abmxl.template import build_workbook
from tests.reference_funnel import (
    KPI_KEYS,
    SEGMENT_NAMES,
    STAGE_NAMES,
    Issue,
    ReferenceSummary,
    reference_summary,
)

TODAY = dt.date(2026, 11, 22)
REL_TOL = 1e-9


# --- comparing ------------------------------------------------------------------


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT


def _same_number(engine_value: object, reference_value: float | None) -> bool:
    if _blank(engine_value) or reference_value is None:
        return _blank(engine_value) and reference_value is None
    return math.isclose(float(engine_value), reference_value, rel_tol=REL_TOL, abs_tol=1e-9)


def differences(summary: FunnelSummary, reference: ReferenceSummary) -> list[str]:
    """Every place where the engine and the reference disagree, readable."""
    found: list[str] = []
    if summary.as_of != reference.as_of:
        found.append(f"as_of: engine {summary.as_of}, reference {reference.as_of}")

    engine_accounts = summary.accounts
    ids = engine_accounts["account_id"].tolist()
    reference_ids = [a.account_id for a in reference.accounts]
    if ids != reference_ids:
        found.append(f"AccountScores ids differ: {set(ids) ^ set(reference_ids)}")
    else:
        for row, account in zip(
            engine_accounts.itertuples(index=False), reference.accounts, strict=True
        ):
            touch = None if _blank(row.first_touch) else pd.Timestamp(row.first_touch).date()
            pairs = {
                "tier": (int(row.tier), account.tier),
                "first_touch": (touch, account.first_touch),
                "current_stage": (row.current_stage, account.current_stage),
            }
            pairs |= {
                f"reached_{stage.lower()}": (bool(getattr(row, f"reached_{stage.lower()}")), hit)
                for stage, hit in account.reached.items()
            }
            for name, (mine, theirs) in pairs.items():
                if mine != theirs:
                    found.append(f"{account.account_id} {name}: engine {mine}, reference {theirs}")
            for name, theirs in account.dates.items():
                mine = getattr(row, name)
                mine = None if _blank(mine) else pd.Timestamp(mine).date()
                if mine != theirs:
                    found.append(f"{account.account_id} {name}: engine {mine}, reference {theirs}")
            for name in ("spiking", "surging", "tier_reason"):
                mine, theirs = getattr(row, name), getattr(account, name)
                if (bool(mine) if name != "tier_reason" else mine) != theirs:
                    found.append(f"{account.account_id} {name}: engine {mine}, reference {theirs}")
            for name in (
                "engagement_score",
                "open_pipeline",
                "won_amount",
                "recent_engagement",
                "baseline_engagement",
                "engagement_trend",
                "sourced_pipeline",
                "influenced_pipeline",
            ):
                theirs = getattr(account, name)
                if not _same_number(getattr(row, name), theirs):
                    found.append(
                        f"{account.account_id} {name}: engine {getattr(row, name)}, "
                        f"reference {theirs}"
                    )

    for stage in STAGE_NAMES:
        for segment in SEGMENT_NAMES:
            mine, theirs = int(summary.stages.at[stage, segment]), reference.stages[stage][segment]
            if mine != theirs:
                found.append(f"stage {stage}/{segment}: engine {mine}, reference {theirs}")
        if not _same_number(summary.stages.at[stage, "Conversion"], reference.conversion[stage]):
            found.append(
                f"Conversion {stage}: engine {summary.stages.at[stage, 'Conversion']}, "
                f"reference {reference.conversion[stage]}"
            )
        if int(summary.stages.at[stage, "In stage now"]) != reference.in_stage_now[stage]:
            found.append(
                f"In stage now {stage}: engine {summary.stages.at[stage, 'In stage now']}, "
                f"reference {reference.in_stage_now[stage]}"
            )

    if list(summary.kpis.index) != list(KPI_KEYS):
        found.append(f"KPI keys differ: {list(summary.kpis.index)}")
    for key in KPI_KEYS:
        for segment in SEGMENT_NAMES:
            mine = summary.kpis.at[key, segment] if key in summary.kpis.index else None
            theirs = reference.kpis[key][segment]
            if not _same_number(mine, theirs):
                found.append(f"kpi {key}/{segment}: engine {mine}, reference {theirs}")

    # analytics.md sections 4 and 5: the --json rows against the reference's.
    document = summary.to_json()
    engine_trends = document.get("trends", [])
    if len(engine_trends) != len(reference.trends):
        found.append(f"Trends rows: engine {len(engine_trends)}, reference {len(reference.trends)}")
    for mine, theirs in zip(engine_trends, reference.trends, strict=False):
        where = f"{theirs['period']}/{theirs['segment']}"
        if (mine["period"], mine["segment"]) != (theirs["period"], theirs["segment"]):
            found.append(f"Trends row {where}: engine {mine['period']}/{mine['segment']}")
            continue
        for key, value in theirs.items():
            if key not in ("period", "segment") and not _same_number(mine[key], value):
                found.append(f"trend {key} {where}: engine {mine[key]}, reference {value}")
    if document.get("progression") != reference.progression:
        found.append(
            f"progression: engine {document.get('progression')}, reference {reference.progression}"
        )
    lift = summary.lift.set_index(["Segment", "Measure"])
    if set(lift.index) != set(reference.lift):
        found.append(f"FunnelLift rows differ: {set(lift.index) ^ set(reference.lift)}")
    else:
        for key, expected in reference.lift.items():
            for column, theirs in expected.items():
                if not _same_number(lift.at[key, column], theirs):
                    found.append(
                        f"lift {key} {column}: engine {lift.at[key, column]}, reference {theirs}"
                    )
    velocity = summary.velocity.set_index(["Transition", "Segment"])
    if set(velocity.index) != set(reference.velocity):
        found.append("StageVelocity rows differ")
    else:
        for key, expected in reference.velocity.items():
            mine = tuple(velocity.loc[key, ["Accounts", "Mean days", "Median days"]])
            if int(mine[0]) != expected[0] or not all(
                _same_number(m, t) for m, t in zip(mine[1:], expected[1:], strict=True)
            ):
                found.append(f"velocity {key}: engine {mine}, reference {expected}")
    found += attribution_differences(summary, reference)

    engine_issues = {
        Issue(sheet, None if _blank(row) else int(row), column, action == "row skipped")
        for sheet, row, column, action in summary.issues.loc[
            :, ["Sheet", "Row", "Column", "Action"]
        ].itertuples(index=False, name=None)
    }
    for issue in sorted(engine_issues - reference.issues, key=repr):
        found.append(f"issue only in the engine: {issue}")
    for issue in sorted(reference.issues - engine_issues, key=repr):
        found.append(f"issue only in the reference: {issue}")
    return found


def attribution_differences(summary: FunnelSummary, reference: ReferenceSummary) -> list[str]:
    """The Attribution table, row by row (model, channel and every number)."""
    table = summary.attribution
    mine = [] if table is None else summary.to_json()["attribution"]
    keys = [(r["model"], r["channel"]) for r in mine]
    theirs = [(r["model"], r["channel"]) for r in reference.attribution]
    if keys != theirs:
        return [f"Attribution rows differ: engine {keys[:12]}, reference {theirs[:12]}"]
    found = []
    for engine_row, reference_row in zip(mine, reference.attribution, strict=True):
        for column, value in reference_row.items():
            if column in ("model", "channel"):
                continue
            if not _same_number(engine_row[column], value):
                found.append(
                    f"Attribution {engine_row['model']}/{engine_row['channel']} {column}: "
                    f"engine {engine_row[column]}, reference {value}"
                )
    return found


def assert_agree(tables: dict[str, RawTable], today: dt.date = TODAY) -> FunnelSummary:
    summary = build_summary(tables, today=today)
    found = differences(summary, reference_summary(tables, today))
    assert not found, "\n".join(found[:40])
    return summary


# --- books written and read like a real workbook ---------------------------------------


def read_back(tmp_path: Path, data: dict[str, pd.DataFrame]) -> dict[str, RawTable]:
    path = build_workbook(tmp_path / "book.xlsx", data, vba=False)
    return read_tables(path)


def with_settings(data: dict[str, pd.DataFrame], **values: object) -> dict[str, pd.DataFrame]:
    """``data`` with Settings values replaced (``None`` = a blank cell)."""
    frame = data["Settings"].copy()
    for key, value in values.items():
        frame.loc[frame["key"] == key, "value"] = value
    return {**data, "Settings": frame}


BOOKS = [
    (5, 1, False),
    (12, 2, True),
    (30, 3, False),
    (40, 4, True),
    (75, 5, False),
    (120, 6, True),
    (160, 7, False),
    (200, 8, True),
]


@pytest.mark.parametrize(("n_accounts", "seed", "messy"), BOOKS)
def test_generated_books_agree(tmp_path: Path, n_accounts: int, seed: int, messy: bool) -> None:
    tables = read_back(tmp_path, generate(n_accounts, seed=seed, messy=messy))
    summary = assert_agree(tables)
    if messy:
        assert len(summary.issues) > 0


SETTINGS_VARIANTS = {
    "half-life 30": {"half_life_days": 30.0},
    "half-life 7, window 30": {"half_life_days": 7.0, "window_days": 30.0},
    "loose thresholds": {"fit_min": 40.0, "intent_min": 30.0, "engagement_min": 2.0},
    "tight thresholds": {"fit_min": 85.0, "engagement_min": 60.0, "acv_tier1": 250000.0},
    "engagement_min 0": {"engagement_min": 0.0},
    "small acv bars": {"acv_tier1": 20000.0, "acv_tier2": 5000.0},
    "no discount, 5 years": {"discount_rate": 0.0, "customer_lifetime_years": 5.0},
    "margin 0.6, discount 0.25": {"gross_margin": 0.6, "discount_rate": 0.25},
    "as_of earlier": {"as_of": dt.date(2025, 12, 31)},
    "as_of blank": {"as_of": None},
    "window 0": {"window_days": 0.0},
    "months, 30 periods": {"period": "month", "trend_periods": 30.0},
    "years, 3 periods, half-life 20": {
        "period": "YEAR",
        "trend_periods": 3.0,
        "half_life_days": 20.0,
    },
    "one quarter": {"trend_periods": 1.0},
    "period unknown, trend_periods 2.5": {"period": "week", "trend_periods": 2.5},
    "spikes 14 over 60, lift 0.5": {
        "spike_recent_days": 14.0,
        "spike_baseline_days": 60.0,
        "spike_min_lift": 0.5,
        "spike_min_recent": 1.0,
    },
}


@pytest.mark.parametrize("variant", list(SETTINGS_VARIANTS))
@pytest.mark.parametrize("messy", [False, True], ids=["clean", "messy"])
def test_settings_variants_agree(tmp_path: Path, variant: str, messy: bool) -> None:
    data = with_settings(generate(80, seed=21, messy=messy), **SETTINGS_VARIANTS[variant])
    assert_agree(read_back(tmp_path, data))


@pytest.mark.parametrize(
    "dropped",
    [("Engagement",), ("Spend",), ("Contacts", "Surveys"), ("Settings", "ChannelWeights")],
    ids=lambda d: "-".join(d),
)
def test_books_without_optional_sheets_agree(tmp_path: Path, dropped: tuple[str, ...]) -> None:
    data = generate(50, seed=9, messy=True)
    tables = read_back(tmp_path, data)
    for name in dropped:
        tables.pop(name, None)
    assert_agree(tables)


# --- hand-made cells the generator never writes ------------------------------------------

IDS = ["A1", "A2", " A3 ", "NA", "1001", 1001.0, "a1", "#N/A"]


def _frame(header: list[str], rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(
        [list(r) for r in rows], columns=header, index=range(2, len(rows) + 2), dtype=object
    )


def _cells(good: st.SearchStrategy, *bad: object) -> st.SearchStrategy:
    return st.one_of(good, good, good, st.none(), st.sampled_from(bad) if bad else good)


# Few distinct days, so that same-day touches, opportunities and closes are common.
_DAY_POOL = [dt.date(2025, 12, 1), dt.date(2026, 1, 1), dt.date(2026, 3, 31), dt.date(2026, 4, 2)]
_days = st.one_of(st.sampled_from(_DAY_POOL), st.dates(dt.date(2025, 1, 1), dt.date(2026, 8, 1)))
_dates = _cells(
    _days,
    "2026-03-01",
    "2026-02-30",
    "2026-03-01 14:30",
    "03/04/2026",
    46100.0,
    46100.75,
    12.0,
    True,
    dt.time(14, 30),
    dt.datetime(2026, 3, 31, 23, 59),
)
_money = _cells(
    st.integers(0, 200_000).map(float),
    "5000",
    " 1e3 ",
    -10.0,
    "1,000",
    "$5",
    "nan",
    dt.date(2026, 1, 1),
    False,
)
_acv = _cells(st.integers(0, 500_000).map(float), "5000", "n/a", -10.0)
_score = _cells(st.integers(0, 100).map(float), "85", 120.0, -3.0, "abc")

hand_made_books = st.fixed_dictionaries(
    {
        "Accounts": st.lists(
            st.tuples(
                st.sampled_from([*IDS, None, "   "]),
                _score,
                _score,
                _acv,
                st.sampled_from([None, None, None, 0.0, 1.0, 2.0, 3.0, 5.0, "2"]),
            ),
            max_size=10,
        ),
        "Contacts": st.lists(
            st.tuples(
                st.sampled_from(["C1", "C2", "C3", "C4", None]),
                st.sampled_from([*IDS, "ZZ"]),
                st.sampled_from(["Y", "n", "Yes", "TRUE", "no", "1", True, 0.0, None, "maybe"]),
            ),
            max_size=8,
        ),
        "Engagement": st.lists(
            st.tuples(
                _dates,
                st.sampled_from([*IDS, "ZZ", None]),
                st.sampled_from(["meeting", "Web Visit", " EVENT ", "email_open", "podcast", None]),
                st.one_of(st.none(), st.none(), _money),
            ),
            max_size=14,
        ),
        "Opportunities": st.lists(
            st.tuples(
                st.sampled_from([f"O{i}" for i in range(10)] + [None]),
                st.sampled_from([*IDS, "ZZ"]),
                st.sampled_from([None, "New Business", "renewal", "Up-sell", "Cross Sell", "X"]),
                st.sampled_from(["Won", "Closed Won", "closed_lost", "Lost", "Open", None]),
                _money,
                st.sampled_from([None, 1.0, 2.0, 3.0, 0.0, "2"]),
                st.sampled_from([None, None, 0.0, 500.0, 300_000.0, -1.0]),
                _dates,
                _dates,
            ),
            max_size=12,
        ),
        "Spend": st.lists(
            st.tuples(_dates, st.sampled_from([None, 0.0, 1.0, 2.0, 3.0, 4.0, "1"]), _money),
            max_size=8,
        ),
        "Surveys": st.lists(
            st.tuples(
                st.sampled_from([*IDS, "ZZ"]),
                _cells(st.integers(0, 10).map(float), 11.0, 7.5, "9", "ten"),
            ),
            max_size=6,
        ),
        "settings": st.fixed_dictionaries(
            {
                "as_of": st.sampled_from([None, dt.date(2026, 3, 31), "2026-06-30"]),
                "engagement_min": st.sampled_from([None, 0.0, 10.0, 40.0]),
                "half_life_days": st.sampled_from([None, 14.0, -1.0]),
                "discount_rate": st.sampled_from([None, 0.0, 0.1]),
            }
        ),
    }
)

HAND_MADE_HEADERS = {
    "Accounts": ["Account ID", "fit_score", "Intent Score", "expected_acv", "tier_override"],
    "Contacts": ["contact_id", "account_id", "engaged"],
    "Engagement": ["date", "account_id", "channel", "weight"],
    "Opportunities": [
        "opportunity_id",
        "account_id",
        "type",
        "status",
        "amount",
        "term_years",
        "one_time_fees",
        "created_date",
        "close_date",
    ],
    "Spend": ["date", "tier", "amount"],
    "Surveys": ["account_id", "score"],
}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hand_made_books)
def test_hand_made_cells_agree(book: dict) -> None:
    tables = {
        name: RawTable(name, _frame(header, book[name]))
        for name, header in HAND_MADE_HEADERS.items()
    }
    tables["Settings"] = RawTable(
        "Settings", _frame(["key", "value"], list(book["settings"].items()))
    )
    assert_agree(tables)


# --- a book worked by hand: anchors the reference itself ------------------------------------

EDGE_AS_OF = dt.date(2026, 3, 31)


def edge_book() -> dict[str, RawTable]:
    """Boundaries of every time rule, worked out in ``test_edge_book_by_hand``."""
    d = dt.date
    return {
        "Accounts": RawTable(
            "Accounts",
            _frame(
                ["account_id", "fit_score", "intent_score", "expected_acv"],
                [("A1", 80.0, 70.0, 150000.0), ("A2", 80.0, 0.0, 10000.0), ("A3", 50.0, 0, 0)],
            ),
        ),
        "Engagement": RawTable(
            "Engagement",
            _frame(
                ["date", "account_id", "channel"],
                [
                    (d(2026, 3, 31), "A1", "meeting"),  # age 0: 30
                    (d(2025, 12, 31), "A1", "web_visit"),  # age 90 = window: 1
                    (d(2025, 12, 30), "A1", "event"),  # age 91: first touch, not scored
                    (d(2026, 4, 1), "A1", "event"),  # the future: ignored, no issue
                    (d(2026, 1, 1), "A2", "podcast"),  # unknown channel: weight 0, repaired
                ],
            ),
        ),
        "Opportunities": RawTable(
            "Opportunities",
            _frame(
                [
                    "opportunity_id",
                    "account_id",
                    "type",
                    "status",
                    "amount",
                    "term_years",
                    "one_time_fees",
                    "created_date",
                    "close_date",
                ],
                [
                    (
                        "O1",
                        "A1",
                        None,
                        "Closed Won",
                        120000.0,
                        2.0,
                        20000.0,
                        d(2026, 1, 5),
                        d(2026, 1, 5),
                    ),
                    (
                        "O2",
                        "A1",
                        "Renewal",
                        "closed-lost",
                        60000.0,
                        None,
                        None,
                        d(2026, 2, 1),
                        d(2026, 3, 1),
                    ),
                    ("O3", "A2", "New", "Negotiation", 30000.0, None, None, d(2026, 1, 1), None),
                    (
                        "O4",
                        "A3",
                        "New Business",
                        "Lost",
                        5000.0,
                        None,
                        None,
                        d(2026, 2, 1),
                        d(2026, 2, 10),
                    ),
                ],
            ),
        ),
        "Spend": RawTable(
            "Spend",
            _frame(
                ["date", "tier", "amount"],
                [
                    (d(2026, 1, 1), None, 1000.0),
                    (d(2026, 1, 1), 1.0, 500.0),
                    (d(2026, 1, 1), 0.0, 200.0),
                ],
            ),
        ),
    }


BLANK = None
EDGE_EXPECTED = {
    # key: (All targets, Tier 1, Tier 3, Non-target)
    "target_accounts": (2, 1, 1, 1),
    "tam": (160000, 150000, 10000, 0),
    "engaged_accounts": (2, 1, 1, 1),  # A1 by score 31; A2 and A3 by their opportunity
    "avg_engagement_score": (15.5, 31, 0, 0),
    "open_pipeline": (30000, 0, 30000, 0),
    "win_rate": (1.0, 1.0, BLANK, 0.0),
    "new_acv_won": (50000, 50000, 0, 0),  # (120000 - 20000) / 2
    "avg_sales_cycle_days": (0, 0, BLANK, BLANK),  # closed the day it was created
    "pipeline_velocity": (BLANK, BLANK, BLANK, BLANK),  # a 0-day cycle: blank
    "avg_days_to_opportunity": (3, 6, 0, BLANK),  # A1: 2025-12-30 -> 2026-01-05; A2 same day
    "avg_touches_per_won_account": (3, 3, BLANK, BLANK),  # the future event does not count
    "total_spend": (1500, 500, 0, 200),  # program-wide 1000 in All targets only
    "cost_per_won_account": (1500, 500, BLANK, BLANK),
    "churn_rate": (1.0, 1.0, BLANK, BLANK),
    "clv": (40000, 40000, BLANK, BLANK),  # 50000 * 0.8 / (1 - q * (1 - 1))
    "ltv_to_cac": (40000 / 1500, 80, BLANK, BLANK),
    "nps": (BLANK, BLANK, BLANK, BLANK),  # no Surveys sheet
}


def test_edge_book_by_hand() -> None:
    tables = edge_book()
    summary = assert_agree(tables, today=EDGE_AS_OF)
    for key, expected in EDGE_EXPECTED.items():
        got = summary.kpis.loc[key, ["All targets", "Tier 1", "Tier 3", "Non-target"]]
        for segment, want in zip(got.index, expected, strict=True):
            assert _same_number(got[segment], None if want is None else float(want)), (
                key,
                segment,
            )
    assert summary.stages["All targets"].tolist() == [2, 2, 2, 1, 0, 0]
    assert summary.stages["Conversion"].tolist()[1:] == [1.0, 1.0, 0.5, 0.0, 0.0]
    assert summary.accounts["tier"].tolist() == [1, 3, 0]
    assert summary.accounts["engagement_score"].tolist() == [31.0, 0.0, 0.0]
    assert summary.issues[["Sheet", "Row", "Column"]].values.tolist() == [
        ["Engagement", 6, "channel"]
    ]


# --- disagreements found by the reference, fixed in the engine -----------------------------


def test_bad_optional_cells_are_each_reported_and_the_row_kept() -> None:
    """ingest.md section 5: every bad optional cell is blank and reported; the row stays."""
    tables = {
        "Accounts": RawTable(
            "Accounts",
            _frame(
                ["account_id", "fit_score", "intent_score", "expected_acv"],
                [("A1", 80.0, 120.0, -10.0)],
            ),
        ),
        "Opportunities": RawTable(
            "Opportunities",
            _frame(["opportunity_id", "account_id", "status", "amount", "created_date"], []),
        ),
    }
    summary = build_summary(tables, today=TODAY)
    assert summary.issues[["Row", "Column", "Action"]].values.tolist() == [
        [2, "expected_acv", "kept; expected_acv treated as blank"],
        [2, "intent_score", "kept; intent_score treated as blank"],
    ]
    assert summary.accounts["account_id"].tolist() == ["A1"]
    assert_agree(tables)


def test_negative_expected_acv_alone_keeps_the_account() -> None:
    tables = {
        "Accounts": RawTable(
            "Accounts",
            _frame(
                ["account_id", "fit_score", "expected_acv"],
                [("A1", 80.0, -10.0), ("A2", 80.0, 0.0)],
            ),
        ),
        "Opportunities": RawTable(
            "Opportunities",
            _frame(["opportunity_id", "account_id", "status", "amount", "created_date"], []),
        ),
    }
    summary = assert_agree(tables)
    assert summary.accounts["account_id"].tolist() == ["A1", "A2"]


def _with_bad_settings(tables: dict[str, RawTable]) -> dict[str, RawTable]:
    settings_rows = [
        ("as_of", dt.date(2026, 3, 31)),
        ("Fit Min", 60.0),  # matched like a header
        ("fit_min", 10.0),  # repeated key: skipped
        (None, 3.0),
        ("bogus", 1.0),
        ("gross_margin", 1.5),  # out of domain: default
        ("window_days", -1.0),
        ("engagement_min", "abc"),
        ("half_life_days", "30"),  # numeric text
        ("discount_rate", None),  # blank: default
    ]
    weight_rows = [
        ("Podcast", 4.0),  # a new channel
        ("meeting", None),
        ("event", -1.0),
        ("web visit", 2.0),
        ("Web_Visit", 9.0),  # the same channel again: skipped
        (None, 1.0),
        ("chat", "x"),
    ]
    return {
        **tables,
        "Settings": RawTable("Settings", _frame(["Key", "Value"], settings_rows)),
        "ChannelWeights": RawTable("ChannelWeights", _frame(["channel", "weight"], weight_rows)),
    }


def _with_future_engagement_only(tables: dict[str, RawTable]) -> dict[str, RawTable]:
    # Rows dated after as_of are data, not an empty sheet: scores are 0, not blank.
    rows = [(dt.date(2026, 5, 1), "A1", "meeting")]
    return {
        **tables,
        "Engagement": RawTable("Engagement", _frame(["date", "account_id", "channel"], rows)),
    }


@pytest.mark.parametrize(
    "variant", [_with_bad_settings, _with_future_engagement_only], ids=lambda f: f.__name__[1:]
)
def test_edge_book_variants_agree(variant: Callable[[dict], dict[str, RawTable]]) -> None:
    assert_agree(variant(edge_book()), today=EDGE_AS_OF)


# --- CRM exports (ingest.md): the reference reads them its own way ------------------------


@pytest.mark.parametrize("crm", ["salesforce", "salesforce_eu", "hubspot", "maven"])
@pytest.mark.parametrize(("n_accounts", "seed", "messy"), [(30, 3, False), (60, 4, True)])
def test_crm_exports_agree(crm: str, n_accounts: int, seed: int, messy: bool) -> None:
    """Title rows, synonyms, text amounts and dates, totals and footers, both readings."""
    from abmxl.sample import export_tables

    exported = export_tables(generate(n_accounts, seed=seed, messy=messy), crm)
    tables = {
        name: RawTable(e.sheet, e.cells, header_known=e.header_known)
        for name, e in exported.items()
    }
    assert_agree(tables, today=TODAY)
