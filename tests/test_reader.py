"""abmxl.io.reader on real workbooks built with XlsxWriter.

Every expectation is the cell as written by the test: worksheet row numbers,
header text and values (None for an empty cell, text kept as text, dates as
dates, Excel errors as CellError).
"""

from __future__ import annotations

import datetime as dt
import pathlib
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import xlsxwriter

import abmxl.io.reader as reader
from abmxl.engine import build_summary
from abmxl.io.reader import CellError, WorkbookReadError, read_tables

Build = Callable[[xlsxwriter.Workbook], None]

OPPORTUNITY_HEADER = ["opportunity_id", "account_id", "status", "amount", "created_date"]


def _book(path: Path, build: Build, *, options: dict | None = None) -> Path:
    workbook = xlsxwriter.Workbook(path, options or {})
    build(workbook)
    workbook.close()
    return path


def _minimal_opportunities(workbook: xlsxwriter.Workbook, *, table: bool = True) -> None:
    sheet = workbook.add_worksheet("Opportunities")
    date = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, OPPORTUNITY_HEADER)
    sheet.write_row(1, 0, ["OPP-1", "ACC-1", "Closed Won", 1000])
    sheet.write_datetime(1, 4, dt.date(2026, 1, 15), date)
    if table:
        columns = _headers(OPPORTUNITY_HEADER)
        sheet.add_table(0, 0, 1, 4, {"name": "Opportunities", "columns": columns})


def _minimal_accounts(workbook: xlsxwriter.Workbook, name: str = "Accounts") -> None:
    sheet = workbook.add_worksheet(name)
    sheet.write_row(0, 0, ["account_id", "fit_score"])
    sheet.write_row(1, 0, ["ACC-1", 80])


def _headers(names: list[str]) -> list[dict]:
    return [{"header": name} for name in names]


def _cells(frame: pd.DataFrame) -> dict[int, list[object]]:
    return {
        int(row): list(values) for row, values in zip(frame.index, frame.to_numpy(), strict=True)
    }


# --- a table not at A1, with every kind of cell -------------------------------


def _accounts_table(workbook: xlsxwriter.Workbook) -> None:
    """Accounts as a Table at B3: data rows 4-8."""
    sheet = workbook.add_worksheet("Accounts")
    date = workbook.add_format({"num_format": "yyyy-mm-dd"})
    stamp = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    clock = workbook.add_format({"num_format": "hh:mm"})
    header = ["Account ID", "FIT_SCORE", "Region", "Signed", "Notes", "Fit Score", "Checked"]
    sheet.write_row(2, 1, header)
    # Row 4: plain values; the region "NA" is North America.
    sheet.write_row(3, 1, ["ACC-1", 85, "NA", None, "N/A"])
    sheet.write_datetime(3, 4, dt.date(2026, 2, 28), date)
    sheet.write_number(3, 6, 12)
    sheet.write_boolean(3, 7, True)
    # Row 5: a number stored as text, text that looks missing, a date and time.
    sheet.write_row(4, 1, ["NA", "42", "null", None, "None"])
    sheet.write_datetime(4, 4, dt.datetime(2026, 3, 1, 14, 30), stamp)
    sheet.write_boolean(4, 7, False)
    # Row 6 is blank. Row 7: Excel error values with their cached results.
    sheet.write_string(6, 1, "ACC-7")
    sheet.write_formula(6, 2, "=1/0", None, "#DIV/0!")
    sheet.write_formula(6, 3, "=NA()", None, "#N/A")
    sheet.write_datetime(6, 4, dt.time(13, 30), clock)
    sheet.write_formula(6, 5, "=B7", None, "ACC-7")  # a formula's text result is text
    # Row 8: an error in the last column, empty text "" (shown blank by Excel).
    sheet.write_string(7, 1, "ACC-8")
    sheet.write_string(7, 2, "")
    sheet.write_formula(7, 7, "=#REF!", None, "#REF!")
    sheet.add_table(2, 1, 7, 7, {"name": "Accounts", "columns": _headers(header)})


