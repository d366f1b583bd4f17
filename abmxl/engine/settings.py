"""The Settings and ChannelWeights sheets -> ``Settings`` and channel weights.

Settings are read first: their ``decimal_separator`` and ``date_order`` say
how every other sheet's text numbers and dates are read (ingest.md section 4).
An ``as_of`` that is filled but unreadable stops the refresh (``InputError``):
a guessed date would shift every window and tier (ingest.md section 6).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from abmxl import schema
from abmxl.engine.ingest.dates import AMBIGUOUS_ORDER, DATE_FORMATS_ACCEPTED, parse_dates
from abmxl.engine.ingest.numbers import parse_numbers
from abmxl.engine.issues import DEFAULT_USED, SKIPPED, IssueLog
from abmxl.engine.model import RawTable
from abmxl.engine.required import InputError
from abmxl.engine.sheet import InputInfo, InputSheet, Reading, duplicated
from abmxl.schema import (
    CHANNEL_WEIGHTS,
    DEFAULT_CHANNEL_WEIGHTS,
    DEFAULT_SETTINGS,
    SETTINGS,
    normalize_header,
)

__all__ = [
    "FRACTION_SETTINGS",
    "Settings",
    "channel_key",
    "clean_channel_weights",
    "clean_settings",
]

# Settings that are fractions: "10%" is 0.10, and 10 is read as 10 % and reported.
FRACTION_SETTINGS = frozenset({"gross_margin", "discount_rate"})


@dataclass(frozen=True)
class Settings:
    """The Settings sheet after defaults and overrides (``schema.DEFAULT_SETTINGS``)."""

    as_of: dt.date
    fit_min: float
    intent_min: float
    engagement_min: float
    acv_tier1: float
    acv_tier2: float
    window_days: float
    half_life_days: float | None
    gross_margin: float
    discount_rate: float
    customer_lifetime_years: float
    decimal_separator: str = "."
    date_order: str = "auto"
    period: str = "quarter"
    trend_periods: float = 12.0
    spike_recent_days: float = 7.0
    spike_baseline_days: float = 28.0
    spike_min_lift: float = 1.0
    spike_min_recent: float = 3.0
    attribution_window_days: float = 90.0
    attribution_half_life_days: float = 30.0
    attribution_model: str = "w_shaped"
    engagement_source: str | None = None  # scale.md: events outside the workbook
    # ingest.md section 6: as_of was blank (today used); values not used.
    as_of_is_today: bool = False
    settings_ignored: int = 0


# The values a setting accepts beyond "a finite number": the rule and how the
# DataIssues row words it.
_SETTING_DOMAINS: dict[str, tuple[Callable[[float], bool], str]] = {
    "window_days": (lambda x: x >= 0, "window_days must be 0 or more"),
    "half_life_days": (lambda x: x > 0, "half_life_days must be more than 0"),
    "gross_margin": (lambda x: 0 <= x <= 1, "gross_margin must be between 0 and 1"),
    # A negative discount rate would make clv_from_churn's series diverge.
    "discount_rate": (lambda x: x >= 0, "discount_rate must be 0 or more"),
    "customer_lifetime_years": (lambda x: x > 0, "customer_lifetime_years must be more than 0"),
    "trend_periods": (
        lambda x: x >= 1 and x == int(x),
        "trend_periods must be a whole number of 1 or more",
    ),
    "spike_recent_days": (lambda x: x > 0, "spike_recent_days must be more than 0"),
    "spike_baseline_days": (lambda x: x > 0, "spike_baseline_days must be more than 0"),
    "spike_min_lift": (lambda x: x >= 0, "spike_min_lift must be 0 or more"),
    "spike_min_recent": (lambda x: x >= 0, "spike_min_recent must be 0 or more"),
    "attribution_window_days": (lambda x: x >= 0, "attribution_window_days must be 0 or more"),
    "attribution_half_life_days": (
        lambda x: x > 0,
        "attribution_half_life_days must be more than 0",
    ),
}


def _text_setting(name: str, value: object) -> str | None:
    """The canonical word of a text setting, or None when it is not one of them."""
    if isinstance(value, float) and name == "decimal_separator":
        return None
    word = str(value).strip()
    for allowed in schema.TEXT_SETTINGS[name]:
        if word.casefold() == allowed.casefold():
            return allowed
    return None


def _reading_words(keys: list[str | None], cells: np.ndarray) -> dict[str, str]:
    """decimal_separator and date_order, needed before any other value is parsed."""
    words: dict[str, str] = {}
    for key, cell in zip(keys, cells, strict=True):
        name = None if key is None else normalize_header(key)
        if name in ("decimal_separator", "date_order") and name not in words and cell is not None:
            word = _text_setting(name, cell)
            if word is not None:
                words[name] = word
    return words


def clean_settings(
    raw: RawTable | None, today: dt.date, log: IssueLog, reading: Reading | None = None
) -> tuple[Settings, InputInfo]:
    """Settings with defaults for what the sheet leaves blank or gets wrong.

    Raises
    ------
    InputError
        ``as_of`` is filled but is not a date.
    """
    values: dict[str, object] = dict(DEFAULT_SETTINGS)
    # The value column is parsed below, as a date or a number by key.
    # ``reading`` brings the ColumnMap; numbers and dates follow the sheet's own words.
    sheet = InputSheet(raw, SETTINGS, ("key",), log, reading, footers=False)
    ignored = 0
    if sheet.usable and len(sheet):
        keys = sheet.text["key"].text
        cells = sheet.raw["value"]
        words = _reading_words(list(keys), cells)
        decimal = words.get("decimal_separator", ".")
        numbers = parse_numbers(cells, decimal=decimal)
        fractions = parse_numbers(cells, decimal=decimal, percent="fraction")
        seen: set[str] = set()
        problems: list[tuple[int, str, str, str]] = []  # (position, column, problem, action)
        # The Settings sheet has a dozen rows: a loop is the clear way to apply it.
        for i, key in enumerate(keys):
            name = None if key is None else normalize_header(key)
            if name is None:
                problems.append((i, "key", "blank key", SKIPPED))
            elif name not in DEFAULT_SETTINGS:
                problems.append((i, "key", "unknown setting", SKIPPED))
            elif name in seen:
                problems.append((i, "key", "duplicate key", SKIPPED))
            elif numbers.blank[i]:
                seen.add(name)  # a blank value means the default
            elif name in schema.FREE_TEXT_SETTINGS:
                seen.add(name)
                values[name] = str(cells[i]).strip()
            elif name in schema.TEXT_SETTINGS:
                seen.add(name)
                word = _text_setting(name, cells[i])
                if word is None:
                    allowed = ", ".join(schema.TEXT_SETTINGS[name])
                    problems.append((i, "value", f"{name} must be one of {allowed}", DEFAULT_USED))
                else:
                    values[name] = word
            elif name == "as_of":
                seen.add(name)
                date = parse_dates(cells[i : i + 1], order=words.get("date_order", "auto"))
                if date.unreadable[0]:
                    raise InputError(
                        f"as_of in {sheet.sheet} row {sheet.rows[i]} is {cells[i]!r}, not a date: "
                        f"write {DATE_FORMATS_ACCEPTED}, or leave it blank for today"
                    )
                values[name] = date.values[0].astype("datetime64[D]").item()
                if date.note == AMBIGUOUS_ORDER:
                    problem, _, action = AMBIGUOUS_ORDER.partition(": ")
                    problems.append((i, "value", problem, action))
            else:
                seen.add(name)
                fraction = name in FRACTION_SETTINGS
                parsed = fractions if fraction else numbers
                number = float(parsed.values[i])
                rule, domain_problem = _SETTING_DOMAINS.get(name, (None, ""))
                if parsed.unreadable[i]:
                    problems.append((i, "value", "unreadable number", DEFAULT_USED))
                    continue
                as_percent = isinstance(cells[i], str) and cells[i].strip().endswith("%")
                if fraction and not as_percent and 1 < number <= 100:
                    problems.append(
                        (i, "value", f"{name} {number:g} is more than 1", f"read as {number:g}%")
                    )
                    number /= 100.0
                if rule is not None and not rule(number):
                    problems.append((i, "value", domain_problem, DEFAULT_USED))
                else:
                    values[name] = number
        for i, column, problem, action in problems:
            value = keys[i] if column == "key" else cells[i]
            ignored += action == DEFAULT_USED and column == "value"
            log.add(
                sheet.name,
                sheet.rows[i : i + 1],
                sheet.column_label(column),
                np.array([value], dtype=object),
                problem,
                action,
            )
    sheet.kept()
    if values["as_of"] is None:
        values["as_of"] = today
        values["as_of_is_today"] = True
    values["settings_ignored"] = int(ignored)
    return Settings(**values), sheet.info  # type: ignore[arg-type]


def channel_key(channel: object) -> str:
    """How channels are matched: case-insensitive, spaces = underscores."""
    return normalize_header(channel)


def clean_channel_weights(
    raw: RawTable | None, log: IssueLog, reading: Reading | None = None
) -> tuple[dict[str, float], InputInfo]:
    weights = dict(DEFAULT_CHANNEL_WEIGHTS)
    sheet = InputSheet(raw, CHANNEL_WEIGHTS, ("channel", "weight"), log, reading, footers=False)
    if not sheet.usable or not len(sheet):
        return weights, sheet.info
    channel = sheet.text["channel"]
    keys = np.array([channel_key(c) for c in channel.uniques], dtype=object)
    key_codes, _ = pd.factorize(keys)
    sheet.skip_where(channel.blank, "channel", "blank channel", blank_value=True)
    sheet.skip_where(
        duplicated(np.append(key_codes, -1)[channel.codes]), "channel", "duplicate channel"
    )
    sheet.skip_blank_required("weight")
    sheet.skip_unreadable("weight")
    sheet.skip_negative("weight")
    kept = sheet.kept()
    row_keys = channel.map_uniques(keys, None)[kept]
    weights.update(zip(row_keys, sheet.parsed["weight"].values[kept].tolist(), strict=True))
    return weights, sheet.info
