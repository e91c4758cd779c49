"""`snapshot: last`, attacked (review 15): a kommun's last delivery counts whatever an `age:` or
`where:` filter leaves in it (also for `row_sql`), a timestamped snapshot is its instant, and a mover
counts with all their rows in the kommun of their latest row, alike in DuckDB and Spark and in a
year's query and the whole query.

Every expected number is worked out by hand in the test's docstring.
"""

from __future__ import annotations

import importlib.util
import shutil
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from metrics.compute.sqlgen import indicator_sql, not_year_local
from metrics.compute.standardise import standardised_sql
from metrics.extracts.coverage import write_covered_months
from metrics.extracts.declared_tables import ensure_declared_table
from tests.indicator_cases import empty_db, insert
from tests.test_review14_snapshots import (
    LISTED,
    ROSTER,
    UNITS,
    Y23,
    _catalogue,
    _covers,
    _listing_rows,
    _population,
    crude,
    listing_db,
    population_rows,
)

Q4 = pd.Timestamp("2023-10-01")
DEC = pd.Timestamp("2023-12-01")
NOV = pd.Timestamp("2023-11-01")


def rows_of(con, ind, year=None) -> pd.DataFrame:
    df = con.execute(indicator_sql(ind, year)).df()
    return df.sort_values(list(df.columns[:7])).reset_index(drop=True)


def cell(df: pd.DataFrame, area: str, period_type: str, start, breakdown="total", sex=None):
    sel = df[
        (df.area_code == area)
        & (df.period_type == period_type)
        & (pd.to_datetime(df.period_start) == pd.Timestamp(start))
        & (df.breakdown == breakdown)
    ]
    if sex is not None:
        sel = sel[sel.sex == sex]
    return sel


def num(df, area, period_type, start, breakdown="total", sex=None) -> float | None:
    sel = cell(df, area, period_type, start, breakdown, sex)
    if sel.empty:
        return None
    assert len(sel) == 1, sel
    return float(sel.iloc[0].numerator)


def assert_every_period_type_year_local(con, ind, years=(2023, 2024)) -> None:
    """indicator_sql(ind, year) gives exactly the whole query's rows of that year, for year,
    quarter and month rows, every breakdown, `missing`, `complete` and `data_through` too."""
    assert not_year_local(ind) is None
    whole = rows_of(con, ind)
    for year in years:
        of_year = whole[pd.to_datetime(whole.period_start).dt.year == year].reset_index(drop=True)
        pd.testing.assert_frame_equal(rows_of(con, ind, year), of_year, check_dtype=False)


# ---------------------------------------------------------------------------------------------------
# 1. Catalogues
# ---------------------------------------------------------------------------------------------------

# listing with a count denominator: every period type (not only years)
LISTED_ALL_PERIODS = """\
indicators:
  - id: andel_namngiven
    title: Andel listade med namngiven läkare
    description: Andel listade med namngiven läkare vid periodens sista listning.
    plan_areas: [kontinuitet]
    source: listing
    snapshot: last
    numerator: {count: rows, where: named_gp}
    denominator: {count: rows}
    unit: procent
    multiplier: 100
    direction: higher
"""

PERSONS_MEASURES = """\
indicators:
  - id: personer_namngiven
    title: Personer med namngiven läkare
    description: Personer listade med namngiven läkare vid periodens sista listning.
    plan_areas: [kontinuitet]
    source: unit_listing
    snapshot: last
    numerator: {count: persons, where: "unit = 'vc1'"}
    denominator: persons
    unit: procent
    multiplier: 100
    direction: higher
  - id: personer_senaste
    title: Personer vid vc1 på senaste raden
    description: Personer vars senaste rad är vc1.
    plan_areas: [kontinuitet]
    source: unit_listing
    snapshot: last
    numerator: {count: persons, where: "unit = 'vc1'", latest: true}
    denominator: persons
    unit: procent
    multiplier: 100
    direction: higher
  - id: personer_flera
    title: Personer listade vid två enheter
    description: Personer med minst två listningar i periodens sista listning.
    plan_areas: [kontinuitet]
    source: unit_listing
    snapshot: last
    numerator: {count: persons, having: "count(*) >= 2"}
    denominator: persons
    unit: procent
    multiplier: 100
    direction: higher
"""


