"""Event-level computations: the one place that reads individual engagement events.

Everything here takes the events as plain arrays (an :class:`Events`: account
positions, day numbers, weights) and returns per-account arrays, so the rest of
the engine never sees an event row. scale.md moves exactly this part into an
external engine (DuckDB, polars, Spark) for event sources that do not fit a
workbook: only this package's functions need a second implementation there.

- :mod:`.table`: :class:`Events` and :class:`Opportunities` (the inputs) and
  the day-number conventions (``NO_DAY``).
- :mod:`.scores`: engagement score, first touch and touches per account.
- :mod:`.stage_dates`: :class:`StageDates` and :func:`stage_dates` (analytics.md
  section 1), with the engaged date found in one sorted pass.
- :mod:`.spikes`: recent and baseline engagement (analytics.md section 6).
- :mod:`.journeys`: touch journeys of opportunities, reduced to credits
  (analytics.md section 8).
"""

from abmxl.engine.events.scores import engagement_score, first_day, first_touch, touch_counts
from abmxl.engine.events.spikes import Spikes, spikes
from abmxl.engine.events.stage_dates import StageDates, engaged_days, stage_dates
from abmxl.engine.events.table import NO_DAY, Events, Opportunities, as_dates, day_numbers

__all__ = [
    "NO_DAY",
    "Events",
    "Opportunities",
    "Spikes",
    "StageDates",
    "as_dates",
    "day_numbers",
    "engaged_days",
    "engagement_score",
    "first_day",
    "first_touch",
    "spikes",
    "stage_dates",
    "touch_counts",
]
