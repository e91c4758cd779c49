"""Two computes of the same data give byte-identical exports (issue 6, part 3).

DuckDB adds up a column in parallel, and floating-point addition depends on the order:
before sums were exact, `kontinuitet_lakare` for one län came out as 10999.999999996631
with one thread and 11000.00000000077 with four. An analyst who diffs this month's export
against last month's must see only real changes.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from metrics.compute.engine import compute_all
from metrics.export import export_results
from tests.indicator_cases import core_catalogue, empty_db


def _many_persons_with_fractional_continuity(con: duckdb.DuckDBPyConnection) -> None:
    """About 120 000 persons with 2–5 doctor contacts among three doctors (COC such as 1/3, 1/6)."""
    con.execute(
        """
        INSERT INTO contacts (contact_id, person_id, kommun, sex, age, contact_date, care_unit, provider,
                              profession, staff_id, mode, planned)
        SELECT 'c' || i, 'p' || (i // 5), '0580', 'K', 50, DATE '2023-01-01' + CAST(i % 300 AS INTEGER),
               'VC', 'region', 'lakare', 's' || ((i * 7919) % 3), 'mottagning', false
        FROM range(0, 600000) AS t(i)
        WHERE i % 5 < 2 + (i // 5) % 4
        """
    )


def test_computing_twice_with_different_thread_counts_gives_identical_exports(tmp_path: Path):
    catalogue = core_catalogue()
    exports = []
    for threads in (1, 4, 2):
        # A database of its own per thread count: compute locks the configuration (the sandbox).
        con = empty_db(catalogue)
        con.execute(f"SET threads = {threads}")
        _many_persons_with_fractional_continuity(con)
        compute_all(con, catalogue, only=["kontinuitet_lakare", "digitala_kontakter"])
        out = tmp_path / f"results_{threads}.csv"
        export_results(con, out)
        exports.append(out.read_bytes())
    assert exports[0] == exports[1] == exports[2]
    # By hand: person q has contact j (0 ≤ j < 2 + q % 4) with doctor (2·(5q + j)) mod 3 = (q + 2j) mod 3,
    # i.e. doctors q, q+2, q+1, q, q+2 (mod 3) in turn. 2 or 3 contacts: all different, COC 0.
    # 4 contacts (2, 1, 1): (6 − 4) / (4 · 3) = 1/6. 5 contacts (2, 2, 1): (9 − 5) / (5 · 4) = 1/5.
    # 30 000 persons of each kind: Σ COC = 30 000/6 + 30 000/5 = 11 000 over 120 000 persons.
    numerator, denominator = con.execute(
        "SELECT numerator, denominator FROM results WHERE indicator = 'kontinuitet_lakare' "
        "AND area_code = '05' AND period = '2023' AND breakdown = 'total'"
    ).fetchone()  # type: ignore[misc]
    assert denominator == 120_000
    assert abs(numerator - 11_000) < 1e-9
