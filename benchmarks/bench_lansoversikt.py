"""Länsöversikt's callback alone: CPU time, components in the answer, and bytes sent.

    python benchmarks/bench_lansoversikt.py --db data/matavla.duckdb [--replicate 05:14] [--repeat 20]

For every län in the database (or `--lan`), the page's callback is called as Dash would (inside a
request context) and its answer serialised as Dash does. Printed per län:
- CPU time of the first build (the board built from the län's rows; the rows are read before
  timing) and the median and 95th percentile of repeated calls (the page kept per database
  version, län and period);
- the Dash components in the answer (each is an object the browser's React builds);
- the answer's size in bytes, raw and gzip-compressed (what the server sends).

`--replicate 05:14` first copies the database with Västra Götaland's 49 kommuner given
Östergötland's rows (see bench_dashboard_load.replicate_lan), for the size of the largest län.
CPU time (not wall time) is measured so other work on a shared machine blurs it less.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import plotly.utils

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def count_components(answer: Any) -> int:
    """Dash components in a serialised answer: the objects with a `type` and a `namespace`."""
    if isinstance(answer, dict):
        own = 1 if "type" in answer and "namespace" in answer else 0
        return own + sum(count_components(v) for v in answer.values())
    if isinstance(answer, list):
        return sum(count_components(v) for v in answer)
    return 0


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", type=Path, default=ROOT / "data" / "matavla.duckdb")
    parser.add_argument("--catalog", type=Path, default=ROOT / "indicators.yaml")
    parser.add_argument("--lan", default="", help="län, comma-separated (default: all in the database)")
    parser.add_argument("--replicate", default="", metavar="FROM:TO")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    if not args.db.exists():
        print(f"Databasen {args.db} finns inte (kör `matavla demo` först).", file=sys.stderr)
        return 1
    if args.replicate:
        from bench_dashboard_load import replicated

        args.db = replicated(args.db, args.replicate, reuse=True)

    from metrics.dashboard.server import create_app

    app = create_app(db_path=args.db, catalog_path=args.catalog)
    from metrics.dashboard.logic.periods import latest_year
    from metrics.dashboard.pages import lansoversikt
    from metrics.dashboard.source import memo  # what is kept per version, emptied for the first build
    from metrics.dashboard.source.context import current_snapshot

    print(f"Databas: {args.db}")
    print(
        f"{'län':>4} {'kommuner':>8} {'första ms':>10} {'median ms':>10} {'p95 ms':>8} "
        f"{'komponenter':>12} {'byte':>10} {'gzip':>8}"
    )
    with app.server.test_request_context("/"):
        snap = current_snapshot()
        for lan in [x for x in args.lan.split(",") if x] or list(snap.lans):
            period = latest_year(snap.periods(lan=lan)) or ""
            snap.lan_results(lan)  # the rows are read once per worker; the board is what is timed
            for kept in list(memo._memos):
                kept.clear()
            started = time.process_time()
            content, _state = lansoversikt.update(lan, period)
            json.dumps(content, cls=plotly.utils.PlotlyJSONEncoder)
            first = (time.process_time() - started) * 1000
            times = []
            for _ in range(args.repeat):
                started = time.process_time()
                content, _state = lansoversikt.update(lan, period)
                text = json.dumps(content, cls=plotly.utils.PlotlyJSONEncoder)
                times.append((time.process_time() - started) * 1000)
            raw = text.encode()
            components = count_components(json.loads(text))
            print(
                f"{lan:>4} {len(snap.kommuner(lan)):>8} {first:>10.1f} {statistics.median(times):>10.1f} "
                f"{_p95(times):>8.1f} {components:>12} {len(raw):>10} {len(gzip.compress(raw)):>8}"
            )
    print("\nFörsta: första anropet (tavlan byggs); median/p95: upprepade anrop; alla med JSON.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
