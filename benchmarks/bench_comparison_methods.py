"""How many kommuner each comparison method flags, and what the verdict columns cost, on a demo database.

    python benchmarks/bench_comparison_methods.py --db data/demo.duckdb [--period 2024]

Reads the results as computed (values, intervals, suppression), then classifies every kommun's
total against its län by each method of metrics.stats.benchmark, and times the trend and
comparison stage (metrics.compute.verdicts) per indicator. Prints tables; nothing is asserted.
The figures in docs/comparisons.md come from this script on the full demo.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import duckdb

from metrics.catalogue.loader import load_catalogue
from metrics.catalogue.model import ComparisonChoice
from metrics.compute.verdicts import add_comparisons, add_trends
from metrics.db import RESULT_COLUMNS

METHODS = (
    ("ci95", ComparisonChoice("ci95")),
    ("ci998", ComparisonChoice("ci998")),
    ("multiplicative 95", ComparisonChoice("multiplicative", 95.0)),
    ("multiplicative 99.8", ComparisonChoice("multiplicative", 99.8)),
    ("additive 95", ComparisonChoice("additive", 95.0)),
    ("additive 99.8", ComparisonChoice("additive", 99.8)),
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, default=Path("data/demo.duckdb"))
    parser.add_argument("--catalog", type=Path, default=Path("indicators.yaml"))
    parser.add_argument("--period", default="2024")
    args = parser.parse_args()
    con = duckdb.connect(str(args.db), read_only=True)
    results = con.execute(f"SELECT {', '.join(RESULT_COLUMNS)} FROM results").df()
    catalogue = load_catalogue(args.catalog).catalogue
    print(f"Kommuner flagged (better/worse/higher/lower of those compared), total, {args.period}:")
    print(f"{'indicator':32s}" + "".join(f"{name:>21s}" for name, _ in METHODS))
    trend_seconds = comparison_seconds = 0.0
    for indicator in catalogue.indicators:
        part = results[results["indicator"] == indicator.id].reset_index(drop=True)
        cells = []
        for _, choice in METHODS:
            tuned = dataclasses.replace(catalogue, comparison=choice)
            plain = dataclasses.replace(indicator, comparison=None)
            started = time.perf_counter()
            _, comparison = add_comparisons(part, plain, tuned)
            comparison_seconds += (time.perf_counter() - started) / len(METHODS)
            shown = (part["area_level"] == "kommun") & (part["period"] == args.period)
            shown &= part["breakdown"] == "total"
            classes = comparison[shown]
            compared = classes.isin(["better", "similar", "worse", "higher", "lower"])
            flagged = classes.isin(["better", "worse", "higher", "lower"])
            cells.append(f"{int(flagged.sum()):>3d} of {int(compared.sum()):<3d}" if compared.any() else "–")
        started = time.perf_counter()
        add_trends(part, indicator)
        trend_seconds += time.perf_counter() - started
        print(f"{indicator.id:32s}" + "".join(f"{c:>21s}" for c in cells))
    print(
        f"\nTrend stage: {trend_seconds:.1f} s; comparison stage: {comparison_seconds:.1f} s (all indicators)"
    )


if __name__ == "__main__":
    main()
