"""Page setup of an output sheet: orientation and fit to N pages (``PrintSetup``).

Excel keeps it in two places of the worksheet: ``<sheetPr><pageSetUpPr
fitToPage="1"/></sheetPr>`` switches "Fit to" on, and ``<pageSetup
orientation=... fitToWidth=... fitToHeight=...>`` says how many pages (0 = as
many as needed). What the user set there otherwise (paper size, margins, a
tab colour, the printer settings part) is kept: only these attributes change.
"""

from __future__ import annotations

from abmxl.io.content import PrintSetup
from abmxl.io.xlsx_writer.xmlscan import attributes, children, inner, root_element
from abmxl.io.xlsx_writer.xmltext import format_attributes

# Excel's default margins (inches), written when the sheet has none: a
# <pageSetup> must follow <pageMargins>, which Excel always writes.
DEFAULT_PAGE_MARGINS = (
    '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
)

# CT_SheetPr's children, in order: pageSetUpPr comes after these.
_BEFORE_PAGE_SETUP_PR = ("tabColor", "outlinePr")


def sheet_properties(old: str | None) -> str:
    """``<sheetPr>`` with fit-to-page on; ``old`` (the sheet's own) otherwise kept."""
    if old is None:
        return '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
    root = root_element(old)
    start_tag = old[root.start : root.start_tag_end]
    items = children(old, *inner(old, root))
    for item in items:
        if item.name == "pageSetUpPr":
            tag = old[item.start : item.start_tag_end]
            values = attributes(tag)
            values["fitToPage"] = "1"
            closing = "/>" if item.start_tag_end == item.end else ">"
            new_tag = f"<{item.qname}{format_attributes(values)}{closing}"
            return old[: item.start] + new_tag + old[item.start_tag_end :]
    # Unprefixed: the rebuilt worksheet's default namespace is SpreadsheetML.
    element = '<pageSetUpPr fitToPage="1"/>'
    if root.start_tag_end == root.end:  # <sheetPr .../>
        return f"{start_tag[:-2].rstrip()}>{element}</{root.qname}>"
    at = inner(old, root)[0]
    for item in items:
        if item.name in _BEFORE_PAGE_SETUP_PR:
            at = item.end
    return old[:at] + element + old[at:]


def page_setup(old: str | None, setup: PrintSetup) -> str:
    """``<pageSetup>`` with ``setup``'s orientation and fit; ``old``'s other attributes kept."""
    values: dict[str, str] = {}
    name = "pageSetup"
    if old is not None:
        root = root_element(old)
        name = root.qname
        values = attributes(old[root.start : root.start_tag_end])
    values["orientation"] = "landscape" if setup.landscape else "portrait"
    values["fitToWidth"] = str(max(setup.fit_width, 0))
    values["fitToHeight"] = str(max(setup.fit_height, 0))
    return f"<{name}{format_attributes(values)}/>"
