"""The funnel of a hand-built book, against hand counts and an independent reference.

The book has twelve accounts covering every tier (by rules and by
tier_override), every stage, every opportunity type and CRM status spellings
("Closed Won", "closedwon", "closed_won", "Closed-Lost", "Upsell", ...), a
numeric account id matched by text, the account id "NA" and an account name
that looks like a formula. FunnelStages is checked against counts made by hand;
every FunnelKPIs cell against ``reference_kpis``, a plain-Python loop-per-account
implementation of the spec written for this test (no numpy, no abmxl.metrics).
"""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pandas as pd
import pytest

from abmxl.engine import KPI_LABELS, RawTable, build_summary
from abmxl.schema import ACCOUNT_SCORES_COLUMNS, SEGMENTS, STAGES

d = dt.date
TODAY = d(2026, 11, 22)
AS_OF = d(2026, 6, 30)

# account_id, account_name, fit, intent, expected_acv, tier_override
ACCOUNTS = [
    ("A1", "Acme", 90, 80, 150000, None),
    ("A2", "Bolt", 85, 70, 120000, None),
    ("A3", "Core", 80, 0, 50000, None),
    ("A4", "Dyn", 75, 0, 10000, None),
    ("NA", "North America Inc", 95, 65, 200000, None),
    ("A6", "Echo", 50, 90, 500000, None),
    ("A7", "Fox", 85, 0, 0, 1),
    ("A8", "Gale", 85, 70, 150000, 0),
    ("A9", "Hex", 72, None, 30000, None),
    (1001.0, "=HYPERLINK(1)", 88, 61, 26000, None),
    ("A11", "Ion", 80, 70, 20000, None),
    ("A12", "Jet", 80, 0, 5000, None),
]
# opportunity_id, account_id, type, status, amount, term_years, one_time_fees, created, close
OPPORTUNITIES = [
    ("O1", "A1", "New Business", "Closed Won", 120000, 1, None, d(2026, 1, 10), d(2026, 3, 11)),
    ("O2", "A1", "Renewal", "closedwon", 130000, None, None, d(2026, 4, 1), d(2026, 5, 1)),
    ("O3", "A1", "Upsell", "Won", 30000, 2, 2000, d(2026, 5, 1), d(2026, 6, 1)),
    ("O4", "A2", "New", "Negotiation", 80000, None, None, d(2026, 5, 15), None),
    ("O5", "A3", None, "Closed-Lost", 40000, None, None, d(2026, 2, 1), d(2026, 4, 1)),
    ("O6", "A3", "New Business", "Prospecting", 45000, None, None, d(2026, 6, 1), None),
    ("O7", "A4", "Cross-sell", "Open", 5000, None, None, d(2026, 6, 5), None),
    ("O8", "NA", "new business", "Closed Won", 300000, 3, None, d(2026, 3, 1), d(2026, 5, 30)),
    ("O9", "NA", "Renewal", "Closed Lost", 90000, None, None, d(2026, 6, 1), d(2026, 6, 20)),
    ("O10", "A6", "New Business", "closed_won", 50000, None, None, d(2026, 1, 1), d(2026, 2, 1)),
    ("O11", "1001", "Existing Business", "WON", 20000, None, None, d(2026, 5, 1), d(2026, 6, 15)),
    ("O12", "A7", "New Business", "Won", 60000, 2, None, d(2026, 4, 1), None),
    ("O13", "A9", "Renewal", "Open", 10000, None, None, d(2026, 6, 10), None),
]
# date, account_id, channel, weight
EVENTS = [
    (d(2026, 6, 1), "A1", "meeting", None),
    (dt.datetime(2025, 12, 1, 9, 30), "A1", "web_visit", None),
    (d(2026, 6, 10), "A2", "web_visit", None),
    (d(2026, 6, 11), "A2", "Web Visit", None),
    (d(2026, 5, 1), "A3", "webinar", None),
    (d(2026, 7, 15), "A3", "event", None),
    (d(2026, 6, 29), "NA", "content_download", None),
    (d(2026, 3, 1), "A9", "email_reply", None),
    (d(2025, 12, 15), "A6", "Web Visit", None),
    (d(2026, 6, 20), 1001, "chat", 4),
    (d(2026, 6, 15), "A11", "meeting", None),
]
# date, tier, category, amount
SPEND = [
    (d(2026, 1, 1), None, "Marketing", 10000),
    (d(2026, 1, 1), 1, "Sales", 20000),
    (d(2026, 2, 1), 2, "Marketing", 5000),
    (d(2026, 2, 1), 0, "Marketing", 3000),
    (d(2026, 3, 1), 3, "Overhead", None),
    (d(2026, 3, 1), 1, "Marketing", 1000),
]
CONTACTS = [
    ("C1", "A1", "Y"),
    ("C2", "A1", "N"),
    ("C3", "A1", "yes"),
    ("C4", "A2", None),
    ("C5", "NA", "N"),
    ("C6", "A6", "Y"),
    ("C7", "1001", True),
]
SURVEYS = [("A1", 10), ("A1", 9), ("A2", 6), ("NA", 8), ("A6", 3), ("1001", 10)]

