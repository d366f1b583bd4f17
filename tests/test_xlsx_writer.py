"""Tests of the headless workbook writer (``abmxl.io.xlsx_writer``).

Every source workbook is built here with XlsxWriter (or copied from xlwings'
own Excel-saved quickstart book); the expectations are read back with
independent tools: zipfile and a small local-header parser for the stored
bytes, openpyxl and python-calamine for the cells, LibreOffice for "opens".
"""

from __future__ import annotations

import datetime as dt
import math
import re
import shutil
import struct
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest
import python_calamine
import xlsxwriter
import xlwings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from abmxl.io.content import (
    FMT_CURRENCY,
    FMT_DATE,
    FMT_DATETIME,
    FMT_DAYS,
    FMT_INTEGER,
    FMT_PERCENT,
    BarChart,
    Cell,
    SheetContent,
    Table,
)
from abmxl.io.xlsx_writer import WorkbookWriteError, save, write_sheets, zipio
from abmxl.render import libreoffice_convert
from abmxl.schema import ACCOUNT_SCORES_COLUMNS
from tests.workbook_check import check_workbook

QUICKSTART_XLSM = Path(xlwings.__file__).parent / "quickstart_standalone.xlsm"

# Parts every write may rewrite (shared parts edited in place).
SHARED_PARTS = {
    "[Content_Types].xml",
    "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels",
    "xl/styles.xml",
}

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
AS_OF = dt.date(2026, 11, 22)
REFRESHED = dt.datetime(2026, 11, 22, 9, 30)
STAGES = ["Target", "Engaged", "Opportunity", "Won", "Retained", "Expanded"]


# --------------------------------------------------------------------------- #
# Source workbooks
# --------------------------------------------------------------------------- #


def tiny_png() -> bytes:
    """A valid 2x2 RGB PNG, built byte by byte."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">L", len(data)) + body + struct.pack(">L", zlib.crc32(body))

    header = struct.pack(">LLBBBBB", 2, 2, 8, 2, 0, 0, 0)
    pixels = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(pixels))
        + chunk(b"IEND", b"")
    )


def _data_sheet(workbook: xlsxwriter.Workbook, png: Path) -> None:
    """A user's sheet with a table, chart, image, comment, validation."""
    ws = workbook.add_worksheet("Data")
    ws.write_row(0, 0, ["account_id", "fit_score"])
    ws.write_row(1, 0, ["A1", 80])
    ws.write_row(2, 0, ["A2", 55])
    columns = [{"header": "account_id"}, {"header": "fit_score"}]
    ws.add_table("A1:B3", {"name": "Accounts", "columns": columns})
    chart = workbook.add_chart({"type": "column"})
    chart.add_series({"categories": "=Data!$A$2:$A$3", "values": "=Data!$B$2:$B$3"})
    ws.insert_chart("E2", chart)
    ws.insert_image("E20", str(png))
    ws.write_comment("B2", "checked by hand")
    rule = {"validate": "integer", "criteria": "between", "minimum": 0, "maximum": 100}
    ws.data_validation("B2:B100", rule)
    workbook.define_name("FitScores", "=Data!$B$2:$B$3")


@pytest.fixture
def png_file(tmp_path: Path) -> Path:
    path = tmp_path / "logo.png"
    path.write_bytes(tiny_png())
    return path


@pytest.fixture
def rich_xlsx(tmp_path: Path, png_file: Path) -> Path:
    """An .xlsx with a chart, an image, comments, validation, a defined name, a table."""
    path = tmp_path / "rich.xlsx"
    workbook = xlsxwriter.Workbook(path)
    _data_sheet(workbook, png_file)
    notes = workbook.add_worksheet("Notes")
    notes.write(0, 0, "keep me")
    workbook.close()
    return path


@pytest.fixture
def vba_bin(tmp_path: Path) -> Path:
    path = tmp_path / "vbaProject.bin"
    with zipfile.ZipFile(QUICKSTART_XLSM) as book:
        path.write_bytes(book.read("xl/vbaProject.bin"))
    return path


@pytest.fixture
def macro_xlsm(tmp_path: Path, png_file: Path, vba_bin: Path) -> Path:
    """An .xlsm with VBA, a button on an input sheet, and an existing output
    sheet "Funnel Summary" holding a button and a text box placed by the user."""
    path = tmp_path / "macro.xlsm"
    workbook = xlsxwriter.Workbook(path)
    workbook.set_vba_name("ThisWorkbook")
    workbook.add_vba_project(str(vba_bin))
    _data_sheet(workbook, png_file)
    workbook.worksheets()[0].insert_button("H2", {"macro": "SampleCall", "caption": "Data"})
    summary = workbook.add_worksheet("Funnel Summary")
    summary.set_vba_name("Sheet2")
    summary.write(0, 0, "stale content from an old refresh")
    summary.write(40, 3, "=SUM(1,2)")
    summary.insert_button("K2", {"macro": "SampleCall", "caption": "Refresh funnel"})
    summary.insert_textbox("K6", "Notes by the analyst")
    workbook.close()
    return path


