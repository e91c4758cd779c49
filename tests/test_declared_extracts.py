"""Extracts an analyst declares under `extracts:` are imported and computed like the built-in ones.

The declaration used throughout is the example shipped in docs/extracts.md (a kommun's own
vaccinations file), so the documented example is tested as written.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from metrics.catalogue.extract_declarations import QUERY_STEPS
from metrics.catalogue.loader import load_catalogue
from metrics.cli import main
from metrics.compute.check import check_sql
from metrics.compute.sandbox import sql_problems
from metrics.compute.sqlgen import indicator_sql
from metrics.errors import CatalogueError, ExtractError
from metrics.extracts.declared_tables import ensure_declared_table
from metrics.extracts.schema import EXTRACTS
from tests.conftest import REPO

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "extracts.md").read_text(encoding="utf-8")
DECLARATION = re.search(r"```yaml\n(extracts:\n.*?)```", DOC, re.S).group(1)  # type: ignore[union-attr]

HEADER = """\
version: 1
settings:
  suppression: {min_denominator: 0, min_count: 1000, max_count: 1000}  # out of the way of small numbers
plan_areas:
  - {id: fokusflyttning, title: Proaktiv och hälsofrämjande}
"""
VACCINATED = """\
indicators:
  - id: influensavaccination_65
    title: Influensavaccinerade 65 år och äldre
    description: Andel invånare 65 år och äldre som vaccinerats mot influensa under året.
    plan_areas: [fokusflyttning]
    source: vaccinations
    age: {min: 65}
    numerator: {count: persons, where: "vaccine = 'influensa'"}
    denominator: population
    multiplier: 100
    unit: "%"
    direction: higher
