"""Review of `compute --incremental` for the age standardisation (raw_std_cells, std11): each test
builds a small database, computes it incrementally and fully on a copy, and requires the same
results and export (`incremental_against_full`)."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pandas as pd
import pytest

from metrics.catalogue.model import Catalogue, StandardPopulation
from metrics.compute.engine import compute_all
from metrics.compute.runs import increment
from metrics.db import connect
from metrics.extracts import import_file
from metrics.extracts.coverage import parse_covers
from metrics.extracts.options import ImportOptions
from tests.indicator_cases import core_catalogue
from tests.test_incremental_years import (
    SOURCE,
    STANDARDISED,
    Spy,
    home_visits_file,
    incremental_against_full,
    population_file,
    results,
)


@pytest.fixture(autouse=True)
def quick_audit(monkeypatch):
    monkeypatch.setenv("MATAVLA_AUDIT_SECONDS", "5")


def catalogue_of(**changes) -> Catalogue:
    full = core_catalogue()
    indicator = dataclasses.replace(full.indicator(STANDARDISED), **changes)
    return dataclasses.replace(full, indicators=(indicator,))


def first(tmp_path: Path, catalogue: Catalogue, population: list[int], files_of) -> Path:
    files = tmp_path / "files"
    files.mkdir(exist_ok=True)
    con = connect(tmp_path / "a.duckdb")
    import_file(con, population_file(files, population))
    for path in files_of(files):
        import_file(con, path)
    compute_all(con, catalogue, catalogue_source=SOURCE)
    con.close()
    return files


def importing(tmp_path: Path, *paths_of, **kwargs):
    def new() -> None:
        con = connect(tmp_path / "a.duckdb")
        for path_of in paths_of:
            import_file(con, path_of(), **kwargs)
        con.close()

    return new


def incremental_and_full(tmp_path: Path, catalogue: Catalogue, new):
    """As `incremental_against_full`, without its assertions: (incremental, full) connections."""
    new()
    shutil.copy(tmp_path / "a.duckdb", tmp_path / "b.duckdb")
    con = connect(tmp_path / "a.duckdb")
    step = increment(con, catalogue, SOURCE)
    compute_all(
        con, catalogue, only=list(step.indicators or ()), catalogue_source=SOURCE, by_years=step.by_years
    )
    full = connect(tmp_path / "b.duckdb")
    compute_all(full, catalogue, catalogue_source=SOURCE)
    return con, full, step


def increment_years(tmp_path: Path, catalogue: Catalogue, new) -> tuple[int, ...]:
    """`incremental_against_full` (the increment matches a full compute: results, export, audit),
    then the years the increment queried afresh."""
    con, full, step, _, _ = incremental_against_full(tmp_path, catalogue, new)
    con.close()
    full.close()
    return step.by_years[STANDARDISED].years


def year_rows(con) -> list:
    return con.execute(
        "SELECT period, count(*), count(std_value) FROM results "
        "WHERE period_type = 'year' GROUP BY 1 ORDER BY 1"
    ).fetchall()


# ---------------------------------------------------------------------------------------------
# scenarios that should hold


def test_two_increments_in_a_row_match_a_full_compute(tmp_path):
    catalogue = catalogue_of()
    files = first(tmp_path, catalogue, [2023, 2024], lambda f: [home_visits_file(f, "2023-05", 600)])
    assert increment_years(
        tmp_path, catalogue, importing(tmp_path, lambda: home_visits_file(files, "2024-01", 600))
    ) == (2024,)
    # the second increment splices the first increment's (spliced) bands
    assert increment_years(
        tmp_path, catalogue, importing(tmp_path, lambda: home_visits_file(files, "2024-02", 300))
    ) == (2024,)


def test_a_file_spanning_new_year_touches_both_years(tmp_path):
    catalogue = catalogue_of()
    files = first(tmp_path, catalogue, [2023, 2024], lambda f: [home_visits_file(f, "2023-05", 600)])

    def spanning() -> Path:
        a = home_visits_file(files, "2023-12", 300, name="x").read_text(encoding="utf-8")
        b = home_visits_file(files, "2024-01", 300, name="y").read_text(encoding="utf-8").split("\n", 1)[1]
        path = files / "contacts_span.csv"
        path.write_text(a + b, encoding="utf-8")
        return path

    assert increment_years(tmp_path, catalogue, importing(tmp_path, spanning)) == (2023, 2024)


def test_a_new_kommun_in_an_older_year(tmp_path):
    catalogue = catalogue_of()
    files = first(
        tmp_path,
        catalogue,
        [2023, 2024],
        lambda f: [
            home_visits_file(f, "2023-05", 600, ("0580",)),
            home_visits_file(f, "2024-02", 600, ("0580",)),
        ],
    )
    assert increment_years(
        tmp_path,
        catalogue,
        importing(tmp_path, lambda: home_visits_file(files, "2023-07", 300, ("0561",), "n")),
    ) == (2023,)


def test_a_new_year_without_population(tmp_path):
    catalogue = catalogue_of()
    files = first(tmp_path, catalogue, [2023, 2024], lambda f: [home_visits_file(f, "2023-05", 600)])
    assert increment_years(
        tmp_path, catalogue, importing(tmp_path, lambda: home_visits_file(files, "2025-01", 600))
    ) == (2025,)


def test_a_lan_standard_population(tmp_path):
    catalogue = catalogue_of(standard_population=StandardPopulation(kind="lan", lan="05", year=2023))
    files = first(tmp_path, catalogue, [2023, 2024], lambda f: [home_visits_file(f, "2023-05", 600)])
    con, full, step, _, _ = incremental_against_full(
        tmp_path, catalogue, importing(tmp_path, lambda: home_visits_file(files, "2024-01", 600))
    )
    assert step.by_years[STANDARDISED].years == (2024,)
    assert con.execute("SELECT count(*) FROM results WHERE std_value IS NOT NULL").fetchone()[0] > 0
    con.close()
    full.close()


def test_without_a_sex_breakdown(tmp_path):
    catalogue = catalogue_of(breakdowns=())
    files = first(tmp_path, catalogue, [2023, 2024], lambda f: [home_visits_file(f, "2023-05", 600)])
    assert increment_years(
        tmp_path, catalogue, importing(tmp_path, lambda: home_visits_file(files, "2024-01", 600))
    ) == (2024,)


def test_a_touched_year_without_home_visits(tmp_path):
    # the new month has contacts but no home visit at all: the year's bands are inhabitants only
    catalogue = catalogue_of()
    files = first(tmp_path, catalogue, [2023, 2024], lambda f: [home_visits_file(f, "2023-05", 600)])

    def no_visits() -> Path:
        path = home_visits_file(files, "2024-01", 300)
        path.write_text(path.read_text(encoding="utf-8").replace("hembesok", "mottagning"), encoding="utf-8")
        return path

    assert increment_years(tmp_path, catalogue, importing(tmp_path, no_visits)) == (2024,)


def test_a_failed_increment_then_another(tmp_path):
    """The standardisation fails in an increment (after the raw cells were spliced): nothing of
    that run is kept; the next increment must still equal a full compute."""
    catalogue = catalogue_of()
    files = first(tmp_path, catalogue, [2023, 2024], lambda f: [home_visits_file(f, "2023-05", 600)])
    con = connect(tmp_path / "a.duckdb")
    import_file(con, home_visits_file(files, "2024-01", 600))
    step = increment(con, catalogue, SOURCE)

    class Failing(Spy):
        def prepare(self, con):
            run = super().prepare(con)

            def failing(indicator, sql):
                if "age-standardised rate" in sql:
                    raise RuntimeError("boom")
                return run(indicator, sql)

            return failing

    [report] = compute_all(
        con,
        catalogue,
        only=list(step.indicators),
        catalogue_source=SOURCE,
        by_years=step.by_years,
        engine=Failing(),
    )
    assert not report.ok
    con.close()
    con, full, step, _, _ = incremental_against_full(
        tmp_path, catalogue, importing(tmp_path, lambda: home_visits_file(files, "2024-02", 300))
    )
    con.close()
    full.close()


def test_a_partial_run_of_another_indicator_in_between(tmp_path):
    full_catalogue = core_catalogue()
    catalogue = dataclasses.replace(
        full_catalogue,
        indicators=(full_catalogue.indicator(STANDARDISED), full_catalogue.indicator("proaktiva_kontakter")),
    )
    files = first(tmp_path, catalogue, [2023, 2024], lambda f: [home_visits_file(f, "2023-05", 600)])
    con = connect(tmp_path / "a.duckdb")
    import_file(con, home_visits_file(files, "2024-01", 600))
    compute_all(con, catalogue, only=["proaktiva_kontakter"], catalogue_source=SOURCE)
    con.close()
    assert increment_years(
        tmp_path, catalogue, importing(tmp_path, lambda: home_visits_file(files, "2024-02", 300))
    ) == (2024,)


# ---------------------------------------------------------------------------------------------
# coverage that changes in other ways than by an import's own months (found by review: before
# `coverage_prints`, both increments spliced 2023 as it was)


def test_a_reimport_that_narrows_coverage_recomputes_the_years_it_no_longer_covers(tmp_path):
    """Importing the same bytes again (`--replace --covers-period`) is how a user corrects a file's
    coverage (`coverage.forget_coverage_of_same_bytes`): the earlier import's coverage is deleted.
    A header-only file (a kommun's "no home visits in 2023") replaces no rows, and its new
    coverage is 2024 only; 2023's coverage changed, so 2023 is aggregated afresh too, and left
    uncovered as a full compute leaves it."""
    catalogue = catalogue_of()
    kommuner = parse_covers("0580,0581,0561", "2023-01:2023-12")
    files = tmp_path / "files"
    files.mkdir()
    empty = files / "contacts_none.csv"
    empty.write_text(
        "contact_id,person_id,kommun,sex,age,contact_date,care_unit,provider,profession,mode,planned\n",
        encoding="utf-8",
    )
    con = connect(tmp_path / "a.duckdb")
    import_file(con, population_file(files, [2023, 2024]))
    import_file(con, home_visits_file(files, "2024-01", 600))
    import_file(con, empty, covers=kommuner)
    compute_all(con, catalogue, catalogue_source=SOURCE)
    assert con.execute("SELECT count(*) FROM results WHERE period = '2023'").fetchone()[0] > 0
    con.close()

    def narrowed() -> None:
        con = connect(tmp_path / "a.duckdb")
        report = import_file(
            con,
            empty,
            covers=parse_covers("0580,0581,0561", "2024-01:2024-01"),
            options=ImportOptions(replace=True),
        )
        assert report.status == "ok" and report.rows_replaced == 0
        con.close()

    con, full, step = incremental_and_full(tmp_path, catalogue, narrowed)
    assert step.by_years[STANDARDISED].years == (2023, 2024)  # 2023's coverage went
    assert year_rows(con) == year_rows(full)
    assert "2023" not in {row[0] for row in year_rows(full)}  # no longer covered
    pd.testing.assert_frame_equal(results(con), results(full))
    con.close()
    full.close()


def test_rows_without_sex(tmp_path):
    # a declared extract may leave sex out: NULL sex in kept and fresh bands alike
    catalogue = catalogue_of()
    files = tmp_path / "files"
    files.mkdir()
    con = connect(tmp_path / "a.duckdb")
    import_file(con, population_file(files, [2023, 2024]))
    import_file(con, home_visits_file(files, "2023-05", 600))
    con.execute("UPDATE contacts SET sex = NULL WHERE hash(contact_id) % 7 = 0")
    compute_all(con, catalogue, catalogue_source=SOURCE)
    con.close()

    def new() -> None:
        con = connect(tmp_path / "a.duckdb")
        import_file(con, home_visits_file(files, "2024-01", 600))
        con.execute(
            "UPDATE contacts SET sex = NULL WHERE hash(contact_id) % 5 = 0 AND year(contact_date) = 2024"
        )
        con.close()

    con, full, step, _, _ = incremental_against_full(tmp_path, catalogue, new)
    assert step.by_years[STANDARDISED].years == (2024,)
    assert con.execute(
        "SELECT count(*) FROM raw_std_cells WHERE breakdown = 'sex' AND sex IS NULL"
    ).fetchone()[0]
    con.close()
    full.close()


def test_the_first_recorded_coverage_of_a_source_recomputes_every_year(tmp_path):
    """A source whose rows have no recorded coverage (`write_covered_months`: rows loaded without
    `matavla import`, or a database from before coverage was recorded) is covered by the default
    rule over all its rows. The first import that records coverage for it replaces that rule for
    the whole source: its older years lose their coverage, so the increment aggregates them
    afresh too, as a full compute does."""
    catalogue = catalogue_of()
    files = tmp_path / "files"
    files.mkdir()
    con = connect(tmp_path / "a.duckdb")
    import_file(con, population_file(files, [2023, 2024]))
    import_file(con, home_visits_file(files, "2023-05", 600))
    con.execute("DELETE FROM coverage WHERE extract = 'contacts'")  # as before coverage was recorded
    compute_all(con, catalogue, catalogue_source=SOURCE)
    assert con.execute("SELECT count(*) FROM results WHERE period = '2023'").fetchone()[0] > 0
    con.close()
    con, full, step = incremental_and_full(
        tmp_path, catalogue, importing(tmp_path, lambda: home_visits_file(files, "2024-01", 600))
    )
    assert step.by_years[STANDARDISED].years == (2023, 2024)
    assert year_rows(con) == year_rows(full)
    assert "2023" not in {row[0] for row in year_rows(full)}  # uncovered
    pd.testing.assert_frame_equal(results(con), results(full))
    con.close()
    full.close()


def test_cells_kept_without_the_coverage_of_their_run_recompute_the_whole_indicator(tmp_path):
    # A database computed before the coverage prints were kept: whether a year's coverage changed
    # since cannot be told, so nothing is spliced.
    catalogue = catalogue_of()
    files = first(tmp_path, catalogue, [2023, 2024], lambda f: [home_visits_file(f, "2023-05", 600)])
    con = connect(tmp_path / "a.duckdb")
    con.execute("DELETE FROM raw_coverage")
    con.close()
    con, full, step = incremental_and_full(
        tmp_path, catalogue, importing(tmp_path, lambda: home_visits_file(files, "2024-01", 600))
    )
    assert step.by_years[STANDARDISED].years == ()
    assert step.by_years[STANDARDISED].reason == "täckningen vid förra beräkningen är inte sparad"
    pd.testing.assert_frame_equal(results(con), results(full))
    con.close()
    full.close()


def test_only_the_runs_of_kept_cells_keep_their_coverage_prints(tmp_path):
    catalogue = catalogue_of()
    first(tmp_path, catalogue, [2023, 2024], lambda f: [home_visits_file(f, "2023-05", 600)])
    con = connect(tmp_path / "a.duckdb")
    compute_all(con, catalogue, catalogue_source=SOURCE)  # run 2 replaces run 1's raw cells
    runs = con.execute("SELECT DISTINCT run FROM raw_coverage ORDER BY run").fetchall()
    # the file covers May 2023 for Östergötland's 13 kommuner (its rows' län): 13 kommun-months
    months = con.execute(
        "SELECT months FROM raw_coverage WHERE source = 'contacts' AND year = 2023"
    ).fetchall()
    con.close()
    assert runs == [(2,)]
    assert months == [(13,)]
