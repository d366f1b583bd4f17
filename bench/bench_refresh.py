"""Benchmark: a whole headless refresh against just reading the sheets.

The floor is what no refresh can beat: python-calamine's ``to_python()`` of
every input sheet the refresh reads. The refresh reads the same sheets, cleans
them, computes the funnel and writes two output sheets atomically.

Each run is a fresh subprocess (so peak RSS is the run's own), the two
contenders alternate, and medians are compared. Both children import abmxl
before the clock starts, so their baseline memory is the same; the table shows
peak RSS and the growth above that baseline.

Targets (issue 13): refresh <= 1.0x the floor's time, peak memory <= 1.5x the floor's,
on every book shape of ``SHAPES``. ``ABMXL_BENCH_BEFORE=<checkout>`` adds that
checkout's refresh as a third contender, alternated with the other two (an A/B
of whole processes in one run).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"
FULL = {"n_accounts": 50_000, "engagement_per_account": 10, "contacts_per_account": 2}
QUICK = {"n_accounts": 2_000, "engagement_per_account": 10, "contacts_per_account": 2}
REPEATS = 3


# The book shapes every refresh figure is taken on (issue 13): the sample's
# default, and one change each that moves cost between reading and computing.
SHAPES = {
    "contacts": "text ids, 2 contacts per account, weights mostly blank",
    "no-contacts": "text ids, no Contacts rows, weights mostly blank",
    "filled-weights": "text ids, 2 contacts per account, every weight filled",
    "numeric-ids": "integer account ids, 2 contacts per account, weights mostly blank",
}


def _shaped(data: dict, shape: str) -> dict:
    """The generated tables changed into ``shape`` (see ``SHAPES``)."""
    data = {name: frame.copy() for name, frame in data.items()}
    if shape == "filled-weights":
        channels = data["ChannelWeights"]
        weights = dict(zip(channels["channel"], channels["weight"], strict=True))
        engagement = data["Engagement"]
        blank = engagement["weight"].isna()
        engagement.loc[blank, "weight"] = engagement.loc[blank, "channel"].map(weights)
        engagement["weight"] = engagement["weight"].fillna(1.0)
    elif shape == "numeric-ids":
        for frame in data.values():
            if "account_id" in frame.columns:
                ids = frame["account_id"]
                numbers = ids.str.removeprefix("ACC-").str.extract(r"^(\d+)$")[0]
                frame["account_id"] = [
                    int(n) if isinstance(n, str) else i for n, i in zip(numbers, ids, strict=True)
                ]
    return data


def build_book(sizes: dict, shape: str = "contacts") -> Path:
    """The benchmark workbook of one shape, generated once and cached in bench/out/."""
    from abmxl.sample import generate
    from abmxl.template import build_workbook

    OUT.mkdir(exist_ok=True)
    suffix = "" if shape == "contacts" else f"_{shape}"
    path = OUT / f"refresh_{sizes['n_accounts']}{suffix}.xlsm"
    if not path.exists():
        started = time.perf_counter()
        if shape == "no-contacts":
            sizes = {**sizes, "contacts_per_account": 0}
        data = _shaped(generate(seed=1, **sizes), shape)
        build_workbook(path, data)
        seconds = time.perf_counter() - started
        print(f"built {path.name} in {seconds:.1f} s", file=sys.stderr)
    return path


def _rss_mib() -> float:
    """Peak resident memory of this process so far, MiB.

    VmHWM is the high-water mark of this process's own address space. ru_maxrss
    is not: after fork/exec Linux carries the parent's peak over into the
    child, so a child of a parent that built a 1 GB book would report 1 GB.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(kind: str, book: str, out: str) -> None:
    """One measured run; prints a JSON line {seconds, peak_mib, baseline_mib}."""
    from python_calamine import CalamineWorkbook

    from abmxl.refresh import refresh_workbook
    from abmxl.schema import INPUT_SHEETS

    baseline = _rss_mib()
    started = time.perf_counter()
    if kind == "floor":
        workbook = CalamineWorkbook.from_path(book)
        wanted = {name.lower() for name in INPUT_SHEETS}
        cells = 0
        for name in workbook.sheet_names:
            if name.lower() in wanted:
                rows = workbook.get_sheet_by_name(name).to_python()
                cells += sum(map(len, rows))
    else:
        refresh_workbook(book, out, today=dt.date(2026, 4, 1))
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "peak_mib": _rss_mib(), "baseline_mib": baseline}))


