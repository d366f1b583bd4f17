"""The headless refresh: workbook file in, funnel written back, summary returned.

``refresh_workbook`` is the Python front door; ``abmxl refresh`` (the CLI) is a
thin shell around it. It runs the same engine and layout as the Excel button
(``abmxl.excel.refresh``); only the reading and writing differ.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path

from abmxl.engine import FunnelSummary, build_summary
from abmxl.io.layout import build_output_sheets
from abmxl.io.reader import read_tables
from abmxl.io.xlsx_writer import check_writable_target, write_sheets

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

    Returns
    -------
    FunnelSummary
        The tables written into the workbook (``.to_json()`` gives the CLI's
        ``--json`` document).

    Raises
    ------
    RefreshError, WorkbookReadError, WorkbookWriteError
        With a one-line message fit to show the user.
    """
    source = Path(path)
    target = Path(out) if out is not None else source
    _check_target(source, target)
    say = progress or (lambda message: None)

    say(f"reading {source.name}")
    tables = read_tables(source, progress=say)
    say("computing the funnel")
    summary = build_summary(tables, today=today or dt.date.today())
    summary.refreshed_at = dt.datetime.now().replace(microsecond=0)
    say(f"writing {target.name}")
    write_sheets(source, target, build_output_sheets(summary))
    return summary


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
