"""The sample data as CRMs export it refreshes to the clean book's numbers.

``abmxl.sample.export_tables`` writes the generated inputs the way
Salesforce (US and European locale), HubSpot and the Maven CRM data set export
them: synonyms for headers, report titles, text amounts and dates, tier
labels, a Grand Totals row and footers. Through the engine each must give the
same FunnelStages, FunnelKPIs and AccountScores as the clean book. A
hypothesis property does the same for random reorderings, title rows and
synonym renamings, and an end-to-end test writes the exports into a real
workbook (plain sheets) and refreshes it with ``abmxl.refresh_workbook``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from abmxl.engine import RawTable, build_summary
from abmxl.engine.ingest.synonyms import SYNONYMS
from abmxl.sample import CRM_EXPORTS, export_tables, generate

TODAY = dt.date(2026, 4, 1)


def clean_tables(tables: dict[str, pd.DataFrame]) -> dict[str, RawTable]:
    return {
        name: RawTable(
            name,
            frame.astype(object)
            .where(frame.notna(), None)
            .set_axis(pd.RangeIndex(2, len(frame) + 2), axis=0),
        )
        for name, frame in tables.items()
    }


def export_raw(tables: dict[str, pd.DataFrame], crm: str) -> dict[str, RawTable]:
    return {
        name: RawTable(e.sheet, e.cells, source=f"sheet {e.sheet}", header_known=e.header_known)
        for name, e in export_tables(tables, crm).items()
    }


def assert_same_numbers(summary, expected, *, names: bool = True) -> None:
    mine = summary.kpis.drop(columns="KPI").astype(float)
    theirs = expected.kpis.drop(columns="KPI").astype(float)
    pd.testing.assert_frame_equal(mine, theirs)
    pd.testing.assert_frame_equal(summary.stages, expected.stages)
    shown = [c for c in expected.accounts.columns if names or c != "account_name"]
    pd.testing.assert_frame_equal(
        summary.accounts[shown].reset_index(drop=True),
        expected.accounts[shown].reset_index(drop=True),
    )


@pytest.fixture(scope="module")
def sample() -> dict[str, pd.DataFrame]:
    return generate(80, seed=21)


@pytest.fixture(scope="module")
def clean_summary(sample):
    return build_summary(clean_tables(sample), TODAY)


@pytest.mark.parametrize("crm", CRM_EXPORTS)
def test_each_export_refreshes_to_the_clean_numbers(sample, clean_summary, crm: str) -> None:
    summary = build_summary(export_raw(sample, crm), TODAY)
    # Maven's accounts.csv has no name besides ``account``: names are the ids there.
    assert_same_numbers(summary, clean_summary, names=crm != "maven")
    # Only the report furniture is reported: totals and footers, nothing else.
    problems = set(summary.issues["Problem"])
    assert problems <= {"total row", "not a data row"}
    if crm.startswith("salesforce"):
        assert "total row" in problems and "not a data row" in problems
        sources = summary.inputs.set_index("Input")["Source"]
        assert sources["Opportunities"] == "sheet Sales Pipeline, header row 4"


def test_exports_really_are_written_the_crm_way(sample) -> None:
    salesforce = export_tables(sample, "salesforce")["Opportunities"].cells
    assert salesforce.iloc[0, 0] == "Salesforce report"
    amounts = salesforce.iloc[4:-4, 4].dropna()
    assert amounts.str.match(r"^\$[\d,]+\.\d\d$").all()
    assert salesforce.iloc[-4, 0].startswith("Grand Totals")
    european = export_tables(sample, "salesforce_eu")["Opportunities"].cells
    assert european.iloc[4:-3, 7].dropna().str.match(r"^\d\d\.\d\d\.\d{4}$").all()
    hubspot = export_tables(sample, "hubspot")["Accounts"].cells
    assert hubspot.iloc[0].tolist()[:2] == ["Record ID", "Company name"]
    maven = export_tables(sample, "maven")["Opportunities"].cells
    assert maven.iloc[0].tolist()[:3] == ["opportunity_id", "account", "deal_stage"]


# --- hypothesis: reorder, add titles, rename to synonyms: never a different number ---------

SMALL = generate(25, seed=4)
SMALL_SUMMARY = build_summary(clean_tables(SMALL), TODAY)
_RENAMABLE = ("Accounts", "Opportunities", "Engagement")


def _loose(header: str) -> str:
    return "".join(ch for ch in header.lower() if ch not in " _-.")


def _headers(name: str, columns: list[str], choice: list[int]) -> list[str]:
    headers = []
    for column, pick in zip(columns, choice, strict=True):
        options = [column, *(s.header for s in SYNONYMS[name].get(column, ()))]
        headers.append(options[pick % len(options)])
    return headers


def _unambiguous(name: str, columns: list[str], headers: list[str]) -> bool:
    """No header is also a name or synonym of another column of the book's table."""
    for column, header in zip(columns, headers, strict=True):
        for other in SYNONYMS[name]:
            if other == column:
                continue
            spellings = [other, *(s.header for s in SYNONYMS[name][other])]
            if _loose(header) in {_loose(h) for h in spellings}:
                return False
    return True


