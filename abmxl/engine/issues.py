"""DataIssues rows as the cleaning step collects them, and the words it uses.

Every rule that skips, repairs or reports a row adds one part (a rule's rows
at once, as arrays), naming the input by its canonical name;
``IssueLog.frame`` sorts them by input, row and rule, and shows each input by
the worksheet it was read from (``sheets``): a Table ``Deals`` on sheet
``Pipeline`` is reported as ``Pipeline``, so ``Row`` (a worksheet row) can be
found.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from abmxl import schema
from abmxl.schema import ISSUE_COLUMNS

__all__ = [
    "AMOUNT_AS_ZERO",
    "AS_NEW_BUSINESS",
    "AS_UNTIERED",
    "COLUMN_IGNORED",
    "DEFAULT_USED",
    "OUT_OF_TIME_KPIS",
    "SHEET_EMPTY",
    "SKIPPED",
    "WEIGHT_ZERO",
    "IssueLog",
    "treated_as_blank",
]

# Problems and actions as DataIssues shows them.
SKIPPED = "row skipped"
DEFAULT_USED = "row skipped; default used"
AMOUNT_AS_ZERO = "kept; amount treated as 0"
WEIGHT_ZERO = "kept; weight 0"
OUT_OF_TIME_KPIS = "kept; left out of time-based KPIs"
AS_NEW_BUSINESS = "kept as New Business"
AS_UNTIERED = "kept as untiered (tier 0)"
SHEET_EMPTY = "sheet treated as empty"
COLUMN_IGNORED = "column ignored"

_SHEET_ORDER = {name: i for i, name in enumerate(schema.READ_SHEETS)}


def treated_as_blank(column: str) -> str:
    """The action of a bad cell in an optional column (ingest.md section 5)."""
    return f"kept; {column} treated as blank"


@dataclass
class IssueLog:
    """DataIssues rows, collected as column arrays per rule.

    ``sheets`` maps an input's canonical name to the worksheet (or CSV file)
    it was read from; an input not in it (a missing one) is shown by name.
    """

    sheets: dict[str, str] = field(default_factory=dict)
    parts: list[tuple[str, np.ndarray, str | None, np.ndarray, str, str]] = field(
        default_factory=list
    )

    def add(
        self,
        sheet: str,
        rows: np.ndarray,
        column: str | None,
        values: np.ndarray,
        problem: str,
        action: str,
    ) -> None:
        if len(rows):
            self.parts.append(
                (sheet, np.asarray(rows), column, np.asarray(values), problem, action)
            )

    def add_sheet_issue(self, sheet: str, column: str | None, problem: str, action: str) -> None:
        """An issue about a whole sheet or column: no row, no value."""
        self.parts.append((sheet, np.array([-1]), column, np.array([None]), problem, action))

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in ISSUE_COLUMNS})
        sizes = [len(part[1]) for part in self.parts]
        rows = np.concatenate([part[1].astype(np.int64) for part in self.parts])
        sheet_rank = np.repeat([_SHEET_ORDER.get(part[0], 99) for part in self.parts], sizes)
        rule_rank = np.repeat(np.arange(len(self.parts)), sizes)
        order = np.lexsort((rule_rank, rows, sheet_rank))
        row_cells = rows.astype(object)
        row_cells[rows < 0] = None
        columns = {
            "Sheet": np.repeat(
                np.array([self.sheets.get(p[0], p[0]) for p in self.parts], dtype=object), sizes
            ),
            "Row": row_cells,
            "Column": np.repeat(np.array([p[2] for p in self.parts], dtype=object), sizes),
            "Value": np.concatenate([p[3].astype(object) for p in self.parts]),
            "Problem": np.repeat(np.array([p[4] for p in self.parts], dtype=object), sizes),
            "Action": np.repeat(np.array([p[5] for p in self.parts], dtype=object), sizes),
        }
        return pd.DataFrame(
            {name: pd.Series(values[order], dtype=object) for name, values in columns.items()}
        )
