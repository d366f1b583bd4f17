"""Text-level XML for the parts the writer generates: escaping, numbers, references.

Generated parts (sheets, tables, charts) are built as strings, which is what
keeps a 50,000-row sheet fast; these helpers make that text well-formed and
say values the way Excel stores them.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from abmxl.io.cellref import column_letters

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

# Excel's limit on the text in a cell.
MAX_CELL_TEXT = 32767

ILLEGAL_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_ILLEGAL_XML_CHARS_BUT_NUL = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_T_PRESERVE = '<t xml:space="preserve">'
_NEEDS_PRESERVE = re.compile(r"<t>(?=[ \t\n\r]|&#13;|[^<]*(?:[ \t\n\r]|&#13;)</t>)")
# Excel reads "_xHHHH_" in cell text as an escaped character; a literal one is
# written with its underscore escaped as "_x005F_".
_EXCEL_CHAR_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")


def escape_attr(value: str) -> str:
    """An attribute value, quoted with ``"``: illegal characters dropped, escaped."""
    value = ILLEGAL_XML_CHARS.sub("", value)
    return (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("\n", "&#10;")
        .replace("\r", "&#13;")
        .replace("\t", "&#9;")
    )


def format_attributes(attributes: dict[str, str]) -> str:
    return "".join(f' {k}="{escape_attr(v)}"' for k, v in attributes.items())


def escape_text(value: str) -> str:
    # A literal CR would be read back as LF (XML end-of-line normalisation).
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def xml_text(value: str) -> str:
    """Cell text as XML character data: illegal characters dropped, escaped."""
    if len(value) > MAX_CELL_TEXT:
        value = value[:MAX_CELL_TEXT]
    value = ILLEGAL_XML_CHARS.sub("", value)
    value = _EXCEL_CHAR_ESCAPE.sub(r"_x005F_\1", value)
    return escape_text(value)


def t_elements(values: list[str]) -> list[str]:
    """``<t>`` elements holding cell texts, built at C speed.

    The texts are joined with NUL (illegal in XML, so dropped from every value
    and free to separate them), escaped and tagged as one string, then split.
    ``xml:space="preserve"`` is added where a text starts or ends with
    whitespace: a regex lookahead can stay within one element because escaped
    text holds no "<".
    """
    if not values:
        return []
    joined = "\x00".join(values)
    if joined.count("\x00") != len(values) - 1 or max(map(len, values)) > MAX_CELL_TEXT:
        escaped = "\x00".join(map(xml_text, values))
    else:
        escaped = _ILLEGAL_XML_CHARS_BUT_NUL.sub("", joined)
        escaped = escape_text(_EXCEL_CHAR_ESCAPE.sub(r"_x005F_\1", escaped))
    tagged = "<t>" + escaped.replace("\x00", "</t>\x00<t>") + "</t>"
    return _NEEDS_PRESERVE.sub(_T_PRESERVE, tagged).split("\x00")


def ref(row: int, col: int) -> str:
    """The A1 reference of a 0-based (row, col)."""
    return f"{column_letters(col)}{row + 1}"


def absolute_range(sheet: str, first_row: int, col: int, last_row: int) -> str:
    """``'Sheet'!$A$1:$A$9`` for a 0-based column range."""
    letter = column_letters(col)
    quoted = "'" + sheet.replace("'", "''") + "'"
    return f"{quoted}!${letter}${first_row + 1}:${letter}${last_row + 1}"


def number_text(value: float) -> str | None:
    """A finite number as Excel stores it; integral values without ".0"."""
    if value != value or value in (float("inf"), float("-inf")):
        return None
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def number_texts(values: np.ndarray) -> list[str | None]:
    """Vectorized ``number_text``."""
    finite = np.isfinite(values)
    integral = finite & (np.abs(values) < 1e15) & (values == np.trunc(values))
    texts = np.full(values.shape, None, dtype=object)
    texts[integral] = list(map(str, values[integral].astype(np.int64).tolist()))
    fractional = finite & ~integral
    texts[fractional] = list(map(repr, values[fractional].tolist()))
    return texts.tolist()


def is_missing(value: object) -> bool:
    """None, NA, NaT or nan: written as no cell."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(value != value)
    except (TypeError, ValueError):
        return False
