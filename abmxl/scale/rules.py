"""What every engine shares: ingest's header matching and parsing, lookups, DataIssues.

The engines never parse a text date or number themselves beyond a plain cast:
the distinct texts of a column (a date column holds a few thousand distinct
days however many events) are parsed here by ingest.md's rules
(:func:`abmxl.engine.ingest.dates.parse_dates`,
:func:`abmxl.engine.ingest.numbers.parse_numbers`) and joined back in the
engine as a small lookup table. Headers are matched by ingest's
:func:`~abmxl.engine.ingest.headers.match_columns` (synonyms, ColumnMap).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from abmxl.engine.events.computed import ComputedEvents, EventQuery
from abmxl.engine.events.table import NO_DAY
from abmxl.engine.ingest.dates import parse_dates
from abmxl.engine.ingest.headers import header_key, match_columns
from abmxl.engine.ingest.numbers import parse_numbers
from abmxl.engine.issues import SKIPPED, WEIGHT_ZERO, treated_as_blank
from abmxl.engine.settings import channel_key
from abmxl.scale.source import EventSource, SourceError
from abmxl.schema import ENGAGEMENT, ISSUE_COLUMNS

__all__ = [
    "ISSUE_CAP",
    "ISSUE_RULES",
    "account_table",
    "channel_table",
    "computed_events",
    "date_table",
    "issue_frame",
    "match_headers",
    "number_table",
]

ISSUE_CAP = 1000
"""DataIssues rows listed per SOURCE; one more row counts the rest (scale.md)."""

# (code, column, problem, action), in the order the sheet path applies them;
# codes 1-5 skip the row, 6-8 repair a kept row.
ISSUE_RULES: tuple[tuple[int, str, str, str], ...] = (
    (1, "account_id", "blank account_id", SKIPPED),
    (2, "account_id", "unknown account_id", SKIPPED),
    (3, "date", "blank date", SKIPPED),
    (4, "channel", "blank channel", SKIPPED),
    (5, "date", "unreadable date", SKIPPED),
    (6, "weight", "unreadable number", treated_as_blank("weight")),
    (7, "weight", "negative weight", treated_as_blank("weight")),
    (8, "channel", "unknown channel with no weight", WEIGHT_ZERO),
)


def match_headers(headers: Sequence[str], query: EventQuery, source: EventSource) -> dict[str, str]:
    """Column -> SOURCE header, by ingest's synonyms and the ColumnMap."""
    match = match_columns(list(headers), ENGAGEMENT, query.column_map)
    missing = [c for c in ENGAGEMENT.required_columns if c not in match.positions]
    if missing:
        raise SourceError(
            f"engagement source {source.text}: no column for {', '.join(missing)} "
            f"(columns: {', '.join(map(str, headers))})"
        )
    wanted = ("date", "account_id", "channel", "weight")
    return {c: str(headers[match.positions[c]]) for c in wanted if c in match.positions}


def renamed(headers: dict[str, str]) -> dict[str, str]:
    """The columns read from a header other than their own name (the Inputs' Columns)."""
    return {c: h for c, h in headers.items() if header_key(h) != header_key(c)}


def account_table(query: EventQuery) -> pd.DataFrame:
    """Account id (text) -> account position: the table the events are joined with."""
    return pd.DataFrame(
        {
            "account_id": pd.array(query.account_ids.astype(str), dtype=object),
            "account": np.arange(query.n_accounts, dtype=np.int64),
        }
    )


def channel_table(channels: Sequence[str], query: EventQuery) -> pd.DataFrame:
    """Each distinct channel text -> its ChannelWeights key and weight (nan: unknown)."""
    texts = [str(c) for c in channels]
    keys = [query.channel_names.get(t.strip().lower()) or channel_key(t) for t in texts]
    return pd.DataFrame(
        {
            "channel_text": pd.Series(texts, dtype=object),
            "channel_key": pd.Series(keys, dtype=object),
            "channel_weight": np.array(
                [query.channel_weights.get(k, np.nan) for k in keys], dtype=np.float64
            ),
        }
    )


def date_table(values: Sequence[object], order: str) -> pd.DataFrame:
    """Each distinct date text (or number) -> its day number; nan where unreadable."""
    texts = np.asarray(list(values), dtype=object)
    parsed = parse_dates(texts, order=order)
    days = parsed.values.astype("datetime64[D]").view(np.int64).astype(np.float64)
    days[np.isnat(parsed.values)] = np.nan
    return pd.DataFrame({"date_text": pd.Series(texts.astype(str), dtype=object), "day": days})


