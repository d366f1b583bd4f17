"""The ``abmxl`` command.

    abmxl refresh BOOK [--out OUT] [--json]   rebuild the funnel of a workbook
    abmxl refresh --accounts A.csv --opportunities O.csv [...] --out REPORT.xlsx
                                              the report from CSV exports alone
    abmxl new BOOK.xlsm [--sample N]          a copy of the template, with sample data
    abmxl new BOOK.xlsm --accounts A.csv --opportunities O.csv [--engagement E.csv ...]
                                              the template holding CSV exports
    abmxl template OUT.xlsm                   build the template workbook
    abmxl demo [--dir DIR] [--accounts N]     sample workbook -> refresh -> print
    abmxl metrics [--json]                    every metric's worked example

Errors a user can act on (a missing, locked, read-only, corrupt or
non-workbook file, a wrong argument) print one line and exit 1; nothing is
written. Exit 3 is kept for a bug (an internal error). Warnings about a write
that succeeded (a signed workbook's signature is invalidated) are printed as
``abmxl: warning: ...`` lines.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from abmxl import __version__

EXIT_OK, EXIT_ERROR, EXIT_INTERNAL = 0, 1, 3


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return _run_printing_warnings(args)
    except BrokenPipeError:
        # The reader of our output went away (`abmxl ... | head`): not an error
        # worth a message; keep Python from complaining while it exits.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("abmxl: interrupted; the workbook was not changed", file=sys.stderr)
        return 130
    except Exception as error:
        # The user gets one line, never a traceback; a bug says it is one.
        if _is_user_error(error):
            print(f"abmxl: error: {error}", file=sys.stderr)
            return EXIT_ERROR
        if os.environ.get("ABMXL_DEBUG"):
            raise
        print(
            f"abmxl: internal error ({type(error).__name__}: {error}); no file was changed. "
            "Set ABMXL_DEBUG=1 to see the traceback and please report it.",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


class UsageError(Exception):
    """A command-line argument the command cannot use (exit 1, one line)."""


def _run_printing_warnings(args: argparse.Namespace) -> int:
    """Run the command; the writer's warnings (``WorkbookWarning``) go to stderr, one line each."""
    from abmxl.io.xlsx_writer import WorkbookWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", WorkbookWarning)
        try:
            return args.run(args)
        finally:
            for warning in caught:
                if issubclass(warning.category, WorkbookWarning):
                    print(f"abmxl: warning: {warning.message}", file=sys.stderr)
                else:
                    warnings.showwarning(
                        warning.message, warning.category, warning.filename, warning.lineno
                    )


def _is_user_error(error: Exception) -> bool:
    from abmxl.engine.required import InputError
    from abmxl.io.csv_reader import CsvReadError
    from abmxl.io.reader import WorkbookReadError
    from abmxl.io.xlsx_writer import WorkbookWriteError
    from abmxl.refresh import RefreshError
    from abmxl.scale import EngineNotInstalled, SourceError

    return isinstance(
        error,
        UsageError
        | RefreshError
        | WorkbookReadError
        | WorkbookWriteError
        | InputError
        | CsvReadError
        | SourceError
        | EngineNotInstalled
        | OSError,
    )