"""
COLUMNS = "vaccination_id,person_id,kommun,sex,age,vaccination_date,vaccine,dose"


def write_catalogue(place: Path, declaration: str = DECLARATION, indicators: str = VACCINATED) -> Path:
    path = place / "indicators.yaml"
    path.write_text(HEADER + declaration + indicators, encoding="utf-8")
    return path


def cli(place: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, [*args])
    return result.exit_code, result.output


def write(place: Path, name: str, text: str) -> Path:
    path = place / name
    path.write_text(text, encoding="utf-8")
    return path


def query(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


# --- the declaration -------------------------------------------------------------------------------


def test_the_documented_declaration_becomes_an_extract_like_the_built_in_ones(tmp_path):
    catalogue = load_catalogue(write_catalogue(tmp_path), strict=True).catalogue
    [vaccinations] = catalogue.extracts
    assert vaccinations.name == "vaccinations"
    assert vaccinations.column_names == (
        "vaccination_id",
        "person_id",
        "kommun",
        "sex",
        "age",
        "vaccination_date",
        "vaccine",
        "dose",
    )
    assert vaccinations.key == ("vaccination_id",)
    assert vaccinations.date_column == "vaccination_date"
    assert vaccinations.person_level and vaccinations.scope == "kommun"
    assert vaccinations.column("vaccine").values == ("influensa", "covid19", "pneumokock")
    assert not vaccinations.column("dose").required and vaccinations.column("dose").min == 1
    assert "vaccinations" not in EXTRACTS  # declared per catalogue, never added to the built-ins
    indicator = catalogue.indicator("influensavaccination_65")
    assert indicator.extract is vaccinations
    assert check_sql(catalogue) == []


BAD = {  # (text replaced, replacement, message, hint, text of the line the problem points at)
    "unknown type": (
        "{name: dose, type: int,",
        "{name: dose, type: integer,",
        "kolumnen 'dose' har okänd typ 'integer'",
        "menade du 'int'?",
        "type: integer",
    ),
    "missing key column": (
        "key: [vaccination_id]",
        "key: [vacination_id]",
        "nyckelkolumnen 'vacination_id' är ingen av kolumnerna",
        "menade du 'vaccination_id'?",
        "key: [vacination_id]",
    ),
    "misspelt key": (
        "    date: vaccination_date",
        "    datum: vaccination_date",
        "okänd nyckel 'datum'",
        "menade du 'date'?",
        "datum:",
    ),
    "no kommun column": (
        "      - {name: kommun, type: kommun}\n",
        "",
        "kolumnen kommun (type: kommun) saknas",
        None,
        "columns:",
    ),
    "a built-in name": (
        "  - name: vaccinations",
        "  - name: contacts",
        "finns redan som inbyggt utdrag",
        None,
        "name: contacts",
    ),
    # a step of the generated queries: the source would be read as the step (QUERY_STEPS)
    "a name the generated queries use": (
        "  - name: vaccinations",
        "  - name: snapshot_dates",
        "namnet 'snapshot_dates' används av mätavlans genererade frågor",
        "välj ett annat namn, t.ex. 'snapshot_dates_utdrag'",
        "name: snapshot_dates",
    ),
    # the engine's SQL adds a column of this name to a person's rows (sqlgen.LATEST_KEY)
    "a column the engine adds": (
        "{name: dose, type: int,",
        "{name: latest_key, type: int,",
        "kolumnnamnet 'latest_key' är reserverat",
        "mätavlans frågor använder d, period_type, period_start, latest_key själva; välj ett annat namn",
        "{name: latest_key",
    ),
    "enum without values": (
        "{name: vaccine, type: enum, values: [influensa, covid19, pneumokock]}",
        "{name: vaccine, type: enum}",
        "kolumnen 'vaccine' (enum) behöver values",
        None,
        "{name: vaccine, type: enum}",
    ),
}


def test_every_step_the_generated_queries_name_is_refused_as_an_extract_name():
    """A declared extract named like a CTE of the generated SQL would be read as that step (review 13:
    `snapshot_dates`). The modules that write queries over extracts are read for `name AS (`."""
    modules = [*(REPO / "metrics" / "compute").glob("*.py"), REPO / "metrics" / "extracts" / "coverage.py"]
    step = re.compile(r'"\s*(?:WITH )?(\w+) AS (?:NOT )?(?:MATERIALIZED )?\(\\n')
    steps = {name for path in modules for name in step.findall(path.read_text(encoding="utf-8"))}
    assert {"base", "snapshot_dates", "last_rows", "dated", "several"} <= steps  # the reading works
    assert steps <= set(QUERY_STEPS), sorted(steps - set(QUERY_STEPS))


@pytest.mark.parametrize(("old", "new", "message", "hint", "at"), BAD.values(), ids=BAD.keys())
def test_a_bad_declaration_is_reported_with_file_line_and_hint(tmp_path, old, new, message, hint, at):
    assert old in DECLARATION
    declaration = DECLARATION.replace(old, new)
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(write_catalogue(tmp_path, declaration), strict=True)
    problem = next(p for p in caught.value.problems if message in p.message)
    assert problem.file == "indicators.yaml"
    assert problem.line is not None
    assert at in (HEADER + declaration).splitlines()[problem.line - 1]
    assert problem.hint == hint or hint is None


def test_import_refuses_a_bad_declaration_with_its_line_and_imports_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    declaration = DECLARATION.replace("type: date}", "type: datum}")
    line = (HEADER + declaration).splitlines().index("      - {name: vaccination_date, type: datum}") + 1
    write_catalogue(tmp_path, declaration)
    write(tmp_path, "vaccinations_2024.csv", f"{COLUMNS}\nv1,p1,0580,K,70,2024-10-01,influensa,1\n")
    code, output = cli(tmp_path, "import", "vaccinations_2024.csv", "--db", "m.duckdb")
    assert code == 1
    assert f"indicators.yaml:{line}" in output and "okänd typ 'datum'" in output
    assert "menade du 'date'?" in output


def test_an_indicator_is_validated_against_the_declared_columns(tmp_path):
    indicators = VACCINATED.replace("where: \"vaccine = 'influensa'\"", "where: doses").replace(
        "{count: persons, where: doses}", "{sum: doses}"
    )
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(write_catalogue(tmp_path, indicators=indicators), strict=True)
    [problem] = caught.value.problems
    assert "okänd kolumn 'doses' i källan 'vaccinations'" in problem.message
    assert problem.hint == "menade du 'dose'?"


# --- import ----------------------------------------------------------------------------------------


def test_a_declared_extract_is_imported_with_rejected_rows_coverage_and_the_log(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_catalogue(tmp_path)
    write(
        tmp_path,
        "vaccinations_2024.csv",
        f"{COLUMNS}\n"
        "v1,p1,0580,K,70,2024-10-01,influensa,1\n"
        "v2,p2,0580,M,80,2024-10-02,Influensa,\n"  # 'Influensa' is the enum's influensa; no dose is allowed
        "v3,p3,580,K,66,2024-11-02,covid19,2\n"  # a three-digit kommun code gets its zero back
        "v4,p4,0580,K,90,2024-13-02,influensa,1\n"  # month 13: rejected (file row 5)
        "v5,p5,9999,K,90,2024-10-02,influensa,1\n"  # no such kommun: rejected (row 6)
        "v6,p6,0580,K,90,2024-10-02,mässling,1\n",  # not an allowed vaccine: rejected (row 7)
    )
    code, output = cli(tmp_path, "import", "vaccinations_2024.csv", "--db", "m.duckdb")
    assert code == 0, output
    assert "vaccinations_2024.csv (vaccinations): 3 rader importerade, 3 avvisade" in output
    assert "rad 5: vaccination_date: ogiltigt datum (använd ÅÅÅÅ-MM-DD)" in output
    assert "rad 6: kommun: okänd kommunkod (fyra siffror enligt SCB, t.ex. 0580)" in output
    assert "rad 7: vaccine: okänt värde (tillåtna: influensa, covid19, pneumokock)" in output
    db = tmp_path / "m.duckdb"
    assert query(db, "SELECT vaccination_id, kommun, vaccine, dose FROM vaccinations ORDER BY 1") == [
        ("v1", "0580", "influensa", 1),
        ("v2", "0580", "influensa", None),
        ("v3", "0580", "covid19", 2),
    ]
    assert query(db, "SELECT file, extract, row_number FROM rejected_rows ORDER BY 3") == [
        ("vaccinations_2024.csv", "vaccinations", 5),
        ("vaccinations_2024.csv", "vaccinations", 6),
        ("vaccinations_2024.csv", "vaccinations", 7),
    ]
    # delivered_by: kommun — the file covers the kommun it has rows for, October–November
    assert query(db, "SELECT extract, kommun, first_month, last_month, basis FROM coverage") == [
        ("vaccinations", "0580", *query(db, "SELECT DATE '2024-10-01', DATE '2024-11-01'")[0], "kommun")
    ]
    assert query(db, "SELECT extract, status, rows_accepted, rows_rejected FROM import_log") == [
        ("vaccinations", "ok", 3, 3)
    ]


def test_a_personnummer_in_a_declared_text_column_refuses_the_whole_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    declaration = DECLARATION.replace(
        "      - {name: dose, type: int, min: 1, required: false}",
        "      - {name: dose, type: int, min: 1, required: false}\n"
        "      - {name: note, type: text, required: false}",
    )
    write_catalogue(tmp_path, declaration)
    write(
        tmp_path,
        "vaccinations_2024.csv",
        f"{COLUMNS},note\n"
        "v1,p1,0580,K,70,2024-10-01,influensa,1,\n"
        "v2,p2,0580,M,80,2024-10-02,influensa,1,ringde 19121212-1212 om tid\n",
    )
    code, output = cli(tmp_path, "import", "vaccinations_2024.csv", "--db", "m.duckdb")
    assert code == 1
    assert (
        "vaccinations_2024.csv, rad 3: kolumnen 'note' innehåller ett värde som ser ut som ett personnummer"
        in output
    )
    assert "19121212" not in output
    db = tmp_path / "m.duckdb"
    # one transaction: nothing stored, not even the table the first import would have made
    assert query(db, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'vaccinations'") == [
        (0,)
    ]
    assert query(db, "SELECT count(*) FROM import_log") == [(0,)]


def test_a_declared_person_id_that_is_a_personnummer_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_catalogue(tmp_path)
    write(tmp_path, "vaccinations_2024.csv", f"{COLUMNS}\nv1,191212121212,0580,K,70,2024-10-01,influensa,1\n")
    code, output = cli(tmp_path, "import", "vaccinations_2024.csv", "--db", "m.duckdb")
    assert code == 1
    assert "rad 2: kolumnen 'person_id' innehåller ett värde som ser ut som ett personnummer" in output


def test_a_changed_column_type_is_refused_and_a_new_column_added(tmp_path):
    catalogue = load_catalogue(write_catalogue(tmp_path), strict=True).catalogue
    [vaccinations] = catalogue.extracts
    con = duckdb.connect()
    ensure_declared_table(con, vaccinations)
    con.execute("INSERT INTO vaccinations (vaccination_id, dose) VALUES ('v1', 2)")
    widened = load_catalogue(
        write_catalogue(
            tmp_path,
            DECLARATION.replace(
                "type: int, min: 1, required: false}",
                "type: int, min: 1, required: false}\n      - {name: batch, type: text, required: false}",
            ),
        ),
        strict=True,
    ).catalogue.extracts[0]
    ensure_declared_table(con, widened)
    assert con.execute("SELECT vaccination_id, dose, batch FROM vaccinations").fetchall() == [("v1", 2, None)]
    retyped = load_catalogue(
        write_catalogue(
            tmp_path, DECLARATION.replace("{name: dose, type: int", "{name: dose, type: decimal")
        ),
        strict=True,
    ).catalogue.extracts[0]
    with pytest.raises(ExtractError, match="kolumnen 'dose' i utdraget 'vaccinations' har bytt typ"):
        ensure_declared_table(con, retyped)
    con.execute("CREATE TABLE notes (text VARCHAR)")
    with pytest.raises(ExtractError, match="inte är ett utdrag"):
        ensure_declared_table(con, vaccinations.__class__(**{**vaccinations.__dict__, "name": "notes"}))


# --- computed end to end ---------------------------------------------------------------------------


def test_an_indicator_over_a_declared_extract_is_computed_end_to_end(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_catalogue(tmp_path)
    write(
        tmp_path,
        "vaccinations_2024.csv",
        f"{COLUMNS}\n"
        "v1,p1,0580,K,70,2024-10-01,influensa,1\n"
        "v2,p1,0580,K,70,2024-11-01,influensa,2\n"  # p1's second dose: still one person
        "v3,p2,0580,M,80,2024-10-02,influensa,1\n"
        "v4,p3,0580,K,66,2024-11-02,covid19,1\n"  # not influensa
        "v5,p4,0580,K,50,2024-10-02,influensa,1\n"  # under 65
        "v6,p5,0581,K,90,2024-10-02,influensa,1\n",
    )
    write(
        tmp_path,
        "population_2024.csv",
        "kommun,year,sex,age,count\n"
        "0580,2024,K,70,6\n0580,2024,M,80,4\n0580,2024,K,50,100\n"  # Linköping: 6 + 4 = 10 aged 65+
        "0581,2024,K,90,4\n",  # Norrköping: 4 aged 65+
    )
    code, output = cli(tmp_path, "import", "vaccinations_2024.csv", "population_2024.csv", "--db", "m.duckdb")
    assert code == 0, output
    code, output = cli(tmp_path, "compute", "--db", "m.duckdb")
    assert code == 0, output
    got = dict(
        (area, (num, den, value))
        for area, num, den, value in query(
            tmp_path / "m.duckdb",
            "SELECT area_code, numerator, denominator, value FROM results "
            "WHERE indicator = 'influensavaccination_65' AND period = '2024' AND breakdown = 'total' "
            "AND NOT missing",
        )
    )
    # Linköping: p1 and p2 of 10 inhabitants aged 65+ = 20 %; Norrköping: p5 of 4 = 25 %;
    # the län (the kommuner the files cover): (2 + 1) / (10 + 4) = 3/14 = 21.43 %
    assert got["0580"] == (2, 10, pytest.approx(20.0))
    assert got["0581"] == (1, 4, pytest.approx(25.0))
    assert got["05"] == (3, 14, pytest.approx(100 * 3 / 14))


# --- the sandbox ------------------------------------------------------------------------------------

ROW_SQL = """\
indicators:
  - id: egen
    title: Egen
    description: Egen fråga.
    plan_areas: [fokusflyttning]
    source: {source}
    row_sql: "{sql}"
    multiplier: 100
    unit: "%"
    direction: higher
