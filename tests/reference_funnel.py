"""A deliberately plain second implementation of the funnel contract.

``reference_summary`` reads the same ``RawTable``s as ``abmxl.engine.build_summary``
and computes tiers, engagement scores, stages, ``FunnelStages``, every
``FunnelKPIs`` key and the DataIssues (sheet, row, column) of the rules in
``shared/spec/workbook.md`` and ``shared/spec/metrics.md``, with row loops,
dicts and ``datetime`` only. It shares no code with ``abmxl.engine`` or
``abmxl.metrics`` (not even ``abmxl.schema``'s matching helpers): the point is
that two independent readings of the spec must agree, so the differential
tests in ``test_engine_reference.py`` catch a slip in either.

Where the spec is silent the choices of ``docs/funnel.md`` and
``docs/ingest.md`` are followed, each marked below. Cleaning covers every row
rule of workbook.md and ingest.md (header rows of plain ranges, synonyms,
total rows and footers, values as CRMs write them, bad optional cells kept as
blank); of the sheet-level problems only a missing fit_score column and an
ambiguous day/month order are modelled, so the reference is for books whose
required headers are complete. The synonyms are the one thing shared with
the engine: they are data (``abmxl.engine.ingest.synonyms.SYNONYMS``), and
how they are matched is written again here. Speed is irrelevant: it runs on
books of a few hundred rows.

Trends and Progression (analytics.md sections 4 and 5) are recomputed the same
way at the end of this module, engaged dates by rescoring at every event day.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field

from abmxl.engine.ingest.synonyms import SYNONYMS
from abmxl.engine.model import RawTable

STAGE_NAMES = ("Target", "Engaged", "Opportunity", "Won", "Retained", "Expanded")
SEGMENT_NAMES = ("All targets", "Tier 1", "Tier 2", "Tier 3", "Non-target")
KPI_KEYS = (
    "target_accounts",
    "tam",
    "engaged_accounts",
    "engaged_pct",
    "avg_engagement_score",
    "opportunity_accounts",
    "opportunity_rate",
    "open_pipeline",
    "won_accounts",
    "account_win_rate",
    "win_rate",
    "new_revenue_won",
    "new_acv_won",
    "avg_deal_size",
    "avg_sales_cycle_days",
    "avg_days_to_opportunity",
    "avg_touches_per_won_account",
    "pipeline_velocity",
    "total_spend",
    "cost_per_engaged_account",
    "cost_per_opportunity_account",
    "cost_per_won_account",
    "renewal_rate",
    "churn_rate",
    "expansion_revenue_won",
    "total_revenue_won",
    "avg_acv",
    "clv",
    "ltv_to_cac",
    "nps",
    "account_penetration",
    # analytics.md section 6
    "spiking_accounts",
    "surging_accounts",
    "sourced_pipeline",
    "influenced_pipeline",
    "sourced_pipeline_pct",
    "influenced_pipeline_pct",
    "sourced_revenue_won",
    "influenced_revenue_won",
)
ATTRIBUTION_MODEL_NAMES = (
    "first",
    "last",
    "linear",
    "u_shaped",
    "w_shaped",
    "time_decay",
    "weighted",
)
NO_TOUCH = "(no touch)"

# workbook.md, Settings and ChannelWeights tables.
SETTING_DEFAULTS: dict[str, float | None] = {
    "fit_min": 70.0,
    "intent_min": 60.0,
    "engagement_min": 10.0,
    "acv_tier1": 100000.0,
    "acv_tier2": 25000.0,
    "window_days": 90.0,
    "half_life_days": None,
    "gross_margin": 0.8,
    "discount_rate": 0.1,
    "customer_lifetime_years": 3.0,
    # analytics.md section 6
    "spike_recent_days": 7.0,
    "spike_baseline_days": 28.0,
    "spike_min_lift": 1.0,
    "spike_min_recent": 3.0,
    "attribution_window_days": 90.0,
    "attribution_half_life_days": 30.0,
}
# Settings the funnel does not use (ingest.md and analytics.md keys): known keys,
# so not reported, but not modelled here.
SETTINGS_NOT_MODELLED = frozenset(
    {
        "decimal_separator",
        "date_order",
        "attribution_model",
        "engagement_source",  # scale.md: where the events are, not a number
    }
)
CHANNEL_WEIGHT_DEFAULTS: dict[str, float] = {
    "web_visit": 1.0,
    "ad_click": 1.0,
    "email_open": 0.5,
    "email_click": 1.0,
    "email_reply": 2.0,
    "chat": 5.0,
    "high_value_page": 3.0,
    "content_download": 10.0,
    "webinar": 30.0,
    "meeting": 30.0,
    "event": 120.0,
    "ad_impression": 0.0,
}

# workbook.md: "Won", "Closed Won" / "Lost", "Closed Lost", ignoring case,
# spaces, underscores and hyphens.
WON_WORDS = {"won", "closedwon"}
LOST_WORDS = {"lost", "closedlost"}
TYPE_WORDS = {
    "": "New Business",
    "newbusiness": "New Business",
    "new": "New Business",
    "renewal": "Renewal",
    "expansion": "Expansion",
    "upsell": "Expansion",
    "crosssell": "Expansion",
    "addon": "Expansion",
    "upgrade": "Expansion",
    "existingbusiness": "Expansion",
}

EXCEL_EPOCH = dt.date(1899, 12, 30)
YES_WORDS = {"y", "yes", "true", "1", "x", "✓", "✔", "☑"}
NO_WORDS = {"n", "no", "false", "0", "-", "✗", "✘"}
# ingest.md section 4: currency marks that may stand before or after a number.
CURRENCY_MARKS = sorted(
    "US$ CA$ AU$ NZ$ HK$ S$ R$ A$ C$ $ € £ ¥ ₹ ₩ ₽ ₺ ₪ ฿ ₫ zł kr Fr. CHF USD EUR GBP JPY "
    "INR CAD AUD NZD CNY RMB HKD SGD SEK NOK DKK PLN CZK HUF BRL MXN ZAR KRW RUB TRY ILS AED "
    "SAR THB".split(),
    key=len,
    reverse=True,
)
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
SETTINGS_CONTEXT = {"decimal": ".", "date_order": "auto"}


class Unreadable(Exception):
    """A filled cell that cannot be read as its column's kind."""


@dataclass(frozen=True)
class Issue:
    """One DataIssues row as the differential tests compare it."""

    sheet: str
    row: int | None
    column: str
    skipped: bool


@dataclass
class ReferenceAccount:
    account_id: str
    tier: int
    engagement_score: float | None
    first_touch: dt.date | None
    reached: dict[str, bool]
    current_stage: str
    open_pipeline: float
    won_amount: float
    # analytics.md sections 1, 6 and 7
    dates: dict[str, dt.date | None] = field(default_factory=dict)
    recent_engagement: float | None = None
    baseline_engagement: float | None = None
    engagement_trend: float | None = None
    spiking: bool = False
    surging: bool = False
    tier_reason: str = ""
    sourced_pipeline: float | None = None
    influenced_pipeline: float | None = None


@dataclass
class ReferenceSummary:
    as_of: dt.date
    accounts: list[ReferenceAccount]
    stages: dict[str, dict[str, int]]
    conversion: dict[str, float | None]
    in_stage_now: dict[str, int]
    kpis: dict[str, dict[str, float | None]]
    issues: set[Issue] = field(default_factory=set)
    # analytics.md sections 4 and 5, shaped as the --json document.
    trends: list[dict] = field(default_factory=list)
    progression: dict = field(default_factory=dict)
    # analytics.md sections 2 and 3: {(segment, measure): {column: value}},
    # {(transition, segment): (accounts, mean, median)}
    lift: dict[tuple[str, str], dict[str, float | None]] = field(default_factory=dict)
    velocity: dict[tuple[str, str], tuple[int, float | None, float | None]] = field(
        default_factory=dict
    )
    attribution: list[dict] = field(default_factory=list)


# --- cells ----------------------------------------------------------------------


def squash_header(text: object) -> str:
    """``" Account  ID "`` -> ``"account_id"`` (case, spaces and underscores alike)."""
    words = re.split(r"[\s_]+", str(text).strip().lower())
    return "_".join(word for word in words if word)


def squash_token(text: object) -> str:
    """``"Closed-Won"`` -> ``"closedwon"``."""
    return "".join(ch for ch in str(text).lower() if ch not in " \t\r\n_-")


