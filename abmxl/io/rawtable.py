"""Cells of a found input -> ``RawTable``, the same way for every reader.

The file reader (python-calamine), the Excel reader (xlwings) and the CSV
reader each get a rectangle of cells (an object array, ``None`` for an empty
cell) and, for the workbook readers, a rectangle of percent-format flags; this
module cuts a Table or a plain range out of them, so that the same book read
through either door gives equal ``RawTable``\\ s (the contract is in
``abmxl.engine.model.RawTable``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from abmxl.engine.model import RawTable


@dataclass(frozen=True)
class Grid:
    """A rectangle of a worksheet: ``cells`` (object, ``None`` = empty) whose top-left
    cell is worksheet row ``top``, column ``left`` (0-based); ``percent`` the same
    shape, True where the cell has a percent number format (None: not known)."""

    cells: np.ndarray
    top: int
    left: int
    percent: np.ndarray | None = None

    def region(self, top: int, left: int, bottom: int, right: int) -> Grid:
        """Rows ``top..bottom`` and columns ``left..right`` (0-based, inclusive), padded
        with empty cells where they reach past the grid."""
        height, width = max(bottom - top + 1, 0), max(right - left + 1, 0)
        if (top, left, (height, width)) == (self.top, self.left, self.cells.shape):
            return self  # the usual Table: it is the sheet's used range; no copy
        cells = np.full((height, width), None, dtype=object)
        percent = None if self.percent is None else np.zeros((height, width), dtype=bool)
        r0, r1 = max(top, self.top), min(bottom + 1, self.top + self.cells.shape[0])
        c0, c1 = max(left, self.left), min(right + 1, self.left + self.cells.shape[1])
        if r0 < r1 and c0 < c1:
            source = (slice(r0 - self.top, r1 - self.top), slice(c0 - self.left, c1 - self.left))
            target = (slice(r0 - top, r1 - top), slice(c0 - left, c1 - left))
            cells[target] = self.cells[source]
            if percent is not None and self.percent is not None:
                percent[target] = self.percent[source]
        return Grid(cells, top, left, percent)


def blank_cells(cells: np.ndarray) -> np.ndarray:
    """True where a cell is empty (``None``)."""
    return np.equal(cells, None)


def table_raw(
    sheet: str,
    source: str,
    header: list[object],
    body: Grid,
    *,
    below: Grid | None = None,
) -> RawTable:
    """An Excel Table: its ``header`` (the header cells, or the Table's column names
    when it has no header row) and its ``body`` (the data rows: no header, no totals
    row).

    The frame's columns are the header texts (a number as its text, ``2026``); a
    column whose header is blank is left out. ``below`` is the block of the
    Table's columns under it, to the end of the sheet's used range: its filled
    rows before the first blank one are reported as ``rows_below``.
    """
    names_all = [header_text(cell) for cell in header]
    keep = [i for i, name in enumerate(names_all) if name.strip()]
    names = [names_all[i] for i in keep]
    if body.cells.shape[1] != len(names_all):  # a body narrower or wider than its header
        height = body.cells.shape[0]
        body = body.region(body.top, body.left, body.top + height - 1, body.left + len(header) - 1)
    cells = body.cells if len(keep) == body.cells.shape[1] else body.cells[:, keep]
    return RawTable(
        sheet=sheet,
        frame=_frame(cells, body.top, names),
        source=source,
        header_known=True,
        percent=_percent_frame(body, keep, names),
        rows_below=_rows_below(below),
    )


def range_raw(sheet: str, source: str, grid: Grid) -> RawTable | None:
    """A plain range: every row of the used range, positional columns; None when empty.

    Blank rows and columns around the filled cells are trimmed (Excel's used
    range may include formatted empty cells that python-calamine leaves out),
    so both workbook readers give the same frame.
    """
    blank = blank_cells(grid.cells)
    filled_rows = np.flatnonzero(~blank.all(axis=1))
    filled_cols = np.flatnonzero(~blank.all(axis=0))
    if not len(filled_rows):
        return None
    top, bottom = grid.top + filled_rows[0], grid.top + filled_rows[-1]
    left, right = grid.left + filled_cols[0], grid.left + filled_cols[-1]
    trimmed = grid.region(int(top), int(left), int(bottom), int(right))
    keep = list(range(trimmed.cells.shape[1]))
    return RawTable(
        sheet=sheet,
        frame=_frame(trimmed.cells, trimmed.top, keep),
        source=source,
        header_known=False,
        percent=_percent_frame(trimmed, keep, keep),
    )


def header_text(cell: object) -> str:
    """A header cell as text: ``2026`` (a number) reads ``"2026"``, blank reads ``""``."""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return "" if cell is None else str(cell)


def _frame(cells: np.ndarray, top: int, columns: list) -> pd.DataFrame:
    return pd.DataFrame(
        cells,
        columns=pd.Index(columns, dtype=object),
        index=pd.RangeIndex(top + 1, top + 1 + cells.shape[0]),
        dtype=object,
        copy=False,
    )


def _percent_frame(grid: Grid, keep: list[int], columns: list) -> pd.DataFrame | None:
    """The percent flags as a frame shaped like the cells', or None when no cell has a
    percent format (or the reader cannot know)."""
    if grid.percent is None:
        return None
    flags = grid.percent[:, keep]
    if not flags.any():
        return None
    return pd.DataFrame(
        flags,
        columns=pd.Index(columns, dtype=object),
        index=pd.RangeIndex(grid.top + 1, grid.top + 1 + flags.shape[0]),
    )


def _rows_below(below: Grid | None) -> tuple[int, int] | None:
    if below is None or not below.cells.size:
        return None
    blank_rows = blank_cells(below.cells).all(axis=1)
    count = int(np.argmax(blank_rows)) if blank_rows.any() else len(blank_rows)
    return (below.top + 1, count) if count else None
