"""A1-style cell references, shared by the workbook reader and writer."""

from __future__ import annotations

import functools


@functools.cache
def column_letters(col: int) -> str:
    """0-based column index -> Excel letters (0 -> ``A``, 26 -> ``AA``)."""
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_index(letters: str) -> int:
    """Excel letters -> 0-based column index (``A`` -> 0, ``AA`` -> 26)."""
    index = 0
    for letter in letters.upper():
        index = index * 26 + ord(letter) - 64
    return index - 1