def is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def read_id(value: object) -> str:
    """docs/funnel.md: text stripped; a whole number as its digits (``1001.0`` = ``"1001"``)."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, str):
        return value.strip()
    return str(value)


def _digits(body: str, decimal_mark: str) -> float | None:
    """The number of ``body`` when ``decimal_mark`` is its decimal mark, else None."""
    group_marks = {",", " ", "'"} if decimal_mark == "." else {".", " ", "'"}
    other = "," if decimal_mark == "." else "."
    exponent = ""
    match = re.search(r"[eE][+-]?\d+$", body)
    if match:
        body, exponent = body[: match.start()], match.group()
    whole, _, fraction = body.partition(decimal_mark)
    if decimal_mark in fraction or other in fraction or any(m in fraction for m in group_marks):
        return None
    if fraction and not fraction.isdigit():
        return None
    used = {ch for ch in whole if not ch.isdigit()}
    if len(used) > 1 or not used <= group_marks:
        return None
    if used:
        groups = whole.split(used.pop())
        if not (1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])):
            return None
        whole = "".join(groups)
    if not whole and not fraction:
        return None
    if not (whole.isdigit() or whole == ""):
        return None
    return float(f"{whole or '0'}.{fraction or '0'}{exponent}")


def read_number(value: object, percent: str = "none") -> float:
    """ingest.md section 4: numbers, and numbers written as text as CRMs write them."""
    if isinstance(value, bool):
        raise Unreadable
    if isinstance(value, int | float):
        if math.isfinite(value):
            return float(value)
        raise Unreadable
    if not isinstance(value, str):
        raise Unreadable
    text = value.replace("\u00a0", " ").replace("\u202f", " ").replace("\u2009", " ").strip()
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1].strip()
    has_percent = text.endswith("%")
    if has_percent:
        if percent == "none":
            raise Unreadable
        text = text[:-1].strip()
    sign = ""
    currencies = 0
    for _ in range(2):  # a sign and a currency mark, in either order, before the digits
        if text[:1] in "+-" and text[:1] and not sign:
            sign, text = text[0], text[1:].strip()
            continue
        for mark in CURRENCY_MARKS:
            if text.lower().startswith(mark.lower()):
                text, currencies = text[len(mark) :].strip(), currencies + 1
                break
    for mark in CURRENCY_MARKS:
        if text.lower().endswith(mark.lower()) and len(text) > len(mark):
            text, currencies = text[: -len(mark)].strip(), currencies + 1
            break
    if currencies > 1 or (negative and sign) or not text:
        raise Unreadable
    dot, comma = _digits(text, "."), _digits(text, ",")
    if dot is None and comma is None:
        raise Unreadable
    if dot is not None and comma is not None:
        number = comma if SETTINGS_CONTEXT["decimal"] == "," else dot
    else:
        number = dot if dot is not None else comma
    if negative or sign == "-":
        number = -number
    if has_percent and percent == "fraction":
        number /= 100
    if not math.isfinite(number):
        raise Unreadable
    return number


def read_score(value: object) -> float:
    return read_number(value, "points")


def read_tier(value: object) -> float:
    """ingest.md section 4: numbers, ``Tier 1``, ``tier_1``, ``T1``, ``Non-target``."""
    try:
        return read_number(value)
    except Unreadable:
        if not isinstance(value, str):
            raise
    word = value.strip().lower()
    for prefix in ("tier", "t"):
        if word.startswith(prefix):
            rest = word[len(prefix) :].lstrip(" _-")
            if rest in ("0", "1", "2", "3"):
                return float(rest)
    if word.replace("-", "").replace(" ", "").replace("_", "") in ("nontarget", "nottarget"):
        return 0.0
    raise Unreadable


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        year += 2000 if year <= 68 else 1900
    return year


def _strip_time(text: str) -> str:
    """Drop a trailing time of day (``14:30``, ``2:30 PM``, ``T14:30:00Z``)."""
    match = re.search(r"[T ,]+\d{1,2}:\d{2}.*$", text)
    return text[: match.start()] if match else text


def text_date_parts(text: str):
    """("ymd", y, m, d) for unambiguous text, ("numeric", a, b, y) for numeric day/month."""
    text = _strip_time(text.strip()).strip().lower()
    iso = re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", text)
    if iso:
        return ("ymd", int(iso[1]), int(iso[2]), int(iso[3]))
    words = [w for w in re.split(r"[\s,.\-/]+", text) if w]
    if words and words[0][:3] in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
        words = words[1:]
    if len(words) == 3:
        month_at = [i for i, w in enumerate(words) if w[:3] in MONTHS and w.isalpha()]
        if month_at in ([0], [1]):
            month = MONTHS.index(words[month_at[0]][:3]) + 1
            day = words[1 - month_at[0]].rstrip("stndrh")
            if day.isdigit() and words[2].isdigit() and len(words[2]) in (2, 4):
                return ("ymd", _year(words[2]), month, int(day))
    numeric = re.fullmatch(r"(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})", text)
    if numeric:
        return ("numeric", int(numeric[1]), int(numeric[3]), _year(numeric[4]))
    return None


def read_date(value: object, order: str = "MDY") -> dt.date:
    """Date cells, 1900-system serials from 61, and text dates (ingest.md section 4)."""
    if isinstance(value, bool):
        raise Unreadable
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float):
        if math.isfinite(value) and 61 <= value < 2958466:
            return EXCEL_EPOCH + dt.timedelta(days=math.floor(value))
        raise Unreadable
    if isinstance(value, str):
        parts = text_date_parts(value)
        try:
            if parts and parts[0] == "ymd":
                return dt.date(parts[1], parts[2], parts[3])
            if parts and parts[0] == "numeric":
                a, b, year = parts[1:]
                if order == "none":
                    raise Unreadable
                month, day = (a, b) if order == "MDY" else (b, a)
                return dt.date(year, month, day)
        except ValueError:
            raise Unreadable from None
    raise Unreadable


def read_yes_no(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return value == 1
    word = str(value).strip().lower()
    if word in YES_WORDS:
        return True
    if word in NO_WORDS:
        return False
    raise Unreadable


def column_date_order(values: list[object]) -> tuple[dict[object, str], bool]:
    """ingest.md section 4: per value, the numeric order to read it in; and "ambiguous".

    ``date_order`` MDY/DMY decides; ``auto`` looks at the column: a first part
    above 12 means day-first, a second part above 12 month-first; both seen:
    the majority of rows wins and the others are unreadable ("none").
    """
    setting = SETTINGS_CONTEXT["date_order"]
    numeric = [
        (v, p)
        for v in values
        if isinstance(v, str) and (p := text_date_parts(v)) is not None and p[0] == "numeric"
    ]
    if setting in ("MDY", "DMY"):
        return {v: setting for v, _ in numeric}, False
    day_first = sum(1 for _, p in numeric if p[1] > 12)
    month_first = sum(1 for _, p in numeric if p[2] > 12)
    if day_first and month_first:
        order = "DMY" if day_first > month_first else "MDY"
        orders = {}
        for v, p in numeric:
            disagrees = p[2] > 12 if order == "DMY" else p[1] > 12
            orders[v] = "none" if disagrees else order
        return orders, False
    order = "DMY" if day_first else "MDY"
    ambiguous = not day_first and not month_first and any(p[1] != p[2] for _, p in numeric)
    return {v: order for v, _ in numeric}, ambiguous


# --- sheets ---------------------------------------------------------------------


@dataclass
class Row:
    """One non-blank worksheet row: its number, canonical column -> cell, headers as written."""

    number: int
    cells: dict[str, object]
    headers: dict[str, str]
    values: list = field(default_factory=list)
    total: bool = False
    footer: bool = False
    percent: dict = field(default_factory=dict)

    def cell(self, column: str) -> object:
        value = self.cells.get(column)
        return None if is_blank(value) else value


REQUIRED = {
    "Settings": ("key", "value"),
    "ChannelWeights": ("channel", "weight"),
    "Accounts": ("account_id",),
    "Contacts": ("contact_id", "account_id"),
    "Engagement": ("date", "account_id", "channel"),
    "Opportunities": ("opportunity_id", "account_id", "status", "amount", "created_date"),
    "Spend": ("date", "amount"),
    "Surveys": ("account_id", "score"),
}
ID_COLUMN = {
    "Accounts": "account_id",
    "Contacts": "contact_id",
    "Engagement": "account_id",
    "Opportunities": "opportunity_id",
    "Surveys": "account_id",
}
TOTAL_WORDS = ("total", "totals", "subtotal", "sum")
# docs/ingest.md: a one-cell text row right under the data is a footer when it reads like one.
FOOTER_WORDS = (
    "confidential",
    "copyright",
    "©",
    "(c)",
    "all rights reserved",
    "do not distribute",
    "generated by",
    "generated on",
    "powered by",
    "exported by",
    "exported on",
    "report run",
)


def loose(header: object) -> str:
    """ingest.md section 3: case, spaces, underscores, hyphens and dots ignored."""
    return "".join(ch for ch in str(header).lower() if ch not in " \t\r\n_-.\u00a0")


def header_cell(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def find_columns(headers: list[str], sheet: str) -> dict[str, int]:
    """Column -> header position: each column its own name, else its synonyms in order."""
    columns = list(SYNONYMS[sheet])
    keys = [loose(h) if h else "" for h in headers]
    found: dict[str, int] = {}
    taken: set[int] = set()
    for column in columns:  # ingest.md section 3: each column in turn, name then synonyms
        for wanted in [column, *(s.header for s in SYNONYMS[sheet][column])]:
            hits = [i for i, k in enumerate(keys) if k and k == loose(wanted) and i not in taken]
            if hits:
                found[column] = hits[0]
                taken.add(hits[0])
                break
    if sheet == "Accounts" and "account_name" not in found and "account_id" in found:
        found["account_name"] = found["account_id"]
    return found


def is_total_text(value: object) -> bool:
    """ingest.md section 2: Total/Totals/Subtotal/Sum or Grand Total(s) first, or =SUM(."""
    if not isinstance(value, str):
        return False
    text = value.strip().lower()
    if text.replace(" ", "").startswith(("=sum(", "=subtotal(")):
        return True
    words = re.split(r"[^a-z0-9]+", text)
    return bool(words) and (
        words[0] in TOTAL_WORDS or (words[0] == "grand" and words[1:2] in (["total"], ["totals"]))
    )


def sheet_rows(table: RawTable | None, sheet: str = "") -> list[Row]:
    """The data rows: header found (plain range: first of 20 non-blank rows with
    every required column), blank rows dropped; totals and footers marked."""
    if table is None:
        return []
    matrix = table.frame.to_numpy(dtype=object).tolist()
    numbers = [int(n) for n in table.frame.index]
    if table.header_known:
        headers = [header_cell(h) for h in table.frame.columns]
        start = 0
    else:
        filled = [i for i, row in enumerate(matrix) if not all(is_blank(v) for v in row)]
        start, headers = len(matrix), []
        for i in filled[:20]:
            candidate = [header_cell(v) for v in matrix[i]]
            if all(c in find_columns(candidate, sheet) for c in REQUIRED[sheet]):
                start, headers = i + 1, candidate
                break
    positions = find_columns(headers, sheet)
    names = {column: headers[i] for column, i in positions.items()}
    rows = []
    for number, values in zip(numbers[start:], matrix[start:], strict=True):
        if all(is_blank(v) for v in values):
            continue
        cells = {column: values[i] for column, i in positions.items()}
        row = Row(number, cells, names, values)
        if table.percent is not None:
            marks = table.percent.loc[number].tolist()
            row.percent = {column: bool(marks[i]) for column, i in positions.items()}
        rows.append(row)
    id_column = ID_COLUMN.get(sheet)
    for row in rows:
        first = row.cell(id_column) if id_column else None
        if first is None:
            first = next((v for v in row.values if not is_blank(v)), None)
        row.total = is_total_text(first)
    if sheet in ID_COLUMN or sheet == "Spend":
        counts = [sum(not is_blank(v) for v in row.values) for row in rows]
        last_full = max((i for i, c in enumerate(counts) if c >= 2), default=None)
        if last_full is not None:
            parted = False
            for i in range(last_full + 1, len(rows)):
                row, count = rows[i], counts[i]
                parted = parted or row.number - rows[i - 1].number > 1
                only = next(v for v in row.values if not is_blank(v))
                looks_like_one = isinstance(only, str) and any(
                    word in only.lower() for word in FOOTER_WORDS
                )
                row.footer = (
                    not row.total
                    and count == 1
                    and isinstance(only, str)
                    and (parted or looks_like_one)
                )
    return rows


class Skip(Exception):
    """The row is skipped; ``column`` is the canonical column of the first failing rule."""

    def __init__(self, column: str) -> None:
        self.column = column


def first_kept_ids(rows: list[Row], id_column: str) -> dict[int, str]:
    """Row number -> id for the rows whose own id is neither blank nor a repeat."""
    seen: set[str] = set()
    firsts: dict[int, str] = {}
    for row in rows:
        raw = row.cell(id_column)
        if raw is None:
            continue
        key = read_id(raw)
        if key not in seen:
            seen.add(key)
            firsts[row.number] = key
    return firsts


def check_own_id(row: Row, id_column: str, firsts: dict[int, str]) -> str:
    if row.number not in firsts:
        raise Skip(id_column)
    return firsts[row.number]


def check_account(row: Row, kept_accounts: set[str]) -> str:
    raw = row.cell("account_id")
    if raw is None or read_id(raw) not in kept_accounts:
        raise Skip("account_id")
    return read_id(raw)


def check_required(row: Row, *columns: str) -> None:
    for column in columns:
        if row.cell(column) is None:
            raise Skip(column)


def parse(row: Row, readers: dict[str, object]) -> dict[str, object]:
    """Read the filled cells of ``readers``' columns; blank cells are ``None``."""
    parsed: dict[str, object] = {}
    for column, reader in readers.items():
        raw = row.cell(column)
        if raw is None:
            parsed[column] = None
            continue
        try:
            parsed[column] = reader(raw)  # type: ignore[operator]
        except Unreadable:
            raise Skip(column) from None
    return parsed


def fail_if(condition: bool, column: str) -> None:
    if condition:
        raise Skip(column)


@dataclass
class Book:
    as_of: dt.date
    settings: dict[str, float | None]
    accounts: list[dict]
    contacts: list[dict]
    events: list[dict]
    opportunities: list[dict]
    spend: list[dict]
    surveys: list[dict]
    has_expected_acv: bool
    issues: set[Issue]
    period: str = "quarter"
    trend_periods: int = 12
    has_spend_channel: bool = False


def read_optional(row: Row, column: str, reader, report, domain=None):
    """ingest.md section 5: an unreadable or out-of-domain optional cell counts as blank."""
    raw = row.cell(column)
    if raw is None:
        return None
    try:
        value = reader(raw)
    except Unreadable:
        report(row, column)
        return None
    if domain is not None and not domain(value):
        report(row, column)
        return None
    return value


def date_reader(rows: list[Row], column: str, sheet: str, issues: set, headers: dict):
    """A reader for one date column, with the column's numeric order (and its issue)."""
    orders, ambiguous = column_date_order([row.cell(column) for row in rows])
    if ambiguous:
        issues.add(Issue(sheet, None, headers.get(column, column), False))

    def reader(value: object) -> dt.date:
        return read_date(value, orders.get(value, "MDY"))

    return reader


def clean_book(tables: dict[str, RawTable | None], today: dt.date) -> Book:
    """Typed rows of every sheet and the DataIssues, by the rules of workbook.md and ingest.md."""
    issues: set[Issue] = set()

    def report(sheet: str, row: Row, column: str | None, *, skipped: bool) -> None:
        shown = None if column is None else row.headers.get(column, column)
        issues.add(Issue(sheet, row.number, shown, skipped))

    def not_data(sheet: str, row: Row) -> bool:
        """Total rows and footers are skipped first (ingest.md section 2)."""
        if row.total:
            report(sheet, row, ID_COLUMN.get(sheet), skipped=True)
            return True
        if row.footer:
            report(sheet, row, None, skipped=True)
            return True
        return False

    # Settings: docs/funnel.md (blank/unknown/repeated key skipped; bad value -> default).
    settings = dict(SETTING_DEFAULTS)
    period, trend_periods = "quarter", 12
    as_of = today
    seen_keys: set[str] = set()
    setting_rows = sheet_rows(tables.get("Settings"), "Settings")
    SETTINGS_CONTEXT.update(decimal=".", date_order="auto")
    for row in setting_rows:
        key = squash_header(row.cell("key") or "")
        word = str(row.cell("value") or "").strip()
        if key == "decimal_separator" and word in (".", ","):
            SETTINGS_CONTEXT.setdefault("seen_decimal", word)
        if key == "date_order" and word.upper() in ("AUTO", "MDY", "DMY"):
            SETTINGS_CONTEXT.setdefault(
                "seen_order", "auto" if word.upper() == "AUTO" else word.upper()
            )
    SETTINGS_CONTEXT["decimal"] = SETTINGS_CONTEXT.pop("seen_decimal", ".")
    SETTINGS_CONTEXT["date_order"] = SETTINGS_CONTEXT.pop("seen_order", "auto")
    for row in setting_rows:
        raw_key = row.cell("key")
        key = squash_header(raw_key) if raw_key is not None else None
        if (
            key is None
            or (
                key not in {"as_of", "period", "trend_periods"}
                and key not in SETTING_DEFAULTS.keys() | SETTINGS_NOT_MODELLED
            )
            or key in seen_keys
        ):
            report("Settings", row, "key", skipped=True)
            continue
        seen_keys.add(key)
        raw = row.cell("value")
        if raw is None or key in SETTINGS_NOT_MODELLED:
            continue
        if key == "period":  # analytics.md: one of three words, any case
            word = str(raw).strip().lower()
            if word in ("quarter", "month", "year"):
                period = word
            else:
                report("Settings", row, "value", skipped=False)
            continue
        if key == "trend_periods":
            try:
                count = read_number(raw)
            except Unreadable:
                count = 0.0
            if count >= 1 and count == int(count):
                trend_periods = int(count)
            else:
                report("Settings", row, "value", skipped=False)
            continue
        if key == "as_of":
            orders, ambiguous = column_date_order([raw])
            try:
                as_of = read_date(raw, orders.get(raw, "MDY"))
            except Unreadable:
                raise ValueError(f"as_of {raw!r} is not a date") from None
            if ambiguous:
                report("Settings", row, "value", skipped=False)
            continue
        fraction = key in ("gross_margin", "discount_rate")
        try:
            value = read_number(raw, "fraction" if fraction else "none")
        except Unreadable:
            report("Settings", row, "value", skipped=False)
            continue
        written_as_percent = isinstance(raw, str) and raw.strip().endswith("%")
        if fraction and not written_as_percent and 1 < value <= 100:
            value /= 100  # ingest.md section 4: read as a percent, and reported
            report("Settings", row, "value", skipped=False)
        in_domain = {
            "window_days": value >= 0,
            "half_life_days": value > 0,
            "gross_margin": 0 <= value <= 1,
            "discount_rate": value >= 0,
            "customer_lifetime_years": value > 0,
            "spike_recent_days": value > 0,
            "spike_baseline_days": value > 0,
            "spike_min_lift": value >= 0,
            "spike_min_recent": value >= 0,
            "attribution_window_days": value >= 0,
            "attribution_half_life_days": value > 0,
        }.get(key, True)
        if in_domain:
            settings[key] = value
        else:
            report("Settings", row, "value", skipped=False)

    weights = dict(CHANNEL_WEIGHT_DEFAULTS)
    seen_channels: set[str] = set()
    for row in sheet_rows(tables.get("ChannelWeights"), "ChannelWeights"):
        try:
            check_required(row, "channel")
            channel = squash_header(row.cell("channel"))
            fail_if(channel in seen_channels, "channel")
            seen_channels.add(channel)
            check_required(row, "weight")
            weight = parse(row, {"weight": read_number})["weight"]
            fail_if(weight < 0, "weight")
        except Skip as skip:
            report("ChannelWeights", row, skip.column, skipped=True)
            continue
        weights[channel] = weight

    # Accounts: only the id can skip a row; every other bad cell counts as blank.
    account_rows = sheet_rows(tables.get("Accounts"), "Accounts")
    headers = {}
    if account_rows:
        headers = account_rows[0].headers
    elif tables.get("Accounts") is not None and tables["Accounts"].header_known:
        headers = {c: c for c in find_columns(list(tables["Accounts"].frame.columns), "Accounts")}
    has_fit = "fit_score" in headers
    if tables.get("Accounts") is not None and not has_fit:
        issues.add(Issue("Accounts", None, "fit_score", False))
    firsts = first_kept_ids(account_rows, "account_id")
    accounts: list[dict] = []

    def kept_as_blank(sheet: str):
        return lambda row, column: report(sheet, row, column, skipped=False)

    blank_accounts = kept_as_blank("Accounts")
    for row in account_rows:
        if not_data("Accounts", row):
            continue
        try:
            account_id = check_own_id(row, "account_id", firsts)
        except Skip as skip:
            report("Accounts", row, skip.column, skipped=True)
            continue

        def score(value: object, column: str, row: Row = row) -> float:
            number = read_number(value, "points")
            if row.percent.get(column) and not isinstance(value, str):
                number *= 100  # a 0.85 shown as 85 %
            return number

        cells = {
            "fit_score": read_optional(
                row,
                "fit_score",
                lambda v: score(v, "fit_score"),
                blank_accounts,
                lambda x: 0 <= x <= 100,
            ),
            "intent_score": read_optional(
                row,
                "intent_score",
                lambda v: score(v, "intent_score"),
                blank_accounts,
                lambda x: 0 <= x <= 100,
            ),
            "expected_acv": read_optional(
                row, "expected_acv", read_number, blank_accounts, lambda x: x >= 0
            ),
            "tier_override": read_optional(
                row, "tier_override", read_tier, blank_accounts, lambda x: x in (0, 1, 2, 3)
            ),
        }
        override = cells["tier_override"]
        if not has_fit:
            cells["fit_score"] = settings["fit_min"]  # ingest.md section 3: the target list
        elif row.cell("fit_score") is None and override is None:
            # docs/funnel.md: a blank fit score is kept as untiered and reported.
            report("Accounts", row, "fit_score", skipped=False)
        accounts.append({"account_id": account_id, **cells})
    kept_accounts = {a["account_id"] for a in accounts}
    has_expected_acv = "expected_acv" in headers  # docs/funnel.md: tam blank without it

    # Contacts.
    contact_rows = sheet_rows(tables.get("Contacts"), "Contacts")
    firsts = first_kept_ids(contact_rows, "contact_id")
    contacts: list[dict] = []
    for row in contact_rows:
        if not_data("Contacts", row):
            continue
        try:
            check_own_id(row, "contact_id", firsts)
            account_id = check_account(row, kept_accounts)
        except Skip as skip:
            report("Contacts", row, skip.column, skipped=True)
            continue
        engaged = read_optional(row, "engaged", read_yes_no, kept_as_blank("Contacts"))
        contacts.append({"account_id": account_id, "engaged": bool(engaged)})

    # Engagement.
    events: list[dict] = []
    engagement_rows = sheet_rows(tables.get("Engagement"), "Engagement")
    read_event_date = date_reader(
        [r for r in engagement_rows if not (r.total or r.footer)],
        "date",
        "Engagement",
        issues,
        engagement_rows[0].headers if engagement_rows else {},
    )
    for row in engagement_rows:
        if not_data("Engagement", row):
            continue
        try:
            account_id = check_account(row, kept_accounts)
            check_required(row, "date", "channel")
            event_date = parse(row, {"date": read_event_date})["date"]
        except Skip as skip:
            report("Engagement", row, skip.column, skipped=True)
            continue
        weight = read_optional(
            row, "weight", read_number, kept_as_blank("Engagement"), lambda x: x >= 0
        )
        if weight is None:
            channel = squash_header(row.cell("channel"))
            if channel in weights:
                weight = weights[channel]
            else:
                weight = 0.0
                report("Engagement", row, "channel", skipped=False)
        events.append(
            {
                "account_id": account_id,
                "date": event_date,
                "weight": weight,
                "channel": squash_header(row.cell("channel")),
                "row": row.number,
            }
        )

    # Opportunities.
    opportunity_rows = sheet_rows(tables.get("Opportunities"), "Opportunities")
    data_rows = [r for r in opportunity_rows if not (r.total or r.footer)]
    opp_headers = opportunity_rows[0].headers if opportunity_rows else {}
    read_created = date_reader(data_rows, "created_date", "Opportunities", issues, opp_headers)
    read_closed = date_reader(data_rows, "close_date", "Opportunities", issues, opp_headers)
    firsts = first_kept_ids(opportunity_rows, "opportunity_id")
    opportunities: list[dict] = []
    blank_opps = kept_as_blank("Opportunities")
    for row in opportunity_rows:
        if not_data("Opportunities", row):
            continue
        try:
            check_own_id(row, "opportunity_id", firsts)
            account_id = check_account(row, kept_accounts)
            check_required(row, "status")
            cells = parse(row, {"amount": read_number, "created_date": read_created})
            amount = 0.0 if cells["amount"] is None else cells["amount"]
            fail_if(amount < 0, "amount")
        except Skip as skip:
            report("Opportunities", row, skip.column, skipped=True)
            continue
        term = read_optional(row, "term_years", read_number, blank_opps, lambda x: x > 0)
        fees = read_optional(
            row, "one_time_fees", read_number, blank_opps, lambda x, amount=amount: 0 <= x <= amount
        )
        closed = read_optional(row, "close_date", read_closed, blank_opps)
        term = 1.0 if term is None else term
        fees = 0.0 if fees is None else fees
        if cells["amount"] is None:
            report("Opportunities", row, "amount", skipped=False)
        created = cells["created_date"]
        # Left out of every time-based KPI, the first opportunity's date included.
        timed = True
        if created is None:
            report("Opportunities", row, "created_date", skipped=False)
            timed = False
        elif closed is not None and closed < created:
            report("Opportunities", row, "close_date", skipped=False)
            timed = False
        raw_type = row.cell("type")
        kind = TYPE_WORDS.get(squash_token(raw_type) if raw_type is not None else "")
        if kind is None:
            kind = "New Business"
            report("Opportunities", row, "type", skipped=False)
        # ingest.md section 4: the words of a status decide.
        words = set(re.split(r"[^a-z]+", str(row.cell("status")).lower()))
        won = bool(words & WON_WORDS) and "lost" not in words and "closedlost" not in words
        lost = bool(words & LOST_WORDS) and "won" not in words and "closedwon" not in words
        opportunities.append(
            {
                "account_id": account_id,
                "type": kind,
                "won": won,
                "lost": lost,
                "amount": amount,
                "acv": (amount - fees) / term,
                "created": created,
                "closed": closed,
                "timed": timed,
            }
        )

    # Spend.
    spend: list[dict] = []
    spend_rows = sheet_rows(tables.get("Spend"), "Spend")
    read_spend_date = date_reader(
        [r for r in spend_rows if not (r.total or r.footer)],
        "date",
        "Spend",
        issues,
        spend_rows[0].headers if spend_rows else {},
    )
    for row in spend_rows:
        if not_data("Spend", row):
            continue
        try:
            check_required(row, "date")
            cells = parse(row, {"date": read_spend_date, "amount": read_number})
            amount = 0.0 if cells["amount"] is None else cells["amount"]
            fail_if(amount < 0, "amount")
        except Skip as skip:
            report("Spend", row, skip.column, skipped=True)
            continue
        tier = read_optional(
            row, "tier", read_tier, kept_as_blank("Spend"), lambda x: x in (0, 1, 2, 3)
        )
        if cells["amount"] is None:
            report("Spend", row, "amount", skipped=False)
        channel = row.cell("channel")
        channel = None if channel is None else squash_header(read_id(channel))
        spend.append(
            {
                "tier": None if tier is None else int(tier),
                "amount": amount,
                "date": cells["date"],
                "channel": channel,
            }
        )
    spend_headers = set(spend_rows[0].headers) if spend_rows else set()

    # Surveys.
    surveys: list[dict] = []
    for row in sheet_rows(tables.get("Surveys"), "Surveys"):
        if not_data("Surveys", row):
            continue
        try:
            account_id = check_account(row, kept_accounts)
            check_required(row, "score")
            score_value = parse(row, {"score": read_number})["score"]
            fail_if(not (score_value.is_integer() and 0 <= score_value <= 10), "score")
        except Skip as skip:
            report("Surveys", row, skip.column, skipped=True)
            continue
        surveys.append({"account_id": account_id, "score": int(score_value)})

    # DataIssues' Sheet is the worksheet the row number is on (a Table Deals on
    # sheet Pipeline is reported as Pipeline), not the input's canonical name.
    def worksheet(name: str) -> str:
        table = tables.get(name)
        return table.sheet if table is not None and table.sheet else name

    issues = {Issue(worksheet(i.sheet), i.row, i.column, i.skipped) for i in issues}
    return Book(
        as_of,
        settings,
        accounts,
        contacts,
        events,
        opportunities,
        spend,
        surveys,
        has_expected_acv,
        issues,
        period,
        trend_periods,
        "channel" in spend_headers,
    )


# --- formulas (metrics.md, written out again) ------------------------------------


def tier_of(fit, intent, engagement, acv, s: dict[str, float | None]) -> int:
    """metrics.md tier rules: missing intent/engagement = 0, missing fit = untiered."""
    if fit is None or fit < s["fit_min"]:
        return 0
    intent = intent or 0.0
    engagement = round(engagement or 0.0, 9)  # scale.md: threshold tests on rounded sums
    acv = math.nan if acv is None else acv
    if intent >= s["intent_min"] and engagement >= s["engagement_min"] and acv >= s["acv_tier1"]:
        return 1
    if (intent >= s["intent_min"] or engagement >= s["engagement_min"]) and acv >= s["acv_tier2"]:
        return 2
    return 3


def lifetime_value(acv: float, years: float, margin: float, discount: float) -> float:
    """metrics.md ``clv`` without expansion: acv * m * (1 - q^L) / (1 - q), q = 1 / (1 + d)."""
    q = 1.0 / (1.0 + discount)
    if q == 1.0:
        return acv * margin * years
    return acv * margin * (1.0 - q**years) / (1.0 - q)


def lifetime_value_from_churn(acv: float, churn: float, margin: float, discount: float) -> float:
    """metrics.md ``clv_from_churn`` without expansion: acv * m / (1 - q * (1 - c))."""
    q = 1.0 / (1.0 + discount)
    return acv * margin / (1.0 - q * (1.0 - churn))


def ratio(top: float, bottom: float) -> float | None:
    return top / bottom if bottom else None


def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


# --- analytics.md, written out again ------------------------------------------------

Z_95 = 1.959963984540054  # the standard normal quantile of 0.975


def score_on(events: list[dict], day: dt.date, s: dict) -> float:
    """The engagement score as of ``day`` over ``events`` (one account's)."""
    total = 0.0
    for event in events:
        age = (day - event["date"]).days
        if 0 <= age <= s["window_days"]:
            decay = 1.0 if s["half_life_days"] is None else 0.5 ** (age / s["half_life_days"])
            total += event["weight"] * decay
    return total


def stage_dates_of(events: list[dict], opps: list[dict], as_of: dt.date, s: dict) -> dict:
    """analytics.md section 1 for one account: every opportunity counts."""
    past = [e for e in events if e["date"] <= as_of]
    engaged = None
    for day in sorted({e["date"] for e in past}):
        if round(score_on(past, day, s), 9) >= s["engagement_min"]:
            engaged = day
            break
    created = [o["created"] for o in opps if o["created"] is not None]
    wins = [o for o in opps if o["won"] and o["closed"] is not None]

    def first_close(kind: str | None) -> dt.date | None:
        days = [o["closed"] for o in wins if kind is None or o["type"] == kind]
        return min(days) if days else None

    return {
        "first_touch": min((e["date"] for e in past), default=None),
        "engaged_date": engaged,
        "opportunity_date": min(created) if created else None,
        "won_date": first_close(None),
        "retained_date": first_close("Renewal"),
        "expanded_date": first_close("Expansion"),
    }


def number_text(x: float) -> str:
    """Thousands separators, at most one decimal."""
    text = f"{x:,.1f}"
    return text[:-2] if text.endswith(".0") else text


def condition_text(name: str, value: float, threshold: float) -> str:
    op = ">=" if value >= threshold else "<"
    return f"{name} {number_text(value)} {op} {number_text(threshold)}"


def tier_reason_of(tier: int, account: dict, engagement: float | None, s: dict) -> str:
    """analytics.md section 7."""
    names = {0: "Untiered", 1: "Tier 1", 2: "Tier 2", 3: "Tier 3"}
    if account["tier_override"] is not None:
        return f"{names[tier]}: tier_override"
    fit = account["fit_score"]
    if fit is None:
        return "Untiered: no fit score"
    fit_c = condition_text("fit", fit, s["fit_min"])
    if tier == 0:
        return f"Untiered: {fit_c}"
    intent = account["intent_score"] or 0.0
    score = round(engagement or 0.0, 9)
    acv = account["expected_acv"] or 0.0
    intent_ok, engaged_ok = intent >= s["intent_min"], score >= s["engagement_min"]
    intent_c = condition_text("intent", intent, s["intent_min"])
    engaged_c = condition_text("engagement", score, s["engagement_min"])
    acv1_c = condition_text("ACV", acv, s["acv_tier1"])
    acv2_c = condition_text("ACV", acv, s["acv_tier2"])
    if tier == 1:
        return f"Tier 1: {fit_c}, {intent_c}, {engaged_c}, {acv1_c}"
    if tier == 2:
        met = [fit_c] + [intent_c] * intent_ok + [engaged_c] * engaged_ok + [acv2_c]
        failed = [intent_c] * (not intent_ok) + [engaged_c] * (not engaged_ok)
        failed += [acv1_c] * (acv < s["acv_tier1"])
        return f"Tier 2: {', '.join(met)}; not Tier 1: {', '.join(failed)}"
    failed = [intent_c, engaged_c] if not (intent_ok or engaged_ok) else []
    failed += [acv2_c] * (acv < s["acv_tier2"])
    return f"Tier 3: {fit_c}; not Tier 2: {', '.join(failed)}"


def katz(a: float, n1: float, c: float, n2: float) -> tuple[float | None, ...]:
    """(ratio, low, high) of a/n1 over c/n2; analytics.md section 2."""
    if not n1 or not n2 or not c:
        return None, None, None
    lift = (a / n1) / (c / n2)
    if not a:
        return lift, None, None
    se = math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2)
    return lift, lift * math.exp(-Z_95 * se), lift * math.exp(Z_95 * se)


