"""The sample data as CRMs export it (ingest.md section 6 of issue 8).

``export_tables(tables, crm)`` rewrites the clean frames of
``abmxl.sample.generate`` the way an analyst receives them from Salesforce,
HubSpot or the Maven CRM data set: headers renamed to the export's own
(``Stage``, ``Deal Stage``, ``close_value``), report title rows above the
header, amounts as text (``$12,500.00``, ``12.500,00 €``), dates as text in
the export's order (``03/15/2026``, ``15.03.2026``, ``2026-03-15 09:00``),
tier labels (``Tier 1``, ``tier_1``), percent text, a ``Grand Totals`` row
and the report's footer lines. Every value still means what it meant, so a
refresh of the export gives the same numbers as the clean book (the tests
check it).

An exported input is a plain range: ``ExportTable.cells`` has positional
columns and the worksheet row numbers as index, titles and header included,
as a reader hands a used range over (``RawTable.header_known`` False). The
inputs an export does not cover stay clean Tables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["CRM_EXPORTS", "ExportTable", "export_tables"]

CRM_EXPORTS = ("salesforce", "salesforce_eu", "hubspot", "maven")


@dataclass
class ExportTable:
    """One input as the export holds it.

    ``cells``: a plain range (``header_known`` False: positional columns,
    worksheet rows as index, titles and header included) or a clean table
    (``header_known`` True: canonical headers, data from worksheet row 2).
    """

    sheet: str
    cells: pd.DataFrame
    header_known: bool


Formatter = Callable[[pd.Series], pd.Series]


def _formatted(values: pd.Series, readable: pd.Series, text: pd.Series) -> pd.Series:
    """``text`` where the value could be formatted; other cells (the messy sample's
    text, blanks) stay as they were."""
    kept = values.astype(object).where(values.notna(), None)
    return text.astype(object).where(readable, kept)


def _not_text(values: pd.Series) -> pd.Series:
    """The cells that are not text (the messy sample puts text among numbers and dates)."""
    return values.where(~values.map(lambda v: isinstance(v, str)).astype(bool))


def _numbers(values: pd.Series) -> pd.Series:
    if values.dtype == object:
        return pd.to_numeric(_not_text(values), errors="coerce")
    return values.astype(float)


def _money_us(values: pd.Series) -> pd.Series:
    numbers = _numbers(values)
    return _formatted(values, numbers.notna(), numbers.map("${:,.2f}".format))


def _money_eu(values: pd.Series) -> pd.Series:
    numbers = _numbers(values)
    text = numbers.map("{:,.2f}".format)
    swapped = text.str.replace(",", "_").str.replace(".", ",").str.replace("_", ".")
    return _formatted(values, numbers.notna(), swapped + " €")


def _date_text(pattern: str) -> Formatter:
    def format_dates(values: pd.Series) -> pd.Series:
        stamps = pd.to_datetime(_not_text(values), errors="coerce")
        return _formatted(values, stamps.notna(), stamps.dt.strftime(pattern))

    return format_dates


def _tier_label(prefix: str, zero: str) -> Formatter:
    def format_tiers(values: pd.Series) -> pd.Series:
        numbers = _numbers(values)
        whole = numbers.isin([0, 1, 2, 3])
        text = (prefix + numbers.where(whole, -1).fillna(-1).astype(int).astype(str)).where(
            numbers != 0, zero
        )
        return _formatted(values, whole, text)

    return format_tiers


def _percent(values: pd.Series) -> pd.Series:
    numbers = _numbers(values)
    return _formatted(values, numbers.notna(), numbers.map("{:g}%".format))


def _same(values: pd.Series) -> pd.Series:
    return values


# (canonical column, export header, formatter) per exported input.
_Columns = list[tuple[str, str, Formatter]]

_SF_ACCOUNTS: _Columns = [
    ("account_name", "Account Name", _same),
    ("account_id", "Account ID", _same),
    ("industry", "Industry", _same),
    ("region", "Billing Country", _same),
    ("employees", "Employees", _same),
    ("domain", "Website", _same),
    ("fit_score", "ICP Score", _same),
    ("intent_score", "Intent", _same),
    ("tier_override", "Account Tier", _tier_label("Tier ", "Non-target")),
]
_SF_OPPORTUNITIES: _Columns = [
    ("opportunity_id", "Opportunity ID", _same),
    ("account_id", "Account ID", _same),
    ("type", "Type", _same),
    ("status", "Stage", _same),
    ("term_years", "Term (Years)", _same),
    ("created_date", "Created Date", _date_text("%m/%d/%Y")),
    ("close_date", "Close Date", _date_text("%m/%d/%Y")),
]
_SF_ENGAGEMENT: _Columns = [
    ("date", "Activity Date", _date_text("%m/%d/%Y")),
    ("account_id", "Account ID", _same),
    ("channel", "Activity Type", _same),
    ("weight", "Points", _same),
    ("contact_id", "Contact ID", _same),
]


def _salesforce(money: Formatter, dates: str) -> dict[str, tuple[str, _Columns, list]]:
    def with_dates(columns: _Columns) -> _Columns:
        return [
            (c, h, _date_text(dates) if f is not _same and "date" in c else f)
            for c, h, f in columns
        ]

    accounts = [
        *_SF_ACCOUNTS[:5],
        ("annual_revenue", "Annual Revenue", money),
        *_SF_ACCOUNTS[5:],
        ("expected_acv", "ACV", money),
    ]
    opportunities = [
        *_SF_OPPORTUNITIES[:4],
        ("amount", "Amount", money),
        ("one_time_fees", "One-Time Fees", money),
        *_SF_OPPORTUNITIES[4:],
    ]
    titles = [["Salesforce report"], ["Filtered By: Show All"], [None]]
    return {
        "Accounts": ("Target Accounts", accounts, titles),
        "Opportunities": ("Sales Pipeline", with_dates(opportunities), titles),
        "Engagement": ("Activities", with_dates(_SF_ENGAGEMENT), titles),
    }


_HUBSPOT: dict[str, tuple[str, _Columns, list]] = {
    "Accounts": (
        "Companies",
        [
            ("account_id", "Record ID", _same),
            ("account_name", "Company name", _same),
            ("domain", "Company Domain Name", _same),
            ("industry", "Industry", _same),
            ("region", "Country/Region", _same),
            ("employees", "Number of Employees", _same),
            ("annual_revenue", "Annual Revenue", _same),
            ("fit_score", "Fit", _same),
            ("intent_score", "Intent", _percent),
            ("expected_acv", "ACV", _same),
            ("tier_override", "Ideal Customer Profile Tier", _tier_label("tier_", "Non-target")),
        ],
        [],
    ),
    "Opportunities": (
        "Deals",
        [
            ("opportunity_id", "Record ID", _same),
            ("status", "Deal Stage", _same),
            ("amount", "Amount", _same),
            ("close_date", "Close Date", _date_text("%Y-%m-%d %H:%M")),
            ("created_date", "Create Date", _date_text("%Y-%m-%d %H:%M")),
            ("type", "Deal Type", _same),
            ("account_id", "Associated Company ID", _same),
            ("term_years", "Term", _same),
            ("one_time_fees", "One-Time Fees", _same),
        ],
        [],
    ),
}

_MAVEN: dict[str, tuple[str, _Columns, list]] = {
    "Accounts": (
        "accounts",
        [
            ("account_id", "account", _same),
            ("industry", "sector", _same),
            ("annual_revenue", "revenue", _same),
            ("employees", "employees", _same),
            ("region", "office_location", _same),
            ("fit_score", "fit_score", _same),
            ("intent_score", "intent_score", _same),
            ("expected_acv", "expected_acv", _same),
            ("tier_override", "tier_override", _same),
        ],
        [],
    ),
    "Opportunities": (
        "sales_pipeline",
        [
            ("opportunity_id", "opportunity_id", _same),
            ("account_id", "account", _same),
            ("status", "deal_stage", _same),
            ("created_date", "engage_date", _date_text("%Y-%m-%d")),
            ("close_date", "close_date", _date_text("%Y-%m-%d")),
            ("amount", "close_value", _same),
            ("type", "type", _same),
            ("term_years", "term_years", _same),
            ("one_time_fees", "one_time_fees", _same),
        ],
        [],
    ),
}

_FOOTERS = {
    "salesforce": [
        "Confidential Information - Do Not Distribute",
        "Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved.",
    ],
    "salesforce_eu": ["Vertrauliche Informationen - Copyright (c) salesforce.com, inc."],
}


def _layouts(crm: str) -> dict[str, tuple[str, _Columns, list]]:
    if crm == "salesforce":
        return _salesforce(_money_us, "%m/%d/%Y")
    if crm == "salesforce_eu":
        return _salesforce(_money_eu, "%d.%m.%Y")
    if crm == "hubspot":
        return _HUBSPOT
    if crm == "maven":
        return _MAVEN
    raise ValueError(f"crm must be one of {', '.join(CRM_EXPORTS)}, got {crm!r}")


def _plain_range(
    frame: pd.DataFrame, columns: _Columns, titles: list, total: bool, footers: list[str]
) -> pd.DataFrame:
    """Titles, header, data, a Grand Totals row and footers, as a used range holds them."""
    width = len(columns)
    body = np.column_stack(
        [f(frame[c]).astype(object).to_numpy(dtype=object) for c, _, f in columns]
    ).reshape(len(frame), width)
    body = np.where(pd.isna(body), None, body)
    blocks = [np.array([row + [None] * (width - len(row)) for row in titles], dtype=object)]
    blocks.append(np.array([[h for _, h, _ in columns]], dtype=object))
    blocks.append(body)
    if total:
        totals = np.full((1, width), None, dtype=object)
        totals[0, 0] = f"Grand Totals ({len(frame)} records)"
        for i, (c, _, f) in enumerate(columns):
            if c in ("amount", "annual_revenue", "expected_acv"):
                totals[0, i] = f(pd.Series([_numbers(frame[c]).sum()])).iloc[0]
        blocks.append(totals)
    if footers:
        lines = np.full((len(footers) + 1, width), None, dtype=object)
        lines[1:, 0] = footers
        blocks.append(lines)
    cells = np.vstack([b.reshape(-1, width) for b in blocks])
    return pd.DataFrame(cells, index=pd.RangeIndex(1, len(cells) + 1), dtype=object)


def _table(frame: pd.DataFrame) -> pd.DataFrame:
    cells = frame.astype(object).where(frame.notna(), None)
    return cells.set_axis(pd.RangeIndex(2, len(frame) + 2), axis=0)


def export_tables(tables: dict[str, pd.DataFrame], crm: str) -> dict[str, ExportTable]:
    """The inputs of ``tables`` (from ``abmxl.sample.generate``) as ``crm`` exports them.

    Parameters
    ----------
    tables : dict of str to DataFrame
        Clean input frames keyed by input name.
    crm : {"salesforce", "salesforce_eu", "hubspot", "maven"}
        ``salesforce_eu`` writes German-style numbers and day-first dates and
        sets Settings ``decimal_separator`` to ``,``.

    Returns
    -------
    dict of str to ExportTable
        Every input of ``tables``; the exported ones as plain ranges.

    Examples
    --------
    >>> from abmxl.sample import generate
    >>> export = export_tables(generate(5, seed=1), "salesforce")["Opportunities"]
    >>> export.sheet, export.header_known, export.cells.iloc[3, :4].tolist()
    ('Sales Pipeline', False, ['Opportunity ID', 'Account ID', 'Type', 'Stage'])
    """
    layouts = _layouts(crm)
    footers = _FOOTERS.get(crm, [])
    exported: dict[str, ExportTable] = {}
    for name, frame in tables.items():
        if name == "Settings" and crm == "salesforce_eu":
            frame = frame.copy()
            frame.loc[frame["key"] == "decimal_separator", "value"] = ","
        if name not in layouts:
            exported[name] = ExportTable(name, _table(frame), True)
            continue
        sheet, columns, titles = layouts[name]
        cells = _plain_range(frame, columns, titles, crm.startswith("salesforce"), footers)
        exported[name] = ExportTable(sheet, cells, False)
    return exported
