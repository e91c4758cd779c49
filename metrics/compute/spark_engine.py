"""`matavla compute --engine spark`: the indicators' aggregation queries on Apache Spark.

What runs where (docs/spark.md):

- DuckDB keeps what it always did: the imports, the deliveries and their coverage
  (`covered_months`), the area map (`areas`), and the results, runs and audit the board reads.
- Spark runs the per-indicator aggregation queries – filters, joins and GROUP BY sums – that
  `metrics.compute.sqlgen`, `metrics.compute.clusters` and `metrics.compute.standardise`
  generate, translated on SQLGlot's tree (`metrics.compute.dialects`). What comes back is the
  aggregated cells (one row per area × period × breakdown), as an Arrow table.
- The cells then go through the same Python as on DuckDB: intervals, suppression, the
  disclosure check, standardisation and verdicts (`metrics.compute.engine.checked_indicator`).

Spark reads the tables as Parquet: before the first query of a compute run, each table a query
reads (the extracts, `population`, `areas`, `covered_months`) is written from the DuckDB
database to `<parquet dir>/<table>.parquet`, once per run, and registered as a temporary view.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from metrics.catalogue.model import Indicator
from metrics.compute.dialects import tables_read, to_spark
from metrics.compute.sandbox import check_indicator_query
from metrics.errors import ComputeError, MatavlaError
from metrics.extracts.schema import EXTRACTS

QueryRunner = Callable[[Indicator, str], pd.DataFrame]

SETUP_HINT = "se docs/spark.md"
# Small local defaults; a cluster's own settings (spark-defaults.conf, --spark-conf) win.
LOCAL_DEFAULTS = {
    "spark.sql.shuffle.partitions": "4",
    "spark.ui.enabled": "false",
}
ALWAYS = {
    # DATE columns and date arithmetic must not depend on the machine's time zone.
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "true",
    "spark.ui.showConsoleProgress": "false",  # matavla prints its own progress per indicator
}
BATCH_ROWS = 1_000_000  # rows per Parquet row group when a table is written for Spark


class SparkUnavailable(MatavlaError):
    """pyspark or Java is missing, or the Spark session could not start."""


def java_problem() -> str | None:
    """Why Spark's JVM cannot start here, or None when Java is found."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").is_file():
        return None
    if shutil.which("java"):
        return None
    return (
        "Java hittades inte: Spark behöver Java 17 eller senare. Installera Debians "
        "openjdk-17-jre-headless (`apt-get install openjdk-17-jre-headless`) eller sätt JAVA_HOME "
        f"till en Java-installation ({SETUP_HINT})"
    )


def session_settings(master: str | None, conf: Mapping[str, str] | None) -> dict[str, str]:
    """The settings matavla gives the session: local defaults, `conf`, and ALWAYS (not overridable:
    the translated SQL's meaning depends on them, e.g. a division by zero or a date's time zone)."""
    settings = dict(LOCAL_DEFAULTS) if master is None or master.startswith("local") else {}
    for key, value in (conf or {}).items():
        if key in ALWAYS and value.lower() != ALWAYS[key].lower():
            raise MatavlaError(
                f"--spark-conf {key}={value} går inte att ändra: matavla kräver {key}={ALWAYS[key]} "
                f"för att Spark ska räkna som DuckDB; ta bort inställningen ({SETUP_HINT})"
            )
        settings[key] = value
    return {**settings, **ALWAYS}


def start_session(master: str | None = None, conf: Mapping[str, str] | None = None) -> Any:
    """A SparkSession: `master` (or $SPARK_MASTER, else Spark's own default, local[*]) and `conf`."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SparkUnavailable(
            "pyspark är inte installerat: installera Spark-tillägget med "
            f"`pip install -c constraints.txt -e '.[spark]'` ({SETUP_HINT})"
        ) from None
    if problem := java_problem():
        raise SparkUnavailable(problem)
    master = master or os.environ.get("SPARK_MASTER")
    builder = SparkSession.builder.appName("matavla")
    settings = session_settings(master, conf)
    if master:
        builder = builder.master(master)
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # the JVM did not start: its text names paths, never data
        raise SparkUnavailable(
            f"Spark kunde inte startas ({type(exc).__name__}); kontrollera Java, SPARK_HOME och "
            f"spark.master ({SETUP_HINT})"
        ) from None
    # Spark logs a failed query's plan and error, which can quote a value it choked on (a
    # personnummer in a cast): only fatal errors are logged; matavla reports the error class.
    session.sparkContext.setLogLevel("FATAL")
    silence_query_error_loggers()
    return session


# PySpark's own Python loggers: on every failed SQL or DataFrame query they write the JVM's whole
# message and stack (JSON, at ERROR, to stderr) whatever the JVM's log level is. That message
# quotes the value a cast choked on (`The value '19121212-1212' of the type "STRING" …`).
QUERY_ERROR_LOGGERS = ("SQLQueryContextLogger", "DataFrameQueryContextLogger")


def silence_query_error_loggers() -> None:
    """Turn off PySpark's query-error loggers (their text can quote person-level values)."""
    for name in QUERY_ERROR_LOGGERS:
        logging.getLogger(name).disabled = True