TRANSITIONS = (
    ("First touch -> Engaged", "first_touch", "engaged_date"),
    ("Engaged -> Opportunity", "engaged_date", "opportunity_date"),
    ("Opportunity -> Won", "opportunity_date", "won_date"),
    ("Won -> Retained", "won_date", "retained_date"),
    ("Won -> Expanded", "won_date", "expanded_date"),
)
LIFT_MEASURES = (
    "engaged_pct",
    "opportunity_rate",
    "account_win_rate",
    "win_rate",
    "avg_deal_size",
    "avg_sales_cycle_days",
)


def median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


# --- influence and attribution (analytics.md section 8) ------------------------


def journey_of(opportunity: dict, events: list[dict], as_of: dt.date, start, end) -> list[dict]:
    """The account's touches (weight > 0, up to as_of) dated in [start, end], by date then row."""
    touches = [
        e
        for e in events
        if e["account_id"] == opportunity["account_id"]
        and e["weight"] > 0
        and e["date"] <= as_of
        and start <= e["date"] <= end
    ]
    return sorted(touches, key=lambda e: (e["date"], e["row"]))


def journeys_of(opportunity: dict, events: list[dict], as_of: dt.date, window: float):
    """(pipeline, revenue or None, influence, revenue end) journeys of one opportunity."""
    created, closed = opportunity["created"], opportunity["closed"]
    if created is None:
        return [], ([] if opportunity["won"] else None), [], None
    start = created - dt.timedelta(days=math.floor(window))
    pipeline = journey_of(opportunity, events, as_of, start, created)
    closes_after = closed is not None and closed >= created
    revenue, revenue_end = None, None
    if opportunity["won"]:
        revenue_end = closed if closes_after else created
        revenue = journey_of(opportunity, events, as_of, start, revenue_end)
    is_closed = opportunity["won"] or opportunity["lost"]
    influence_end = closed if is_closed and closes_after else as_of
    influence = journey_of(opportunity, events, as_of, start, influence_end)
    return pipeline, revenue, influence, revenue_end


