"""The Excel functions, called through xlwings' own Office.js dispatcher.

The root ``conftest.py`` selects xlwings' Office.js runtime (the one xlwings Lite
and xlwings Server run) before anything imports xlwings, so
``xlwings.server.custom_functions_meta`` and ``custom_functions_call`` see the
functions exactly as Excel would: names, help, and 2D payloads in and out. The
classic (Windows COM) runtime is checked in ``test_udfs_classic.py``.

Office.js converts every cell in Python (about 90 ms per 1,000 cells on CPython),
so the arrays here stay small.
"""

from __future__ import annotations

import ast
import asyncio
import datetime as dt
import inspect
import math
import os
import re
from pathlib import Path
from typing import Any

import pytest
import xlwings as xw
import xlwings.server
from hypothesis import given, settings
from hypothesis import strategies as st

import abmxl
from abmxl import docgen, udfs
from abmxl.examples import WORKED_EXAMPLES, WorkedExample

pytestmark = pytest.mark.skipif(
    os.environ.get("XLWINGS_ON_SERVER") != "true",
    reason="needs xlwings' Office.js runtime, selected by the root conftest.py",
)

NAMES = [
    "WINRATE",
    "ACV",
    "CLV",
    "CLV_CHURN",
    "CAC",
    "ENGAGEMENT_PCT",
    "TIER",
    "TAM",
    "PIPELINE_VELOCITY",
    "CHURN_RATE",
    "RENEWAL_RATE",
    "NRR",
    "GRR",
    "NPS",
    "LTV_CAC",
    "CAC_PAYBACK",
    "PENETRATION",
    "COST_PER",
    "ENGAGEMENT_SCORES",
    "LIFT",
    "ENGAGEMENT_TREND",
    "TIER_REASON",
    "ATTRIBUTION",
]
# Excel-only arguments: the event channel column (a blank weight takes the
# channel's ChannelWeights default, as the refresh does) has no core argument.
EXCEL_ONLY = {"channels"}
# Functions that spill a table the refresh also computes: their arguments are
# the input columns, not the core metric's (ATTRIBUTION joins journeys as the
# refresh does, then calls attribution_shares).
TABLE_FUNCTIONS = {"ATTRIBUTION"}
# What Office.js shows for the error objects xlwings returns (runtime 1.4).
OFFICE_ERRORS = {
    "Div0": "#DIV/0!",
    "Num": "#NUM!",
    "Value": "#VALUE!",
    "NotAvailable": "#N/A",
    "Name": "#NAME?",
    "Null": "#NULL!",
    "Ref": "#REF!",
}
ERROR_CELL = {"type": "Error", "errorType": "NotAvailable", "basicValue": "#N/A"}


def call(name: str, *args: Any) -> list[list[Any]]:
    """Call ``ABM_<name>`` the way Excel's Office.js runtime does; errors as their text."""
    data = {
        "func_name": f"ABM_{name}",
        "args": list(args),
        "version": xw.__version__,
        "client": "Office.js",
        "runtime": "1.4",
    }
    result = asyncio.run(xlwings.server.custom_functions_call(data, udfs))
    return [
        [OFFICE_ERRORS[cell["errorType"]] if isinstance(cell, dict) else cell for cell in row]
        for row in result
    ]


def cell(value: Any) -> list[list[Any]]:
    return [[value]]


def column(*values: Any) -> list[list[Any]]:
    return [[value] for value in values]


def flat(cells: list[list[Any]]) -> list[Any]:
    return [value for row in cells for value in row]


# ---------------------------------------------------------------- metadata


