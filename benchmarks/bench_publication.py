"""What the publishing rule and the exact audit cost per indicator: cells, withheld, hidden, LPs, time.

Usage: python benchmarks/bench_publication.py DB [--catalog FILE] [--indicator ID ...] [--cap SECONDS]
       [--rule off] [--quick]

Computes each indicator in memory (nothing is written to DB) as `matavla compute` does, with the
exact LP audit unless --quick, and prints wall and CPU seconds (CPU: on a shared machine the wall
time mostly measures the neighbours). `--rule off` publishes every cell (the rule switched off),
for a before/after comparison.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import tempfile
import time

import duckdb

from metrics.catalogue.loader import load_catalogue
from metrics.catalogue.model import PublicationSettings
from metrics.compute.engine import checked_indicator, write_areas
from metrics.compute.publication import publishing_plan
from metrics.extracts.coverage import write_covered_months
from metrics.extracts.declared_tables import ensure_declared_tables


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("--catalog", default="indicators.yaml")
    parser.add_argument("--indicator", action="append")
    parser.add_argument("--cap", type=float, default=None, help="audit_seconds (default: the catalogue's)")
    parser.add_argument("--rule", choices=["on", "off"], default="on")
    parser.add_argument("--quick", action="store_true", help="snabbkontroll only (no LP)")
    args = parser.parse_args()
    catalogue = load_catalogue(args.catalog).catalogue
    settings = catalogue.publication
    if args.rule == "off":
        settings = PublicationSettings(True, 0, 0, settings.audit_seconds)
    if args.cap is not None:
        settings = dataclasses.replace(settings, audit_seconds=args.cap)
    catalogue = dataclasses.replace(catalogue, publication=settings)
    folder = tempfile.mkdtemp(prefix="bench-publication-")
    copy = shutil.copy(args.db, f"{folder}/copy.duckdb")  # nothing is written to DB itself
    con = duckdb.connect(copy)
    write_areas(con, catalogue)
    ensure_declared_tables(con, catalogue.extracts)
    write_covered_months(con)
    plan = publishing_plan(con, settings)
    print("indicator | stored | withheld | hidden | LPs | timed out | wall s | CPU s")
    totals = [0, 0, 0, 0.0, 0.0]
    for indicator in catalogue.indicators:
        if args.indicator and indicator.id not in args.indicator:
            continue
        wall, cpu = time.perf_counter(), time.process_time()
        frame, audit = checked_indicator(con, indicator, catalogue, exact_audit=not args.quick, plan=plan)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        hidden = int(frame["suppressed"].fillna(False).astype(bool).sum())
        print(
            f"{indicator.id} | {len(frame)} | {audit.withheld} | {hidden} | {audit.lps} | "
            f"{'ja' if audit.timed_out else 'nej'} | {wall:.1f} | {cpu:.1f}",
            flush=True,
        )
        totals = [
            totals[0] + len(frame),
            totals[1] + audit.withheld,
            totals[2] + hidden,
            totals[3] + wall,
            totals[4] + cpu,
        ]
    print(f"total | {totals[0]} | {totals[1]} | {totals[2]} | | | {totals[3]:.1f} | {totals[4]:.1f}")


if __name__ == "__main__":
    main()