def _units_db(catalogue, rows, first=date(2023, 1, 1), last=date(2024, 12, 1)):
    con = empty_db(catalogue)
    ext = next(e for e in catalogue.extracts if e.name == "unit_listing")
    ensure_declared_table(con, ext)
    con.executemany(
        "INSERT INTO unit_listing (snapshot_date, person_id, unit, kommun, sex, age) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )
    _covers(con, "unit_listing", ["0580", "0581"], first, last)
    _population(con)
    write_covered_months(con)
    return con


def _units_catalogue(tmp_path: Path, indicators: str):
    extract = UNITS.split("indicators:\n")[0]
    return _catalogue(tmp_path, extract + indicators)


# ---------------------------------------------------------------------------------------------------
# 2. Change 1 (last delivery despite the filter) on quarters and months; `missing` and `covered`
# ---------------------------------------------------------------------------------------------------


def test_a_filter_emptying_the_december_snapshot_months_quarters_year(tmp_path: Path) -> None:
    """Linköping (0580) lists 28 Oct, 28 Nov, 28 Dec 2023; Norrköping (0581) 15 Dec 2023.
    O (K 95, named) is in Linköping 28 Oct and 28 Nov only; Y (K 40, named) in all three; V (K 91,
    not named) in Norrköping 15 Dec. Indicator: 90+, named / listed (count denominator).

    By hand, Linköping: Oct 1/1 (O), Nov 1/1 (O); Dec, Q4 and 2023: the last snapshot is 28 Dec,
    nobody 90+ in it: 0/0, so no row (docs: a count denominator gives no row), and never
    `missing` (28 Dec was delivered). Norrköping Dec, Q4, 2023: 0/1. Östergötland Q4 and 2023:
    0/1 (Linköping adds 0/0); Nov: 1/1; Oct 1/1."""
    text = LISTED_ALL_PERIODS.replace("    snapshot: last\n", "    snapshot: last\n    age: {min: 90}\n")
    catalogue = _catalogue(tmp_path, text)
    ind = catalogue.indicator("andel_namngiven")
    con = listing_db(
        catalogue,
        [
            (date(2023, 10, 28), "O", "0580", "K", 95, "vc1", True),
            (date(2023, 11, 28), "O", "0580", "K", 95, "vc1", True),
            (date(2023, 10, 28), "Y", "0580", "K", 40, "vc1", True),
            (date(2023, 11, 28), "Y", "0580", "K", 40, "vc1", True),
            (date(2023, 12, 28), "Y", "0580", "K", 40, "vc1", True),
            (date(2023, 12, 15), "V", "0581", "K", 91, "vc2", False),
        ],
    )
    df = rows_of(con, ind)
    assert not df[(df.area_code == "0580") & df.missing].shape[0]
    assert num(df, "0580", "month", "2023-10-01") == 1 and num(df, "0580", "month", NOV) == 1
    for pt, start in (("month", DEC), ("quarter", Q4), ("year", Y23)):
        assert num(df, "0580", pt, start) is None, (pt, start)
        assert num(df, "0581", pt, start) == 0
        assert num(df, "05", pt, start) == 0
        assert float(cell(df, "05", pt, start).iloc[0].denominator) == 1
    assert num(df, "05", "month", NOV) == 1
    assert_every_period_type_year_local(con, ind, years=(2023,))


# ---------------------------------------------------------------------------------------------------
# 3. A mover whose latest row the filter leaves out (same reasoning as change 1)
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "p_latest"),
    [
        ("    age: {max: 89}\n", ("0580", "M", 90, "vc1")),  # 90 at the latest listing
        ("    where: care_unit <> 'x'\n", ("0580", "M", 89, "x")),  # at unit x at the latest listing
    ],
    ids=["age", "where"],
)
def test_a_mover_whose_latest_row_is_filtered_out_does_not_count_in_the_earlier_kommun(
    tmp_path: Path, extra: str, p_latest: tuple
) -> None:
    """Linköping (0580) lists 28 Dec 2023, Norrköping (0581) 15 Dec 2023. P (M, named) is in
    Norrköping's 15 Dec snapshot (89, unit vc2) and Linköping's 28 Dec snapshot (90, or 89 at unit
    'x'). Y (K 40, named) in Linköping 28 Dec, Z (M 50, named) in Norrköping 15 Dec.

    Docs (`snapshot: last`): "A person in two kommuners' last snapshots counts once, with their rows
    in the kommun of their latest row" and the last delivery counts "also when the filter leaves
    nobody in it". P is in both last snapshots, their latest row is Linköping's 28 Dec one, which
    the filter (age ≤ 89 / care_unit <> 'x') leaves out: P counts nowhere (at the end of 2023 P is
    listed in Linköping, 90 / at x). By hand 2023: Linköping 1 (Y), Norrköping 1 (Z), län 2."""
    text = LISTED.replace("    snapshot: last\n", "    snapshot: last\n" + extra)
    catalogue = _catalogue(tmp_path, text)
    ind = catalogue.indicator("listade")
    k, s, a, u = p_latest
    con = listing_db(
        catalogue,
        [
            (date(2023, 12, 15), "P", "0581", "M", 89, "vc2", True),
            (date(2023, 12, 28), "P", k, s, a, u, True),
            (date(2023, 12, 28), "Y", "0580", "K", 40, "vc1", True),
            (date(2023, 12, 15), "Z", "0581", "M", 50, "vc2", True),
        ],
        population_rows(years=(2023,)),
    )
    c = crude(con, ind)
    got = (c[("0580", Y23, "total", None)], c[("0581", Y23, "total", None)], c[("05", Y23, "total", None)])
    assert got == (1, 1, 2)


