"""A deliberately plain second implementation of the funnel contract.

``reference_summary`` reads the same ``RawTable``s as ``abmxl.engine.build_summary``
and computes tiers, engagement scores, stages, ``FunnelStages``, every
``FunnelKPIs`` key and the DataIssues (sheet, row, column) of the rules in
``shared/spec/workbook.md`` and ``shared/spec/metrics.md``, with row loops,
dicts and ``datetime`` only. It shares no code with ``abmxl.engine`` or
``abmxl.metrics`` (not even ``abmxl.schema``'s matching helpers): the point is
that two independent readings of the spec must agree, so the differential
tests in ``test_engine_reference.py`` catch a slip in either.

Where the spec is silent the choices of ``docs/funnel.md`` are followed, each
marked ``docs/funnel.md`` below. Cleaning covers every row rule of the spec;
sheet-level problems (a missing sheet or required column, duplicate headers)
are not modelled, so the reference is for books whose headers are complete.
Speed is irrelevant here: it runs on books of a few hundred rows.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field

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
    "attribution_window_days": 90.0,
    "attribution_half_life_days": 30.0,
}
# Settings the funnel does not use (ingest.md and analytics.md keys): known keys,
# so not reported, but not modelled here.
SETTINGS_NOT_MODELLED = frozenset(
    {
        "decimal_separator",
        "date_order",
        "period",
        "trend_periods",
        "spike_recent_days",
        "spike_baseline_days",
        "spike_min_lift",
        "spike_min_recent",
        "attribution_model",
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

PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})([ T](\d{2}):(\d{2})(:(\d{2})(\.\d+)?)?)?$")
EXCEL_EPOCH = dt.date(1899, 12, 30)
YES_WORDS = {"y", "yes", "true", "1"}
NO_WORDS = {"n", "no", "false", "0"}


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


def read_number(value: object) -> float:
    """docs/funnel.md: numbers, and plain numeric text as CRM exports write it."""
    if isinstance(value, bool):
        raise Unreadable
    if isinstance(value, int | float):
        if math.isfinite(value):
            return float(value)
        raise Unreadable
    if isinstance(value, str) and PLAIN_NUMBER.match(value.strip()):
        return float(value.strip())
    raise Unreadable


def read_date(value: object) -> dt.date:
    """docs/funnel.md: date cells, ISO text, and 1900-system serials from 61."""
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
        match = ISO_DATE.match(value.strip())
        if match:
            try:
                return dt.date(int(match[1]), int(match[2]), int(match[3]))
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


# --- sheets ---------------------------------------------------------------------


@dataclass
class Row:
    """One non-blank worksheet row: its number, canonical column -> cell, headers as written."""

    number: int
    cells: dict[str, object]
    headers: dict[str, str]

    def cell(self, column: str) -> object:
        value = self.cells.get(column)
        return None if is_blank(value) else value


def sheet_rows(table: RawTable | None) -> list[Row]:
    if table is None:
        return []
    headers: dict[str, str] = {}
    for header in table.frame.columns:
        headers.setdefault(squash_header(header), str(header))
    rows = []
    for number, values in zip(table.frame.index, table.frame.to_numpy(dtype=object), strict=True):
        if all(is_blank(v) for v in values):
            continue
        cells: dict[str, object] = {}
        for header, value in zip(table.frame.columns, values, strict=True):
            cells.setdefault(squash_header(header), value)
        rows.append(Row(int(number), cells, headers))
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
    has_spend_channel: bool = False


def clean_book(tables: dict[str, RawTable | None], today: dt.date) -> Book:
    """Typed rows of every sheet and the DataIssues, by the rules of workbook.md."""
    issues: set[Issue] = set()

    def report(sheet: str, row: Row, column: str, *, skipped: bool) -> None:
        issues.add(Issue(sheet, row.number, row.headers[column], skipped))

    # Settings: docs/funnel.md (blank/unknown/repeated key skipped; bad value -> default).
    settings = dict(SETTING_DEFAULTS)
    as_of = today
    seen_keys: set[str] = set()
    for row in sheet_rows(tables.get("Settings")):
        raw_key = row.cell("key")
        key = squash_header(raw_key) if raw_key is not None else None
        if (
            key is None
            or (key != "as_of" and key not in SETTING_DEFAULTS.keys() | SETTINGS_NOT_MODELLED)
            or key in seen_keys
        ):
            report("Settings", row, "key", skipped=True)
            continue
        seen_keys.add(key)
        raw = row.cell("value")
        if raw is None or key in SETTINGS_NOT_MODELLED:
            continue
        try:
            if key == "as_of":
                as_of = read_date(raw)
                continue
            value = read_number(raw)
        except Unreadable:
            report("Settings", row, "value", skipped=False)
            continue
        in_domain = {
            "window_days": value >= 0,
            "half_life_days": value > 0,
            "gross_margin": 0 <= value <= 1,
            "discount_rate": value >= 0,
            "customer_lifetime_years": value > 0,
            "attribution_window_days": value >= 0,
            "attribution_half_life_days": value > 0,
        }.get(key, True)
        if in_domain:
            settings[key] = value
        else:
            report("Settings", row, "value", skipped=False)

    weights = dict(CHANNEL_WEIGHT_DEFAULTS)
    seen_channels: set[str] = set()
    for row in sheet_rows(tables.get("ChannelWeights")):
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

    # Accounts. Within a row the rules run in docs/funnel.md's order (1-7): the
    # first that fails names the column.
    account_rows = sheet_rows(tables.get("Accounts"))
    firsts = first_kept_ids(account_rows, "account_id")
    accounts: list[dict] = []
    for row in account_rows:
        try:
            account_id = check_own_id(row, "account_id", firsts)
            cells = parse(
                row,
                {
                    "fit_score": read_number,
                    "intent_score": read_number,
                    "expected_acv": read_number,
                    "tier_override": read_number,
                },
            )
            fail_if(cells["expected_acv"] is not None and cells["expected_acv"] < 0, "expected_acv")
            for column in ("fit_score", "intent_score"):
                fail_if(cells[column] is not None and not 0 <= cells[column] <= 100, column)
            override = cells["tier_override"]
            fail_if(override is not None and override not in (0, 1, 2, 3), "tier_override")
        except Skip as skip:
            report("Accounts", row, skip.column, skipped=True)
            continue
        # docs/funnel.md: a blank fit score is kept as untiered and reported.
        if cells["fit_score"] is None and override is None:
            report("Accounts", row, "fit_score", skipped=False)
        accounts.append({"account_id": account_id, **cells})
    kept_accounts = {a["account_id"] for a in accounts}
    headers = {squash_header(h) for h in tables["Accounts"].frame.columns}
    has_expected_acv = "expected_acv" in headers  # docs/funnel.md: tam blank without it

    # Contacts.
    contact_rows = sheet_rows(tables.get("Contacts"))
    firsts = first_kept_ids(contact_rows, "contact_id")
    contacts: list[dict] = []
    for row in contact_rows:
        try:
            check_own_id(row, "contact_id", firsts)
            account_id = check_account(row, kept_accounts)
            engaged = parse(row, {"engaged": read_yes_no})["engaged"]
        except Skip as skip:
            report("Contacts", row, skip.column, skipped=True)
            continue
        contacts.append({"account_id": account_id, "engaged": bool(engaged)})

    # Engagement.
    events: list[dict] = []
    for row in sheet_rows(tables.get("Engagement")):
        try:
            account_id = check_account(row, kept_accounts)
            check_required(row, "date", "channel")
            cells = parse(row, {"date": read_date, "weight": read_number})
            fail_if(cells["weight"] is not None and cells["weight"] < 0, "weight")
        except Skip as skip:
            report("Engagement", row, skip.column, skipped=True)
            continue
        weight = cells["weight"]
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
                "date": cells["date"],
                "weight": weight,
                "channel": squash_header(row.cell("channel")),
                "row": row.number,
            }
        )

    # Opportunities.
    opportunity_rows = sheet_rows(tables.get("Opportunities"))
    firsts = first_kept_ids(opportunity_rows, "opportunity_id")
    opportunities: list[dict] = []
    for row in opportunity_rows:
        try:
            check_own_id(row, "opportunity_id", firsts)
            account_id = check_account(row, kept_accounts)
            check_required(row, "status")
            cells = parse(
                row,
                {
                    "amount": read_number,
                    "term_years": read_number,
                    "one_time_fees": read_number,
                    "created_date": read_date,
                    "close_date": read_date,
                },
            )
            amount = 0.0 if cells["amount"] is None else cells["amount"]
            fees = 0.0 if cells["one_time_fees"] is None else cells["one_time_fees"]
            term = 1.0 if cells["term_years"] is None else cells["term_years"]
            fail_if(amount < 0, "amount")
            fail_if(fees < 0, "one_time_fees")
            fail_if(term <= 0, "term_years")
            fail_if(fees > amount, "one_time_fees")
        except Skip as skip:
            report("Opportunities", row, skip.column, skipped=True)
            continue
        if cells["amount"] is None:
            report("Opportunities", row, "amount", skipped=False)
        created, closed = cells["created_date"], cells["close_date"]
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
        status = squash_token(row.cell("status"))
        opportunities.append(
            {
                "account_id": account_id,
                "type": kind,
                "won": status in WON_WORDS,
                "lost": status in LOST_WORDS,
                "amount": amount,
                "acv": (amount - fees) / term,
                "created": created,
                "closed": closed,
                "timed": timed,
            }
        )

    # Spend.
    spend: list[dict] = []
    for row in sheet_rows(tables.get("Spend")):
        try:
            check_required(row, "date")
            cells = parse(row, {"date": read_date, "tier": read_number, "amount": read_number})
            amount = 0.0 if cells["amount"] is None else cells["amount"]
            fail_if(amount < 0, "amount")
            fail_if(cells["tier"] is not None and cells["tier"] not in (0, 1, 2, 3), "tier")
        except Skip as skip:
            report("Spend", row, skip.column, skipped=True)
            continue
        if cells["amount"] is None:
            report("Spend", row, "amount", skipped=False)
        tier = None if cells["tier"] is None else int(cells["tier"])
        channel = row.cell("channel") if "channel" in row.cells else None
        channel = None if is_blank(channel) else squash_header(read_id(channel))
        spend.append({"tier": tier, "amount": amount, "channel": channel})
    spend_headers = (
        {squash_header(h) for h in tables["Spend"].frame.columns}
        if tables.get("Spend") is not None
        else set()
    )

    # Surveys.
    surveys: list[dict] = []
    for row in sheet_rows(tables.get("Surveys")):
        try:
            account_id = check_account(row, kept_accounts)
            check_required(row, "score")
            score = parse(row, {"score": read_number})["score"]
            fail_if(not (score.is_integer() and 0 <= score <= 10), "score")
        except Skip as skip:
            report("Surveys", row, skip.column, skipped=True)
            continue
        surveys.append({"account_id": account_id, "score": int(score)})

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
        "channel" in spend_headers,
    )


# --- formulas (metrics.md, written out again) ------------------------------------


def tier_of(fit, intent, engagement, acv, s: dict[str, float | None]) -> int:
    """metrics.md tier rules: missing intent/engagement = 0, missing fit = untiered."""
    if fit is None or fit < s["fit_min"]:
        return 0
    intent = intent or 0.0
    engagement = engagement or 0.0
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
            or (engagement is not None and engagement >= s["engagement_min"]),
            "Opportunity": has_opportunity,
            "Won": won,
            "Retained": won and any(o["won"] and o["type"] == "Renewal" for o in opps),
            "Expanded": won and any(o["won"] and o["type"] == "Expansion" for o in opps),
        }
        current = next(stage for stage in reversed(STAGE_NAMES) if reached[stage])
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

    return ReferenceSummary(
        as_of=as_of,
        accounts=accounts,
        stages=stages,
        conversion=conversion,
        in_stage_now=in_stage_now,
        kpis=kpis,
        issues=book.issues,
        attribution=attribution_rows(book),
    )
