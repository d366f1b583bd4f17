"""ingest.md section 1, the one rule both readers use to find each input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from abmxl.engine.sources import INPUTS, BookInventory, Source, TableInfo, find_sources
from abmxl.schema import SHEET_SYNONYMS, name_key

T = TableInfo

# (sheets, tables, {input: (sheet, table or None)} expected for the inputs listed)
CASES = {
    "Table on another sheet wins over the sheet of that name": (
        ("Accounts", "Data"),
        (T("accounts", "Data"),),
        {"Accounts": ("Data", "accounts")},
    ),
    "a sheet's only Table, whatever its name": (
        ("Opportunities",),
        (T("Table1", "Opportunities"),),
        {"Opportunities": ("Opportunities", "Table1")},
    ),
    "a sheet with two Tables is read as a plain range": (
        ("Engagement",),
        (T("Table1", "Engagement"), T("Table2", "Engagement")),
        {"Engagement": ("Engagement", None)},
    ),
    "a sheet without a Table is a plain range": (
        ("Accounts",),
        (),
        {"Accounts": ("Accounts", None)},
    ),
    "names ignore case, spaces, underscores and hyphens": (
        ("channel-weights", "SALES_PIPELINE", "target accounts"),
        (),
        {
            "ChannelWeights": ("channel-weights", None),
            "Opportunities": ("SALES_PIPELINE", None),
            "Accounts": ("target accounts", None),
        },
    ),
    "synonym Table on any sheet": (
        ("Export",),
        (T("Deals", "Export"), T("Companies", "Export")),
        {"Opportunities": ("Export", "Deals"), "Accounts": ("Export", "Companies")},
    ),
    "the input's own name before its synonyms": (
        ("Deals", "Opportunities"),
        (),
        {"Opportunities": ("Opportunities", None)},
    ),
    "a sheet of the input's name before a Table under a synonym": (
        ("Accounts", "Data"),
        (T("Companies", "Data"),),
        {"Accounts": ("Accounts", None)},
    ),
    "a Table under a synonym before a sheet under a synonym": (
        ("Pipeline", "Data"),
        (T("Deals", "Data"),),
        {"Opportunities": ("Data", "Deals")},
    ),
    "synonyms in the listed order": (
        ("Touches", "Activities"),
        (),
        {"Engagement": ("Activities", None)},
    ),
    "ColumnMap and ValueMap are inputs too": (
        ("Column Map",),
        (T("value_map", "Column Map"), T("Other", "Column Map")),
        {"ValueMap": ("Column Map", "value_map"), "ColumnMap": ("Column Map", None)},
    ),
    "a Table serves one input: the sheet's only Table taken already": (
        ("Contacts", "People"),
        (T("Contacts", "People"),),
        {"Contacts": ("People", "Contacts")},
    ),
    "nothing of the kind": (
        ("Start here", "Funnel Summary"),
        (T("FunnelKPIs", "Funnel Summary"),),
        {},
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_finding_rule(case: str) -> None:
    sheets, tables, expected = CASES[case]
    found = find_sources(BookInventory(sheets, tables))
    assert {name: (s.sheet, s.table) for name, s in found.items()} == expected
    assert list(found) == [name for name in INPUTS if name in found]  # in input order


def test_every_synonym_of_the_spec_finds_its_input() -> None:
    for name, synonyms in SHEET_SYNONYMS.items():
        for synonym in synonyms:
            found = find_sources(BookInventory((synonym.upper(),)))
            assert found == {name: Source(name, synonym.upper())}, synonym


def test_source_descriptions_for_the_inputs_table() -> None:
    assert (
        Source("Opportunities", "Pipeline", "Deals").describe() == "Table Deals on sheet Pipeline"
    )
    assert Source("Accounts", "Accounts").describe() == "sheet Accounts"


@pytest.mark.parametrize(
    ("left", "right"),
    [("Sales Pipeline", "sales_pipeline"), ("Channel-Weights", "ChannelWeights"), ("NPS", "nps")],
)
def test_name_key(left: str, right: str) -> None:
    assert name_key(left) == name_key(right)


@given(
    data=st.data(),
    input_name=st.sampled_from(sorted(SHEET_SYNONYMS)),
    as_table=st.booleans(),
)
def test_decorated_synonyms_are_found(data, input_name: str, as_table: bool) -> None:
    """Any synonym, in any case, with spaces, underscores and hyphens added or
    dropped, on a sheet or as a Table among unrelated sheets, finds its input."""
    synonym = data.draw(st.sampled_from(SHEET_SYNONYMS[input_name]))
    decorated = "".join(
        data.draw(st.sampled_from([ch.upper(), ch.lower()]))
        + data.draw(st.sampled_from(["", "", " ", "_", "-"]))
        for ch in synonym.replace(" ", "")
    )
    others = ("Start here", "Notes")
    if as_table:
        book = BookInventory((*others, "Data"), (T(decorated, "Data"), T("Other", "Data")))
        expected = Source(input_name, "Data", decorated)
    else:
        book = BookInventory((*others, decorated))
        expected = Source(input_name, decorated)
    assert find_sources(book) == {input_name: expected}
