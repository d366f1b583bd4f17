"""Words as CRMs write them: Y/N flags, tiers, statuses, types (ingest.md section 4).

Each rule runs once per distinct value of a column (``TextColumn.uniques``).

>>> statuses(["6 - Closed Won", "Closed Lost", "closedwon", "Negotiation", "Won/Lost"])
['won', 'lost', 'won', 'open', 'open']
>>> parse_tiers(["Tier 1", "tier_2", "T3", 1.0, "Non-target", "Tier 0", "gold"]).values
array([ 1.,  2.,  3.,  1.,  0.,  0., nan])
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from abmxl.engine.ingest.cells import ParsedColumn, as_object_array, parse_text
from abmxl.engine.ingest.numbers import parse_numbers
from abmxl.schema import OPPORTUNITY_TYPES, normalize_token

__all__ = ["LOST", "OPEN", "WON", "opportunity_type", "parse_tiers", "parse_yn", "statuses"]

WON, LOST, OPEN = "won", "lost", "open"

_YES = frozenset({"y", "yes", "true", "1", "x", "✓", "✔", "☑"})
_NO = frozenset({"n", "no", "false", "0", "-", "✗", "✘"})
_TIER_WORD = re.compile(r"^(?:tier[\s_\-]*|t)?([0-3])$")
_NON_TARGET = frozenset({"nontarget", "nottarget", "nontargeted"})


def parse_yn(values: object) -> ParsedColumn:
    """Y/N flags as floats 1.0/0.0 (``nan`` where blank or unreadable).

    Y/Yes/True/1/x/✓ are yes; N/No/False/0/- are no, in any case.
    """
    column = parse_text(as_object_array(values))
    tokens = np.array([t.lower() for t in column.uniques], dtype=object)
    flag = np.where(np.isin(tokens, list(_YES)), 1.0, np.where(np.isin(tokens, list(_NO)), 0.0, 2))
    per_row = column.map_uniques(flag.astype(np.float64), np.nan)
    unreadable = per_row == 2
    per_row[unreadable] = np.nan
    return ParsedColumn(per_row, column.blank, unreadable)


def _tier_of_word(text: str) -> float:
    word = text.strip().lower()
    match = _TIER_WORD.match(word)
    if match:
        return float(match.group(1))
    if re.sub(r"[\s_\-]+", "", word) in _NON_TARGET:
        return 0.0
    return np.nan


def parse_tiers(values: object) -> ParsedColumn:
    """Tier numbers 0-3: numbers, and labels ``Tier 1``, ``tier_1``, ``T1``, ``Non-target``.

    A number other than 0-3 is returned as it is (the caller reports it); a
    text that is no tier label is unreadable.
    """
    values = as_object_array(values)
    parsed = parse_numbers(values)
    if not parsed.unreadable.any():
        return parsed
    rows = np.flatnonzero(parsed.unreadable)
    codes, uniques = pd.factorize(values[rows])
    tiers = np.array([_tier_of_word(str(u)) for u in uniques], dtype=np.float64)[codes]
    found = ~np.isnan(tiers)
    parsed.values[rows[found]] = tiers[found]
    parsed.unreadable[rows[found]] = False
    return parsed


def statuses(texts: Iterable[str], value_map: Mapping[str, str] | None = None) -> list[str]:
    """``won``, ``lost`` or ``open`` of each status text.

    After lower-casing and splitting at anything that is not a letter, a text
    whose words include ``won`` or ``closedwon`` (and not ``lost``) is won, one
    whose words include ``lost`` or ``closedlost`` (and not ``won``) is lost,
    anything else is open. ``value_map`` (ValueMap, keys lower-cased and
    stripped, values ``won``/``lost``/``open``) wins over the words.
    """
    out = []
    for text in texts:
        mapped = value_map.get(text.strip().lower()) if value_map else None
        if mapped is not None:
            out.append(mapped)
            continue
        words = set(re.split(r"[^a-z]+", text.lower()))
        won = bool(words & {"won", "closedwon"})
        lost = bool(words & {"lost", "closedlost"})
        out.append(WON if won and not lost else LOST if lost and not won else OPEN)
    return out


def opportunity_type(text: str, value_map: Mapping[str, str] | None = None) -> str | None:
    """The canonical type of a type text (``None`` when it is no known type)."""
    if value_map:
        mapped = value_map.get(text.strip().lower())
        if mapped is not None:
            return mapped
    return OPPORTUNITY_TYPES.get(normalize_token(text))
