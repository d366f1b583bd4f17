"""Benchmark: a whole headless refresh against just reading the sheets.

The floor is what no refresh can beat: python-calamine's ``to_python()`` of
every input sheet the refresh reads. The refresh reads the same sheets, cleans
them, computes the funnel and writes two output sheets atomically.

Each run is a fresh subprocess (so peak RSS is the run's own), the two
contenders alternate, and medians are compared. Both children import abmxl
before the clock starts, so their baseline memory is the same; the table shows
peak RSS and the growth above that baseline.

Target (issue 3): refresh <= 1.25x the floor's time, peak memory <= 2x the floor's.
"""

from __future__ import annotations

import json
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


def build_book(sizes: dict) -> Path:
    """The benchmark workbook, generated once and cached in bench/out/."""
    from abmxl.sample import generate
    from abmxl.template import build_workbook

    OUT.mkdir(exist_ok=True)
    path = OUT / f"refresh_{sizes['n_accounts']}.xlsm"
    if not path.exists():
        started = time.perf_counter()
        data = generate(seed=1, **sizes)
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
    import datetime as dt

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


def _measure(kind: str, book: Path, workdir: Path) -> dict:
    out = workdir / f"out-{kind}.xlsm"
    shutil.copyfile(book, workdir / "in.xlsm")
    result = subprocess.run(
        [sys.executable, "-m", "bench.bench_refresh", kind, str(workdir / "in.xlsm"), str(out)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def run(quick: bool = False) -> str:
    sizes = QUICK if quick else FULL
    book = build_book(sizes)
    runs: dict[str, list[dict]] = {"floor": [], "refresh": []}
    with tempfile.TemporaryDirectory(prefix="abmxl-bench-") as tmp:
        for _ in range(REPEATS):
            for kind in ("floor", "refresh"):  # alternate: both see the same machine load
                runs[kind].append(_measure(kind, book, Path(tmp)))
    med = {
        kind: {key: statistics.median(r[key] for r in rs) for key in rs[0]}
        for kind, rs in runs.items()
    }
    time_ratio = med["refresh"]["seconds"] / med["floor"]["seconds"]
    mem_ratio = med["refresh"]["peak_mib"] / med["floor"]["peak_mib"]
    growth = {k: med[k]["peak_mib"] - med[k]["baseline_mib"] for k in med}
    growth_ratio = growth["refresh"] / growth["floor"]
    size_mb = book.stat().st_size / 1e6
    lines = [
        "## Headless refresh vs reading the sheets (issue 3)",
        "",
        f"Book: {sizes['n_accounts']:,} accounts, "
        f"{sizes['n_accounts'] * sizes['engagement_per_account']:,} engagement rows, "
        f"{sizes['n_accounts'] * sizes['contacts_per_account']:,} contacts, "
        f"about {int(sizes['n_accounts'] * 0.4):,} opportunities; {size_mb:.1f} MB .xlsm. "
        f"{REPEATS} runs each, alternated, one subprocess per run; medians.",
        "",
        "| contender | seconds | peak RSS MiB | RSS growth MiB |",
        "|---|---:|---:|---:|",
        *(
            f"| {label} | {med[k]['seconds']:.2f} | {med[k]['peak_mib']:.0f} | {growth[k]:.0f} |"
            for k, label in (
                ("floor", "floor: python-calamine `to_python()` of the input sheets"),
                ("refresh", "`refresh_workbook` (read, clean, compute, write atomically)"),
            )
        ),
        "",
        f"- Time: refresh / floor = **{time_ratio:.2f}x** (target <= 1.25x: "
        f"{'met' if time_ratio <= 1.25 else 'NOT met'}).",
        f"- Peak memory: refresh / floor = **{mem_ratio:.2f}x** of peak RSS "
        f"(target <= 2x: {'met' if mem_ratio <= 2 else 'NOT met'}); "
        f"growth above the common baseline {growth_ratio:.2f}x.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    child(*sys.argv[1:4])
