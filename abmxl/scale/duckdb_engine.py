"""The DuckDB engine: every event-level result of a refresh as SQL over SOURCE.

The events are read, cleaned (ingest's rules through the lookup tables of
:mod:`abmxl.scale.rules`) and reduced inside DuckDB; only per-account,
per-(account, period) and the touches of opportunity accounts come back.
The engaged date uses DuckDB's native range window (``RANGE BETWEEN L
PRECEDING AND CURRENT ROW`` over day numbers, same-day events as peers);
with a half-life the decayed windowed sum is a range self-join of the
per-(account, day) sums, ``sum(w * 0.5 ** ((d - e) / h))`` as the numpy path
defines it.
"""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pandas as pd

from abmxl.engine.events.computed import ComputedEvents, EventQuery
from abmxl.scale import rules
from abmxl.scale.source import EventSource, SourceError

__all__ = ["DuckDBEngine"]

_TEMPORAL = ("DATE", "TIMESTAMP")
_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL")
_INTEGER = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
            "UINTEGER", "UBIGINT")  # fmt: skip


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class DuckDBEngine:
    """Runs an :class:`EventQuery` on the events of ``source`` in an in-process DuckDB."""

    name = "duckdb"

    def __init__(self, source: EventSource) -> None:
        self.source = source

    def __call__(self, query: EventQuery) -> ComputedEvents:
        con = duckdb.connect()
        try:
            return self._run(con, query)
        except duckdb.Error as error:
            first = str(error).strip().splitlines()[0] if str(error).strip() else type(error)
            raise SourceError(f"engagement source {self.source.text}: {first}") from None
        finally:
            con.close()

    def _read(self, con: duckdb.DuckDBPyConnection) -> None:
        files = "[" + ", ".join(_literal(f) for f in self.source.files) + "]"  # (CSV: one)
        if self.source.kind == "parquet":
            # One scan per file with its index: an integer per row, not a file name.
            scans = " UNION ALL BY NAME ".join(
                f"SELECT * EXCLUDE (file_row_number), {i} AS _file, file_row_number + 1 AS _row "
                f"FROM read_parquet({_literal(f)}, file_row_number = true)"
                for i, f in enumerate(self.source.files)
            )
            con.execute(f"CREATE VIEW raw AS {scans}")
        else:
            # Every cell as text: ingest's rules read it (as a sheet's cells).
            con.execute(
                f"CREATE TABLE raw AS SELECT *, 0 AS _file, row_number() OVER () AS _row "
                f"FROM read_csv({files}, all_varchar = true, header = true)"
            )

    def _run(self, con: duckdb.DuckDBPyConnection, query: EventQuery) -> ComputedEvents:
        self._read(con)
        described = con.execute("DESCRIBE raw").fetchall()
        types = {
            row[0]: str(row[1]).upper() for row in described if row[0] not in ("_file", "_row")
        }
        headers = rules.match_headers(list(types), query, self.source)
        col = {c: "r." + _quote(h) for c, h in headers.items()}
        kind = {c: types[h].split("(")[0] for c, h in headers.items()}

        con.register("accounts_df", rules.account_table(query))
        # Account ids as text, as a sheet's cells read (a whole float is its integer).
        if kind["account_id"] in _NUMERIC and kind["account_id"] not in _INTEGER:
            id_text = (
                f"CASE WHEN {col['account_id']} = floor({col['account_id']}) "
                f"THEN CAST(CAST({col['account_id']} AS BIGINT) AS VARCHAR) "
                f"ELSE CAST({col['account_id']} AS VARCHAR) END"
            )
        else:
            id_text = f"NULLIF(trim(CAST({col['account_id']} AS VARCHAR)), '')"
        channel_text = f"NULLIF(trim(CAST({col['channel']} AS VARCHAR)), '')"
        channels = [r[0] for r in con.execute(
            f"SELECT DISTINCT {channel_text} FROM raw r WHERE {channel_text} IS NOT NULL"
        ).fetchall()]  # fmt: skip
        channel_table = rules.channel_table(channels, query)
        channel_table["channel_code"] = np.arange(len(channel_table), dtype=np.int64)
        con.register("channels_df", channel_table)

        if kind["date"] in _TEMPORAL:
            day = f"(CAST({col['date']} AS DATE) - DATE '1970-01-01')"
            date_blank = f"{col['date']} IS NULL"
            date_join = ""
        else:
            text = f"NULLIF(trim(CAST({col['date']} AS VARCHAR)), '')"
            values = [r[0] for r in con.execute(
                f"SELECT DISTINCT {col['date']} FROM raw r WHERE {text} IS NOT NULL"
            ).fetchall()]  # fmt: skip
            con.register("dates_df", rules.date_table(values, query.date_order))
            day = "CAST(d.day AS BIGINT)"
            date_blank = f"{text} IS NULL"
            date_join = f"LEFT JOIN dates_df d ON d.date_text = CAST({col['date']} AS VARCHAR)"

        weight_join = ""
        if "weight" not in col:
            weight, weight_blank = "CAST(NULL AS DOUBLE)", "true"
        elif kind["weight"] in _NUMERIC:
            weight = f"CAST({col['weight']} AS DOUBLE)"
            weight_blank = f"({col['weight']} IS NULL OR isnan(CAST({col['weight']} AS DOUBLE)))"
        else:
            text = f"NULLIF(trim(CAST({col['weight']} AS VARCHAR)), '')"
            cast = f"TRY_CAST({text} AS DOUBLE)" if query.decimal_separator == "." else "NULL"
            values = [r[0] for r in con.execute(
                f"SELECT DISTINCT {text} FROM raw r WHERE {text} IS NOT NULL AND {cast} IS NULL"
            ).fetchall()]  # fmt: skip
            con.register("numbers_df", rules.number_table(values, query.decimal_separator))
            weight = f"COALESCE({cast}, n.number)"
            weight_blank = f"{text} IS NULL"
            weight_join = f"LEFT JOIN numbers_df n ON n.number_text = {text}"

        # Only numbers per row: the texts of the (at most ISSUE_CAP) listed issues are
        # read back from SOURCE at the end.
        con.execute(
            f"""
            CREATE TEMP TABLE staged AS
            SELECT r._file AS file, r._row AS row, a.account, c.channel_code, c.channel_weight,
                   {day} AS day, {weight} AS own_weight, {weight_blank} AS weight_blank,
                   CASE WHEN {id_text} IS NULL THEN 1
                        WHEN a.account IS NULL THEN 2
                        WHEN {date_blank} THEN 3
                        WHEN {channel_text} IS NULL THEN 4
                        WHEN {day} IS NULL THEN 5 END AS skip
            FROM raw r
            LEFT JOIN accounts_df a ON a.account_id = {id_text}
            LEFT JOIN channels_df c ON c.channel_text = {channel_text}
            {date_join} {weight_join}
            """
        )
        # Repairs of kept rows: unreadable / negative weight -> blank; then an
        # unknown channel without a weight -> 0 (the sheet's order).
        issues_sql = """
            SELECT file, row, skip AS code FROM staged WHERE skip IS NOT NULL
            UNION ALL
            SELECT file, row, CASE WHEN own_weight < 0 THEN 7 ELSE 6 END FROM staged
                WHERE skip IS NULL AND (own_weight < 0 OR (NOT weight_blank AND own_weight IS NULL))
            UNION ALL
            SELECT file, row, 8 FROM staged WHERE skip IS NULL AND channel_weight IS NULL
                AND (own_weight IS NULL OR own_weight < 0)
        """
        total = con.execute(f"SELECT count(*) FROM ({issues_sql})").fetchone()[0]
        con.execute(
            f"CREATE TEMP TABLE listed AS SELECT * FROM ({issues_sql}) "
            f"ORDER BY file, row, code LIMIT {rules.ISSUE_CAP}"
        )
        weight_text = f"CAST({col['weight']} AS VARCHAR)" if "weight" in col else "NULL"
        listed = con.execute(
            f"""
            SELECT l.file, l.row, l.code,
                   CASE l.code WHEN 2 THEN CAST({id_text} AS VARCHAR)
                               WHEN 5 THEN CAST({col["date"]} AS VARCHAR)
                               WHEN 6 THEN {weight_text} WHEN 7 THEN {weight_text}
                               WHEN 8 THEN CAST({col["channel"]} AS VARCHAR) END AS value
            FROM listed l JOIN raw r ON r._file = l.file AND r._row = l.row
            ORDER BY l.file, l.row, l.code
            """
        ).df()
        listed["file"] = [self.source.files[int(i)] for i in listed["file"]]
        issues = rules.issue_frame(listed, int(total), headers, self.source)

        con.execute(
            """
            CREATE TEMP TABLE ev AS
            SELECT account, day,
                   COALESCE(CASE WHEN own_weight >= 0 THEN own_weight END, channel_weight, 0.0)
                       AS weight,
                   channel_code, file, row
            FROM staged WHERE skip IS NULL
            """
        )
        rows_read = con.execute("SELECT count(*) FROM staged").fetchone()[0]
        rows_used = con.execute("SELECT count(*) FROM ev").fetchone()[0]
        return rules.computed_events(
            query,
            **_reduce(con, query),
            issues=issues,
            source=self.source,
            columns=headers,
            rows_read=int(rows_read),
            rows_used=int(rows_used),
        )


