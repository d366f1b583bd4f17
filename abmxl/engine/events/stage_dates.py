"""Stage dates per account (analytics.md section 1), as of any day.

The engaged date is the one hard part: the earliest event date d at which the
account's engagement score *as of d* (Settings window and half-life, events
dated <= d) reaches engagement_min. It is found in one sorted pass, with no
loop over accounts or events:

1. sort the events by (account, day) once;
2. the score as of each event's day is a windowed sum over the account's
   sorted events: its window starts and ends come from ``np.searchsorted`` on
   one int64 key per event, and the sum from prefix sums that restart at each
   account (``groupby().cumsum()``, so rounding never carries from one
   account's total into the next);
3. with a half-life h, ``w * 0.5**((d - e)/h)`` = ``0.5**((d - r)/h) *
   w * 2**((e - r)/h)`` for any reference day r. The prefix sums hold the
   second factor with r rebased at the start of each block of ~400 half-lives
   of an account's timeline, so ``2**x`` never exceeds 2**400 (no overflow,
   however tiny h or long the history), and the window (clipped to one block:
   what lies further back weighs less than 2**-399 of its weight) reaches at
   most into the previous block, which has its own reference.

Scores are compared rounded to 9 decimals (scale.md), as every threshold test
on a float sum is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from abmxl.engine.events.computed import ComputedEvents
from abmxl.engine.events.scores import first_day, first_touch
from abmxl.engine.events.table import NO_DAY, Events, Opportunities, as_dates

_BLOCK_HALF_LIVES = 400.0  # 2**400 ~ 2.6e120: room for any sum of weights
_NAT_DAY = np.iinfo(np.int64).min
SCORE_DECIMALS = 9


@dataclass(frozen=True)
class StageDates:
    """Per-account stage dates (datetime64[D], ``NaT`` = blank), in account order.

    Attributes
    ----------
    first_touch : earliest event date (any weight) up to as-of.
    engaged_date : earliest event date at which the score as of it reached
        engagement_min.
    opportunity_date : earliest created_date of its opportunities.
    won_date, retained_date, expanded_date : earliest close_date of its won
        opportunities; of its won Renewals; of its won Expansions.
    """

    first_touch: NDArray[np.datetime64]
    engaged_date: NDArray[np.datetime64]
    opportunity_date: NDArray[np.datetime64]
    won_date: NDArray[np.datetime64]
    retained_date: NDArray[np.datetime64]
    expanded_date: NDArray[np.datetime64]

    FIELDS = (
        "first_touch",
        "engaged_date",
        "opportunity_date",
        "won_date",
        "retained_date",
        "expanded_date",
    )

    def as_frame(self) -> pd.DataFrame:
        """One column per field (datetime64[s], NaT blank), one row per account."""
        return pd.DataFrame(
            {name: getattr(self, name).astype("datetime64[s]") for name in self.FIELDS}
        )


def stage_dates(
    n_accounts: int,
    events: Events | None,
    opportunities: Opportunities,
    as_of_day: int,
    *,
    window_days: float,
    half_life_days: float | None,
    engagement_min: float,
    opportunities_as_of: bool = True,
) -> StageDates:
    """Every account's stage dates as known on ``as_of_day``.

    Parameters
    ----------
    n_accounts : int
        Number of accounts (positions 0 .. n_accounts - 1).
    events : Events or None
        Engagement events; None without Engagement data (first touch and
        engaged date are then blank).
    opportunities : Opportunities
        The opportunities.
    as_of_day : int
        Day number of the as-of date. Events dated after it never count.
    window_days, half_life_days, engagement_min : float
        The Settings of the engagement score.
    opportunities_as_of : bool, default True
        True: only what was known on ``as_of_day`` counts (opportunities
        created on or before it, wins closed on or before it; a blank date does
        not count), for "stage at D" (analytics.md section 5). False: every
        opportunity counts, as the stages of the refresh do (section 1).

    Returns
    -------
    StageDates
    """
    if events is None:
        touch = np.full(n_accounts, NO_DAY, dtype=np.int64)
        engaged = touch
    else:
        touch = first_touch(events, as_of_day)
        engaged = engaged_days(events, as_of_day, window_days, half_life_days, engagement_min)

    created, closed = opportunities.created_day, opportunities.close_day
    has_created = created != _NAT_DAY
    closed_won = opportunities.won & (closed != _NAT_DAY)
    if opportunities_as_of:
        has_created &= created <= as_of_day
        closed_won &= closed <= as_of_day
    account = opportunities.account

    def first_close(mask: NDArray[np.bool_]) -> NDArray[np.int64]:
        return first_day(account[mask], closed[mask], n_accounts)

    return StageDates(
        first_touch=as_dates(touch),
        engaged_date=as_dates(engaged),
        opportunity_date=as_dates(
            first_day(account[has_created], created[has_created], n_accounts)
        ),
        won_date=as_dates(first_close(closed_won)),
        retained_date=as_dates(first_close(closed_won & opportunities.renewal)),
        expanded_date=as_dates(first_close(closed_won & opportunities.expansion)),
    )


def engaged_days(
    events: Events,
    as_of_day: int,
    window_days: float,
    half_life_days: float | None,
    engagement_min: float,
) -> NDArray[np.int64]:
    """Per account, the day number of its engaged date; ``NO_DAY`` when never.

    See the module docstring for the method; ``scores_as_of_event_days`` gives
    the scores it compares.
    """
    if isinstance(events, ComputedEvents):  # scale.md: computed by an engine
        return events.earliest_up_to(events.engaged_day, as_of_day)
    n = events.n_accounts
    out = np.full(n, NO_DAY, dtype=np.int64)
    known = events.up_to(as_of_day)
    if known.account.size == 0:
        return out
    # A score never exceeds the sum of all the account's weights (decay <= 1): an
    # account whose total stays below engagement_min cannot engage; skip its events.
    total = np.bincount(known.account, weights=known.weight, minlength=n)
    hopeful = np.round(total, SCORE_DECIMALS) + 1e-6 * np.abs(total) >= engagement_min
    if not hopeful.all():
        kept = hopeful[known.account]
        known = Events(known.account[kept], known.day[kept], known.weight[kept], n)
        if known.account.size == 0:
            return out
    order = _by_account_and_day(known.account, known.day)
    account = known.account[order]
    day = known.day[order]
    score = _scores_as_of_event_days(account, day, known.weight[order], window_days, half_life_days)
    engaged = np.flatnonzero(np.round(score, SCORE_DECIMALS) >= engagement_min)
    if engaged.size:
        engaged_account = account[engaged]
        first = np.ones(engaged.size, dtype=bool)
        first[1:] = engaged_account[1:] != engaged_account[:-1]
        out[engaged_account[first]] = day[engaged[first]]
    return out


def scores_as_of_event_days(
    events: Events, window_days: float, half_life_days: float | None
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """(account, day, score as of that day) for every event, sorted by account and day."""
    order = _by_account_and_day(events.account, events.day)
    account, day = events.account[order], events.day[order]
    score = _scores_as_of_event_days(
        account, day, events.weight[order], window_days, half_life_days
    )
    return account, day, score


def _by_account_and_day(account: NDArray[np.int64], day: NDArray[np.int64]) -> NDArray[np.intp]:
    """The order that sorts events by (account, day): one argsort of one int64 key
    (faster than ``np.lexsort`` of the two columns)."""
    if account.size == 0:
        return np.zeros(0, dtype=np.intp)
    first = int(day.min())
    span = int(day.max()) - first + 1
    return np.argsort(account * span + (day - first))


def _scores_as_of_event_days(
    account: NDArray[np.int64],
    day: NDArray[np.int64],
    weight: NDArray[np.float64],
    window_days: float,
    half_life_days: float | None,
) -> NDArray[np.float64]:
    """Score of each event's account as of the event's day; input sorted by (account, day)."""
    first_day_ = int(day.min())
    span = int(day.max()) - first_day_
    # Ages are whole days: a fractional window counts its whole part (as engagement_scores).
    look = min(math.floor(min(window_days, 2.0**62)), span)
    block = None
    if half_life_days is not None:
        block = max(math.floor(_BLOCK_HALF_LIVES * half_life_days), 1)
        look = min(look, block)
    offset = day - first_day_
    stride = span + look + 1
    key = account * stride + (offset + look)  # the window start stays in its account
    start = np.searchsorted(key, key - look, side="left")
    # The day's last event (ties count): the end of each run of equal keys.
    run_ends = np.flatnonzero(np.append(key[1:] != key[:-1], True))
    end = np.repeat(run_ends, np.diff(run_ends, prepend=-1))

    if half_life_days is None:
        prefix = pd.Series(weight).groupby(account).cumsum().to_numpy()
        return prefix[end] - (prefix[start] - weight[start])

    h = float(half_life_days)
    block_index = offset // block
    n_blocks = span // block + 1
    group = account * n_blocks + block_index  # sorted, like key
    reference = block_index * block  # offset of the block's first day
    term = weight * np.exp2((offset - reference) / h)  # exponent in [0, 400]
    prefix = pd.Series(term).groupby(group).cumsum().to_numpy()
    scale = np.exp2((reference - offset) / h)
    before_start = prefix[start] - term[start]
    same_block = group[start] == group
    score = np.where(same_block, scale * (prefix[end] - before_start), scale * prefix[end])
    crossing = np.flatnonzero(~same_block)
    if crossing.size:
        # The window starts in the previous (adjacent) block: its part, rebased at
        # that block's reference (block days earlier).
        block_start = np.searchsorted(group, group[crossing], side="left")
        previous_part = prefix[block_start - 1] - before_start[crossing]
        previous_scale = np.exp2((reference[crossing] - block - offset[crossing]) / h)
        score[crossing] += previous_scale * previous_part
    return score
