"""Review of compute runs (issue 6.4): a hostile or clumsy user's cases that the runs work must survive."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from metrics.catalogue.loader import load_catalogue
from metrics.catalogue.model import Catalogue
from metrics.cli import main
from metrics.compute.engine import compute_all
from metrics.dashboard.source import context
from metrics.errors import CatalogueError, MatavlaError
from metrics.export import export_results
from tests.test_compute_runs import ID, PERSON_ID, broken, new_db

ROOT = Path(__file__).resolve().parents[1]


def ids(catalogue: Catalogue) -> list[str]:
    return [i.id for i in catalogue.indicators]


def touch_later(path: Path) -> None:
    """Move the file's modification time a second on, so the board sees a new version."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def leave_out_indicator(path: Path) -> None:
    """An unknown `direction` in ID's YAML: the loader leaves ID out, the rest of the file loads."""
    text = path.read_text(encoding="utf-8")
    at = text.index(f"id: {ID}")
    path.write_text(text[:at] + text[at:].replace("direction: higher", "direction: upp", 1), encoding="utf-8")
    touch_later(path)


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "indicators.yaml"
    shutil.copy(ROOT / "indicators.yaml", path)
    yield path
    context._catalogues.pop(str(path.resolve()), None)
    context._last_good.pop(str(path.resolve()), None)


def test_an_indicator_left_out_for_a_yaml_error_stays_on_the_board(catalog: Path) -> None:
    """Compute keeps its results, so the board must keep its definition too, and say the file is broken."""
    assert ID in ids(context.load_catalogue_cached(catalog))
    leave_out_indicator(catalog)
    assert ID not in ids(load_catalogue(catalog).catalogue)  # the loader really leaves it out

    state = context.catalogue_state(catalog)
    assert ID in ids(state.catalogue)
    assert state.broken_since is not None and state.problem is not None
    assert state.problem.startswith("indicators.yaml:") and "upp" in state.problem
    # a worse break afterwards still falls back on the catalogue that had the indicator
    text = catalog.read_text(encoding="utf-8")
    catalog.write_text(text.replace("\n  - id: ", "\n\t- id: ", 1), encoding="utf-8")
    touch_later(catalog)
    assert ID in ids(context.catalogue_state(catalog).catalogue)
    # a process that never saw a valid file, with no run to fall back on: what loads, with the notice
    shutil.copy(ROOT / "indicators.yaml", catalog)
    leave_out_indicator(catalog)
    context._catalogues.pop(str(catalog.resolve()), None)
    context._last_good.pop(str(catalog.resolve()), None)
    state = context.catalogue_state(catalog)
    assert ID not in ids(state.catalogue) and len(state.catalogue.indicators) > 0
    assert state.broken_since is not None


def test_after_a_restart_the_board_falls_back_on_a_stored_catalogue_that_had_the_indicator(
    catalog: Path, tmp_path: Path
) -> None:
    """Run 1 read a good file; run 2 (the CLI's partial run) read the file with ID left out."""
    db = tmp_path / "board.duckdb"
    cat = load_catalogue(catalog).catalogue
    new_db(db, cat).close()
    runner = CliRunner()
    assert runner.invoke(main, ["compute", "--db", str(db), "--catalog", str(catalog)]).exit_code == 0
    leave_out_indicator(catalog)
    second = runner.invoke(main, ["compute", "--db", str(db), "--catalog", str(catalog)])
    assert second.exit_code == 1 and "Körning 2:" in second.output

    # a restart with a file that is now wholly broken
    text = catalog.read_text(encoding="utf-8")
    catalog.write_text(text.replace("\n  - id: ", "\n\t- id: ", 1), encoding="utf-8")
    touch_later(catalog)
    context._catalogues.pop(str(catalog.resolve()), None)
    context._last_good.pop(str(catalog.resolve()), None)

    state = context.catalogue_state(catalog, db)
    assert state.source == "run"
    assert ID in ids(state.catalogue)  # its kept results have a page to be shown on


