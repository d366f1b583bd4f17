"""Excel Tables (ListObjects): the workbook's inventory, names, ids and table parts.

Table ids must be unique in the whole workbook (Excel repairs a book where
two tables share one), so the inventory is every table part of the package:
the ones each worksheet relates to, and any other part registered with the
table content type. A table on an output sheet that the refresh does not
write is the user's: it is never deleted (``user_table_error``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from abmxl.io.content import Table
from abmxl.io.xlsx_writer.errors import WorkbookWriteError, parse_int
from abmxl.io.xlsx_writer.ooxml import CT_TABLE, NS_MAIN, REL_TABLE, REL_WORKSHEET
from abmxl.io.xlsx_writer.package import ContentTypes, Package, resolve
from abmxl.io.xlsx_writer.workbook import Workbook
from abmxl.io.xlsx_writer.xmlparts import XmlPart
from abmxl.io.xlsx_writer.xmltext import XML_DECLARATION, escape_attr, ref

_TABLE_NAME = re.compile(r"[A-Za-z_\\][A-Za-z0-9_.\\]*")
_CELL_LIKE_NAME = re.compile(r"(?i)([A-Z]{1,3}[0-9]+|R[0-9]*C[0-9]*|R|C)")


@dataclass
class TableInfo:
    part: str
    sheet: str  # "" when no worksheet relates to the part
    id: int
    name: str


def check_table_name(name: str) -> None:
    if (
        not _TABLE_NAME.fullmatch(name)
        or len(name) > 255
        or _CELL_LIKE_NAME.fullmatch(name)
        or name.lower() in ("true", "false")
    ):
        raise WorkbookWriteError(f"invalid Excel table name {name!r}")


def _table_info(pkg: Package, part: str, sheet: str) -> TableInfo:
    root = XmlPart(part, pkg.read(part)).root
    name = root.get("displayName") or root.get("name") or ""
    return TableInfo(part, sheet, parse_int(root.get("id"), "table id"), name)


def table_inventory(
    pkg: Package, workbook: Workbook, content_types: ContentTypes
) -> list[TableInfo]:
    """Every table part of the workbook, with the sheet that shows it."""
    found: dict[str, TableInfo] = {}
    for sheet in workbook.sheets:
        if sheet.part is None or sheet.rel_type != REL_WORKSHEET or not pkg.exists(sheet.part):
            continue
        for rel in pkg.relationships(sheet.part):
            if rel.type != REL_TABLE or rel.target_mode == "External":
                continue
            part = resolve(sheet.part, rel.target)
            if pkg.exists(part) and part.lower() not in found:
                found[part.lower()] = _table_info(pkg, part, sheet.name)
    for part in content_types.parts_of_type(CT_TABLE):
        if pkg.exists(part) and part.lower() not in found:
            found[part.lower()] = _table_info(pkg, part, "")
    return list(found.values())


class TableIds:
    """Hands out table ids unused anywhere in the workbook."""

    def __init__(self, inventory: Sequence[TableInfo]) -> None:
        self._last = max((t.id for t in inventory), default=0)
        self._owners: dict[int, list[str]] = {}
        for table in inventory:
            self._owners.setdefault(table.id, []).append(table.part.lower())

    def keep_or_new(self, table: TableInfo | None) -> int:
        """``table``'s own id if no other table has it, else a new one."""
        if table is not None and self._owners.get(table.id) == [table.part.lower()]:
            return table.id
        if table is not None:
            self._owners[table.id].remove(table.part.lower())
        return self.new()

    def new(self) -> int:
        self._last += 1
        self._owners[self._last] = []
        return self._last


def user_table_error(table: TableInfo) -> WorkbookWriteError:
    where = f"sheet {table.sheet!r}" if table.sheet else "an output sheet"
    return WorkbookWriteError(
        f"{where} holds the table {table.name!r}, which a refresh would delete; "
        "move it to another sheet and refresh again"
    )


def table_xml(table: Table, table_id: int, headers: list[str]) -> bytes:
    """A new table part: name, range, autofilter, columns named like the header cells."""
    area = f"{ref(table.row, table.col)}:{ref(table.last_row, table.last_col)}"
    name = escape_attr(table.name)
    columns = "".join(
        f'<tableColumn id="{i}" name="{escape_attr(h)}"/>' for i, h in enumerate(headers, 1)
    )
    return (
        f'{XML_DECLARATION}<table xmlns="{NS_MAIN}" id="{table_id}" name="{name}"'
        f' displayName="{name}" ref="{area}" totalsRowShown="0">'
        f'<autoFilter ref="{area}"/>'
        f'<tableColumns count="{len(headers)}">{columns}</tableColumns>'
        f'<tableStyleInfo name="{escape_attr(table.style)}" showFirstColumn="0"'
        ' showLastColumn="0" showRowStripes="1" showColumnStripes="0"/>'
        "</table>"
    ).encode()