def _as_plain_range(
    name: str, frame: pd.DataFrame, order: list[int], titles: int, choice: list[int]
) -> RawTable:
    columns = [frame.columns[i] for i in order]
    headers = _headers(name, columns, choice)
    body = frame[columns].astype(object).where(frame[columns].notna(), None).to_numpy(dtype=object)
    title_rows = np.full((titles, len(columns)), None, dtype=object)
    title_rows[:, 0] = [f"Report title {i}" for i in range(titles)]
    cells = np.vstack([title_rows, np.array([headers], dtype=object), body])
    frame_out = pd.DataFrame(cells, index=pd.RangeIndex(1, len(cells) + 1), dtype=object)
    return RawTable(name, frame_out, header_known=False)


@st.composite
def disguises(draw):
    out = {}
    for name in _RENAMABLE:
        width = SMALL[name].shape[1]
        order = draw(st.permutations(range(width)))
        titles = draw(st.integers(0, 4))
        choice = draw(st.lists(st.integers(0, 12), min_size=width, max_size=width))
        out[name] = (list(order), titles, choice)
    return out


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(disguises())
def test_reordering_titles_and_synonyms_never_change_a_number(disguise) -> None:
    tables = clean_tables(SMALL)
    for name, (order, titles, choice) in disguise.items():
        columns = [SMALL[name].columns[i] for i in order]
        # A renaming that makes two columns' headers alike is a different book.
        assume(_unambiguous(name, columns, _headers(name, columns, choice)))
        tables[name] = _as_plain_range(name, SMALL[name], order, titles, choice)
    summary = build_summary(tables, TODAY)
    assert_same_numbers(summary, SMALL_SUMMARY)


# --- end to end: the exports in a real workbook ----------------------------------------------


@pytest.mark.parametrize("crm", ["salesforce", "hubspot"])
def test_export_workbook_refreshes_end_to_end(tmp_path: Path, sample, clean_summary, crm) -> None:
    import xlsxwriter

    from abmxl import refresh_workbook

    exported = export_tables(sample, crm)
    path = tmp_path / f"{crm}.xlsx"
    book = xlsxwriter.Workbook(path)
    for e in exported.values():
        sheet = book.add_worksheet(e.sheet)
        cells = e.cells.to_numpy(dtype=object)
        if e.header_known:
            sheet.write_row(0, 0, list(e.cells.columns))
            offset = 1
        else:
            offset = 0
        for (row, col), value in np.ndenumerate(cells):
            if value is None:
                continue
            if isinstance(value, pd.Timestamp | dt.date):
                value = pd.Timestamp(value).to_pydatetime()
                sheet.write_datetime(row + offset, col, value)
            else:
                sheet.write(row + offset, col, value)
    book.close()
    summary = refresh_workbook(path, tmp_path / "out.xlsx", today=TODAY)
    assert_same_numbers(summary, clean_summary)
