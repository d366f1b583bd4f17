"""The Polars engine (the ``polars`` extra): the DuckDB engine's plan as lazy Polars.

Same steps as :mod:`abmxl.scale.duckdb_engine`: read SOURCE lazily, match its
headers and parse its values through :mod:`abmxl.scale.rules`, join the small
lookup tables, and reduce. The engaged date uses Polars' native
``rolling_sum_by`` over day numbers (same-day events first summed, so they act
as one peer group); with a half-life, a ``rolling`` group whose aggregation is
``sum(w * 0.5 ** ((d - e) / h))`` with d the window's last day.
"""

from __future__ import annotations

import math

import pandas as pd
import polars as pl

from abmxl.engine.events.computed import ComputedEvents, EventQuery
from abmxl.scale import rules
from abmxl.scale.source import EventSource, SourceError

__all__ = ["PolarsEngine"]


def _blank_text(expr: pl.Expr) -> pl.Expr:
    text = expr.cast(pl.String).str.strip_chars()
    return pl.when(text == "").then(None).otherwise(text)


def _pandas(frame: pl.DataFrame) -> pd.DataFrame:
    """Column by column (``DataFrame.to_pandas`` would need pyarrow)."""
    return pd.DataFrame({c: frame[c].to_numpy() for c in frame.columns})


def _frame(table: pd.DataFrame) -> pl.LazyFrame:
    kinds = {"O": pl.String, "f": pl.Float64, "i": pl.Int64}
    schema = {c: kinds[table[c].dtype.kind] for c in table.columns}
    frame = pl.from_dict({c: table[c].tolist() for c in table.columns}, schema=schema)
    return frame.with_columns(pl.col(pl.Float64).fill_nan(None)).lazy()  # nan = unknown


class PolarsEngine:
    """Runs an :class:`EventQuery` on the events of ``source`` with lazy Polars."""

    name = "polars"

    def __init__(self, source: EventSource) -> None:
        self.source = source

    def __call__(self, query: EventQuery) -> ComputedEvents:
        try:
            return self._run(query)
        except (pl.exceptions.PolarsError, OSError) as error:
            first = str(error).strip().splitlines()[0] if str(error).strip() else type(error)
            raise SourceError(f"engagement source {self.source.text}: {first}") from None

    def _read(self) -> pl.LazyFrame:
        parts = []
        for index, file in enumerate(self.source.files):
            if self.source.kind == "parquet":
                frame = pl.scan_parquet(file)
            else:  # every cell as text: ingest's rules read it
                frame = pl.scan_csv(file, infer_schema=False)
            parts.append(
                frame.with_row_index("_row", offset=1).with_columns(
                    pl.lit(index, dtype=pl.Int64).alias("_file")
                )
            )
        return pl.concat(parts, how="diagonal_relaxed") if len(parts) > 1 else parts[0]

    def _run(self, query: EventQuery) -> ComputedEvents:
        raw = self._read()
        schema = raw.collect_schema()
        types = {name: dtype for name, dtype in schema.items() if name not in ("_row", "_file")}
        headers = rules.match_headers(list(types), query, self.source)
        col = {c: pl.col(h) for c, h in headers.items()}
        kind = {c: types[h] for c, h in headers.items()}

        if kind["account_id"].is_float():
            x = col["account_id"]
            id_text = pl.when(x == x.floor()).then(x.cast(pl.Int64).cast(pl.String))
            id_text = id_text.otherwise(x.cast(pl.String))
        else:
            id_text = _blank_text(col["account_id"])
        channel_text = _blank_text(col["channel"])
        channels = raw.select(channel_text.alias("c")).unique().drop_nulls().collect()["c"]
        lookups = [
            (_frame(rules.account_table(query)), "account_id", id_text),
            (_frame(rules.channel_table(channels.to_list(), query)), "channel_text", channel_text),
        ]

        if kind["date"].is_temporal():
            day = col["date"].cast(pl.Date).cast(pl.Int64)
            date_blank = col["date"].is_null()
        else:
            date_text = col["date"].cast(pl.String)
            values = raw.select(date_text.alias("d")).unique().drop_nulls().collect()["d"]
            lookups.append(
                (
                    _frame(rules.date_table(values.to_list(), query.date_order)),
                    "date_text",
                    date_text,
                )
            )
            day = pl.col("day").cast(pl.Int64)
            date_blank = _blank_text(col["date"]).is_null()

        if "weight" not in col:
            weight, weight_blank = pl.lit(None, dtype=pl.Float64), pl.lit(True)
        elif kind["weight"].is_numeric():
            weight = col["weight"].cast(pl.Float64)
            weight_blank = weight.is_null() | weight.is_nan()
        else:
            text = _blank_text(col["weight"])
            cast = (
                text.cast(pl.Float64, strict=False)
                if query.decimal_separator == "."
                else pl.lit(None, dtype=pl.Float64)
            )
            values = raw.filter(text.is_not_null() & cast.is_null()).select(text.alias("n"))
            values = values.unique().collect()["n"]
            lookups.append(
                (_frame(rules.number_table(values.to_list(), query.decimal_separator)),
                 "number_text", text)
            )  # fmt: skip
            weight = pl.coalesce(cast, pl.col("number"))
            weight_blank = text.is_null()

        for table, key, expr in lookups:
            raw = raw.with_columns(expr.alias(f"_{key}")).join(
                table, left_on=f"_{key}", right_on=key, how="left", maintain_order="left"
            )
        skip = (
            pl.when(id_text.is_null()).then(1)
            .when(pl.col("account").is_null()).then(2)
            .when(date_blank).then(3)
            .when(channel_text.is_null()).then(4)
            .when(day.is_null()).then(5)
        )  # fmt: skip
        weight_value = col["weight"].cast(pl.String) if "weight" in col else pl.lit(None)
        staged = raw.select(
            pl.col("_file").alias("file"),
            pl.col("_row").cast(pl.Int64).alias("row"),
            pl.col("account").cast(pl.Int64),
            "channel_key",
            "channel_weight",
            day.alias("day"),
            weight.alias("own_weight"),
            weight_blank.alias("weight_blank"),
            id_text.cast(pl.String).alias("id_text"),
            col["date"].cast(pl.String).alias("date_value"),
            col["channel"].cast(pl.String).alias("channel_value"),
            weight_value.cast(pl.String).alias("weight_value"),
            skip.alias("skip"),
        ).collect()
        kept = staged.filter(pl.col("skip").is_null()).with_columns(
            pl.when(~pl.col("weight_blank") & pl.col("own_weight").is_null()).then(6)
            .when(pl.col("own_weight") < 0).then(7).alias("repair"),
            pl.when(pl.col("own_weight") >= 0).then(pl.col("own_weight")).alias("usable_weight"),
        )  # fmt: skip
        issues = pl.concat(
            [
                staged.filter(pl.col("skip").is_not_null()).select(
                    "file",
                    "row",
                    pl.col("skip").alias("code"),
                    pl.when(pl.col("skip") == 2)
                    .then(pl.col("id_text"))
                    .when(pl.col("skip") == 5)
                    .then(pl.col("date_value"))
                    .alias("value"),
                ),
                kept.filter(pl.col("repair").is_not_null()).select(
                    "file",
                    "row",
                    pl.col("repair").alias("code"),
                    pl.col("weight_value").alias("value"),
                ),
                kept.filter(
                    pl.col("usable_weight").is_null() & pl.col("channel_weight").is_null()
                ).select(
                    "file", "row", pl.lit(8).alias("code"), pl.col("channel_value").alias("value")
                ),
            ],
            how="vertical_relaxed",
        )
        listed = _pandas(issues.sort("file", "row", "code").head(rules.ISSUE_CAP))
        listed["file"] = [self.source.files[i] for i in listed["file"]]
        issue_rows = rules.issue_frame(listed, issues.height, headers, self.source)

        ev = kept.select(
            "account",
            "day",
            pl.coalesce("usable_weight", "channel_weight", pl.lit(0.0)).alias("weight"),
            pl.col("channel_key").alias("channel"),
            "file",
            "row",
        )
        return rules.computed_events(
            query,
            **_reduce(ev.lazy(), query),
            issues=issue_rows,
            source=self.source,
            columns=headers,
            rows_read=staged.height,
            rows_used=ev.height,
        )


