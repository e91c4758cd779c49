"""The LP audit's work budget on the 2 % demo: what is proven, what it costs, and reproducibility.

    nice -n 10 python benchmarks/bench_audit_budget.py --out /tmp/budget [--builds 2] [--scale 0.02]

Builds the demo `--builds` times (as tests/conftest.py does: `build_demo` at the given scale with
the environment's audit settings) into separate folders, each in a fresh process so its CPU time
is its own, then prints per build: CPU seconds of the build, indicators the LP proved (meta
'audit': check = fullständig LP-granskning) of all, the ladder's rungs, the share of hidden
cells per period type, and the SHA-256 of `matavla export`'s CSV. Equal hashes: the builds
published byte-identical results. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def build(folder: Path, scale: float) -> None:
    """One build in this process (run as a child: `--one FOLDER`)."""
    from metrics.demo.pipeline import build_demo

    build_demo(folder / "matavla.duckdb", REPO / "indicators.yaml", out_dir=folder / "files", scale=scale)


def report(folder: Path, cpu: float) -> dict:
    import duckdb

    from metrics.export import export_results

    con = duckdb.connect(str(folder / "matavla.duckdb"), read_only=True)
    try:
        record = json.loads(con.execute("SELECT value FROM meta WHERE key = 'audit'").fetchone()[0])
        shares = con.execute(
            "SELECT period_type, count(*), sum(suppressed::INT), round(100 * avg(suppressed::INT), 2) "
            "FROM results GROUP BY ALL ORDER BY ALL"
        ).fetchall()
        out = folder / "export.csv"
        export_results(con, out)
    finally:
        con.close()
    entries = record["indicators"]
    proven = sorted(k for k, e in entries.items() if e["check"] == "fullständig LP-granskning")
    return {
        "cpu_seconds": round(cpu, 1),
        "lp_proven": f"{len(proven)} of {len(entries)}",
        "not_proven": record.get("lp_timed_out", []),
        "ladder": record.get("ladder", {}),
        "hidden_share": {p: f"{h} of {c} ({pct} %)" for p, c, h, pct in shares},
        "export_sha256": hashlib.sha256(out.read_bytes()).hexdigest(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--builds", type=int, default=2)
    parser.add_argument("--scale", type=float, default=0.02)
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        build(args.one, args.scale)
        return
    hashes = []
    for number in range(1, args.builds + 1):
        folder = args.out / f"build{number}"
        folder.mkdir(parents=True, exist_ok=False)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        cmd = [
            sys.executable,
            __file__,
            "--out",
            str(args.out),
            "--scale",
            str(args.scale),
            "--one",
            str(folder),
        ]
        subprocess.run(cmd, check=True, env=os.environ.copy(), stdout=subprocess.DEVNULL)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        result = report(folder, cpu)
        hashes.append(result["export_sha256"])
        print(f"build {number}: {json.dumps(result, ensure_ascii=False, indent=1)}", flush=True)
    print("byte-identical exports:", len(set(hashes)) == 1)


if __name__ == "__main__":
    main()