def test_metadata_lists_every_function_with_help() -> None:
    meta = xlwings.server.custom_functions_meta(udfs)
    functions = {f["name"]: f for f in meta["functions"]}
    assert sorted(functions) == sorted(f"ABM.{name}" for name in NAMES)
    assert list(udfs.EXCEL_FUNCTIONS) == NAMES
    for name, spec in udfs.EXCEL_FUNCTIONS.items():
        meta_function = functions[f"ABM.{name}"]
        assert meta_function["id"] == f"ABM_{name}"
        assert meta_function["description"] == spec.description
        assert 40 <= len(spec.description) <= 255
        parameters = meta_function["parameters"]
        assert [p["name"] for p in parameters] == [a.name for a in spec.arguments]
        for parameter, argument in zip(parameters, spec.arguments, strict=True):
            assert parameter["description"] == argument.doc
            assert not parameter["description"].startswith("Positional argument")
            assert parameter.get("optional", False) == argument.optional
            assert parameter["dimensionality"] == "matrix"
        assert meta_function["result"]["dimensionality"] == "matrix"


@pytest.mark.parametrize("name", [name for name in NAMES if name not in TABLE_FUNCTIONS])
def test_excel_signature_mirrors_the_core(name: str) -> None:
    spec = udfs.EXCEL_FUNCTIONS[name]
    excel = inspect.signature(getattr(udfs, f"ABM_{name}"))
    core = inspect.signature(spec.core)
    assert [(p.name, p.default) for p in excel.parameters.values() if p.name not in EXCEL_ONLY] == [
        (p.name, p.default) for p in core.parameters.values()
    ]
    assert spec.core is getattr(abmxl, spec.core.__name__)
    assert f"ABM_{name}" in udfs.__all__


def test_classic_names_cannot_be_read_as_cell_references() -> None:
    a1 = re.compile(r"^[A-Z]{1,3}[0-9]+$")
    r1c1 = re.compile(r"^(R[0-9]*)?(C[0-9]*)?$")
    for spec in udfs.EXCEL_FUNCTIONS.values():
        assert re.fullmatch(r"[A-Z][A-Z0-9_]*", spec.classic_name)
        assert not a1.match(spec.classic_name) and not r1c1.match(spec.classic_name)


# ---------------------------------------------------------------- worked examples


def _example_id(example: WorkedExample) -> str:
    return example.call


@pytest.mark.parametrize("example", WORKED_EXAMPLES, ids=_example_id)
def test_worked_examples_through_the_dispatcher(example: WorkedExample) -> None:
    if example.function == "nps":
        args = [[list(example.args[0])]]  # a row of answers
    else:
        args = [cell(value) for value in example.args]
    ((result,),) = call(example.excel, *args)
    if example.function == "tier":
        assert type(result) is int
        assert result == example.expected
    else:
        assert result == pytest.approx(example.expected, rel=1e-12)


def _columns_of_examples() -> dict[tuple[str, int], list[WorkedExample]]:
    groups: dict[tuple[str, int], list[WorkedExample]] = {}
    for example in WORKED_EXAMPLES:
        if example.function != "nps":
            groups.setdefault((example.excel, len(example.args)), []).append(example)
    return groups


COLUMNS = _columns_of_examples()


@pytest.mark.parametrize("key", sorted(COLUMNS), ids=lambda k: f"{k[0]}/{k[1]}")
def test_a_column_in_gives_a_column_out(key: tuple[str, int]) -> None:
    examples = COLUMNS[key]
    args = [column(*(ex.args[i] for ex in examples)) for i in range(key[1])]
    result = call(key[0], *args)
    assert len(result) == len(examples) and all(len(row) == 1 for row in result)
    assert flat(result) == pytest.approx([ex.expected for ex in examples], rel=1e-12)


def _literal_arguments(example: str) -> list[Any] | None:
    """``"10, 100"`` -> [10, 100]; an array constant ``{1,2}`` -> a row; None for refs."""
    try:
        values = ast.literal_eval(f"({example.replace('{', '[').replace('}', ']')},)")
    except (ValueError, SyntaxError):
        return None
    return [[value] if isinstance(value, list) else cell(value) for value in values]


@pytest.mark.parametrize("name", NAMES)
def test_documented_example_formula_shows_its_documented_result(name: str) -> None:
    spec = udfs.EXCEL_FUNCTIONS[name]
    args = _literal_arguments(spec.example)
    if args is None:
        assert name in {"ENGAGEMENT_SCORES", "ENGAGEMENT_TREND", "ATTRIBUTION"}  # table references
        return
    if name == "TIER_REASON":
        assert call(name, *args) == [[spec.example_result]]
        return
    result = call(name, *args)[0][0]
    decimals = len(spec.example_result.partition(".")[2])
    assert round(result, decimals) == float(spec.example_result)


