"""Time `matavla preview` per indicator against a real database, and `matavla test` over the catalogue.

    python benchmarks/bench_preview_and_tests.py --db data/matavla.duckdb [--catalog indicators.yaml]

A preview should take seconds (it computes one indicator, as `matavla compute --indicator`
would, on a read-only attachment of the database); the catalogue's YAML tests should
together stay within 30 seconds.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from metrics.catalogue.loader import load_catalogue  # noqa: E402
from metrics.compute.preview import compute_preview  # noqa: E402
from metrics.compute.yaml_tests import run_catalogue_tests  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, default=ROOT / "data" / "matavla.duckdb")
    parser.add_argument("--catalog", type=Path, default=ROOT / "indicators.yaml")
    args = parser.parse_args()
    catalogue = load_catalogue(args.catalog, strict=True).catalogue

    started = time.perf_counter()
    outcomes = run_catalogue_tests(catalogue)
    failed = sum(1 for o in outcomes if not o.ok)
    print(f"matavla test: {len(outcomes)} tests, {failed} failed, {time.perf_counter() - started:.1f} s")

    if not args.db.is_file():
        print(f"no database at {args.db}: run `matavla demo` for the preview timings")
        return
    for indicator in catalogue.indicators:
        preview = compute_preview(args.db, catalogue, indicator.id)
        print(f"matavla preview {indicator.id:<32} {preview.seconds:6.1f} s  {len(preview.results):>7} cells")


if __name__ == "__main__":
    main()
