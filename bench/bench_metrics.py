"""Benchmark of the metrics core: `tier` and `engagement_scores` against their floors.

- `tier` over 10 million accounts vs the floor: the same rules as one bare numpy
  expression (`np.select`, no validation, no missing-value handling).
- `engagement_scores` over 1 million accounts and 20 million events with string
  ids vs (a) the floor: `np.bincount` on pre-encoded integer ids with the same
  window mask, and (b) what a user would write in pandas: filter the window,
  group by account, sum, reindex to the account list.

Then the step that dominates with string ids, matching the in-window events'
ids to the accounts, done each way we tried (the shipped one included), and
lower bounds: the least any matching can cost on these Python strings.

Quick mode is 100x smaller. Every repeat of `engagement_scores`, pandas and
each matching method gets freshly created string objects, because Python
caches a string's hash inside the object: re-using the same objects would hide
the hashing a real refresh (strings fresh from the workbook) pays.
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from abmxl.metrics import engagement_scores, tier

REPEATS = 3
AS_OF = np.datetime64("2026-03-31", "D")
WINDOW_DAYS = 90


def _seconds(call: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def _peak_bytes(call: Callable[[], Any]) -> int:
    """tracemalloc peak of `call` above what was allocated before it (numpy and
    pandas hash tables report their buffers to tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    before, _ = tracemalloc.get_traced_memory()
    call()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak - before


def _strings_bytes(array: np.ndarray) -> int:
    """Pointer array plus the string objects it holds (each counted once)."""
    unique_objects = {id(s): sys.getsizeof(s) for s in array}
    return array.nbytes + sum(unique_objects.values())


# --------------------------------------------------------------------------- tier


def _tier_inputs(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    fit = rng.uniform(0, 100, n)
    fit[rng.random(n) < 0.02] = np.nan
    intent = rng.uniform(0, 100, n)
    intent[rng.random(n) < 0.10] = np.nan
    engagement = rng.exponential(8.0, n)
    acv = rng.lognormal(10.5, 1.0, n)
    return {"fit": fit, "intent": intent, "engagement": engagement, "acv": acv}


def _tier_floor(fit, intent, engagement, acv) -> np.ndarray:
    signal_i, signal_e = intent >= 60, engagement >= 10
    return np.select(
        [
            ~(fit >= 70),
            signal_i & signal_e & (acv >= 100000),
            (signal_i | signal_e) & (acv >= 25000),
        ],
        [np.int8(0), np.int8(1), np.int8(2)],
        default=np.int8(3),
    )


def _bench_tier(n: int, rng: np.random.Generator) -> tuple[list[str], list[str]]:
    data = _tier_inputs(n, rng)
    args = (data["fit"], data["intent"], data["engagement"], data["acv"])
    np.testing.assert_array_equal(tier(*args), _tier_floor(*args))
    times: dict[str, list[float]] = {"tier": [], "floor": []}
    for _ in range(REPEATS + 2):  # alternate contenders; medians of 5
        times["tier"].append(_seconds(lambda: tier(*args)))
        times["floor"].append(_seconds(lambda: _tier_floor(*args)))
    median = {k: statistics.median(v) for k, v in times.items()}
    input_bytes = sum(a.nbytes for a in args)
    peak = {
        "tier": _peak_bytes(lambda: tier(*args)),
        "floor": _peak_bytes(lambda: _tier_floor(*args)),
    }
    ratio = median["tier"] / median["floor"]
    rows = [
        f"| `tier` | {n:,} accounts | {median['tier'] * 1e3:.1f} | {ratio:.2f}x | "
        f"{peak['tier'] / input_bytes:.2f}x |",
        f"| floor: one `np.select` expression | {n:,} accounts | {median['floor'] * 1e3:.1f} | "
        f"1.00x | {peak['floor'] / input_bytes:.2f}x |",
    ]
    targets = [
        f"- `tier` within 2x of the floor: {ratio:.2f}x, {'met' if ratio <= 2 else 'MISSED'}"
    ]
    return rows, targets


# --------------------------------------------------------------------------- engagement


class _EngagementData:
    """1 account : 20 events; 5 % of events name unknown accounts, 3 % are dated in
    the future, the rest spread over the past year (about a quarter in the window)."""

    def __init__(self, n_accounts: int, n_events: int, rng: np.random.Generator) -> None:
        self.n_accounts = n_accounts
        n_known_and_unknown = int(n_accounts * 1.05)
        self.id_text = np.char.add(
            "acct-", np.char.zfill(np.arange(n_known_and_unknown).astype("U8"), 8)
        )
        self.event_codes = rng.integers(0, n_known_and_unknown, n_events)
        ages = rng.integers(0, 366, n_events)
        ages[rng.random(n_events) < 0.03] = -rng.integers(1, 30)
        self.dates = AS_OF - ages.astype("timedelta64[D]")
        self.weights = rng.choice([1.0, 2.0, 5.0, 10.0, 30.0], n_events)
        # Pre-encoded ids for the floor: unknown accounts share one extra bucket.
        self.codes = np.where(self.event_codes < n_accounts, self.event_codes, n_accounts).astype(
            np.intp
        )

    def fresh_account_ids(self) -> np.ndarray:
        return self.id_text[: self.n_accounts].astype(object)

    def fresh_event_ids(self) -> np.ndarray:
        return self.id_text[self.event_codes].astype(object)  # new str objects


def _engagement_floor(codes, dates, weights, n_accounts) -> np.ndarray:
    age = AS_OF.astype(np.int64) - dates.view(np.int64)
    recent = (age >= 0) & (age <= WINDOW_DAYS)
    return np.bincount(codes[recent], weights=weights[recent], minlength=n_accounts + 1)[
        :n_accounts
    ]


def _engagement_pandas(events: pd.DataFrame, account_ids: np.ndarray) -> np.ndarray:
    age = (pd.Timestamp(AS_OF) - events["date"]).dt.days
    recent = events[(age >= 0) & (age <= WINDOW_DAYS)]
    per_account = recent.groupby("account_id")["weight"].sum()
    return per_account.reindex(account_ids, fill_value=0.0).to_numpy()


def _engagement_round(data: _EngagementData, check: bool) -> dict[str, float]:
    """One timed run of every contender, each on freshly created string objects."""
    n = data.n_accounts
    results: dict[str, np.ndarray] = {}
    seconds: dict[str, float] = {}

    def timed(name: str, call: Callable[[], np.ndarray]) -> None:
        gc.collect()
        start = time.perf_counter()
        results[name] = call()
        seconds[name] = time.perf_counter() - start

    account_ids, event_ids = data.fresh_account_ids(), data.fresh_event_ids()
    timed(
        "ours", partial(engagement_scores, account_ids, event_ids, data.dates, data.weights, AS_OF)
    )
    del event_ids
    timed("floor", lambda: _engagement_floor(data.codes, data.dates, data.weights, n))
    account_ids = data.fresh_account_ids()
    events = pd.DataFrame(
        {"account_id": data.fresh_event_ids(), "date": data.dates, "weight": data.weights}
    )
    timed("pandas", partial(_engagement_pandas, events, account_ids))
    del events
    row_numbers = np.arange(n)
    timed(
        "ours_int",
        lambda: engagement_scores(row_numbers, data.event_codes, data.dates, data.weights, AS_OF),
    )
    categorical_ids = pd.Categorical.from_codes(data.event_codes, data.id_text.astype(object))
    timed(
        "ours_cat",
        lambda: engagement_scores(account_ids, categorical_ids, data.dates, data.weights, AS_OF),
    )
    if check:
        for name in ("ours", "ours_int", "pandas", "ours_cat"):
            np.testing.assert_allclose(results[name], results["floor"], err_msg=name)
    return seconds


def _bench_engagement(
    n_accounts: int, n_events: int, rng: np.random.Generator
) -> tuple[list[str], list[str], float, _EngagementData]:
    data = _EngagementData(n_accounts, n_events, rng)
    times: dict[str, list[float]] = {
        "ours": [],
        "ours_int": [],
        "ours_cat": [],
        "floor": [],
        "pandas": [],
    }
    for repeat in range(REPEATS):
        for name, seconds in _engagement_round(data, check=repeat == 0).items():
            times[name].append(seconds)
    median = {k: statistics.median(v) for k, v in times.items()}

    account_ids, event_ids = data.fresh_account_ids(), data.fresh_event_ids()
    numeric_bytes = data.dates.nbytes + data.weights.nbytes
    input_bytes = _strings_bytes(account_ids) + _strings_bytes(event_ids) + numeric_bytes
    peak = _peak_bytes(
        partial(engagement_scores, account_ids, event_ids, data.dates, data.weights, AS_OF)
    )
    pointer_bytes = account_ids.nbytes + event_ids.nbytes + numeric_bytes
    del event_ids
    floor_peak = _peak_bytes(
        lambda: _engagement_floor(data.codes, data.dates, data.weights, n_accounts)
    )
    floor_input = data.codes.nbytes + numeric_bytes

    vs_floor = median["ours"] / median["floor"]
    vs_pandas = median["pandas"] / median["ours"]
    size = f"{n_accounts:,} accounts, {n_events:,} events"
    rows = [
        f"| `engagement_scores`, str ids | {size} | {median['ours'] * 1e3:.0f} | "
        f"{vs_floor:.1f}x | {peak / input_bytes:.2f}x ({peak / pointer_bytes:.2f}x without "
        "the string objects) |",
        f"| `engagement_scores`, int ids 0..n-1 (as the funnel engine passes) | {size} | "
        f"{median['ours_int'] * 1e3:.0f} | {median['ours_int'] / median['floor']:.1f}x | |",
        f"| `engagement_scores`, Categorical ids | {size} | {median['ours_cat'] * 1e3:.0f} | "
        f"{median['ours_cat'] / median['floor']:.1f}x | |",
        f"| floor: `np.bincount` on integer ids | {size} | {median['floor'] * 1e3:.0f} | 1.0x | "
        f"{floor_peak / floor_input:.2f}x |",
        f"| pandas: filter, groupby sum, reindex | {size} | {median['pandas'] * 1e3:.0f} | "
        f"{median['pandas'] / median['floor']:.1f}x | |",
    ]
    targets = [
        f"- `engagement_scores` (str ids) within 3x of the floor: {vs_floor:.1f}x, "
        f"{'met' if vs_floor <= 3 else 'MISSED'}",
        f"- `engagement_scores` at least 2x faster than pandas groupby: {vs_pandas:.2f}x, "
        f"{'met' if vs_pandas >= 2 else 'MISSED'}",
        f"- peak memory under 3x the input arrays: {peak / input_bytes:.2f}x, "
        f"{'met' if peak < 3 * input_bytes else 'MISSED'}",
    ]
    return rows, targets, median["floor"] * 1e3, data


def _in_window(data: _EngagementData) -> np.ndarray:
    age = AS_OF.astype(np.int64) - data.dates.view(np.int64)
    return np.flatnonzero((age >= 0) & (age <= WINDOW_DAYS))


def _match_factorize(accounts: np.ndarray, events: np.ndarray, selected: np.ndarray) -> Any:
    codes, _ = pd.factorize(np.concatenate([accounts, events.take(selected)]))
    return codes[accounts.size :]


def _match_get_indexer(accounts: np.ndarray, events: np.ndarray, selected: np.ndarray) -> Any:
    return pd.Index(accounts).get_indexer(events.take(selected))


def _match_string_dtype(accounts: np.ndarray, events: np.ndarray, selected: np.ndarray) -> Any:
    joined = pd.array(np.concatenate([accounts, events.take(selected)]), dtype="string")
    codes, _ = pd.factorize(joined)
    return codes[accounts.size :]


def _match_bytes_unique(accounts: np.ndarray, events: np.ndarray, selected: np.ndarray) -> Any:
    joined = np.concatenate([accounts, events.take(selected)]).astype("S")
    _, codes = np.unique(joined, return_inverse=True)
    return codes[accounts.size :]


def _bound_hash_only(accounts: np.ndarray, events: np.ndarray, selected: np.ndarray) -> Any:
    return list(map(hash, events.take(selected)))


def _bound_factorize_events(accounts: np.ndarray, events: np.ndarray, selected: np.ndarray) -> Any:
    return pd.factorize(events.take(selected))


_MATCHERS: dict[str, tuple[str, Callable[[np.ndarray, np.ndarray, np.ndarray], Any]]] = {
    "factorize": (
        "`pd.factorize` of accounts + in-window ids (object; pandas picks its "
        "StringHashTable) - shipped (the refresh passes integer row ids)",
        _match_factorize,
    ),
    "get_indexer": (
        "`pd.Index(accounts).get_indexer(in-window ids)` (PyObjectHashTable)",
        _match_get_indexer,
    ),
    "string_dtype": (
        '`pd.factorize` of `pd.array(..., dtype="string")` (python storage)',
        _match_string_dtype,
    ),
    "bytes_unique": (
        '`astype("S")` + `np.unique(return_inverse=True)` (a sort)',
        _match_bytes_unique,
    ),
    "hash_only": (
        "lower bound: `hash()` of each in-window str once, no table (`map(hash, ...)`)",
        _bound_hash_only,
    ),
    "factorize_events": (
        "lower bound: `pd.factorize` of the in-window ids alone (no accounts)",
        _bound_factorize_events,
    ),
}


def _bench_matching(data: _EngagementData, floor_ms: float) -> list[str]:
    """Median ms of each way of matching in-window event ids to accounts."""
    selected = _in_window(data)
    times: dict[str, list[float]] = {name: [] for name in _MATCHERS}
    for _ in range(REPEATS):
        for name, (_, match) in _MATCHERS.items():
            accounts, events = data.fresh_account_ids(), data.fresh_event_ids()
            times[name].append(_seconds(partial(match, accounts, events, selected)))
            del accounts, events
    rows = [
        "",
        f"Matching the {selected.size:,} in-window event ids to the accounts "
        f"(fresh strings, medians of {REPEATS}), against the floor of the whole "
        f"computation ({floor_ms:.0f} ms):",
        "",
        "| matching method | median ms | vs floor |",
        "|---|---:|---:|",
    ]
    for name, (label, _) in _MATCHERS.items():
        ms = statistics.median(times[name]) * 1e3
        rows.append(f"| {label} | {ms:.0f} | {ms / floor_ms:.1f}x |")
    return rows


def run(quick: bool) -> str:
    scale = 100 if quick else 1
    rng = np.random.default_rng(20261122)
    tier_rows, tier_targets = _bench_tier(10_000_000 // scale, rng)
    engagement_rows, engagement_targets, floor_ms, data = _bench_engagement(
        1_000_000 // scale, 20_000_000 // scale, rng
    )
    matching_rows = _bench_matching(data, floor_ms)
    lines = [
        "## metrics: `tier` and `engagement_scores`",
        "",
        f"Medians of {REPEATS + 2} (`tier`) and {REPEATS} (engagement) alternating runs"
        f"{' (quick mode: 100x smaller)' if quick else ''}. Peak memory: tracemalloc peak "
        "during one call, relative to the inputs' bytes; for object arrays of ids that "
        "is the pointer array plus `sys.getsizeof` of every distinct string object.",
        "",
        "| contender | size | median ms | vs floor | peak memory / inputs |",
        "|---|---|---:|---:|---|",
        *tier_rows,
        *engagement_rows,
        *matching_rows,
        "",
        "Targets:",
        "",
        *tier_targets,
        *engagement_targets,
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(run(quick="--quick" in sys.argv))