# ---------------------------------------------------------------- cells and errors


def test_bad_rows_fail_in_their_own_cells_only() -> None:
    won = column(10, 12, 0, "ten", ERROR_CELL, None, -1, 0)
    closed = column(100, 10, 0, 20, 5, 8, 4, None)
    assert flat(call("WINRATE", won, closed)) == [
        0.1,
        "#NUM!",  # won > closed
        "#DIV/0!",  # nothing closed
        "#VALUE!",  # text
        "#N/A",  # an error cell passes its error on
        0.0,  # blank won is 0
        "#NUM!",  # negative
        "#DIV/0!",  # blank closed is 0
    ]


def test_first_error_in_argument_order_wins() -> None:
    result = call("ACV", column("x", ERROR_CELL), column(ERROR_CELL, 0), cell(None))
    assert flat(result) == ["#VALUE!", "#N/A"]


def test_blanks_count_as_zero_and_blank_optionals_take_their_default() -> None:
    # TCV blank -> 0; a blank fee cell inside a range -> the default 0.
    assert flat(call("ACV", column(None, 90000), column(5, 3), column(None, 5000))) == [
        0.0,
        pytest.approx(28333.333333333332),
    ]
    # A blank gross margin cell takes the default 1, like an omitted argument.
    assert call("CLV", cell(100000), cell(5), cell(None)) == [[500000.0]]
    assert flat(call("CLV", column(100000, 100000), cell(5), column(None, 0.8))) == [
        500000.0,
        400000.0,
    ]


def test_omitted_optional_arguments_take_their_defaults() -> None:
    # Excel may send an omitted trailing argument as null or leave it out.
    assert call("ACV", cell(500000), cell(5)) == [[100000.0]]
    assert call("CAC", cell(300000), cell(200000), cell(10), cell(None)) == [[50000.0]]
    assert call("CAC", cell(300000), cell(200000), cell(10)) == [[50000.0]]
    assert call("TIER", cell(85), cell(70), cell(12), cell(150000)) == [[1]]


def test_tier_blanks_follow_the_tier_rules_and_thresholds_broadcast() -> None:
    fit = column(85, 85, 85, 50, None, 85)
    intent = column(70, 70, 0, 90, 90, None)
    engagement = column(12, 0, 0, 90, 90, None)
    acv = column(150000, 50000, 10000, 900000, 900000, None)
    assert flat(call("TIER", fit, intent, engagement, acv)) == [1, 2, 3, 0, 0, 3]
    # A lower fit threshold (one cell) for every account tiers the fit-50 account.
    result = flat(call("TIER", fit, intent, engagement, acv, cell(40)))
    assert result == [1, 2, 3, 1, 0, 3]
    assert all(type(value) is int for value in result)


def test_ranges_broadcast_like_excel_arrays() -> None:
    # A row of contract values against a column of terms: a 2 x 3 matrix.
    result = call("ACV", [[300000, 600000, 900000]], column(3, 6), cell(None))
    assert result == [[100000.0, 200000.0, 300000.0], [50000.0, 100000.0, 150000.0]]
    # A shorter range leaves #N/A where it does not reach, as Excel's own arrays do.
    assert flat(call("WINRATE", column(1, 2, 3), column(10, 10))) == [0.1, 0.2, "#N/A"]


def test_nps_aggregates_a_range_and_ignores_blanks() -> None:
    answers = [[10, 9, 8, 7, 6], [0, 10, None, 9, 3], [None, None, None, None, 10]]
    assert call("NPS", answers) == [[20.0]]
    assert call("NPS", [[None, None]]) == [["#DIV/0!"]]
    assert call("NPS", [[10, 11]]) == [["#NUM!"]]
    assert call("NPS", [[10, 7.5]]) == [["#NUM!"]]
    assert call("NPS", [[10, "nine"]]) == [["#VALUE!"]]
    assert call("NPS", [[10, ERROR_CELL]]) == [["#N/A"]]


