"""One voice for every error (issue 8, section 3).

Every message is Swedish, names the file (not its path) and the line, and gives a hint;
`compute` words an error exactly as `check` does, and a broken definition never costs the
board its last good results.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from metrics.catalogue.loader import load_catalogue
from metrics.cli import main
from metrics.errors import CatalogueError

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "extracts"

HEAD = """\
version: 1
plan_areas:
  - {id: kontinuitet, title: Ökad kontinuitet}
indicators:
"""  # the first indicator starts on line 5


def indicator(ident: str, body: str) -> str:
    """One indicator in the catalogue's usual layout (its `- id:` line, then `body`)."""
    common = f"""\
  - id: {ident}
    title: {ident}
    description: En indikator i ett test.
    plan_areas: [kontinuitet]
    unit: "%"
    multiplier: 100
    direction: higher
"""
    return common + "".join(f"    {line}\n" for line in body.strip("\n").splitlines())


VIDEO = indicator(
    "video",
    """\
source: contacts
where: "mode = 'video'"
numerator: rows
denominator: rows""",
)  # lines 5-14 when first; its `where:` is line 13


def write(tmp_path: Path, text: str, name: str = "katalog.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    """`matavla check`'s problem lines."""
    result = CliRunner().invoke(main, ["check", "--catalog", str(path)])
    assert result.exit_code == 1, result.output
    return [line.removeprefix("Fel: ") for line in result.output.splitlines() if line.startswith("Fel: ")]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("voice") / "matavla.duckdb"
    imported = CliRunner().invoke(main, ["import", str(FIXTURES), "--db", str(path)])
    assert imported.exit_code == 0, imported.output
    return path


def results_of(db: Path, ident: str) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT * FROM results WHERE indicator = ? ORDER BY ALL", [ident]).fetchall()
    finally:
        con.close()


# --- compute speaks as check, and keeps the last good results -----------------------------------


def test_compute_words_a_misspelt_column_as_check_does_and_keeps_the_old_results(db, tmp_path):
    good = write(tmp_path, HEAD + VIDEO)
    assert CliRunner().invoke(main, ["compute", "--db", str(db), "--catalog", str(good)]).exit_code == 0
    published = results_of(db, "video")
    assert published  # Linköping has 12 contacts, 3 by video: something to lose

    broken = write(tmp_path, HEAD + VIDEO.replace("mode = 'video'", "modee = 'video'"))
    [checked] = problems_of(broken)
    assert checked == (
        "katalog.yaml:13: indikator 'video': okänd kolumn 'modee' i källan 'contacts' "
        "(tips: menade du 'mode'?)"
    )
    computed = CliRunner().invoke(main, ["compute", "--db", str(db), "--catalog", str(broken)])
    assert computed.exit_code == 1
    assert f"✗ video: {checked}" in computed.output
    assert "Binder" not in computed.output
    assert results_of(db, "video") == published  # the board keeps its last good values


# --- row_sql: the line inside the SQL ----------------------------------------------------------

ROW_SQL = indicator(
    "hembesok",
    """\
source: contacts
row_sql: |
  SELECT kommun, sex, age, contact_date AS date,
         CASE WHEN mode = 'home' THEN 1 ELSE 0 END AS numerator,
         1 AS denominator
  FROM contacts
  WHERE proffesion = 'lakare'""",
)  # `row_sql: |` is line 13; its WHERE is line 18


def test_a_row_sql_error_points_at_the_line_inside_the_sql(db, tmp_path):
    path = write(tmp_path, HEAD + ROW_SQL)
    [checked] = problems_of(path)
    assert checked.startswith("katalog.yaml:18: indikator 'hembesok': okänd kolumn 'proffesion'")
    assert "menade du 'profession'?" in checked
    computed = CliRunner().invoke(main, ["compute", "--db", str(db), "--catalog", str(path)])
    assert f"✗ hembesok: {checked}" in computed.output


def test_a_row_sql_line_counts_blank_lines_at_the_start_of_the_block(tmp_path):
    path = write(tmp_path, HEAD + ROW_SQL.replace("row_sql: |\n", "row_sql: |\n\n"))
    [checked] = problems_of(path)
    assert checked.startswith("katalog.yaml:19:")  # one blank line more before the WHERE


# --- declarative forms ------------------------------------------------------------------------


def test_a_nested_aggregate_in_the_declarative_form_points_to_having_or_row_sql(tmp_path):
    nested = indicator(
        "tre_yrken",
        """\
source: contacts
numerator: {count: persons, where: "count(DISTINCT profession) >= 3"}
denominator: persons""",
    )  # numerator is line 13
    [checked] = problems_of(write(tmp_path, HEAD + nested))
    assert checked.startswith("katalog.yaml:13: indikator 'tre_yrken': aggregatfunktioner kan inte nästlas")
    assert "having:" in checked and "row_sql" in checked
    assert "Binder" not in checked and "aggregate" not in checked


# --- YAML syntax ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "message", "hint"),
    [
        ("version: 1\nindicators:\n\t- id: x\n", 3, "tabbtecken i indraget", "byt tabbtecken mot mellanslag"),
        ("version: 1\ntitle: Besök: andel\n", 2, "kolon följt av mellanslag", "citattecken"),
        ('version: 1\ntitle: "Besök\nunit: procent\n', 2, "citattecken stängs aldrig", "avsluta värdet"),
        ("version: 1\nperiods: [year, quarter\nunit: x\n", 2, "lista inom [ ] är inte avslutad", "]"),
        ("version: 1\nindicators:\n  - id: a\n   title: b\n", 4, "indrag", "mellanslag"),
    ],
)
def test_yaml_syntax_errors_are_told_in_swedish_with_line_and_fix(tmp_path, text, line, message, hint):
    with pytest.raises(CatalogueError) as raised:
        load_catalogue(write(tmp_path, text))
    [problem] = raised.value.problems
    assert (problem.file, problem.line) == ("katalog.yaml", line)
    assert problem.message.startswith("YAML-fel: ") and message in problem.message
    assert problem.hint is not None and hint in problem.hint
    assert not re.search(r"found|expected|scanning|mapping values", str(problem))