# How the reference reads the book's CRM spellings (independent of abmxl.schema).
NB, RENEWAL, EXPANSION = "nb", "renewal", "expansion"
TYPE_OF = {
    None: NB,
    "New Business": NB,
    "new business": NB,
    "New": NB,
    "Renewal": RENEWAL,
    "Upsell": EXPANSION,
    "Cross-sell": EXPANSION,
    "Existing Business": EXPANSION,
}
WON_SPELLINGS = {"Closed Won", "closedwon", "closed_won", "Won", "WON"}
LOST_SPELLINGS = {"Closed-Lost", "Closed Lost"}
WEIGHTS = {"web_visit": 1, "meeting": 30, "webinar": 30, "content_download": 10, "event": 120}
WEIGHTS |= {"email_reply": 2, "chat": 5}

DEFAULTS = {
    "as_of": AS_OF,
    "fit_min": 70,
    "intent_min": 60,
    "engagement_min": 10,
    "acv_tier1": 100000,
    "acv_tier2": 25000,
    "window_days": 90,
    "half_life_days": None,
    "gross_margin": 0.8,
    "discount_rate": 0.1,
    "customer_lifetime_years": 3,
}


def table(sheet: str, header: list[str], rows: list[tuple]) -> RawTable:
    frame = pd.DataFrame(
        [list(r) for r in rows], columns=header, index=range(2, len(rows) + 2), dtype=object
    )
    return RawTable(sheet, frame)


def make_book(settings: dict | None = None, *, without: tuple[str, ...] = ()) -> dict:
    settings = settings if settings is not None else {"as_of": AS_OF}
    book = {
        # Headers as analysts write them: case and spaces vary, extra columns are ignored.
        "Settings": table("Settings", ["Key", "Value"], list(settings.items())),
        "Accounts": table(
            "Accounts",
            [
                "Account ID",
                "Account Name",
                "Fit Score",
                "intent_score",
                "Expected ACV",
                "Tier Override",
            ],
            ACCOUNTS,
        ),
        "Opportunities": table(
            "Opportunities",
            [
                "Opportunity ID",
                "Account ID",
                "Type",
                "Status",
                "Amount",
                "Term Years",
                "One Time Fees",
                "Created Date",
                "Close Date",
            ],
            OPPORTUNITIES,
        ),
        "Engagement": table("Engagement", ["Date", "Account ID", "Channel", "Weight"], EVENTS),
        "Spend": table("Spend", ["Date", "Tier", "Category", "Amount"], SPEND),
        "Contacts": table("Contacts", ["Contact ID", "Account ID", "Engaged"], CONTACTS),
        "Surveys": table("Surveys", ["Account ID", "Score"], SURVEYS),
    }
    return {name: raw for name, raw in book.items() if name not in without}


# --- the independent reference ----------------------------------------------------------