def credit_shares(model: str, touches: list[dict], created: dt.date, end: dt.date,
                  half_life: float) -> list[float]:  # fmt: skip
    """Each touch's share under ``model``, written out from the spec's bullets."""
    n = len(touches)
    if model == "first":
        return [1.0] + [0.0] * (n - 1)
    if model == "last":
        return [0.0] * (n - 1) + [1.0]
    if model == "linear":
        return [1.0 / n] * n
    if model == "u_shaped":
        if n <= 2:
            return [1.0 / n] * n
        return [0.4] + [0.2 / (n - 2)] * (n - 2) + [0.4]
    if model == "w_shaped":
        on_or_before = [i for i, t in enumerate(touches) if t["date"] <= created]
        milestone_positions = [0, on_or_before[-1] if on_or_before else 0, n - 1]
        shares = [0.0] * n
        for i in milestone_positions:
            shares[i] += 0.3
        others = [i for i in range(n) if i not in milestone_positions]
        for i in others or sorted(set(milestone_positions)):
            shares[i] += 0.1 / len(others or set(milestone_positions))
        return shares
    if model == "time_decay":
        raw = [0.5 ** ((end - t["date"]).days / half_life) for t in touches]
    else:
        raw = [t["weight"] for t in touches]
    return [w / sum(raw) for w in raw]


