"""Review of the 'files' merge (issue 7.3, 7.4): hostile files and databases a clumsy user or an
attacker would hand the import, each a reproducer of a defect found in review."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import openpyxl
import pytest

from metrics.db import ensure_schema
from metrics.errors import ExtractError
from metrics.extracts import import_file

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "extracts"
HEADER = (
    "contact_id,person_id,kommun,sex,age,contact_date,care_unit,provider,profession,staff_id,mode,planned"
)


def contact(n: int, person: str | None = None) -> str:
    return f"C{n},{person or f'P{n}'},0580,K,70,2024-01-05,VC Ekholmen,region,lakare,S1,mottagning,1"


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    ensure_schema(connection)
    return connection


def matavla(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run the command as the user does, so that a traceback would show; exit code and all output."""
    done = subprocess.run(
        [sys.executable, "-m", "metrics.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "MATAVLA_DB_WAIT": "5", **(env or {})},
    )
    return done.returncode, done.stdout + done.stderr


# --- databases that cannot be opened or written ------------------------------------------------


def test_a_database_path_under_a_file_is_a_swedish_error_not_a_traceback(tmp_path):
    (tmp_path / "afile").write_text("x")
    code, output = matavla(
        "import", str(FIXTURES / "population_2024.csv"), "--db", str(tmp_path / "afile/m.duckdb")
    )
    assert code == 1
    assert "Traceback" not in output
    assert "Fel:" in output and "afile" in output


def test_a_file_that_is_not_a_database_is_a_swedish_error_not_a_traceback(tmp_path):
    db = tmp_path / "m.duckdb"
    db.write_bytes((FIXTURES / "population_2024.csv").read_bytes())  # --db given a CSV by mistake
    for command in (
        ["import", str(FIXTURES / "population_2024.csv"), "--db", str(db)],
        ["export", "--db", str(db), "--out", str(tmp_path / "out.csv")],
    ):
        code, output = matavla(*command)
        assert code == 1, output
        assert "Traceback" not in output
        assert "Fel:" in output and "m.duckdb" in output
    assert db.read_bytes() == (FIXTURES / "population_2024.csv").read_bytes()  # nothing lost


def test_export_to_a_folder_that_cannot_exist_is_a_swedish_error_not_a_traceback(tmp_path):
    db = tmp_path / "m.duckdb"
    code, output = matavla("import", str(FIXTURES / "population_2024.csv"), "--db", str(db))
    assert code == 0, output
    (tmp_path / "afile").write_text("x")
    code, output = matavla("export", "--db", str(db), "--out", str(tmp_path / "afile/out.csv"))
    assert code == 1
    assert "Traceback" not in output
    assert "Fel:" in output and "afile" in output


# --- Excel -------------------------------------------------------------------------------------


def test_the_default_sheet_is_the_first_visible_one_not_a_hidden_one(con, tmp_path):
    # A workbook whose first sheet is hidden (last month's data, hidden rather than deleted):
    # Excel's user sees 'Kontakter' as the first sheet, and that is the one to import.
    book = openpyxl.Workbook()
    hidden = book.active
    hidden.title = "Gammal"
    for line in (HEADER, contact(1)):
        hidden.append(line.split(","))
    hidden.sheet_state = "hidden"
    shown = book.create_sheet("Kontakter")
    for line in (HEADER, contact(2)):
        shown.append(line.split(","))
    book.active = 1
    book.save(tmp_path / "contacts.xlsx")

    import_file(con, tmp_path / "contacts.xlsx")

    assert con.execute("SELECT contact_id FROM contacts").fetchall() == [("C2",)]


# --- CSV shapes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("person", ["19121212-1212", "P60654173"])
def test_a_file_without_a_header_never_quotes_its_first_row_in_the_error(con, tmp_path, person):
    # The export forgot the header: the first line is data (with a personnummer, or a pseudonym).
    path = tmp_path / "contacts.csv"
    path.write_text(contact(1, person=person) + "\n" + contact(2) + "\n")

    with pytest.raises(ExtractError) as caught:
        import_file(con, path)

    message = str(caught.value)
    assert person[-4:] not in message and "Ekholmen" not in message
    # either the header check for personnummer or the missing-columns check speaks first;
    # both say that the header row is probably missing
    assert "rubrikrad" in message


def test_old_mac_line_endings_are_read_as_lines(con, tmp_path):
    # Only CR between lines (classic Mac OS, some report generators): three lines, two rows.
    path = tmp_path / "contacts.csv"
    path.write_bytes(f"{HEADER}\r{contact(1)}\r{contact(2)}\r".encode())

    report = import_file(con, path)

    assert report.status == "ok"
    assert con.execute("SELECT contact_id FROM contacts ORDER BY 1").fetchall() == [("C1",), ("C2",)]


def test_a_header_only_file_without_a_final_line_break_is_an_empty_file_not_a_quote_error(con, tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_bytes(HEADER.encode())  # no line break after the header

    report = import_file(con, path)

    assert report.status == "ok" and report.rows_accepted == 0
    assert "filen innehåller inga rader" in report.notes


def test_an_excel_file_named_csv_is_called_an_excel_file_not_utf16(con, tmp_path):
    # A workbook saved or renamed with the wrong ending: a zip archive, not UTF-16 text.
    book = openpyxl.Workbook()
    book.active.append(HEADER.split(","))
    book.save(tmp_path / "contacts.xlsx")
    path = tmp_path / "contacts.csv"
    path.write_bytes((tmp_path / "contacts.xlsx").read_bytes())

    with pytest.raises(ExtractError) as caught:
        import_file(con, path)

    assert "UTF-16" not in str(caught.value)
    assert ".xlsx" in str(caught.value)


def test_a_binary_file_named_csv_is_not_called_utf16(con, tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_bytes(bytes(range(256)) * 16)  # bytes of every value, as an image or database has

    with pytest.raises(ExtractError) as caught:
        import_file(con, path)

    assert "UTF-16" not in str(caught.value)
    assert "ingen textfil" in str(caught.value)


def test_compute_out_of_memory_is_a_swedish_hint_not_a_traceback(tmp_path):
    # MATAVLA_MEMORY_LIMIT, the import's own hint, applies to compute too: set too low, it must
    # say so rather than crash.
    db = tmp_path / "m.duckdb"
    code, output = matavla("import", str(FIXTURES), "--db", str(db))
    assert code in (0, 1), output  # a fixture has rejected rows
    code, output = matavla(
        "compute",
        "--db",
        str(db),
        "--catalog",
        str(ROOT / "indicators.yaml"),
        env={"MATAVLA_MEMORY_LIMIT": "1MB"},
    )
    assert code == 1
    assert "Traceback" not in output
    assert "minnet räckte inte till" in output and "MATAVLA_MEMORY_LIMIT" in output


def test_a_bare_carriage_return_in_the_header_is_a_clear_error_not_an_unexpected_one(con, tmp_path):
    # Editors, Excel and Arrow break the line at a bare CR, so 'care_unit' ends the header and the
    # rest of the header line is a record of its own.
    path = tmp_path / "contacts.csv"
    header = HEADER.replace("care_unit,", "care_unit\r")
    path.write_bytes(f"{header}\n{contact(1)}\n".encode())

    with pytest.raises(ExtractError) as caught:
        import_file(con, path)

    assert "oväntat fel" not in str(caught.value)
    assert "saknar obligatoriska kolumner 'provider'" in str(caught.value)
