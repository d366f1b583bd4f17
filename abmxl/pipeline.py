"""The one refresh: read the inputs, check them, compute, lay out, write.

Every door runs ``run_refresh``; only how tables are read and how sheets are
written differ:

- ``abmxl.refresh.refresh_workbook`` (Python API, ``abmxl refresh BOOK``):
  ``abmxl.io.reader.read_book`` and ``abmxl.io.xlsx_writer.write_sheets``;
- ``abmxl.refresh.refresh_csv`` (``abmxl refresh --accounts a.csv ... --out
  R.xlsx``): ``abmxl.io.csv_reader.read_csv_tables`` and the same file writer;
- ``abmxl.excel.refresh`` (the Excel button, xlwings Lite):
  ``abmxl.excel.read_book`` and ``abmxl.excel.render_sheet``.

The engine reads no clock: ``today`` (used when Settings leaves ``as_of``
blank) and ``now`` (the time shown as refreshed) come from the door.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from abmxl import engine
from abmxl.engine.model import FunnelSummary, RawTable
from abmxl.engine.required import check_required
from abmxl.engine.sources import BookInputs
from abmxl.io.content import SheetContent
from abmxl.io.layout import build_output_sheets
from abmxl.io.rawtable import header_text

Progress = Callable[[str], None]

__all__ = ["BookInputs", "ReadInputs", "WriteSheets", "run_refresh"]


ReadInputs = Callable[[Progress], BookInputs]
WriteSheets = Callable[[list[SheetContent], Progress], None]


def run_refresh(
    read_inputs: ReadInputs,
    write_sheets: WriteSheets,
    *,
    today: dt.date,
    now: dt.datetime,
    progress: Progress | None = None,
) -> FunnelSummary:
    """Refresh once: ``read_inputs`` -> required check -> engine -> layout -> ``write_sheets``.

    Parameters
    ----------
    read_inputs : callable
        Given the progress callback, returns the ``BookInputs``.
    write_sheets : callable
        Given the output sheets' ``SheetContent`` and the progress callback,
        writes them (all or nothing is the writer's promise).
    today : datetime.date
        The as-of date when Settings leaves ``as_of`` blank.
    now : datetime.datetime
        The refresh time shown above the tables (``FunnelSummary.refreshed_at``).
    progress : callable, optional
        Called with a short message as each phase starts.

    Returns
    -------
    FunnelSummary
        What was written.

    Raises
    ------
    abmxl.engine.required.InputError
        A required input or column is missing; nothing is written. Readers and
        writers raise their own one-line errors.
    """
    say = progress or (lambda message: None)
    inputs = read_inputs(say)
    tables = promote_first_row_headers(inputs.tables)
    check_required(tables, inputs.name, list(inputs.sheets))
    say("computing the funnel")
    summary = engine.build_summary(tables, today=today)
    summary.refreshed_at = now
    write_sheets(build_output_sheets(summary), say)
    return summary


# TEMPORARY (until the ingest branch's header-row detection lands; delete this
# function and its one call in run_refresh at that merge): the engine still
# expects header_known=True tables, so a plain range's first non-blank row is
# promoted to its header, as the readers did before.
def promote_first_row_headers(tables: Mapping[str, RawTable]) -> dict[str, RawTable]:
    """Plain ranges (``header_known=False``) with their first non-blank row as header;
    one without any filled row is left out (absent), as before."""
    promoted: dict[str, RawTable] = {}
    for name, raw in tables.items():
        if raw.header_known:
            promoted[name] = raw
            continue
        cells = raw.frame.to_numpy(dtype=object)
        filled = np.flatnonzero(~np.equal(cells, None).all(axis=1)) if cells.size else []
        if not len(filled):
            continue
        at = int(filled[0])
        header = [header_text(cell) for cell in cells[at]]
        keep = [i for i, text in enumerate(header) if text.strip()]
        body = raw.frame.iloc[at + 1 :, keep]
        frame = pd.DataFrame(
            body.to_numpy(dtype=object),
            columns=pd.Index([header[i] for i in keep], dtype=object),
            index=body.index,
            dtype=object,
        )
        percent = None
        if raw.percent is not None:
            flags = raw.percent.iloc[at + 1 :, keep].to_numpy(dtype=bool)
            percent = pd.DataFrame(flags, columns=frame.columns, index=frame.index)
        promoted[name] = RawTable(raw.sheet, frame, raw.source, True, percent, raw.rows_below)
    return promoted