def attribution_rows(book: Book) -> list[dict]:
    """The Attribution table, row by row, in the spec's order."""
    s = book.settings
    journeys = [
        (o, *journeys_of(o, book.events, book.as_of, s["attribution_window_days"]))
        for o in book.opportunities
    ]
    channels = set()
    for _, pipeline, revenue, _, _ in journeys:
        channels |= {t["channel"] for t in pipeline + (revenue or [])}
    spend_of: dict[str, float] | None = None
    if book.spend and book.has_spend_channel:
        spend_of = defaultdict(float)
        for row in book.spend:
            if row["channel"] is not None:
                spend_of[row["channel"]] += row["amount"]
                channels.add(row["channel"])
    names = [*sorted(channels), NO_TOUCH]
    rows = []
    for model in ATTRIBUTION_MODEL_NAMES:
        table = {name: defaultdict(float) for name in names}
        for o, pipeline, revenue, _, revenue_end in journeys:
            if pipeline:
                shares = credit_shares(
                    model, pipeline, o["created"], o["created"], s["attribution_half_life_days"]
                )
                for touch, share in zip(pipeline, shares, strict=True):
                    table[touch["channel"]]["opportunities"] += share
                    table[touch["channel"]]["pipeline"] += share * o["amount"]
            else:
                table[NO_TOUCH]["opportunities"] += 1
                table[NO_TOUCH]["pipeline"] += o["amount"]
            if not o["won"]:
                continue
            if revenue:
                shares = credit_shares(
                    model, revenue, o["created"], revenue_end, s["attribution_half_life_days"]
                )
                closes_after = o["closed"] is not None and o["closed"] >= o["created"]
                for touch, share in zip(revenue, shares, strict=True):
                    row = table[touch["channel"]]
                    row["won_deals"] += share
                    row["revenue"] += share * o["amount"]
                    if closes_after:
                        row["credit"] += share * o["amount"]
                        row["credit_days"] += (
                            share * o["amount"] * (o["closed"] - touch["date"]).days
                        )
            else:
                table[NO_TOUCH]["won_deals"] += 1
                table[NO_TOUCH]["revenue"] += o["amount"]
        for name in names:
            row = table[name]
            spend = None
            if spend_of is not None and name != NO_TOUCH:
                spend = spend_of.get(name, 0.0)
            rows.append(
                {
                    "model": model,
                    "channel": name,
                    "opportunities": row["opportunities"],
                    "pipeline": row["pipeline"],
                    "won_deals": row["won_deals"],
                    "revenue": row["revenue"],
                    "avg_days_to_close": ratio(row["credit_days"], row["credit"]),
                    "spend": spend,
                    "roi": ratio(row["revenue"], spend) if spend else None,
                }
            )
    return rows