# ---------------------------------------------------------------- engagement scores

ACCOUNTS = column("A", "B", "C")
EVENT_ACCOUNTS = column("A", "A", "B", "Z", "A")
EVENT_DAYS = [dt.date(2026, 3, 30), dt.date(2025, 11, 1), dt.date(2026, 3, 1)]
EVENT_DAYS += [dt.date(2026, 3, 30), dt.date(2026, 4, 2)]
EVENT_WEIGHTS = column(30, 10, 2, 5, 100)
AS_OF = dt.date(2026, 3, 31)


def serial(day: dt.date) -> float:
    """What Office.js sends for a date cell: Excel's serial day number."""
    return float((day - dt.date(1899, 12, 30)).days)


@pytest.mark.parametrize(
    ("dates", "as_of"),
    [
        (column(*map(serial, EVENT_DAYS)), serial(AS_OF)),  # Office.js: serial numbers
        (  # classic xlwings: datetime objects
            column(*(dt.datetime(d.year, d.month, d.day, 9, 30) for d in EVENT_DAYS)),
            dt.datetime(2026, 3, 31),
        ),
    ],
    ids=["serials", "datetimes"],
)
def test_engagement_scores_spec_example(dates: list[list[Any]], as_of: Any) -> None:
    plain = call("ENGAGEMENT_SCORES", ACCOUNTS, EVENT_ACCOUNTS, dates, EVENT_WEIGHTS, cell(as_of))
    assert plain == [[30.0], [2.0], [0.0]]
    decayed = call(
        "ENGAGEMENT_SCORES",
        ACCOUNTS,
        EVENT_ACCOUNTS,
        dates,
        EVENT_WEIGHTS,
        cell(as_of),
        cell(90),
        cell(30),
    )
    assert flat(decayed) == pytest.approx([30 * 0.5 ** (1 / 30), 1.0, 0.0], rel=1e-12)


def test_engagement_scores_bad_events_fail_only_their_accounts() -> None:
    accounts = column("A", "B", "C", None, 1001)
    events = column("A", "A", "B", "Z", "A", "C", "1001")
    weights = column(30, "ten", -2, "x", 100, None, 4)
    dates = column(*map(serial, EVENT_DAYS), serial(AS_OF), serial(AS_OF))
    result = call("ENGAGEMENT_SCORES", accounts, events, dates, weights, cell(serial(AS_OF)))
    # A: a text weight; B: a negative weight; C: a blank weight counts 0; the unknown
    # account Z's bad weight is ignored; a blank account id gives a blank cell; the
    # number 1001 matches the text "1001".
    assert flat(result) == ["#VALUE!", "#NUM!", 0.0, "", 4.0]


def test_engagement_scores_reads_ids_as_the_refresh_does() -> None:
    # Padded text, a number typed as text and a float id all name the same account,
    # as they do in the Funnel Summary (engine.clean.parse_text).
    accounts = column(" A1 ", 1001.0, "B")
    events = column("A1", "1001 ", 1001, "b")
    dates = column(*[serial(AS_OF)] * 4)
    result = call("ENGAGEMENT_SCORES", accounts, events, dates, cell(5), cell(serial(AS_OF)))
    assert flat(result) == [5.0, 10.0, 0.0]  # ids are case-sensitive: "b" is not "B"


def test_engagement_scores_output_keeps_the_accounts_shape_and_skips_undated_events() -> None:
    row_of_accounts = [["A", "B", "C"]]
    dates = column(serial(AS_OF), None, serial(AS_OF))
    result = call(
        "ENGAGEMENT_SCORES",
        row_of_accounts,
        column("A", "B", "C"),
        dates,
        cell(2),  # one weight for every event
        cell(serial(AS_OF)),
    )
    assert result == [[2.0, 0.0, 2.0]]


