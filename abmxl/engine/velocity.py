"""StageVelocity: days between stage dates, per transition and segment (analytics.md 3)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from abmxl.engine.events import StageDates
from abmxl.schema import SEGMENTS

__all__ = ["TRANSITIONS", "VELOCITY_COLUMNS", "stage_velocity"]

VELOCITY_COLUMNS = ("Transition", "Segment", "Accounts", "Mean days", "Median days")
TRANSITIONS = (
    ("First touch -> Engaged", "first_touch", "engaged_date"),
    ("Engaged -> Opportunity", "engaged_date", "opportunity_date"),
    ("Opportunity -> Won", "opportunity_date", "won_date"),
    ("Won -> Retained", "won_date", "retained_date"),
    ("Won -> Expanded", "won_date", "expanded_date"),
)


def segment_members(tiers: np.ndarray) -> np.ndarray:
    """Boolean matrix (segment, account) in ``SEGMENTS`` order."""
    return np.stack([tiers > 0, tiers == 1, tiers == 2, tiers == 3, tiers == 0])


def stage_velocity(dates: StageDates, tiers: np.ndarray) -> pd.DataFrame:
    """One row per transition and segment: accounts with both dates, the later on or
    after the earlier, and their mean and median days; blank means without accounts."""
    members = segment_members(np.asarray(tiers))
    rows = []
    for label, earlier, later in TRANSITIONS:
        start = getattr(dates, earlier)
        end = getattr(dates, later)
        measured = ~np.isnat(start) & ~np.isnat(end) & (end >= start)
        days = (end - start).astype(np.int64).astype(np.float64)
        for segment, member in zip(SEGMENTS, members, strict=True):
            sample = days[measured & member]
            if sample.size:
                rows.append((label, segment, sample.size, sample.mean(), float(np.median(sample))))
            else:
                rows.append((label, segment, 0, np.nan, np.nan))
    return pd.DataFrame(rows, columns=list(VELOCITY_COLUMNS))
