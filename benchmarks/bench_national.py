"""National-scale benchmark: time and peak memory of demo, import and compute, and the engine
against hand-written DuckDB queries, at several sizes (issue 10).

    nice -n 19 python benchmarks/bench_national.py [--scales 1,5] [--lan 05] [--years 2022-2024]
        [--workdir /tmp/matavla-national] [--max-rss-gb 6] [--repeat 2]

`--scales 1,5` generates Östergötland (`--lan 05`) at 1× and 5× its real population (the demo's
`--scale`: every kommun's inhabitants, and with them every person-level extract, multiplied; the
kommuner stay the same). ×20 (about 9.4 M inhabitants, the size of Sweden) is `--scales 20`: it
is not run by default. Generating its demo takes about 18 min and 16 GB, importing it about
18 min, and compute 4–5 min at 6 GB with `MATAVLA_MEMORY_LIMIT=6GB` (2 cores; README) — set
`MATAVLA_MEMORY_LIMIT` and `--max-rss-gb` to what the machine has.

All 21 län and 290 kommuner at real size is `--scales 1 --lan all --years 2024` (as `matavla demo
--lan all`: 16 GB to generate; compute 530 s on two threads, docs/performance.md). Its files are
imported with the coverage `matavla demo` declares, since one file then holds every region's rows.

Every step runs in a child process of its own (this script with `--phase`), so its peak RSS is its
own; the parent samples the child's RSS (psutil, every 0.1 s) and kills it above `--max-rss-gb`
(reported as "killed"). The child's settings come from the environment as for `matavla`
(MATAVLA_MEMORY_LIMIT, MATAVLA_THREADS …), so a before/after comparison is two runs.

Measured per scale:
- generate: `generate_demo` writing the extracts;
- import CSV: every extract into a fresh database; the contacts CSV files timed on their own (rows/s);
- import Parquet: the same contacts converted to Parquet (conversion not timed), into a fresh database;
- compute: `compute_all`, every indicator at every grain;
- one indicator of each kind — share (digitala_kontakter), population rate (hembesok_75), per-person
  index (kontinuitet_lakare), self-join on stays (aterinskrivning_30d_65), last snapshot
  (fast_lakarkontakt): the engine's generated SQL and its whole compute (intervals, suppression,
  verdicts), each in its own child, against a hand-written DuckDB query with GROUPING SETS computing
  the same grains (area × period type × period × total/sex/age band). `cells equal` compares the two
  on numerator and denominator: the hand-written queries are simpler than the engine's (no
  coverage, no moving between kommuner), so a few cells may differ; the timing is what is compared.

Prints a table; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_engine import HAND_COC, HAND_DIGITAL, best_of  # reused, not copied

ROOT = Path(__file__).resolve().parents[1]
BAND5 = (
    "CASE WHEN age < 20 THEN '0-19' WHEN age < 65 THEN '20-64' WHEN age < 75 THEN '65-74' "
    "WHEN age < 85 THEN '75-84' ELSE '85+' END"
)
BAND65 = "CASE WHEN age < 75 THEN '65-74' WHEN age < 85 THEN '75-84' ELSE '85+' END"
BAND75 = "CASE WHEN age < 85 THEN '75-84' ELSE '85+' END"
SETS = """GROUP BY GROUPING SETS ((a.area_code, p.period_type, p.period_start),
                        (a.area_code, p.period_type, p.period_start, p.sex),
                        (a.area_code, p.period_type, p.period_start, p.age_band))"""
# Months of a (kommun, sex, band, month) table expanded to year, quarter and month.
EXPAND = """SELECT m.*, g.period_type,
           CASE g.period_type WHEN 'year' THEN date_trunc('year', m.m)
                WHEN 'quarter' THEN date_trunc('quarter', m.m) ELSE m.m END AS period_start
    FROM m, (VALUES ('year'), ('quarter'), ('month')) g(period_type)"""

# hembesok_75: home visits per 1 000 inhabitants aged 75+, yearly only.
HAND_RATE = f"""
WITH c AS (
    SELECT kommun, sex, {BAND75} AS age_band, make_date(year(contact_date), 1, 1) AS period_start,
           count(*) FILTER (WHERE mode = 'hembesok') AS num
    FROM contacts WHERE age >= 75 GROUP BY ALL
), i AS (
    SELECT kommun, sex, {BAND75} AS age_band, make_date(year, 1, 1) AS period_start, sum("count") AS den
    FROM population WHERE age >= 75 GROUP BY ALL
), p AS (
    SELECT kommun, 'year' AS period_type, period_start, sex, age_band, coalesce(num, 0) AS num, den
    FROM i FULL JOIN c USING (kommun, sex, age_band, period_start)
)
SELECT a.area_code, p.period_type, p.period_start, p.sex, p.age_band, sum(num), sum(den)
FROM p JOIN areas a USING (kommun)
{SETS}
"""

# aterinskrivning_30d_65: stays of persons 65+ followed by an acute admission 1–30 days later.
HAND_READMISSION = f"""
WITH s AS (
    SELECT rowid AS sid, person_id, kommun, sex, age, discharge_date AS d FROM inpatient WHERE age >= 65
), hit AS (
    SELECT DISTINCT s.sid FROM s JOIN inpatient r
      ON r.person_id = s.person_id AND r.acute AND r.admission_date BETWEEN s.d + 1 AND s.d + 30
), m AS (
    SELECT kommun, sex, {BAND65} AS age_band, date_trunc('month', d) AS m,
           count(hit.sid) AS num, count(*) AS den
    FROM s LEFT JOIN hit USING (sid) GROUP BY ALL
), p AS (
    {EXPAND}
)
SELECT a.area_code, p.period_type, p.period_start, p.sex, p.age_band, sum(num), sum(den)
FROM p JOIN areas a USING (kommun)
{SETS}
"""

# fast_lakarkontakt: named GP at the period's last listing snapshot (listings summed per kommun,
# snapshot, sex and age band before the join to periods).
HAND_SNAPSHOT = f"""
WITH last AS (
    SELECT kommun, g.period_type,
           CASE g.period_type WHEN 'year' THEN date_trunc('year', snapshot_date)
                WHEN 'quarter' THEN date_trunc('quarter', snapshot_date)
                ELSE date_trunc('month', snapshot_date) END AS period_start,
           max(snapshot_date) AS snapshot_date
    FROM (SELECT DISTINCT kommun, snapshot_date FROM listing),
         (VALUES ('year'), ('quarter'), ('month')) g(period_type)
    GROUP BY ALL
), c AS (
    SELECT kommun, snapshot_date, sex, {BAND5} AS age_band,
           count(*) FILTER (WHERE named_gp) AS num, count(*) AS den
    FROM listing GROUP BY ALL
), p AS (
    SELECT c.*, last.period_type, last.period_start FROM c JOIN last USING (kommun, snapshot_date)
)
SELECT a.area_code, p.period_type, p.period_start, p.sex, p.age_band, sum(num), sum(den)
FROM p JOIN areas a USING (kommun)
{SETS}
"""

KINDS = (
    ("share", "digitala_kontakter", HAND_DIGITAL),
    ("population rate", "hembesok_75", HAND_RATE),
    ("per-person index", "kontinuitet_lakare", HAND_COC),
    ("self-join on stays", "aterinskrivning_30d_65", HAND_READMISSION),
    ("last snapshot", "fast_lakarkontakt", HAND_SNAPSHOT),
)


def _years(text: str) -> list[int]:
    from metrics.demo.pipeline import parse_years

    return parse_years(text)


def _lan(text: str) -> list[str]:
    """`--lan` as `matavla demo` reads it: '05,23', or 'all' for the 21 län and 290 kommuner."""
    from metrics.demo.pipeline import parse_lan

    return parse_lan(text)


def _covers(args: argparse.Namespace) -> Any:
    """What the demo's files cover, declared as `matavla demo` declares it on import: beyond
    Östergötland and Jämtland one file holds many regions' rows, and the default rule would take
    the smaller län for visitors (their kommuner 'saknas', riket never computed)."""
    from metrics.demo.pipeline import demo_covers
    from metrics.extracts.coverage import Covers

    return Covers(demo_covers(_lan(args.lan)))


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ----------------------------------------------------------------------------- child phases


def phase_generate(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    from metrics.demo.generate import generate_demo

    started = time.perf_counter()
    paths = generate_demo(work / "files", lan=_lan(args.lan), years=_years(args.years), scale=args.scale)
    seconds = time.perf_counter() - started
    size = sum(p.stat().st_size for p in paths)
    return {"seconds": seconds, "files": len(paths), "mb": size / 1e6}


def phase_import_csv(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    from metrics.db import connect
    from metrics.extracts.importer import import_paths

    db = work / "csv.duckdb"
    for old in work.glob("csv.duckdb*"):
        old.unlink() if old.is_file() else shutil.rmtree(old)
    paths = sorted((work / "files").iterdir())
    contacts = [p for p in paths if p.name.startswith("contacts_")]
    covers = _covers(args)
    con = connect(db)
    started = time.perf_counter()
    reports = import_paths(con, contacts, covers=covers)
    contacts_s = time.perf_counter() - started
    rows = sum(r.rows_read for r in reports)
    started = time.perf_counter()
    others = import_paths(con, [p for p in paths if p not in contacts], covers=covers)
    others_s = time.perf_counter() - started
    con.close()
    failed = [r.file for r in [*reports, *others] if r.status == "failed"]
    # each file's own rate: the first goes into an empty table, the later ones beside the years
    # already stored (the monthly case; issue 10's goal is for both)
    files = [(Path(r.file).name, r.rows_read, r.seconds) for r in reports]
    return {"seconds": contacts_s, "rows": rows, "others_seconds": others_s, "failed": failed, "files": files}


def phase_to_parquet(work: Path, _args: argparse.Namespace) -> dict[str, Any]:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    out = work / "parquet"
    out.mkdir(exist_ok=True)
    for path in sorted((work / "files").glob("contacts_*.csv")):
        options = pacsv.ConvertOptions(strings_can_be_null=False)
        table = pacsv.read_csv(path, convert_options=options)
        pq.write_table(table, out / (path.stem + ".parquet"))
        del table
    return {"seconds": 0.0}


def phase_import_parquet(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    from metrics.db import connect
    from metrics.extracts.importer import import_paths

    db = work / "parquet.duckdb"
    for old in work.glob("parquet.duckdb*"):
        old.unlink() if old.is_file() else shutil.rmtree(old)
    con = connect(db)
    started = time.perf_counter()
    reports = import_paths(con, sorted((work / "parquet").glob("contacts_*.parquet")), covers=_covers(args))
    seconds = time.perf_counter() - started
    con.close()
    failed = [f"{r.file}: {r.error}" for r in reports if r.status == "failed"]
    return {"seconds": seconds, "rows": sum(r.rows_read for r in reports), "failed": failed}


def phase_compute(work: Path, _args: argparse.Namespace) -> dict[str, Any]:
    from metrics.catalogue.loader import load_catalogue
    from metrics.compute.engine import compute_all
    from metrics.db import connect

    con = connect(work / "csv.duckdb")
    catalogue = load_catalogue(ROOT / "indicators.yaml").catalogue
    started = time.perf_counter()
    reports = compute_all(con, catalogue)
    seconds = time.perf_counter() - started
    row = con.execute("SELECT count(*) FROM results").fetchone()
    # for comparing two runs' cells (COPY is refused: compute locks file access)
    con.execute("SELECT * FROM results ORDER BY ALL").df().to_parquet(work / "results.parquet")
    con.close()
    slowest = sorted(reports, key=lambda r: -r.seconds)[:4]
    return {
        "seconds": seconds,
        "cells": row[0] if row else 0,
        "failed": [r.indicator for r in reports if not r.ok],
        "slowest": [(r.indicator, r.seconds) for r in slowest],
    }


def phase_engine(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    """The engine's generated SQL for one indicator, and its whole compute."""
    from metrics.catalogue.loader import load_catalogue
    from metrics.compute import engine
    from metrics.compute.sandbox import run_indicator_query
    from metrics.compute.sqlgen import indicator_sql
    from metrics.db import connect

    con = connect(work / "csv.duckdb")
    catalogue = load_catalogue(ROOT / "indicators.yaml").catalogue
    engine.write_areas(con, catalogue)
    indicator = catalogue.indicator(args.indicator)
    sql = indicator_sql(indicator)
    raw: list[Any] = []
    # the engine's way of running it (a per-person measure one year at a time, where it does so)
    rows = getattr(engine, "indicator_rows", lambda c, i: run_indicator_query(c, i, sql))
    query_s = best_of(args.repeat, lambda: raw.append(rows(con, indicator)))
    whole_s = best_of(args.repeat, lambda: engine.compute_indicator(con, indicator, catalogue))
    frame = raw[-1]
    frame = frame[~frame["missing"].astype(bool)]
    frame[
        ["area_code", "period_type", "period_start", "sex", "age_band", "numerator", "denominator"]
    ].to_parquet(work / f"engine_{args.indicator}.parquet")
    con.close()
    return {"seconds": query_s, "whole_seconds": whole_s, "rows": len(frame)}


