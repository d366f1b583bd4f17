"""The workbook contract of ``shared/spec/workbook.md`` as data.

Sheet and column names, which columns are required, the Settings and
ChannelWeights defaults, and the rules for matching headers and CRM status
and type values. The engine, the readers and the template builder all take
these from here so that they cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

# The models attribution_shares knows, in the order the Attribution table lists them.
from abmxl.metrics.attribution import ATTRIBUTION_MODELS

ColumnKind = Literal["id", "text", "number", "date", "yn"]


@dataclass(frozen=True)
class Column:
    """One column of an input table.

    ``name`` is the canonical snake_case header; ``kind`` says how cells are read:
    ``id`` and ``text`` keep text as written (numbers become their text form),
    ``number`` and ``date`` must parse, ``yn`` is a Y/N flag.
    """

    name: str
    kind: ColumnKind
    required: bool = False


@dataclass(frozen=True)
class SheetSpec:
    name: str
    columns: tuple[Column, ...]
    required: bool = False

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)


def _cols(*specs: tuple[str, ColumnKind] | tuple[str, ColumnKind, bool]) -> tuple[Column, ...]:
    return tuple(Column(*s) for s in specs)


SETTINGS = SheetSpec("Settings", _cols(("key", "text", True), ("value", "text", True)))
CHANNEL_WEIGHTS = SheetSpec(
    "ChannelWeights", _cols(("channel", "text", True), ("weight", "number", True))
)
ACCOUNTS = SheetSpec(
    "Accounts",
    _cols(
        ("account_id", "id", True),
        ("account_name", "text"),
        ("domain", "text"),
        ("industry", "text"),
        ("region", "text"),
        ("employees", "number"),
        ("annual_revenue", "number"),
        # ingest.md section 3: optional; without it every account counts as fit.
        ("fit_score", "number"),
        ("intent_score", "number"),
        ("expected_acv", "number"),
        ("tier_override", "number"),
    ),
    required=True,
)
CONTACTS = SheetSpec(
    "Contacts",
    _cols(
        ("contact_id", "id", True),
        ("account_id", "id", True),
        ("name", "text"),
        ("title", "text"),
        ("buying_role", "text"),
        ("engaged", "yn"),
    ),
)
ENGAGEMENT = SheetSpec(
    "Engagement",
    _cols(
        ("date", "date", True),
        ("account_id", "id", True),
        ("channel", "text", True),
        ("weight", "number"),
        ("contact_id", "id"),
    ),
)
OPPORTUNITIES = SheetSpec(
    "Opportunities",
    _cols(
        ("opportunity_id", "id", True),
        ("account_id", "id", True),
        ("type", "text"),
        ("status", "text", True),
        ("amount", "number", True),
        ("term_years", "number"),
        ("one_time_fees", "number"),
        ("created_date", "date", True),
        ("close_date", "date"),
    ),
    required=True,
)
SPEND = SheetSpec(
    "Spend",
    _cols(
        ("date", "date", True),
        ("tier", "number"),
        ("category", "text"),
        ("amount", "number", True),
        # analytics.md: spend per channel (blank = not tied to one channel).
        ("channel", "text"),
    ),
)
SURVEYS = SheetSpec(
    "Surveys",
    _cols(("account_id", "id", True), ("date", "date"), ("score", "number", True)),
)

INPUT_SHEETS: dict[str, SheetSpec] = {
    s.name: s
    for s in (
        SETTINGS,
        CHANNEL_WEIGHTS,
        ACCOUNTS,
        CONTACTS,
        ENGAGEMENT,
        OPPORTUNITIES,
        SPEND,
        SURVEYS,
    )
}

# ingest.md sections 3 and 4: the analyst's own headers and values, optional.
COLUMN_MAP = SheetSpec(
    "ColumnMap", _cols(("sheet", "text", True), ("column", "text", True), ("header", "text", True))
)
VALUE_MAP = SheetSpec(
    "ValueMap",
    _cols(
        ("sheet", "text", True),
        ("column", "text", True),
        ("value", "text", True),
        ("means", "text", True),
    ),
)
MAPPING_SHEETS: dict[str, SheetSpec] = {s.name: s for s in (COLUMN_MAP, VALUE_MAP)}
# Every table a reader looks for: the inputs, then the two mapping tables.
READ_SHEETS: dict[str, SheetSpec] = {**INPUT_SHEETS, **MAPPING_SHEETS}

FUNNEL_SUMMARY_SHEET = "Funnel Summary"
ACCOUNT_SCORES_SHEET = "Account Scores"
TRENDS_SHEET = "Trends"
ATTRIBUTION_SHEET = "Attribution"
OUTPUT_SHEETS = (FUNNEL_SUMMARY_SHEET, TRENDS_SHEET, ATTRIBUTION_SHEET, ACCOUNT_SCORES_SHEET)

# Settings defaults; ``None`` means "blank": as_of blank = today, half-life blank = none.
# Text settings (``TEXT_SETTINGS``) take one of a few words; the rest are numbers.
DEFAULT_SETTINGS: dict[str, float | str | None] = {
    "as_of": None,
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
    # ingest.md section 4: how text numbers and dates are read.
    "decimal_separator": ".",
    "date_order": "auto",
    # analytics.md: trends, spikes and attribution.
    "period": "quarter",
    "trend_periods": 12.0,
    "spike_recent_days": 7.0,
    "spike_baseline_days": 28.0,
    "spike_min_lift": 1.0,
    "spike_min_recent": 3.0,
    "attribution_window_days": 90.0,
    "attribution_half_life_days": 30.0,
    "attribution_model": "w_shaped",
    # scale.md: events read from a Parquet/CSV SOURCE instead of the Engagement sheet.
    "engagement_source": None,
}

# The words a text setting accepts (matched ignoring case; ``date_order`` is
# compared in upper case, the others in lower case).
TEXT_SETTINGS: dict[str, tuple[str, ...]] = {
    "decimal_separator": (".", ","),
    "date_order": ("auto", "MDY", "DMY"),
    "period": ("quarter", "month", "year"),
    "attribution_model": ATTRIBUTION_MODELS,
}

# Settings that take any text (kept as written, stripped; blank = the default).
FREE_TEXT_SETTINGS: tuple[str, ...] = ("engagement_source",)

DEFAULT_CHANNEL_WEIGHTS: dict[str, float] = {
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

STAGES = ("Target", "Engaged", "Opportunity", "Won", "Retained", "Expanded")
SEGMENTS = ("All targets", "Tier 1", "Tier 2", "Tier 3", "Non-target")

ACCOUNT_SCORES_COLUMNS = (
    "account_id",
    "account_name",
    "tier",
    "engagement_score",
    "first_touch",
    "reached_target",
    "reached_engaged",
    "reached_opportunity",
    "reached_won",
    "reached_retained",
    "reached_expanded",
    "current_stage",
    "open_pipeline",
    "won_amount",
    # analytics.md section 9
    "engaged_date",
    "opportunity_date",
    "won_date",
    "retained_date",
    "expanded_date",
    "recent_engagement",
    "baseline_engagement",
    "engagement_trend",
    "spiking",
    "surging",
    "tier_reason",
    "sourced_pipeline",
    "influenced_pipeline",
)

ISSUE_COLUMNS = ("Sheet", "Row", "Column", "Value", "Problem", "Action")

_HEADER_SEPARATORS = re.compile(r"[\s_]+")
_STATUS_NOISE = re.compile(r"[\s_\-]+")


def normalize_header(header: object) -> str:
    """``"Account ID"`` -> ``"account_id"``: case-insensitive, spaces = underscores."""
    return _HEADER_SEPARATORS.sub("_", str(header).strip().lower()).strip("_")


def _loose_name(name: str) -> str:
    return _HEADER_SEPARATORS.sub("", name).casefold()


def match_name(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate naming the same sheet or table as ``name``, or None.

    Equal ignoring case wins; else equal ignoring case, spaces and underscores
    (``Channel Weights`` is ``ChannelWeights``). Both readers (the file reader
    and xlwings inside Excel) find input sheets with it.
    """
    candidates = list(candidates)
    folded = name.casefold()
    for candidate in candidates:
        if candidate.casefold() == folded:
            return candidate
    loose = _loose_name(name)
    for candidate in candidates:
        if _loose_name(candidate) == loose:
            return candidate
    return None


