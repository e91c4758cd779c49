"""The import stage as the extract contract describes it: files in, typed rows or reasons out."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path

import duckdb
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from metrics.db import ensure_schema
from metrics.errors import ExtractError
from metrics.extracts import ImportReport, import_file, import_paths
from metrics.extracts.normalise import trim_table
from metrics.extracts.readers import ROW, record_lines
from metrics.extracts.schema import EXTRACTS

CONTACT_COLUMNS = (
    "contact_id,person_id,kommun,sex,age,contact_date,care_unit,provider,profession,staff_id,mode,planned"
)
CONTACT = {
    "contact_id": "C1",
    "person_id": "P1",
    "kommun": "0580",
    "sex": "K",
    "age": "70",
    "contact_date": "2024-01-05",
    "care_unit": "VC Ekholmen",
    "provider": "region",
    "profession": "lakare",
    "staff_id": "S1",
    "mode": "mottagning",
    "planned": "1",
}


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    ensure_schema(connection)
    return connection


def contacts_csv(path: Path, *rows: dict[str, str]) -> Path:
    """A contacts file with one line per row; each row changes some of CONTACT's values."""
    names = CONTACT_COLUMNS.split(",")
    lines = [CONTACT_COLUMNS] + [",".join({**CONTACT, **row}[n] for n in names) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def rejected(con: duckdb.DuckDBPyConnection) -> list[tuple[int, str]]:
    return rows(con, "SELECT row_number, reason FROM rejected_rows ORDER BY import_id, row_number")


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    tables = [r[0] for r in rows(con, "SELECT table_name FROM information_schema.tables ORDER BY 1")]
    return {t: rows(con, f'SELECT count(*) FROM "{t}"')[0][0] for t in tables}


# --- formats -----------------------------------------------------------------------------------


def test_utf8_csv_with_bom_is_read_and_typed(con, tmp_path):
    path = tmp_path / "contacts_2024.csv"
    path.write_bytes(
        b"\xef\xbb\xbf"
        + (
            CONTACT_COLUMNS + "\nC1,P1,0580,K,70,2024-01-05,VC Ekholmen,region,lakare,S1,telefon,ja\n"
        ).encode()
    )

    report = import_file(con, path)

    assert (report.status, report.rows_read, report.rows_accepted, report.rows_rejected) == ("ok", 1, 1, 0)
    assert rows(con, "SELECT contact_id, kommun, age, contact_date, mode, planned FROM contacts") == [
        ("C1", "0580", 70, dt.date(2024, 1, 5), "telefon", True)
    ]


def test_windows_1252_csv_keeps_swedish_letters(con, tmp_path):
    path = tmp_path / "contacts.csv"
    text = CONTACT_COLUMNS + "\nC1,P1,0580,K,70,2024-01-05,Vårdcentralen Åby Östra,region,lakare,S1,video,0\n"
    path.write_bytes(text.encode("cp1252"))

    report = import_file(con, path)

    assert rows(con, "SELECT care_unit FROM contacts") == [("Vårdcentralen Åby Östra",)]
    assert "teckenkodning Windows-1252 (omkodad till UTF-8)" in report.notes


def test_semicolon_separated_file_with_decimal_comma(con, tmp_path):
    path = tmp_path / "home_care_2024.csv"
    path.write_text(
        "month;person_id;kommun;sex;age;hours;named_care_contact;staff_14d\n"
        "2024-03;H1;0580;K;84;12,5;ja;7\n"
        "2024-03-15;H2;0580;M;90;3.25;nej;\n"
        "202403;H3;0580;M;90;1 000,5;nej;\n",
        encoding="utf-8",
    )

    report = import_file(con, path)

    assert rows(
        con, "SELECT month, person_id, hours, named_care_contact, staff_14d FROM home_care ORDER BY 2"
    ) == [
        (dt.date(2024, 3, 1), "H1", 12.5, True, 7),
        (dt.date(2024, 3, 1), "H2", 3.25, False, None),
    ]
    assert report.rejected_sample == [
        (4, "month: ogiltig månad (använd ÅÅÅÅ-MM eller ÅÅÅÅ-MM-DD); hours: inte ett tal"),
    ]


def test_xlsx_with_excel_date_cells_and_serial_numbers(con, tmp_path):
    path = tmp_path / "inpatient-q1.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Stay_ID", "person_id", "kommun", "sex", "age", "admission_date", "discharge_date", "acute",
                  "main_diagnosis", "ready_for_discharge_date"])  # fmt: skip
    # A date cell, then the serial number 45292 (2024-01-01) as a plain number; 580 lost its zero.
    sheet.append(["S1", "P1", 580, "K", 81, dt.date(2024, 1, 1), 45299, True, "J44.1", None])
    sheet.append([None] * 10)  # an empty row is skipped, and row numbers stay those of the sheet
    sheet.append(
        ["S2", "P2", "2380", "M", 79.0, dt.datetime(2024, 1, 3, 14, 30), "2024-01-02", False, "I50", 45293]
    )
    book.create_sheet("Notes").append(["only the first sheet is read"])
    book.save(path)

    report = import_file(con, path)

    assert rows(con, "SELECT * EXCLUDE (_import_id) FROM inpatient") == [
        ("S1", "P1", "0580", "K", 81, dt.date(2024, 1, 1), dt.date(2024, 1, 8), True, "J441", None)
    ]
    assert report.rejected_sample == [
        (4, "utskrivningsdatum (discharge_date) är före inskrivningsdatum (admission_date)")
    ]
    assert report.notes[-2:] == [
        "kommunkod med tre siffror fick tillbaka sin inledande nolla: '580' → '0580' (1 rad)",
        "1 tom rad hoppades över",
    ]


