"""Every DataIssues rule of shared/spec/workbook.md, one worked case each.

Each case starts from a small valid book, puts one bad row into one sheet, and
names the exact DataIssues row expected: (Sheet, Row, Column, Value, Problem,
Action). Rows are worksheet rows: the header is row 1, data starts at row 2.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from abmxl.engine import RawTable, build_summary
from abmxl.schema import ISSUE_COLUMNS

TODAY = dt.date(2026, 6, 30)
SKIPPED = "row skipped"


def blanked(column: str) -> str:
    """ingest.md section 5: a bad optional cell counts as blank, the row stays."""
    return f"kept; {column} treated as blank"


def raw(sheet: str, rows: list[dict], header: list[str] | None = None) -> RawTable:
    """A RawTable as a reader hands it over: object cells, index = worksheet row."""
    header = header or list(dict.fromkeys(key for row in rows for key in row))
    frame = pd.DataFrame(
        [[row.get(column) for column in header] for row in rows],
        columns=header,
        index=range(2, len(rows) + 2),
        dtype=object,
    )
    return RawTable(sheet, frame)


ACCOUNTS = [
    {"account_id": "A1", "account_name": "Acme", "fit_score": 80, "intent_score": 70},
    {"account_id": "A2", "account_name": "Bolt", "fit_score": 90, "intent_score": 10},
]
OPPORTUNITIES = [
    {
        "opportunity_id": "O1",
        "account_id": "A1",
        "type": "New Business",
        "status": "Won",
        "amount": 1000,
        "created_date": dt.date(2026, 1, 1),
        "close_date": dt.date(2026, 2, 1),
    }
]


def book(**sheets: list[dict]) -> dict[str, RawTable]:
    """The base book with some sheets replaced (``Accounts=[...]``)."""
    rows = {"Accounts": ACCOUNTS, "Opportunities": OPPORTUNITIES, **sheets}
    return {name: raw(name, sheet_rows) for name, sheet_rows in rows.items()}


def issues_of(tables: dict[str, RawTable]) -> list[tuple]:
    summary = build_summary(tables, TODAY)
    assert list(summary.issues.columns) == list(ISSUE_COLUMNS)
    return [tuple(row) for row in summary.issues.itertuples(index=False)]


def opp(**changes) -> dict:
    return {**OPPORTUNITIES[0], "opportunity_id": "O2", **changes}


def event(**changes) -> dict:
    return {"date": dt.date(2026, 6, 1), "account_id": "A1", "channel": "meeting", **changes}


def contact(**changes) -> dict:
    return {"contact_id": "C1", "account_id": "A1", "engaged": "Y", **changes}


def spend(**changes) -> dict:
    return {"date": dt.date(2026, 3, 1), "tier": 1, "amount": 500, **changes}


def survey(**changes) -> dict:
    return {"account_id": "A1", "score": 9, **changes}


def account(**changes) -> dict:
    return {"account_id": "A3", "fit_score": 75, **changes}


# (id, sheets, expected issues): the whole DataIssues table of each book.
CASES = [
    # --- skipped: blank or unknown account_id outside Accounts
    (
        "engagement blank account_id",
        {"Engagement": [event(), event(account_id=None)]},
        [("Engagement", 3, "account_id", None, "blank account_id", SKIPPED)],
    ),
    (
        "engagement unknown account_id",
        {"Engagement": [event(), event(account_id="ZZ")]},
        [("Engagement", 3, "account_id", "ZZ", "unknown account_id", SKIPPED)],
    ),
    (
        "contact unknown account_id",
        {"Contacts": [contact(), contact(contact_id="C2", account_id="A9")]},
        [("Contacts", 3, "account_id", "A9", "unknown account_id", SKIPPED)],
    ),
    (
        "opportunity blank account_id (whitespace only is blank)",
        {"Opportunities": [*OPPORTUNITIES, opp(account_id="  ")]},
        [("Opportunities", 3, "account_id", None, "blank account_id", SKIPPED)],
    ),
    (
        "survey unknown account_id",
        {"Surveys": [survey(), survey(account_id="nobody")]},
        [("Surveys", 3, "account_id", "nobody", "unknown account_id", SKIPPED)],
    ),
    (
        "account_id of a skipped Accounts row",
        {
            "Accounts": [*ACCOUNTS, account(), account(account_id="A3 ")],
            "Opportunities": [*OPPORTUNITIES, opp(account_id="A3")],
        },
        [
            ("Accounts", 5, "account_id", "A3 ", "duplicate account_id", SKIPPED),
        ],
    ),
    (
        "account_id of an Accounts row skipped as a total row",
        {
            "Accounts": [*ACCOUNTS, account(account_id="Total", fit_score=None)],
            "Opportunities": [*OPPORTUNITIES, opp(account_id="Total")],
        },
        [
            ("Accounts", 4, "account_id", "Total", "total row", SKIPPED),
            (
                "Opportunities",
                3,
                "account_id",
                "Total",
                "account_id of a skipped Accounts row",
                SKIPPED,
            ),
        ],
    ),
    # --- skipped: blank or duplicate ids
    (
        "accounts blank account_id",
        {"Accounts": [*ACCOUNTS, account(account_id=None)]},
        [("Accounts", 4, "account_id", None, "blank account_id", SKIPPED)],
    ),
    (
        "accounts duplicate account_id",
        {"Accounts": [*ACCOUNTS, account(account_id="A2")]},
        [("Accounts", 4, "account_id", "A2", "duplicate account_id", SKIPPED)],
    ),
    (
        "duplicate after the first row was skipped for another reason",
        {"Accounts": [*ACCOUNTS, account(fit_score="high"), account(fit_score=75)]},
        [
            ("Accounts", 4, "fit_score", "high", "unreadable number", blanked("fit_score")),
            ("Accounts", 5, "account_id", "A3", "duplicate account_id", SKIPPED),
        ],
    ),
    (
        "numeric and text ids are the same id",
        {"Accounts": [*ACCOUNTS, account(account_id=1001), account(account_id="1001")]},
        [("Accounts", 5, "account_id", "1001", "duplicate account_id", SKIPPED)],
    ),
    (
        "blank opportunity_id",
        {"Opportunities": [*OPPORTUNITIES, opp(opportunity_id=None)]},
        [("Opportunities", 3, "opportunity_id", None, "blank opportunity_id", SKIPPED)],
    ),
    (
        "duplicate opportunity_id",
        {"Opportunities": [*OPPORTUNITIES, opp(opportunity_id="O1")]},
        [("Opportunities", 3, "opportunity_id", "O1", "duplicate opportunity_id", SKIPPED)],
    ),
    (
        "duplicate opportunity_id after the first was skipped",
        {"Opportunities": [opp(opportunity_id="O7", amount=-5), opp(opportunity_id="O7")]},
        [
            ("Opportunities", 2, "amount", -5, "negative amount", SKIPPED),
            ("Opportunities", 3, "opportunity_id", "O7", "duplicate opportunity_id", SKIPPED),
        ],
    ),
    (
        "blank contact_id",
        {"Contacts": [contact(), contact(contact_id=None)]},
        [("Contacts", 3, "contact_id", None, "blank contact_id", SKIPPED)],
    ),
    (
        "duplicate contact_id",
        {"Contacts": [contact(), contact(engaged="N")]},
        [("Contacts", 3, "contact_id", "C1", "duplicate contact_id", SKIPPED)],
    ),
    # --- skipped: blank required cells
    (
        "engagement blank date",
        {"Engagement": [event(), event(date=None)]},
        [("Engagement", 3, "date", None, "blank date", SKIPPED)],
    ),
    (
        "spend blank date",
        {"Spend": [spend(), spend(date="")]},
        [("Spend", 3, "date", None, "blank date", SKIPPED)],
    ),
    (
        "blank status",
        {"Opportunities": [*OPPORTUNITIES, opp(status=None)]},
        [("Opportunities", 3, "status", None, "blank status", SKIPPED)],
    ),
    (
        "blank channel",
        {"Engagement": [event(), event(channel=None)]},
        [("Engagement", 3, "channel", None, "blank channel", SKIPPED)],
    ),
    (
        "blank survey score",
        {"Surveys": [survey(), survey(score=None)]},
        [("Surveys", 3, "score", None, "blank score", SKIPPED)],
    ),
    # --- skipped: unreadable numbers and dates
    (
        "unreadable amount",
        {"Opportunities": [*OPPORTUNITIES, opp(amount="1,000 apples")]},
        [("Opportunities", 3, "amount", "1,000 apples", "unreadable number", SKIPPED)],
    ),
    (
        "a boolean is not a number",
        {"Opportunities": [*OPPORTUNITIES, opp(amount=True)]},
        [("Opportunities", 3, "amount", True, "unreadable number", SKIPPED)],
    ),
    (
        "ambiguous day and month order is read month-first, and said once",
        {"Engagement": [event(), event(date="03/04/2026"), event(date="05/06/2026")]},
        [
            (
                "Engagement",
                None,
                "date",
                None,
                "day and month order is ambiguous",
                "read as month/day; set date_order in Settings",
            )
        ],
    ),
    (
        "impossible ISO date is unreadable",
        {"Opportunities": [*OPPORTUNITIES, opp(created_date="2026-02-30")]},
        [("Opportunities", 3, "created_date", "2026-02-30", "unreadable date", SKIPPED)],
    ),
    (
        "unreadable close_date",
        {"Opportunities": [*OPPORTUNITIES, opp(close_date="soon")]},
        [("Opportunities", 3, "close_date", "soon", "unreadable date", blanked("close_date"))],
    ),
    (
        "unreadable engagement weight",
        {"Engagement": [event(weight=3), event(weight="lots")]},
        [("Engagement", 3, "weight", "lots", "unreadable number", blanked("weight"))],
    ),
    (
        "unreadable intent_score",
        {"Accounts": [*ACCOUNTS, account(intent_score="n/a")]},
        [("Accounts", 4, "intent_score", "n/a", "unreadable number", blanked("intent_score"))],
    ),
    (
        "unreadable spend tier",
        {"Spend": [spend(), spend(tier="gold")]},
        [("Spend", 3, "tier", "gold", "unreadable number", blanked("tier"))],
    ),
    (
        "unreadable survey score",
        {"Surveys": [survey(), survey(score="ten")]},
        [("Surveys", 3, "score", "ten", "unreadable number", SKIPPED)],
    ),
    (
        "unreadable Y/N",
        {"Contacts": [contact(), contact(contact_id="C2", engaged="maybe")]},
        [("Contacts", 3, "engaged", "maybe", "unreadable Y/N", blanked("engaged"))],
    ),
    # --- skipped: negative amounts and weights
    (
        "negative amount",
        {"Opportunities": [*OPPORTUNITIES, opp(amount=-1)]},
        [("Opportunities", 3, "amount", -1, "negative amount", SKIPPED)],
    ),
    (
        "negative spend amount",
        {"Spend": [spend(), spend(amount=-200)]},
        [("Spend", 3, "amount", -200, "negative amount", SKIPPED)],
    ),
    (
        "negative engagement weight",
        {"Engagement": [event(), event(weight=-2)]},
        [("Engagement", 3, "weight", -2, "negative weight", blanked("weight"))],
    ),
    (
        "negative channel weight",
        {"ChannelWeights": [{"channel": "podcast", "weight": -1}]},
        [("ChannelWeights", 2, "weight", -1, "negative weight", SKIPPED)],
    ),
    # --- skipped: scores out of range
    (
        "fit_score above 100",
        {"Accounts": [*ACCOUNTS, account(fit_score=101)]},
        [("Accounts", 4, "fit_score", 101, "fit_score outside 0-100", blanked("fit_score"))],
    ),
    (
        "intent_score below 0",
        {"Accounts": [*ACCOUNTS, account(intent_score=-1)]},
        [
            (
                "Accounts",
                4,
                "intent_score",
                -1,
                "intent_score outside 0-100",
                blanked("intent_score"),
            )
        ],
    ),
    (
        "survey score above 10",
        {"Surveys": [survey(), survey(score=11)]},
        [("Surveys", 3, "score", 11, "score not a whole number 0-10", SKIPPED)],
    ),
    (
        "survey score not whole",
        {"Surveys": [survey(), survey(score=7.5)]},
        [("Surveys", 3, "score", 7.5, "score not a whole number 0-10", SKIPPED)],
    ),
    # --- repaired and kept
    (
        "blank amount is 0",
        {"Opportunities": [*OPPORTUNITIES, opp(amount=None)]},
        [("Opportunities", 3, "amount", None, "blank amount", "kept; amount treated as 0")],
    ),
    (
        "blank spend amount is 0",
        {"Spend": [spend(), spend(amount=None)]},
        [("Spend", 3, "amount", None, "blank amount", "kept; amount treated as 0")],
    ),
    (
        "unknown channel with no weight",
        {"Engagement": [event(), event(channel="podcast")]},
        [
            (
                "Engagement",
                3,
                "channel",
                "podcast",
                "unknown channel with no weight",
                "kept; weight 0",
            )
        ],
    ),
    (
        "blank created_date",
        {"Opportunities": [*OPPORTUNITIES, opp(created_date=None)]},
        [
            (
                "Opportunities",
                3,
                "created_date",
                None,
                "blank created_date",
                "kept; left out of time-based KPIs",
            )
        ],
    ),
    (
        "close_date before created_date",
        {"Opportunities": [*OPPORTUNITIES, opp(close_date=dt.date(2025, 12, 1))]},
        [
            (
                "Opportunities",
                3,
                "close_date",
                dt.date(2025, 12, 1),
                "close_date before created_date",
                "kept; left out of time-based KPIs",
            )
        ],
    ),
    (
        "unknown opportunity type",
        {"Opportunities": [*OPPORTUNITIES, opp(type="Partner Deal")]},
        [("Opportunities", 3, "type", "Partner Deal", "unknown type", "kept as New Business")],
    ),
    # --- no issue at all
    ("future engagement is not an issue", {"Engagement": [event(date=dt.date(2027, 1, 1))]}, []),
    (
        "an unknown channel with its own weight is fine",
        {"Engagement": [event(channel="x", weight=2)]},
        [],
    ),
    (
        "blank rows are skipped silently",
        {
            "Engagement": [
                event(),
                {"date": None, "account_id": "", "channel": "   "},
                event(account_id="A2"),
            ]
        },
        [],
    ),
    (
        "numeric text is a number, ISO text and Excel serials are dates",
        {
            "Opportunities": [
                *OPPORTUNITIES,
                opp(amount=" 2500 ", created_date="2026-01-05", close_date=46054),
            ]
        },
        [],
    ),
    ("NA is an account id", {"Accounts": [*ACCOUNTS, account(account_id="NA")]}, []),
    # --- choices where the spec is silent (docs/funnel.md)
    (
        "term_years must be positive",
        {"Opportunities": [*OPPORTUNITIES, opp(term_years=0)]},
        [
            (
                "Opportunities",
                3,
                "term_years",
                0,
                "term_years not more than 0",
                blanked("term_years"),
            )
        ],
    ),
    (
        "one_time_fees above the amount",
        {"Opportunities": [*OPPORTUNITIES, opp(one_time_fees=5000)]},
        [
            (
                "Opportunities",
                3,
                "one_time_fees",
                5000,
                "one_time_fees more than amount",
                blanked("one_time_fees"),
            )
        ],
    ),
    (
        "spend tier outside 0-3",
        {"Spend": [spend(), spend(tier=4)]},
        [("Spend", 3, "tier", 4, "tier not 0, 1, 2 or 3", blanked("tier"))],
    ),
    (
        "tier_override outside 0-3",
        {"Accounts": [*ACCOUNTS, account(tier_override=1.5)]},
        [
            (
                "Accounts",
                4,
                "tier_override",
                1.5,
                "tier_override not 0, 1, 2 or 3",
                blanked("tier_override"),
            )
        ],
    ),
    (
        "negative expected_acv",
        {"Accounts": [*ACCOUNTS, account(expected_acv=-10)]},
        [("Accounts", 4, "expected_acv", -10, "negative expected_acv", blanked("expected_acv"))],
    ),
    (
        "blank fit_score is untiered, and said so",
        {"Accounts": [*ACCOUNTS, account(fit_score=None)]},
        [("Accounts", 4, "fit_score", None, "blank fit_score", "kept as untiered (tier 0)")],
    ),
    (
        "blank fit_score with a tier_override is fine",
        {"Accounts": [*ACCOUNTS, account(fit_score=None, tier_override=2)]},
        [],
    ),
    (
        "settings: unknown key, bad values, blank key, duplicate key",
        {
            "Settings": [
                {"key": "fit_minimum", "value": 50},
                {"key": "gross_margin", "value": 150},
                {"key": "window_days", "value": "ninety"},
                {"key": "as_of", "value": "30/06/2026"},  # day-first: readable
                {"key": None, "value": 3},
                {"key": "Fit Min", "value": 60},
                {"key": "fit_min", "value": 65},
                {"key": "half_life_days", "value": 0},
            ]
        },
        [
            ("Settings", 2, "key", "fit_minimum", "unknown setting", SKIPPED),
            (
                "Settings",
                3,
                "value",
                150,
                "gross_margin must be between 0 and 1",
                "row skipped; default used",
            ),
            ("Settings", 4, "value", "ninety", "unreadable number", "row skipped; default used"),
            ("Settings", 6, "key", None, "blank key", SKIPPED),
            ("Settings", 8, "key", "fit_min", "duplicate key", SKIPPED),
            (
                "Settings",
                9,
                "value",
                0,
                "half_life_days must be more than 0",
                "row skipped; default used",
            ),
        ],
    ),
    (
        "channel weights: blank channel, blank weight, duplicate channel",
        {
            "ChannelWeights": [
                {"channel": None, "weight": 3},
                {"channel": "podcast", "weight": None},
                {"channel": "Web Visit", "weight": 2},
                {"channel": "web_visit", "weight": 4},
            ]
        },
        [
            ("ChannelWeights", 2, "channel", None, "blank channel", SKIPPED),
            ("ChannelWeights", 3, "weight", None, "blank weight", SKIPPED),
            ("ChannelWeights", 5, "channel", "web_visit", "duplicate channel", SKIPPED),
        ],
    ),
]


@pytest.mark.parametrize(("sheets", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_data_issue_rule(sheets: dict[str, list[dict]], expected: list[tuple]) -> None:
    assert issues_of(book(**sheets)) == expected


def _kpi(tables: dict[str, RawTable], key: str, segment: str = "All targets") -> float:
    return build_summary(tables, TODAY).kpis.at[key, segment]


def test_skipped_rows_do_not_count() -> None:
    tables = book(Opportunities=[*OPPORTUNITIES, opp(amount=-1), opp(opportunity_id="O1")])
    assert _kpi(tables, "total_revenue_won") == 1000


def test_blank_amount_counts_as_zero_but_the_opportunity_counts() -> None:
    tables = book(Opportunities=[opp(account_id="A2", status="Open", amount=None)])
    summary = build_summary(tables, TODAY)
    assert summary.kpis.at["open_pipeline", "All targets"] == 0
    assert summary.stages.at["Opportunity", "All targets"] == 1


def test_repaired_dates_leave_only_time_based_kpis() -> None:
    # O1: 31-day cycle. O2 (close before created) and O3 (no created date) are
    # won New Business: they count in revenue but not in the sales cycle.
    tables = book(
        Opportunities=[
            *OPPORTUNITIES,
            opp(amount=3000, close_date=dt.date(2025, 12, 1)),
            opp(opportunity_id="O3", amount=5000, created_date=None),
        ]
    )
    summary = build_summary(tables, TODAY)
    assert summary.kpis.at["new_revenue_won", "All targets"] == 9000
    assert summary.kpis.at["avg_sales_cycle_days", "All targets"] == 31


def test_unknown_channel_without_weight_scores_zero_but_touches() -> None:
    tables = book(Engagement=[event(channel="podcast")])
    summary = build_summary(tables, TODAY)
    scores = summary.accounts.set_index("account_id")
    assert scores.at["A1", "engagement_score"] == 0
    assert scores.at["A1", "first_touch"] == pd.Timestamp("2026-06-01")
    assert summary.kpis.at["avg_touches_per_won_account", "All targets"] == 1


def test_future_engagement_is_ignored() -> None:
    tables = book(Engagement=[event(date=dt.date(2026, 7, 1), weight=50)])
    summary = build_summary(tables, TODAY)
    scores = summary.accounts.set_index("account_id")
    assert scores.at["A1", "engagement_score"] == 0
    assert pd.isna(scores.at["A1", "first_touch"])
    assert summary.kpis.at["avg_touches_per_won_account", "All targets"] == 0


def test_unknown_type_is_new_business() -> None:
    tables = book(Opportunities=[opp(type="Partner Deal", amount=700)])
    assert _kpi(tables, "new_revenue_won") == 700


def test_missing_required_sheet_and_column_are_issues_not_crashes() -> None:
    opportunities = raw(
        "Opportunities", [{k: v for k, v in OPPORTUNITIES[0].items() if k != "status"}]
    )
    summary = build_summary({"Opportunities": opportunities}, TODAY)
    issues = [tuple(row) for row in summary.issues.itertuples(index=False)]
    assert issues == [
        ("Accounts", None, None, None, "required sheet missing", "sheet treated as empty"),
        (
            "Opportunities",
            None,
            "status",
            None,
            "required column missing",
            "sheet treated as empty",
        ),
    ]
    assert summary.stages["All targets"].tolist() == [0] * 6
    assert summary.kpis.at["target_accounts", "All targets"] == 0
    assert math.isnan(summary.kpis.at["account_win_rate", "All targets"])


def test_issue_rows_are_plain_python_values() -> None:
    summary = build_summary(book(Engagement=[event(), event(account_id="ZZ")]), TODAY)
    row = summary.issues.iloc[0]
    assert type(row["Row"]) is int
    assert summary.to_json()["issues"] == [
        {
            "sheet": "Engagement",
            "row": 3,
            "column": "account_id",
            "value": "ZZ",
            "problem": "unknown account_id",
            "action": SKIPPED,
        }
    ]


def test_headers_match_loosely_and_a_repeated_column_is_ignored() -> None:
    frame = pd.DataFrame(
        [["A1", 50, 99, "x"], ["A2", 90, 10, "y"]],
        columns=[" Account  ID ", "FIT_SCORE", "fit score", "Notes"],
        index=[2, 3],
        dtype=object,
    )
    summary = build_summary(
        {
            "Accounts": RawTable("Accounts", frame),
            "Opportunities": raw("Opportunities", OPPORTUNITIES),
        },
        TODAY,
    )
    assert [tuple(r) for r in summary.issues.itertuples(index=False)] == [
        ("Accounts", None, "fit score", None, "duplicate column", "column ignored")
    ]
    assert summary.accounts["account_id"].tolist() == ["A1", "A2"]
    assert summary.accounts["tier"].tolist() == [0, 3]  # fit 50 and 90: the first column
