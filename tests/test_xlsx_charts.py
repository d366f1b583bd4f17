"""Charts and page setup drawn by the file writer, read back from the chart XML.

The chart parts are parsed with lxml (independent of the writer's string
building); LibreOffice renders the sheet to a PNG to show that a real viewer
draws the charts (the picture is kept under the test's tmp_path to look at).
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from lxml import etree

from abmxl.io.content import (
    FMT_CURRENCY,
    FMT_INTEGER,
    FMT_PERCENT,
    BarChart,
    Cell,
    Chart,
    ChartSeries,
    PrintSetup,
    SheetContent,
    Table,
)
from abmxl.io.xlsx_writer import WorkbookWriteError, write_sheets
from abmxl.render import render_sheet_png

C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
NS = {
    "c": C[1:-1],
    "m": MAIN[1:-1],
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
}

STAGES = ["Target", "Engaged", "Opportunity", "Won"]
PERIODS = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]


def source_book(tmp_path: Path) -> Path:
    path = tmp_path / "book.xlsx"
    workbook = xlsxwriter.Workbook(path)
    workbook.add_worksheet("Data").write(0, 0, "input")
    workbook.close()
    return path


def chart_content() -> SheetContent:
    """A sheet with a clustered bar chart (3 series) and a column-and-line combo."""
    stage_rows = [
        [stage, 400 // (i + 1), 300 // (i + 1), 200 // (i + 1)] for i, stage in enumerate(STAGES)
    ]
    period_rows = [
        [period, 100_000 + 20_000 * i, 40_000 + 15_000 * i, 0.2 + 0.05 * i]
        for i, period in enumerate(PERIODS)
    ]
    return SheetContent(
        name="Trends",
        cells=[Cell(0, 0, "Charts", bold=True, font_size=16)],
        tables=[
            Table("StagesBySegment", 2, 0, ["Stage", "Tier 1", "Tier 2", "Tier 3"], stage_rows),
            Table(
                "Periods",
                10,
                0,
                ["Period", "Pipeline", "Revenue", "Win rate"],
                period_rows,
                [None, FMT_CURRENCY, FMT_CURRENCY, FMT_PERCENT],
            ),
        ],
        charts=[
            Chart(
                name="Stages",
                title="Funnel by tier",
                categories=(3, 0, 6),
                series=[
                    ChartSeries(f"Tier {i}", (3, i, 6), number_format=FMT_INTEGER)
                    for i in (1, 2, 3)
                ],
                direction="bar",
                row=0,
                col=6,
                width_cols=8,
                height_rows=18,
            ),
            Chart(
                name="Trend",
                title="Pipeline and revenue by month",
                categories=(11, 0, 16),
                series=[
                    ChartSeries("Pipeline", (11, 1, 16), number_format=FMT_CURRENCY),
                    ChartSeries("Revenue", (11, 2, 16), number_format=FMT_CURRENCY),
                    ChartSeries(
                        "Win rate",
                        (11, 3, 16),
                        kind="line",
                        secondary_axis=True,
                        number_format=FMT_PERCENT,
                    ),
                ],
                direction="column",
                row=19,
                col=6,
                width_cols=10,
                height_rows=20,
            ),
        ],
        column_widths={0: 14, 1: 12, 2: 12, 3: 12},
        print_setup=PrintSetup(landscape=True, fit_width=1, fit_height=0),
    )


def charts_by_title(path: Path) -> dict[str, etree._Element]:
    with zipfile.ZipFile(path) as archive:
        parts = [n for n in archive.namelist() if n.startswith("xl/charts/chart")]
        roots = [etree.fromstring(archive.read(n)) for n in parts]
    return {"".join(root.xpath("//c:title//a:t/text()", namespaces=NS)): root for root in roots}


def sheet_root(path: Path, part: str) -> etree._Element:
    with zipfile.ZipFile(path) as archive:
        return etree.fromstring(archive.read(part))


def test_clustered_bars_have_every_series_top_down_with_labels(tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    write_sheets(source_book(tmp_path), out, [chart_content()])
    chart = charts_by_title(out)["Funnel by tier"]
    (bar,) = chart.xpath("//c:barChart", namespaces=NS)
    assert bar.xpath("c:barDir/@val", namespaces=NS) == ["bar"]
    assert bar.xpath("c:grouping/@val", namespaces=NS) == ["clustered"]
    assert bar.xpath("c:ser/c:tx/c:v/text()", namespaces=NS) == ["Tier 1", "Tier 2", "Tier 3"]
    assert bar.xpath("c:ser/c:val/c:numRef/c:f/text()", namespaces=NS) == [
        "'Trends'!$B$4:$B$7",
        "'Trends'!$C$4:$C$7",
        "'Trends'!$D$4:$D$7",
    ]
    assert bar.xpath("c:ser[1]/c:cat//c:pt/c:v/text()", namespaces=NS) == STAGES
    tier_2 = bar.xpath("c:ser[2]/c:val//c:pt/c:v/text()", namespaces=NS)
    assert tier_2 == ["300", "150", "100", "75"]
    assert bar.xpath("c:ser/c:dLbls/c:numFmt/@formatCode", namespaces=NS) == [FMT_INTEGER] * 3
    assert bar.xpath("c:ser/c:dLbls/c:showVal/@val", namespaces=NS) == ["1"] * 3
    # First category on top: reversed category axis, value axis crossing at its max.
    assert chart.xpath("//c:catAx/c:scaling/c:orientation/@val", namespaces=NS) == ["maxMin"]
    assert chart.xpath("//c:valAx/c:crosses/@val", namespaces=NS) == ["max"]
    assert chart.xpath("//c:legend/c:legendPos/@val", namespaces=NS) == ["b"]
    assert not chart.xpath("//c:lineChart", namespaces=NS)


def test_column_and_line_combo_has_a_second_value_axis(tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    write_sheets(source_book(tmp_path), out, [chart_content()])
    chart = charts_by_title(out)["Pipeline and revenue by month"]
    (bar,) = chart.xpath("//c:barChart", namespaces=NS)
    (line,) = chart.xpath("//c:lineChart", namespaces=NS)
    assert bar.xpath("c:barDir/@val", namespaces=NS) == ["col"]
    assert bar.xpath("c:ser/c:tx/c:v/text()", namespaces=NS) == ["Pipeline", "Revenue"]
    assert line.xpath("c:ser/c:tx/c:v/text()", namespaces=NS) == ["Win rate"]
    assert line.xpath("c:ser/c:dLbls/c:numFmt/@formatCode", namespaces=NS) == [FMT_PERCENT]
    assert line.xpath("c:ser/c:val//c:formatCode/text()", namespaces=NS) == [FMT_PERCENT]
    value_axes = chart.xpath("//c:valAx", namespaces=NS)
    assert len(value_axes) == 2
    crosses = [axis.xpath("c:crosses/@val", namespaces=NS)[0] for axis in value_axes]
    assert sorted(crosses) == ["autoZero", "max"]
    secondary = value_axes[crosses.index("max")]
    assert secondary.xpath("c:axPos/@val", namespaces=NS) == ["r"]
    assert secondary.xpath("c:numFmt/@formatCode", namespaces=NS) == [FMT_PERCENT]
    # The bars and the line each use their own pair of axes, all of them defined.
    bar_axes = set(bar.xpath("c:axId/@val", namespaces=NS))
    line_axes = set(line.xpath("c:axId/@val", namespaces=NS))
    assert len(bar_axes) == len(line_axes) == 2 and not bar_axes & line_axes
    defined = set(chart.xpath("//c:plotArea/*/c:axId/@val", namespaces=NS)) - bar_axes - line_axes
    assert defined == set()
    ids = chart.xpath("//c:catAx/c:axId/@val | //c:valAx/c:axId/@val", namespaces=NS)
    assert set(ids) == bar_axes | line_axes


def test_bar_chart_is_still_drawn_as_one_series(tmp_path: Path) -> None:
    content = chart_content()
    content.charts = [
        BarChart("Funnel", "Funnel: All targets", (3, 0, 6), (3, 1, 6), "All targets", 0, 6)
    ]
    out = tmp_path / "out.xlsx"
    write_sheets(source_book(tmp_path), out, [content])
    chart = charts_by_title(out)["Funnel: All targets"]
    assert chart.xpath("//c:ser/c:tx/c:v/text()", namespaces=NS) == ["All targets"]
    assert chart.xpath("//c:barDir/@val", namespaces=NS) == ["bar"]
    assert not chart.xpath("//c:legend", namespaces=NS)


def test_a_line_in_a_horizontal_bar_chart_is_refused(tmp_path: Path) -> None:
    content = chart_content()
    content.charts[0].series = [ChartSeries("Tier 1", (3, 1, 6), kind="line")]
    with pytest.raises(WorkbookWriteError, match="line series needs direction 'column'"):
        write_sheets(source_book(tmp_path), tmp_path / "out.xlsx", [content])


def test_print_setup_is_landscape_fit_to_one_page_wide(tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    write_sheets(source_book(tmp_path), out, [chart_content()])
    root = sheet_root(out, "xl/worksheets/sheet2.xml")
    children = [etree.QName(child).localname for child in root]
    assert children[0] == "sheetPr"
    assert root.xpath("m:sheetPr/m:pageSetUpPr/@fitToPage", namespaces=NS) == ["1"]
    (setup,) = root.xpath("m:pageSetup", namespaces=NS)
    assert dict(setup.attrib) == {"orientation": "landscape", "fitToWidth": "1", "fitToHeight": "0"}
    # Schema order: pageMargins, pageSetup, then drawing.
    tail = [c for c in children if c in ("pageMargins", "pageSetup", "drawing", "tableParts")]
    assert tail == ["pageMargins", "pageSetup", "drawing", "tableParts"]
    # A second refresh keeps it (and is byte-identical).
    again = tmp_path / "again.xlsx"
    write_sheets(out, again, [chart_content()])
    assert again.read_bytes() == out.read_bytes()


def test_print_setup_keeps_the_users_page_settings(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    workbook = xlsxwriter.Workbook(path)
    trends = workbook.add_worksheet("Trends")
    trends.set_tab_color("#FF0000")
    trends.set_paper(9)  # A4
    trends.set_margins(left=1.0)
    workbook.close()
    out = tmp_path / "out.xlsx"
    write_sheets(path, out, [chart_content()])
    root = sheet_root(out, "xl/worksheets/sheet1.xml")
    assert root.xpath("m:sheetPr/m:tabColor/@rgb", namespaces=NS) == ["FFFF0000"]
    assert root.xpath("m:sheetPr/m:pageSetUpPr/@fitToPage", namespaces=NS) == ["1"]
    (setup,) = root.xpath("m:pageSetup", namespaces=NS)
    assert setup.get("paperSize") == "9" and setup.get("orientation") == "landscape"
    assert root.xpath("m:pageMargins/@left", namespaces=NS) == ["1.0"]


@pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftoppm") is None,
    reason="LibreOffice and pdftoppm needed",
)
def test_libreoffice_draws_the_charts(tmp_path: Path) -> None:
    out = tmp_path / "charts.xlsx"
    write_sheets(source_book(tmp_path), out, [chart_content()])
    png = render_sheet_png(out, "Trends", tmp_path / "trends.png")
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 20_000
