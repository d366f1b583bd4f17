"""Multi-touch attribution: the share of a journey's credit each touch gets.

One function, :func:`attribution_shares`, implements the seven models of
``shared/spec/analytics.md`` section 8. It is vectorized over any number of
journeys: the touches are ordered by (journey, date, row) with one stable sort
(skipped when they already are), and every model is then segment arithmetic on
the sorted arrays (``np.add.reduceat`` over the journey boundaries, positions
from cumulative counts); there is no Python loop over journeys.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from abmxl.metrics import (
    ERROR_DIV0,
    ERROR_NUM,
    ERROR_VALUE,
    DomainError,
    FloatResult,
    _collector_var,
    _day_numbers,
    _errstate,
    _format_number,
    _ids,
    _is_pandas,
    _to_float,
)

__all__ = ["ATTRIBUTION_MODELS", "attribution_shares"]

ATTRIBUTION_MODELS = (
    "first",
    "last",
    "linear",
    "u_shaped",
    "w_shaped",
    "time_decay",
    "weighted",
)
"""The models of :func:`attribution_shares`, in the order the Attribution table lists them."""

_NAT = np.iinfo(np.int64).min
# Position-based (U-shaped) and W-shaped weights of the spec.
_U_END, _U_MIDDLE = 0.4, 0.2
_W_MILESTONE, _W_REST = 0.3, 0.1


def _error(message: str, argument: str | None, kind: str, index: int | None = None) -> DomainError:
    return DomainError(
        f"attribution_shares: {message}",
        function="attribution_shares",
        argument=argument,
        index=None if index is None else (index,),
        kind=kind,
    )


def _days(name: str, dates: Any, n: int) -> NDArray[np.int64]:
    """Day numbers of one per-touch date argument (a single date stretches to n)."""
    try:
        values = [dates] if not _is_pandas(dates) and np.ndim(dates) == 0 else dates
        days = _day_numbers(name, values)
    except DomainError as error:
        message = str(error).partition(": ")[2]
        raise _error(message, name, "value") from None
    if days.ndim != 1 or days.size not in (1, n):
        raise _error(f"{name} must hold one date per touch; got {days.size} for {n}", name, "value")
    return np.broadcast_to(days, (n,)) if days.size != n else days


def _journey_codes(journey: Any) -> tuple[NDArray[np.int64], int]:
    """Integer code per touch (equal ids, equal codes; -1 for a missing id) and the
    number of codes. Integer ids in a compact range are used as they are."""
    import pandas as pd

    ids = _ids(journey)
    if isinstance(ids, pd.Categorical):
        return ids.codes.astype(np.int64), len(ids.categories)
    if ids.ndim != 1:
        raise _error("journey must be one-dimensional", "journey", "value")
    if ids.dtype.kind in "iu" and ids.size:
        low, high = int(ids.min()), int(ids.max())
        if high - low <= 4 * ids.size + 1024:
            return ids.astype(np.int64) - low, high - low + 1
    codes, uniques = pd.factorize(ids)
    return codes.astype(np.int64, copy=False), len(uniques)


def _touch_order(codes: NDArray[np.int64], n_codes: int, days: NDArray[np.int64]) -> NDArray[Any]:
    """Positions of the touches ordered by journey, date, then row (stable).

    One int64 key (journey code x day span + day) and one stable argsort; no
    sort at all when the touches are in that order already (the engine's are).
    """
    if codes.size == 0:
        return np.zeros(0, dtype=np.intp)
    low = int(days.min())
    span = int(days.max()) - low + 1
    if n_codes * span < 2**62:
        key = codes * span + (days - low)
        if bool((key[1:] >= key[:-1]).all()):
            return slice(None)  # type: ignore[return-value]
        return np.argsort(key, kind="stable")
    return np.lexsort((days, codes))


def attribution_shares(
    journey: ArrayLike,
    touch_dates: Any,
    end_dates: Any,
    model: str,
    created_dates: Any = None,
    weights: ArrayLike | None = None,
    half_life_days: float = 30,
) -> FloatResult:
    """Share of its journey's credit each touch gets under an attribution model.

    A journey's touches :math:`t_1 .. t_n` are ordered by date, then by their
    position in the input (stable), and share a credit of 1:

    .. math::

        \\text{first: } s_1 = 1 \\qquad \\text{last: } s_n = 1 \\qquad
        \\text{linear: } s_i = 1/n

        \\text{u\\_shaped: } s_1 = s_n = 0.4,\\; s_i = 0.2/(n-2) \\text{ otherwise}
        \\quad (n = 1: 1;\\; n = 2: 1/2 \\text{ each})

        \\text{w\\_shaped: } s_i = 0.3\\,([i = 1] + [i = c] + [i = n])
        + \\begin{cases} 0.1 / (n - m) & i \\notin M \\\\
        0.1 / m & i \\in M,\\; n = m \\\\ 0 & \\text{otherwise} \\end{cases}

        \\text{time\\_decay: } s_i \\propto 0.5^{age_i / half\\_life},\\quad
        age_i = end - date_i \\qquad \\text{weighted: } s_i \\propto w_i

    where :math:`c` is the last touch dated on or before the journey's created
    date (:math:`t_1` when none is), :math:`M = \\{1, c, n\\}` the distinct
    milestone touches and :math:`m = |M|`.

    Parameters
    ----------
    journey : sequence of hashable
        The journey of each touch (str, int, ...; integer ids such as row
        numbers are fastest). Touches of one journey need not be adjacent. A
        missing id (None/nan) gives that touch ``nan``.
    touch_dates : dates
        Date of each touch: numpy datetime64, pandas Series, datetime.date /
        datetime objects or ISO 8601 text; time of day is ignored.
    end_dates : dates
        The end of each touch's journey (its opportunity's created date for a
        pipeline journey, close date for a revenue journey): one per touch, or
        one date for all; must be the same for every touch of a journey and on
        or after each of its touches. Used by ``time_decay`` (ages).
    model : {"first", "last", "linear", "u_shaped", "w_shaped", "time_decay", "weighted"}
        The attribution model (case and surrounding spaces ignored).
    created_dates : dates, optional
        The journey's created date per touch (or one for all), used by
        ``w_shaped`` to find the opportunity-creation touch; default: the end
        dates (a pipeline journey ends on its created date).
    weights : array_like, optional
        Weight of each touch (engagement minutes), ``>= 0``; required by
        ``weighted``. A journey whose weights are all 0 gets ``nan``.
    half_life_days : float, optional
        Days after which a touch's ``time_decay`` weight halves; ``> 0``;
        default 30.

    Returns
    -------
    float or ndarray of float64
        The share of each touch, in input order; the shares of a journey sum to
        1. ``nan`` for every touch of a journey with a missing date or weight.
        A single (scalar) touch returns a ``float``.

    Raises
    ------
    DomainError
        An unknown model, a half-life not > 0, unreadable dates, arguments of
        different lengths, a negative or non-numeric weight, a touch after its
        journey's end, or end/created dates that differ within a journey.

    Examples
    --------
    The spec's revenue journey: touches 30 and 10 days before the opportunity
    was created (2026-03-01), on that day and 20 days after; closed 40 days
    after it was created.

    >>> journey = [7, 7, 7, 7]
    >>> touches = ["2026-01-30", "2026-02-19", "2026-03-01", "2026-03-21"]
    >>> attribution_shares(journey, touches, "2026-04-10", "u_shaped")
    array([0.4, 0.1, 0.1, 0.4])
    >>> attribution_shares(journey, touches, "2026-04-10", "w_shaped", "2026-03-01")
    array([0.3, 0.1, 0.3, 0.3])
    >>> attribution_shares(journey, touches, "2026-04-10", "time_decay").round(4)
    array([0.1288, 0.2045, 0.2577, 0.409 ])
    >>> attribution_shares(journey, touches, "2026-04-10", "weighted", weights=[1, 30, 30, 120])
    array([0.00552486, 0.16574586, 0.16574586, 0.66298343])

    Notes
    -----
    Cost: one stable sort of the touches (none when they come ordered by
    journey and date), then a few passes of ``np.add.reduceat`` and gathers;
    docs/benchmarks.md has the figures for 20 million touches.

    References
    ----------
    .. [1] Salesforce, "Supported Multi-Touch Attribution Models" (Marketing
       Cloud Marketing Intelligence): first touch, last touch, linear, time
       decay, U-shape (40 % first, 40 % last, 20 % between).
       https://help.salesforce.com/s/articleView?id=mktg.mc_mi_mta_models.htm
    .. [2] Google Ads API, ``AttributionModelEnum``: first click, linear,
       position-based (40 % / 20 % / 40 %), time decay with a one-week
       half-life. https://developers.google.com/google-ads/api/reference/rpc/v17/AttributionModelEnum.AttributionModel
    .. [3] Adobe Marketo Measure (Bizible), "Attribution models": U-shaped,
       W-shaped (first touch, lead creation and opportunity creation
       milestones) and full path. https://experienceleague.adobe.com/en/docs/marketo-measure-learn/tutorials/definitions/attribution/attribution-models
    .. [4] DP6, marketing-attribution-models (Python): heuristic first, last,
       linear, position-based and time-decay models.
       https://github.com/DP6/Marketing-Attribution-Models
    """
    name = str(model).strip().lower() if isinstance(model, str) else None
    if name not in ATTRIBUTION_MODELS:
        raise _error(
            f"model must be one of {', '.join(ATTRIBUTION_MODELS)}; got {model!r}", "model", "value"
        )
    half_life = _half_life(half_life_days)
    scalar = not _is_pandas(journey) and np.ndim(journey) == 0
    codes, n_codes = _journey_codes([journey] if scalar else journey)
    n = codes.size
    touch = _days("touch_dates", touch_dates, n)
    if touch.size != n:
        raise _error(
            f"touch_dates must hold one date per touch; got {touch.size} for {n}",
            "touch_dates",
            "value",
        )
    end = _days("end_dates", end_dates, n)
    created = end if created_dates is None else _days("created_dates", created_dates, n)
    weight = _weights(weights, n) if name == "weighted" else None

    collector = _collector_var.get()
    # Per-touch problems: a code per touch (0 = none), checked or collected.
    flagged = np.zeros(n, dtype=np.int8)
    after_end = (touch > end) & (touch != _NAT) & (end != _NAT)
    flagged[after_end] = ERROR_NUM
    if weight is not None:
        values, bad_text = weight
        if bad_text is not None:
            flagged[bad_text] = ERROR_VALUE
        flagged[values < 0] = np.maximum(flagged[values < 0], ERROR_NUM)
    if collector is None and flagged.any():
        position = int(np.argmax(flagged > 0))
        if after_end[position]:
            raise _error(
                "a touch must be dated on or before its journey's end; got touch "
                f"at index {position} after it",
                "touch_dates",
                "num",
                position,
            )
        assert weight is not None
        kind = "value" if flagged[position] == ERROR_VALUE else "num"
        shown = _format_number(weight[0][position]) if kind == "num" else "text"
        raise _error(
            f"weights must be numbers >= 0; got {shown} at index {position}",
            "weights",
            kind,
            position,
        )

    order = _touch_order(codes, n_codes, touch)
    sorted_codes = codes[order]
    boundary = np.empty(n, dtype=bool)
    if n:
        boundary[0] = True
        np.not_equal(sorted_codes[1:], sorted_codes[:-1], out=boundary[1:])
    starts = np.flatnonzero(boundary)
    counts = np.diff(np.append(starts, n))
    size = np.repeat(counts, counts)
    position = np.arange(n) - np.repeat(starts, counts)
    sorted_touch = touch[order]

    # Whole-journey problems: end or created dates that differ within a journey.
    # Compared with the previous touch (cheaper than with the journey's first).
    sorted_end = end[order]
    sorted_created = sorted_end if created is end else created[order]
    varying = _changes_within(sorted_end, boundary)
    if created is not end:
        varying |= _changes_within(sorted_created, boundary)
    if collector is None and varying.any():
        raise _error(
            "end_dates and created_dates must be the same for every touch of a journey",
            "end_dates",
            "value",
        )
    sorted_weight = None if weight is None else weight[0][order]

    with _errstate():
        shares = _model_shares(
            name,
            position,
            size,
            starts,
            counts,
            sorted_touch,
            sorted_end,
            sorted_created,
            sorted_weight,
            half_life,
        )
        # Missing data: a touch without a date (or weight) leaves its journey unknown;
        # so does a bad element under `evaluate`.
        missing = (sorted_touch == _NAT) | (sorted_end == _NAT) | (sorted_codes < 0)
        if created is not end:
            missing |= sorted_created == _NAT
        if sorted_weight is not None:
            missing |= np.isnan(sorted_weight)
        journey_codes = flagged[order] if flagged.any() else None
        if varying.any():
            journey_codes = np.maximum(
                flagged[order], np.where(varying, ERROR_VALUE, 0).astype(np.int8)
            )
        if journey_codes is not None:
            missing |= journey_codes > 0
        if missing.any():
            spoiled = np.repeat(np.add.reduceat(missing, starts) > 0, counts)
            shares = np.where(spoiled, np.nan, shares)

    out = np.empty(n, dtype=np.float64)
    out[order] = shares
    if collector is not None:
        if journey_codes is None:
            journey_codes = np.zeros(n, dtype=np.int8)
        worst = (
            np.repeat(np.maximum.reduceat(journey_codes, starts), counts) if n else journey_codes
        )
        if sorted_weight is not None and n:
            total = np.add.reduceat(np.nan_to_num(sorted_weight), starts)
            worst = np.maximum(
                worst, np.repeat(np.where(total == 0, ERROR_DIV0, 0), counts).astype(np.int8)
            )
        errors = np.empty(n, dtype=np.int8)
        errors[order] = worst
        out[errors > 0] = np.nan
        collector.start(out.shape)
        for code in (ERROR_DIV0, ERROR_NUM, ERROR_VALUE):
            collector.mark(errors == code, code)
    if scalar:
        return float(out[0])
    return out


def _changes_within(values: NDArray[np.int64], boundary: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """True where a value differs from the previous touch's in the same journey."""
    changed = np.zeros(values.size, dtype=bool)
    if values.size > 1:
        np.not_equal(values[1:], values[:-1], out=changed[1:])
        changed &= ~boundary
    return changed


