"""Raw workbook cells -> typed tables, and every data-issue rule of the spec.

Every reader (python-calamine for files, xlwings inside Excel, a test) hands
over ``RawTable`` objects holding the cells as the workbook holds them. This
module is the one place that decides what is usable, so every front door
reports the same ``DataIssues``. It never raises on bad data: a cell it cannot
use skips or repairs its row, and the row is reported.

Cell rules (``docs/funnel.md`` explains each choice where the spec is silent):

- blank: ``None``, ``nan``/``NaT``, or text that is empty or only whitespace.
  Any other text is a value, so ``"NA"`` is an account id.
- id and text columns keep text as written, stripped of surrounding
  whitespace (``account_name`` alone is kept unstripped); numbers become their
  text form, ``1001`` and ``1001.0`` both ``"1001"``, so ids match across
  sheets whatever the cell type.
- number columns accept numbers and plain numeric text (``"12"``, ``"-3.5"``,
  ``"1e3"``); booleans, dates, times and other text (``"1,000"``, ``"$5"``,
  ``"abc"``) are unreadable.
- date columns accept date and date-time cells (the time of day is dropped),
  ISO 8601 text (``"2026-03-01"``, ``"2026-03-01 14:30"``), and numbers as Excel
  serial dates of the 1900 date system (61 = 1900-03-01 and later). Other text,
  such as the ambiguous ``"03/04/2026"``, is unreadable.
- Y/N columns accept Y/Yes/True/1 and N/No/False/0 in any case, and booleans.

Performance: all work is per column over numpy object arrays (type masks,
``pd.factorize`` then per-distinct-value work for text); no Python loop runs
over the rows of a table, only over distinct values or the Settings sheet.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

from abmxl import schema
from abmxl.engine.model import RawTable
from abmxl.schema import (
    ACCOUNTS,
    CHANNEL_WEIGHTS,
    CONTACTS,
    DEFAULT_CHANNEL_WEIGHTS,
    DEFAULT_SETTINGS,
    ENGAGEMENT,
    ISSUE_COLUMNS,
    LOST_STATUSES,
    NEW_BUSINESS,
    OPPORTUNITIES,
    OPPORTUNITY_TYPES,
    SETTINGS,
    SPEND,
    SURVEYS,
    WON_STATUSES,
    ColumnKind,
    SheetSpec,
    normalize_header,
    normalize_token,
)
from abmxl.serials import serial_days

__all__ = [
    "LOST",
    "OPEN",
    "WON",
    "CleanBook",
    "ParsedColumn",
    "Settings",
    "TextColumn",
    "channel_key",
    "clean_book",
    "parse_dates",
    "parse_numbers",
    "parse_text",
    "parse_yn",
]

WON, LOST, OPEN = "won", "lost", "open"

# Problems and actions as DataIssues shows them.
SKIPPED = "row skipped"
DEFAULT_USED = "row skipped; default used"
AMOUNT_AS_ZERO = "kept; amount treated as 0"
WEIGHT_ZERO = "kept; weight 0"
OUT_OF_TIME_KPIS = "kept; left out of time-based KPIs"
AS_NEW_BUSINESS = "kept as New Business"
AS_UNTIERED = "kept as untiered (tier 0)"
SHEET_EMPTY = "sheet treated as empty"
COLUMN_IGNORED = "column ignored"

_SHEET_ORDER = {name: i for i, name in enumerate(schema.INPUT_SHEETS)}
_TIERS = (0.0, 1.0, 2.0, 3.0)  # tier_override and Spend tier: 0 is non-target

# --- cell classification ----------------------------------------------------

_BLANK, _TEXT, _NUMBER, _DATE, _BOOL, _TIME, _OTHER = range(7)

_FAST_KINDS = {
    "string": _TEXT,
    "floating": _NUMBER,
    "integer": _NUMBER,
    "mixed-integer-float": _NUMBER,
    "date": _DATE,
    "datetime": _DATE,
    "datetime64": _DATE,
    "boolean": _BOOL,
    "time": _TIME,
}


def _cell_kind(value: object) -> int:
    if value is None or value is pd.NaT or value is pd.NA:
        return _BLANK
    if isinstance(value, str):
        return _TEXT
    if isinstance(value, bool | np.bool_):
        return _BOOL
    if isinstance(value, int | np.integer):
        return _NUMBER
    if isinstance(value, float | np.floating):
        return _BLANK if math.isnan(value) else _NUMBER
    if isinstance(value, dt.date | np.datetime64):  # datetime and Timestamp are dates too
        return _BLANK if pd.isna(value) else _DATE
    if isinstance(value, dt.time):
        return _TIME
    return _OTHER


_cell_kinds = np.frompyfunc(_cell_kind, 1, 1)
_type_of = np.frompyfunc(type, 1, 1)
_KIND_OF_TYPE = {
    float: _NUMBER,
    int: _NUMBER,
    str: _TEXT,
    bool: _BOOL,
    dt.date: _DATE,
    dt.datetime: _DATE,
    pd.Timestamp: _DATE,
    dt.time: _TIME,
}


def _mixed_kinds(values: np.ndarray) -> np.ndarray:
    """Kind codes of filled cells of a mixed column.

    The exact types readers produce are matched with vectorized comparisons of
    ``type(cell)``; only other types (numpy scalars, ``str`` subclasses such as
    Excel error values) go through ``_cell_kind`` one by one.
    """
    types = _type_of(values)
    codes = np.full(len(values), -1, dtype=np.int8)
    for cell_type, kind in _KIND_OF_TYPE.items():
        codes[types == cell_type] = kind
    other = np.flatnonzero(codes < 0)
    if len(other):
        codes[other] = _cell_kinds(values[other]).astype(np.int8)
    return codes


def _classify(values: np.ndarray) -> np.ndarray:
    """Kind code of each cell (``_TEXT`` for any string, blank or not).

    ``infer_dtype`` settles the usual homogeneous column in one pass (and,
    without ``None`` in it, without a missing-value pass); only mixed columns
    pay for a per-cell type check.
    """
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=np.int8)
    inferred = infer_dtype(values, skipna=False)
    kind = _FAST_KINDS.get(inferred)
    if kind is not None and kind != _NUMBER:  # a float column may hold nan
        return np.full(n, kind, dtype=np.int8)
    if kind is None:
        inferred = infer_dtype(values, skipna=True)
        if inferred == "empty":
            return np.full(n, _BLANK, dtype=np.int8)
        kind = _FAST_KINDS.get(inferred)
        if kind is None:
            codes = np.full(n, _BLANK, dtype=np.int8)
            filled = np.flatnonzero(~pd.isna(values))
            codes[filled] = _mixed_kinds(values[filled])
            return codes
    codes = np.full(n, kind, dtype=np.int8)
    codes[pd.isna(values)] = _BLANK
    return codes


def _as_object_array(values: object) -> np.ndarray:
    if isinstance(values, np.ndarray) and values.dtype == object:
        return values
    return np.asarray(pd.Series(values, dtype=object).to_numpy(), dtype=object)


# --- text and ids ------------------------------------------------------------


def _number_text(numbers: np.ndarray) -> np.ndarray:
    """``1001.0`` -> ``"1001"``, ``2.5`` -> ``"2.5"``: a number cell as an id or text."""
    floats = numbers.astype(np.float64)
    out = np.empty(len(floats), dtype=object)
    whole = np.isfinite(floats) & (floats == np.round(floats)) & (np.abs(floats) < 2**53)
    out[whole] = floats[whole].astype(np.int64).astype(str).astype(object)
    out[~whole] = [repr(float(x)) for x in floats[~whole]]
    return out


def _value_text(value: object) -> str:
    """Text form of a cell that is neither text nor a number (rare: a date as an id)."""
    if isinstance(value, bool | np.bool_):
        return "TRUE" if value else "FALSE"
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        value = value.date()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _texts_of(values: np.ndarray, *, strip: bool) -> np.ndarray:
    """Text of each cell, ``None`` where blank (works on distinct values)."""
    kinds = _classify(values)
    out = np.full(len(values), None, dtype=object)
    is_text = kinds == _TEXT
    if is_text.any():
        text = values[is_text]
        stripped = pd.Series(text, dtype=object).str.strip().to_numpy(dtype=object)
        out[is_text] = np.where(stripped == "", None, stripped if strip else text)
    is_number = kinds == _NUMBER
    if is_number.any():
        out[is_number] = _number_text(values[is_number])
    other = (kinds != _BLANK) & ~is_text & ~is_number
    if other.any():
        out[other] = [_value_text(v) for v in values[other]]
    return out


@dataclass
class TextColumn:
    """A text or id column as integer codes into its distinct texts.

    Attributes
    ----------
    codes : numpy.ndarray
        One int64 per row: the position of the row's text in ``uniques``,
        ``-1`` for a blank cell.
    uniques : numpy.ndarray
        Distinct texts (object array of ``str``), in order of first appearance.
    """

    codes: np.ndarray
    uniques: np.ndarray

    @property
    def blank(self) -> np.ndarray:
        return self.codes < 0

    @property
    def text(self) -> np.ndarray:
        """Object array of each row's text, ``None`` where blank."""
        return np.append(self.uniques, None)[self.codes]

    def map_uniques(self, per_unique: np.ndarray, missing: object) -> np.ndarray:
        """Spread a value per distinct text to the rows; ``missing`` for blanks."""
        extended = np.append(np.asarray(per_unique), np.asarray([missing], dtype=per_unique.dtype))
        return extended[self.codes]

    def take(self, rows: np.ndarray) -> TextColumn:
        return TextColumn(self.codes[rows], self.uniques)


