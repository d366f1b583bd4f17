"""Events beyond the workbook (scale.md): a SOURCE of events and the engines that read it.

``abmxl refresh BOOK --engagement SOURCE [--engine duckdb|polars|spark]`` and
the Settings key ``engagement_source`` replace the Engagement sheet with
SOURCE (a Parquet file, a folder or glob of Parquet files, or a CSV file).
An engine computes every event-level result of the refresh where the events
are and hands back only per-account (and per-period, and the touches of
opportunity accounts) arrays: :class:`abmxl.engine.events.computed.ComputedEvents`.

- :mod:`.source`: what SOURCE names (files, kind), one-line errors;
- :mod:`.rules`: what every engine shares: header matching (ingest's), the
  small lookup tables (accounts, channels, distinct date and number texts
  parsed by ingest), DataIssues rows capped per source;
- :mod:`.duckdb_engine`, :mod:`.polars_engine`: the engines.
"""

from __future__ import annotations

from abmxl.scale.engines import ENGINES, EngineNotInstalled, event_engine, source_opener
from abmxl.scale.source import SourceError

__all__ = ["ENGINES", "EngineNotInstalled", "SourceError", "event_engine", "source_opener"]
