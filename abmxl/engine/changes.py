"""What changed: Trends (analytics.md section 4) and Progression (section 5).

The one entry point ``funnel.summarize`` calls, so the funnel module only
hands over what it has already computed (tiers, current stages).
"""

from __future__ import annotations

import numpy as np

from abmxl import metrics
from abmxl.engine.clean import WON, CleanBook
from abmxl.engine.progression import Progression, progression, stage_ranks, stage_ranks_at
from abmxl.engine.trends import PeriodWindow, trends_table
from abmxl.schema import EXPANSION, RENEWAL

__all__ = ["what_changed"]


def _earliest(account: np.ndarray, dates: np.ndarray, n: int) -> np.ndarray:
    """Earliest date per account (datetime64[D]); NaT for an account without one."""
    days = np.asarray(dates).astype("datetime64[D]").view(np.int64)
    dated = days != np.iinfo(np.int64).min
    first = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, account[dated], days[dated])
    out = first.view("datetime64[D]").copy()
    out[first == np.iinfo(np.int64).max] = np.datetime64("NaT")
    return out


def _opportunity_stage_dates(book: CleanBook, n: int) -> dict[str, np.ndarray]:
    """opportunity, won, retained, expanded dates per account (analytics.md section 1)."""
    opps = book.opportunities
    account = opps["account"].to_numpy()
    won = opps["status"].to_numpy() == WON
    kind = opps["type"].to_numpy()
    close = opps["close_date"].to_numpy()
    return {
        "opportunity": _earliest(account, opps["created_date"].to_numpy(), n),
        "won": _earliest(account[won], close[won], n),
        "retained": _earliest(account[won & (kind == RENEWAL)], close[won & (kind == RENEWAL)], n),
        "expanded": _earliest(
            account[won & (kind == EXPANSION)], close[won & (kind == EXPANSION)], n
        ),
    }


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
    dates = _opportunity_stage_dates(book, n)
    engagement = book.engagement
    trends = trends_table(
        window,
        tiers,
        engaged_dates=None,
        opportunity_dates=dates["opportunity"],
        won_dates=dates["won"],
        opportunities=book.opportunities,
        engagement=engagement,
        spend=book.spend,
    )

    from_date = window.previous_period_end
    if engagement is not None:
        score_then = metrics.engagement_scores(
            np.arange(n),
            engagement["account"].to_numpy(),
            engagement["date"].to_numpy(),
            engagement["weight"].to_numpy(),
            from_date,
            window_days=settings.window_days,
            half_life_days=settings.half_life_days,
        )
    else:
        score_then = np.full(n, np.nan)
    then = stage_ranks_at(
        from_date,
        score=score_then,
        engagement_min=settings.engagement_min,
        opportunity_dates=dates["opportunity"],
        won_dates=dates["won"],
        retained_dates=dates["retained"],
        expanded_dates=dates["expanded"],
    )
    moved: Progression = progression(from_date, tiers, then, stage_ranks(current_stage))
    return trends, moved
