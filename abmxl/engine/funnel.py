"""Typed input tables -> the funnel: tiers, stages, FunnelStages, FunnelKPIs, AccountScores.

Implements the "Per-account derivations" and "Outputs of a refresh" sections of
``shared/spec/workbook.md``. Every formula of the metric contract comes from
``abmxl.metrics``; this module only counts, sums and averages per segment.

Everything is vectorized: per-account values come from ``np.bincount`` over the
account positions that ``engine.clean`` assigns, and per-segment values from
``np.bincount`` over the tier codes, so the cost is a few passes over each
table whatever the number of accounts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from abmxl import metrics
from abmxl.engine import attribution
from abmxl.engine import events as event_level
from abmxl.engine.changes import what_changed
from abmxl.engine.clean import LOST, OPEN, WON, CleanBook, clean_book
from abmxl.engine.events import Opportunities, StageDates
from abmxl.engine.events.computed import EventEngine
from abmxl.engine.events.stage_dates import SCORE_DECIMALS
from abmxl.engine.external import attach_events
from abmxl.engine.lift import funnel_lift
from abmxl.engine.model import FunnelSummary, RawTable
from abmxl.engine.spikes import spike_columns
from abmxl.engine.stage_dates import book_events
from abmxl.engine.velocity import stage_velocity
from abmxl.schema import (
    ACCOUNT_SCORES_COLUMNS,
    ENGAGEMENT,
    EXPANSION,
    NEW_BUSINESS,
    RENEWAL,
    SEGMENTS,
    STAGES,
)

__all__ = ["KPI_LABELS", "build_summary", "summarize"]

KPI_LABELS: dict[str, str] = {
    "target_accounts": "Target accounts",
    "tam": "Total addressable market (sum of expected ACV)",
    "engaged_accounts": "Engaged accounts",
    "engaged_pct": "Engaged accounts %",
    "avg_engagement_score": "Average engagement score",
    "opportunity_accounts": "Accounts with an opportunity",
    "opportunity_rate": "Opportunity rate (of accounts)",
    "open_pipeline": "Open pipeline",
    "won_accounts": "Won accounts (customers)",
    "account_win_rate": "Account win rate (of accounts)",
    "win_rate": "Win rate (closed New Business)",
    "new_revenue_won": "New revenue won",
    "new_acv_won": "New ACV won",
    "avg_deal_size": "Average deal size (won New Business)",
    "avg_sales_cycle_days": "Average sales cycle (won New Business)",
    "avg_days_to_opportunity": "Average days from first touch to opportunity",
    "avg_touches_per_won_account": "Average touches per won account",
    "pipeline_velocity": "Pipeline velocity (revenue per day)",
    "total_spend": "Total spend",
    "cost_per_engaged_account": "Cost per engaged account",
    "cost_per_opportunity_account": "Cost per opportunity account",
    "cost_per_won_account": "Cost per won account",
    "renewal_rate": "Renewal rate (closed renewals)",
    "churn_rate": "Churn rate (closed renewals)",
    "expansion_revenue_won": "Expansion revenue won",
    "total_revenue_won": "Total revenue won",
    "avg_acv": "Average ACV (won opportunities)",
    "clv": "Customer lifetime value",
    "ltv_to_cac": "LTV to CAC",
    "nps": "Net promoter score",
    "account_penetration": "Account penetration (engaged contacts)",
    # analytics.md section 6
    "spiking_accounts": "Accounts with an engagement spike",
    "surging_accounts": "Accounts with surging intent",
    # analytics.md section 8: influence (after the spiking/surging keys).
    "sourced_pipeline": "Marketing-sourced pipeline",
    "influenced_pipeline": "Marketing-influenced pipeline",
    "sourced_pipeline_pct": "Marketing-sourced pipeline %",
    "influenced_pipeline_pct": "Marketing-influenced pipeline %",
    "sourced_revenue_won": "Marketing-sourced revenue won",
    "influenced_revenue_won": "Marketing-influenced revenue won",
}
"""FunnelKPIs keys in the spec's order, with the label the ``KPI`` column shows."""

_TARGET, _ENGAGED, _OPPORTUNITY, _WON, _RETAINED, _EXPANDED = STAGES
_NO_DATA = np.full(len(SEGMENTS), np.nan)
_SPEND_KPIS = (
    "total_spend",
    "cost_per_engaged_account",
    "cost_per_opportunity_account",
    "cost_per_won_account",
)


