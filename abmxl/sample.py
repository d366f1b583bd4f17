"""A seeded generator of realistic ABM input tables.

``generate`` returns one DataFrame per input sheet of ``shared/spec/workbook.md``
(``abmxl.schema.INPUT_SHEETS``), with the canonical column names, holding what
a workbook filled from a CRM and a marketing-automation export would hold. It
feeds the demo workbook, the tests and the benchmarks, so it is deterministic
for a seed and vectorized (50,000 accounts and 500,000 engagement rows in well
under a few seconds).

Value conventions (what a workbook writer needs to know):

- text columns have ``object`` dtype with ``None`` for an empty cell;
- number columns are ``float64``/``int64`` with ``NaN`` for an empty cell;
- date columns are ``datetime64`` (pandas Timestamps at midnight) with ``NaT``
  for an empty cell; the Settings ``value`` column holds a ``datetime.date`` for
  ``as_of`` and floats or ``None`` for the rest;
- ``messy=True`` puts text into a few number and date cells, so those columns
  become ``object`` dtype holding a mix of numbers or Timestamps and ``str``.

The region "NA" (North America) is a value, never a missing one.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from abmxl.sample_exports import CRM_EXPORTS, ExportTable, export_tables
from abmxl.schema import DEFAULT_CHANNEL_WEIGHTS, DEFAULT_SETTINGS, INPUT_SHEETS

# ``export_tables``: the same data the way Salesforce, HubSpot and Maven export it.
__all__ = ["CRM_EXPORTS", "ExportTable", "export_tables", "generate"]

# --- word lists -------------------------------------------------------------

_NAME_FIRST = np.array(
    "Blue Red Green Silver Golden Iron Bright North South East West Summit Peak River Lake "
    "Harbor Cedar Oak Pine Maple Granite Crystal Solar Lunar Stellar Quantum Vector Apex "
    "Nova Atlas Orion Titan Falcon Eagle Fox Wolf Bear Lion Tiger Hawk Delta Sigma Omega "
    "Alpha Beta Prime Core Clear Swift True Bold Open Smart".split()
)
_NAME_SECOND = np.array(
    "Harbor Bridge Stone Field Ridge Valley Point Gate Wave Path Forge Works Labs Logic Data "
    "Cloud Signal Stream Grid Line Sphere Craft Leaf Rock Wind Light Star Sky Shore Mill "
    "Vista Loop Link Dynamics Metrics Systems Networks Analytics Health Energy Capital".split()
)
_NAME_SUFFIX = np.array(["Inc.", "LLC", "Ltd", "GmbH", "Group", "Corp.", "Holdings", "Co."])
_NAME_SUFFIX_P = np.array([0.3, 0.15, 0.1, 0.08, 0.12, 0.12, 0.08, 0.05])
_TLDS = np.array([".com", ".io", ".co", ".net", ".ai"])
_TLDS_P = np.array([0.6, 0.15, 0.1, 0.1, 0.05])

_INDUSTRIES = np.array(
    [
        "Software",
        "Financial Services",
        "Healthcare",
        "Manufacturing",
        "Retail",
        "Telecommunications",
        "Education",
        "Energy",
        "Logistics",
        "Media",
    ]
)
# "NA" is North America: a region value that a careless reader turns into NaN.
_REGIONS = np.array(["NA", "EMEA", "APAC", "LATAM"])
_REGIONS_P = np.array([0.45, 0.3, 0.17, 0.08])

_FIRST_NAMES = np.array(
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Carlos Maria Wei Li Priya Arjun Yuki Hana "
    "Olga Ivan Fatima Omar Lucas Sofia Noah Emma Liam Olivia Mateo Camila Lars Ingrid".split()
)
_LAST_NAMES = np.array(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Chen Wang Patel Singh Kim Nguyen "
    "Tanaka Schmidt Muller Rossi Silva Costa Novak Ivanova Haddad Cohen Larsen Berg".split()
)
_TITLES = np.array(
    [
        "CEO",
        "CFO",
        "CTO",
        "VP Marketing",
        "VP Sales",
        "Head of Operations",
        "Director of IT",
        "Marketing Manager",
        "Procurement Manager",
        "Data Analyst",
        "Software Engineer",
        "Product Manager",
    ]
)
_BUYING_ROLES = np.array(
    ["Decision Maker", "Economic Buyer", "Champion", "Influencer", "User", "Gatekeeper"]
)
_BUYING_ROLES_P = np.array([0.12, 0.08, 0.15, 0.3, 0.28, 0.07])

# Channel mix of a B2B programme: many cheap touches, a few heavy ones.
_CHANNEL_MIX: dict[str, float] = {
    "web_visit": 0.28,
    "ad_impression": 0.2,
    "email_open": 0.15,
    "email_click": 0.08,
    "high_value_page": 0.08,
    "ad_click": 0.06,
    "content_download": 0.04,
    "email_reply": 0.025,
    "chat": 0.02,
    "webinar": 0.025,
    "meeting": 0.015,
    "event": 0.01,
}

# CRM spellings as they come from Salesforce / HubSpot exports.
_WON = np.array(["Closed Won", "Won", "closedwon", "Closed-Won"])
_WON_P = np.array([0.7, 0.15, 0.1, 0.05])
_LOST = np.array(["Closed Lost", "Lost", "closedlost"])
_LOST_P = np.array([0.75, 0.15, 0.1])
_OPEN = np.array(["Prospecting", "Qualification", "Proposal", "Negotiation", "Open"])
_OPEN_P = np.array([0.25, 0.25, 0.2, 0.2, 0.1])
_EXPANSION_SPELLINGS = np.array(["Expansion", "Upsell", "Cross-sell", "Add-on"])
_EXPANSION_P = np.array([0.7, 0.15, 0.1, 0.05])

_SPEND_CATEGORIES = ("Marketing", "Sales", "Overhead")
_SPEND_CATEGORY_SHARE = np.array([0.6, 0.3, 0.1])
# Tier 1, 2, 3, non-target (0) and program-wide (blank) shares of a month's spend.
_SPEND_TIERS = (1.0, 2.0, 3.0, 0.0, np.nan)
_SPEND_TIER_SHARE = np.array([0.35, 0.25, 0.15, 0.05, 0.2])
# The channels Marketing spend is booked to (Spend's optional channel column).
_SPEND_CHANNELS = ("event", "webinar", "ad_click", "content_download")


def generate(
    n_accounts: int = 300,
    *,
    seed: int = 7,
    as_of: dt.date = dt.date(2026, 3, 31),
    engagement_per_account: float = 10.0,
    contacts_per_account: float | None = None,
    opportunities_per_account: float = 0.4,
    messy: bool = False,
) -> dict[str, pd.DataFrame]:
    """Generate realistic input tables for every input sheet.

    Parameters
    ----------
    n_accounts : int
        Rows of the Accounts table.
    seed : int
        Seed of the random generator: the same arguments give the same frames.
    as_of : datetime.date
        The Settings ``as_of`` date; engagement covers the 365 days up to it,
        plus about 1 % of rows dated up to 30 days after it (the future, which
        a refresh ignores); New Business is created over the 21 months up to it.
    engagement_per_account : float
        Mean Engagement rows per account; the table has exactly
        ``round(n_accounts * engagement_per_account)`` rows, concentrated on
        high-intent accounts.
    contacts_per_account : float, optional
        ``None`` gives every account 3 to 12 contacts. A number gives exactly
        ``round(n_accounts * contacts_per_account)`` contacts spread unevenly
        (some accounts have none).
    opportunities_per_account : float
        The Opportunities table has ``round(n_accounts * opportunities_per_account)``
        rows: about 65 % New Business, 20 % Renewal and 15 % Expansion, the
        last two on accounts with a won New Business deal.
    messy : bool
        Add a few rows of every data-issue kind of the spec (blank, duplicate
        and unknown ids, text in number and date columns, a formula-looking
        account name, negative amounts, out-of-range scores, ...) at random
        positions, so a refresh has DataIssues to show.

    Returns
    -------
    dict of str to pandas.DataFrame
        Keyed by sheet name in ``abmxl.schema.INPUT_SHEETS`` order, each with
        that sheet's canonical columns. See the module docstring for dtypes.

    Examples
    --------
    >>> tables = generate(20, seed=1)
    >>> list(tables) == list(INPUT_SHEETS)
    True
    >>> tables["Accounts"]["account_id"].iloc[0]
    'ACC-00001'
    """
    if n_accounts < 1:
        raise ValueError(f"n_accounts must be at least 1, got {n_accounts}")
    rng = np.random.default_rng(seed)
    as_of64 = np.datetime64(as_of, "D")

    accounts, propensity = _accounts(rng, n_accounts)
    contacts = _contacts(rng, accounts, contacts_per_account)
    engagement = _engagement(
        rng, accounts, contacts, propensity, as_of64, round(n_accounts * engagement_per_account)
    )
    opportunities = _opportunities(
        rng, accounts, propensity, as_of64, round(n_accounts * opportunities_per_account)
    )
    won_accounts = _won_account_ids(opportunities)
    tables = {
        "Settings": _settings(as_of),
        "ChannelWeights": pd.DataFrame(
            {
                "channel": _text(np.array(list(DEFAULT_CHANNEL_WEIGHTS), dtype=object)),
                "weight": np.array(list(DEFAULT_CHANNEL_WEIGHTS.values()), dtype=float),
            }
        ),
        "Accounts": accounts,
        "Contacts": contacts,
        "Engagement": engagement,
        "Opportunities": opportunities,
        "Spend": _spend(rng, n_accounts, as_of64),
        "Surveys": _surveys(rng, won_accounts, as_of64),
    }
    if messy:
        _make_messy(rng, tables, as_of64)
    # Canonical sheet order and column order of the spec.
    return {
        name: tables[name].loc[:, [column.name for column in spec.columns]]
        for name, spec in INPUT_SHEETS.items()
    }


# --- helpers ----------------------------------------------------------------


def _text(values: np.ndarray) -> pd.Series:
    """An object Series of Python ``str`` (``None`` stays ``None``), not pandas' ``str`` dtype."""
    return pd.Series(values.astype(object), dtype=object)


