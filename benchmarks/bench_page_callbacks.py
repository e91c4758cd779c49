"""Every page callback the load benchmark sends, alone: CPU time, components and bytes answered.

    python benchmarks/bench_page_callbacks.py --db data/matavla.duckdb [--lan 05] [--repeat 20]

The callbacks are those of bench_dashboard_load (Länsöversikt, Kommun, Kommun trend, Jämför,
Indikator for each län), posted through the app's own Flask test client, so Dash's whole answer
(callback, validation, JSON) is timed. Printed per callback:
- CPU time of the first answer (every memo and the kept compressed answers emptied; the län's
  rows already read, as a worker has after its first request) and the median and 95th percentile
  of repeated answers (compressed once, then sent as kept: see server._CompressedCache);
- the Dash components in the answer and its size, raw and as sent (compressed by the server as
  for `--accept-encoding`, by default gzip as bench_dashboard_load asks; the compression is timed).
CPU time (not wall time) is measured so other work on a shared machine blurs it less.
`--profile NAME` prints a cProfile of the first answers of the callbacks whose name starts with NAME
(of the repeated answers with `--profile-repeats`).
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import json
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", type=Path, default=ROOT / "data" / "matavla.duckdb")
    parser.add_argument("--catalog", type=Path, default=ROOT / "indicators.yaml")
    parser.add_argument("--lan", default="", help="län, comma-separated (default: all in the database)")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--accept-encoding", default="gzip", help="what the client accepts ('' for none)")
    parser.add_argument("--profile", default="", metavar="NAME")
    parser.add_argument("--profile-repeats", action="store_true", help="profile the repeated answers instead")
    parser.add_argument(
        "--riket", action="store_true", help="the riket page's callback too (a database of all 21 län)"
    )
    args = parser.parse_args()
    if not args.db.exists():
        print(f"Databasen {args.db} finns inte (kör `matavla demo` först).", file=sys.stderr)
        return 1
    from bench_dashboard_load import callback_payloads
    from bench_lansoversikt import count_components

    from metrics.dashboard.server import COMPRESSED_CACHE, create_app
    from metrics.dashboard.source import memo

    cases = callback_payloads(args.db, args.catalog, [x for x in args.lan.split(",") if x], riket=args.riket)
    app = create_app(db_path=args.db, catalog_path=args.catalog)
    client = app.server.test_client()

    def answer(body: bytes) -> bytes:
        response = client.post(
            "/_dash-update-component",
            data=body,
            headers={"Content-Type": "application/json", "Accept-Encoding": args.accept_encoding},
        )
        if response.status_code not in (200, 204):
            raise SystemExit(f"svar {response.status_code}: {response.data[:500]!r}")
        return response.data

    for _name, body in cases:  # every län's rows read, as in a worker that has answered before
        answer(body)
    print(f"Databas: {args.db}")
    print(
        f"{'anrop':28} {'första ms':>10} {'median ms':>10} {'p95 ms':>8} "
        f"{'komponenter':>12} {'byte':>9} {'skickat':>8}"
    )
    profile = cProfile.Profile() if args.profile else None
    compressed = app.server.extensions[COMPRESSED_CACHE]
    for name, body in cases:
        for kept in list(memo._memos):
            kept.clear()
        compressed.clear_answers()  # the first answer is compressed too; repeated ones are kept
        profiled = profile is not None and name.startswith(args.profile)
        if profiled and profile is not None and not args.profile_repeats:
            profile.enable()
        started = time.process_time()
        answer(body)
        first = (time.process_time() - started) * 1000
        if profiled and profile is not None:
            profile.disable() if not args.profile_repeats else profile.enable()
        times = []
        for _ in range(args.repeat):
            started = time.process_time()
            raw = answer(body)
            times.append((time.process_time() - started) * 1000)
        if profile is not None:
            profile.disable()
        ordered = sorted(times)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        sent = len(raw)
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        elif args.accept_encoding.startswith("br"):
            import brotli

            raw = brotli.decompress(raw)
        components = count_components(json.loads(raw)) if raw else 0
        print(
            f"{name:28} {first:>10.1f} {statistics.median(times):>10.1f} {p95:>8.1f} "
            f"{components:>12} {len(raw):>9} {sent:>8}"
        )
    if profile is not None:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(60)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
