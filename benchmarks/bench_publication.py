"""What the publishing rule and the exact audit cost per indicator: cells, withheld, hidden, LPs, time.

Usage: python benchmarks/bench_publication.py DB [--catalog FILE] [--indicator ID ...] [--cap SECONDS]
       [--rule off] [--quick] [--out COPY.duckdb]

Computes each indicator as `matavla compute` does (compute_all) on a copy of DB (nothing is
written to DB itself; `--out` keeps the copy, e.g. for bench_suppression_cost.py and `matavla
audit`), with the exact LP audit unless --quick, and prints wall and CPU seconds per indicator
(CPU: on a shared machine the wall time mostly measures the neighbours). `--rule off` publishes
every cell (the rule switched off), for a before/after comparison.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import tempfile
import time

import duckdb

from metrics.catalogue.loader import load_catalogue
from metrics.compute.engine import compute_all


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("--catalog", default="indicators.yaml")
    parser.add_argument("--indicator", action="append")
    parser.add_argument("--cap", type=float, default=None, help="audit_seconds (default: the catalogue's)")
    parser.add_argument("--rule", choices=["on", "off"], default="on")
    parser.add_argument("--quick", action="store_true", help="snabbkontroll only (no LP)")
    parser.add_argument("--out", help="keep the computed copy here")
    args = parser.parse_args()
    catalogue = load_catalogue(args.catalog).catalogue
    settings = catalogue.publication
    if args.rule == "off":
        settings = dataclasses.replace(
            settings,
            kommun_month_breakdowns=True,
            kommun_months_min_population=0,
            kommun_quarter_breakdowns_min_population=0,
        )
    if args.cap is not None:
        settings = dataclasses.replace(settings, audit_seconds=args.cap)
    catalogue = dataclasses.replace(catalogue, publication=settings)
    folder = tempfile.mkdtemp(prefix="bench-publication-")
    copy = shutil.copy(args.db, args.out or f"{folder}/copy.duckdb")
    con = duckdb.connect(copy)
    only = args.indicator or None
    print("indicator | stored | withheld | hidden | LPs | timed out | wall s | CPU s", flush=True)
    clock = [time.perf_counter(), time.process_time()]
    laps: dict[str, tuple[float, float]] = {}

    def lap(line: str) -> None:
        now = time.perf_counter(), time.process_time()
        name = line.split("] ", 1)[1].split(":", 1)[0]
        laps[name] = (now[0] - clock[0], now[1] - clock[1])
        clock[:] = [*now]

    compute_all(con, catalogue, only=only, progress=lap, exact_audit=not args.quick)
    record = json.loads(con.execute("SELECT value FROM meta WHERE key = 'audit'").fetchone()[0])
    hidden = dict(
        con.execute("SELECT indicator, count(*) FILTER (WHERE suppressed) FROM results GROUP BY 1").fetchall()
    )
    con.close()
    for name, entry in record["indicators"].items():
        wall, cpu = laps.get(name, (0.0, 0.0))
        print(
            f"{name} | {entry['checked']} | {entry['withheld']} | {hidden.get(name, 0)} | "
            f"{entry.get('lps', '–')} | {'ja' if entry.get('lp_timed_out') else 'nej'} | "
            f"{wall:.1f} | {cpu:.1f}"
        )
    total_wall = sum(w for w, _ in laps.values())
    total_cpu = sum(c for _, c in laps.values())
    print(
        f"total | {record['checked']} | {record['withheld']} | {record['hidden']} | | | "
        f"{total_wall:.1f} | {total_cpu:.1f}"
    )
    print(f"refused: {record['refused']}, passed: {record['passed']}, check: {record['check']}")


if __name__ == "__main__":
    main()
