"""DrawingML chart parts for ``Chart``: clustered bars, columns, column-and-line combos.

One chart part per ``Chart``. Series are grouped by how they are drawn (bars or
a line) and by axis (primary or secondary); each group is one ``c:barChart`` or
``c:lineChart`` of the plot area, in the order the series first use it. The
primary axes are a category axis (``c:catAx``) and a value axis (``c:valAx``);
a series on the secondary axis adds a hidden second category axis and a
second value axis that crosses it at its maximum, i.e. on the right of a
column chart. Caches of the categories and values are written too, so that a
viewer that does not recalculate (or a file preview) shows the data.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from abmxl.io.content import Chart, ChartSeries, SheetContent
from abmxl.io.xlsx_writer.grid import value_at
from abmxl.io.xlsx_writer.xmltext import (
    XML_DECLARATION,
    absolute_range,
    escape_attr,
    is_missing,
    number_text,
    xml_text,
)

NS_C = "http://schemas.openxmlformats.org/drawingml/2006/chart"
NS_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

# Axis ids (any unique unsigned ints; fixed so that refreshes are byte-identical).
PRIMARY_CATEGORY_AXIS, PRIMARY_VALUE_AXIS = 500000001, 500000002
SECONDARY_CATEGORY_AXIS, SECONDARY_VALUE_AXIS = 500000003, 500000004

_LABEL_FLAGS = (
    '<c:showLegendKey val="0"/><c:showVal val="{show}"/><c:showCatName val="0"/>'
    '<c:showSerName val="0"/><c:showPercent val="0"/><c:showBubbleSize val="0"/>'
)


class ChartError(ValueError):
    """A chart the writer cannot draw (a line series in a horizontal bar chart)."""


def check_chart(chart: Chart) -> None:
    """Refuse a chart that Excel cannot draw as described."""
    if not chart.series:
        raise ChartError(f"chart {chart.name!r} has no series")
    if chart.direction == "bar" and any(s.kind == "line" for s in chart.series):
        raise ChartError(f"chart {chart.name!r}: a line series needs direction 'column'")


def chart_xml(chart: Chart, content: SheetContent) -> bytes:
    """The chart part (``xl/charts/chartN.xml``) of ``chart`` on ``content``'s sheet."""
    check_chart(chart)
    categories = _category_cache(chart, content)
    groups: dict[tuple[str, bool], list[tuple[int, ChartSeries]]] = {}
    has_primary = any(not s.secondary_axis for s in chart.series)
    for index, series in enumerate(chart.series):
        # With no primary series at all, the "secondary" one is the only axis.
        secondary = series.secondary_axis and has_primary
        groups.setdefault((series.kind, secondary), []).append((index, series))
    has_secondary = any(secondary for _, secondary in groups)

    plot = [
        _group_xml(chart, content, kind, secondary, members, categories)
        for (kind, secondary), members in groups.items()
    ]
    plot.append(_axes_xml(chart, has_secondary))
    legend = (
        '<c:legend><c:legendPos val="b"/><c:overlay val="0"/></c:legend>' if chart.legend else ""
    )
    return (
        f"{XML_DECLARATION}"
        f'<c:chartSpace xmlns:c="{NS_C}" xmlns:a="{NS_A}" xmlns:r="{NS_R}">'
        '<c:roundedCorners val="0"/>'
        "<c:chart>"
        "<c:title><c:tx><c:rich><a:bodyPr/><a:p><a:r>"
        f"<a:t>{xml_text(chart.title)}</a:t></a:r></a:p></c:rich></c:tx>"
        '<c:overlay val="0"/></c:title>'
        '<c:autoTitleDeleted val="0"/>'
        "<c:plotArea><c:layout/>" + "".join(plot) + "</c:plotArea>"
        f'{legend}<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/>'
        "</c:chart>"
        "</c:chartSpace>"
    ).encode()


def _category_cache(chart: Chart, content: SheetContent) -> str:
    first, col, last = chart.categories
    values = [value_at(content, r, col) for r in range(first, last + 1)]
    points = "".join(
        f'<c:pt idx="{i}"><c:v>{xml_text(str(v))}</c:v></c:pt>'
        for i, v in enumerate(values)
        if not is_missing(v)
    )
    reference = xml_text(absolute_range(content.name, *chart.categories))
    return (
        f"<c:cat><c:strRef><c:f>{reference}</c:f>"
        f'<c:strCache><c:ptCount val="{len(values)}"/>{points}</c:strCache>'
        "</c:strRef></c:cat>"
    )