def _decay(h: float | None, age: pl.Expr) -> pl.Expr | float:
    return 1.0 if h is None else 0.5 ** (age / float(h))


def _reduce(ev: pl.LazyFrame, query: EventQuery) -> dict[str, pd.DataFrame]:
    a, h = query.as_of_day, query.half_life_days
    bounds = ev.select(pl.col("day").min().alias("lo"), pl.col("day").max().alias("hi")).collect()
    lo, hi = bounds["lo"][0], bounds["hi"][0]
    span = 0 if lo is None else hi - lo
    whole_window = math.floor(min(query.window_days, 2.0**62))  # ages are whole days
    look = int(min(whole_window, span))  # no window reaches further than the events
    day, weight = pl.col("day"), pl.col("weight")

    def collect(frame: pl.LazyFrame) -> pd.DataFrame:
        return _pandas(frame.collect())

    scores = {
        d: collect(
            ev.filter((day <= d) & (d - day <= whole_window))
            .group_by("account")
            .agg((weight * _decay(h, d - day)).sum().alias("score"))
        )
        for d in query.score_days
    }
    r, b = float(query.recent_days), float(query.baseline_days)
    age = a - day
    per_account = collect(
        ev.filter(day <= a)
        .group_by("account")
        .agg(
            day.min().alias("first_day"),
            pl.len().alias("touches"),
            weight.filter(age < r).sum().alias("recent"),
            weight.filter((age >= r) & (age < r + b)).sum().alias("baseline"),
        )
    )
    daily = ev.filter(day <= a).group_by("account", "day").agg(weight.sum()).sort("account", "day")
    if h is None:
        windowed = daily.with_columns(
            weight.rolling_sum_by("day", window_size=f"{look + 1}i", closed="right")
            .over("account")
            .alias("score")
        )
    else:
        windowed = daily.rolling(
            index_column="day", period=f"{look + 1}i", closed="right", group_by="account"
        ).agg((weight * _decay(h, day.last() - day)).sum().alias("score"))
    engaged = collect(
        windowed.filter(pl.col("score").round(9) >= float(query.engagement_min))
        .group_by("account")
        .agg(day.min().alias("engaged_day"))
    )
    date = day.cast(pl.Int32).cast(pl.Date)
    period_touches = collect(
        ev.filter(day <= a)
        .group_by(
            "account",
            (
                (date.dt.year().cast(pl.Int64) * 12 + date.dt.month().cast(pl.Int64) - 1)
                // query.period_months
            ).alias("code"),
        )
        .agg(pl.len().alias("events"))
    )
    opportunity_touches = collect(
        ev.filter(
            (weight > 0) & (day <= a) & pl.col("account").is_in(query.opportunity_accounts.tolist())
        )
        .sort("file", "row")
        .select("account", "day", "weight", "channel")
    )
    return {
        "scores": scores,
        "per_account": per_account,
        "engaged": engaged,
        "period_touches": period_touches,
        "opportunity_touches": opportunity_touches,
    }