def _half_life(value: Any) -> float:
    if isinstance(value, str | bytes) or np.ndim(value) != 0:
        raise _error(
            f"half_life_days must be a single number; got {value!r}", "half_life_days", "value"
        )
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _error(
            f"half_life_days must be a number; got {value!r}", "half_life_days", "value"
        ) from None
    if not number > 0:
        raise _error(
            f"half_life_days must be > 0; got half_life_days={_format_number(number)}",
            "half_life_days",
            "num",
        )
    return number


def _weights(weights: Any, n: int) -> tuple[NDArray[np.float64], NDArray[np.bool_] | None]:
    if weights is None:
        raise _error("the weighted model needs weights", "weights", "value")
    values, bad_text, _ = _to_float(weights)
    if values.ndim == 0:
        values = np.full(n, float(values))
        bad_text = None if bad_text is None else np.full(n, bool(bad_text))
    if values.shape != (n,):
        raise _error(
            f"weights must hold one number per touch; got {values.size} for {n}", "weights", "value"
        )
    return values, bad_text


def _model_shares(
    name: str,
    position: NDArray[np.int64],
    size: NDArray[np.int64],
    starts: NDArray[np.intp],
    counts: NDArray[np.int64],
    touch: NDArray[np.int64],
    end: NDArray[np.int64],
    created: NDArray[np.int64],
    weight: NDArray[np.float64] | None,
    half_life: float,
) -> NDArray[np.float64]:
    """Shares of touches sorted by (journey, date, row): ``position`` within the
    journey (0-based), ``size`` of the journey, both per touch."""
    first = position == 0
    last = position == size - 1
    if name == "first":
        return first.astype(np.float64)
    if name == "last":
        return last.astype(np.float64)
    if name == "linear":
        return 1.0 / size
    if name == "u_shaped":
        middle = _U_MIDDLE / np.maximum(size - 2, 1)
        ends = np.where(size == 1, 1.0, np.where(size == 2, 0.5, _U_END))
        return np.where(first | last, ends, middle)
    if name == "w_shaped":
        # Touches dated on or before the created date are a prefix of the journey.
        on_or_before = (
            np.add.reduceat((touch <= created).astype(np.int64), starts)
            if starts.size
            else np.zeros(0, dtype=np.int64)
        )
        created_at = np.maximum(on_or_before - 1, 0)  # t1 when no touch is
        creation = position == np.repeat(created_at, counts)
        milestones = 1 + (created_at > 0) + ((counts > 1) & (counts - 1 != created_at))
        others = np.repeat(counts - milestones, counts)
        is_milestone = first | creation | last
        rest = np.where(
            is_milestone,
            np.where(others == 0, _W_REST / np.repeat(milestones, counts), 0.0),
            _W_REST / np.maximum(others, 1),
        )
        return _W_MILESTONE * (first.astype(np.float64) + creation + last) + rest
    if name == "time_decay":
        age = (end - touch).astype(np.float64)
        # Relative to the journey's youngest touch, so the largest weight is 1:
        # the same shares, and no underflow to 0/0 for old journeys.
        youngest = np.repeat(np.minimum.reduceat(age, starts), counts) if starts.size else age
        decay = np.exp2(-(age - youngest) / half_life)
        return decay / np.repeat(np.add.reduceat(decay, starts), counts) if starts.size else decay
    assert weight is not None
    return weight / np.repeat(np.add.reduceat(weight, starts), counts) if starts.size else weight