@pytest.mark.parametrize(
    ("as_of", "window", "half_life", "expected"),
    [
        (None, None, None, "#VALUE!"),  # no as-of date
        ("today", None, None, "#VALUE!"),
        (46112.0, -1, None, "#NUM!"),
        (46112.0, None, 0, "#NUM!"),
        (46112.0, [[90, 30]], None, "#VALUE!"),  # a range where one cell is needed
        (ERROR_CELL, None, None, "#N/A"),
    ],
)
def test_engagement_scores_bad_parameters_fail_every_cell(
    as_of: Any, window: Any, half_life: Any, expected: str
) -> None:
    window_cells = window if isinstance(window, list) else cell(window)
    result = call(
        "ENGAGEMENT_SCORES",
        ACCOUNTS,
        EVENT_ACCOUNTS,
        column(*map(serial, EVENT_DAYS)),
        EVENT_WEIGHTS,
        cell(as_of),
        window_cells,
        cell(half_life),
    )
    assert result == [[expected]] * 3


# ---------------------------------------------------------------- invariants

counts = st.one_of(st.integers(-3, 30), st.none(), st.just("n/a"))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(counts, counts), min_size=1, max_size=8))
def test_a_column_call_equals_one_call_per_cell(rows: list[tuple[Any, Any]]) -> None:
    """One bad row never changes another row: the array result is the per-cell result."""
    won = column(*(w for w, _ in rows))
    closed = column(*(c for _, c in rows))
    whole = flat(call("WINRATE", won, closed))
    single = [call("WINRATE", cell(w), cell(c))[0][0] for w, c in rows]
    assert len(whole) == len(single)
    for got, expected in zip(whole, single, strict=True):
        assert got == expected or (isinstance(got, float) and math.isclose(got, expected))


# ---------------------------------------------------------------- the generated reference


def test_committed_function_reference_is_what_docgen_generates() -> None:
    committed = Path(__file__).resolve().parent.parent / "docs" / "functions.md"
    assert committed.read_text(encoding="utf-8") == docgen.render(), (
        "docs/functions.md is stale: run `make docs`"
    )


def test_reference_shows_every_function_argument_and_core_formula() -> None:
    page = docgen.render()
    for spec in udfs.EXCEL_FUNCTIONS.values():
        assert f"## {spec.classic_name} / {spec.office_name}" in page
        assert f"abmxl.{spec.core.__name__}(" in page
        for argument in spec.arguments:
            assert f"| `{argument.name}` |" in page
    assert page.count("```math") >= 15  # the core docstrings' formulas


# ---------------------------------------------------------------- attribution

C = dt.date(2026, 3, 1)


def days_after(n: int) -> float:
    return serial(C + dt.timedelta(days=n))


# analytics.md section 8's example, plus an open opportunity without a created date.
OPP_ARGS = (
    column("A", "A"),
    column(serial(C), None),
    column(days_after(40), None),
    column("Closed Won", "Open"),
    column(100000, 500),
)
EVENT_ARGS = (
    column("A", "A", "A", "A"),
    column(days_after(-30), days_after(-10), days_after(0), days_after(20)),
    column("web_visit", "Webinar", "meeting", "event"),
    column(None, None, None, None),  # blank: the channels' default weights 1, 30, 30, 120
)
ATTRIBUTION_REVENUE = {
    "first": (0, 0, 100000, 0),
    "w_shaped": (30000, 30000, 30000, 10000),
    "time_decay": (40900.79, 25765.88, 12882.94, 20450.39),
    "weighted": (66298.34, 16574.59, 552.49, 16574.59),
}


@pytest.mark.parametrize(("model", "revenue"), ATTRIBUTION_REVENUE.items())
def test_attribution_spec_example(model: str, revenue: tuple[float, ...]) -> None:
    result = call("ATTRIBUTION", *OPP_ARGS, *EVENT_ARGS, cell(serial(dt.date(2026, 6, 30))),
                  cell(model))  # fmt: skip
    assert result[0] == ["channel", "opportunities", "pipeline", "won deals", "revenue"]
    assert [row[0] for row in result[1:]] == ["event", "meeting", "web_visit", "webinar",
                                              "(no touch)"]  # fmt: skip
    assert [round(row[4], 2) for row in result[1:5]] == pytest.approx(revenue, abs=0.006)
    assert result[-1] == ["(no touch)", 1, 500, 0, 0]
    assert sum(row[1] for row in result[1:]) == pytest.approx(2)
    assert sum(row[3] for row in result[1:]) == pytest.approx(1)