# ---------------------------------------------------------------------------------------------------
# 4. row_sql with snapshot: last and an age filter (docs: "also when the age:/where: filter leaves
#    nobody in it")
# ---------------------------------------------------------------------------------------------------

ROW_SQL = """\
indicators:
  - id: listade_rowsql
    title: Listade 90+ (row_sql)
    description: Listade med namngiven läkare vid årets sista listning, 90 år och äldre.
    plan_areas: [kontinuitet]
    source: listing
    snapshot: last
    age: {min: 90}
    periods: [year]
    row_sql: |
      SELECT kommun, sex, age, snapshot_date AS date,
             CASE WHEN named_gp THEN 1 ELSE 0 END AS numerator
      FROM listing
    denominator: population
    multiplier: 1000
    unit: per 1 000
    direction: higher
"""


def test_row_sql_a_filter_emptying_the_december_snapshot_does_not_move_it_back(tmp_path: Path) -> None:
    """The review-14 case, through row_sql. Linköping lists 28 Nov and 28 Dec 2023. O (K 95, named)
    in 28 Nov only, Y (K 40, named) in both; `age: {min: 90}` (applied to the row_sql's rows).
    By hand: Linköping's last snapshot of 2023 is 28 Dec (its last delivery), nobody 90+ in it:
    numerator 0 (population denominator: a 0 cell), not missing."""
    catalogue = _catalogue(tmp_path, ROW_SQL)
    ind = catalogue.indicator("listade_rowsql")
    con = listing_db(
        catalogue,
        [
            (date(2023, 11, 28), "O", "0580", "K", 95, "vc1", True),
            (date(2023, 11, 28), "Y", "0580", "K", 40, "vc1", True),
            (date(2023, 12, 28), "Y", "0580", "K", 40, "vc1", True),
        ],
        [("0580", 2023, "K", 95, 10)],
    )
    df = rows_of(con, ind)
    assert num(df, "0580", "year", Y23) == 0


