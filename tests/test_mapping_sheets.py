"""ColumnMap and ValueMap in the template: both readers find them, and they change
the refresh (ingest.md sections 3 and 4).

The template holds each as an empty Excel Table under one explaining line; a
book may also hold them as plain sheets. The end-to-end case is an
Opportunities export whose status header is ``Forecast Category`` and whose won
deals say ``Closed - Signed``: with one ColumnMap row and one ValueMap row it
refreshes to the numbers of the same sample written the template's own way.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

import abmxl.excel
from abmxl import schema
from abmxl.engine.required import InputError
from abmxl.io.reader import read_book
from abmxl.refresh import refresh_workbook
from abmxl.sample import generate
from abmxl.template import MAPPING_NOTES, SHEET_ORDER, build_workbook
from tests.books import remote_book
from tests.test_template import package_parts, table_refs

TODAY = dt.date(2026, 4, 1)
COLUMN_MAP_ROW = ["Opportunities", "status", "Forecast Category"]
VALUE_MAP_ROW = ["Opportunities", "status", "Closed - Signed", "Won"]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_workbook(tmp_path_factory.mktemp("maps") / "template.xlsx", vba=False)


def test_template_orders_outputs_then_inputs_then_maps() -> None:
    outputs = [name for name in SHEET_ORDER if name in schema.OUTPUT_SHEETS]
    assert outputs == ["Funnel Summary", "Trends", "Attribution", "Account Scores"]
    assert SHEET_ORDER.index("Account Scores") < SHEET_ORDER.index("Settings")
    assert SHEET_ORDER.index("Surveys") + 1 == SHEET_ORDER.index("ColumnMap")
    assert SHEET_ORDER.index("ColumnMap") + 1 == SHEET_ORDER.index("ValueMap")


def test_mapping_sheets_are_empty_tables_under_an_explaining_line(template: Path) -> None:
    book = openpyxl.load_workbook(template)
    refs = table_refs(template)
    assert refs["ColumnMap"] == "A2:C3" and refs["ValueMap"] == "A2:D3"
    examples = {
        "ColumnMap": "Opportunities | status | Forecast Category",
        "ValueMap": "Opportunities | status | Closed - Signed | Won",
    }
    for name, spec in schema.MAPPING_SHEETS.items():
        sheet = book[name]
        assert sheet["A1"].value == MAPPING_NOTES[name]
        assert examples[name] in sheet["A1"].value
        assert [cell.value for cell in sheet[2][: len(spec.columns)]] == [
            column.name for column in spec.columns
        ]
        assert all(cell.value is None for cell in sheet[3][: len(spec.columns)])
    # Empty output sheets stand in their place, so a refresh fills them there.
    assert "Empty until you press Refresh funnel" in book["Trends"]["A1"].value
    assert "Empty until you press Refresh funnel" in book["Attribution"]["A1"].value


def test_mapping_dropdowns(template: Path) -> None:
    parts = package_parts(template)

    def validations(name: str) -> dict[str, str]:
        text = parts[f"xl/worksheets/sheet{SHEET_ORDER.index(name) + 1}.xml"].decode()
        rules = re.findall(r'<dataValidation [^>]*sqref="([^"]+)"[^>]*>\s*<formula1>([^<]+)<', text)
        return {ref.split(":")[0]: formula for ref, formula in rules}

    column_map = validations("ColumnMap")
    assert column_map["A3"] == '"' + ",".join(schema.INPUT_SHEETS) + '"'
    # column: the columns of the row's sheet, from the block beside the Table.
    assert column_map["B3"].startswith("OFFSET($F$3,0,MATCH($A3,$F$2:$M$2,0)-1")
    book = openpyxl.load_workbook(template)
    listed = {
        book["ColumnMap"].cell(row=2, column=col).value: [
            book["ColumnMap"].cell(row=row, column=col).value
            for row in range(3, 3 + len(spec.columns))
        ]
        for col, spec in enumerate(schema.INPUT_SHEETS.values(), start=6)
    }
    assert listed == {
        name: [column.name for column in spec.columns] for name, spec in schema.INPUT_SHEETS.items()
    }
    value_map = validations("ValueMap")
    assert value_map["A3"] == '"Opportunities,Engagement,Spend"'
    assert value_map["B3"] == '"status,type,channel"'
    assert "Won" in value_map["D3"]


# --- both readers find them --------------------------------------------------------


def _plain_maps_book(path: Path) -> Path:
    """ColumnMap and ValueMap as plain sheets (no Table), under a title line."""
    book = openpyxl.Workbook()
    column_map = book.active
    column_map.title = "ColumnMap"
    column_map.append(["Our own headers"])
    column_map.append(["sheet", "column", "header"])
    column_map.append(COLUMN_MAP_ROW)
    value_map = book.create_sheet("ValueMap")
    value_map.append(["sheet", "column", "value", "means"])
    value_map.append(VALUE_MAP_ROW)
    book.save(path)
    return path


def _mapping_sources(tables: dict) -> dict[str, str]:
    return {name: tables[name].source for name in schema.MAPPING_SHEETS if name in tables}


def test_both_readers_find_the_template_s_mapping_tables(template: Path) -> None:
    wanted = {name: f"Table {name} on sheet {name}" for name in schema.MAPPING_SHEETS}
    assert _mapping_sources(read_book(template).tables) == wanted
    assert _mapping_sources(abmxl.excel.read_book(remote_book(template)).tables) == wanted
    # An engine without ListObjects reads the same sheets as plain ranges.
    plain = abmxl.excel.read_book(remote_book(template, tables="none")).tables
    assert _mapping_sources(plain) == {name: f"sheet {name}" for name in schema.MAPPING_SHEETS}


def test_both_readers_find_plain_mapping_sheets(tmp_path: Path) -> None:
    path = _plain_maps_book(tmp_path / "maps.xlsx")
    for tables in (read_book(path).tables, abmxl.excel.read_book(remote_book(path)).tables):
        assert _mapping_sources(tables) == {name: f"sheet {name}" for name in schema.MAPPING_SHEETS}
        column_map = tables["ColumnMap"].frame.dropna(how="all")
        assert COLUMN_MAP_ROW in column_map.to_numpy(dtype=object).tolist()


# --- a ColumnMap and a ValueMap row change the refresh -----------------------------


def _as_export(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame as a CRM export holds it: every value text (dates ISO), blanks None."""
    columns = {}
    for name in frame.columns:
        series = frame[name]
        if pd.api.types.is_datetime64_any_dtype(series.dtype):
            text = series.dt.strftime("%Y-%m-%d").astype(object)
        elif pd.api.types.is_numeric_dtype(series.dtype):
            text = series.map(repr).astype(object)
        else:
            text = series.astype(object)
        columns[name] = text.where(series.notna(), None)
    return pd.DataFrame(columns, dtype=object)


