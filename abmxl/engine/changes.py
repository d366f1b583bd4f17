"""What changed: Trends (analytics.md section 4) and Progression (section 5).

The one entry point ``funnel.summarize`` calls, so the funnel module only
hands over what it has already computed (tiers, current stages).
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from abmxl.engine import events as event_level
from abmxl.engine.clean import WON, CleanBook
from abmxl.engine.events import Opportunities, StageDates, stage_dates
from abmxl.engine.events.stage_dates import SCORE_DECIMALS
from abmxl.engine.progression import Progression, progression, stage_ranks, stage_ranks_at
from abmxl.engine.stage_dates import as_of_day_of, book_events, book_stage_dates
from abmxl.engine.trends import PeriodWindow, trends_table
from abmxl.schema import EXPANSION, RENEWAL

__all__ = ["stage_ranks_on", "what_changed"]


def stage_ranks_on(book: CleanBook, day: dt.date) -> np.ndarray:
    """Each account's stage rank (0 Target .. 5 Expanded) with only what was known on ``day``.

    Stage dates as known on ``day`` (``engine.events.stage_dates``) and the
    engagement score as of ``day``, compared rounded as the refresh compares it
    (scale.md).
    """
    settings = book.settings
    n = len(book.accounts)
    day_number = int(np.datetime64(day, "D").view(np.int64))
    # The opportunity stages as known on the day (their stage-date function);
    # Engaged at D is the score as of D below, not a date, so no events are
    # passed and the costly engaged-date pass is skipped.
    then = stage_dates(
        n,
        None,
        Opportunities.from_frame(book.opportunities, WON, RENEWAL, EXPANSION),
        day_number,
        window_days=settings.window_days,
        half_life_days=settings.half_life_days,
        engagement_min=settings.engagement_min,
    )
    events = book_events(book)
    if events is not None:
        score = event_level.engagement_score(
            events, day_number, settings.window_days, settings.half_life_days
        )
        score = np.round(score, SCORE_DECIMALS)
    else:
        score = np.full(n, np.nan)
    return stage_ranks_at(
        day,
        score=score,
        engagement_min=settings.engagement_min,
        opportunity_dates=then.opportunity_date,
        won_dates=then.won_date,
        retained_dates=then.retained_date,
        expanded_dates=then.expanded_date,
    )


def what_changed(
    book: CleanBook,
    tiers: np.ndarray,
    current_stage: np.ndarray,
    now: StageDates | None = None,
):
    """The ``Trends`` table and the ``Progression`` of a cleaned book.

    Parameters
    ----------
    book : CleanBook
        The cleaned input tables (Settings ``period``, ``trend_periods``, ``as_of``).
    tiers : numpy.ndarray of int
        Today's tier of each account.
    current_stage : numpy.ndarray of str
        Today's stage of each account.
    now : StageDates, optional
        The accounts' stage dates as known on as_of, when the caller has them
        already (the engaged-date pass is the costly part); else computed here.

    Returns
    -------
    tuple of (pandas.DataFrame, Progression)
    """
    settings = book.settings
    window = PeriodWindow(settings.period, int(settings.trend_periods), settings.as_of)
    # Stage dates as known on as_of (records after it never count).
    if now is None:
        now = book_stage_dates(book, as_of_day_of(book))
    engagement = book.engagement
    computed = book.computed_events
    trends = trends_table(
        window,
        tiers,
        engaged_dates=now.engaged_date if engagement is not None or computed else None,
        opportunity_dates=now.opportunity_date,
        won_dates=now.won_date,
        opportunities=book.opportunities,
        engagement=engagement,
        spend=book.spend,
        period_touches=computed.period_touches if computed is not None else None,
    )

    from_date = window.previous_period_end
    ranks_then = stage_ranks_on(book, from_date)
    moved: Progression = progression(from_date, tiers, ranks_then, stage_ranks(current_stage))
    return trends, moved
