"""The same catalogue on Apache Spark (docs/spark.md): identical cells to DuckDB, and the rewrites.

One local Spark session for the module, set up for small data on few cores (TEST_CONF), and one
set of Parquet copies of the demo's tables for all the parity tests.
Without pyspark or Java the tests are skipped here and fail in CI (.ci/run installs Java;
the `test` extra installs pyspark).
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from metrics.catalogue.loader import load_catalogue
from metrics.catalogue.model import Catalogue
from metrics.cli import main
from metrics.compute.dialects import SparkTranslationError, tables_read, to_spark
from metrics.compute.engine import checked_indicator, indicator_rows, write_areas
from metrics.compute.sandbox import run_indicator_query
from metrics.compute.sqlgen import LATEST_KEY, _latest_row, exact, indicator_sql
from metrics.extracts.coverage import write_covered_months
from tests.conftest import REPO, unavailable
from tests.indicator_cases import core_catalogue, empty_db, insert
from tests.test_contract_guards import CORE_IDS

CORE = tuple(sorted(CORE_IDS))  # the contract's 16 core indicators, listed once (test_contract_guards)

# Spark for a few thousand rows on a loaded 2-core machine (benchmarks/bench_spark.py; docs/spark.md):
# its time goes to planning and compiling each query, not to the data. Whole-stage code generation
# compiles Java per query, AQE re-plans every stage, and C1 alone warms the JVM up sooner; one
# partition needs no shuffle between tasks. None of these changes what a query computes.
TEST_CONF = {
    "spark.sql.shuffle.partitions": "1",
    "spark.default.parallelism": "1",
    "spark.sql.adaptive.enabled": "false",
    "spark.sql.codegen.wholeStage": "false",
    "spark.driver.extraJavaOptions": "-XX:+UseSerialGC -XX:TieredStopAtLevel=1",
}


# --- The rewrites on SQLGlot's tree (no Spark needed) ------------------------------------------


def test_a_month_interval_becomes_add_months():
    out = to_spark("SELECT CAST(d + to_months(3 - 1) AS DATE) AS e FROM t", pretty=False)
    assert out == "SELECT CAST(ADD_MONTHS(d, 3 - 1) AS DATE) AS e FROM t"


def test_a_difference_of_two_dates_becomes_datediff_but_of_numbers_stays_a_minus():
    sql = "SELECT discharge_date - ready_for_discharge_date AS days, n - 1 AS m FROM inpatient"
    out = to_spark(sql, {"discharge_date", "ready_for_discharge_date"}, pretty=False)
    assert (
        out == "SELECT DATEDIFF(discharge_date, ready_for_discharge_date) AS days, n - 1 AS m FROM inpatient"
    )
    # without knowing the columns are dates, a minus is a minus
    assert "DATEDIFF" not in to_spark(sql, pretty=False)
    # so is a coalesce, a CASE or a date plus days of dates; a date minus days stays a minus
    out = to_spark(
        "SELECT coalesce(a, b) - b, (a + 30) - b, CASE WHEN x THEN a END - b, a - 1 FROM t",
        {"a", "b"},
        pretty=False,
    )
    assert out == (
        "SELECT DATEDIFF(COALESCE(a, b), b), DATEDIFF((a + 30), b), "
        "DATEDIFF(CASE WHEN x THEN a END, b), a - 1 FROM t"
    )
    # a CAST to DATE is a date whatever the column
    assert "DATEDIFF(CAST(a AS DATE), CAST(b AS DATE))" in to_spark(
        "SELECT CAST(a AS DATE) - CAST(b AS DATE) FROM t", pretty=False
    )


def test_division_is_duckdbs_and_duckdb_only_functions_get_spark_names():
    out = to_spark("SELECT a / b, arg_max(kommun, d), starts_with(upper(code), 'I10') FROM t", pretty=False)
    division = (
        "CASE WHEN CAST(b AS DOUBLE) = 0 THEN CAST(a AS DOUBLE) * CAST('Infinity' AS DOUBLE) "
        "ELSE CAST(a AS DOUBLE) / CAST(b AS DOUBLE) END"
    )
    assert out == f"SELECT {division}, MAX_BY(kommun, d), STARTSWITH(UPPER(code), 'I10') FROM t"


def test_union_by_name_of_one_relation_becomes_union_all_and_qualify_is_kept():
    sql = (
        "WITH m AS (SELECT person_id FROM t) "
        "SELECT * FROM t ANTI JOIN m USING (person_id) UNION ALL BY NAME "
        "SELECT * FROM t SEMI JOIN m USING (person_id) "
        "QUALIFY row_number() OVER (PARTITION BY person_id ORDER BY d DESC) = 1"
    )
    out = to_spark(sql, pretty=False)
    assert "BY NAME" not in out and "UNION ALL SELECT * FROM t SEMI JOIN m" in out
    assert "QUALIFY ROW_NUMBER() OVER (PARTITION BY person_id ORDER BY d DESC) = 1" in out
    assert "_w" not in out  # SQLGlot's rewrite of QUALIFY for old Spark would add this column


def test_union_by_name_of_different_columns_is_refused_not_guessed():
    with pytest.raises(SparkTranslationError, match="UNION BY NAME"):
        to_spark("SELECT a, b FROM t UNION ALL BY NAME SELECT b, a FROM u")


def test_a_cast_of_a_fraction_to_an_integer_rounds_and_of_anything_else_is_left():
    sql = "SELECT CAST(hours AS INTEGER), CAST(2.5 AS INT), CAST(n AS INT), CAST(acute AS INTEGER) FROM t"
    out = to_spark(sql, double_columns={"hours"}, pretty=False)
    expected = "CAST(RINT(hours) AS INT), CAST(ROUND(2.5) AS INT), CAST(n AS INT), CAST(acute AS INT)"
    assert out == f"SELECT {expected} FROM t"


def test_declared_month_columns_are_dates():
    from types import SimpleNamespace

    from metrics.compute.spark_engine import date_columns, double_columns

    extract = SimpleNamespace(
        name="x",
        columns=[
            SimpleNamespace(name="period_month", type="month"),
            SimpleNamespace(name="hours", type="decimal"),
        ],
    )
    indicator: Any = SimpleNamespace(extracts=[extract], sources=["x"])
    assert date_columns(indicator) == {"period_month"} and double_columns(indicator) == {"hours"}
    assert "DATEDIFF(period_month, d)" in to_spark("SELECT period_month - d FROM x", date_columns(indicator))


def test_the_tables_a_query_reads_are_its_tables_not_its_ctes():
    sql = "WITH base AS (SELECT * FROM contacts) SELECT * FROM base JOIN areas USING (kommun)"
    assert tables_read(sql) == {"contacts", "areas"}


# --- Spark --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    if importlib.util.find_spec("pyspark") is None:
        unavailable("pyspark is not installed: pip install -c constraints.txt -e '.[test]'")
    if shutil.which("java") is None:
        unavailable("no java on PATH: install Debian's openjdk-17-jre-headless (as .ci/run does)")
    from metrics.compute.spark_engine import start_session

    session = start_session("local[1]", TEST_CONF)
    yield session
    session.stop()


def imported_demo(root: Path) -> Path:
    """The demo's extracts for Östergötland and Jämtland 2023–2024 at 2 %, imported, not computed,
    as `root`/demo.duckdb (also benchmarks/bench_spark.py's data)."""
    from metrics.db import connect
    from metrics.demo.generate import generate_demo
    from metrics.extracts.importer import import_paths

    path = root / "demo.duckdb"
    paths = generate_demo(root / "files", scale=0.02, years=(2023, 2024), lan=("05", "23"))
    con = connect(path)
    try:
        failed = [r.file for r in import_paths(con, paths) if r.status == "failed"]
        assert not failed, failed
    finally:
        con.close()
    shutil.rmtree(root / "files")
    return path


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The parity's data: `imported_demo`, with the area map and coverage written.

    Its own small database rather than the session's `demo_database` (five years, every indicator
    computed with the LP audit: minutes to build, and this module would wait for it): the parity
    needs imported rows, not results. Two years keep every kind of cell the parity must cover –
    shown and suppressed cells, kommuner with zero events, standardised rates – and give
    kontinuitet_lakare (one query per year) two queries instead of five (docs/spark.md)."""
    path = imported_demo(tmp_path_factory.mktemp("spark"))
    catalogue = load_catalogue(REPO / "indicators.yaml", strict=True).catalogue
    con = duckdb.connect(str(path))
    write_areas(con, catalogue)
    write_covered_months(con)
    con.execute("CHECKPOINT")  # the file alone holds it all: the command test copies it
    yield con, catalogue, path
    con.close()


@pytest.fixture(scope="module")
def on_spark(
    spark: Any,
    demo: tuple[duckdb.DuckDBPyConnection, Catalogue, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Any]:
    """Spark's query runner over the demo, with each table copied to Parquet once for the module."""
    from metrics.compute.spark_engine import SparkEngine

    engine = SparkEngine(tmp_path_factory.mktemp("parquet"), session=spark)
    yield engine.prepare(demo[0])
    engine.close()