def _id(value: object) -> str:
    return str(int(value)) if isinstance(value, float | int) else str(value)


def _day(value: dt.date) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def _ratio(a: float, b: float) -> float:
    return a / b if b else math.nan


def _influence_end(opp: dict, as_of: dt.date) -> dt.date:
    closed = opp["state"] != "open" and opp["close"] is not None
    return opp["close"] if closed and opp["close"] >= opp["created"] else as_of


def _touched(opp: dict, events: list, as_of: dt.date, window: float, end: dt.date) -> bool:
    """Has the opportunity's account a touch (weight > 0, up to as_of) in [c - window, end]?"""
    if opp["created"] is None:
        return False
    start = opp["created"] - dt.timedelta(days=int(window))
    for date, account, channel, weight in events:
        w = weight if weight is not None else WEIGHTS[channel.lower().replace(" ", "_")]
        if account == _id(opp["a"]) and w > 0 and date <= as_of and start <= date <= end:
            return True
    return False


def reference(settings: dict, *, without: tuple[str, ...] = ()) -> tuple[dict, dict]:
    """(tier per account, {key: {segment: value}}) by plain loops over the book."""
    s = {**DEFAULTS, **settings}
    as_of = s["as_of"]
    has_events = "Engagement" not in without
    events = [(_day(date), _id(a), ch, w) for date, a, ch, w in EVENTS] if has_events else []
    ids = [_id(a[0]) for a in ACCOUNTS]

    score, touches, first_touch, spiking = {}, {}, {}, set()
    for a in ids:
        total, recent, earlier = 0.0, 0.0, 0.0
        for date, account, channel, weight in events:
            age = (as_of - date).days
            w = weight if weight is not None else WEIGHTS[channel.lower().replace(" ", "_")]
            if account == a and 0 <= age < 7:
                recent += w
            elif account == a and 7 <= age < 35:
                earlier += w
        if recent >= 3 and (earlier == 0 or recent >= 2 * earlier * 7 / 28):
            spiking.add(a)
        for date, account, channel, weight in events:
            age = (as_of - date).days
            if account != a or not 0 <= age <= s["window_days"]:
                continue
            w = weight if weight is not None else WEIGHTS[channel.lower().replace(" ", "_")]
            total += w if s["half_life_days"] is None else w * 0.5 ** (age / s["half_life_days"])
        score[a] = total if has_events else math.nan
        past = [date for date, account, _, _ in events if account == a and date <= as_of]
        touches[a] = len(past)
        first_touch[a] = min(past) if past else None

    tier = {}
    for (_, _, fit, intent, acv, override), a in zip(ACCOUNTS, ids, strict=True):
        intent_ok = (intent or 0) >= s["intent_min"]
        engaged_ok = (0 if math.isnan(score[a]) else score[a]) >= s["engagement_min"]
        if override is not None:
            tier[a] = override
        elif fit < s["fit_min"]:
            tier[a] = 0
        elif intent_ok and engaged_ok and acv >= s["acv_tier1"]:
            tier[a] = 1
        elif (intent_ok or engaged_ok) and acv >= s["acv_tier2"]:
            tier[a] = 2
        else:
            tier[a] = 3

    opps = []
    for oid, a, kind, status, amount, term, fees, created, close in OPPORTUNITIES:
        state = "won" if status in WON_SPELLINGS else "lost" if status in LOST_SPELLINGS else "open"
        acv = (amount - (fees or 0)) / (term or 1)
        opps.append(dict(id=oid, a=a, type=TYPE_OF[kind], state=state, amount=amount, acv=acv,
                         created=created, close=close))  # fmt: skip
    acv_of = {_id(a[0]): a[4] for a in ACCOUNTS}
    intent_of = {_id(a[0]): a[3] for a in ACCOUNTS}

    members = {
        "All targets": {1, 2, 3},
        "Tier 1": {1},
        "Tier 2": {2},
        "Tier 3": {3},
        "Non-target": {0},
    }
    kpis: dict[str, dict[str, float]] = {key: {} for key in KPI_LABELS}
    for segment, tiers in members.items():
        accts = [a for a in ids if tier[a] in tiers]
        o = [x for x in opps if x["a"] in accts]
        with_opp = {x["a"] for x in o}
        won_accts = {x["a"] for x in o if x["state"] == "won"}
        engaged = [a for a in accts if score.get(a, 0) >= s["engagement_min"] or a in with_opp]
        nb = [x for x in o if x["type"] == NB]
        won_nb = [x for x in nb if x["state"] == "won"]
        closed_nb = [x for x in nb if x["state"] != "open"]
        renewals = [x for x in o if x["type"] == RENEWAL and x["state"] != "open"]
        won = [x for x in o if x["state"] == "won"]
        cycles = [(x["close"] - x["created"]).days for x in won_nb if x["close"]]
        to_opp = []
        for a in with_opp:
            first_opp = min(x["created"] for x in o if x["a"] == a)
            if first_touch[a] is not None and first_touch[a] <= first_opp:
                to_opp.append((first_opp - first_touch[a]).days)
        spend_tiers = {"All targets": {None, 1, 2, 3}}.get(segment, tiers)
        spend = sum(amount or 0 for _, t, _, amount in SPEND if t in spend_tiers)
        lost_renewals = sum(x["state"] == "lost" for x in renewals)
        churn = _ratio(lost_renewals, len(renewals))
        avg_acv = _mean([x["acv"] for x in won])
        m, q, years = s["gross_margin"], 1 / (1 + s["discount_rate"]), s["customer_lifetime_years"]
        if churn > 0:
            clv = avg_acv * m / (1 - q * (1 - churn))
        elif q == 1:
            clv = avg_acv * m * years
        else:
            clv = avg_acv * m * (1 - q**years) / (1 - q)
        deal = _mean([x["amount"] for x in won_nb])
        win = _ratio(len(won_nb), len(closed_nb))
        cycle = _mean(cycles)
        open_nb = sum(x["state"] == "open" for x in nb)
        scores = [score for a, score in SURVEYS if a in accts]
        contacts = {}
        for _, a, flag in CONTACTS:
            if a in accts:
                contacts.setdefault(a, []).append(flag in ("Y", "yes", True))
        per_won = _ratio(spend, len(won_accts))

        values = {
            "target_accounts": len(accts),
            "tam": sum(acv_of[a] for a in accts),
            "engaged_accounts": len(engaged),
            "engaged_pct": _ratio(len(engaged), len(accts)),
            "avg_engagement_score": _mean([score[a] for a in accts]),
            "opportunity_accounts": len(with_opp),
            "opportunity_rate": _ratio(len(with_opp), len(accts)),
            "open_pipeline": sum(x["amount"] for x in o if x["state"] == "open"),
            "won_accounts": len(won_accts),
            "account_win_rate": _ratio(len(won_accts), len(accts)),
            "win_rate": win,
            "new_revenue_won": sum(x["amount"] for x in won_nb),
            "new_acv_won": sum(x["acv"] for x in won_nb),
            "avg_deal_size": deal,
            "avg_sales_cycle_days": cycle,
            "avg_days_to_opportunity": _mean(to_opp),
            "avg_touches_per_won_account": _mean([touches[a] for a in won_accts]),
            "pipeline_velocity": _ratio(open_nb * deal * win, cycle),
            "total_spend": spend,
            "cost_per_engaged_account": _ratio(spend, len(engaged)),
            "cost_per_opportunity_account": _ratio(spend, len(with_opp)),
            "cost_per_won_account": per_won,
            "renewal_rate": _ratio(len(renewals) - lost_renewals, len(renewals)),
            "churn_rate": churn,
            "expansion_revenue_won": sum(x["amount"] for x in won if x["type"] == EXPANSION),
            "total_revenue_won": sum(x["amount"] for x in won),
            "avg_acv": avg_acv,
            "clv": clv,
            "ltv_to_cac": _ratio(clv, per_won),
            "nps": _ratio(
                100 * (sum(x >= 9 for x in scores) - sum(x <= 6 for x in scores)), len(scores)
            ),
            "account_penetration": _mean([sum(f) / len(f) for f in contacts.values()]),
            "spiking_accounts": sum(a in spiking for a in accts) if has_events else math.nan,
            "surging_accounts": sum((intent_of[a] or 0) >= s["intent_min"] for a in accts),
        }
        # analytics.md section 8: a touch in the window before creation (sourced),
        # or up to the close of a closed opportunity, else as_of (influenced).
        window = s.get("attribution_window_days", 90)
        sourced = [x for x in o if _touched(x, events, as_of, window, x["created"])]
        influenced = [x for x in o if _touched(x, events, as_of, window, _influence_end(x, as_of))]
        with_created = sum(x["amount"] for x in o if x["created"] is not None)
        for name, members in (("sourced", sourced), ("influenced", influenced)):
            values[f"{name}_pipeline"] = sum(x["amount"] for x in members)
            values[f"{name}_pipeline_pct"] = _ratio(values[f"{name}_pipeline"], with_created)
            values[f"{name}_revenue_won"] = sum(x["amount"] for x in members if x["state"] == "won")
        if not has_events:
            for key in (
                "avg_engagement_score",
                "avg_days_to_opportunity",
                "avg_touches_per_won_account",
                *(
                    f"{name}_{what}"
                    for name in ("sourced", "influenced")
                    for what in ("pipeline", "pipeline_pct", "revenue_won")
                ),
            ):
                values[key] = math.nan
        for sheet, keys in {
            "Spend": [
                k for k in values if k.startswith("cost_per") or k in ("total_spend", "ltv_to_cac")
            ],
            "Contacts": ["account_penetration"],
            "Surveys": ["nps"],
        }.items():
            if sheet in without:
                for key in keys:
                    values[key] = math.nan
        for key, value in values.items():
            kpis[key][segment] = float(value)
    return tier, kpis


