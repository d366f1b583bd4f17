"""One output sheet: its worksheet part, tables and drawing, rebuilt from ``SheetContent``.

The cells (``sheetData``, tens of megabytes for Account Scores) are generated
as text, the fast path. Everything else of an existing output sheet is handled
as a tree: the part without its ``sheetData`` is parsed with lxml, the
children that hold what the user set or placed there (sheet properties, page
setup, buttons, shapes, form controls, comments' VML) are kept, the ones that
describe cell content are rebuilt, and the generated rows are put in place of
an empty ``sheetData`` when the tree is serialised.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from lxml import etree

from abmxl.io.content import SheetContent, Table
from abmxl.io.xlsx_writer.cells import CellWriter
from abmxl.io.xlsx_writer.drawing import update_drawing
from abmxl.io.xlsx_writer.errors import WorkbookWriteError
from abmxl.io.xlsx_writer.grid import unique_headers
from abmxl.io.xlsx_writer.ooxml import (
    CT_TABLE,
    MAX_COLS,
    MAX_ROWS,
    NS_MAIN,
    NS_R,
    REL_DRAWING,
    REL_HYPERLINK,
    REL_TABLE,
    qn,
)
from abmxl.io.xlsx_writer.package import (
    ContentTypes,
    Package,
    Relationship,
    next_relationship_id,
    relationships_xml,
    relative,
    rels_part,
    resolve,
)
from abmxl.io.xlsx_writer.page import fit_to_page, page_margins, page_setup
from abmxl.io.xlsx_writer.tables import TableIds, TableInfo, table_xml, user_table_error
from abmxl.io.xlsx_writer.xmltext import XML_DECLARATION, number_text, ref

# The order of a worksheet's children (CT_Worksheet) after sheetData that a
# refresh keeps from the user's sheet, and where it puts new ones.
_TAIL_ORDER = (
    "printOptions",
    "pageMargins",
    "pageSetup",
    "headerFooter",
    "rowBreaks",
    "colBreaks",
    "customProperties",
    "drawing",
    "legacyDrawing",
    "legacyDrawingHF",
    "drawingHF",
    "picture",
    "oleObjects",
    "controls",
    "AlternateContent",
)
_KEPT_TAIL = frozenset(_TAIL_ORDER)
_SHEET_DATA_START = re.compile(r"<(?:[\w.-]+:)?sheetData(?=[\s/>])")
_SHEET_DATA_END = re.compile(r"</(?:[\w.-]+:)?sheetData\s*>")
_PLACEHOLDER = re.compile(r"<(?:([\w.-]+):)?sheetData/>")
_NEW_SHEET = f'<worksheet xmlns="{NS_MAIN}" xmlns:r="{NS_R}"/>'


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _skeleton(text: str, part: str) -> etree._Element:
    """The worksheet's root element, parsed without its sheetData."""
    start = _SHEET_DATA_START.search(text)
    if start is not None:
        tag_end = text.index(">", start.end())
        if text[tag_end - 1] == "/":
            end = tag_end + 1
        else:
            # The end tag is near the end of the part: search backwards, not
            # through megabytes of rows.
            end_at = text.rfind("</" + start.group(0)[1:])
            end_match = _SHEET_DATA_END.match(text, end_at) if end_at > tag_end else None
            if end_match is None:
                raise WorkbookWriteError("corrupt workbook (unterminated sheetData)")
            end = end_match.end()
        text = text[: start.start()] + text[end:]
    try:
        root = etree.fromstring(text.encode("utf-8"))
    except etree.XMLSyntaxError as exc:
        raise WorkbookWriteError(f"corrupt workbook (part {part} is not XML: {exc})") from None
    return root