def number_table(values: Sequence[object], decimal: str) -> pd.DataFrame:
    """Each distinct number text -> its value; nan where unreadable."""
    texts = np.asarray(list(values), dtype=object)
    parsed = parse_numbers(texts, decimal=decimal)
    return pd.DataFrame(
        {"number_text": pd.Series(texts.astype(str), dtype=object), "number": parsed.values}
    )


def issue_frame(
    listed: pd.DataFrame, total: int, headers: dict[str, str], source: EventSource
) -> pd.DataFrame:
    """DataIssues rows of SOURCE from ``listed`` (columns file, row, code, value; the
    first ``ISSUE_CAP`` by file and row) and ``total`` issues in all."""
    rules = {code: (column, problem, action) for code, column, problem, action in ISSUE_RULES}
    codes = listed["code"].to_numpy(dtype=np.int64)
    columns = [rules[c][0] for c in codes]
    frame = pd.DataFrame(
        {
            "Sheet": pd.Series([Path(f).name for f in listed["file"]], dtype=object),
            "Row": pd.Series(listed["row"].to_numpy(dtype=np.int64).tolist(), dtype=object),
            "Column": pd.Series([headers.get(c, c) for c in columns], dtype=object),
            "Value": pd.Series(
                [None if v is None or v != v else v for v in listed["value"]], dtype=object
            ),
            "Problem": pd.Series([rules[c][1] for c in codes], dtype=object),
            "Action": pd.Series([rules[c][2] for c in codes], dtype=object),
        },
        columns=list(ISSUE_COLUMNS),
    )
    if total > len(frame):
        more = pd.DataFrame(
            {
                "Sheet": [Path(source.files[0]).name if len(source.files) == 1 else source.text],
                "Row": [None],
                "Column": [None],
                "Value": [None],
                "Problem": [f"{total - len(frame)} more rows with issues not listed"],
                "Action": [f"only the first {ISSUE_CAP} are listed"],
            },
            dtype=object,
        )
        frame = pd.concat([frame, more], ignore_index=True)
    return frame


def _per_account(n: int, frame: pd.DataFrame, column: str, fill: float) -> np.ndarray:
    out = np.full(n, fill, dtype=np.float64)
    out[frame["account"].to_numpy(dtype=np.int64)] = frame[column].to_numpy(dtype=np.float64)
    return out


def _days(n: int, frame: pd.DataFrame, column: str) -> np.ndarray:
    out = np.full(n, NO_DAY, dtype=np.int64)
    out[frame["account"].to_numpy(dtype=np.int64)] = frame[column].to_numpy(dtype=np.int64)
    return out


def computed_events(
    query: EventQuery,
    *,
    scores: dict[int, pd.DataFrame],
    per_account: pd.DataFrame,
    engaged: pd.DataFrame,
    period_touches: pd.DataFrame,
    opportunity_touches: pd.DataFrame,
    issues: pd.DataFrame,
    source: EventSource,
    rows_read: int,
    rows_used: int,
    columns: dict[str, str] | None = None,
) -> ComputedEvents:
    """Per-account arrays from an engine's small result frames (column ``account``).

    ``scores[day]``: account, score; ``per_account``: account, first_day,
    touches, recent, baseline (events up to as_of); ``engaged``: account,
    engaged_day; ``opportunity_touches``: account, day, weight, channel.
    """
    n = query.n_accounts
    touches = opportunity_touches
    return ComputedEvents(
        n_accounts=n,
        as_of_day=query.as_of_day,
        scores={day: _per_account(n, frame, "score", 0.0) for day, frame in scores.items()},
        first_touch=_days(n, per_account, "first_day"),
        touches=_per_account(n, per_account, "touches", 0.0),
        recent=_per_account(n, per_account, "recent", 0.0),
        baseline=_per_account(n, per_account, "baseline", 0.0)
        * (query.recent_days / query.baseline_days),
        engaged_day=_days(n, engaged, "engaged_day"),
        period_touches=period_touches.reset_index(drop=True),
        opportunity_touches=pd.DataFrame(
            {
                "account": touches["account"].to_numpy(dtype=np.int64),
                "date": touches["day"]
                .to_numpy(dtype=np.int64)
                .astype("datetime64[D]")
                .astype("datetime64[s]"),
                "weight": touches["weight"].to_numpy(dtype=np.float64),
                "channel": pd.Series(touches["channel"].to_numpy(dtype=object), dtype=object),
            }
        ),
        issues=issues,
        source=source.label,
        rows_read=rows_read,
        rows_used=rows_used,
        columns=renamed(columns or {}),
    )
