"""``styles.xml``: find or append the number formats, fonts and cell formats the outputs use.

An existing identical number format, font or cell format is reused, so a
second refresh appends nothing and leaves the part byte-identical. The part is
edited as a tree (lxml): elements are found by namespace, whatever prefix the
saving application chose, and new ones go where the schema puts them.
"""

from __future__ import annotations

import copy

from lxml import etree

from abmxl.io.xlsx_writer.errors import WorkbookWriteError, parse_int
from abmxl.io.xlsx_writer.ooxml import NS_MAIN, qn
from abmxl.io.xlsx_writer.xmlparts import XmlPart, insert_in_order
from abmxl.io.xlsx_writer.xmltext import XML_DECLARATION, number_text

MINIMAL_STYLES = (
    f'{XML_DECLARATION}<styleSheet xmlns="{NS_MAIN}">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
).encode()

# CT_Stylesheet's children, in schema order.
_STYLESHEET_ORDER = (
    "numFmts",
    "fonts",
    "fills",
    "borders",
    "cellStyleXfs",
    "cellXfs",
    "cellStyles",
    "dxfs",
    "tableStyles",
    "colors",
    "extLst",
)
# Number formats Excel knows by id; any other format gets a custom id >= 164.
BUILTIN_NUMBER_FORMATS = {
    "General": 0,
    "0": 1,
    "0.00": 2,
    "#,##0": 3,
    "#,##0.00": 4,
    "0%": 9,
    "0.00%": 10,
    "0.00E+00": 11,
    "@": 49,
}
FIRST_CUSTOM_NUMBER_FORMAT = 164
DEFAULT_FONT_SIZE = "11"


def _signature(element: etree._Element) -> tuple:
    """What an element says, independent of prefixes and attribute order."""
    return (
        element.tag,
        tuple(sorted(element.attrib.items())),
        tuple(_signature(child) for child in element if isinstance(child.tag, str)),
    )


class Styles:
    """The workbook's stylesheet with the cell formats the outputs need."""

    def __init__(self, name: str, data: bytes) -> None:
        self.part = XmlPart(name, data)
        self.root = self.part.root
        if self.root.tag != qn(NS_MAIN, "styleSheet"):
            raise WorkbookWriteError(f"corrupt workbook ({name} is not a SpreadsheetML stylesheet)")
        self.changed = False
        self._cache: dict[tuple[str | None, bool, float | None], int] = {}

    def to_bytes(self) -> bytes:
        return self.part.to_bytes()

    def _block(self, local: str, create: bool = False) -> etree._Element | None:
        block = self.root.find(qn(NS_MAIN, local))
        if block is None and create:
            block = etree.Element(qn(NS_MAIN, local))
            block.set("count", "0")
            insert_in_order(self.root, block, _STYLESHEET_ORDER)
        return block

    def _items(self, block: etree._Element | None, local: str) -> list[etree._Element]:
        return [] if block is None else block.findall(qn(NS_MAIN, local))

    def _append(self, block: etree._Element, element: etree._Element) -> int:
        """Append ``element`` to a list element; returns its index."""
        index = len(self._items(block, etree.QName(element).localname))
        block.append(element)
        block.set("count", str(index + 1))
        self.changed = True
        return index

    def _number_format_id(self, code: str) -> int:
        if code in BUILTIN_NUMBER_FORMATS:
            return BUILTIN_NUMBER_FORMATS[code]
        block = self._block("numFmts")
        used = [FIRST_CUSTOM_NUMBER_FORMAT - 1]
        for item in self._items(block, "numFmt"):
            if item.get("formatCode") == code:
                return parse_int(item.get("numFmtId"), "numFmtId")
            used.append(parse_int(item.get("numFmtId"), "numFmtId"))
        new_id = max(used) + 1
        element = etree.Element(qn(NS_MAIN, "numFmt"))
        element.set("numFmtId", str(new_id))
        element.set("formatCode", code)
        self._append(self._block("numFmts", create=True), element)  # type: ignore[arg-type]
        return new_id

    def _font_id(self, bold: bool, size: float | None) -> int:
        if not bold and size is None:
            return 0
        fonts = self._block("fonts")
        items = self._items(fonts, "font")
        if fonts is None or not items:
            raise WorkbookWriteError("corrupt workbook (styles.xml has no fonts)")
        base = items[0]
        # The default font with bold and size set; every font gets a <sz>
        # (Excel repairs a font without one): the given size, else the default's.
        base_size = base.find(qn(NS_MAIN, "sz"))
        size_text = (
            number_text(size)
            if size is not None
            else (base_size.get("val") if base_size is not None else None)
        ) or DEFAULT_FONT_SIZE
        font = copy.deepcopy(base)
        for child in list(font):
            if isinstance(child.tag, str) and etree.QName(child).localname in ("b", "sz"):
                font.remove(child)
        sz = etree.Element(qn(NS_MAIN, "sz"))
        sz.set("val", size_text)
        font.insert(0, sz)
        if bold:
            font.insert(0, etree.Element(qn(NS_MAIN, "b")))
        wanted = _signature(font)
        for i, item in enumerate(items):
            if _signature(item) == wanted:
                return i
        return self._append(fonts, font)

    def style(
        self, number_format: str | None, bold: bool = False, size: float | None = None
    ) -> int:
        """The cellXfs index for a number format and font; 0 for the default."""
        key = (number_format, bold, size)
        if key in self._cache:
            return self._cache[key]
        if number_format in (None, "General") and not bold and size is None:
            self._cache[key] = 0
            return 0
        fmt_id = self._number_format_id(number_format) if number_format else 0
        font_id = self._font_id(bold, size)
        wanted = {
            "numFmtId": str(fmt_id),
            "fontId": str(font_id),
            "fillId": "0",
            "borderId": "0",
            "xfId": "0",
        }
        if fmt_id:
            wanted["applyNumberFormat"] = "1"
        if font_id:
            wanted["applyFont"] = "1"
        block = self._block("cellXfs", create=True)
        assert block is not None
        index = None
        for i, item in enumerate(self._items(block, "xf")):
            # An xf with alignment or protection children is not one of ours.
            if len(item) == 0 and dict(item.attrib) == wanted:
                index = i
                break
        if index is None:
            element = etree.Element(qn(NS_MAIN, "xf"))
            for name, value in wanted.items():
                element.set(name, value)
            index = self._append(block, element)
        self._cache[key] = index
        return index

    def attr(self, number_format: str | None, bold: bool = False, size: float | None = None) -> str:
        """`` s="N"`` for a cell's start tag ("" for the default format)."""
        index = self.style(number_format, bold, size)
        return f' s="{index}"' if index else ""
