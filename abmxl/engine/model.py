"""The two boundaries of the funnel engine.

``RawTable`` is what a reader (python-calamine for files, xlwings inside Excel,
or a test) hands the engine: cell values exactly as the workbook holds them,
nothing parsed, nothing dropped. ``FunnelSummary`` is what the engine returns
and every front door (CLI, Python API, Excel button) shows.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import pandas as pd

from abmxl.schema import ISSUE_COLUMNS, SEGMENTS, STAGES


@dataclass
class RawTable:
    """One input table as read from a workbook.

    Attributes
    ----------
    sheet : str
        Worksheet name, used in DataIssues.
    frame : pandas.DataFrame
        One column per header cell, headers as written in the workbook (the
        engine matches them), object dtype, values as the reader got them:
        ``None`` for an empty cell, ``str``, ``int``/``float``, ``bool``,
        ``datetime.date``/``datetime.datetime``/``datetime.time``. The index is
        the 1-based worksheet row number of each data row. Blank rows may be
        present; the engine skips them silently.
    source : str
        How the reader found it, for the ``Inputs`` table (ingest.md section 7):
        ``"Table Deals on sheet Pipeline"``, ``"sheet Opportunities"``,
        ``"file deals.csv"``. Empty when unknown (tests).
    header_known : bool
        True when ``frame.columns`` are the header cells (an Excel Table, or a
        reader/test that knows its header). False for a plain range: then the
        columns are positional (0, 1, ...), ``frame`` holds every row of the
        used range from its first, and the engine finds the header row among
        the first 20 non-blank rows (ingest.md section 2).
    percent : pandas.DataFrame or None
        Booleans of ``frame``'s shape, index and columns: True where the cell
        has a percent number format (ingest.md section 4: a score cell holding
        0.85 shown as 85 %). None when the reader knows of none.
    rows_below : tuple of (int, int) or None
        For an Excel Table: (first worksheet row, count) of the filled rows
        directly below it, outside the Table (ingest.md section 2); else None.
    """

    sheet: str
    frame: pd.DataFrame
    source: str = ""
    header_known: bool = True
    percent: pd.DataFrame | None = None
    rows_below: tuple[int, int] | None = None


@dataclass
class FunnelSummary:
    """Everything a refresh computes.

    Attributes
    ----------
    as_of : datetime.date
        The date the funnel is measured at.
    stages : pandas.DataFrame
        ``FunnelStages``: index = stage names, columns = the five segments,
        ``Conversion`` and ``In stage now``.
    kpis : pandas.DataFrame
        ``FunnelKPIs``: index = KPI keys, columns = ``KPI`` (label) and the five
        segments; ``nan`` where the spec says blank.
    issues : pandas.DataFrame
        ``DataIssues`` with columns Sheet, Row, Column, Value, Problem, Action.
    accounts : pandas.DataFrame
        ``AccountScores``, one row per account, columns as the spec lists.
    inputs : pandas.DataFrame or None
        ``Inputs`` (ingest.md section 7): one row per input, where it was read.
    lift : pandas.DataFrame or None
        ``FunnelLift`` (analytics.md section 2).
    velocity : pandas.DataFrame or None
        ``StageVelocity`` (analytics.md section 3).
    trends : pandas.DataFrame or None
        ``Trends`` (analytics.md section 4).
    progression : Progression or None
        ``Progression`` and ``ProgressionSummary`` (analytics.md section 5).
    attribution : pandas.DataFrame or None
        ``Attribution`` (analytics.md section 8).
    attribution_model, attribution_window_days, attribution_half_life_days
        The Settings the Attribution table was computed with (the model is the
        one its chart shows).
    refreshed_at : datetime.datetime or None
        When the refresh ran (shown above the tables); None until a front door
        sets it.
    """

    as_of: dt.date
    stages: pd.DataFrame
    kpis: pd.DataFrame
    issues: pd.DataFrame
    accounts: pd.DataFrame
    # ingest.md section 6: as_of was blank (today used); settings ignored.
    as_of_is_today: bool = False
    settings_ignored: int = 0
    # Filled by the analytics and ingest steps; None until they run.
    inputs: pd.DataFrame | None = None
    lift: pd.DataFrame | None = None
    velocity: pd.DataFrame | None = None
    trends: pd.DataFrame | None = None
    progression: object | None = None
    attribution: pd.DataFrame | None = None
    # The Settings the Attribution sheet names in its title and charts.
    attribution_model: str = "w_shaped"
    attribution_window_days: float = 90.0
    attribution_half_life_days: float = 30.0
    # Set by the front door that writes the summary: the engine reads no clock.
    refreshed_at: dt.datetime | None = None

    def to_json(self) -> dict:
        """The ``--json`` document of the spec: stages, kpis, issues and inputs."""
        stages = {
            stage: {seg: int(self.stages.at[stage, seg]) for seg in SEGMENTS} for stage in STAGES
        }
        kpis = {
            key: {seg: _json_number(self.kpis.at[key, seg]) for seg in SEGMENTS}
            for key in self.kpis.index
        }
        issues = [
            {col.lower(): _json_value(value) for col, value in zip(ISSUE_COLUMNS, row, strict=True)}
            for row in self.issues.loc[:, list(ISSUE_COLUMNS)].itertuples(index=False, name=None)
        ]
        document: dict = {"as_of": self.as_of.isoformat(), "stages": stages, "kpis": kpis}
        # analytics.md section 9 and ingest.md section 7: the tables' columns in snake_case.
        tables = {
            "lift": self.lift,
            "velocity": self.velocity,
            "trends": self.trends,
            "attribution": self.attribution,
        }
        for key, table in tables.items():
            if table is not None:
                document[key] = _json_records(table)
        if self.progression is not None:
            document["progression"] = self.progression.to_json()  # type: ignore[attr-defined]
        if self.inputs is not None:
            document["inputs"] = inputs_json(self.inputs)
        document["issues"] = issues
        return document


def _json_records(table: pd.DataFrame) -> list[dict]:
    """Rows of a table as JSON objects: snake_case keys, numbers as numbers, blanks null."""
    keys = [str(column).lower().replace(" ", "_").replace("-", "_") for column in table.columns]
    return [
        {
            key: _json_number(value) if isinstance(value, int | float) else _json_value(value)
            for key, value in zip(keys, row, strict=True)
        }
        for row in table.itertuples(index=False, name=None)
    ]


def inputs_json(inputs: pd.DataFrame) -> list[dict]:
    """The ``Inputs`` table as ``--json`` shows it (ingest.md section 7).

    ``Columns`` (``"status <- Deal Stage; amount <- close_value"``) becomes
    ``{"status": "Deal Stage", "amount": "close_value"}``.
    """
    listed = []
    # The engine keeps each row's {column: header} in attrs; parse the text otherwise.
    mappings = inputs.attrs.get("columns")
    for i, (name, source, read, skipped, columns) in enumerate(
        inputs.loc[:, ["Input", "Source", "Rows read", "Rows skipped", "Columns"]].itertuples(
            index=False, name=None
        )
    ):
        pairs = [part.split(" <- ", 1) for part in str(columns or "").split("; ") if part]
        if mappings is not None and i < len(mappings):
            pairs = list(mappings[i].items())
        listed.append(
            {
                "input": name,
                "source": source,
                "rows_read": int(read),
                "rows_skipped": int(skipped),
                "columns": {column: header for column, header in pairs},
            }
        )
    return listed


def _json_number(value: object) -> float | int | None:
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    if math.isnan(number):
        return None
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def _json_value(value: object) -> object:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    return value
