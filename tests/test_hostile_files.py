"""Hostile and broken files: each gets a Swedish error naming the file and row, or a rejected row,
and nothing is lost or silently misread."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import openpyxl
import pytest
from click.testing import CliRunner

from metrics.cli import main
from metrics.db import ensure_schema
from metrics.errors import ExtractError
from metrics.extracts import import_file, import_paths
from metrics.extracts.options import DateWindow, ImportOptions

HEADER = (
    "contact_id,person_id,kommun,sex,age,contact_date,care_unit,provider,profession,staff_id,mode,planned"
)


def contact(n: int, unit: str = "VC Ekholmen", date: str = "2024-01-05", age: str = "70") -> str:
    return f"C{n},P{n},0580,K,{age},{date},{unit},region,lakare,S1,mottagning,1"


def write(path: Path, *lines: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    ensure_schema(connection)
    return connection


def stored(con: duckdb.DuckDBPyConnection, columns: str = "contact_id, care_unit") -> list[tuple]:
    return con.execute(f"SELECT {columns} FROM contacts ORDER BY contact_id").fetchall()


def nothing_stored(con: duckdb.DuckDBPyConnection) -> bool:
    counts = [con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("contacts", "import_log")]
    return counts == [0, 0]


# --- quotes ------------------------------------------------------------------------------------


def test_a_stray_quote_inside_a_value_is_read_as_text_and_the_line_numbers_stay_right(con, tmp_path):
    path = write(
        tmp_path / "contacts.csv",
        HEADER,
        contact(1),
        contact(2, unit='VC "Norr'),  # line 3
        contact(3, age="200"),  # line 4: rejected, and must be numbered 4
        contact(4, unit='VC "Söder'),  # line 5: a second stray quote must not pair with the first
        contact(5),
    )

    report = import_file(con, path)

    assert stored(con) == [
        ("C1", "VC Ekholmen"),
        ("C2", 'VC "Norr'),
        ("C4", 'VC "Söder'),
        ("C5", "VC Ekholmen"),
    ]
    assert report.rejected_sample == [(4, "age: ogiltig ålder (heltal 0–120)")]
    assert 'citattecken (") mitt i ett värde lästes som vanligt tecken på rad 3, 5' in report.notes


def test_a_stray_quote_beside_properly_quoted_values_and_quoted_line_breaks(con, tmp_path):
    path = write(
        tmp_path / "contacts.csv",
        HEADER,
        contact(1, unit='"VC ""Berga"", hus 2"'),  # separator and escaped quotes inside quotes
        contact(2, unit='VC "Norr'),  # line 3
        contact(3, unit='"VC\nSöder"'),  # lines 4-5: a quoted line break
        contact(4, age="-1"),  # line 6
    )

    report = import_file(con, path)

    assert stored(con) == [("C1", 'VC "Berga", hus 2'), ("C2", 'VC "Norr'), ("C3", "VC\nSöder")]
    assert report.rejected_sample == [(6, "age: ogiltig ålder (heltal 0–120)")]


def test_an_unclosed_quote_refuses_the_file_naming_the_line_where_it_opened(con, tmp_path):
    path = write(
        tmp_path / "contacts.csv", HEADER, contact(1), contact(2, unit='"VC Norr'), contact(3), contact(4)
    )

    with pytest.raises(ExtractError) as caught:
        import_file(con, path)

    assert caught.value.row == 3
    assert str(caught.value).startswith("contacts.csv, rad 3: ett citattecken")
    assert "avslutas aldrig" in str(caught.value)
    assert nothing_stored(con)


def test_an_unclosed_quote_that_a_later_quote_seems_to_close_is_found_too(con, tmp_path):
    # The quote opened on line 3 "closes" on line 5 in the middle of a value: lines 3-5 would be one value.
    path = write(
        tmp_path / "contacts.csv",
        HEADER,
        contact(1),
        contact(2, unit='"VC Norr'),
        contact(3),
        contact(4, unit='"VC" Söder'),
        contact(5),
    )

    with pytest.raises(ExtractError) as caught:
        import_file(con, path)

    assert caught.value.row == 3
    assert nothing_stored(con)


def test_a_quote_that_closes_lines_later_at_the_end_of_a_value_is_found_by_the_field_count(con, tmp_path):
    # Line 3 opens a quote; line 5 ends with a stray quote that closes it at a line end, so the
    # quotes pair up, but lines 3-5 would be one row with far too many fields.
    lines = [contact(1), contact(2, unit='"VC Norr'), contact(3), contact(4) + '"', contact(5)]
    path = write(tmp_path / "contacts.csv", HEADER, *lines)

    with pytest.raises(ExtractError) as caught:
        import_file(con, path)

    assert caught.value.row == 3
    assert "sträcker sig över flera rader" in str(caught.value)
    assert nothing_stored(con)


def test_a_folder_import_goes_on_after_a_file_fails_unexpectedly(con, tmp_path, monkeypatch):
    from metrics.extracts import importer

    folder = tmp_path / "export"
    folder.mkdir()
    write(folder / "contacts_a.csv", HEADER, contact(1))
    write(folder / "contacts_b.csv", HEADER, contact(2, unit='VC "Norr'))
    write(folder / "contacts_c.csv", HEADER, contact(3))
    real = importer.read_chunks

    def broken(path: Path, *args: object, **kwargs: object) -> object:
        if path.name == "contacts_a.csv":
            raise RuntimeError("'P1' is a value that must not be shown")
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(importer, "read_chunks", broken)

    reports = import_paths(con, [folder])

    assert [(r.file, r.status) for r in reports] == [
        ("contacts_a.csv", "failed"),
        ("contacts_b.csv", "ok"),
        ("contacts_c.csv", "ok"),
    ]
    assert reports[0].error is not None
    assert "oväntat fel vid import (RuntimeError)" in reports[0].error
    assert "P1" not in reports[0].error
    assert stored(con) == [("C2", 'VC "Norr'), ("C3", "VC Ekholmen")]


# --- encodings ---------------------------------------------------------------------------------


def test_a_file_mixing_utf8_and_windows_1252_is_refused_naming_the_first_windows_line(con, tmp_path):
    path = tmp_path / "contacts.csv"
    utf8 = [contact(n, unit="Läkarhuset") for n in range(1, 4)]
    path.write_bytes(
        "\n".join([HEADER, *utf8]).encode("utf-8")
        + b"\n"
        + contact(4, unit="Läkarhuset").encode("cp1252")  # line 5
        + b"\n"
        + contact(5, unit="Läkarhuset").encode("utf-8")
        + b"\n"
    )

    with pytest.raises(ExtractError) as caught:
        import_file(con, path)

    assert caught.value.row == 5
    assert "blandar teckenkodningar: rad 5 är inte UTF-8" in str(caught.value)
    assert "rad 2 är UTF-8" in str(caught.value)
    assert nothing_stored(con)


def test_a_windows_1252_file_alone_is_still_read(con, tmp_path):
    write(tmp_path / "contacts.csv", HEADER, contact(1, unit="Läkarhuset"), encoding="cp1252")
    import_file(con, tmp_path / "contacts.csv")
    assert stored(con) == [("C1", "Läkarhuset")]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_utf16_files_with_a_byte_order_mark_are_read(con, tmp_path, encoding):
    path = tmp_path / "contacts.csv"
    text = "\n".join([HEADER, contact(1, unit="Läkarhuset Ödeshög"), contact(2, age="x")]) + "\n"
    bom = "\ufeff" if encoding == "utf-16-be" else ""  # Python's utf-16 writes its own BOM
    path.write_bytes((bom + text).encode(encoding))

    report = import_file(con, path)

    assert stored(con) == [("C1", "Läkarhuset Ödeshög")]
    assert report.rejected_sample == [(3, "age: ogiltig ålder (heltal 0–120)")]
    assert "teckenkodning UTF-16 (omkodad till UTF-8)" in report.notes


def test_excels_sep_line_names_the_separator_and_the_header_is_line_2(con, tmp_path):
    # A value with a comma shows that ';' is used even though the header line has no ';' to count.
    lines = [line.replace(",", ";") for line in (HEADER, contact(1), contact(2, age="x"))]
    lines[1] = lines[1].replace("VC Ekholmen", "VC Norr, hus 2")
    path = write(tmp_path / "contacts.csv", "sep=;", *lines)

    report = import_file(con, path)

    assert stored(con) == [("C1", "VC Norr, hus 2")]
    assert report.rejected_sample == [(4, "age: ogiltig ålder (heltal 0–120)")]


# --- dates -------------------------------------------------------------------------------------


def test_dates_outside_the_plausible_window_are_rejected_without_quoting_them(con, tmp_path):
    path = write(
        tmp_path / "contacts.csv",
        HEADER,
        contact(1, date="2024-01-05"),
        contact(2, date="0001-01-01"),  # line 3
        contact(3, date="1899-12-30"),  # line 4
        contact(4, date="2099-01-01"),  # line 5
        contact(5, date="1990-01-01"),  # the first day of the default window: accepted
    )

    report = import_file(con, path)

    assert stored(con) == [("C1", "VC Ekholmen"), ("C5", "VC Ekholmen")]
    assert [row for row, _ in report.rejected_sample] == [3, 4, 5]
    reason = report.rejected_sample[0][1]
    assert reason.startswith("contact_date: datumet ligger utanför det rimliga intervallet 1990-01-01–")
    for _, reason in report.rejected_sample:
        assert "0001" not in reason and "1899" not in reason and "2099" not in reason


def test_the_date_window_applies_to_timestamps_months_and_years_and_can_be_moved(con, tmp_path):
    emergency = write(
        tmp_path / "emergency.csv",
        "visit_id,person_id,kommun,sex,age,arrival,departure,admitted",
        "V1,P1,0580,K,70,2024-01-05 10:00,2024-01-05 12:00,0",
        "V2,P2,0580,K,70,2099-01-05 10:00,2099-01-05 12:00,0",
    )
    survey = write(
        tmp_path / "survey.csv",
        "kommun,year,dimension,positive,responses",
        "0580,2024,helhetsintryck,1,2",
        "0580,2099,helhetsintryck,1,2",
    )
    narrow = ImportOptions(window=DateWindow(dt.date(2024, 1, 6), dt.date(2024, 12, 31)))

    reports = import_paths(con, [emergency, survey])
    assert [r.rows_rejected for r in reports] == [1, 1]
    assert reports[1].rejected_sample[0][1].startswith("year: året ligger utanför 1990–")

    moved = write(
        tmp_path / "contacts.csv", HEADER, contact(1, date="2024-01-05"), contact(2, date="2024-01-06")
    )
    report = import_file(con, moved, options=narrow)
    assert stored(con) == [("C2", "VC Ekholmen")]
    assert report.rejected_sample == [
        (
            2,
            "contact_date: datumet ligger utanför det rimliga intervallet 2024-01-06–2024-12-31 "
            "(ändra gränserna med --earliest/--latest)",
        )
    ]


def test_the_command_line_moves_the_window_by_option_and_by_environment(tmp_path):
    path = write(
        tmp_path / "contacts.csv", HEADER, contact(1, date="1985-06-01"), contact(2, date="2024-01-05")
    )
    runner = CliRunner()
    db = str(tmp_path / "a.duckdb")
    result = runner.invoke(main, ["import", str(path), "--db", db, "--earliest", "1980-01-01"])
    assert result.exit_code == 0, result.output
    assert "2 rader importerade, 0 avvisade" in result.output

    db = str(tmp_path / "b.duckdb")
    result = runner.invoke(main, ["import", str(path), "--db", db], env={"MATAVLA_LATEST_DATE": "2023-12-31"})
    assert result.exit_code == 0, result.output
    assert "0 rader importerade, 2 avvisade" in result.output


# --- Excel sheets ------------------------------------------------------------------------------


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    path = tmp_path / "contacts.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "Om uttaget"
    book.active.append(["Uttaget ligger på bladet Kontakter"])
    data = book.create_sheet("Kontakter")
    data.append(HEADER.split(","))
    data.append(contact(1).split(","))
    book.save(path)
    return path


@pytest.mark.parametrize("sheet", ["Kontakter", "kontakter", "2"])
def test_sheet_chooses_the_excel_sheet_by_name_or_number(con, workbook, sheet):
    import_file(con, workbook, options=ImportOptions(sheet=sheet))
    assert stored(con) == [("C1", "VC Ekholmen")]


def test_an_unknown_sheet_lists_the_sheets_and_the_first_is_the_default(con, workbook):
    with pytest.raises(ExtractError, match=r"inget blad 'Data'.*1 'Om uttaget', 2 'Kontakter'"):
        import_file(con, workbook, options=ImportOptions(sheet="Data"))
    with pytest.raises(ExtractError, match="saknar obligatoriska kolumner"):
        import_file(con, workbook)  # the first sheet holds no extract


def test_the_sheet_option_on_the_command_line(tmp_path, workbook):
    result = CliRunner().invoke(
        main, ["import", str(workbook), "--db", str(tmp_path / "x.duckdb"), "--sheet", "Kontakter"]
    )
    assert result.exit_code == 0, result.output
    assert re.search(r"1 rad(er)? importerade", result.output)


# --- memory ------------------------------------------------------------------------------------


def test_running_out_of_memory_gives_a_hint_not_a_database_error(con, tmp_path):
    path = write(tmp_path / "contacts.csv", HEADER, *(contact(n, unit=f"VC {n % 50}") for n in range(20_000)))
    con.execute("SET memory_limit = '1MB'")

    [report] = import_paths(con, [path])

    assert report.status == "failed" and report.error is not None
    assert "minnet räckte inte till" in report.error
    assert "dela filen i mindre delar" in report.error and "MATAVLA_MEMORY_LIMIT" in report.error
    con.execute("RESET memory_limit")
    assert nothing_stored(con)


def test_the_memory_limit_setting_reaches_the_command_line(tmp_path):
    path = write(tmp_path / "contacts.csv", HEADER, *(contact(n) for n in range(20_000)))
    result = CliRunner().invoke(
        main, ["import", str(path), "--db", str(tmp_path / "x.duckdb")], env={"MATAVLA_MEMORY_LIMIT": "1MB"}
    )
    assert result.exit_code == 1
    assert "minnet räckte inte till" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


# --- the same key in two files -----------------------------------------------------------------


def test_the_later_file_wins_a_shared_key_and_says_which_file_it_replaced(tmp_path):
    first = write(tmp_path / "contacts_a.csv", HEADER, contact(1, unit="VC Norr"), contact(2))
    second = write(tmp_path / "contacts_b.csv", HEADER, contact(1, unit="VC Söder"))
    db = str(tmp_path / "x.duckdb")
    runner = CliRunner()

    result = runner.invoke(main, ["import", str(first), str(second), "--db", db])

    assert result.exit_code == 0, result.output
    note = (
        "samma nyckel fanns redan: denna fil ersatte 1 rad från contacts_a.csv (import 1); "
        "raderna i denna fil gäller nu (den senast importerade filen vinner)"
    )
    assert f"notering: {note}" in result.output
    con = duckdb.connect(db)
    assert stored(con) == [("C1", "VC Söder"), ("C2", "VC Ekholmen")]
    assert con.execute("SELECT notes FROM import_log WHERE import_id = 2").fetchone()[0] == note
    con.close()

    # Importing the first file again changes nothing: its bytes were imported before ...
    result = runner.invoke(main, ["import", str(first), "--db", db])
    assert "redan importerad, inget ändrat" in result.output
    # ... unless it is meant to win again.
    result = runner.invoke(main, ["import", str(first), "--db", db, "--replace"])
    assert result.exit_code == 0, result.output
    # C2 replaces its own earlier row, C1 the second file's: most rows first, then by import
    assert (
        "ersatte 1 rad från contacts_a.csv (import 1), 1 rad från contacts_b.csv (import 2)" in result.output
    )
    con = duckdb.connect(db)
    assert stored(con) == [("C1", "VC Norr"), ("C2", "VC Ekholmen")]
