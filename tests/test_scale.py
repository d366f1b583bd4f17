"""Events beyond the workbook (docs/scale.md): the same numbers through every engine.

One table of event books goes through the Engagement sheet (the numpy path)
and through each engine on a Parquet and a CSV SOURCE; every number must
agree (counts and dates exactly, sums within 1e-9 relative). Then a
hypothesis property over random events, ingest's parsing of a CSV SOURCE,
DataIssues of a SOURCE, and the one-line errors.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from abmxl.engine import build_summary
from abmxl.scale import EngineNotInstalled, SourceError, event_engine, source_opener
from abmxl.scale.rules import ISSUE_CAP
from tests.scale_books import (
    EVENT_COLUMNS,
    TODAY,
    assert_same_numbers,
    book_tables,
    write_parquet,
)

ENGINES = ("duckdb", "polars")
d = pd.Timestamp


def _events(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=EVENT_COLUMNS)
    frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[s]")
    frame["weight"] = frame["weight"].astype(float)
    return frame


# Each book: events and Settings. Weights None take the channel's weight.
EVENT_BOOKS = {
    "engaged on the threshold": (
        [
            ("2026-01-10", "A0", "webinar", None),
            ("2026-01-10", "A0", "web_visit", 2.5),
            ("2026-03-30", "A1", "web_visit", 5),
            ("2026-02-01", "A3", "meeting", None),
            ("2025-12-01", "A0", "email_open", 7.5),
            ("2026-04-05", "A2", "web_visit", 50),  # after as_of: never counts
        ],
        {},
    ),
    "half-life and a short window": (
        [
            ("2026-03-01", "A0", "web_visit", 6),
            ("2026-03-08", "A0", "web_visit", 6),
            ("2026-03-20", "A1", "ad_click", 12.5),
            ("2026-01-05", "A1", "meeting", 40),
            ("2025-10-01", "A2", "webinar", 11),
            ("2026-03-31", "A4", "web_visit", 0.1),
        ],
        {"half_life_days": 14, "window_days": 45, "engagement_min": 8},
    ),
    "months, zero weights, spikes": (
        [
            ("2026-03-28", "A0", "web_visit", 4),
            ("2026-03-29", "A0", "web_visit", 0),
            ("2026-03-01", "A0", "web_visit", 1),
            ("2026-02-10", "A1", "content_download", None),
            ("2025-06-30", "A5", "web_visit", 3),
            ("2026-03-31", "A5", "unheard_of", None),  # unknown channel, no weight: 0
        ],
        {"period": "month", "trend_periods": 6, "spike_recent_days": 3},
    ),
}


def _sheet_and_sources(tmp_path: Path, events: pd.DataFrame) -> dict[str, str]:
    parquet = write_parquet(events, tmp_path / "events.parquet")
    csv = tmp_path / "events.csv"
    events.assign(date=events["date"].dt.strftime("%Y-%m-%d")).to_csv(csv, index=False)
    return {"parquet": str(parquet), "csv": str(csv)}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("kind", ["parquet", "csv"])
@pytest.mark.parametrize("book", list(EVENT_BOOKS))
def test_every_engine_gives_the_numbers_of_the_sheet(tmp_path, book, kind, engine):
    rows, book_settings = EVENT_BOOKS[book]
    events = _events(rows)
    tables = book_tables(events, book_settings)
    sheet = build_summary(tables, TODAY)
    source = _sheet_and_sources(tmp_path, events)[kind]
    external = build_summary(tables, TODAY, event_engine=event_engine(source, engine))
    assert_same_numbers(sheet, external)
    assert external.kpis.at["engaged_accounts", "All targets"] >= 0
    engagement = external.inputs.set_index("Input").loc["Engagement"]
    assert engagement["Source"] == f"file events.{kind}"
    assert engagement["Rows read"] == len(events)


def test_worked_book_values(tmp_path):
    """Independent of the sheet path: the first book's engaged date and scores by hand."""
    rows, book_settings = EVENT_BOOKS["engaged on the threshold"]
    events = _events(rows)
    source = write_parquet(events, tmp_path / "e.parquet")
    tables = book_tables(events, book_settings)
    for engine in ENGINES:
        summary = build_summary(tables, TODAY, event_engine=event_engine(str(source), engine))
        scores = summary.accounts.set_index("account_id")
        # A0: webinar 30 (default weight) + 2.5 on 01-10, 7.5 on 12-01 (aged 120: out).
        assert scores.at["A0", "engagement_score"] == pytest.approx(32.5)
        # 7.5 on 12-01 is below 10; 01-10 brings 40 within 90 days: engaged 01-10.
        assert scores.at["A0", "engaged_date"] == np.datetime64("2026-01-10")
        assert scores.at["A0", "first_touch"] == np.datetime64("2025-12-01")
        assert scores.at["A1", "engagement_score"] == pytest.approx(5.0)
        assert pd.isna(scores.at["A1", "engaged_date"])
        assert pd.isna(scores.at["A2", "first_touch"])  # its only event is after as_of


