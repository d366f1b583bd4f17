"""Engagement spikes and intent surges per account (analytics.md section 6)."""

from __future__ import annotations

import numpy as np

from abmxl.engine.clean import Settings
from abmxl.engine.events import Spikes

__all__ = ["spike_columns"]


def spike_columns(
    spikes: Spikes | None, intent_score: np.ndarray, settings: Settings
) -> dict[str, np.ndarray]:
    """AccountScores' recent_engagement, baseline_engagement, engagement_trend, spiking,
    surging. Without Engagement data the first three are blank and nobody spikes."""
    n = len(intent_score)
    surging = np.nan_to_num(intent_score, nan=-np.inf) >= settings.intent_min
    if spikes is None:
        blank = np.full(n, np.nan)
        return {
            "recent_engagement": blank,
            "baseline_engagement": blank,
            "engagement_trend": blank,
            "spiking": np.zeros(n, dtype=bool),
            "surging": surging,
        }
    recent, baseline = spikes.recent, spikes.baseline
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        trend = np.where(baseline > 0, recent / np.where(baseline > 0, baseline, 1.0) - 1, np.nan)
    spiking = (recent >= settings.spike_min_recent) & (
        (baseline == 0) | (recent >= (1 + settings.spike_min_lift) * baseline)
    )
    return {
        "recent_engagement": recent,
        "baseline_engagement": baseline,
        "engagement_trend": trend,
        "spiking": spiking,
        "surging": surging,
    }
