"""Charts and page setup of an output sheet, drawn through xlwings (the Excel door).

The file writer (``abmxl.io.xlsx_writer.chart``) draws the same ``Chart``: the
series, their names, bars or line, the secondary axis, data labels in each
series' number format, the legend, and categories top-down in a horizontal
bar chart. xlwings' own API covers the chart type and the source data; the
rest needs Excel's object model (desktop Excel through COM or AppleScript's
``api``). Where that is missing (xlwings Lite, a remote engine) the chart
keeps what xlwings could draw, and a failure in the decoration never fails a
refresh whose numbers are already written.
"""

from __future__ import annotations

import contextlib
from typing import Any

import xlwings as xw

from abmxl.io.content import BarChart, Chart, PrintSetup, as_chart

# Excel's object-model constants (XlChartType, XlAxisGroup, XlAxisType, ...).
XL_LINE_MARKERS = 65
XL_COLUMN_CLUSTERED = 51
XL_BAR_CLUSTERED = 57
XL_PRIMARY, XL_SECONDARY = 1, 2
XL_CATEGORY, XL_VALUE = 1, 2
XL_AXIS_CROSSES_MAXIMUM = 2
XL_LEGEND_POSITION_BOTTOM = -4107
XL_LANDSCAPE, XL_PORTRAIT = 2, 1

CHART_TYPES = {"bar": "bar_clustered", "column": "column_clustered"}


def add_chart(sheet: xw.Sheet, spec: BarChart | Chart) -> xw.Chart:
    """Draw ``spec`` on ``sheet`` (its cells are already written); returns the chart."""
    spec = as_chart(spec)
    area = sheet.range((spec.row + 1, spec.col + 1))
    corner = sheet.range((spec.row + spec.height_rows, spec.col + spec.width_cols))
    chart = sheet.charts.add(
        area.left, area.top, corner.left + corner.width - area.left, corner.top - area.top
    )
    chart.chart_type = CHART_TYPES[spec.direction]
    chart.set_source_data(_source_block(sheet, spec))
    chart.name = spec.name
    try:
        com = chart.api[1]
    except Exception:  # no object model on this engine: the plain chart stays
        return chart
    with contextlib.suppress(Exception):
        _decorate(sheet, com, spec)
    return chart


def _source_block(sheet: xw.Sheet, spec: Chart) -> xw.Range:
    """The rectangle from the categories to the last series column (xlwings' own API).

    It is what an engine without an object model draws; with one, the series
    are then set one by one.
    """
    first, col, last = spec.categories
    right = max([col, *(s.values[1] for s in spec.series)])
    return sheet.range((first + 1, col + 1), (last + 1, right + 1))


def _decorate(sheet: xw.Sheet, com: Any, spec: Chart) -> None:
    """Series, axes, labels, title and legend through Excel's object model."""
    com.HasTitle = True
    com.ChartTitle.Text = spec.title
    collection = com.SeriesCollection()
    while collection.Count:
        collection.Item(collection.Count).Delete()
    first, col, last = spec.categories
    categories = sheet.range((first + 1, col + 1), (last + 1, col + 1))
    for series_spec in spec.series:
        v_first, v_col, v_last = series_spec.values
        series = collection.NewSeries()
        series.Name = series_spec.name
        series.Values = sheet.range((v_first + 1, v_col + 1), (v_last + 1, v_col + 1)).api
        series.XValues = categories.api
        if series_spec.kind == "line":
            series.ChartType = XL_LINE_MARKERS
        else:
            series.ChartType = XL_BAR_CLUSTERED if spec.direction == "bar" else XL_COLUMN_CLUSTERED
        if series_spec.secondary_axis:
            series.AxisGroup = XL_SECONDARY
        if spec.data_labels:
            series.HasDataLabels = True
            if series_spec.number_format:
                series.DataLabels().NumberFormat = series_spec.number_format
    com.HasLegend = spec.legend
    if spec.legend:
        com.Legend.Position = XL_LEGEND_POSITION_BOTTOM
    if spec.direction == "bar":
        # The first category on top (Excel draws it at the bottom), and the
        # value axis kept at the bottom by crossing at the last category.
        axis = com.Axes(XL_CATEGORY, XL_PRIMARY)
        axis.ReversePlotOrder = True
        axis.Crosses = XL_AXIS_CROSSES_MAXIMUM
    for group in (XL_PRIMARY, XL_SECONDARY):
        number_format = next(
            (
                s.number_format
                for s in spec.series
                if s.number_format and s.secondary_axis == (group == XL_SECONDARY)
            ),
            None,
        )
        if number_format:
            with contextlib.suppress(Exception):  # no secondary axis: nothing to format
                com.Axes(XL_VALUE, group).TickLabels.NumberFormat = number_format


def apply_print_setup(sheet: xw.Sheet, setup: PrintSetup) -> None:
    """Orientation and fit-to-pages, where Excel's object model is available."""
    with contextlib.suppress(Exception):
        page = sheet.api.PageSetup
        page.Orientation = XL_LANDSCAPE if setup.landscape else XL_PORTRAIT
        page.Zoom = False
        # 0 pages means "as many as needed": Excel says that with False.
        page.FitToPagesWide = setup.fit_width or False
        page.FitToPagesTall = setup.fit_height or False
