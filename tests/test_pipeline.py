"""``abmxl.pipeline.run_refresh``: the one refresh every door runs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

import abmxl.excel
import abmxl.pipeline
import abmxl.refresh
from abmxl import schema
from abmxl.engine.model import RawTable
from abmxl.engine.required import InputError
from abmxl.engine.sources import BookInputs
from abmxl.io.content import SheetContent
from abmxl.pipeline import run_refresh
from tests.books import remote_book

NOW = dt.datetime(2026, 4, 2, 9, 30)


def _table(sheet: str, header: list[str], rows: list[list], *, known: bool = True) -> RawTable:
    if known:
        frame = pd.DataFrame(rows, columns=header, index=range(2, 2 + len(rows)), dtype=object)
    else:
        frame = pd.DataFrame([header, *rows], index=range(1, 2 + len(rows)), dtype=object)
    return RawTable(sheet, frame, f"sheet {sheet}", known)


ACCOUNTS = _table("Accounts", ["account_id", "fit_score"], [["A1", 90.0], ["A2", 20.0]])
OPPORTUNITIES = _table(
    "Deals",
    ["opportunity_id", "account_id", "status", "amount", "created_date"],
    [["O1", "A1", "Closed Won", 100.0, dt.date(2026, 1, 2)]],
    known=False,
)


def test_read_check_compute_write_with_the_doors_clock() -> None:
    phases: list[str] = []
    written: list[list[SheetContent]] = []

    def read(say):
        say("reading")
        return BookInputs("book.xlsx", {"Accounts": ACCOUNTS, "Opportunities": OPPORTUNITIES})

    def write(contents, say):
        say("writing")
        written.append(contents)

    summary = run_refresh(read, write, today=dt.date(2026, 3, 31), now=NOW, progress=phases.append)
    assert phases == ["reading", "computing the funnel", "writing"]
    assert summary.as_of == dt.date(2026, 3, 31)  # Settings absent: as_of = the door's today
    assert summary.refreshed_at == NOW
    assert [content.name for content in written[0]] == list(schema.OUTPUT_SHEETS)
    assert summary.to_json()["stages"]["Won"]["All targets"] == 1


def test_a_missing_input_stops_before_anything_is_computed_or_written() -> None:
    def write(contents, say):
        raise AssertionError("nothing may be written")

    with pytest.raises(InputError, match=r"'book\.xlsx' has no Opportunities table or sheet"):
        run_refresh(
            lambda say: BookInputs("book.xlsx", {"Accounts": ACCOUNTS}, ["Accounts"]),
            write,
            today=dt.date(2026, 3, 31),
            now=NOW,
        )


def test_every_door_runs_the_one_pipeline(
    sample_book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = abmxl.pipeline.run_refresh

    def spy(read, write, **kwargs):
        calls.append(read.__qualname__)
        return real(read, write, **kwargs)

    monkeypatch.setattr(abmxl.pipeline, "run_refresh", spy)
    monkeypatch.setattr(abmxl.refresh, "run_refresh", spy)
    api = abmxl.refresh.refresh_workbook(sample_book, tmp_path / "out.xlsm")
    excel = abmxl.excel.refresh(remote_book(sample_book))
    assert calls == ["refresh_workbook.<locals>.read", "refresh.<locals>.read"]
    assert excel is not None and excel.to_json() == api.to_json()
