"""The workbook part and its relationships: sheets, defined names, calculation settings.

Parsed with lxml; a sheet's relationship id is the attribute ``id`` in the
relationships namespace, wherever that namespace is declared (on the root, as
Excel writes it, or on each ``<sheet>``, as openpyxl with lxml and the Open
XML SDK do) and whatever its prefix.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from abmxl.io.xlsx_writer.errors import WorkbookWriteError, parse_int
from abmxl.io.xlsx_writer.ooxml import (
    NS_MAIN,
    NS_R,
    REL_CALC_CHAIN,
    REL_OFFICE_DOCUMENT,
    REL_WORKSHEET,
    STRICT_MESSAGE,
    STRICT_ROOT,
    qn,
)
from abmxl.io.xlsx_writer.package import (
    ContentTypes,
    Package,
    Relationship,
    RelationshipsPart,
    relative,
    rels_part,
    resolve,
)
from abmxl.io.xlsx_writer.xmlparts import XmlPart, insert_in_order, prefix_of

# CT_Workbook's children, in schema order.
_WORKBOOK_ORDER = (
    "fileVersion",
    "fileSharing",
    "workbookPr",
    "workbookProtection",
    "bookViews",
    "sheets",
    "functionGroups",
    "externalReferences",
    "definedNames",
    "calcPr",
    "oleSize",
    "customWorkbookViews",
    "pivotCaches",
    "smartTagPr",
    "smartTagTypes",
    "webPublishing",
    "fileRecoveryPr",
    "webPublishObjects",
    "extLst",
)


@dataclass
class SheetEntry:
    name: str
    sheet_id: int
    rel_id: str
    part: str | None
    rel_type: str


def workbook_part(pkg: Package) -> str:
    """The workbook part named by the package's officeDocument relationship."""
    if not pkg.exists("_rels/.rels"):
        raise WorkbookWriteError("not a .xlsx/.xlsm workbook (no package relationships)")
    root_rels = RelationshipsPart("_rels/.rels", pkg.read("_rels/.rels")).rels
    if any(r.type.startswith(STRICT_ROOT) for r in root_rels):
        raise WorkbookWriteError(STRICT_MESSAGE)
    office = [r for r in root_rels if r.type == REL_OFFICE_DOCUMENT]
    if not office:
        raise WorkbookWriteError("not a workbook (no officeDocument relationship)")
    part = resolve("", office[0].target)
    if not pkg.exists(part):
        raise WorkbookWriteError(f"corrupt workbook (missing part {part})")
    return part


