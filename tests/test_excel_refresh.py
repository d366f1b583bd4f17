"""``abmxl.excel.refresh`` against an xlwings remote-engine book (no Excel needed).

The book is built the way the Office.js client sends one (``xw.Book(json=...)``)
from a sample workbook file; ``set_mock_caller`` makes ``xw.Book.caller()``
return it, as ``RunPython`` would. The refresh records its writes as actions,
which are checked against the CLI's engine run on the same file.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import xlwings as xw

import abmxl.excel
from abmxl import schema
from abmxl.engine import build_summary
from abmxl.io.reader import read_tables
from abmxl.template import new_workbook
from tests.books import remote_book

TODAY = dt.date(2026, 11, 22)


def written_table(book: xw.Book, sheet_name: str, header_first: str) -> list[list]:
    """The values block the refresh wrote whose header row starts with ``header_first``."""
    position = [sheet.name for sheet in book.sheets].index(sheet_name)
    for action in book.impl.json()["actions"]:
        values = action.get("values")
        if (
            action["func"] == "setValues"
            and action["sheet_position"] == position
            and values
            and values[0]
            and values[0][0] == header_first
        ):
            return values
    raise AssertionError(f"no table starting with {header_first!r} written on {sheet_name}")


@pytest.fixture(scope="module")
def sample_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return new_workbook(tmp_path_factory.mktemp("excel") / "sample.xlsm", 60, seed=11)


@pytest.mark.parametrize("tables", ["file", "none"], ids=["tables", "used-range"])
def test_refresh_writes_the_same_funnel_as_the_cli(sample_book: Path, tables: str) -> None:
    book = remote_book(sample_book, tables=tables)
    book.set_mock_caller()
    try:
        summary = abmxl.excel.refresh()
    finally:
        del xw.Book._mock_caller
    assert summary is not None
    expected = build_summary(read_tables(sample_book), today=TODAY)
    got, wanted = summary.to_json(), expected.to_json()
    if tables == "none":  # the same cells, found as plain ranges instead of Tables
        sources = [row.pop("source") for row in got["inputs"]]
        assert all(source.startswith("sheet ") for source in sources)
        for row in wanted["inputs"]:
            row.pop("source")
    assert got == wanted

    stages = written_table(book, schema.FUNNEL_SUMMARY_SHEET, "Stage")
    segments = stages[0][1 : 1 + len(schema.SEGMENTS)]
    assert segments == list(schema.SEGMENTS)
    for row in stages[1:]:
        stage = row[0].lstrip("'")
        counts = dict(zip(segments, row[1 : 1 + len(segments)], strict=True))
        assert counts == {seg: int(expected.stages.at[stage, seg]) for seg in segments}

    kpis = written_table(book, schema.FUNNEL_SUMMARY_SHEET, "KPI")
    for row in kpis[1:]:
        key = row[1].lstrip("'")
        for seg, value in zip(schema.SEGMENTS, row[2:], strict=True):
            want = expected.to_json()["kpis"][key][seg]
            assert (value in ("", None)) if want is None else value == pytest.approx(want)

    accounts = written_table(book, schema.ACCOUNT_SCORES_SHEET, "account_id")
    assert accounts[0] == list(schema.ACCOUNT_SCORES_COLUMNS)
    assert len(accounts) - 1 == len(expected.accounts)


def test_refresh_never_writes_input_sheets(sample_book: Path) -> None:
    book = remote_book(sample_book)
    abmxl.excel.refresh(book)
    names = [sheet.name for sheet in book.sheets]
    actions = book.impl.json()["actions"]
    # A missing output sheet (Trends, in an older workbook) is added, by name.
    added = {action["args"][1] for action in actions if action["func"] == "addSheet"}
    written = {names[a["sheet_position"]] for a in actions if a["sheet_position"] is not None}
    assert written | added <= {*schema.OUTPUT_SHEETS}
    tables = {action["args"][3] for action in actions if action["func"] == "addTable"}
    assert tables == {
        "FunnelStages",
        "FunnelLift",
        "StageVelocity",
        "FunnelKPIs",
        "DataIssues",
        "Trends",
        "Progression",
        "ProgressionSummary",
        "Inputs",
        "Attribution",
        "AccountScores",
    }


def test_failure_is_an_alert_not_a_traceback(
    sample_book: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken_engine(tables: object, today: dt.date, **sources: object) -> None:
        raise ValueError("Accounts: no account_id column")

    monkeypatch.setattr("abmxl.engine.build_summary", broken_engine)
    book = remote_book(sample_book)
    assert abmxl.excel.refresh(book) is None
    actions = book.impl.json()["actions"]
    alerts = [action for action in actions if action["func"] == "alert"]
    assert len(alerts) == 1
    assert alerts[0]["args"][1] == abmxl.excel.ALERT_TITLE
    assert alerts[0]["args"][0] == "The funnel was not refreshed: Accounts: no account_id column"
    assert "Traceback" in capsys.readouterr().err  # for the xlwings console, not the user
    assert not [action for action in actions if action["func"] == "setValues"]


@pytest.mark.parametrize("missing", ["Accounts", "Opportunities"])
def test_missing_required_sheet_is_the_clis_message(
    sample_book: Path, tmp_path: Path, missing: str
) -> None:
    book = remote_book(sample_book, without=missing)
    assert abmxl.excel.refresh(book) is None
    alerts = [a for a in book.impl.json()["actions"] if a["func"] == "alert"]
    assert len(alerts) == 1
    message = alerts[0]["args"][0]
    assert f"'sample.xlsm' has no {missing} table or sheet" in message
    # The Python API (and the CLI) stops with the same words, from the same pipeline.
    import xlsxwriter

    from abmxl.engine.required import InputError
    from abmxl.refresh import refresh_workbook

    other = "Opportunities" if missing == "Accounts" else "Accounts"
    lone = tmp_path / "sample.xlsm"
    workbook = xlsxwriter.Workbook(lone)
    workbook.add_worksheet(other).write_row(0, 0, schema.INPUT_SHEETS[other].required_columns)
    workbook.close()
    with pytest.raises(InputError, match=f"'sample.xlsm' has no {missing} table or sheet"):
        refresh_workbook(lone, tmp_path / "out.xlsm")


def test_lite_script_is_bound_to_the_lite_button() -> None:
    from xlwings.server import custom_scripts_meta

    (meta,) = custom_scripts_meta(abmxl.excel)
    assert meta["function_name"] == "refresh_funnel"
    assert meta["button"] == "[TextBox 1]Funnel Summary!G2"


def test_both_doors_find_a_table_on_another_sheet_and_a_sheet_synonym(tmp_path: Path) -> None:
    """Issue 9: the CLI found an Accounts Table on any sheet, the button only on a sheet
    named Accounts. Now one rule: the same tables, the same numbers."""
    import openpyxl
    from openpyxl.worksheet.table import Table

    from abmxl.refresh import refresh_workbook

    book = openpyxl.Workbook()
    data = book.active
    data.title = "Data"
    data.append(["notes above the table"])
    data.append([])
    data.append(["account_id", "fit_score", "intent_score"])
    for row in (["A1", 90, 80], ["A2", 75, 20], ["A3", 30, 10]):
        data.append(row)
    data.add_table(Table(displayName="accounts", ref="A3:C6"))
    deals = book.create_sheet("Sales Pipeline")  # a synonym of Opportunities, no Table
    deals.append(["opportunity_id", "account_id", "status", "amount", "created_date"])
    deals.append(["O1", "A1", "Closed Won", 1000, dt.datetime(2026, 1, 5)])
    deals.append(["O2", "A2", "Open", 500, dt.datetime(2026, 2, 5)])
    settings = book.create_sheet("Settings")
    settings.append(["key", "value"])
    settings.append(["as_of", dt.datetime(2026, 3, 31)])
    path = tmp_path / "book.xlsx"
    book.save(path)

    summary = abmxl.excel.refresh(remote_book(path))
    assert summary is not None
    expected = refresh_workbook(path, tmp_path / "out.xlsx", today=TODAY)
    assert summary.to_json() == expected.to_json()
    assert expected.to_json()["stages"]["Won"]["All targets"] == 1
