"""Review of issue 8's one voice: typos a newcomer makes, and what `check` says about them.

Each test writes a small catalogue, makes one mistake, and states the message the analyst
should read: Swedish, the file's name and the line of the mistake, and a "menade du …?".
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from metrics.cli import main

HEAD = """\
version: 1
plan_areas:
  - {id: kontinuitet, title: Ökad kontinuitet}
indicators:
  - id: aterinskrivning
    title: Återinskrivning
    description: En indikator i ett test.
    plan_areas: [kontinuitet]
    unit: "%"
    multiplier: 100
    direction: lower
    source: inpatient
    row_sql: |
      SELECT s.kommun, s.sex, s.age, s.discharge_date AS date,
             CASE WHEN EXISTS (
                 SELECT 1 FROM inpatient r WHERE r.person_id = s.person_id AND ACUTE
             ) THEN 1 ELSE 0 END AS numerator,
             1 AS denominator
      FROM inpatient s
      WHERE AGE >= 65
"""  # row_sql's block starts on line 14: the subquery's condition is line 16, the WHERE line 20


def check(tmp_path: Path, acute: str = "r.acute", age: str = "s.age") -> tuple[int, str]:
    path = tmp_path / "katalog.yaml"
    path.write_text(HEAD.replace("ACUTE", acute).replace("AGE", age), encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--catalog", str(path)])
    return result.exit_code, result.output


def test_the_unchanged_row_sql_passes(tmp_path):
    code, output = check(tmp_path)
    assert code == 0, output


def test_a_misspelt_column_after_a_table_alias_is_named_with_a_suggestion(tmp_path):
    # `s.agee` (for `s.age`): DuckDB says 'Table "s" does not have a column named "agee"'.
    code, output = check(tmp_path, age="s.agee")
    assert code == 1
    assert (
        "Fel: katalog.yaml:20: indikator 'aterinskrivning': okänd kolumn 'agee' i källan "
        "'inpatient' (tips: menade du 'age'?)"
    ) in output
    assert "Binder Error" not in output and "does not have" not in output


def test_a_misspelt_column_in_a_correlated_subquery_is_named_on_its_line(tmp_path):
    # `r.acutee` inside EXISTS (…): DuckDB says 'Referenced table "r" not found!', which is
    # English and points the analyst at the wrong thing (the table is there; its column is not).
    code, output = check(tmp_path, acute="r.acutee")
    assert code == 1
    assert (
        "Fel: katalog.yaml:16: indikator 'aterinskrivning': okänd kolumn 'acutee' i källan "
        "'inpatient' (tips: menade du 'acute'?)"
    ) in output
    assert "Binder Error" not in output and "not found" not in output


CONTACTS = """\
version: 1
plan_areas:
  - {id: kontinuitet, title: Ökad kontinuitet}
indicators:
  - id: video
    title: Video
    description: En indikator i ett test.
    plan_areas: [kontinuitet]
    unit: "%"
    multiplier: 100
    direction: neutral
    source: contacts
    numerator: {count: rows, where: "mode = 'video'"}
    denominator: rows
    tests:
      - name: Ett av två
        kommun: 0513
        period: 2024
        rows:
          contacts:
            - {mode: video}
            - {mode: telefon}
        expect: {numerator: 1, denominator: 2, value: 50.0}
"""  # `kommun: 0513` is line 17


def test_an_unquoted_0513_in_a_test_is_shown_as_0513_not_as_331(tmp_path):
    # YAML reads 0513 as the octal number 331; the analyst wrote 0513 and must read 0513,
    # as the same mistake under area_levels: says (metrics/catalogue/kommun_codes.py).
    path = tmp_path / "katalog.yaml"
    path.write_text(CONTACTS, encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--catalog", str(path)])
    assert result.exit_code == 1
    assert (
        "Fel: katalog.yaml:17: indikator 'video', test 'Ett av två': kommunkoden 0513 står utan "
        "citattecken, så YAML läste den som det oktala talet 331 (tips: skriv koden inom "
        'citattecken: "0513")'
    ) in result.output


def test_the_check_summary_names_the_file_not_its_path(tmp_path):
    path = tmp_path / "katalog.yaml"
    path.write_text(CONTACTS, encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--catalog", str(path)])
    assert "fel i katalog.yaml." in result.output
    assert str(tmp_path) not in result.output


def test_the_schema_rejects_the_targets_check_rejects():
    # The loader (metrics/catalogue/comparisons.py) wants exactly one kind, `from` with
    # `change` (and only there), and a quartile of 1, 2 or 3; the editor must agree with check.
    import json

    import jsonschema

    schema = json.loads(
        (Path(__file__).resolve().parents[1] / "schema" / "indicators.schema.json").read_text()
    )
    target = {"$defs": schema["$defs"], **schema["$defs"]["target"]}
    validator = jsonschema.Draft202012Validator(target)
    for wrong in (
        {"value": 60, "range": [40, 60]},
        {"change": 20},
        {"value": 60, "from": 2022},
        {"quartile": 4},
        {"year": 2025},
    ):
        assert not validator.is_valid(wrong), wrong
    for right in (
        {"value": 60, "year": 2025},
        {"range": [40, 60]},
        {"change": -10, "from": 2022, "year": 2025},
        {"quartile": 3},
        {"area": "05"},
    ):
        assert validator.is_valid(right), right


def test_a_settings_error_and_an_indicator_error_are_each_a_fel_line_with_a_count(tmp_path):
    # A settings error stops the load (it touches every indicator) but still lists every
    # problem; each must read as the others do: "Fel: fil:rad: …", then "N fel i fil.".
    path = tmp_path / "katalog.yaml"
    text = CONTACTS.replace("version: 1\n", "version: 1\nsettings:\n  supression: {min_count: 1}\n")
    text = text.replace("kommun: 0513", 'kommun: "0580"')
    path.write_text(text.replace("direction: neutral", "direction: upp"), encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--catalog", str(path)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith("Fel: katalog.yaml:3: settings: okänd nyckel 'supression'"), lines
    assert lines[1].startswith("Fel: katalog.yaml:13: indikator 'video': direction ska vara"), lines
    assert "2 fel i katalog.yaml." in lines
