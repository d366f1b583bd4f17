"""Recent and baseline engagement per account (analytics.md section 6)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from abmxl.engine.events.computed import ComputedEvents
from abmxl.engine.events.table import Events


@dataclass(frozen=True)
class Spikes:
    """Per-account plain sums of event weights (no half-life).

    ``recent``: events aged 0 <= age < recent_days; ``baseline``: aged
    recent_days <= age < recent_days + baseline_days, times recent_days /
    baseline_days (the baseline's rate over a recent-length period).
    """

    recent: NDArray[np.float64]
    baseline: NDArray[np.float64]


def spikes(
    events: Events | ComputedEvents | None, as_of_day: int, recent_days: float, baseline_days: float
) -> Spikes | None:
    """Recent and baseline engagement of every account; None without events."""
    if events is None:
        return None
    if isinstance(events, ComputedEvents):
        if as_of_day != events.as_of_day:
            raise ValueError("the engine computed spikes only as of as_of")
        return Spikes(recent=events.recent, baseline=events.baseline)
    age = as_of_day - events.day  # whole days
    recent = (age >= 0) & (age < recent_days)
    earlier = (age >= recent_days) & (age < recent_days + baseline_days)
    n = events.n_accounts
    return Spikes(
        recent=np.bincount(events.account[recent], weights=events.weight[recent], minlength=n),
        baseline=np.bincount(events.account[earlier], weights=events.weight[earlier], minlength=n)
        * (recent_days / baseline_days),
    )
