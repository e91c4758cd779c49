"""A new month published incrementally (`compute --incremental`, by calendar year) against a full
compute of the same data.

    python benchmarks/bench_incremental.py --db data/demo.duckdb [--snabbkontroll]

Copies the computed demo database, takes its last month of contacts out (rows and coverage),
computes everything (which keeps the raw cells), then imports that month again from a file and
computes once incrementally and, on a copy, once fully. Prints both times, the incremental run's
progress lines, and whether the two exports are byte-identical. Run it with `nice -n 10`; the
audit budget is the catalogue's unless MATAVLA_AUDIT_ITERATIONS is set. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from metrics.catalogue.loader import load_catalogue
from metrics.compute.engine import compute_all
from metrics.compute.runs import increment
from metrics.db import connect
from metrics.export import export_results
from metrics.extracts import import_file

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, default=ROOT / "data" / "demo.duckdb")
    parser.add_argument("--catalog", type=Path, default=ROOT / "indicators.yaml")
    parser.add_argument("--snabbkontroll", action="store_true", help="propagation only, no LP audit")
    parser.add_argument("--skip-full", action="store_true", help="no full compute with the month (faster)")
    args = parser.parse_args()
    catalogue = load_catalogue(args.catalog).catalogue
    source = args.catalog.read_bytes()
    exact = not args.snabbkontroll

    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        db = folder / "bench.duckdb"
        shutil.copy(args.db, db)
        con = connect(db)
        [(last,)] = con.execute("SELECT max(date_trunc('month', contact_date)) FROM contacts").fetchall()
        month = f"{last:%Y-%m}"
        file = folder / f"contacts_{month}.csv"
        con.execute(
            f"COPY (SELECT * EXCLUDE (_import_id) FROM contacts WHERE date_trunc('month', contact_date) = ?) "
            f"TO '{file}' (HEADER)",
            [last],
        )
        con.execute("DELETE FROM contacts WHERE date_trunc('month', contact_date) = ?", [last])
        con.execute(
            "UPDATE coverage SET last_month = last_month - INTERVAL 1 MONTH "
            "WHERE extract = 'contacts' AND last_month = ?",
            [last],
        )
        started = time.perf_counter()
        compute_all(con, catalogue, catalogue_source=source, exact_audit=exact)
        before = time.perf_counter() - started
        import_file(con, file)
        con.close()
        shutil.copy(db, folder / "full.duckdb")
        shutil.copy(db, folder / "per_indicator.duckdb")

        con = connect(db)
        lines: list[str] = []
        started = time.perf_counter()
        step = increment(con, catalogue, source)
        compute_all(
            con,
            catalogue,
            only=list(step.indicators or ()) or None,
            catalogue_source=source,
            exact_audit=exact,
            by_years=step.by_years,
            progress=lines.append,
        )
        incremental = time.perf_counter() - started
        whole = float("nan")
        if not args.skip_full:
            full = connect(folder / "full.duckdb")
            started = time.perf_counter()
            compute_all(full, catalogue, catalogue_source=source, exact_audit=exact)
            whole = time.perf_counter() - started
        old = connect(folder / "per_indicator.duckdb")
        started = time.perf_counter()
        compute_all(
            old,
            catalogue,
            only=list(step.indicators or ()) or None,
            catalogue_source=source,
            exact_audit=exact,
        )
        per_indicator = time.perf_counter() - started
        export_results(con, folder / "a.csv")
        # without the full compute: against the whole-indicator run (itself a full compute's results)
        export_results(old if args.skip_full else full, folder / "b.csv")
        same = (folder / "a.csv").read_bytes() == (folder / "b.csv").read_bytes()
        old.close()
        print(f"new month {month}, check: {'LP audit' if exact else 'snabbkontroll'}")
        print(f"first full compute (before the month): {before:.1f} s")
        print(f"full compute with the month:           {whole:.1f} s")
        print(f"incremental, whole indicators (before): {per_indicator:.1f} s ({len(lines)} indicators)")
        print(f"incremental by year (now):             {incremental:.1f} s")
        print(f"exports byte-identical: {same}")
        for line in lines:
            print("  " + line)


if __name__ == "__main__":
    main()
