"""The Spark engine (the ``spark`` extra): the plan of the DuckDB engine on PySpark.

For events that do not fit one machine or already live in a Spark cluster:
``--engine spark --spark-master URL`` (default ``local[*]``, Spark's local
mode). The steps are those of :mod:`abmxl.scale.duckdb_engine`; the engaged
date uses Spark's ``rangeBetween(-L, 0)`` window over day numbers, and with a
half-life the same range self-join. PySpark is imported only when the engine
runs, so abmxl imports without it.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from abmxl.engine.events.computed import ComputedEvents, EventQuery
from abmxl.scale import rules
from abmxl.scale.source import EventSource, SourceError

__all__ = ["SparkEngine"]


def _pandas(rows: list[Any], columns: list[str]) -> pd.DataFrame:
    """Collected rows as pandas (``toPandas`` would need pyarrow or pandas < 3)."""
    return pd.DataFrame([tuple(r) for r in rows], columns=columns)


class SparkEngine:
    """Runs an :class:`EventQuery` on the events of ``source`` with PySpark."""

    name = "spark"

    def __init__(self, source: EventSource, master: str = "local[*]") -> None:
        self.source = source
        self.master = master

    def session(self):
        from pyspark.sql import SparkSession

        return (
            SparkSession.builder.master(self.master)
            .appName("abmxl")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.ui.enabled", "false")
            .getOrCreate()
        )

    def __call__(self, query: EventQuery) -> ComputedEvents:
        from pyspark.errors import PySparkException

        try:
            return self._run(self.session(), query)
        except PySparkException as error:
            text = str(error).strip().splitlines()
            raise SourceError(
                f"engagement source {self.source.text}: {text[0] if text else type(error)}"
            ) from None

    def _read(self, spark):
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        files = list(self.source.files)
        if self.source.kind == "parquet":
            raw = spark.read.parquet(*files).select(
                "*",
                F.col("_metadata.file_name").alias("_name"),
                (F.col("_metadata.row_index") + 1).alias("_row"),
            )
            names = [p.rsplit("/", 1)[-1] for p in files]
            index = F.create_map(*[x for i, n in enumerate(names) for x in (F.lit(n), F.lit(i))])
            return raw.withColumn("_file", index[F.col("_name")]).drop("_name")
        raw = spark.read.option("header", True).csv(files[0])  # every cell as text
        order = Window.orderBy(F.monotonically_increasing_id())
        return raw.withColumn("_row", F.row_number().over(order)).withColumn("_file", F.lit(0))

    def _run(self, spark, query: EventQuery) -> ComputedEvents:
        from pyspark.sql import functions as F
        from pyspark.sql import types as T

        raw = self._read(spark)
        types = {f.name: f.dataType for f in raw.schema.fields if f.name not in ("_row", "_file")}
        headers = rules.match_headers(list(types), query, self.source)
        col = {c: F.col(f"`{h}`") for c, h in headers.items()}
        kind = {c: types[h] for c, h in headers.items()}

        def blank_text(expr):
            text = F.trim(expr.cast("string"))
            return F.when(text == "", None).otherwise(text)

        def table(frame: pd.DataFrame, schema: str):
            rows = [
                tuple(None if isinstance(v, float) and v != v else v for v in r)
                for r in frame.itertuples(index=False, name=None)
            ]
            return spark.createDataFrame(rows, schema)

        if isinstance(kind["account_id"], T.FloatType | T.DoubleType):
            x = col["account_id"]
            id_text = F.when(x == F.floor(x), x.cast("long").cast("string")).otherwise(
                x.cast("string")
            )
        else:
            id_text = blank_text(col["account_id"])
        channel_text = blank_text(col["channel"])
        channels = [r[0] for r in raw.select(channel_text).distinct().collect() if r[0] is not None]
        lookups = [
            (table(rules.account_table(query), "account_id string, account long"), id_text),
            (
                table(
                    rules.channel_table(channels, query),
                    "channel_text string, channel_key string, channel_weight double",
                ),
                channel_text,
            ),
        ]
        if isinstance(kind["date"], T.DateType | T.TimestampType | T.TimestampNTZType):
            day = F.datediff(col["date"].cast("date"), F.lit("1970-01-01").cast("date")).cast(
                "long"
            )
            date_blank = col["date"].isNull()
        else:
            text = col["date"].cast("string")
            values = [r[0] for r in raw.select(text).distinct().collect() if r[0] is not None]
            dates = table(
                rules.date_table(values, query.date_order), "date_text string, day double"
            )
            lookups.append((dates, text))
            day = F.col("day").cast("long")
            date_blank = blank_text(col["date"]).isNull()
        if "weight" not in col:
            weight, weight_blank = F.lit(None).cast("double"), F.lit(True)
        elif isinstance(kind["weight"], T.NumericType):
            weight = col["weight"].cast("double")
            weight_blank = weight.isNull() | F.isnan(weight)
        else:
            text = blank_text(col["weight"])
            cast = (
                F.expr(f"try_cast(trim(`{headers['weight']}`) AS double)")
                if query.decimal_separator == "."
                else F.lit(None).cast("double")
            )
            values = [
                r[0]
                for r in raw.where(text.isNotNull() & cast.isNull())
                .select(text)
                .distinct()
                .collect()
            ]
            numbers = table(
                rules.number_table(values, query.decimal_separator),
                "number_text string, number double",
            )
            lookups.append((numbers, text))
            weight = F.coalesce(cast, F.col("number"))
            weight_blank = text.isNull()

        joined = raw
        for i, (lookup, expr) in enumerate(lookups):
            lookup = lookup.withColumnRenamed(lookup.columns[0], f"_lookup{i}")
            joined = joined.withColumn(f"_key{i}", expr).join(
                F.broadcast(lookup), F.col(f"_key{i}") == F.col(f"_lookup{i}"), "left"
            )
        skip = (
            F.when(id_text.isNull(), 1)
            .when(F.col("account").isNull(), 2)
            .when(date_blank, 3)
            .when(channel_text.isNull(), 4)
            .when(day.isNull(), 5)
        )
        weight_value = col["weight"].cast("string") if "weight" in col else F.lit(None)
        staged = joined.select(
            F.col("_file").alias("file"),
            F.col("_row").cast("long").alias("row"),
            "account",
            "channel_key",
            "channel_weight",
            day.alias("day"),
            weight.alias("own_weight"),
            weight_blank.alias("weight_blank"),
            id_text.alias("id_text"),
            col["date"].cast("string").alias("date_value"),
            col["channel"].cast("string").alias("channel_value"),
            weight_value.cast("string").alias("weight_value"),
            skip.alias("skip"),
        ).cache()
        kept = staged.where(F.col("skip").isNull()).select(
            "*",
            F.when(~F.col("weight_blank") & F.col("own_weight").isNull(), 6)
            .when(F.col("own_weight") < 0, 7)
            .alias("repair"),
            F.when(F.col("own_weight") >= 0, F.col("own_weight")).alias("usable_weight"),
        )
        issues = (
            staged.where(F.col("skip").isNotNull())
            .select(
                "file",
                "row",
                F.col("skip").alias("code"),
                F.when(F.col("skip") == 2, F.col("id_text"))
                .when(F.col("skip") == 5, F.col("date_value"))
                .alias("value"),
            )
            .unionByName(
                kept.where(F.col("repair").isNotNull()).select(
                    "file",
                    "row",
                    F.col("repair").alias("code"),
                    F.col("weight_value").alias("value"),
                )
            )
            .unionByName(
                kept.where(
                    F.col("usable_weight").isNull() & F.col("channel_weight").isNull()
                ).select(
                    "file", "row", F.lit(8).alias("code"), F.col("channel_value").alias("value")
                )
            )
        )
        total = issues.count()
        listed = _pandas(
            issues.orderBy("file", "row", "code").limit(rules.ISSUE_CAP).collect(),
            ["file", "row", "code", "value"],
        )
        listed["file"] = [self.source.files[int(i)] for i in listed["file"]]
        issue_rows = rules.issue_frame(listed, total, headers, self.source)
        ev = kept.select(
            "account",
            "day",
            F.coalesce("usable_weight", "channel_weight", F.lit(0.0)).alias("weight"),
            F.col("channel_key").alias("channel"),
            "file",
            "row",
        ).cache()
        result = rules.computed_events(
            query,
            **_reduce(ev, query),
            issues=issue_rows,
            source=self.source,
            columns=headers,
            rows_read=staged.count(),
            rows_used=ev.count(),
        )
        staged.unpersist()
        ev.unpersist()
        return result


def _reduce(ev, query: EventQuery) -> dict[str, pd.DataFrame]:
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    a, h = query.as_of_day, query.half_life_days
    lo, hi = ev.agg(F.min("day"), F.max("day")).collect()[0]
    span = 0 if lo is None else hi - lo
    whole_window = math.floor(min(query.window_days, 2.0**62))
    look = int(min(whole_window, span))
    day, weight = F.col("day"), F.col("weight")

    def decay(age):
        return F.lit(1.0) if h is None else F.pow(F.lit(0.5), age / F.lit(float(h)))

    def collect(frame, columns: list[str]) -> pd.DataFrame:
        return _pandas(frame.collect(), columns)

    scores = {
        d: collect(
            ev.where((day <= d) & (F.lit(d) - day <= whole_window))
            .groupBy("account")
            .agg(F.sum(weight * decay(F.lit(d) - day)).alias("score")),
            ["account", "score"],
        )
        for d in query.score_days
    }
    r, b = float(query.recent_days), float(query.baseline_days)
    age = F.lit(a) - day
    per_account = collect(
        ev.where(day <= a)
        .groupBy("account")
        .agg(
            F.min(day).alias("first_day"),
            F.count(F.lit(1)).alias("touches"),
            F.coalesce(F.sum(F.when(age < r, weight)), F.lit(0.0)).alias("recent"),
            F.coalesce(F.sum(F.when((age >= r) & (age < r + b), weight)), F.lit(0.0)).alias(
                "baseline"
            ),
        ),
        ["account", "first_day", "touches", "recent", "baseline"],
    )
    daily = ev.where(day <= a).groupBy("account", "day").agg(F.sum(weight).alias("weight"))
    if h is None:
        window = Window.partitionBy("account").orderBy("day").rangeBetween(-look, 0)
        windowed = daily.select("account", "day", F.sum("weight").over(window).alias("score"))
    else:
        x, y = daily.alias("x"), daily.alias("y")
        windowed = (
            x.join(
                y,
                (F.col("y.account") == F.col("x.account"))
                & F.col("y.day").between(F.col("x.day") - look, F.col("x.day")),
            )
            .groupBy(F.col("x.account").alias("account"), F.col("x.day").alias("day"))
            .agg(F.sum(F.col("y.weight") * decay(F.col("x.day") - F.col("y.day"))).alias("score"))
        )
    engaged = collect(
        windowed.where(F.round("score", 9) >= float(query.engagement_min))
        .groupBy("account")
        .agg(F.min("day").alias("engaged_day")),
        ["account", "engaged_day"],
    )
    date = F.date_add(F.lit("1970-01-01").cast("date"), day.cast("int"))
    code = F.floor((F.year(date) * 12 + F.month(date) - 1) / query.period_months).cast("long")
    period_touches = collect(
        ev.where(day <= a)
        .groupBy("account", code.alias("code"))
        .agg(F.count(F.lit(1)).alias("events")),
        ["account", "code", "events"],
    )
    opportunity_touches = collect(
        ev.where(
            (weight > 0) & (day <= a) & F.col("account").isin(query.opportunity_accounts.tolist())
        )
        .orderBy("file", "row")
        .select("account", "day", "weight", "channel"),
        ["account", "day", "weight", "channel"],
    )
    return {
        "scores": scores,
        "per_account": per_account,
        "engaged": engaged,
        "period_touches": period_touches,
        "opportunity_touches": opportunity_touches,
    }