# --- the funnel -----------------------------------------------------------------


def reference_summary(tables: dict[str, RawTable | None], today: dt.date) -> ReferenceSummary:
    """Everything a refresh computes, by the spec, the slow and obvious way."""
    book = clean_book(tables, today)
    s = book.settings
    as_of = book.as_of
    has_engagement = bool(book.events)
    has_spend = bool(book.spend)
    has_contacts = bool(book.contacts)
    has_surveys = bool(book.surveys)

    # Engagement per account.
    score: dict[str, float] = defaultdict(float)
    first_touch: dict[str, dt.date] = {}
    touches: dict[str, int] = defaultdict(int)
    for event in book.events:
        age = (as_of - event["date"]).days
        if age < 0:
            continue  # the future: ignored by everything
        account_id = event["account_id"]
        touches[account_id] += 1
        if account_id not in first_touch or event["date"] < first_touch[account_id]:
            first_touch[account_id] = event["date"]
        if age <= s["window_days"]:
            decay = 1.0 if s["half_life_days"] is None else 0.5 ** (age / s["half_life_days"])
            score[account_id] += event["weight"] * decay

    opportunities_of: dict[str, list[dict]] = defaultdict(list)
    for opportunity in book.opportunities:
        opportunities_of[opportunity["account_id"]].append(opportunity)
    events_of: dict[str, list[dict]] = defaultdict(list)
    for event in book.events:
        events_of[event["account_id"]].append(event)

    # Marketing-sourced and -influenced opportunities (analytics.md section 8).
    sourced: dict[int, bool] = {}
    influenced: dict[int, bool] = {}
    for opportunity in book.opportunities:
        pipeline, _, influence, _ = journeys_of(
            opportunity, book.events, as_of, s["attribution_window_days"]
        )
        sourced[id(opportunity)] = bool(pipeline)
        influenced[id(opportunity)] = bool(influence)

    accounts: list[ReferenceAccount] = []
    for account in book.accounts:
        account_id = account["account_id"]
        engagement = score[account_id] if has_engagement else None
        override = account["tier_override"]
        if override is not None:
            tier = int(override)
        else:
            tier = tier_of(
                account["fit_score"],
                account["intent_score"],
                engagement,
                account["expected_acv"],
                s,
            )
        opps = opportunities_of[account_id]
        has_opportunity = bool(opps)
        won = any(o["won"] for o in opps)
        reached = {
            "Target": True,
            "Engaged": has_opportunity
            or (engagement is not None and round(engagement, 9) >= s["engagement_min"]),
            "Opportunity": has_opportunity,
            "Won": won,
            "Retained": won and any(o["won"] and o["type"] == "Renewal" for o in opps),
            "Expanded": won and any(o["won"] and o["type"] == "Expansion" for o in opps),
        }
        current = next(stage for stage in reversed(STAGE_NAMES) if reached[stage])
        mine = events_of[account_id]
        recent = sum(
            e["weight"] for e in mine if 0 <= (as_of - e["date"]).days < s["spike_recent_days"]
        )
        earlier = sum(
            e["weight"]
            for e in mine
            if s["spike_recent_days"]
            <= (as_of - e["date"]).days
            < s["spike_recent_days"] + s["spike_baseline_days"]
        )
        baseline = earlier * s["spike_recent_days"] / s["spike_baseline_days"]
        spiking = recent >= s["spike_min_recent"] and (
            baseline == 0 or recent >= (1 + s["spike_min_lift"]) * baseline
        )
        accounts.append(
            ReferenceAccount(
                account_id=account_id,
                tier=tier,
                engagement_score=engagement,
                first_touch=first_touch.get(account_id),
                reached=reached,
                current_stage=current,
                open_pipeline=sum(o["amount"] for o in opps if not o["won"] and not o["lost"]),
                won_amount=sum(o["amount"] for o in opps if o["won"]),
                dates=stage_dates_of(mine, opps, as_of, s),
                recent_engagement=recent if has_engagement else None,
                baseline_engagement=baseline if has_engagement else None,
                engagement_trend=(recent / baseline - 1 if baseline else None)
                if has_engagement
                else None,
                spiking=has_engagement and spiking,
                surging=(account["intent_score"] or 0) >= s["intent_min"],
                tier_reason=tier_reason_of(tier, account, engagement, s),
                sourced_pipeline=sum(o["amount"] for o in opps if sourced[id(o)])
                if has_engagement
                else None,
                influenced_pipeline=sum(o["amount"] for o in opps if influenced[id(o)])
                if has_engagement
                else None,
            )
        )

    def in_segment(tier: int | None, segment: str) -> bool:
        if segment == "All targets":
            return tier in (1, 2, 3)
        if segment == "Non-target":
            return tier == 0
        return tier == int(segment[-1])

    stages = {
        stage: {
            segment: sum(1 for a in accounts if in_segment(a.tier, segment) and a.reached[stage])
            for segment in SEGMENT_NAMES
        }
        for stage in STAGE_NAMES
    }
    before = {"Engaged": "Target", "Opportunity": "Engaged", "Won": "Opportunity"}
    before |= {"Retained": "Won", "Expanded": "Won"}
    conversion: dict[str, float | None] = {"Target": None}
    for stage, earlier in before.items():
        conversion[stage] = ratio(stages[stage]["All targets"], stages[earlier]["All targets"])
    in_stage_now = {
        stage: sum(1 for a in accounts if a.tier in (1, 2, 3) and a.current_stage == stage)
        for stage in STAGE_NAMES
    }

    expected_acv = {a["account_id"]: a["expected_acv"] for a in book.accounts}
    contacts_of: dict[str, list[bool]] = defaultdict(list)
    for contact in book.contacts:
        contacts_of[contact["account_id"]].append(contact["engaged"])
    surveys_of: dict[str, list[int]] = defaultdict(list)
    for survey in book.surveys:
        surveys_of[survey["account_id"]].append(survey["score"])

    kpis: dict[str, dict[str, float | None]] = {key: {} for key in KPI_KEYS}
    closed_nb: dict[str, tuple[int, int]] = {}
    velocity: dict[tuple[str, str], tuple[int, float | None, float | None]] = {}
    for segment in SEGMENT_NAMES:
        members = [a for a in accounts if in_segment(a.tier, segment)]
        n = len(members)
        opps = [o for a in members for o in opportunities_of[a.account_id]]
        engaged = sum(a.reached["Engaged"] for a in members)
        with_opportunity = sum(a.reached["Opportunity"] for a in members)
        won_accounts = [a for a in members if a.reached["Won"]]
        nb = [o for o in opps if o["type"] == "New Business"]
        won_nb = [o for o in nb if o["won"]]
        lost_nb = [o for o in nb if o["lost"]]
        renewals = [o for o in opps if o["type"] == "Renewal"]
        won_renewals = sum(o["won"] for o in renewals)
        lost_renewals = sum(o["lost"] for o in renewals)
        closed_renewals = won_renewals + lost_renewals
        won_all = [o for o in opps if o["won"]]

        k: dict[str, float | None] = {}
        k["target_accounts"] = n
        k["tam"] = (
            sum(expected_acv[a.account_id] or 0.0 for a in members)
            if book.has_expected_acv
            else None
        )
        k["engaged_accounts"] = engaged
        k["engaged_pct"] = ratio(engaged, n)
        k["avg_engagement_score"] = (
            mean([a.engagement_score for a in members]) if has_engagement else None
        )
        k["opportunity_accounts"] = with_opportunity
        k["opportunity_rate"] = ratio(with_opportunity, n)
        k["open_pipeline"] = sum(o["amount"] for o in opps if not o["won"] and not o["lost"])
        k["won_accounts"] = len(won_accounts)
        k["account_win_rate"] = ratio(len(won_accounts), n)
        k["win_rate"] = ratio(len(won_nb), len(won_nb) + len(lost_nb))
        k["new_revenue_won"] = sum(o["amount"] for o in won_nb)
        k["new_acv_won"] = sum(o["acv"] for o in won_nb)
        k["avg_deal_size"] = mean([o["amount"] for o in won_nb])
        k["avg_sales_cycle_days"] = mean(
            [
                (o["closed"] - o["created"]).days
                for o in won_nb
                if o["timed"] and o["closed"] is not None
            ]
        )
        if has_engagement:
            waits = []
            for a in members:
                created = [o["created"] for o in opportunities_of[a.account_id] if o["timed"]]
                if created and a.first_touch is not None and a.first_touch <= min(created):
                    waits.append((min(created) - a.first_touch).days)
            k["avg_days_to_opportunity"] = mean(waits)
            k["avg_touches_per_won_account"] = ratio(
                sum(touches[a.account_id] for a in won_accounts), len(won_accounts)
            )
        else:
            k["avg_days_to_opportunity"] = k["avg_touches_per_won_account"] = None
        open_nb = sum(1 for o in nb if not o["won"] and not o["lost"])
        cycle = k["avg_sales_cycle_days"]
        if None in (k["avg_deal_size"], k["win_rate"], cycle) or cycle == 0:
            k["pipeline_velocity"] = None
        else:
            k["pipeline_velocity"] = open_nb * k["avg_deal_size"] * k["win_rate"] / cycle
        if has_spend:
            total = sum(
                row["amount"]
                for row in book.spend
                if (segment == "All targets" and row["tier"] in (None, 1, 2, 3))
                or (segment == "Non-target" and row["tier"] == 0)
                or (segment.startswith("Tier") and row["tier"] == int(segment[-1]))
            )
            k["total_spend"] = total
            k["cost_per_engaged_account"] = ratio(total, engaged)
            k["cost_per_opportunity_account"] = ratio(total, with_opportunity)
            k["cost_per_won_account"] = ratio(total, len(won_accounts))
        else:
            k["total_spend"] = k["cost_per_engaged_account"] = None
            k["cost_per_opportunity_account"] = k["cost_per_won_account"] = None
        k["renewal_rate"] = ratio(won_renewals, closed_renewals)
        k["churn_rate"] = ratio(lost_renewals, closed_renewals)
        k["expansion_revenue_won"] = sum(o["amount"] for o in won_all if o["type"] == "Expansion")
        k["total_revenue_won"] = sum(o["amount"] for o in won_all)
        k["avg_acv"] = mean([o["acv"] for o in won_all])
        margin, discount = s["gross_margin"], s["discount_rate"]
        if k["avg_acv"] is None:
            k["clv"] = None
        elif k["churn_rate"]:  # a renewal was lost
            k["clv"] = lifetime_value_from_churn(k["avg_acv"], k["churn_rate"], margin, discount)
        else:
            years = s["customer_lifetime_years"]
            k["clv"] = lifetime_value(k["avg_acv"], years, margin, discount)
        cost = k["cost_per_won_account"]
        k["ltv_to_cac"] = None if k["clv"] is None or not cost else k["clv"] / cost
        if has_surveys:
            scores = [x for a in members for x in surveys_of[a.account_id]]
            promoters = sum(x >= 9 for x in scores)
            detractors = sum(x <= 6 for x in scores)
            k["nps"] = ratio(100.0 * (promoters - detractors), len(scores))
        else:
            k["nps"] = None
        if has_contacts:
            shares = [
                sum(contacts_of[a.account_id]) / len(contacts_of[a.account_id])
                for a in members
                if contacts_of[a.account_id]
            ]
            k["account_penetration"] = mean(shares)
        else:
            k["account_penetration"] = None
        k["spiking_accounts"] = sum(a.spiking for a in members) if has_engagement else None
        k["surging_accounts"] = sum(a.surging for a in members)
        with_created = sum(o["amount"] for o in opps if o["created"] is not None)
        for name, flags in (("sourced", sourced), ("influenced", influenced)):
            if not has_engagement:
                k[f"{name}_pipeline"] = k[f"{name}_pipeline_pct"] = None
                k[f"{name}_revenue_won"] = None
                continue
            k[f"{name}_pipeline"] = sum(o["amount"] for o in opps if flags[id(o)])
            k[f"{name}_pipeline_pct"] = ratio(k[f"{name}_pipeline"], with_created)
            k[f"{name}_revenue_won"] = sum(o["amount"] for o in opps if flags[id(o)] and o["won"])
        for key in KPI_KEYS:
            kpis[key][segment] = None if k[key] is None else float(k[key])
        closed_nb[segment] = (len(won_nb), len(won_nb) + len(lost_nb))
        for label, earlier, later in TRANSITIONS:
            days = [
                (a.dates[later] - a.dates[earlier]).days
                for a in members
                if a.dates[earlier] is not None
                and a.dates[later] is not None
                and a.dates[later] >= a.dates[earlier]
            ]
            velocity[(label, segment)] = (len(days), mean(days), median(days))

    lift: dict[tuple[str, str], dict[str, float | None]] = {}
    counts = {
        "engaged_pct": "engaged_accounts",
        "opportunity_rate": "opportunity_accounts",
        "account_win_rate": "won_accounts",
    }
    for segment in SEGMENT_NAMES[:4]:
        for measure in LIFT_MEASURES:
            value, base = kpis[measure][segment], kpis[measure]["Non-target"]
            row: dict[str, float | None] = {"Value": value, "Non-target": base}
            if measure in counts or measure == "win_rate":
                if measure == "win_rate":
                    (a, n1), (c, n2) = closed_nb[segment], closed_nb["Non-target"]
                else:
                    a, n1 = kpis[counts[measure]][segment], kpis["target_accounts"][segment]
                    c, n2 = (
                        kpis[counts[measure]]["Non-target"],
                        kpis["target_accounts"]["Non-target"],
                    )
                row["Lift"], row["Low"], row["High"] = katz(a, n1, c, n2)
            else:
                row["Lift"] = value / base if value is not None and base else None
                row["Low"] = row["High"] = None
            row["Difference"] = None if value is None or base is None else value - base
            lift[(segment, measure)] = row

    return ReferenceSummary(
        as_of=as_of,
        accounts=accounts,
        stages=stages,
        conversion=conversion,
        in_stage_now=in_stage_now,
        kpis=kpis,
        issues=book.issues,
        trends=reference_trends(book, accounts, in_segment),
        progression=reference_progression(book, accounts, in_segment),
        lift=lift,
        velocity=velocity,
        attribution=attribution_rows(book),
    )


