"""The Excel door's charts and page setup (``abmxl.io.xlwings_charts``) on a recording fake.

There is no Excel on the build machine, so the xlwings sheet and Excel's chart
object model are stood in for by objects that record what is set on them;
the test checks the same chart the file writer draws is asked for: chart
type, one series per ``ChartSeries`` with its name and ranges, line series and
the secondary axis group, data labels in the series' format, the legend, the
reversed category axis of a bar chart, and the page setup.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from abmxl.io import xlwings_charts
from abmxl.io.content import BarChart, Chart, ChartSeries, PrintSetup


class Recorder(SimpleNamespace):
    """Accepts any attribute assignment and remembers it."""


class FakeRange:
    def __init__(self, first: tuple[int, int], last: tuple[int, int] | None = None) -> None:
        self.first, self.last = first, last or first
        self.left, self.top = first[1] * 50.0, first[0] * 15.0
        self.width, self.height = 50.0, 15.0
        self.api = ("range", self.first, self.last)


class FakeSeries(Recorder):
    def DataLabels(self) -> Recorder:
        if not hasattr(self, "labels"):
            self.labels = Recorder()
        return self.labels


class FakeCollection:
    def __init__(self, existing: int) -> None:
        self.items: list[Any] = [FakeSeries() for _ in range(existing)]

    @property
    def Count(self) -> int:
        return len(self.items)

    def Item(self, index: int) -> Any:
        item = self.items[index - 1]
        item.Delete = lambda: self.items.remove(item)
        return item

    def NewSeries(self) -> FakeSeries:
        series = FakeSeries()
        self.items.append(series)
        return series


class FakeComChart(Recorder):
    def __init__(self) -> None:
        super().__init__(ChartTitle=Recorder(), Legend=Recorder())
        self.collection = FakeCollection(existing=2)  # what set_source_data made
        self.axes: dict[tuple[int, int], Recorder] = {}

    def SeriesCollection(self) -> FakeCollection:
        return self.collection

    def Axes(self, kind: int, group: int = 1) -> Recorder:
        return self.axes.setdefault((kind, group), Recorder(TickLabels=Recorder()))


class FakeChart(Recorder):
    def set_source_data(self, source: FakeRange) -> None:
        self.source = source


class FakeSheet:
    def __init__(self) -> None:
        self.com = FakeComChart()
        self.added: list[FakeChart] = []
        self.charts = SimpleNamespace(add=self._add)
        self.api = SimpleNamespace(PageSetup=Recorder())

    def _add(self, left: float, top: float, width: float, height: float) -> FakeChart:
        chart = FakeChart(api=(None, self.com), box=(left, top, width, height))
        self.added.append(chart)
        return chart

    def range(self, first: tuple[int, int], last: tuple[int, int] | None = None) -> FakeRange:
        return FakeRange(first, last)


def test_a_column_and_line_combo_is_drawn_series_by_series() -> None:
    sheet = FakeSheet()
    spec = Chart(
        name="Trend",
        title="Pipeline by month",
        categories=(11, 0, 16),
        series=[
            ChartSeries("Pipeline", (11, 1, 16), number_format="$#,##0"),
            ChartSeries("Win rate", (11, 3, 16), "line", secondary_axis=True, number_format="0%"),
        ],
        direction="column",
        row=19,
        col=6,
    )
    xlwings_charts.add_chart(sheet, spec)  # type: ignore[arg-type]
    (chart,) = sheet.added
    assert chart.chart_type == "column_clustered" and chart.name == "Trend"
    assert chart.source.first == (12, 1) and chart.source.last == (17, 4)
    com = sheet.com
    assert com.HasTitle and com.ChartTitle.Text == "Pipeline by month"
    pipeline, rate = com.collection.items  # the two from set_source_data were replaced
    assert pipeline.Name == "Pipeline" and rate.Name == "Win rate"
    assert pipeline.Values == ("range", (12, 2), (17, 2))
    assert rate.XValues == ("range", (12, 1), (17, 1))
    assert pipeline.ChartType == xlwings_charts.XL_COLUMN_CLUSTERED
    assert rate.ChartType == xlwings_charts.XL_LINE_MARKERS
    assert rate.AxisGroup == xlwings_charts.XL_SECONDARY and not hasattr(pipeline, "AxisGroup")
    assert pipeline.labels.NumberFormat == "$#,##0" and rate.labels.NumberFormat == "0%"
    assert com.HasLegend and com.Legend.Position == xlwings_charts.XL_LEGEND_POSITION_BOTTOM
    assert com.axes[(2, 2)].TickLabels.NumberFormat == "0%"
    assert not hasattr(com.axes.get((1, 1), Recorder()), "ReversePlotOrder")


def test_the_funnel_bar_chart_lists_stages_top_down() -> None:
    sheet = FakeSheet()
    spec = BarChart("Funnel", "Funnel: All targets", (7, 0, 12), (7, 1, 12), "All targets", 0, 9)
    xlwings_charts.add_chart(sheet, spec)  # type: ignore[arg-type]
    (chart,) = sheet.added
    assert chart.chart_type == "bar_clustered"
    (series,) = sheet.com.collection.items
    assert series.Name == "All targets" and series.HasDataLabels
    assert sheet.com.HasLegend is False
    axis = sheet.com.axes[(1, 1)]
    assert axis.ReversePlotOrder is True and axis.Crosses == xlwings_charts.XL_AXIS_CROSSES_MAXIMUM


def test_without_an_object_model_the_plain_chart_stays() -> None:
    sheet = FakeSheet()
    sheet._add = lambda *box: FakeChart(api=None)  # type: ignore[method-assign]
    sheet.charts = SimpleNamespace(add=sheet._add)
    spec = BarChart("Funnel", "Funnel", (7, 0, 12), (7, 1, 12), "All targets", 0, 9)
    chart = xlwings_charts.add_chart(sheet, spec)  # type: ignore[arg-type]
    assert chart.chart_type == "bar_clustered" and chart.name == "Funnel"


def test_print_setup_landscape_fit_to_one_page_wide() -> None:
    sheet = FakeSheet()
    xlwings_charts.apply_print_setup(sheet, PrintSetup(True, 1, 0))  # type: ignore[arg-type]
    page = sheet.api.PageSetup
    assert page.Orientation == xlwings_charts.XL_LANDSCAPE
    assert page.Zoom is False and page.FitToPagesWide == 1 and page.FitToPagesTall is False