def build_summary(
    tables: Mapping[str, RawTable | None],
    today: dt.date,
    event_engine: EventEngine | None = None,
    open_source: Callable[[str], EventEngine] | None = None,
) -> FunnelSummary:
    """The funnel of a workbook's input tables.

    Parameters
    ----------
    tables : mapping of str to RawTable or None
        Input sheets keyed by canonical name (``schema.INPUT_SHEETS``); a
        missing key or ``None`` means the sheet is absent.
    today : datetime.date
        The as-of date when the Settings sheet leaves ``as_of`` blank (the
        engine never reads the clock).
    event_engine : callable, optional
        scale.md: computes the event-level results from a SOURCE outside the
        workbook (``abmxl.scale``); the Engagement sheet is then not used.
    open_source : callable, optional
        Opens the engine of Settings ``engagement_source`` when ``event_engine``
        is not given and the setting is filled.

    Returns
    -------
    FunnelSummary
        FunnelStages, FunnelKPIs, DataIssues and AccountScores. Bad cells never
        raise: they are rows of ``issues``.
    """
    if event_engine is None and open_source is not None:
        source = clean_book(tables, today).settings.engagement_source
        event_engine = open_source(source) if source else None
    if event_engine is not None:  # scale.md: SOURCE replaces the Engagement sheet
        tables = {name: raw for name, raw in tables.items() if name != ENGAGEMENT.name}
    book = clean_book(tables, today)
    if event_engine is not None:
        book = attach_events(book, tables, event_engine)
    summary = summarize(book)
    # ingest.md sections 6-7: what was read, and the settings that could not be used.
    summary.inputs = book.inputs
    summary.as_of_is_today = book.settings.as_of_is_today
    summary.settings_ignored = book.settings.settings_ignored
    return summary