def test_table_not_at_a1_keeps_rows_headers_and_values(tmp_path: Path) -> None:
    def build(workbook: xlsxwriter.Workbook) -> None:
        _accounts_table(workbook)
        _minimal_opportunities(workbook)

    path = _book(tmp_path / "book.xlsx", build)
    tables = read_tables(path)

    accounts = tables["Accounts"]
    assert accounts.sheet == "Accounts"
    # "Fit Score" repeats "FIT_SCORE": the reader hands both over; the engine
    # reads the first and reports the second (as for a book read through xlwings).
    assert list(accounts.frame.columns) == [
        "Account ID",
        "FIT_SCORE",
        "Region",
        "Signed",
        "Notes",
        "Fit Score",
        "Checked",
    ]
    assert all(dtype.kind == "O" for dtype in accounts.frame.dtypes)
    assert _cells(accounts.frame) == {
        4: ["ACC-1", 85.0, "NA", dt.date(2026, 2, 28), "N/A", 12.0, True],
        5: ["NA", "42", "null", dt.datetime(2026, 3, 1, 14, 30), "None", None, False],
        6: [None, None, None, None, None, None, None],
        7: ["ACC-7", "#DIV/0!", "#N/A", dt.time(13, 30), "ACC-7", None, None],
        8: ["ACC-8", None, None, None, None, None, "#REF!"],
    }
    issues = build_summary(tables, today=dt.date(2026, 4, 1)).issues
    duplicate = issues[issues["Problem"] == "duplicate column"]
    assert duplicate[["Sheet", "Column", "Action"]].values.tolist() == [
        ["Accounts", "Fit Score", "column ignored"]
    ]
    errors = {
        (row, column): value
        for row, values in _cells(accounts.frame).items()
        for column, value in zip(accounts.frame.columns, values, strict=True)
        if isinstance(value, CellError)
    }
    assert errors == {(7, "FIT_SCORE"): "#DIV/0!", (7, "Region"): "#N/A", (8, "Checked"): "#REF!"}
    assert not isinstance(accounts.frame.at[7, "Notes"], CellError)  # text formula result
    assert type(accounts.frame.at[5, "FIT_SCORE"]) is str  # "42" stays text


def test_plain_range_is_every_row_of_the_used_range(tmp_path: Path) -> None:
    def build(workbook: xlsxwriter.Workbook) -> None:
        _minimal_accounts(workbook)
        sheet = workbook.add_worksheet("opportunities")  # case differs from the spec
        date = workbook.add_format({"num_format": "yyyy-mm-dd"})
        # A title in C2, the header in row 4 from column C (column E has no
        # header), column H is an extra column, rows 3, 6 and 8 are blank.
        sheet.write_string(1, 2, "Pipeline report")
        sheet.write_row(3, 2, ["Opportunity ID", "account_id", None, "Status", "AMOUNT"])
        sheet.write_string(3, 7, "created date")
        sheet.write_row(4, 2, ["OPP-1", "ACC-1", "stray", "Closed Won", 500.5])
        sheet.write_datetime(4, 7, dt.date(2025, 12, 1), date)
        sheet.write_row(6, 2, ["OPP-2", "NA", None, "Open", "1,000"])
        sheet.write_formula(6, 7, "=1/0", None, "#DIV/0!")

    tables = read_tables(_book(tmp_path / "book.xlsx", build))
    opportunities = tables["Opportunities"]
    assert opportunities.sheet == "opportunities"
    assert opportunities.source == "sheet opportunities"
    # Positional columns C..H; every row from the first filled one: the engine
    # finds the header (ingest.md section 2).
    assert not opportunities.header_known
    assert list(opportunities.frame.columns) == [0, 1, 2, 3, 4, 5]
    assert _cells(opportunities.frame) == {
        2: ["Pipeline report", None, None, None, None, None],
        3: [None] * 6,
        4: ["Opportunity ID", "account_id", None, "Status", "AMOUNT", "created date"],
        5: ["OPP-1", "ACC-1", "stray", "Closed Won", 500.5, dt.date(2025, 12, 1)],
        6: [None] * 6,
        7: ["OPP-2", "NA", None, "Open", "1,000", CellError("#DIV/0!")],
    }
    assert isinstance(opportunities.frame.at[7, 5], CellError)
    assert _cells(tables["Accounts"].frame) == {1: ["account_id", "fit_score"], 2: ["ACC-1", 80.0]}