# --- kommun codes YAML reads as numbers -------------------------------------------------------


def test_an_unquoted_kommun_code_read_as_an_octal_number_is_explained(tmp_path):
    levels = """\
area_levels:
  - level: narsjukvardsomrade
    title: Närsjukvårdsområde
    groups:
      - id: nso_central
        name: Central
        kommuner: [0580, 0513]
"""  # 0580 stays text (8 is no octal digit); 0513 becomes 5·64 + 1·8 + 3 = 331
    with pytest.raises(CatalogueError) as raised:
        load_catalogue(write(tmp_path, HEAD.replace("indicators:\n", levels + "indicators:\n") + VIDEO))
    [problem] = raised.value.problems
    assert problem.line == 10
    assert "0513" in problem.message and "331" in problem.message and "oktala" in problem.message
    assert problem.hint == 'skriv koden inom citattecken: "0513"'


# --- a settings error does not hide the indicators' errors; all sorted by line ---------------


def test_a_settings_error_is_reported_with_the_indicator_errors_in_line_order(tmp_path):
    settings = "settings:\n  suppression: {min_count: -1}\n"  # lines 2-3 once inserted after version
    text = HEAD.replace("version: 1\n", "version: 1\n" + settings) + VIDEO.replace(
        "direction: higher", "direction: upp"
    )
    with pytest.raises(CatalogueError) as raised:
        load_catalogue(write(tmp_path, text))
    lines = [p.line for p in raised.value.problems]
    assert lines == [3, 13]  # min_count, then the indicator's direction
    assert "direction" in raised.value.problems[1].message


def test_check_sorts_sql_and_yaml_problems_by_line(tmp_path):
    # The first indicator's error is found only by planning its SQL, the second's by the loader.
    first = VIDEO.replace("mode = 'video'", "modee = 'video'")
    second = indicator("andra", "source: contacts\nnumerator: rows\ndenominator: rader")
    found = problems_of(write(tmp_path, HEAD + first + second))
    lines = [int(line.split(":")[1]) for line in found]
    assert lines == sorted(lines) and len(lines) == 2


# --- one word for "extract" ------------------------------------------------------------------


def test_every_message_and_document_says_utdrag_for_an_extract():
    texts = [*ROOT.joinpath("metrics").rglob("*.py"), *ROOT.joinpath("docs").glob("*.md"), ROOT / "README.md"]
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in texts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(r"\buttag\w*", line, re.IGNORECASE)
    ]
    assert offenders == []


# --- a yearly row_sql needs periods: [year] ----------------------------------------------------


def test_a_row_sql_over_a_yearly_extract_without_periods_year_is_flagged(tmp_path):
    yearly = indicator(
        "enkat",
        """\
source: survey
row_sql: |
  SELECT kommun, make_date(year, 1, 1) AS date, positive AS numerator, responses AS denominator
  FROM survey""",
    )  # row_sql is line 13
    with pytest.raises(CatalogueError) as raised:
        load_catalogue(write(tmp_path, HEAD + yearly), strict=True)
    [problem] = raised.value.problems
    assert problem.line == 13 and "survey" in problem.message and problem.hint is not None
    assert "periods: [year]" in problem.hint
    fixed = HEAD + yearly + "    periods: [year]\n"
    assert load_catalogue(write(tmp_path, fixed), strict=True).catalogue.indicator("enkat").periods == (
        "year",
    )
