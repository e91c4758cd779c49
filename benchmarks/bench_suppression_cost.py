"""The cost of disclosure control: the share of published cells hidden, per period type and area level.

Usage: python benchmarks/bench_suppression_cost.py DB [DB ...]
Prints, for each database, hidden / all cells (kommun, län, area groups) per period type, so two
computes of the same data (e.g. before and after a change to the equations) can be compared.
"""

from __future__ import annotations

import sys

import duckdb

QUERY = """
SELECT period_type,
       CASE WHEN area_level IN ('kommun', 'lan') THEN area_level ELSE 'område' END AS level,
       count(*) AS cells,
       count(*) FILTER (WHERE suppressed) AS hidden
FROM results
WHERE NOT coalesce(missing, false)
GROUP BY ALL
ORDER BY period_type DESC, level
"""


def main(paths: list[str]) -> None:
    for path in paths:
        with duckdb.connect(path, read_only=True) as con:
            rows = con.execute(QUERY).fetchall()
            total, hidden = con.execute(
                "SELECT count(*), count(*) FILTER (WHERE suppressed) FROM results "
                "WHERE NOT coalesce(missing, false)"
            ).fetchone() or (0, 0)
        print(f"{path}: {hidden} of {total} cells hidden ({100 * hidden / max(total, 1):.1f} %)")
        for period_type, level, cells, n in rows:
            print(f"  {period_type:8} {level:7} {n:6} / {cells:6}  {100 * n / cells:5.1f} %")


if __name__ == "__main__":
    main(sys.argv[1:])