def test_attribution_default_model_is_w_shaped_and_matches_the_refresh() -> None:
    from abmxl.engine import RawTable, build_summary

    as_of = dt.date(2026, 6, 30)
    default = call("ATTRIBUTION", *OPP_ARGS, *EVENT_ARGS, cell(serial(as_of)))
    explicit = call("ATTRIBUTION", *OPP_ARGS, *EVENT_ARGS, cell(serial(as_of)), cell("W_Shaped"))
    assert default == explicit

    def raw(sheet: str, columns: dict[str, list[list[Any]]]) -> RawTable:
        import pandas as pd

        frame = pd.DataFrame({k: [row[0] for row in v] for k, v in columns.items()}, dtype=object)
        for name in ("created_date", "close_date", "date"):
            if name in frame:
                frame[name] = [
                    None if x is None else dt.date(1899, 12, 30) + dt.timedelta(days=int(x))
                    for x in frame[name]
                ]
        frame.index = range(2, len(frame) + 2)
        return RawTable(sheet, frame)

    ids = column("O1", "O2")
    names = ("account_id", "created_date", "close_date", "status", "amount")
    tables = {
        "Settings": raw("Settings", {"key": column("as_of"), "value": column(serial(as_of))}),
        "Accounts": raw("Accounts", {"account_id": column("A"), "fit_score": column(80)}),
        "Opportunities": raw(
            "Opportunities", {"opportunity_id": ids, **dict(zip(names, OPP_ARGS, strict=True))}
        ),
        "Engagement": raw(
            "Engagement",
            dict(zip(("account_id", "date", "channel", "weight"), EVENT_ARGS, strict=True)),
        ),
    }
    tables["Settings"].frame["value"] = [as_of]
    table = build_summary(tables, as_of).attribution
    rows = table[table["Model"] == "w_shaped"]
    expected = rows[["Channel", "Opportunities", "Pipeline", "Won deals", "Revenue"]]
    assert default[1:] == [list(row) for row in expected.itertuples(index=False)]


def test_attribution_bad_cells_fail_every_number() -> None:
    as_of = cell(serial(dt.date(2026, 6, 30)))
    amounts = column(100000, -1)
    result = call("ATTRIBUTION", *OPP_ARGS[:4], amounts, *EVENT_ARGS, as_of)
    assert all(value == "#NUM!" for row in result[1:] for value in row[1:])
    assert [row[0] for row in result[1:]][-1] == "(no touch)"
    weights = column(1, "x", None, None)
    result = call("ATTRIBUTION", *OPP_ARGS, *EVENT_ARGS[:3], weights, as_of)
    assert all(value == "#VALUE!" for row in result[1:] for value in row[1:])


@pytest.mark.parametrize(
    "parameters",
    [
        (cell(None),),  # no as_of: no "today" in a formula
        (cell(serial(dt.date(2026, 6, 30))), cell("shapley")),
        (cell(serial(dt.date(2026, 6, 30))), cell("linear"), cell(-1)),
        (cell(serial(dt.date(2026, 6, 30))), cell("linear"), cell(90), cell(0)),
        (cell(serial(dt.date(2026, 6, 30))), column("linear", "first")),
    ],
)
def test_attribution_bad_parameters_fail_the_whole_table(parameters: tuple[Any, ...]) -> None:
    result = call("ATTRIBUTION", *OPP_ARGS, *EVENT_ARGS, *parameters)
    assert len(result) == 1 and len(set(result[0])) == 1
    assert result[0][0] in ("#VALUE!", "#NUM!")


def test_attribution_columns_of_different_lengths_are_value_errors() -> None:
    as_of = cell(serial(dt.date(2026, 6, 30)))
    result = call("ATTRIBUTION", *OPP_ARGS[:4], column(1), *EVENT_ARGS, as_of)
    assert result == [["#VALUE!"] * 5]
