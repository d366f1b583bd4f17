"""The headers CRM and marketing exports use for abmxl's columns, as data.

``SYNONYMS[sheet][column]`` lists, in the order they are tried, the headers
other than the column's own name that fill that column of that input
(ingest.md section 3). Each synonym says which products write it, so the
table in docs/ingest.md (rendered by ``synonyms_markdown``) tells an analyst
where a header comes from. Synonyms are per input because one header means
different things in different exports: HubSpot's ``Record ID`` is the
company's id in a companies export and the deal's id in a deals export.

Sources (the export headers as the products document them):

- Salesforce: Opportunity and Account field labels and the report column
  labels of the Opportunities report type (``Opportunity Name``, ``Account
  Name``, ``Stage``, ``Close Date``, ``Created Date``, ``Type``), Salesforce
  Field Reference and Analytics REST API ``detailColumnInfo`` labels.
- HubSpot: default deal, company and contact property labels as the export
  writes them (``Record ID``, ``Deal Name``, ``Deal Stage``, ``Create Date``,
  ``Associated Company ID``, ``Company Domain Name``, ``Number of Employees``,
  ``Ideal Customer Profile Tier``).
- Dynamics 365 Sales: opportunity display names (``Topic``, ``Potential
  Customer``, ``Est. Revenue``, ``Actual Revenue``, ``Status Reason``,
  ``Actual Close Date``, ``Created On``).
- Pipedrive: spreadsheet export headers, ``<Object> - <Field>`` (``Deal -
  Title``, ``Deal - Value``, ``Deal - Status``, ``Organization - Name``).
- Marketo: activity log export (``Activity Date``, ``Activity Type``).
- Bombora: Company Surge reports (``Composite Score``, ``Surge Score``).
- Maven Analytics "CRM Sales Opportunities" data set: ``accounts.csv``
  (``account``, ``sector``, ``revenue``, ``employees``, ``office_location``)
  and ``sales_pipeline.csv`` (``opportunity_id``, ``account``,
  ``deal_stage``, ``engage_date``, ``close_date``, ``close_value``).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PRODUCTS", "SYNONYMS", "Synonym", "synonyms_markdown"]

SF, HS, D365, PD, MKTO, BOMBORA, MAVEN = (
    "Salesforce",
    "HubSpot",
    "Dynamics 365",
    "Pipedrive",
    "Marketo",
    "Bombora",
    "Maven CRM data set",
)
PRODUCTS = (SF, HS, D365, PD, MKTO, BOMBORA, MAVEN)


@dataclass(frozen=True)
class Synonym:
    """A header that fills a column, and the products whose exports write it."""

    header: str
    products: tuple[str, ...] = ()


def _s(header: str, *products: str) -> Synonym:
    return Synonym(header, products)


# account_id as another table refers to it: an id first, then a name.
_ACCOUNT_REF = (
    _s("Account ID", SF),
    _s("Account", MAVEN),
    _s("Company ID", HS),
    _s("Associated Company ID", HS),
    _s("Organization - ID", PD),
    _s("Company"),
    _s("Account Name", SF),
    _s("Company Name", HS),
    _s("Organization - Name", PD),
    _s("Organization"),
    _s("Potential Customer", D365),
)

SYNONYMS: dict[str, dict[str, tuple[Synonym, ...]]] = {
    "Settings": {
        "key": (_s("Setting"), _s("Name")),
        "value": (),
    },
    "ChannelWeights": {
        "channel": (_s("Activity Type", MKTO), _s("Touch Type")),
        "weight": (_s("Points"),),
    },
    "Accounts": {
        "account_id": (
            _s("Account ID", SF),
            _s("Account", MAVEN),
            _s("Company ID"),
            _s("Organization - ID", PD),
            _s("Company"),
            _s("Record ID", HS),
            _s("Associated Company ID", HS),
            _s("Account Number", D365),
            _s("Account Name", SF, D365),
            _s("Company Name", HS),
            _s("Organization - Name", PD),
            _s("Organization"),
        ),
        "account_name": (
            _s("Account Name", SF, D365),
            _s("Company Name", HS),
            _s("Organization - Name", PD),
            _s("Organization Name"),
            _s("Name"),
        ),
        "domain": (
            _s("Company Domain Name", HS),
            _s("Website", SF, D365, HS),
            _s("Organization - Website", PD),
        ),
        "industry": (_s("Sector", MAVEN), _s("Organization - Industry", PD)),
        "region": (
            _s("Country/Region", HS),
            _s("Billing Country", SF),
            _s("Office Location", MAVEN),
            _s("Country"),
        ),
        "employees": (
            _s("Number of Employees", HS),
            _s("No. of Employees", D365),
            _s("Employee Count"),
            _s("Organization - Number of employees", PD),
        ),
        "annual_revenue": (_s("Annual Revenue", SF, HS, D365), _s("Revenue", MAVEN)),
        "fit_score": (
            _s("Fit"),
            _s("ICP Score"),
            _s("Profile Fit"),
            _s("Qualification Score"),
            _s("ICP Fit Score"),
        ),
        "intent_score": (
            _s("Intent"),
            _s("Intent Strength"),
            _s("Surge Score", BOMBORA),
            _s("Composite Score", BOMBORA),
            _s("Average Score", BOMBORA),
        ),
        "expected_acv": (
            _s("ACV"),
            _s("Expected Annual Contract Value"),
            _s("Potential ACV"),
        ),
        "tier_override": (
            _s("Tier"),
            _s("Account Tier"),
            _s("Ideal Customer Profile Tier", HS),
            _s("ICP Tier"),
            _s("Target Account Tier"),
        ),
    },
    "Contacts": {
        "contact_id": (
            _s("Contact ID", SF),
            _s("Record ID", HS),
            _s("Person - ID", PD),
            _s("Lead ID", MKTO),
            _s("Id", MKTO),
            _s("Email", SF, HS, MKTO),
            _s("Email Address"),
        ),
        "account_id": _ACCOUNT_REF,
        "name": (_s("Full Name", D365), _s("Contact Name"), _s("Person - Name", PD), _s("Name")),
        "title": (_s("Job Title", HS, MKTO), _s("Title", SF)),
        "buying_role": (_s("Buying Role", HS), _s("Contact Role", SF), _s("Role")),
        "engaged": (_s("Is Engaged"), _s("Engaged Contact")),
    },
    "Engagement": {
        "date": (
            _s("Activity Date", MKTO, SF),
            _s("Event Date"),
            _s("Touch Date"),
            _s("Timestamp"),
            _s("First Contact Date"),
        ),
        "account_id": _ACCOUNT_REF,
        "channel": (
            _s("Activity Type", MKTO, SF),
            _s("Touch Type"),
            _s("Channel Type"),
            _s("Origin"),
            _s("Source"),
            _s("Medium"),
        ),
        "weight": (_s("Points"), _s("Minutes"), _s("Engagement Minutes")),
        "contact_id": (_s("Contact ID", SF), _s("Lead ID", MKTO), _s("Person - ID", PD)),
    },
    "Opportunities": {
        "opportunity_id": (
            _s("Opportunity ID", SF),
            _s("Deal ID", HS),
            _s("Record ID", HS),
            _s("Deal - ID", PD),
            _s("Opportunity Name", SF),
            _s("Deal Name", HS),
            _s("Deal - Title", PD),
            _s("Topic", D365),
        ),
        "account_id": (*_ACCOUNT_REF[:8], _s("Deal - Organization", PD), *_ACCOUNT_REF[8:]),
        "type": (_s("Opportunity Type", SF), _s("Deal Type", HS), _s("Deal - Type", PD)),
        "status": (
            _s("Stage", SF),
            _s("Deal Stage", HS, MAVEN),
            _s("Stage Name", SF),
            _s("Opportunity Stage"),
            _s("Status Reason", D365),
            _s("Deal - Status", PD),
            _s("Status"),
        ),
        "amount": (
            _s("Deal Amount"),
            _s("Opportunity Amount"),
            _s("Value"),
            _s("Deal Value"),
            _s("Deal - Value", PD),
            _s("Close Value", MAVEN),
            _s("Total Contract Value"),
            _s("TCV"),
            _s("Est. Revenue", D365),
            _s("Actual Revenue", D365),
        ),
        "term_years": (_s("Term"), _s("Contract Term (Years)"), _s("Term (Years)")),
        "one_time_fees": (_s("One-Time Fees"), _s("Setup Fee"), _s("Implementation Fee")),
        "created_date": (
            _s("Created Date", SF),
            _s("Create Date", HS),
            _s("Created On", D365),
            _s("Date Created"),
            _s("Deal - Deal created", PD),
            _s("Engage Date", MAVEN),
        ),
        "close_date": (
            _s("Closed Date"),
            _s("Actual Close Date", D365),
            _s("Deal - Deal closed on", PD),
        ),
    },
    "Spend": {
        "date": (_s("Month"), _s("Start Date", SF), _s("Spend Date")),
        "tier": (_s("Account Tier"), _s("Target Tier")),
        "category": (_s("Cost Category"), _s("Campaign Name", SF)),
        "channel": (_s("Type", SF), _s("Campaign Type"), _s("Campaign Channel"), _s("Medium")),
        "amount": (
            _s("Cost"),
            _s("Spend"),
            _s("Actual Cost", SF),
            _s("Actual Cost in Campaign", SF),
        ),
    },
    "Surveys": {
        "account_id": _ACCOUNT_REF,
        "date": (_s("Response Date"), _s("Survey Date"), _s("Submitted At")),
        "score": (_s("NPS"), _s("NPS Score"), _s("Likelihood to Recommend"), _s("Score (0-10)")),
    },
    "ColumnMap": {
        "sheet": (_s("Input"), _s("Table")),
        "column": (_s("Field"), _s("abmxl column")),
        "header": (_s("Your header"), _s("Export header")),
    },
    "ValueMap": {
        "sheet": (_s("Input"), _s("Table")),
        "column": (_s("Field"),),
        "value": (_s("Your value"), _s("Export value")),
        "means": (_s("Meaning"), _s("Maps to")),
    },
}


def synonyms_markdown(sheets: tuple[str, ...] | None = None) -> str:
    """The synonyms table of docs/ingest.md, from ``SYNONYMS``.

    >>> print(synonyms_markdown(("Surveys",)).splitlines()[0])
    | input | column | also matched as (products that write it) |
    """
    lines = [
        "| input | column | also matched as (products that write it) |",
        "|---|---|---|",
    ]
    for sheet, columns in SYNONYMS.items():
        if sheets is not None and sheet not in sheets:
            continue
        for column, synonyms in columns.items():
            if not synonyms:
                continue
            shown = ", ".join(
                f"{s.header} ({', '.join(s.products)})" if s.products else s.header
                for s in synonyms
            )
            lines.append(f"| {sheet} | {column} | {shown} |")
    return "\n".join(lines)
