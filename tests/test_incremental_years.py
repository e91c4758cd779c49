"""`matavla compute --incremental` by calendar year: an indicator whose source got rows of some
years re-aggregates only those years (the other years' raw cells are kept from its last compute),
and its results, their export and the disclosure audit are those of a full compute of the same
data. What may read across years falls back to the whole indicator, saying why."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from metrics.catalogue.model import Catalogue, Indicator
from metrics.compute.engine import compute_all, indicator_rows
from metrics.compute.runs import increment
from metrics.compute.sandbox import run_indicator_query
from metrics.compute.sqlgen import indicator_sql
from metrics.compute.year_cells import YearPlan, why_not_by_years
from metrics.db import connect
from metrics.export import export_results
from metrics.extracts import import_file
from tests.indicator_cases import core_catalogue
from tests.test_incremental_compute import audit_entries, contacts_file

CONTACTS = "proaktiva_kontakter"  # reads contacts; year-local
SOURCE = b"catalogue v1"


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    full = core_catalogue()
    return dataclasses.replace(full, indicators=(full.indicator(CONTACTS),))


@pytest.fixture(autouse=True)
def quick_audit(monkeypatch):
    monkeypatch.setenv("MATAVLA_AUDIT_SECONDS", "5")


class Spy:
    """A query engine that runs on DuckDB and remembers each indicator query's SQL."""

    def __init__(self) -> None:
        self.sql: list[str] = []

    def prepare(self, con: duckdb.DuckDBPyConnection) -> Callable[[Indicator, str], pd.DataFrame]:
        def run(indicator: Indicator, sql: str) -> pd.DataFrame:
            self.sql.append(sql)
            return run_indicator_query(con, indicator, sql)

        return run


