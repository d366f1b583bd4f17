"""ColumnMap and ValueMap: the analyst's own headers and values (ingest.md sections 3-4).

ColumnMap rows (``sheet``, ``column``, ``header``) say which header of an
input fills a canonical column; ValueMap rows (``sheet``, ``column``,
``value``, ``means``) say what an organisation's own status, type or channel
values mean. Both are small configuration tables, read row by row like
Settings. A row that cannot be used is returned as an issue (the engine
writes it to DataIssues) and left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from abmxl.engine.ingest.cells import parse_text
from abmxl.engine.ingest.headers import header_key, locate
from abmxl.engine.ingest.words import LOST, OPEN, WON, opportunity_type
from abmxl.engine.model import RawTable
from abmxl.schema import (
    COLUMN_MAP,
    INPUT_SHEETS,
    VALUE_MAP,
    SheetSpec,
    match_name,
    normalize_header,
)

__all__ = ["ColumnMap", "MapIssue", "ValueMap", "read_column_map", "read_value_map"]

SKIPPED = "row skipped"
TABLE_IGNORED = "table ignored"

# The columns whose values ValueMap can map, and how a ``means`` is checked.
_STATUS_WORDS = {"won": WON, "lost": LOST, "open": OPEN}


@dataclass(frozen=True)
class MapIssue:
    """A ColumnMap or ValueMap row that cannot be used."""

    sheet: str
    row: int | None  # None: the whole table
    column: str
    value: object
    problem: str
    action: str = SKIPPED


@dataclass
class ColumnMap:
    """``headers[input][column]`` = the analyst's header; ``rows`` = where each was set."""

    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    rows: dict[tuple[str, str], int] = field(default_factory=dict)
    issues: list[MapIssue] = field(default_factory=list)

    def for_sheet(self, sheet: str) -> dict[str, str]:
        return self.headers.get(sheet, {})


@dataclass
class ValueMap:
    """``values[(input, column)][value lower-cased]`` = canonical meaning."""

    values: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    issues: list[MapIssue] = field(default_factory=list)

    def for_column(self, sheet: str, column: str) -> dict[str, str]:
        return self.values.get((sheet, column), {})


def _rows(
    raw: RawTable | None, spec: SheetSpec, issues: list[MapIssue]
) -> tuple[list[int], dict[str, list], dict[str, str]]:
    """Worksheet rows, the stripped text of each column (None = blank), and header labels.

    A table without one of its columns is not used, and says so (``issues``).
    """
    if raw is None:
        return [], {}, {}
    located = locate(raw, spec)
    missing = located.match.missing(spec)
    if missing:
        for column in missing:
            issues.append(
                MapIssue(spec.name, None, column, None, "required column missing", TABLE_IGNORED)
            )
        return [], {}, {}
    texts = {
        name: parse_text(located.data.iloc[:, position].to_numpy(dtype=object)).text.tolist()
        for name, position in located.match.positions.items()
    }
    rows = [int(r) for r in located.data.index]
    keep = [i for i in range(len(rows)) if any(texts[n][i] is not None for n in texts)]
    labels = {name: located.header_of(name) for name in texts}
    return [rows[i] for i in keep], {n: [t[i] for i in keep] for n, t in texts.items()}, labels


def _input_name(text: str | None) -> str | None:
    return None if text is None else match_name(text, INPUT_SHEETS)


def _column_of(sheet: str, text: str | None) -> str | None:
    if text is None:
        return None
    wanted = header_key(text)
    for column in INPUT_SHEETS[sheet].columns:
        if header_key(column.name) == wanted:
            return column.name
    return None


def read_column_map(raw: RawTable | None) -> ColumnMap:
    """The usable ColumnMap rows, and an issue for each other one."""
    result = ColumnMap()
    rows, texts, labels = _rows(raw, COLUMN_MAP, result.issues)
    name = COLUMN_MAP.name
    for i, row in enumerate(rows):
        sheet_text, column_text, header = (texts[c][i] for c in ("sheet", "column", "header"))
        sheet = _input_name(sheet_text)
        column = _column_of(sheet, column_text) if sheet else None
        problem, at, value = None, "sheet", sheet_text
        if sheet is None:
            problem = "unknown sheet"
        elif column is None:
            problem, at, value = f"unknown column of {sheet}", "column", column_text
        elif header is None:
            problem, at, value = "blank header", "header", None
        elif column in result.headers.get(sheet, {}):
            problem, at, value = f"{sheet} {column} mapped twice", "column", column_text
        if problem is not None:
            result.issues.append(MapIssue(name, row, labels[at], value, problem))
            continue
        result.headers.setdefault(sheet, {})[column] = header
        result.rows[(sheet, column)] = row
    return result


def _meaning(sheet: str, column: str, means: str) -> str | None:
    if column == "status":
        return _STATUS_WORDS.get(means.strip().lower())
    if column == "type":
        return opportunity_type(means)
    return normalize_header(means)  # a channel, as ChannelWeights keys it


_MAPPABLE = {
    ("Opportunities", "status"): "Won, Lost or Open",
    ("Opportunities", "type"): "New Business, Renewal or Expansion",
    ("Engagement", "channel"): "a channel",
    ("Spend", "channel"): "a channel",
}


def read_value_map(raw: RawTable | None) -> ValueMap:
    """The usable ValueMap rows, and an issue for each other one."""
    result = ValueMap()
    rows, texts, labels = _rows(raw, VALUE_MAP, result.issues)
    name = VALUE_MAP.name
    for i, row in enumerate(rows):
        sheet_text, column_text, value, means = (
            texts[c][i] for c in ("sheet", "column", "value", "means")
        )
        sheet = _input_name(sheet_text)
        column = _column_of(sheet, column_text) if sheet else None
        problem, at, shown = None, "sheet", sheet_text
        if sheet is None:
            problem = "unknown sheet"
        elif column is None or (sheet, column) not in _MAPPABLE:
            problem, at, shown = (
                "ValueMap maps status, type and channel only",
                "column",
                column_text,
            )
        elif value is None:
            problem, at, shown = "blank value", "value", None
        elif means is None or _meaning(sheet, column, means) is None:
            problem, at, shown = f"means must be {_MAPPABLE[(sheet, column)]}", "means", means
        if problem is not None:
            result.issues.append(MapIssue(name, row, labels[at], shown, problem))
            continue
        assert column is not None and means is not None and value is not None
        result.values.setdefault((sheet, column), {})[value.lower()] = _meaning(
            sheet, column, means
        )  # type: ignore[assignment]
    return result


def mapped_headers(tables: Mapping[str, RawTable | None]) -> ColumnMap:
    """The ColumnMap of a book's tables (empty when it has none)."""
    return read_column_map(tables.get(COLUMN_MAP.name))