# ---------------------------------------------------------------------------------------------------
# 5. count: persons / latest: true / having: on a snapshot extract keyed by unit too (person path)
# ---------------------------------------------------------------------------------------------------


def _unit_rows() -> list[tuple]:
    """Linköping (0580) lists 31 Dec 2023, Norrköping (0581) 15 Dec 2023 (and 15 Jun: R only).
    - P: Norrköping 15 Dec vc1 (K 50); Linköping 31 Dec vc1 (K 54) and vc2 (K 55) → mover, latest
      Linköping: both Linköping rows count; latest row (highest age) is vc2, K 55.
    - Q: Linköping 31 Dec vc2 (K 60); Norrköping 15 Dec vc1 (K 60) → latest Linköping, vc2 only.
    - R: Norrköping 15 Dec vc1 and vc3 (M 70); also Norrköping 15 Jun vc1 → non-mover.
    - S: Linköping 31 Dec vc1 (K 30) → non-mover.
    """
    return [
        (date(2023, 12, 15), "P", "vc1", "0581", "K", 50),
        (date(2023, 12, 31), "P", "vc1", "0580", "K", 54),
        (date(2023, 12, 31), "P", "vc2", "0580", "K", 55),
        (date(2023, 12, 31), "Q", "vc2", "0580", "K", 60),
        (date(2023, 12, 15), "Q", "vc1", "0581", "K", 60),
        (date(2023, 12, 15), "R", "vc1", "0581", "M", 70),
        (date(2023, 12, 15), "R", "vc3", "0581", "M", 70),
        (date(2023, 6, 15), "R", "vc1", "0581", "M", 70),
        (date(2023, 12, 31), "S", "vc1", "0580", "K", 30),
    ]


@pytest.mark.parametrize(
    ("indicator_id", "linkoping", "norrkoping"),
    [
        # any row at vc1: P yes (vc1 in Linköping), Q no (Linköping's row vc2), S yes; R yes
        ("personer_namngiven", (2, 3), (1, 1)),
        # vc1 on the latest row: P's latest row is K 55 (vc2): no; Q no; S yes; R's rows alike
        # (date, kommun, sex, age) and one is vc1: yes
        ("personer_senaste", (1, 3), (1, 1)),
        # ≥ 2 rows at the period's last snapshot: P 2 (both Linköping rows), Q 1, S 1; R 2 (15 Dec)
        ("personer_flera", (1, 3), (1, 1)),
    ],
)
def test_person_measures_with_a_mover_at_two_units(
    tmp_path: Path, indicator_id, linkoping, norrkoping
) -> None:
    """`_unit_rows` by hand; year 2023, Q4 and December alike (each kommun's last snapshot of all
    three is its December one). Linköping (numerator, denominator) and Norrköping's as given; P is
    counted once, in Linköping, under K 55 (sex K); June's snapshot never counts for Q4 / year."""
    catalogue = _units_catalogue(tmp_path, PERSONS_MEASURES)
    ind = catalogue.indicator(indicator_id)
    con = _units_db(catalogue, _unit_rows(), last=date(2023, 12, 1))
    df = rows_of(con, ind)
    for pt, start in (("year", Y23), ("quarter", Q4), ("month", DEC)):
        for area, (n, d) in (("0580", linkoping), ("0581", norrkoping)):
            sel = cell(df, area, pt, start)
            assert (float(sel.iloc[0].numerator), float(sel.iloc[0].denominator)) == (n, d), (pt, area)
        sel = cell(df, "05", pt, start)
        assert float(sel.iloc[0].denominator) == 4
    # Norrköping Q2 / June: R alone (one row at vc1): persons 1
    assert float(cell(df, "0581", "quarter", "2023-04-01").iloc[0].denominator) == 1
    assert_every_period_type_year_local(con, ind, years=(2023,))


