"""One input table while it is cleaned: found columns, parsed cells, skip bookkeeping.

``InputSheet`` locates the header and columns (``ingest.headers.locate``, with
the book's ColumnMap), parses the columns the refresh uses, each as its
``schema.Column.kind`` and the book's Settings say, drops blank rows, skips
total rows and report footers, and keeps the skip bookkeeping: a row gets one
issue, for the first rule (in the order rules are applied) that skips it;
repairs are reported only for rows that are kept.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from abmxl.engine.ingest.cells import ParsedColumn, TextColumn, parse_text
from abmxl.engine.ingest.dates import parse_dates
from abmxl.engine.ingest.headers import Located, header_key, locate
from abmxl.engine.ingest.maps import ColumnMap, ValueMap
from abmxl.engine.ingest.numbers import parse_numbers
from abmxl.engine.ingest.words import parse_tiers, parse_yn
from abmxl.engine.issues import (
    COLUMN_IGNORED,
    SHEET_EMPTY,
    SKIPPED,
    IssueLog,
    treated_as_blank,
)
from abmxl.engine.model import RawTable
from abmxl.schema import COLUMN_MAP, SheetSpec

__all__ = ["InputInfo", "InputSheet", "Reading", "duplicated"]

TIERS = (0.0, 1.0, 2.0, 3.0)  # tier_override and Spend tier: 0 is non-target
TOTAL_ROW = "total row"
NOT_DATA = "not a data row"
# ingest.md section 2: the first word Total/Totals/Subtotal/Sum, or Grand Total(s),
# or a SUM/SUBTOTAL formula.
_TOTAL = re.compile(
    r"^\s*(?:(?:grand\s+totals?|totals?|subtotal|sum)(?![a-z0-9])|=\s*(?:sum|subtotal)\s*\()",
    re.IGNORECASE,
)
# Columns whose text may end in % (0-100 scores) and whose percent-formatted cells are x100.
SCORE_COLUMNS = frozenset({"fit_score", "intent_score"})
TIER_COLUMNS = frozenset({"tier_override", "tier"})
_FOOTER_TAIL = 50  # footers are looked for among the last rows only


@dataclass(frozen=True)
class Reading:
    """How this book's cells are read: Settings and the mapping tables."""

    decimal: str = "."
    date_order: str = "auto"
    column_map: ColumnMap = field(default_factory=ColumnMap)
    value_map: ValueMap = field(default_factory=ValueMap)


@dataclass
class InputInfo:
    """One row of the ``Inputs`` table (ingest.md section 7)."""

    name: str
    source: str = "not found"
    rows_read: int = 0
    rows_skipped: int = 0
    columns: dict[str, str] = field(default_factory=dict)


def duplicated(codes: np.ndarray) -> np.ndarray:
    """True for every non-blank code that appeared on an earlier row."""
    filled_rows = np.flatnonzero(codes >= 0)
    dup = np.zeros(len(codes), dtype=bool)
    if len(filled_rows):
        _, first = np.unique(codes[filled_rows], return_index=True)
        dup[filled_rows] = True
        dup[filled_rows[first]] = False
    return dup


_FOOTER_WORDS = re.compile(
    r"confidential|copyright|©|\(c\)|all rights reserved|do not distribute|generated (?:by|on)"
    r"|powered by|exported (?:by|on)|report run",
    re.IGNORECASE,
)


def _is_footer_text(values: np.ndarray) -> np.ndarray:
    return np.array([isinstance(v, str) and bool(_FOOTER_WORDS.search(v)) for v in values])


def _total_texts(texts: np.ndarray) -> np.ndarray:
    """Which distinct texts open a total row.

    Only the texts whose first character can start one (``t s g =``, found
    by a vectorized cast to one-character strings) meet the regex, so a
    column of 100,000 distinct ids costs one numpy pass.
    """
    if not len(texts):
        return np.zeros(0, dtype=bool)
    first = texts.astype("U1")
    candidates = np.flatnonzero(np.isin(first, ["t", "T", "s", "S", "g", "G", "="]))
    found = np.zeros(len(texts), dtype=bool)
    found[candidates] = [bool(_TOTAL.match(texts[i])) for i in candidates]
    return found


def _is_text(values: np.ndarray) -> np.ndarray:
    return np.array([isinstance(v, str) and v.strip() != "" for v in values], dtype=bool)


