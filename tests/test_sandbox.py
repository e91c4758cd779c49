"""Catalogue SQL runs in a sandbox: a hostile indicators.yaml can neither read nor write anything.

Each attack is a reproducer of a probe that succeeded before the sandbox: it is run
through the command line (`matavla check` and `matavla compute`) on a small database
imported from the committed fixture extracts, with the working directory set to a
temporary folder so that a file written by the attack would show up there.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from metrics.catalogue.loader import load_catalogue
from metrics.cli import main
from metrics.compute.sandbox import sql_problems
from metrics.compute.sqlgen import indicator_sql

FIXTURES = Path(__file__).parent / "fixtures" / "extracts"

HEADER = """\
version: 1
settings:
  suppression: {min_denominator: 10, min_count: 1, max_count: 4}
plan_areas:
  - {id: tillganglighet, title: Ökad tillgänglighet}
indicators:
  - id: planerade
    title: Planerade kontakter
    description: Andel planerade kontakter.
    plan_areas: [tillganglighet]
    source: contacts
    numerator: {count: rows, where: planned}
    denominator: rows
    multiplier: 100
    unit: "%"
    direction: higher
"""
# The hostile indicator starts on line 17; its `where:` (or `row_sql:`) is on line 22.
WHERE_LINE = 22


def hostile(where: str | None = None, numerator_where: str | None = None, row_sql: str | None = None) -> str:
    """An indicator whose SQL keys hold the attack (JSON strings are valid YAML scalars)."""
    lines = [
        "  - id: fientlig",
        "    title: Fientlig",
        "    description: Försöker ta sig ut ur sandlådan.",
        "    plan_areas: [tillganglighet]",
        "    source: contacts",
    ]
    if row_sql is not None:
        lines.append(f"    row_sql: {json.dumps(row_sql)}")
    else:
        lines.append(f"    where: {json.dumps(where or 'true')}")
        lines.append(f"    numerator: {{count: rows, where: {json.dumps(numerator_where or 'planned')}}}")
        lines.append("    denominator: rows")
    lines += ["    multiplier: 100", '    unit: "%"', "    direction: higher", ""]
    return "\n".join(lines)


def breakout(statement: str) -> dict[str, str]:
    """Break out of the generated query with `;`, run `statement`, and let the query end validly.

    The indicator's `where:` closes the base CTE and opens a dollar-quoted string after the
    attack; the numerator's `where:` closes that string and starts a fresh query whose
    tail is the rest of the generated SQL. Before the sandbox all three ran.
    """
    return {
        "where": f"true)) SELECT 1; {statement}; SELECT $$",
        "numerator_where": (
            "$$; WITH base AS (SELECT kommun, CAST(contact_date AS DATE) AS d, sex, '' AS age_band "
            "FROM contacts), months AS (SELECT kommun, d, sex, age_band, sum(CASE WHEN (true"
        ),
    }


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("sandbox") / "template.duckdb"
    result = CliRunner().invoke(main, ["import", str(FIXTURES), "--db", str(db)])
    assert result.exit_code == 0, result.output
    return db


@pytest.fixture
def place(tmp_path: Path, imported: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of the database in an empty working directory, with a secret file beside it."""
    shutil.copy(imported, tmp_path / "matavla.duckdb")
    (tmp_path / "secret.csv").write_text("a\nL000\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(place: Path, command: str, indicator: str) -> tuple[int, str]:
    catalogue = place / "indicators.yaml"
    catalogue.write_text(HEADER + indicator, encoding="utf-8")
    args = [command, "--catalog", str(catalogue)]
    if command == "compute":
        args += ["--db", str(place / "matavla.duckdb")]
    result = CliRunner().invoke(main, args)
    return result.exit_code, result.output


def population(place: Path) -> int:
    con = duckdb.connect(str(place / "matavla.duckdb"), read_only=True)
    try:
        row = con.execute("SELECT count(*) FROM population").fetchone()
        return -1 if row is None else int(row[0])
    except duckdb.CatalogException:
        return -1  # the table was dropped
    finally:
        con.close()


def stored(place: Path) -> tuple[int, list[tuple[str, str, str | None]]]:
    con = duckdb.connect(str(place / "matavla.duckdb"), read_only=True)
    try:
        rows = con.execute("SELECT count(*) FROM results WHERE indicator = 'fientlig'").fetchone()
        runs = con.execute("SELECT indicator, status, message FROM indicator_runs ORDER BY 1").fetchall()
    finally:
        con.close()
    return (0 if rows is None else int(rows[0])), runs


def assert_refused(place: Path, code: int, output: str, line: int) -> None:
    assert code == 1, output
    assert "otillåten SQL" in output
    assert f"indicators.yaml:{line}" in output


READS = {
    "read_text": {"where": "mode IN (SELECT content FROM read_text('/etc/passwd'))"},
    "read_csv": {"where": "person_id NOT IN (SELECT a FROM read_csv('secret.csv'))"},
    "glob": {"where": "(SELECT count(*) FROM glob('*')) > 0"},
    "a file as a table": {"where": "person_id NOT IN (SELECT a FROM 'secret.csv')"},
    "read_text in row_sql": {
        "row_sql": "SELECT kommun, sex, age, contact_date AS date, "
        "(SELECT length(content) FROM read_text('/etc/passwd')) AS numerator, 1 AS denominator FROM contacts"
    },
    "a query() string": {"where": "(SELECT count(*) FROM query('SELECT 1')) > 0"},
    "settings": {"where": "current_setting('enable_external_access')"},
}


@pytest.mark.parametrize("attack", READS.values(), ids=READS.keys())
def test_catalogue_sql_cannot_read_files_or_settings(place, attack):
    line = WHERE_LINE  # row_sql or where, right after source
    code, output = run(place, "check", hostile(**attack))
    assert_refused(place, code, output, line)

    code, output = run(place, "compute", hostile(**attack))
    assert_refused(place, code, output, line)
    rows, runs = stored(place)
    assert rows == 0
    assert ("fientlig", "error") in [(i, s) for i, s, _ in runs]
    assert ("planerade", "ok", None) in runs  # the others are still computed and written
    assert "root:" not in output


BREAKOUTS = {
    "DROP TABLE": "DROP TABLE population",
    "DELETE FROM": "DELETE FROM population",
    "COPY TO": "COPY contacts TO 'x.csv'",
    "ATTACH": "ATTACH 'other.duckdb' AS other",
    "INSTALL": "INSTALL httpfs",
    "LOAD": "LOAD httpfs",
    "SET": "SET memory_limit = '1GB'",
    "PRAGMA": "PRAGMA enable_profiling",
}


@pytest.mark.parametrize("statement", BREAKOUTS.values(), ids=BREAKOUTS.keys())
def test_a_semicolon_cannot_run_another_statement(place, statement):
    before = population(place)
    assert before > 0
    attack = hostile(**breakout(statement))

    code, output = run(place, "check", attack)  # check only plans: nothing may be written by it
    assert_refused(place, code, output, WHERE_LINE)
    assert sorted(p.name for p in place.iterdir()) == ["indicators.yaml", "matavla.duckdb", "secret.csv"]

    code, output = run(place, "compute", attack)
    assert_refused(place, code, output, WHERE_LINE)
    assert population(place) == before
    assert not (place / "x.csv").exists() and not (place / "other.duckdb").exists()
    assert stored(place)[0] == 0


def test_a_compute_error_shows_its_kind_and_line_never_a_value(place):
    # Casting a pseudonym to a number fails; DuckDB's message quotes it ("Could not convert string 'L000'").
    code, output = run(place, "compute", hostile(where="CAST(person_id AS INTEGER) > 0"))
    assert code == 1
    _, runs = stored(place)
    message = next(m for i, _, m in runs if i == "fientlig")
    assert message is not None and "typfel" in message and f"indicators.yaml:{WHERE_LINE}" in message
    assert "typfel" in output
    for text in (output, message):
        assert "L0" not in text and "convert" not in text.lower()


def test_an_unknown_column_is_named_at_compute_time(place):
    code, output = run(place, "compute", hostile(where="no_such_column = 1"))
    assert code == 1
    assert "okänd kolumn 'no_such_column'" in output and f"indicators.yaml:{WHERE_LINE}" in output


def test_legitimate_sql_is_allowed(tmp_path):
    # Subqueries over the extracts, CTEs, comments and multi-line row_sql are all fine.
    indicator = hostile(
        where="person_id IN (SELECT person_id FROM listing WHERE named_gp) -- listad\n AND mode <> 'x'",
        numerator_where="EXISTS (WITH l AS (SELECT person_id FROM listing) SELECT 1 FROM l)",
    )
    path = tmp_path / "indicators.yaml"
    path.write_text(HEADER + indicator, encoding="utf-8")
    catalogue = load_catalogue(path, strict=True).catalogue
    for ind in catalogue.indicators:
        assert sql_problems(ind, indicator_sql(ind)) == []


@pytest.mark.parametrize(
    "where",
    [
        "true) FROM read_text('/etc/passwd') WHERE (true",  # one SELECT, but not one expression
        "1), (2",
        "true) UNION SELECT (1",
        "person_id IN (SELECT person_id FROM rejected_rows)",  # not an extract
        "person_id IN (SELECT person_id FROM main.contacts)",  # qualified names reach other catalogues
    ],
)
def test_a_where_is_exactly_one_expression_over_the_extracts(tmp_path, where):
    path = tmp_path / "indicators.yaml"
    path.write_text(HEADER + hostile(where=where), encoding="utf-8")
    fientlig = load_catalogue(path, strict=True).catalogue.indicator("fientlig")
    problems = sql_problems(fientlig, indicator_sql(fientlig))
    assert problems and problems[0].line == WHERE_LINE and "otillåten SQL" in problems[0].message