def assert_kpis_match(summary, expected: dict) -> None:
    assert list(summary.kpis.index) == list(KPI_LABELS)
    assert list(summary.kpis.columns) == ["KPI", *SEGMENTS]
    for key in KPI_LABELS:
        for segment in SEGMENTS:
            got, want = summary.kpis.at[key, segment], expected[key][segment]
            if math.isnan(want):
                assert math.isnan(got), (key, segment, got)
            else:
                assert got == pytest.approx(want, rel=1e-12, abs=1e-9), (key, segment)


# --- the tests --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def summary():
    return build_summary(make_book(), TODAY)


def test_funnel_stages_by_hand(summary) -> None:
    # Tiers: 1 = A1, NA, A7 (override); 2 = A2, A3, 1001; 3 = A4, A9, A11, A12;
    # non-target = A6 (fit 50), A8 (override 0).
    expected = pd.DataFrame(
        {
            "All targets": [10, 9, 8, 4, 1, 2],
            "Tier 1": [3, 3, 3, 3, 1, 1],
            "Tier 2": [3, 3, 3, 1, 0, 1],
            "Tier 3": [4, 3, 2, 0, 0, 0],
            "Non-target": [2, 1, 1, 1, 0, 0],
            "Conversion": [np.nan, 9 / 10, 8 / 9, 4 / 8, 1 / 4, 2 / 4],
            # A12 Target, A11 Engaged, A2 A3 A4 A9 Opportunity, NA A7 Won, A1 1001 Expanded.
            "In stage now": [1, 1, 4, 2, 0, 2],
        },
        index=pd.Index(STAGES, name="Stage"),
    )
    pd.testing.assert_frame_equal(summary.stages, expected, check_dtype=False)
    assert summary.stages["In stage now"].sum() == summary.stages.at["Target", "All targets"]