# --- analytics.md sections 1, 4 and 5 ----------------------------------------------------

TREND_KEYS = (
    "new_engaged_accounts",
    "new_opportunity_accounts",
    "opportunities_created",
    "pipeline_created",
    "new_won_accounts",
    "won_deals",
    "new_revenue_won",
    "win_rate",
    "avg_deal_size",
    "avg_sales_cycle_days",
    "touches",
    "spend",
)


def engaged_date(events: list[dict], as_of: dt.date, s: dict) -> dt.date | None:
    """analytics.md section 1: the first event day whose score as of it reaches the minimum
    (compared rounded to 9 decimals, as every threshold on a float sum, scale.md)."""
    for day in sorted({e["date"] for e in events if e["date"] <= as_of}):
        if round(score_on(events, day, s), 9) >= s["engagement_min"]:
            return day
    return None


def period_of(day: dt.date, period: str) -> str:
    if period == "year":
        return str(day.year)
    if period == "month":
        return f"{day.year}-{day.month:02d}"
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def periods_up_to(as_of: dt.date, period: str, count: int) -> list[str]:
    """The ``count`` period labels ending with the one holding as_of, oldest first."""
    labels = [period_of(as_of, period)]
    day = as_of
    while len(labels) < count:
        # Step to the last day of the previous period.
        if period == "year":
            day = dt.date(day.year - 1, 12, 31)
        elif period == "month":
            day = day.replace(day=1) - dt.timedelta(days=1)
        else:
            first_month = (day.month - 1) // 3 * 3 + 1
            day = day.replace(month=first_month, day=1) - dt.timedelta(days=1)
        labels.append(period_of(day, period))
    return labels[::-1]


