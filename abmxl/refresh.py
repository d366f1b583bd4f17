"""The headless refresh: workbook file in, funnel written back, summary returned.

``refresh_workbook`` is the Python front door; ``abmxl refresh`` (the CLI) is a
thin shell around it. It runs ``abmxl.pipeline.run_refresh``, the one refresh
the Excel button (``abmxl.excel.refresh``) runs too; only the reading and
writing differ. ``refresh_csv`` builds a report workbook from CSV files alone.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from abmxl.engine import FunnelSummary
from abmxl.engine.sources import BookInputs
from abmxl.io.content import SheetContent
from abmxl.io.reader import read_book
from abmxl.io.xlsx_writer import check_writable_target, write_sheets
from abmxl.pipeline import run_refresh

WRITABLE_SUFFIXES = (".xlsx", ".xlsm")

Progress = Callable[[str], None]


class RefreshError(Exception):
    """A refresh that cannot start, with a message meant for the user."""


def refresh_workbook(
    path: str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    *,
    today: dt.date | None = None,
    progress: Progress | None = None,
    engagement: str | os.PathLike[str] | None = None,
    engine: str = "duckdb",
    spark_master: str | None = None,
) -> FunnelSummary:
    """Rebuild the Funnel Summary and Account Scores sheets of a workbook.

    Parameters
    ----------
    path : path-like
        The .xlsx or .xlsm workbook to read.
    out : path-like, optional
        Where to write the refreshed workbook; default: ``path`` itself. The
        file is written atomically: a failed refresh leaves it as it was.
    today : datetime.date, optional
        The date used when the Settings sheet leaves ``as_of`` blank; default:
        the machine's date. Pass it to make a refresh reproducible.
    progress : callable, optional
        Called with a short message as each phase starts.
    engagement : path-like, optional
        scale.md: a Parquet file, folder or glob, or a CSV file of events that
        replaces the Engagement sheet (default: Settings ``engagement_source``,
        taken from the workbook's folder when relative, else the sheet).
    engine : {"duckdb", "polars", "spark"}
        Where the events of a SOURCE are computed.
    spark_master : str, optional
        The Spark master URL of ``engine="spark"`` (default ``local[*]``).

    Returns
    -------
    FunnelSummary
        The tables written into the workbook (``.to_json()`` gives the CLI's
        ``--json`` document).

    Raises
    ------
    RefreshError, WorkbookReadError, WorkbookWriteError, InputError
        With a one-line message fit to show the user.
    """
    source = Path(path)
    target = Path(out) if out is not None else source
    _check_target(source, target)

    from abmxl.scale import event_engine, source_opener

    # SOURCE is checked (exists, engine installed) before the book is read.
    events = None if engagement is None else event_engine(str(engagement), engine, spark_master)

    def read(say: Progress) -> BookInputs:
        say(f"reading {source.name}")
        return read_book(source, progress=say)

    return run_refresh(
        read,
        _file_writer(source, target),
        today=today or dt.date.today(),
        now=dt.datetime.now().replace(microsecond=0),
        progress=progress,
        event_engine=events,
        open_source=source_opener(engine, spark_master, base=source.resolve().parent),
    )


def refresh_csv(
    csv_files: Mapping[str, str | os.PathLike[str]],
    out: str | os.PathLike[str],
    *,
    today: dt.date | None = None,
    progress: Progress | None = None,
) -> FunnelSummary:
    """Build a report workbook from CSV files alone (ingest.md section 8).

    Parameters
    ----------
    csv_files : mapping of str to path-like
        CSV file per input name (``{"Accounts": "a.csv", "Opportunities":
        "o.csv", ...}``).
    out : path-like
        The .xlsx or .xlsm to create: the template with each CSV's rows in its
        input Table (as ``abmxl new --accounts ...`` builds it), refreshed from
        the CSVs.
    today, progress
        As for ``refresh_workbook``.

    Raises
    ------
    RefreshError, CsvReadError, InputError, WorkbookWriteError
        With a one-line message fit to show the user; nothing is written then.
    """
    from abmxl.io.csv_reader import as_table, read_csv_tables
    from abmxl.template import build_workbook

    target = Path(out)
    _check_target(target, target)
    say = progress or (lambda message: None)
    say("reading the CSV files")
    tables = read_csv_tables(csv_files)

    def write(contents: list[SheetContent], say: Progress) -> None:
        # The book is built next to the target and replaces it only once written.
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".abmxl-") as folder:
            book = Path(folder) / f"report{target.suffix.lower()}"
            say(f"writing {target.name}")
            build_workbook(
                book,
                {name: as_table(raw) for name, raw in tables.items()},
                vba=target.suffix.lower() == ".xlsm",
                as_given=set(tables),
            )
            write_sheets(book, book, contents)
            os.replace(book, target)

    names = ", ".join(Path(file).name for file in csv_files.values())
    return run_refresh(
        lambda say: BookInputs(names, dict(tables), list(tables)),
        write,
        today=today or dt.date.today(),
        now=dt.datetime.now().replace(microsecond=0),
        progress=say,
    )


def _file_writer(source: Path, target: Path) -> Callable[[list[SheetContent], Progress], None]:
    def write(contents: list[SheetContent], say: Progress) -> None:
        say(f"writing {target.name}")
        write_sheets(source, target, contents)

    return write


def _check_target(source: Path, target: Path) -> None:
    for path in dict.fromkeys((source, target)):
        if path.is_dir():
            raise RefreshError(f"{path} is a folder; give the workbook file (.xlsx or .xlsm)")
    if target.suffix.lower() not in WRITABLE_SUFFIXES:
        raise RefreshError(
            f"{target.name}: abmxl writes .xlsx and .xlsm workbooks; "
            f"save the workbook in one of those formats first"
        )
    if source.suffix.lower() == ".xlsm" and target.suffix.lower() == ".xlsx":
        raise RefreshError(
            f"{target.name}: writing a macro workbook ({source.name}) to .xlsx would drop "
            "its macros; use an .xlsm output"
        )
    if source.suffix.lower() == ".xlsx" and target.suffix.lower() == ".xlsm":
        # The package would still say "workbook without macros" (its content
        # type), which Excel refuses to open under an .xlsm name.
        raise RefreshError(
            f"{target.name}: a macro workbook (.xlsm) can only come from a macro workbook; "
            f"{source.name} has no macros: use an .xlsx output"
        )
    if source.exists():  # (a missing source is the reader's one-line error)
        check_writable_target(target)  # read-only, a missing folder: say so before reading
    # Excel keeps "~$name" beside a workbook it has open; replacing the file
    # under it would lose whatever the user has not saved yet.
    # Its name is "~$" + the name, or "~$" over the first two characters of a
    # longer name ("Pipeline.xlsx" -> "~$peline.xlsx").
    for owner_file in {
        target.with_name("~$" + target.name),
        target.with_name("~$" + target.name[2:]),
    }:
        if not owner_file.exists():
            continue
        raise RefreshError(
            f"{target.name} is open in Excel (found {owner_file.name}); close it, or refresh "
            "from Excel with the Refresh funnel button"
        )
