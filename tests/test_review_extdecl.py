"""Review of declared extracts (issue 8 §6): what a careless or malicious declaration must not get past.

Each test states the rule it holds; all but the import guard failed on the merge under review (232707a).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from metrics.catalogue.loader import load_catalogue
from metrics.errors import CatalogueError
from metrics.extracts.personnummer import looks_like_personnummer
from tests.test_declared_extracts import COLUMNS, DECLARATION, VACCINATED, cli, query, write, write_catalogue

DOSE = "      - {name: dose, type: int, min: 1, required: false}"


def declare_also(*columns: str) -> str:
    """The documented declaration with more columns after `dose`."""
    return DECLARATION.replace(DOSE, "\n".join([DOSE, *(f"      - {c}" for c in columns)]))


# --- personnummer in a declared number column --------------------------------------------------------

# 19121212-1212 is the Tax Agency's test personnummer (valid Luhn check digit); as 10 digits,
# 1212121212 fits a 32-bit INTEGER, and as 12 digits a DOUBLE holds it exactly.
NUMBERS = {
    "12 digits in a decimal column": ("{name: ref, type: decimal, required: false}", "ref", "191212121212"),
    "10 digits in an int column": ("{name: ref, type: int, required: false}", "ref", "1212121212"),
}


@pytest.mark.parametrize(("column", "name", "value"), NUMBERS.values(), ids=NUMBERS.keys())
def test_a_personnummer_in_a_declared_number_column_refuses_the_whole_file(
    tmp_path, monkeypatch, column, name, value
):
    # An analyst's own file may put the patient's number in any column they declare; a
    # number column must not be the way a personnummer gets stored.
    monkeypatch.chdir(tmp_path)
    write_catalogue(tmp_path, declare_also(column))
    write(
        tmp_path,
        "vaccinations_2024.csv",
        f"{COLUMNS},{name}\nv1,p1,0580,K,70,2024-10-01,influensa,1,7\nv2,p2,0580,K,70,2024-10-01,influensa,1,{value}\n",
    )
    code, output = cli(tmp_path, "import", "vaccinations_2024.csv", "--db", "m.duckdb")
    assert code == 1, output
    assert f"rad 3: kolumnen '{name}' innehåller ett värde som ser ut som ett personnummer" in output
    assert value not in output
    assert query(tmp_path / "m.duckdb", "SELECT count(*) FROM import_log") == [(0,)]


# --- columns every extract's rows must have --------------------------------------------------------

OPTIONAL = {
    "kommun": ("{name: kommun, type: kommun}", "{name: kommun, type: kommun, required: false}", "kommun"),
    "the date": (
        "{name: vaccination_date, type: date}",
        "{name: vaccination_date, type: date, required: false}",
        "vaccination_date",
    ),
    "person_id": (
        '{name: person_id, type: text, description: "pseudonym, aldrig personnummer"}',
        "{name: person_id, type: text, required: false}",
        "person_id",
    ),
    "age": ("{name: age, type: age}", "{name: age, type: age, required: false}", "age"),
}


@pytest.mark.parametrize(("old", "new", "column"), OPTIONAL.values(), ids=OPTIONAL.keys())
def test_the_columns_results_are_counted_by_cannot_be_optional(tmp_path, old, new, column):
    # A row without kommun or date is dropped from every result without a word, and rows without
    # person_id all count as one person: such rows must be rejected at import, as for the built-ins.
    assert old in DECLARATION
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(write_catalogue(tmp_path, DECLARATION.replace(old, new)), strict=True)
    # (the indicator over the extract then names an unknown source: a second problem)
    problem = next(p for p in caught.value.problems if "required: false" in p.message)
    assert f"kolumnen '{column}' kan inte ha required: false" in problem.message
    assert (
        "required: false" in (Path(tmp_path / "indicators.yaml").read_text().splitlines()[problem.line - 1])
    )


def test_an_import_rejects_a_row_without_kommun_date_or_person(tmp_path, monkeypatch):
    # the built-in rule, kept for the declared extract as documented (kommun, date, person_id required)
    monkeypatch.chdir(tmp_path)
    write_catalogue(tmp_path)
    write(
        tmp_path,
        "vaccinations_2024.csv",
        f"{COLUMNS}\nv1,p1,0580,K,70,2024-10-01,influensa,1\nv2,,0580,K,70,2024-10-01,influensa,1\n"
        "v3,p3,,K,70,2024-10-01,influensa,1\nv4,p4,0580,K,70,,influensa,1\n",
    )
    code, output = cli(tmp_path, "import", "vaccinations_2024.csv", "--db", "m.duckdb")
    assert code == 0, output
    assert query(tmp_path / "m.duckdb", "SELECT vaccination_id FROM vaccinations") == [("v1",)]


# --- names the generated SQL gives its own columns -------------------------------------------------


@pytest.mark.parametrize("name", ["d", "period_type", "period_start"])
def test_a_declared_column_may_not_take_a_name_the_generated_sql_uses(tmp_path, name):
    # The generated SQL adds `d`, `period_type` and `period_start` beside the extract's columns
    # (`SELECT *, … AS d`); a declared column of that name shadows them and the results are
    # silently wrong: two vaccinated persons counted as 0 in the year, with a date column named
    # period_start (reproduced with `matavla compute`).
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(
            write_catalogue(tmp_path, declare_also(f"{{name: {name}, type: date, required: false}}")),
            strict=True,
        )
    problem = next(p for p in caught.value.problems if "reserverat" in p.message)
    assert f"kolumnnamnet '{name}' är reserverat" in problem.message
    assert f"{{name: {name}," in Path(tmp_path / "indicators.yaml").read_text().splitlines()[problem.line - 1]


# --- a catalogue being edited does not stop the built-in imports -----------------------------------

BROKEN = "  - id: half_written\n    title: [unclosed\n"  # a YAML error at the end of the indicators


def test_a_yaml_error_in_an_indicator_does_not_stop_importing_a_built_in_extract(tmp_path, monkeypatch):
    # docs/extracts.md: "`import` reads only the `extracts:` section, so a broken indicator never
    # stops an import"; before, any YAML error in the catalogue failed every import
    monkeypatch.chdir(tmp_path)
    path = write_catalogue(tmp_path)
    path.write_text(path.read_text(encoding="utf-8") + BROKEN, encoding="utf-8")
    write(tmp_path, "population_2024.csv", "kommun,year,sex,age,count\n0580,2024,K,70,10\n")
    code, output = cli(tmp_path, "import", "population_2024.csv", "--db", "m.duckdb")
    assert code == 0, output
    assert "YAML-fel" in output  # said, but the file is imported
    assert query(tmp_path / "m.duckdb", "SELECT sum(count) FROM population") == [(10,)]


@pytest.mark.parametrize("name", ["vaccinations_2024.csv", "contacts_home_2024.csv", "survey2_2024.csv"])
def test_a_yaml_error_still_stops_a_file_that_may_be_a_declared_extract(tmp_path, monkeypatch, name):
    # contacts_home_2024 could be a declared contacts_home, survey2_2024 a declared survey2: never
    # guessed to be the built-in contacts or survey
    monkeypatch.chdir(tmp_path)
    path = write_catalogue(tmp_path)
    text = path.read_text(encoding="utf-8") + BROKEN
    path.write_text(text, encoding="utf-8")
    write(tmp_path, name, f"{COLUMNS}\nv1,p1,0580,K,70,2024-10-01,influensa,1\n")
    code, output = cli(tmp_path, "import", name, "--db", "m.duckdb")
    assert code == 1
    assert re.search(r"Fel: indicators\.yaml:\d+: YAML-fel", output), output


# --- a declaration changed between imports ----------------------------------------------------------

CONTACTS = """\
  - id: kontakter
    title: Kontakter
    description: Personer med kontakt.
    plan_areas: [fokusflyttning]
    source: contacts
    numerator: persons
    denominator: population
    unit: per 1 000
    multiplier: 1000
    direction: neutral
