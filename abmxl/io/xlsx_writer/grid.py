"""What a ``SheetContent`` puts where: table headers as Excel names them, cell lookups."""

from __future__ import annotations

from collections.abc import Sequence

from abmxl.io.content import SheetContent
from abmxl.io.xlsx_writer.xmltext import ILLEGAL_XML_CHARS, is_missing


def unique_headers(header: Sequence[str]) -> list[str]:
    """Table column names as Excel requires them: non-empty, unique ignoring case."""
    names: list[str] = []
    seen: set[str] = set()
    for i, raw in enumerate(header):
        base = ILLEGAL_XML_CHARS.sub("", "" if is_missing(raw) else str(raw)) or f"Column{i + 1}"
        name, n = base, 2
        while name.lower() in seen:
            name, n = f"{base}{n}", n + 1
        seen.add(name.lower())
        names.append(name)
    return names


def value_at(content: SheetContent, row: int, col: int) -> object:
    """The value the content puts at (row, col): for chart caches."""
    for cell in reversed(content.cells):
        if cell.row == row and cell.col == col:
            return cell.value
    for table in content.tables:
        if table.col <= col <= table.last_col and table.row <= row <= table.last_row:
            if row == table.row:
                return unique_headers(table.header)[col - table.col]
            body = row - table.row - 1
            if body < len(table.rows):
                return table.rows[body][col - table.col]
    return None
