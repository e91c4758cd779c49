"""What recording compute runs costs: time per compute and database size per kept run.

    python benchmarks/bench_runs.py --db data/demo.duckdb [--runs 4] [--keep 12]

Copies the database (built with `matavla demo --db data/demo.duckdb`), then computes the
whole catalogue `--runs` times. For each run it prints the whole compute's time, the time
spent recording the run (compute_runs, run_indicators and the copy into results_history,
with pruning), the blocks results_history occupies, and the file size after a CHECKPOINT
(the file also grows by the freed blocks of the replaced `results`). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from metrics.catalogue.loader import load_catalogue
from metrics.compute import engine
from metrics.db import connect

ROOT = Path(__file__).resolve().parents[1]
BLOCK_SIZE = 262_144  # DuckDB's default block size


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, default=ROOT / "data" / "demo.duckdb")
    parser.add_argument("--catalog", type=Path, default=ROOT / "indicators.yaml")
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--keep", type=int, default=12)
    args = parser.parse_args()

    catalogue = load_catalogue(args.catalog).catalogue
    source = args.catalog.read_bytes()
    recording: list[float] = []
    record_run = engine.record_run

    def timed(*a: Any, **kw: Any) -> Any:
        started = time.perf_counter()
        try:
            return record_run(*a, **kw)
        finally:
            recording.append(time.perf_counter() - started)

    engine.record_run = timed  # type: ignore[assignment]
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.duckdb"
        shutil.copy(args.db, db)
        con = connect(db)
        con.execute("CHECKPOINT")
        before = db.stat().st_size
        print(
            f"{'run':>4} {'compute s':>10} {'record s':>9} {'history rows':>13} {'history MB':>11} "
            f"{'file MB':>8} {'+MB':>6}"
        )
        previous = before
        for _ in range(args.runs):
            started = time.perf_counter()
            reports = engine.compute_all(con, catalogue, catalogue_source=source, keep_runs=args.keep)
            total = time.perf_counter() - started
            con.execute("CHECKPOINT")
            size = db.stat().st_size
            rows = con.execute("SELECT count(*) FROM results_history").fetchone()
            blocks = con.execute(
                "SELECT count(DISTINCT block_id) FROM pragma_storage_info('results_history') "
                "WHERE block_id >= 0"
            ).fetchone()
            history_mb = (blocks[0] if blocks else 0) * BLOCK_SIZE / 1e6
            print(
                f"{reports[0].run:>4} {total:>10.1f} {recording[-1]:>9.2f} {rows[0] if rows else 0:>13} "
                f"{history_mb:>11.1f} {size / 1e6:>8.1f} {(size - previous) / 1e6:>6.1f}"
            )
            previous = size
        con.close()
        print(f"growth over {args.runs} runs: {(previous - before) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