# ingest.md section 1: the inputs a book may hold beside INPUT_SHEETS, and the
# other names each input's sheet goes by in CRM exports. Tables are looked up
# under the input's name first, then under these, in this order.
MAPPING_INPUTS = ("ColumnMap", "ValueMap")
SHEET_SYNONYMS: dict[str, tuple[str, ...]] = {
    "Accounts": ("Companies", "Target Accounts", "Account List"),
    "Opportunities": ("Deals", "Pipeline", "Sales Pipeline"),
    "Engagement": ("Activities", "Touches", "Touchpoints", "Campaign Members", "Events"),
    "Contacts": ("People", "Leads"),
    "Spend": ("Budget", "Costs"),
    "Surveys": ("NPS",),
}

_NAME_NOISE = re.compile(r"[\s_\-]+")


def name_key(name: str) -> str:
    """``"Sales-Pipeline "`` -> ``"salespipeline"``: how sheet and Table names are compared
    (ingest.md section 1: ignoring case, spaces, underscores and hyphens)."""
    return _NAME_NOISE.sub("", name).casefold()


def normalize_token(value: object) -> str:
    """``"Closed-Won"`` -> ``"closedwon"``: how status and type values are compared."""
    return _STATUS_NOISE.sub("", str(value).lower())


WON_STATUSES = frozenset({"won", "closedwon"})
LOST_STATUSES = frozenset({"lost", "closedlost"})

NEW_BUSINESS, RENEWAL, EXPANSION = "New Business", "Renewal", "Expansion"
OPPORTUNITY_TYPES: dict[str, str] = {
    "": NEW_BUSINESS,
    "newbusiness": NEW_BUSINESS,
    "new": NEW_BUSINESS,
    "renewal": RENEWAL,
    "expansion": EXPANSION,
    "upsell": EXPANSION,
    "crosssell": EXPANSION,
    "addon": EXPANSION,
    "upgrade": EXPANSION,
    "existingbusiness": EXPANSION,
}
