"""Import benchmark: rows per second and peak memory of `matavla import` for one large contacts file.

Generates a synthetic contacts extract of N rows (valid rows shaped like the demo's, with
pseudonymous ids; made by DuckDB, not timed) as CSV and as Parquet, then imports each into a
fresh database in a child process and reports the wall time, rows/s and the child's peak RSS
(`ru_maxrss`, the whole process: Python, Arrow and DuckDB).

    nice -n 10 .venv/bin/python benchmarks/bench_import.py --rows 5000000 20000000
    nice -n 10 .venv/bin/python benchmarks/bench_import.py --rows 1000000 --formats csv

Environment: MATAVLA_MEMORY_LIMIT / MATAVLA_THREADS apply as for `matavla import`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# 13 Östergötland kommuner; the other values are the contract's enums.
KOMMUNER = "['0509','0512','0513','0560','0561','0562','0563','0580','0581','0582','0583','0584','0586']"
SYNTHETIC = f"""
SELECT 'C' || i AS contact_id,
       'P' || (hash(i) % 400000) AS person_id,
       ({KOMMUNER})[1 + (i % 13)::INTEGER] AS kommun,
       CASE WHEN i % 2 = 0 THEN 'K' ELSE 'M' END AS sex,
       (i * 7) % 100 AS age,
       DATE '2024-01-01' + ((i * 13) % 366)::INTEGER AS contact_date,
       'VC ' || (i % 50) AS care_unit,
       (['region','private','kommun'])[1 + (i % 3)::INTEGER] AS provider,
       (['lakare','sjukskoterska','fysioterapeut'])[1 + (i % 3)::INTEGER] AS profession,
       CASE WHEN i % 5 = 0 THEN NULL ELSE 'S' || (i % 900) END AS staff_id,
       (['mottagning','telefon','video'])[1 + (i % 3)::INTEGER] AS mode,
       CASE WHEN i % 4 = 0 THEN 'false' ELSE 'true' END AS planned
FROM range(1, {{rows}} + 1) AS t(i)
"""


def generate(folder: Path, rows: int, formats: list[str]) -> dict[str, Path]:
    import duckdb

    con = duckdb.connect()
    files = {}
    for fmt in formats:
        path = folder / f"contacts_{rows}.{fmt}"
        if not path.exists():
            options = "(HEADER, DELIMITER ';')" if fmt == "csv" else "(FORMAT PARQUET)"
            con.execute(f"COPY ({SYNTHETIC.format(rows=rows)}) TO '{path}' {options}")
        files[fmt] = path
    con.close()
    return files


def child(path: str, db: str) -> None:
    """Runs in the child process: import one file, print JSON with time, rows and peak RSS."""
    import resource

    from metrics.db import connect
    from metrics.extracts.importer import import_paths

    con = connect(Path(db))
    started = time.perf_counter()
    (report,) = import_paths(con, [Path(path)])
    seconds = time.perf_counter() - started
    con.close()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak_mb = usage.ru_maxrss / 1024
    # CPU seconds of all threads (Python and DuckDB's): on a shared machine this, not wall time,
    # is the figure that compares between runs.
    cpu = usage.ru_utime + usage.ru_stime
    print(
        json.dumps(
            {
                "status": report.status,
                "error": report.error,
                "rows": report.rows_accepted,
                "seconds": seconds,
                "cpu": cpu,
                "peak_mb": peak_mb,
            }
        )
    )


def measure(path: Path, work: Path) -> dict[str, Any]:
    db = work / "bench.duckdb"
    for old in work.glob("bench.duckdb*"):
        shutil.rmtree(old) if old.is_dir() else old.unlink()
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(path), str(db)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--formats", nargs="+", default=["csv", "parquet"], choices=["csv", "parquet"])
    parser.add_argument("--work", type=Path, default=None, help="folder for files and database (kept)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    work = args.work or Path(tempfile.mkdtemp(prefix="bench_import_"))
    work.mkdir(parents=True, exist_ok=True)
    print(
        f"{'rows':>12} {'format':>8} {'MB':>8} {'seconds':>8} {'rows/s':>10} {'CPU s/M':>8} "
        f"{'peak RSS MB':>12} {'load':>5}"
    )
    for rows in args.rows:
        files = generate(work, rows, args.formats)
        for fmt, path in files.items():
            result = measure(path, work)
            if result["status"] != "ok" or result["rows"] != rows:
                print(f"FAILED {path.name}: {result}")
                continue
            rate = rows / result["seconds"]
            size = path.stat().st_size / 1e6
            cpu_per_million = result["cpu"] / (rows / 1e6)
            load = os.getloadavg()[0]
            print(
                f"{rows:>12} {fmt:>8} {size:>8.0f} {result['seconds']:>8.1f} {rate:>10.0f} "
                f"{cpu_per_million:>8.2f} {result['peak_mb']:>12.0f} {load:>5.2f}",
                flush=True,
            )
    if args.work is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