def test_every_kpi_against_the_reference(summary) -> None:
    _, expected = reference({"as_of": AS_OF})
    assert_kpis_match(summary, expected)


def test_some_kpis_by_hand(summary) -> None:
    k = summary.kpis
    # Spend: program-wide 10000 in All targets only; tier 3's blank amount is 0.
    assert k.loc["total_spend", list(SEGMENTS)].tolist() == [36000, 21000, 5000, 0, 3000]
    # Closed New Business in All targets: O1, O8, O12 won, O5 lost.
    assert k.at["win_rate", "All targets"] == 3 / 4
    # Won New Business cycles: O1 60 days, O8 90 days (O12 has no close date).
    assert k.at["avg_sales_cycle_days", "All targets"] == 75
    # Renewals closed in Tier 1: O2 won, O9 lost.
    assert k.at["churn_rate", "Tier 1"] == 0.5
    # NPS of A1 10, 9; A2 6; NA 8; 1001 10: 3 promoters, 1 detractor of 5.
    assert k.at["nps", "All targets"] == 40
    assert math.isnan(k.at["avg_deal_size", "Tier 3"])  # nothing to divide by: blank
    assert k.at["new_revenue_won", "Tier 3"] == 0  # an empty sum is 0


def test_only_the_blank_spend_amount_is_an_issue(summary) -> None:
    assert [tuple(r) for r in summary.issues.itertuples(index=False)] == [
        ("Spend", 6, "Amount", None, "blank amount", "kept; amount treated as 0")
    ]


