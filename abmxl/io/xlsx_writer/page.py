"""Page setup of an output sheet: orientation and fit to N pages (``PrintSetup``).

Excel keeps it in two places of the worksheet: ``<sheetPr><pageSetUpPr
fitToPage="1"/></sheetPr>`` switches "Fit to" on, and ``<pageSetup
orientation=... fitToWidth=... fitToHeight=...>`` says how many pages (0 = as
many as needed). What the user set there otherwise (paper size, margins, a
tab colour, the printer settings part) is kept: only these attributes change.
"""

from __future__ import annotations

from lxml import etree

from abmxl.io.content import PrintSetup
from abmxl.io.xlsx_writer.ooxml import NS_MAIN, qn
from abmxl.io.xlsx_writer.xmlparts import insert_in_order

# CT_SheetPr's children, in schema order.
_SHEET_PR_ORDER = ("tabColor", "outlinePr", "pageSetUpPr")
# Excel's default margins (inches), written when the sheet has none: a
# <pageSetup> follows <pageMargins>, which Excel always writes.
DEFAULT_MARGINS = {
    "left": "0.7",
    "right": "0.7",
    "top": "0.75",
    "bottom": "0.75",
    "header": "0.3",
    "footer": "0.3",
}


def fit_to_page(sheet_pr: etree._Element | None) -> etree._Element:
    """``<sheetPr>`` (the sheet's own, or a new one) with fit-to-page switched on."""
    if sheet_pr is None:
        sheet_pr = etree.Element(qn(NS_MAIN, "sheetPr"))
    page = sheet_pr.find(qn(NS_MAIN, "pageSetUpPr"))
    if page is None:
        page = etree.Element(qn(NS_MAIN, "pageSetUpPr"))
        insert_in_order(sheet_pr, page, _SHEET_PR_ORDER)
    page.set("fitToPage", "1")
    return sheet_pr


def page_margins() -> etree._Element:
    element = etree.Element(qn(NS_MAIN, "pageMargins"))
    for name, value in DEFAULT_MARGINS.items():
        element.set(name, value)
    return element


def page_setup(old: etree._Element | None, setup: PrintSetup) -> etree._Element:
    """``<pageSetup>`` with ``setup``'s orientation and fit; ``old``'s other attributes kept."""
    element = old if old is not None else etree.Element(qn(NS_MAIN, "pageSetup"))
    element.set("orientation", "landscape" if setup.landscape else "portrait")
    element.set("fitToWidth", str(max(setup.fit_width, 0)))
    element.set("fitToHeight", str(max(setup.fit_height, 0)))
    return element
