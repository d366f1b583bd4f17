"""Account-based marketing metrics as vectorized numpy functions.

Every function of the abmxl metric contract (``shared/spec/metrics.md``) lives
here, once. The Excel functions (``abmxl.udfs``) and the funnel refresh
(``abmxl.engine``) call these; they never re-implement a formula.

Conventions shared by every function:

* Arguments broadcast like numpy: scalars, lists, numpy arrays and pandas
  Series (a Series comes back as a plain ndarray; its index is not kept).
  All-scalar input returns a Python ``float`` (``int`` for :func:`tier`);
  anything else returns an ndarray of the broadcast shape.
* Ratios are fractions (0.1, not 10 %).
* A zero denominator gives ``nan``, without a ``RuntimeWarning``.
* ``None``/``nan`` elements propagate to ``nan`` results, except where a
  function says otherwise (:func:`nps` ignores them, :func:`tier` treats missing
  intent, engagement and ACV as 0 and a missing fit as untiered).
* Input outside a function's domain raises :class:`DomainError` (a
  ``ValueError``) whose message names the function, the argument, the offending
  value and, for array input, its position in the broadcast shape, e.g.
  ``win_rate: won must be <= closed; got won=12, closed=10 at index 3``.
  Strings are never parsed as numbers: any ``str`` element is non-numeric.
* :func:`evaluate` runs a metric without raising and returns per-element error
  codes instead, so the Excel layer can show ``#NUM!``/``#VALUE!``/``#DIV/0!``
  on the offending cells only.
"""

from __future__ import annotations

import contextvars
import datetime as _dt
import math
from collections.abc import Callable, Hashable, Iterable
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "account_penetration",
    "acv",
    "attribution_shares",
    "cac",
    "cac_payback_months",
    "churn_rate",
    "clv",
    "clv_from_churn",
    "cost_per",
    "engagement_pct",
    "engagement_scores",
    "engagement_trend",
    "gross_revenue_retention",
    "lift",
    "ltv_to_cac",
    "net_revenue_retention",
    "nps",
    "pipeline_velocity",
    "renewal_rate",
    "tam",
    "tier",
    "tier_reason",
    "win_rate",
]

FloatResult = float | NDArray[np.float64]
IntResult = int | NDArray[np.int8]

# Per-element error codes of `evaluate`, ordered by precedence: when one element
# fails several ways the highest code wins (a text cell is #VALUE! even if its
# denominator is also 0), the order in which Excel reports them.
ERROR_NONE = 0
ERROR_DIV0 = 1  # zero denominator: Excel #DIV/0!, Python nan
ERROR_NUM = 2  # number outside the domain: Excel #NUM!
ERROR_VALUE = 3  # not a number: Excel #VALUE!

_KIND_CODES = {"num": ERROR_NUM, "value": ERROR_VALUE}


class DomainError(ValueError):
    """Input outside a metric's domain, or not a number.

    Attributes
    ----------
    function : str
        The metric that rejected its input, e.g. ``"win_rate"``.
    argument : str or None
        The argument at fault (the first one named in the message), or None when
        the arguments cannot be broadcast together.
    index : tuple of int or None
        Position of the first offending element in the broadcast shape (for
        :func:`nps` and the event arguments of :func:`engagement_scores`: in that
        argument); None for scalar input.
    kind : {"num", "value"}
        ``"num"``: a number outside the domain (Excel ``#NUM!``); ``"value"``: not a
        number at all, or shapes that do not broadcast (Excel ``#VALUE!``).
    """

    def __init__(
        self,
        message: str,
        *,
        function: str,
        argument: str | None,
        index: tuple[int, ...] | None,
        kind: str,
    ) -> None:
        super().__init__(message)
        self.function = function
        self.argument = argument
        self.index = index
        self.kind = kind


class MetricResult(NamedTuple):
    """What :func:`evaluate` returns.

    ``values`` is the metric's result as an ndarray (0-d for scalar results) with
    ``nan`` wherever ``errors`` is non-zero; ``errors`` has the same shape and
    holds ``ERROR_NONE``, ``ERROR_DIV0``, ``ERROR_NUM`` or ``ERROR_VALUE`` per
    element.
    """

    values: NDArray[Any]
    errors: NDArray[np.int8]


class _Collector:
    """Per-element error codes gathered while `evaluate` runs one metric."""

    def __init__(self) -> None:
        self.errors: NDArray[np.int8] | None = None

    def start(self, shape: tuple[int, ...]) -> None:
        self.errors = np.zeros(shape, dtype=np.int8)

    def mark(self, mask: ArrayLike, code: int) -> None:
        assert self.errors is not None
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != self.errors.shape:
            mask = np.broadcast_to(mask, self.errors.shape)
        np.maximum(self.errors, np.where(mask, np.int8(code), np.int8(0)), out=self.errors)


# Set only while `evaluate` runs a metric: then failing elements are recorded
# instead of raising. A context variable keeps concurrent callers (threads,
# asyncio tasks serving Excel) apart.
_collector_var: contextvars.ContextVar[_Collector | None] = contextvars.ContextVar(
    "abmxl_metrics_collector", default=None
)


def evaluate(function: Callable[..., Any], /, *args: Any, **kwargs: Any) -> MetricResult:
    """Run a metric without raising on bad elements; return values and error codes.

    The Excel functions use this so that one bad row shows ``#NUM!`` or
    ``#VALUE!`` in its own cell instead of blanking a whole column.

    Parameters
    ----------
    function : callable
        One of the metrics of this module (``win_rate``, ``tier``, ...).
    *args, **kwargs
        Its arguments.

    Returns
    -------
    MetricResult
        ``values`` (ndarray, ``nan`` where an element failed; for :func:`tier`
        failed elements are 0) and ``errors`` (int8 ndarray of ``ERROR_*`` codes).

    Examples
    --------
    >>> r = evaluate(win_rate, [10, 12, 0, "x"], [100, 10, 0, 5])
    >>> r.values
    array([0.1, nan, nan, nan])
    >>> r.errors.tolist() == [ERROR_NONE, ERROR_NUM, ERROR_DIV0, ERROR_VALUE]
    True
    """
    collector = _Collector()
    token = _collector_var.set(collector)
    try:
        # Elements already marked bad still flow through the arithmetic (acv with
        # years=0, say); their results are replaced by nan, so warnings are noise.
        with np.errstate(all="ignore"):
            values = np.asarray(function(*args, **kwargs))
    finally:
        _collector_var.reset(token)
    errors = collector.errors
    if errors is None or errors.shape != values.shape:
        errors = np.zeros(values.shape, dtype=np.int8)
    return MetricResult(values, errors)


# --------------------------------------------------------------------------- helpers


