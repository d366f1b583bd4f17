"""Numbers as CRMs write them (ingest.md section 4).

Number cells are numbers. Text is read as a number when, after trimming, it
is an optional sign or accounting parentheses, an optional currency symbol or
ISO code before or after, digits with thousands separators (``,`` ``.``
space, no-break space, ``'``) and an optional decimal part, an optional
exponent, and (where the column allows it) a ``%``. ``decimal`` (Settings
``decimal_separator``) picks the decimal mark only when a text reads both
ways: ``1,234`` is 1234 with ``.`` and 1.234 with ``,``; ``12.500,00`` reads
one way only, 12500.

>>> parse_numbers(["$12,500.00", "(5,000)", "12.500,00 EUR", "1e3", "abc", None]).values
array([12500., -5000., 12500.,  1000.,    nan,    nan])
>>> parse_numbers(["85%", 0.85], percent="points", percent_format=[False, True]).values
array([85., 85.])
>>> parse_numbers(["10%"], percent="fraction").values
array([0.1])
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from abmxl.engine.ingest.cells import (
    BLANK,
    NUMBER,
    TEXT,
    ParsedColumn,
    as_object_array,
    classify,
)

__all__ = ["CURRENCIES", "PercentRule", "parse_numbers", "read_number_texts"]

PercentRule = Literal["none", "points", "fraction"]

# Symbols and ISO 4217 codes of the currencies CRM exports write most.
CURRENCIES = (
    "US$ CA$ AU$ NZ$ HK$ S$ R$ A$ C$ $ € £ ¥ ₹ ₩ ₽ ₺ ₪ ฿ ₫ zł kr Fr. CHF "
    "USD EUR GBP JPY INR CAD AUD NZD CNY RMB HKD SGD SEK NOK DKK PLN CZK HUF "
    "BRL MXN ZAR KRW RUB TRY ILS AED SAR THB"
).split()
_CURRENCY = "(?:" + "|".join(re.escape(c) for c in CURRENCIES) + ")"
_SPACES = re.compile(r"[\u00a0\u202f\u2009\u2007]")
_EXPONENT = r"(?:[eE][+-]?\d+)?"
# Reading A: "." is the decimal mark, "," space or "'" groups thousands.
_DOT_DECIMAL = (
    rf"(?:\d{{1,3}}(?P<t>[, '])\d{{3}}(?:(?P=t)\d{{3}})*|\d+)(?:\.\d*)?{_EXPONENT}|\.\d+{_EXPONENT}"
)
# Reading B: "," is the decimal mark, "." space or "'" groups thousands.
_COMMA_DECIMAL = (
    rf"(?:\d{{1,3}}(?P<t>[. '])\d{{3}}(?:(?P=t)\d{{3}})*|\d+)(?:,\d*)?{_EXPONENT}|,\d+{_EXPONENT}"
)


def read_number_texts(
    texts: pd.Series, decimal: str = ".", percent: PercentRule = "none"
) -> tuple[np.ndarray, np.ndarray]:
    """(value, readable) of stripped, non-empty texts (vectorized string ops)."""
    text = texts.astype(str).str.replace(_SPACES, " ", regex=True).str.strip()
    paren = text.str.fullmatch(r"\(.*\)").to_numpy(dtype=bool)
    text = text.where(~paren, text.str.slice(1, -1).str.strip())
    has_percent = text.str.endswith("%").to_numpy(dtype=bool)
    text = text.where(~has_percent, text.str.slice(0, -1).str.strip())
    parts = text.str.extract(
        rf"^(?P<s1>[+-]?)\s*(?P<c1>{_CURRENCY}?)\s*(?P<s2>[+-]?)\s*(?P<body>.*?)\s*(?P<c2>{_CURRENCY}?)$",
        flags=re.IGNORECASE,
    )
    body = parts["body"].fillna("")
    signs = (parts["s1"].fillna("") + parts["s2"].fillna("")).to_numpy(dtype=object)
    one_currency = ~((parts["c1"].fillna("") != "") & (parts["c2"].fillna("") != "")).to_numpy()
    dot = body.str.fullmatch(_DOT_DECIMAL).to_numpy(dtype=bool)
    comma = body.str.fullmatch(_COMMA_DECIMAL).to_numpy(dtype=bool)
    use_comma = comma & (~dot | (decimal == ","))
    use_dot = dot & ~use_comma
    digits = pd.Series(np.full(len(body), "", dtype=object), index=body.index)
    digits[use_dot] = body[use_dot].str.replace(r"[, ']", "", regex=True)
    digits[use_comma] = (
        body[use_comma].str.replace(r"[. ']", "", regex=True).str.replace(",", ".", regex=False)
    )
    readable = (use_dot | use_comma) & one_currency & np.isin(signs, ["", "+", "-"])
    readable &= ~(paren & (signs != ""))
    if percent == "none":
        readable &= ~has_percent
    values = np.full(len(body), np.nan)
    if readable.any():
        values[readable] = pd.to_numeric(digits[readable], errors="coerce").to_numpy(
            dtype=np.float64
        )
    negative = paren | (signs == "-")
    values = np.where(negative, -values, values)
    if percent == "fraction":
        values = np.where(has_percent, values / 100.0, values)
    readable &= np.isfinite(values)
    return values, readable


def parse_numbers(
    values: object,
    *,
    decimal: str = ".",
    percent: PercentRule = "none",
    percent_format: Sequence[bool] | np.ndarray | None = None,
) -> ParsedColumn:
    """Float value of each cell (``nan`` where blank or unreadable).

    Parameters
    ----------
    values : array-like of cells
    decimal : {".", ","}
        The decimal mark for text that reads both ways (Settings ``decimal_separator``).
    percent : {"none", "points", "fraction"}
        Whether text may end in ``%``: not at all; as a 0-100 score (``85%`` is
        85, and a number cell with a percent format, ``percent_format``, is
        multiplied by 100); or as a fraction (``10%`` is 0.10).
    percent_format : array of bool, optional
        True where the cell has a percent number format (``RawTable.percent``).
    """
    values = as_object_array(values)
    kinds = classify(values)
    out = np.full(len(values), np.nan)
    blank = kinds == BLANK
    is_number = kinds == NUMBER
    if is_number.all():
        out = values.astype(np.float64)
    elif is_number.any():
        out[is_number] = values[is_number].astype(np.float64)
    if percent == "points" and percent_format is not None:
        shown_as_percent = np.asarray(percent_format, dtype=bool) & is_number
        out[shown_as_percent] *= 100.0
    readable = is_number & np.isfinite(out)
    is_text = np.flatnonzero(kinds == TEXT)
    if len(is_text):
        codes, uniques = pd.factorize(values[is_text])
        stripped = pd.Series(uniques, dtype=object).str.strip()
        empty = (stripped == "").to_numpy(dtype=bool)
        numbers, ok = read_number_texts(stripped, decimal, percent)
        ok &= ~empty
        blank[is_text] = empty[codes]
        out[is_text] = numbers[codes]
        readable[is_text] = ok[codes]
    unreadable = ~blank & ~readable
    out[~readable] = np.nan
    return ParsedColumn(out, blank, unreadable)