def _decay(h: float | None, age: str) -> str:
    return "1.0" if h is None else f"pow(0.5, ({age}) / {float(h)!r})"


def _reduce(con: duckdb.DuckDBPyConnection, query: EventQuery) -> dict[str, pd.DataFrame]:
    """The per-account results of the cleaned events in table ``ev``."""
    a, h = query.as_of_day, query.half_life_days
    span = con.execute("SELECT coalesce(max(day) - min(day), 0) FROM ev").fetchone()[0]
    whole_window = math.floor(min(query.window_days, 2.0**62))  # ages are whole days
    look = int(min(whole_window, span))  # no window reaches further than the events
    scores = {
        d: con.execute(
            f"SELECT account, sum(weight * {_decay(h, f'{d} - day')}) AS score FROM ev "
            f"WHERE day <= {d} AND {d} - day <= {whole_window} GROUP BY account"
        ).df()
        for d in query.score_days
    }
    r, b = float(query.recent_days), float(query.baseline_days)
    per_account = con.execute(
        f"""
        SELECT account, min(day) AS first_day, count(*) AS touches,
               coalesce(sum(weight) FILTER ({a} - day < {r!r}), 0) AS recent,
               coalesce(sum(weight) FILTER ({a} - day >= {r!r} AND {a} - day < {r + b!r}), 0)
                   AS baseline
        FROM ev WHERE day <= {a} GROUP BY account
        """
    ).df()
    con.execute(
        f"CREATE TEMP TABLE daily AS SELECT account, day, sum(weight) AS weight "
        f"FROM ev WHERE day <= {a} GROUP BY account, day"
    )
    if h is None:
        windowed = f"""
            SELECT account, day, sum(weight) OVER (
                PARTITION BY account ORDER BY day
                RANGE BETWEEN {look} PRECEDING AND CURRENT ROW) AS score
            FROM daily"""
    else:
        windowed = f"""
            SELECT x.account, x.day, sum(y.weight * {_decay(h, "x.day - y.day")}) AS score
            FROM daily x JOIN daily y
              ON y.account = x.account AND y.day BETWEEN x.day - {look} AND x.day
            GROUP BY x.account, x.day"""
    engaged = con.execute(
        f"SELECT account, min(day) AS engaged_day FROM ({windowed}) "
        f"WHERE round(score, 9) >= {float(query.engagement_min)!r} GROUP BY account"
    ).df()
    epoch = "DATE '1970-01-01'"
    period_touches = con.execute(
        f"""
        SELECT account, (year({epoch} + CAST(day AS INTEGER)) * 12
                         + month({epoch} + CAST(day AS INTEGER)) - 1) // {query.period_months}
                   AS code, count(*) AS events
        FROM ev WHERE day <= {a} GROUP BY ALL
        """
    ).df()
    con.register("opportunity_accounts_df", pd.DataFrame({"account": query.opportunity_accounts}))
    opportunity_touches = con.execute(
        f"""
        SELECT e.account, e.day, e.weight, c.channel_key AS channel
        FROM ev e JOIN channels_df c ON c.channel_code = e.channel_code
        WHERE e.weight > 0 AND e.day <= {a}
          AND e.account IN (SELECT account FROM opportunity_accounts_df)
        ORDER BY e.file, e.row
        """
    ).df()
    return {
        "scores": scores,
        "per_account": per_account,
        "engaged": engaged,
        "period_touches": period_touches,
        "opportunity_touches": opportunity_touches,
    }