"""


def test_a_changed_column_type_fails_only_the_indicators_that_read_the_extract(tmp_path, monkeypatch):
    # A declaration whose type changed after an import is refused (stored rows would be
    # converted silently); before, that stopped the whole compute, built-in indicators too.
    monkeypatch.chdir(tmp_path)
    path = write_catalogue(tmp_path, indicators=VACCINATED + CONTACTS)
    write(tmp_path, "vaccinations_2024.csv", f"{COLUMNS}\nv1,p1,0580,K,70,2024-10-01,influensa,1\n")
    write(tmp_path, "population_2024.csv", "kommun,year,sex,age,count\n0580,2024,K,70,10\n")
    code, output = cli(tmp_path, "import", "vaccinations_2024.csv", "population_2024.csv", "--db", "m.duckdb")
    assert code == 0, output
    path.write_text(path.read_text().replace("{name: dose, type: int", "{name: dose, type: decimal"))
    code, output = cli(tmp_path, "compute", "--db", "m.duckdb")
    assert code == 1
    assert "1 av 2 indikatorer beräknade" in output, output
    assert "influensavaccination_65: " in output and "har bytt typ" in output
    ran = query(tmp_path / "m.duckdb", "SELECT indicator, status FROM indicator_runs ORDER BY 1")
    assert [i for i, _ in ran] == ["influensavaccination_65", "kontakter"]


def test_an_unknown_file_name_points_to_the_catalogue_that_declares_extracts(tmp_path, monkeypatch):
    # imported from a folder without the catalogue, a declared extract's file is unknown: the
    # hint must say where extracts of one's own come from, not only list the built-in ones
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "vaccinations_2024.csv", f"{COLUMNS}\nv1,p1,0580,K,70,2024-10-01,influensa,1\n")
    code, output = cli(tmp_path, "import", "vaccinations_2024.csv", "--db", "m.duckdb")
    assert code == 1
    assert "egna utdrag deklareras under extracts: i katalogen (--catalog)" in output


AGGREGATE = """\
extracts:
  - name: kostnader_egna
    title: Egna kostnader
    person_level: false
    date: year
    key: [kommun, year]
    columns:
      - {name: kommun, type: kommun}
      - {name: year, type: int}
      - {name: amount, type: decimal}
"""


COSTS = """\
indicators:
  - id: egna_kostnader
    title: Egna kostnader per invånare
    description: Kostnad per invånare.
    plan_areas: [fokusflyttning]
    source: kostnader_egna
    periods: [year]
    numerator: {sum: amount}
    denominator: population
    unit: kr
    direction: neutral
"""


def test_an_aggregate_amount_of_ten_digits_is_not_taken_for_a_personnummer(tmp_path, monkeypatch):
    # 1234567897 kr (a large kommun's yearly cost) has ten digits and a valid Luhn check digit:
    # an aggregate has no person rows, so its numbers are not read as personnummer (a
    # person-level extract's are, above)
    assert looks_like_personnummer("1234567897")
    monkeypatch.chdir(tmp_path)
    write_catalogue(tmp_path, AGGREGATE, indicators=COSTS)
    write(tmp_path, "kostnader_egna_2024.csv", "kommun,year,amount\n0580,2024,1234567897\n")
    code, output = cli(tmp_path, "import", "kostnader_egna_2024.csv", "--db", "m.duckdb")
    assert code == 0, output
    assert query(tmp_path / "m.duckdb", "SELECT amount FROM kostnader_egna") == [(1234567897.0,)]