# The cells each parity test compared, for the check that the small demo covers every kind of cell.
PARITY_CELLS: dict[str, pd.DataFrame] = {}


def _same_cells(duck: pd.DataFrame, spark: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(duck.reset_index(drop=True), spark.reset_index(drop=True), check_exact=True)


@pytest.mark.parametrize("indicator_id", CORE)
def test_the_core_indicators_give_identical_cells_on_duckdb_and_spark(
    on_spark: Any, demo: tuple[duckdb.DuckDBPyConnection, Catalogue, Path], indicator_id: str
):
    con, catalogue, _ = demo
    indicator = catalogue.indicator(indicator_id)
    # Propagation protection, not the LP audit: the parity is the aggregation engine's, and the LP's
    # CPU-time cap could end one run's audit and not the other's (two demo indicators reach it).
    on_duckdb, _ = checked_indicator(con, indicator, catalogue, exact_audit=False)
    cells, _ = checked_indicator(con, indicator, catalogue, exact_audit=False, run=on_spark)
    # every column, bit for bit: numerator, denominator, value, ci_low/ci_high, suppressed/suppression,
    # std_* – sjukfranvaro_personal's hours too (sqlgen.exact: both engines sum the same decimals)
    _same_cells(on_duckdb, cells)
    assert len(on_duckdb) > 0
    PARITY_CELLS[indicator_id] = cells
    if not on_duckdb["numerator"].notna().any():
        # Everything suppressed or missing in the small demo (aterinskrivning_30d_65: its
        # 30-day follow-up leaves few complete cells): compare the sums before suppression too.
        sql = indicator_sql(indicator)
        raw_duckdb = run_indicator_query(con, indicator, sql)
        assert raw_duckdb["numerator"].notna().any()
        _same_cells(raw_duckdb, on_spark(indicator, sql))


def test_the_parity_data_has_shown_suppressed_zero_and_standardised_cells(
    demo: tuple[duckdb.DuckDBPyConnection, Catalogue, Path],
):
    """The test's small demo still exercises what the parity must cover (counted on the demo
    2023–2024 at 2 %: suppressed cells in 13 indicators, a published kommun total of 0 in 4,
    standardised rates in 3); the cells are the parity tests' own (computed here on DuckDB if run alone)."""
    con, catalogue, _ = demo
    cells = {
        i: PARITY_CELLS.get(i)
        if i in PARITY_CELLS
        else checked_indicator(con, catalogue.indicator(i), catalogue, exact_audit=False)[0]
        for i in CORE
    }
    shown = [i for i, c in cells.items() if c["numerator"].notna().any()]
    suppressed = [i for i, c in cells.items() if c["suppressed"].fillna(False).astype(bool).any()]
    zero = [
        i
        for i, c in cells.items()
        if ((c["area_level"] == "kommun") & (c["breakdown"] == "total") & (c["numerator"] == 0)).any()
    ]
    standardised = [i for i, c in cells.items() if c["std_value"].notna().any()]
    assert len(shown) == 16 and len(suppressed) >= 10 and len(zero) >= 3 and len(standardised) >= 3, (
        shown,
        suppressed,
        zero,
        standardised,
    )


# --- Exact sums of hours: 9.001 + 0.999 = 10, on both engines ----------------------------------


@pytest.fixture(scope="module")
def boundary() -> Iterator[tuple[duckdb.DuckDBPyConnection, Catalogue]]:
    """Linköping's staff in 2024 (January): scheduled 9.001 h (region) + 0.999 h (kommun) = 10 h,
    absent 0.5 h + 0.25 h = 0.75 h. 10 h is exactly the denominator limit: not below it, shown."""
    catalogue = core_catalogue()
    con = empty_db(catalogue)
    month = pd.Timestamp("2024-01-01").date()
    rows = [("0580", month, "region", 9.001, 0.5), ("0580", month, "kommun", 0.999, 0.25)]
    insert(con, "staff_absence", rows)
    write_covered_months(con)
    yield con, catalogue
    con.close()


def test_the_shared_per_person_query_gives_each_indicator_duckdbs_rows_on_spark(
    on_spark: Any, demo: tuple[duckdb.DuckDBPyConnection, Catalogue, Path]
):
    """COC and UPC share one query with every statistic in a compute run (`sqlgen.per_person_sql`):
    on Spark too each indicator gets, bit for bit, its own query's rows on DuckDB."""
    con, catalogue, _ = demo
    shared: dict[str, pd.DataFrame] = {}
    queries: list[str] = []

    def run(indicator: Any, sql: str) -> pd.DataFrame:
        queries.append(sql)
        return on_spark(indicator, sql)

    pairs = ["kontinuitet_lakare", "kontinuitet_upc_lakare", "kontinuitet_alla", "kontinuitet_upc_alla"]
    for indicator_id in pairs:
        indicator = catalogue.indicator(indicator_id)
        on_duckdb = indicator_rows(con, indicator)
        assert on_duckdb["numerator"].notna().any()
        _same_cells(on_duckdb, indicator_rows(con, indicator, run=run, shared=shared))
    assert len(queries) == 4  # two years, one query per pair


def _linkoping_2024(cells: pd.DataFrame) -> pd.Series:
    mask = (cells["area_code"] == "0580") & (cells["period"] == "2024") & (cells["breakdown"] == "total")
    (row,) = cells[mask].itertuples(index=False)
    return pd.Series(row._asdict())


def test_hours_summing_to_exactly_the_denominator_limit_are_shown_on_duckdb(
    boundary: tuple[duckdb.DuckDBPyConnection, Catalogue],
):
    """Before sums went through the values' text form, DuckDB cast 9.001 to DECIMAL as
    9.000999999999999 (it scales by 10^15 in double precision) and the sum, 9.999999999999999,
    was below the limit 10: the cell was suppressed although the data say 10 hours."""
    con, catalogue = boundary
    assert catalogue.indicator("sjukfranvaro_personal").suppression.min_denominator == 10
    cells, _ = checked_indicator(
        con, catalogue.indicator("sjukfranvaro_personal"), catalogue, exact_audit=False
    )
    cell = _linkoping_2024(cells)
    assert cell["denominator"] == 10.0  # 9.001 + 0.999, exactly
    assert cell["numerator"] == 0.75  # 0.5 + 0.25
    assert not cell["suppressed"]
    assert cell["value"] == 7.5  # 0.75 / 10 × 100 %


def test_hours_summing_to_exactly_the_denominator_limit_are_the_same_cells_on_spark(
    spark: Any, boundary: tuple[duckdb.DuckDBPyConnection, Catalogue], tmp_path: Path
):
    from metrics.compute.spark_engine import SparkEngine

    con, catalogue = boundary
    indicator = catalogue.indicator("sjukfranvaro_personal")
    engine = SparkEngine(tmp_path / "pq", session=spark)
    try:
        cells, _ = checked_indicator(con, indicator, catalogue, exact_audit=False, run=engine.prepare(con))
    finally:
        engine.close()
    on_duckdb, _ = checked_indicator(con, indicator, catalogue, exact_audit=False)
    _same_cells(on_duckdb, cells)
    assert _linkoping_2024(cells)["denominator"] == 10.0


def test_exact_gives_the_same_decimal_for_any_double_on_both_engines(spark: Any):
    """sqlgen.exact on 3 000 doubles of every size below 2^53 (hours, SEK, shares, their squares,
    17-digit noise): DuckDB's and Spark's text forms of a double must give the same DECIMAL(38, 15)."""
    rng = np.random.default_rng(20241231)
    values = np.concatenate(
        [
            np.round(rng.uniform(0, 10_000, 1000), 3),  # hours with three decimals
            rng.uniform(0, 1, 500),  # shares, 17 significant digits
            rng.uniform(0, 1e6, 500) ** 2,  # squares of SEK
            # every magnitude below 2^53 ≈ 9.007e15, in and out of scientific notation; above it
            # Java 17's Double.toString is not always the shortest form (3.105983382859077e16 is
            # "3.1059833828590768E16" on Spark; fixed in Java 19): see docs/spark.md
            10.0 ** rng.uniform(-12, 15.95, 1000),
            [9.001, 0.999, 2061.3, 0.1, 1e-16, 5e-16, 1.5e-15, 9.0e15, 123456789.123456789],
        ]
    )
    frame = pd.DataFrame({"i": np.arange(len(values)), "x": values})
    sql = f"SELECT i, {exact('x')} AS e FROM t ORDER BY i"
    with duckdb.connect() as con:
        con.register("t", frame)
        on_duckdb = [row[1] for row in con.execute(sql).fetchall()]
    spark.createDataFrame(frame).createOrReplaceTempView("t")
    try:
        on_spark_ = [row["e"] for row in spark.sql(to_spark(sql, pretty=False)).collect()]
    finally:
        spark.catalog.dropTempView("t")
    differing = [(v, d, s) for v, d, s in zip(values, on_duckdb, on_spark_, strict=True) if d != s]
    assert differing == []
    # by hand: 2061.3 is 2061.3 (DuckDB's direct cast gave 2061.300000000000256); 5e-16 rounds half
    # away from zero to 0.000000000000001, 1e-16 to 0
    assert on_duckdb[-7] == Decimal("2061.3") and on_duckdb[-4] == Decimal("1E-15") and on_duckdb[-5] == 0


def test_compute_with_engine_spark_writes_the_same_results(
    spark: Any, demo: tuple[duckdb.DuckDBPyConnection, Catalogue, Path], tmp_path: Path
):
    """End to end through the command: the results table after `--engine spark` equals DuckDB's."""
    _, _, path = demo
    db = tmp_path / "cli.duckdb"
    shutil.copy(path, db)
    # One indicator (the parity of all 16 is proved above) and no LP: its CPU cap could end one
    # engine's audit and not the other's; the command, its options and the results table are the point.
    args = ["compute", "--db", str(db), "--indicator", "sip_delaktighet", "--snabbkontroll"]
    query = "SELECT * FROM results WHERE indicator = 'sip_delaktighet' ORDER BY ALL"
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(db)) as con:
        expected = con.execute(query).df()
    parquet = tmp_path / "pq"
    result = CliRunner().invoke(main, [*args, "--engine", "spark", "--parquet", str(parquet)])
    assert result.exit_code == 0, result.output
    # the Parquet copies (person-level rows) are deleted when the run ends
    assert parquet.is_dir() and not any(parquet.rglob("*.parquet*")), list(parquet.rglob("*"))
    with duckdb.connect(str(db)) as con:
        got = con.execute(query).df()
    assert len(expected) > 0
    _same_cells(expected, got)


