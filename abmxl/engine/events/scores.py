"""Per-account engagement score, first touch and touches (workbook.md)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from abmxl import metrics
from abmxl.engine.events.computed import ComputedEvents
from abmxl.engine.events.table import NO_DAY, Events


def engagement_score(
    events: Events | ComputedEvents,
    as_of_day: int,
    window_days: float,
    half_life_days: float | None,
) -> NDArray[np.float64]:
    """``metrics.engagement_scores`` of every account as of ``as_of_day``."""
    if isinstance(events, ComputedEvents):
        return events.score(as_of_day)
    return metrics.engagement_scores(
        np.arange(events.n_accounts),
        events.account,
        events.day.view("datetime64[D]"),
        events.weight,
        np.datetime64(as_of_day, "D"),
        window_days=window_days,
        half_life_days=half_life_days,
    )


def first_day(
    account: NDArray[np.int64], days: NDArray[np.int64], n_accounts: int
) -> NDArray[np.int64]:
    """Earliest of ``days`` per account; ``NO_DAY`` for an account without any."""
    first = np.full(n_accounts, NO_DAY, dtype=np.int64)
    np.minimum.at(first, account, days)
    return first


def first_touch(events: Events | ComputedEvents, as_of_day: int) -> NDArray[np.int64]:
    """Day of each account's earliest event up to ``as_of_day``, any weight and age."""
    if isinstance(events, ComputedEvents):
        return events.earliest_up_to(events.first_touch, as_of_day)
    past = events.day <= as_of_day
    return first_day(events.account[past], events.day[past], events.n_accounts)


def touch_counts(events: Events | ComputedEvents, as_of_day: int) -> NDArray[np.float64]:
    """Events per account up to ``as_of_day``, any weight and age."""
    if isinstance(events, ComputedEvents):
        if as_of_day != events.as_of_day:
            raise ValueError("the engine counted touches only as of as_of")
        return events.touches
    past = events.day <= as_of_day
    return np.bincount(events.account[past], minlength=events.n_accounts).astype(np.float64)