@pytest.mark.parametrize("engine", ENGINES)
def test_a_folder_and_a_glob_of_parquet_files(tmp_path, engine):
    rows, book_settings = EVENT_BOOKS["half-life and a short window"]
    events = _events(rows)
    folder = tmp_path / "feed"
    folder.mkdir()
    write_parquet(events.iloc[:3], folder / "part-0.parquet")
    write_parquet(events.iloc[3:], folder / "part-1.parquet")
    tables = book_tables(events, book_settings)
    sheet = build_summary(tables, TODAY)
    for source in (str(folder), str(folder / "part-*.parquet")):
        assert_same_numbers(
            sheet, build_summary(tables, TODAY, event_engine=event_engine(source, engine))
        )


_dates = st.integers(min_value=0, max_value=400).map(
    lambda k: np.datetime64("2025-03-01") + np.timedelta64(k, "D")
)
_weights = st.one_of(
    st.none(), st.sampled_from([0.0, 0.5, 1.0, 2.5, 10.0]), st.floats(0, 50, allow_nan=False)
)
_event = st.tuples(
    _dates,
    st.sampled_from([f"A{i}" for i in range(6)]),
    st.sampled_from(["web_visit", "webinar", "meeting", "email_open"]),
    _weights,
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=st.lists(_event, min_size=1, max_size=40),
    half_life=st.one_of(st.none(), st.sampled_from([3.0, 30.0, 0.5])),
    window=st.sampled_from([0.0, 7.0, 30.5, 90.0, 400.0]),
    engagement_min=st.sampled_from([0.5, 5.0, 10.0, 30.0]),
)
def test_random_events_agree_on_every_engine(tmp_path, rows, half_life, window, engagement_min):
    events = _events([(str(a), b, c, w) for a, b, c, w in rows])
    book_settings = {"window_days": window, "engagement_min": engagement_min}
    if half_life is not None:
        book_settings["half_life_days"] = half_life
    tables = book_tables(events, book_settings)
    sheet = build_summary(tables, TODAY)
    source = write_parquet(events, tmp_path / "random.parquet")
    for engine in ENGINES:
        got = build_summary(tables, TODAY, event_engine=event_engine(str(source), engine))
        assert_same_numbers(sheet, got)


# --- ingest.md's parsing of a CSV SOURCE ------------------------------------------------