# A person's latest row of the rows `{rows}` (sqlgen.LATEST_KEY), decoded, as one text
LATEST_ROW = (
    "SELECT kommun || '|' || coalesce(sex, '-') || '|' || coalesce(CAST(age AS VARCHAR), '-') AS x "
    f"FROM (SELECT {_latest_row()} FROM (SELECT max({LATEST_KEY}) AS latest_key "
    "FROM (VALUES {rows}) AS r(d, kommun, sex, age)) AS m) AS decoded"
)


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        # a person's latest row: the later date over everything else; on one date the higher kommun
        # code, then K over M over none, then the higher age (no age lowest); decoded back whole
        (
            LATEST_ROW.format(
                rows="(DATE '2024-05-02', '0114', NULL, NULL), (DATE '2024-05-01', '2584', 'K', 120)"
            ),
            "0114|-|-",
        ),
        (
            LATEST_ROW.format(
                rows="(DATE '2024-05-01', '0580', 'K', 120), (DATE '2024-05-01', '0581', 'M', 0)"
            ),
            "0581|M|0",
        ),
        (
            LATEST_ROW.format(
                rows="(DATE '2024-12-31', '0580', 'M', 120), (DATE '2024-12-31', '0580', 'K', NULL)"
            ),
            "0580|K|-",
        ),
        (
            LATEST_ROW.format(
                rows="(DATE '2024-12-31', '0580', 'K', NULL), (DATE '2024-12-31', '0580', 'K', 0)"
            ),
            "0580|K|0",
        ),
        # 10 March − 1 March = 9 days (DuckDB: an integer; Spark without the rewrite: an interval)
        ("SELECT DATE '2024-03-10' - DATE '2024-03-01' AS x", 9),
        # 31 January + 1 month = 29 February 2024 (leap year) in both
        ("SELECT CAST(DATE '2024-01-31' + to_months(1) AS DATE) AS x", pd.Timestamp("2024-02-29").date()),
        # 7 / 0 = +inf in DuckDB (IEEE); an error in Spark's ANSI mode without the rewrite
        ("SELECT 7 / 0 AS x", float("inf")),
        # 7 / 2 = 3.5 (DuckDB divides into a double)
        ("SELECT 7 / 2 AS x", 3.5),
        # 7,00 / 2,00 = 3.5 as a DOUBLE (Spark alone would give the DECIMAL 3.500000)
        ("SELECT CAST(7 AS DECIMAL(10, 2)) / CAST(2 AS DECIMAL(10, 2)) AS x", 3.5),
        # a division inside a division is DuckDB's too: 1 / 0 = +inf, inf / 2 = +inf (Spark: an error)
        ("SELECT 1 / 0 / 2 AS x", float("inf")),
        # 1 / 3 / 7 over doubles = 0.047619047619047616 (Spark's DECIMAL division: 0.047619)
        (
            "SELECT CAST(1 AS DECIMAL(38, 9)) / CAST(3 AS DECIMAL(38, 9)) / CAST(7 AS DECIMAL(38, 9)) AS x",
            1 / 3 / 7,
        ),
        # 10 March 2024 is a Sunday: DuckDB's dayofweek 0 and isodow 7 (Spark's dayofweek: 1)
        ("SELECT dayofweek(DATE '2024-03-10') AS x", 0),
        ("SELECT extract(dow FROM DATE '2024-03-10') AS x", 0),
        ("SELECT isodow(DATE '2024-03-10') AS x", 7),
        # 11 March 2024 is a Monday: dow 1, isodow 1; 16 March a Saturday: dow 6, isodow 6
        ("SELECT date_part('dow', DATE '2024-03-11') AS x", 1),
        ("SELECT isodow(DATE '2024-03-11') AS x", 1),
        ("SELECT dayofweek(DATE '2024-03-16') * 10 + isodow(DATE '2024-03-16') AS x", 66),
        # DuckDB's date_diff counts boundaries: 10:59 → 11:01 crosses 11:00, 1 hour (Spark's: 0)
        (
            "SELECT date_diff('hour', TIMESTAMP '2024-01-01 10:59:00', TIMESTAMP '2024-01-01 11:01:00') AS x",
            1,
        ),
        # an emergency visit 10:59 → 14:01 crosses 11, 12, 13 and 14:00: 4 (Spark's whole hours: 3)
        (
            "SELECT date_diff('hour', TIMESTAMP '2024-01-01 10:59:00', TIMESTAMP '2024-01-01 14:01:00') AS x",
            4,
        ),
        # 31 January → 1 February: 1 month boundary; 31 Dec 2000 → 1 Jan 2001: 1 year boundary
        ("SELECT date_diff('month', DATE '2024-01-31', DATE '2024-02-01') AS x", 1),
        ("SELECT date_diff('year', DATE '2000-12-31', DATE '2001-01-01') AS x", 1),
        # 5 January − 1 January = 4 days, also when one side is a coalesce or a date + days
        ("SELECT coalesce(CAST(NULL AS DATE), DATE '2024-01-05') - DATE '2024-01-01' AS x", 4),
        ("SELECT (DATE '2024-01-01' + 30) - DATE '2024-01-05' AS x", 26),  # 31 Jan − 5 Jan
        # a cast of a fraction to an integer rounds in DuckDB (Spark truncates: 3.7 → 3):
        # 3,7 → 4; −2,5 → −3 (a DECIMAL: half away from zero); 2,5 as a DOUBLE → 2 (half to even)
        ("SELECT CAST(3.7 AS INTEGER) AS x", 4),
        ("SELECT CAST(-2.5 AS INTEGER) AS x", -3),
        ("SELECT CAST(CAST(2.5 AS DOUBLE) AS INTEGER) AS x", 2),
        # 11 / 4 = 2,75 → 3; 7 / 2 = 3,5 → 4 (half to even)
        ("SELECT CAST(11 / 4 AS INTEGER) * 10 + CAST(7 / 2 AS INTEGER) AS x", 34),
        # 23:00 → 01:00 the next day crosses midnight: 1 day
        ("SELECT date_diff('day', TIMESTAMP '2024-01-01 23:00:00', TIMESTAMP '2024-01-02 01:00:00') AS x", 1),
    ],
)
def test_a_rewritten_snippet_means_the_same_on_both_engines(spark: Any, sql: str, expected: Any):
    with duckdb.connect() as con:
        duck = con.execute(sql).fetchone()
    assert duck is not None
    on_spark = spark.sql(to_spark(sql)).collect()[0][0]
    assert duck[0] == expected and type(duck[0]) is type(expected)
    assert on_spark == expected and type(on_spark) is type(expected)