def _books(tmp_path: Path, *, maps: bool) -> tuple[Path, Path]:
    """The sample written the template's way, and as an export with its own words."""
    data = generate(40, seed=5)
    plain = build_workbook(tmp_path / "plain.xlsx", data, vba=False)
    opportunities = data["Opportunities"].copy()
    won = opportunities["status"].isin(["Closed Won", "Closed-Won"])
    assert won.any()
    opportunities["status"] = np.where(won, "Closed - Signed", opportunities["status"])
    export = _as_export(opportunities.rename(columns={"status": "Forecast Category"}))
    mapped = dict(data, Opportunities=export)
    if maps:
        mapped["ColumnMap"] = pd.DataFrame([COLUMN_MAP_ROW], columns=["sheet", "column", "header"])
        mapped["ValueMap"] = pd.DataFrame(
            [VALUE_MAP_ROW], columns=["sheet", "column", "value", "means"]
        )
    own = build_workbook(tmp_path / "own.xlsx", mapped, vba=False, as_given={"Opportunities"})
    return plain, own


def _numbers(document: dict) -> dict:
    return {key: document.get(key) for key in ("stages", "kpis", "trends", "attribution")}


def test_column_map_and_value_map_rows_give_the_template_s_numbers(tmp_path: Path) -> None:
    plain, own = _books(tmp_path, maps=True)
    expected = refresh_workbook(plain, tmp_path / "plain_out.xlsx", today=TODAY).to_json()
    got = refresh_workbook(own, tmp_path / "own_out.xlsx", today=TODAY).to_json()
    assert expected["stages"]["Won"]["All targets"] > 0
    assert _numbers(got) == _numbers(expected)
    opportunities = next(row for row in got["inputs"] if row["input"] == "Opportunities")
    assert opportunities["columns"]["status"] == "Forecast Category"
    assert not [issue for issue in got["issues"] if issue["sheet"] in schema.MAPPING_SHEETS]
    # The Excel door reads the same Tables and gives the same numbers.
    excel = abmxl.excel.refresh(remote_book(own))
    assert excel is not None
    assert _numbers(excel.to_json()) == _numbers(expected)


def test_without_the_column_map_the_status_column_is_missing(tmp_path: Path) -> None:
    _, own = _books(tmp_path, maps=False)
    with pytest.raises(InputError, match="status"):
        refresh_workbook(own, tmp_path / "out.xlsx", today=TODAY)
