"""Where the cost of merging row groups falls: the import's checkpoint, or the next writer's.

Each piece's insert leaves a part-filled row group per DuckDB thread, and DuckDB merges them at
a checkpoint (its "vacuum": the row groups are read and compressed again): 2-5 s after a 12 M-row
contacts file that imports in about 20 s, the import's own checkpoint. This imports one contacts
file (synthetic, made as in `bench_import.py`, or `--file`) into a fresh database in a child
process, three ways:

- `merged at import`: as `matavla import` does (DuckDB's default);
- `left to next writer`: `max_vacuum_tasks = 0` on the importing connection, so its checkpoint
  merges nothing; but DuckDB then merges every table's part-filled row groups at the next
  checkpoint with the default setting, whatever table that session wrote (`matavla compute`'s
  close, a one-row correction);
- `one thread`: `threads = 1`, so that the insert is serial and fills one row group after another
  across the pieces, leaving nothing to merge.

It reports the import with its checkpoint, that checkpoint alone, the next writer's checkpoint
(a new connection writes one row to another table and checkpoints), the table's row groups, and
the best of three runs of two scans like the engine's. What it found, and why the import still
merges: docs/performance.md.

    nice -n 10 .venv/bin/python benchmarks/bench_row_groups.py --rows 12000000
    .venv/bin/python benchmarks/bench_row_groups.py --file contacts_2023.csv  # e.g. the ×20 demo's
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

SCANS = {
    "grouped": "SELECT kommun, date_trunc('month', contact_date), profession, count(*), "
    "count(DISTINCT person_id) FROM contacts GROUP BY ALL",
    "per person": "SELECT person_id, count(DISTINCT staff_id) FROM contacts "
    "WHERE profession = 'lakare' GROUP BY ALL",
}


WAYS = {
    "merged at import": [],
    "left to next writer": ["SET max_vacuum_tasks = 0"],
    "one thread": ["SET threads = 1"],
}


def child(path: str, db: str, way: str) -> None:
    """Runs in the child process: import, then the next writer's checkpoint, then scan; prints JSON."""
    import duckdb

    from metrics.db import connect
    from metrics.extracts import importer

    con = connect(Path(db))
    for statement in WAYS[way]:
        con.execute(statement)
    marks: dict[str, float] = {}

    def progress(message: str) -> None:
        if "databasfilen" in message:
            marks["checkpoint"] = time.perf_counter()

    started = time.perf_counter()
    (report,) = importer.import_paths(con, [Path(path)], source="contacts", progress=progress)
    ended = time.perf_counter()
    con.close()
    writer = duckdb.connect(db)  # DuckDB's defaults, as a later session's
    groups_before = writer.execute(
        "SELECT count(DISTINCT row_group_id) FROM pragma_storage_info('contacts')"
    ).fetchall()[0][0]
    writer.execute("CREATE TABLE next_writer (x INTEGER); INSERT INTO next_writer VALUES (1)")
    began = time.perf_counter()
    writer.execute("CHECKPOINT")
    next_checkpoint = time.perf_counter() - began
    writer.close()
    reader = duckdb.connect(db, read_only=True)
    (groups,) = reader.execute(
        "SELECT count(DISTINCT row_group_id) FROM pragma_storage_info('contacts')"
    ).fetchall()[0]
    scans = {}
    for name, sql in SCANS.items():
        best = float("inf")
        for _ in range(3):
            began = time.perf_counter()
            reader.execute(sql).fetchall()
            best = min(best, time.perf_counter() - began)
        scans[name] = best
    reader.close()
    print(
        json.dumps(
            {
                "status": report.status,
                "rows": report.rows_accepted,
                "seconds": ended - started,
                "checkpoint": ended - marks.get("checkpoint", ended),
                "next_checkpoint": next_checkpoint,
                "row_groups": f"{groups_before} → {groups}",
                "mb": Path(db).stat().st_size / 1e6,
                "scans": scans,
            }
        )
    )


def measure(path: Path, work: Path, way: str) -> dict[str, Any]:
    db = work / "bench.duckdb"
    for old in work.glob("bench.duckdb*"):
        shutil.rmtree(old) if old.is_dir() else old.unlink()
    command = [sys.executable, __file__, "--child", str(path), str(db), "--way", way]
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=12_000_000)
    parser.add_argument("--file", type=Path, default=None, help="a contacts CSV to import instead")
    parser.add_argument("--work", type=Path, default=None, help="folder for the file and database (kept)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--way", choices=list(WAYS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child, way=args.way)
        return
    from bench_import import generate

    work = args.work or Path(tempfile.mkdtemp(prefix="bench_row_groups_"))
    work.mkdir(parents=True, exist_ok=True)
    path = args.file or generate(work, args.rows, ["csv"])["csv"]
    print(
        f"{'':>20} {'import s':>9} {'rows/s':>9} {'its checkpoint s':>17} {'next checkpoint s':>18} "
        f"{'row groups':>11} {'MB':>6} " + " ".join(f"{name + ' s':>12}" for name in SCANS)
    )
    for way in WAYS:
        result = measure(path, work, way)
        if result["status"] != "ok" or (args.file is None and result["rows"] != args.rows):
            print(f"FAILED: {result}")
            continue
        rows = result["rows"]
        print(
            f"{way:>20} {result['seconds']:>9.1f} {rows / result['seconds']:>9.0f} "
            f"{result['checkpoint']:>17.2f} {result['next_checkpoint']:>18.2f} "
            f"{result['row_groups']:>11} {result['mb']:>6.0f} "
            + " ".join(f"{result['scans'][name]:>12.3f}" for name in SCANS),
            flush=True,
        )
    if args.work is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    main()
