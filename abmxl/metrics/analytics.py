"""Metrics of the analytics contract (``shared/spec/analytics.md``): lift, trend, tier reason.

Same conventions as every metric of :mod:`abmxl.metrics` (broadcasting,
``DomainError``, :func:`abmxl.metrics.evaluate`); re-exported from there.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable
from statistics import NormalDist
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from abmxl.metrics import (
    ERROR_DIV0,
    DomainError,
    FloatResult,
    _Call,
    _collector_var,
    _errstate,
    _to_float,
    engagement_scores,
    tier,
)

__all__ = ["engagement_trend", "lift", "tier_reason"]


def lift(
    successes: ArrayLike,
    trials: ArrayLike,
    baseline_successes: ArrayLike,
    baseline_trials: ArrayLike,
    confidence: ArrayLike = 0.95,
) -> tuple[FloatResult, FloatResult, FloatResult]:
    """Lift of a rate over a baseline rate, with its Katz log confidence interval.

    .. math::

        lift = \\frac{a / n_1}{c / n_2}, \\qquad
        [low, high] = lift \\cdot \\exp\\left(\\mp z
        \\sqrt{\\tfrac{1}{a} - \\tfrac{1}{n_1} + \\tfrac{1}{c} - \\tfrac{1}{n_2}}\\right)

    with ``z`` the standard normal quantile of ``1 - (1 - confidence) / 2``
    (1.959964 for 95 %).

    Parameters
    ----------
    successes : array_like
        ``a``: successes of the group (engaged, opportunity or won accounts;
        won deals); ``0 <= a <= trials``.
    trials : array_like
        ``n1``: the group's size (accounts, closed deals); ``>= 0``.
    baseline_successes, baseline_trials : array_like
        ``c`` and ``n2`` of the baseline (the non-target accounts);
        ``0 <= c <= n2``.
    confidence : array_like, optional
        Confidence level of the interval, ``0 < confidence < 1``; default 0.95.

    Returns
    -------
    (ratio, low, high) : tuple of float or ndarray
        ``ratio`` is ``nan`` when a rate is undefined (``n1`` or ``n2`` is 0) or
        the baseline rate is 0; ``low`` and ``high`` are ``nan`` also when
        ``a`` or ``c`` is 0 (the log interval does not exist).

    Raises
    ------
    DomainError
        A negative count, successes above trials, or a confidence outside (0, 1).

    Examples
    --------
    30 of 100 target accounts won against 10 of 100 non-target accounts:

    >>> ratio, low, high = lift(30, 100, 10, 100)
    >>> ratio, round(low, 4), round(high, 4)
    (3.0, 1.5508, 5.8033)
    >>> [round(x, 4) for x in lift(12, 40, 45, 300)]
    [2.0, 1.1601, 3.448]
    >>> lift([30, 0], [100, 50], 10, 100)
    (array([3., 0.]), array([1.55082972,        nan]), array([5.80334507,        nan]))

    Notes
    -----
    The interval is the log method of Katz et al. for a ratio of two
    independent binomial proportions (the risk ratio of a cohort study). It is
    asymmetric around the ratio and never below 0; an interval containing 1
    means the data do not show a difference at that confidence. Vendors'
    "lift" against a non-target baseline (Terminus, Demandbase) is the same
    ratio, reported without an interval.

    References
    ----------
    .. [1] D. Katz, J. Baptista, S. P. Azen and M. C. Pike, "Obtaining
       confidence intervals for the risk ratio in cohort studies",
       Biometrics 34(3):469-474, 1978.
    .. [2] K. J. Rothman, S. Greenland, T. L. Lash, *Modern Epidemiology*,
       3rd ed., Lippincott Williams & Wilkins, 2008, ch. 14.
    """
    call = _Call(
        "lift",
        successes=successes,
        trials=trials,
        baseline_successes=baseline_successes,
        baseline_trials=baseline_trials,
        confidence=confidence,
    )
    for count in ("successes", "trials", "baseline_successes", "baseline_trials"):
        call.at_least(count, 0)
    call.not_above("successes", "trials")
    call.not_above("baseline_successes", "baseline_trials")
    v = call.values
    conf = v["confidence"]
    call.check((conf <= 0) | (conf >= 1), "confidence must be between 0 and 1", "confidence")
    a, n1, c, n2 = v["successes"], v["trials"], v["baseline_successes"], v["baseline_trials"]
    with _errstate():
        # (a n2) / (n1 c), not (a / n1) / (c / n2): 30 of 100 over 10 of 100 is 3.0 exactly.
        ratio = call.divide(a * n2, n1 * c)
        se = np.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2)
        z = _normal_quantile(1 - (1 - conf) / 2)
        spread = np.exp(z * se)
        defined = (a > 0) & (c > 0)
        low = np.where(defined, ratio / spread, np.nan)
        high = np.where(defined, ratio * spread, np.nan)
    return call.result(ratio), call.result(low), call.result(high)


def _normal_quantile(p: NDArray[np.float64]) -> NDArray[np.float64]:
    """Standard normal quantile per element (nan outside (0, 1)); few distinct levels."""
    levels, inverse = np.unique(np.asarray(p, dtype=np.float64), return_inverse=True)
    normal = NormalDist()
    quantiles = np.array([normal.inv_cdf(x) if 0 < x < 1 else math.nan for x in levels.tolist()])
    return quantiles[inverse].reshape(np.shape(p))


def engagement_trend(
    account_ids: Iterable[Hashable] | ArrayLike,
    event_account_ids: Iterable[Hashable] | ArrayLike,
    event_dates: Any,
    event_weights: ArrayLike,
    as_of: Any,
    recent_days: float = 7,
    baseline_days: float = 28,
) -> NDArray[np.float64]:
    """Engagement trend per account: recent engagement against its own baseline.

    .. math::

        trend_a = \\frac{recent_a}{baseline_a} - 1, \\qquad
        baseline_a = earlier_a \\cdot \\frac{recent\\_days}{baseline\\_days}

    ``recent_a`` is the sum of the account's event weights aged
    ``0 <= age < recent_days`` days before ``as_of``; ``earlier_a`` the sum of
    those aged ``recent_days <= age < recent_days + baseline_days`` (plain sums,
    no half-life), so the baseline is the earlier period's rate over a period
    as long as the recent one.

    Parameters
    ----------
    account_ids : sequence of hashable
        The accounts, in output order (as :func:`engagement_scores`).
    event_account_ids, event_dates, event_weights : sequences
        Account, date and weight (``>= 0``) of each event, as
        :func:`engagement_scores` reads them.
    as_of : date
        The last day of the recent period. Events after it never count.
    recent_days : float, optional
        Length of the recent period in days, ``> 0``; default 7.
    baseline_days : float, optional
        Length of the baseline period before it, ``> 0``; default 28.

    Returns
    -------
    ndarray of float64
        One trend per account id: 0 = as usual, 1.0 = twice the usual, -1.0 =
        nothing recently; ``nan`` when the baseline is 0 (no earlier events).

    Raises
    ------
    DomainError
        As :func:`engagement_scores`; or a period length that is not a number > 0.

    Examples
    --------
    As of 2026-03-31, A has 30 minutes in the last 7 days against 12 in the 28
    before (3 per 7 days): trend 9.0, a spike. B had 2 minutes on March 1 and
    nothing since: -1.0.

    >>> events = ["A", "A", "A", "B"]
    >>> dates = ["2026-03-30", "2026-03-10", "2026-03-01", "2026-03-01"]
    >>> engagement_trend(["A", "B", "C"], events, dates, [30, 2, 10, 2], "2026-03-31")
    array([ 9., -1., nan])

    Notes
    -----
    Terminus flags "spiking" accounts whose engagement over the last 7 days
    rises well above their own recent average, and Bombora's Company Surge
    compares an account's research over the last weeks with its own baseline
    of the preceding weeks; the default 7 and 28 days follow those windows.

    References
    ----------
    .. [1] Terminus, "Spiking accounts" (Terminus Help Center: Account Hub,
       engagement spike), https://support.terminus.com
    .. [2] Bombora, "Company Surge(R) Methodology",
       https://bombora.com/company-surge/
    """
    recent_days = _period("recent_days", recent_days)
    baseline_days = _period("baseline_days", baseline_days)
    # Ages are whole days: age < d  <=>  age <= ceil(d) - 1.
    recent_window = math.ceil(recent_days) - 1
    both_window = math.ceil(recent_days + baseline_days) - 1
    args = (account_ids, event_account_ids, event_dates, event_weights, as_of)
    recent = engagement_scores(*args, window_days=recent_window)
    collector = _collector_var.get()
    errors = None if collector is None else collector.errors.copy()
    both = engagement_scores(*args, window_days=both_window)
    baseline = (both - recent) * (recent_days / baseline_days)
    with _errstate():
        trend = np.where(baseline > 0, recent / np.where(baseline > 0, baseline, 1) - 1, np.nan)
    if collector is not None:
        collector.errors = np.maximum(collector.errors, errors)
        collector.mark((baseline == 0) & (collector.errors == 0), ERROR_DIV0)
    return np.asarray(trend, dtype=np.float64)


def _period(name: str, value: Any) -> float:
    number, bad, _ = _to_float(value)
    if bad is not None or number.ndim != 0 or not number > 0:
        raise DomainError(
            f"engagement_trend: {name} must be a single number > 0; got {value!r}",
            function="engagement_trend",
            argument=name,
            index=None,
            kind="value" if bad is not None or number.ndim != 0 else "num",
        )
    return float(number)


def _number_text(x: float) -> str:
    text = f"{x:,.1f}".removesuffix(".0")
    return "0" if text == "-0" else text


def _condition(
    name: str, value: NDArray[np.float64], threshold: NDArray[np.float64]
) -> NDArray[np.object_]:
    """``name value >= threshold`` or ``name value < threshold`` per element.

    Each distinct (value, threshold) pair is formatted once; a missing value
    shows as 0 (it counts as 0).
    """
    value, threshold = np.broadcast_arrays(np.nan_to_num(value, nan=0.0), threshold)
    # One key per pair (value + i threshold): np.unique of complex numbers is one sort.
    levels, inverse = np.unique((value + 1j * threshold).ravel(), return_inverse=True)
    texts = np.array(
        [
            f"{name} {_number_text(v)} {'>=' if v >= t else '<'} {_number_text(t)}"
            for v, t in zip(levels.real.tolist(), levels.imag.tolist(), strict=True)
        ],
        dtype=object,
    )
    return texts[inverse.ravel()].reshape(value.shape)


def _reason_parts(tier: int, intent_ok: bool, engaged: bool, acv1: bool, acv2: bool) -> list[str]:
    """The reason of one pattern of met conditions, as literal text and condition names."""
    met = {"intent": intent_ok, "engagement": engaged, "acv1": acv1, "acv2": acv2}

    def listed(names: list[str]) -> list[str]:
        out: list[str] = []
        for name in names:
            out += [", ", name] if out else [name]
        return out

    if tier == 1:
        return ["Tier 1: ", *listed(["fit", "intent", "engagement", "acv1"])]
    if tier == 2:
        shown = ["fit", *[n for n in ("intent", "engagement") if met[n]], "acv2"]
        failed = [n for n in ("intent", "engagement", "acv1") if not met[n]]
        return ["Tier 2: ", *listed(shown), "; not Tier 1: ", *listed(failed)]
    if tier == 3:
        failed = [] if intent_ok or engaged else ["intent", "engagement"]
        failed += [] if acv2 else ["acv2"]
        return ["Tier 3: ", "fit", "; not Tier 2: ", *listed(failed)]
    return ["Untiered: ", "fit"]


def _assemble(
    pattern: NDArray[np.int64], flags: NDArray[np.bool_], texts: dict[str, NDArray[np.object_]]
) -> NDArray[np.object_]:
    """Join each account's reason from its pattern's parts.

    One pass per distinct pattern of (tier, conditions met), at most 64; each
    joins whole arrays of the accounts with that pattern, never one account.
    """
    out = np.empty(pattern.shape, dtype=object)
    if pattern.size == 0:
        return out
    order = np.argsort(pattern, kind="stable")
    _, starts = np.unique(pattern[order], return_index=True)
    for start, stop in zip(starts, [*starts[1:], order.size], strict=True):
        members = order[start:stop]
        tier, *met = flags[members[0]]
        text: Any = ""
        for part in _reason_parts(int(tier), *map(bool, met)):
            text = text + (texts[part][members] if part in texts else part)
        out[members] = text
    return out


def tier_reason(
    fit_score: ArrayLike,
    intent_score: ArrayLike,
    engagement_score: ArrayLike,
    expected_acv: ArrayLike,
    fit_min: ArrayLike = 70,
    intent_min: ArrayLike = 60,
    engagement_min: ArrayLike = 10,
    acv_tier1: ArrayLike = 100000,
    acv_tier2: ArrayLike = 25000,
    tier_override: ArrayLike = None,
) -> str | NDArray[np.object_]:
    r"""Why an account is in its tier, in words.

    The text starts with the tier (``Tier 1``, ``Tier 2``, ``Tier 3``,
    ``Untiered``) and names the conditions of :func:`tier` that decided it, as
    ``name value op threshold``: the conditions the tier met, then after
    ``not Tier N:`` every condition of the better tier that failed. Numbers
    have thousands separators and at most one decimal.

    Parameters
    ----------
    fit_score, intent_score, engagement_score, expected_acv : array_like
        As :func:`tier` (a missing intent, engagement or ACV counts as 0 and is
        shown as 0; a missing fit is ``no fit score``).
    fit_min, intent_min, engagement_min, acv_tier1, acv_tier2 : array_like, optional
        The thresholds of :func:`tier`; defaults 70, 60, 10, 100000, 25000.
    tier_override : array_like, optional
        A tier set by hand (0-3); where given the reason is ``Tier N:
        tier_override``. Default None (no override).

    Returns
    -------
    str or ndarray of object (str)

    Raises
    ------
    DomainError
        As :func:`tier`.

    Examples
    --------
    >>> tier_reason(85, 70, 12, 150000)
    'Tier 1: fit 85 >= 70, intent 70 >= 60, engagement 12 >= 10, ACV 150,000 >= 100,000'
    >>> print(tier_reason(85, 70, 0, 50000).replace("; ", ";\n"))
    Tier 2: fit 85 >= 70, intent 70 >= 60, ACV 50,000 >= 25,000;
    not Tier 1: engagement 0 < 10, ACV 50,000 < 100,000
    >>> print(tier_reason(85, 0, 0, 10000).replace("; ", ";\n"))
    Tier 3: fit 85 >= 70;
    not Tier 2: intent 0 < 60, engagement 0 < 10, ACV 10,000 < 25,000
    >>> tier_reason([50, None], 90, 90, 900000).tolist()
    ['Untiered: fit 50 < 70', 'Untiered: no fit score']
    >>> tier_reason(85, 70, 12, 150000, tier_override=2)
    'Tier 2: tier_override'

    Notes
    -----
    Demandbase and 6sense show the signals behind an account's score or
    buying stage next to it; an analyst needs the same for a tier before
    acting on it. The rules are those of :func:`tier`.
    """
    tiers = tier(
        fit_score, intent_score, engagement_score, expected_acv,
        fit_min, intent_min, engagement_min, acv_tier1, acv_tier2,
    )  # fmt: skip
    call = _Call(
        "tier_reason",
        fit_score=fit_score,
        intent_score=intent_score,
        engagement_score=engagement_score,
        expected_acv=expected_acv,
        fit_min=fit_min,
        intent_min=intent_min,
        engagement_min=engagement_min,
        acv_tier1=acv_tier1,
        acv_tier2=acv_tier2,
        tier_override=tier_override,
    )
    override = call.values["tier_override"]
    call.check(
        ~np.isin(override, [0, 1, 2, 3]) & ~np.isnan(override),
        "tier_override must be 0, 1, 2 or 3",
        "tier_override",
    )
    shape = call.shape or (1,)  # text is built on arrays; a scalar comes back as str
    v = {k: np.broadcast_to(x, shape) for k, x in call.values.items()}
    fit = v["fit_score"]
    intent, engagement, acv = (
        np.nan_to_num(v[k]) for k in ("intent_score", "engagement_score", "expected_acv")
    )
    tiers = np.broadcast_to(np.asarray(tiers), shape)
    intent_ok = intent >= v["intent_min"]
    engaged = engagement >= v["engagement_min"]
    acv1 = acv >= v["acv_tier1"]
    acv2 = acv >= v["acv_tier2"]
    texts = {
        "fit": _condition("fit", fit, v["fit_min"]),
        "intent": _condition("intent", intent, v["intent_min"]),
        "engagement": _condition("engagement", engagement, v["engagement_min"]),
        "acv1": _condition("ACV", acv, v["acv_tier1"]),
        "acv2": _condition("ACV", acv, v["acv_tier2"]),
    }
    flags = np.stack([tiers.astype(np.int64), intent_ok, engaged, acv1, acv2], axis=-1)
    pattern = flags @ np.array([16, 8, 4, 2, 1])
    reason = _assemble(
        pattern.ravel(), flags.reshape(-1, 5), {k: t.ravel() for k, t in texts.items()}
    )
    reason = reason.reshape(shape)
    reason[np.isnan(fit)] = "Untiered: no fit score"
    names = np.array(["Untiered", "Tier 1", "Tier 2", "Tier 3"], dtype=object)
    overridden = ~np.isnan(override) & np.isin(override, [0, 1, 2, 3])
    if overridden.any():
        by_hand = names[np.where(overridden, override, 0).astype(np.intp)] + ": tier_override"
        reason = np.where(
            np.broadcast_to(overridden, shape), np.broadcast_to(by_hand, shape), reason
        )
    if call.invalid is not None:
        reason = np.where(np.broadcast_to(call.invalid, shape), None, reason)
    reason = reason.reshape(call.shape)
    if call.scalar:
        return str(reason.item()) if reason.item() is not None else None  # type: ignore[return-value]
    return reason
