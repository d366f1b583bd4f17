"""An output sheet's drawing: the user's shapes kept, the charts this writer owns redrawn.

A chart of ours is an anchor whose drawing-object name starts with
``"abmxl "`` and whose graphic frame points to a chart part. The drawing part
is edited as a tree: our anchors are removed, new ones appended, every other
anchor (buttons, pictures, the user's own charts) is left as it was.
"""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from abmxl.io.content import BarChart, Chart, SheetContent, as_chart
from abmxl.io.xlsx_writer.chart import chart_xml
from abmxl.io.xlsx_writer.ooxml import (
    CT_CHART,
    CT_DRAWING,
    NS_A,
    NS_C,
    NS_R,
    NS_XDR,
    REL_CHART,
    REL_DRAWING,
    qn,
)
from abmxl.io.xlsx_writer.package import (
    ContentTypes,
    Package,
    Relationship,
    RelationshipsPart,
    next_relationship_id,
    relationships_xml,
    relative,
    rels_part,
    resolve,
)
from abmxl.io.xlsx_writer.xmlparts import XmlPart
from abmxl.io.xlsx_writer.xmltext import XML_DECLARATION, escape_attr

# Charts this writer owns are recognised by their drawing-object name.
OUR_CHART_PREFIX = "abmxl "

_NEW_DRAWING = f'{XML_DECLARATION}<xdr:wsDr xmlns:xdr="{NS_XDR}" xmlns:a="{NS_A}"></xdr:wsDr>'
_EMPTY_RELS = relationships_xml([])
_ANCHOR_NAMESPACES = f'xmlns:xdr="{NS_XDR}" xmlns:a="{NS_A}" xmlns:c="{NS_C}" xmlns:r="{NS_R}"'


def anchor_element(chart: BarChart | Chart, shape_id: int, rel_id: str) -> etree._Element:
    """A two-cell anchor holding a graphic frame that shows the chart part ``rel_id``."""

    def marker(tag: str, col: int, row: int) -> str:
        return (
            f"<xdr:{tag}><xdr:col>{col}</xdr:col><xdr:colOff>0</xdr:colOff>"
            f"<xdr:row>{row}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:{tag}>"
        )

    name = escape_attr(OUR_CHART_PREFIX + chart.name)
    text = (
        f"<wrap {_ANCHOR_NAMESPACES}>"
        '<xdr:twoCellAnchor editAs="oneCell">'
        + marker("from", chart.col, chart.row)
        + marker("to", chart.col + chart.width_cols, chart.row + chart.height_rows)
        + '<xdr:graphicFrame macro="">'
        f'<xdr:nvGraphicFramePr><xdr:cNvPr id="{shape_id}" name="{name}"/>'
        "<xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr>"
        '<xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm>'
        f'<a:graphic><a:graphicData uri="{NS_C}"><c:chart r:id="{rel_id}"/></a:graphicData>'
        "</a:graphic></xdr:graphicFrame><xdr:clientData/></xdr:twoCellAnchor></wrap>"
    )
    return etree.fromstring(text)[0]


def _our_chart(anchor: etree._Element, rels_by_id: dict[str, Relationship]) -> str | None:
    """The chart name if ``anchor`` is one of our charts, else None."""
    frame_name = next(
        (
            element.get("name", "")
            for element in anchor.iter(qn(NS_XDR, "cNvPr"))
            if element.get("name", "").startswith(OUR_CHART_PREFIX)
        ),
        None,
    )
    if frame_name is None:
        return None
    for element in anchor.iter(qn(NS_C, "chart")):
        if element.get(qn(NS_R, "id")) in rels_by_id:
            return frame_name[len(OUR_CHART_PREFIX) :]
    return None


def _shape_ids(anchors: Sequence[etree._Element]) -> list[int]:
    ids = []
    for anchor in anchors:
        for element in anchor.iter(qn(NS_XDR, "cNvPr")):
            value = element.get("id", "")
            if value.isdigit():
                ids.append(int(value))
    return ids


def update_drawing(
    pkg: Package,
    content_types: ContentTypes,
    content: SheetContent,
    sheet_part: str,
    drawing_rel: Relationship | None,
    sheet_rels: list[Relationship],
) -> Relationship | None:
    """Update or create the sheet's drawing; returns its relationship or None.

    ``drawing_rel`` is the sheet's current drawing relationship (None: none);
    ``sheet_rels`` (the sheet's relationships that stay) is updated in place.
    """
    part = resolve(sheet_part, drawing_rel.target) if drawing_rel else None
    if drawing_rel is not None and (part is None or not pkg.exists(part)):
        sheet_rels.remove(drawing_rel)  # dangling: the part is missing
        drawing_rel = part = None
    if part is None and not content.charts:
        return None

    if part is not None:
        drawing = XmlPart(part, pkg.read(part))
        existing_rels = pkg.rels_of(part)
    else:
        part = pkg.free_name("xl/drawings/drawing{}.xml")
        drawing = XmlPart(part, _NEW_DRAWING.encode())
        existing_rels = None
    if existing_rels is None:  # a relationships part of the drawing's own
        existing_rels = RelationshipsPart(rels_part(part), _EMPTY_RELS)
    old_rels = list(existing_rels.rels)
    root = drawing.root

    rels_by_id = {r.id: r for r in old_rels}
    ours: dict[str, Relationship] = {}
    for anchor in list(root):
        if not isinstance(anchor.tag, str):
            continue
        name = _our_chart(anchor, rels_by_id)
        if name is None:
            continue
        rid = next(e.get(qn(NS_R, "id")) for e in anchor.iter(qn(NS_C, "chart")))
        ours[name] = rels_by_id[rid]
        root.remove(anchor)
    next_shape = 1 + max(_shape_ids([a for a in root if isinstance(a.tag, str)]), default=1)

    for chart in content.charts:
        rel = ours.pop(chart.name, None)
        if rel is not None:
            chart_part = resolve(part, rel.target)
        else:
            chart_part = pkg.free_name("xl/charts/chart{}.xml")
            rel = existing_rels.add(REL_CHART, relative(part, chart_part))
        pkg.write(chart_part, chart_xml(as_chart(chart), content))
        content_types.add(chart_part, CT_CHART)
        root.append(anchor_element(chart, next_shape, rel.id))
        next_shape += 1
    for stale in ours.values():  # our charts the content no longer has
        stale_part = resolve(part, stale.target)
        pkg.delete(stale_part)
        pkg.delete(rels_part(stale_part))
        content_types.remove(stale_part)
        existing_rels.remove(stale)

    if not any(isinstance(anchor.tag, str) for anchor in root):
        pkg.delete(part)
        pkg.delete(rels_part(part))
        content_types.remove(part)
        if drawing_rel is not None:
            sheet_rels.remove(drawing_rel)
        return None

    pkg.write(part, drawing.to_bytes())
    if existing_rels.rels:
        pkg.write(rels_part(part), existing_rels.to_bytes())
    else:
        pkg.delete(rels_part(part))
    content_types.add(part, CT_DRAWING)
    if drawing_rel is None:
        drawing_rel = Relationship(
            next_relationship_id(sheet_rels), REL_DRAWING, relative(sheet_part, part)
        )
        sheet_rels.append(drawing_rel)
    return drawing_rel