def test_export_of_a_kept_run_that_published_no_rows_is_an_empty_export(tmp_path: Path) -> None:
    """Run 1: the only indicator fails and was never computed, so run 1 published 0 rows."""
    full = load_catalogue(ROOT / "indicators.yaml").catalogue
    one = dataclasses.replace(full, indicators=(full.indicator(ID),))
    db = tmp_path / "zero.duckdb"
    con = new_db(db, one)
    compute_all(con, broken(one))
    export_results(con, tmp_path / "after_run_1.csv")
    con.close()

    result = CliRunner().invoke(
        main, ["export", "--db", str(db), "--run", "1", "--out", str(tmp_path / "run_1.csv")]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "run_1.csv").read_bytes() == (tmp_path / "after_run_1.csv").read_bytes()
    # and a run that never was is still refused in Swedish
    with duckdb.connect(str(db)) as con, pytest.raises(MatavlaError, match="körning 7 finns inte"):
        export_results(con, tmp_path / "x.csv", run=7)


def test_computing_an_unknown_indicator_is_a_swedish_error_not_a_traceback(tmp_path: Path) -> None:
    db = tmp_path / "x.duckdb"
    result = CliRunner().invoke(
        main, ["compute", "--db", str(db), "--catalog", str(ROOT / "indicators.yaml"), "--indicator", "nope"]
    )
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # handled, not a DuckDB InvalidInputException
    assert "nope" in result.output and "executemany" not in result.output


def test_a_second_compute_while_one_runs_is_a_swedish_error(tmp_path: Path) -> None:
    """Two computes at once: DuckDB lets one process write; the other must say so, not crash."""
    db = tmp_path / "busy.duckdb"
    duckdb.connect(str(db)).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ok', flush=True); "
            "time.sleep(60)",
            str(db),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        result = CliRunner().invoke(
            main, ["compute", "--db", str(db), "--catalog", str(ROOT / "indicators.yaml"), "--wait", "1"]
        )
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    # it waits (--wait 1), then says so in Swedish: "användes fortfarande av ett annat program"
    assert "användes" in result.output and "Conflicting lock" not in result.output


def test_with_nothing_to_fall_back_on_the_error_names_the_file_not_its_path_on_the_server(
    catalog: Path, tmp_path: Path
) -> None:
    """The board shows this error to every viewer ('Teknisk information: CatalogueError: …')."""
    text = catalog.read_text(encoding="utf-8")
    catalog.write_text(text.replace("\n  - id: ", "\n\t- id: ", 1), encoding="utf-8")
    with pytest.raises(CatalogueError) as raised:
        context.catalogue_state(catalog, tmp_path / "none.duckdb")
    assert "indicators.yaml:21:" in str(raised.value)  # where the tab is: the file and its line
    assert str(tmp_path) not in str(raised.value)


def test_an_export_with_stale_rows_says_which_indicators_are_stale(tmp_path: Path) -> None:
    """Run 1 computes ID; run 2 fails it, so the export after run 2 carries run 1's rows for it."""
    full = load_catalogue(ROOT / "indicators.yaml").catalogue
    one = dataclasses.replace(full, indicators=(full.indicator(ID),))
    db = tmp_path / "stale.duckdb"
    con = new_db(db, one)
    compute_all(con, one)
    compute_all(con, broken(one))
    con.close()

    runner = CliRunner()
    now = runner.invoke(main, ["export", "--db", str(db), "--out", str(tmp_path / "now.csv")])
    first = runner.invoke(main, ["export", "--db", str(db), "--run", "1", "--out", str(tmp_path / "1.csv")])
    assert now.exit_code == 0 and first.exit_code == 0
    assert "inaktuella" in now.output and ID in now.output
    assert "inaktuella" not in first.output  # run 1 computed it


def test_an_error_text_stored_before_runs_is_not_shown_on_the_data_page(tmp_path: Path) -> None:
    """Before runs, compute stored DuckDB's own first line, which can quote a person-level value."""
    from metrics.dashboard.source.data import read_coverage

    full = load_catalogue(ROOT / "indicators.yaml").catalogue
    one = dataclasses.replace(full, indicators=(full.indicator(ID),))
    db = tmp_path / "upgraded.duckdb"
    con = new_db(db, one)
    legacy = f"Conversion Error: Could not convert string '{PERSON_ID}x' to INT32"
    con.execute(
        "INSERT INTO indicator_runs VALUES ('sip_per_1000', 'error', ?, 0, 0.1, TIMESTAMP '2025-01-01')",
        [legacy],
    )
    compute_all(con, broken(one), only=[ID])  # a run after the upgrade that does not recompute sip_per_1000
    con.close()

    runs = read_coverage(db).runs  # the Data page's table and its Excel download
    shown = " ".join(str(m) for m in runs["message"])
    assert PERSON_ID not in shown and "Could not convert" not in shown
    assert "ConversionException" not in shown and "okänd kolumn" in shown  # the new failure is still told
