"""Time the dashboard's callbacks against a real database, without a browser.

    python benchmarks/bench_dashboard.py --db data/matavla.duckdb [--repeat 20]

Each page callback is called directly (as Dash would, inside a request context) for every
län in the database, and the median, 95th percentile and maximum are printed, both for
the callback itself and including the JSON serialisation Dash does before answering.
Page callbacks should answer in well under 100 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import plotly.utils

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from metrics.dashboard.server import create_app  # noqa: E402


def _measure(func: Callable[[], Any], repeat: int) -> tuple[list[float], list[float]]:
    bare, serialised = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        result = func()
        middle = time.perf_counter()
        json.dumps(result, cls=plotly.utils.PlotlyJSONEncoder)
        ended = time.perf_counter()
        bare.append((middle - started) * 1000)
        serialised.append((ended - started) * 1000)
    return bare, serialised


def _summary(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered):7.1f} {p95:7.1f} {ordered[-1]:7.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", type=Path, default=ROOT / "data" / "matavla.duckdb")
    parser.add_argument("--catalog", type=Path, default=ROOT / "indicators.yaml")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--downloads", action="store_true", help="also time the CSV/Excel downloads")
    args = parser.parse_args()
    if not args.db.exists():
        print(f"Databasen {args.db} finns inte (kör `matavla demo` först).", file=sys.stderr)
        return 1

    started = time.perf_counter()
    app = create_app(db_path=args.db, catalog_path=args.catalog)  # reads the database once
    startup = (time.perf_counter() - started) * 1000
    from metrics.dashboard.logic.choices import largest_kommun
    from metrics.dashboard.logic.periods import latest_year
    from metrics.dashboard.pages import dataunderlag, indikator, jamfor, kommun, lansoversikt
    from metrics.dashboard.source.context import catalogue, current_snapshot

    with app.server.test_request_context("/"):
        snap = current_snapshot()
        cat = catalogue()
        print(f"Databas: {args.db} – {snap.result_rows:,} resultatrader".replace(",", " "))
        print(f"Start (create_app, läser databasen en gång per process och version): {startup:.0f} ms\n")
        cases: list[tuple[str, Callable[[], Any]]] = []
        for lan in snap.lans:
            year = latest_year(snap.periods(lan=lan)) or ""
            quarter = max((p for p in snap.periods(lan=lan) if "-Q" in p), default=year)
            big = largest_kommun(snap, lan) or ""
            kommuner = snap.kommuner(lan)
            small = kommuner[0] if kommuner else big
            markera = [small, big]
            cases += [
                (f"Länsöversikt {lan} {year}", lambda lan=lan, year=year: lansoversikt.update(lan, year)),
                (f"Länsöversikt {lan} {quarter}", lambda lan=lan, q=quarter: lansoversikt.update(lan, q)),
                (
                    f"Kommun {big} {year}",
                    lambda big=big, year=year: kommun.update(big, year, cat.indicators[0].id),
                ),
                (
                    f"Kommun {big} trend+nedbrytning",
                    lambda big=big, year=year: kommun.update_trend(big, year, cat.indicators[0].id),
                ),
            ]
            for ind in (cat.indicators[0], cat.indicators[6], cat.indicators[10]):
                cases.append(
                    (
                        f"Jämför {lan} {ind.id}",
                        lambda lan=lan, ind=ind, year=year, m=markera: jamfor.update(lan, ind.id, year, m),
                    )
                )
            cases.append(
                (
                    f"Indikator {cat.indicators[0].id} {lan}",
                    lambda lan=lan, year=year, m=markera: indikator.update(
                        cat.indicators[0].id, lan, year, m
                    ),
                )
            )
            if args.downloads:
                cases += [
                    (
                        f"Ladda ner Excel, översikt {lan}",
                        lambda lan=lan, year=year: lansoversikt.download_board(0, 1, lan, year),
                    ),
                    (
                        f"Ladda ner CSV, jämför {lan}",
                        lambda lan=lan, year=year: jamfor.download_comparison(
                            1, 0, lan, cat.indicators[0].id, year, []
                        ),
                    ),
                ]
        cases.append(("Data", lambda: dataunderlag.update({"lan": None, "period": None})))

        print(f"{'callback':44} {'median':>7} {'p95':>7} {'max':>7}   {'med+json':>8} {'p95+json':>8}  (ms)")
        worst = 0.0
        for name, func in cases:
            func()  # warm: first call per page fills per-process caches
            bare, serialised = _measure(func, args.repeat)
            worst = max(worst, statistics.median(serialised))
            ordered = sorted(serialised)
            p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
            print(f"{name:44} {_summary(bare)}   {statistics.median(serialised):8.1f} {p95:8.1f}")
        print(f"\nLångsammast (median inkl. JSON): {worst:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
