"""A book from before Trends and Attribution gets them in the output order, not at the end.

analytics.md section 9 orders the outputs Funnel Summary, Trends, Attribution,
Account Scores. A refresh of an older book (Funnel Summary and Account Scores
only) inserts each missing one right after the output sheet before it, through
the file writer and through the Excel door. The file writer also moves on the
sheet positions the workbook part keeps (``localSheetId`` of sheet-scoped
defined names, the active tab), so a print area stays on its sheet.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
from openpyxl.workbook.defined_name import DefinedName

import abmxl.excel
from abmxl.io.content import SheetContent
from abmxl.io.xlsx_writer import write_sheets
from abmxl.refresh import refresh_workbook
from tests.books import remote_book
from tests.workbook_check import check_workbook

TODAY = dt.date(2026, 4, 1)
OLD_ORDER = ["Start here", "Funnel Summary", "Account Scores", "Settings", "Accounts", "Pipeline"]
NEW_ORDER = [
    "Start here",
    "Funnel Summary",
    "Trends",
    "Attribution",
    "Account Scores",
    "Settings",
    "Accounts",
    "Pipeline",
]


def _older_book(path: Path) -> Path:
    """Funnel Summary and Account Scores only; sheet-scoped names on Funnel Summary
    (position 1) and Accounts (position 4); Accounts is the active tab."""
    book = openpyxl.Workbook()
    start = book.active
    start.title = "Start here"
    start["A1"] = "An older abmxl book"
    summary = book.create_sheet("Funnel Summary")
    summary["A1"] = "old summary"
    book.create_sheet("Account Scores")["A1"] = "old scores"
    settings = book.create_sheet("Settings")
    settings.append(["key", "value"])
    settings.append(["as_of", dt.datetime(2026, 3, 31)])
    accounts = book.create_sheet("Accounts")
    accounts.append(["account_id", "fit_score", "intent_score"])
    for row in (["A1", 90, 80], ["A2", 75, 20], ["A3", 30, 10]):
        accounts.append(row)
    opportunities = book.create_sheet("Pipeline")
    opportunities.append(["opportunity_id", "account_id", "status", "amount", "created_date"])
    opportunities.append(["O1", "A1", "Closed Won", 1000, dt.datetime(2026, 1, 5)])
    opportunities.append(["O2", "A2", "Open", 500, dt.datetime(2026, 2, 5)])
    accounts.print_area = "A1:C4"
    summary.defined_names["SummaryCell"] = DefinedName(
        "SummaryCell", attr_text="'Funnel Summary'!$A$1"
    )
    book.defined_names["BookWide"] = DefinedName("BookWide", attr_text="Accounts!$A$1")
    book.active = OLD_ORDER.index("Accounts")
    book.save(path)
    return path


def _workbook_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as package:
        return package.read("xl/workbook.xml").decode()


def test_file_writer_inserts_missing_outputs_after_the_one_before(tmp_path: Path) -> None:
    old = _older_book(tmp_path / "old.xlsx")
    before = _workbook_xml(old)
    assert re.search(
        r'localSheetId="4"[^>]*>_xlnm\.Print_Area|Print_Area[^>]*localSheetId="4"', before
    )
    out = tmp_path / "out.xlsx"
    summary = refresh_workbook(old, out, today=TODAY)
    assert summary.to_json()["stages"]["Won"]["All targets"] == 1
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == NEW_ORDER
    # Sheet-scoped names and the active tab follow their sheets to their new places.
    assert book["Accounts"].print_area == "'Accounts'!$A$1:$C$4"
    assert "SummaryCell" in book["Funnel Summary"].defined_names
    assert book.defined_names["BookWide"].attr_text == "Accounts!$A$1"
    assert book.active.title == "Accounts"
    text = _workbook_xml(out)
    assert re.search(r'activeTab="6"', text)
    check_workbook(out)
    # The new sheets hold their content, and a second refresh changes no order.
    assert book["Trends"]["A1"].value and book["Attribution"]["A1"].value
    refresh_workbook(out, None, today=TODAY)
    assert openpyxl.load_workbook(out).sheetnames == NEW_ORDER


def test_file_writer_appends_when_no_earlier_sheet_exists(tmp_path: Path) -> None:
    old = _older_book(tmp_path / "old.xlsx")
    contents = [SheetContent("First"), SheetContent("Second")]
    write_sheets(old, tmp_path / "out.xlsx", contents)
    names = openpyxl.load_workbook(tmp_path / "out.xlsx").sheetnames
    # "First" has no sheet before it in the contents: it goes at the end; "Second" after it.
    assert names == [*OLD_ORDER, "First", "Second"]
    assert 'activeTab="4"' in _workbook_xml(tmp_path / "out.xlsx")


def test_excel_door_inserts_missing_outputs_after_the_one_before(tmp_path: Path) -> None:
    book = remote_book(_older_book(tmp_path / "old.xlsx"))
    summary = abmxl.excel.refresh(book)
    assert summary is not None
    assert [sheet.name for sheet in book.sheets] == NEW_ORDER
    added = [a["args"] for a in book.impl.json()["actions"] if a["func"] == "addSheet"]
    assert added == [[2, "Trends"], [3, "Attribution"]]
