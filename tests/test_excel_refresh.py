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
from python_calamine import CalamineWorkbook
from xlsxwriter.utility import xl_range

import abmxl.excel
from abmxl import schema
from abmxl.engine import build_summary
from abmxl.io.reader import read_tables
from abmxl.template import new_workbook

TODAY = dt.date(2026, 11, 22)


def _payload_value(value: object) -> object:
    """A cell as the Office.js client sends it: dates as ISO strings ending in "Z"."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="milliseconds") + "Z"
    return value


def _table_api(name: str, rows: int, cols: int) -> dict:
    return {
        "name": name,
        "range_address": xl_range(0, 0, rows - 1, cols - 1),
        "header_row_range_address": xl_range(0, 0, 0, cols - 1),
        "data_body_range_address": xl_range(1, 0, rows - 1, cols - 1),
        "total_row_range_address": None,
        "show_headers": True,
        "show_totals": False,
        "table_style": "TableStyleMedium2",
        "show_autofilter": True,
        "row_count": rows,
        "column_count": cols,
        "columns": [],
    }


def remote_book(path: Path, *, with_tables: bool = True, without: str | None = None) -> xw.Book:
    """An Office.js-style payload of every sheet of ``path`` (values anchored at A1),
    leaving out the sheet named ``without``."""
    workbook = CalamineWorkbook.from_path(str(path))
    sheets = []
    for name in workbook.sheet_names:
        if name == without:
            continue
        values = [
            [_payload_value(v) for v in row] for row in workbook.get_sheet_by_name(name).to_python()
        ]
        tables = []
        if with_tables and name in schema.INPUT_SHEETS and values:
            tables.append(_table_api(name, len(values), len(values[0])))
        sheets.append(
            {
                "name": name,
                "visibility": "Visible",
                "values": values or [[]],
                "pictures": [],
                "shapes": [],
                "charts": [],
                "notes": [],
                "tables": tables,
                "print_area": None,
                "show_gridlines": True,
                "pivot_tables": [],
            }
        )
    payload = {
        "client": "Office.js",
        "version": xw.__version__,
        "book": {"name": path.name, "active_sheet_index": 0, "selection": "A1"},
        "names": [],
        "sheets": sheets,
    }
    return xw.Book(json=payload)


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


@pytest.mark.parametrize("with_tables", [True, False], ids=["tables", "used-range"])
def test_refresh_writes_the_same_funnel_as_the_cli(sample_book: Path, with_tables: bool) -> None:
    book = remote_book(sample_book, with_tables=with_tables)
    book.set_mock_caller()
    try:
        summary = abmxl.excel.refresh()
    finally:
        del xw.Book._mock_caller
    assert summary is not None
    expected = build_summary(read_tables(sample_book), today=TODAY)
    assert summary.to_json() == expected.to_json()

    stages = written_table(book, schema.FUNNEL_SUMMARY_SHEET, "Stage")
    segments = stages[0][1 : 1 + len(schema.SEGMENTS)]
    assert segments == list(schema.SEGMENTS)
    for row in stages[1:]:
        stage = row[0].lstrip("'")
        counts = dict(zip(segments, row[1 : 1 + len(segments)], strict=True))
        assert counts == {seg: int(expected.stages.at[stage, seg]) for seg in segments}

    kpis = written_table(book, schema.FUNNEL_SUMMARY_SHEET, "Key")
    for row in kpis[1:]:
        key = row[0].lstrip("'")
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
    # A missing output sheet is added (no position yet); every other action names one.
    added = {action["args"][1] for action in actions if action["func"] == "addSheet"}
    written = {names[a["sheet_position"]] for a in actions if a["sheet_position"] is not None}
    assert written | added <= {*schema.OUTPUT_SHEETS}
    tables = {action["args"][3] for action in actions if action["func"] == "addTable"}
    assert tables == {"FunnelStages", "FunnelKPIs", "DataIssues", "Attribution", "AccountScores"}


def test_failure_is_an_alert_not_a_traceback(
    sample_book: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken_engine(tables: object, today: dt.date) -> None:
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
    # The file reader (CLI, Python API) stops with the same words.
    import xlsxwriter

    from abmxl.io.reader import WorkbookReadError

    other = "Opportunities" if missing == "Accounts" else "Accounts"
    lone = tmp_path / "sample.xlsm"
    workbook = xlsxwriter.Workbook(lone)
    workbook.add_worksheet(other).write_row(0, 0, schema.INPUT_SHEETS[other].required_columns)
    workbook.close()
    with pytest.raises(WorkbookReadError, match=f"'sample.xlsm' has no {missing} table or sheet"):
        read_tables(lone)


def test_lite_script_is_bound_to_the_lite_button() -> None:
    from xlwings.server import custom_scripts_meta

    (meta,) = custom_scripts_meta(abmxl.excel)
    assert meta["function_name"] == "refresh_funnel"
    assert meta["button"] == "[TextBox 1]Funnel Summary!G2"