def test_account_scores(summary) -> None:
    scores = summary.accounts
    assert list(scores.columns) == list(ACCOUNT_SCORES_COLUMNS)
    assert scores["account_id"].tolist() == [_id(a[0]) for a in ACCOUNTS]
    tiers, _ = reference({"as_of": AS_OF})
    assert scores["tier"].tolist() == [tiers[_id(a[0])] for a in ACCOUNTS]
    by_id = scores.set_index("account_id")
    assert by_id.at["1001", "account_name"] == "=HYPERLINK(1)"
    assert by_id.at["1001", "engagement_score"] == 4  # its own weight, not chat's 5
    assert by_id.at["A1", "first_touch"] == pd.Timestamp("2025-12-01")  # time of day dropped
    assert pd.isna(by_id.at["A12", "first_touch"])
    assert by_id.at["A1", "current_stage"] == "Expanded"
    assert by_id.at["NA", "current_stage"] == "Won"
    assert by_id.at["A8", "current_stage"] == "Target"
    assert by_id.at["A1", "won_amount"] == 280000
    assert by_id.at["A3", "open_pipeline"] == 45000
    assert by_id.loc["A1", [f"reached_{s.lower()}" for s in STAGES]].tolist() == [True] * 6
    for column in ("reached_target", "reached_won"):
        assert scores[column].dtype == bool
    assert pd.api.types.is_datetime64_any_dtype(scores["first_touch"])
    assert scores["tier"].dtype.kind == "i"


@pytest.mark.parametrize(
    "settings",
    [
        {"as_of": d(2026, 6, 12), "engagement_min": 25, "half_life_days": 30},
        {"as_of": "2026-06-30", "fit_min": 86, "intent_min": 75, "window_days": 30},
        {"as_of": 46203, "acv_tier1": 300000, "acv_tier2": 100000},  # Excel serial of 2026-06-30
        {"as_of": AS_OF, "gross_margin": 0.6, "discount_rate": 0, "customer_lifetime_years": 5},
    ],
    ids=["half-life", "thresholds", "acv-thresholds", "clv-settings"],
)
def test_settings_overrides(settings: dict) -> None:
    summary = build_summary(make_book(settings), TODAY)
    as_of = settings["as_of"]
    if isinstance(as_of, str):
        as_of = d.fromisoformat(as_of)
    elif isinstance(as_of, int):
        as_of = d(1899, 12, 30) + dt.timedelta(days=as_of)
    assert summary.as_of == as_of
    tiers, expected = reference({**settings, "as_of": as_of})
    assert summary.accounts["tier"].tolist() == [tiers[_id(a[0])] for a in ACCOUNTS]
    assert_kpis_match(summary, expected)
    assert summary.issues["Sheet"].tolist() == ["Spend"]


