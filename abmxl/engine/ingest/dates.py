"""Dates as CRMs write them (ingest.md section 4).

Date and date-time cells are dates (the time of day is dropped); numbers are
Excel serial dates of the 1900 system. Text is read in ISO form
(``2026-03-15``, ``2026/03/15``, with an optional time), with month names
(``15 Mar 2026``, ``March 15, 2026``, ``15-Mar-26``, an optional weekday
before), and with numeric day and month in either order (``03/15/2026``,
``15.03.2026``, ``3/15/26``). Two-digit years are 2000-2068 and 1969-1999.

Numeric orders follow Settings ``date_order``: ``MDY``, ``DMY``, or ``auto``
(the default), decided per column: a value whose first part is above 12 means
day-first, one whose second part is above 12 means month-first. When neither
occurs the column is read month-first and ``ParsedColumn.note`` says so; when
both occur the values that disagree with the majority of rows are unreadable.

>>> parse_dates(["15.03.2026", "01.04.2026"]).values.astype("datetime64[D]")
array(['2026-03-15', '2026-04-01'], dtype='datetime64[D]')
>>> parse_dates(["03/04/2026"]).note
'day and month order is ambiguous: read as month/day; set date_order in Settings'
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from abmxl.engine.ingest.cells import (
    BLANK,
    DATE,
    NUMBER,
    TEXT,
    ParsedColumn,
    as_object_array,
    classify,
)
from abmxl.serials import serial_days

__all__ = ["AMBIGUOUS_ORDER", "DATE_FORMATS_ACCEPTED", "parse_dates"]

AMBIGUOUS_ORDER = "day and month order is ambiguous: read as month/day; set date_order in Settings"
DATE_FORMATS_ACCEPTED = (
    "a date cell, 2026-03-31, 31 Mar 2026, March 31, 2026, 03/31/2026 or 31.03.2026"
)

_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_MONTH = (
    r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_WEEKDAY = r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"
_TIME = (
    r"(?:(?:[T\s]|,\s*)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[ap]\.?m\.?)?"
    r"(?:\s*(?:z|utc|gmt|[+-]\d{2}:?\d{2}))?)?"
)
_YEAR = r"(?P<y>\d{4}|\d{2})"
_ISO = re.compile(rf"^(?P<y>\d{{4}})[-/.](?P<m>\d{{1,2}})[-/.](?P<d>\d{{1,2}}){_TIME}$", re.I)
_DAY_MONTH_NAME = re.compile(
    rf"^{_WEEKDAY}(?P<d>\d{{1,2}})(?:st|nd|rd|th)?[\s\-./]+{_MONTH}[\s\-./,]+{_YEAR}{_TIME}$", re.I
)
_MONTH_NAME_DAY = re.compile(
    rf"^{_WEEKDAY}{_MONTH}[\s\-./]+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?[\s\-./]+{_YEAR}{_TIME}$", re.I
)
_NUMERIC = re.compile(
    rf"^(?P<a>\d{{1,2}})(?P<sep>[/.\-])(?P<b>\d{{1,2}})(?P=sep){_YEAR}{_TIME}$", re.I
)


def _full_years(years: np.ndarray) -> np.ndarray:
    """Two-digit years: 00-68 are 2000-2068, 69-99 are 1969-1999."""
    return np.where(years < 69, years + 2000, np.where(years < 100, years + 1900, years))


def _days(years: np.ndarray, months: np.ndarray, days: np.ndarray) -> np.ndarray:
    """datetime64[D] of each (y, m, d); NaT where there is no such day."""
    out = np.full(len(years), np.datetime64("NaT"), dtype="datetime64[D]")
    valid = (months >= 1) & (months <= 12) & (days >= 1) & (days <= 31) & (years >= 1)
    if valid.any():
        stamps = pd.to_datetime(
            pd.DataFrame({"year": years[valid], "month": months[valid], "day": days[valid]}),
            errors="coerce",
        )
        out[valid] = stamps.to_numpy().astype("datetime64[D]")
    return out


def _numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(frame[column], errors="coerce").fillna(0).to_numpy(dtype=np.int64)


def _text_dates(text: pd.Series, counts: np.ndarray, order: str) -> tuple[np.ndarray, str | None]:
    """(datetime64[D] days, column note) of distinct stripped texts; ``counts`` = rows each."""
    n = len(text)
    days = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    iso = text.str.extract(_ISO)
    hit = iso["y"].notna().to_numpy()
    if hit.any():
        part = iso[hit]
        days[hit] = _days(_numbers(part, "y"), _numbers(part, "m"), _numbers(part, "d"))
    for pattern in (_DAY_MONTH_NAME, _MONTH_NAME_DAY):
        found = text.str.extract(pattern)
        hit = found["y"].notna().to_numpy() & np.isnat(days)
        if hit.any():
            part = found[hit]
            months = part["mon"].str.lower().str.slice(0, 3).map(_MONTHS).to_numpy(dtype=np.int64)
            days[hit] = _days(_full_years(_numbers(part, "y")), months, _numbers(part, "d"))
    numeric = text.str.extract(_NUMERIC)
    hit = numeric["y"].notna().to_numpy() & np.isnat(days)
    note = None
    if hit.any():
        part = numeric[hit]
        first, second = _numbers(part, "a"), _numbers(part, "b")
        years = _full_years(_numbers(part, "y"))
        day_first = first > 12
        month_first = second > 12
        keep = np.ones(len(part), dtype=bool)
        if order == "auto":
            day_rows = counts[hit][day_first].sum()
            month_rows = counts[hit][month_first].sum()
            if day_rows and month_rows:
                order = "DMY" if day_rows > month_rows else "MDY"
                keep = ~(month_first if order == "DMY" else day_first)
            elif day_rows:
                order = "DMY"
            else:
                order = "MDY"
                if not month_rows and (first != second).any():
                    note = AMBIGUOUS_ORDER
        months, day_numbers = (first, second) if order == "MDY" else (second, first)
        parsed = _days(years, months, day_numbers)
        parsed[~keep] = np.datetime64("NaT")
        days[hit] = parsed
    return days, note


def parse_dates(values: object, *, order: str = "auto") -> ParsedColumn:
    """Calendar date of each cell as ``datetime64[s]`` at midnight (``NaT`` where blank).

    Parameters
    ----------
    values : array-like of cells
    order : {"auto", "MDY", "DMY"}
        How numeric day/month text is read (Settings ``date_order``).

    A date column holds few distinct values (days), so the cells are
    factorized and each distinct cell is converted once.
    """
    values = as_object_array(values)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    uniques = np.asarray(uniques, dtype=object)
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    kinds = classify(uniques)
    days = np.full(len(uniques), np.datetime64("NaT"), dtype="datetime64[D]")
    blank = kinds == BLANK
    is_date = np.flatnonzero(kinds == DATE)
    if len(is_date):
        stamps = pd.to_datetime(pd.Series(uniques[is_date], dtype=object), errors="coerce")
        days[is_date] = stamps.to_numpy().astype("datetime64[D]")
    is_number = np.flatnonzero(kinds == NUMBER)
    if len(is_number):
        serial_dates, valid = serial_days(uniques[is_number].astype(np.float64))
        days[is_number[valid]] = serial_dates[valid]
    is_text = np.flatnonzero(kinds == TEXT)
    note = None
    if len(is_text):
        text = pd.Series(uniques[is_text], dtype=object).str.strip()
        empty = (text == "").to_numpy(dtype=bool)
        blank[is_text] = empty
        filled = is_text[~empty]
        if len(filled):
            found, note = _text_dates(text[~empty].reset_index(drop=True), counts[filled], order)
            days[filled] = found
    unreadable = ~blank & np.isnat(days)
    return ParsedColumn(
        np.append(days, np.datetime64("NaT"))[codes].astype("datetime64[s]"),
        np.append(blank, True)[codes],
        np.append(unreadable, False)[codes],
        note,
    )
