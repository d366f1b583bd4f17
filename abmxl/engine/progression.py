"""Progression since the last period: analytics.md section 5.

Each account's stage at D (the last day of the period before the one holding
as_of) follows workbook.md's stage rules with only what was known at D: the
engagement score as of D over events dated <= D, an opportunity created on or
before D, won / retained / expanded by won opportunities closed on or before
D. An account's earliest opportunity (won, renewal, expansion) date is on or
before D exactly when one of those records is, so the stage dates of
analytics.md section 1 answer the last four; the score is
``metrics.engagement_scores`` as of D. Tiers stay today's.

Stages are compared by rank, Target (0) < Engaged < Opportunity < Won <
Retained < Expanded (5); every count is one ``np.bincount``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from abmxl.schema import SEGMENTS, STAGES

__all__ = [
    "PROGRESSION_SUMMARY_COLUMNS",
    "Progression",
    "progression",
    "stage_ranks",
    "stage_ranks_at",
]

PROGRESSION_SUMMARY_COLUMNS = ("Segment", "Progressed", "Unchanged", "Regressed")


@dataclass
class Progression:
    """Where the accounts were at ``from_date`` and where they are now.

    Attributes
    ----------
    from_date : datetime.date
        D: the last day of the period before the one holding as_of.
    matrix : pandas.DataFrame
        ``Progression``: index ``From`` = stage at D (the six stages), one
        column per current stage; counts of All targets accounts.
    summary : pandas.DataFrame
        ``ProgressionSummary``: columns ``Segment``, ``Progressed``,
        ``Unchanged``, ``Regressed``, one row per segment (``SEGMENTS``).
    """

    from_date: dt.date
    matrix: pd.DataFrame
    summary: pd.DataFrame

    def to_json(self) -> dict:
        """``{"from_date", "matrix": {from: {to: count}}, "summary": {segment: {...}}}``."""
        matrix = {
            start: {end: int(self.matrix.at[start, end]) for end in STAGES} for start in STAGES
        }
        summary = {
            row.Segment: {
                "progressed": int(row.Progressed),
                "unchanged": int(row.Unchanged),
                "regressed": int(row.Regressed),
            }
            for row in self.summary.itertuples(index=False)
        }
        return {"from_date": self.from_date.isoformat(), "matrix": matrix, "summary": summary}


def stage_ranks(current_stage: np.ndarray) -> np.ndarray:
    """Stage names -> ranks 0 (Target) .. 5 (Expanded)."""
    return pd.Categorical(current_stage, categories=list(STAGES)).codes.astype(np.int64)


def _on_or_before(dates: np.ndarray, day: dt.date) -> np.ndarray:
    """True where a date is on or before ``day`` (NaT never is)."""
    dates = np.asarray(dates).astype("datetime64[D]")
    return ~np.isnat(dates) & (dates <= np.datetime64(day, "D"))


def stage_ranks_at(
    day: dt.date,
    *,
    score: np.ndarray,
    engagement_min: float,
    opportunity_dates: np.ndarray,
    won_dates: np.ndarray,
    retained_dates: np.ndarray,
    expanded_dates: np.ndarray,
) -> np.ndarray:
    """Each account's stage rank at ``day`` (workbook.md's rules, bottom-up).

    ``score`` is the engagement score as of ``day`` (nan without Engagement
    data: Engaged then means reached Opportunity); the date arrays are the
    accounts' earliest dates of analytics.md section 1 (NaT when blank).
    """
    opportunity = _on_or_before(opportunity_dates, day)
    engaged = (np.asarray(score) >= engagement_min) | opportunity  # nan >= x is False
    return np.select(
        [
            _on_or_before(expanded_dates, day),
            _on_or_before(retained_dates, day),
            _on_or_before(won_dates, day),
            opportunity,
            engaged,
        ],
        [5, 4, 3, 2, 1],
        default=0,
    ).astype(np.int64)


def _per_segment(tiers: np.ndarray, mask: np.ndarray) -> np.ndarray:
    per_tier = np.bincount(tiers[mask], minlength=4)
    return np.array([per_tier[1:4].sum(), per_tier[1], per_tier[2], per_tier[3], per_tier[0]])


def progression(
    from_date: dt.date, tiers: np.ndarray, from_ranks: np.ndarray, current_ranks: np.ndarray
) -> Progression:
    """The Progression matrix and summary of stage ranks at D and now.

    Parameters
    ----------
    from_date : datetime.date
        D.
    tiers : numpy.ndarray of int
        Today's tier of each account (0-3).
    from_ranks, current_ranks : numpy.ndarray of int
        Stage rank (0-5) of each account at D and now.
    """
    tiers = np.asarray(tiers, dtype=np.int64)
    targeted = tiers > 0
    n = len(STAGES)
    cells = np.bincount(
        from_ranks[targeted] * n + current_ranks[targeted], minlength=n * n
    ).reshape(n, n)
    matrix = pd.DataFrame(cells, index=pd.Index(list(STAGES), name="From"), columns=list(STAGES))
    summary = pd.DataFrame(
        {
            "Segment": list(SEGMENTS),
            "Progressed": _per_segment(tiers, current_ranks > from_ranks),
            "Unchanged": _per_segment(tiers, current_ranks == from_ranks),
            "Regressed": _per_segment(tiers, current_ranks < from_ranks),
        },
        columns=list(PROGRESSION_SUMMARY_COLUMNS),
    )
    return Progression(from_date=from_date, matrix=matrix, summary=summary)
