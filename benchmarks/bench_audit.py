"""Where the exact LP audit spends its time, per indicator, on a computed database.

    python benchmarks/bench_audit.py --db data/demo.duckdb [--only ID ...] [--seconds 120]
        [--profile]

For each indicator (default: every one in the catalogue) it reruns compute's disclosure step
(`checked_indicator` with the exact audit and the catalogue's publishing rule) and prints the
CPU seconds, the LPs solved, whether the LP finished within `--seconds`, and which rung of the
publishing ladder (docs/disclosure.md) was published. `--profile` prints cProfile's top entries
for each. The database is opened read-only; nothing is written. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import time
from pathlib import Path

from metrics.catalogue.loader import load_catalogue
from metrics.compute.engine import checked_indicator
from metrics.db import connect
from metrics.resources import AUDIT_ITERATIONS_ENV, AUDIT_SECONDS_ENV, LAST_RUNG_ITERATIONS_ENV


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--catalog", type=Path, default=Path("indicators.yaml"))
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument(
        "--seconds", type=float, default=None, help="the LP's budget per indicator, in nominal seconds"
    )
    parser.add_argument("--iterations", type=int, default=None, help="the same budget in simplex iterations")
    parser.add_argument("--last-rung-iterations", type=int, default=None, help="the last rung's own budget")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    if args.seconds is not None:
        os.environ[AUDIT_SECONDS_ENV] = str(args.seconds)
    if args.iterations is not None:
        os.environ[AUDIT_ITERATIONS_ENV] = str(args.iterations)
    if args.last_rung_iterations is not None:
        os.environ[LAST_RUNG_ITERATIONS_ENV] = str(args.last_rung_iterations)
    catalogue = load_catalogue(args.catalog).catalogue
    con = connect(args.db, read_only=True)
    print(f"{'indicator':34} {'cpu s':>7} {'LPs':>6} {'iters':>8} {'cells':>7} {'hidden':>7}  outcome")
    total = 0.0
    for indicator in catalogue.indicators:
        if args.only and indicator.id not in args.only:
            continue
        profiler = cProfile.Profile() if args.profile else None
        started = time.process_time()
        try:
            if profiler:
                profiler.enable()
            _, audit = checked_indicator(con, indicator, catalogue, exact_audit=True)
            outcome = "LP proven" if not audit.timed_out else "TIMED OUT"
            if getattr(audit, "rung", 0):
                outcome += f", rung {audit.rung}"
        except Exception as exc:  # a refused indicator is a result here, not a crash
            audit = None
            outcome = f"refused: {type(exc).__name__}"
        finally:
            if profiler:
                profiler.disable()
        seconds = time.process_time() - started
        total += seconds
        lps = audit.lps if audit else 0
        cells = audit.cells if audit else 0
        hidden = audit.hidden if audit else 0
        iterations = audit.iterations if audit else 0
        print(
            f"{indicator.id:34} {seconds:7.1f} {lps:6d} {iterations:8d} {cells:7d} {hidden:7d}  {outcome}",
            flush=True,
        )
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(18)
    print(f"{'total':34} {total:7.1f}")


if __name__ == "__main__":
    main()