def test_xlsx_date_time_cells_fill_timestamp_columns_even_at_midnight(con, tmp_path):
    path = tmp_path / "emergency.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["visit_id", "person_id", "kommun", "sex", "age", "arrival", "departure", "admitted"])
    book.active.append(
        ["V1", "P1", "0580", "K", 80, dt.datetime(2024, 1, 5), dt.datetime(2024, 1, 5, 2, 15), 0]
    )
    book.save(path)

    import_file(con, path)

    assert rows(con, "SELECT arrival, departure, admitted FROM emergency") == [
        (dt.datetime(2024, 1, 5, 0, 0), dt.datetime(2024, 1, 5, 2, 15), False)
    ]


def test_parquet_file_with_numeric_kommun(con, tmp_path):
    path = tmp_path / "population_2023.parquet"
    table = pa.table(
        {
            "kommun": pa.array([580, 580, 2380], pa.int32()),
            "year": pa.array([2023, 2023, 2023], pa.int64()),
            "sex": ["K", "M", "2"],
            "age": pa.array([80.0, 80.0, 80.0]),
            "count": pa.array([1200, 1100, 300], pa.int64()),
        }
    )
    pq.write_table(table, path)

    report = import_file(con, path)

    assert report.rows_accepted == 3
    assert rows(con, "SELECT kommun, year, sex, age, count FROM population ORDER BY kommun, sex") == [
        ("0580", 2023, "K", 80, 1200),
        ("0580", 2023, "M", 80, 1100),
        ("2380", 2023, "K", 80, 300),
    ]


def test_parquet_rows_are_numbered_from_one(con, tmp_path):
    path = tmp_path / "population.parquet"
    columns = {"kommun": ["0580", "9999"], "year": ["2023"] * 2, "sex": ["K"] * 2, "age": ["1"] * 2}
    pq.write_table(pa.table({**columns, "count": ["5"] * 2}), path)

    report = import_file(con, path)

    assert [r for r, _ in report.rejected_sample] == [2]


# --- normalisation -----------------------------------------------------------------------------


def test_three_digit_kommun_gets_its_leading_zero_back_with_a_note(con, tmp_path):
    path = contacts_csv(
        tmp_path / "contacts.csv",
        {"contact_id": "C1", "kommun": "580"},
        {"contact_id": "C2", "kommun": "580"},
        {"contact_id": "C3", "kommun": "114"},
        {"contact_id": "C4", "kommun": "2380"},
    )

    report = import_file(con, path)

    assert rows(con, "SELECT contact_id, kommun FROM contacts ORDER BY 1") == [
        ("C1", "0580"),
        ("C2", "0580"),
        ("C3", "0114"),
        ("C4", "2380"),
    ]
    assert report.notes == [
        "kommunkod med tre siffror fick tillbaka sin inledande nolla: "
        "'580' → '0580' (2 rader), '114' → '0114' (1 rad)"
    ]


def test_unknown_kommun_codes_are_rejected_with_reason_and_raw_row(con, tmp_path):
    path = contacts_csv(
        tmp_path / "contacts.csv",
        {"contact_id": "C1"},
        {"contact_id": "C2", "kommun": "9999"},
        {"contact_id": "C3", "kommun": "999"},  # '0999' is no kommun either
    )

    report = import_file(con, path)

    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (3, 1, 2)
    reason = "kommun: okänd kommunkod (fyra siffror enligt SCB, t.ex. 0580)"
    assert rejected(con) == [(3, reason), (4, reason)]
    raw = json.loads(rows(con, "SELECT raw FROM rejected_rows WHERE row_number = 3")[0][0])
    assert raw == {**CONTACT, "contact_id": "C2", "kommun": "9999"}


def test_sex_variants_are_normalised_to_k_and_m(con, tmp_path):
    variants = ["K", "m", "kvinna", "MAN", "F", "1", "2", "Kvinna", "x"]
    path = contacts_csv(
        tmp_path / "contacts.csv", *({"contact_id": f"C{i}", "sex": v} for i, v in enumerate(variants))
    )

    report = import_file(con, path)

    assert [r[0] for r in rows(con, "SELECT sex FROM contacts ORDER BY contact_id")] == list("KMKMKMKK")
    assert report.rejected_sample == [(10, "sex: ogiltigt kön (använd K/M, kvinna/man, F/M eller 2/1)")]


def test_boolean_variants(con, tmp_path):
    variants = ["1", "0", "true", "FALSE", "ja", "Nej", "j", "n", "yes", "no", "kanske"]
    path = contacts_csv(
        tmp_path / "contacts.csv", *({"contact_id": f"C{i:02}", "planned": v} for i, v in enumerate(variants))
    )

    report = import_file(con, path)

    assert [r[0] for r in rows(con, "SELECT planned FROM contacts ORDER BY contact_id")] == [True, False] * 5
    assert report.rejected_sample == [
        (12, "planned: ogiltigt ja/nej-värde (använd 1/0, ja/nej, j/n, true/false eller yes/no)")
    ]