def test_table_found_by_name_on_another_sheet_and_preferred_to_a_sheet(tmp_path: Path) -> None:
    def build(workbook: xlsxwriter.Workbook) -> None:
        _minimal_opportunities(workbook)
        # A sheet called Accounts holding notes, and the real Accounts table elsewhere.
        workbook.add_worksheet("Accounts").write_string(0, 0, "see the Data sheet")
        data = workbook.add_worksheet("Data")
        data.write_row(9, 3, ["account_id", "fit_score"])
        data.write_row(10, 3, ["ACC-9", 55])
        data.add_table(
            9, 3, 10, 4, {"name": "ACCOUNTS", "columns": _headers(["account_id", "fit_score"])}
        )

    tables = read_tables(_book(tmp_path / "book.xlsx", build))
    assert tables["Accounts"].sheet == "Data"
    assert _cells(tables["Accounts"].frame) == {11: ["ACC-9", 55.0]}


def test_loose_sheet_names_and_absent_or_empty_optional_sheets(tmp_path: Path) -> None:
    def build(workbook: xlsxwriter.Workbook) -> None:
        _minimal_accounts(workbook)
        _minimal_opportunities(workbook)
        weights = workbook.add_worksheet("Channel Weights")
        weights.write_row(0, 0, ["Channel", "Weight"])
        weights.write_row(1, 0, ["webinar", 25])
        workbook.add_worksheet("Surveys")  # empty: no such data
        workbook.add_worksheet("Funnel Summary").write_string(0, 0, "output, not read")

    progress: list[str] = []
    tables = read_tables(_book(tmp_path / "book.xlsx", build), progress=progress.append)
    # An empty sheet is found, with no cells (the Inputs table says where it looked).
    assert list(tables) == ["ChannelWeights", "Accounts", "Opportunities", "Surveys"]
    assert tables["Surveys"].frame.empty and tables["Surveys"].source == "sheet Surveys"
    assert tables["ChannelWeights"].sheet == "Channel Weights"
    assert _cells(tables["ChannelWeights"].frame) == {
        1: ["Channel", "Weight"],
        2: ["webinar", 25.0],
    }
    assert progress == [
        "Reading ChannelWeights",
        "Reading Accounts",
        "Reading Opportunities",
        "Reading Surveys",
    ]


def test_inline_text_that_looks_like_an_error_type_stays_text(tmp_path: Path) -> None:
    # constant_memory makes XlsxWriter write inline strings into the sheet XML.
    def build(workbook: xlsxwriter.Workbook) -> None:
        sheet = workbook.add_worksheet("Accounts")
        sheet.write_row(0, 0, ["account_id", "fit_score", "note"])
        sheet.write_row(1, 0, ["ACC-1", 10, 't="e"'])
        sheet.write_row(2, 0, ["ACC-2", 20, "<c t='e'>"])
        _minimal_opportunities(workbook, table=False)

    path = _book(tmp_path / "book.xlsx", build, options={"constant_memory": True})
    with zipfile.ZipFile(path) as archive:
        assert b"inlineStr" in archive.read("xl/worksheets/sheet1.xml")
    frame = read_tables(path)["Accounts"].frame
    assert _cells(frame) == {
        1: ["account_id", "fit_score", "note"],
        2: ["ACC-1", 10.0, 't="e"'],
        3: ["ACC-2", 20.0, "<c t='e'>"],
    }
    assert not any(isinstance(v, CellError) for v in frame.to_numpy().ravel())


@pytest.mark.parametrize("chunk", [7, 64, 300, 1 << 22])
def test_error_cells_found_across_chunk_boundaries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    def build(workbook: xlsxwriter.Workbook) -> None:
        sheet = workbook.add_worksheet("Accounts")
        sheet.write_row(0, 0, ["account_id", "fit_score", "expected_acv"])
        for row in range(1, 200):
            sheet.write_string(row, 0, f"ACC-{row}")
            if row % 17 == 0:
                sheet.write_formula(row, 1, "=1/0", None, "#DIV/0!")
                sheet.write_formula(row, 2, "=NA()", None, "#N/A")
            else:
                sheet.write_number(row, 1, row % 100)
        _minimal_opportunities(workbook)

    path = _book(tmp_path / "book.xlsx", build)
    monkeypatch.setattr(reader, "_CHUNK", chunk)
    frame = read_tables(path)["Accounts"].frame
    error_rows = [row + 1 for row in range(1, 200) if row % 17 == 0]
    found = frame.map(lambda v: isinstance(v, CellError))
    # A plain range: positional columns (1 = fit_score, 2 = expected_acv).
    assert frame.index[found[1]].tolist() == error_rows
    assert frame.index[found[2]].tolist() == error_rows
    assert set(frame.loc[error_rows, 2]) == {"#N/A"}
    assert frame.loc[3, 1] == 2.0  # worksheet row 3 holds row % 100 == 2


