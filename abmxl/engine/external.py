"""Events from a SOURCE outside the workbook (scale.md): ask the engine, attach its results.

The door hands ``build_summary`` an :data:`~abmxl.engine.events.computed.EventEngine`
(a function of an :class:`~abmxl.engine.events.computed.EventQuery`); this
module builds the query from the cleaned book (accounts, channel weights,
Settings), runs it, and puts the per-account results, the SOURCE's DataIssues
rows and its Inputs row into the book. The engine module itself reads no file.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np
import pandas as pd

from abmxl.engine.clean import CleanBook
from abmxl.engine.events.computed import EventEngine, EventQuery
from abmxl.engine.ingest.maps import read_column_map, read_value_map
from abmxl.engine.model import RawTable
from abmxl.engine.trends import PERIOD_MONTHS, PeriodWindow
from abmxl.schema import COLUMN_MAP, ENGAGEMENT, VALUE_MAP

__all__ = ["attach_events", "event_query"]


def event_query(book: CleanBook, tables: Mapping[str, RawTable | None]) -> EventQuery:
    """What the refresh of ``book`` needs from an engine."""
    settings = book.settings
    as_of_day = int(np.datetime64(settings.as_of, "D").view(np.int64))
    window = PeriodWindow(settings.period, int(settings.trend_periods), settings.as_of)
    before = int(np.datetime64(window.previous_period_end, "D").view(np.int64))
    column_map = read_column_map(tables.get(COLUMN_MAP.name))
    value_map = read_value_map(tables.get(VALUE_MAP.name))
    return EventQuery(
        account_ids=book.accounts["account_id"].to_numpy(dtype=object),
        opportunity_accounts=np.unique(book.opportunities["account"].to_numpy(dtype=np.int64)),
        channel_weights=dict(book.channel_weights),
        channel_names=value_map.for_column(ENGAGEMENT.name, "channel"),
        column_map=column_map.for_sheet(ENGAGEMENT.name),
        as_of_day=as_of_day,
        score_days=tuple(sorted({as_of_day, before})),
        window_days=settings.window_days,
        half_life_days=settings.half_life_days,
        engagement_min=settings.engagement_min,
        recent_days=settings.spike_recent_days,
        baseline_days=settings.spike_baseline_days,
        period_months=PERIOD_MONTHS[settings.period],
        decimal_separator=settings.decimal_separator,
        date_order=settings.date_order,
    )


def attach_events(
    book: CleanBook, tables: Mapping[str, RawTable | None], engine: EventEngine
) -> CleanBook:
    """``book`` with the engine's event results in place of the Engagement sheet's."""
    computed = engine(event_query(book, tables))
    issues = pd.concat([book.issues, computed.issues], ignore_index=True)
    inputs = book.inputs
    if inputs is not None:
        inputs = inputs.copy()
        row = inputs["Input"] == ENGAGEMENT.name
        inputs.loc[row, "Source"] = computed.source
        inputs.loc[row, "Rows read"] = computed.rows_read
        inputs.loc[row, "Rows skipped"] = computed.rows_read - computed.rows_used
        inputs.loc[row, "Columns"] = "; ".join(
            f"{column} <- {header}" for column, header in computed.columns.items()
        )
        positions = np.flatnonzero(row.to_numpy())
        inputs.attrs["columns"] = [
            dict(computed.columns) if i in positions else columns
            for i, columns in enumerate(book.inputs.attrs.get("columns", []))
        ]
    return dataclasses.replace(
        book, engagement=None, computed_events=computed, issues=issues, inputs=inputs
    )