"""
ROWS = "SELECT kommun, sex, age, vaccination_date AS date, 1 AS numerator, 1 AS denominator FROM {table}"


def sandbox_problems(tmp_path: Path, source: str, sql: str) -> list[str]:
    path = write_catalogue(tmp_path, indicators=ROW_SQL.format(source=source, sql=sql))
    indicator = load_catalogue(path, strict=True).catalogue.indicator("egen")
    return [p.message for p in sql_problems(indicator, indicator_sql(indicator))]


def test_row_sql_may_read_a_declared_extract_it_lists_as_source(tmp_path):
    assert sandbox_problems(tmp_path, "vaccinations", ROWS.format(table="vaccinations")) == []


READS = {
    "read_csv": "read_csv('/any/path')",
    "a file name as a table": "'vaccinations_2024.csv'",
    "a declared extract not listed under sources": "vaccinations",
    "an internal table": "rejected_rows",
}


@pytest.mark.parametrize("table", READS.values(), ids=READS.keys())
def test_row_sql_reads_no_file_and_no_table_beyond_the_declared(tmp_path, table):
    source = "contacts" if table == "vaccinations" else "vaccinations"
    [problem] = sandbox_problems(tmp_path, source, ROWS.format(table=table))
    assert "otillåten SQL" in problem
