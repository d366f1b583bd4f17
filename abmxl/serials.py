"""Excel's 1900 date system: serial day numbers as calendar days.

Serial 61 is 1900-03-01; serials 1-60 fall before Excel's phantom 1900-02-29,
where its day count is off by one, so they are not read as dates. 2958465 is
9999-12-31, the last day Excel shows. Time of day is the fraction and is
dropped: abmxl counts whole calendar days.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from numpy.typing import ArrayLike, NDArray

EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
EXCEL_EPOCH_DATETIME = dt.datetime(1899, 12, 30)
FIRST_SERIAL, LAST_SERIAL = 61, 2958465


def serial_days(serials: ArrayLike) -> tuple[NDArray[np.datetime64], NDArray[np.bool_]]:
    """Excel serial numbers -> (calendar days, which serials are dates Excel shows).

    Days at invalid positions are placeholders (the first valid day): mask them.
    """
    serials = np.asarray(serials, dtype=np.float64)
    valid = (serials >= FIRST_SERIAL) & (serials < LAST_SERIAL + 1)
    whole = np.floor(np.where(valid, serials, FIRST_SERIAL)).astype(np.int64)
    return EXCEL_EPOCH + whole.astype("timedelta64[D]"), valid