def test_date_formats_and_bad_dates(con, tmp_path):
    dates = ["2024-01-05", "20240105", "45296", "2024-01-05 13:45", "2024-02-30", "05/01/2024", "2024-13-01"]
    path = contacts_csv(
        tmp_path / "contacts.csv", *({"contact_id": f"C{i}", "contact_date": d} for i, d in enumerate(dates))
    )

    report = import_file(con, path)

    assert rows(con, "SELECT DISTINCT contact_date FROM contacts") == [(dt.date(2024, 1, 5),)]
    assert report.rows_accepted == 4
    reason = "contact_date: ogiltigt datum (använd ÅÅÅÅ-MM-DD)"
    assert report.rejected_sample == [(6, reason), (7, reason), (8, reason)]


def test_timestamps_need_a_time_of_day_and_departure_after_arrival(con, tmp_path):
    path = tmp_path / "emergency_2024.csv"
    path.write_text(
        "visit_id,person_id,kommun,sex,age,arrival,departure,admitted\n"
        "V1,P1,0580,K,80,2024-01-05 10:15,2024-01-05T14:30:05,1\n"
        "V2,P2,0580,K,80,2024-01-05,2024-01-05 12:00,0\n"
        "V3,P3,0580,K,80,2024-01-05 10:00,2024-01-05 09:00,0\n",
        encoding="utf-8",
    )

    report = import_file(con, path)

    assert rows(con, "SELECT visit_id, arrival, departure FROM emergency") == [
        ("V1", dt.datetime(2024, 1, 5, 10, 15), dt.datetime(2024, 1, 5, 14, 30, 5))
    ]
    assert report.rejected_sample == [
        (3, "arrival: ogiltig tidpunkt (använd ÅÅÅÅ-MM-DD TT:MM[:SS])"),
        (4, "avresa (departure) är före ankomst (arrival)"),
    ]


def test_discharge_before_admission_is_rejected(con, tmp_path):
    path = tmp_path / "inpatient.csv"
    path.write_text(
        "stay_id,person_id,kommun,sex,age,admission_date,discharge_date,acute,main_diagnosis,ready_for_discharge_date\n"
        "S1,P1,0580,K,81,2024-01-10,2024-01-12,1,j44.1,2024-01-11\n"
        "S2,P2,0580,K,81,2024-01-10,2024-01-09,1,J44.1,\n",
        encoding="utf-8",
    )

    report = import_file(con, path)

    assert rows(con, "SELECT stay_id, main_diagnosis, ready_for_discharge_date FROM inpatient") == [
        ("S1", "J441", dt.date(2024, 1, 11))
    ]
    assert rejected(con) == [
        (3, "utskrivningsdatum (discharge_date) är före inskrivningsdatum (admission_date)")
    ]
    assert report.rows_rejected == 1


def test_enums_are_lower_cased_and_accents_folded(con, tmp_path):
    path = contacts_csv(
        tmp_path / "contacts.csv",
        {"contact_id": "C1", "profession": "Läkare", "mode": "Hembesök", "provider": "REGION"},
        {"contact_id": "C2", "profession": "doktor"},
    )

    report = import_file(con, path)

    assert rows(con, "SELECT profession, mode, provider FROM contacts") == [("lakare", "hembesok", "region")]
    assert report.rejected_sample == [
        (
            3,
            "profession: okänt värde (tillåtna: lakare, sjukskoterska, underskoterska, fysioterapeut, "
            "arbetsterapeut, psykolog, kurator, dietist, annan)",
        )
    ]


def test_every_problem_of_a_row_is_listed(con, tmp_path):
    path = contacts_csv(tmp_path / "contacts.csv", {"person_id": "", "age": "121", "staff_id": "NULL"})

    report = import_file(con, path)

    assert report.rejected_sample == [(2, "person_id: värde saknas; age: ogiltig ålder (heltal 0–120)")]


def test_no_extract_quotes_the_bad_value_in_a_reason(con, tmp_path):
    # An aggregated extract once echoed "('19121212-1212')" onto the Data page: reasons
    # name the column and the rule, and the row number finds the value in the file.
    path = tmp_path / "costs_2024.csv"
    path.write_text(
        "kommun;year;principal;area;amount_sek\n0580;2024;regionen;primarvard;-5\n9999;2024;region;slutenvard;1e6\n",
        encoding="utf-8",
    )

    report = import_file(con, path)

    assert report.rejected_sample == [
        (
            2,
            "principal: okänt värde (tillåtna: region, kommun); amount_sek: värdet får inte vara mindre än 0",
        ),
        (3, "kommun: okänd kommunkod (fyra siffror enligt SCB, t.ex. 0580)"),
    ]
    reasons = con.execute("SELECT string_agg(reason, ' ') FROM rejected_rows").fetchone()
    assert reasons is not None and "regionen" not in reasons[0] and "9999" not in reasons[0]


