"""Benchmark the engine on the Östergötland demo at real size.

    python benchmarks/bench_engine.py [--workdir /tmp/matavla-bench] [--lan 05]

Measures: demo generation, CSV import speed (rows/s) of the contacts files,
compute of every indicator at every grain, peak memory, and two indicators
against one hand-written DuckDB query each. Prints a table; nothing is asserted.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import time
from pathlib import Path

from metrics.catalogue.loader import load_catalogue
from metrics.compute.engine import compute_all, compute_indicator, write_areas
from metrics.db import connect
from metrics.demo.generate import generate_demo
from metrics.extracts.importer import import_paths

ROOT = Path(__file__).resolve().parents[1]

# The same result as the engine's digitala_kontakter (numerator and denominator per area × period ×
# breakdown), written by hand.
HAND_DIGITAL = """
WITH c AS (
    SELECT kommun, sex,
           CASE WHEN age < 20 THEN '0-19' WHEN age < 65 THEN '20-64' WHEN age < 75 THEN '65-74'
                WHEN age < 85 THEN '75-84' ELSE '85+' END AS age_band,
           date_trunc('month', contact_date) AS m,
           count(*) FILTER (WHERE mode IN ('video', 'chatt')) AS num, count(*) AS den
    FROM contacts GROUP BY ALL
), p AS (
    SELECT c.*, g.period_type,
           CASE g.period_type WHEN 'year' THEN date_trunc('year', m)
                WHEN 'quarter' THEN date_trunc('quarter', m)
                ELSE m END AS period_start
    FROM c, (VALUES ('year'), ('quarter'), ('month')) g(period_type)
)
SELECT a.area_code, p.period_type, p.period_start, p.sex, p.age_band, sum(num), sum(den)
FROM p JOIN areas a USING (kommun)
GROUP BY GROUPING SETS ((a.area_code, p.period_type, p.period_start),
                        (a.area_code, p.period_type, p.period_start, p.sex),
                        (a.area_code, p.period_type, p.period_start, p.age_band))
"""

# The same result as the engine's kontinuitet_lakare, written by hand.
HAND_COC = """
WITH v AS (
    SELECT kommun, person_id, staff_id, g.period_type,
           CASE g.period_type WHEN 'year' THEN date_trunc('year', contact_date)
                WHEN 'quarter' THEN date_trunc('quarter', contact_date)
                ELSE date_trunc('month', contact_date) END AS period_start,
           count(*) AS n_i, arg_max(sex, contact_date) AS sex, arg_max(age, contact_date) AS age
    FROM contacts, (VALUES ('year'), ('quarter'), ('month')) g(period_type)
    WHERE profession = 'lakare' AND staff_id <> ''
    GROUP BY ALL
), p AS (
    SELECT kommun, person_id, period_type, period_start, arg_max(sex, n_i) AS sex, max(age) AS age,
           sum(n_i) AS n, sum(n_i * n_i) AS s2
    FROM v GROUP BY ALL HAVING sum(n_i) >= 2
), c AS (
    SELECT kommun, period_type, period_start, sex,
           CASE WHEN age < 20 THEN '0-19' WHEN age < 65 THEN '20-64' WHEN age < 75 THEN '65-74'
                WHEN age < 85 THEN '75-84' ELSE '85+' END AS age_band,
           sum((s2 - n) / (n * (n - 1))) AS num, count(*) AS den
    FROM p GROUP BY ALL
)
SELECT a.area_code, c.period_type, c.period_start, c.sex, c.age_band, sum(num), sum(den)
FROM c JOIN areas a USING (kommun)
GROUP BY GROUPING SETS ((a.area_code, c.period_type, c.period_start),
                        (a.area_code, c.period_type, c.period_start, c.sex),
                        (a.area_code, c.period_type, c.period_start, c.age_band))
"""


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def best_of(runs: int, func) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/matavla-bench"))
    parser.add_argument("--lan", default="05", help="län code(s), comma separated (default Östergötland)")
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()

    shutil.rmtree(args.workdir, ignore_errors=True)
    files_dir, db_path = args.workdir / "files", args.workdir / "bench.duckdb"
    lan = tuple(args.lan.split(","))

    started = time.perf_counter()
    paths = generate_demo(files_dir, lan=lan, scale=args.scale)
    generate_s = time.perf_counter() - started

    con = connect(db_path)
    contacts = sorted(p for p in paths if p.name.startswith("contacts"))
    started = time.perf_counter()
    reports = import_paths(con, contacts)
    contacts_s = time.perf_counter() - started
    contact_rows = sum(r.rows_read for r in reports)
    others = [p for p in paths if p not in contacts]
    started = time.perf_counter()
    import_paths(con, others)
    others_s = time.perf_counter() - started

    catalogue = load_catalogue(ROOT / "indicators.yaml", strict=True).catalogue
    started = time.perf_counter()
    runs = compute_all(con, catalogue)
    compute_s = time.perf_counter() - started
    cells = con.execute("SELECT count(*) FROM results").fetchone()

    write_areas(con, catalogue)
    comparisons = []
    for indicator_id, hand_sql in (("digitala_kontakter", HAND_DIGITAL), ("kontinuitet_lakare", HAND_COC)):
        indicator = catalogue.indicator(indicator_id)
        ours = best_of(3, lambda indicator=indicator: compute_indicator(con, indicator, catalogue))
        hand = best_of(3, lambda hand_sql=hand_sql: con.execute(hand_sql).fetchall())
        comparisons.append((indicator_id, ours, hand))

    persons = con.execute("SELECT count(DISTINCT person_id) FROM listing").fetchone()
    per_year = con.execute(
        "SELECT year(contact_date) y, count(*) FROM contacts GROUP BY y ORDER BY y"
    ).fetchall()
    con.close()

    print(f"Län {args.lan}, scale {args.scale}: {persons[0] if persons else 0:,} listed persons")
    print("contacts per year: " + ", ".join(f"{y}: {n:,}" for y, n in per_year))
    print(f"generate demo files           {generate_s:7.1f} s")
    print(
        f"import contacts CSV           {contacts_s:7.1f} s  {contact_rows:,} rows  "
        f"{contact_rows / contacts_s:,.0f} rows/s"
    )
    print(f"import the other extracts     {others_s:7.1f} s")
    print(f"compute all {len(runs)} indicators     {compute_s:7.1f} s  {cells[0] if cells else 0:,} cells")
    for run in sorted(runs, key=lambda r: -r.seconds)[:6]:
        print(f"    {run.indicator:32s} {run.seconds:6.2f} s")
    for indicator_id, ours, hand in comparisons:
        print(
            f"{indicator_id:30s} engine {ours:6.2f} s  hand-written {hand:6.2f} s  ratio {ours / hand:4.2f}x"
        )
    print(f"peak memory (RSS)             {peak_memory_mb():7.0f} MB")


if __name__ == "__main__":
    main()
