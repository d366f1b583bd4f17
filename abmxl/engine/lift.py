"""FunnelLift: each target segment against the non-target accounts (analytics.md section 2)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from abmxl import metrics
from abmxl.schema import SEGMENTS

__all__ = ["LIFT_COLUMNS", "LIFT_MEASURES", "LIFT_SEGMENTS", "funnel_lift"]

LIFT_COLUMNS = (
    "Segment",
    "Measure",
    "KPI",
    "Value",
    "Non-target",
    "Lift",
    "Low",
    "High",
    "Difference",
)
LIFT_SEGMENTS = SEGMENTS[:4]  # All targets, Tier 1, Tier 2, Tier 3
_NON_TARGET = SEGMENTS.index("Non-target")
RATE_MEASURES = ("engaged_pct", "opportunity_rate", "account_win_rate", "win_rate")
MEAN_MEASURES = ("avg_deal_size", "avg_sales_cycle_days")
LIFT_MEASURES = RATE_MEASURES + MEAN_MEASURES


def funnel_lift(
    kpis: pd.DataFrame,
    rate_counts: Mapping[str, tuple[np.ndarray, np.ndarray]],
    labels: Mapping[str, str],
) -> pd.DataFrame:
    """The FunnelLift table.

    Parameters
    ----------
    kpis : DataFrame
        FunnelKPIs (index = keys, one column per segment).
    rate_counts : mapping of measure -> (successes, trials)
        For each rate measure, its numerator and denominator per segment, in
        ``SEGMENTS`` order (engaged accounts of accounts, ..., won of closed
        New Business opportunities).
    labels : mapping of key -> label
        The KPI column's labels.

    Returns
    -------
    DataFrame
        One row per segment (All targets, Tier 1-3) and measure, ``LIFT_COLUMNS``.
        Rates get the Katz 95 % interval (``metrics.lift``); means none.
    """
    n_seg, n_measures = len(LIFT_SEGMENTS), len(LIFT_MEASURES)
    value = np.empty((n_seg, n_measures))
    baseline = np.empty((n_seg, n_measures))
    ratio = np.full((n_seg, n_measures), np.nan)
    low = np.full((n_seg, n_measures), np.nan)
    high = np.full((n_seg, n_measures), np.nan)
    for m, measure in enumerate(LIFT_MEASURES):
        row = kpis.loc[measure, list(SEGMENTS)].to_numpy(dtype=np.float64)
        value[:, m] = row[:n_seg]
        baseline[:, m] = row[_NON_TARGET]
        if measure in rate_counts:
            successes, trials = (np.asarray(x, dtype=np.float64) for x in rate_counts[measure])
            ratio[:, m], low[:, m], high[:, m] = metrics.lift(
                successes[:n_seg], trials[:n_seg], successes[_NON_TARGET], trials[_NON_TARGET]
            )
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio[:, m] = np.where(baseline[:, m] != 0, value[:, m] / baseline[:, m], np.nan)
    return pd.DataFrame(
        {
            "Segment": np.repeat(LIFT_SEGMENTS, n_measures),
            "Measure": np.tile(LIFT_MEASURES, n_seg),
            "KPI": [labels[m] for m in LIFT_MEASURES] * n_seg,
            "Value": value.ravel(),
            "Non-target": baseline.ravel(),
            "Lift": ratio.ravel(),
            "Low": low.ravel(),
            "High": high.ravel(),
            "Difference": (value - baseline).ravel(),
        },
        columns=list(LIFT_COLUMNS),
    )