class _Parser(argparse.ArgumentParser):
    """argparse with abmxl's rule for user mistakes: one line on stderr, exit 1.

    (argparse's own rule is the usage block and exit 2.)
    """

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="abmxl", description="Account-based marketing funnel and metrics for Excel."
    )
    parser.add_argument("--version", action="version", version=f"abmxl {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    refresh = commands.add_parser("refresh", help="rebuild the Funnel Summary of a workbook")
    refresh.add_argument(
        "book", type=Path, nargs="?", help="the .xlsx/.xlsm workbook (not with CSV files)"
    )
    refresh.add_argument("--out", type=Path, help="write the result here instead of into BOOK")
    _csv_options(refresh)
    refresh.add_argument("--json", action="store_true", help="print the numbers as JSON")
    refresh.add_argument("-q", "--quiet", action="store_true", help="no progress display")
    refresh.add_argument(
        "--force", action="store_true", help="with CSV files: replace an existing --out file"
    )
    # With BOOK, --engagement (of the CSV options) names a SOURCE of events:
    # a Parquet file, folder or glob, or a CSV file, replacing the Engagement sheet.
    events = refresh.add_argument_group(
        "events outside the workbook: BOOK --engagement SOURCE (docs/scale.md)"
    )
    events.add_argument(
        "--engine",
        choices=("duckdb", "polars", "spark"),
        default="duckdb",
        help="where the events of a SOURCE are computed (default duckdb)",
    )
    events.add_argument(
        "--spark-master", metavar="URL", help="Spark master of --engine spark (default local[*])"
    )
    refresh.set_defaults(run=_cmd_refresh, parser=refresh)

    new = commands.add_parser("new", help="create a workbook from the template")
    new.add_argument("book", type=Path, help="the .xlsm to create")
    new.add_argument("--sample", type=int, metavar="N", help="fill it with N sample accounts")
    new.add_argument("--seed", type=int, default=7, help="random seed of the sample data")
    new.add_argument("--messy", action="store_true", help="add the bad rows real CRM exports have")
    new.add_argument("--force", action="store_true", help="overwrite an existing file")
    _csv_options(new)
    new.set_defaults(run=_cmd_new)

    template = commands.add_parser("template", help="build the template workbook")
    template.add_argument("out", type=Path, help="the .xlsm to write")
    template.add_argument("--force", action="store_true", help="overwrite an existing file")
    template.set_defaults(run=_cmd_template)

    demo = commands.add_parser("demo", help="build, refresh and print a sample workbook")
    demo.add_argument("--dir", type=Path, default=Path("demo"), help="where to put it")
    demo.add_argument("--accounts", type=int, default=300, help="number of sample accounts")
    demo.add_argument("--seed", type=int, default=7, help="random seed of the sample data")
    demo.add_argument("--no-picture", action="store_true", help="skip the PNG rendering")
    demo.set_defaults(run=_cmd_demo)

    metrics = commands.add_parser("metrics", help="print every metric's worked example")
    metrics.add_argument("--json", action="store_true", help="as JSON")
    metrics.set_defaults(run=_cmd_metrics)
    return parser


# ingest.md section 8: one CSV file per input, as `--accounts a.csv` etc.
CSV_INPUTS = ("Accounts", "Opportunities", "Engagement", "Contacts", "Spend", "Surveys")


def _csv_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("CSV exports (UTF-8 or Windows-1252; , ; or tab)")
    for name in CSV_INPUTS:
        group.add_argument(
            f"--{name.lower()}", type=Path, metavar="FILE.csv", help=f"the {name} table as CSV"
        )


def _csv_files(args: argparse.Namespace) -> dict[str, Path]:
    return {
        name: getattr(args, name.lower())
        for name in CSV_INPUTS
        if getattr(args, name.lower()) is not None
    }


# -- commands -----------------------------------------------------------------


def _cmd_refresh(args: argparse.Namespace) -> int:
    from abmxl.refresh import refresh_csv, refresh_workbook

    csv_files = _csv_files(args)
    # scale.md: with a workbook, --engagement is a SOURCE of events (Parquet or CSV).
    source = csv_files.pop("Engagement", None) if args.book is not None else None
    if args.book is None and (args.engine != "duckdb" or args.spark_master):
        args.parser.error("--engine and --spark-master go with BOOK --engagement SOURCE")
    # Wrong combinations are usage errors, reported by argparse as for a missing BOOK.
    if csv_files and args.book is not None:
        args.parser.error(
            "give either a workbook or CSV files (--accounts ...), not both; "
            "to put CSV files into a workbook use `abmxl new BOOK --accounts ...`"
        )
    if csv_files and args.out is None:
        args.parser.error("--out REPORT.xlsx is needed to refresh from CSV files")
    if not csv_files and args.book is None:
        args.parser.error("give the workbook to refresh, or CSV files with --accounts ...")
    if csv_files:
        _check_new_file(args.out, args.force)
    with Progress(enabled=not args.quiet) as progress:
        if csv_files:
            summary = refresh_csv(csv_files, args.out, progress=progress)
        else:
            summary = refresh_workbook(
                args.book,
                args.out,
                progress=progress,
                engagement=source,
                engine=args.engine,
                spark_master=args.spark_master,
            )
    if args.json:
        json.dump(summary.to_json(), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        print_summary(summary)
        print(f"\nWrote {args.out or args.book}")
    return EXIT_OK


def _cmd_new(args: argparse.Namespace) -> int:
    from abmxl.refresh import RefreshError
    from abmxl.template import new_workbook

    _check_new_file(args.book, args.force)
    if args.sample is not None and args.sample < 1:
        raise UsageError(f"--sample {args.sample}: give a number of accounts of 1 or more")
    if args.messy and args.sample is None:
        raise RefreshError("--messy needs --sample N")
    csv_files = _csv_files(args)
    if csv_files and args.sample is not None:
        raise RefreshError("give either --sample N or CSV files (--accounts ...), not both")
    new_workbook(
        args.book,
        sample_accounts=args.sample,
        seed=args.seed,
        messy=args.messy,
        csv_files=csv_files or None,
    )
    print(f"Created {args.book}")
    return EXIT_OK


def _cmd_template(args: argparse.Namespace) -> int:
    from abmxl.template import build_workbook

    _check_new_file(args.out, args.force, suffixes=(".xlsm",))
    build_workbook(args.out)
    print(f"Built {args.out}")
    return EXIT_OK


def _cmd_demo(args: argparse.Namespace) -> int:
    from abmxl.refresh import refresh_workbook
    from abmxl.template import new_workbook

    if args.accounts < 1:
        raise UsageError(f"--accounts {args.accounts}: give a number of accounts of 1 or more")
    if args.dir.exists() and not args.dir.is_dir():
        raise UsageError(f"--dir {args.dir}: that is a file, not a folder")
    args.dir.mkdir(parents=True, exist_ok=True)
    book = args.dir / "abm_demo.xlsm"
    print(
        f"Building {book} with {args.accounts} sample accounts (seed {args.seed}) and a few "
        "bad rows, as CRM exports have"
    )
    new_workbook(book, sample_accounts=args.accounts, seed=args.seed, messy=True)
    with Progress(enabled=True) as progress:
        summary = refresh_workbook(book, progress=progress)
    print_summary(summary)
    print(f"\nWorkbook: {book.resolve()}")
    if not args.no_picture:
        from abmxl.render import RenderError, render_sheet_png

        picture = args.dir / "funnel_summary.png"
        try:
            render_sheet_png(book, "Funnel Summary", picture)
        except RenderError as error:
            print(f"Picture: skipped ({error})")
        else:
            print(f"Picture: {picture.resolve()}")
    return EXIT_OK


def _cmd_metrics(args: argparse.Namespace) -> int:
    import abmxl
    from abmxl.examples import WORKED_EXAMPLES

    results = [
        (example, getattr(abmxl, example.function)(*example.args, **example.kwargs))
        for example in WORKED_EXAMPLES
    ]
    if args.json:
        document = [
            {
                "function": ex.function,
                "excel": f"ABM_{ex.excel}",
                "args": list(ex.args),
                "result": value,
                "expected": ex.expected,
            }
            for ex, value in results
        ]
        json.dump(document, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    rows = [
        (ex.call, f"=ABM_{ex.excel}({_excel_args(ex.args)})", _general(value), ex.note)
        for ex, value in results
    ]
    print(_text_table(("Python", "Excel (classic)", "Result", "Note"), rows, right={2}))
    return EXIT_OK


# -- printing -----------------------------------------------------------------


def print_summary(summary: object, stream: TextIO | None = None) -> None:
    """The FunnelStages and FunnelKPIs tables, formatted as the workbook shows them."""
    from abmxl.io.layout import STAGE_COLUMNS, STAGE_FORMATS, kpi_format
    from abmxl.schema import SEGMENTS

    out = stream or sys.stdout
    stages, kpis, issues = summary.stages, summary.kpis, summary.issues  # type: ignore[attr-defined]
    print(f"ABM funnel as of {summary.as_of.isoformat()}\n", file=out)  # type: ignore[attr-defined]
    # Column 0 is the stage name (the index); the rest are numbers in the sheet's formats.
    numbers = list(zip(STAGE_COLUMNS[1:], STAGE_FORMATS[1:], strict=True))
    rows = [
        (stage, *(format_number(stages.at[stage, c], f) for c, f in numbers))
        for stage in stages.index
    ]
    print(_text_table(STAGE_COLUMNS, rows, right=set(range(1, len(STAGE_COLUMNS)))), file=out)
    rows = [
        (kpis.at[key, "KPI"], *(format_number(kpis.at[key, s], kpi_format(key)) for s in SEGMENTS))
        for key in kpis.index
    ]
    print("", file=out)
    print(_text_table(("KPI", *SEGMENTS), rows, right=set(range(1, 1 + len(SEGMENTS)))), file=out)
    if len(issues):
        by_sheet = issues.groupby("Sheet", sort=False).size()
        where = ", ".join(f"{sheet} {n}" for sheet, n in by_sheet.items())
        print(
            f"\nData issues: {len(issues)} input rows skipped or repaired ({where}); "
            "see the DataIssues table in Funnel Summary",
            file=out,
        )
    else:
        print("\nData issues: none", file=out)


def format_number(value: object, number_format: str) -> str:
    """A value as Excel shows it with one of the number formats abmxl writes."""
    from abmxl.io.content import FMT_CURRENCY, FMT_DAYS, FMT_INTEGER, FMT_PERCENT
    from abmxl.io.layout import FMT_RATIO, FMT_SCORE

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    number = float(value)  # type: ignore[arg-type]
    if number_format == FMT_CURRENCY:
        return f"-${-number:,.0f}" if number < 0 else f"${number:,.0f}"
    python_format = {
        FMT_PERCENT: "{:.1%}",
        FMT_INTEGER: "{:,.0f}",
        "0": "{:.0f}",
        FMT_SCORE: "{:,.1f}",
        FMT_DAYS: "{:,.1f} days",
        FMT_RATIO: "{:.2f}x",
    }.get(number_format, "{:,.2f}")
    return python_format.format(number)


def _general(value: object) -> str:
    if isinstance(value, int):
        return str(value)
    number = float(value)  # type: ignore[arg-type]
    return f"{number:,.2f}".rstrip("0").rstrip(".") if not number.is_integer() else f"{number:,.0f}"


def _excel_args(args: tuple) -> str:
    parts = []
    for arg in args:
        parts.append("{" + ",".join(map(str, arg)) + "}" if isinstance(arg, list) else str(arg))
    return ", ".join(parts)


def _text_table(header: Sequence[str], rows: Sequence[Sequence[object]], right: set[int]) -> str:
    cells = [list(map(str, header)), *([str(c) for c in row] for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row: list[str]) -> str:
        return "  ".join(
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def _check_new_file(path: Path, force: bool, suffixes: Sequence[str] | None = None) -> None:
    """A workbook the command creates: a file name in an existing folder, not overwritten."""
    from abmxl.refresh import WRITABLE_SUFFIXES

    if path.is_dir():
        raise UsageError(f"{path} is a folder; give the name of the workbook file to create")
    if path.exists() and not force:
        raise UsageError(f"{path} exists; pass --force to overwrite it")
    if suffixes == (".xlsm",) and path.suffix.lower() != ".xlsm":
        raise UsageError(f"{path.name}: the template is a macro workbook; name it .xlsm")
    if path.suffix.lower() not in (suffixes or WRITABLE_SUFFIXES):
        raise UsageError(
            f"{path.name}: name it .xlsm (with the Refresh button) or .xlsx (without macros)"
        )
    if not path.parent.is_dir():
        raise UsageError(f"folder {path.parent} does not exist")


class Progress:
    """Phase messages with elapsed time on stderr, redrawn in place on a terminal.

    Off the terminal (CI logs, pipes) it stays silent so that ``--json`` output
    and logs stay clean.
    """

    def __init__(self, enabled: bool = True, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled and self.stream.isatty()
        self.started = time.perf_counter()
        self.width = 0

    def __call__(self, message: str) -> None:
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self.started
        columns = shutil.get_terminal_size((80, 20)).columns
        text = f"[{elapsed:5.1f}s] {message}"[: columns - 1]
        self.stream.write("\r" + text.ljust(self.width))
        self.stream.flush()
        self.width = len(text)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.enabled and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
