"""The Spark engine in local mode (docs/scale.md): the same numbers as the sheet.

Marked ``spark``: excluded from the main run, run by ``.ci/run`` as its own
step (``pytest -m spark``) with PySpark and a Java runtime installed.
"""

from __future__ import annotations

import pytest

from abmxl.engine import build_summary
from abmxl.scale import event_engine
from tests.scale_books import TODAY, assert_same_numbers, book_tables, write_parquet
from tests.test_scale import CSV_SOURCE, EVENT_BOOKS, _events

pytest.importorskip("pyspark")
pytestmark = pytest.mark.spark


@pytest.mark.parametrize("kind", ["parquet", "csv"])
@pytest.mark.parametrize("book", list(EVENT_BOOKS))
def test_spark_gives_the_numbers_of_the_sheet(tmp_path, book, kind):
    rows, book_settings = EVENT_BOOKS[book]
    events = _events(rows)
    tables = book_tables(events, book_settings)
    if kind == "parquet":
        source = write_parquet(events, tmp_path / "events.parquet")
    else:
        source = tmp_path / "events.csv"
        events.assign(date=events["date"].dt.strftime("%Y-%m-%d")).to_csv(source, index=False)
    got = build_summary(tables, TODAY, event_engine=event_engine(str(source), "spark"))
    assert_same_numbers(build_summary(tables, TODAY), got)


def test_spark_reads_a_csv_source_by_ingest_rules(tmp_path):
    source = tmp_path / "export.csv"
    text = CSV_SOURCE.replace(",", ".").replace(";", ",").replace("12.5", '"12,5"')
    source.write_text(text, encoding="utf-8")
    tables = book_tables(_events([]), {"decimal_separator": ",", "date_order": "DMY"})
    summary = build_summary(tables, TODAY, event_engine=event_engine(str(source), "spark"))
    scores = summary.accounts.set_index("account_id")
    assert scores.at["A0", "engagement_score"] == pytest.approx(13.5)
    assert scores.at["A2", "engagement_score"] == pytest.approx(60.0)
    issues = summary.issues[summary.issues["Sheet"] == "export.csv"]
    assert sorted(issues["Row"]) == [4, 5, 6, 7, 8]