def _measure(kind: str, book: Path, workdir: Path, checkout: Path | None = None) -> dict:
    """One child process; ``checkout`` runs another checkout's code (the A/B's before)."""
    out = workdir / f"out-{kind}.xlsm"
    shutil.copyfile(book, workdir / "in.xlsm")
    env = dict(os.environ)
    root = Path(__file__).resolve().parent.parent
    if checkout is not None:
        root = checkout
        env["PYTHONPATH"] = str(checkout)
    command = [
        sys.executable,
        "-m",
        "bench.bench_refresh",
        kind,
        str(workdir / "in.xlsm"),
        str(out),
    ]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=True, cwd=root, env=env)
    process = time.perf_counter() - started
    return {**json.loads(result.stdout.strip().splitlines()[-1]), "process": process}


def _load() -> str:
    try:
        return ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def run(quick: bool = False) -> str:
    """Every shape: floor and refresh alternated, medians; ``ABMXL_BENCH_BEFORE`` set to
    a checkout of an older commit adds its refresh as a third contender (an A/B)."""
    from bench.__main__ import _machine

    sizes = QUICK if quick else FULL
    before = os.environ.get("ABMXL_BENCH_BEFORE")
    contenders: dict[str, Path | None] = {"floor": None, "refresh": None}
    if before:
        contenders = {"floor": None, "before": Path(before), "refresh": None}
    load_at_start = _load()
    rows = []
    verdicts = []
    for shape, description in SHAPES.items():
        book = build_book(sizes, shape)
        runs: dict[str, list[dict]] = {kind: [] for kind in contenders}
        with tempfile.TemporaryDirectory(prefix="abmxl-bench-") as tmp:
            for _ in range(REPEATS):
                for kind, checkout in contenders.items():  # alternated: the same machine load
                    child_kind = "floor" if kind == "floor" else "refresh"
                    runs[kind].append(_measure(child_kind, book, Path(tmp), checkout))
        med = {
            kind: {key: statistics.median(r[key] for r in rs) for key in rs[0]}
            for kind, rs in runs.items()
        }
        floor = med["floor"]
        size_mb = book.stat().st_size / 1e6
        for kind in contenders:
            m = med[kind]
            rows.append(
                f"| {shape} | {kind} | {m['seconds']:.2f} | {m['seconds'] / floor['seconds']:.2f}x "
                f"| {m['process']:.2f} | {m['peak_mib']:.0f} | "
                f"{m['peak_mib'] / floor['peak_mib']:.2f}x |"
            )
        time_ratio = med["refresh"]["seconds"] / floor["seconds"]
        mem_ratio = med["refresh"]["peak_mib"] / floor["peak_mib"]
        verdicts.append(
            f"- {shape} ({description}; {size_mb:.1f} MB): time {time_ratio:.2f}x "
            f"({'met' if time_ratio <= 1.0 else 'NOT met'}), peak memory {mem_ratio:.2f}x "
            f"({'met' if mem_ratio <= 1.5 else 'NOT met'})"
        )
    lines = [
        "## Headless refresh vs reading the sheets (issues 3 and 13)",
        "",
        f"Measured {dt.date.today().isoformat()} on {_machine()}; load average "
        f"{load_at_start} at the start, {_load()} at the end (a shared machine: read "
        "the ratios, not the seconds).",
        "",
        f"Books: {sizes['n_accounts']:,} accounts, "
        f"{sizes['n_accounts'] * sizes['engagement_per_account']:,} engagement rows, "
        f"about {int(sizes['n_accounts'] * 0.4):,} opportunities, in the shapes below. "
        f"{REPEATS} runs of each contender per shape, alternated, one subprocess per run; "
        "medians. Floor: python-calamine `to_python()` of every input sheet. Refresh: "
        "`refresh_workbook` (read, clean, compute, lay out, write every output sheet "
        "atomically). Seconds are timed inside the child after its imports; "
        "process seconds are the whole child process (interpreter, imports, run) "
        "timed by the parent."
        + (
            " `before` is the same refresh from the checkout in `ABMXL_BENCH_BEFORE`."
            if before
            else ""
        ),
        "",
        "| shape | contender | seconds | vs floor | process seconds | peak RSS MiB | vs floor |",
        "|---|---|---:|---:|---:|---:|---:|",
        *rows,
        "",
        "Targets (issue 13): refresh <= 1.0x the floor's time, peak memory <= 1.5x.",
        "",
        *verdicts,
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    child(*sys.argv[1:4])