def _new_root(old: etree._Element) -> etree._Element:
    """A worksheet root like ``old`` (namespaces, attributes) with SpreadsheetML as default.

    The generated rows are unprefixed, so the default namespace must be
    SpreadsheetML; the relationships namespace gets a prefix if it has none.
    """
    nsmap = {prefix: uri for prefix, uri in old.nsmap.items() if prefix is not None}
    nsmap[None] = NS_MAIN  # type: ignore[index]
    if NS_R not in nsmap.values():
        prefix, n = "r", 1
        while prefix in nsmap:
            prefix, n = f"r{n}", n + 1
        nsmap[prefix] = NS_R
    root = etree.Element(qn(NS_MAIN, "worksheet"), nsmap=nsmap)  # type: ignore[arg-type]
    for name, value in old.attrib.items():
        root.set(name, value)
    return root


class SheetWriter:
    """Builds the output sheet parts of one write."""

    def __init__(
        self,
        pkg: Package,
        content_types: ContentTypes,
        cells: CellWriter,
        inventory: list[TableInfo],
        table_ids: TableIds,
        output_sheets: set[str],
        output_tables: set[str],
        defined_names: set[str],
    ) -> None:
        self.pkg = pkg
        self.content_types = content_types
        self.cells = cells
        self.inventory = inventory
        self.table_ids = table_ids
        self.output_sheets = output_sheets
        self.output_tables = output_tables
        self.defined_names = defined_names

    def check_existing(self, part: str) -> None:
        """Refuse before anything is written if the sheet holds a table the refresh does not own."""
        for table in self._old_tables(part).values():
            if table.name.lower() not in self.output_tables:
                raise user_table_error(table)

    def _old_tables(self, part: str) -> dict[str, TableInfo]:
        by_part = {t.part.lower(): t for t in self.inventory}
        found = {}
        for rel in self.pkg.relationships(part):
            if rel.type == REL_TABLE:
                info = by_part.get(resolve(part, rel.target).lower())
                if info is not None:
                    found[info.name.lower()] = info
        return found

    def write(self, content: SheetContent, part: str, existing: bool) -> None:
        if existing:
            old_root = _skeleton(self.pkg.text(part), part)
            if old_root.tag != qn(NS_MAIN, "worksheet"):
                raise WorkbookWriteError(f"sheet {content.name!r} is not a worksheet")
            old_rels = self.pkg.relationships(part)
        else:
            old_root = etree.fromstring(_NEW_SHEET)
            old_rels = []
        root = _new_root(old_root)
        kept: dict[str, etree._Element] = {}
        tail: list[etree._Element] = []
        seen_sheet_data = False
        for child in old_root:
            name = _local(child)
            if name == "sheetData":
                seen_sheet_data = True
            elif name in ("sheetPr", "sheetFormatPr", "sheetViews") and name not in kept:
                kept[name] = child
            elif name in _KEPT_TAIL and (seen_sheet_data or name != "AlternateContent"):
                tail.append(child)

        # Relationships kept: everything but tables (rebuilt below) and
        # hyperlinks (their cells are gone).
        sheet_rels = [r for r in old_rels if r.type not in (REL_TABLE, REL_HYPERLINK)]
        rels_by_id = {r.id: r for r in old_rels}
        drawing_rel = None
        for element in tail:
            if _local(element) == "drawing":
                drawing_rel = rels_by_id.get(element.get(qn(NS_R, "id"), ""))
        if drawing_rel is not None and drawing_rel.type != REL_DRAWING:
            drawing_rel = None
        drawing_rel = update_drawing(
            self.pkg, self.content_types, content, part, drawing_rel, sheet_rels
        )
        # The <drawing> element is regenerated (same id) and put in schema order.
        tail = [e for e in tail if _local(e) != "drawing"]
        if drawing_rel is not None:
            drawing = etree.Element(qn(NS_MAIN, "drawing"))
            drawing.set(qn(NS_R, "id"), drawing_rel.id)
            _insert_in_order(tail, drawing)

        sheet_pr = kept.get("sheetPr")
        if content.print_setup is not None:
            sheet_pr = fit_to_page(sheet_pr)
            old_setup = next((e for e in tail if _local(e) == "pageSetup"), None)
            if old_setup is None:
                _insert_in_order(tail, page_setup(None, content.print_setup))
            else:
                page_setup(old_setup, content.print_setup)
            if not any(_local(e) == "pageMargins" for e in tail):
                _insert_in_order(tail, page_margins())

        table_rels = self._tables(content, part, old_rels, sheet_rels)
        rows, bounds = self._rows(content)

        if sheet_pr is not None:
            root.append(sheet_pr)
        dimension = etree.SubElement(root, qn(NS_MAIN, "dimension"))
        first_row, first_col, last_row, last_col = bounds
        area = ref(first_row, first_col)
        if (last_row, last_col) != (first_row, first_col):
            area += ":" + ref(last_row, last_col)
        dimension.set("ref", area)
        root.append(self._sheet_views(content, kept.get("sheetViews")))
        format_pr = kept.get("sheetFormatPr")
        if format_pr is None:
            format_pr = etree.Element(qn(NS_MAIN, "sheetFormatPr"))
            format_pr.set("defaultRowHeight", "15")
        root.append(format_pr)
        if content.column_widths:
            cols = etree.SubElement(root, qn(NS_MAIN, "cols"))
            for c, width in sorted(content.column_widths.items()):
                col = etree.SubElement(cols, qn(NS_MAIN, "col"))
                col.set("min", str(c + 1))
                col.set("max", str(c + 1))
                col.set("width", number_text(float(width)) or "0")
                col.set("customWidth", "1")
        etree.SubElement(root, qn(NS_MAIN, "sheetData"))
        for element in tail:
            root.append(element)
        if table_rels:
            parts = etree.SubElement(root, qn(NS_MAIN, "tableParts"))
            parts.set("count", str(len(table_rels)))
            for rel in table_rels:
                etree.SubElement(parts, qn(NS_MAIN, "tablePart")).set(qn(NS_R, "id"), rel.id)

        self.pkg.write(part, _with_rows(root, rows))
        rels = sheet_rels + table_rels
        if rels:
            self.pkg.write(rels_part(part), relationships_xml(rels))
        else:
            self.pkg.delete(rels_part(part))

    @staticmethod
    def _sheet_views(content: SheetContent, old: etree._Element | None) -> etree._Element:
        views = etree.Element(qn(NS_MAIN, "sheetViews"))
        view = etree.SubElement(views, qn(NS_MAIN, "sheetView"))
        old_view = old.find(qn(NS_MAIN, "sheetView")) if old is not None else None
        if old_view is not None:
            for name, value in old_view.attrib.items():
                view.set(name, value)
        else:
            view.set("workbookViewId", "0")
        if content.freeze_rows:
            top_left = ref(content.freeze_rows, 0)
            pane = etree.SubElement(view, qn(NS_MAIN, "pane"))
            for name, value in (
                ("ySplit", str(content.freeze_rows)),
                ("topLeftCell", top_left),
                ("activePane", "bottomLeft"),
                ("state", "frozen"),
            ):
                pane.set(name, value)
            selection = etree.SubElement(view, qn(NS_MAIN, "selection"))
            selection.set("pane", "bottomLeft")
            selection.set("activeCell", top_left)
            selection.set("sqref", top_left)
        else:
            selection = etree.SubElement(view, qn(NS_MAIN, "selection"))
            selection.set("activeCell", "A1")
            selection.set("sqref", "A1")
        return views

    # -- tables ------------------------------------------------------------- #

    def _tables(
        self,
        content: SheetContent,
        sheet_part: str,
        old_rels: list[Relationship],
        sheet_rels: list[Relationship],
    ) -> list[Relationship]:
        old_tables = self._old_tables(sheet_part) if old_rels else {}
        rels_by_part = {
            resolve(sheet_part, r.target).lower(): r for r in old_rels if r.type == REL_TABLE
        }
        table_rels: list[Relationship] = []
        for table in content.tables:
            key = table.name.lower()
            mine = {t.part.lower() for t in old_tables.values()}
            for other in self.inventory:
                # The name may be ours already: on this sheet, or moving here
                # from another output sheet (rebuilt in the same write).
                if (
                    other.name.lower() == key
                    and other.part.lower() not in mine
                    and other.sheet.lower() not in self.output_sheets
                ):
                    where = f"on sheet {other.sheet!r}" if other.sheet else "in the workbook"
                    raise WorkbookWriteError(f"table name {table.name!r} is already used {where}")
            if key in self.defined_names:
                raise WorkbookWriteError(f"table name {table.name!r} is already a defined name")
            info = old_tables.pop(key, None)
            if info is not None:
                part, table_id = info.part, self.table_ids.keep_or_new(info)
                rel = rels_by_part[info.part.lower()]
            else:
                part = self.pkg.free_name("xl/tables/table{}.xml")
                table_id = self.table_ids.new()
                rel = Relationship(
                    next_relationship_id(old_rels + sheet_rels + table_rels),
                    REL_TABLE,
                    relative(sheet_part, part),
                )
            table_rels.append(rel)
            self.pkg.write(part, table_xml(table, table_id, unique_headers(table.header)))
            self.content_types.add(part, CT_TABLE)
        for info in old_tables.values():  # ours (checked before writing), no longer written
            self.pkg.delete(info.part)
            self.content_types.remove(info.part)
        return table_rels

    # -- cells -------------------------------------------------------------- #

    def _rows(self, content: SheetContent) -> tuple[list[str], tuple[int, int, int, int]]:
        """The <row> elements and the used range (first_row, first_col, last_row, last_col).

        Single cells and table headers are merged row by row; a table body that
        shares no row with other content (the usual layout) is emitted as one run
        of rows without per-row bookkeeping.
        """
        sparse: dict[int, list[tuple[int, int, str]]] = {}
        bounds = [MAX_ROWS, MAX_COLS, 0, 0]

        def extend(first_row: int, first_col: int, last_row: int, last_col: int) -> None:
            if first_row < 0 or first_col < 0 or last_row >= MAX_ROWS or last_col >= MAX_COLS:
                raise WorkbookWriteError(
                    f"sheet {content.name!r}: content outside the worksheet grid"
                )
            bounds[0] = min(bounds[0], first_row)
            bounds[1] = min(bounds[1], first_col)
            bounds[2] = max(bounds[2], last_row)
            bounds[3] = max(bounds[3], last_col)

        # Rows holding large text get a height that fits it: Excel grows such a
        # row when it edits the cell, but not when it opens a file, nor does
        # LibreOffice, so a 16 pt title would be clipped.
        heights: dict[int, float] = {}
        for cell in content.cells:
            if cell.font_size and cell.font_size > 11:
                heights[cell.row] = max(heights.get(cell.row, 0.0), round(cell.font_size * 1.5, 1))
            xml = self.cells.cell(
                ref(cell.row, cell.col), cell.value, cell.number_format, cell.bold, cell.font_size
            )
            if xml:
                extend(cell.row, cell.col, cell.row, cell.col)
                sparse.setdefault(cell.row, []).append((cell.col, cell.col, xml))

        bodies: list[tuple[Table, list[str], list[str]]] = []
        for table in content.tables:
            if not table.header:
                raise WorkbookWriteError(f"table {table.name!r} has no columns")
            extend(table.row, table.col, table.last_row, table.last_col)
            headers = unique_headers(table.header)
            header_xml = "".join(
                self.cells.cell(ref(table.row, table.col + i), h) for i, h in enumerate(headers)
            )
            sparse.setdefault(table.row, []).append((table.col, table.last_col, header_xml))
            bodies.append((table, *self._table_body(table)))

        def body_rows(table: Table) -> range:
            return range(table.row + 1, table.row + 1 + len(table.rows))

        chunks: list[tuple[int, list[str]]] = []
        for table, numbers, fragments in bodies:
            rows_here = body_rows(table)
            shared = any(r in rows_here for r in sparse) or any(
                other is not table and set(rows_here).intersection(body_rows(other))
                for other, _, _ in bodies
            )
            if shared:
                for r, xml in zip(rows_here, fragments, strict=True):
                    if xml:
                        sparse.setdefault(r, []).append((table.col, table.last_col, xml))
            else:
                run = [
                    f'<row r="{n}">{xml}</row>'
                    for n, xml in zip(numbers, fragments, strict=True)
                    if xml
                ]
                chunks.append((table.row + 1, run))

        for r, row_segments in sparse.items():
            if len(row_segments) > 1:
                row_segments.sort(key=lambda segment: segment[0])
                for left, right in itertools.pairwise(row_segments):
                    if right[0] <= left[1]:
                        raise WorkbookWriteError(
                            f"sheet {content.name!r}: overlapping content at {ref(r, right[0])}"
                        )
            height = f' ht="{heights[r]:g}" customHeight="1"' if r in heights else ""
            cells_xml = "".join(x for _, _, x in row_segments)
            chunks.append((r, [f'<row r="{r + 1}"{height}>{cells_xml}</row>']))
        chunks.sort(key=lambda chunk: chunk[0])
        rows = [row for _, run in chunks for row in run]
        if bounds[0] == MAX_ROWS:
            bounds = [0, 0, 0, 0]
        return rows, (bounds[0], bounds[1], bounds[2], bounds[3])

    def _table_body(self, table: Table) -> tuple[list[str], list[str]]:
        """The body's 1-based row numbers as text and one cells string per body row."""
        width = len(table.header)
        rows = table.rows
        if not len(rows):
            return [], []
        if any(len(row) != width for row in rows):
            raise WorkbookWriteError(
                f"table {table.name!r}: every row must have {width} values like its header"
            )
        column_formats = list(table.column_formats or [None] * width)
        if len(column_formats) != width:
            raise WorkbookWriteError(
                f"table {table.name!r}: column_formats must have {width} items"
            )
        cell_formats_by_col: list[Sequence[str | None] | None] = [None] * width
        if table.cell_formats is not None:
            if len(table.cell_formats) != len(rows) or any(
                len(f) != width for f in table.cell_formats
            ):
                raise WorkbookWriteError(f"table {table.name!r}: cell_formats must match rows")
            cell_formats_by_col = list(zip(*table.cell_formats, strict=True))
        first = table.row + 2
        numbers = list(map(str, range(first, first + len(rows))))
        columns = list(zip(*rows, strict=True))
        rendered = [
            self.cells.column(
                columns[j], table.col + j, numbers, column_formats[j], cell_formats_by_col[j]
            )
            for j in range(width)
        ]
        return numbers, list(map("".join, zip(*rendered, strict=True)))


def _insert_in_order(tail: list[etree._Element], element: etree._Element) -> None:
    """Insert a worksheet child before the first kept one that follows it in the schema."""
    rank = _TAIL_ORDER.index(_local(element))
    position = next(
        (i for i, e in enumerate(tail) if _TAIL_ORDER.index(_local(e)) > rank), len(tail)
    )
    tail.insert(position, element)


def _with_rows(root: etree._Element, rows: list[str]) -> bytes:
    """The serialised worksheet with the generated rows inside its (empty) sheetData."""
    text = etree.tostring(root, encoding="unicode")
    placeholder = _PLACEHOLDER.search(text)
    assert placeholder is not None
    name = placeholder.group(0)[1:-2]
    return "".join(
        [
            XML_DECLARATION,
            text[: placeholder.start()],
            f"<{name}>",
            *rows,
            f"</{name}>",
            text[placeholder.end() :],
        ]
    ).encode("utf-8")
