"""Trends by calendar period: the ``Trends`` table of analytics.md section 4.

Every dated record (an account's stage date, an opportunity's created or close
date, an engagement event, a spend row) gets an integer period code, and each
measure is one ``np.bincount`` over ``period row * 5 + tier code``: there is
no loop over periods, accounts or records, whatever ``trend_periods`` is.

Period codes count calendar periods from year 0: ``year * 12 + month - 1``
for months, ``year * 4 + quarter - 1`` for quarters, ``year`` for years (the
months since 0000-01, floor-divided by the months per period). Consecutive
periods have consecutive codes, so the table's row of a record is its code
minus the code of the first period shown.

Rows are ordered segment by segment (All targets first), periods oldest
first within each, so the All targets rows are contiguous and the sheet's
chart reads them straight from the table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from abmxl import metrics
from abmxl.engine.clean import LOST, WON
from abmxl.schema import NEW_BUSINESS, SEGMENTS

__all__ = [
    "PERIOD_MONTHS",
    "TREND_MEASURES",
    "PeriodWindow",
    "period_codes",
    "period_labels",
    "period_start",
    "trends_table",
]

PERIOD_MONTHS: dict[str, int] = {"month": 1, "quarter": 3, "year": 12}
"""Calendar months in one period of each Settings ``period``."""

TREND_MEASURES: tuple[str, ...] = (
    "new_engaged_accounts",
    "new_opportunity_accounts",
    "opportunities_created",
    "pipeline_created",
    "new_won_accounts",
    "won_deals",
    "new_revenue_won",
    "win_rate",
    "avg_deal_size",
    "avg_sales_cycle_days",
    "touches",
    "spend",
)
"""The ``Trends`` columns after ``Period`` and ``Segment``, in the spec's order."""

_MONTH_ZERO = 1970 * 12  # numpy's datetime64[M] counts months from 1970-01
_NAT = np.iinfo(np.int64).min  # numpy's NaT viewed as int64
# Tier codes of the bincount: 0-3 are the tiers, 4 is program-wide spend
# (All targets only).
_PROGRAM_WIDE = 4
_CODES = 5


def _day_numbers(dates: np.ndarray) -> np.ndarray:
    """datetime64 -> int64 days since 1970-01-01 (NaT -> numpy's NaT integer)."""
    return np.asarray(dates).astype("datetime64[D]").view(np.int64)


def period_codes(days: np.ndarray, period: str) -> np.ndarray:
    """Period code of each day (int64 days since 1970-01-01; no NaT).

    >>> days = np.array(["2026-01-01", "2026-03-31", "2026-04-01"], "datetime64[D]")
    >>> period_codes(days.view(np.int64), "quarter").tolist()
    [8104, 8104, 8105]
    """
    months = np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[M]")
    return (months.view(np.int64) + _MONTH_ZERO) // PERIOD_MONTHS[period]


