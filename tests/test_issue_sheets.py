"""DataIssues name the worksheet their row numbers are on, through every door.

An input found under another name (a Table ``Deals`` on sheet ``Pipeline``, a
sheet synonym ``Companies``) is reported with that worksheet's name, so an
analyst can go to ``Pipeline`` row 6; the ``Inputs`` table keeps the canonical
input name (``Opportunities``) beside the source.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.worksheet.table import Table

import abmxl.excel
from abmxl.engine import RawTable, build_summary
from abmxl.engine.issues import IssueLog
from tests.books import remote_book
from tests.test_cli import run_cli

TODAY = dt.date(2026, 6, 30)

# (sheet, row, column, value, problem): worked out by hand from ``_pipeline_book``.
EXPECTED = [
    ("Companies", 6, "Account ID", "ACC-1", "duplicate account_id"),
    ("Pipeline", 5, "Associated Company ID", "ACC-9", "unknown account_id"),
    ("Pipeline", 6, "Amount", "lots", "unreadable number"),
    ("Pipeline", 7, "Create Date", None, "blank created_date"),
]


def _pipeline_book(path: Path) -> Path:
    """Accounts on sheet "Companies" (a plain range under a title row), Opportunities
    as Table "Deals" on sheet "Pipeline" under two title rows (header on row 3)."""
    book = openpyxl.Workbook()
    companies = book.active
    companies.title = "Companies"
    companies.append(["Target accounts"])
    companies.append(["Account ID", "Company Name", "Fit"])  # header: row 2
    for row in (["ACC-1", "Blue", 85], ["ACC-2", "Red", 60], ["ACC-3", "Green", 90]):
        companies.append(row)
    companies.append(["ACC-1", "Blue again", 70])  # row 6: a duplicate id
    pipeline = book.create_sheet("Pipeline")
    pipeline.append(["Deals export"])
    pipeline.append([])
    pipeline.append(["Deal ID", "Associated Company ID", "Deal Stage", "Amount", "Create Date"])
    for row in (
        ["D-1", "ACC-1", "Closed Won", 50000, dt.datetime(2026, 1, 15)],  # row 4
        ["D-2", "ACC-9", "Open", 20000, dt.datetime(2026, 2, 1)],  # row 5: unknown account
        ["D-3", "ACC-2", "Open", "lots", dt.datetime(2026, 2, 2)],  # row 6: unreadable
        ["D-4", "ACC-3", "Closed Lost", 9000, None],  # row 7: kept, left out of time KPIs
    ):
        pipeline.append(row)
    pipeline.add_table(Table(displayName="Deals", ref="A3:E7"))
    settings = book.create_sheet("Settings")
    settings.append(["key", "value"])
    settings.append(["as_of", dt.datetime(2026, 3, 31)])
    book.save(path)
    return path


def _issues(document: dict) -> list[tuple]:
    return [
        (i["sheet"], i["row"], i["column"], i["value"], i["problem"]) for i in document["issues"]
    ]


def test_cli_json_names_the_worksheet_of_each_issue(tmp_path: Path) -> None:
    path = _pipeline_book(tmp_path / "book.xlsx")
    result = run_cli("refresh", path, "--out", tmp_path / "out.xlsx", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert _issues(document) == EXPECTED
    sources = {row["input"]: row["source"] for row in document["inputs"]}
    assert sources["Opportunities"] == "Table Deals on sheet Pipeline"
    assert sources["Accounts"].startswith("sheet Companies")
    assert document["stages"]["Won"]["All targets"] == 1


def test_excel_door_reports_the_same_worksheet_rows(tmp_path: Path) -> None:
    path = _pipeline_book(tmp_path / "book.xlsx")
    inputs = abmxl.excel.read_book(remote_book(path))
    assert inputs.tables["Opportunities"].sheet == "Pipeline"
    summary = build_summary(inputs.tables, today=TODAY)
    assert _issues(summary.to_json()) == EXPECTED
    refreshed = abmxl.excel.refresh(remote_book(path))
    assert refreshed is not None
    assert _issues(refreshed.to_json()) == EXPECTED


def test_issue_log_sorts_by_input_and_shows_the_worksheet() -> None:
    log = IssueLog(sheets={"Opportunities": "Pipeline", "Accounts": "Zebra"})
    log.add("Opportunities", np.array([4]), "amount", np.array(["x"]), "p", "a")
    log.add("Accounts", np.array([9]), "account_id", np.array(["y"]), "p", "a")
    log.add_sheet_issue("Spend", None, "q", "b")
    frame = log.frame()
    # Inputs in their canonical order (Accounts before Opportunities before Spend),
    # whatever their worksheets are called; a missing input keeps its own name.
    assert frame[["Sheet", "Row"]].values.tolist() == [
        ["Zebra", 9],
        ["Pipeline", 4],
        ["Spend", None],
    ]


def test_column_map_issues_name_the_map_s_worksheet() -> None:
    accounts = pd.DataFrame({"account_id": ["A1"], "fit_score": [90]}, index=[2], dtype=object)
    opportunities = pd.DataFrame(
        {
            "opportunity_id": ["O1"],
            "account_id": ["A1"],
            "status": ["Won"],
            "amount": [10],
            "created_date": [dt.datetime(2026, 1, 1)],
        },
        index=[2],
        dtype=object,
    )
    column_map = pd.DataFrame(
        {"sheet": ["Opportunities"], "column": ["status"], "header": ["Forecast Category"]},
        index=[8],
        dtype=object,
    )
    tables = {
        "Accounts": RawTable("Accounts", accounts),
        "Opportunities": RawTable("Deals sheet", opportunities),
        "ColumnMap": RawTable("Config", column_map),
    }
    issues = build_summary(tables, today=TODAY).issues
    assert issues[["Sheet", "Row", "Column", "Problem"]].values.tolist() == [
        [
            "Config",
            8,
            "header",
            "no header 'Forecast Category' in Opportunities (sheet Deals sheet)",
        ]
    ]
