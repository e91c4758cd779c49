"""Independent review of the sandbox and personnummer change (issue 7, parts 1 and 2).

Each test is a reproducer of an attack that got through the merged change (afe95c5):
- a CTE named like a non-extract table made the checker treat that table as the CTE,
  so catalogue SQL could read `rejected_rows.raw`, `results` or `import_log`;
- a personnummer written with Arabic-Indic or Devanagari digits (NFKC keeps them) was stored;
- a personnummer inside a longer text (`pat 19121212-1212 vc`) was stored, in a text
  column and in the raw text of a rejected row;
- an ignored column whose name holds a personnummer was quoted in the import log's notes.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import duckdb
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from metrics.catalogue.loader import load_catalogue
from metrics.compute.sqlgen import indicator_sql
from metrics.db import ensure_schema
from metrics.errors import ExtractError
from metrics.extracts import import_file
from metrics.extracts.options import ImportOptions
from metrics.extracts.personnummer import looks_like_personnummer
from tests.test_import import CONTACT, CONTACT_COLUMNS, contacts_csv, table_counts
from tests.test_sandbox import HEADER, WHERE_LINE, assert_refused, hostile, imported, place, run, stored

__all__ = ["imported", "place"]  # the fixtures, shared with test_sandbox

# --- part 1: catalogue SQL cannot read tables other than the extracts -------------------------

SHADOWS = {
    # A non-recursive CTE's own name, inside its definition, is the real table (as in Postgres).
    "a CTE that reads the table it is named after": {
        "where": "person_id IN (WITH rejected_rows AS (SELECT raw AS person_id FROM rejected_rows) "
        "SELECT person_id FROM rejected_rows)"
    },
    # A CTE is visible only in its own query; the same name elsewhere is the real table.
    "a CTE in a sibling subquery": {
        "where": "(SELECT count(*) FROM (WITH import_log AS (SELECT 1) SELECT * FROM import_log)) "
        "< (SELECT count(*) FROM import_log)"
    },
    "a CTE in row_sql that reads results": {
        "row_sql": "WITH results AS (SELECT * FROM results) SELECT kommun, sex, age, contact_date AS date, "
        "(SELECT count(*) FROM results) AS numerator, 1 AS denominator FROM contacts"
    },
}


@pytest.mark.parametrize("attack", SHADOWS.values(), ids=SHADOWS.keys())
def test_a_cte_named_like_another_table_cannot_read_it(place, attack):
    code, output = run(place, "check", hostile(**attack))
    assert_refused(place, code, output, WHERE_LINE)

    code, output = run(place, "compute", hostile(**attack))
    assert_refused(place, code, output, WHERE_LINE)
    assert stored(place)[0] == 0


def test_a_recursive_cte_may_still_read_itself(place):
    # The fix must not refuse what is legitimate: a recursive CTE's self-reference is the CTE.
    attack = {
        "where": "age IN (WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 120) "
        "SELECT i FROM n)"
    }
    code, output = run(place, "check", hostile(**attack))
    assert code == 0, output


# --- part 2: personnummer in shapes that got through ------------------------------------------


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    ensure_schema(connection)
    return connection


def assert_nothing_stored(con: duckdb.DuckDBPyConnection) -> None:
    counts = table_counts(con)
    assert counts["contacts"] == counts["rejected_rows"] == counts["import_log"] == 0


OTHER_DIGITS = {
    "Arabic-Indic digits": "\u0661\u0662\u0661\u0662\u0661\u0662-\u0661\u0662\u0661\u0662",
    "Devanagari digits": "\u0967\u0968\u0967\u0968\u0967\u0968-\u0967\u0968\u0967\u0968",
    "Extended Arabic-Indic digits": "\u06f1\u06f2\u06f1\u06f2\u06f1\u06f2\u06f1\u06f2\u06f1\u06f2",
}


@pytest.mark.parametrize("shape", OTHER_DIGITS.values(), ids=OTHER_DIGITS.keys())
def test_a_personnummer_in_other_scripts_digits_is_refused(con, tmp_path, shape):
    # 121212-1212 is a valid personnummer (Luhn over 1212121212: 2+1+2+1+2+1+2+1+2+... = 20 ≡ 0).
    assert looks_like_personnummer(shape)
    path = contacts_csv(
        tmp_path / "contacts_2024.csv", {"contact_id": "C1"}, {"contact_id": "C2", "person_id": shape}
    )
    with pytest.raises(ExtractError) as caught:
        import_file(con, path)
    assert caught.value.row == 3
    assert_nothing_stored(con)


EMBEDDED = {
    "care_unit": "pat 19121212-1212 vc",
    "staff_id": "läk 121212-1212",
    "contact_id": "kontakt (19121212 1212)",
}


@pytest.mark.parametrize(("column", "text"), EMBEDDED.items(), ids=EMBEDDED.keys())
def test_a_personnummer_inside_a_longer_text_is_refused(con, tmp_path, column, text):
    path = contacts_csv(
        tmp_path / "contacts_2024.csv", {"contact_id": "C1"}, {"contact_id": "C2", column: text}
    )
    with pytest.raises(ExtractError) as caught:
        import_file(con, path)
    assert caught.value.row == 3 and "1212" not in str(caught.value)
    assert_nothing_stored(con)


def test_a_personnummer_inside_a_rejected_dates_text_is_refused(con, tmp_path):
    # The date does not parse, so the row is rejected and its raw text would be kept in rejected_rows.
    path = contacts_csv(
        tmp_path / "contacts_2024.csv",
        {"contact_id": "C1"},
        {"contact_id": "C2", "contact_date": "pnr 191212121212"},
    )
    with pytest.raises(ExtractError) as caught:
        import_file(con, path)
    assert caught.value.row == 3
    assert_nothing_stored(con)


def test_an_ignored_column_named_with_a_personnummer_is_not_logged(con, tmp_path):
    path = tmp_path / "contacts_2024.csv"
    row = ",".join(CONTACT[n] for n in CONTACT_COLUMNS.split(","))
    path.write_text(f"{CONTACT_COLUMNS},anteckning 19121212-1212\n{row},x\n", encoding="utf-8")
    try:
        import_file(con, path)
    except ExtractError as exc:
        assert "1212" not in str(exc)
    notes = con.execute(
        "SELECT coalesce(string_agg(CAST(import_log AS VARCHAR), ' '), '') FROM import_log"
    ).fetchone()
    assert notes is not None and "1212" not in notes[0]


FALSE_POSITIVES = {
    "a date": "besök 20240131",
    "a phone number": "tel 070-123 45 67",
    "a pseudonym with a letter prefix": "P1234567897",
    "a ten-digit id without a valid check digit": "id 1234567890",
}


@pytest.mark.parametrize("text", FALSE_POSITIVES.values(), ids=FALSE_POSITIVES.keys())
def test_texts_that_are_no_personnummer_are_stored(con, tmp_path, text):
    path = contacts_csv(
        tmp_path / "contacts_2024.csv", {"contact_id": "C1"}, {"contact_id": "C2", "care_unit": text}
    )
    report = import_file(con, path)
    assert report.status == "ok"
    assert con.execute("SELECT count(*) FROM contacts").fetchone() == (2,)


# --- part 1: values of the catalogue that the generated SQL quotes ---------------------------

CODES_CATALOGUE = """\
version: 1
settings:
  suppression: {min_denominator: 10, min_count: 1, max_count: 4}
  code_lists:
    hjarta: ["I10') OR (1=1", "I20"]
