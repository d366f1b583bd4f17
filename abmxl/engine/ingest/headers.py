"""Which header is which column, and which row is the header (ingest.md sections 2-3).

``locate`` turns a ``RawTable`` into the data rows and the position of each
canonical column: for a Table (``header_known``) its header cells are matched;
for a plain range the header row is the first of the first 20 non-blank rows
in which every required column is found, and the rows above it are titles.

Matching ignores case, spaces, underscores, hyphens and dots. A ColumnMap row
wins; then, column by column in the input's order, each column takes the
first header (left to right) equal to its own name, else to its first
synonym (``synonyms.SYNONYMS``) that is there, and so on. A header serves one
column only, except that ``account_name`` falls back to the ``account_id``
column (a list with only ``Account Name`` uses it for both).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from abmxl.engine.ingest.synonyms import SYNONYMS
from abmxl.engine.model import RawTable
from abmxl.schema import SheetSpec

__all__ = [
    "HEADER_SEARCH_ROWS",
    "ColumnMatch",
    "Located",
    "closest_header",
    "header_key",
    "header_text",
    "locate",
    "match_columns",
]

HEADER_SEARCH_ROWS = 20
_NOISE = re.compile(r"[\s_\-.\u00a0]+")


def header_key(header: object) -> str:
    """``"Deal - Stage"`` -> ``"dealstage"``: how headers and names are compared."""
    if header is None:
        return ""
    return _NOISE.sub("", header_text(header)).casefold()


def header_text(cell: object) -> str:
    """A header cell as text: ``2026.0`` -> ``"2026"``, ``None`` -> ``""``."""
    if cell is None or (isinstance(cell, float) and np.isnan(cell)):
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


@dataclass
class ColumnMatch:
    """Which header position fills each column of one input.

    Attributes
    ----------
    positions : dict of str to int
        Column -> position of its header (``account_name`` may share one).
    duplicates : list of int
        Positions of headers that repeat a column's own name already taken.
    mapped_missing : list of str
        Columns whose ColumnMap header is not among the headers.
    """

    positions: dict[str, int] = field(default_factory=dict)
    duplicates: list[int] = field(default_factory=list)
    mapped_missing: list[str] = field(default_factory=list)

    def missing(self, spec: SheetSpec) -> list[str]:
        return [c for c in spec.required_columns if c not in self.positions]


def match_columns(
    headers: Sequence[object], spec: SheetSpec, mapped: Mapping[str, str] | None = None
) -> ColumnMatch:
    """Match header cells to the columns of ``spec`` (see the module docstring)."""
    keys = [header_key(h) for h in headers]
    used: set[int] = set()
    match = ColumnMatch()

    def take(column: str, wanted: str) -> bool:
        key = header_key(wanted)
        for position, header in enumerate(keys):
            if header and header == key and position not in used:
                match.positions[column] = position
                used.add(position)
                return True
        return False

    names = [c.name for c in spec.columns]
    for column, header in (mapped or {}).items():
        if column in names and not take(column, header):
            match.mapped_missing.append(column)
    synonyms = SYNONYMS.get(spec.name, {})
    for column in names:
        if column in match.positions:
            continue
        for wanted in (column, *(s.header for s in synonyms.get(column, ()))):
            if take(column, wanted):
                break
    own_names = {header_key(c) for c in match.positions}
    match.duplicates = [p for p, k in enumerate(keys) if p not in used and k in own_names]
    if "account_name" in names and "account_name" not in match.positions:
        if "account_id" in match.positions:
            match.positions["account_name"] = match.positions["account_id"]
    return match


def closest_header(
    column: str, spec: SheetSpec, headers: Sequence[object], used: Collection[int] = ()
) -> str | None:
    """The free header most like ``column`` or one of its synonyms (difflib ratio), or None.

    Headers already filling another column (positions in ``used``) are offered
    only when no other header is there.
    """
    if all(p in used for p, h in enumerate(headers) if header_key(h)):
        used = ()
    candidates = [column, *(s.header for s in SYNONYMS.get(spec.name, {}).get(column, ()))]
    wanted = [header_key(c) for c in candidates]
    best, best_ratio = None, 0.0
    for position, header in enumerate(headers):
        key = header_key(header)
        if not key or position in used:
            continue
        ratio = max(difflib.SequenceMatcher(None, key, w).ratio() for w in wanted)
        if ratio > best_ratio:
            best, best_ratio = header_text(header), ratio
    return best


@dataclass
class Located:
    """One input table once its header is known.

    Attributes
    ----------
    data : pandas.DataFrame
        The data rows (index = worksheet row numbers), columns by position.
    headers : list of str
        The header text of each position of ``data``.
    match : ColumnMatch
    header_row : int or None
        Worksheet row of the header for a plain range; None for a Table.
    """

    data: pd.DataFrame
    headers: list[str]
    match: ColumnMatch
    header_row: int | None = None

    def header_of(self, column: str) -> str:
        position = self.match.positions.get(column)
        return column if position is None else self.headers[position]


def _row_filled(frame: pd.DataFrame) -> np.ndarray:
    cells = frame.to_numpy(dtype=object)
    if not cells.size:
        return np.zeros(len(frame), dtype=bool)
    blank = pd.isna(cells)
    is_text = np.vectorize(lambda v: isinstance(v, str), otypes=[bool])(cells)
    if is_text.any():
        blank[is_text] = np.char.strip(cells[is_text].astype(str)) == ""
    return ~blank.all(axis=1)


def locate(raw: RawTable, spec: SheetSpec, mapped: Mapping[str, str] | None = None) -> Located:
    """The data rows of ``raw`` and the position of each of ``spec``'s columns."""
    frame = raw.frame
    if raw.header_known:
        headers = [header_text(h) for h in frame.columns]
        return Located(frame, headers, match_columns(headers, spec, mapped))
    # A plain range: the header is among the first non-blank rows. Only the
    # top of the range is looked at, a few rows at a time.
    head = frame.iloc[: HEADER_SEARCH_ROWS * 5]
    filled = np.flatnonzero(_row_filled(head))[:HEADER_SEARCH_ROWS]
    # Without a complete header row, the row most like one is reported.
    best: tuple[tuple[int, int], int, ColumnMatch] | None = None  # (score, position, match)
    for position in filled:
        headers = [header_text(h) for h in head.iloc[position].tolist()]
        match = match_columns(headers, spec, mapped)
        score = (len(spec.required_columns) - len(match.missing(spec)), len(match.positions))
        if best is None or score > best[0]:
            best = (score, int(position), match)
        if not match.missing(spec):
            break
    if best is None:
        empty = frame.iloc[0:0]
        return Located(empty, [], match_columns([], spec, mapped))
    _, position, match = best
    headers = [header_text(h) for h in frame.iloc[position].tolist()]
    return Located(frame.iloc[position + 1 :], headers, match, int(frame.index[position]))
