"""The command line end to end on the committed fixture extracts (tests/fixtures/extracts).

The fixture holds, among others: 12 contacts in Linköping (6 planned, 3 by video) and
10 in Norrköping (5 planned, none digital), one contact with the unknown kommun 9999,
and a listing snapshot where 9 of 12 in Linköping and 5 of 10 in Norrköping have a
named GP. The numbers below follow from those rows.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from click.testing import CliRunner

from metrics.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "extracts"
ROOT = Path(__file__).resolve().parents[1]
CONTRACT_COLUMNS = [
    "indicator",
    "area_code",
    "area_level",
    "period",
    "numerator",
    "denominator",
    "value",
    "ci_low",
    "ci_high",
    "suppressed",
]


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> tuple[Path, list[dict[str, str]]]:
    work = tmp_path_factory.mktemp("cli")
    db = work / "test.duckdb"
    runner = CliRunner()
    imported = runner.invoke(main, ["import", str(FIXTURES), "--db", str(db)])
    assert imported.exit_code == 0, imported.output
    computed = runner.invoke(main, ["compute", "--db", str(db), "--catalog", str(ROOT / "indicators.yaml")])
    assert computed.exit_code == 0, computed.output
    out = work / "results.csv"
    result = runner.invoke(main, ["export", "--db", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return db, rows


def find(rows: list[dict[str, str]], indicator: str, area: str, period: str = "2024") -> dict[str, str]:
    matches = [
        r
        for r in rows
        if r["indicator"] == indicator
        and r["area_code"] == area
        and r["period"] == period
        and r["breakdown"] == "total"
    ]
    assert len(matches) == 1
    return matches[0]


def test_export_has_the_contract_columns_first(exported):
    _, rows = exported
    assert list(rows[0])[: len(CONTRACT_COLUMNS)] == CONTRACT_COLUMNS
    assert {"sex", "age_band"} <= set(rows[0])


def test_export_values_match_the_fixture_by_hand(exported):
    _, rows = exported
    planned = find(rows, "proaktiva_kontakter", "0580")
    assert (planned["numerator"], planned["denominator"], planned["value"]) == ("6", "12", "50")
    assert planned["suppressed"] == "false" and planned["area_level"] == "kommun"
    lan = find(rows, "proaktiva_kontakter", "05")
    assert (lan["numerator"], lan["denominator"], lan["area_level"]) == ("11", "22", "lan")
    listed = find(rows, "fast_lakarkontakt", "05")
    assert float(listed["value"]) == pytest.approx(100 * 14 / 22)
    assert float(listed["ci_low"]) < float(listed["value"]) < float(listed["ci_high"])


def test_suppressed_cells_are_exported_without_numbers(exported):
    _, rows = exported
    # 3 video contacts in Linköping: a count of 1-4, hidden
    digital = find(rows, "digitala_kontakter", "0580")
    assert digital["suppressed"] == "true"
    assert digital["numerator"] == digital["denominator"] == digital["value"] == digital["ci_low"] == ""


def test_rejected_rows_are_kept_aside_and_re_import_changes_nothing(exported):
    db, _ = exported
    con = duckdb.connect(str(db), read_only=True)
    rejected = con.execute("SELECT file, row_number, reason FROM rejected_rows").fetchall()
    contacts_before = con.execute("SELECT count(*) FROM contacts").fetchone()
    con.close()
    assert rejected == [("contacts_2024.csv", 24, rejected[0][2])]
    assert "kommun" in rejected[0][2]

    again = CliRunner().invoke(main, ["import", str(FIXTURES / "contacts_2024.csv"), "--db", str(db)])
    assert again.exit_code == 0
    assert "redan importerad" in again.output
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM contacts").fetchone() == contacts_before == (22,)
    con.close()


def test_sql_prints_a_query_an_analyst_can_run(exported):
    db, _ = exported
    result = CliRunner().invoke(
        main, ["sql", "proaktiva_kontakter", "--catalog", str(ROOT / "indicators.yaml")]
    )
    assert result.exit_code == 0
    assert result.output.startswith("-- proaktiva_kontakter")
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute(result.output).df()
    con.close()
    row = rows[(rows.area_code == "0580") & (rows.period_type == "year") & (rows.breakdown == "total")]
    assert (row.numerator.iloc[0], row.denominator.iloc[0]) == (6, 12)


def test_unknown_indicator_and_broken_catalogue_give_a_message_not_a_trace(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["sql", "proaktiv_kontakter", "--catalog", str(ROOT / "indicators.yaml")])
    assert result.exit_code == 1
    assert "menade du 'proaktiva_kontakter'?" in result.output
    broken = tmp_path / "indicators.yaml"
    broken.write_text("indicators: [\n", encoding="utf-8")
    result = runner.invoke(main, ["check", "--catalog", str(broken)])
    assert result.exit_code == 1
    assert "indicators.yaml:" in result.output and "Traceback" not in result.output


def test_check_accepts_the_bundled_catalogue():
    result = CliRunner().invoke(main, ["check", "--catalog", str(ROOT / "indicators.yaml")])
    assert result.exit_code == 0, result.output
    assert "inga fel" in result.output


def test_a_file_with_a_personnummer_is_refused_whole(tmp_path):
    db = tmp_path / "pnr.duckdb"
    bad = tmp_path / "sip_2024.csv"
    bad.write_text(
        "sip_id,person_id,kommun,sex,age,start_date,initiated_by,person_participated\n"
        "S1,P001,0580,K,80,2024-04-01,kommun,ja\n"
        "S2,811218-9876,0580,K,80,2024-04-01,kommun,ja\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["import", str(bad), "--db", str(db)])
    assert result.exit_code == 1
    assert "811218" not in result.output  # the number itself is never repeated
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM sip").fetchone() == (0,)
    con.close()


def test_export_writes_small_numbers_without_scientific_notation():
    from metrics.export import _plain_number

    values = _plain_number(pd.Series([2.1e-05, 12.0, float("nan"), 1 / 3]))
    assert list(values) == ["0.000021", "12", "", "0.3333333333333333"]
