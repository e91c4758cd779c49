"""`snapshot: last` on listing, summed per snapshot date before the dates join their periods.

At national size (`benchmarks/bench_national.py`) the rows of the persons listed in one kommun
only are summed per kommun × snapshot date × sex × age band first (`settled`), and only the
movers go through the person-level step. These cases are worked out by hand: a snapshot that is
the last of its month, quarter and year counts in all three, an earlier snapshot only in its
month, each kommun's own last date counts, and a mover counts once, under their latest row.
"""

from __future__ import annotations

from datetime import date

from metrics.compute.sqlgen import indicator_sql
from tests.indicator_cases import cell, compute, core_catalogue, empty_db, insert


def _listed(day: date, person: str, kommun: str, named: bool, sex: str = "K", age: int = 40) -> tuple:
    return (day, person, kommun, sex, age, "vc", named)


def test_each_kommuns_last_snapshot_of_month_quarter_and_year_counts_with_a_mover_once() -> None:
    catalogue = core_catalogue()
    con = empty_db(catalogue)
    insert(
        con,
        "listing",
        [
            # Karlskrona (1080) delivers on the 15th of November and December
            _listed(date(2023, 11, 15), "A", "1080", True),
            _listed(date(2023, 11, 15), "B", "1080", True),
            _listed(date(2023, 12, 15), "A", "1080", False),  # A lost their named doctor
            _listed(date(2023, 12, 15), "B", "1080", True),
            _listed(date(2023, 12, 15), "C", "1080", True, sex="M", age=80),
            # Karlshamn (1082) delivers on the 30th of November only
            _listed(date(2023, 11, 30), "E", "1082", True),
            _listed(date(2023, 11, 30), "F", "1082", False, sex="M"),
            # M moves from Karlshamn (Nov 30) to Karlskrona (Dec 15): in the year and Q4 only once,
            # under the later row (Karlskrona, named); in November only in Karlshamn
            _listed(date(2023, 11, 30), "M", "1082", False),
            _listed(date(2023, 12, 15), "M", "1080", True),
        ],
    )
    res = compute(con, catalogue, "fast_lakarkontakt")

    def pair(area: str, period: str, **by: str) -> list[float]:
        return cell(res, area, period, **by)[["numerator", "denominator"]].tolist()

    # Karlskrona, November (its Nov 15 snapshot): A, B named -> 2 / 2
    assert pair("1080", "2023-11") == [2, 2]
    # Karlskrona, December, Q4 and 2023 (its Dec 15 snapshot): B, C, M named, A not -> 3 / 4
    for period in ("2023-12", "2023-Q4", "2023"):
        assert pair("1080", period) == [3, 4]
    # Karlshamn, November: E named, F and M not -> 1 / 3
    assert pair("1082", "2023-11") == [1, 3]
    # Karlshamn, Q4 and 2023 (its own last snapshot is Nov 30): E named, F not; M counts in
    # Karlskrona, where their row is later -> 1 / 2
    for period in ("2023-Q4", "2023"):
        assert pair("1082", period) == [1, 2]
    # the län in 2023: A, B, C, M (Karlskrona) and E, F (Karlshamn), six persons, four named
    assert pair("10", "2023") == [4, 6]
    # by sex in the län: women A, B, E, M (three named: B, E, M); men C, F (one named: C)
    assert pair("10", "2023", sex="K") == [3, 4]
    assert pair("10", "2023", sex="M") == [1, 2]
    # by age band in Karlskrona's December: C (80) is 75-84 -> 1 / 1; the others 20-64 -> 2 / 3
    assert pair("1080", "2023-12", age_band="75-84") == [1, 1]
    assert pair("1080", "2023-12", age_band="20-64") == [2, 3]


def test_only_the_movers_rows_are_copied_per_period() -> None:
    """The settled persons' rows are summed per date before the periods (the national-size cost)."""
    sql = indicator_sql(core_catalogue().indicator("fast_lakarkontakt"))
    # settled: every row summed per date first (without reading person_id), less the movers' sums
    assert "    FROM base\n    GROUP BY ALL\n    UNION ALL" in sql
    assert "    FROM base SEMI JOIN movers USING (person_id)\n    GROUP BY ALL" in sql
    assert "FROM (SELECT * FROM base SEMI JOIN movers USING (person_id)) AS m" in sql  # only movers per row


def test_a_group_of_only_movers_rows_leaves_no_empty_cell_behind() -> None:
    """All rows less the movers' rows: a group that only movers filled is dropped, not kept as 0 of 0."""
    catalogue = core_catalogue()
    con = empty_db(catalogue)
    insert(
        con,
        "listing",
        [
            _listed(date(2023, 12, 15), "A", "1080", True),
            _listed(date(2023, 11, 30), "E", "1082", True),
            # the only man of 90 in Karlshamn's Nov 30 snapshot moves to Karlskrona (Dec 15)
            _listed(date(2023, 11, 30), "M", "1082", False, sex="M", age=90),
            _listed(date(2023, 12, 15), "M", "1080", True, sex="M", age=90),
        ],
    )
    res = compute(con, catalogue, "fast_lakarkontakt")

    def cells(area: str, period: str, **by: str) -> list[list[float]]:
        rows = res[(res["area_code"] == area) & (res["period"] == period)]
        for column, value in by.items():
            rows = rows[rows[column] == value]
        return rows[["numerator", "denominator"]].values.tolist()

    # M counts in Karlskrona for Q4 (the later row) and in Karlshamn for November only
    assert cells("1080", "2023-Q4", age_band="85+") == [[1, 1]]
    assert cells("1082", "2023-11", age_band="85+") == [[0, 1]]
    # Karlshamn's Q4 has no man and nobody of 85+: no such cells, not cells of 0 of 0
    assert cells("1082", "2023-Q4", age_band="85+") == []
    assert cells("1082", "2023-Q4", sex="M") == []
    assert cells("1082", "2023-Q4", breakdown="total") == [[1, 1]]
