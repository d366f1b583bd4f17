"""Cells as readers hand them -> typed column arrays: the shared machinery.

Kind codes of cells (blank, text, number, date, ...), text and id columns as
integer codes into their distinct texts (``TextColumn``), and the
``ParsedColumn`` every number, date and word parser returns. All work is per
column over numpy object arrays, and text work runs once per distinct value.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

__all__ = [
    "BLANK",
    "BOOL",
    "DATE",
    "NUMBER",
    "TEXT",
    "TIME",
    "ParsedColumn",
    "TextColumn",
    "as_object_array",
    "classify",
    "parse_text",
    "stripped_text",
]

# --- cell classification ----------------------------------------------------

BLANK, TEXT, NUMBER, DATE, BOOL, TIME, OTHER = range(7)
_BLANK, _TEXT, _NUMBER, _DATE, _BOOL, _TIME, _OTHER = BLANK, TEXT, NUMBER, DATE, BOOL, TIME, OTHER

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


@dataclass
class ParsedColumn:
    """A number, date or Y/N column: values, blank cells, unreadable cells.

    ``note`` is a column-level remark for DataIssues (a date column whose day
    and month order had to be assumed), or None.
    """

    values: np.ndarray
    blank: np.ndarray
    unreadable: np.ndarray
    note: str | None = None

    def take(self, rows: np.ndarray) -> ParsedColumn:
        return ParsedColumn(self.values[rows], self.blank[rows], self.unreadable[rows], self.note)


def _stripped_text(values: np.ndarray) -> pd.Series:
    return pd.Series(values, dtype=object).str.strip()


classify = _classify
as_object_array = _as_object_array
stripped_text = _stripped_text