# ---------------------------------------------------------------------------------------------------
# 6. Timestamped instants: months, quarters; jittered timestamps within one delivery
# ---------------------------------------------------------------------------------------------------

ROSTER_ALL = ROSTER.replace(
    "    numerator: {count: rows, where: named_gp}\n    denominator: population\n    multiplier: 1000\n"
    "    unit: per 1 000\n",
    "    numerator: {count: rows, where: named_gp}\n    denominator: {count: rows}\n    multiplier: 100\n"
    "    unit: procent\n",
)


def _roster_db_all(catalogue, rows):
    con = empty_db(catalogue)
    ensure_declared_table(con, catalogue.extracts[0])
    con.executemany(
        "INSERT INTO roster (snapshot_at, person_id, kommun, sex, age, named_gp) VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )
    _covers(con, "roster", ["0580", "0581"], date(2023, 1, 1), date(2024, 12, 1))
    write_covered_months(con)
    return con


def test_timestamped_mover_by_instant_in_month_quarter_and_year(tmp_path: Path) -> None:
    """Norrköping (0581) delivers 30 Nov 2023 23:00 and 31 Dec 2023 08:00; Linköping (0580)
    30 Nov 2023 09:00 and 31 Dec 2023 12:00.
    X (K 40): Linköping 30 Nov 09:00 (named), Norrköping 30 Nov 23:00 (not named),
    Norrköping 31 Dec 08:00 (named), Linköping 31 Dec 12:00 (not named).
    B (M 50, named): both Norrköping instants. C (K 60, not named): both Linköping instants.
    By hand (named / listed):
    - November: X's latest instant is Norrköping 23:00 → Norrköping: X 0 + B 1 = 1/2;
      Linköping: C = 0/1.
    - December, Q4 and 2023: X's latest instant is Linköping 12:00 → Linköping X 0 + C 0 = 0/2;
      Norrköping: B = 1/1. Län: 1/3.
    (Kommun code order would put X in Linköping in November: 0580 < 0581 is the other way round, so
    November shows the instant rule.)"""
    catalogue = _catalogue(tmp_path, ROSTER_ALL)
    ind = catalogue.indicator("roster_per_inv")
    con = _roster_db_all(
        catalogue,
        [
            (datetime(2023, 11, 30, 9), "X", "0580", "K", 40, True),
            (datetime(2023, 11, 30, 23), "X", "0581", "K", 40, False),
            (datetime(2023, 12, 31, 8), "X", "0581", "K", 40, True),
            (datetime(2023, 12, 31, 12), "X", "0580", "K", 40, False),
            (datetime(2023, 11, 30, 23), "B", "0581", "M", 50, True),
            (datetime(2023, 12, 31, 8), "B", "0581", "M", 50, True),
            (datetime(2023, 11, 30, 9), "C", "0580", "K", 60, False),
            (datetime(2023, 12, 31, 12), "C", "0580", "K", 60, False),
        ],
    )
    df = rows_of(con, ind)

    def nd(area, pt, start):
        sel = cell(df, area, pt, start)
        return (float(sel.iloc[0].numerator), float(sel.iloc[0].denominator))

    assert nd("0581", "month", NOV) == (1, 2)
    assert nd("0580", "month", NOV) == (0, 1)
    for pt, start in (("month", DEC), ("quarter", Q4), ("year", Y23)):
        assert nd("0580", pt, start) == (0, 2), pt
        assert nd("0581", pt, start) == (1, 1), pt
        assert nd("05", pt, start) == (1, 3), pt
    assert_every_period_type_year_local(con, ind, years=(2023,))


def test_timestamped_one_delivery_written_over_several_seconds(tmp_path: Path) -> None:
    """DESIGN HAZARD (documented: "with a timestamp date each instant is a snapshot"): Linköping's
    31 Dec 2023 roster was exported row by row, at 08:00:00 (A, K 40, named) and 08:00:01
    (B, M 50, named). By the documented rule the last snapshot is 08:00:01 alone: 1/1 (B);
    a reader expecting "the 31 Dec delivery" would expect 2/2. Before d27df63 (`d` the date) 2/2.
    Asserted as documented; nothing warns the analyst."""
    catalogue = _catalogue(tmp_path, ROSTER_ALL)
    ind = catalogue.indicator("roster_per_inv")
    con = _roster_db_all(
        catalogue,
        [
            (datetime(2023, 12, 31, 8, 0, 0), "A", "0580", "K", 40, True),
            (datetime(2023, 12, 31, 8, 0, 1), "B", "0580", "M", 50, True),
        ],
    )
    sel = cell(rows_of(con, ind), "0580", "year", Y23)
    assert (float(sel.iloc[0].numerator), float(sel.iloc[0].denominator)) == (1, 1)


# ---------------------------------------------------------------------------------------------------
# 7. Incremental: every period type, every path (rows, persons with latest/having, sum, filters)
# ---------------------------------------------------------------------------------------------------


LISTED_PERSONS = LISTED_ALL_PERIODS.replace(
    "numerator: {count: rows, where: named_gp}", "numerator: {count: persons, where: named_gp, latest: true}"
).replace("denominator: {count: rows}", "denominator: persons")
LISTED_HAVING = LISTED_ALL_PERIODS.replace(
    "numerator: {count: rows, where: named_gp}", 'numerator: {count: persons, having: "bool_or(named_gp)"}'
).replace("denominator: {count: rows}", "denominator: persons")


@pytest.mark.parametrize(
    "text", [LISTED_ALL_PERIODS, LISTED_PERSONS, LISTED_HAVING], ids=["rows", "latest", "having"]
)
@pytest.mark.parametrize(
    "extra", ["", "    age: {min: 41}\n", "    where: care_unit <> 'x'\n"], ids=["none", "age", "where"]
)
def test_year_queries_equal_the_whole_query_in_every_period_type(
    tmp_path: Path, text: str, extra: str
) -> None:
    """Review 14's listing (movers on different dates, Jan 2024 too): for 2023 and 2024,
    indicator_sql(ind, year) = the whole query's rows of that year, month and quarter rows included.
    And the hand-worked year 2023 of `rows`/`latest`/`having` without a filter: Linköping counts
    A, M, W, S, Q (5 listed; named on the latest row: A, M, W, S = 4); Norrköping B, M2, N, C
    (4 listed, 4 named)."""
    text = text.replace("    snapshot: last\n", "    snapshot: last\n" + extra)
    catalogue = _catalogue(tmp_path, text)
    ind = catalogue.indicators[0]
    con = listing_db(catalogue, _listing_rows())
    assert_every_period_type_year_local(con, ind)
    if not extra:
        df = rows_of(con, ind)
        for area, nd in (("0580", (4, 5)), ("0581", (4, 4))):
            sel = cell(df, area, "year", Y23)
            assert (float(sel.iloc[0].numerator), float(sel.iloc[0].denominator)) == nd


# ---------------------------------------------------------------------------------------------------
# 8. Spark: the new QUALIFY (first_value) gives DuckDB's rows
# ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spark():
    if importlib.util.find_spec("pyspark") is None or shutil.which("java") is None:
        pytest.skip("no pyspark or java")
    from metrics.compute.spark_engine import start_session
    from tests.test_spark import TEST_CONF

    session = start_session("local[1]", TEST_CONF)
    yield session
    session.stop()


def _same(duck: pd.DataFrame, spark_rows: pd.DataFrame) -> None:
    key = list(duck.columns[:7])
    a = duck.sort_values(key).reset_index(drop=True)
    b = spark_rows[duck.columns].sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_dtype=False)


