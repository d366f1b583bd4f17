"""The file reader (python-calamine) and the Excel door's reader (xlwings) agree.

The same book, built by the test, read through ``abmxl.io.reader.read_book``
and through ``abmxl.excel.read_book`` on an xlwings remote-engine copy of it,
gives equal ``RawTable``\\ s: same sources, same cells, same row numbers, same
percent flags, same rows below a Table. The remote engine cannot read number
formats; ``formats_readable`` makes it answer from the file as desktop Excel
does.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

import abmxl.excel
from abmxl.engine.model import RawTable
from abmxl.io.reader import CellError, read_book
from tests.books import export_book, formats_readable, remote_book


def _same(left: RawTable, right: RawTable) -> None:
    assert (left.sheet, left.source, left.header_known, left.rows_below) == (
        right.sheet,
        right.source,
        right.header_known,
        right.rows_below,
    )
    assert list(left.frame.columns) == list(right.frame.columns)
    assert left.frame.index.tolist() == right.frame.index.tolist()
    assert left.frame.to_numpy().tolist() == right.frame.to_numpy().tolist()
    for a, b in zip(left.frame.to_numpy().ravel(), right.frame.to_numpy().ravel(), strict=True):
        assert type(a) is type(b) or {type(a), type(b)} <= {int, float}, (a, b)
    if left.percent is None or right.percent is None:
        assert left.percent is right.percent
    else:
        pd.testing.assert_frame_equal(left.percent, right.percent)


@pytest.fixture
def exports(tmp_path: Path) -> Path:
    return export_book(tmp_path / "exports.xlsx")


def test_file_reader_finds_and_cuts_the_export_book(exports: Path) -> None:
    tables = read_book(exports).tables
    assert {name: raw.source for name, raw in tables.items()} == {
        "Accounts": "sheet Companies",
        "Engagement": "Table Touches on sheet Data",
        "Opportunities": "Table Deals on sheet Pipeline",
    }
    deals = tables["Opportunities"]
    assert deals.header_known
    assert list(deals.frame.columns) == [
        "Deal ID",
        "Associated Company ID",
        "Deal Stage",
        "Amount",
        "Create Date",
    ]
    # The totals row (4) is not data; rows 5-6 pasted under the Table are reported.
    assert deals.frame.index.tolist() == [2, 3]
    assert deals.frame.at[2, "Create Date"] == dt.date(2026, 1, 15)
    assert deals.rows_below == (5, 2)
    flagged = deals.percent.stack()
    assert flagged[flagged].index.tolist() == [(3, "Amount")]

    companies = tables["Accounts"]
    assert not companies.header_known
    assert companies.frame.index.tolist() == [2, 3, 4, 5, 6, 7, 8]
    assert companies.frame.loc[5].tolist() == [
        "Account ID",
        "Company Name",
        "Fit",
        "Intent",
        "expected_acv",
        "Last Touch",
    ]
    assert companies.frame.loc[6:8, 5].tolist() == [
        dt.datetime(2026, 3, 1, 14, 30),
        CellError("#N/A"),
        dt.date(2026, 3, 2),
    ]
    assert isinstance(companies.frame.at[7, 5], CellError)
    # Percent formats: built-in 0% (D6, D7), custom 0.0% (E6); 0.0"%" (E8) is not one.
    flagged = companies.percent.stack()
    assert sorted(flagged[flagged].index.tolist()) == [(6, 2), (6, 3), (7, 2)]


def test_both_readers_give_equal_raw_tables(exports: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = remote_book(exports)
    asked = formats_readable(monkeypatch, book, exports)
    from_file = read_book(exports)
    from_excel = abmxl.excel.read_book(book)
    assert list(from_excel.tables) == list(from_file.tables)
    for name, raw in from_file.tables.items():
        _same(raw, from_excel.tables[name])
    assert from_excel.sheets == from_file.sheets
    # One number_format call per column, more only where a column's formats are mixed.
    columns = sum(raw.frame.shape[1] for raw in from_file.tables.values())
    assert columns <= len(asked) <= 4 * columns


def test_the_sample_book_reads_equal_through_both_doors(sample_book_master: Path) -> None:
    from_file = read_book(sample_book_master)
    from_excel = abmxl.excel.read_book(remote_book(sample_book_master))
    assert list(from_excel.tables) == list(from_file.tables)
    for name, raw in from_file.tables.items():
        _same(raw, from_excel.tables[name])


def test_an_engine_without_formats_gives_no_percent_flags(exports: Path) -> None:
    tables = abmxl.excel.read_book(remote_book(exports)).tables
    assert all(raw.percent is None for raw in tables.values())
