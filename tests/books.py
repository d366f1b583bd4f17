"""Workbooks built by the tests, and the same books as the Excel door sees them.

``export_book`` writes, with openpyxl, a book shaped as CRM exports arrive:
Tables under other names and on other sheets, a totals row, rows pasted under
a Table, a plain range with title rows, percent number formats. ``remote_book``
turns any file into an xlwings remote-engine book (the payload the Office.js
client sends), and ``formats_readable`` lets that engine answer
``Range.number_format`` from the file, as desktop Excel would.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
import xlwings as xw
from openpyxl.worksheet.table import Table, TableStyleInfo

from abmxl import schema


def _table(sheet, name: str, ref: str, *, totals: bool = False) -> None:
    table = Table(displayName=name, ref=ref)
    if totals:
        table.totalsRowCount = 1
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    sheet.add_table(table)


def export_book(path: Path) -> Path:
    """Accounts on "Companies" (a plain range with titles and percent fit scores),
    Opportunities as Table "Deals" on "Pipeline" with a totals row and two rows
    pasted under it, and a "Data" sheet holding two Tables (Engagement as
    "Touches", and "Notes")."""
    book = openpyxl.Workbook()
    start = book.active
    start.title = "Start here"
    start["A1"] = "Exported from the CRM"

    companies = book.create_sheet("Companies")
    companies["B2"] = "Target accounts report"
    companies["B3"] = "Generated 2026-03-31"
    header = ["Account ID", "Company Name", "Fit", "Intent", "expected_acv", "Last Touch"]
    rows = [
        ["ACC-1", "Blue Harbor", 0.85, 0.4, 120000, dt.datetime(2026, 3, 1, 14, 30)],
        ["ACC-2", "Red Fox", 0.55, None, "$12,500.00", "#N/A"],  # an error value
        ["ACC-3", "Green Leaf", 90, 0.75, 30000, dt.datetime(2026, 3, 2)],
    ]
    for col, text in enumerate(header, start=2):
        companies.cell(row=5, column=col, value=text)
    for r, row in enumerate(rows, start=6):
        for c, value in enumerate(row, start=2):
            companies.cell(row=r, column=c, value=value)
    for r in (6, 7):
        companies.cell(row=r, column=4).number_format = "0%"  # built-in 9
    companies.cell(row=6, column=5).number_format = "0.0%"  # a custom code
    companies.cell(row=8, column=5).number_format = '0.0"%"'  # a quoted %: no percent
    companies.cell(row=8, column=4).number_format = "0.00"
    companies.cell(row=6, column=7).number_format = "yyyy-mm-dd hh:mm"
    companies.cell(row=8, column=7).number_format = "yyyy-mm-dd"

    pipeline = book.create_sheet("Pipeline")
    deal_header = ["Deal ID", "Associated Company ID", "Deal Stage", "Amount", "Create Date"]
    deals = [
        ["D-1", "ACC-1", "Closed Won", 50000, dt.datetime(2026, 1, 15)],
        ["D-2", "ACC-2", "Prospecting", 20000, dt.datetime(2026, 2, 1)],
    ]
    pipeline.append(deal_header)
    for deal in deals:
        pipeline.append(deal)
    pipeline.append(["Total", None, None, 70000, None])  # the Table's totals row
    pipeline.append(["D-3", "ACC-3", "Closed Lost", 5000, dt.datetime(2026, 3, 1)])
    pipeline.append(["D-4", "ACC-1", "Open", 7000, dt.datetime(2026, 3, 2)])
    pipeline.append([None])
    pipeline.append(["Confidential"])
    for row in range(2, 7):
        pipeline.cell(row=row, column=5).number_format = "yyyy-mm-dd"
    pipeline.cell(row=3, column=4).number_format = "0%"  # one percent cell in the Table
    _table(pipeline, "Deals", "A1:E4", totals=True)

    data = book.create_sheet("Data")
    data.append(["Activity Date", "Account", "Activity Type", None, "Note"])
    data.append([dt.datetime(2026, 3, 20), "ACC-1", "webinar", None, "ok"])
    data["A2"].number_format = "yyyy-mm-dd"
    _table(data, "Touches", "A1:C2")
    data["E1"], data["F1"] = "Note", "By"
    data["E2"], data["F2"] = "call back", "AB"
    _table(data, "Notes", "E1:F2")
    book.save(path)
    return path


# --- the Excel door: an xlwings remote-engine book --------------------------------


def _payload_value(value: object) -> object:
    """A cell as the Office.js client sends it: dates as ISO strings ending in "Z"."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="milliseconds") + "Z"
    return value


def _table_api(name: str, ref: str, totals: bool) -> dict:
    from openpyxl.utils.cell import range_boundaries
    from xlsxwriter.utility import xl_range

    left, top, right, bottom = (n - 1 for n in range_boundaries(ref))
    body_bottom = bottom - int(totals)
    return {
        "name": name,
        "range_address": xl_range(top, left, bottom, right),
        "header_row_range_address": xl_range(top, left, top, right),
        "data_body_range_address": xl_range(top + 1, left, body_bottom, right),
        "total_row_range_address": xl_range(bottom, left, bottom, right) if totals else None,
        "show_headers": True,
        "show_totals": totals,
        "table_style": "TableStyleMedium2",
        "show_autofilter": True,
        "row_count": bottom - top + 1,
        "column_count": right - left + 1,
        "columns": [],
    }


def remote_book(path: Path, *, tables: str = "file", without: str | None = None) -> xw.Book:
    """An Office.js-style payload of every sheet of ``path`` (values anchored at A1),
    leaving out the sheet named ``without``. ``tables``: ``"file"`` the book's own
    Tables, ``"none"`` no Tables (an engine without ListObjects)."""
    book = openpyxl.load_workbook(path)
    sheets = []
    for sheet in book.worksheets:
        if sheet.title == without:
            continue
        values = [
            [_payload_value(value) for value in row]
            for row in sheet.iter_rows(
                min_row=1,
                min_col=1,
                max_row=sheet.max_row,
                max_col=sheet.max_column,
                values_only=True,
            )
        ]
        listed = []
        if tables == "file":
            listed = [
                _table_api(table.displayName, table.ref, bool(table.totalsRowCount))
                for table in sheet.tables.values()
            ]
        sheets.append(
            {
                "name": sheet.title,
                "visibility": "Visible",
                "values": values or [[]],
                "pictures": [],
                "shapes": [],
                "charts": [],
                "notes": [],
                "tables": listed,
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


def formats_readable(monkeypatch: pytest.MonkeyPatch, book: xw.Book, path: Path) -> list[tuple]:
    """Make the remote engine answer ``Range.number_format`` from the file, as desktop
    Excel does (one code for a range of one format, None for mixed). Returns the
    list of ranges asked, to count the calls."""
    remote_range = type(book.sheets[0].range("A1").impl)
    book = openpyxl.load_workbook(path)
    asked: list[tuple] = []

    def number_format(self) -> str | None:
        top, left = self.row, self.column
        height, width = self.shape
        asked.append((self.sheet.name, top, left, height, width))
        sheet = book[self.sheet.name]
        codes = {
            sheet.cell(row=r, column=c).number_format
            for r in range(top, top + height)
            for c in range(left, left + width)
        }
        return codes.pop() if len(codes) == 1 else None

    monkeypatch.setattr(remote_range, "number_format", property(number_format))
    return asked


__all__ = ["export_book", "formats_readable", "remote_book", "schema"]
