"""Event-level results computed outside Python, by an engine (scale.md).

When the events live in a SOURCE outside the workbook (Parquet, CSV), an
engine of :mod:`abmxl.scale` (DuckDB, Polars, Spark) computes every
event-level result the refresh needs and hands back only these per-account
(and per-period, per-touch-of-an-opportunity-account) arrays. The functions
of :mod:`abmxl.engine.events` accept a :class:`ComputedEvents` wherever they
accept :class:`~abmxl.engine.events.table.Events` and answer from it, so the
rest of the engine is the same for both paths.

:class:`EventQuery` is what the engine is asked: the accounts (ids in
position order), the channel weights and the Settings the results depend on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from abmxl.engine.events.table import NO_DAY


@dataclass(frozen=True)
class EventQuery:
    """What a refresh needs from an engine.

    Attributes
    ----------
    account_ids : ndarray of object
        The kept Accounts' ids (text), in account-position order.
    opportunity_accounts : ndarray of int64
        Positions of the accounts that have opportunities (their touches come
        back for attribution).
    channel_weights : mapping of str to float
        ChannelWeights (``channel_key`` form): the weight of an event whose own
        weight is blank.
    channel_names : mapping of str to str
        ValueMap entries of Engagement's channel (lower-cased text -> key).
    column_map : mapping of str to str
        ColumnMap entries of Engagement (column -> header).
    as_of_day : int
        Day number of as_of: later events never count.
    score_days : tuple of int
        The days the engagement score is wanted as of (as_of and the
        progression's D).
    window_days, half_life_days, engagement_min : float
        The Settings of the engagement score.
    recent_days, baseline_days : float
        The Settings of spikes.
    period_months : int
        Calendar months per Trends period.
    decimal_separator, date_order : str
        How text numbers and dates are read (ingest.md).
    """

    account_ids: NDArray[np.object_]
    opportunity_accounts: NDArray[np.int64]
    channel_weights: Mapping[str, float]
    channel_names: Mapping[str, str]
    column_map: Mapping[str, str]
    as_of_day: int
    score_days: tuple[int, ...]
    window_days: float
    half_life_days: float | None
    engagement_min: float
    recent_days: float
    baseline_days: float
    period_months: int
    decimal_separator: str = "."
    date_order: str = "auto"

    @property
    def n_accounts(self) -> int:
        return len(self.account_ids)


@dataclass(frozen=True)
class ComputedEvents:
    """An engine's answer to an :class:`EventQuery`.

    Attributes
    ----------
    n_accounts, as_of_day : int
        As asked.
    scores : dict of int to ndarray of float64
        Engagement score per account as of each of ``EventQuery.score_days``.
    first_touch : ndarray of int64
        Earliest event day up to as_of per account (``NO_DAY``: none).
    touches : ndarray of float64
        Events up to as_of per account.
    recent, baseline : ndarray of float64
        Spikes' sums (analytics.md section 6), baseline already rescaled.
    engaged_day : ndarray of int64
        Engaged date per account over the events up to as_of (``NO_DAY``: never).
    period_touches : pandas.DataFrame
        Columns account, code (period code, ``trends.period_codes``), events:
        events up to as_of per account and period.
    opportunity_touches : pandas.DataFrame
        The events of opportunity accounts with weight > 0 dated up to as_of,
        in SOURCE row order: columns account, date (datetime64[s]), weight,
        channel (``channel_key`` form), as ``CleanBook.engagement``.
    issues : pandas.DataFrame
        DataIssues rows of SOURCE (``schema.ISSUE_COLUMNS``).
    source : str
        What was read (``file events.parquet``), for the Inputs table.
    rows_read, rows_used : int
        Data rows of SOURCE, and those kept.
    columns : dict of str to str
        Column -> the SOURCE header it was read from (the Inputs' Columns).
    """

    n_accounts: int
    as_of_day: int
    scores: dict[int, NDArray[np.float64]]
    first_touch: NDArray[np.int64]
    touches: NDArray[np.float64]
    recent: NDArray[np.float64]
    baseline: NDArray[np.float64]
    engaged_day: NDArray[np.int64]
    period_touches: pd.DataFrame
    opportunity_touches: pd.DataFrame
    issues: pd.DataFrame
    source: str
    rows_read: int
    rows_used: int
    columns: dict[str, str] = field(default_factory=dict)

    def score(self, day: int) -> NDArray[np.float64]:
        """The score as of ``day`` (one of the query's score days)."""
        if day not in self.scores:
            raise ValueError(f"the engine computed no engagement score as of day {day}")
        return self.scores[day]

    def earliest_up_to(self, days: NDArray[np.int64], day: int) -> NDArray[np.int64]:
        """Per-account earliest days as known on ``day`` <= as_of.

        First touch and the engaged date as of an earlier day are the ones as
        of as_of when they fall on or before that day (both only look at
        events dated on or before the date itself).
        """
        if day > self.as_of_day:
            raise ValueError("the engine computed event results only up to as_of")
        return np.where(days <= day, days, NO_DAY)


EventEngine = Callable[[EventQuery], ComputedEvents]
"""Runs a query on the events of one SOURCE (the door builds it; the engine reads no file)."""
