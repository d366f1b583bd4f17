"""Read CRM exports saved as CSV files into ``RawTable``\\ s (ingest.md section 8).

Encoding: UTF-8 with or without a byte-order mark, else Windows-1252 (what
Excel on Windows writes for "CSV (Comma delimited)"); UTF-16 with a BOM
(Excel's "Unicode Text") is read too. Delimiter: ``,``, ``;`` or tab, whichever
splits the first lines into the most consistent number of fields. Every value
stays text as the file has it (``"00123"``, ``"$12,500.00"``); the engine maps
and parses it like a pasted export. A file that cannot be read raises
``CsvReadError`` with one line naming it.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import os
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from abmxl.engine.model import RawTable
from abmxl.engine.sources import INPUTS
from abmxl.io.rawtable import Grid, range_raw
from abmxl.schema import SHEET_SYNONYMS, name_key

__all__ = [
    "DELIMITERS",
    "CsvReadError",
    "as_table",
    "decode_csv",
    "read_csv",
    "read_csv_tables",
]

DELIMITERS = (",", ";", "\t")
_SNIFF_LINES = 50
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class CsvReadError(Exception):
    """A CSV file that cannot be read; ``str(error)`` is one line naming the file."""


def read_csv_tables(files: Mapping[str, str | os.PathLike[str]]) -> dict[str, RawTable]:
    """One ``RawTable`` per input name -> CSV file (``{"Accounts": "a.csv"}``).

    Input names match as sheet names do (``accounts`` and ``Deals`` name
    Accounts and Opportunities); the result is keyed by canonical input name,
    in ``abmxl.engine.sources.INPUTS`` order.
    """
    by_key = {name_key(name): name for name in INPUTS}
    for name, synonyms in SHEET_SYNONYMS.items():
        by_key.update({name_key(synonym): name for synonym in synonyms})
    tables: dict[str, RawTable] = {}
    for given, path in files.items():
        name = by_key.get(name_key(given))
        if name is None:
            raise CsvReadError(f"{Path(path).name}: no input named {given!r}")
        tables[name] = read_csv(path)
    return {name: tables[name] for name in INPUTS if name in tables}


def read_csv(path: str | os.PathLike[str]) -> RawTable:
    """A CSV file as a plain range: ``header_known=False``, positional columns, every
    record (the index is its 1-based number in the file), values as text with
    ``None`` for an empty field; ``sheet`` and ``source`` name the file."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CsvReadError(f"no such file: '{path}'") from None
    except IsADirectoryError:
        raise CsvReadError(f"'{path}' is a folder, not a CSV file") from None
    except OSError as error:
        raise CsvReadError(f"cannot open '{path.name}': {error.strerror or error}") from error
    text = decode_csv(data, path.name)
    delimiter = _delimiter(text)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise CsvReadError(f"'{path.name}' is not a readable CSV file ({error})") from error
    cells = _rectangle(rows)
    if cells.size:
        cells[np.equal(cells, "")] = None
    raw = range_raw(path.name, f"file {path.name}", Grid(cells, 0, 0))
    if raw is None:
        raise CsvReadError(f"'{path.name}' is empty: it needs a header row and data rows")
    return raw


def _rectangle(rows: list[list[str]]) -> np.ndarray:
    """Records of any lengths -> a 2-D object array padded with ``""`` (in C:
    ``zip_longest`` transposes them into columns)."""
    columns = list(itertools.zip_longest(*rows, fillvalue=""))
    cells = np.empty((len(rows), len(columns)), dtype=object)
    for position, column in enumerate(columns):  # one step per column, not per row
        cells[:, position] = column
    return cells


def decode_csv(data: bytes, name: str) -> str:
    """The file's text: UTF-8 (BOM or not), UTF-16 with a BOM, else Windows-1252."""
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise CsvReadError(
            f"'{name}' is a workbook, not a CSV file: refresh it as a book (abmxl refresh {name})"
        )
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as error:
                raise CsvReadError(f"'{name}' is not readable {encoding} text ({error})") from None
    if b"\x00" in data:
        raise CsvReadError(f"'{name}' is not a text file: abmxl reads CSV files saved as text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as error:
        raise CsvReadError(
            f"'{name}' is neither UTF-8 nor Windows-1252 text (byte {error.start}); "
            "save it as CSV UTF-8"
        ) from None


def _delimiter(text: str) -> str:
    """``,``, ``;`` or tab: the one splitting the first lines into the same number (more
    than one) of fields most often; ties go to the earlier in ``DELIMITERS``."""
    head = text[: 1 << 16].splitlines()[: _SNIFF_LINES * 2]  # not the whole file
    sample = "\n".join(line for line in head if line.strip())
    best, best_score = DELIMITERS[0], (0, 0)
    for delimiter in DELIMITERS:
        try:
            reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
            counts = Counter(len(row) for _, row in zip(range(_SNIFF_LINES), reader, strict=False))
        except csv.Error:
            continue
        width, lines = max(counts.items(), key=lambda item: (item[1], item[0]), default=(0, 0))
        score = (lines, width) if width > 1 else (0, 0)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def as_table(raw: RawTable) -> pd.DataFrame:
    """A CSV's rows as an Excel Table holds them: its header row as the columns, the
    data rows below it, every value text as the file has it (``abmxl new --accounts``).

    The header row is the first row filled in at least half the columns (and in
    two, when the file has two): a report's title rows above it (one filled
    cell each) are left out.
    Headers are made what an Excel Table needs, as Excel makes them: a blank one
    becomes ``Column3``, a repeated one ``Amount2``.
    """
    cells = raw.frame.to_numpy(dtype=object)
    filled = (~np.equal(cells, None)).sum(axis=1)
    widest = int(filled.max()) if len(filled) else 0
    at = int(np.argmax(filled >= max(min(2, widest), (widest + 1) // 2)))
    header: list[str] = []
    seen: set[str] = set()
    for position, cell in enumerate(cells[at], start=1):
        name = str(cell).strip() if cell is not None else ""
        base, number = name or f"Column{position}", 1
        name = base
        while name.casefold() in seen:
            number += 1
            name = f"{base}{number}"
        seen.add(name.casefold())
        header.append(name)
    body = cells[at + 1 :]
    body = body[(~np.equal(body, None)).any(axis=1)]
    return pd.DataFrame(body, columns=pd.Index(header, dtype=object), dtype=object)
