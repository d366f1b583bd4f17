"""Benchmark of `attribution_shares` (analytics.md section 8) against its floor and pandas.

1 million journeys, 20 million touches (Poisson(20) touches per journey), in
random row order (the general case: one stable sort is needed) and already
ordered by journey and date (what the refresh's journeys hand over: no sort).

- floor: the least any per-journey share computation costs on unsorted rows,
  a bare `np.argsort(journey, kind="stable")` plus one `np.bincount` over the
  journeys (no dates, no model, no validation);
- pandas: what an analyst would write, `groupby(journey).apply` of a function
  that orders one journey's touches and computes its W-shaped shares. It runs
  on a subsample of the journeys (Python per journey: minutes at full size)
  and is scaled up linearly to the full size, as the table says.

Quick mode is 100x smaller.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from abmxl.metrics import attribution_shares
from abmxl.metrics.attribution import ATTRIBUTION_MODELS

REPEATS = 3
PANDAS_JOURNEYS = 5_000
BASE = np.datetime64("2026-03-31", "D")


def _seconds(call: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def _journeys(n_journeys: int, n_touches: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    journey = rng.integers(0, n_journeys, n_touches)
    end = BASE + rng.integers(0, 365, n_journeys).astype("timedelta64[D]")
    created = end - rng.integers(0, 60, n_journeys).astype("timedelta64[D]")
    return {
        "journey": journey,
        "touch_dates": end[journey] - rng.integers(0, 150, n_touches).astype("timedelta64[D]"),
        "end_dates": end[journey],
        "created_dates": created[journey],
        "weights": rng.integers(1, 121, n_touches).astype(np.float64),
    }


def _sorted(data: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    order = np.lexsort((data["touch_dates"], data["journey"]))
    return {name: values[order] for name, values in data.items()}


def _shares(data: dict[str, np.ndarray], model: str) -> np.ndarray:
    return attribution_shares(
        data["journey"],
        data["touch_dates"],
        data["end_dates"],
        model,
        data["created_dates"],
        data["weights"],
        30,
    )


def _floor(data: dict[str, np.ndarray]) -> None:
    np.argsort(data["journey"], kind="stable")
    np.bincount(data["journey"], weights=data["weights"])


def _w_shaped_group(group: pd.DataFrame) -> pd.Series:
    """W-shaped shares of one journey, the way a pandas user writes them."""
    group = group.sort_values("touch_dates", kind="stable")
    n = len(group)
    before = np.flatnonzero(group["touch_dates"].to_numpy() <= group["created_dates"].iloc[0])
    creation = before[-1] if before.size else 0
    shares = np.zeros(n)
    milestones = [0, creation, n - 1]
    for i in milestones:
        shares[i] += 0.3
    others = [i for i in range(n) if i not in milestones]
    for i in others or sorted(set(milestones)):
        shares[i] += 0.1 / len(others or set(milestones))
    return pd.Series(shares, index=group.index)


def _pandas(frame: pd.DataFrame) -> pd.Series:
    return frame.groupby("journey", sort=False, group_keys=False)[list(frame.columns)].apply(
        _w_shaped_group
    )


def run(quick: bool = False) -> str:
    scale = 100 if quick else 1
    n_journeys, n_touches = 1_000_000 // scale, 20_000_000 // scale
    rng = np.random.default_rng(12)
    data = _journeys(n_journeys, n_touches, rng)
    ordered = _sorted(data)

    # The same shares from the shipped function and the pandas version (checked once).
    sample = data["journey"] < PANDAS_JOURNEYS // scale
    subsample = {name: values[sample] for name, values in data.items()}
    frame = pd.DataFrame(subsample)
    expected = _pandas(frame).sort_index().to_numpy()
    assert np.allclose(_shares(subsample, "w_shaped"), expected)

    contenders: dict[str, Callable[[], object]] = {
        "w_shaped, rows in random order": lambda: _shares(data, "w_shaped"),
        "w_shaped, rows ordered by journey and date (as the refresh passes them)": lambda: _shares(
            ordered, "w_shaped"
        ),
        "floor: stable argsort + bincount": lambda: _floor(data),
    }
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(REPEATS):  # alternate, so noise hits every contender alike
        for name, call in contenders.items():
            times[name].append(_seconds(call))
    models = {model: _seconds(lambda m=model: _shares(data, m)) for model in ATTRIBUTION_MODELS}
    pandas_times = [_seconds(lambda: _pandas(frame)) for _ in range(REPEATS if quick else 1)]
    pandas_scaled = statistics.median(pandas_times) * n_journeys / (PANDAS_JOURNEYS // scale)

    median = {name: statistics.median(values) for name, values in times.items()}
    floor = median["floor: stable argsort + bincount"]
    shipped = median["w_shaped, rows in random order"]
    size = f"{n_journeys:,} journeys, {n_touches:,} touches"
    lines = [
        "## attribution: `attribution_shares` (issue 12)",
        "",
        f"{size} (Poisson(20) touches per journey). Medians of {REPEATS} alternating runs; "
        "the per-model row is one run each, rows in random order. The pandas "
        f"`groupby(journey).apply` runs on the first {PANDAS_JOURNEYS // scale:,} journeys "
        f"({int(sample.sum()):,} touches) and is scaled linearly to {n_journeys:,} journeys "
        "(it is a Python call per journey); it gives the same shares (checked).",
        "",
        "| contender | median ms | vs floor |",
        "|---|---:|---:|",
    ]
    for name, value in median.items():
        lines.append(f"| {name} | {value * 1000:.0f} | {value / floor:.2f}x |")
    for model, value in models.items():
        lines.append(f"| {model}, one run | {value * 1000:.0f} | {value / floor:.2f}x |")
    lines.append(
        f"| pandas groupby-apply, w_shaped (scaled from the subsample) | "
        f"{pandas_scaled * 1000:.0f} | {pandas_scaled / floor:.1f}x |"
    )
    within = shipped / floor
    faster = pandas_scaled / shipped
    lines += [
        "",
        "Targets:",
        "",
        f"- within 3x of the floor (random order, w_shaped): {within:.2f}x, "
        f"{'met' if within <= 3 else 'MISSED'}",
        f"- at least 10x faster than pandas groupby-apply: {faster:.0f}x, "
        f"{'met' if faster >= 10 else 'MISSED'}",
    ]
    return "\n".join(lines)