def _ids(prefix: str, start: int, count: int, width: int) -> np.ndarray:
    if count == 0:
        return np.array([], dtype=str)
    numbers = np.arange(start, start + count).astype(str)
    return np.strings.add(prefix, np.strings.zfill(numbers, width))


def _pick(rng: np.random.Generator, choices: np.ndarray, size: int, p=None) -> np.ndarray:
    return choices[rng.choice(len(choices), size=size, p=p)]


def _days(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype="timedelta64[D]")


def _dates(values: np.ndarray) -> pd.Series:
    """datetime64 day values -> a Timestamp Series (NaT stays NaT)."""
    return pd.Series(values.astype("datetime64[s]"))


# --- tables -----------------------------------------------------------------


def _settings(as_of: dt.date) -> pd.DataFrame:
    values: list[object] = [
        as_of if key == "as_of" else value for key, value in DEFAULT_SETTINGS.items()
    ]
    return pd.DataFrame(
        {
            "key": pd.Series(list(DEFAULT_SETTINGS), dtype=object),
            "value": pd.Series(values, dtype=object),
        }
    )


def _accounts(rng: np.random.Generator, n: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Accounts and each account's latent buying propensity (drives activity)."""
    first = _pick(rng, _NAME_FIRST, n)
    second = _pick(rng, _NAME_SECOND, n)
    suffix = _pick(rng, _NAME_SUFFIX, n, _NAME_SUFFIX_P)
    names = np.strings.add(np.strings.add(np.strings.add(first, " "), second), " ")
    names = np.strings.add(names, suffix)
    domains = np.strings.add(
        np.strings.lower(np.strings.add(first, second)), _pick(rng, _TLDS, n, _TLDS_P)
    )

    employees = np.clip(np.round(rng.lognormal(np.log(400), 1.4, n)), 5, 250_000)
    revenue_per_employee = rng.lognormal(np.log(200_000), 0.4, n)
    annual_revenue = np.round(employees * revenue_per_employee, -3)
    # A target-account list: most accounts fit the ICP somewhat, about 45 % fit
    # it well (>= 70). One in eight is "in market": a strong fit, surging intent
    # and a larger deal, the Goldilocks Tier 1 of the seed articles; intent is
    # otherwise low. So every tier and the Non-target column have accounts.
    in_market = rng.random(n) < 0.125
    fit = np.round(np.where(in_market, rng.beta(9, 1.6, n), rng.beta(3.6, 2.3, n)) * 100)
    intent = np.round(np.where(in_market, rng.beta(6, 2, n), rng.beta(1.8, 3.0, n)) * 100)
    intent[rng.random(n) < 0.05] = np.nan  # no intent data for some accounts
    size_factor = (np.log(employees) - np.log(5)) / (np.log(250_000) - np.log(5))
    acv_median = np.log(np.where(in_market, 45_000, 15_000)) + 2.6 * size_factor
    expected_acv = np.round(np.clip(rng.lognormal(acv_median, 0.6, n), 5_000, 500_000), -2)
    tier_override = np.full(n, np.nan)
    overridden = rng.random(n) < 0.01
    tier_override[overridden] = rng.choice([0.0, 1.0, 2.0, 3.0], overridden.sum())

    accounts = pd.DataFrame(
        {
            "account_id": _text(_ids("ACC-", 1, n, max(5, len(str(n))))),
            "account_name": _text(names),
            "domain": _text(domains),
            "industry": _text(_pick(rng, _INDUSTRIES, n)),
            "region": _text(_pick(rng, _REGIONS, n, _REGIONS_P)),
            "employees": employees,
            "annual_revenue": annual_revenue,
            "fit_score": fit,
            "intent_score": intent,
            "expected_acv": expected_acv,
            "tier_override": tier_override,
        }
    )
    propensity = np.exp((fit + np.nan_to_num(intent, nan=30.0)) / 40.0) * rng.lognormal(0, 0.5, n)
    return accounts, propensity / propensity.sum()


def _contacts(
    rng: np.random.Generator, accounts: pd.DataFrame, per_account: float | None
) -> pd.DataFrame:
    n_accounts = len(accounts)
    if per_account is None:
        counts = rng.integers(3, 13, n_accounts)
    else:
        total = round(n_accounts * per_account)
        counts = _multinomial_counts(rng, total, rng.gamma(2.0, 1.0, n_accounts))
    owner = np.repeat(np.arange(n_accounts), counts)
    n = owner.size
    names = np.strings.add(
        np.strings.add(_pick(rng, _FIRST_NAMES, n), " "), _pick(rng, _LAST_NAMES, n)
    )
    engaged = np.where(rng.random(n) < 0.35, "Y", "N")
    return pd.DataFrame(
        {
            "contact_id": _text(_ids("CON-", 1, n, max(6, len(str(n))))),
            "account_id": _text(accounts["account_id"].to_numpy()[owner]),
            "name": _text(names),
            "title": _text(_pick(rng, _TITLES, n)),
            "buying_role": _text(_pick(rng, _BUYING_ROLES, n, _BUYING_ROLES_P)),
            "engaged": _text(engaged),
        }
    )


def _multinomial_counts(rng: np.random.Generator, total: int, weights: np.ndarray) -> np.ndarray:
    """Counts per slot summing exactly to ``total``, proportional to ``weights`` on average."""
    return rng.multinomial(total, weights / weights.sum())


def _engagement(
    rng: np.random.Generator,
    accounts: pd.DataFrame,
    contacts: pd.DataFrame,
    propensity: np.ndarray,
    as_of: np.datetime64,
    n: int,
) -> pd.DataFrame:
    n_accounts = len(accounts)
    owner = rng.choice(n_accounts, size=n, p=propensity)
    # About 1 % of events fall after as_of: a refresh must ignore them quietly.
    offsets = rng.integers(0, 365, n)
    future = rng.random(n) < 0.01
    offsets[future] = -rng.integers(1, 31, future.sum())
    dates = as_of - _days(offsets)
    dates.sort(kind="stable")  # an export is in date order; owners stay random

    channels = np.array(list(_CHANNEL_MIX), dtype=object)
    mix = np.array(list(_CHANNEL_MIX.values()))
    channel = channels[rng.choice(channels.size, size=n, p=mix / mix.sum())]
    # Weight is mostly blank (the channel's weight applies); a few custom weights.
    weight = np.full(n, np.nan)
    custom = rng.random(n) < 0.02
    weight[custom] = rng.choice([0.5, 2.0, 5.0, 15.0], custom.sum())

    # Link about 60 % of events to a random contact of the same account.
    contact_ids = contacts["contact_id"].to_numpy()
    contact_owner = pd.Index(accounts["account_id"]).get_indexer(contacts["account_id"])
    per_account = np.bincount(contact_owner, minlength=n_accounts)
    first_contact = np.concatenate(([0], np.cumsum(per_account)[:-1]))
    has_contact = (per_account[owner] > 0) & (rng.random(n) < 0.6)
    pick = first_contact[owner] + (rng.random(n) * per_account[owner]).astype(np.int64)
    contact = np.full(n, None, dtype=object)
    contact[has_contact] = contact_ids[pick[has_contact]]

    return pd.DataFrame(
        {
            "date": _dates(dates),
            "account_id": _text(accounts["account_id"].to_numpy()[owner]),
            "channel": _text(channel),
            "weight": weight,
            "contact_id": pd.Series(contact, dtype=object),
        }
    )


def _opportunities(
    rng: np.random.Generator,
    accounts: pd.DataFrame,
    propensity: np.ndarray,
    as_of: np.datetime64,
    n: int,
) -> pd.DataFrame:
    n_accounts = len(accounts)
    acv = accounts["expected_acv"].to_numpy()
    n_new = n - round(n * 0.35)

    # New Business: one per account where possible, on high-propensity accounts.
    new_owner = rng.choice(n_accounts, size=n_new, replace=n_new > n_accounts, p=propensity)
    new_status_kind = rng.choice(3, size=n_new, p=[0.3, 0.35, 0.35])  # won, lost, open
    # Created over the 21 months (7 quarters) up to as_of: the Trends sheet shows a trend.
    new_created = as_of - _days(rng.integers(20, 640, n_new))
    new_cycle = np.maximum(np.round(rng.gamma(3.0, 30.0, n_new)), 7).astype(np.int64)
    new_close = np.minimum(new_created + _days(new_cycle), as_of)
    term = rng.choice([1.0, 1.0, 1.0, 2.0, 3.0], n_new)
    new_amount = np.round(acv[new_owner] * term * rng.lognormal(0, 0.3, n_new), -2)

    # Renewals and expansions follow won New Business deals.
    won_new = np.flatnonzero(new_status_kind == 0)
    n_follow = n - n_new
    if won_new.size == 0:
        won_new = np.arange(n_new)  # tiny books: attach follow-ups to any deal
    parent = won_new[rng.integers(0, won_new.size, n_follow)] if n_new else np.zeros(0, int)
    is_renewal = rng.random(n_follow) < 20 / 35
    follow_status_kind = np.where(
        is_renewal,
        rng.choice(3, size=n_follow, p=[0.7, 0.15, 0.15]),
        rng.choice(3, size=n_follow, p=[0.5, 0.2, 0.3]),
    )
    follow_created = np.minimum(
        new_close[parent] + _days(rng.integers(30, 300, n_follow)), as_of - np.timedelta64(1, "D")
    )
    follow_close = np.minimum(follow_created + _days(rng.integers(10, 90, n_follow)), as_of)
    follow_term = np.where(is_renewal, term[parent], 1.0)
    follow_amount = np.round(
        np.where(is_renewal, 1.0, 0.3)
        * acv[new_owner[parent]]
        * follow_term
        * rng.lognormal(0, 0.25, n_follow),
        -2,
    )
    follow_type = np.where(
        is_renewal, "Renewal", _pick(rng, _EXPANSION_SPELLINGS, n_follow, _EXPANSION_P)
    )

    owner = np.concatenate([new_owner, new_owner[parent]])
    status_kind = np.concatenate([new_status_kind, follow_status_kind])
    status = np.where(
        status_kind == 0,
        _pick(rng, _WON, n, _WON_P),
        np.where(status_kind == 1, _pick(rng, _LOST, n, _LOST_P), _pick(rng, _OPEN, n, _OPEN_P)),
    )
    close = np.concatenate([new_close, follow_close])
    # Open deals carry an expected close date in the future, or none.
    open_rows = status_kind == 2
    close[open_rows] = as_of + _days(rng.integers(15, 120, open_rows.sum()))
    close[open_rows & (rng.random(n) < 0.3)] = np.datetime64("NaT")
    opp_type = np.concatenate([np.full(n_new, "New Business", dtype=object), follow_type])
    opp_type[:n_new][rng.random(n_new) < 0.1] = None  # blank type = New Business
    amount = np.concatenate([new_amount, follow_amount])
    term_years = np.concatenate([term, follow_term])
    term_years[rng.random(n) < 0.3] = np.nan  # blank = 1 year
    fees = np.full(n, np.nan)
    with_fees = rng.random(n) < 0.15
    fees[with_fees] = np.round(amount[with_fees] * rng.uniform(0.05, 0.15, with_fees.sum()), -2)

    created = np.concatenate([new_created, follow_created])
    order = np.argsort(created, kind="stable")
    return pd.DataFrame(
        {
            "opportunity_id": _text(_ids("OPP-", 1, n, max(5, len(str(n))))),
            "account_id": _text(accounts["account_id"].to_numpy()[owner[order]]),
            "type": _text(opp_type[order]),
            "status": _text(status[order]),
            "amount": amount[order],
            "term_years": term_years[order],
            "one_time_fees": fees[order],
            "created_date": _dates(created[order]),
            "close_date": _dates(close[order]),
        }
    )


def _won_account_ids(opportunities: pd.DataFrame) -> np.ndarray:
    won = opportunities["status"].isin(_WON)
    return opportunities.loc[won, "account_id"].unique()


def _spend(rng: np.random.Generator, n_accounts: int, as_of: np.datetime64) -> pd.DataFrame:
    """Monthly spend for the 12 months up to as_of, by tier and category."""
    months = np.datetime64(as_of, "M") - np.arange(11, -1, -1).astype("timedelta64[M]")
    n_tiers, n_categories = len(_SPEND_TIERS), len(_SPEND_CATEGORIES)
    month = np.repeat(months, n_tiers * n_categories)
    tier = np.tile(np.repeat(np.array(_SPEND_TIERS), n_categories), months.size)
    category = np.tile(np.array(_SPEND_CATEGORIES, dtype=object), months.size * n_tiers)
    share = np.tile(np.outer(_SPEND_TIER_SHARE, _SPEND_CATEGORY_SHARE).ravel(), months.size)
    monthly_budget = 150.0 * n_accounts  # about $1,800 per account a year
    amount = np.round(monthly_budget * share * rng.lognormal(0, 0.2, month.size), 2)
    # Marketing spend names its channel (analytics.md section 8), in turn by month;
    # no random draw, so the other columns stay as they were.
    month_number = np.repeat(np.arange(months.size), n_tiers * n_categories)
    programs = np.array(_SPEND_CHANNELS, dtype=object)[month_number % len(_SPEND_CHANNELS)]
    channel = np.where(category == "Marketing", programs, None)
    return pd.DataFrame(
        {
            "date": _dates(month.astype("datetime64[D]")),
            "tier": tier,
            "category": _text(category),
            "amount": amount,
            "channel": _text(channel),
        }
    )


def _surveys(rng: np.random.Generator, customers: np.ndarray, as_of: np.datetime64) -> pd.DataFrame:
    """One or two NPS answers (0-10) per customer account, promoter-heavy."""
    per_customer = rng.integers(1, 3, customers.size)
    account = np.repeat(customers.astype(object), per_customer)
    n = account.size
    score_p = np.array([1, 1, 1, 2, 2, 4, 5, 9, 18, 27, 30], dtype=float)
    score = rng.choice(11, size=n, p=score_p / score_p.sum()).astype(float)
    dates = as_of - _days(rng.integers(0, 365, n))
    return pd.DataFrame(
        {"account_id": pd.Series(account, dtype=object), "date": _dates(dates), "score": score}
    )


# --- messy mode ---------------------------------------------------------------


def _insert_rows(rng: np.random.Generator, frame: pd.DataFrame, rows: list[dict]) -> pd.DataFrame:
    """Insert ``rows`` at random positions (an export is not sorted by problem)."""
    bad = pd.DataFrame(rows, columns=frame.columns, dtype=object)
    position = np.concatenate(
        [np.arange(len(frame), dtype=float), rng.uniform(-0.5, len(frame), len(bad))]
    )
    order = np.argsort(position, kind="stable")
    columns = {}
    for name, original in frame.items():
        values = np.concatenate(
            [original.to_numpy(dtype=object), bad[name].to_numpy(dtype=object)]
        )[order]
        columns[name] = _column_like(original, values)
    return pd.DataFrame(columns)


def _column_like(original: pd.Series, values: np.ndarray) -> pd.Series:
    """``values`` in ``original``'s dtype when they all fit it, else object with text kept."""
    blank = pd.isna(values)
    if original.dtype != object:
        if original.dtype.kind == "M":
            typed = pd.to_datetime(pd.Series(values, dtype=object), errors="coerce")
        else:
            typed = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce")
        if np.array_equal(typed.isna().to_numpy(), blank):
            return typed.astype(original.dtype)
    values = values.copy()
    values[blank] = None
    return pd.Series(values, dtype=object)


def _make_messy(
    rng: np.random.Generator, tables: dict[str, pd.DataFrame], as_of: np.datetime64
) -> None:
    """Add a few rows of every data-issue kind of the spec to ``tables`` in place."""
    accounts, opps = tables["Accounts"], tables["Opportunities"]
    known = accounts["account_id"].iloc[0]
    day = pd.Timestamp(as_of - np.timedelta64(30, "D"))
    tables["Accounts"] = _insert_rows(
        rng,
        accounts,
        [
            {"account_id": None, "account_name": "Blank Id Corp.", "fit_score": 50.0},
            {"account_id": known, "account_name": "Duplicate Id Ltd", "fit_score": 60.0},
            {
                "account_id": "ACC-FORMULA",
                "account_name": '=HYPERLINK("http://example.com","Click me")',
                "fit_score": 80.0,
            },
            {"account_id": "ACC-TEXTFIT", "account_name": "Text Fit Inc.", "fit_score": "high"},
            {"account_id": "ACC-FIT150", "account_name": "Over Fit LLC", "fit_score": 150.0},
            {"account_id": "ACC-NOFIT", "account_name": "No Fit Co.", "fit_score": None},
            {
                "account_id": "ACC-BADACV",
                "account_name": "Bad ACV Group",
                "fit_score": 75.0,
                "expected_acv": "n/a",
            },
        ],
    )
    tables["Contacts"] = _insert_rows(
        rng,
        tables["Contacts"],
        [
            {"contact_id": None, "account_id": known, "name": "No Id", "engaged": "Y"},
            {
                "contact_id": tables["Contacts"]["contact_id"].iloc[0],
                "account_id": known,
                "name": "Duplicate Contact",
                "engaged": "N",
            },
            {"contact_id": "CON-GHOST", "account_id": "ACC-UNKNOWN", "engaged": "Y"},
        ],
    )
    tables["Engagement"] = _insert_rows(
        rng,
        tables["Engagement"],
        [
            {"date": day, "account_id": "ACC-UNKNOWN", "channel": "web_visit"},
            {"date": day, "account_id": None, "channel": "meeting"},
            {"date": None, "account_id": known, "channel": "webinar"},
            {"date": "last Tuesday", "account_id": known, "channel": "event"},
            {"date": day, "account_id": known, "channel": "web_visit", "weight": -5.0},
            {"date": day, "account_id": known, "channel": "web_visit", "weight": "heavy"},
            {"date": day, "account_id": known, "channel": "podcast"},
            {"date": day, "account_id": known, "channel": None},
        ],
    )
    first_opp = opps.iloc[0]
    created = pd.Timestamp(as_of - np.timedelta64(60, "D"))
    opp_rows: list[dict] = [
        {
            "opportunity_id": first_opp["opportunity_id"],
            "account_id": known,
            "status": "Open",
            "amount": 1000.0,
            "created_date": created,
        },
        {
            "opportunity_id": None,
            "account_id": known,
            "status": "Open",
            "amount": 2000.0,
            "created_date": created,
        },
        {
            "opportunity_id": "OPP-NOACC",
            "account_id": None,
            "status": "Closed Won",
            "amount": 3000.0,
            "created_date": created,
        },
        {
            "opportunity_id": "OPP-GHOST",
            "account_id": "ACC-UNKNOWN",
            "status": "Closed Won",
            "amount": 4000.0,
            "created_date": created,
        },
        {
            "opportunity_id": "OPP-NEGATIVE",
            "account_id": known,
            "status": "Closed Won",
            "amount": -5000.0,
            "created_date": created,
        },
        {
            "opportunity_id": "OPP-TEXTAMT",
            "account_id": known,
            "status": "Open",
            "amount": "50k",
            "created_date": created,
        },
        {
            "opportunity_id": "OPP-NOAMT",
            "account_id": known,
            "status": "Open",
            "amount": None,
            "created_date": created,
        },
        {
            "opportunity_id": "OPP-NOSTATUS",
            "account_id": known,
            "status": None,
            "amount": 6000.0,
            "created_date": created,
        },
        {
            "opportunity_id": "OPP-NOCREATED",
            "account_id": known,
            "status": "Closed Lost",
            "amount": 7000.0,
            "created_date": None,
            "close_date": created,
        },
        {
            "opportunity_id": "OPP-BACKWARDS",
            "account_id": known,
            "status": "Closed Won",
            "amount": 8000.0,
            "created_date": created,
            "close_date": created - pd.Timedelta(days=10),
        },
        {
            "opportunity_id": "OPP-PARTNER",
            "account_id": known,
            "type": "Partner",
            "status": "Open",
            "amount": 9000.0,
            "created_date": created,
        },
        {
            "opportunity_id": "OPP-BADDATE",
            "account_id": known,
            "status": "Open",
            "amount": 1000.0,
            "created_date": "Q3",
        },
    ]
    tables["Opportunities"] = _insert_rows(rng, opps, opp_rows)
    tables["Spend"] = _insert_rows(
        rng,
        tables["Spend"],
        [
            {"date": day, "tier": 1.0, "category": "Marketing", "amount": -100.0},
            {"date": None, "tier": 2.0, "category": "Sales", "amount": 100.0},
            {"date": day, "tier": 1.0, "category": "Marketing", "amount": "lots"},
        ],
    )
    tables["Surveys"] = _insert_rows(
        rng,
        tables["Surveys"],
        [
            {"account_id": known, "date": day, "score": 11.0},
            {"account_id": known, "date": day, "score": 7.5},
            {"account_id": known, "date": day, "score": None},
            {"account_id": "ACC-UNKNOWN", "date": day, "score": 9.0},
        ],
    )