def parse_text(values: np.ndarray, *, strip: bool = True) -> TextColumn:
    """Text of a column of cells, factorized.

    ``pd.factorize`` finds the distinct cells in one hashing pass, so the
    conversion to text (strip, number -> text) runs once per distinct value; a
    second factorize merges cells that give the same text (``1001`` and
    ``"1001 "``) when there are any.
    """
    values = _as_object_array(values)
    raw_codes, raw_uniques = pd.factorize(values, use_na_sentinel=True)
    raw_uniques = np.asarray(raw_uniques, dtype=object)
    texts = _texts_of(raw_uniques, strip=strip)
    if len(texts) and not pd.isna(texts).any() and (texts == raw_uniques).all():
        # Plain text throughout: the distinct cells are the distinct texts.
        return TextColumn(raw_codes.astype(np.int64, copy=False), texts)
    text_codes, uniques = pd.factorize(texts, use_na_sentinel=True)
    codes = np.append(text_codes, -1)[raw_codes].astype(np.int64)
    return TextColumn(codes, np.asarray(uniques, dtype=object))


# --- numbers and dates -------------------------------------------------------

_NUMERIC_TEXT = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_ISO_DATE_TEXT = r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"


@dataclass
class ParsedColumn:
    """A number, date or Y/N column: values, blank cells, unreadable cells."""

    values: np.ndarray
    blank: np.ndarray
    unreadable: np.ndarray

    def take(self, rows: np.ndarray) -> ParsedColumn:
        return ParsedColumn(self.values[rows], self.blank[rows], self.unreadable[rows])