class InputSheet:
    """One input sheet while it is cleaned.

    Id and text cells are stripped of surrounding whitespace, except in the
    columns of ``as_written`` (a name shown back to the user as typed).
    Columns the refresh does not use are only checked for blank rows: parsing
    them all would cost a full pass per column of wide sheets.
    """

    def __init__(
        self,
        raw: RawTable | None,
        spec: SheetSpec,
        uses: Sequence[str],
        log: IssueLog,
        reading: Reading | None = None,
        *,
        as_written: Collection[str] = (),
        footers: bool = True,
    ) -> None:
        reading = reading or Reading()
        self._footers = footers
        self.log, self.name, self.spec, self.reading = log, spec.name, spec, reading
        # The worksheet (or CSV file) the rows are on; DataIssues show it (IssueLog.sheets).
        self.sheet = raw.sheet if raw is not None else spec.name
        self.header: dict[str, str] = {}
        self.raw: dict[str, np.ndarray] = {}
        self.text: dict[str, TextColumn] = {}
        self.parsed: dict[str, ParsedColumn] = {}
        self.rows = np.zeros(0, dtype=np.int64)
        self.usable = False
        self.info = InputInfo(spec.name)
        self._pending_repairs: list[tuple[np.ndarray, str, str, str, bool]] = []
        self.skip = np.zeros(0, dtype=bool)
        if raw is None:
            return
        located = locate(raw, spec, reading.column_map.for_sheet(spec.name))
        self._describe(raw, located)
        self._report_columns(located)
        positions = located.match.positions
        self.header = {name: located.headers[pos] for name, pos in positions.items()}
        missing = located.match.missing(spec)
        if missing:
            for name in missing:
                log.add_sheet_issue(self.name, name, "required column missing", SHEET_EMPTY)
            return
        self.usable = True
        data = located.data
        offset = len(raw.frame) - len(data)  # data is the tail of raw.frame
        cells = {name: data.iloc[:, pos].to_numpy(dtype=object) for name, pos in positions.items()}
        rows = np.asarray(data.index, dtype=np.int64)
        blank_row = np.ones(len(rows), dtype=bool)
        kinds = {column.name: column.kind for column in spec.columns}
        for name in uses:
            if name not in cells:
                continue
            kind = kinds[name]
            if kind in ("id", "text"):
                column = parse_text(cells[name], strip=name not in as_written)
                self.text[name] = column
                blank_row &= column.blank
                continue
            if kind == "date":
                parsed = parse_dates(cells[name], order=reading.date_order)
            elif kind == "yn":
                parsed = parse_yn(cells[name])
            elif name in TIER_COLUMNS:
                parsed = parse_tiers(cells[name])
            elif name in SCORE_COLUMNS:
                percent = None
                if raw.percent is not None:
                    percent = raw.percent.iloc[offset:, positions[name]].to_numpy(dtype=bool)
                parsed = parse_numbers(
                    cells[name], decimal=reading.decimal, percent="points", percent_format=percent
                )
            else:
                parsed = parse_numbers(cells[name], decimal=reading.decimal)
            self.parsed[name] = parsed
            blank_row &= parsed.blank
        # Columns the refresh does not use still make a row non-blank.
        used_positions = {positions[name] for name in uses if name in positions}
        unused = [pos for pos in range(data.shape[1]) if pos not in used_positions]
        candidates = np.flatnonzero(blank_row)
        for pos in unused:
            if not len(candidates):
                break
            values = data.iloc[candidates, pos].to_numpy(dtype=object)
            blank_row[candidates] &= parse_text(values).blank
        keep = np.flatnonzero(~blank_row)
        if len(keep) < len(rows):
            self.text = {name: column.take(keep) for name, column in self.text.items()}
            self.parsed = {name: column.take(keep) for name, column in self.parsed.items()}
            cells = {name: values[keep] for name, values in cells.items()}
        self.raw = cells
        self.rows = rows[keep]
        self.skip = np.zeros(len(self.rows), dtype=bool)
        self.info.rows_read = len(self.rows)
        for name, column in self.parsed.items():
            if column.note is not None:
                problem, _, action = column.note.partition(": ")
                log.add_sheet_issue(self.name, self.column_label(name), problem, action)
        self._skip_totals_and_footers(data.iloc[keep])

    # --- what was read ----------------------------------------------------------

    def _describe(self, raw: RawTable, located: Located) -> None:
        source = raw.source or f"sheet {raw.sheet}"
        if located.header_row is not None:
            source += f", header row {located.header_row}"
        self.info.source = source
        positions = located.match.positions
        self.info.columns = {
            name: located.headers[pos]
            for name, pos in positions.items()
            if header_key(located.headers[pos]) != header_key(name)
            # account_name read from the account_id column goes without saying
            and not (name == "account_name" and pos == positions.get("account_id"))
        }
        if raw.rows_below is not None and raw.rows_below[1] > 0:
            first, count = raw.rows_below
            problem = (
                "1 row below the table is not part of it"
                if count == 1
                else f"{count} rows below the table are not part of it"
            )
            self.log.add(
                self.name,
                np.array([first]),
                None,
                np.array([None], dtype=object),
                problem,
                "ignored; resize the table to include them",
            )

    def _report_columns(self, located: Located) -> None:
        for position in located.match.duplicates:
            self.log.add_sheet_issue(
                self.name, located.headers[position], "duplicate column", COLUMN_IGNORED
            )
        column_map = self.reading.column_map
        # Name the worksheet too when the input was found under another name.
        where = self.name if self.sheet == self.name else f"{self.name} (sheet {self.sheet})"
        for column in located.match.mapped_missing:
            header = column_map.for_sheet(self.name)[column]
            self.log.add(
                COLUMN_MAP.name,
                np.array([column_map.rows[(self.name, column)]]),
                "header",
                np.array([header], dtype=object),
                f"no header {header!r} in {where}",
                SKIPPED,
            )

    def _skip_totals_and_footers(self, data: pd.DataFrame) -> None:
        """Total rows (ingest.md section 2) and report footers below the data."""
        n = len(self.rows)
        if not n:
            return
        id_column = next((c.name for c in self.spec.columns if c.required and c.kind == "id"), None)
        first_cell = np.full(n, None, dtype=object)
        check = np.arange(n)
        if id_column is not None and id_column in self.text:
            ids = self.text[id_column]
            total_id = _total_texts(ids.uniques)
            check = np.flatnonzero(ids.blank)
            is_total = ids.map_uniques(total_id, False).astype(bool)
            first_cell[is_total] = ids.uniques[ids.codes[is_total]]
        else:
            is_total = np.zeros(n, dtype=bool)
        if len(check):
            cells = data.iloc[check].to_numpy(dtype=object)
            filled = ~pd.isna(cells) & ~np.vectorize(
                lambda v: isinstance(v, str) and not v.strip(), otypes=[bool]
            )(cells)
            first = cells[np.arange(len(check)), filled.argmax(axis=1)]
            first_cell[check] = first
            is_total[check] = [isinstance(v, str) and bool(_TOTAL.match(v)) for v in first]
        label = self.column_label(id_column) if id_column else None
        hit = np.flatnonzero(is_total & ~self.skip)
        if len(hit):
            self.skip[hit] = True
            self.log.add(self.name, self.rows[hit], label, first_cell[hit], TOTAL_ROW, SKIPPED)
        # Footers: below the last row with two or more filled cells, rows whose
        # only filled cell is text.
        if not self._footers:
            return
        tail_start = max(n - _FOOTER_TAIL, 0)
        tail = data.iloc[tail_start:].to_numpy(dtype=object)
        filled = ~pd.isna(tail) & ~np.vectorize(
            lambda v: isinstance(v, str) and not v.strip(), otypes=[bool]
        )(tail)
        counts = filled.sum(axis=1)
        several = np.flatnonzero(counts >= 2)
        if not len(several):
            return
        after = np.arange(several[-1] + 1, len(tail))
        if not len(after):
            return
        only = tail[after, filled[after].argmax(axis=1)]
        # A row with one text cell right under the data may be a record with one
        # field filled (an account id alone): it is a footer only when a blank
        # row parts it from the data, or when it reads like one.
        rows_after = self.rows[tail_start + after]
        previous = self.rows[tail_start + after - 1]
        parted = np.maximum.accumulate(rows_after - previous > 1)
        footer = (counts[after] == 1) & _is_text(only) & (parted | _is_footer_text(only))
        rows, values = tail_start + after[footer], only[footer]
        fresh = ~self.skip[rows]
        rows, values = rows[fresh], values[fresh]
        if len(rows):
            self.skip[rows] = True
            self.log.add(self.name, self.rows[rows], None, values, NOT_DATA, SKIPPED)

    # --- bookkeeping --------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.rows)

    def column_label(self, name: str) -> str:
        return self.header.get(name, name)

    def skip_where(
        self, mask: np.ndarray, name: str, problem: str, *, blank_value: bool = False
    ) -> None:
        """Skip the rows of ``mask`` not skipped yet, one issue each."""
        hit = np.flatnonzero(mask & ~self.skip)
        if not len(hit):
            return
        self.skip[hit] = True
        values = np.full(len(hit), None, dtype=object) if blank_value else self.raw[name][hit]
        self.log.add(self.name, self.rows[hit], self.column_label(name), values, problem, SKIPPED)

    def repair_where(
        self,
        mask: np.ndarray,
        name: str,
        problem: str,
        action: str,
        *,
        blank_value: bool = False,
    ) -> None:
        """Report a repair, for the rows of ``mask`` that end up kept."""
        self._pending_repairs.append((mask, name, problem, action, blank_value))

    def blank_where(self, mask: np.ndarray, name: str, problem: str) -> None:
        """A bad cell of an optional column: the cell counts as blank, the row is kept."""
        column = self.parsed.get(name)
        if column is None:
            return
        hit = mask & ~self.skip & ~column.blank
        if not hit.any():
            return
        self.repair_where(hit.copy(), name, problem, treated_as_blank(name))
        column.values[hit] = np.datetime64("NaT") if column.values.dtype.kind == "M" else np.nan
        column.blank[hit] = True
        column.unreadable[hit] = False

    def kept(self) -> np.ndarray:
        """Positions of the rows that survive; reports the pending repairs."""
        for mask, name, problem, action, blank_value in self._pending_repairs:
            hit = np.flatnonzero(mask & ~self.skip)
            if blank_value or name not in self.raw:
                values = np.full(len(hit), None, dtype=object)
            else:
                values = self.raw[name][hit]
            self.log.add(
                self.name, self.rows[hit], self.column_label(name), values, problem, action
            )
        self._pending_repairs.clear()
        self.info.rows_skipped = int(self.skip.sum())
        return np.flatnonzero(~self.skip)

    # Rules shared by several sheets, in the order they are applied.

    def skip_blank_or_duplicate_id(self, name: str) -> None:
        ids = self.text[name]
        self.skip_where(ids.blank, name, f"blank {name}", blank_value=True)
        self.skip_where(duplicated(ids.codes), name, f"duplicate {name}")

    def skip_blank_required(self, *names: str) -> None:
        for name in names:
            blank = self.text[name].blank if name in self.text else self.parsed[name].blank
            self.skip_where(blank, name, f"blank {name}", blank_value=True)

    def _unreadable_problem(self, column: ParsedColumn) -> str:
        return "unreadable date" if column.values.dtype.kind == "M" else "unreadable number"

    def skip_unreadable(self, *names: str) -> None:
        """Required columns: an unreadable cell skips its row."""
        for name in names:
            column = self.parsed.get(name)
            if column is not None:
                self.skip_where(column.unreadable, name, self._unreadable_problem(column))

    def blank_unreadable(self, *names: str) -> None:
        """Optional columns: an unreadable cell counts as blank (ingest.md section 5)."""
        for name in names:
            column = self.parsed.get(name)
            if column is not None:
                self.blank_where(column.unreadable.copy(), name, self._unreadable_problem(column))

    def skip_negative(self, *names: str) -> None:
        for name in names:
            if name in self.parsed:
                self.skip_where(self.parsed[name].values < 0, name, f"negative {name}")

    def blank_negative(self, *names: str) -> None:
        for name in names:
            if name in self.parsed:
                self.blank_where(self.parsed[name].values < 0, name, f"negative {name}")

    def blank_not_a_tier(self, name: str) -> None:
        """A number other than 0, 1, 2 or 3 in an (optional) tier column counts as blank."""
        if name in self.parsed:
            tier = self.parsed[name].values
            not_a_tier = ~np.isnan(tier) & ~np.isin(tier, TIERS)
            self.blank_where(not_a_tier, name, f"{name} not 0, 1, 2 or 3")

    def numbers(self, name: str, rows: np.ndarray, blank: float = np.nan) -> np.ndarray:
        """The kept rows' numbers; ``blank`` for blank cells and absent columns."""
        if name not in self.parsed:
            return np.full(len(rows), blank)
        values = self.parsed[name].values[rows]
        return values if np.isnan(blank) else np.where(np.isnan(values), blank, values)