CSV_SOURCE = """Activity Date;Account ID;Activity Type;Points
15/01/2026;A0;Webinar;12,5
31/01/2026;A0;web visit;
01/02/2026;A1;Meeting;3
not a date;A1;Meeting;3
02/02/2026;;Meeting;3
03/02/2026;ZZ;Meeting;3
04/02/2026;A2;Meeting;lots
05/02/2026;A2;Meeting;-4
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_a_csv_source_is_read_by_ingest_rules(tmp_path, engine):
    source = tmp_path / "bombora export.csv"
    # Comma-separated, so the decimal comma rides in quotes.
    text = CSV_SOURCE.replace(",", ".").replace(";", ",")
    text = text.replace("12.5", '"12,5"')
    source.write_text(text, encoding="utf-8")
    settings_rows = {"decimal_separator": ",", "date_order": "DMY"}
    tables = book_tables(_events([]), settings_rows)
    summary = build_summary(tables, TODAY, event_engine=event_engine(str(source), engine))
    scores = summary.accounts.set_index("account_id")
    # A0: 12.5 (decimal comma) + web_visit's default weight 1 on 31/01 (day-first dates).
    assert scores.at["A0", "engagement_score"] == pytest.approx(13.5)
    assert scores.at["A0", "first_touch"] == np.datetime64("2026-01-15")
    # A2's weights: unreadable and negative -> blank -> the Meeting weight (30 by default).
    assert scores.at["A2", "engagement_score"] == pytest.approx(60.0)
    issues = summary.issues[summary.issues["Sheet"] == "bombora export.csv"]
    found = {(row.Row, row.Problem) for row in issues.itertuples()}
    assert found == {
        (4, "unreadable date"),
        (5, "blank account_id"),
        (6, "unknown account_id"),
        (7, "unreadable number"),
        (8, "negative weight"),
    }
    assert set(issues["Column"]) == {"Activity Date", "Account ID", "Points"}
    inputs = summary.inputs.set_index("Input").loc["Engagement"]
    assert (inputs["Rows read"], inputs["Rows skipped"]) == (8, 3)
    # As for a sheet: only headers other than the column's own name are listed.
    assert inputs["Columns"] == "date <- Activity Date; channel <- Activity Type; weight <- Points"
    document = summary.to_json()["inputs"]
    assert [i["columns"] for i in document if i["input"] == "Engagement"] == [
        {
            "date": "Activity Date",
            "channel": "Activity Type",
            "weight": "Points",
        }
    ]


@pytest.mark.parametrize("engine", ENGINES)
def test_source_issues_are_capped_with_a_count_row(tmp_path, engine):
    n_bad = ISSUE_CAP + 234
    events = pd.DataFrame(
        {
            "date": pd.to_datetime(["2026-03-01"] * (n_bad + 1)).astype("datetime64[s]"),
            "account_id": ["A0"] + ["nobody"] * n_bad,
            "channel": "web_visit",
            "weight": 1.0,
        }
    )
    source = write_parquet(events, tmp_path / "big.parquet")
    tables = book_tables(_events([]), {})
    summary = build_summary(tables, TODAY, event_engine=event_engine(str(source), engine))
    issues = summary.issues[summary.issues["Sheet"] == "big.parquet"]
    assert len(issues) == ISSUE_CAP + 1
    assert issues["Row"].iloc[:ISSUE_CAP].tolist() == list(range(2, ISSUE_CAP + 2))
    assert issues["Problem"].iloc[-1] == "234 more rows with issues not listed"


# --- Settings engagement_source --------------------------------------------------------


def test_settings_engagement_source_replaces_the_sheet(tmp_path):
    rows, book_settings = EVENT_BOOKS["engaged on the threshold"]
    events = _events(rows)
    write_parquet(events, tmp_path / "events.parquet")
    sheet = build_summary(book_tables(events, book_settings), TODAY)
    # The sheet's own events are dropped: SOURCE replaces them.
    tables = book_tables(events.iloc[:1], {**book_settings, "engagement_source": "events.parquet"})
    got = build_summary(tables, TODAY, open_source=source_opener("polars", base=tmp_path))
    assert_same_numbers(sheet, got)


# --- one-line errors ----------------------------------------------------------------------


def test_a_missing_source_is_one_line(tmp_path):
    with pytest.raises(SourceError, match=r"nope\.parquet: no such file or folder$"):
        event_engine(str(tmp_path / "nope.parquet"))
    with pytest.raises(SourceError, match="no file matches"):
        event_engine(str(tmp_path / "*.parquet"))
    (tmp_path / "notes.xlsx").write_bytes(b"x")
    with pytest.raises(SourceError, match=r"not a Parquet \(\.parquet\) or CSV"):
        event_engine(str(tmp_path / "notes.xlsx"))


@pytest.mark.parametrize("engine", ENGINES)
def test_a_bad_column_and_an_unreadable_file_are_one_line(tmp_path, engine):
    bad = tmp_path / "bad.csv"
    bad.write_text("when,who,what\n2026-01-01,A0,web_visit\n", encoding="utf-8")
    tables = book_tables(_events([]), {})
    with pytest.raises(SourceError) as error:
        build_summary(tables, TODAY, event_engine=event_engine(str(bad), engine))
    assert str(error.value) == (
        f"engagement source {bad}: no column for date, account_id, channel "
        "(columns: when, who, what)"
    )
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 not really")
    with pytest.raises(SourceError) as error:
        build_summary(tables, TODAY, event_engine=event_engine(str(broken), engine))
    assert str(error.value).startswith(f"engagement source {broken}: ")
    assert "\n" not in str(error.value)


def test_an_engine_not_installed_says_how_to_install_it(monkeypatch):
    import importlib

    real = importlib.import_module

    def without_pyspark(name, *args):
        if name == "pyspark":
            raise ImportError(name)
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", without_pyspark)
    with pytest.raises(EngineNotInstalled, match=re.escape("pip install abmxl[spark]")):
        event_engine("events.parquet", "spark")


def test_the_cli_refreshes_a_book_with_a_source(sample_book, tmp_path, capsys):
    from abmxl.cli import main
    from abmxl.io.reader import read_book

    engagement = read_book(sample_book).tables["Engagement"]
    assert engagement.header_known  # the sample's Engagement is a Table: columns = its header
    csv = tmp_path / "events.csv"
    engagement.frame.to_csv(csv, index=False)
    status = main(["refresh", str(sample_book), "--engagement", str(csv), "--json", "-q"])
    document = capsys.readouterr().out
    assert status == 0
    assert '"source": "file events.csv"' in document


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--engagement", "{tmp}/missing.parquet"], "missing.parquet: no such file or folder"),
        (["--engagement", "{tmp}/e.csv", "--engine", "spark"], "pip install abmxl[spark]"),
    ],
)
def test_cli_errors_are_one_line(sample_book, tmp_path, capsys, args, message, monkeypatch):
    from abmxl.cli import main

    (tmp_path / "e.csv").write_text("date,account_id,channel\n", encoding="utf-8")
    import importlib

    real = importlib.import_module
    monkeypatch.setattr(
        importlib,
        "import_module",
        lambda name, *a: (
            (_ for _ in ()).throw(ImportError(name)) if name == "pyspark" else real(name, *a)
        ),
    )
    argv = ["refresh", str(sample_book), *[a.format(tmp=tmp_path) for a in args]]
    assert main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert message in err
    assert "\n" not in err
