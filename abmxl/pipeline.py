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
from collections.abc import Callable

from abmxl import engine
from abmxl.engine.events.computed import EventEngine
from abmxl.engine.model import FunnelSummary
from abmxl.engine.required import check_required
from abmxl.engine.sources import BookInputs
from abmxl.io.content import SheetContent
from abmxl.io.layout import build_output_sheets
from abmxl.scale.engines import source_opener

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
    event_engine: EventEngine | None = None,
    open_source: Callable[[str], EventEngine] | None = None,
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
    event_engine : callable, optional
        scale.md: the engine on the events of ``--engagement SOURCE``; it
        replaces the Engagement sheet.
    open_source : callable, optional
        Opens Settings ``engagement_source`` (default: DuckDB, a relative path
        taken from the current folder).

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
    tables = inputs.tables
    check_required(tables, inputs.name, list(inputs.sheets))
    say("computing the funnel")
    if open_source is None:
        open_source = source_opener()
    summary = engine.build_summary(
        tables, today=today, event_engine=event_engine, open_source=open_source
    )
    # The raw cell grids (a Python object per input cell) are the bulk of the
    # memory; drop them before the output sheets are generated (issue 13).
    del inputs, tables
    summary.refreshed_at = now
    write_sheets(build_output_sheets(summary), say)
    return summary
