"""The engines by name, imported only when asked for (each is an optional install)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from abmxl.engine.events.computed import EventEngine
from abmxl.scale.source import resolve_source

__all__ = ["ENGINES", "EngineNotInstalled", "event_engine", "source_opener"]

ENGINES: dict[str, tuple[str, str, str]] = {
    # name: (module, class, the package it needs)
    "duckdb": ("abmxl.scale.duckdb_engine", "DuckDBEngine", "duckdb"),
    "polars": ("abmxl.scale.polars_engine", "PolarsEngine", "polars"),
    "spark": ("abmxl.scale.spark_engine", "SparkEngine", "pyspark"),
}


class EngineNotInstalled(Exception):
    """The engine's package is not installed: one line saying how to install it."""


def event_engine(
    source: str, engine: str = "duckdb", spark_master: str | None = None
) -> EventEngine:
    """The engine ``engine`` on the events of ``source`` (checked now: SourceError)."""
    if engine not in ENGINES:
        raise EngineNotInstalled(f"unknown engine {engine!r}: use one of {', '.join(ENGINES)}")
    module_name, class_name, package = ENGINES[engine]
    try:
        importlib.import_module(package)
    except ImportError:
        extra = "" if engine == "duckdb" else f"[{engine}]"
        raise EngineNotInstalled(
            f"engine {engine} is not installed: pip install abmxl{extra}"
        ) from None
    events = resolve_source(source)
    cls = getattr(importlib.import_module(module_name), class_name)
    if engine == "spark":
        return cls(events, master=spark_master or "local[*]")
    return cls(events)


def source_opener(
    engine: str = "duckdb", spark_master: str | None = None, base: Path | None = None
) -> Callable[[str], EventEngine]:
    """Opens Settings ``engagement_source`` on ``engine``; a relative path is
    taken from ``base`` (the workbook's folder) when given."""

    def open_source(source: str) -> EventEngine:
        path = Path(source).expanduser()
        if base is not None and not path.is_absolute():
            source = str(base / path)
        return event_engine(source, engine, spark_master)

    return open_source
