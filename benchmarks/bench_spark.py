"""Where the Spark parity test's time goes: JVM start, Parquet copies, and each core indicator's
queries on Spark (analysis, planning, execution) against DuckDB (docs/spark.md, "The test's time").

    python benchmarks/bench_spark.py [--db DEMO.duckdb] [--conf KEY=VALUE ...] [--master local[1]]
                                     [--test-conf] [--only ID ...]

Without `--db` it builds the Spark test's own data (tests/test_spark.py's `imported_demo`: the demo
2023–2024 at 2 %, imported, not computed) and times that too; DEMO.duckdb: any imported demo
(e.g. the tests' session demo, `matavla demo --scale 0.02`). `--test-conf` starts the session
with the test's settings (tests/test_spark.py's TEST_CONF); `--conf` adds or overrides settings.
Prints one line per step and indicator – wall seconds, CPU seconds (this Python process and Spark's
JVM, separately), Spark jobs and stages – and the machine's load average beside them (other
processes share the cores). Nothing is asserted. Run it with and without a `--conf` to see what a
setting is worth on this machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import psutil

from metrics.catalogue.loader import load_catalogue
from metrics.catalogue.model import Indicator
from metrics.compute.dialects import tables_read, to_spark
from metrics.compute.engine import checked_indicator, write_areas
from metrics.compute.spark_engine import (
    SparkEngine,
    _arrow_to_pandas,
    date_columns,
    double_columns,
    parse_conf,
    start_session,
)
from metrics.extracts.coverage import write_covered_months

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Clock:
    """Wall seconds and CPU seconds of this process and of Spark's JVM (its child process)."""

    jvm: psutil.Process | None = None
    me: psutil.Process = field(default_factory=psutil.Process)

    def find_jvm(self) -> None:
        java = [p for p in self.me.children(recursive=True) if "java" in p.name()]
        self.jvm = java[0] if java else None

    def now(self) -> tuple[float, float, float]:
        own = self.me.cpu_times()
        jvm = self.jvm.cpu_times() if self.jvm is not None else None
        return (
            time.perf_counter(),
            own.user + own.system,
            (jvm.user + jvm.system) if jvm is not None else 0.0,
        )


@dataclass
class Tally:
    wall: float = 0.0
    py: float = 0.0
    jvm: float = 0.0
    count: int = 0

    def add(self, start: tuple[float, float, float], end: tuple[float, float, float]) -> None:
        self.wall += end[0] - start[0]
        self.py += end[1] - start[1]
        self.jvm += end[2] - start[2]
        self.count += 1

    def line(self, label: str) -> str:
        return (
            f"{label:34s} {self.wall:7.1f} s wall  {self.py:6.1f} s CPU py  {self.jvm:6.1f} s CPU jvm"
            f"  (n={self.count})"
        )


def load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, help="an imported demo (default: the Spark test's data)")
    parser.add_argument("--master", default="local[1]")
    parser.add_argument("--test-conf", action="store_true", help="the parity test's session settings")
    parser.add_argument("--conf", action="append", default=[])
    parser.add_argument("--only", action="append", default=[], help="an indicator id (repeatable)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))  # the test module's settings, data and list of core indicators
    from tests.test_contract_guards import CORE_IDS
    from tests.test_spark import TEST_CONF, imported_demo

    conf: dict[str, str] = {}
    if args.test_conf:
        conf.update(TEST_CONF)
    conf.update(parse_conf(args.conf))
    print(load(), "conf:", conf)
    phases = {name: Tally() for name in ("parquet", "translate", "analyse", "plan", "execute")}
    with tempfile.TemporaryDirectory(prefix="bench-spark-") as folder:
        clock = Clock()
        if args.db is None:
            start = clock.now()
            db = imported_demo(Path(folder))
            end = clock.now()
            print(
                f"{'test data (generate, import)':34s} {end[0] - start[0]:7.1f} s wall  "
                f"{end[1] - start[1]:6.1f} s CPU py  {load()}"
            )
        else:
            db = Path(folder) / "demo.duckdb"
            shutil.copy(args.db, db)
        catalogue = load_catalogue(ROOT / "indicators.yaml", strict=True).catalogue
        con = duckdb.connect(str(db))
        write_areas(con, catalogue)
        write_covered_months(con)
        start = clock.now()
        session = start_session(args.master, conf)
        clock.find_jvm()
        end = clock.now()
        # the JVM's CPU since it started is all session start
        jvm_start = end[2]
        print(
            f"{'session start':34s} {end[0] - start[0]:7.1f} s wall  {end[1] - start[1]:6.1f} s CPU py  "
            f"{jvm_start:6.1f} s CPU jvm  {load()}"
        )
        engine = SparkEngine(Path(folder) / "parquet", session=session)
        engine.prepare(con)

        @contextmanager
        def phase(name: str) -> Iterator[None]:
            t = clock.now()
            try:
                yield
            finally:
                phases[name].add(t, clock.now())

        queries: list[float] = []
        tracker = session.sparkContext.statusTracker()
        jobs = {"jobs": 0, "stages": 0}

        def timed(indicator: Indicator, sql: str) -> pd.DataFrame:
            """SparkEngine.run, step by step (the same calls)."""
            t = time.perf_counter()
            with phase("parquet"):
                engine._register(indicator, tables_read(sql))
            with phase("translate"):
                spark_sql = to_spark(sql, date_columns(indicator), double_columns=double_columns(indicator))
            with phase("analyse"):
                frame: Any = session.sql(spark_sql)
            with phase("plan"):
                frame._jdf.queryExecution().executedPlan()
            group = f"q{len(queries)}-{time.perf_counter()}"
            session.sparkContext.setJobGroup(group, group)
            with phase("execute"):
                table = frame.toArrow()
            ids = tracker.getJobIdsForGroup(group)
            jobs["jobs"] += len(ids)
            jobs["stages"] += sum(len(info.stageIds) for j in ids if (info := tracker.getJobInfo(j)))
            queries.append(time.perf_counter() - t)
            return _arrow_to_pandas(table)

        totals = {"duckdb": Tally(), "spark": Tally()}
        for indicator_id in args.only or sorted(CORE_IDS):
            indicator = catalogue.indicator(indicator_id)
            t = clock.now()
            checked_indicator(con, indicator, catalogue, exact_audit=False)
            totals["duckdb"].add(t, clock.now())
            on_duckdb = clock.now()[0] - t[0]
            queries.clear()
            t = clock.now()
            checked_indicator(con, indicator, catalogue, exact_audit=False, run=timed)
            totals["spark"].add(t, clock.now())
            on_spark = clock.now()[0] - t[0]
            print(
                f"{indicator_id:30s} duckdb {on_duckdb:5.1f} s  spark {on_spark:5.1f} s "
                f"({len(queries)} queries, {sum(queries):5.1f} s in them; "
                f"{jobs['jobs']} jobs, {jobs['stages']} stages)  {load()}"
            )
            jobs.update(jobs=0, stages=0)
        print(totals["duckdb"].line("all indicators, duckdb"))
        print(totals["spark"].line("all indicators, spark"))
        for name, tally in phases.items():
            print(tally.line(f"  spark: {name}"))
        print(load())
        engine.close()
        session.stop()
        con.close()


if __name__ == "__main__":
    main()