def phase_hand(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    import duckdb
    import pandas as pd

    hand_sql = dict((i, sql) for _kind, i, sql in KINDS)[args.indicator]
    from metrics.resources import apply_resources

    con = duckdb.connect(str(work / "csv.duckdb"), read_only=True)
    # the engine's memory limit and threads (also their defaults, half the machine), not DuckDB's 80 %
    apply_resources(con, None)
    out: list[Any] = []
    seconds = best_of(args.repeat, lambda: out.append(con.execute(hand_sql).df()))
    con.close()
    hand = out[-1]
    hand.columns = ["area_code", "period_type", "period_start", "sex", "age_band", "numerator", "denominator"]
    ours = pd.read_parquet(work / f"engine_{args.indicator}.parquet")
    keys = ["area_code", "period_type", "period_start", "sex", "age_band"]
    for frame in (hand, ours):
        frame["period_start"] = pd.to_datetime(frame["period_start"])
        frame[["sex", "age_band"]] = frame[["sex", "age_band"]].fillna("")
    both = ours.merge(hand, on=keys, how="outer", suffixes=("", "_hand"))
    same = (
        ((both["numerator"] - both["numerator_hand"]).abs() < 1e-6 * (1 + both["numerator"].abs()))
        & (both["denominator"] == both["denominator_hand"])
    ).sum()
    return {"seconds": seconds, "rows": len(hand), "equal": int(same), "of": len(both)}


PHASES = {
    "generate": phase_generate,
    "import_csv": phase_import_csv,
    "to_parquet": phase_to_parquet,
    "import_parquet": phase_import_parquet,
    "compute": phase_compute,
    "engine": phase_engine,
    "hand": phase_hand,
}

# ----------------------------------------------------------------------------- parent


def run_child(argv: list[str], max_rss_gb: float) -> dict[str, Any]:
    """Run one phase in a child; its result, wall time and peak RSS (GB), or why it failed."""
    import psutil

    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, __file__, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    watched = psutil.Process(proc.pid)
    peak, killed = 0.0, False
    while proc.poll() is None:
        try:
            rss = sum(p.memory_info().rss for p in [watched, *watched.children(recursive=True)])
        except psutil.Error:
            rss = 0
        peak = max(peak, rss / 2**30)
        if peak > max_rss_gb:
            proc.kill()
            killed = True
            break
        time.sleep(0.1)
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - started
    result: dict[str, Any] = {"wall": wall, "rss_gb": peak}
    lines = [line for line in stdout.splitlines() if line.startswith("RESULT ")]
    if lines:
        result.update(json.loads(lines[-1][len("RESULT ") :]))
        result["rss_gb"] = max(peak, result.pop("self_rss_mb") / 1024)
    if killed:
        result["error"] = f"killed above {max_rss_gb:g} GB"
    elif proc.returncode != 0:
        result["error"] = (stderr.strip().splitlines() or ["?"])[-1][:160]
    return result


def fmt_gb(result: dict[str, Any]) -> str:
    return f"{result['rss_gb']:6.2f} GB"


def bench_scale(scale: float, args: argparse.Namespace) -> None:
    work = args.workdir / f"x{scale:g}"
    common = ["--scale", str(scale), "--lan", args.lan, "--years", args.years, "--workdir", str(work)]
    common += ["--repeat", str(args.repeat)]
    env_note = ", ".join(
        f"{k}={os.environ[k]}" for k in ("MATAVLA_MEMORY_LIMIT", "MATAVLA_THREADS") if os.environ.get(k)
    )
    print(f"\n## ×{scale:g}  (län {args.lan}, {args.years}{', ' + env_note if env_note else ''})", flush=True)
    if args.steps != "all":  # reuse the databases of an earlier run
        return bench_steps(work, common, args)
    if not args.keep or not (work / "files").exists():
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        r = run_child(["--phase", "generate", *common], args.max_rss_gb)
        print(f"generate demo          {r.get('seconds', r['wall']):8.1f} s  {fmt_gb(r)}  "
              f"{r.get('mb', 0):,.0f} MB of files  {r.get('error', '')}", flush=True)  # fmt: skip
        if "error" in r:
            return
    r = run_child(["--phase", "import_csv", *common], args.max_rss_gb)
    rows = r.get("rows", 0)
    rate = rows / r["seconds"] if r.get("seconds") else 0
    print(f"import contacts CSV    {r.get('seconds', r['wall']):8.1f} s  {fmt_gb(r)}  {rows:,} rows  "
          f"{rate:,.0f} rows/s  (other extracts {r.get('others_seconds', 0):.1f} s) {r.get('error', '')}"
          f"{r.get('failed') or ''}", flush=True)  # fmt: skip
    for name, file_rows, seconds in r.get("files", []):
        rate = file_rows / max(seconds, 1e-9)
        print(f"    {name:30s} {file_rows:>12,} rows {seconds:7.1f} s {rate:>10,.0f} rows/s")
    if "error" in r:
        return
    run_child(["--phase", "to_parquet", *common], args.max_rss_gb)
    r = run_child(["--phase", "import_parquet", *common], args.max_rss_gb)
    rows = r.get("rows", 0)
    rate = rows / r["seconds"] if r.get("seconds") else 0
    print(f"import contacts Parquet{r.get('seconds', r['wall']):8.1f} s  {fmt_gb(r)}  {rows:,} rows  "
          f"{rate:,.0f} rows/s  {r.get('error', '')}{r.get('failed') or ''}", flush=True)  # fmt: skip
    bench_steps(work, common, args)


def bench_steps(work: Path, common: list[str], args: argparse.Namespace) -> None:
    """Compute and the indicators of each kind, on the database an import step wrote."""
    if args.steps in ("all", "compute"):
        bench_compute(common, args)
    if args.steps in ("all", "kinds"):
        bench_kinds(common, args)


def bench_compute(common: list[str], args: argparse.Namespace) -> None:
    r = run_child(["--phase", "compute", *common], args.max_rss_gb)
    failed = r.get("failed") or ""
    print(f"compute all            {r.get('seconds', r['wall']):8.1f} s  {fmt_gb(r)}  "
          f"{r.get('cells', 0):,} cells  {r.get('error', '')}{failed}", flush=True)  # fmt: skip
    for name, seconds in r.get("slowest", []):
        print(f"    {name:30s} {seconds:6.1f} s")


def bench_kinds(common: list[str], args: argparse.Namespace) -> None:
    print(f"{'kind':20s} {'indicator':24s} {'engine SQL':>10s} {'whole':>8s} {'RSS':>9s} "
          f"{'hand':>8s} {'RSS':>9s} {'ratio':>6s}  cells equal")  # fmt: skip
    for kind, indicator, _sql in KINDS:
        if args.kinds and indicator not in args.kinds.split(","):
            continue
        ours = run_child(["--phase", "engine", "--indicator", indicator, *common], args.max_rss_gb)
        hand = run_child(["--phase", "hand", "--indicator", indicator, *common], args.max_rss_gb)
        if "error" in ours or "error" in hand:
            print(f"{kind:20s} {indicator:24s} {ours.get('error', '')} {hand.get('error', '')}")
            continue
        print(f"{kind:20s} {indicator:24s} {ours['seconds']:8.2f} s {ours['whole_seconds']:6.2f} s "
              f"{fmt_gb(ours)} {hand['seconds']:6.2f} s {fmt_gb(hand)} "
              f"{ours['seconds'] / hand['seconds']:5.2f}x"
              f"  {hand['equal']:,}/{hand['of']:,}", flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scales", default="1,5", help="comma separated, e.g. 1,5 (20: see above)")
    parser.add_argument("--lan", default="05")
    parser.add_argument("--years", default="2022-2024")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/matavla-national"))
    parser.add_argument("--max-rss-gb", type=float, default=6.0, help="kill a step above this RSS")
    parser.add_argument("--repeat", type=int, default=2, help="best of N for the per-indicator timings")
    parser.add_argument("--keep", action="store_true", help="reuse generated files from an earlier run")
    parser.add_argument(
        "--steps",
        choices=("all", "compute", "kinds"),
        default="all",
        help="only compute, or only the indicators of each kind, on the databases of an earlier run",
    )
    parser.add_argument("--kinds", default="", help="only these indicators (comma separated)")
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--scale", type=float, default=1.0, help=argparse.SUPPRESS)
    parser.add_argument("--indicator", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        result = PHASES[args.phase](args.workdir, args)
        result["self_rss_mb"] = _peak_rss_mb()
        print("RESULT " + json.dumps(result, default=str), flush=True)
        return
    print(
        f"{os.cpu_count()} cores; peak RSS of each step's own process; "
        f"steps killed above {args.max_rss_gb:g} GB"
    )
    for scale in (float(s) for s in args.scales.split(",")):
        bench_scale(scale, args)


if __name__ == "__main__":
    main()
