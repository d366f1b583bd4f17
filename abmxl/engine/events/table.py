"""The inputs of the event-level computations, as plain arrays.

Accounts are positions ``0 .. n_accounts - 1`` (``engine.clean`` numbers them);
dates are int64 day numbers since 1970-01-01. ``NO_DAY`` (int64 max) marks "no
such date" in the per-account day arrays, so that ``np.minimum`` finds the
earliest date without a mask; :func:`as_dates` turns it into ``NaT``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

NO_DAY = np.iinfo(np.int64).max
"""Per-account day arrays: the account has no such date."""
_NAT_DAY = np.iinfo(np.int64).min  # numpy's NaT viewed as int64


def day_numbers(dates: object) -> NDArray[np.int64]:
    """datetime64 values -> int64 days since 1970-01-01 (NaT -> int64 min)."""
    return np.asarray(dates).astype("datetime64[D]").view(np.int64)


def as_dates(days: NDArray[np.int64]) -> NDArray[np.datetime64]:
    """Per-account day numbers -> datetime64[D]; ``NO_DAY`` -> NaT."""
    return np.where(days == NO_DAY, _NAT_DAY, days).view("datetime64[D]")


@dataclass(frozen=True)
class Events:
    """Engagement events: one entry per event, every date known.

    Attributes
    ----------
    account : ndarray of int64
        Position of the event's account, ``0 <= account < n_accounts``.
    day : ndarray of int64
        Day number of the event's date.
    weight : ndarray of float64
        The event's weight (>= 0; the channel's weight already filled in).
    n_accounts : int
        How many accounts the per-account results have.
    """

    account: NDArray[np.int64]
    day: NDArray[np.int64]
    weight: NDArray[np.float64]
    n_accounts: int

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, n_accounts: int) -> Events:
        """From ``CleanBook.engagement`` (columns account, date, weight)."""
        return cls(
            account=frame["account"].to_numpy().astype(np.int64, copy=False),
            day=day_numbers(frame["date"].to_numpy()),
            weight=frame["weight"].to_numpy().astype(np.float64, copy=False),
            n_accounts=n_accounts,
        )

    def up_to(self, day: int) -> Events:
        """The events dated on or before ``day`` (what was known that day)."""
        kept = self.day <= day
        if kept.all():
            return self
        return Events(self.account[kept], self.day[kept], self.weight[kept], self.n_accounts)


@dataclass(frozen=True)
class Opportunities:
    """The opportunity facts stage dates need, one entry per opportunity.

    Attributes
    ----------
    account : ndarray of int64
        Position of the opportunity's account.
    created_day, close_day : ndarray of int64
        Day numbers; int64 min (NaT) when blank.
    won, renewal, expansion : ndarray of bool
        Status won; type Renewal; type Expansion.
    """

    account: NDArray[np.int64]
    created_day: NDArray[np.int64]
    close_day: NDArray[np.int64]
    won: NDArray[np.bool_]
    renewal: NDArray[np.bool_]
    expansion: NDArray[np.bool_]

    @classmethod
    def from_frame(
        cls, frame: pd.DataFrame, won: str, renewal: str, expansion: str
    ) -> Opportunities:
        """From ``CleanBook.opportunities``; ``won``/``renewal``/``expansion`` are
        the status and type values that mean them."""
        status = frame["status"].to_numpy()
        kind = frame["type"].to_numpy()
        return cls(
            account=frame["account"].to_numpy().astype(np.int64, copy=False),
            created_day=day_numbers(frame["created_date"].to_numpy()),
            close_day=day_numbers(frame["close_date"].to_numpy()),
            won=status == won,
            renewal=kind == renewal,
            expansion=kind == expansion,
        )