def test_spark_gives_duckdbs_rows_for_movers(spark, tmp_path: Path) -> None:
    """The listing of review 14 (Linköping 2023 by hand: 4 named of 5 listed, see above), the unit
    extract's person measures, the timestamped roster: crude and standardised queries, whole and
    2023, on Spark and DuckDB alike."""
    from metrics.compute.spark_engine import SparkEngine

    cases = []
    (tmp_path / "a").mkdir()
    cat = _catalogue(tmp_path / "a", LISTED_ALL_PERIODS)
    con = empty_db(cat)
    insert(con, "listing", _listing_rows())
    write_covered_months(con)
    cases.append(
        (con, cat.indicators[0], [indicator_sql(cat.indicators[0]), indicator_sql(cat.indicators[0], 2023)])
    )
    (tmp_path / "b").mkdir()
    cat_b = _catalogue(
        tmp_path / "b", LISTED.replace("    snapshot: last\n", "    snapshot: last\n    age: {min: 41}\n")
    )
    con_b = empty_db(cat_b)
    insert(con_b, "listing", _listing_rows())
    _population(con_b)
    write_covered_months(con_b)
    ib = cat_b.indicators[0]
    cases.append((con_b, ib, [indicator_sql(ib), standardised_sql(ib), standardised_sql(ib, 2023)]))
    (tmp_path / "c").mkdir()
    cat_c = _units_catalogue(tmp_path / "c", PERSONS_MEASURES)
    con_c = _units_db(cat_c, _unit_rows(), last=date(2023, 12, 1))
    for ind in cat_c.indicators:
        cases.append((con_c, ind, [indicator_sql(ind), indicator_sql(ind, 2023)]))
    (tmp_path / "d").mkdir()
    cat_d = _catalogue(tmp_path / "d", ROSTER)
    from tests.test_review14_snapshots import _roster_db

    con_d = _roster_db(
        cat_d,
        [
            (datetime(2023, 12, 31, 8), "X", "0581", "K", 40, True),
            (datetime(2023, 12, 31, 12), "X", "0580", "K", 40, False),
            (datetime(2023, 12, 31, 8), "B", "0581", "K", 40, False),
            (datetime(2024, 6, 30), "X", "0581", "K", 41, True),
            (datetime(2023, 12, 31, 23, 59, 59), "D", "0580", "K", 80, True),
            (datetime(2024, 1, 1, 0, 0, 0), "D", "0581", "K", 80, True),
        ],
    )
    idd = cat_d.indicators[0]
    cases.append((con_d, idd, [indicator_sql(idd), standardised_sql(idd), indicator_sql(idd, 2023)]))
    for con, ind, sqls in cases:
        engine = SparkEngine(tmp_path / f"pq_{ind.id}", session=spark)
        run = engine.prepare(con)
        try:
            for sql in sqls:
                _same(con.execute(sql).df(), run(ind, sql))
        finally:
            engine.close()