plan_areas:
  - {id: tillganglighet, title: Ökad tillgänglighet}
indicators:
  - id: hjarta
    title: Hjärtvård
    description: Andel vårdtillfällen för hjärtsjukdom.
    plan_areas: [tillganglighet]
    source: inpatient
    numerator: {count: rows, codes: {column: main_diagnosis, list: hjarta}}
    denominator: rows
    multiplier: 100
    unit: "%"
    direction: higher
"""


def test_a_code_list_entry_is_a_string_never_sql(tmp_path):
    # `I10') OR (1=1` spliced unquoted made every row count as a heart diagnosis.
    path = tmp_path / "indicators.yaml"
    path.write_text(CODES_CATALOGUE, encoding="utf-8")
    indicator = load_catalogue(path, strict=True).catalogue.indicator("hjarta")
    sql = indicator_sql(indicator)
    tree = duckdb.connect().execute("SELECT json_serialize_sql(?::VARCHAR)", [sql]).fetchone()
    assert tree is not None
    constants = re.findall(r'"text":\s*"((?:[^"\\]|\\.)*)"', tree[0])
    assert "I10') OR (1=1" in constants


def test_a_personnummer_given_as_source_is_not_echoed(con, tmp_path):
    path = contacts_csv(tmp_path / "contacts_2024.csv", {"contact_id": "C1"})
    with pytest.raises(ExtractError) as caught:
        import_file(con, path, source="19121212-1212")
    assert "okänt uttag" in str(caught.value) and "1212" not in str(caught.value)


# --- part 1: a query that never ends ----------------------------------------------------------

SLOW = (
    "(SELECT count(*) FROM contacts a, contacts b, contacts c, contacts d, contacts e, contacts f, "
    "contacts g, contacts h WHERE hash(a.person_id || b.person_id || c.person_id || d.person_id || "
    "e.person_id || f.person_id || g.person_id || h.person_id) = 7) >= 0"
)


def test_a_query_that_runs_for_hours_is_stopped_at_the_time_limit(place):
    # 8 self-joins of the fixture's contacts: 22^8 ≈ 5.5e10 rows, hours of work; before the limit
    # `matavla compute` ran on, holding the database. With MATAVLA_SQL_TIMEOUT=2 it stops in seconds.
    catalogue = place / "indicators.yaml"
    catalogue.write_text(HEADER + hostile(where=SLOW), encoding="utf-8")
    command = "from metrics.cli import main; main()"
    args = ["compute", "--catalog", str(catalogue), "--db", str(place / "matavla.duckdb")]
    env = {**os.environ, "MATAVLA_SQL_TIMEOUT": "2"}
    try:
        done = subprocess.run(
            [sys.executable, "-c", command, *args], capture_output=True, text=True, timeout=90, env=env
        )
    except subprocess.TimeoutExpired:
        pytest.fail("matavla compute ran on past 90 s: catalogue SQL has no time limit")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "tidsgräns" in done.stdout + done.stderr
    _, runs = stored(place)
    message = next(m for i, _, m in runs if i == "fientlig")
    assert message is not None and "tidsgräns" in message and f"indicators.yaml:{WHERE_LINE}" in message
    assert ("planerade", "ok", None) in runs  # the others are still computed and written


def test_sheet_names_holding_a_personnummer_are_not_listed(con, tmp_path):
    # One sheet per patient is a real habit; an unknown --sheet lists the sheets in the hint.
    path = tmp_path / "contacts.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "Kontakter"
    book.active.append(CONTACT_COLUMNS.split(","))
    book.create_sheet("Pat 19121212-1212")
    book.save(path)
    with pytest.raises(ExtractError) as caught:
        import_file(con, path, options=ImportOptions(sheet="Data"))
    shown = str(caught.value) + str(caught.value.hint or "")
    assert "inget blad 'Data'" in shown and "1 'Kontakter'" in shown and "1212" not in shown


def test_a_personnummer_in_a_parquet_float_column_is_refused(con, tmp_path):
    # pandas writes a numeric id column with gaps as float64; Arrow formats 191212121212.0 as
    # "1.91212121212e+11", which the rule did not see, yet it is the personnummer, digit for digit.
    names = CONTACT_COLUMNS.split(",")
    columns = {n: pa.array([CONTACT[n], CONTACT[n]]) for n in names}
    columns["contact_id"] = pa.array(["C1", "C2"])
    columns["person_id"] = pa.array([1.0, 191212121212.0], pa.float64())
    path = tmp_path / "contacts_2024.parquet"
    pq.write_table(pa.table(columns), path)
    with pytest.raises(ExtractError) as caught:
        import_file(con, path)
    assert caught.value.row == 2  # Parquet rows are counted as records from 1
    assert_nothing_stored(con)