def _format_number(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return format(float(value), ".15g")
    return repr(value.item() if isinstance(value, np.generic) else value)


def _format_index(index: tuple[int, ...]) -> str:
    return str(index[0]) if len(index) == 1 else str(index)


def _is_pandas(value: Any) -> bool:
    return type(value).__module__.partition(".")[0] == "pandas"


# Objects that float() would accept but that are not plain numbers: numeric
# text is never parsed, and numpy datetimes convert to their epoch count.
_NOT_NUMBERS = (str, bytes, _dt.date, _dt.timedelta, np.datetime64, np.timedelta64)


def _is_not_number(value: Any) -> bool:
    return isinstance(value, _NOT_NUMBERS)


_is_not_number_ufunc = np.frompyfunc(_is_not_number, 1, 1)


def _object_to_float(raw: NDArray[np.object_]) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Convert an object array to float: None/NA -> nan; str and other non-numbers flagged."""
    # np.asarray: on 0-d input ufuncs return Python scalars.
    missing = np.asarray(np.equal(raw, None), dtype=bool)
    is_text = np.asarray(_is_not_number_ufunc(raw), dtype=bool)
    filled = np.where(missing | is_text, np.nan, raw)
    try:
        return filled.astype(np.float64), is_text
    except (TypeError, ValueError):
        pass
    # Rare path (pd.NA, dates, Decimal-like oddities): classify element by element.
    out = np.empty(raw.shape, dtype=np.float64)
    bad = np.zeros(raw.shape, dtype=bool)
    for position, item in np.ndenumerate(filled):
        try:
            out[position] = float(item)
        except (TypeError, ValueError):
            if _is_missing_scalar(item):
                out[position] = np.nan
            else:
                out[position] = np.nan
                bad[position] = True
    return out, bad


def _is_missing_scalar(item: Any) -> bool:
    if item is None:
        return True
    if _is_pandas(item):
        import pandas as pd

        return bool(pd.isna(item))
    return False


def _to_float(value: Any) -> tuple[NDArray[np.float64], NDArray[np.bool_] | None, Any]:
    """Coerce one argument to a float array.

    Returns ``(floats, non_numeric_mask or None, raw array for messages)``; never
    modifies or keeps a reference that could modify the caller's data.
    """
    if _is_pandas(value) and hasattr(value, "to_numpy"):
        try:
            floats = value.to_numpy(dtype=np.float64, na_value=np.nan)
            return np.asarray(floats, dtype=np.float64), None, floats
        except (TypeError, ValueError):
            value = value.to_numpy(dtype=object)
    if value is None:
        return np.asarray(np.nan), None, None
    raw = np.asarray(value)
    if raw.dtype.kind in "US" and not isinstance(value, np.ndarray):
        # A list mixing numbers and text becomes a text array; keep the numbers.
        raw = np.asarray(value, dtype=object)
    kind = raw.dtype.kind
    if kind in "fiub":
        return raw.astype(np.float64, copy=False), None, raw
    if kind == "O":
        floats, bad = _object_to_float(raw)
        return floats, (bad if bad.any() else None), raw
    # Strings, datetimes, timedeltas, complex: none of them is a plain number.
    return np.full(raw.shape, np.nan), np.ones(raw.shape, dtype=bool), raw


class _Call:
    """One metric call: coerced arguments, their broadcast shape, validation, result."""

    def __init__(self, function: str, aggregate: bool = False, /, **arguments: Any) -> None:
        self.function = function
        self.collector = _collector_var.get()
        self.values: dict[str, NDArray[np.float64]] = {}
        raw: dict[str, Any] = {}
        non_numeric: dict[str, NDArray[np.bool_]] = {}
        for name, value in arguments.items():
            floats, bad, original = _to_float(value)
            self.values[name] = floats
            raw[name] = original
            if bad is not None:
                non_numeric[name] = bad
        try:
            self.shape: tuple[int, ...] = np.broadcast_shapes(
                *(a.shape for a in self.values.values())
            )
        except ValueError:
            shapes = ", ".join(f"{n}{a.shape}" for n, a in self.values.items())
            raise DomainError(
                f"{function}: arguments cannot be broadcast together; shapes {shapes}",
                function=function,
                argument=None,
                index=None,
                kind="value",
            ) from None
        self.scalar = all(a.ndim == 0 for a in self.values.values())
        self.out_shape = () if aggregate else self.shape
        if self.collector is not None:
            self.collector.start(self.out_shape)
        self.invalid: NDArray[np.bool_] | None = None
        for name, bad in non_numeric.items():
            self._fail(bad, f"{name} must be a number", (name,), "value", raw={name: raw[name]})

    # -- validation

    def _fail(
        self,
        bad: NDArray[np.bool_],
        message: str,
        shown: tuple[str, ...],
        kind: str,
        raw: dict[str, Any] | None = None,
    ) -> None:
        """Record (in `evaluate`) or raise for the elements where `bad` is True."""
        if not bad.any():
            return
        if self.collector is not None:
            mask = bad.any() if self.out_shape == () else np.broadcast_to(bad, self.out_shape)
            self.collector.mark(mask, _KIND_CODES[kind])
            self.invalid = mask if self.invalid is None else self.invalid | mask
            return
        shape = bad.shape if self.out_shape == () else self.shape
        full = np.broadcast_to(bad, shape)
        index = np.unravel_index(int(np.argmax(full)), shape) if shape else ()
        index = tuple(int(i) for i in index)
        sources = {**self.values, **(raw or {})}
        got = ", ".join(
            f"{name}={_format_number(np.broadcast_to(sources[name], shape)[index])}"
            for name in shown
        )
        where = f" at index {_format_index(index)}" if index else ""
        raise DomainError(
            f"{self.function}: {message}; got {got}{where}",
            function=self.function,
            argument=shown[0],
            index=index or None,
            kind=kind,
        )

    def check(self, bad: ArrayLike, message: str, *shown: str) -> None:
        """Out of domain where `bad` is True (a nan comparison is never bad)."""
        self._fail(np.asarray(bad, dtype=bool), message, shown, "num")

    def at_least(self, name: str, low: float, inclusive: bool = True) -> None:
        """Check ``x >= low`` (or ``x > low``); a min-reduction first, masks only on failure."""
        x = self.values[name]
        if x.size == 0:
            return
        smallest = np.fmin.reduce(x, axis=None)
        if smallest > low or (inclusive and smallest == low):
            return
        bad = x < low if inclusive else x <= low
        self.check(bad, f"{name} must be {'>=' if inclusive else '>'} {low:g}", name)

    def at_most(self, name: str, high: float) -> None:
        x = self.values[name]
        if x.size == 0 or not np.fmax.reduce(x, axis=None) > high:
            return
        self.check(x > high, f"{name} must be <= {high:g}", name)

    def not_above(self, name: str, bound: str) -> None:
        """Check ``values[name] <= values[bound]`` element by element."""
        self.check(
            self.values[name] > self.values[bound], f"{name} must be <= {bound}", name, bound
        )

    def fraction(self, name: str) -> None:
        self.at_least(name, 0.0)
        self.at_most(name, 1.0)

    # -- arithmetic and result

    def divide(self, numerator: ArrayLike, denominator: ArrayLike) -> NDArray[np.float64]:
        """numerator / denominator with a zero denominator giving nan (no warning)."""
        denominator = np.asarray(denominator, dtype=np.float64)
        zero = denominator == 0
        with np.errstate(divide="ignore", invalid="ignore"):
            quotient = np.divide(numerator, denominator)
        if zero.any():
            quotient = np.where(zero, np.nan, quotient)
            if self.collector is not None:
                self.collector.mark(np.broadcast_to(zero, self.out_shape), ERROR_DIV0)
        return np.asarray(quotient, dtype=np.float64)

    def result(self, values: ArrayLike) -> FloatResult:
        values = np.asarray(values, dtype=np.float64)
        if values.shape != self.out_shape:
            values = np.array(np.broadcast_to(values, self.out_shape))
        if self.invalid is not None:
            values = np.where(self.invalid, np.nan, values)
        if self.scalar or self.out_shape == ():
            return float(values)
        return values


def _errstate() -> Any:
    return np.errstate(divide="ignore", invalid="ignore", over="ignore")


# --------------------------------------------------------------------------- ratios


def _share(call: _Call, part: str, whole: str) -> FloatResult:
    """``part / whole`` for a part of a whole: both ``>= 0`` and ``part <= whole``."""
    call.at_least(part, 0)
    call.at_least(whole, 0)
    call.not_above(part, whole)
    return call.result(call.divide(call.values[part], call.values[whole]))


def win_rate(won: ArrayLike, closed: ArrayLike) -> FloatResult:
    """Share of closed opportunities that were won.

    .. math:: \\text{win rate} = \\frac{won}{closed}

    Parameters
    ----------
    won : array_like
        Opportunities (or accounts) won; ``0 <= won <= closed``.
    closed : array_like
        Opportunities closed, won or lost; ``>= 0``.

    Returns
    -------
    float or ndarray
        A fraction in [0, 1]; ``nan`` when ``closed`` is 0.

    Raises
    ------
    DomainError
        A negative count, ``won > closed`` or a non-numeric element.

    Examples
    --------
    10 of 100 closed deals won (seed article 000):

    >>> win_rate(10, 100)
    0.1
    >>> win_rate([10, 0, 3], [100, 0, 4])
    array([0.1 ,  nan, 0.75])

    Notes
    -----
    Gartner Digital Markets lists the win rate among its eight key ABM metrics;
    Terminus measures it at the "won" stage of the ABM funnel.
    """
    return _share(_Call("win_rate", won=won, closed=closed), "won", "closed")


def engagement_pct(engaged_accounts: ArrayLike, target_accounts: ArrayLike) -> FloatResult:
    """Share of target accounts that are engaged.

    .. math:: \\frac{engaged\\_accounts}{target\\_accounts}

    Parameters
    ----------
    engaged_accounts : array_like
        Target accounts that reached "Engaged"; ``0 <= engaged <= target``.
    target_accounts : array_like
        Target accounts; ``>= 0``.

    Returns
    -------
    float or ndarray
        A fraction in [0, 1]; ``nan`` when there are no target accounts.

    Examples
    --------
    >>> engagement_pct(45, 300)
    0.15

    Notes
    -----
    Terminus' ABM funnel: target -> engaged -> opportunity -> won -> retention ->
    expansion. "Engaged" follows Demandbase: at least 10 engagement minutes in
    the last 90 days (see :func:`engagement_scores`).
    """
    call = _Call(
        "engagement_pct", engaged_accounts=engaged_accounts, target_accounts=target_accounts
    )
    return _share(call, "engaged_accounts", "target_accounts")


def churn_rate(customers_lost: ArrayLike, customers_at_start: ArrayLike) -> FloatResult:
    """Share of the period's starting customers lost during the period.

    .. math:: \\frac{customers\\_lost}{customers\\_at\\_start}

    Parameters
    ----------
    customers_lost : array_like
        Starting customers lost in the period; ``0 <= lost <= at_start`` (customers
        both won and lost within the period are not counted).
    customers_at_start : array_like
        Customers at the start of the period; ``>= 0``.

    Returns
    -------
    float or ndarray
        A fraction in [0, 1]; ``nan`` when there were no customers at the start.

    Examples
    --------
    >>> churn_rate(8, 100)
    0.08

    Notes
    -----
    Gartner Digital Markets lists churn among its eight key ABM metrics.
    """
    call = _Call("churn_rate", customers_lost=customers_lost, customers_at_start=customers_at_start)
    return _share(call, "customers_lost", "customers_at_start")


def renewal_rate(renewed: ArrayLike, up_for_renewal: ArrayLike) -> FloatResult:
    """Share of contracts up for renewal that renewed.

    .. math:: \\frac{renewed}{up\\_for\\_renewal}

    Parameters
    ----------
    renewed : array_like
        Contracts renewed; ``0 <= renewed <= up_for_renewal``.
    up_for_renewal : array_like
        Contracts that came up for renewal; ``>= 0``.

    Returns
    -------
    float or ndarray
        A fraction in [0, 1]; ``nan`` when nothing was up for renewal.

    Examples
    --------
    >>> renewal_rate(45, 50)
    0.9

    Notes
    -----
    The "retention" stage of the Terminus ABM funnel.
    """
    call = _Call("renewal_rate", renewed=renewed, up_for_renewal=up_for_renewal)
    return _share(call, "renewed", "up_for_renewal")


def account_penetration(
    engaged_contacts: ArrayLike, buying_committee_size: ArrayLike
) -> FloatResult:
    """Share of an account's buying committee that is engaged.

    .. math:: \\frac{engaged\\_contacts}{buying\\_committee\\_size}

    Parameters
    ----------
    engaged_contacts : array_like
        Engaged contacts at the account; ``0 <= engaged <= committee``.
    buying_committee_size : array_like
        People in the account's buying committee; ``>= 0``.

    Returns
    -------
    float or ndarray
        A fraction in [0, 1]; ``nan`` for an empty committee.

    Examples
    --------
    >>> account_penetration(4, 10)
    0.4

    Notes
    -----
    One of the ABM KPIs executives care about (seed article 003).
    """
    call = _Call(
        "account_penetration",
        engaged_contacts=engaged_contacts,
        buying_committee_size=buying_committee_size,
    )
    return _share(call, "engaged_contacts", "buying_committee_size")


def _arr_lost(call: _Call) -> NDArray[np.float64]:
    """contraction + churned ARR, checked not to exceed the starting ARR."""
    v = call.values
    lost = v["contraction_arr"] + v["churned_arr"]
    call.check(
        lost > v["starting_arr"],
        "contraction_arr + churned_arr must be <= starting_arr",
        "contraction_arr",
        "churned_arr",
        "starting_arr",
    )
    return lost


def net_revenue_retention(
    starting_arr: ArrayLike,
    expansion_arr: ArrayLike,
    contraction_arr: ArrayLike,
    churned_arr: ArrayLike,
) -> FloatResult:
    """Net revenue retention (NRR) of a period.

    .. math:: NRR = \\frac{start + expansion - contraction - churned}{start}

    Parameters
    ----------
    starting_arr : array_like
        Annual recurring revenue of the existing customers at the start; ``>= 0``.
    expansion_arr : array_like
        ARR added by those customers (upsell, cross-sell); ``>= 0``.
    contraction_arr : array_like
        ARR lost to downgrades; ``>= 0``.
    churned_arr : array_like
        ARR lost to customers leaving; ``>= 0``; ``contraction + churned <= start``.

    Returns
    -------
    float or ndarray
        A ratio, ``>= 0`` and above 1 when expansion outgrows losses; ``nan``
        when ``starting_arr`` is 0.

    Examples
    --------
    >>> net_revenue_retention(1000000, 180000, 50000, 100000)
    1.03
    """
    call = _Call(
        "net_revenue_retention",
        starting_arr=starting_arr,
        expansion_arr=expansion_arr,
        contraction_arr=contraction_arr,
        churned_arr=churned_arr,
    )
    for name in ("starting_arr", "expansion_arr", "contraction_arr", "churned_arr"):
        call.at_least(name, 0)
    v = call.values
    lost = _arr_lost(call)
    kept = v["starting_arr"] + v["expansion_arr"] - lost
    return call.result(call.divide(kept, v["starting_arr"]))


def gross_revenue_retention(
    starting_arr: ArrayLike, contraction_arr: ArrayLike, churned_arr: ArrayLike
) -> FloatResult:
    """Gross revenue retention (GRR) of a period: NRR without expansion.

    .. math:: GRR = \\frac{start - contraction - churned}{start}

    Parameters
    ----------
    starting_arr : array_like
        ARR of the existing customers at the start; ``>= 0``.
    contraction_arr : array_like
        ARR lost to downgrades; ``>= 0``.
    churned_arr : array_like
        ARR lost to customers leaving; ``>= 0``; ``contraction + churned <= start``.

    Returns
    -------
    float or ndarray
        A fraction in [0, 1]; ``nan`` when ``starting_arr`` is 0.

    Examples
    --------
    >>> gross_revenue_retention(1000000, 50000, 100000)
    0.85
    """
    call = _Call(
        "gross_revenue_retention",
        starting_arr=starting_arr,
        contraction_arr=contraction_arr,
        churned_arr=churned_arr,
    )
    for name in ("starting_arr", "contraction_arr", "churned_arr"):
        call.at_least(name, 0)
    v = call.values
    lost = _arr_lost(call)
    return call.result(call.divide(v["starting_arr"] - lost, v["starting_arr"]))


def ltv_to_cac(clv: ArrayLike, cac: ArrayLike) -> FloatResult:
    """Customer lifetime value per unit of acquisition cost.

    .. math:: \\frac{CLV}{CAC}

    Parameters
    ----------
    clv : array_like
        Customer lifetime value (:func:`clv`); ``>= 0``.
    cac : array_like
        Customer acquisition cost (:func:`cac`); ``>= 0``.

    Returns
    -------
    float or ndarray
        ``nan`` when ``cac`` is 0.

    Examples
    --------
    >>> ltv_to_cac(300000, 100000)
    3.0
    """
    call = _Call("ltv_to_cac", clv=clv, cac=cac)
    call.at_least("clv", 0)
    call.at_least("cac", 0)
    v = call.values
    return call.result(call.divide(v["clv"], v["cac"]))


def cost_per(spend: ArrayLike, accounts: ArrayLike) -> FloatResult:
    """Spend per account: cost per engaged, opportunity or won account.

    .. math:: \\frac{spend}{accounts}

    Parameters
    ----------
    spend : array_like
        Program spend; ``>= 0``.
    accounts : array_like
        Accounts reached (engaged, with an opportunity, or won); ``>= 0``.

    Returns
    -------
    float or ndarray
        ``nan`` when ``accounts`` is 0.

    Examples
    --------
    >>> cost_per(50000, 25)
    2000.0
    """
    call = _Call("cost_per", spend=spend, accounts=accounts)
    call.at_least("spend", 0)
    call.at_least("accounts", 0)
    v = call.values
    return call.result(call.divide(v["spend"], v["accounts"]))


# --------------------------------------------------------------------------- money


def acv(
    total_contract_value: ArrayLike, years: ArrayLike, one_time_fees: ArrayLike = 0
) -> FloatResult:
    """Annual contract value: recurring contract value per year.

    .. math:: ACV = \\frac{TCV - fees}{years}

    Parameters
    ----------
    total_contract_value : array_like
        Total contract value (TCV) over the whole term; ``>= 0``.
    years : array_like
        Contract term in years; ``> 0`` (fractions allowed: 1.5 is 18 months).
    one_time_fees : array_like, optional
        One-time fees included in the TCV (setup, training); ``0 <= fees <= TCV``.

    Returns
    -------
    float or ndarray

    Examples
    --------
    500,000 over 5 years (seed article 000):

    >>> acv(500000, 5)
    100000.0
    >>> acv(90000, 3, 5000)
    28333.33
    """
    call = _Call(
        "acv", total_contract_value=total_contract_value, years=years, one_time_fees=one_time_fees
    )
    call.at_least("total_contract_value", 0)
    call.at_least("years", 0, inclusive=False)
    call.at_least("one_time_fees", 0)
    call.not_above("one_time_fees", "total_contract_value")
    v = call.values
    return call.result((v["total_contract_value"] - v["one_time_fees"]) / v["years"])


def _growth_minus_one(call: _Call) -> NDArray[np.float64]:
    """q - 1 with q = (1 + expansion_rate) / (1 + discount_rate), computed without cancellation."""
    v = call.values
    return (v["expansion_rate"] - v["discount_rate"]) / (1.0 + v["discount_rate"])


def clv(
    acv: ArrayLike,
    lifetime_years: ArrayLike,
    gross_margin: ArrayLike = 1,
    discount_rate: ArrayLike = 0,
    expansion_rate: ArrayLike = 0,
) -> FloatResult:
    """Customer lifetime value over a fixed lifetime.

    The margin of each year, growing by the expansion rate and discounted at
    the discount rate, first year undiscounted:

    .. math::

        CLV = ACV \\cdot m \\sum_{t=0}^{L-1} q^t = ACV \\cdot m \\frac{1 - q^L}{1 - q},
        \\qquad q = \\frac{1 + g}{1 + d}

    and :math:`CLV = ACV \\cdot m \\cdot L` when :math:`q = 1`.

    Parameters
    ----------
    acv : array_like
        Annual contract value; ``>= 0``.
    lifetime_years : array_like
        Expected customer lifetime L in years; ``> 0``. Fractions are allowed
        (the closed form is evaluated at non-integer L).
    gross_margin : array_like, optional
        Gross margin m in [0, 1]; default 1 (revenue, not margin).
    discount_rate : array_like, optional
        Annual discount rate d; ``> -1``; default 0.
    expansion_rate : array_like, optional
        Annual growth g of the account's revenue; ``>= -1``; default 0.

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> clv(100000, 5)
    500000.0
    >>> clv(100000, 5, 0.8)
    400000.0
    >>> clv(100000, 5, 0.8, 0.1)
    333589.24

    Notes
    -----
    q - 1 is computed as (g - d) / (1 + d) and the ratio as
    ``expm1(L * log1p(q - 1)) / (q - 1)``, so q close to 1 loses no precision.
    Seed articles 000 and 002 (Gartner) list CLV among the core ABM metrics.
    """
    call = _Call(
        "clv",
        acv=acv,
        lifetime_years=lifetime_years,
        gross_margin=gross_margin,
        discount_rate=discount_rate,
        expansion_rate=expansion_rate,
    )
    call.at_least("acv", 0)
    call.at_least("lifetime_years", 0, inclusive=False)
    call.fraction("gross_margin")
    call.at_least("discount_rate", -1, inclusive=False)
    call.at_least("expansion_rate", -1)
    v = call.values
    r = _growth_minus_one(call)
    with _errstate():
        annuity = np.expm1(v["lifetime_years"] * np.log1p(r)) / r
    annuity = np.where(r == 0, v["lifetime_years"], annuity)
    return call.result(v["acv"] * v["gross_margin"] * annuity)


def clv_from_churn(
    acv: ArrayLike,
    churn_rate: ArrayLike,
    gross_margin: ArrayLike = 1,
    discount_rate: ArrayLike = 0,
    expansion_rate: ArrayLike = 0,
) -> FloatResult:
    """Customer lifetime value from an annual churn rate (a geometric lifetime).

    .. math::

        CLV = \\frac{ACV \\cdot m}{1 - q (1 - c)}, \\qquad q = \\frac{1 + g}{1 + d}

    Parameters
    ----------
    acv : array_like
        Annual contract value; ``>= 0``.
    churn_rate : array_like
        Annual churn c; ``0 < c <= 1``.
    gross_margin : array_like, optional
        Gross margin m in [0, 1]; default 1.
    discount_rate : array_like, optional
        Annual discount rate d; ``> -1``; default 0.
    expansion_rate : array_like, optional
        Annual growth g of a retained account's revenue; ``>= -1``; default 0.

    Returns
    -------
    float or ndarray

    Raises
    ------
    DomainError
        Also when ``q (1 - c) >= 1``: growth outpaces churn and discounting, so the
        series has no finite sum.

    Examples
    --------
    >>> clv_from_churn(100000, 0.2, 0.8)
    400000.0
    >>> clv_from_churn(100000, 0.2, 0.8, 0.1)
    293333.33
    >>> clv_from_churn(24000, 0.08, 0.75)
    225000.0

    Notes
    -----
    The denominator is computed as ``(d - g + c (1 + g)) / (1 + d)``, the same
    value without the cancellation of ``1 - q (1 - c)``.
    """
    call = _Call(
        "clv_from_churn",
        acv=acv,
        churn_rate=churn_rate,
        gross_margin=gross_margin,
        discount_rate=discount_rate,
        expansion_rate=expansion_rate,
    )
    call.at_least("acv", 0)
    call.at_least("churn_rate", 0, inclusive=False)
    call.at_most("churn_rate", 1)
    call.fraction("gross_margin")
    call.at_least("discount_rate", -1, inclusive=False)
    call.at_least("expansion_rate", -1)
    v = call.values
    d, g, c = v["discount_rate"], v["expansion_rate"], v["churn_rate"]
    # q (1 - c) < 1  <=>  d - g + c (1 + g) > 0, because 1 + d > 0.
    spread = d - g + c * (1.0 + g)
    call.check(
        spread <= 0,
        "churn_rate too low for the expansion and discount rates: need "
        "(1 + expansion_rate) * (1 - churn_rate) < 1 + discount_rate",
        "churn_rate",
        "discount_rate",
        "expansion_rate",
    )
    with _errstate():
        value = v["acv"] * v["gross_margin"] * (1.0 + d) / spread
    return call.result(value)


def cac(
    sales_cost: ArrayLike,
    marketing_cost: ArrayLike,
    new_customers: ArrayLike,
    overhead_cost: ArrayLike = 0,
) -> FloatResult:
    """Customer acquisition cost.

    .. math:: CAC = \\frac{sales + marketing + overhead}{new\\_customers}

    Parameters
    ----------
    sales_cost, marketing_cost : array_like
        Sales and marketing spend of the period; ``>= 0``.
    new_customers : array_like
        Customers acquired in the period; ``>= 0``.
    overhead_cost : array_like, optional
        Further acquisition costs (tools, agencies, overhead); ``>= 0``; default 0.

    Returns
    -------
    float or ndarray
        ``nan`` when there are no new customers.

    Examples
    --------
    Seed article 000, simple and with extra costs:

    >>> cac(300000, 200000, 10)
    50000.0
    >>> cac(300000, 200000, 10, 100000)
    60000.0
    """
    call = _Call(
        "cac",
        sales_cost=sales_cost,
        marketing_cost=marketing_cost,
        new_customers=new_customers,
        overhead_cost=overhead_cost,
    )
    for name in ("sales_cost", "marketing_cost", "new_customers", "overhead_cost"):
        call.at_least(name, 0)
    v = call.values
    spend = v["sales_cost"] + v["marketing_cost"] + v["overhead_cost"]
    return call.result(call.divide(spend, v["new_customers"]))


def cac_payback_months(cac: ArrayLike, acv: ArrayLike, gross_margin: ArrayLike = 1) -> FloatResult:
    """Months of gross margin needed to earn back the acquisition cost.

    .. math:: \\frac{CAC}{ACV \\cdot m / 12}

    Parameters
    ----------
    cac : array_like
        Customer acquisition cost; ``>= 0``.
    acv : array_like
        Annual contract value; ``>= 0``.
    gross_margin : array_like, optional
        Gross margin m in [0, 1]; default 1.

    Returns
    -------
    float or ndarray
        ``nan`` when ``acv * gross_margin`` is 0.

    Examples
    --------
    >>> cac_payback_months(1200, 1200, 0.8)
    15.0
    """
    call = _Call("cac_payback_months", cac=cac, acv=acv, gross_margin=gross_margin)
    call.at_least("cac", 0)
    call.at_least("acv", 0)
    call.fraction("gross_margin")
    v = call.values
    return call.result(call.divide(v["cac"], v["acv"] * v["gross_margin"] / 12.0))


def tam(accounts: ArrayLike, average_acv: ArrayLike) -> FloatResult:
    """Total addressable market in annual revenue.

    .. math:: TAM = accounts \\cdot \\overline{ACV}

    Parameters
    ----------
    accounts : array_like
        Accounts in the ideal customer profile; ``>= 0``.
    average_acv : array_like
        Average annual contract value; ``>= 0``.

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> tam(1200, 50000)
    60000000.0

    Notes
    -----
    Seed articles 000, 002 (Gartner) and 004 start ABM planning from TAM and
    the ideal customer profile.
    """
    call = _Call("tam", accounts=accounts, average_acv=average_acv)
    call.at_least("accounts", 0)
    call.at_least("average_acv", 0)
    v = call.values
    return call.result(v["accounts"] * v["average_acv"])


def pipeline_velocity(
    opportunities: ArrayLike,
    average_deal_size: ArrayLike,
    win_rate: ArrayLike,
    sales_cycle_days: ArrayLike,
) -> FloatResult:
    """Pipeline (sales) velocity: expected revenue per day from the open pipeline.

    .. math:: \\frac{n \\cdot deal \\cdot win\\ rate}{days}

    Parameters
    ----------
    opportunities : array_like
        Open opportunities; ``>= 0``.
    average_deal_size : array_like
        Average deal value; ``>= 0``.
    win_rate : array_like
        Fraction of opportunities won, in [0, 1].
    sales_cycle_days : array_like
        Average days from opportunity to close; ``>= 0``.

    Returns
    -------
    float or ndarray
        Revenue per day; ``nan`` when ``sales_cycle_days`` is 0.

    Examples
    --------
    >>> pipeline_velocity(50, 20000, 0.25, 90)
    2777.78

    Notes
    -----
    "Sales velocity" in Gartner's eight key ABM metrics (seed article 002),
    "pipeline velocity" in seed article 003.
    """
    call = _Call(
        "pipeline_velocity",
        opportunities=opportunities,
        average_deal_size=average_deal_size,
        win_rate=win_rate,
        sales_cycle_days=sales_cycle_days,
    )
    call.at_least("opportunities", 0)
    call.at_least("average_deal_size", 0)
    call.fraction("win_rate")
    call.at_least("sales_cycle_days", 0)
    v = call.values
    expected = v["opportunities"] * v["average_deal_size"] * v["win_rate"]
    return call.result(call.divide(expected, v["sales_cycle_days"]))


# --------------------------------------------------------------------------- surveys


def nps(scores: ArrayLike) -> float:
    """Net promoter score of a set of survey answers.

    .. math:: NPS = 100 \\cdot \\frac{promoters - detractors}{answers}

    promoters answer 9 or 10, detractors 0 to 6; 7 and 8 are passives.

    Parameters
    ----------
    scores : array_like
        Answers on the 0-10 scale, any shape (a whole range is aggregated).
        Each must be a whole number 0..10; ``None``/``nan`` (blank) are ignored.

    Returns
    -------
    float
        Between -100 and 100; ``nan`` when there are no answers.

    Examples
    --------
    >>> nps([10, 9, 8, 7, 6, 0, 10, 9, 3, 10])
    20.0
    >>> nps([10, None, 3])
    0.0
    """
    call = _Call("nps", True, scores=scores)
    s = call.values["scores"]
    # nan (a blank answer) compares False everywhere, so it is never flagged.
    not_whole_0_to_10 = (s < 0) | (s > 10) | (s - np.floor(s) > 0)
    call.check(not_whole_0_to_10, "scores must be whole numbers 0..10", "scores")
    answered = np.count_nonzero(~np.isnan(s))
    promoters = np.count_nonzero(s >= 9)
    detractors = np.count_nonzero(s <= 6)
    return call.result(call.divide(100.0 * (promoters - detractors), answered))


# --------------------------------------------------------------------------- tiers


def tier(
    fit_score: ArrayLike,
    intent_score: ArrayLike,
    engagement_score: ArrayLike,
    expected_acv: ArrayLike,
    fit_min: ArrayLike = 70,
    intent_min: ArrayLike = 60,
    engagement_min: ArrayLike = 10,
    acv_tier1: ArrayLike = 100000,
    acv_tier2: ArrayLike = 25000,
) -> IntResult:
    """ABM tier of an account: 1 "just right", 2 "too big", 3 "too small", 0 untiered.

    Rules, evaluated in order (the first that applies wins):

    1. ``fit < fit_min`` -> 0 (untiered: not in the ideal customer profile)
    2. ``intent >= intent_min`` and ``engagement >= engagement_min`` and
       ``acv >= acv_tier1`` -> 1
    3. (``intent >= intent_min`` or ``engagement >= engagement_min``) and
       ``acv >= acv_tier2`` -> 2
    4. otherwise -> 3

    Parameters
    ----------
    fit_score : array_like
        Fit (qualification) score, 0-100; ``None``/``nan`` -> untiered (0).
    intent_score : array_like
        Intent (surge) score, 0-100; ``None``/``nan`` counts as 0 (no signal).
    engagement_score : array_like
        Engagement score (minutes, :func:`engagement_scores`); ``>= 0``;
        ``None``/``nan`` counts as 0.
    expected_acv : array_like
        Expected annual contract value; ``>= 0``; ``None``/``nan`` counts as 0.
    fit_min, intent_min, engagement_min, acv_tier1, acv_tier2 : array_like, optional
        Thresholds; any number, not missing. Defaults: 70, 60, 10, 100000, 25000.

    Returns
    -------
    int or ndarray of int8
        0, 1, 2 or 3 per account.

    Examples
    --------
    >>> tier(85, 70, 12, 150000)
    1
    >>> tier(85, 70, 0, 50000)
    2
    >>> tier(85, 0, 0, 10000)
    3
    >>> tier(50, 90, 90, 900000)
    0
    >>> tier([85, 85, None], [70, None, 90], [12, 30, 90], [50000, 50000, 900000])
    array([2, 2, 0], dtype=int8)

    Notes
    -----
    The tiers are the "Goldilocks" tiers of seed article 004. The default
    thresholds follow the anchors: Demandbase's "Qualified" at a score of 70,
    Bombora's company surge of 60 ("spiking"), and Demandbase's "Engaged" at 10
    engagement minutes in 90 days.
    """
    call = _Call(
        "tier",
        fit_score=fit_score,
        intent_score=intent_score,
        engagement_score=engagement_score,
        expected_acv=expected_acv,
        fit_min=fit_min,
        intent_min=intent_min,
        engagement_min=engagement_min,
        acv_tier1=acv_tier1,
        acv_tier2=acv_tier2,
    )
    for name in ("fit_score", "intent_score"):
        call.at_least(name, 0)
        call.at_most(name, 100)
    call.at_least("engagement_score", 0)
    call.at_least("expected_acv", 0)
    v = call.values
    for name in ("fit_min", "intent_min", "engagement_min", "acv_tier1", "acv_tier2"):
        call.check(np.isnan(v[name]), f"{name} must not be missing", name)

    def passes(score: NDArray[np.float64], threshold: NDArray[np.float64]) -> NDArray[np.bool_]:
        # A missing score counts as 0; that only matters when 0 itself passes.
        met = score >= threshold
        zero_passes = threshold <= 0
        if zero_passes.any():
            met = np.where(np.isnan(score), zero_passes, met)
        return met

    fit_ok = v["fit_score"] >= v["fit_min"]
    intent_ok = passes(v["intent_score"], v["intent_min"])
    engaged = passes(v["engagement_score"], v["engagement_min"])
    acv1 = passes(v["expected_acv"], v["acv_tier1"])
    acv2 = passes(v["expected_acv"], v["acv_tier2"])
    tiers = np.select(
        [~fit_ok, intent_ok & engaged & acv1, (intent_ok | engaged) & acv2],
        [np.int8(0), np.int8(1), np.int8(2)],
        default=np.int8(3),
    )
    # np.select broadcasts its conditions, which read every argument: `tiers` is a
    # new int8 array of the call's shape already, which the caller may keep.
    if call.invalid is not None:
        tiers = np.where(call.invalid, np.int8(0), tiers)
    if call.scalar:
        return int(tiers)
    return tiers


# --------------------------------------------------------------------------- engagement


def _day_numbers(name: str, dates: Any) -> NDArray[np.int64]:
    """Dates -> int64 days since 1970-01-01 (time of day dropped; NaT -> int64 min);
    a view of ``dates`` when they are datetime64[D] already (never written to).

    Accepts numpy datetime64 arrays, pandas Series/DatetimeIndex (tz-aware values
    use their own wall-clock day), sequences of datetime.date/datetime and ISO
    8601 strings (parsed by numpy, which accepts nothing ambiguous).
    """
    if _is_pandas(dates):
        import pandas as pd

        values = pd.Series(dates) if isinstance(dates, pd.Index) else dates
        if isinstance(values, pd.Series) and isinstance(values.dtype, pd.DatetimeTZDtype):
            values = values.dt.tz_localize(None)
        dates = values.to_numpy() if hasattr(values, "to_numpy") else values
    array = np.asarray(dates)
    if array.dtype.kind != "M":
        try:
            array = np.asarray(_as_datetime64(array))
        except (TypeError, ValueError) as error:
            raise _engagement_error(
                f"{name} must be dates (datetime64, date, datetime or ISO 8601 text); {error}",
                name,
                "value",
            ) from None
    # No copy when the dates are already days: callers only read the result.
    return array.astype("datetime64[D]", copy=False).view(np.int64)


def _as_datetime64(array: NDArray[Any]) -> NDArray[np.datetime64]:
    if array.dtype.kind == "O":
        missing = np.equal(array, None)
        if missing.any():
            array = np.where(missing, np.datetime64("NaT"), array)
        if array.size and all(isinstance(x, _dt.datetime) for x in array.flat[:1]):
            # Aware datetimes: numpy would convert to UTC; keep the wall-clock day.
            array = np.frompyfunc(_naive, 1, 1)(array)
    if array.size == 0:
        return array.astype("datetime64[D]")
    if array.dtype.kind in "fiub":
        raise TypeError(f"got numbers of dtype {array.dtype}")
    return array.astype("datetime64")


def _naive(value: Any) -> Any:
    if isinstance(value, _dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value


def _as_of_day(as_of: Any) -> int:
    # None (like any missing date) becomes NaT, the day number that is refused here.
    day = _day_numbers("as_of", np.asarray([_naive(as_of)] if not _is_pandas(as_of) else [as_of]))
    if day[0] == np.iinfo(np.int64).min:
        raise _engagement_error(f"as_of must be a date; got {as_of!r}", "as_of", "value")
    return int(day[0])


def _engagement_error(
    message: str, argument: str, kind: str, index: tuple[int, ...] | None = None
) -> DomainError:
    """The DomainError of :func:`engagement_scores` for ``argument``."""
    return DomainError(
        f"engagement_scores: {message}",
        function="engagement_scores",
        argument=argument,
        index=index,
        kind=kind,
    )


def _scalar_parameter(name: str, value: Any, *, zero_allowed: bool) -> float:
    """A single number ``> 0`` (``>= 0`` when ``zero_allowed``) for parameter ``name``."""
    if isinstance(value, str | bytes) or np.ndim(value) != 0:
        raise _engagement_error(f"{name} must be a single number; got {value!r}", name, "value")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _engagement_error(f"{name} must be a number; got {value!r}", name, "value") from None
    if not (number >= 0 if zero_allowed else number > 0):
        bound = ">= 0" if zero_allowed else "> 0"
        raise _engagement_error(
            f"{name} must be {bound}; got {name}={_format_number(number)}", name, "num"
        )
    return number


def _ids(values: Any) -> Any:
    """Ids as an ndarray, or a pandas Categorical (whose codes spare the hashing)."""
    if _is_pandas(values):
        import pandas as pd

        if isinstance(values.dtype, pd.CategoricalDtype):
            return pd.Categorical(values)
        return values.to_numpy() if hasattr(values, "to_numpy") else np.asarray(values)
    array = np.asarray(values)
    if array.dtype.kind in "US":
        # A list mixing 7 and "7" must not become the text "7" twice; and numpy
        # fixed-width text would be re-boxed into Python strings by pandas anyway.
        # A nested list keeps its shape, so the caller's one-dimension check sees it.
        keep_shape = isinstance(values, np.ndarray) or array.ndim != 1
        array = array.astype(object) if keep_shape else _object_array(values)
    return array


def _object_array(values: Any) -> NDArray[np.object_]:
    array = np.empty(len(values), dtype=object)
    array[:] = list(values)
    return array


def _join_codes(
    account_ids: Any, event_ids: Any, selected: NDArray[np.intp]
) -> tuple[NDArray[np.intp], NDArray[np.intp], int]:
    """Integer codes shared by the accounts and the selected events.

    Equal ids get equal codes: duplicate account ids share a score; events of
    ids that are no account get codes no account reads (or -1); missing ids
    (None/nan) get -1. A Categorical hashes only its categories and translates
    the events' integer codes; integer ids in a compact range index a table;
    any other ids get one ``pd.factorize`` over accounts followed by events.
    """
    import pandas as pd

    account_values = np.asarray(account_ids)
    n_accounts = account_values.size
    if isinstance(event_ids, pd.Categorical):
        categories = np.asarray(event_ids.categories)
        codes, uniques = pd.factorize(_concat_ids(account_values, categories))
        category_codes = codes[n_accounts:]
        event_category = event_ids.codes.take(selected)
        event_codes = np.where(
            event_category >= 0, category_codes.take(event_category, mode="clip"), -1
        )
        return codes[:n_accounts], event_codes, len(uniques)
    dense = _dense_int_codes(account_values, event_ids, selected)
    if dense is not None:
        return dense
    codes, uniques = pd.factorize(_concat_ids(account_values, event_ids.take(selected)))
    return codes[:n_accounts], codes[n_accounts:], len(uniques)


# Integer account ids spanning at most this many values per account are looked up
# in a table indexed by the id itself (8 bytes per value of the span).
_DENSE_SPAN_PER_ACCOUNT = 4


def _dense_int_codes(
    account_values: NDArray[Any], event_ids: NDArray[Any], selected: NDArray[np.intp]
) -> tuple[NDArray[np.intp], NDArray[np.intp], int] | None:
    """Codes of integer ids in a compact range (row numbers, 0..n-1 keys) without
    hashing: a table from id - min to the first account of that id. None when
    the ids are not both integer arrays or their span is too sparse."""
    n_accounts = account_values.size
    if (
        n_accounts == 0
        or account_values.dtype.kind not in "iu"
        or event_ids.dtype.kind not in "iu"
        or np.result_type(account_values.dtype, event_ids.dtype).kind not in "iu"
    ):
        return None
    low, high = int(account_values.min()), int(account_values.max())
    span = high - low + 1
    if span > _DENSE_SPAN_PER_ACCOUNT * n_accounts + 1024 or high > np.iinfo(np.int64).max:
        return None
    # In int64: narrow types (int8 -128..127) would overflow in the subtraction.
    offsets = (account_values.astype(np.int64) - low).astype(np.intp, copy=False)
    first = np.full(span, -1, dtype=np.intp)
    # Reversed, so that the first account of a repeated id wins the slot.
    first[offsets[::-1]] = np.arange(n_accounts - 1, -1, -1)
    account_codes = first.take(offsets)
    events = event_ids.take(selected)
    inside = (events >= low) & (events <= high)  # numpy compares with any Python int
    # Ids outside (uint64 ones may wrap in int64) are replaced before subtracting.
    event_offsets = np.where(inside, events.astype(np.int64, copy=False), low) - low
    event_codes = np.where(inside, first.take(event_offsets), -1)
    return account_codes, event_codes, n_accounts


def _concat_ids(first: NDArray[Any], second: NDArray[Any]) -> NDArray[Any]:
    # Mixed kinds (int accounts, object events, ...) are joined as Python objects,
    # so 7 and "7" stay different ids while 7 and 7.0 match, as in a dict.
    if first.dtype != second.dtype and (first.dtype.kind in "OUS" or second.dtype.kind in "OUS"):
        return np.concatenate([first.astype(object), second.astype(object)])
    return np.concatenate([first, second])


def engagement_scores(
    account_ids: Iterable[Hashable] | ArrayLike,
    event_account_ids: Iterable[Hashable] | ArrayLike,
    event_dates: Any,
    event_weights: ArrayLike,
    as_of: Any,
    window_days: float = 90,
    half_life_days: float | None = None,
) -> NDArray[np.float64]:
    """Engagement score per account: the weighted, optionally decayed, recent events.

    .. math::

        score_a = \\sum_{e \\in a,\\; 0 \\le age_e \\le window} w_e \\cdot
        0.5^{age_e / half\\_life}, \\qquad age_e = as\\_of - date_e \\text{ in days}

    Without a half-life the decay factor is 1: the plain sum of weights
    (engagement minutes, when weights are minutes).

    Parameters
    ----------
    account_ids : sequence of hashable
        The accounts to score, in output order (str, int, ...). A repeated id
        gets the same score at every position; a missing id (None/nan) scores nan.
    event_account_ids : sequence of hashable
        Account of each event; ids not in ``account_ids`` are ignored.
    event_dates : dates
        Date of each event: numpy datetime64, pandas Series/DatetimeIndex,
        datetime.date/datetime objects or ISO 8601 strings ("2026-03-31").
        Time of day is ignored; ages are whole calendar days.
    event_weights : array_like
        Weight of each event (minutes, points); ``>= 0``.
    as_of : date
        The day ages are measured from: date, datetime, numpy datetime64,
        pandas Timestamp or ISO string. Required: never defaults to today.
    window_days : float, optional
        Events aged 0..window_days days (both ends included) count; ``>= 0``;
        default 90. Events dated after ``as_of`` (negative age) never count.
    half_life_days : float or None, optional
        Days after which an event's weight halves; ``> 0``; None (default) for
        no decay.

    Returns
    -------
    ndarray of float64
        One score per entry of ``account_ids``, in order; 0 for an account
        without counted events; ``nan`` when a counted event of the account has
        a missing weight or date.

    Raises
    ------
    DomainError
        A negative or non-numeric weight (index = the event's position), event
        arrays of different lengths, unreadable dates, a bad window or half-life.

    Examples
    --------
    >>> ids = ["A", "B", "C"]
    >>> events = ["A", "A", "B", "Z", "A"]
    >>> dates = ["2026-03-30", "2025-11-01", "2026-03-01", "2026-03-30", "2026-04-02"]
    >>> weights = [30, 10, 2, 5, 100]
    >>> engagement_scores(ids, events, dates, weights, "2026-03-31")
    array([30.,  2.,  0.])
    >>> engagement_scores(ids, events, dates, weights, "2026-03-31", half_life_days=30)
    array([29.31, 1.  , 0.  ])

    Notes
    -----
    One vectorized pass, O(accounts + events): the window mask is taken on
    integer day numbers first, only the events inside it are matched to the
    accounts, and the decayed weights are summed with ``np.bincount``. Matching
    costs least for integer ids in a compact range (row numbers: a lookup
    table) and for a ``Categorical`` (only its categories are hashed); any
    other ids go through one ``pd.factorize``. The refresh passes row numbers.
    docs/metrics.md has the figures.

    Demandbase counts "engagement minutes" per account and calls an account
    "Engaged" at 10 minutes in the last 90 days; those are the defaults of
    :func:`tier` and of the workbook's Settings sheet.
    """
    window = _scalar_parameter("window_days", window_days, zero_allowed=True)
    half_life = (
        None
        if half_life_days is None
        else _scalar_parameter("half_life_days", half_life_days, zero_allowed=False)
    )
    today = _as_of_day(as_of)
    collector = _collector_var.get()

    accounts = _ids(account_ids)
    if accounts.ndim != 1:
        raise _engagement_error("account_ids must be one-dimensional", "account_ids", "value")
    event_ids = _ids(event_account_ids)
    days = _day_numbers("event_dates", event_dates)
    weights, non_numeric, raw_weights = _to_float(event_weights)
    lengths = {"event_account_ids": len(event_ids), "event_dates": days.size}
    lengths["event_weights"] = weights.size
    if days.ndim != 1 or weights.ndim != 1 or len(set(lengths.values())) != 1:
        described = ", ".join(f"{name} {n}" for name, n in lengths.items())
        raise _engagement_error(
            f"event arrays must be one-dimensional and of one length; got {described}",
            "event_account_ids",
            "value",
        )

    # Validate every event's weight, counted or not: a negative weight is bad data.
    bad_weight = None
    if weights.size and np.fmin.reduce(weights) < 0:
        bad_weight = weights < 0
    if collector is None:
        for mask, kind, message in (
            (non_numeric, "value", "event_weights must be a number"),
            (bad_weight, "num", "event_weights must be >= 0"),
        ):
            if mask is not None:
                position = int(np.argmax(mask))
                source = raw_weights if kind == "value" else weights
                raise _engagement_error(
                    f"{message}; got event_weights={_format_number(source[position])} "
                    f"at index {position}",
                    "event_weights",
                    kind,
                    index=(position,),
                )

    # Window first (cheap integer arithmetic), so only counted events are hashed.
    nat = days == np.iinfo(np.int64).min
    age = today - days  # wraps for NaT to an age no window reaches; `nat` marks them
    # One unsigned comparison is 0 <= age <= window: negative ages wrap to huge
    # ones. Ages are whole days, so a fractional window counts its whole part.
    counted = age.view(np.uint64) <= np.uint64(math.floor(min(window, 2.0**62)))
    counted |= nat
    if weights.ndim and (non_numeric is not None or bad_weight is not None):
        flagged = np.zeros(weights.shape, dtype=np.int8)
        if bad_weight is not None:
            flagged[bad_weight] = ERROR_NUM
        if non_numeric is not None:
            flagged[non_numeric] = ERROR_VALUE
        counted |= flagged > 0
    else:
        flagged = None
    selected = np.flatnonzero(counted)
    account_codes, event_codes, n_keys = _join_codes(accounts, event_ids, selected)

    contribution = weights[selected]
    if half_life is not None:
        with _errstate():
            contribution = contribution * np.exp2(-age[selected] / half_life)
    contribution = np.where(nat[selected], np.nan, contribution)
    # Unknown ids got codes of their own that no account reads; missing ids got -1.
    named = event_codes >= 0
    sums = np.bincount(event_codes[named], weights=contribution[named], minlength=n_keys)
    missing_id = account_codes < 0
    scores = np.where(missing_id, np.nan, sums.take(account_codes, mode="clip"))
    if collector is not None:
        errors = np.zeros(n_keys, dtype=np.int8)
        if flagged is not None:
            np.maximum.at(errors, event_codes[named], flagged[selected][named])
        errors = np.where(missing_id, np.int8(0), errors.take(account_codes, mode="clip"))
        scores = np.where(errors > 0, np.nan, scores)
        collector.start(scores.shape)
        collector.mark(errors == ERROR_NUM, ERROR_NUM)
        collector.mark(errors == ERROR_VALUE, ERROR_VALUE)
    return np.asarray(scores, dtype=np.float64)


# The analytics contract's metrics live in their own module; they use the helpers above.
from abmxl.metrics.analytics import engagement_trend, lift, tier_reason  # noqa: E402

# At the end: the attribution module reads the helpers defined above.
from abmxl.metrics.attribution import attribution_shares  # noqa: E402
