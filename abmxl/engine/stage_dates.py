"""Stage dates of a cleaned workbook, as of any day (analytics.md sections 1 and 5).

The adapter between ``CleanBook`` and the array interface of ``engine.events``:
the refresh calls it with as_of, the Trends sheet with the last day of the
previous period ("stage at D").
"""

from __future__ import annotations

import numpy as np

from abmxl.engine.clean import WON, CleanBook
from abmxl.engine.events import Events, Opportunities, StageDates, stage_dates
from abmxl.engine.events.computed import ComputedEvents
from abmxl.schema import EXPANSION, RENEWAL

__all__ = ["StageDates", "as_of_day_of", "book_events", "book_stage_dates"]


def book_events(book: CleanBook) -> Events | ComputedEvents | None:
    """The book's events: an engine's results (scale.md), the Engagement sheet's, or None."""
    if book.computed_events is not None:
        return book.computed_events
    if book.engagement is not None:
        return Events.from_frame(book.engagement, len(book.accounts))
    return None


def as_of_day_of(book: CleanBook) -> int:
    """The day number of the book's as_of."""
    return int(np.datetime64(book.settings.as_of, "D").view(np.int64))


def book_stage_dates(
    book: CleanBook, as_of_day: int | None = None, *, opportunities_as_of: bool = True
) -> StageDates:
    """Every account's stage dates as known on ``as_of_day`` (default: the book's as_of).

    With ``opportunities_as_of`` (the default) only opportunities created on or
    before the day and wins closed on or before it count, as "stage at D"
    needs; the refresh's own stage dates pass False (every opportunity counts,
    as its stages do). Events dated after the day never count.
    """
    day = as_of_day_of(book) if as_of_day is None else int(as_of_day)
    n = len(book.accounts)
    events = book_events(book)
    settings = book.settings
    return stage_dates(
        n,
        events,
        Opportunities.from_frame(book.opportunities, WON, RENEWAL, EXPANSION),
        day,
        window_days=settings.window_days,
        half_life_days=settings.half_life_days,
        engagement_min=settings.engagement_min,
        opportunities_as_of=opportunities_as_of,
    )
