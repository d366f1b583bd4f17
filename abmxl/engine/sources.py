"""Where each input table of a workbook is: ingest.md section 1, as one pure rule.

Both readers (python-calamine for files, xlwings inside Excel) describe the
book as a ``BookInventory`` (its worksheets, and the Excel Tables on each) and
ask ``find_sources`` where each input is, so the two doors cannot disagree.
No file access here.

For each input (``schema.INPUT_SHEETS`` and ``schema.MAPPING_INPUTS``), the
first of these that exists is used:

1. an Excel Table named like the input, on any sheet;
2. a sheet named like the input: its only Table if it holds exactly one, else
   its used range as a plain range;
3. steps 1 and 2 with the input's sheet synonyms (``schema.SHEET_SYNONYMS``):
   first a Table under any synonym (in the listed order), then a sheet.

Names match ignoring case, spaces, underscores and hyphens
(``schema.name_key``). A Table or sheet serves one input only: one already
taken by an earlier input is not found again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from abmxl.engine.model import RawTable
from abmxl.schema import INPUT_SHEETS, MAPPING_INPUTS, SHEET_SYNONYMS, name_key

INPUTS: tuple[str, ...] = (*INPUT_SHEETS, *MAPPING_INPUTS)
"""Every input a book may hold, in the order they are looked up."""


@dataclass(frozen=True)
class TableInfo:
    """An Excel Table (ListObject) of a book: its name and the worksheet holding it."""

    name: str
    sheet: str


@dataclass(frozen=True)
class BookInventory:
    """What a reader knows of a book before reading cells: worksheet names in tab
    order (chart sheets left out) and the Tables on them."""

    sheets: tuple[str, ...]
    tables: tuple[TableInfo, ...] = field(default=())

    def tables_on(self, sheet: str) -> list[TableInfo]:
        return [table for table in self.tables if table.sheet == sheet]


@dataclass(frozen=True)
class Source:
    """Where one input is read from: a Table, or a sheet's used range (``table`` None)."""

    input: str
    sheet: str
    table: str | None = None

    def describe(self) -> str:
        """For the ``Inputs`` table: ``Table Deals on sheet Pipeline``, ``sheet Accounts``."""
        if self.table is None:
            return f"sheet {self.sheet}"
        return f"Table {self.table} on sheet {self.sheet}"


@dataclass
class BookInputs:
    """What a reader found: the input tables keyed by input name (absent = no key),
    and, for messages, the book's (or files') name and its sheets."""

    name: str
    tables: dict[str, RawTable]
    sheets: Sequence[str] = ()


def find_sources(inventory: BookInventory, inputs: Sequence[str] = INPUTS) -> dict[str, Source]:
    """Where each input is, keyed by input name in ``inputs`` order; a missing input is no key.

    Examples
    --------
    >>> book = BookInventory(
    ...     sheets=("Start", "Pipeline", "Data"),
    ...     tables=(TableInfo("Deals", "Pipeline"), TableInfo("accounts", "Data")),
    ... )
    >>> for name, source in find_sources(book).items():
    ...     print(f"{name}: {source.describe()}")
    Accounts: Table accounts on sheet Data
    Opportunities: Table Deals on sheet Pipeline
    """
    taken_tables: set[str] = set()
    taken_sheets: set[str] = set()
    found: dict[str, Source] = {}
    for name in inputs:
        source = _find_one(inventory, name, taken_tables, taken_sheets)
        if source is None:
            continue
        found[name] = source
        if source.table is not None:
            taken_tables.add(name_key(source.table))
        else:
            taken_sheets.add(source.sheet)
    return found


def _find_one(
    inventory: BookInventory, name: str, taken_tables: set[str], taken_sheets: set[str]
) -> Source | None:
    free_tables = [t for t in inventory.tables if name_key(t.name) not in taken_tables]
    free_sheets = [s for s in inventory.sheets if s not in taken_sheets]
    for names in ((name,), SHEET_SYNONYMS.get(name, ())):
        for candidate in names:
            table = _named(candidate, free_tables, lambda t: t.name)
            if table is not None:
                return Source(name, table.sheet, table.name)
        for candidate in names:
            sheet = _named(candidate, free_sheets, lambda s: s)
            if sheet is None:
                continue
            on_sheet = inventory.tables_on(sheet)
            if len(on_sheet) == 1 and name_key(on_sheet[0].name) not in taken_tables:
                return Source(name, sheet, on_sheet[0].name)
            return Source(name, sheet, None)
    return None


_T = TypeVar("_T")


def _named(name: str, candidates: Iterable[_T], key: Callable[[_T], str]) -> _T | None:
    """The first candidate whose name equals ``name`` ignoring case, spaces, ``_`` and ``-``."""
    wanted = name_key(name)
    for candidate in candidates:
        if name_key(key(candidate)) == wanted:
            return candidate
    return None