def period_labels(codes: np.ndarray, period: str) -> np.ndarray:
    """``2026-Q1`` / ``2026-03`` / ``2026`` for each period code.

    >>> period_labels(np.array([8104, 8105]), "quarter").tolist()
    ['2026-Q1', '2026-Q2']
    >>> period_labels(np.array([24314]), "month").tolist()
    ['2026-03']
    """
    codes = np.asarray(codes, dtype=np.int64)
    per_year = 12 // PERIOD_MONTHS[period]
    years = (codes // per_year).astype(str)
    if period == "year":
        return years.astype(object)
    within = (codes % per_year + 1).astype(str)
    if period == "quarter":
        return np.char.add(np.char.add(years, "-Q"), within).astype(object)
    return np.char.add(np.char.add(years, "-"), np.char.zfill(within, 2)).astype(object)


def period_start(code: int, period: str) -> dt.date:
    """The first day of the period with this code."""
    months = code * PERIOD_MONTHS[period] - _MONTH_ZERO
    return np.datetime64(months, "M").astype("datetime64[D]").item()


@dataclass(frozen=True)
class PeriodWindow:
    """The ``trend_periods`` periods up to the one holding ``as_of``.

    Attributes
    ----------
    period : str
        ``month``, ``quarter`` or ``year``.
    n_periods : int
        How many periods the table shows.
    as_of : datetime.date
        Records dated after it are left out.
    """

    period: str
    n_periods: int
    as_of: dt.date

    @property
    def last_code(self) -> int:
        day = np.array([np.datetime64(self.as_of, "D").view(np.int64)])
        return int(period_codes(day, self.period)[0])

    @property
    def first_code(self) -> int:
        return self.last_code - self.n_periods + 1

    @property
    def labels(self) -> np.ndarray:
        return period_labels(np.arange(self.first_code, self.last_code + 1), self.period)

    @property
    def previous_period_end(self) -> dt.date:
        """D of analytics.md section 5: the last day before the as_of period."""
        return period_start(self.last_code, self.period) - dt.timedelta(days=1)

    def rows(self, dates: np.ndarray) -> np.ndarray:
        """Table row (0 = oldest period) of each date; -1 when blank, too old or after as_of.

        The same as ``period_codes(days) - first_code``, found by a binary search
        among the window's period starts (cheaper than calendar arithmetic on
        every record: a window has a few dozen periods, a book millions of events).
        """
        days = _day_numbers(dates)
        codes = np.arange(self.first_code, self.last_code + 2)
        months = codes * PERIOD_MONTHS[self.period] - _MONTH_ZERO
        starts = months.astype("datetime64[M]").astype("datetime64[D]").view(np.int64)
        row = np.searchsorted(starts, days, side="right") - 1
        as_of_day = np.datetime64(self.as_of, "D").view(np.int64)
        # NaT (the smallest int64) falls before the first start: row -1.
        return np.where(days <= as_of_day, row, -1)

    def per_segment(
        self, rows: np.ndarray, tier_codes: np.ndarray, weights: np.ndarray | None = None
    ) -> np.ndarray:
        """Count (or sum of ``weights``) per period and segment: shape (n_periods, 5).

        ``rows`` are the records' table rows (``rows(dates)``; -1 = left out).
        ``tier_codes`` holds 0-3 (the record's tier) or 4 (program-wide: All
        targets only). Columns follow ``SEGMENTS``.
        """
        inside = rows >= 0
        flat = rows[inside] * _CODES + np.asarray(tier_codes, dtype=np.int64)[inside]
        if weights is not None:
            weights = np.asarray(weights, dtype=np.float64)[inside]
        per_code = np.bincount(flat, weights=weights, minlength=self.n_periods * _CODES)
        per_code = per_code.reshape(self.n_periods, _CODES).astype(np.float64)
        all_targets = per_code[:, 1:4].sum(axis=1) + per_code[:, _PROGRAM_WIDE]
        return np.column_stack(
            [all_targets, per_code[:, 1], per_code[:, 2], per_code[:, 3], per_code[:, 0]]
        )


def _ratio(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """part / whole; blank (nan) where there is nothing to divide by."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(whole > 0, part / np.where(whole > 0, whole, 1.0), np.nan)


def trends_table(
    window: PeriodWindow,
    tiers: np.ndarray,
    *,
    engaged_dates: np.ndarray | None,
    opportunity_dates: np.ndarray,
    won_dates: np.ndarray,
    opportunities: pd.DataFrame,
    engagement: pd.DataFrame | None,
    spend: pd.DataFrame | None,
    period_touches: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The ``Trends`` table: one row per segment and period (segment-major).

    Parameters
    ----------
    window : PeriodWindow
        Which periods, and the as-of date after which records are left out.
    tiers : numpy.ndarray of int
        Each account's tier (0-3), by account position.
    engaged_dates, opportunity_dates, won_dates : numpy.ndarray of datetime64
        Each account's stage dates (analytics.md section 1), NaT when blank.
        ``engaged_dates`` is None without Engagement data (the column is blank).
    opportunities : pandas.DataFrame
        ``CleanBook.opportunities`` (account, type, status, amount,
        created_date, close_date).
    engagement, spend : pandas.DataFrame or None
        ``CleanBook.engagement`` and ``CleanBook.spend``; None without data
        (``touches`` and ``spend`` are blank).
    period_touches : pandas.DataFrame, optional
        scale.md: events per account and period code counted by an engine
        (columns account, code, events), used instead of ``engagement``.

    Returns
    -------
    pandas.DataFrame
        Columns ``Period``, ``Segment`` and ``TREND_MEASURES``; counts and sums
        are 0 in a period without records, means and rates blank (nan).
    """
    n_periods = window.n_periods
    blank = np.full((n_periods, len(SEGMENTS)), np.nan)
    tiers = np.asarray(tiers, dtype=np.int64)
    count = window.per_segment
    m: dict[str, np.ndarray] = {}

    # Each date column is put into periods once; the measures mask its rows.
    m["new_engaged_accounts"] = (
        blank if engaged_dates is None else count(window.rows(engaged_dates), tiers)
    )
    m["new_opportunity_accounts"] = count(window.rows(opportunity_dates), tiers)
    m["new_won_accounts"] = count(window.rows(won_dates), tiers)

    opp_tier = tiers[opportunities["account"].to_numpy()]
    created = opportunities["created_date"].to_numpy()
    close = opportunities["close_date"].to_numpy()
    created_rows, close_rows = window.rows(created), window.rows(close)
    amount = opportunities["amount"].to_numpy(dtype=np.float64)
    status = opportunities["status"].to_numpy()
    new_business = opportunities["type"].to_numpy() == NEW_BUSINESS
    m["opportunities_created"] = count(created_rows, opp_tier)
    m["pipeline_created"] = count(created_rows, opp_tier, amount)

    won_nb = (status == WON) & new_business
    lost_nb = (status == LOST) & new_business
    won_deals = count(np.where(won_nb, close_rows, -1), opp_tier)
    lost_deals = count(np.where(lost_nb, close_rows, -1), opp_tier)
    m["won_deals"] = won_deals
    m["new_revenue_won"] = count(np.where(won_nb, close_rows, -1), opp_tier, amount)
    m["win_rate"] = np.asarray(metrics.win_rate(won_deals, won_deals + lost_deals))
    m["avg_deal_size"] = _ratio(m["new_revenue_won"], won_deals)
    created_day, close_day = _day_numbers(created), _day_numbers(close)
    cycle = won_nb & (created_day != _NAT) & (close_day != _NAT) & (close_day >= created_day)
    cycle_rows = np.where(cycle, close_rows, -1)
    cycle_days = np.where(cycle, close_day - created_day, 0).astype(np.float64)
    m["avg_sales_cycle_days"] = _ratio(
        count(cycle_rows, opp_tier, cycle_days), count(cycle_rows, opp_tier)
    )

    if period_touches is not None:
        codes = period_touches["code"].to_numpy(dtype=np.int64)
        rows = np.where(codes <= window.last_code, codes - window.first_code, -1)
        m["touches"] = count(
            rows,
            tiers[period_touches["account"].to_numpy(dtype=np.int64)],
            period_touches["events"].to_numpy(dtype=np.float64),
        )
    elif engagement is None:
        m["touches"] = blank
    else:
        event_tier = tiers[engagement["account"].to_numpy()]
        m["touches"] = count(window.rows(engagement["date"].to_numpy()), event_tier)
    if spend is None:
        m["spend"] = blank
    else:
        spend_tier = spend["tier"].to_numpy(dtype=np.float64)
        spend_code = np.where(np.isnan(spend_tier), _PROGRAM_WIDE, spend_tier).astype(np.int64)
        spend_rows = window.rows(spend["date"].to_numpy())
        m["spend"] = count(spend_rows, spend_code, spend["amount"].to_numpy())

    # (n_periods, 5) -> segment-major rows: All targets' periods, then Tier 1's, ...
    return pd.DataFrame(
        {
            "Period": np.tile(window.labels, len(SEGMENTS)),
            "Segment": np.repeat(np.array(SEGMENTS, dtype=object), n_periods),
            **{name: m[name].T.ravel() for name in TREND_MEASURES},
        }
    )