class Workbook:
    """The workbook part, its relationships, and what the writer needs of them."""

    def __init__(self, pkg: Package) -> None:
        self.part = workbook_part(pkg)
        self.xml = XmlPart(self.part, pkg.read(self.part))
        self.root = self.xml.root
        if self.root.tag != qn(NS_MAIN, "workbook"):
            raise WorkbookWriteError(
                f"not a workbook ({self.part} is not a SpreadsheetML workbook)"
            )
        rels = pkg.rels_of(self.part)
        if rels is None:
            raise WorkbookWriteError(f"corrupt workbook (missing part {rels_part(self.part)})")
        self.rels = rels
        by_id = {r.id: r for r in rels.rels}
        self.sheets: list[SheetEntry] = []
        for element in self.root.iterfind(f"{qn(NS_MAIN, 'sheets')}/{qn(NS_MAIN, 'sheet')}"):
            rel = by_id.get(element.get(qn(NS_R, "id"), ""))
            self.sheets.append(
                SheetEntry(
                    name=element.get("name", ""),
                    sheet_id=parse_int(element.get("sheetId"), "sheetId"),
                    rel_id=rel.id if rel else "",
                    part=resolve(self.part, rel.target) if rel else None,
                    rel_type=rel.type if rel else "",
                )
            )
        pr = self.root.find(qn(NS_MAIN, "workbookPr"))
        self.date1904 = pr is not None and pr.get("date1904") in ("1", "true")
        self.defined_names = {
            (element.get("name") or "").lower()
            for element in self.root.iter(qn(NS_MAIN, "definedName"))
        }
        self.defined_name_texts = [
            element.text or "" for element in self.root.iter(qn(NS_MAIN, "definedName"))
        ]

    def sheet(self, name: str) -> SheetEntry | None:
        for entry in self.sheets:
            if entry.name.lower() == name.lower():
                return entry
        return None

    def add_sheet(self, pkg: Package, name: str, after: str | None = None) -> SheetEntry:
        """A new worksheet entry (its part is written by the caller).

        It goes right after the sheet named ``after`` when the book has one,
        else at the end. Inserted among the others, it moves every later
        sheet one place on: the defined names scoped to a sheet
        (``localSheetId``) and the book views' ``activeTab``/``firstSheet``
        count sheets by position, so those at or after it are shifted too.
        """
        sheets = self.root.find(qn(NS_MAIN, "sheets"))
        if sheets is None:
            raise WorkbookWriteError(f"corrupt workbook ({self.part} has no <sheets>)")
        part = pkg.free_name("xl/worksheets/sheet{}.xml")
        rel = self.rels.add(REL_WORKSHEET, relative(self.part, part))
        sheet_id = max((s.sheet_id for s in self.sheets), default=0) + 1
        # Declare r: on the element only if the workbook has no prefix for it.
        nsmap = {"r": NS_R} if prefix_of(sheets, NS_R) is None else None
        element = etree.Element(qn(NS_MAIN, "sheet"), nsmap=nsmap)
        element.set("name", name)
        element.set("sheetId", str(sheet_id))
        element.set(qn(NS_R, "id"), rel.id)
        anchor = self.sheet(after) if after is not None else None
        position = len(self.sheets) if anchor is None else self.sheets.index(anchor) + 1
        elements = sheets.findall(qn(NS_MAIN, "sheet"))
        if position < len(elements):
            elements[position].addprevious(element)
            self._shift_positions(position)
        else:
            sheets.append(element)
        entry = SheetEntry(name, sheet_id, rel.id, part, REL_WORKSHEET)
        self.sheets.insert(position, entry)
        return entry

    def _shift_positions(self, position: int) -> None:
        """One more sheet at ``position``: sheet positions at or after it move on by one."""
        shifted = [
            (element, "localSheetId") for element in self.root.iter(qn(NS_MAIN, "definedName"))
        ]
        shifted += [
            (view, attribute)
            for view in self.root.iter(qn(NS_MAIN, "workbookView"))
            for attribute in ("activeTab", "firstSheet")
        ]
        for element, attribute in shifted:
            text = element.get(attribute)
            if text is not None and parse_int(text, attribute) >= position:
                element.set(attribute, str(parse_int(text, attribute) + 1))

    def recalculate_on_open(self) -> None:
        """``<calcPr fullCalcOnLoad="1"/>``: Excel recalculates every formula on open.

        Formulas elsewhere in the book that read the output sheets keep the
        cached value of the last calculation; a headless refresh cannot
        calculate them, so Excel is told to.
        """
        calc = self.root.find(qn(NS_MAIN, "calcPr"))
        if calc is None:
            calc = etree.Element(qn(NS_MAIN, "calcPr"))
            insert_in_order(self.root, calc, _WORKBOOK_ORDER)
        calc.set("fullCalcOnLoad", "1")

    def calc_chain_parts(self) -> list[tuple[Relationship, str]]:
        return [
            (rel, resolve(self.part, rel.target))
            for rel in self.rels.rels
            if rel.type == REL_CALC_CHAIN
        ]

    def drop_calc_chain(self, pkg: Package, content_types: ContentTypes) -> None:
        """Remove the calculation chain (Excel rebuilds it; it may name our old cells)."""
        for rel, part in self.calc_chain_parts():
            pkg.delete(part)
            content_types.remove(part)
            self.rels.remove(rel)

    def save(self, pkg: Package) -> None:
        pkg.write(self.part, self.xml.to_bytes())
        pkg.write(rels_part(self.part), self.rels.to_bytes())


def calc_chain_mentions(pkg: Package, workbook: Workbook, sheet_ids: set[int]) -> bool:
    """Whether the calculation chain names a cell of one of ``sheet_ids``."""
    for _, part in workbook.calc_chain_parts():
        if not pkg.exists(part):
            continue
        current = 0
        for element in XmlPart(part, pkg.read(part)).root.iter(qn(NS_MAIN, "c")):
            i = element.get("i")
            if i is not None:
                current = parse_int(i, "calcChain sheet id")
            if current in sheet_ids:
                return True
    return False
