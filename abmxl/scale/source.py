"""What a SOURCE names: a Parquet file, a folder or glob of Parquet files, or a CSV file."""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["EventSource", "SourceError", "resolve_source"]

_PARQUET = (".parquet", ".parq", ".pq")
_CSV = (".csv", ".txt", ".tsv")


class SourceError(Exception):
    """SOURCE cannot be used: one line naming it, fit to show the user."""


@dataclass(frozen=True)
class EventSource:
    """The files of a SOURCE.

    Attributes
    ----------
    text : str
        SOURCE as the user wrote it.
    kind : {"parquet", "csv"}
    files : tuple of str
        The files, sorted (a folder or glob: every Parquet file in it).
    """

    text: str
    kind: str
    files: tuple[str, ...]

    @property
    def label(self) -> str:
        """``file events.parquet``, ``files events/*.parquet (12)``: the Inputs' Source."""
        if len(self.files) == 1:
            return f"file {Path(self.files[0]).name}"
        return f"files {self.text} ({len(self.files)})"


def resolve_source(text: str) -> EventSource:
    """The files SOURCE names; ``SourceError`` when there are none or of an unknown kind."""
    text = str(text).strip()
    if not text:
        raise SourceError("engagement source is blank")
    path = Path(text).expanduser()
    if path.is_dir():
        files = sorted(
            str(p) for p in path.rglob("*") if p.is_file() and p.suffix.lower() in _PARQUET
        )
        if not files:
            raise SourceError(f"engagement source {text}: no Parquet files in this folder")
        return EventSource(text, "parquet", tuple(files))
    if glob.has_magic(text):
        files = sorted(p for p in glob.glob(os.path.expanduser(text), recursive=True))
        files = [p for p in files if os.path.isfile(p)]
        if not files:
            raise SourceError(f"engagement source {text}: no file matches")
        if any(Path(p).suffix.lower() not in _PARQUET for p in files):
            raise SourceError(f"engagement source {text}: a glob must match Parquet files only")
        return EventSource(text, "parquet", tuple(files))
    if not path.is_file():
        raise SourceError(f"engagement source {text}: no such file or folder")
    suffix = path.suffix.lower()
    if suffix in _PARQUET:
        return EventSource(text, "parquet", (str(path),))
    if suffix in _CSV:
        return EventSource(text, "csv", (str(path),))
    raise SourceError(f"engagement source {text}: not a Parquet (.parquet) or CSV (.csv) file")
