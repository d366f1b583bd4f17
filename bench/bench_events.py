"""Benchmark: stage dates and spikes in one vectorized pass over the events.

The engaged date needs the score as of every event's day: one sort by
(account, day), two ``searchsorted`` and per-account prefix sums (see
``abmxl/engine/events/stage_dates.py``). The yardstick is what the refresh
already does with the same events: one ``engagement_scores`` call (a window
mask and a ``bincount``). Spikes are two masked ``bincount``s. The yardstick
sums only the events of its 90-day window (an eighth of the two years here);
the engaged date has to look at every event up to as_of, sorted.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np

from abmxl.engine.events import Events, engaged_days, engagement_score, spikes

FULL = {"n_accounts": 50_000, "n_events": 5_000_000}
QUICK = {"n_accounts": 2_000, "n_events": 100_000}
REPEATS = 5


def _seconds(call: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _events(n_accounts: int, n_events: int) -> Events:
    rng = np.random.default_rng(5)
    as_of = 20_543  # 2026-03-31
    return Events(
        account=rng.integers(0, n_accounts, n_events),
        day=as_of - rng.integers(0, 730, n_events),
        weight=rng.choice([0.5, 1.0, 3.0, 10.0, 30.0], n_events),
        n_accounts=n_accounts,
    )


def run(quick: bool = False) -> str:
    sizes = QUICK if quick else FULL
    events = _events(**sizes)
    as_of = 20_543
    score = _seconds(lambda: engagement_score(events, as_of, 90, None))
    engaged = _seconds(lambda: engaged_days(events, as_of, 90, None, 10))
    engaged_decay = _seconds(lambda: engaged_days(events, as_of, 90, 30, 10))
    spike = _seconds(lambda: spikes(events, as_of, 7, 28))
    rows = [
        ("`engagement_scores` as of one day (the yardstick)", score),
        ("engaged date, no half-life (score as of every event's day)", engaged),
        ("engaged date, half-life 30", engaged_decay),
        ("recent and baseline engagement (spikes)", spike),
    ]
    return "\n".join(
        [
            "## Stage dates and spikes (issue 10)",
            "",
            f"{sizes['n_events']:,} events over {sizes['n_accounts']:,} accounts and two "
            f"years; medians of {REPEATS} runs in one process.",
            "",
            "| step | ms | x yardstick |",
            "|---|---:|---:|",
            *(f"| {label} | {s * 1e3:.0f} | {s / score:.1f} |" for label, s in rows),
        ]
    )
