"""Where the Spark parity test's time goes: JVM start, Parquet copies, and each core indicator's
queries on Spark against DuckDB (docs/spark.md, "Proof: identical cells").

    python benchmarks/bench_spark.py --db DEMO.duckdb [--conf KEY=VALUE ...] [--master local[1]]

DEMO.duckdb: an imported demo (e.g. `matavla demo --scale 0.02`, or the Spark test's own fixture
database). Prints one line per step and indicator; nothing is asserted. Run it with and without
a `--conf` to see what a setting is worth on this machine.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import duckdb
import pandas as pd

from metrics.catalogue.loader import load_catalogue
from metrics.catalogue.model import Indicator
from metrics.compute.engine import checked_indicator, write_areas
from metrics.compute.spark_engine import SparkEngine, parse_conf, start_session
from metrics.extracts.coverage import write_covered_months
from tests.test_contract_guards import CORE_IDS

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--master", default="local[1]")
    parser.add_argument("--conf", action="append", default=[])
    parser.add_argument("--only", action="append", default=[], help="an indicator id (repeatable)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-spark-") as folder:
        db = Path(folder) / "demo.duckdb"
        shutil.copy(args.db, db)
        catalogue = load_catalogue(ROOT / "indicators.yaml", strict=True).catalogue
        con = duckdb.connect(str(db))
        write_areas(con, catalogue)
        write_covered_months(con)
        started = time.perf_counter()
        session = start_session(args.master, parse_conf(args.conf))
        print(f"session start            {time.perf_counter() - started:6.1f} s")
        engine = SparkEngine(Path(folder) / "parquet", session=session)
        run = engine.prepare(con)
        queries: list[float] = []

        def timed(indicator: Indicator, sql: str) -> pd.DataFrame:
            t = time.perf_counter()
            try:
                return run(indicator, sql)
            finally:
                queries.append(time.perf_counter() - t)

        totals = {"duckdb": 0.0, "spark": 0.0}
        for indicator_id in args.only or sorted(CORE_IDS):
            indicator = catalogue.indicator(indicator_id)
            t = time.perf_counter()
            checked_indicator(con, indicator, catalogue, exact_audit=False)
            on_duckdb = time.perf_counter() - t
            queries.clear()
            t = time.perf_counter()
            checked_indicator(con, indicator, catalogue, exact_audit=False, run=timed)
            on_spark = time.perf_counter() - t
            totals["duckdb"] += on_duckdb
            totals["spark"] += on_spark
            print(
                f"{indicator_id:30s} duckdb {on_duckdb:5.1f} s  spark {on_spark:5.1f} s "
                f"({len(queries)} queries, {sum(queries):5.1f} s in them)"
            )
        print(f"{'total':30s} duckdb {totals['duckdb']:5.1f} s  spark {totals['spark']:5.1f} s")
        engine.close()
        session.stop()
        con.close()


if __name__ == "__main__":
    main()