def test_survey_needs_at_least_as_many_responses_as_positive_answers(con, tmp_path):
    path = tmp_path / "survey.csv"
    path.write_text(
        "kommun,year,dimension,positive,responses\n"
        "0580,2024,helhetsintryck,80,100\n"
        "0580,2024,tillganglighet,120,100\n"
        "0580,1899,kontinuitet_och_koordinering,1,2\n",
        encoding="utf-8",
    )

    report = import_file(con, path)

    assert report.rejected_sample == [
        (3, "fler positiva svar (positive) än svar (responses)"),
        (4, "year: värdet får inte vara mindre än 1900"),
    ]


# --- structure of the file ---------------------------------------------------------------------


def test_missing_required_column_names_the_column_and_the_file(con, tmp_path):
    path = tmp_path / "contacts_2024.csv"
    path.write_text(CONTACT_COLUMNS.replace(",profession", ",profesion") + "\n", encoding="utf-8")

    with pytest.raises(ExtractError) as caught:
        import_file(con, path)

    message = str(caught.value)
    assert message.startswith(
        "contacts_2024.csv: saknar obligatorisk kolumn 'profession' (tips: filen har kolumnerna"
    )
    assert "menar du att 'profesion' är 'profession'?" in message
    assert message.endswith("lägg till kolumnen eller döp om den)")


def test_column_names_match_case_insensitively_and_optional_columns_may_be_missing(con, tmp_path):
    path = tmp_path / "contacts.csv"
    header = CONTACT_COLUMNS.upper().replace(",STAFF_ID", "")
    path.write_text(
        header + "\n" + " C1 ,P1,0580,K,70,2024-01-05,VC,region,lakare,mottagning,1\n", encoding="utf-8"
    )

    report = import_file(con, path)

    assert rows(con, "SELECT contact_id, staff_id FROM contacts") == [("C1", None)]
    assert report.notes == ["kolumnen 'staff_id' saknas i filen och lämnas tom"]


