"""What disclosure control costs: hidden cells before and after, and the audit's run time.

    python benchmarks/bench_disclosure.py --after data/demo.duckdb [--before OLD.duckdb]
        [--catalog indicators.yaml] [--compute]

`--before`: a database computed by an older Mätavla (e.g. main's code) on the same extracts.
Prints the share of hidden cells per period type, per area level and per indicator, then runs
the audit (`matavla audit`'s) on the stored results of `--after` and times it. `--compute`
also recomputes `--after` (on a copy) and times the whole compute. Nothing is asserted.
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
from metrics.compute.disclosure import audit_published
from metrics.compute.engine import compute_all
from metrics.db import connect

SHARE_SQL = """
SELECT {by}, count(*) AS cells, sum(suppressed::INT) AS hidden,
       round(100 * avg(suppressed::INT), 1) AS pct_hidden
FROM results GROUP BY ALL ORDER BY ALL
"""


def shares(db: Path, by: str) -> pd.DataFrame:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(SHARE_SQL.format(by=by)).df().set_index(by.split(", "))
    finally:
        con.close()


def compare(before: Path | None, after: Path, by: str) -> pd.DataFrame:
    table = shares(after, by).add_suffix("_after")
    if before is not None:
        table = shares(before, by).add_suffix("_before").join(table, how="outer")
    return table


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--after", type=Path, required=True)
    parser.add_argument("--before", type=Path)
    parser.add_argument("--catalog", type=Path, default=Path("indicators.yaml"))
    parser.add_argument("--compute", action="store_true", help="also time a full compute of --after")
    args = parser.parse_args()
    pd.set_option("display.width", 160)

    for by in ("period_type", "area_level", "period_type, area_level", "indicator"):
        print(f"\nHidden cells by {by}:")
        print(compare(args.before, args.after, by).to_string())

    catalogue = load_catalogue(args.catalog).catalogue
    con = duckdb.connect(str(args.after), read_only=True)
    results = con.execute("SELECT * FROM results").df()
    con.close()
    started = time.perf_counter()
    audits = audit_published(results, catalogue)
    seconds = time.perf_counter() - started
    print("\nAudit of the stored results (published numbers only):")
    for a in audits:
        r = a.result
        print(
            f"  {a.indicator:32} {r.cells:6} cells {r.hidden:6} hidden {r.components:5} components "
            f"{r.lps:6} LPs {r.seconds:7.1f} s {'passed' if r.passed else 'FAILED'}"
        )
    print(f"  total {seconds:.1f} s, {'all passed' if all(a.result.passed for a in audits) else 'FAILURES'}")

    if args.compute:
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "bench.duckdb"
            shutil.copy(args.after, copy)
            con = connect(copy)
            started = time.perf_counter()
            reports = compute_all(con, catalogue)
            con.close()
            print(f"\nFull compute: {time.perf_counter() - started:.1f} s")
            for r in reports:
                outcome = "ok" if r.ok else f"FAILED: {r.message}"
                print(f"  {r.indicator:32} {r.seconds:7.1f} s {outcome}")


if __name__ == "__main__":
    main()