def results(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute("SELECT * FROM results ORDER BY ALL").df()


def incremental_against_full(tmp_path: Path, catalogue: Catalogue, new: Callable[[], None]):
    """Import with `new`, then compute incrementally on the database and fully on a copy of it;
    returns the two connections, the increment and the progress lines."""
    db = tmp_path / "a.duckdb"
    new()
    shutil.copy(db, tmp_path / "b.duckdb")
    con = connect(db)
    step = increment(con, catalogue, SOURCE)
    lines: list[str] = []
    spy = Spy()
    compute_all(
        con,
        catalogue,
        only=list(step.indicators or ()),
        catalogue_source=SOURCE,
        by_years=step.by_years,
        progress=lines.append,
        engine=spy,
    )
    full = connect(tmp_path / "b.duckdb")
    compute_all(full, catalogue, catalogue_source=SOURCE)
    export_results(con, tmp_path / "incremental.csv")
    export_results(full, tmp_path / "full.csv")
    assert (tmp_path / "incremental.csv").read_bytes() == (tmp_path / "full.csv").read_bytes()
    pd.testing.assert_frame_equal(results(con), results(full))
    assert audit_entries(con) == audit_entries(full)
    return con, full, step, lines, spy


def first_compute(tmp_path: Path, catalogue: Catalogue, months: list[str]) -> Path:
    files = tmp_path / "files"
    files.mkdir()
    con = connect(tmp_path / "a.duckdb")
    for month in months:
        import_file(con, contacts_file(files, month, 400))
    compute_all(con, catalogue, catalogue_source=SOURCE)
    con.close()
    return files


def test_a_new_year_is_aggregated_alone_and_matches_a_full_compute(tmp_path, catalogue):
    files = first_compute(tmp_path, catalogue, ["2023-05", "2023-06"])

    def new() -> None:
        con = connect(tmp_path / "a.duckdb")
        import_file(con, contacts_file(files, "2024-01", 400))
        con.close()

    con, full, step, lines, spy = incremental_against_full(tmp_path, catalogue, new)
    assert step.by_years[CONTACTS].years == (2024,)
    assert "år 2024 summerade på nytt, övriga år från körning 1" in lines[0]
    # the run's record says so; the full compute aggregated every year
    [(years,)] = con.execute("SELECT years FROM run_indicators WHERE run = 2").fetchall()
    assert years == [2024]
    assert full.execute("SELECT years FROM run_indicators WHERE run = 2").fetchall() == [(None,)]
    # the indicator's query ran for 2024 only: 2023's rows are the kept ones
    queries = [q for q in spy.sql if q.startswith(f"-- {CONTACTS}:")]
    assert queries and all("DATE '2024-01-01'" in q and "DATE '2023-01-01'" not in q for q in queries)
    # 400 contacts in 2024-01 (the file's rows), 800 in 2023: both years are published
    [(n2024,)] = con.execute(
        "SELECT denominator FROM results WHERE period = '2024' AND area_code = '05' AND breakdown = 'total'"
    ).fetchall()
    [(n2023,)] = con.execute(
        "SELECT denominator FROM results WHERE period = '2023' AND area_code = '05' AND breakdown = 'total'"
    ).fetchall()
    assert (n2023, n2024) == (800, 400)
    # nothing new since: nothing to recompute; and the next month is year-local again
    assert increment(con, catalogue, SOURCE).indicators == ()
    con.close()
    full.close()


def test_new_rows_of_an_older_year_recompute_that_year(tmp_path, catalogue):
    files = first_compute(tmp_path, catalogue, ["2023-05", "2024-01"])

    def new() -> None:
        con = connect(tmp_path / "a.duckdb")
        import_file(con, contacts_file(files, "2023-07", 300))  # a late delivery of an older year
        con.close()

    con, full, step, lines, _ = incremental_against_full(tmp_path, catalogue, new)
    assert step.by_years[CONTACTS].years == (2023,)
    assert "år 2023 summerade på nytt" in lines[0]
    [(n2023,)] = con.execute(
        "SELECT denominator FROM results WHERE period = '2023' AND area_code = '05' AND breakdown = 'total'"
    ).fetchall()
    assert n2023 == 700
    con.close()
    full.close()


def test_an_import_that_replaced_rows_recomputes_the_whole_indicator(tmp_path, catalogue):
    files = first_compute(tmp_path, catalogue, ["2023-05", "2024-01"])
    again = files / "again"
    again.mkdir()

    def new() -> None:
        con = connect(tmp_path / "a.duckdb")
        # the same contact ids delivered again with other values: the stored rows are replaced
        path = contacts_file(again, "2024-01", 400)
        path.write_text(path.read_text(encoding="utf-8").replace(",1\n", ",0\n"), encoding="utf-8")
        import_file(con, path)
        con.close()

    con, full, step, lines, _ = incremental_against_full(tmp_path, catalogue, new)
    assert step.by_years[CONTACTS].years == ()
    assert "hela indikatorn beräknad: en import ersatte lagrade rader" in lines[0]
    con.close()
    full.close()


def test_an_indicator_that_reads_across_years_is_recomputed_whole(tmp_path):
    # A follow-up after the period (a December stay's readmission in January) reads next year's rows.
    full = core_catalogue()
    followed = dataclasses.replace(full.indicator(CONTACTS), follow_up_days=30)
    catalogue = dataclasses.replace(full, indicators=(followed,))
    files = first_compute(tmp_path, catalogue, ["2023-12"])

    def new() -> None:
        con = connect(tmp_path / "a.duckdb")
        import_file(con, contacts_file(files, "2024-01", 400))
        con.close()

    con, other, step, lines, _ = incremental_against_full(tmp_path, catalogue, new)
    assert step.by_years[CONTACTS].years == ()
    assert "hela indikatorn beräknad: uppföljningen efter perioden" in lines[0]
    # 2023's year is complete only once January's delivery is in: it changed without a 2023 row
    [(complete,)] = con.execute(
        "SELECT complete FROM results WHERE period = '2023-12' AND area_code = '05' AND breakdown = 'total'"
    ).fetchall()
    assert complete
    con.close()
    other.close()


def test_cross_year_measures_are_named():
    catalogue = core_catalogue()
    assert "follow_up_days" in (why_not_by_years(catalogue.indicator("aterinskrivning_30d_65")) or "")
    assert why_not_by_years(catalogue.indicator(CONTACTS)) is None


def test_every_year_local_indicators_years_are_its_whole_query(demo_database):
    """The ground `--incremental` by year stands on: for every indicator it splices, the rows of
    the years queried one at a time are the rows of the whole query (the 2 % demo, 2020–2024)."""
    catalogue = core_catalogue()
    con = duckdb.connect(str(demo_database.db_path), read_only=True)
    years = [int(r[0]) for r in con.execute("SELECT DISTINCT year(period_start) FROM results").fetchall()]
    checked = 0
    for indicator in catalogue.indicators:
        if why_not_by_years(indicator) is not None:
            continue
        whole = indicator_rows(con, indicator)
        frames = [run_indicator_query(con, indicator, indicator_sql(indicator, y)) for y in sorted(years)]
        parts = pd.concat([f for f in frames if len(f)], ignore_index=True)
        key = ["area_code", "area_level", "period_type", "period_start", "breakdown", "sex", "age_band"]
        parts = parts.sort_values(key, na_position="last", kind="stable", ignore_index=True)
        pd.testing.assert_frame_equal(parts, whole, check_dtype=False)
        checked += 1
    assert checked >= 30
    con.close()


def test_without_kept_raw_cells_the_whole_indicator_is_recomputed(tmp_path, catalogue):
    # A database computed before raw cells were kept (or whose last compute of it failed).
    files = first_compute(tmp_path, catalogue, ["2023-05"])

    def new() -> None:
        con = connect(tmp_path / "a.duckdb")
        con.execute("DELETE FROM raw_cells")
        import_file(con, contacts_file(files, "2024-01", 400))
        con.close()

    con, full, step, lines, _ = incremental_against_full(tmp_path, catalogue, new)
    assert step.by_years[CONTACTS] == YearPlan((), "inga sparade celler från förra beräkningen")
    assert "hela indikatorn beräknad: inga sparade celler" in lines[0]
    # and this compute kept them: the next month is aggregated alone
    [(kept,)] = con.execute("SELECT count(DISTINCT run) FROM raw_cells").fetchall()
    assert kept == 1
    con.close()
    full.close()


STANDARDISED = "hembesok_75"  # home visits per 1 000 inhabitants 75+, age-standardised (ESP 2013)


def home_visits_file(
    folder: Path, month: str, n: int, kommuner: tuple[str, ...] = ("0580", "0581", "0561"), name: str = ""
) -> Path:
    """`n` contacts of persons aged 75–99 in three kommuner (or `kommuner`), every other one a home
    visit; `name` tells apart the ids and file of two files of one month."""
    lines = ["contact_id,person_id,kommun,sex,age,contact_date,care_unit,provider,profession,mode,planned"]
    for i in range(n):
        mode = "hembesok" if i % 2 == 0 else "mottagning"
        lines.append(
            f"H{name}{month}-{i},P{i % 151},{kommuner[i % len(kommuner)]},{'KM'[i % 2]},{75 + i % 25},"
            f"{month}-{1 + i % 28:02d},VC,region,lakare,{mode},1"
        )
    path = folder / f"contacts_home_visits{name}_{month}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def population_file(folder: Path, years: list[int]) -> Path:
    """40 inhabitants of each sex and year of age 75–99 in each of the three kommuner."""
    lines = ["kommun,year,sex,age,count"]
    for year in years:
        for kommun in ("0580", "0581", "0561"):
            for sex in "12":
                lines.extend(f"{kommun},{year},{sex},{age},40" for age in range(75, 100))
    path = folder / "population.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def standardised() -> Catalogue:
    full = core_catalogue()
    return dataclasses.replace(full, indicators=(full.indicator(STANDARDISED),))


def standardised_first_compute(tmp_path: Path, catalogue: Catalogue) -> Path:
    files = tmp_path / "files"
    files.mkdir()
    con = connect(tmp_path / "a.duckdb")
    import_file(con, population_file(files, [2023, 2024]))
    for month in ("2023-05", "2023-06"):
        import_file(con, home_visits_file(files, month, 600))
    compute_all(con, catalogue, catalogue_source=SOURCE)
    con.close()
    return files


def test_a_new_month_standardises_only_its_year_and_matches_a_full_compute(tmp_path, standardised):
    files = standardised_first_compute(tmp_path, standardised)

    def new() -> None:
        con = connect(tmp_path / "a.duckdb")
        import_file(con, home_visits_file(files, "2024-01", 600))
        con.close()

    con, full, step, _, spy = incremental_against_full(tmp_path, standardised, new)
    assert step.by_years[STANDARDISED].years == (2024,)
    # the standardisation's band query ran for 2024 only: 2023's bands are the kept ones
    bands = [q for q in spy.sql if q.startswith(f"-- {STANDARDISED}: age-standardised rate")]
    assert bands and all("DATE '2024-01-01'" in q and "DATE '2023-01-01'" not in q for q in bands)
    # ... and both years have standardised rates (the results equal a full compute's: above)
    published = con.execute(
        "SELECT DISTINCT period FROM results WHERE std_value IS NOT NULL AND period_type = 'year'"
    ).fetchall()
    assert sorted(p for (p,) in published) == ["2023", "2024"]
    # the next increment splices this run's bands: the kept ones are every year's
    kept = con.execute("SELECT DISTINCT year(period_start), run FROM raw_std_cells ORDER BY 1").fetchall()
    assert kept == [(2023, 2), (2024, 2)]
    con.close()
    full.close()


def test_without_kept_bands_every_year_is_standardised_afresh(tmp_path, standardised):
    # A database whose raw cells were kept before the bands were (or whose bands were lost).
    files = standardised_first_compute(tmp_path, standardised)

    def new() -> None:
        con = connect(tmp_path / "a.duckdb")
        con.execute("DELETE FROM raw_std_cells")
        import_file(con, home_visits_file(files, "2024-01", 600))
        con.close()

    con, full, step, _, spy = incremental_against_full(tmp_path, standardised, new)
    assert step.by_years[STANDARDISED].years == (2024,)  # the raw cells are still spliced
    [band_query] = [q for q in spy.sql if q.startswith(f"-- {STANDARDISED}: age-standardised rate")]
    assert "DATE '2024-01-01'" not in band_query  # the whole query, every year
    con.close()
    full.close()


def test_every_year_local_standardisations_years_are_its_whole_query(demo_database):
    """As above, for the standardisation's band rows of every age-standardised indicator."""
    from metrics.compute.standardise import standardised_rows

    catalogue = core_catalogue()
    con = duckdb.connect(str(demo_database.db_path), read_only=True)
    years = [int(r[0]) for r in con.execute("SELECT DISTINCT year(period_start) FROM results").fetchall()]
    checked = 0
    for indicator in catalogue.indicators:
        if indicator.standard_population.kind == "none" or why_not_by_years(indicator) is not None:
            continue
        whole = standardised_rows(con, indicator)
        parts = pd.concat([standardised_rows(con, indicator, y) for y in years], ignore_index=True)
        assert len(whole) > 0
        key = ["area_code", "area_level", "period_type", "period_start", "breakdown", "sex", "age_band"]
        whole, parts = (
            f.sort_values(key, na_position="last", kind="stable", ignore_index=True) for f in (whole, parts)
        )
        pd.testing.assert_frame_equal(parts, whole, check_dtype=False)
        checked += 1
    assert checked >= 10
    con.close()


def test_a_cross_year_indicator_is_not_standardised_one_year_at_a_time():
    from metrics.compute.standardise import standardised_sql

    # a readmission-like follow-up after the period reads the next year's rows
    crossing = dataclasses.replace(core_catalogue().indicator(STANDARDISED), follow_up_days=30)
    assert why_not_by_years(crossing) is not None
    with pytest.raises(ValueError, match="not standardised one year at a time"):
        standardised_sql(crossing, 2024)
