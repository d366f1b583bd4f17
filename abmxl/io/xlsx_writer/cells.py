"""Cell values as ``<c>`` elements: single cells and whole table columns.

This is the hot path of a refresh (a 50,000-row Account Scores sheet): table
columns are classified once (numbers, text, booleans, dates) and rendered with
numpy/pandas and one f-string per cell; only mixed columns go value by value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import numpy as np
import pandas as pd

from abmxl.io.cellref import column_letters
from abmxl.io.content import FMT_DATE, FMT_DATETIME
from abmxl.io.xlsx_writer.styles import Styles
from abmxl.io.xlsx_writer.xmltext import is_missing, number_text, number_texts, t_elements


class Dates:
    """Serial numbers in the workbook's date system (1900 or 1904)."""

    def __init__(self, date1904: bool) -> None:
        self.date1904 = date1904
        self.epoch = dt.datetime(1904, 1, 1) if date1904 else dt.datetime(1899, 12, 30)
        self.first = dt.datetime(1904, 1, 1) if date1904 else dt.datetime(1900, 1, 1)

    def serial(self, value: dt.date) -> float | None:
        """None for dates Excel cannot hold (before its epoch)."""
        if not isinstance(value, dt.datetime):
            value = dt.datetime(value.year, value.month, value.day)
        value = value.replace(tzinfo=None)
        if value < self.first:
            return None
        days = (value - self.epoch) / dt.timedelta(days=1)
        # Excel's 1900 system counts a 29 Feb 1900 that never was.
        if not self.date1904 and value < dt.datetime(1900, 3, 1):
            days -= 1
        return days

    def serials(self, values: np.ndarray) -> np.ndarray | None:
        """Vectorized ``serial``; None when some value needs the slow path."""
        try:
            stamps = pd.DatetimeIndex(pd.to_datetime(pd.Series(values, dtype=object)))
        except (ValueError, TypeError, OverflowError):
            return None
        if stamps.tz is not None:
            stamps = stamps.tz_localize(None)
        if (stamps[stamps.notna()] < pd.Timestamp(self.first)).any():
            return None
        days = (stamps - pd.Timestamp(self.epoch)) / pd.Timedelta(days=1)
        days = np.asarray(days, dtype=float)
        if not self.date1904:
            days = np.where(np.asarray(stamps < pd.Timestamp(1900, 3, 1)), days - 1, days)
        return days


class CellWriter:
    """Renders single values and whole table columns as ``<c>`` elements."""

    def __init__(self, styles: Styles, dates: Dates) -> None:
        self.styles = styles
        self.dates = dates

    def cell(
        self,
        ref: str,
        value: object,
        number_format: str | None = None,
        bold: bool = False,
        size: float | None = None,
    ) -> str:
        """One cell's XML, or "" for an empty value (nan/None: no cell)."""
        if is_missing(value):
            return ""
        if isinstance(value, bool | np.bool_):
            s = self.styles.attr(number_format, bold, size)
            return f'<c r="{ref}"{s} t="b"><v>{int(bool(value))}</v></c>'
        if isinstance(value, str):
            s = self.styles.attr(number_format, bold, size)
            return f'<c r="{ref}"{s} t="inlineStr"><is>{t_elements([value])[0]}</is></c>'
        if isinstance(value, int | float | np.integer | np.floating | Decimal):
            text = number_text(float(value)) if not isinstance(value, int) else str(value)
            if text is None:
                return ""
            s = self.styles.attr(number_format, bold, size)
            return f'<c r="{ref}"{s}><v>{text}</v></c>'
        if isinstance(value, np.datetime64):
            value = pd.Timestamp(value).to_pydatetime()
        if isinstance(value, dt.date):
            default = FMT_DATETIME if isinstance(value, dt.datetime) else FMT_DATE
            serial = self.dates.serial(value)
            if serial is None:  # before 1900: Excel has no such date; keep it readable
                return self.cell(ref, value.isoformat(), number_format, bold, size)
            s = self.styles.attr(number_format or default, bold, size)
            return f'<c r="{ref}"{s}><v>{number_text(serial)}</v></c>'
        raise TypeError(f"cannot write a {type(value).__name__} into cell {ref}")

    def column(
        self,
        values: Sequence[object],
        col: int,
        row_numbers: list[str],
        number_format: str | None,
        cell_formats: Sequence[str | None] | None,
    ) -> list[str]:
        """The cells of one table column, "" where a value is empty.

        ``row_numbers`` are the 1-based worksheet row numbers as text (shared by
        all columns of a table). Uniform columns (text, numbers, booleans, dates)
        are classified and converted with numpy/pandas and rendered with one
        f-string per cell; mixed columns go through ``cell`` value by value.
        """
        n = len(values)
        array = np.empty(n, dtype=object)
        array[:] = values
        kind = pd.api.types.infer_dtype(array, skipna=True)
        if kind == "empty":
            return [""] * n
        formats: list[str | None] | None = None
        if cell_formats is not None:
            formats = [f if f is not None else number_format for f in cell_formats]

        texts: list[str | None] | None = None
        # What follows the style attribute: the cell type, then the tag holding the value.
        type_attr, value_tag = "", "v"
        if kind in ("date", "datetime", "datetime64"):
            serials = self.dates.serials(array)
            if serials is not None:
                default = FMT_DATE if kind == "date" else FMT_DATETIME
                number_format = number_format or default
                if formats is not None:
                    formats = [f or default for f in formats]
                texts = number_texts(serials)
        elif kind in ("integer", "floating", "mixed-integer-float", "decimal"):
            texts = number_texts(np.asarray(array, dtype=float))
        elif kind == "boolean":
            missing = pd.isna(array)
            flags = np.where(missing, None, np.where(array.astype(bool), "1", "0"))
            texts, type_attr = flags.tolist(), ' t="b"'
        elif kind == "string":
            missing = pd.isna(array)
            strings = np.full(n, None, dtype=object)
            strings[~missing] = t_elements(array[~missing].tolist())
            texts, type_attr, value_tag = strings.tolist(), ' t="inlineStr"', "is"

        if texts is None:  # mixed types: value by value
            per_cell = formats if formats is not None else [number_format] * n
            letter = column_letters(col)
            return [
                self.cell(f"{letter}{r}", v, f)
                for r, v, f in zip(row_numbers, values, per_cell, strict=True)
            ]
        prefix = f'<c r="{column_letters(col)}'
        opening, closing = f"{type_attr}><{value_tag}>", f"</{value_tag}></c>"
        if formats is None:
            s = self.styles.attr(number_format) + opening
            return [
                f'{prefix}{r}"{s}{t}{closing}' if t is not None else ""
                for r, t in zip(row_numbers, texts, strict=True)
            ]
        styles = [a + opening for a in self._style_attrs(formats)]
        return [
            f'{prefix}{r}"{s}{t}{closing}' if t is not None else ""
            for r, s, t in zip(row_numbers, styles, texts, strict=True)
        ]

    def _style_attrs(self, formats: list[str | None]) -> list[str]:
        # In order of first use, not set order: a new style's index must not
        # depend on the string hash seed, or refreshes would differ byte-wise.
        attrs = {f: self.styles.attr(f) for f in dict.fromkeys(formats)}
        return [attrs[f] for f in formats]
