"""Touch journeys of opportunities (analytics.md section 8).

Touches are Engagement events with weight > 0, dated on or before as_of. Each
opportunity created on c gets the touches of its account dated in a window
[c - attribution_window_days, end]; the end depends on the journey kind:

* pipeline: c;
* revenue (won, with a close date k >= c): k; a won opportunity without such
  a close date uses its pipeline journey;
* influence: the close date when the opportunity is closed and has one on or
  after c, else as_of.

The join is vectorized: the touches are sorted once by (account, day, row),
each opportunity's window is two ``searchsorted`` calls on that order, and the
journeys are expanded with ``np.repeat``/``cumsum`` ranges; no loop over
opportunities. Journeys come out ordered by (opportunity, day, row), the order
:func:`abmxl.metrics.attribution_shares` needs, so it does not sort again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

NAT_DAY = np.iinfo(np.int64).min


def day_numbers(dates: np.ndarray) -> np.ndarray:
    """datetime64 -> int64 days since 1970-01-01 (NaT -> ``NAT_DAY``)."""
    return np.asarray(dates).astype("datetime64[D]").view(np.int64)


@dataclass(frozen=True)
class Touches:
    """The touches, sorted by (account, day, row of the Engagement sheet)."""

    account: np.ndarray
    day: np.ndarray
    channel: np.ndarray  # normalized channel names (object)
    weight: np.ndarray

    @classmethod
    def of(cls, engagement: pd.DataFrame | None, as_of_day: int) -> Touches:
        """Touches of a cleaned Engagement table (None: no touches)."""
        if engagement is None:
            empty = np.zeros(0, dtype=np.int64)
            return cls(empty, empty, np.zeros(0, dtype=object), np.zeros(0))
        day = day_numbers(engagement["date"].to_numpy())
        weight = engagement["weight"].to_numpy(dtype=np.float64)
        account = engagement["account"].to_numpy(dtype=np.int64)
        keep = np.flatnonzero((weight > 0) & (day <= as_of_day) & (day != NAT_DAY))
        order = keep[np.lexsort((day[keep], account[keep]))]  # stable: rows keep their order
        return cls(
            account=account[order],
            day=day[order],
            channel=engagement["channel"].to_numpy(dtype=object)[order],
            weight=weight[order],
        )


@dataclass(frozen=True)
class Journeys:
    """Touches of one kind of journey: one row per (opportunity, touch).

    ``opportunity`` (position in the Opportunities table) and ``touch``
    (position in ``Touches``), ordered by (opportunity, day, row); ``end_day``
    is the journey's end (c for pipeline, k for revenue); ``counts`` the number
    of touches per opportunity.
    """

    opportunity: np.ndarray
    touch: np.ndarray
    end_day: np.ndarray
    counts: np.ndarray


def window_journeys(
    touches: Touches,
    opp_account: np.ndarray,
    start_day: np.ndarray,
    end_day: np.ndarray,
    selected: np.ndarray,
) -> Journeys:
    """The touches of each selected opportunity's account dated in [start, end].

    ``start_day``/``end_day`` are per opportunity (int64 days); ``selected``
    masks the opportunities that have a journey of this kind.
    """
    n_opps = opp_account.size
    counts = np.zeros(n_opps, dtype=np.int64)
    if touches.day.size == 0 or not selected.any():
        empty = np.zeros(0, dtype=np.int64)
        return Journeys(empty, empty, empty, counts)
    low = int(touches.day.min())
    span = int(touches.day.max()) - low + 1
    key = touches.account * span + (touches.day - low)  # sorted (touches are)
    rows = np.flatnonzero(selected)
    account = opp_account[rows]
    # Bounds clipped to the account's own day range, so no window reaches into
    # the neighbouring accounts' runs of the key.
    first = np.clip(start_day[rows] - low, 0, span)
    last = np.clip(end_day[rows] - low, -1, span - 1)
    lo = np.searchsorted(key, account * span + first, side="left")
    hi = np.searchsorted(key, account * span + last, side="right")
    per_opp = np.maximum(hi - lo, 0)
    counts[rows] = per_opp
    total = int(per_opp.sum())
    offsets = np.cumsum(per_opp) - per_opp
    touch = np.arange(total) - np.repeat(offsets, per_opp) + np.repeat(lo, per_opp)
    opportunity = np.repeat(rows, per_opp)
    return Journeys(opportunity, touch, end_day[opportunity], counts)


@dataclass(frozen=True)
class OpportunityJourneys:
    """The three journeys of every opportunity, and the dates they use."""

    touches: Touches
    pipeline: Journeys
    revenue: Journeys  # won opportunities only
    influence: Journeys
    created_day: np.ndarray
    close_day: np.ndarray
    won: np.ndarray
    closes_after_creation: np.ndarray  # close_date on or after created_date

    @property
    def sourced(self) -> np.ndarray:
        """Marketing-sourced: the pipeline journey has a touch."""
        return self.pipeline.counts > 0

    @property
    def influenced(self) -> np.ndarray:
        """Marketing-influenced: the influence journey has a touch."""
        return self.influence.counts > 0


def build_journeys(
    touches: Touches,
    opportunities: pd.DataFrame,
    won: np.ndarray,
    closed: np.ndarray,
    as_of_day: int,
    window_days: float,
) -> OpportunityJourneys:
    """Pipeline, revenue and influence journeys of every opportunity."""
    account = opportunities["account"].to_numpy(dtype=np.int64)
    created = day_numbers(opportunities["created_date"].to_numpy())
    close = day_numbers(opportunities["close_date"].to_numpy())
    has_created = created != NAT_DAY
    # A fractional window counts its whole days (ages are whole days).
    start = np.where(has_created, created - int(np.floor(window_days)), 0)
    after = has_created & (close != NAT_DAY) & (close >= created)
    pipeline = window_journeys(touches, account, start, created, has_created)
    revenue_with_close = window_journeys(touches, account, start, close, won & after)
    revenue = _combine(revenue_with_close, pipeline, won & has_created & ~after)
    influence_end = np.where(closed & after, close, as_of_day)
    influence = window_journeys(touches, account, start, influence_end, has_created)
    return OpportunityJourneys(touches, pipeline, revenue, influence, created, close, won, after)


def _combine(first: Journeys, second: Journeys, take_second: np.ndarray) -> Journeys:
    """``first``'s journeys plus ``second``'s of the opportunities in ``take_second``,
    ordered by (opportunity, day, row) again."""
    extra = take_second[second.opportunity]
    opportunity = np.concatenate([first.opportunity, second.opportunity[extra]])
    order = np.argsort(opportunity, kind="stable")  # each journey's rows keep their order
    touch = np.concatenate([first.touch, second.touch[extra]])[order]
    end = np.concatenate([first.end_day, second.end_day[extra]])[order]
    counts = first.counts + np.where(take_second, second.counts, 0)
    return Journeys(opportunity[order], touch, end, counts)
