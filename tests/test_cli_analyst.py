"""Small things that cost analysts time (issue 8, section 7).

Every command finds the database and catalogue the dashboard finds (MATAVLA_DB,
MATAVLA_CATALOG); `matavla sql ID` prints a query that runs as-is, without Python;
`matavla compute --indicator ID` leaves every other indicator's published results alone.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import click
import duckdb
import pytest
from click.testing import CliRunner

from metrics.catalogue.loader import load_catalogue
from metrics.cli import main
from metrics.compute.publication import applies, stored_plan, withheld

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "extracts"
CATALOGUE = ROOT / "indicators.yaml"
ONE = "proaktiva_kontakter"
ENV = {"db_path": "MATAVLA_DB", "catalog_path": "MATAVLA_CATALOG"}


@pytest.fixture(scope="module")
def computed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture extracts imported and the shipped catalogue computed once (run 1)."""
    db = tmp_path_factory.mktemp("analyst") / "matavla.duckdb"
    runner = CliRunner()
    assert runner.invoke(main, ["import", str(FIXTURES), "--db", str(db)]).exit_code == 0
    result = runner.invoke(main, ["compute", "--db", str(db), "--catalog", str(CATALOGUE)])
    assert result.exit_code == 0, result.output
    return db


# --- MATAVLA_DB and MATAVLA_CATALOG ----------------------------------------------------------


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_db_and_catalog_option_reads_the_dashboards_variables(command):
    for param in main.commands[command].params:
        if isinstance(param, click.Option) and param.name in ENV:
            assert param.envvar == ENV[param.name], f"matavla {command} {param.opts[0]}"


def test_check_reads_the_catalogue_named_in_matavla_catalog(tmp_path):
    broken = tmp_path / "min_katalog.yaml"
    broken.write_text(CATALOGUE.read_text(encoding="utf-8").replace("direction: higher", "direction: upp", 1))
    result = CliRunner().invoke(main, ["check"], env={"MATAVLA_CATALOG": str(broken)})
    assert result.exit_code == 1
    assert "min_katalog.yaml:" in result.output and "direction" in result.output


def test_export_and_compute_use_the_database_named_in_matavla_db(computed, tmp_path):
    db = tmp_path / "kopia.duckdb"
    shutil.copy(computed, db)
    env = {"MATAVLA_DB": str(db), "MATAVLA_CATALOG": str(CATALOGUE)}
    runner = CliRunner()
    assert runner.invoke(main, ["compute", "--indicator", ONE], env=env).exit_code == 0
    out = tmp_path / "ut.csv"
    assert runner.invoke(main, ["export", "--out", str(out)], env=env).exit_code == 0
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT max(run) FROM compute_runs").fetchone() == (2,)  # the copy got run 2
    con.close()
    assert out.read_text(encoding="utf-8").count(f"{ONE},") > 0


def test_an_explicit_option_wins_over_the_variable(tmp_path):
    result = CliRunner().invoke(
        main, ["check", "--catalog", str(CATALOGUE)], env={"MATAVLA_CATALOG": str(tmp_path / "saknas.yaml")}
    )
    assert result.exit_code == 0, result.output


# --- matavla sql runs as printed ---------------------------------------------------------------

CELL = ("area_code", "area_level", "period_type", "period_start", "breakdown", "sex", "age_band")


@pytest.mark.parametrize("ident", [i.id for i in load_catalogue(CATALOGUE).catalogue.indicators])
def test_the_printed_sql_runs_as_is_and_gives_the_published_numbers(computed, ident):
    """What the DuckDB CLI runs (`duckdb -readonly matavla.duckdb < fraga.sql`): the text as printed."""
    printed = CliRunner().invoke(main, ["sql", ident, "--catalog", str(CATALOGUE)])
    assert printed.exit_code == 0
    con = duckdb.connect(str(computed), read_only=True)  # fresh: no sandbox, no Python helper state
    try:
        rows = con.execute(printed.output).df()
        cells = con.execute("SELECT count(*) FROM results WHERE indicator = ?", [ident]).fetchone()
        published = con.execute(
            "SELECT * FROM results WHERE indicator = ? AND NOT suppressed AND NOT missing", [ident]
        ).df()
        plan = stored_plan(con)
    finally:
        con.close()
    # The SQL gives every cell; the publishing rule withholds some (docs/disclosure.md), which are
    # never stored: one stored row per cell it does not withhold, hidden ones too.
    indicator = load_catalogue(CATALOGUE).catalogue.indicator(ident)
    if plan is not None and applies(indicator):
        rows = rows[~withheld(rows, plan)]
    assert cells == (len(rows),)
    merged = published.merge(rows, on=list(CELL), how="left", suffixes=("", "_sql"), validate="1:1")
    assert (merged["numerator"] == merged["numerator_sql"].astype(float)).all()
    assert (merged["denominator"] == merged["denominator_sql"].astype(float)).all()


# --- compute --indicator leaves the others alone -----------------------------------------------


def _snapshot(db: Path, where: str, args: list[object]) -> list[tuple[str]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(f"SELECT CAST(r AS VARCHAR) AS row FROM {where} ORDER BY row", args).fetchall()
    finally:
        con.close()


@pytest.mark.parametrize("broken", [False, True], ids=["computed", "failing"])
def test_compute_one_indicator_leaves_the_others_published_results_untouched(computed, tmp_path, broken):
    db = tmp_path / "matavla.duckdb"
    shutil.copy(computed, db)
    catalogue = CATALOGUE
    if broken:  # the analyst's edit breaks the one indicator: it goes stale, the others stay
        catalogue = tmp_path / "indicators.yaml"
        text = CATALOGUE.read_text(encoding="utf-8")
        catalogue.write_text(text.replace("{count: rows, where: planned}", "{count: rows, where: planed}"))
    others_before = _snapshot(db, "results r WHERE indicator <> ?", [ONE])
    runs_before = _snapshot(db, "indicator_runs r WHERE indicator <> ?", [ONE])
    one_before = _snapshot(db, "results r WHERE indicator = ?", [ONE])

    result = CliRunner().invoke(
        main, ["compute", "--db", str(db), "--catalog", str(catalogue), "--indicator", ONE]
    )
    assert result.exit_code == (1 if broken else 0), result.output

    assert _snapshot(db, "results r WHERE indicator <> ?", [ONE]) == others_before
    assert _snapshot(db, "indicator_runs r WHERE indicator <> ?", [ONE]) == runs_before
    assert _snapshot(db, "results r WHERE indicator = ?", [ONE]) == one_before  # same data, same numbers
    con = duckdb.connect(str(db), read_only=True)
    try:
        run = con.execute(
            "SELECT run, indicators, status FROM compute_runs ORDER BY run DESC LIMIT 1"
        ).fetchone()
        assert run == (2, [ONE], "failed" if broken else "ok")
        shown = dict(
            con.execute("SELECT indicator, results_run FROM run_indicators WHERE run = 2").fetchall()
        )
        # Every other indicator still shows run 1's results; the one shows run 2's, or run 1's when stale.
        assert shown.pop(ONE) == (1 if broken else 2)
        assert set(shown.values()) == {1}
        assert len(shown) == len(load_catalogue(CATALOGUE).catalogue.indicators) - 1
    finally:
        con.close()
    # Run 2's snapshot in the history republishes the others exactly as run 1 did.
    kept = "(SELECT * EXCLUDE (run) FROM results_history WHERE run = ? AND indicator <> ?) r"
    assert _snapshot(db, kept, [2, ONE]) == _snapshot(db, kept, [1, ONE]) == others_before
