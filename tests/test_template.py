"""The template workbook: its VBA, button, sheets, tables and config, and that it opens."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pytest
import xlwings
from oletools.olevba import VBA_Parser
from python_calamine import CalamineWorkbook

from abmxl import schema
from abmxl.render import libreoffice_convert
from abmxl.template import (
    CONF_SHEET,
    REFRESH_CALL,
    REFRESH_MACRO,
    SHEET_ORDER,
    UDF_MODULES,
    build_workbook,
    new_workbook,
)

COMMITTED = Path(__file__).parents[1] / "workbook_templates" / "abm_template.xlsm"


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_workbook(tmp_path_factory.mktemp("template") / "abm_template.xlsm")


def vba_modules(path: Path) -> dict[str, str]:
    parser = VBA_Parser(str(path))
    try:
        return {
            Path(stream).stem: code.replace("\r\n", "\n")
            for _, stream, _, code in parser.extract_macros()
        }
    finally:
        parser.close()


def _code_lines(source: str) -> list[str]:
    lines = [line.rstrip() for line in source.splitlines()]
    return [line for line in lines if line and not line.startswith("Attribute VB_")]


def package_parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as package:
        return {name: package.read(name) for name in package.namelist()}


def table_refs(path: Path) -> dict[str, str]:
    refs = {}
    for name, data in package_parts(path).items():
        if name.startswith("xl/tables/"):
            text = data.decode()
            table = re.search(r'<table [^>]*name="([^"]+)"[^>]*ref="([^"]+)"', text)
            assert table is not None
            refs[table.group(1)] = table.group(2)
    return refs


@pytest.mark.parametrize("which", ["committed", "fresh"])
def test_vba_has_refresh_macro_and_whole_xlwings_module(which: str, fresh: Path) -> None:
    modules = vba_modules(COMMITTED if which == "committed" else fresh)
    assert {"xlwings", "Dictionary", "abmxl", "ThisWorkbook", "Sheet1", "Sheet2"} <= set(modules)
    assert "Module1" not in modules
    ours = modules["abmxl"]
    assert f"Sub {REFRESH_MACRO}()" in ours
    assert REFRESH_CALL in ours
    xlwings_module = modules["xlwings"]
    for procedure in ("Public Function RunPython(", "Sub ImportPythonUDFs()"):
        assert procedure in xlwings_module
    # The whole module, not a truncated copy: the installed xlwings' own xlwings.bas.
    shipped = (Path(xlwings.__file__).parent / "xlwings.bas").read_text(encoding="utf-8")
    assert _code_lines(xlwings_module) == _code_lines(shipped)


def test_button_is_bound_to_the_macro(fresh: Path) -> None:
    parts = package_parts(fresh)
    vml = [data.decode() for name, data in parts.items() if name.endswith(".vml")]
    bound = [text for text in vml if f"<x:FmlaMacro>[0]!{REFRESH_MACRO}</x:FmlaMacro>" in text]
    assert len(bound) == 2  # Start here and Funnel Summary
    assert all("Refresh funnel" in text for text in bound)


def test_committed_template_matches_the_builder(fresh: Path) -> None:
    committed, built = package_parts(COMMITTED), package_parts(fresh)
    assert sorted(committed) == sorted(built)
    assert table_refs(COMMITTED) == table_refs(fresh)
    assert vba_modules(COMMITTED) == vba_modules(fresh)
    # Built twice with the same versions, every part is the same bytes.
    assert committed == built


def test_sheets_tables_and_defaults(fresh: Path) -> None:
    book = CalamineWorkbook.from_path(str(fresh))
    assert book.sheet_names == list(SHEET_ORDER)
    refs = table_refs(fresh)
    for name, spec in schema.INPUT_SHEETS.items():
        header = book.get_sheet_by_name(name).to_python()[0]
        assert header[: len(spec.columns)] == [column.name for column in spec.columns]
        assert name in refs
    settings = book.get_sheet_by_name("Settings").to_python()[1:]
    values = {row[0]: row[1] for row in settings}
    expected = {
        key: "" if value is None else value for key, value in schema.DEFAULT_SETTINGS.items()
    }
    assert values == expected
    weights = {row[0]: row[1] for row in book.get_sheet_by_name("ChannelWeights").to_python()[1:]}
    assert weights == schema.DEFAULT_CHANNEL_WEIGHTS


def test_conf_sheet_has_udf_modules_and_no_empty_values(fresh: Path) -> None:
    rows = CalamineWorkbook.from_path(str(fresh)).get_sheet_by_name(CONF_SHEET).to_python()
    # xlwings reads keys in A from A1 down to the first blank, values in B.
    config = {}
    for row in rows:
        if row[0] == "":
            break
        config[row[0]] = row[1]
    assert config == {"UDF Modules": UDF_MODULES}


def test_input_sheets_have_frozen_header_formats_and_dropdowns(fresh: Path) -> None:
    parts = package_parts(fresh)
    opportunities = parts[f"xl/worksheets/sheet{SHEET_ORDER.index('Opportunities') + 1}.xml"]
    text = opportunities.decode()
    assert 'state="frozen"' in text and 'ySplit="1"' in text
    assert text.count("<dataValidation ") == 2  # type and status
    styles = parts["xl/styles.xml"].decode()
    assert 'formatCode="yyyy-mm-dd"' in styles


def test_calculator_types_each_function_on_its_worked_example(fresh: Path) -> None:
    text = package_parts(fresh)[
        f"xl/worksheets/sheet{SHEET_ORDER.index('Calculator') + 1}.xml"
    ].decode()
    formulas = re.findall(r"<f[^>]*>([^<]+)</f>", text)
    names = {re.match(r"(ABM_\w+)\(", formula).group(1) for formula in formulas}
    assert {"ABM_WINRATE", "ABM_ACV", "ABM_NPS", "ABM_ENGAGEMENT_SCORES", "ABM_TIER"} <= names


def test_sample_data_dates_are_date_cells(tmp_path: Path) -> None:
    book_path = new_workbook(tmp_path / "sample.xlsm", sample_accounts=30, seed=3)
    book = CalamineWorkbook.from_path(str(book_path))
    engagement = book.get_sheet_by_name("Engagement").to_python()
    import datetime as dt

    assert all(isinstance(row[0], dt.date) for row in engagement[1:])
    accounts = book.get_sheet_by_name("Accounts").to_python()
    assert len(accounts) == 31


def test_name_must_match_kind(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.xlsx"):
        build_workbook(tmp_path / "book.xlsm", vba=False)
    with pytest.raises(ValueError, match=r"\.xlsm"):
        build_workbook(tmp_path / "book.xlsx")
    plain = build_workbook(tmp_path / "book.xlsx", vba=False)
    assert "xl/vbaProject.bin" not in package_parts(plain)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_template_opens_in_libreoffice(tmp_path: Path) -> None:
    libreoffice_convert(COMMITTED, tmp_path, "pdf")
    pdf = tmp_path / "abm_template.pdf"
    assert pdf.exists() and pdf.stat().st_size > 10_000
