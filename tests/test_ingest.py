"""Every rule of shared/spec/ingest.md on the engine side, one worked case each.

Values are parsed as CRMs write them (section 4), headers found and matched
(sections 2-3), bad optional cells kept (section 5), settings that cannot be
guessed (section 6) and the Inputs table (section 7). Tables are built as the
exports come: title rows above the header, totals and footers below, text
amounts, percent formats, both numeric date orders.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from abmxl.engine import RawTable, build_summary
from abmxl.engine.ingest.dates import AMBIGUOUS_ORDER, parse_dates
from abmxl.engine.ingest.headers import match_columns
from abmxl.engine.ingest.numbers import parse_numbers
from abmxl.engine.ingest.synonyms import SYNONYMS, synonyms_markdown
from abmxl.engine.ingest.words import parse_tiers, parse_yn, statuses
from abmxl.engine.required import InputError, check_required
from abmxl.schema import INPUT_SHEETS

TODAY = dt.date(2026, 6, 30)
ROOT = Path(__file__).resolve().parent.parent


def table(sheet: str, header: list, rows: list[list], **kwargs) -> RawTable:
    """A Table as a reader hands it over: header known, data from worksheet row 2."""
    frame = pd.DataFrame(rows, columns=header, index=range(2, len(rows) + 2), dtype=object)
    return RawTable(sheet, frame, **kwargs)


def plain(sheet: str, rows: list[list], first_row: int = 1, **kwargs) -> RawTable:
    """A plain range: positional columns, every used-range row, worksheet row numbers."""
    width = max(len(r) for r in rows)
    cells = [list(r) + [None] * (width - len(r)) for r in rows]
    frame = pd.DataFrame(cells, index=range(first_row, first_row + len(rows)), dtype=object)
    return RawTable(sheet, frame, header_known=False, **kwargs)


ACCOUNTS = table(
    "Accounts",
    ["account_id", "fit_score", "intent_score", "expected_acv"],
    [["A1", 80, 70, 150000], ["A2", 90, 10, 30000], ["A3", 40, 90, 5000]],
)
OPP_HEADER = ["opportunity_id", "account_id", "status", "amount", "created_date", "close_date"]
OPPORTUNITIES = table(
    "Opportunities",
    OPP_HEADER,
    [
        ["O1", "A1", "Closed Won", 12500, dt.date(2026, 3, 15), dt.date(2026, 4, 22)],
        ["O2", "A2", "Negotiation", 5000, dt.date(2026, 5, 1), None],
    ],
)


def summary_of(**tables: RawTable):
    book = {"Accounts": ACCOUNTS, "Opportunities": OPPORTUNITIES, **tables}
    return build_summary(book, TODAY)


def issues(summary) -> list[tuple]:
    return [tuple(r) for r in summary.issues.itertuples(index=False)]


def numbers_of(summary) -> pd.DataFrame:
    return summary.kpis.drop(columns="KPI").astype(float)


def same_numbers(a, b) -> bool:
    return numbers_of(a).equals(numbers_of(b)) and a.stages.equals(b.stages)


# --- section 4: numbers --------------------------------------------------------------

NUMBER_CASES = [
    # (text, decimal_separator, value)
    ("$12,500.00", ".", 12500.0),
    ("12.500,00", ".", 12500.0),  # reads one way only
    ("12.500,00", ",", 12500.0),
    ("1,234", ".", 1234.0),
    ("1,234", ",", 1.234),
    ("1.500", ".", 1.5),
    ("1.500", ",", 1500.0),
    ("(5,000)", ".", -5000.0),
    ("USD 1,000", ".", 1000.0),
    ("1 000 000 EUR", ".", 1_000_000.0),
    ("1\u00a0234,56 €", ",", 1234.56),
    ("1'234.50", ".", 1234.5),
    ("£ 99", ".", 99.0),
    ("-$5", ".", -5.0),
    ("1.5E+06", ".", 1_500_000.0),
    ("12,34,567", ".", math.nan),  # not groups of three
    ("$", ".", math.nan),
    ("EUR 5 USD", ".", math.nan),
    ("5 apples", ".", math.nan),
    ("85%", ".", math.nan),  # % only where the column allows it
]


@pytest.mark.parametrize(("text", "decimal", "expected"), NUMBER_CASES)
def test_text_numbers(text: str, decimal: str, expected: float) -> None:
    parsed = parse_numbers([text], decimal=decimal)
    if math.isnan(expected):
        assert parsed.unreadable[0] and math.isnan(parsed.values[0])
    else:
        assert parsed.values[0] == pytest.approx(expected) and not parsed.unreadable[0]


def test_percent_points_and_fractions() -> None:
    points = parse_numbers(
        ["85%", 0.85, 0.85, "0.5 %"], percent="points", percent_format=[False, True, False, False]
    )
    assert points.values.tolist() == [85.0, 85.0, 0.85, 0.5]
    assert parse_numbers(["10%", 10.0], percent="fraction").values.tolist() == [0.1, 10.0]


# --- section 4: dates ------------------------------------------------------------------

DATE_CASES = [
    (["2026-03-15"], "auto", ["2026-03-15"]),
    (["2026-03-15 14:30"], "auto", ["2026-03-15"]),
    (["2026-03-15T14:30:00Z"], "auto", ["2026-03-15"]),
    (["15 Mar 2026"], "auto", ["2026-03-15"]),
    (["March 15, 2026"], "auto", ["2026-03-15"]),
    (["15-Mar-26"], "auto", ["2026-03-15"]),
    (["Sun, 15 March 2026"], "auto", ["2026-03-15"]),
    (["03/15/2026", "3/1/2026"], "auto", ["2026-03-15", "2026-03-01"]),  # month-first
    (["15.03.2026", "01.02.2026"], "auto", ["2026-03-15", "2026-02-01"]),  # day-first
    (["3/15/26 2:30 PM"], "auto", ["2026-03-15"]),
    (["1/1/69", "1/1/68"], "auto", ["1969-01-01", "2068-01-01"]),
    (["03/04/2026"], "DMY", ["2026-04-03"]),
    (["03/04/2026"], "MDY", ["2026-03-04"]),
    (["15/03/2026"], "MDY", ["NaT"]),
    (["31/02/2026"], "DMY", ["NaT"]),
    (["next Tuesday"], "auto", ["NaT"]),
]


@pytest.mark.parametrize(("texts", "order", "expected"), DATE_CASES)
def test_text_dates(texts: list[str], order: str, expected: list[str]) -> None:
    parsed = parse_dates(texts, order=order)
    assert parsed.values.astype("datetime64[D]").astype(str).tolist() == expected
    assert parsed.unreadable.tolist() == [e == "NaT" for e in expected]


def test_auto_order_is_decided_per_column_and_the_minority_is_unreadable() -> None:
    parsed = parse_dates(["13/04/2026", "14/04/2026", "03/14/2026", "05/06/2026"])
    days = parsed.values.astype("datetime64[D]").astype(str).tolist()
    assert days == ["2026-04-13", "2026-04-14", "NaT", "2026-06-05"]
    assert parsed.note is None
    ambiguous = parse_dates(["03/04/2026", "05/06/2026", "07/07/2026"])
    assert ambiguous.note == AMBIGUOUS_ORDER
    assert parse_dates(["07/07/2026"]).note is None  # same either way


def test_ambiguous_column_gives_one_sheet_level_issue() -> None:
    opportunities = table(
        "Opportunities",
        OPP_HEADER,
        [
            ["O1", "A1", "Won", 100, "03/04/2026", None],
            ["O2", "A1", "Open", 100, "05/06/2026", None],
        ],
    )
    summary = summary_of(Opportunities=opportunities)
    assert issues(summary) == [
        (
            "Opportunities",
            None,
            "created_date",
            None,
            "day and month order is ambiguous",
            "read as month/day; set date_order in Settings",
        )
    ]


# --- section 4: words ----------------------------------------------------------------


def test_tiers_yes_no_and_statuses() -> None:
    tiers = parse_tiers(["Tier 1", "tier_2", "T3", "1", 2.0, "Non-target", "Tier 0", "gold"])
    assert tiers.values[:7].tolist() == [1, 2, 3, 1, 2, 0, 0]
    assert tiers.unreadable.tolist() == [False] * 7 + [True]
    flags = parse_yn(["x", "✓", "-", "Yes", "n", "maybe"])
    assert flags.values[:5].tolist() == [1, 1, 0, 1, 0] and flags.unreadable[5]
    words = ["6 - Closed Won", "Closed Lost", "closedwon", "Negotiation", "Won/Lost", "WON"]
    assert statuses(words) == ["won", "lost", "won", "open", "open", "won"]


def test_value_map_wins_over_the_built_in_rules() -> None:
    value_map = table(
        "ValueMap",
        ["sheet", "column", "value", "means"],
        [
            ["Opportunities", "status", "Signed", "Won"],
            ["Opportunities", "status", "Closed Won", "Open"],  # the organisation's own meaning
            ["Opportunities", "type", "Upsell deal", "Expansion"],
            ["Engagement", "channel", "Webinar Attended", "webinar"],
            ["Opportunities", "amount", "x", "y"],  # not mappable
            ["Opportunities", "status", "Maybe", "Perhaps"],  # not a status
            ["Nowhere", "status", "a", "Won"],
        ],
    )
    opportunities = table(
        "Opportunities",
        [*OPP_HEADER, "type"],
        [
            ["O1", "A1", "Signed", 100, dt.date(2026, 1, 1), dt.date(2026, 2, 1), "Upsell deal"],
            ["O2", "A2", "Closed Won", 100, dt.date(2026, 1, 1), None, None],
        ],
    )
    engagement = table(
        "Engagement",
        ["date", "account_id", "channel"],
        [[dt.date(2026, 6, 1), "A1", "Webinar Attended"]],
    )
    summary = summary_of(Opportunities=opportunities, Engagement=engagement, ValueMap=value_map)
    assert summary.kpis.at["won_accounts", "All targets"] + summary.kpis.at[
        "won_accounts", "Non-target"
    ] == pytest.approx(1)
    scores = summary.accounts.set_index("account_id")["engagement_score"]
    assert scores["A1"] == 30.0  # webinar weight, not "unknown channel"
    assert summary.kpis.at["expansion_revenue_won", "All targets"] == 100
    problems = [(r[0], r[1], r[4]) for r in issues(summary)]
    assert problems == [
        ("ValueMap", 6, "ValueMap maps status, type and channel only"),
        ("ValueMap", 7, "means must be Won, Lost or Open"),
        ("ValueMap", 8, "unknown sheet"),
    ]


# --- section 3: column matching ----------------------------------------------------------


@pytest.mark.parametrize(
    ("sheet", "column", "header"),
    [
        (sheet, column, synonym.header)
        for sheet, columns in SYNONYMS.items()
        for column, synonyms in columns.items()
        for synonym in synonyms
    ],
)
def test_every_synonym_fills_its_column(sheet: str, column: str, header: str) -> None:
    """The synonyms table is data: every header in it fills its column alone."""
    spec = INPUT_SHEETS.get(sheet) or {"ColumnMap": None, "ValueMap": None}[sheet]
    if spec is None:
        from abmxl.schema import MAPPING_SHEETS

        spec = MAPPING_SHEETS[sheet]
    match = match_columns([header.upper().replace(" ", "_")], spec)
    assert match.positions.get(column) == 0


def test_docs_show_the_synonyms_table() -> None:
    """docs/ingest.md holds the table rendered from the same data."""
    assert synonyms_markdown() in (ROOT / "docs" / "ingest.md").read_text(encoding="utf-8")


def test_matching_order_names_first_then_synonyms_and_one_column_per_header() -> None:
    spec = INPUT_SHEETS["Opportunities"]
    headers = ["Deal Stage", "Stage", "Amount", "Close Value", "Record ID", "Opportunity ID"]
    match = match_columns(headers, spec)
    assert match.positions["status"] == 1  # "Stage" is tried before "Deal Stage"
    assert match.positions["amount"] == 2  # its own name first
    assert match.positions["opportunity_id"] == 5
    accounts = match_columns(["Account Name", "Fit"], INPUT_SHEETS["Accounts"])
    assert accounts.positions["account_id"] == accounts.positions["account_name"] == 0


def test_column_map_wins_and_its_bad_rows_are_reported() -> None:
    column_map = table(
        "ColumnMap",
        ["sheet", "column", "header"],
        [
            ["Opportunities", "status", "Forecast Category"],
            ["Opportunities", "amount", "Not There"],
            ["Deals", "amount", "x"],
            ["Opportunities", "colour", "x"],
        ],
    )
    opportunities = table(
        "Opportunities",
        ["opportunity_id", "account_id", "Forecast Category", "Stage", "amount", "created_date"],
        [["O1", "A1", "Closed Won", "Negotiation", 100, dt.date(2026, 1, 1)]],
    )
    summary = summary_of(Opportunities=opportunities, ColumnMap=column_map)
    assert summary.kpis.at["new_revenue_won", "Tier 2"] + summary.kpis.at[
        "new_revenue_won", "Tier 1"
    ] == pytest.approx(100)
    assert [(r[0], r[1], r[4]) for r in issues(summary)] == [
        ("ColumnMap", 3, "no header 'Not There' in Opportunities"),
        ("ColumnMap", 4, "unknown sheet"),
        ("ColumnMap", 5, "unknown column of Opportunities"),
    ]
    inputs = summary.inputs.set_index("Input")
    assert inputs.at["Opportunities", "Columns"] == "status <- Forecast Category"


# --- section 2: header rows, totals, footers, rows below ------------------------------------


SALESFORCE_REPORT = [
    ["Opportunity Pipeline"],
    ["Filtered By: Close Date equals This Fiscal Year"],
    [None],
    ["Opportunity ID", "Account Name", "Stage", "Amount", "Created Date", "Close Date"],
    ["O1", "A1", "Closed Won", "$12,500.00", "03/15/2026", "04/22/2026"],
    ["O2", "A2", "Negotiation", "$5,000.00", "05/01/2026", None],
    ["Grand Totals (2 records)", None, None, "$17,500.00", None, None],
    [None],
    ["Confidential Information - Do Not Distribute"],
    ["Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."],
]


def test_a_report_with_titles_totals_and_footers_gives_the_tables_numbers() -> None:
    report = plain("Pipeline", SALESFORCE_REPORT, source="sheet Pipeline")
    summary = summary_of(Opportunities=report)
    assert same_numbers(summary, summary_of())
    assert [(r[1], r[2], r[4]) for r in issues(summary)] == [
        (7, "Opportunity ID", "total row"),
        (9, None, "not a data row"),
        (10, None, "not a data row"),
    ]
    row = summary.inputs.set_index("Input").loc["Opportunities"]
    assert row["Source"] == "sheet Pipeline, header row 4"
    assert (row["Rows read"], row["Rows skipped"]) == (5, 3)
    assert row["Columns"] == "account_id <- Account Name; status <- Stage"
    assert (row["Rows read"], row["Rows skipped"]) == (5, 3)


@pytest.mark.parametrize(
    ("first_cell", "is_total"),
    [
        ("Total", True),
        ("TOTALS", True),
        ("Subtotal (EMEA)", True),
        ("Sum", True),
        ("Grand Totals (2 records)", True),
        ("grand total", True),
        ("=SUM(D2:D9)", True),
        ("Sumace", False),
        ("Totally Fit Inc.", False),
        ("Grandview", False),
    ],
)
def test_total_rows(first_cell: str, is_total: bool) -> None:
    accounts = table(
        "Accounts",
        ["account_id", "fit_score"],
        [["A1", 80], ["A2", 90], ["A3", 40], [first_cell, 100]],
    )
    summary = summary_of(Accounts=accounts)
    skipped = [r for r in issues(summary) if r[4] == "total row"]
    assert bool(skipped) == is_total
    assert len(summary.accounts) == (3 if is_total else 4)


def test_total_row_with_a_blank_id_uses_its_first_filled_cell() -> None:
    accounts = table(
        "Accounts",
        ["account_name", "account_id", "fit_score"],
        [["Acme", "A1", 80], ["Bolt", "A2", 90], ["Core", "A3", 40], ["Total", None, 210]],
    )
    summary = summary_of(Accounts=accounts)
    assert issues(summary) == [("Accounts", 5, "account_id", "Total", "total row", "row skipped")]


def test_a_one_cell_row_right_under_the_data_is_a_record_unless_it_reads_as_a_footer() -> None:
    accounts = table(
        "Accounts",
        ["account_id", "fit_score"],
        [["A1", 80], ["A2", 90], ["A3", None], ["Generated by HubSpot on 2026-06-30", None]],
    )
    summary = summary_of(Accounts=accounts)
    assert summary.accounts["account_id"].tolist() == ["A1", "A2", "A3"]
    assert [(r[1], r[4]) for r in issues(summary)] == [
        (4, "blank fit_score"),
        (5, "not a data row"),
    ]


def test_rows_below_a_table_are_reported_once() -> None:
    accounts = table(
        "Accounts",
        ["account_id", "fit_score"],
        [["A1", 80], ["A2", 90], ["A3", 40]],
        rows_below=(5, 3),
    )
    assert issues(summary_of(Accounts=accounts)) == [
        (
            "Accounts",
            5,
            None,
            None,
            "3 rows below the table are not part of it",
            "ignored; resize the table to include them",
        )
    ]


def test_every_missing_column_of_every_input_in_one_message() -> None:
    tables = {
        "Accounts": plain("Accounts", [["Target accounts"], ["Company Code", "Fit"], ["A1", 80]]),
        "Opportunities": table(
            "Opportunities",
            ["Opportunity ID", "Account ID", "Forecast Category", "Amount", "Created Date"],
            [],
        ),
        "Engagement": table("Engagement", ["Date", "Company"], []),
    }
    with pytest.raises(InputError) as raised:
        check_required(tables, "book.xlsx")
    assert str(raised.value) == (
        "'book.xlsx' cannot be refreshed: "
        'Accounts: no column for account_id (closest header: "Company Code"); '
        'Engagement: no column for channel (closest header: "Company"); '
        'Opportunities: no column for status (closest header: "Forecast Category"); '
        "add them to ColumnMap or rename the headers"
    )
    column_map = table("ColumnMap", ["sheet", "column", "header"], [])
    column_map.frame.loc[2] = ["Opportunities", "status", "Forecast Category"]
    del tables["Accounts"], tables["Engagement"]
    tables["Accounts"] = ACCOUNTS
    check_required({**tables, "ColumnMap": column_map}, "book.xlsx")  # mapped: no error


def test_a_missing_sheet_and_missing_columns_together() -> None:
    tables = {"Opportunities": table("Opportunities", ["Deal", "Stage"], [])}
    with pytest.raises(InputError, match=re.escape("'b.xlsx' has no Accounts table or sheet")):
        check_required(tables, "b.xlsx", ["Deals"])


# --- section 3: fit_score optional; section 5: bad optional cells -------------------------


def test_accounts_without_fit_score_are_the_target_list() -> None:
    accounts = table("Accounts", ["account_id", "intent_score"], [["A1", 70], ["A2", 10]])
    summary = summary_of(Accounts=accounts)
    assert issues(summary) == [
        (
            "Accounts",
            None,
            "fit_score",
            None,
            "column missing",
            "every account treated as in the ideal customer profile",
        )
    ]
    assert summary.kpis.at["target_accounts", "All targets"] == 2


def test_percent_formatted_scores_are_points() -> None:
    rows = [["A1", 0.8, "70%", 150000], ["A2", 0.9, "10%", 30000], ["A3", 0.4, "90%", 5000]]
    frame = pd.DataFrame(
        rows,
        columns=["account_id", "fit_score", "intent_score", "expected_acv"],
        index=range(2, 5),
        dtype=object,
    )
    percent = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    percent["fit_score"] = True  # 0.8 shown as 80 %
    accounts = RawTable("Accounts", frame, percent=percent)
    assert same_numbers(summary_of(Accounts=accounts), summary_of())


def test_bad_optional_cells_keep_the_account_and_its_opportunities() -> None:
    accounts = table(
        "Accounts",
        ["account_id", "fit_score", "intent_score", "expected_acv", "tier_override"],
        [
            ["A1", 80, 70, "$150,000", "Tier 1"],
            ["A2", 90, 10, "lots", "gold"],
            ["A3", 40, 90, 5000, None],
        ],
    )
    summary = summary_of(Accounts=accounts)
    assert summary.accounts["account_id"].tolist() == ["A1", "A2", "A3"]
    assert summary.accounts.set_index("account_id").at["A1", "tier"] == 1
    assert [(r[1], r[2], r[5]) for r in issues(summary)] == [
        (3, "expected_acv", "kept; expected_acv treated as blank"),
        (3, "tier_override", "kept; tier_override treated as blank"),
    ]
    assert summary.kpis.at["opportunity_accounts", "All targets"] == 2


# --- section 6: settings --------------------------------------------------------------------


def settings(rows: list[list]) -> RawTable:
    return table("Settings", ["key", "value"], rows)


def test_unreadable_as_of_stops_the_refresh() -> None:
    with pytest.raises(InputError, match=r"as_of in Settings row 2 is 'next Monday', not a date"):
        summary_of(Settings=settings([["as_of", "next Monday"]]))


def test_blank_as_of_is_today_and_said_so() -> None:
    summary = summary_of(Settings=settings([["as_of", None]]))
    assert summary.as_of == TODAY and summary.as_of_is_today
    dated = summary_of(Settings=settings([["as_of", "31 Mar 2026"]]))
    assert dated.as_of == dt.date(2026, 3, 31) and not dated.as_of_is_today


def test_fraction_settings_read_percentages() -> None:
    summary = summary_of(
        Settings=settings(
            [["gross_margin", "80%"], ["discount_rate", 10], ["window_days", -1], ["fit_min", "x"]]
        )
    )
    assert [(r[1], r[4], r[5]) for r in issues(summary)] == [
        (3, "discount_rate 10 is more than 1", "read as 10%"),
        (4, "window_days must be 0 or more", "row skipped; default used"),
        (5, "unreadable number", "row skipped; default used"),
    ]
    assert summary.settings_ignored == 2
    reference = summary_of(Settings=settings([["gross_margin", 0.8], ["discount_rate", 0.1]]))
    assert numbers_of(summary).loc["clv"].equals(numbers_of(reference).loc["clv"])


def test_decimal_separator_and_date_order_settings() -> None:
    opportunities = table(
        "Opportunities",
        OPP_HEADER,
        [
            ["O1", "A1", "Closed Won", "12.500,00 €", "03.04.2026", "02.05.2026"],
            ["O2", "A2", "Negotiation", "5.000", "01.05.2026", None],
        ],
    )
    european = summary_of(
        Opportunities=opportunities,
        Settings=settings([["decimal_separator", ","], ["date_order", "DMY"]]),
    )
    expected = table(
        "Opportunities",
        OPP_HEADER,
        [
            ["O1", "A1", "Won", 12500, dt.date(2026, 4, 3), dt.date(2026, 5, 2)],
            ["O2", "A2", "Open", 5000, dt.date(2026, 5, 1), None],
        ],
    )
    assert issues(european) == []
    assert same_numbers(european, summary_of(Opportunities=expected))


# --- section 7: the Inputs table and --json -------------------------------------------------------


def test_inputs_table_and_json() -> None:
    summary = summary_of()
    assert list(summary.inputs.columns) == [
        "Input",
        "Source",
        "Rows read",
        "Rows skipped",
        "Columns",
    ]
    assert summary.inputs["Input"].tolist() == list(INPUT_SHEETS)
    assert summary.inputs.set_index("Input").at["Spend", "Source"] == "not found"
    document = summary.to_json()
    assert document["inputs"][2] == {
        "input": "Accounts",
        "source": "sheet Accounts",
        "rows_read": 3,
        "rows_skipped": 0,
        "columns": {},
    }
    report = summary_of(Opportunities=plain("Pipeline", SALESFORCE_REPORT, source="sheet Pipeline"))
    listed = {entry["input"]: entry for entry in report.to_json()["inputs"]}
    assert listed["Opportunities"]["columns"] == {"account_id": "Account Name", "status": "Stage"}
    assert np.isfinite(listed["Opportunities"]["rows_read"])


def test_the_cli_stops_on_an_unreadable_as_of_with_one_line(tmp_path: Path, capsys) -> None:
    from abmxl.cli import main
    from abmxl.sample import generate
    from abmxl.template import build_workbook

    data = generate(20, seed=2)
    data["Settings"].loc[data["Settings"]["key"] == "as_of", "value"] = "next Monday"
    path = build_workbook(tmp_path / "book.xlsx", data, vba=False)
    before = path.read_bytes()
    assert main(["refresh", str(path)]) == 1
    message = capsys.readouterr().err.strip()
    assert message.startswith("abmxl: error: as_of in Settings row 2 is 'next Monday', not a date")
    assert "\n" not in message
    assert path.read_bytes() == before


def test_a_mapping_table_without_its_columns_is_reported_not_silently_ignored() -> None:
    column_map = table("ColumnMap", ["sheet", "column"], [["Opportunities", "status"]])
    summary = summary_of(ColumnMap=column_map)
    assert issues(summary) == [
        ("ColumnMap", None, "header", None, "required column missing", "table ignored")
    ]


def test_percent_formats_line_up_with_the_rows_of_a_plain_range() -> None:
    rows = [
        ["Accounts export"],
        ["account_id", "fit_score", "intent_score", "expected_acv"],
        ["A1", 0.8, 0.7, 150000],
        ["A2", 0.9, 0.1, 30000],
        ["A3", 0.4, 0.9, 5000],
    ]
    accounts = plain("Accounts", rows)
    percent = pd.DataFrame(False, index=accounts.frame.index, columns=accounts.frame.columns)
    percent.iloc[2:, 1:3] = True  # the score cells, not the title or header
    accounts.percent = percent
    assert same_numbers(summary_of(Accounts=accounts), summary_of())


def test_column_map_applies_to_settings_too() -> None:
    column_map = table("ColumnMap", ["sheet", "column", "header"], [["Settings", "key", "Param"]])
    settings_sheet = table("Settings", ["Param", "value"], [["as_of", "2026-03-31"]])
    summary = summary_of(Settings=settings_sheet, ColumnMap=column_map)
    assert summary.as_of == dt.date(2026, 3, 31) and issues(summary) == []


def test_scores_that_all_look_like_fractions_are_reported_not_rescaled() -> None:
    # A reader that cannot see number formats hands a typed 85 % over as 0.85.
    summary = summary_of(
        Accounts=table("Accounts", ["account_id", "fit_score"], [["A1", 0.85], ["A2", 0.4]])
    )
    issues = summary.issues
    row = issues[issues["Problem"].str.startswith("every score is between 0 and 1")]
    assert row[["Sheet", "Column"]].values.tolist() == [["Accounts", "fit_score"]]
    assert row["Action"].iloc[0].startswith("read as written")
    assert summary.kpis.at["target_accounts", "Non-target"] == 2  # used as written: fit < 70


def test_whole_scores_of_0_and_1_are_not_reported() -> None:
    summary = summary_of(
        Accounts=table("Accounts", ["account_id", "fit_score"], [["A1", 0], ["A2", 1]])
    )
    assert not summary.issues["Problem"].str.startswith("every score").any()
