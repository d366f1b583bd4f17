"""What a workbook must hold before a refresh can start.

A book without an Accounts or Opportunities table, or an input table without
one of its required columns, cannot be refreshed: every front door stops with
the same one-line message (the CLI exits 1, the Excel button shows it in a
message box). The message lists every input at once, each missing column with
the closest header found (ingest.md section 2). Everything finer-grained (a
bad cell, a bad row) is a DataIssues row instead.

Headers are found and matched exactly as the engine does
(``engine.ingest.headers.locate``, with the book's ColumnMap), so the check
and the refresh cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from abmxl.engine.ingest.headers import closest_header, locate
from abmxl.engine.ingest.maps import mapped_headers
from abmxl.engine.model import RawTable
from abmxl.schema import INPUT_SHEETS


class InputError(Exception):
    """The workbook lacks a required table or column, or a setting that cannot be guessed."""


def missing_inputs(tables: Mapping[str, RawTable | None]) -> tuple[list[str], list[str]]:
    """(required tables absent, one phrase per missing column), in ``INPUT_SHEETS`` order."""
    column_map = mapped_headers(tables)
    absent: list[str] = []
    columns: list[str] = []
    for name, spec in INPUT_SHEETS.items():
        table = tables.get(name)
        if table is None:
            if spec.required:
                absent.append(name)
            continue
        located = locate(table, spec, column_map.for_sheet(name))
        for column in located.match.missing(spec):
            used = set(located.match.positions.values())
            closest = closest_header(column, spec, located.headers, used)
            found = f'closest header: "{closest}"' if closest else "no headers found"
            columns.append(f"{name}: no column for {column} ({found})")
    return absent, columns


def check_required(
    tables: Mapping[str, RawTable | None],
    book_name: str,
    sheet_names: Sequence[str] | None = None,
) -> None:
    """Raise ``InputError`` unless every required table and column is present.

    Parameters
    ----------
    tables : mapping
        The reader's tables, keyed by canonical sheet name; absent = missing.
        A ``ColumnMap`` entry, when present, is applied as the engine applies it.
    book_name : str
        The workbook's file name, for the message.
    sheet_names : sequence of str, optional
        The workbook's sheets, listed in the message when a table is missing.

    Examples
    --------
    The message names every input's missing columns at once::

        'book.xlsx' cannot be refreshed: Opportunities: no column for status
        (closest header: "Forecast Category"); add it to ColumnMap or rename
        the header
    """
    absent, columns = missing_inputs(tables)
    if not absent and not columns:
        return
    parts = []
    if absent:
        listed = f" (sheets: {', '.join(sheet_names)})" if sheet_names else ""
        parts.append(f"'{book_name}' has no {' or '.join(absent)} table or sheet{listed}")
    if columns:
        advice = (
            "add it to ColumnMap or rename the header"
            if len(columns) == 1
            else "add them to ColumnMap or rename the headers"
        )
        lead = "" if absent else f"'{book_name}' cannot be refreshed: "
        parts.append(lead + "; ".join([*columns, advice]))
    raise InputError("; ".join(parts))
