"""Events beyond the workbook (docs/scale.md): the event part of a refresh on DuckDB and Polars.

Generated events (100,000 accounts, 365 days, 6 channels, 20 % blank
weights; Parquet, zstd, 1 M-row row groups) are written once per size. Each
contender runs as its own process (``python -m bench.bench_scale WORKER ...``)
so its wall time and peak memory (the child's ``ru_maxrss``) are whole-process
figures, imports and engine start included:

- floor: DuckDB's bare read of the same file and group-by sum of the weights
  by account id (no cleaning, no window, no join);
- duckdb / polars: the event part of a refresh, ``engine(EventQuery)``: read,
  header matching, account join, channel weights, every per-account result
  (score, first touch, touches, spikes, engaged date with the range window,
  score at D), per-period touches and the touches of opportunity accounts.

scale.md's target: DuckDB within 3x the floor at 10 M events. 100 M events
take minutes per contender and are run only with ``ABMXL_BENCH_100M=1``.
Quick mode: 200,000 events, one run each.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

N_ACCOUNTS = 100_000
REPEATS = 3
AS_OF_DAY = int(np.datetime64("2026-03-31", "D").view(np.int64))


def _generate(path: Path, n_events: int) -> None:
    import duckdb

    con = duckdb.connect()
    con.execute(
        f"""
        COPY (
            SELECT DATE '2025-04-01' + CAST(floor(random() * 365) AS INTEGER) AS date,
                   'ACC-' || lpad(CAST(CAST(floor(random() * {N_ACCOUNTS}) AS BIGINT) AS VARCHAR),
                                  6, '0') AS account_id,
                   (['web_visit', 'ad_click', 'email_open', 'webinar', 'meeting',
                     'content_download'])[1 + CAST(floor(random() * 6) AS INTEGER)] AS channel,
                   CASE WHEN random() < 0.2 THEN NULL
                        ELSE round(random() * 4, 2) END AS weight
            FROM range({n_events})
        ) TO '{path}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000000)
        """
    )
    con.close()


def _query():
    from abmxl.engine.events.computed import EventQuery
    from abmxl.schema import DEFAULT_CHANNEL_WEIGHTS

    ids = np.array([f"ACC-{i:06d}" for i in range(N_ACCOUNTS)], dtype=object)
    return EventQuery(
        account_ids=ids,
        opportunity_accounts=np.arange(0, N_ACCOUNTS, 10, dtype=np.int64),
        channel_weights=dict(DEFAULT_CHANNEL_WEIGHTS),
        channel_names={},
        column_map={},
        as_of_day=AS_OF_DAY,
        score_days=(AS_OF_DAY - 31, AS_OF_DAY),
        window_days=90.0,
        half_life_days=None,
        engagement_min=10.0,
        recent_days=7.0,
        baseline_days=28.0,
        period_months=3,
    )


def _worker(kind: str, path: str) -> None:
    """One contender, in this process."""
    if kind == "floor":
        import duckdb

        con = duckdb.connect()
        con.execute(
            f"SELECT account_id, sum(weight) FROM read_parquet('{path}') GROUP BY account_id"
        ).fetchnumpy()
        return
    from abmxl.scale import event_engine

    result = event_engine(path, kind)(_query())
    assert result.touches.sum() > 0


def _run_process(kind: str, path: Path) -> tuple[float, float]:
    """(seconds, peak MiB) of one whole worker process."""
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "bench.bench_scale", kind, str(path)])
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if status != 0:
        raise RuntimeError(f"bench worker {kind} failed ({status})")
    process.returncode = 0
    return seconds, usage.ru_maxrss / 1024  # KiB on Linux


def _size_rows(n_events: int, repeats: int, kinds: tuple[str, ...]) -> list[str]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="abmxl-bench-scale-") as folder:
        path = Path(folder) / "events.parquet"
        _generate(path, n_events)
        times: dict[str, list[float]] = {k: [] for k in kinds}
        peaks: dict[str, list[float]] = {k: [] for k in kinds}
        for _ in range(repeats):
            for kind in kinds:  # alternated, so noise hits every contender alike
                seconds, peak = _run_process(kind, path)
                times[kind].append(seconds)
                peaks[kind].append(peak)
        floor = statistics.median(times["floor"])
        for kind in kinds:
            t = statistics.median(times[kind])
            rows.append(
                f"| {n_events / 1e6:g} M | {kind} | {t:.2f} s | {t / floor:.1f}x | "
                f"{max(peaks[kind]):,.0f} MiB |"
            )
    return rows


def run(quick: bool = False) -> str:
    kinds = ("floor", "duckdb", "polars")
    sizes = [200_000] if quick else [10_000_000]
    if not quick and os.environ.get("ABMXL_BENCH_100M") == "1":
        sizes.append(100_000_000)
    rows = []
    for n in sizes:
        rows += _size_rows(n, 1 if quick or n > 10_000_000 else REPEATS, kinds)
    ran_100m = 100_000_000 in sizes
    return "\n".join(
        [
            "## Events beyond the workbook (bench_scale.py)",
            "",
            f"Generated events, {N_ACCOUNTS:,} accounts; whole processes (imports and engine "
            "start included), median of "
            f"{1 if quick else REPEATS} runs; peak = the process's max RSS. The floor is "
            "DuckDB's bare read + group-by sum of the weights by account id of the same file. "
            "scale.md's target: DuckDB within 3x the floor at 10 M.",
            "",
            "| events | contender | time | vs floor | peak memory |",
            "|---|---|---|---|---|",
            *rows,
            "",
            "100 M events: "
            + (
                "above (one run each)."
                if ran_100m
                else "not run by default (minutes per contender; `ABMXL_BENCH_100M=1 "
                "python -m bench scale`). PySpark local mode: not measured here (see "
                "docs/scale.md)."
            ),
        ]
    )


if __name__ == "__main__":
    if len(sys.argv) == 3:
        _worker(sys.argv[1], sys.argv[2])
    else:
        print(run(quick="--quick" in sys.argv))
