"""Compute runs: numbered and recorded, a bounded history to export from, stale results kept safely."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from click.testing import CliRunner

from metrics.catalogue.model import Catalogue
from metrics.cli import main
from metrics.compute.engine import compute_all, write_areas
from metrics.compute.runs import failure_of
from metrics.db import ensure_schema
from metrics.errors import ComputeError, MatavlaError
from metrics.export import export_results
from tests.indicator_cases import core_catalogue, insert

ID = "proaktiva_kontakter"  # planned contacts / all contacts, from `contacts`
# A value that looks like a pseudonymised person id: it must never leave the database.
PERSON_ID = "P60654173"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    full = core_catalogue()
    return dataclasses.replace(full, indicators=(full.indicator(ID),))


def contacts(kommun: str, total: int, planned: int, prefix: str) -> list[tuple[Any, ...]]:
    return [
        (
            f"{prefix}{i}",
            f"{PERSON_ID}{prefix}{i}",
            kommun,
            "K",
            50,
            "2024-05-02",
            "VC",
            "region",
            "lakare",
            "",
            "mottagning",
            i < planned,
        )
        for i in range(total)
    ]


def new_db(path: Path | None, catalogue: Catalogue) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path) if path else ":memory:")
    ensure_schema(con)
    write_areas(con, catalogue)
    insert(con, "contacts", contacts("0580", 100, 40, "a"))
    insert(con, "contacts", contacts("0581", 200, 60, "b"))
    return con


def log_import(con: duckdb.DuckDBPyConnection, import_id: int, content_hash: str, status: str = "ok") -> None:
    con.execute(
        "INSERT INTO import_log VALUES (?, 'contacts.csv', 'contacts', NULL, ?, ?, 1, 1, 0, 0, NULL, "
        "TIMESTAMP '2025-01-01 10:00:00', 0.1, NULL)",
        [import_id, content_hash, status],
    )


def broken(catalogue: Catalogue, where: str = "no_such_column = 1") -> Catalogue:
    """The same indicator (same id) with a filter that makes its SQL fail."""
    return dataclasses.replace(
        catalogue, indicators=(dataclasses.replace(catalogue.indicators[0], where=where),)
    )


def results_of(con: duckdb.DuckDBPyConnection, indicator: str = ID) -> pd.DataFrame:
    return con.execute(
        "SELECT * FROM results WHERE indicator = ? ORDER BY area_code, period, breakdown, sex, age_band",
        [indicator],
    ).df()


def test_each_compute_is_a_numbered_run_with_its_catalogue_hash_and_imports(catalogue: Catalogue) -> None:
    con = new_db(None, catalogue)
    log_import(con, 1, "hash-one")
    log_import(con, 2, "hash-two")
    log_import(con, 3, "hash-one", status="unchanged")  # a re-import that changed nothing
    first = compute_all(con, catalogue, catalogue_source=b"abc")
    second = compute_all(con, catalogue, catalogue_source=b"abc")

    assert [r.run for r in first] == [1] and [r.run for r in second] == [2]
    runs = con.execute(
        "SELECT run, status, succeeded, failed, catalogue_hash, catalogue_text, import_ids, import_hashes, "
        "started_at <= finished_at FROM compute_runs ORDER BY run"
    ).fetchall()
    # sha256("abc") is the FIPS 180-2 test vector
    abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert runs[0] == (1, "ok", [ID], [], abc, "abc", [1, 2], ["hash-one", "hash-two"], True)
    assert runs[1][0] == 2


def test_a_failing_indicator_keeps_its_last_good_results_marked_stale(catalogue: Catalogue) -> None:
    con = new_db(None, catalogue)
    compute_all(con, catalogue)
    good = results_of(con)
    assert len(good) > 0

    reports = compute_all(con, broken(catalogue))

    assert not reports[0].ok and reports[0].run == 2
    # the rows the board shows are still the good ones, unchanged
    pd.testing.assert_frame_equal(results_of(con), good)
    assert con.execute("SELECT status FROM indicator_runs WHERE indicator = ?", [ID]).fetchall() == [
        ("stale",)
    ]
    state = con.execute(
        "SELECT status, results_run, error_kind FROM run_indicators WHERE run = 2 AND indicator = ?", [ID]
    ).fetchone()
    # the sandbox reports a catalogue-SQL failure as its own safe error (kind and YAML line)
    assert state == ("stale", 1, "IndicatorSqlError")
    # failing again keeps pointing at run 1; computing fine again makes it fresh
    compute_all(con, broken(catalogue))
    assert con.execute("SELECT results_run FROM run_indicators WHERE run = 3").fetchone() == (1,)
    compute_all(con, catalogue)
    assert con.execute("SELECT status, results_run FROM run_indicators WHERE run = 4").fetchone() == ("ok", 4)


def test_an_indicator_that_never_computed_is_an_error_with_no_rows(catalogue: Catalogue) -> None:
    con = new_db(None, catalogue)
    compute_all(con, broken(catalogue))
    assert results_of(con).empty
    assert con.execute("SELECT status FROM indicator_runs").fetchall() == [("error",)]


def test_a_database_message_quoting_a_value_is_never_stored(catalogue: Catalogue) -> None:
    con = new_db(None, catalogue)
    # DuckDB: "Conversion Error: Could not convert string 'P60654173a0' to INT32 …"
    reports = compute_all(con, broken(catalogue, where="CAST(person_id AS INTEGER) > 0"))

    assert not reports[0].ok
    assert PERSON_ID not in (reports[0].message or "")
    assert "typfel" in (reports[0].message or "")  # the kind of error, never its text
    stored = con.execute(
        "SELECT string_agg(coalesce(message, ''), ' ') FROM indicator_runs "
        "UNION ALL SELECT string_agg(coalesce(message, '') || coalesce(error_kind, ''), ' ') "
        "FROM run_indicators"
    ).fetchall()
    assert all(PERSON_ID not in str(text) for (text,) in stored)


def test_a_domain_error_is_shown_as_written_any_other_by_its_type_only() -> None:
    assert (
        failure_of(ComputeError("x", "täljaren saknas (rad 12)")).message
        == "indikator 'x': täljaren saknas (rad 12)"
    )
    other = failure_of(ValueError(f"could not convert {PERSON_ID}"))
    assert PERSON_ID not in other.message and "ValueError" in other.message
    assert other.kind == "ValueError"


def test_export_of_a_run_is_byte_identical_after_later_computes(tmp_path: Path, catalogue: Catalogue) -> None:
    db = tmp_path / "runs.duckdb"
    con = new_db(db, catalogue)
    compute_all(con, catalogue)
    export_results(con, tmp_path / "after_run_1.csv")
    insert(con, "contacts", contacts("0583", 50, 10, "c"))  # new data: run 2 publishes more
    compute_all(con, catalogue)
    con.close()

    runner = CliRunner()
    for args in (["--run", "1", "--out", str(tmp_path / "run_1.csv")], ["--out", str(tmp_path / "now.csv")]):
        result = runner.invoke(main, ["export", "--db", str(db), *args])
        assert result.exit_code == 0, result.output
    published = (tmp_path / "after_run_1.csv").read_bytes()
    assert (tmp_path / "run_1.csv").read_bytes() == published
    assert (tmp_path / "now.csv").read_bytes() != published
    assert b",0583," in (tmp_path / "now.csv").read_bytes()


def test_the_history_keeps_only_the_last_runs(tmp_path: Path, catalogue: Catalogue) -> None:
    con = new_db(None, catalogue)
    for _ in range(3):
        compute_all(con, catalogue, catalogue_source=b"x", keep_runs=2)

    assert con.execute("SELECT DISTINCT run FROM results_history ORDER BY run").fetchall() == [(2,), (3,)]
    # every run stays listed; a run out of the history no longer keeps its catalogue text
    listed = con.execute("SELECT run, catalogue_text IS NOT NULL FROM compute_runs ORDER BY run").fetchall()
    assert listed == [(1, False), (2, True), (3, True)]
    with pytest.raises(MatavlaError, match="körning 1 finns inte i historiken"):
        export_results(con, tmp_path / "x.csv", run=1)


def test_keep_runs_is_an_option_of_compute_and_at_least_one(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["compute", "--db", str(tmp_path / "x.duckdb"), "--keep-runs", "0"])
    assert result.exit_code == 2 and "0 is not in the range x>=1" in result.output


def test_a_partial_run_keeps_the_other_indicators_as_they_were(catalogue: Catalogue) -> None:
    full = core_catalogue()
    two = dataclasses.replace(full, indicators=(full.indicator(ID), full.indicator("digitala_kontakter")))
    con = new_db(None, two)
    compute_all(con, two)
    digital = results_of(con, "digitala_kontakter")
    compute_all(con, two, only=[ID])

    pd.testing.assert_frame_equal(results_of(con, "digitala_kontakter"), digital)
    states = con.execute(
        "SELECT indicator, results_run FROM run_indicators WHERE run = 2 ORDER BY 1"
    ).fetchall()
    assert states == [("digitala_kontakter", 1), (ID, 2)]
    assert con.execute("SELECT count(DISTINCT indicator) FROM results_history WHERE run = 2").fetchone() == (
        2,
    )


def test_an_indicator_left_out_for_a_yaml_error_keeps_its_results(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    db, catalog = tmp_path / "cli.duckdb", tmp_path / "indicators.yaml"
    full = core_catalogue()
    new_db(db, full).close()
    text = (ROOT / "indicators.yaml").read_text(encoding="utf-8")
    catalog.write_text(text, encoding="utf-8")
    runner = CliRunner()
    first = runner.invoke(main, ["compute", "--db", str(db), "--catalog", str(catalog)])
    assert "Körning 1:" in first.output
    with duckdb.connect(str(db), read_only=True) as con:
        before = results_of(con)
    assert len(before) > 0

    at = text.index(f"id: {ID}")  # an unknown direction leaves this indicator out of the catalogue
    catalog.write_text(
        text[:at] + text[at:].replace("direction: higher", "direction: upp", 1), encoding="utf-8"
    )
    second = runner.invoke(main, ["compute", "--db", str(db), "--catalog", str(catalog)])

    assert second.exit_code == 1 and "Körning 2:" in second.output
    with duckdb.connect(str(db), read_only=True) as con:
        pd.testing.assert_frame_equal(results_of(con), before)
