"""Row groups merged at the import's checkpoint, or not: the import's time, and scans afterwards.

Each piece's insert leaves a part-filled row group per DuckDB thread. DuckDB merges them at a
checkpoint (its "vacuum": the row groups are read and compressed again) unless
`max_vacuum_tasks` is 0, as `matavla import` now sets it when it deletes no row
(`metrics.resources.unmerged_row_groups`). This imports one synthetic contacts file (made as in
`bench_import.py`) both ways, each into a fresh database in a child process, and reports:
the import's time and its checkpoint's, the table's row groups and the file's size, and the best
of three runs of two scans like the engine's (a grouped count, a distinct count per person).

    nice -n 10 .venv/bin/python benchmarks/bench_row_groups.py --rows 12000000
    .venv/bin/python benchmarks/bench_row_groups.py --file contacts_2023.csv  # e.g. the ×20 demo's
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

SCANS = {
    "grouped": "SELECT kommun, date_trunc('month', contact_date), profession, count(*), "
    "count(DISTINCT person_id) FROM contacts GROUP BY ALL",
    "per person": "SELECT person_id, count(DISTINCT staff_id) FROM contacts "
    "WHERE profession = 'lakare' GROUP BY ALL",
}


def child(path: str, db: str, merge: bool) -> None:
    """Runs in the child process: import, then scan; prints JSON."""
    import duckdb

    from metrics.db import connect
    from metrics.extracts import importer

    if merge:

        @contextlib.contextmanager
        def as_duckdb_does(_con: duckdb.DuckDBPyConnection) -> Iterator[None]:
            yield None  # the setting is left at DuckDB's default: row groups are merged

        importer.unmerged_row_groups = as_duckdb_does  # type: ignore[assignment]
    con = connect(Path(db))
    marks: dict[str, float] = {}

    def progress(message: str) -> None:
        if "databasfilen" in message:
            marks["checkpoint"] = time.perf_counter()

    started = time.perf_counter()
    (report,) = importer.import_paths(con, [Path(path)], source="contacts", progress=progress)
    ended = time.perf_counter()
    con.close()
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
                "row_groups": groups,
                "mb": Path(db).stat().st_size / 1e6,
                "scans": scans,
            }
        )
    )


def measure(path: Path, work: Path, merge: bool) -> dict[str, Any]:
    db = work / "bench.duckdb"
    for old in work.glob("bench.duckdb*"):
        shutil.rmtree(old) if old.is_dir() else old.unlink()
    command = [sys.executable, __file__, "--child", str(path), str(db)] + (["--merge"] if merge else [])
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=12_000_000)
    parser.add_argument("--file", type=Path, default=None, help="a contacts CSV to import instead")
    parser.add_argument("--work", type=Path, default=None, help="folder for the file and database (kept)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--merge", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child, merge=args.merge)
        return
    from bench_import import generate

    work = args.work or Path(tempfile.mkdtemp(prefix="bench_row_groups_"))
    work.mkdir(parents=True, exist_ok=True)
    path = args.file or generate(work, args.rows, ["csv"])["csv"]
    print(
        f"{'row groups':>22} {'import s':>9} {'rows/s':>9} {'checkpoint s':>13} {'groups':>7} {'MB':>6} "
        + " ".join(f"{name + ' s':>12}" for name in SCANS)
    )
    for merge in (True, False):
        result = measure(path, work, merge)
        if result["status"] != "ok" or (args.file is None and result["rows"] != args.rows):
            print(f"FAILED: {result}")
            continue
        rows = result["rows"]
        label = "merged (DuckDB)" if merge else "not merged (matavla)"
        print(
            f"{label:>22} {result['seconds']:>9.1f} {rows / result['seconds']:>9.0f} "
            f"{result['checkpoint']:>13.2f} {result['row_groups']:>7} {result['mb']:>6.0f} "
            + " ".join(f"{result['scans'][name]:>12.3f}" for name in SCANS),
            flush=True,
        )
    if args.work is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    main()