def _stripped_text(values: np.ndarray) -> pd.Series:
    return pd.Series(values, dtype=object).str.strip()


def parse_numbers(values: np.ndarray) -> ParsedColumn:
    """Float value of each cell (``nan`` where blank or unreadable)."""
    values = _as_object_array(values)
    kinds = _classify(values)
    out = np.full(len(values), np.nan)
    blank = kinds == _BLANK
    is_number = kinds == _NUMBER
    if is_number.all():
        out = values.astype(np.float64)
    elif is_number.any():
        out[is_number] = values[is_number].astype(np.float64)
    readable = is_number & np.isfinite(out)
    is_text = np.flatnonzero(kinds == _TEXT)
    if len(is_text):
        text = _stripped_text(values[is_text])
        blank[is_text] = (text == "").to_numpy()
        numeric = text.str.fullmatch(_NUMERIC_TEXT).to_numpy(dtype=bool)
        out[is_text[numeric]] = text[numeric].astype(np.float64).to_numpy()
        readable[is_text[numeric]] = np.isfinite(out[is_text[numeric]])
    unreadable = ~blank & ~readable
    out[unreadable] = np.nan
    return ParsedColumn(out, blank, unreadable)


def parse_dates(values: np.ndarray) -> ParsedColumn:
    """Calendar date of each cell as ``datetime64[s]`` at midnight (``NaT`` where blank).

    A date column holds few distinct values (days), so the cells are
    factorized and each distinct cell is converted once.
    """
    values = _as_object_array(values)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    days, blank, unreadable = _dates_of_cells(np.asarray(uniques, dtype=object))
    return ParsedColumn(
        np.append(days, np.datetime64("NaT"))[codes].astype("datetime64[s]"),
        np.append(blank, True)[codes],
        np.append(unreadable, False)[codes],
    )


