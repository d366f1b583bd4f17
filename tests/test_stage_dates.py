"""Stage dates (analytics.md section 1): the spec's examples and a brute-force reference."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abmxl.engine.events import Events, Opportunities, engaged_days, stage_dates
from abmxl.engine.events.table import NO_DAY


def day(text: str) -> int:
    return int(np.datetime64(text, "D").view(np.int64))


def events_of(rows: list[tuple[int, str, float]], n_accounts: int) -> Events:
    return Events(
        account=np.array([r[0] for r in rows], dtype=np.int64),
        day=np.array([day(r[1]) for r in rows], dtype=np.int64),
        weight=np.array([r[2] for r in rows], dtype=np.float64),
        n_accounts=n_accounts,
    )


def no_opportunities() -> Opportunities:
    empty = np.zeros(0, dtype=np.int64)
    flags = np.zeros(0, dtype=bool)
    return Opportunities(empty, empty, empty, flags, flags, flags)


# The spec's example: A (position 0) and C (position 1).
SPEC_EVENTS = [
    (0, "2026-01-05", 1),
    (0, "2026-01-20", 10),
    (1, "2025-06-01", 5),
    (1, "2025-10-01", 6),
]


@pytest.mark.parametrize(
    ("half_life", "expected"),
    [(None, ["2026-01-20", None]), (30, ["2026-01-20", None])],
)
def test_spec_example(half_life, expected):
    dates = stage_dates(
        2,
        events_of(SPEC_EVENTS, 2),
        no_opportunities(),
        day("2026-03-31"),
        window_days=90,
        half_life_days=half_life,
        engagement_min=10,
    )
    got = [None if np.isnat(d) else str(d) for d in dates.engaged_date]
    assert got == expected
    assert [str(d) for d in dates.first_touch] == ["2026-01-05", "2025-06-01"]


def test_spec_example_scores_as_of_the_engaged_day():
    from abmxl.engine.events.stage_dates import scores_as_of_event_days

    _, _, plain = scores_as_of_event_days(events_of(SPEC_EVENTS, 2), 90, None)
    assert plain.tolist() == [1, 11, 5, 6]
    _, _, decayed = scores_as_of_event_days(events_of(SPEC_EVENTS, 2), 90, 30)
    assert decayed[1] == pytest.approx(10.707, abs=5e-4)  # the spec's 10.707


def test_engaged_threshold_met_exactly_after_rounding():
    # 0.1 + 0.2 = 0.30000000000000004 and 3 * 0.1 = 0.30000000000000004; 0.7 + 0.2 + 0.1 < 1.0
    # in floats (0.9999999999999999): rounded to 9 decimals it is 1, engaged.
    events = events_of([(0, "2026-01-01", 0.7), (0, "2026-01-01", 0.2), (0, "2026-01-01", 0.1)], 1)
    assert engaged_days(events, day("2026-03-31"), 90, None, 1.0)[0] == day("2026-01-01")


def test_events_after_as_of_never_count():
    events = events_of([(0, "2026-01-01", 5), (0, "2026-04-02", 50)], 1)
    assert engaged_days(events, day("2026-03-31"), 90, None, 10)[0] == NO_DAY


def test_opportunity_dates_as_of_and_not():
    nat = np.iinfo(np.int64).min
    opps = Opportunities(
        account=np.array([0, 0, 0, 1, 1]),
        created_day=np.array(
            [day("2025-01-10"), day("2026-05-01"), nat, day("2025-02-01"), day("2025-03-01")]
        ),
        close_day=np.array(
            [day("2025-06-01"), day("2026-06-01"), nat, day("2025-04-01"), day("2026-05-01")]
        ),
        won=np.array([True, True, True, True, True]),
        renewal=np.array([False, True, False, False, True]),
        expansion=np.array([False, False, False, True, False]),
    )
    as_of = day("2026-03-31")
    known = stage_dates(
        2, None, opps, as_of, window_days=90, half_life_days=None, engagement_min=10
    )
    assert [str(d) for d in known.opportunity_date] == ["2025-01-10", "2025-02-01"]
    assert [str(d) for d in known.won_date] == ["2025-06-01", "2025-04-01"]
    assert np.isnat(known.retained_date).tolist() == [True, True]
    assert [str(d) for d in known.expanded_date] == ["NaT", "2025-04-01"]
    every = stage_dates(
        2,
        None,
        opps,
        as_of,
        window_days=90,
        half_life_days=None,
        engagement_min=10,
        opportunities_as_of=False,
    )
    assert [str(d) for d in every.retained_date] == ["2026-06-01", "2026-05-01"]
    assert np.isnat(every.engaged_date).all() and np.isnat(every.first_touch).all()


def brute_force_engaged(rows, n_accounts, as_of, window, half_life, minimum):
    """Per account: the earliest event day whose score as of that day reaches minimum."""
    out = []
    for account in range(n_accounts):
        mine = [(d, w) for a, d, w in rows if a == account and d <= as_of]
        found = None
        for d in sorted({d for d, _ in mine}):
            score = 0.0
            for e, w in mine:
                age = d - e
                if 0 <= age <= window:
                    score += w * (0.5 ** (age / half_life) if half_life else 1.0)
            if round(score, 9) >= minimum:
                found = d
                break
        out.append(NO_DAY if found is None else found)
    return out


event_rows = st.lists(
    st.tuples(
        st.integers(0, 4),
        st.integers(-40_000, 40_000),  # day numbers: 1860 to 2079, long spans
        st.sampled_from([0.0, 0.5, 1.0, 3.0, 10.0, 30.0, 120.0, 0.1, 1e6]),
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(
    rows=event_rows,
    window=st.sampled_from([0, 1, 7, 90, 365, 30_000, 1e9]),
    half_life=st.one_of(st.none(), st.sampled_from([1e-4, 0.01, 0.3, 1.0, 7.5, 30.0, 1000.0, 1e7])),
    minimum=st.sampled_from([0.0, 0.5, 10.0, 100.0, 1e5]),
    as_of=st.integers(-40_000, 40_000),
)
def test_engaged_days_match_brute_force(rows, window, half_life, minimum, as_of):
    events = Events(
        account=np.array([r[0] for r in rows], dtype=np.int64),
        day=np.array([r[1] for r in rows], dtype=np.int64),
        weight=np.array([r[2] for r in rows], dtype=np.float64),
        n_accounts=5,
    )
    got = engaged_days(events, as_of, window, half_life, minimum)
    assert got.tolist() == brute_force_engaged(rows, 5, as_of, window, half_life, minimum)


def test_tiny_half_life_over_a_long_history_does_not_overflow():
    # 2**(t / h) over 60 years at h = 0.01 would be 2**2,000,000: rebased per block, no inf/nan.
    rng = np.random.default_rng(3)
    days = np.sort(rng.integers(0, 22_000, 5_000))
    events = Events(np.zeros(5_000, dtype=np.int64), days, np.full(5_000, 11.0), 1)
    got = engaged_days(events, 22_000, 90, 0.01, 10)
    assert got[0] == days[0]


def test_book_stage_dates_as_of_an_earlier_day():
    import pandas as pd

    from abmxl.engine.clean import clean_book
    from abmxl.engine.model import RawTable
    from abmxl.engine.stage_dates import book_stage_dates

    def table(name, rows):
        frame = pd.DataFrame(rows[1:], columns=rows[0], dtype=object)
        frame.index = range(2, len(frame) + 2)
        return RawTable(name, frame)

    tables = {
        "Settings": table("Settings", [["key", "value"], ["as_of", dt.date(2026, 3, 31)]]),
        "Accounts": table("Accounts", [["account_id", "fit_score"], ["A", 80], ["C", 80]]),
        "Engagement": table(
            "Engagement",
            [["date", "account_id", "channel", "weight"]]
            + [[dt.date.fromisoformat(d), "AC"[a], "web_visit", w] for a, d, w in SPEC_EVENTS],
        ),
        "Opportunities": table(
            "Opportunities",
            [
                ["opportunity_id", "account_id", "status", "amount", "created_date", "close_date"],
                ["O1", "A", "Won", 10, dt.date(2026, 2, 1), dt.date(2026, 3, 1)],
            ],
        ),
    }
    book = clean_book(tables, dt.date(2026, 4, 1))
    now = book_stage_dates(book)
    assert str(now.engaged_date[0]) == "2026-01-20" and str(now.won_date[0]) == "2026-03-01"
    before = book_stage_dates(book, day("2026-02-15"))
    assert str(before.opportunity_date[0]) == "2026-02-01" and np.isnat(before.won_date[0])
    earlier = book_stage_dates(book, day("2026-01-10"))
    assert np.isnat(earlier.engaged_date[0]) and str(earlier.first_touch[0]) == "2026-01-05"