def previous_period_end(as_of: dt.date, period: str) -> dt.date:
    if period == "year":
        return dt.date(as_of.year - 1, 12, 31)
    if period == "month":
        return as_of.replace(day=1) - dt.timedelta(days=1)
    first_month = (as_of.month - 1) // 3 * 3 + 1
    return as_of.replace(month=first_month, day=1) - dt.timedelta(days=1)


def reference_trends(book: Book, accounts: list[ReferenceAccount], in_segment) -> list[dict]:
    """analytics.md section 4, one dict per segment and period (segments in order,
    periods oldest first), keyed as the --json rows."""
    s, as_of, period = book.settings, book.as_of, book.period
    labels = periods_up_to(as_of, period, book.trend_periods)
    tier_of = {a.account_id: a.tier for a in accounts}

    def when(day: dt.date | None) -> str | None:
        """The period label of a day up to as_of; None for no day or after as_of."""
        return None if day is None or day > as_of else period_of(day, period)

    events_of: dict[str, list[dict]] = defaultdict(list)
    for event in book.events:
        events_of[event["account_id"]].append(event)
    engaged_on = {a.account_id: engaged_date(events_of[a.account_id], as_of, s) for a in accounts}
    opportunity_on: dict[str, dt.date] = {}
    won_on: dict[str, dt.date] = {}
    for o in book.opportunities:
        account_id = o["account_id"]
        if o["created"] is not None and o["created"] <= as_of:
            if account_id not in opportunity_on or o["created"] < opportunity_on[account_id]:
                opportunity_on[account_id] = o["created"]
        if o["won"] and o["closed"] is not None and o["closed"] <= as_of:
            if account_id not in won_on or o["closed"] < won_on[account_id]:
                won_on[account_id] = o["closed"]

    rows = []
    for segment in SEGMENT_NAMES:
        for label in labels:
            row: dict = {"period": label, "segment": segment}
            members = [a for a in accounts if in_segment(a.tier, segment)]
            row["new_engaged_accounts"] = (
                sum(1 for a in members if when(engaged_on[a.account_id]) == label)
                if book.events
                else None
            )
            row["new_opportunity_accounts"] = sum(
                1 for a in members if when(opportunity_on.get(a.account_id)) == label
            )
            opps = [o for o in book.opportunities if in_segment(tier_of[o["account_id"]], segment)]
            created = [o for o in opps if when(o["created"]) == label]
            row["opportunities_created"] = len(created)
            row["pipeline_created"] = sum(o["amount"] for o in created)
            row["new_won_accounts"] = sum(
                1 for a in members if when(won_on.get(a.account_id)) == label
            )
            closed_nb = [
                o for o in opps if o["type"] == "New Business" and when(o["closed"]) == label
            ]
            won = [o for o in closed_nb if o["won"]]
            lost = [o for o in closed_nb if o["lost"]]
            row["won_deals"] = len(won)
            row["new_revenue_won"] = sum(o["amount"] for o in won)
            row["win_rate"] = ratio(len(won), len(won) + len(lost))
            row["avg_deal_size"] = mean([o["amount"] for o in won])
            row["avg_sales_cycle_days"] = mean(
                [
                    (o["closed"] - o["created"]).days
                    for o in won
                    if o["created"] is not None and o["closed"] >= o["created"]
                ]
            )
            row["touches"] = (
                sum(
                    1
                    for e in book.events
                    if in_segment(tier_of[e["account_id"]], segment) and when(e["date"]) == label
                )
                if book.events
                else None
            )
            row["spend"] = (
                sum(
                    x["amount"]
                    for x in book.spend
                    if when(x["date"]) == label
                    and (
                        (segment == "All targets" and x["tier"] in (None, 1, 2, 3))
                        or (segment == "Non-target" and x["tier"] == 0)
                        or (segment.startswith("Tier") and x["tier"] == int(segment[-1]))
                    )
                )
                if book.spend
                else None
            )
            rows.append(row)
    return rows


def reference_progression(book: Book, accounts: list[ReferenceAccount], in_segment) -> dict:
    """analytics.md section 5 as the --json document."""
    s = book.settings
    day = previous_period_end(book.as_of, book.period)
    events_of: dict[str, list[dict]] = defaultdict(list)
    for event in book.events:
        events_of[event["account_id"]].append(event)
    opportunities_of: dict[str, list[dict]] = defaultdict(list)
    for o in book.opportunities:
        opportunities_of[o["account_id"]].append(o)

    def stage_then(account: ReferenceAccount) -> str:
        opps = opportunities_of[account.account_id]
        known = [o for o in opps if o["created"] is not None and o["created"] <= day]
        won = [o for o in opps if o["won"] and o["closed"] is not None and o["closed"] <= day]
        score = round(score_on(events_of[account.account_id], day, s), 9)
        if any(o["type"] == "Expansion" for o in won):
            return "Expanded"
        if any(o["type"] == "Renewal" for o in won):
            return "Retained"
        if won:
            return "Won"
        if known:
            return "Opportunity"
        if book.events and score >= s["engagement_min"]:
            return "Engaged"
        return "Target"

    rank = {stage: i for i, stage in enumerate(STAGE_NAMES)}
    matrix = {start: dict.fromkeys(STAGE_NAMES, 0) for start in STAGE_NAMES}
    summary = {
        segment: {"progressed": 0, "unchanged": 0, "regressed": 0} for segment in SEGMENT_NAMES
    }
    for account in accounts:
        then, now = stage_then(account), account.current_stage
        if account.tier in (1, 2, 3):
            matrix[then][now] += 1
        move = (
            "progressed"
            if rank[now] > rank[then]
            else "regressed"
            if rank[now] < rank[then]
            else "unchanged"
        )
        for segment in SEGMENT_NAMES:
            if in_segment(account.tier, segment):
                summary[segment][move] += 1
    return {"from_date": day.isoformat(), "matrix": matrix, "summary": summary}