def _by_segment(tiers: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Count (or sum of ``weights``) per segment, in ``SEGMENTS`` order.

    ``tiers`` holds 0-3 per item; All targets is Tiers 1-3 together.
    """
    if weights is not None:
        weights = np.asarray(weights, dtype=np.float64)
    per_tier = np.bincount(tiers, weights=weights, minlength=4).astype(np.float64)
    return np.array([per_tier[1:4].sum(), per_tier[1], per_tier[2], per_tier[3], per_tier[0]])


def _mean_by_segment(tiers: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Mean of ``values`` per segment; blank (nan) for a segment without values."""
    return _share(_by_segment(tiers, values), _by_segment(tiers))


def _share(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """part / whole; blank (nan) where there is nothing to divide by."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(whole > 0, part / np.where(whole > 0, whole, 1.0), np.nan)


def _any_per_account(account: np.ndarray, mask: np.ndarray, n_accounts: int) -> np.ndarray:
    return np.bincount(account[mask], minlength=n_accounts) > 0


def _day_numbers(dates: np.ndarray) -> np.ndarray:
    """datetime64 -> int64 days since 1970-01-01 (NaT -> ``_NAT_DAY``)."""
    return np.asarray(dates).astype("datetime64[D]").view(np.int64)


_NAT_DAY = np.iinfo(np.int64).min  # numpy's NaT viewed as int64
_NO_DAY = event_level.NO_DAY


@dataclass(frozen=True)
class _Opps:
    """Per-opportunity arrays the KPIs and account columns are computed from."""

    account: np.ndarray
    tier: np.ndarray
    amount: np.ndarray
    acv: np.ndarray
    won: np.ndarray
    lost: np.ndarray
    is_open: np.ndarray
    new_business: np.ndarray
    renewal: np.ndarray
    expansion: np.ndarray
    timed: np.ndarray
    created_day: np.ndarray
    close_day: np.ndarray

    @classmethod
    def of(cls, opps: pd.DataFrame, tiers: np.ndarray) -> _Opps:
        account = opps["account"].to_numpy()
        status, kind, amount = (opps[c].to_numpy() for c in ("status", "type", "amount"))
        acv = metrics.acv(amount, opps["term_years"].to_numpy(), opps["one_time_fees"].to_numpy())
        return cls(
            account=account,
            tier=tiers[account],
            amount=amount,
            acv=np.asarray(acv, dtype=np.float64),
            won=status == WON,
            lost=status == LOST,
            is_open=status == OPEN,
            new_business=kind == NEW_BUSINESS,
            renewal=kind == RENEWAL,
            expansion=kind == EXPANSION,
            timed=opps["timed"].to_numpy(),
            created_day=_day_numbers(opps["created_date"].to_numpy()),
            close_day=_day_numbers(opps["close_date"].to_numpy()),
        )


@dataclass(frozen=True)
class _Signals:
    """Per-account event-level results (engine.events) as of as_of."""

    score: np.ndarray
    threshold_score: np.ndarray  # rounded to SCORE_DECIMALS for threshold tests (scale.md)
    first_touch: np.ndarray
    touches: np.ndarray
    spikes: object


def _signals(book: CleanBook, events: object, as_of_day: int) -> _Signals:
    settings, n = book.settings, len(book.accounts)
    if events is not None:
        score = event_level.engagement_score(
            events, as_of_day, settings.window_days, settings.half_life_days
        )
        # First touch and touches: events of any weight and any age, up to as_of.
        first_touch = event_level.first_touch(events, as_of_day)
        touches = event_level.touch_counts(events, as_of_day)
    else:
        score = np.full(n, np.nan)
        first_touch = np.full(n, _NO_DAY, dtype=np.int64)
        touches = np.zeros(n)
    spikes = event_level.spikes(
        events, as_of_day, settings.spike_recent_days, settings.spike_baseline_days
    )
    return _Signals(score, np.round(score, SCORE_DECIMALS), first_touch, touches, spikes)


def _tiers(accounts: pd.DataFrame, threshold_score: np.ndarray, settings) -> np.ndarray:
    computed_tier = metrics.tier(
        accounts["fit_score"].to_numpy(),
        accounts["intent_score"].to_numpy(),
        threshold_score,
        accounts["expected_acv"].to_numpy(),
        fit_min=settings.fit_min,
        intent_min=settings.intent_min,
        engagement_min=settings.engagement_min,
        acv_tier1=settings.acv_tier1,
        acv_tier2=settings.acv_tier2,
    )
    override = accounts["tier_override"].to_numpy()
    return np.where(np.isnan(override), computed_tier, override).astype(np.int64)


def _reached(o: _Opps, threshold_score: np.ndarray, engagement_min: float, n: int) -> dict:
    """Stages reached per account (workbook.md: Engaged, Opportunity, Won imply those before)."""
    reached = {
        _TARGET: np.ones(n, dtype=bool),
        _OPPORTUNITY: _any_per_account(o.account, np.ones(len(o.account), dtype=bool), n),
        _WON: _any_per_account(o.account, o.won, n),
        _RETAINED: _any_per_account(o.account, o.won & o.renewal, n),
        _EXPANDED: _any_per_account(o.account, o.won & o.expansion, n),
    }
    # nan >= x is False: without Engagement data, Engaged means reached Opportunity.
    reached[_ENGAGED] = (threshold_score >= engagement_min) | reached[_OPPORTUNITY]
    return reached


def summarize(book: CleanBook) -> FunnelSummary:
    """The funnel of cleaned input tables (see ``build_summary``)."""
    settings = book.settings
    as_of_day = int(np.datetime64(settings.as_of, "D").view(np.int64))
    accounts = book.accounts
    n = len(accounts)
    # scale.md: an engine's touches of opportunity accounts stand in for the
    # Engagement rows where attribution needs single events.
    computed = book.computed_events
    engagement = book.engagement if computed is None else computed.opportunity_touches

    events = book_events(book)
    signals = _signals(book, events, as_of_day)
    tiers = _tiers(accounts, signals.threshold_score, settings)
    o = _Opps.of(book.opportunities, tiers)
    reached = _reached(o, signals.threshold_score, settings.engagement_min, n)
    current_stage = np.select(
        [reached[stage] for stage in reversed(STAGES[1:])],
        list(reversed(STAGES[1:])),
        default=_TARGET,
    ).astype(object)
    count = {stage: _by_segment(tiers, reached[stage]) for stage in STAGES}
    stages = _stages_table(count, tiers, current_stage)

    k = _funnel_kpis(book, tiers, o, count, reached, signals, has_engagement=engagement is not None)
    spike = spike_columns(signals.spikes, accounts["intent_score"].to_numpy(), settings)
    k["spiking_accounts"] = _by_segment(tiers, spike["spiking"]) if events is not None else _NO_DATA
    k["surging_accounts"] = _by_segment(tiers, spike["surging"])

    # --- analytics.md: stage dates, lift and velocity -----------------------------------
    dates = event_level.stage_dates(
        n,
        events,
        Opportunities.from_frame(book.opportunities, WON, RENEWAL, EXPANSION),
        as_of_day,
        window_days=settings.window_days,
        half_life_days=settings.half_life_days,
        engagement_min=settings.engagement_min,
        opportunities_as_of=False,  # section 1: every opportunity, as the stages count them
    )
    closed_nb = (o.won | o.lost) & o.new_business
    rate_counts = {
        "engaged_pct": (count[_ENGAGED], count[_TARGET]),
        "opportunity_rate": (count[_OPPORTUNITY], count[_TARGET]),
        "account_win_rate": (count[_WON], count[_TARGET]),
        "win_rate": (_by_segment(o.tier, o.won & o.new_business), _by_segment(o.tier, closed_nb)),
    }

    # --- influence and attribution (analytics.md section 8) ---------------------------
    found = attribution.influence(
        engagement,
        book.opportunities,
        o.won,
        o.won | o.lost,
        as_of_day,
        settings.attribution_window_days,
    )
    _influence_kpis(k, found, o.tier, o.amount, o.won, o.created_day, engagement is not None)
    if engagement is not None:
        sourced_pipeline = np.bincount(o.account, weights=o.amount * found.sourced, minlength=n)
        influenced_pipeline = np.bincount(
            o.account, weights=o.amount * found.influenced, minlength=n
        )
    else:
        sourced_pipeline = influenced_pipeline = np.full(n, np.nan)
    attribution_frame = attribution.attribution_table(
        found, o.amount, book.spend, settings.attribution_half_life_days
    )

    kpis = pd.DataFrame(
        {seg: [float(k[key][i]) for key in KPI_LABELS] for i, seg in enumerate(SEGMENTS)},
        index=pd.Index(list(KPI_LABELS), name="Key"),
    )
    kpis.insert(0, "KPI", list(KPI_LABELS.values()))

    account_scores = pd.DataFrame(
        {
            # object, not pandas' str dtype: a blank name stays None, never nan.
            "account_id": pd.Series(accounts["account_id"].to_numpy(dtype=object), dtype=object),
            "account_name": pd.Series(
                accounts["account_name"].to_numpy(dtype=object), dtype=object
            ),
            "tier": tiers,
            "engagement_score": signals.score,
            "first_touch": _dates_of(signals.first_touch),
            **{f"reached_{stage.lower()}": reached[stage] for stage in STAGES},
            "current_stage": pd.Series(current_stage, dtype=object),
            "open_pipeline": np.bincount(
                o.account, weights=np.where(o.is_open, o.amount, 0.0), minlength=n
            ),
            "won_amount": np.bincount(
                o.account, weights=np.where(o.won, o.amount, 0.0), minlength=n
            ),
            **{
                name: getattr(dates, name).astype("datetime64[s]") for name in StageDates.FIELDS[1:]
            },
            **spike,
            "tier_reason": pd.Series(
                metrics.tier_reason(
                    accounts["fit_score"].to_numpy(),
                    accounts["intent_score"].to_numpy(),
                    signals.threshold_score,
                    accounts["expected_acv"].to_numpy(),
                    settings.fit_min,
                    settings.intent_min,
                    settings.engagement_min,
                    settings.acv_tier1,
                    settings.acv_tier2,
                    tier_override=accounts["tier_override"].to_numpy(),
                ),
                dtype=object,
            ),
            "sourced_pipeline": sourced_pipeline,
            "influenced_pipeline": influenced_pipeline,
        },
        columns=list(ACCOUNT_SCORES_COLUMNS),
    )
    trends, progression = what_changed(book, tiers, current_stage, dates)  # analytics.md 4, 5
    return FunnelSummary(
        as_of=settings.as_of,
        stages=stages,
        kpis=kpis,
        issues=book.issues,
        accounts=account_scores,
        lift=funnel_lift(kpis, rate_counts, KPI_LABELS),
        velocity=stage_velocity(dates, tiers),
        trends=trends,
        progression=progression,
        attribution=attribution_frame,
        attribution_model=settings.attribution_model,
        attribution_window_days=settings.attribution_window_days,
        attribution_half_life_days=settings.attribution_half_life_days,
    )


def _funnel_kpis(
    book: CleanBook,
    tiers: np.ndarray,
    o: _Opps,
    count: dict[str, np.ndarray],
    reached: dict[str, np.ndarray],
    signals: _Signals,
    *,
    has_engagement: bool,
) -> dict[str, np.ndarray]:
    """workbook.md's FunnelKPIs, per segment, in KPI_LABELS order."""
    accounts, n = book.accounts, len(book.accounts)
    targets = count[_TARGET]
    k: dict[str, np.ndarray] = {}
    k["target_accounts"] = targets
    if book.has_expected_acv:
        k["tam"] = _by_segment(tiers, np.nan_to_num(accounts["expected_acv"].to_numpy()))
    else:
        k["tam"] = _NO_DATA
    k["engaged_accounts"] = count[_ENGAGED]
    k["engaged_pct"] = metrics.engagement_pct(count[_ENGAGED], targets)
    k["avg_engagement_score"] = (
        _mean_by_segment(tiers, signals.score) if has_engagement else _NO_DATA
    )
    k["opportunity_accounts"] = count[_OPPORTUNITY]
    k["opportunity_rate"] = _share(count[_OPPORTUNITY], targets)
    k["open_pipeline"] = _by_segment(o.tier, np.where(o.is_open, o.amount, 0.0))
    k["won_accounts"] = count[_WON]
    k["account_win_rate"] = metrics.win_rate(count[_WON], targets)

    won_nb = o.won & o.new_business
    won_nb_count = _by_segment(o.tier, won_nb)
    k["win_rate"] = metrics.win_rate(
        won_nb_count, _by_segment(o.tier, (o.won | o.lost) & o.new_business)
    )
    k["new_revenue_won"] = _by_segment(o.tier, np.where(won_nb, o.amount, 0.0))
    k["new_acv_won"] = _by_segment(o.tier, np.where(won_nb, o.acv, 0.0))
    k["avg_deal_size"] = _share(k["new_revenue_won"], won_nb_count)
    cycle = won_nb & o.timed & (o.close_day != _NAT_DAY)
    k["avg_sales_cycle_days"] = _mean_by_segment(
        o.tier[cycle], (o.close_day - o.created_day)[cycle]
    )

    if has_engagement:
        first_opp = event_level.first_day(o.account[o.timed], o.created_day[o.timed], n)
        measured = (first_opp != _NO_DAY) & (signals.first_touch <= first_opp)
        k["avg_days_to_opportunity"] = _mean_by_segment(
            tiers[measured], (first_opp - signals.first_touch)[measured]
        )
        k["avg_touches_per_won_account"] = _share(
            _by_segment(tiers, np.where(reached[_WON], signals.touches, 0.0)), count[_WON]
        )
    else:
        k["avg_days_to_opportunity"] = _NO_DATA
        k["avg_touches_per_won_account"] = _NO_DATA
    k["pipeline_velocity"] = metrics.pipeline_velocity(
        _by_segment(o.tier, o.is_open & o.new_business),
        k["avg_deal_size"],
        k["win_rate"],
        k["avg_sales_cycle_days"],
    )

    if book.spend is not None:
        spend_tier = book.spend["tier"].to_numpy()
        spend_amount = book.spend["amount"].to_numpy()
        program_wide = np.isnan(spend_tier)
        total_spend = _by_segment(
            np.where(program_wide, 0, spend_tier).astype(np.int64)[~program_wide],
            spend_amount[~program_wide],
        )
        total_spend[0] += spend_amount[program_wide].sum()  # program-wide: All targets only
        k["total_spend"] = total_spend
        k["cost_per_engaged_account"] = metrics.cost_per(total_spend, count[_ENGAGED])
        k["cost_per_opportunity_account"] = metrics.cost_per(total_spend, count[_OPPORTUNITY])
        k["cost_per_won_account"] = metrics.cost_per(total_spend, count[_WON])
    else:
        for key in _SPEND_KPIS:
            k[key] = _NO_DATA

    won_renewals = _by_segment(o.tier, o.won & o.renewal)
    lost_renewals = _by_segment(o.tier, o.lost & o.renewal)
    closed_renewals = won_renewals + lost_renewals
    k["renewal_rate"] = metrics.renewal_rate(won_renewals, closed_renewals)
    k["churn_rate"] = metrics.churn_rate(lost_renewals, closed_renewals)
    k["expansion_revenue_won"] = _by_segment(o.tier, np.where(o.won & o.expansion, o.amount, 0.0))
    k["total_revenue_won"] = _by_segment(o.tier, np.where(o.won, o.amount, 0.0))
    k["avg_acv"] = _mean_by_segment(o.tier[o.won], o.acv[o.won])
    k["clv"] = _clv(k["avg_acv"], k["churn_rate"], book)
    k["ltv_to_cac"] = (
        metrics.ltv_to_cac(k["clv"], k["cost_per_won_account"])
        if book.spend is not None
        else _NO_DATA
    )
    k["nps"] = _nps_by_segment(book, tiers)
    k["account_penetration"] = _penetration_by_segment(book, tiers, n)
    return k


def _influence_kpis(
    k: dict[str, np.ndarray],
    found: attribution.Influence,
    opp_tier: np.ndarray,
    amount: np.ndarray,
    won: np.ndarray,
    created_day: np.ndarray,
    has_engagement: bool,
) -> None:
    """Sourced and influenced pipeline and revenue per segment; blank without Engagement."""
    keys = (
        "sourced_pipeline",
        "influenced_pipeline",
        "sourced_pipeline_pct",
        "influenced_pipeline_pct",
        "sourced_revenue_won",
        "influenced_revenue_won",
    )
    if not has_engagement:
        for key in keys:
            k[key] = _NO_DATA
        return
    with_created = _by_segment(opp_tier, np.where(created_day != _NAT_DAY, amount, 0.0))
    for flag, name in ((found.sourced, "sourced"), (found.influenced, "influenced")):
        k[f"{name}_pipeline"] = _by_segment(opp_tier, np.where(flag, amount, 0.0))
        k[f"{name}_pipeline_pct"] = _share(k[f"{name}_pipeline"], with_created)
        k[f"{name}_revenue_won"] = _by_segment(opp_tier, np.where(flag & won, amount, 0.0))


def _stages_table(
    counts: Mapping[str, np.ndarray], tiers: np.ndarray, current_stage: np.ndarray
) -> pd.DataFrame:
    """FunnelStages: accounts per stage and segment, Conversion and In stage now."""
    table = pd.DataFrame(
        {seg: [int(counts[stage][i]) for stage in STAGES] for i, seg in enumerate(SEGMENTS)},
        index=pd.Index(list(STAGES), name="Stage"),
    )
    all_targets = table[SEGMENTS[0]].to_numpy(dtype=np.float64)
    # Each stage over the one before; Retained and Expanded over Won.
    before = np.array([np.nan, *all_targets[:3], all_targets[3], all_targets[3]])
    table["Conversion"] = _share(all_targets, before)
    targeted = tiers > 0
    in_stage = pd.Series(current_stage[targeted]).value_counts()
    table["In stage now"] = [int(in_stage.get(stage, 0)) for stage in STAGES]
    return table


def _clv(avg_acv: np.ndarray, churn: np.ndarray, book: CleanBook) -> np.ndarray:
    """clv_from_churn where some renewal was lost; else clv over customer_lifetime_years."""
    s = book.settings
    churned = churn > 0  # nan (no renewal closed) and 0 (none lost) use the lifetime
    from_churn = metrics.clv_from_churn(
        avg_acv, np.where(churned, churn, np.nan), s.gross_margin, s.discount_rate
    )
    over_lifetime = metrics.clv(avg_acv, s.customer_lifetime_years, s.gross_margin, s.discount_rate)
    return np.where(churned, from_churn, over_lifetime)


def _nps_by_segment(book: CleanBook, tiers: np.ndarray) -> np.ndarray:
    if book.surveys is None:
        return _NO_DATA
    survey_tier = tiers[book.surveys["account"].to_numpy()]
    scores = book.surveys["score"].to_numpy()
    members = [
        survey_tier > 0,
        survey_tier == 1,
        survey_tier == 2,
        survey_tier == 3,
        survey_tier == 0,
    ]
    return np.array([metrics.nps(scores[m]) for m in members])


def _penetration_by_segment(book: CleanBook, tiers: np.ndarray, n: int) -> np.ndarray:
    """Mean over the segment's accounts with contacts of engaged contacts / contacts."""
    if book.contacts is None:
        return _NO_DATA
    contact_account = book.contacts["account"].to_numpy()
    engaged = book.contacts["engaged"].to_numpy()
    committee = np.bincount(contact_account, minlength=n)
    engaged_contacts = np.bincount(contact_account[engaged], minlength=n)
    with_contacts = committee > 0
    penetration = metrics.account_penetration(
        engaged_contacts[with_contacts], committee[with_contacts]
    )
    return _mean_by_segment(tiers[with_contacts], np.asarray(penetration, dtype=np.float64))


def _dates_of(days: np.ndarray) -> np.ndarray:
    """int64 day numbers -> datetime64[s] at midnight; ``_NO_DAY`` -> NaT."""
    out = days.astype("datetime64[D]").astype("datetime64[s]")
    out[days == _NO_DAY] = np.datetime64("NaT")
    return out
