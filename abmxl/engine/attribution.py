"""Influence and attribution (analytics.md section 8): what drove pipeline and revenue.

From the journeys of :mod:`abmxl.engine.events.journeys`, this module gives the
per-opportunity flags (marketing-sourced, marketing-influenced) that FunnelKPIs
and AccountScores sum, and the ``Attribution`` table: for each model and
channel the credited opportunities, pipeline, won deals and revenue (through
:func:`abmxl.metrics.attribution_shares`), the credit-weighted days to close,
Spend and ROI. Every opportunity without a touch (or without a created date)
credits ``(no touch)`` in full, so each model's columns sum to the totals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from abmxl import metrics
from abmxl.engine.events.journeys import (
    Journeys,
    OpportunityJourneys,
    Touches,
    build_journeys,
)
from abmxl.metrics.attribution import ATTRIBUTION_MODELS

__all__ = [
    "ATTRIBUTION_COLUMNS",
    "NO_TOUCH",
    "Influence",
    "attribution_table",
    "influence",
]

NO_TOUCH = "(no touch)"
ATTRIBUTION_COLUMNS = (
    "Model",
    "Channel",
    "Opportunities",
    "Pipeline",
    "Won deals",
    "Revenue",
    "Avg days to close",
    "Spend",
    "ROI",
)


@dataclass(frozen=True)
class Influence:
    """Per opportunity: its journeys, and whether marketing sourced / influenced it."""

    journeys: OpportunityJourneys
    sourced: np.ndarray
    influenced: np.ndarray


def influence(
    engagement: pd.DataFrame | None,
    opportunities: pd.DataFrame,
    won: np.ndarray,
    closed: np.ndarray,
    as_of_day: int,
    window_days: float,
) -> Influence:
    """Journeys and sourced / influenced flags of every opportunity."""
    touches = Touches.of(engagement, as_of_day)
    journeys = build_journeys(touches, opportunities, won, closed, as_of_day, window_days)
    return Influence(journeys, journeys.sourced, journeys.influenced)


def _channel_codes(
    touches: Touches, credited: np.ndarray, spend: pd.DataFrame | None
) -> tuple[list[str], np.ndarray, np.ndarray | None]:
    """Channel names (credited or with Spend, sorted), the code of each touch
    (-1 for touches in no journey), and the Spend per channel (None: no Spend
    channel column)."""
    spend_channels = (
        spend["channel"].to_numpy(dtype=object)
        if spend is not None and "channel" in spend.columns
        else None
    )
    names = set(touches.channel[credited].tolist())
    if spend_channels is not None:
        spend_channels = np.where(pd.isna(spend_channels), None, spend_channels)
        names |= {c for c in spend_channels.tolist() if c is not None}
    ordered = sorted(names)
    index = pd.Index(ordered, dtype=object)
    touch_codes = np.where(credited, index.get_indexer(touches.channel), -1)
    spend_by_channel = None
    if spend_channels is not None:
        codes = index.get_indexer(spend_channels)
        named = codes >= 0
        spend_by_channel = np.bincount(
            codes[named], weights=spend["amount"].to_numpy()[named], minlength=len(ordered)
        )
    return ordered, touch_codes, spend_by_channel


def _credits(
    journeys: Journeys,
    opps: OpportunityJourneys,
    model: str,
    weights: np.ndarray,
    half_life_days: float,
) -> np.ndarray:
    """Share of each journey row under ``model``."""
    touch_day = opps.touches.day[journeys.touch]
    return np.asarray(
        metrics.attribution_shares(
            journeys.opportunity,
            touch_day.astype("datetime64[D]"),
            journeys.end_day.astype("datetime64[D]"),
            model,
            opps.created_day[journeys.opportunity].astype("datetime64[D]"),
            weights[journeys.touch],
            half_life_days,
        ),
        dtype=np.float64,
    )


def attribution_table(
    found: Influence,
    amount: np.ndarray,
    spend: pd.DataFrame | None,
    half_life_days: float,
) -> pd.DataFrame:
    """The ``Attribution`` table: a row per model and channel (``ATTRIBUTION_COLUMNS``)."""
    opps = found.journeys
    touches = opps.touches
    credited = np.zeros(touches.day.size, dtype=bool)
    credited[opps.pipeline.touch] = True
    credited[opps.revenue.touch] = True
    names, touch_code, spend_by_channel = _channel_codes(touches, credited, spend)
    n_channels = len(names)
    size = n_channels + 1  # the last row is (no touch)

    won = opps.won
    no_pipeline = opps.pipeline.counts == 0
    no_revenue = won & (opps.revenue.counts == 0)
    pipe_code = touch_code[opps.pipeline.touch]
    rev_code = touch_code[opps.revenue.touch]
    rev_opp = opps.revenue.opportunity
    # Avg days to close: revenue credits of won opportunities closed on or after creation.
    timed = opps.closes_after_creation[rev_opp]
    days_to_close = (opps.close_day[rev_opp] - touches.day[opps.revenue.touch]).astype(float)

    spend_column = np.full(size, np.nan)
    if spend_by_channel is not None:
        spend_column[:n_channels] = spend_by_channel
    blocks = []
    for model in ATTRIBUTION_MODELS:
        pipe_share = _credits(opps.pipeline, opps, model, touches.weight, half_life_days)
        rev_share = _credits(opps.revenue, opps, model, touches.weight, half_life_days)
        rev_amount = rev_share * amount[rev_opp]

        def per_channel(codes: np.ndarray, values: np.ndarray, extra: float) -> np.ndarray:
            sums = np.bincount(codes, weights=values, minlength=size)
            sums[n_channels] += extra
            return sums

        opportunities = per_channel(pipe_code, pipe_share, float(no_pipeline.sum()))
        pipeline = per_channel(
            pipe_code,
            pipe_share * amount[opps.pipeline.opportunity],
            float(amount[no_pipeline].sum()),
        )
        won_deals = per_channel(rev_code, rev_share, float(no_revenue.sum()))
        revenue = per_channel(rev_code, rev_amount, float(amount[no_revenue].sum()))
        weight = np.bincount(rev_code[timed], weights=rev_amount[timed], minlength=size)
        weighted_days = np.bincount(
            rev_code[timed], weights=(rev_amount * days_to_close)[timed], minlength=size
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            avg_days = np.where(weight > 0, weighted_days / np.where(weight > 0, weight, 1), np.nan)
            roi = np.where(
                spend_column > 0, revenue / np.where(spend_column > 0, spend_column, 1), np.nan
            )
        blocks.append(
            pd.DataFrame(
                {
                    "Model": model,
                    "Channel": [*names, NO_TOUCH],
                    "Opportunities": opportunities,
                    "Pipeline": pipeline,
                    "Won deals": won_deals,
                    "Revenue": revenue,
                    "Avg days to close": avg_days,
                    "Spend": spend_column,
                    "ROI": roi,
                }
            )
        )
    table = pd.concat(blocks, ignore_index=True)
    table["Model"] = table["Model"].astype(object)
    table["Channel"] = table["Channel"].astype(object)
    return table.loc[:, list(ATTRIBUTION_COLUMNS)]