def test_missing_pyspark_is_a_swedish_message_naming_the_extra(monkeypatch: pytest.MonkeyPatch):
    from metrics.compute import spark_engine

    monkeypatch.setitem(sys.modules, "pyspark.sql", None)  # `from pyspark.sql import …` fails
    with pytest.raises(spark_engine.SparkUnavailable, match=r"pyspark är inte installerat.*\.\[spark\]"):
        spark_engine.start_session("local[1]")


def test_missing_java_is_a_swedish_message_naming_the_package(monkeypatch: pytest.MonkeyPatch):
    from metrics.compute import spark_engine

    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setattr(spark_engine.shutil, "which", lambda _name: None)
    problem = spark_engine.java_problem()
    assert problem is not None and "Java hittades inte" in problem and "openjdk-17-jre-headless" in problem


def test_a_malformed_spark_conf_is_named():
    from metrics.compute.spark_engine import parse_conf
    from metrics.errors import MatavlaError

    assert parse_conf(["spark.sql.shuffle.partitions=8"]) == {"spark.sql.shuffle.partitions": "8"}
    with pytest.raises(MatavlaError, match=r"'spark\.executor\.memory' saknar '='"):
        parse_conf(["spark.executor.memory"])


def test_a_failing_query_does_not_write_the_value_it_choked_on_to_stderr(
    spark: Any, capfd: pytest.CaptureFixture[str]
):
    """PySpark's own query-error logger prints the JVM's message, which quotes the value."""
    with pytest.raises(Exception, match="CAST_INVALID_INPUT"):
        spark.sql("SELECT CAST('19121212-1212' AS INT) AS x").collect()
    captured = capfd.readouterr()
    assert "19121212" not in captured.err and "19121212" not in captured.out