def _number(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        return None
    return number_text(float(value))


def _series_xml(
    index: int, series: ChartSeries, chart: Chart, content: SheetContent, categories: str
) -> str:
    first, col, last = series.values
    values = [_number(value_at(content, r, col)) for r in range(first, last + 1)]
    points = "".join(
        f'<c:pt idx="{i}"><c:v>{text}</c:v></c:pt>' for i, text in enumerate(values) if text
    )
    number_format = escape_attr(series.number_format or "General")
    labels = ""
    if chart.data_labels:
        linked = "0" if series.number_format else "1"
        position = '<c:dLblPos val="t"/>' if series.kind == "line" else ""
        labels = (
            f'<c:dLbls><c:numFmt formatCode="{number_format}" sourceLinked="{linked}"/>'
            f"{position}{_LABEL_FLAGS.format(show=1)}</c:dLbls>"
        )
    reference = xml_text(absolute_range(content.name, *series.values))
    values_xml = (
        f"<c:val><c:numRef><c:f>{reference}</c:f>"
        f"<c:numCache><c:formatCode>{xml_text(series.number_format or 'General')}</c:formatCode>"
        f'<c:ptCount val="{len(values)}"/>{points}</c:numCache></c:numRef></c:val>'
    )
    head = (
        f'<c:ser><c:idx val="{index}"/><c:order val="{index}"/>'
        f"<c:tx><c:v>{xml_text(series.name)}</c:v></c:tx>"
    )
    if series.kind == "line":
        # CT_LineSer: ... tx, spPr, marker, dPt, dLbls, ..., cat, val, smooth
        style = '<c:spPr><a:ln w="28575" cap="rnd"><a:round/></a:ln></c:spPr>'
        marker = '<c:marker><c:symbol val="circle"/><c:size val="6"/></c:marker>'
        return f'{head}{style}{marker}{labels}{categories}{values_xml}<c:smooth val="0"/></c:ser>'
    # CT_BarSer: ... tx, spPr, invertIfNegative, pictureOptions, dPt, dLbls, ..., cat, val
    return f'{head}<c:invertIfNegative val="0"/>{labels}{categories}{values_xml}</c:ser>'


def _group_xml(
    chart: Chart,
    content: SheetContent,
    kind: str,
    secondary: bool,
    members: Sequence[tuple[int, ChartSeries]],
    categories: str,
) -> str:
    series = "".join(_series_xml(i, s, chart, content, categories) for i, s in members)
    axes = (
        (SECONDARY_CATEGORY_AXIS, SECONDARY_VALUE_AXIS)
        if secondary
        else (PRIMARY_CATEGORY_AXIS, PRIMARY_VALUE_AXIS)
    )
    axis_ids = "".join(f'<c:axId val="{a}"/>' for a in axes)
    if kind == "line":
        return (
            '<c:lineChart><c:grouping val="standard"/><c:varyColors val="0"/>'
            f'{series}<c:marker val="1"/>{axis_ids}</c:lineChart>'
        )
    return (
        f'<c:barChart><c:barDir val="{"bar" if chart.direction == "bar" else "col"}"/>'
        '<c:grouping val="clustered"/><c:varyColors val="0"/>'
        f'{series}<c:gapWidth val="50"/>{axis_ids}</c:barChart>'
    )


def _axes_xml(chart: Chart, has_secondary: bool) -> str:
    horizontal = chart.direction == "bar"
    # Horizontal bars list the categories top-down (maxMin, the first on top);
    # the value axis then crosses at the maximum category to stay at the bottom.
    orientation = "maxMin" if horizontal else "minMax"
    value_crosses = "max" if horizontal else "autoZero"
    primary_format = next(
        (s.number_format for s in chart.series if not s.secondary_axis and s.number_format), None
    )
    axes = [
        _category_axis(PRIMARY_CATEGORY_AXIS, PRIMARY_VALUE_AXIS, orientation, horizontal, False),
        _value_axis(
            PRIMARY_VALUE_AXIS,
            PRIMARY_CATEGORY_AXIS,
            "b" if horizontal else "l",
            value_crosses,
            primary_format,
            gridlines=True,
        ),
    ]
    if has_secondary:
        secondary_format = next(
            (s.number_format for s in chart.series if s.secondary_axis and s.number_format), None
        )
        axes.append(
            _category_axis(
                SECONDARY_CATEGORY_AXIS, SECONDARY_VALUE_AXIS, orientation, horizontal, True
            )
        )
        # The second value axis sits opposite the first: right of columns
        # (crossing the hidden category axis at its maximum), above bars.
        axes.append(
            _value_axis(
                SECONDARY_VALUE_AXIS,
                SECONDARY_CATEGORY_AXIS,
                "t" if horizontal else "r",
                "autoZero" if horizontal else "max",
                secondary_format,
                gridlines=False,
            )
        )
    return "".join(axes)


def _category_axis(
    axis_id: int, cross_id: int, orientation: str, horizontal: bool, hidden: bool
) -> str:
    return (
        f'<c:catAx><c:axId val="{axis_id}"/>'
        f'<c:scaling><c:orientation val="{orientation}"/></c:scaling>'
        f'<c:delete val="{int(hidden)}"/><c:axPos val="{"l" if horizontal else "b"}"/>'
        '<c:numFmt formatCode="General" sourceLinked="0"/>'
        '<c:majorTickMark val="none"/><c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>'
        f'<c:crossAx val="{cross_id}"/><c:crosses val="autoZero"/><c:auto val="1"/>'
        '<c:lblAlgn val="ctr"/><c:lblOffset val="100"/><c:noMultiLvlLbl val="0"/></c:catAx>'
    )


def _value_axis(
    axis_id: int,
    cross_id: int,
    position: str,
    crosses: str,
    number_format: str | None,
    gridlines: bool,
) -> str:
    if number_format:
        fmt = f'<c:numFmt formatCode="{escape_attr(number_format)}" sourceLinked="0"/>'
    else:
        fmt = '<c:numFmt formatCode="General" sourceLinked="1"/>'
    return (
        f'<c:valAx><c:axId val="{axis_id}"/>'
        '<c:scaling><c:orientation val="minMax"/></c:scaling>'
        f'<c:delete val="0"/><c:axPos val="{position}"/>'
        + ("<c:majorGridlines/>" if gridlines else "")
        + fmt
        + '<c:majorTickMark val="out"/><c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>'
        f'<c:crossAx val="{cross_id}"/><c:crosses val="{crosses}"/>'
        '<c:crossBetween val="between"/></c:valAx>'
    )
