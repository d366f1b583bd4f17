"""Shared fixtures: sample workbooks built once per test session."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

# A fixed "today" so that refreshes in tests do not depend on the clock.
TODAY = dt.date(2026, 4, 1)


@pytest.fixture(scope="session")
def sample_book_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A template .xlsm with 60 sample accounts (messy rows included); do not modify."""
    from abmxl.template import new_workbook

    path = tmp_path_factory.mktemp("books") / "sample.xlsm"
    new_workbook(path, sample_accounts=60, seed=11)
    return path


@pytest.fixture
def sample_book(sample_book_master: Path, tmp_path: Path) -> Path:
    """A private copy of the sample workbook that a test may refresh."""
    path = tmp_path / "sample.xlsm"
    shutil.copyfile(sample_book_master, path)
    return path
