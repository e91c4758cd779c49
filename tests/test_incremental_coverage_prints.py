"""The covered months' fingerprints (`coverage.coverage_prints`) tell different coverages of a year
apart, so `compute --incremental` re-aggregates a year whose coverage changed however it changed
(found by review: `bit_xor(hash(kommun, month))` was 0 for any even × even block)."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from metrics.catalogue.model import Catalogue
from metrics.compute.engine import compute_all
from metrics.db import connect
from metrics.extracts import import_file
from metrics.extracts.coverage import coverage_prints, parse_covers
from metrics.extracts.options import ImportOptions
from tests.indicator_cases import core_catalogue
from tests.test_incremental_coverage_and_bands import incremental_and_full
from tests.test_incremental_years import CONTACTS, SOURCE, results

HEADER = "contact_id,person_id,kommun,sex,age,contact_date,care_unit,provider,profession,mode,planned"
JAMTLAND = ("2303", "2305", "2309", "2313", "2321", "2326", "2361", "2380")
OSTERGOTLAND = ("0509", "0512", "0513", "0560", "0561", "0562", "0563", "0580", "0581", "0582", "0583")


@pytest.fixture(autouse=True)
def quick_audit(monkeypatch):
    monkeypatch.setenv("MATAVLA_AUDIT_SECONDS", "5")


def contacts_catalogue() -> Catalogue:
    full = core_catalogue()
    return dataclasses.replace(full, indicators=(full.indicator(CONTACTS),))


def jamtland_contacts(folder: Path, months: list[str], n: int) -> Path:
    lines = [HEADER]
    for month in months:
        for i in range(n):
            lines.append(
                f"J{month}-{i},P{i % 89},{JAMTLAND[i % len(JAMTLAND)]},{'KM'[i % 2]},{20 + i % 70},"
                f"{month}-{1 + i % 28:02d},VC,region,lakare,mottagning,{'1' if i % 5 < 2 else '0'}"
            )
    path = folder / "contacts_jamtland.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# The fingerprint itself


def _coverage_of(con: duckdb.DuckDBPyConnection, kommuner: tuple[str, ...], first: date, last: date) -> None:
    con.execute("DELETE FROM coverage")
    con.executemany(
        "INSERT INTO coverage VALUES (1, 'contacts', ?, ?, ?, 'option')", [(k, first, last) for k in kommuner]
    )


def test_two_different_coverages_of_a_year_have_different_prints(tmp_path):
    """DuckDB's hash(kommun, month) combines the two column hashes so that hash(a, m) ^ hash(b, n)
    == hash(a, n) ^ hash(b, m): the XOR over any even × even rectangle of kommuner × months was 0,
    and two kommuner in January–February had the print of two others in March–April."""
    con = connect(tmp_path / "p.duckdb")
    _coverage_of(con, ("0580", "0581"), date(2023, 1, 1), date(2023, 2, 1))
    before = coverage_prints(con)[("contacts", 2023)]
    _coverage_of(con, ("2380", "2361"), date(2023, 3, 1), date(2023, 4, 1))
    after = coverage_prints(con)[("contacts", 2023)]
    con.close()
    assert before != after, f"different covered months, same print {before}"


# ---------------------------------------------------------------------------------------------
# End to end: a year whose coverage went back to the default rule is aggregated afresh


def test_forgetting_the_only_recorded_coverage_of_a_source_matches_a_full_compute(tmp_path):
    """Contacts from before coverage was recorded (Jämtland's 8 kommuner, January 2023 to March
    2024: the default rule covers 8 kommuner × 12 months of 2023). A header-only file declares
    12 kommuner covered in January–August 2023 (`--covers`), and the indicator is computed with
    that coverage. Re-importing the same bytes with `--replace` and no `--covers` forgets the
    declaration (`forget_coverage_of_same_bytes`) and records nothing: the source is back on the
    default rule. 2023's covered months changed (12 × 8 → 8 × 12 kommun-months, 96 both): so its
    print, and 2023 is aggregated afresh, as a full compute does. (With the old print both were
    (96, 0), and 2023 was spliced from the run that used the declaration.)"""
    catalogue = contacts_catalogue()
    files = tmp_path / "files"
    files.mkdir()
    declared = files / "contacts_declared.csv"
    declared.write_text(HEADER + "\n", encoding="utf-8")
    con = connect(tmp_path / "a.duckdb")
    import_file(con, jamtland_contacts(files, ["2023-01", "2024-03"], 240))
    con.execute("DELETE FROM coverage WHERE extract = 'contacts'")  # as before coverage was recorded
    twelve = ",".join((*JAMTLAND[:4], *OSTERGOTLAND[:8]))
    report = import_file(con, declared, covers=parse_covers(twelve, "2023-01:2023-08"))
    assert report.status == "ok"
    compute_all(con, catalogue, catalogue_source=SOURCE)
    then = coverage_prints(con)
    con.close()

    def back_on_the_default_rule() -> None:
        con = connect(tmp_path / "a.duckdb")
        report = import_file(con, declared, options=ImportOptions(replace=True))
        assert report.status == "ok" and report.rows_replaced == 0
        now = coverage_prints(con)
        con.close()
        assert then[("contacts", 2023)] != now[("contacts", 2023)]

    con, full, step = incremental_and_full(tmp_path, catalogue, back_on_the_default_rule)
    try:
        assert step.by_years[CONTACTS].years == (2023, 2024)
        covered_2023 = "SELECT count(*) FROM results WHERE period = '2023' AND NOT missing"
        assert con.execute(covered_2023).fetchall() == full.execute(covered_2023).fetchall()
        pd.testing.assert_frame_equal(results(con), results(full))
    finally:
        con.close()
        full.close()
