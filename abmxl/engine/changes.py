"""What changed: Trends (analytics.md section 4) and Progression (section 5).

The one entry point ``funnel.summarize`` calls, so the funnel module only
hands over what it has already computed (tiers, current stages).
"""

from __future__ import annotations

import numpy as np

from abmxl.engine import events as event_level
from abmxl.engine.clean import CleanBook
from abmxl.engine.events.stage_dates import SCORE_DECIMALS
from abmxl.engine.progression import Progression, progression, stage_ranks, stage_ranks_at
from abmxl.engine.stage_dates import as_of_day_of, book_stage_dates
from abmxl.engine.trends import PeriodWindow, trends_table

__all__ = ["what_changed"]


def what_changed(book: CleanBook, tiers: np.ndarray, current_stage: np.ndarray):
    """The ``Trends`` table and the ``Progression`` of a cleaned book.

    Parameters
    ----------
    book : CleanBook
        The cleaned input tables (Settings ``period``, ``trend_periods``, ``as_of``).
    tiers : numpy.ndarray of int
        Today's tier of each account.
    current_stage : numpy.ndarray of str
        Today's stage of each account.

    Returns
    -------
    tuple of (pandas.DataFrame, Progression)
    """
    settings = book.settings
    n = len(book.accounts)
    window = PeriodWindow(settings.period, int(settings.trend_periods), settings.as_of)
    # Stage dates as known on as_of (records after it never count).
    now = book_stage_dates(book, as_of_day_of(book))
    engagement = book.engagement
    trends = trends_table(
        window,
        tiers,
        engaged_dates=now.engaged_date if engagement is not None else None,
        opportunity_dates=now.opportunity_date,
        won_dates=now.won_date,
        opportunities=book.opportunities,
        engagement=engagement,
        spend=book.spend,
    )

    # Stage at D: stage dates as known on D, and the engagement score as of D
    # compared as the refresh compares it (rounded, scale.md).
    from_date = window.previous_period_end
    from_day = int(np.datetime64(from_date, "D").view(np.int64))
    then = book_stage_dates(book, from_day)
    if engagement is not None:
        events = event_level.Events.from_frame(engagement, n)
        score_then = np.round(
            event_level.engagement_score(
                events, from_day, settings.window_days, settings.half_life_days
            ),
            SCORE_DECIMALS,
        )
    else:
        score_then = np.full(n, np.nan)
    ranks_then = stage_ranks_at(
        from_date,
        score=score_then,
        engagement_min=settings.engagement_min,
        opportunity_dates=then.opportunity_date,
        won_dates=then.won_date,
        retained_dates=then.retained_date,
        expanded_dates=then.expanded_date,
    )
    moved: Progression = progression(from_date, tiers, ranks_then, stage_ranks(current_stage))
    return trends, moved