def test_sample_tables_round_trip(tmp_path: Path) -> None:
    """Generated frames written as Tables read back cell for cell."""
    from abmxl.sample import generate

    data = generate(25, seed=3, messy=True)

    def build(workbook: xlsxwriter.Workbook) -> None:
        date = workbook.add_format({"num_format": "yyyy-mm-dd"})
        for name, frame in data.items():
            sheet = workbook.add_worksheet(name)
            sheet.write_row(0, 0, list(frame.columns))
            for r, row in enumerate(frame.itertuples(index=False), start=1):
                for c, value in enumerate(row):
                    if value is None or (not isinstance(value, str) and pd.isna(value)):
                        continue
                    if isinstance(value, dt.date):
                        sheet.write_datetime(r, c, value, date)
                    elif isinstance(value, str):
                        sheet.write_string(r, c, value)
                    else:
                        sheet.write_number(r, c, float(value))
            last = max(len(frame), 1)
            sheet.add_table(
                0,
                0,
                last,
                len(frame.columns) - 1,
                {"name": name, "columns": _headers(list(frame.columns))},
            )

    tables = read_tables(_book(tmp_path / "book.xlsx", build))
    assert list(tables) == list(data)
    for name, frame in data.items():
        raw = tables[name].frame
        assert list(raw.columns) == list(frame.columns)
        assert raw.index.tolist() == list(range(2, len(frame) + 2))
        for column in frame.columns:
            expected = [_as_cell(v) for v in frame[column]]
            assert raw[column].tolist() == expected, (name, column)


