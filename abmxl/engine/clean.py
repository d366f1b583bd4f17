"""Raw workbook cells -> typed tables, and every data-issue rule of the spec.

Every reader (python-calamine for files, xlwings inside Excel, a CSV reader, a
test) hands over ``RawTable`` objects holding the cells as the workbook holds
them. This module is the one place that decides what is usable, so every
front door reports the same ``DataIssues``. It never raises on bad data: a
cell it cannot use skips its row, or is repaired or counted as blank, and the
row is reported. The one exception is a filled but unreadable Settings
``as_of`` (``InputError``, ingest.md section 6).

The steps, each in its own module:

- ``ingest.headers``: the header row of a plain range, and which header fills
  which column (names, ``ingest.synonyms``, ColumnMap);
- ``ingest.numbers``, ``ingest.dates``, ``ingest.words``: values as CRMs
  write them (currency, separators, percent, month names, day/month order,
  tier labels, Y/N variants, status words, ValueMap);
- ``sheet.InputSheet``: blank rows, total rows, footers and the skip/repair
  bookkeeping; ``settings``: Settings and ChannelWeights;
- this module: the rules of each data sheet and the ``Inputs`` table.

Cell rules (``docs/funnel.md`` and ``docs/ingest.md`` explain each choice):

- blank: ``None``, ``nan``/``NaT``, or text that is empty or only whitespace.
  Any other text is a value, so ``"NA"`` is an account id.
- id and text columns keep text as written, stripped of surrounding
  whitespace (``account_name`` alone is kept unstripped); numbers become their
  text form, ``1001`` and ``1001.0`` both ``"1001"``, so ids match across
  sheets whatever the cell type.
- a bad cell in a required column skips its row; in an optional column it
  counts as blank and the row is kept (ingest.md section 5).

Performance: all work is per column over numpy object arrays (type masks,
``pd.factorize`` then per-distinct-value work for text); no Python loop runs
over the rows of a table, only over distinct values or the Settings sheet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from abmxl.engine.events.computed import ComputedEvents
from abmxl.engine.ingest.cells import ParsedColumn, TextColumn, parse_text
from abmxl.engine.ingest.dates import parse_dates
from abmxl.engine.ingest.maps import MapIssue, read_column_map, read_value_map
from abmxl.engine.ingest.numbers import parse_numbers
from abmxl.engine.ingest.words import LOST, OPEN, WON, opportunity_type, parse_yn, statuses
from abmxl.engine.issues import (
    AMOUNT_AS_ZERO,
    AS_NEW_BUSINESS,
    AS_UNTIERED,
    OUT_OF_TIME_KPIS,
    SHEET_EMPTY,
    WEIGHT_ZERO,
    IssueLog,
)
from abmxl.engine.model import RawTable
from abmxl.engine.settings import Settings, channel_key, clean_channel_weights, clean_settings
from abmxl.engine.sheet import InputInfo, InputSheet, Reading
from abmxl.schema import (
    ACCOUNTS,
    COLUMN_MAP,
    CONTACTS,
    ENGAGEMENT,
    INPUT_SHEETS,
    NEW_BUSINESS,
    OPPORTUNITIES,
    SPEND,
    SURVEYS,
    VALUE_MAP,
)

__all__ = [
    "INPUTS_COLUMNS",
    "LOST",
    "OPEN",
    "WON",
    "CleanBook",
    "ParsedColumn",
    "Settings",
    "TextColumn",
    "channel_key",
    "clean_book",
    "parse_dates",
    "parse_numbers",
    "parse_text",
    "parse_yn",
]

INPUTS_COLUMNS = ("Input", "Source", "Rows read", "Rows skipped", "Columns")
FIT_MISSING_ACTION = "every account treated as in the ideal customer profile"


# --- the data sheets ---------------------------------------------------------


@dataclass
class CleanBook:
    """Typed, validated input tables: what the funnel is computed from.

    Accounts are numbered by their position in ``accounts``; the other tables
    refer to them through an ``account`` column of those positions. A table is
    ``None`` when its sheet holds no usable data (missing, empty, or every row
    skipped): its KPIs are blank.
    """

    settings: Settings
    channel_weights: dict[str, float]
    accounts: pd.DataFrame
    """account_id, account_name, fit_score, intent_score, expected_acv, tier_override."""
    has_expected_acv: bool
    contacts: pd.DataFrame | None
    """account, engaged (bool)."""
    engagement: pd.DataFrame | None
    """account, date (datetime64[s]), weight, channel (``channel_key`` form)."""
    opportunities: pd.DataFrame
    """account, type, status (won/lost/open), amount, term_years, one_time_fees,
    created_date, close_date, timed (usable for time-based KPIs)."""
    spend: pd.DataFrame | None
    """tier (nan = program-wide), amount, date (datetime64[s]); channel (``channel_key``
    form, None when blank) when the sheet has that optional column."""
    surveys: pd.DataFrame | None
    """account, score."""
    issues: pd.DataFrame
    inputs: pd.DataFrame | None = None
    """``Inputs`` (ingest.md section 7): columns ``INPUTS_COLUMNS``, one row per input."""
    computed_events: ComputedEvents | None = None
    """scale.md: the event-level results of an engine, when the events are a SOURCE."""


@dataclass
class _AccountIndex:
    """Account ids of the kept Accounts rows, and of the skipped ones."""

    kept: pd.Index
    skipped: pd.Index

    def lookup(self, sheet: InputSheet, name: str = "account_id") -> np.ndarray:
        """Account position of each row of ``sheet`` (-1: blank or unknown); skips those rows."""
        column = sheet.text[name]
        positions = self.kept.get_indexer(column.uniques)
        account = np.append(positions, -1)[column.codes]
        of_skipped_account = (positions < 0) & pd.Index(column.uniques).isin(self.skipped)
        sheet.skip_where(column.blank, name, f"blank {name}", blank_value=True)
        sheet.skip_where(
            np.append(of_skipped_account, False)[column.codes],
            name,
            f"{name} of a skipped Accounts row",
        )
        sheet.skip_where(account < 0, name, f"unknown {name}")
        return account


_ACCOUNT_NUMBERS = ("fit_score", "intent_score", "expected_acv", "tier_override")


def _clean_accounts(
    raw: RawTable | None, log: IssueLog, reading: Reading, fit_min: float
) -> tuple[pd.DataFrame, _AccountIndex, bool, InputInfo]:
    sheet = InputSheet(
        raw,
        ACCOUNTS,
        ("account_id", "account_name", *_ACCOUNT_NUMBERS),
        log,
        reading,
        as_written=("account_name",),
    )
    if raw is None:
        log.add_sheet_issue(ACCOUNTS.name, None, "required sheet missing", SHEET_EMPTY)
    if not sheet.usable:
        empty = pd.DataFrame(
            {
                "account_id": pd.Series(dtype=object),
                "account_name": pd.Series(dtype=object),
                **{c: pd.Series(dtype=float) for c in _ACCOUNT_NUMBERS},
            }
        )
        no_accounts = _AccountIndex(pd.Index([], dtype=object), pd.Index([], dtype=object))
        return empty, no_accounts, False, sheet.info
    has_fit = "fit_score" in sheet.parsed
    if not has_fit:
        # ingest.md section 3: the table is the target account list itself.
        log.add_sheet_issue(sheet.name, "fit_score", "column missing", FIT_MISSING_ACTION)
    blank_fit = sheet.parsed["fit_score"].blank.copy() if has_fit else None
    sheet.skip_blank_or_duplicate_id("account_id")
    # ingest.md section 5: a bad optional cell counts as blank; the row stays.
    sheet.blank_unreadable(*_ACCOUNT_NUMBERS)
    sheet.blank_negative("expected_acv")
    for name in ("fit_score", "intent_score"):
        if name in sheet.parsed:
            score = sheet.parsed[name].values
            sheet.blank_where((score < 0) | (score > 100), name, f"{name} outside 0-100")
    sheet.blank_not_a_tier("tier_override")
    kept = sheet.kept()
    for name in ("fit_score", "intent_score"):
        if name in sheet.parsed and _looks_like_fractions(sheet.parsed[name].values[kept]):
            # A reader that cannot see number formats (xlwings Lite) hands a typed 85 %
            # over as 0.85: the numbers are used as written, but never silently.
            log.add_sheet_issue(
                sheet.name, sheet.column_label(name), SCORES_AS_FRACTIONS, SCORES_AS_WRITTEN
            )
    fit = sheet.numbers("fit_score", kept) if has_fit else np.full(len(kept), fit_min)
    override = sheet.numbers("tier_override", kept)
    # A blank fit score is untiered (metrics.tier); say so unless an override sets the tier.
    if blank_fit is not None:
        untiered = np.zeros(len(sheet), dtype=bool)
        untiered[kept] = blank_fit[kept] & np.isnan(override)
        log.add(
            sheet.name,
            sheet.rows[untiered],
            sheet.column_label("fit_score"),
            np.full(int(untiered.sum()), None, dtype=object),
            "blank fit_score",
            AS_UNTIERED,
        )
    ids = sheet.text["account_id"]
    names = sheet.text["account_name"].text[kept] if "account_name" in sheet.text else None
    accounts = pd.DataFrame(
        {
            "account_id": ids.text[kept],
            "account_name": names if names is not None else np.full(len(kept), None, object),
            "fit_score": fit,
            "intent_score": sheet.numbers("intent_score", kept),
            "expected_acv": sheet.numbers("expected_acv", kept),
            "tier_override": override,
        }
    )
    kept_ids = pd.Index(accounts["account_id"].to_numpy(dtype=object), dtype=object)
    skipped_codes = np.unique(ids.codes[sheet.skip & (ids.codes >= 0)])
    skipped_ids = pd.Index(ids.uniques[skipped_codes], dtype=object).difference(kept_ids)
    index = _AccountIndex(kept_ids, skipped_ids)
    return accounts, index, "expected_acv" in sheet.parsed, sheet.info


SCORES_AS_FRACTIONS = "every score is between 0 and 1 (a 0-100 scale was expected)"
SCORES_AS_WRITTEN = "read as written; if they are percentages, type 85 for 85 % or format as %"


def _looks_like_fractions(scores: np.ndarray) -> bool:
    """0-100 scores that all lie in [0, 1], some strictly inside: 85 % read as 0.85?"""
    present = scores[np.isfinite(scores)]
    return bool(present.size) and bool(
        (present <= 1).all() and ((present > 0) & (present < 1)).any()
    )


def _no_data(sheet: InputSheet, kept: np.ndarray) -> bool:
    return not sheet.usable or len(kept) == 0


def _clean_contacts(
    raw: RawTable | None, accounts: _AccountIndex, log: IssueLog, reading: Reading
) -> tuple[pd.DataFrame | None, InputInfo]:
    sheet = InputSheet(raw, CONTACTS, ("contact_id", "account_id", "engaged"), log, reading)
    if not sheet.usable:
        return None, sheet.info
    sheet.skip_blank_or_duplicate_id("contact_id")
    account = accounts.lookup(sheet)
    if "engaged" in sheet.parsed:
        sheet.blank_where(sheet.parsed["engaged"].unreadable.copy(), "engaged", "unreadable Y/N")
    kept = sheet.kept()
    if _no_data(sheet, kept):
        return None, sheet.info
    engaged = sheet.numbers("engaged", kept, blank=0.0) == 1.0
    return pd.DataFrame({"account": account[kept], "engaged": engaged}), sheet.info


def _channel_keys(column: TextColumn, value_map: Mapping[str, str]) -> np.ndarray:
    """ChannelWeights key of each distinct channel text; ValueMap wins."""
    return np.array(
        [value_map.get(c.strip().lower()) or channel_key(c) for c in column.uniques], dtype=object
    )


def _clean_engagement(
    raw: RawTable | None,
    accounts: _AccountIndex,
    weights: Mapping[str, float],
    log: IssueLog,
    reading: Reading,
) -> tuple[pd.DataFrame | None, InputInfo]:
    sheet = InputSheet(raw, ENGAGEMENT, ("date", "account_id", "channel", "weight"), log, reading)
    if not sheet.usable:
        return None, sheet.info
    account = accounts.lookup(sheet)
    sheet.skip_blank_required("date", "channel")
    sheet.skip_unreadable("date")
    sheet.blank_unreadable("weight")
    sheet.blank_negative("weight")
    channel = sheet.text["channel"]
    keys = _channel_keys(channel, reading.value_map.for_column(ENGAGEMENT.name, "channel"))
    channel_weight = np.array([weights.get(k, np.nan) for k in keys], dtype=np.float64)
    default_weight = channel.map_uniques(channel_weight, np.nan)
    weight = sheet.parsed["weight"].values if "weight" in sheet.parsed else None
    own_weight_blank = (
        sheet.parsed["weight"].blank if weight is not None else np.ones(len(sheet), dtype=bool)
    )
    unknown_unweighted = own_weight_blank & np.isnan(default_weight) & ~channel.blank
    sheet.repair_where(unknown_unweighted, "channel", "unknown channel with no weight", WEIGHT_ZERO)
    kept = sheet.kept()
    if _no_data(sheet, kept):
        return None, sheet.info
    filled = np.where(np.isnan(default_weight), 0.0, default_weight)
    if weight is not None:
        filled = np.where(own_weight_blank, filled, weight)
    frame = pd.DataFrame(
        {
            "account": account[kept],
            "date": sheet.parsed["date"].values[kept],
            "weight": filled[kept],
            # object, not pandas' str dtype: a channel is text, never nan.
            "channel": pd.Series(channel.map_uniques(keys, None)[kept], dtype=object),
        }
    )
    return frame, sheet.info


def _opportunity_types(
    column: TextColumn, value_map: Mapping[str, str]
) -> tuple[np.ndarray, np.ndarray]:
    """Type of each row, and which rows held a type the spec does not know."""
    canonical = np.array([opportunity_type(t, value_map) for t in column.uniques], dtype=object)
    unknown = np.append(pd.isna(canonical), False)[column.codes]
    types = column.map_uniques(np.where(pd.isna(canonical), NEW_BUSINESS, canonical), NEW_BUSINESS)
    return types, unknown


def _statuses(column: TextColumn, value_map: Mapping[str, str]) -> np.ndarray:
    status = np.array(statuses(column.uniques, value_map), dtype=object)
    return column.map_uniques(status, None)


def _clean_opportunities(
    raw: RawTable | None, accounts: _AccountIndex, log: IssueLog, reading: Reading
) -> tuple[pd.DataFrame, InputInfo]:
    uses = tuple(column.name for column in OPPORTUNITIES.columns)  # every column counts
    sheet = InputSheet(raw, OPPORTUNITIES, uses, log, reading)
    if raw is None:
        log.add_sheet_issue(OPPORTUNITIES.name, None, "required sheet missing", SHEET_EMPTY)
    if not sheet.usable:
        empty = pd.DataFrame(
            {
                "account": np.zeros(0, dtype=np.int64),
                "type": np.zeros(0, dtype=object),
                "status": np.zeros(0, dtype=object),
                **{c: np.zeros(0) for c in ("amount", "term_years", "one_time_fees")},
                "created_date": np.zeros(0, dtype="datetime64[s]"),
                "close_date": np.zeros(0, dtype="datetime64[s]"),
                "timed": np.zeros(0, dtype=bool),
            }
        )
        return empty, sheet.info
    sheet.skip_blank_or_duplicate_id("opportunity_id")
    account = accounts.lookup(sheet)
    sheet.skip_blank_required("status")
    sheet.skip_unreadable("amount", "created_date")
    sheet.skip_negative("amount")
    sheet.blank_unreadable("term_years", "one_time_fees", "close_date")
    sheet.blank_negative("one_time_fees")
    n = len(sheet)
    amount = sheet.numbers("amount", np.arange(n), blank=0.0)
    if "term_years" in sheet.parsed:
        term_given = sheet.parsed["term_years"].values
        sheet.blank_where(term_given <= 0, "term_years", "term_years not more than 0")
    if "one_time_fees" in sheet.parsed:
        fees_given = sheet.parsed["one_time_fees"].values
        sheet.blank_where(fees_given > amount, "one_time_fees", "one_time_fees more than amount")
    term = sheet.numbers("term_years", np.arange(n), blank=1.0)
    fees = sheet.numbers("one_time_fees", np.arange(n), blank=0.0)
    type_map = reading.value_map.for_column(OPPORTUNITIES.name, "type")
    if "type" in sheet.text:
        types, unknown_type = _opportunity_types(sheet.text["type"], type_map)
    else:
        types, unknown_type = np.full(n, NEW_BUSINESS, dtype=object), np.zeros(n, dtype=bool)
    sheet.repair_where(
        sheet.parsed["amount"].blank, "amount", "blank amount", AMOUNT_AS_ZERO, blank_value=True
    )
    created = sheet.parsed["created_date"].values
    close = (
        sheet.parsed["close_date"].values
        if "close_date" in sheet.parsed
        else np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
    )
    sheet.repair_where(
        np.isnat(created), "created_date", "blank created_date", OUT_OF_TIME_KPIS, blank_value=True
    )
    close_first = close < created  # False wherever either is NaT
    sheet.repair_where(
        close_first, "close_date", "close_date before created_date", OUT_OF_TIME_KPIS
    )
    sheet.repair_where(unknown_type, "type", "unknown type", AS_NEW_BUSINESS)
    kept = sheet.kept()
    status_map = reading.value_map.for_column(OPPORTUNITIES.name, "status")
    frame = pd.DataFrame(
        {
            "account": account[kept],
            "type": types[kept],
            "status": _statuses(sheet.text["status"], status_map)[kept],
            "amount": amount[kept],
            "term_years": term[kept],
            "one_time_fees": fees[kept],
            "created_date": created[kept],
            "close_date": close[kept],
            "timed": (~np.isnat(created) & ~close_first)[kept],
        }
    )
    return frame, sheet.info


def _clean_spend(raw: RawTable | None, log: IssueLog, reading: Reading):
    sheet = InputSheet(raw, SPEND, ("date", "tier", "amount", "channel"), log, reading)
    if not sheet.usable:
        return None, sheet.info
    sheet.skip_blank_required("date")
    sheet.skip_unreadable("date", "amount")
    sheet.skip_negative("amount")
    sheet.blank_unreadable("tier")
    sheet.blank_not_a_tier("tier")
    sheet.repair_where(
        sheet.parsed["amount"].blank, "amount", "blank amount", AMOUNT_AS_ZERO, blank_value=True
    )
    kept = sheet.kept()
    if _no_data(sheet, kept):
        return None, sheet.info
    amount = sheet.numbers("amount", kept, blank=0.0)
    frame = pd.DataFrame(
        {
            "tier": sheet.numbers("tier", kept),
            "amount": amount,
            "date": sheet.parsed["date"].values[kept],
        }
    )
    if "channel" in sheet.text:  # optional (analytics.md section 8): blank = no channel
        column = sheet.text["channel"]
        keys = _channel_keys(column, reading.value_map.for_column(SPEND.name, "channel"))
        frame["channel"] = pd.Series(column.map_uniques(keys, None)[kept], dtype=object)
    return frame, sheet.info


def _clean_surveys(raw: RawTable | None, accounts: _AccountIndex, log: IssueLog, reading: Reading):
    sheet = InputSheet(raw, SURVEYS, ("account_id", "score"), log, reading)
    if not sheet.usable:
        return None, sheet.info
    account = accounts.lookup(sheet)
    sheet.skip_blank_required("score")
    sheet.skip_unreadable("score")
    score = sheet.parsed["score"].values
    not_nps = (score < 0) | (score > 10) | (score != np.round(score))
    sheet.skip_where(not_nps & ~np.isnan(score), "score", "score not a whole number 0-10")
    kept = sheet.kept()
    if _no_data(sheet, kept):
        return None, sheet.info
    return pd.DataFrame({"account": account[kept], "score": score[kept]}), sheet.info


def _inputs_frame(infos: list[InputInfo]) -> pd.DataFrame:
    """The ``Inputs`` table: where each input was read, and what was used."""
    frame = pd.DataFrame(
        {
            "Input": [i.name for i in infos],
            "Source": [i.source for i in infos],
            "Rows read": [i.rows_read for i in infos],
            "Rows skipped": [i.rows_skipped for i in infos],
            "Columns": [
                "; ".join(f"{column} <- {header}" for column, header in i.columns.items())
                for i in infos
            ],
        },
        columns=list(INPUTS_COLUMNS),
    ).astype({"Input": object, "Source": object, "Columns": object})
    frame.attrs["columns"] = [dict(i.columns) for i in infos]
    return frame


def _log_map_issues(log: IssueLog, issues: list[MapIssue]) -> None:
    for issue in issues:
        if issue.row is None:
            log.add_sheet_issue(issue.sheet, issue.column, issue.problem, issue.action)
            continue
        log.add(
            issue.sheet,
            np.array([issue.row]),
            issue.column,
            np.array([issue.value], dtype=object),
            issue.problem,
            issue.action,
        )


def clean_book(tables: Mapping[str, RawTable | None], today: dt.date) -> CleanBook:
    """Typed tables and DataIssues from the raw input sheets.

    Parameters
    ----------
    tables : mapping of str to RawTable or None
        Keyed by canonical sheet name (``schema.INPUT_SHEETS``, plus
        ``ColumnMap`` and ``ValueMap``); a missing key or ``None`` means the
        sheet is absent.
    today : datetime.date
        The as-of date when Settings leaves ``as_of`` blank.

    Returns
    -------
    CleanBook
        Never raises on bad cells: every row skipped or repaired is a row of
        ``issues`` (columns ``schema.ISSUE_COLUMNS``).

    Raises
    ------
    InputError
        Settings ``as_of`` is filled but is not a date (ingest.md section 6).
    """
    # DataIssues name the worksheet each input was read from (its rows are worksheet rows).
    log = IssueLog(
        sheets={name: raw.sheet or name for name, raw in tables.items() if raw is not None}
    )
    column_map = read_column_map(tables.get(COLUMN_MAP.name))
    value_map = read_value_map(tables.get(VALUE_MAP.name))
    _log_map_issues(log, [*column_map.issues, *value_map.issues])
    settings, settings_info = clean_settings(
        tables.get("Settings"), today, log, Reading(column_map=column_map)
    )
    reading = Reading(settings.decimal_separator, settings.date_order, column_map, value_map)
    weights, weights_info = clean_channel_weights(tables.get("ChannelWeights"), log, reading)
    accounts, index, has_acv, accounts_info = _clean_accounts(
        tables.get(ACCOUNTS.name), log, reading, settings.fit_min
    )
    contacts, contacts_info = _clean_contacts(tables.get(CONTACTS.name), index, log, reading)
    engagement, engagement_info = _clean_engagement(
        tables.get(ENGAGEMENT.name), index, weights, log, reading
    )
    opportunities, opportunities_info = _clean_opportunities(
        tables.get(OPPORTUNITIES.name), index, log, reading
    )
    spend, spend_info = _clean_spend(tables.get(SPEND.name), log, reading)
    surveys, surveys_info = _clean_surveys(tables.get(SURVEYS.name), index, log, reading)
    infos = [
        settings_info,
        weights_info,
        accounts_info,
        contacts_info,
        engagement_info,
        opportunities_info,
        spend_info,
        surveys_info,
    ]
    assert [i.name for i in infos] == list(INPUT_SHEETS)
    for name, raw in (
        (COLUMN_MAP.name, tables.get(COLUMN_MAP.name)),
        (VALUE_MAP.name, tables.get(VALUE_MAP.name)),
    ):
        if raw is not None:
            infos.append(InputInfo(name, raw.source or f"sheet {raw.sheet}"))
    return CleanBook(
        settings=settings,
        channel_weights=weights,
        accounts=accounts,
        has_expected_acv=has_acv,
        contacts=contacts,
        engagement=engagement,
        opportunities=opportunities,
        spend=spend,
        surveys=surveys,
        issues=log.frame(),
        inputs=_inputs_frame(infos),
    )
