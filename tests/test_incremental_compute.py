"""`matavla compute --incremental`: after a new month is imported, only the indicators reading that
source are recomputed, and the results, their export and the disclosure audit are those of a full
compute of the same data."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from metrics.catalogue.model import Catalogue
from metrics.compute.engine import compute_all
from metrics.compute.runs import increment
from metrics.db import connect, get_meta
from metrics.export import export_results
from metrics.extracts import import_file
from tests.indicator_cases import core_catalogue

CONTACTS = "proaktiva_kontakter"  # reads contacts
EMERGENCY = "akut_vistelse_4h"  # reads emergency
SOURCE = b"catalogue v1"  # stands for the catalogue file's bytes (its hash is recorded per run)


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    full = core_catalogue()
    return dataclasses.replace(full, indicators=(full.indicator(CONTACTS), full.indicator(EMERGENCY)))


@pytest.fixture(autouse=True)
def quick_audit(monkeypatch):
    monkeypatch.setenv("MATAVLA_AUDIT_SECONDS", "5")


def contacts_file(folder: Path, month: str, n: int) -> Path:
    lines = ["contact_id,person_id,kommun,sex,age,contact_date,care_unit,provider,profession,mode,planned"]
    for i in range(n):
        kommun = ("0580", "0581", "0561")[i % 3]
        sex = "KM"[i % 2]
        planned = "1" if i % 5 < 2 else "0"
        lines.append(
            f"C{month}-{i},P{i % 97},{kommun},{sex},{20 + i % 70},{month}-{1 + i % 28:02d},VC,"
            f"region,lakare,mottagning,{planned}"
        )
    path = folder / f"contacts_{month}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def emergency_file(folder: Path, month: str, n: int) -> Path:
    lines = ["visit_id,person_id,kommun,sex,age,arrival,departure,admitted"]
    for i in range(n):
        kommun = ("0580", "0581", "0561")[i % 3]
        hours = 2 + i % 5  # 2–6 hours
        lines.append(
            f"E{month}-{i},P{i % 89},{kommun},{'KM'[i % 2]},{30 + i % 60},{month}-10 08:00,"
            f"{month}-10 {8 + hours:02d}:00,{i % 2}"
        )
    path = folder / f"emergency_{month}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def audit_entries(con: duckdb.DuckDBPyConnection) -> dict:
    entries = json.loads(get_meta(con, "audit") or "{}").get("indicators", {})
    return {k: {f: v for f, v in e.items() if f != "seconds"} for k, e in entries.items()}


def test_a_new_month_recomputes_only_its_sources_indicators_and_matches_a_full_compute(tmp_path, catalogue):
    files = tmp_path / "files"
    files.mkdir()
    db = tmp_path / "a.duckdb"
    con = connect(db)
    import_file(con, contacts_file(files, "2024-05", 600))
    import_file(con, emergency_file(files, "2024-05", 600))
    compute_all(con, catalogue, catalogue_source=SOURCE)
    import_file(con, contacts_file(files, "2024-06", 600))  # the new month
    con.close()
    shutil.copy(db, tmp_path / "b.duckdb")

    con = connect(db)
    step = increment(con, catalogue, SOURCE)
    assert step.indicators == (CONTACTS,)  # emergency was not imported again
    compute_all(con, catalogue, only=list(step.indicators), catalogue_source=SOURCE)
    full = connect(tmp_path / "b.duckdb")
    compute_all(full, catalogue, catalogue_source=SOURCE)

    export_results(con, tmp_path / "incremental.csv")
    export_results(full, tmp_path / "full.csv")
    assert (tmp_path / "incremental.csv").read_bytes() == (tmp_path / "full.csv").read_bytes()
    # the new month is in them (so the comparison is not of two stale exports)
    [(june,)] = con.execute(
        "SELECT count(*) FROM results WHERE indicator = ? AND period = '2024-06'", [CONTACTS]
    ).fetchall()
    assert june > 0
    assert audit_entries(con) == audit_entries(full)
    assert set(audit_entries(con)) == {CONTACTS, EMERGENCY}
    # Nothing new since: nothing to recompute.
    assert increment(con, catalogue, SOURCE).indicators == ()
    con.close()
    full.close()


def test_an_import_before_a_partial_run_is_not_forgotten(tmp_path, catalogue):
    # The partial run (`--indicator`) records every import present, including the emergency file
    # its indicator did not read: the emergency indicator must still be recomputed afterwards.
    files = tmp_path / "files"
    files.mkdir()
    con = connect(tmp_path / "a.duckdb")
    import_file(con, contacts_file(files, "2024-05", 300))
    import_file(con, emergency_file(files, "2024-05", 300))
    compute_all(con, catalogue, catalogue_source=SOURCE)
    import_file(con, emergency_file(files, "2024-06", 300))
    compute_all(con, catalogue, only=[CONTACTS], catalogue_source=SOURCE)

    assert increment(con, catalogue, SOURCE).indicators == (EMERGENCY,)


def test_a_changed_catalogue_or_new_population_recomputes_everything(tmp_path, catalogue):
    files = tmp_path / "files"
    files.mkdir()
    con = connect(tmp_path / "a.duckdb")
    import_file(con, contacts_file(files, "2024-05", 300))
    compute_all(con, catalogue, catalogue_source=SOURCE)

    assert increment(con, catalogue, b"catalogue v2").indicators is None
    assert increment(con, catalogue, SOURCE).indicators == ()  # nothing imported since
    population = files / "population_2024.csv"
    population.write_text("kommun,year,sex,age,count\n0580,2024,K,50,1000\n", encoding="utf-8")
    import_file(con, population)
    assert increment(con, catalogue, SOURCE).indicators == (CONTACTS, EMERGENCY)


def test_compute_incremental_on_the_command_line_recomputes_the_new_source_then_nothing(tmp_path):
    from click.testing import CliRunner

    from metrics.cli import main

    files = tmp_path / "files"
    files.mkdir()
    db = tmp_path / "a.duckdb"
    con = connect(db)
    import_file(con, contacts_file(files, "2024-05", 300))
    import_file(con, emergency_file(files, "2024-05", 300))
    con.close()
    catalog = Path(__file__).resolve().parent.parent / "indicators.yaml"
    both = ["--indicator", CONTACTS, "--indicator", EMERGENCY]
    args = ["compute", "--db", str(db), "--catalog", str(catalog), "--snabbkontroll"]
    runner = CliRunner()
    assert runner.invoke(main, [*args, *both]).exit_code == 0  # run 1: both
    con = connect(db)
    import_file(con, contacts_file(files, "2024-06", 300))
    con.close()

    second = runner.invoke(main, [*args, *both, "--incremental"])  # run 2: contacts only
    third = runner.invoke(main, [*args, *both, "--incremental"])  # nothing new: no run at all

    assert second.exit_code == 0 and third.exit_code == 0, second.output + third.output
    assert "1 av 2 indikatorer läser utdrag" in second.output
    assert "inget har importerats sedan de valda indikatorernas senaste beräkning" in third.output
    con = connect(db)
    runs = con.execute("SELECT run, indicators FROM compute_runs ORDER BY run").fetchall()
    assert runs == [(1, [CONTACTS, EMERGENCY]), (2, [CONTACTS])]
    con.close()


def test_an_indicator_that_failed_is_computed_again_by_the_next_incremental_run(tmp_path, catalogue):
    files = tmp_path / "files"
    files.mkdir()
    con = connect(tmp_path / "a.duckdb")
    import_file(con, contacts_file(files, "2024-05", 300))
    import_file(con, emergency_file(files, "2024-05", 300))
    compute_all(con, catalogue, catalogue_source=SOURCE)
    assert increment(con, catalogue, SOURCE).indicators == ()
    # the emergency indicator failed in the last run, its earlier results kept ('stale');
    # nothing was imported since
    con.execute("UPDATE run_indicators SET status = 'stale' WHERE indicator = ?", [EMERGENCY])

    assert increment(con, catalogue, SOURCE).indicators == (EMERGENCY,)


def test_a_run_with_another_audit_budget_recomputes_what_it_ran_with(tmp_path, catalogue, monkeypatch):
    # The budget decides which rung is published, and MATAVLA_AUDIT_ITERATIONS (or _SECONDS) is
    # set per run, outside the catalogue: results from a run with a small LP budget must not be
    # kept by an incremental run with a larger one, which a full compute may publish on another
    # rung. (Not a budget of 0: with no LP at all an indicator with hidden cells is refused.)
    files = tmp_path / "files"
    files.mkdir()
    con = connect(tmp_path / "a.duckdb")
    import_file(con, contacts_file(files, "2024-05", 300))
    import_file(con, emergency_file(files, "2024-05", 300))
    monkeypatch.setenv("MATAVLA_AUDIT_ITERATIONS", "40000")
    assert all(r.ok for r in compute_all(con, catalogue, catalogue_source=SOURCE))
    assert increment(con, catalogue, SOURCE).indicators == ()  # the same budget: nothing to do

    monkeypatch.delenv("MATAVLA_AUDIT_ITERATIONS")
    assert increment(con, catalogue, SOURCE).indicators == (CONTACTS, EMERGENCY)
    compute_all(con, catalogue, catalogue_source=SOURCE)
    assert increment(con, catalogue, SOURCE).indicators == ()
    # Only the last rung's budget changed: that too may publish other cells.
    monkeypatch.setenv("MATAVLA_AUDIT_LAST_RUNG_ITERATIONS", "7")
    assert increment(con, catalogue, SOURCE).indicators == (CONTACTS, EMERGENCY)
    con.close()