def test_the_parquet_copies_are_private_to_the_user_and_deleted_by_close(
    spark: Any, demo: tuple[duckdb.DuckDBPyConnection, Catalogue, Path], tmp_path: Path
):
    from metrics.compute.spark_engine import SparkEngine

    con, catalogue, _ = demo
    indicator = catalogue.indicator("sip_delaktighet")
    engine = SparkEngine(tmp_path / "pq", session=spark)
    run = engine.prepare(con)
    assert len(run(indicator, indicator_sql(indicator))) > 0
    (run_dir,) = (tmp_path / "pq").iterdir()
    assert (run_dir / "sip.parquet").is_file()
    assert run_dir.stat().st_mode & 0o077 == 0  # no access for group or others
    engine.close()
    assert list((tmp_path / "pq").iterdir()) == []


def test_a_spark_conf_cannot_change_what_the_translation_relies_on():
    from metrics.compute.spark_engine import session_settings
    from metrics.errors import MatavlaError

    # Stockholm time or ANSI off would change dates and divisions: refused, not silently used
    with pytest.raises(MatavlaError, match=r"spark\.sql\.session\.timeZone=Europe/Stockholm går inte"):
        session_settings("local[1]", {"spark.sql.session.timeZone": "Europe/Stockholm"})
    with pytest.raises(MatavlaError, match=r"spark\.sql\.ansi\.enabled=false går inte"):
        session_settings(None, {"spark.sql.ansi.enabled": "false"})
    settings = session_settings(
        "local[2]", {"spark.sql.shuffle.partitions": "8", "spark.sql.ansi.enabled": "TRUE"}
    )
    assert settings["spark.sql.shuffle.partitions"] == "8" and settings["spark.sql.session.timeZone"] == "UTC"
    assert "spark.ui.enabled" not in session_settings("yarn", {})  # local defaults only in local mode