def write_parquet(con: duckdb.DuckDBPyConnection, table: str, path: Path) -> None:
    """The DuckDB table `table` as one Parquet file, streamed in batches (never whole in memory)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".parquet.tmp")
    reader = con.sql(f'SELECT * FROM "{table}"').to_arrow_reader(BATCH_ROWS)
    with pq.ParquetWriter(partial, reader.schema) as writer:
        for batch in reader:
            writer.write_batch(batch)
    partial.replace(path)


def _arrow_to_pandas(table: pa.Table) -> pd.DataFrame:
    """Spark's rows as the frame DuckDB's `.df()` would give (the same dtypes for the same types)."""
    reader = duckdb.connect()
    try:
        return reader.from_arrow(table).df()
    finally:
        reader.close()


def _columns_of_type(indicator: Indicator, types: tuple[str, ...]) -> set[str]:
    declared = {e.name: e for e in indicator.extracts}
    names: set[str] = set()
    for source in indicator.sources:
        if extract := declared.get(source) or EXTRACTS.get(source):
            names |= {c.name for c in extract.columns if c.type in types}
    return names


def date_columns(indicator: Indicator) -> set[str]:
    """The DATE columns of the extracts the indicator reads (their declared types: date, month)."""
    return _columns_of_type(indicator, ("date", "month"))


def double_columns(indicator: Indicator) -> set[str]:
    """The DOUBLE columns (declared `decimal`) of the extracts the indicator reads."""
    return _columns_of_type(indicator, ("decimal",))


class SparkEngine:
    """Runs the indicators' aggregation queries on a Spark session over Parquet copies of the tables."""

    def __init__(
        self,
        parquet_dir: Path,
        *,
        master: str | None = None,
        conf: Mapping[str, str] | None = None,
        session: Any = None,
    ) -> None:
        self.parquet_dir = parquet_dir
        self.master = master
        self.conf = dict(conf or {})
        self._session = session
        self._con: duckdb.DuckDBPyConnection | None = None
        self._views: set[str] = set()
        self._run_dir: Path | None = None

    @property
    def session(self) -> Any:
        if self._session is None:
            self._session = start_session(self.master, self.conf)
        return self._session

    def prepare(self, con: duckdb.DuckDBPyConnection) -> QueryRunner:
        """Start (or reuse) the session for one compute run; tables are written as queries need them.

        The tables (person-level rows) go to a new directory only this user can read
        (`<parquet dir>/matavla-…`, mode 0700), which `close()` removes.
        """
        self.session  # noqa: B018 – start Spark before the first indicator, so a failure is one message
        self.close()
        self._con = con
        self._views = set()
        self.parquet_dir.mkdir(parents=True, exist_ok=True)
        self._run_dir = Path(tempfile.mkdtemp(prefix="matavla-", dir=self.parquet_dir))
        return self.run

    def close(self) -> None:
        """Drop the run's views and delete its Parquet copies of the tables."""
        if self._session is not None:
            for table in self._views:
                self._session.catalog.dropTempView(table)
        self._views = set()
        if self._run_dir is not None:
            shutil.rmtree(self._run_dir, ignore_errors=True)
            self._run_dir = None

    def _register(self, indicator: Indicator, tables: set[str]) -> None:
        assert self._con is not None and self._run_dir is not None, "prepare() first"
        known = {
            row[0].lower() for row in self._con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        }
        for table in sorted(tables - self._views):
            if table not in known:
                raise ComputeError(
                    indicator.id,
                    f"frågan läser tabellen '{table}', som inte finns i databasen "
                    "(importera utdraget eller rätta SQL:en; `matavla check`)",
                )
            path = self._run_dir / f"{table}.parquet"
            write_parquet(self._con, table, path)
            self.session.read.parquet(str(path.resolve())).createOrReplaceTempView(table)
            self._views.add(table)

    def run(self, indicator: Indicator, sql: str) -> pd.DataFrame:
        """The rows of one generated (DuckDB) query, computed by Spark."""
        check_indicator_query(indicator, sql)
        spark_sql = to_spark(sql, date_columns(indicator), double_columns=double_columns(indicator))
        self._register(indicator, tables_read(sql))
        try:
            table = self.session.sql(spark_sql).toArrow()
        except Exception as exc:
            # Spark's own text can quote the values it choked on: only its error class is shown.
            condition = getattr(exc, "getCondition", lambda: None)() or type(exc).__name__
            raise ComputeError(
                indicator.id,
                f"Spark kunde inte köra frågan ({condition}); kör `matavla sql --dialect spark "
                f"{indicator.id}` för att se den översatta SQL:en",
            ) from None
        return _arrow_to_pandas(table)


def parse_conf(pairs: tuple[str, ...] | list[str]) -> dict[str, str]:
    """`--spark-conf KEY=VALUE` options as a dict; a malformed one is named."""
    conf: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise MatavlaError(
                f"--spark-conf '{pair}' saknar '=': skriv NYCKEL=VÄRDE, t.ex. spark.sql.shuffle.partitions=8"
            )
        conf[key.strip()] = value.strip()
    return conf
