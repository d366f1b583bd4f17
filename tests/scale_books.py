"""Event books for the engine tests (docs/scale.md): tables, SOURCE files, comparison."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from abmxl.engine import FunnelSummary, RawTable

TODAY = dt.date(2026, 4, 1)
EVENT_COLUMNS = ["date", "account_id", "channel", "weight"]


def raw_table(sheet: str, frame: pd.DataFrame) -> RawTable:
    """A Table as a reader hands it over: object cells, None blank, rows from 2."""
    cells = frame.astype(object).where(frame.notna(), None)
    cells.index = range(2, len(cells) + 2)
    return RawTable(sheet, cells)


def book_tables(
    events: pd.DataFrame, settings: dict[str, object], n_accounts: int = 6
) -> dict[str, RawTable]:
    """Accounts A0..An-1 (tier by fit), opportunities on a few, the events in Engagement."""
    ids = [f"A{i}" for i in range(n_accounts)]
    accounts = pd.DataFrame(
        {"account_id": ids, "fit_score": [90 - 5 * i for i in range(n_accounts)]}
    )
    accounts["expected_acv"] = [150000 - 20000 * i for i in range(n_accounts)]
    opportunities = pd.DataFrame(
        {
            "opportunity_id": ["O1", "O2", "O3", "O4"],
            "account_id": [ids[0], ids[1 % n_accounts], ids[2 % n_accounts], ids[0]],
            "status": ["Won", "Lost", "Open", "Won"],
            "type": ["New Business", "New Business", "New Business", "Expansion"],
            "amount": [100000.0, 40000.0, 25000.0, 30000.0],
            "created_date": pd.to_datetime(
                ["2026-01-20", "2026-02-01", "2026-03-01", "2025-11-05"]
            ),
            "close_date": pd.to_datetime(["2026-03-01", "2026-03-15", None, "2026-01-10"]),
        }
    )
    rows = {"as_of": dt.date(2026, 3, 31), **settings}
    return {
        "Settings": raw_table(
            "Settings", pd.DataFrame({"key": list(rows), "value": list(rows.values())})
        ),
        "Accounts": raw_table("Accounts", accounts),
        "Opportunities": raw_table("Opportunities", opportunities),
        "Engagement": raw_table("Engagement", events),
    }


def write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    """``frame`` as a Parquet file (written by DuckDB: pyarrow is not a dependency)."""
    con = duckdb.connect()
    con.register("frame", frame)
    con.execute(f"COPY frame TO '{path}' (FORMAT parquet)")
    con.close()
    return path


def _close(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def assert_same_numbers(expected: FunnelSummary, got: FunnelSummary) -> None:
    """Every number of ``--json`` and AccountScores: counts and dates equal, sums within 1e-9."""
    want, have = expected.to_json(), got.to_json()
    want.pop("inputs", None)
    have.pop("inputs", None)
    # A SOURCE's issues name the file and its 1-based data row; the sheet's, the
    # sheet and its worksheet row (the header is row 1).
    sources = {i["sheet"] for i in have["issues"]} - {i["sheet"] for i in want["issues"]}
    for issue in want["issues"]:
        if issue["sheet"] == "Engagement" and len(sources) == 1:
            issue["sheet"] = next(iter(sources))
            issue["row"] = issue["row"] - 1 if issue["row"] is not None else None

    def walk(a: object, b: object, where: str) -> None:
        if isinstance(a, dict):
            assert isinstance(b, dict) and a.keys() == b.keys(), where
            for key in a:
                walk(a[key], b[key], f"{where}.{key}")
        elif isinstance(a, list):
            assert isinstance(b, list) and len(a) == len(b), where
            for i, (x, y) in enumerate(zip(a, b, strict=True)):
                walk(x, y, f"{where}[{i}]")
        else:
            a = float(a) if isinstance(a, int) and isinstance(b, float) else a
            b = float(b) if isinstance(b, int) and isinstance(a, float) else b
            assert _close(a, b), f"{where}: {a!r} != {b!r}"

    walk(want, have, "json")
    left, right = expected.accounts, got.accounts
    assert list(left.columns) == list(right.columns)
    for column in left.columns:
        x, y = left[column].to_numpy(), right[column].to_numpy()
        if x.dtype.kind == "f":
            np.testing.assert_allclose(y, x, rtol=1e-9, atol=1e-12, err_msg=column)
        else:
            assert (pd.Series(x).equals(pd.Series(y))) or list(x) == list(y), column