def test_extra_columns_are_ignored_with_a_note_in_the_import_log(con, tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text(
        CONTACT_COLUMNS + ",Kommentar\n" + ",".join(CONTACT.values()) + ",hej\n", encoding="utf-8"
    )

    report = import_file(con, path)

    assert report.rows_accepted == 1
    assert report.notes == ["extra kolumner ignorerades: 'Kommentar'"]
    assert rows(con, "SELECT notes FROM import_log") == [("extra kolumner ignorerades: 'Kommentar'",)]


def test_ignored_columns_are_never_stored_not_even_with_rejected_rows(con, tmp_path):
    path = tmp_path / "contacts.csv"
    row = {**CONTACT, "kommun": "9999"}
    path.write_text(f"{CONTACT_COLUMNS},pnr,\n{','.join(row.values())},19811218-9876,\n", encoding="utf-8")

    report = import_file(con, path)

    assert report.notes[0] == "extra kolumner ignorerades: 'pnr'"  # the nameless last column is not mentioned
    assert json.loads(rows(con, "SELECT raw FROM rejected_rows")[0][0]) == row


def test_a_personnummer_on_a_line_that_cannot_be_split_fails_the_file(con, tmp_path):
    path = tmp_path / "contacts.csv"
    good = ",".join(CONTACT.values())
    path.write_text(f"{CONTACT_COLUMNS}\n{good}\n{good.replace('P1', '811218-9876,x')}\n", encoding="utf-8")

    with pytest.raises(ExtractError) as caught:
        import_file(con, path)

    assert caught.value.row == 3
    assert "9876" not in str(caught.value)
    assert table_counts(con)["import_log"] == 0


def test_lines_with_the_wrong_number_of_fields_are_rejected_and_line_numbers_stay_right(con, tmp_path):
    path = tmp_path / "contacts.csv"
    good = ",".join(CONTACT.values())
    path.write_text(
        CONTACT_COLUMNS + "\n"
        + good + "\n"  # line 2
        + "\n"  # line 3: empty, skipped
        + good.replace("C1", "C2") + ",extra\n"  # line 4: one field too many
        + good.replace("C1", "C3").replace("VC Ekholmen", '"VC\nEkholmen"') + "\n"  # lines 5-6
        + good.replace("C1", "C4").replace("0580", "9999") + "\n",  # line 7
        encoding="utf-8",
    )  # fmt: skip

    report = import_file(con, path)

    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (4, 2, 2)
    assert report.rejected_sample == [
        (4, "raden har 13 fält men rubrikraden har 12"),
        (7, "kommun: okänd kommunkod (fyra siffror enligt SCB, t.ex. 0580)"),
    ]
    assert rows(con, "SELECT care_unit FROM contacts ORDER BY contact_id") == [
        ("VC Ekholmen",),
        ("VC\nEkholmen",),
    ]


def test_quoted_line_breaks_across_arrows_block_boundaries_are_read_whole(con, tmp_path):
    # Arrow reads CSV in blocks of about 1 MB; 20 000 rows, every other one two lines long,
    # make sure some line break inside quotes falls on a block boundary.
    path = tmp_path / "contacts.csv"
    good = ",".join(CONTACT.values())
    body = [
        good.replace("C1", f"C{i}").replace("VC Ekholmen", '"VC\nNorr"' if i % 2 else "VC")
        for i in range(20_000)
    ]
    path.write_text(CONTACT_COLUMNS + "\n" + "\n".join(body) + "\nC-last,P1,9999\n", encoding="utf-8")
    assert path.stat().st_size > 1_100_000

    report = import_file(con, path)

    assert (report.rows_read, report.rows_accepted) == (20_001, 20_000)
    # Line 1 is the header, the 20 000 rows take 30 000 lines, so the last row is on line 30 002.
    assert report.rejected_sample == [(30_002, "raden har 3 fält men rubrikraden har 12")]


def test_records_start_on_the_line_after_the_previous_record_ends():
    data = b'h1,h2\na,"x\n""y""\nz"\nb,c\n\nd,e'
    # header on line 1; a record spanning lines 2-4; lines 5, 6 (empty) and 7.
    starts, multiline = record_lines(data)
    assert (starts.tolist(), multiline) == ([1, 2, 5, 6, 7], True)
    starts, multiline = record_lines(b'h\n"1"\n2\n')
    assert (starts.tolist(), multiline) == ([1, 2, 3, 4], False)  # the final line break starts no row


# --- the whole file is refused -----------------------------------------------------------------


def test_a_personnummer_fails_the_whole_file_and_leaves_the_database_unchanged(con, tmp_path):
    import_file(con, contacts_csv(tmp_path / "contacts_jan.csv", {"contact_id": "C1"}))
    before = table_counts(con)
    path = contacts_csv(
        tmp_path / "contacts_feb.csv",
        {"contact_id": "C2", "kommun": "9999"},  # would be a rejected row
        {"contact_id": "C3", "person_id": "P3"},
        {"contact_id": "C4", "person_id": "19811218-9876"},
        {"contact_id": "C5", "person_id": "121212-1212"},
    )

    with pytest.raises(ExtractError) as caught:
        import_file(con, path)

    assert caught.value.row == 4
    message = str(caught.value)
    assert message.startswith(
        "contacts_feb.csv, rad 4: kolumnen 'person_id' innehåller ett värde som ser ut som ett personnummer"
    )
    assert "9876" not in message and "1212" not in message
    assert table_counts(con) == before
    assert rows(con, "SELECT contact_id FROM contacts") == [("C1",)]


def test_unknown_file_name_is_a_failed_report_that_lists_the_extracts(con, tmp_path):
    path = contacts_csv(tmp_path / "kontakter.csv", {})

    [report] = import_paths(con, [path])

    assert (report.status, report.extract) == ("failed", None)
    assert "kan inte avgöra vilket utdrag filen innehåller" in report.error
    assert "--source NAMN" in report.error and "population, listing, contacts" in report.error
    assert table_counts(con)["import_log"] == 0


def test_source_names_the_extract_when_the_file_name_does_not(con, tmp_path):
    path = contacts_csv(tmp_path / "kontakter.csv", {})

    [report] = import_paths(con, [path], source=" Contacts")

    assert (report.status, report.extract, report.rows_accepted) == ("ok", "contacts", 1)
    assert rows(con, "SELECT file, extract, source FROM import_log") == [
        ("kontakter.csv", "contacts", "contacts")
    ]


def test_unsupported_format_and_missing_file_fail(con, tmp_path):
    (tmp_path / "contacts.xls").write_bytes(b"old excel")

    reports = import_paths(con, [tmp_path / "contacts.xls", tmp_path / "contacts_missing.csv"])

    assert [r.status for r in reports] == ["failed", "failed"]
    assert reports[0].error.startswith("contacts.xls: filformatet '.xls' stöds inte")
    assert reports[1].error.startswith("contacts_missing.csv: filen finns inte")


# --- keys and idempotency ----------------------------------------------------------------------


def test_reimporting_an_identical_file_is_a_no_op(con, tmp_path):
    path = contacts_csv(
        tmp_path / "contacts.csv", {"contact_id": "C1"}, {"contact_id": "C2", "kommun": "9999"}
    )
    import_file(con, path)
    before = table_counts(con)

    report = import_file(con, path)

    assert (report.status, report.rows_read, report.rows_accepted) == ("unchanged", 0, 0)
    assert report.notes[0].startswith("identisk med import 1 (")
    after = table_counts(con)
    assert after == {**before, "import_log": before["import_log"] + 1}
    assert rows(con, "SELECT import_id, status FROM import_log ORDER BY 1") == [(1, "ok"), (2, "unchanged")]


def test_the_log_keeps_each_files_size_and_hash(con, tmp_path):
    """The hash is taken beside the import when no earlier file has the size; it is logged all the
    same, so that the next import of the same bytes is found unchanged."""
    path = contacts_csv(tmp_path / "contacts.csv", {"contact_id": "C1"})
    import_file(con, path)

    size, digest = rows(con, "SELECT file_bytes, content_hash FROM import_log")[0]

    assert size == path.stat().st_size
    assert digest == hashlib.sha256(path.read_bytes()).hexdigest()
    assert import_file(con, path).status == "unchanged"


def test_a_file_of_the_same_size_with_other_bytes_is_imported(con, tmp_path):
    """Same size is not the same file: the hash decides (C1 → C9 keeps every byte count)."""
    first = contacts_csv(tmp_path / "contacts_a.csv", {"contact_id": "C1"})
    other = contacts_csv(tmp_path / "contacts_b.csv", {"contact_id": "C9"})
    assert first.stat().st_size == other.stat().st_size
    import_file(con, first)

    report = import_file(con, other)

    assert (report.status, report.rows_accepted) == ("ok", 1)
    assert rows(con, "SELECT contact_id FROM contacts ORDER BY 1") == [("C1",), ("C9",)]


def test_a_database_logged_before_sizes_were_still_finds_an_unchanged_file(tmp_path):
    """An import_log without `file_bytes` (an older database) gets the column, NULL for its rows:
    an unknown size may be this file's, so the hash is compared first, as before."""
    path = contacts_csv(tmp_path / "contacts.csv", {"contact_id": "C1"})
    old = duckdb.connect()
    ensure_schema(old)
    import_file(old, path)
    old.execute("ALTER TABLE import_log DROP COLUMN file_bytes")
    ensure_schema(old)  # as `connect` does on an older database

    assert rows(old, "SELECT file_bytes FROM import_log") == [(None,)]
    report = import_file(old, path)

    assert report.status == "unchanged"
    assert rows(old, "SELECT count(*) FROM contacts") == [(1,)]


def test_a_newer_file_replaces_the_rows_with_the_same_key(con, tmp_path):
    import_file(con, contacts_csv(tmp_path / "contacts_v1.csv", {"contact_id": "C1"}, {"contact_id": "C2"}))

    report = import_file(
        con,
        contacts_csv(
            tmp_path / "contacts_v2.csv", {"contact_id": "C2", "mode": "video"}, {"contact_id": "C3"}
        ),
    )

    assert (report.rows_accepted, report.rows_replaced) == (2, 1)
    assert rows(con, "SELECT contact_id, mode FROM contacts ORDER BY 1") == [
        ("C1", "mottagning"),
        ("C2", "video"),
        ("C3", "mottagning"),
    ]


def test_a_composite_key_replaces_only_the_same_combination(con, tmp_path):
    def population(name: str, lines: str) -> Path:
        path = tmp_path / name
        path.write_text("kommun,year,sex,age,count\n" + lines, encoding="utf-8")
        return path

    import_file(con, population("population_a.csv", "0580,2023,K,80,10\n0580,2023,M,80,20\n"))
    report = import_file(con, population("population_b.csv", "0580,2023,K,80,11\n0580,2024,K,80,12\n"))

    assert report.rows_replaced == 1
    assert rows(con, "SELECT year, sex, count FROM population ORDER BY 1, 2") == [
        (2023, "K", 11),
        (2023, "M", 20),
        (2024, "K", 12),
    ]


def test_rows_at_the_edges_of_a_files_key_range_are_replaced_and_rows_outside_it_kept(con, tmp_path):
    # The stored rows a file can replace are looked for only within each key column's range in the
    # file (here snapshot_date 2024-02-01..2024-03-01, person_id P2..P4). Rows on both edges must
    # still be found; rows inside one column's range but outside the other's (P1 in February, P5
    # in March, anyone in January or April) have no key in the file and stay.
    def listing(name: str, lines: str) -> Path:
        path = tmp_path / name
        path.write_text(
            "snapshot_date,person_id,kommun,sex,age,care_unit,named_gp\n" + lines, encoding="utf-8"
        )
        return path

    stored = "".join(
        f"{day},{person},0580,K,50,VC1,ja\n"
        for day in ("2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01")
        for person in ("P1", "P2", "P3", "P4", "P5")
    )
    import_file(con, listing("listing_a.csv", stored))

    report = import_file(
        con,
        listing(
            "listing_b.csv",
            "2024-02-01,P2,0580,K,50,VC2,nej\n"  # the least date and the least person_id
            "2024-03-01,P4,0580,K,50,VC2,nej\n"  # the greatest of both
            "2024-02-01,P4,0580,K,50,VC2,nej\n",
        ),
    )

    assert (report.rows_accepted, report.rows_replaced) == (3, 3)
    changed = rows(
        con, "SELECT snapshot_date::VARCHAR, person_id FROM listing WHERE care_unit = 'VC2' ORDER BY 1, 2"
    )
    assert changed == [("2024-02-01", "P2"), ("2024-02-01", "P4"), ("2024-03-01", "P4")]
    assert rows(con, "SELECT count(*) FROM listing WHERE care_unit = 'VC1'") == [(20 - 3,)]
    assert rows(con, "SELECT count(*) FROM listing") == [(20,)]


def test_a_file_whose_keys_lie_outside_the_stored_ones_replaces_nothing(con, tmp_path):
    import_file(con, contacts_csv(tmp_path / "contacts_jan.csv", {"contact_id": "C1"}, {"contact_id": "C5"}))

    report = import_file(
        con, contacts_csv(tmp_path / "contacts_feb.csv", {"contact_id": "C2"}, {"contact_id": "C4"})
    )

    assert (report.rows_accepted, report.rows_replaced) == (2, 0)
    assert rows(con, "SELECT contact_id FROM contacts ORDER BY 1") == [("C1",), ("C2",), ("C4",), ("C5",)]


def test_a_duplicate_key_within_a_file_rejects_the_later_rows(con, tmp_path):
    path = contacts_csv(
        tmp_path / "contacts.csv",
        {"contact_id": "C1", "kommun": "9999"},  # rejected, so it is not the row the key belongs to
        {"contact_id": "C1"},
        {"contact_id": "C2"},
        {"contact_id": "C1", "mode": "video"},
    )

    report = import_file(con, path)

    assert rows(con, "SELECT contact_id, mode FROM contacts ORDER BY 1") == [
        ("C1", "mottagning"),
        ("C2", "mottagning"),
    ]
    assert report.rejected_sample[1] == (5, "dubblett av nyckeln (contact_id): samma nyckel finns på rad 3")


def test_keys_that_only_share_a_hash_are_no_duplicates(con, tmp_path, monkeypatch):
    # Whether a key repeats is first told by hashes; two keys that share a hash (forced here: a
    # hash of one bit) must then be compared as keys, and both rows imported.
    monkeypatch.setattr("metrics.extracts.importer.KEY_HASH", "hash({}) % 2")
    path = contacts_csv(tmp_path / "contacts.csv", *({"contact_id": f"C{i}"} for i in range(5)))

    report = import_file(con, path)

    assert (report.rows_accepted, report.rows_rejected) == (5, 0)
    assert rows(con, "SELECT count(DISTINCT contact_id) FROM contacts") == [(5,)]


def test_a_composite_key_repeated_in_other_spellings_rejects_each_later_row(con, tmp_path):
    # The key is compared typed: '580' is kommun 0580 and 'kvinna' is K, so lines 3 and 5
    # repeat line 2's key; line 4 differs in age. Each repeat names the first row, line 2.
    path = tmp_path / "population.csv"
    path.write_text(
        "kommun,year,sex,age,count\n"
        "0580,2024,K,80,10\n"
        "580,2024,kvinna,80,11\n"
        "0580,2024,K,81,12\n"
        "0580,2024,K,80,13\n",
        encoding="utf-8",
    )

    report = import_file(con, path)

    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (4, 2, 2)
    assert rows(con, "SELECT kommun, age, count FROM population ORDER BY age") == [
        ("0580", 80, 10),
        ("0580", 81, 12),
    ]
    repeat = "dubblett av nyckeln (kommun, year, sex, age): samma nyckel finns på rad 2"
    assert report.rejected_sample == [(3, repeat), (5, repeat)]
    stored = rows(con, "SELECT row_number, reason, raw FROM rejected_rows ORDER BY row_number")
    assert [(r, reason) for r, reason, _ in stored] == [(3, repeat), (5, repeat)]
    # stored as read, not as typed
    raw = {"kommun": "580", "year": "2024", "sex": "kvinna", "age": "80", "count": "11"}
    assert json.loads(stored[0][2]) == raw


def test_an_age_from_0_to_120_is_accepted_and_one_outside_rejected(con, tmp_path):
    ages = ["-1", "0", "120", "121", "45"]
    path = contacts_csv(
        tmp_path / "contacts.csv", *({"contact_id": f"C{i}", "age": a} for i, a in enumerate(ages))
    )

    report = import_file(con, path)

    assert rows(con, "SELECT contact_id, age FROM contacts ORDER BY age") == [
        ("C1", 0),
        ("C4", 45),
        ("C2", 120),
    ]
    # the header is line 1: C0 (-1) is on line 2, C3 (121) on line 5
    assert report.rejected_sample == [
        (2, "age: ogiltig ålder (heltal 0–120)"),
        (5, "age: ogiltig ålder (heltal 0–120)"),
    ]


def test_an_age_written_as_a_whole_float_or_minus_zero_is_read_as_that_age(con, tmp_path):
    ages = ["120.0", "-0", "121.0", "70.5", "", "-0.0"]
    path = contacts_csv(
        tmp_path / "contacts.csv", *({"contact_id": f"C{i}", "age": a} for i, a in enumerate(ages))
    )

    report = import_file(con, path)

    # 120.0 is 120 and -0 (or -0.0) is 0, both within 0-120; 121.0 is not; 70.5 is no whole number
    assert rows(con, "SELECT contact_id, age FROM contacts ORDER BY contact_id") == [
        ("C0", 120),
        ("C1", 0),
        ("C5", 0),
    ]
    # C2 is on line 4, C3 on line 5, C4 (empty) on line 6
    assert report.rejected_sample == [
        (4, "age: ogiltig ålder (heltal 0–120)"),
        (5, "age: ogiltig ålder (heltal 0–120)"),
        (6, "age: värde saknas"),
    ]


def test_trimming_a_sliced_table_looks_at_the_slices_own_values():
    # A slice shares its parent's buffers from an offset: the padded value is the slice's last,
    # and the parent's first values (the ones an offset ignored would look at) have no padding.
    table = pa.table({"c0": ["a", "b", "c\u00a0"], ROW: pa.array([1, 2, 3], pa.int64())}).slice(1)

    trimmed = trim_table(table)

    assert trimmed.column("c0").to_pylist() == ["b", "c"]


# Every Unicode space Arrow trims, at either end, after or before a Swedish letter.
UNICODE_SPACES = ["\u00a0", "\u0085", "\u1680", "\u2003", "\u2009", "\u202f", "\u205f", "\u3000"]


@pytest.mark.parametrize("space", UNICODE_SPACES, ids=[f"U+{ord(s):04X}" for s in UNICODE_SPACES])
def test_a_unicode_space_next_to_a_swedish_letter_is_trimmed_at_either_end(space):
    table = pa.table({"c0": ["Åby", f"Lindö{space}", f"{space}Åby", "x"], ROW: pa.array([1, 2, 3, 4])})

    assert trim_table(table).column("c0").to_pylist() == ["Åby", "Lindö", "Åby", "x"]


def test_names_that_begin_or_end_with_a_swedish_letter_are_not_copied_to_be_trimmed():
    # Trimming copies the whole column; a name like 'Läkarhuset Lindö' has nothing to trim.
    names = pa.chunked_array([["Läkarhuset Lindö", "Åby vårdcentral", "Vårdcentralen Väst", "é"]])
    table = pa.table({"c0": names, ROW: pa.array([1, 2, 3, 4])})

    trimmed = trim_table(table).column("c0")

    assert trimmed.to_pylist() == names.to_pylist()
    assert trimmed.chunk(0).buffers()[2].address == names.chunk(0).buffers()[2].address  # not copied


def test_a_row_is_empty_only_when_every_cell_is_nothing_null_or_a_null_word():
    from metrics.extracts.normalise import ColumnMap, empty_rows

    # rows: all words, all nothing, a value in the last column, nulls (Parquet, Excel), one value
    table = pa.table(
        {
            "c0": ["NULL", "", "", None, "NA", "x"],
            "c1": ["null", "", "", None, None, ""],
            "c2": ["NA", "", "7", None, "", ""],
            ROW: pa.array(range(2, 8), pa.int64()),
        }
    )
    columns = ColumnMap(sources={}, all_ids=("c0", "c1", "c2"), kept=(), notes=())

    assert empty_rows(table, columns) == 4
    assert empty_rows(table.slice(2, 1), columns) == 0  # '7' in its last column
    assert empty_rows(table.slice(5), columns) == 0  # a value in its first column


def test_import_log_records_the_import(con, tmp_path):
    path = contacts_csv(tmp_path / "contacts.csv", {"contact_id": "C1"}, {"contact_id": "C2", "age": "-1"})

    import_file(con, path)

    [log] = rows(
        con,
        "SELECT import_id, file, extract, source, length(content_hash), status, rows_read, rows_accepted, "
        "rows_rejected, rows_replaced, notes FROM import_log",
    )
    assert log == (1, "contacts.csv", "contacts", None, 64, "ok", 2, 1, 1, 0, None)
    assert rows(con, "SELECT import_id, file, extract, row_number FROM rejected_rows") == [
        (1, "contacts.csv", "contacts", 3)
    ]


# --- folders and progress ----------------------------------------------------------------------


def test_a_folder_is_imported_recursively_in_sorted_order_and_failures_do_not_stop_it(con, tmp_path):
    (tmp_path / "b").mkdir()
    contacts_csv(tmp_path / "b" / "contacts_2.csv", {"contact_id": "C2"})
    contacts_csv(tmp_path / "a_contacts_bad_name.csv", {})
    contacts_csv(tmp_path / "contacts_1.csv", {"contact_id": "C1"})
    (tmp_path / "README.md").write_text("not an extract", encoding="utf-8")
    (tmp_path / "~$contacts_1.xlsx").write_bytes(b"Excel lock file")

    reports = import_paths(con, [tmp_path])

    assert [(r.file, r.status) for r in reports] == [
        ("a_contacts_bad_name.csv", "failed"),
        ("contacts_2.csv", "ok"),
        ("contacts_1.csv", "ok"),
    ]
    assert rows(con, "SELECT contact_id FROM contacts ORDER BY 1") == [("C1",), ("C2",)]


def test_an_empty_folder_is_reported(con, tmp_path):
    [report] = import_paths(con, [tmp_path])

    assert report.status == "failed"
    assert "mappen innehåller inga filer att importera" in (report.error or "")


def test_progress_lines_are_short_swedish_and_hold_no_values(con, tmp_path):
    lines: list[str] = []
    path = contacts_csv(
        tmp_path / "contacts.csv", {"contact_id": "C1"}, {"contact_id": "C2", "kommun": "9999"}
    )

    report = import_file(con, path, progress=lines.append)

    assert isinstance(report, ImportReport)
    assert re.fullmatch(r"contacts\.csv: läser \d kB …", lines[0])
    assert lines[1:] == [
        "contacts.csv: kontrollerar 2 rader …",
        "contacts.csv: sparar 1 rad …",
        "contacts.csv: klart, importerade 1 rad, avvisade 1",
    ]


# --- documentation -----------------------------------------------------------------------------


def test_docs_describe_every_extract_and_column():
    text = (Path(__file__).parent.parent / "docs" / "extracts.md").read_text(encoding="utf-8")
    for extract in EXTRACTS.values():
        section = re.search(rf"^### `{extract.name}`.*?(?=^### |\Z)", text, flags=re.M | re.S)
        assert section, f"docs/extracts.md has no section for {extract.name}"
        for column in extract.columns:
            assert f"`{column.name}`" in section.group(0), f"{extract.name}.{column.name} undocumented"