def _as_cell(value: object) -> object:
    """What a cell written from a generated value holds when read back."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, str | dt.date):
        return value
    return float(value)  # type: ignore[arg-type]


# --- errors -------------------------------------------------------------------


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _zip(path: Path, parts: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def _replace_part(source: Path, target: Path, part: str, data: bytes) -> Path:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            new.writestr(item, data if item.filename == part else old.read(item.filename))
    return target


def _valid(path: Path) -> Path:
    def build(workbook: xlsxwriter.Workbook) -> None:
        _minimal_accounts(workbook)
        _minimal_opportunities(workbook)

    return _book(path, build)


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

ERROR_CASES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "missing file": (lambda d: d / "nope.xlsx", "no such file: '"),
    "directory": (lambda d: d, "is a folder, not a workbook file"),
    "empty file": (lambda d: _write(d / "e.xlsx", b""), "'e.xlsx' is empty (0 bytes)"),
    "text renamed": (
        lambda d: _write(d / "t.xlsx", b"account_id,fit\nA,1\n"),
        "'t.xlsx' is not a workbook: abmxl reads .xlsx/.xlsm workbooks",
    ),
    "pdf renamed": (
        lambda d: _write(d / "p.xlsx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"),
        "'p.xlsx' is a PDF file: abmxl reads .xlsx/.xlsm workbooks",
    ),
    "truncated zip": (
        lambda d: _write(d / "z.xlsx", _valid(d / "v.xlsx").read_bytes()[:900]),
        "'z.xlsx' is damaged: it is not a complete .xlsx/.xlsm file",
    ),
    "zip without a workbook": (
        lambda d: _zip(d / "a.xlsx", {"readme.txt": b"hello"}),
        "'a.xlsx' is a zip file but not an Excel workbook",
    ),
    "word document": (
        lambda d: _zip(d / "w.xlsx", {"word/document.xml": b"<w/>"}),
        "'w.xlsx' is a Word document, not an Excel workbook",
    ),
    "legacy xls": (
        lambda d: _write(d / "old.xls", OLE + bytes(600)),
        "'old.xls' is an Excel 97-2003 .xls workbook: abmxl reads and writes .xlsx/.xlsm only; "
        "open it in Excel and save it as .xlsx (or .xlsm to keep macros)",
    ),
    "password protected": (
        lambda d: _write(
            d / "locked.xlsx", OLE + bytes(600) + "EncryptedPackage".encode("utf-16-le")
        ),
        "'locked.xlsx' is password-protected: remove the password in Excel",
    ),
    "ods": (
        lambda d: _zip(
            d / "calc.ods",
            {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"},
        ),
        "'calc.ods' is an OpenDocument (.ods) file: abmxl reads and writes .xlsx/.xlsm only",
    ),
    "xlsb": (
        lambda d: _zip(d / "b.xlsb", {"xl/workbook.bin": b"\x00"}),
        "'b.xlsb' is an Excel binary .xlsb workbook: abmxl reads and writes .xlsx/.xlsm only",
    ),
    "corrupt workbook part": (
        lambda d: _replace_part(_valid(d / "v.xlsx"), d / "c.xlsx", "xl/workbook.xml", b"garbage"),
        "'c.xlsx' is damaged and cannot be read (",
    ),
    "corrupt worksheet part": (
        lambda d: _replace_part(
            _valid(d / "v.xlsx"),
            d / "c.xlsx",
            "xl/worksheets/sheet1.xml",
            b"<worksheet><sheetData><row",
        ),
        "'c.xlsx' is damaged: the Accounts sheet cannot be read (",
    ),
}


@pytest.mark.parametrize("case", list(ERROR_CASES))
def test_unreadable_files_give_one_line_errors(tmp_path: Path, case: str) -> None:
    make, expected = ERROR_CASES[case]
    path = make(tmp_path)
    with pytest.raises(WorkbookReadError) as raised:
        read_tables(path)
    message = str(raised.value)
    assert expected in message
    assert "\n" not in message


# Missing inputs and columns are checked once, by the refresh pipeline (every door).
REQUIRED_CASES: dict[str, tuple[Build, str]] = {
    "missing Accounts": (
        _minimal_opportunities,
        "'m.xlsx' has no Accounts table or sheet (sheets: Opportunities)",
    ),
    "missing Opportunities": (
        _minimal_accounts,
        "'m.xlsx' has no Opportunities table or sheet (sheets: Accounts)",
    ),
    "empty Accounts": (
        lambda wb: (wb.add_worksheet("Accounts"), _minimal_opportunities(wb)),
        "'m.xlsx' cannot be refreshed: Accounts: no column for account_id (no headers found)",
    ),
    "missing required column": (
        lambda wb: (
            wb.add_worksheet("Accounts").write_row(0, 0, ["Company Code", "Intent"]),
            _minimal_opportunities(wb),
        ),
        "'m.xlsx' cannot be refreshed: Accounts: no column for account_id "
        '(closest header: "Company Code"); add it to ColumnMap or rename the header',
    ),
    "missing required columns of an optional sheet": (
        lambda wb: (
            _minimal_accounts(wb),
            _minimal_opportunities(wb),
            wb.add_worksheet("Engagement").write_row(0, 0, ["Date", "Account"]),
        ),
        "'m.xlsx' cannot be refreshed: Engagement: no column for channel "
        '(closest header: "Date"); add it to ColumnMap or rename the header',
    ),
}


@pytest.mark.parametrize("case", list(REQUIRED_CASES))
def test_missing_inputs_stop_the_refresh_with_one_line(tmp_path: Path, case: str) -> None:
    from abmxl.engine.required import InputError
    from abmxl.refresh import refresh_workbook

    build, expected = REQUIRED_CASES[case]
    path = _book(tmp_path / "m.xlsx", build)
    before = path.read_bytes()
    with pytest.raises(InputError) as raised:
        refresh_workbook(path)
    assert expected in str(raised.value)
    assert "\n" not in str(raised.value)
    assert path.read_bytes() == before


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests may run as root, for whom chmod 000 denies nothing: fail the open instead.
    path = _valid(tmp_path / "book.xlsx")
    real_open = pathlib.Path.open

    def denied(self: Path, *args, **kwargs):
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "open", denied)
    with pytest.raises(WorkbookReadError, match=r"^cannot open 'book.xlsx': permission denied "):
        read_tables(path)


def test_gc_state_is_restored(tmp_path: Path) -> None:
    import gc

    path = _valid(tmp_path / "book.xlsx")
    assert gc.isenabled()
    read_tables(path)
    assert gc.isenabled()
    gc.disable()
    try:
        read_tables(path)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_error_scan_does_not_depend_on_chunk_size(tmp_path: Path, monkeypatch) -> None:
    def build(workbook: xlsxwriter.Workbook) -> None:
        sheet = workbook.add_worksheet("Accounts")
        for row in range(40):
            sheet.write_string(row, 0, f"ACC-{row}")
            if row % 3 == 0:
                sheet.write_formula(row, 1 + row % 2, "=1/0", None, "#DIV/0!")

    path = _book(tmp_path / "book.xlsx", build)
    expected = [(row, 1 + row % 2, "#DIV/0!") for row in range(0, 40, 3)]
    with zipfile.ZipFile(path) as archive:
        for chunk in [*range(1, 90), 1000]:
            monkeypatch.setattr(reader, "_CHUNK", chunk)
            errors = reader._scan_cells(archive, "xl/worksheets/sheet1.xml", frozenset()).errors
            assert errors == expected, chunk


# --- percent number formats ------------------------------------------------------


def _sheet_xml(rows: int) -> bytes:
    """Cells styled 1 (percent) every third row in column B; the row elements carry
    s="1" too, and style 11 (not percent) shares its first digit."""
    cells = []
    for row in range(1, rows + 1):
        percent = f'<c r="B{row}" s="1"><v>0.5</v></c>' if row % 3 == 0 else ""
        cells.append(
            f'<row r="{row}" s="1" customFormat="1"><c r="A{row}" s="11"><v>1</v></c>'
            f'{percent}<x:c r="AA{row}" t="n" s=\'1\'/></row>'
        )
    return (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        + "".join(cells)
        + "</sheetData></worksheet>"
    ).encode()


def test_percent_scan_does_not_depend_on_chunk_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _zip(tmp_path / "p.xlsx", {"xl/worksheets/sheet1.xml": _sheet_xml(60)})
    expected = sorted(
        [(row - 1, 1) for row in range(3, 61, 3)] + [(row - 1, 26) for row in range(1, 61)]
    )
    with zipfile.ZipFile(path) as archive:
        for chunk in [*range(1, 120, 7), 1000, 1 << 22]:
            monkeypatch.setattr(reader, "_CHUNK", chunk)
            scan = reader._scan_cells(archive, "xl/worksheets/sheet1.xml", frozenset({1}))
            percent = scan.percent
            assert sorted(map(tuple, percent.tolist())) == expected, chunk


@pytest.mark.parametrize(
    ("code", "percent"),
    [
        ("0%", True),
        ("0.00%", True),
        ("#,##0.0%;[Red]-#,##0.0%", True),
        ('0.0"%"', False),
        ("0.0\\%", False),
        ("[$%-409]0", False),
        ("General", False),
        ('"Score: "0%', True),
    ],
)
def test_percent_format_codes(code: str, percent: bool) -> None:
    assert reader.is_percent_format(code) is percent


def test_percent_styles_follow_cell_xfs_to_number_formats(tmp_path: Path) -> None:
    """styles.xml as openpyxl writes it: built-in 9 and 10, custom codes by id."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Accounts"
    formats = ["General", "0%", "0.00%", "0.0%", '0.0"%"', "yyyy-mm-dd", "0.000%"]
    for col, code in enumerate(formats, start=1):
        sheet.cell(row=1, column=col, value=f"c{col}")
        sheet.cell(row=2, column=col, value=0.5).number_format = code
    path = tmp_path / "styles.xlsx"
    book.save(path)
    raw = read_tables(path)["Accounts"]
    assert raw.percent is not None
    assert raw.percent.loc[2].tolist() == [False, True, True, True, False, False, True]
    assert not raw.percent.loc[1].any()


def test_a_table_calamine_cannot_name_is_cut_out_of_its_sheet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Table's part is the authority: when calamine knows the Table under another
    name (its `name` differs from its `displayName`), the reader cuts it from the sheet
    and gets the same cells, totals row left out."""
    from tests.books import export_book

    path = export_book(tmp_path / "exports.xlsx")
    expected = read_tables(path)["Opportunities"]
    monkeypatch.setattr(reader.CalamineWorkbook, "table_names", property(lambda self: []))
    cut = read_tables(path)["Opportunities"]
    assert cut.source == expected.source == "Table Deals on sheet Pipeline"
    assert list(cut.frame.columns) == list(expected.frame.columns)
    assert cut.frame.to_numpy().tolist() == expected.frame.to_numpy().tolist()
    assert cut.frame.index.tolist() == [2, 3]
    assert cut.rows_below == expected.rows_below == (5, 2)
    pd.testing.assert_frame_equal(cut.percent, expected.percent)