def _dates_of_cells(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(datetime64[D] days, blank, unreadable) of distinct cells."""
    kinds = _classify(values)
    days = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[D]")
    blank = kinds == _BLANK
    is_date = np.flatnonzero(kinds == _DATE)
    if len(is_date):
        stamps = pd.to_datetime(pd.Series(values[is_date], dtype=object), errors="coerce")
        days[is_date] = stamps.to_numpy().astype("datetime64[D]")
    is_number = np.flatnonzero(kinds == _NUMBER)
    if len(is_number):
        serial_dates, valid = serial_days(values[is_number].astype(np.float64))
        days[is_number[valid]] = serial_dates[valid]
    is_text = np.flatnonzero(kinds == _TEXT)
    if len(is_text):
        text = _stripped_text(values[is_text])
        blank[is_text] = (text == "").to_numpy()
        iso = text.str.fullmatch(_ISO_DATE_TEXT).to_numpy(dtype=bool)
        if iso.any():
            stamps = pd.to_datetime(text[iso], format="ISO8601", errors="coerce")
            days[is_text[iso]] = stamps.to_numpy().astype("datetime64[D]")
    return days, blank, ~blank & np.isnat(days)


_YES = frozenset({"y", "yes", "true", "1"})
_NO = frozenset({"n", "no", "false", "0"})


def parse_yn(values: np.ndarray) -> ParsedColumn:
    """Y/N flags as floats 1.0/0.0 (``nan`` where blank or unreadable)."""
    column = parse_text(values)
    tokens = np.array([t.lower() for t in column.uniques], dtype=object)
    flag = np.where(np.isin(tokens, list(_YES)), 1.0, np.where(np.isin(tokens, list(_NO)), 0.0, 2))
    per_row = column.map_uniques(flag.astype(np.float64), np.nan)
    unreadable = per_row == 2
    per_row[unreadable] = np.nan
    return ParsedColumn(per_row, column.blank, unreadable)


# How each value kind of ``schema.Column.kind`` is parsed (id and text: ``parse_text``).
_VALUE_PARSERS: dict[ColumnKind, Callable[[np.ndarray], ParsedColumn]] = {
    "number": parse_numbers,
    "date": parse_dates,
    "yn": parse_yn,
}


# --- DataIssues --------------------------------------------------------------


@dataclass
class _IssueLog:
    """DataIssues rows, collected as column arrays per rule."""

    parts: list[tuple[str, np.ndarray, str | None, np.ndarray, str, str]] = field(
        default_factory=list
    )

    def add(
        self,
        sheet: str,
        rows: np.ndarray,
        column: str | None,
        values: np.ndarray,
        problem: str,
        action: str,
    ) -> None:
        if len(rows):
            self.parts.append(
                (sheet, np.asarray(rows), column, np.asarray(values), problem, action)
            )

    def add_sheet_issue(self, sheet: str, column: str | None, problem: str, action: str) -> None:
        """An issue about a whole sheet or column: no row, no value."""
        self.parts.append((sheet, np.array([-1]), column, np.array([None]), problem, action))

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in ISSUE_COLUMNS})
        sizes = [len(part[1]) for part in self.parts]
        rows = np.concatenate([part[1].astype(np.int64) for part in self.parts])
        sheet_rank = np.repeat([_SHEET_ORDER.get(part[0], 99) for part in self.parts], sizes)
        rule_rank = np.repeat(np.arange(len(self.parts)), sizes)
        order = np.lexsort((rule_rank, rows, sheet_rank))
        row_cells = rows.astype(object)
        row_cells[rows < 0] = None
        columns = {
            "Sheet": np.repeat(np.array([p[0] for p in self.parts], dtype=object), sizes),
            "Row": row_cells,
            "Column": np.repeat(np.array([p[2] for p in self.parts], dtype=object), sizes),
            "Value": np.concatenate([p[3].astype(object) for p in self.parts]),
            "Problem": np.repeat(np.array([p[4] for p in self.parts], dtype=object), sizes),
            "Action": np.repeat(np.array([p[5] for p in self.parts], dtype=object), sizes),
        }
        return pd.DataFrame(
            {name: pd.Series(values[order], dtype=object) for name, values in columns.items()}
        )


# --- one input sheet ---------------------------------------------------------


class _Sheet:
    """One input sheet while it is cleaned.

    Matches headers, parses the columns the refresh uses (``uses``), each as
    its ``schema.Column.kind`` says, drops blank rows, and keeps the skip
    bookkeeping: a row gets one issue, for the first rule (in the order rules
    are applied) that skips it; repairs are reported only for rows that are
    kept. Id and text cells are stripped of surrounding whitespace, except in
    the columns of ``as_written`` (a name shown back to the user as typed).
    Columns the refresh does not use are only checked for blank rows: parsing
    them all would cost a full pass per column of wide sheets.
    """

    def __init__(
        self,
        raw: RawTable | None,
        spec: SheetSpec,
        uses: Sequence[str],
        log: _IssueLog,
        *,
        as_written: Collection[str] = (),
    ) -> None:
        self.log, self.name = log, spec.name
        self.header: dict[str, str] = {}
        self.raw: dict[str, np.ndarray] = {}
        self.text: dict[str, TextColumn] = {}
        self.parsed: dict[str, ParsedColumn] = {}
        self.rows = np.zeros(0, dtype=np.int64)
        self.usable = False
        self._pending_repairs: list[tuple[np.ndarray, str, str, str, bool]] = []
        self.skip = np.zeros(0, dtype=bool)
        if raw is None:
            return
        frame = raw.frame
        known = {c.name for c in spec.columns}
        positions: dict[str, int] = {}
        for position, label in enumerate(frame.columns):
            name = normalize_header(label) if label is not None else ""
            if name in known and name in positions:
                log.add_sheet_issue(self.name, str(label), "duplicate column", COLUMN_IGNORED)
            elif name in known:
                positions[name] = position
                self.header[name] = str(label)
        missing = [c for c in spec.required_columns if c not in positions]
        if missing:
            for name in missing:
                log.add_sheet_issue(self.name, name, "required column missing", SHEET_EMPTY)
            return
        self.usable = True
        cells = {name: frame.iloc[:, pos].to_numpy(dtype=object) for name, pos in positions.items()}
        rows = np.asarray(frame.index, dtype=np.int64)
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
            else:
                parsed = _VALUE_PARSERS[kind](cells[name])
                self.parsed[name] = parsed
                blank_row &= parsed.blank
        # Columns the refresh does not use still make a row non-blank.
        unused = [pos for pos, _ in enumerate(frame.columns) if pos not in positions.values()]
        unused += [positions[name] for name in positions if name not in uses]
        candidates = np.flatnonzero(blank_row)
        for pos in unused:
            if not len(candidates):
                break
            values = frame.iloc[candidates, pos].to_numpy(dtype=object)
            blank_row[candidates] &= parse_text(values).blank
        keep = np.flatnonzero(~blank_row)
        if len(keep) < len(rows):
            self.text = {name: column.take(keep) for name, column in self.text.items()}
            self.parsed = {name: column.take(keep) for name, column in self.parsed.items()}
            cells = {name: values[keep] for name, values in cells.items()}
        self.raw = cells
        self.rows = rows[keep]
        self.skip = np.zeros(len(self.rows), dtype=bool)

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
        return np.flatnonzero(~self.skip)

    # Rules shared by several sheets, in the order they are applied.

    def skip_blank_or_duplicate_id(self, name: str) -> None:
        ids = self.text[name]
        self.skip_where(ids.blank, name, f"blank {name}", blank_value=True)
        self.skip_where(_duplicated(ids.codes), name, f"duplicate {name}")

    def skip_blank_required(self, *names: str) -> None:
        for name in names:
            blank = self.text[name].blank if name in self.text else self.parsed[name].blank
            self.skip_where(blank, name, f"blank {name}", blank_value=True)

    def skip_unreadable(self, *names: str) -> None:
        for name in names:
            column = self.parsed.get(name)
            if column is None:
                continue
            kind = "date" if column.values.dtype.kind == "M" else "number"
            self.skip_where(column.unreadable, name, f"unreadable {kind}")

    def skip_negative(self, *names: str) -> None:
        for name in names:
            if name in self.parsed:
                self.skip_where(self.parsed[name].values < 0, name, f"negative {name}")

    def skip_not_a_tier(self, name: str) -> None:
        """Skip rows whose ``name`` holds a number other than 0, 1, 2 or 3 (blank passes)."""
        if name in self.parsed:
            tier = self.parsed[name].values
            not_a_tier = ~np.isnan(tier) & ~np.isin(tier, _TIERS)
            self.skip_where(not_a_tier, name, f"{name} not 0, 1, 2 or 3")

    def numbers(self, name: str, rows: np.ndarray, blank: float = np.nan) -> np.ndarray:
        """The kept rows' numbers; ``blank`` for blank cells and absent columns."""
        if name not in self.parsed:
            return np.full(len(rows), blank)
        values = self.parsed[name].values[rows]
        return values if np.isnan(blank) else np.where(np.isnan(values), blank, values)


def _duplicated(codes: np.ndarray) -> np.ndarray:
    """True for every non-blank code that appeared on an earlier row."""
    filled_rows = np.flatnonzero(codes >= 0)
    duplicated = np.zeros(len(codes), dtype=bool)
    if len(filled_rows):
        _, first = np.unique(codes[filled_rows], return_index=True)
        duplicated[filled_rows] = True
        duplicated[filled_rows[first]] = False
    return duplicated


# --- Settings and ChannelWeights ---------------------------------------------


@dataclass(frozen=True)
class Settings:
    """The Settings sheet after defaults and overrides (``schema.DEFAULT_SETTINGS``)."""

    as_of: dt.date
    fit_min: float
    intent_min: float
    engagement_min: float
    acv_tier1: float
    acv_tier2: float
    window_days: float
    half_life_days: float | None
    gross_margin: float
    discount_rate: float
    customer_lifetime_years: float
    decimal_separator: str = "."
    date_order: str = "auto"
    period: str = "quarter"
    trend_periods: float = 12.0
    spike_recent_days: float = 7.0
    spike_baseline_days: float = 28.0
    spike_min_lift: float = 1.0
    spike_min_recent: float = 3.0
    attribution_window_days: float = 90.0
    attribution_half_life_days: float = 30.0
    attribution_model: str = "w_shaped"


# The values a setting accepts beyond "a finite number": the rule and how the
# DataIssues row words it.
_SETTING_DOMAINS: dict[str, tuple[Callable[[float], bool], str]] = {
    "window_days": (lambda x: x >= 0, "window_days must be 0 or more"),
    "half_life_days": (lambda x: x > 0, "half_life_days must be more than 0"),
    "gross_margin": (lambda x: 0 <= x <= 1, "gross_margin must be between 0 and 1"),
    # A negative discount rate would make clv_from_churn's series diverge.
    "discount_rate": (lambda x: x >= 0, "discount_rate must be 0 or more"),
    "customer_lifetime_years": (lambda x: x > 0, "customer_lifetime_years must be more than 0"),
    "trend_periods": (
        lambda x: x >= 1 and x == int(x),
        "trend_periods must be a whole number of 1 or more",
    ),
    "spike_recent_days": (lambda x: x > 0, "spike_recent_days must be more than 0"),
    "spike_baseline_days": (lambda x: x > 0, "spike_baseline_days must be more than 0"),
    "spike_min_lift": (lambda x: x >= 0, "spike_min_lift must be 0 or more"),
    "spike_min_recent": (lambda x: x >= 0, "spike_min_recent must be 0 or more"),
    "attribution_window_days": (lambda x: x >= 0, "attribution_window_days must be 0 or more"),
    "attribution_half_life_days": (
        lambda x: x > 0,
        "attribution_half_life_days must be more than 0",
    ),
}


def _text_setting(name: str, value: object) -> str | None:
    """The canonical word of a text setting, or None when it is not one of them."""
    if isinstance(value, float) and name == "decimal_separator":
        return None
    word = str(value).strip()
    for allowed in schema.TEXT_SETTINGS[name]:
        if word.casefold() == allowed.casefold():
            return allowed
    return None


def _clean_settings(raw: RawTable | None, today: dt.date, log: _IssueLog) -> Settings:
    values: dict[str, object] = dict(DEFAULT_SETTINGS)
    # The value column is parsed below, as a date or a number by key.
    sheet = _Sheet(raw, SETTINGS, ("key",), log)
    if sheet.usable and len(sheet):
        keys = sheet.text["key"].text
        cells = sheet.raw["value"]
        numbers, dates = parse_numbers(cells), parse_dates(cells)
        seen: set[str] = set()
        problems: list[tuple[int, str, str, str]] = []  # (position, column, problem, action)
        # The Settings sheet has a dozen rows: a loop is the clear way to apply it.
        for i, key in enumerate(keys):
            name = None if key is None else normalize_header(key)
            if name is None:
                problems.append((i, "key", "blank key", SKIPPED))
            elif name not in DEFAULT_SETTINGS:
                problems.append((i, "key", "unknown setting", SKIPPED))
            elif name in seen:
                problems.append((i, "key", "duplicate key", SKIPPED))
            elif numbers.blank[i]:
                seen.add(name)  # a blank value means the default
            elif name in schema.TEXT_SETTINGS:
                seen.add(name)
                word = _text_setting(name, cells[i])
                if word is None:
                    allowed = ", ".join(schema.TEXT_SETTINGS[name])
                    problems.append((i, "value", f"{name} must be one of {allowed}", DEFAULT_USED))
                else:
                    values[name] = word
            elif name == "as_of":
                seen.add(name)
                if dates.unreadable[i]:
                    problems.append((i, "value", "unreadable date", DEFAULT_USED))
                else:
                    values[name] = dates.values[i].astype("datetime64[D]").item()
            else:
                seen.add(name)
                number = float(numbers.values[i])
                rule, domain_problem = _SETTING_DOMAINS.get(name, (None, ""))
                if numbers.unreadable[i]:
                    problems.append((i, "value", "unreadable number", DEFAULT_USED))
                elif rule is not None and not rule(number):
                    problems.append((i, "value", domain_problem, DEFAULT_USED))
                else:
                    values[name] = number
        for i, column, problem, action in problems:
            value = keys[i] if column == "key" else cells[i]
            log.add(
                sheet.name,
                sheet.rows[i : i + 1],
                sheet.column_label(column),
                np.array([value], dtype=object),
                problem,
                action,
            )
    if values["as_of"] is None:
        values["as_of"] = today
    return Settings(**values)  # type: ignore[arg-type]


def channel_key(channel: object) -> str:
    """How channels are matched: case-insensitive, spaces = underscores."""
    return normalize_header(channel)


def _clean_channel_weights(raw: RawTable | None, log: _IssueLog) -> dict[str, float]:
    weights = dict(DEFAULT_CHANNEL_WEIGHTS)
    sheet = _Sheet(raw, CHANNEL_WEIGHTS, ("channel", "weight"), log)
    if not sheet.usable or not len(sheet):
        return weights
    channel = sheet.text["channel"]
    keys = np.array([channel_key(c) for c in channel.uniques], dtype=object)
    key_codes, _ = pd.factorize(keys)
    sheet.skip_where(channel.blank, "channel", "blank channel", blank_value=True)
    sheet.skip_where(
        _duplicated(np.append(key_codes, -1)[channel.codes]), "channel", "duplicate channel"
    )
    sheet.skip_blank_required("weight")
    sheet.skip_unreadable("weight")
    sheet.skip_negative("weight")
    kept = sheet.kept()
    row_keys = channel.map_uniques(keys, None)[kept]
    weights.update(zip(row_keys, sheet.parsed["weight"].values[kept].tolist(), strict=True))
    return weights


# --- the data sheets ---------------------------------------------------------


@dataclass
class CleanBook:
    """Typed, validated input tables: what the funnel is computed from.

    Accounts are numbered by their position in ``accounts``; the other tables
    refer to them through an ``account`` column of those positions. A table is
    ``None`` when its sheet holds no usable data (missing, empty, or every row
    skipped): its KPIs are blank.
    """

    settings: Settings
    channel_weights: dict[str, float]
    accounts: pd.DataFrame
    """account_id, account_name, fit_score, intent_score, expected_acv, tier_override."""
    has_expected_acv: bool
    contacts: pd.DataFrame | None
    """account, engaged (bool)."""
    engagement: pd.DataFrame | None
    """account, date (datetime64[s]), weight, channel (``channel_key`` form)."""
    opportunities: pd.DataFrame
    """account, type, status (won/lost/open), amount, term_years, one_time_fees,
    created_date, close_date, timed (usable for time-based KPIs)."""
    spend: pd.DataFrame | None
    """tier (nan = program-wide), amount; channel (``channel_key`` form, None when
    blank) when the sheet has that optional column."""
    surveys: pd.DataFrame | None
    """account, score."""
    issues: pd.DataFrame


@dataclass
class _AccountIndex:
    """Account ids of the kept Accounts rows, and of the skipped ones."""

    kept: pd.Index
    skipped: pd.Index

    def lookup(self, sheet: _Sheet, name: str = "account_id") -> np.ndarray:
        """Account position of each row of ``sheet`` (-1: blank or unknown); skips those rows."""
        column = sheet.text[name]
        positions = self.kept.get_indexer(column.uniques)
        account = np.append(positions, -1)[column.codes]
        of_skipped_account = (positions < 0) & pd.Index(column.uniques).isin(self.skipped)
        sheet.skip_where(column.blank, name, f"blank {name}", blank_value=True)
        sheet.skip_where(
            np.append(of_skipped_account, False)[column.codes],
            name,
            f"{name} of a skipped Accounts row",
        )
        sheet.skip_where(account < 0, name, f"unknown {name}")
        return account


_ACCOUNT_NUMBERS = ("fit_score", "intent_score", "expected_acv", "tier_override")


def _clean_accounts(
    raw: RawTable | None, log: _IssueLog
) -> tuple[pd.DataFrame, _AccountIndex, bool]:
    sheet = _Sheet(
        raw,
        ACCOUNTS,
        ("account_id", "account_name", *_ACCOUNT_NUMBERS),
        log,
        as_written=("account_name",),
    )
    if raw is None:
        log.add_sheet_issue(ACCOUNTS.name, None, "required sheet missing", SHEET_EMPTY)
    if not sheet.usable:
        empty = pd.DataFrame(
            {
                "account_id": pd.Series(dtype=object),
                "account_name": pd.Series(dtype=object),
                **{c: pd.Series(dtype=float) for c in _ACCOUNT_NUMBERS},
            }
        )
        return empty, _AccountIndex(pd.Index([], dtype=object), pd.Index([], dtype=object)), False
    sheet.skip_blank_or_duplicate_id("account_id")
    sheet.skip_unreadable(*_ACCOUNT_NUMBERS)
    sheet.skip_negative("expected_acv")  # rule 5 (docs/funnel.md) before rule 6
    for name in ("fit_score", "intent_score"):
        if name in sheet.parsed:
            score = sheet.parsed[name].values
            sheet.skip_where((score < 0) | (score > 100), name, f"{name} outside 0-100")
    sheet.skip_not_a_tier("tier_override")
    kept = sheet.kept()
    fit = sheet.numbers("fit_score", kept)
    override = sheet.numbers("tier_override", kept)
    # A blank fit score is untiered (metrics.tier); say so unless an override sets the tier.
    untiered = np.zeros(len(sheet), dtype=bool)
    untiered[kept] = np.isnan(fit) & np.isnan(override)
    log.add(
        sheet.name,
        sheet.rows[untiered],
        sheet.column_label("fit_score"),
        np.full(int(untiered.sum()), None, dtype=object),
        "blank fit_score",
        AS_UNTIERED,
    )
    ids = sheet.text["account_id"]
    names = sheet.text["account_name"].text[kept] if "account_name" in sheet.text else None
    accounts = pd.DataFrame(
        {
            "account_id": ids.text[kept],
            "account_name": names if names is not None else np.full(len(kept), None, object),
            "fit_score": fit,
            "intent_score": sheet.numbers("intent_score", kept),
            "expected_acv": sheet.numbers("expected_acv", kept),
            "tier_override": override,
        }
    )
    kept_ids = pd.Index(accounts["account_id"].to_numpy(dtype=object), dtype=object)
    skipped_codes = np.unique(ids.codes[sheet.skip & (ids.codes >= 0)])
    skipped_ids = pd.Index(ids.uniques[skipped_codes], dtype=object).difference(kept_ids)
    return accounts, _AccountIndex(kept_ids, skipped_ids), "expected_acv" in sheet.parsed


def _no_data(sheet: _Sheet, kept: np.ndarray) -> bool:
    return not sheet.usable or len(kept) == 0


def _clean_contacts(raw: RawTable | None, accounts: _AccountIndex, log: _IssueLog):
    sheet = _Sheet(raw, CONTACTS, ("contact_id", "account_id", "engaged"), log)
    if not sheet.usable:
        return None
    sheet.skip_blank_or_duplicate_id("contact_id")
    account = accounts.lookup(sheet)
    if "engaged" in sheet.parsed:
        sheet.skip_where(sheet.parsed["engaged"].unreadable, "engaged", "unreadable Y/N")
    kept = sheet.kept()
    if _no_data(sheet, kept):
        return None
    engaged = sheet.numbers("engaged", kept, blank=0.0) == 1.0
    return pd.DataFrame({"account": account[kept], "engaged": engaged})


def _clean_engagement(
    raw: RawTable | None, accounts: _AccountIndex, weights: Mapping[str, float], log: _IssueLog
):
    sheet = _Sheet(raw, ENGAGEMENT, ("date", "account_id", "channel", "weight"), log)
    if not sheet.usable:
        return None
    account = accounts.lookup(sheet)
    sheet.skip_blank_required("date", "channel")
    sheet.skip_unreadable("date", "weight")
    sheet.skip_negative("weight")
    channel = sheet.text["channel"]
    channel_weight = np.array(
        [weights.get(channel_key(c), np.nan) for c in channel.uniques], dtype=np.float64
    )
    default_weight = channel.map_uniques(channel_weight, np.nan)
    weight = sheet.parsed["weight"].values if "weight" in sheet.parsed else None
    own_weight_blank = (
        sheet.parsed["weight"].blank if weight is not None else np.ones(len(sheet), dtype=bool)
    )
    unknown_unweighted = own_weight_blank & np.isnan(default_weight) & ~channel.blank
    sheet.repair_where(unknown_unweighted, "channel", "unknown channel with no weight", WEIGHT_ZERO)
    kept = sheet.kept()
    if _no_data(sheet, kept):
        return None
    filled = np.where(np.isnan(default_weight), 0.0, default_weight)
    if weight is not None:
        filled = np.where(own_weight_blank, filled, weight)
    channel_keys = np.array([channel_key(c) for c in channel.uniques], dtype=object)
    return pd.DataFrame(
        {
            "account": account[kept],
            "date": sheet.parsed["date"].values[kept],
            "weight": filled[kept],
            # object, not pandas' str dtype: a channel is text, never nan.
            "channel": pd.Series(channel.map_uniques(channel_keys, None)[kept], dtype=object),
        }
    )


def _opportunity_types(column: TextColumn) -> tuple[np.ndarray, np.ndarray]:
    """Type of each row, and which rows held a type the spec does not know."""
    canonical = np.array(
        [OPPORTUNITY_TYPES.get(normalize_token(t)) for t in column.uniques], dtype=object
    )
    unknown = np.append(pd.isna(canonical), False)[column.codes]
    types = column.map_uniques(np.where(pd.isna(canonical), NEW_BUSINESS, canonical), NEW_BUSINESS)
    return types, unknown


def _statuses(column: TextColumn) -> np.ndarray:
    tokens = [normalize_token(s) for s in column.uniques]
    status = np.array(
        [WON if t in WON_STATUSES else LOST if t in LOST_STATUSES else OPEN for t in tokens],
        dtype=object,
    )
    return column.map_uniques(status, None)


def _clean_opportunities(raw: RawTable | None, accounts: _AccountIndex, log: _IssueLog):
    uses = tuple(column.name for column in OPPORTUNITIES.columns)  # every column counts
    sheet = _Sheet(raw, OPPORTUNITIES, uses, log)
    if raw is None:
        log.add_sheet_issue(OPPORTUNITIES.name, None, "required sheet missing", SHEET_EMPTY)
    if not sheet.usable:
        return pd.DataFrame(
            {
                "account": np.zeros(0, dtype=np.int64),
                "type": np.zeros(0, dtype=object),
                "status": np.zeros(0, dtype=object),
                **{c: np.zeros(0) for c in ("amount", "term_years", "one_time_fees")},
                "created_date": np.zeros(0, dtype="datetime64[s]"),
                "close_date": np.zeros(0, dtype="datetime64[s]"),
                "timed": np.zeros(0, dtype=bool),
            }
        )
    sheet.skip_blank_or_duplicate_id("opportunity_id")
    account = accounts.lookup(sheet)
    sheet.skip_blank_required("status")
    sheet.skip_unreadable("amount", "term_years", "one_time_fees", "created_date", "close_date")
    sheet.skip_negative("amount", "one_time_fees")
    n = len(sheet)
    amount = sheet.numbers("amount", np.arange(n), blank=0.0)
    term = sheet.numbers("term_years", np.arange(n), blank=1.0)
    fees = sheet.numbers("one_time_fees", np.arange(n), blank=0.0)
    sheet.skip_where(term <= 0, "term_years", "term_years not more than 0")
    sheet.skip_where(fees > amount, "one_time_fees", "one_time_fees more than amount")
    if "type" in sheet.text:
        types, unknown_type = _opportunity_types(sheet.text["type"])
    else:
        types, unknown_type = np.full(n, NEW_BUSINESS, dtype=object), np.zeros(n, dtype=bool)
    sheet.repair_where(
        sheet.parsed["amount"].blank, "amount", "blank amount", AMOUNT_AS_ZERO, blank_value=True
    )
    created = sheet.parsed["created_date"].values
    close = (
        sheet.parsed["close_date"].values
        if "close_date" in sheet.parsed
        else np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
    )
    sheet.repair_where(
        np.isnat(created), "created_date", "blank created_date", OUT_OF_TIME_KPIS, blank_value=True
    )
    close_first = close < created  # False wherever either is NaT
    sheet.repair_where(
        close_first, "close_date", "close_date before created_date", OUT_OF_TIME_KPIS
    )
    sheet.repair_where(unknown_type, "type", "unknown type", AS_NEW_BUSINESS)
    kept = sheet.kept()
    return pd.DataFrame(
        {
            "account": account[kept],
            "type": types[kept],
            "status": _statuses(sheet.text["status"])[kept],
            "amount": amount[kept],
            "term_years": term[kept],
            "one_time_fees": fees[kept],
            "created_date": created[kept],
            "close_date": close[kept],
            "timed": (~np.isnat(created) & ~close_first)[kept],
        }
    )


def _clean_spend(raw: RawTable | None, log: _IssueLog):
    sheet = _Sheet(raw, SPEND, ("date", "tier", "amount", "channel"), log)
    if not sheet.usable:
        return None
    sheet.skip_blank_required("date")
    sheet.skip_unreadable("date", "tier", "amount")
    sheet.skip_negative("amount")
    sheet.skip_not_a_tier("tier")
    sheet.repair_where(
        sheet.parsed["amount"].blank, "amount", "blank amount", AMOUNT_AS_ZERO, blank_value=True
    )
    kept = sheet.kept()
    if _no_data(sheet, kept):
        return None
    amount = sheet.numbers("amount", kept, blank=0.0)
    spend = pd.DataFrame({"tier": sheet.numbers("tier", kept), "amount": amount})
    if "channel" in sheet.text:  # optional (analytics.md section 8): blank = no channel
        channel = sheet.text["channel"]
        keys = np.array([channel_key(c) for c in channel.uniques], dtype=object)
        spend["channel"] = pd.Series(channel.map_uniques(keys, None)[kept], dtype=object)
    return spend


def _clean_surveys(raw: RawTable | None, accounts: _AccountIndex, log: _IssueLog):
    sheet = _Sheet(raw, SURVEYS, ("account_id", "score"), log)
    if not sheet.usable:
        return None
    account = accounts.lookup(sheet)
    sheet.skip_blank_required("score")
    sheet.skip_unreadable("score")
    score = sheet.parsed["score"].values
    not_nps = (score < 0) | (score > 10) | (score != np.round(score))
    sheet.skip_where(not_nps & ~np.isnan(score), "score", "score not a whole number 0-10")
    kept = sheet.kept()
    if _no_data(sheet, kept):
        return None
    return pd.DataFrame({"account": account[kept], "score": score[kept]})


def clean_book(tables: Mapping[str, RawTable | None], today: dt.date) -> CleanBook:
    """Typed tables and DataIssues from the raw input sheets.

    Parameters
    ----------
    tables : mapping of str to RawTable or None
        Keyed by canonical sheet name (``schema.INPUT_SHEETS``); a missing key
        or ``None`` means the sheet is absent.
    today : datetime.date
        The as-of date when Settings leaves ``as_of`` blank.

    Returns
    -------
    CleanBook
        Never raises on bad cells: every row skipped or repaired is a row of
        ``issues`` (columns ``schema.ISSUE_COLUMNS``).
    """
    log = _IssueLog()
    settings = _clean_settings(tables.get(SETTINGS.name), today, log)
    weights = _clean_channel_weights(tables.get(CHANNEL_WEIGHTS.name), log)
    accounts, index, has_acv = _clean_accounts(tables.get(ACCOUNTS.name), log)
    return CleanBook(
        settings=settings,
        channel_weights=weights,
        accounts=accounts,
        has_expected_acv=has_acv,
        contacts=_clean_contacts(tables.get(CONTACTS.name), index, log),
        engagement=_clean_engagement(tables.get(ENGAGEMENT.name), index, weights, log),
        opportunities=_clean_opportunities(tables.get(OPPORTUNITIES.name), index, log),
        spend=_clean_spend(tables.get(SPEND.name), log),
        surveys=_clean_surveys(tables.get(SURVEYS.name), index, log),
        issues=log.frame(),
    )
