"""Run every benchmark module and write the figures into docs/benchmarks.md.

Each ``bench/bench_*.py`` exposes ``run(quick: bool) -> str``, returning a
Markdown section with the medians it measured. Targets are ratios measured in
one run (the machines are shared and noisy), never absolute seconds.

    python -m bench                  # all, full sizes, rewrites docs/benchmarks.md
    python -m bench metrics refresh  # a subset: replaces (or adds) their sections only
    python -m bench --quick          # small sizes, prints only

Benchmarks: metrics, refresh, udfs, attribution (``bench_attribution.py``:
``attribution_shares`` over a million journeys).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import platform
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DOC = HERE.parent / "docs" / "benchmarks.md"


def _machine() -> str:
    import numpy
    import pandas

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{cpu}, {os.cpu_count()} cores, {mem_gib:.0f} GiB; Python {platform.python_version()}, "
        f"numpy {numpy.__version__}, pandas {pandas.__version__}"
    )


def _replace_sections(document: str, sections: list[str]) -> str:
    """``document`` with each section (from its ``## `` heading to the next) replaced
    by the new one of the same heading; sections not there yet are appended."""
    head, *parts = document.rstrip("\n").split("\n## ")
    existing = {("## " + part).partition("\n")[0]: "## " + part for part in parts}
    for section in sections:
        existing[section.partition("\n")[0]] = section.strip("\n")
    return "\n\n".join([head.rstrip("\n"), *existing.values()]) + "\n"


def main(argv: list[str] | None = None) -> int:
    available = sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("names", nargs="*", help=f"which to run: {', '.join(available)}")
    parser.add_argument("--quick", action="store_true", help="small sizes; do not write docs")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(available))
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(available)}")
    names = args.names or available
    sections = []
    for name in names:
        print(f"== bench {name}", file=sys.stderr, flush=True)
        module = importlib.import_module(f"bench.bench_{name}")
        section = module.run(quick=args.quick)
        print(section, flush=True)
        sections.append(section)
    if not args.quick and not args.names:
        header = (
            "# Benchmarks\n\n"
            "Written by `make bench` (`python -m bench`); do not edit by hand.\n\n"
            f"- Date: {dt.date.today().isoformat()}\n- Machine: {_machine()}\n"
            "- Method: medians of repeated runs, alternating the contenders in one "
            "process, so the ratios compare like with like on a shared machine.\n\n"
        )
        DOC.write_text(header + "\n\n".join(sections) + "\n")
        print(f"wrote {DOC}", file=sys.stderr)
    elif not args.quick and DOC.exists():
        DOC.write_text(_replace_sections(DOC.read_text(), sections))
        print(f"updated {len(sections)} section(s) of {DOC}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
