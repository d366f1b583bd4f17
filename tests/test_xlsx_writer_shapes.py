"""The writer on workbooks in the shapes real tools save (issue 9), one regression test each.

Each book is built by ``tests.book_shapes``; every written book passes the
structural check of ``tests.workbook_check`` (unique table ids, fonts with
sizes, relationship targets, content types, table columns = header cells).
"""

from __future__ import annotations

import os
import re
import stat
import warnings
import zipfile
from pathlib import Path

import openpyxl
import pytest
from lxml import etree
from python_calamine import CalamineWorkbook

from abmxl.io.content import Cell, SheetContent
from abmxl.io.xlsx_writer import WorkbookWarning, WorkbookWriteError, write_sheets, zipio
from tests import book_shapes
from tests.test_xlsx_writer import funnel_content
from tests.workbook_check import check_workbook

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def refreshed_twice(src: Path, tmp_path: Path) -> Path:
    first, second = tmp_path / "first.xlsx", tmp_path / "second.xlsx"
    write_sheets(src, first, funnel_content())
    check_workbook(first)
    write_sheets(first, second, funnel_content())
    check_workbook(second)
    return second


@pytest.mark.parametrize(
    "shape",
    [book_shapes.r_declared_per_sheet, book_shapes.x_prefixed],
    ids=["r-per-sheet", "x-prefix"],
)
def test_relationships_are_resolved_by_namespace(shape, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """openpyxl+lxml and the Open XML SDK: refreshed twice, tables ids unique."""
    src = book_shapes.rewrite(book_shapes.plain_book(tmp_path / "src.xlsx"), shape)
    out = refreshed_twice(src, tmp_path)
    book = CalamineWorkbook.from_path(str(out))
    assert book.sheet_names == ["Data", "Notes", "Funnel Summary", "Account Scores"]
    assert book.get_sheet_by_name("Funnel Summary").to_python()[0][0] == "ABM funnel"
    assert book.get_sheet_by_name("Data").to_python()[1] == ["A1", 80.0]
    # The user's input Table kept its id; ours got new, distinct ones.
    loaded = openpyxl.load_workbook(out)
    assert set(loaded["Data"].tables) == {"Accounts"}
    assert set(loaded["Funnel Summary"].tables) == {"FunnelStages", "FunnelKPIs", "DataIssues"}


def test_a_users_table_on_an_output_sheet_is_never_deleted(tmp_path: Path) -> None:
    src = book_shapes.plain_book(tmp_path / "src.xlsx", output_table=True)
    book_shapes.rewrite(src, book_shapes.pivot_cache_over("MyTargets", "Funnel Summary"))
    before = src.read_bytes()
    with pytest.raises(WorkbookWriteError) as caught:
        write_sheets(src, None, funnel_content())
    message = str(caught.value)
    assert "'MyTargets'" in message and "'Funnel Summary'" in message and "\n" not in message
    assert src.read_bytes() == before


def test_a_pivot_cache_and_names_over_a_users_table_elsewhere_are_kept(tmp_path: Path) -> None:
    src = book_shapes.plain_book(tmp_path / "src.xlsx")
    book_shapes.rewrite(src, book_shapes.pivot_cache_over("Accounts", "Data"))
    out = refreshed_twice(src, tmp_path)
    before, after = parts(src), parts(out)
    pivot = "xl/pivotCache/pivotCacheDefinition1.xml"
    assert after[pivot] == before[pivot]
    assert b'<pivotCache cacheId="7" r:id="rIdPivot1"/>' in after["xl/workbook.xml"]


def test_threaded_comments_are_kept(tmp_path: Path) -> None:
    src = book_shapes.rewrite(
        book_shapes.plain_book(tmp_path / "src.xlsx"), book_shapes.threaded_comments
    )
    out = refreshed_twice(src, tmp_path)
    before, after = parts(src), parts(out)
    for name in (
        "xl/threadedComments/threadedComment1.xml",
        "xl/persons/person.xml",
        "xl/worksheets/_rels/sheet2.xml.rels",
    ):
        assert after[name] == before[name]


def test_a_slicer_and_the_workbooks_extensions_are_kept(tmp_path: Path) -> None:
    src = book_shapes.rewrite(book_shapes.plain_book(tmp_path / "src.xlsx"), book_shapes.slicer)
    out = refreshed_twice(src, tmp_path)
    before, after = parts(src), parts(out)
    for name in ("xl/slicers/slicer1.xml", "xl/slicerCaches/slicerCache1.xml"):
        assert after[name] == before[name]
    root = etree.fromstring(after["xl/workbook.xml"])
    names = [etree.QName(child).localname for child in root]
    assert names[-2:] == ["calcPr", "extLst"]  # calcPr added in its place, before extLst
    assert b'<x14:slicerCache r:id="rIdSc1"/>' in after["xl/workbook.xml"]


def test_every_font_has_a_size(tmp_path: Path) -> None:
    """Bold labels got a font without <sz> (Excel repairs such a font)."""
    src = book_shapes.plain_book(tmp_path / "src.xlsx")
    content = SheetContent("Funnel Summary", cells=[Cell(0, 0, "Label", bold=True)])
    out = tmp_path / "out.xlsx"
    write_sheets(src, out, [content])
    check_workbook(out)
    styles = etree.fromstring(parts(out)["xl/styles.xml"])
    fonts = styles.find(f"{MAIN}fonts")
    bold = [f for f in fonts if f.find(f"{MAIN}b") is not None]
    assert bold and all(f.find(f"{MAIN}sz").get("val") == "11" for f in bold)


def test_strict_open_xml_gets_one_clear_message(tmp_path: Path) -> None:
    src = book_shapes.rewrite(book_shapes.plain_book(tmp_path / "src.xlsx"), book_shapes.strict)
    with pytest.raises(WorkbookWriteError, match="Strict Open XML; save it as an Excel Workbook"):
        write_sheets(src, tmp_path / "out.xlsx", funnel_content())


def test_a_small_book_with_zip64_records_is_read(tmp_path: Path) -> None:
    src = book_shapes.with_zip64_end_record(book_shapes.plain_book(tmp_path / "src.xlsx"))
    assert src.stat().st_size < 100_000
    out = refreshed_twice(src, tmp_path)
    assert parts(out)["xl/worksheets/sheet2.xml"] == parts(src)["xl/worksheets/sheet2.xml"]


def test_a_book_that_would_need_zip64_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = book_shapes.plain_book(tmp_path / "src.xlsx")
    out = tmp_path / "out.xlsx"
    out.write_bytes(b"previous")
    monkeypatch.setattr(zipio, "ZIP32_LIMIT", 2_000)  # a 4 GB output, in small
    with pytest.raises(WorkbookWriteError, match=r"over 4 GB .* needs ZIP64"):
        write_sheets(src, out, funnel_content(scale=50))
    assert out.read_bytes() == b"previous"


def test_a_signed_book_warns_that_its_signature_is_invalidated(tmp_path: Path) -> None:
    src = book_shapes.rewrite(book_shapes.plain_book(tmp_path / "src.xlsx"), book_shapes.signed)
    out = tmp_path / "out.xlsx"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        notes = write_sheets(src, out, funnel_content())
    assert len(notes) == 1 and "invalidates its signature" in notes[0]
    assert [str(w.message) for w in caught if w.category is WorkbookWarning] == notes
    check_workbook(out)
    assert parts(out)["_xmlsignatures/sig1.xml"] == parts(src)["_xmlsignatures/sig1.xml"]


def test_plain_books_get_no_warning(tmp_path: Path) -> None:
    src = book_shapes.plain_book(tmp_path / "src.xlsx")
    with warnings.catch_warnings():
        warnings.simplefilter("error", WorkbookWarning)
        assert write_sheets(src, tmp_path / "out.xlsx", funnel_content()) == []


def _calc_pr(replacement: str) -> book_shapes.Edit:
    def edit(book_parts: dict[str, bytes]) -> None:
        text = re.sub(r"<calcPr[^>]*/>", replacement, book_parts["xl/workbook.xml"].decode())
        book_parts["xl/workbook.xml"] = text.encode()

    return edit


@pytest.mark.parametrize(
    ("calc_pr", "kept"),
    [("", {}), ('<calcPr calcId="191029" iterate="1"/>', {"calcId": "191029", "iterate": "1"})],
    ids=["no-calcPr", "excel-calcPr"],
)
def test_excel_recalculates_formulas_on_open(
    tmp_path: Path, calc_pr: str, kept: dict[str, str]
) -> None:
    """Formulas that read the output sheets must not show stale cached values."""
    src = book_shapes.rewrite(book_shapes.plain_book(tmp_path / "src.xlsx"), _calc_pr(calc_pr))
    assert b"fullCalcOnLoad" not in parts(src)["xl/workbook.xml"]
    out = tmp_path / "out.xlsx"
    write_sheets(src, out, funnel_content())
    root = etree.fromstring(parts(out)["xl/workbook.xml"])
    (calc,) = root.iter(f"{MAIN}calcPr")
    assert dict(calc.attrib) == {**kept, "fullCalcOnLoad": "1"}
    names = [etree.QName(child).localname for child in root]
    assert names.index("calcPr") == names.index("sheets") + 1  # no definedNames here
    again = tmp_path / "again.xlsx"
    write_sheets(out, again, funnel_content())
    assert parts(again)["xl/workbook.xml"] == parts(out)["xl/workbook.xml"]


# -- the file written ---------------------------------------------------------


def test_a_read_only_book_is_refused(tmp_path: Path) -> None:
    src = book_shapes.plain_book(tmp_path / "src.xlsx")
    before = src.read_bytes()
    src.chmod(0o444)
    try:
        with pytest.raises(WorkbookWriteError, match=r"src\.xlsx is read-only") as caught:
            write_sheets(src, None, funnel_content())
        assert "\n" not in str(caught.value)
        assert src.read_bytes() == before
        assert stat.S_IMODE(src.stat().st_mode) == 0o444
    finally:
        src.chmod(0o644)


def test_a_symlinked_book_is_written_through_to_its_target(tmp_path: Path) -> None:
    real = book_shapes.plain_book(tmp_path / "real.xlsx")
    link = tmp_path / "link.xlsx"
    link.symlink_to(real)
    write_sheets(link, None, funnel_content())
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert "Funnel Summary" in CalamineWorkbook.from_path(str(real)).sheet_names
    check_workbook(real)


def test_a_new_file_gets_the_umask_mode(tmp_path: Path) -> None:
    src = book_shapes.plain_book(tmp_path / "src.xlsx")
    old = os.umask(0o022)
    try:
        write_sheets(src, tmp_path / "new.xlsx", funnel_content())
        os.umask(0o027)
        write_sheets(src, tmp_path / "private.xlsx", funnel_content())
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.xlsx").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "private.xlsx").stat().st_mode) == 0o640


def test_an_existing_file_keeps_its_mode(tmp_path: Path) -> None:
    src = book_shapes.plain_book(tmp_path / "src.xlsx")
    src.chmod(0o600)
    write_sheets(src, None, funnel_content())
    assert stat.S_IMODE(src.stat().st_mode) == 0o600


def test_a_folder_is_not_a_workbook(tmp_path: Path) -> None:
    with pytest.raises(WorkbookWriteError, match="is a folder, not a workbook file"):
        write_sheets(tmp_path, None, funnel_content())