def test_half_life_score_by_hand() -> None:
    summary = build_summary(make_book({"as_of": d(2026, 6, 12), "half_life_days": 30}), TODAY)
    a1 = summary.accounts.set_index("account_id").loc["A1"]
    assert a1["engagement_score"] == pytest.approx(30 * 0.5 ** (11 / 30))  # meeting 11 days old


def test_blank_as_of_is_today() -> None:
    summary = build_summary(make_book({"as_of": None}), TODAY)
    assert summary.as_of == TODAY
    assert summary.accounts["engagement_score"].sum() == 0  # every event is older than 90 days


def test_missing_settings_sheet_means_defaults_and_today() -> None:
    book = make_book(without=("Settings",))
    assert build_summary(book, AS_OF).kpis.equals(build_summary(make_book(), TODAY).kpis)


@pytest.mark.parametrize(
    "without",
    [
        ("Engagement",),
        ("Spend",),
        ("Contacts",),
        ("Surveys",),
        ("Engagement", "Spend", "Contacts", "Surveys"),
    ],
)
def test_missing_optional_sheets_blank_their_kpis(without: tuple[str, ...]) -> None:
    summary = build_summary(make_book(without=without), TODAY)
    _, expected = reference({"as_of": AS_OF}, without=without)
    assert_kpis_match(summary, expected)


def test_without_engagement_engaged_means_opportunity() -> None:
    summary = build_summary(make_book(without=("Engagement",)), TODAY)
    stages = summary.stages
    assert (
        stages.loc["Engaged", list(SEGMENTS)].tolist()
        == stages.loc["Opportunity", list(SEGMENTS)].tolist()
    )
    assert summary.accounts["engagement_score"].isna().all()
    assert summary.accounts["first_touch"].isna().all()


def test_empty_optional_sheet_is_missing_data() -> None:
    book = make_book()
    book["Spend"] = table("Spend", ["Date", "Tier", "Amount"], [])
    summary = build_summary(book, TODAY)
    assert summary.kpis.loc["total_spend", list(SEGMENTS)].isna().all()
    assert summary.kpis.loc["ltv_to_cac", list(SEGMENTS)].isna().all()


def test_json_document(summary) -> None:
    document = json.loads(json.dumps(summary.to_json()))
    assert document["as_of"] == "2026-06-30"
    assert document["stages"]["Won"] == {
        "All targets": 4,
        "Tier 1": 3,
        "Tier 2": 1,
        "Tier 3": 0,
        "Non-target": 1,
    }
    assert document["kpis"]["avg_deal_size"]["Tier 3"] is None
    assert document["kpis"]["target_accounts"]["All targets"] == 10


def test_channel_weights_and_setting_keys_override_defaults() -> None:
    book = make_book({"As Of": AS_OF, "Engagement Min": 5})
    book["ChannelWeights"] = table(
        "ChannelWeights", ["Channel", "Weight"], [("Meeting", 3), ("podcast", 7)]
    )
    book["Engagement"] = table(
        "Engagement",
        ["Date", "Account ID", "Channel", "Weight"],
        [*EVENTS, (d(2026, 6, 2), "A12", "podcast", None)],
    )
    summary = build_summary(book, TODAY)
    scores = summary.accounts.set_index("account_id")["engagement_score"]
    assert scores["A1"] == 3  # meeting now weighs 3; the old web visit is out of the window
    assert scores["A11"] == 3
    assert scores["A12"] == 7  # a channel the defaults do not know, weighted by the sheet
    assert scores["A3"] == 30  # webinar keeps its default weight
    assert summary.issues["Sheet"].tolist() == ["Spend"]  # podcast has a weight: no issue
    # engagement_min 5 (key written "Engagement Min"): A12 (7) is engaged, A2 (2) only via its
    # opportunity; A11 (3) no longer is.
    reached = summary.accounts.set_index("account_id")["reached_engaged"]
    assert reached["A12"] and reached["A2"] and not reached["A11"]
