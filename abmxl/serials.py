"""Excel serial dates, both ways, in one place.

Excel stores a date as a serial day number. In the 1900 date system (the
default) serial 1 is 1900-01-01 and Excel counts a 29 Feb 1900 that never
was, so serial 61 is 1900-03-01 and every later day is (date - 1899-12-30)
days; in the 1904 system (``<workbookPr date1904="1"/>``, old Mac books)
serial 0 is 1904-01-01. 2958465 is 9999-12-31, the last day Excel shows.

Every place that turns a serial into a date or back uses this module: the
engine (``serial_days``, reading number cells of date columns), the Excel
functions (``date_serial``, a date cell from classic xlwings), the template
builder and the file writer (``date_serial``/``datetime64_serials``).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from numpy.typing import ArrayLike, NDArray

EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
EXCEL_EPOCH_DATETIME = dt.datetime(1899, 12, 30)
EXCEL_EPOCH_1904 = np.datetime64("1904-01-01", "D")
FIRST_SERIAL, LAST_SERIAL = 61, 2958465

_PHANTOM_LEAP_DAY = dt.datetime(1900, 3, 1)  # serials before it are one day off
_FIRST_DAY = {False: dt.datetime(1900, 1, 1), True: dt.datetime(1904, 1, 1)}
_EPOCH = {False: EXCEL_EPOCH_DATETIME, True: dt.datetime(1904, 1, 1)}
_DAY_NS = np.int64(86_400 * 10**9)


def serial_days(serials: ArrayLike) -> tuple[NDArray[np.datetime64], NDArray[np.bool_]]:
    """Excel serial numbers (1900 system) -> (calendar days, which serials are dates Excel shows).

    Serials 1-60 fall before Excel's phantom 1900-02-29, where its day count is
    off by one, so they are not read as dates. Time of day is the fraction and
    is dropped: abmxl counts whole calendar days. Days at invalid positions are
    placeholders (the first valid day): mask them.

    >>> days, valid = serial_days([46112, 46112.75, 60, 2958466])
    >>> [str(d) for d in days[valid]], valid.tolist()
    (['2026-03-31', '2026-03-31'], [True, True, False, False])
    """
    serials = np.asarray(serials, dtype=np.float64)
    valid = (serials >= FIRST_SERIAL) & (serials < LAST_SERIAL + 1)
    whole = np.floor(np.where(valid, serials, FIRST_SERIAL)).astype(np.int64)
    return EXCEL_EPOCH + whole.astype("timedelta64[D]"), valid


def date_serial(value: dt.date, *, date1904: bool = False) -> float | None:
    """A date or datetime -> its Excel serial (time of day as the fraction); None for a
    day before the date system's first (Excel cannot hold it). A timezone is dropped.

    >>> date_serial(dt.date(2026, 3, 31)), date_serial(dt.datetime(2026, 3, 31, 18))
    (46112.0, 46112.75)
    >>> date_serial(dt.date(1900, 1, 1)), date_serial(dt.date(1899, 12, 31))
    (1.0, None)
    >>> date_serial(dt.date(1904, 1, 2), date1904=True)
    1.0
    """
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    value = value.replace(tzinfo=None)
    if value < _FIRST_DAY[date1904]:
        return None
    days = (value - _EPOCH[date1904]) / dt.timedelta(days=1)
    if not date1904 and value < _PHANTOM_LEAP_DAY:
        days -= 1
    return days


def datetime64_serials(
    stamps: ArrayLike, *, date1904: bool = False
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Vectorized ``date_serial`` of ``datetime64`` values: (serials with ``nan`` for
    NaT, which values Excel cannot hold: before the first day of its date system).

    >>> serials, early = datetime64_serials(np.array(["2026-03-31T18:00", "NaT"], "M8[ns]"))
    >>> serials.tolist(), early.tolist()
    ([46112.75, nan], [False, False])
    """
    stamps = np.asarray(stamps, dtype="datetime64[ns]")
    missing = np.isnat(stamps)
    epoch = np.datetime64(_EPOCH[date1904], "ns")
    days = (stamps - epoch).astype(np.int64) / _DAY_NS
    early = ~missing & (stamps < np.datetime64(_FIRST_DAY[date1904], "ns"))
    if not date1904:
        days = np.where(stamps < np.datetime64(_PHANTOM_LEAP_DAY, "ns"), days - 1, days)
    return np.where(missing, np.nan, days), early
