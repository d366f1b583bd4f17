"""What a workbook must hold before a refresh can start.

A book without an Accounts or Opportunities table, or an input table without
one of its required columns, cannot be refreshed: every front door stops with
the same one-line message (the CLI exits 1, the Excel button shows it in a
message box). Everything finer-grained (a bad cell, a bad row) is a DataIssues
row instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from abmxl.engine.model import RawTable
from abmxl.schema import INPUT_SHEETS, normalize_header


class InputError(Exception):
    """The workbook lacks a required table or column; the message says which."""


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
    book_name : str
        The workbook's file name, for the message.
    sheet_names : sequence of str, optional
        The workbook's sheets, listed in the message when a table is missing.
    """
    for name, spec in INPUT_SHEETS.items():
        table = tables.get(name)
        if table is None:
            if spec.required:
                listed = f" (sheets: {', '.join(sheet_names)})" if sheet_names else ""
                raise InputError(f"'{book_name}' has no {name} table or sheet{listed}")
            continue
        found = [str(column) for column in table.frame.columns if column is not None]
        present = {normalize_header(column) for column in found}
        missing = [column for column in spec.required_columns if column not in present]
        if missing:
            plural = "s" if len(missing) > 1 else ""
            raise InputError(
                f"the {table.sheet} sheet of '{book_name}' lacks the required column{plural} "
                f"{', '.join(missing)} (headers found: {', '.join(found) or 'none'})"
            )