def _only_snapshot_emptied(tmp_path: Path):
    """row_sql with `age: {min: 90}`: Linköping's only 2023 delivery (28 Dec) holds Y (K 40,
    named), which the filter leaves out; Norrköping's (15 Dec) V (K 92, named). 10 inhabitants
    aged 92 (K) in each kommun."""
    catalogue = _catalogue(tmp_path, ROW_SQL)
    ind = catalogue.indicator("listade_rowsql")
    con = listing_db(
        catalogue,
        [
            (date(2023, 12, 28), "Y", "0580", "K", 40, "vc1", True),
            (date(2023, 12, 15), "V", "0581", "K", 92, "vc2", True),
        ],
        [(k, 2023, "K", 92, 10) for k in ("0580", "0581")],
    )
    return ind, con


def test_row_sql_a_kommun_whose_only_snapshot_the_filter_empties_is_zero_not_missing(tmp_path: Path) -> None:
    """row_sql, `age: {min: 90}`. Linköping's only 2023 delivery is 28 Dec with Y (K 40, named);
    Norrköping's 15 Dec has V (K 92, named). By hand (docs: the last delivery counts also when the
    filter leaves nobody in it, "the cell is then 0"; a covered kommun with a population denominator
    is 0 of its inhabitants): Linköping 2023 numerator 0, not missing; Norrköping 1; län 1."""
    ind, con = _only_snapshot_emptied(tmp_path)
    df = rows_of(con, ind)
    linkoping = cell(df, "0580", "year", Y23)
    assert not linkoping.missing.any()
    assert num(df, "0580", "year", Y23) == 0
    assert num(df, "0581", "year", Y23) == 1


