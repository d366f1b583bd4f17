"""OOXML names the writer uses: namespaces, relationship and content types, limits."""

from __future__ import annotations

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_CONTENT_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
NS_XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
NS_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
NS_C = "http://schemas.openxmlformats.org/drawingml/2006/chart"
# ISO/IEC 29500 Strict names every namespace and relationship type under this root.
STRICT_ROOT = "http://purl.oclc.org/ooxml/"

REL_OFFICE_DOCUMENT = NS_R + "/officeDocument"
REL_WORKSHEET = NS_R + "/worksheet"
REL_TABLE = NS_R + "/table"
REL_DRAWING = NS_R + "/drawing"
REL_CHART = NS_R + "/chart"
REL_STYLES = NS_R + "/styles"
REL_CALC_CHAIN = NS_R + "/calcChain"
REL_HYPERLINK = NS_R + "/hyperlink"

CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_TABLE = "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml"
CT_DRAWING = "application/vnd.openxmlformats-officedocument.drawing+xml"
CT_CHART = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"

# Excel's limits: sheet-name length, rows and columns.
MAX_SHEET_NAME = 31
MAX_ROWS = 1_048_576
MAX_COLS = 16_384

STRICT_MESSAGE = (
    "saved as Strict Open XML; save it as an Excel Workbook (.xlsx) or "
    "Excel Macro-Enabled Workbook (.xlsm) and refresh again"
)


def qn(namespace: str, local: str) -> str:
    """An element or attribute name in lxml's ``{namespace}local`` form."""
    return f"{{{namespace}}}{local}"