@pytest.fixture
def quickstart_xlsm(tmp_path: Path) -> Path:
    """xlwings' own Excel-saved macro workbook."""
    path = tmp_path / "quickstart.xlsm"
    shutil.copyfile(QUICKSTART_XLSM, path)
    return path


# --------------------------------------------------------------------------- #
# Output content
# --------------------------------------------------------------------------- #


def funnel_content(scale: int = 1) -> list[SheetContent]:
    """Both output sheets, shaped like abmxl.io.layout's (values are arbitrary)."""
    counts = [120 * scale, 60 * scale, 30 * scale, 12 * scale, 5 * scale, 3 * scale]
    stages_rows = [
        [stage, n, n // 2, n // 3, n - n // 2 - n // 3, 7, None if i == 0 else 0.5, 1]
        for i, (stage, n) in enumerate(zip(STAGES, counts, strict=True))
    ]
    kpi_rows = [
        ["target_accounts", "Target accounts", 120, 60, 40, 20, 7],
        ["win_rate", "Win rate", 0.25, 0.3, math.nan, None, 0.1],
        ["avg_sales_cycle_days", "Avg sales cycle", 41.5, 30.0, 50.25, None, None],
        ["open_pipeline", "Open pipeline", 1_250_000, 1e6, 250000, 0, 0],
    ]
    kpi_formats = [
        [None, None, *[FMT_INTEGER] * 5],
        [None, None, *[FMT_PERCENT] * 5],
        [None, None, *[FMT_DAYS] * 5],
        [None, None, *[FMT_CURRENCY] * 5],
    ]
    issues = [
        ["Accounts", 7, "account_id", "=SUM(A1)", "duplicate id", "skipped"],
        ["Opportunities", 12, "amount", "+12abc", "unreadable number", "skipped"],
        ["Engagement", 3, "date", "-", "blank date", "skipped"],
        ["Spend", 9, "amount", "@home", "negative amount", "skipped"],
    ]
    summary = SheetContent(
        name="Funnel Summary",
        cells=[
            Cell(0, 0, "ABM funnel", bold=True, font_size=14),
            Cell(1, 0, "As of"),
            Cell(1, 1, AS_OF, FMT_DATE),
            Cell(2, 0, "Refreshed"),
            Cell(2, 1, REFRESHED, FMT_DATETIME),
            Cell(3, 0, None, bold=True),
            Cell(3, 1, math.nan),
        ],
        tables=[
            Table(
                "FunnelStages",
                6,
                0,
                [
                    "Stage",
                    "All targets",
                    "Tier 1",
                    "Tier 2",
                    "Tier 3",
                    "Non-target",
                    "Conversion",
                    "In stage now",
                ],
                stages_rows,
                column_formats=[None, *[FMT_INTEGER] * 5, FMT_PERCENT, FMT_INTEGER],
            ),
            Table(
                "FunnelKPIs",
                15,
                0,
                ["Key", "KPI", "All targets", "Tier 1", "Tier 2", "Tier 3", "Non-target"],
                kpi_rows,
                cell_formats=kpi_formats,
            ),
            Table(
                "DataIssues",
                22,
                0,
                ["Sheet", "Row", "Column", "Value", "Problem", "Action"],
                issues,
            ),
        ],
        charts=[
            BarChart("Funnel", "Funnel (All targets)", (7, 0, 12), (7, 1, 12), "All targets", 0, 9)
        ],
        column_widths={0: 22, 1: 14.5},
    )
    accounts = [
        [
            "A-1",
            "Acme & Sons",
            1,
            42.5,
            dt.date(2026, 3, 1),
            True,
            True,
            False,
            None,
            False,
            False,
            "Engaged",
            1000.0,
            0,
        ],
        [
            "A-2",
            '=HYPERLINK("x")',
            0,
            0.0,
            None,
            True,
            False,
            False,
            False,
            False,
            False,
            "Target",
            math.nan,
            0,
        ],
        [
            "A-3",
            "Ünïcode <b>",
            3,
            7.25,
            dt.date(1999, 12, 31),
            True,
            True,
            True,
            True,
            True,
            False,
            "Retained",
            0.0,
            25000.5,
        ],
    ]
    scores = SheetContent(
        name="Account Scores",
        tables=[
            Table(
                "AccountScores",
                0,
                0,
                list(ACCOUNT_SCORES_COLUMNS[:14]),  # workbook.md's 14
                accounts,
                column_formats=[
                    None,
                    None,
                    "0",
                    "#,##0.00",
                    FMT_DATE,
                    *[None] * 7,
                    FMT_CURRENCY,
                    FMT_CURRENCY,
                ],
            )
        ],
        freeze_rows=1,
    )
    return [summary, scores]


# --------------------------------------------------------------------------- #
# Helpers
# --------------------------------------------------------------------------- #


def stored_spans(path: Path) -> dict[str, bytes]:
    """Each member's stored bytes from its local header up to the next member
    (header, compressed data, data descriptor), parsed independently of the writer."""
    data = path.read_bytes()
    with zipfile.ZipFile(path) as book:
        infos = book.infolist()
    end_of_data = data.rfind(b"PK\x01\x02", 0, data.rfind(b"PK\x05\x06"))
    cd_start = min(data.find(b"PK\x01\x02"), end_of_data)
    offsets = [*sorted(i.header_offset for i in infos), cd_start]
    spans = {}
    for info in infos:
        start = info.header_offset
        assert data[start : start + 4] == b"PK\x03\x04"
        name_len, extra_len = struct.unpack("<HH", data[start + 26 : start + 30])
        end = offsets[offsets.index(start) + 1]
        # Compare from the name on: the header's fields before it are the same
        # for a raw copy, and the name plus data is what must not change.
        spans[info.filename] = data[start + 4 : end]
        assert end >= start + 30 + name_len + extra_len + info.compress_size
    return spans


def member_bytes(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as book:
        return {name: book.read(name) for name in book.namelist()}


def sheet_part(path: Path, sheet: str) -> str:
    """The zip member of a worksheet, found through workbook.xml and its rels."""
    with zipfile.ZipFile(path) as book:
        workbook = book.read("xl/workbook.xml").decode()
        rels = book.read("xl/_rels/workbook.xml.rels").decode()
    escaped = sheet.replace("&", "&amp;")
    rid = re.search(rf'<sheet [^>]*name="{re.escape(escaped)}"[^>]*r:id="([^"]+)"', workbook)
    assert rid, f"{sheet} not in workbook.xml"
    target = re.search(rf'Id="{rid.group(1)}"[^>]*Target="([^"]+)"', rels)
    if target is None:
        target = re.search(rf'Target="([^"]+)"[^>]*Id="{rid.group(1)}"', rels)
    assert target
    return "xl/" + target.group(1).lstrip("/").removeprefix("xl/")


def rels_of(part: str) -> str:
    folder, _, base = part.rpartition("/")
    return f"{folder}/_rels/{base}.rels"


def related_parts(path: Path, part: str) -> dict[str, str]:
    """Relationship type (last segment) -> target part, for one part."""
    with zipfile.ZipFile(path) as book:
        try:
            text = book.read(rels_of(part)).decode()
        except KeyError:
            return {}
    found = {}
    folder = part.rpartition("/")[0]
    for m in re.finditer(r"<Relationship [^>]*>", text):
        kind = re.search(r'Type="[^"]*/([^/"]+)"', m.group(0)).group(1)
        target = re.search(r'Target="([^"]+)"', m.group(0)).group(1)
        resolved = "/".join(p for p in f"{folder}/{target}".split("/"))
        while "/../" in resolved:
            resolved = re.sub(r"[^/]+/\.\./", "", resolved, count=1)
        found.setdefault(kind, resolved)
    return found


def written_twice(src: Path, tmp_path: Path) -> tuple[Path, Path]:
    first, second = tmp_path / f"first{src.suffix}", tmp_path / f"second{src.suffix}"
    write_sheets(src, first, funnel_content())
    write_sheets(first, second, funnel_content())
    check_workbook(first)
    check_workbook(second)
    return first, second


# --------------------------------------------------------------------------- #
# Preservation and idempotence
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("book", ["rich_xlsx", "macro_xlsm", "quickstart_xlsm"])
def test_parts_outputs_do_not_own_stay_byte_identical(
    book: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    src: Path = request.getfixturevalue(book)
    first, second = written_twice(src, tmp_path)

    # Parts the existing output sheet owns (its XML, rels, and the drawing our
    # chart joins) may change; everything else must not.
    owned = set(SHARED_PARTS)
    src_names = set(member_bytes(src))
    with zipfile.ZipFile(src) as book_zip:
        workbook_xml = book_zip.read("xl/workbook.xml").decode()
    if 'name="Funnel Summary"' in workbook_xml:
        part = sheet_part(src, "Funnel Summary")
        owned |= {part, rels_of(part)}
        drawing = related_parts(src, part).get("drawing")
        if drawing:
            owned |= {drawing, rels_of(drawing)}

    src_raw, first_raw = stored_spans(src), stored_spans(first)
    src_bytes, first_bytes = member_bytes(src), member_bytes(first)
    untouched = sorted(src_names - owned)
    assert untouched, "the fixture has parts the writer must leave alone"
    for name in untouched:
        assert first_bytes[name] == src_bytes[name], name
        assert first_raw[name] == src_raw[name], f"{name}: compressed bytes changed"
    # The second refresh is byte-identical to the first (idempotent).
    assert second.read_bytes() == first.read_bytes()


def test_vba_and_buttons_survive(macro_xlsm: Path, tmp_path: Path) -> None:
    first, _ = written_twice(macro_xlsm, tmp_path)
    src_bytes, out_bytes = member_bytes(macro_xlsm), member_bytes(first)
    assert out_bytes["xl/vbaProject.bin"] == src_bytes["xl/vbaProject.bin"]
    vml = [n for n in src_bytes if n.endswith(".vml")]
    assert len(vml) == 2  # the input sheet's button and the output sheet's button
    for name in vml:
        assert out_bytes[name] == src_bytes[name]
    # The content type of a macro workbook stays macro-enabled.
    assert b"sheet.macroEnabled.main+xml" in out_bytes["[Content_Types].xml"]


def test_button_and_shape_on_an_existing_output_sheet_survive(
    macro_xlsm: Path, tmp_path: Path
) -> None:
    _, second = written_twice(macro_xlsm, tmp_path)
    part = sheet_part(macro_xlsm, "Funnel Summary")
    src_related = related_parts(macro_xlsm, part)
    assert sheet_part(second, "Funnel Summary") == part
    out_related = related_parts(second, part)
    out_bytes = member_bytes(second)
    sheet_xml = out_bytes[part].decode()

    # The button: <legacyDrawing> still points at the same, unchanged VML.
    assert re.search(r"<legacyDrawing r:id=\"rId\d+\"/>", sheet_xml)
    assert out_related["vmlDrawing"] == src_related["vmlDrawing"]
    vml = out_bytes[out_related["vmlDrawing"]].decode()
    assert "Refresh funnel" in vml and "SampleCall" in vml
    # The VBA code name of the sheet is kept (<sheetPr codeName>).
    assert 'codeName="Sheet2"' in sheet_xml
    # The text box shares the drawing with exactly one chart of ours.
    drawing = out_bytes[out_related["drawing"]].decode()
    assert "Notes by the analyst" in drawing
    assert drawing.count('name="abmxl Funnel"') == 1
    # Old cells are gone; the stale formula with them.
    assert "stale content" not in sheet_xml and "<f>" not in sheet_xml
    # openpyxl sees the text box sheet's values and the button's VML is referenced.
    ws = openpyxl.load_workbook(second)["Funnel Summary"]
    assert ws["A1"].value == "ABM funnel"
    assert ws["D41"].value is None


def test_an_excel_saved_sheet_is_rebuilt_in_place(quickstart_xlsm: Path, tmp_path: Path) -> None:
    """xlwings' quickstart sheet was saved by Excel (mc:Ignorable, x14 namespaces)."""
    content = funnel_content()
    content[0].name = "Sheet1"
    part = sheet_part(quickstart_xlsm, "Sheet1")
    write_sheets(quickstart_xlsm, None, content)
    sheet_xml = member_bytes(quickstart_xlsm)[part].decode()
    assert sheet_part(quickstart_xlsm, "Sheet1") == part
    assert 'mc:Ignorable="x14ac xr xr2 xr3"' in sheet_xml  # its namespaces stay declared
    assert '<sheetPr codeName="Sheet1"/>' in sheet_xml  # kept (as a tree: same content)
    assert '<pageMargins left="0.75"' in sheet_xml
    assert "tabSelected" in sheet_xml
    book = openpyxl.load_workbook(quickstart_xlsm, keep_vba=True)
    # The missing Account Scores goes right after the sheet written before it.
    assert book.sheetnames == ["Sheet1", "Account Scores", "_xlwings.conf"]
    assert book["Sheet1"]["A1"].value == "ABM funnel"
    assert set(book["Sheet1"].tables) == {"FunnelStages", "FunnelKPIs", "DataIssues"}


def test_data_descriptor_members_are_copied_raw(rich_xlsx: Path, tmp_path: Path) -> None:
    """Zips written to a stream (as some tools do) carry data descriptors."""

    class Unseekable:
        def __init__(self) -> None:
            self.chunks: list[bytes] = []

        def write(self, b: bytes) -> int:
            self.chunks.append(bytes(b))
            return len(b)

        def flush(self) -> None:
            pass

    stream = Unseekable()
    with zipfile.ZipFile(rich_xlsx) as src:
        with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as out:  # type: ignore[arg-type]
            for info in src.infolist():
                out.writestr(info.filename, src.read(info))
    streamed = tmp_path / "streamed.xlsx"
    streamed.write_bytes(b"".join(stream.chunks))
    with zipfile.ZipFile(streamed) as book:
        assert all(i.flag_bits & 0x08 for i in book.infolist())

    out = tmp_path / "out.xlsx"
    write_sheets(streamed, out, funnel_content())
    src_raw, out_raw = stored_spans(streamed), stored_spans(out)
    for name in set(src_raw) - SHARED_PARTS:
        assert out_raw[name] == src_raw[name], name
    with zipfile.ZipFile(out) as book:
        assert book.testzip() is None


def test_in_place_write_replaces_the_source(rich_xlsx: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.xlsx"
    write_sheets(rich_xlsx, copy, funnel_content())
    write_sheets(rich_xlsx, None, funnel_content())
    assert rich_xlsx.read_bytes() == copy.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_changed_content_replaces_tables_in_place(rich_xlsx: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_sheets(rich_xlsx, first, funnel_content(scale=1))
    write_sheets(first, second, funnel_content(scale=2))
    before, after = member_bytes(first), member_bytes(second)
    assert sorted(before) == sorted(after)  # same parts: tables, chart reused
    ws = openpyxl.load_workbook(second)["Funnel Summary"]
    assert ws["B8"].value == 240
    tables = [n for n in after if n.startswith("xl/tables/")]
    names = sorted(re.search(rb' name="([^"]+)"', after[t]).group(1).decode() for t in tables)
    assert names == ["AccountScores", "Accounts", "DataIssues", "FunnelKPIs", "FunnelStages"]
    ids = [re.search(rb' id="(\d+)"', after[t]).group(1) for t in tables]
    assert len(set(ids)) == len(ids)
    charts = [after[n] for n in after if n.startswith("xl/charts/")]
    assert any(b"<c:v>240</c:v>" in chart for chart in charts)  # the cache follows the data
    check_workbook(second)


def test_a_calc_chain_naming_rebuilt_cells_is_dropped(macro_xlsm: Path, tmp_path: Path) -> None:
    """Excel rebuilds calcChain.xml; a stale one naming our old formula cells
    would make it "repair" the file."""
    part = sheet_part(macro_xlsm, "Funnel Summary")
    with zipfile.ZipFile(macro_xlsm) as book:
        workbook_xml = book.read("xl/workbook.xml").decode()
    sheet_id = re.search(r'name="Funnel Summary" sheetId="(\d+)"', workbook_xml).group(1)
    chained = tmp_path / "chained.xlsm"
    rel = (
        '<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/'
        '2006/relationships/calcChain" Target="calcChain.xml"/>'
    )
    override = (
        '<Override PartName="/xl/calcChain.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.calcChain+xml"/>'
    )
    with zipfile.ZipFile(macro_xlsm) as src, zipfile.ZipFile(chained, "w") as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", rel.encode() + b"</Relationships>")
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", override.encode() + b"</Types>")
            out.writestr(info, data)
        out.writestr(
            "xl/calcChain.xml", f'<calcChain xmlns="{MAIN}"><c r="D41" i="{sheet_id}"/></calcChain>'
        )
    write_sheets(chained, None, funnel_content())
    parts = member_bytes(chained)
    assert "xl/calcChain.xml" not in parts
    assert b"calcChain" not in parts["xl/_rels/workbook.xml.rels"]
    assert b"calcChain" not in parts["[Content_Types].xml"]
    assert sheet_part(chained, "Funnel Summary") == part
    openpyxl.load_workbook(chained)


# --------------------------------------------------------------------------- #
# Reading the result back
# --------------------------------------------------------------------------- #


def test_openpyxl_reads_values_formats_and_tables(rich_xlsx: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    write_sheets(rich_xlsx, out, funnel_content())
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Data", "Notes", "Funnel Summary", "Account Scores"]
    assert book.defined_names["FitScores"].attr_text == "Data!$B$2:$B$3"
    ws = book["Funnel Summary"]

    assert ws["A1"].value == "ABM funnel" and ws["A1"].font.b and ws["A1"].font.sz == 14
    assert ws["B2"].value == dt.datetime(2026, 11, 22) and ws["B2"].number_format == FMT_DATE
    assert ws["B3"].value == REFRESHED and ws["B3"].number_format == FMT_DATETIME
    assert ws["A4"].value is None and ws["B4"].value is None  # None and nan: no cell
    assert ws.column_dimensions["A"].width == 22

    expected_tables = {
        "FunnelStages": ("A7:H13", "Stage", "In stage now"),
        "FunnelKPIs": ("A16:G20", "Key", "Non-target"),
        "DataIssues": ("A23:F27", "Sheet", "Action"),
    }
    assert set(ws.tables) == set(expected_tables)
    for name, (ref, first_header, last_header) in expected_tables.items():
        table = ws.tables[name]
        assert table.ref == ref
        headers = [c.name for c in table.tableColumns]
        assert headers[0] == first_header and headers[-1] == last_header
        # The header cells hold the same names.
        assert [c.value for c in ws[ref.split(":")[0] : ref.split(":")[1]][0]] == headers

    # FunnelStages: counts with the integer format, conversion in percent, blank first.
    assert [ws.cell(8 + i, 1).value for i in range(6)] == STAGES
    assert ws["B8"].value == 120 and ws["B8"].number_format == FMT_INTEGER
    assert ws["G8"].value is None
    assert ws["G9"].value == 0.5 and ws["G9"].number_format == FMT_PERCENT
    # FunnelKPIs: per-cell formats, nan and None blank.
    assert ws["C18"].value == 0.25 and ws["C18"].number_format == FMT_PERCENT
    assert ws["E18"].value is None and ws["F18"].value is None
    assert ws["E19"].value == 50.25 and ws["E19"].number_format == FMT_DAYS
    assert ws["C20"].value == 1_250_000 and ws["C20"].number_format == FMT_CURRENCY
    # DataIssues: text that looks like a formula stays text.
    for ref, text in [("D24", "=SUM(A1)"), ("D25", "+12abc"), ("D26", "-"), ("D27", "@home")]:
        assert ws[ref].value == text and ws[ref].data_type == "s", ref

    scores = book["Account Scores"]
    assert scores.freeze_panes == "A2"
    assert scores.tables["AccountScores"].ref == "A1:N4"
    assert scores["B3"].value == '=HYPERLINK("x")' and scores["B3"].data_type == "s"
    assert scores["E2"].value == dt.datetime(2026, 3, 1) and scores["E2"].number_format == FMT_DATE
    assert scores["E3"].value is None
    assert scores["E4"].value == dt.datetime(1999, 12, 31)
    assert scores["F2"].value is True and scores["H2"].value is False
    assert scores["I2"].value is None  # None in a boolean column
    assert scores["M3"].value is None  # nan
    assert scores["N4"].value == 25000.5 and scores["N4"].number_format == FMT_CURRENCY
    assert scores["B4"].value == "Ünïcode <b>"


def test_calamine_reads_the_same_values(rich_xlsx: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    write_sheets(rich_xlsx, out, funnel_content())
    book = python_calamine.CalamineWorkbook.from_path(str(out))
    assert book.sheet_names == ["Data", "Notes", "Funnel Summary", "Account Scores"]
    rows = book.get_sheet_by_name("Account Scores").to_python()
    assert rows[0][:3] == ["account_id", "account_name", "tier"]
    assert rows[1][:5] == ["A-1", "Acme & Sons", 1.0, 42.5, dt.date(2026, 3, 1)]
    assert rows[2][1] == '=HYPERLINK("x")'
    assert rows[2][4] == "" and rows[2][12] == ""  # blanks
    assert rows[1][5] is True and rows[1][7] is False
    summary = book.get_sheet_by_name("Funnel Summary").to_python()
    assert summary[1][1] == dt.date(2026, 11, 22)
    assert summary[2][1] == REFRESHED
    assert [r[3] for r in summary[23:27]] == ["=SUM(A1)", "+12abc", "-", "@home"]
    # The user's sheets read as before.
    assert book.get_sheet_by_name("Data").to_python()[1] == ["A1", 80.0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain", "plain"),
        ("a\x00b\x07c\x1fd", "abcd"),  # control characters are not XML 1.0
        ("tab\tnew\nline", "tab\tnew\nline"),  # these three are
        ("  padded  ", "  padded  "),
        ("\r", "\r"),  # a literal CR would come back as LF
        ("ends with CR\r", "ends with CR\r"),
        ("<tag attr=\"v\"> & 'q'", "<tag attr=\"v\"> & 'q'"),
        ("_x0041_ literal", "_x0041_ literal"),  # not Excel's escape for "A"
        ("emoji 😀 and 中文", "emoji 😀 and 中文"),
        ("lone \ud800 surrogate", "lone  surrogate"),
        ("", ""),
    ],
)
def test_text_is_escaped_and_sanitised(
    rich_xlsx: Path, tmp_path: Path, value: str, expected: str
) -> None:
    out = tmp_path / "out.xlsx"
    content = SheetContent(
        "Text",
        cells=[Cell(0, 0, value)],
        tables=[Table("Texts", 2, 0, ["text"], [[value], ["x"]])],
    )
    write_sheets(rich_xlsx, out, [content])
    rows = python_calamine.CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Text")
    data = rows.to_python(skip_empty_area=False)
    assert data[0][0] == expected
    assert data[3][0] == expected


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(texts=st.lists(st.text(max_size=40), min_size=1, max_size=8))
def test_any_text_round_trips_minus_illegal_characters(
    rich_xlsx: Path, tmp_path: Path, texts: list[str]
) -> None:
    out = tmp_path / "prop.xlsx"
    table = Table("Texts", 0, 0, ["t"], [[t] for t in texts])
    write_sheets(rich_xlsx, out, [SheetContent("T", tables=[table])])
    data = python_calamine.CalamineWorkbook.from_path(str(out)).get_sheet_by_name("T")
    got = [row[0] for row in data.to_python(skip_empty_area=False)[1:]]
    illegal = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
    assert got == [illegal.sub("", t) for t in texts]


@pytest.mark.parametrize("date1904", [False, True])
def test_dates_are_serials_in_the_books_date_system(tmp_path: Path, date1904: bool) -> None:
    src = tmp_path / "dates.xlsx"
    workbook = xlsxwriter.Workbook(src, {"date_1904": date1904})
    workbook.add_worksheet("In").write(0, 0, "x")
    workbook.close()
    dates = [dt.date(1900, 1, 1), dt.date(1900, 2, 28), dt.date(1900, 3, 1), dt.date(2026, 11, 22)]
    stamps = [dt.datetime(2026, 11, 22, 18, 45, 30), dt.datetime(1999, 1, 1, 0, 0, 1)]
    content = SheetContent(
        "Out",
        cells=[Cell(i, 0, d) for i, d in enumerate(dates)],
        tables=[Table("Stamps", 0, 2, ["when", "day"], [[s, s.date()] for s in stamps])],
    )
    write_sheets(src, None, [content])
    ws = openpyxl.load_workbook(src)["Out"]
    for i, d in enumerate(dates):
        if date1904 and d.year < 1904:  # before the 1904 epoch: kept as ISO text
            assert ws.cell(i + 1, 1).value == d.isoformat()
        else:
            assert ws.cell(i + 1, 1).value == dt.datetime(d.year, d.month, d.day)
    assert [ws.cell(r, 3).value for r in (2, 3)] == stamps
    assert ws["C2"].number_format == FMT_DATETIME and ws["D2"].number_format == FMT_DATE
    # Independent serials for the 1900 system: Excel's day 61 is 1 March 1900.
    if not date1904:
        sheet_xml = member_bytes(src)[sheet_part(src, "Out")].decode()
        assert '<c r="A2" s="' in sheet_xml and "<v>59</v>" in sheet_xml
        assert "<v>61</v>" in sheet_xml and "<v>1</v>" in sheet_xml


def test_styles_are_found_or_appended_once(rich_xlsx: Path, tmp_path: Path) -> None:
    first, second = written_twice(rich_xlsx, tmp_path)
    styles = member_bytes(second)["xl/styles.xml"].decode()
    codes = re.findall(r'<numFmt numFmtId="(\d+)" formatCode="([^"]*)"', styles)
    by_code = {code: int(i) for i, code in codes}
    assert len(by_code) == len(codes)  # no format appended twice
    assert all(i >= 164 for i in by_code.values())
    assert {"0.0%", "yyyy-mm-dd", "$#,##0", "#,##0.0 &quot;days&quot;"} <= set(by_code)
    assert "#,##0" not in by_code  # built-in id 3
    assert member_bytes(first)["xl/styles.xml"] == member_bytes(second)["xl/styles.xml"]


def test_per_cell_formats_are_appended_in_order_of_first_use(
    rich_xlsx: Path, tmp_path: Path
) -> None:
    # The styles a first write appends must not depend on Python's string hash
    # seed, or two refreshes of the same book would write different files.
    codes = [f'0.{"0" * i}"u{i}"' for i in range(1, 7)]
    table = Table(
        "Units", 0, 0, ["Value"], [[float(i)] for i in range(6)], cell_formats=[[c] for c in codes]
    )
    out = tmp_path / "units.xlsx"
    write_sheets(rich_xlsx, out, [SheetContent("Units", tables=[table])])
    styles = member_bytes(out)["xl/styles.xml"].decode()
    appended = re.findall(r'<numFmt numFmtId="\d+" formatCode="([^"]*)"', styles)
    assert [code for code in appended if "u" in code] == [c.replace('"', "&quot;") for c in codes]


# --------------------------------------------------------------------------- #
# Atomicity and errors
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("fail_at", ["add", "copy", "replace"])
def test_a_crash_mid_write_leaves_the_original_intact(
    macro_xlsm: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_at: str
) -> None:
    original = macro_xlsm.read_bytes()
    before = sorted(p.name for p in tmp_path.iterdir())

    class Injected(RuntimeError):
        pass

    calls = {"n": 0}

    def fail_on_third(real):  # type: ignore[no-untyped-def]
        def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
            calls["n"] += 1
            if calls["n"] == 3:
                raise Injected("disk on fire")
            return real(*args, **kwargs)

        return wrapper

    if fail_at == "replace":

        def refuse(*args: object) -> None:
            raise Injected("rename refused")

        monkeypatch.setattr(save.os, "replace", refuse)
    else:
        real = getattr(zipio.ZipWriter, fail_at)
        monkeypatch.setattr(zipio.ZipWriter, fail_at, fail_on_third(real))
    with pytest.raises(Injected):
        write_sheets(macro_xlsm, None, funnel_content())
    assert macro_xlsm.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no temp file left


def test_a_failed_write_to_another_target_leaves_it_intact(
    rich_xlsx: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "existing.xlsx"
    target.write_bytes(b"previous refresh")

    def boom(self, comment):  # type: ignore[no-untyped-def]
        raise OSError("device full")

    monkeypatch.setattr(zipio.ZipWriter, "close", boom)
    with pytest.raises(OSError, match="device full"):
        write_sheets(rich_xlsx, target, funnel_content())
    assert target.read_bytes() == b"previous refresh"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".abmxl-tmp")]


def _file_with(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "text.xlsx"
    path.write_bytes(data)
    return path


def _zip_with(tmp_path: Path, members: dict[str, bytes]) -> Path:
    path = tmp_path / "made.xlsx"
    with zipfile.ZipFile(path, "w") as book:
        for name, data in members.items():
            book.writestr(name, data)
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: _file_with(d, b"not a zip at all"), "not a .xlsx/.xlsm workbook"),
        (lambda d: d / "missing.xlsx", "no such file"),
        (lambda d: _zip_with(d, {"readme.txt": b"hello"}), r"no \[Content_Types\]\.xml"),
        (
            lambda d: _zip_with(
                d,
                {
                    "[Content_Types].xml": b"<Types/>",
                    "_rels/.rels": b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',  # noqa: E501
                },
            ),
            "missing part xl/workbook.xml",
        ),
    ],
    ids=["not-zip", "missing-file", "no-content-types", "no-workbook-part"],
)
def test_unreadable_sources_raise_one_line_errors(tmp_path: Path, make, message: str) -> None:  # type: ignore[no-untyped-def]
    src = make(tmp_path)
    with pytest.raises(WorkbookWriteError, match=message) as caught:
        write_sheets(src, tmp_path / "out.xlsx", funnel_content())
    assert "\n" not in str(caught.value)
    assert not (tmp_path / "out.xlsx").exists()


def test_truncated_workbook_is_reported_as_corrupt(rich_xlsx: Path, tmp_path: Path) -> None:
    data = rich_xlsx.read_bytes()
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(data[: len(data) // 2])
    with pytest.raises(WorkbookWriteError, match=r"broken\.xlsx: "):
        write_sheets(broken, None, funnel_content())
    assert broken.read_bytes() == data[: len(data) // 2]


def test_table_name_used_on_another_sheet_is_an_error(rich_xlsx: Path, tmp_path: Path) -> None:
    original = rich_xlsx.read_bytes()
    content = SheetContent("Out", tables=[Table("ACCOUNTS", 0, 0, ["a"], [[1]])])
    with pytest.raises(WorkbookWriteError, match="'ACCOUNTS' is already used on sheet 'Data'"):
        write_sheets(rich_xlsx, None, [content])
    assert rich_xlsx.read_bytes() == original


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (SheetContent("Bad/Name"), "invalid sheet name"),
        (SheetContent("X", tables=[Table("A1", 0, 0, ["a"], [])]), "invalid Excel table name"),
        (SheetContent("X", tables=[Table("has space", 0, 0, ["a"], [])]), "invalid Excel table"),
        (SheetContent("X", tables=[Table("FitScores", 0, 0, ["a"], [])]), "defined name"),
        (
            SheetContent("X", cells=[Cell(1, 0, "x")], tables=[Table("T", 0, 0, ["a"], [[1]])]),
            "overlapping content at A2",
        ),
        (SheetContent("X", tables=[Table("T", 0, 0, ["a", "b"], [[1]])]), "every row must have 2"),
    ],
)
def test_invalid_content_is_rejected(rich_xlsx: Path, content: SheetContent, message: str) -> None:
    original = rich_xlsx.read_bytes()
    with pytest.raises(WorkbookWriteError, match=message):
        write_sheets(rich_xlsx, None, [content])
    assert rich_xlsx.read_bytes() == original


def test_duplicate_headers_and_empty_tables(rich_xlsx: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    content = SheetContent(
        "X",
        tables=[
            Table("Dupes", 0, 0, ["a", "A", "", "a"], [[1, 2, 3, 4]]),
            Table("Empty", 3, 0, ["only"], []),
        ],
    )
    write_sheets(rich_xlsx, out, [content])
    ws = openpyxl.load_workbook(out)["X"]
    assert [c.name for c in ws.tables["Dupes"].tableColumns] == ["a", "A2", "Column3", "a3"]
    assert [c.value for c in ws[1]] == ["a", "A2", "Column3", "a3"]
    assert ws.tables["Empty"].ref == "A4:A5"
    check_workbook(out)


# --------------------------------------------------------------------------- #
# LibreOffice opens the result
# --------------------------------------------------------------------------- #


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_libreoffice_opens_the_result(macro_xlsm: Path, tmp_path: Path) -> None:
    out = tmp_path / "refreshed.xlsm"
    write_sheets(macro_xlsm, out, funnel_content())
    write_sheets(out, None, funnel_content())
    converted = tmp_path / "converted"
    # Text CSV filter, UTF-8, sheet -1 = every sheet to its own file (LibreOffice >= 7.2).
    csv_filter = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
    for target in (csv_filter, "pdf"):
        libreoffice_convert(out, converted, target)
    pdf = converted / "refreshed.pdf"
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF")
    summary = (converted / "refreshed-Funnel Summary.csv").read_text(encoding="utf-8")
    assert "ABM funnel" in summary and "Opportunity" in summary and "=SUM(A1)" in summary
    scores = (converted / "refreshed-Account Scores.csv").read_text(encoding="utf-8")
    assert scores.splitlines()[0].startswith("account_id,account_name,tier")