ROSTER_FILTERED = ROSTER_ALL.replace("    snapshot: last\n", "    snapshot: last\n    age: {min: 41}\n")


@pytest.mark.parametrize("text", [ROSTER_ALL, ROSTER_FILTERED], ids=["unfiltered", "age"])
def test_timestamped_instants_at_new_year_year_queries_equal_the_whole(tmp_path: Path, text: str) -> None:
    """Linköping delivers 31 Dec 2023 23:59:59 and 1 Jan 2024 00:00:00; Norrköping 31 Dec 2023
    12:00. X (K 40 in 2023, 41 in 2024): Norrköping 12:00 (named), Linköping 23:59:59 (not named),
    Linköping 1 Jan 00:00 (named). D (K 80, named): Linköping 23:59:59 only.
    By hand, unfiltered: 2023 (and Q4, Dec): X latest Linköping 23:59:59 → Linköping X 0 + D 1 =
    1/2, Norrköping 0/0 (no row); 2024 (Q1, Jan): Linköping X 1/1.
    age ≥ 41: 2023 Linköping D 1/1 (X is 40: out), Norrköping: X out, no row; 2024 Linköping X 1/1.
    The year queries give the whole query's rows of each year (all period types)."""
    catalogue = _catalogue(tmp_path, text)
    ind = catalogue.indicator("roster_per_inv")
    con = _roster_db_all(
        catalogue,
        [
            (datetime(2023, 12, 31, 12), "X", "0581", "K", 40, True),
            (datetime(2023, 12, 31, 23, 59, 59), "X", "0580", "K", 40, False),
            (datetime(2024, 1, 1, 0, 0, 0), "X", "0580", "K", 41, True),
            (datetime(2023, 12, 31, 23, 59, 59), "D", "0580", "K", 80, True),
        ],
    )
    df = rows_of(con, ind)
    expect23 = (1, 2) if text is ROSTER_ALL else (1, 1)
    for pt, start in (("year", Y23), ("quarter", Q4), ("month", DEC)):
        sel = cell(df, "0580", pt, start)
        assert (float(sel.iloc[0].numerator), float(sel.iloc[0].denominator)) == expect23
        assert not cell(df, "0581", pt, start).missing.any()
    for pt in ("year", "quarter", "month"):
        sel = cell(df, "0580", pt, "2024-01-01")
        assert (float(sel.iloc[0].numerator), float(sel.iloc[0].denominator)) == (1, 1)
    assert_every_period_type_year_local(con, ind)


def test_row_sql_standardised_a_kommun_whose_only_snapshot_the_filter_empties_has_its_inhabitants(
    tmp_path: Path,
) -> None:
    """The case above through the age standardisation (review 15's defect on the standardised rate:
    its `covered` read the row_sql's *filtered* rows, so Linköping's only delivery looked absent).
    By hand: Linköping 2023 is covered (its 28 Dec delivery), nobody 90+ in it, so its 90–94 band
    has numerator 0 of its 10 inhabitants; Norrköping 1 of 10; the län 1 of 20."""
    ind, con = _only_snapshot_emptied(tmp_path)
    rows = con.execute(standardised_sql(ind)).df()
    rows = rows[(rows.breakdown == "total") & (pd.to_datetime(rows.period_start) == Y23)]
    by_area = {
        r.area_code: (float(r.numerator), float(r.denominator)) for r in rows.itertuples() if r.denominator
    }
    assert by_area["0580"] == (0.0, 10.0)
    assert by_area["0581"] == (1.0, 10.0)
    assert by_area["05"] == (1.0, 20.0)
