"""The Account Scores sheet: one row per account."""

from __future__ import annotations

from abmxl.engine.model import FunnelSummary
from abmxl.io.content import SheetContent, Table
from abmxl.io.layout.common import ACCOUNT_SCORE_FORMATS, ACCOUNTS_TABLE, table_rows
from abmxl.schema import ACCOUNT_SCORES_COLUMNS, ACCOUNT_SCORES_SHEET


def account_scores_sheet(summary: FunnelSummary) -> SheetContent:
    header = list(ACCOUNT_SCORES_COLUMNS)
    formats = [ACCOUNT_SCORE_FORMATS.get(column) for column in header]
    widths = {i: max(12.0, len(column) + 4.0) for i, column in enumerate(header)}
    widths[1] = 32.0
    return SheetContent(
        name=ACCOUNT_SCORES_SHEET,
        tables=[Table(ACCOUNTS_TABLE, 0, 0, header, table_rows(summary.accounts, header), formats)],
        column_widths=widths,
        freeze_rows=1,
    )
