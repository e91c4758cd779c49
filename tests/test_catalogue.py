"""The catalogue: every YAML problem is reported at once, with its line and a hint."""

from __future__ import annotations

from pathlib import Path

import pytest

from metrics.catalogue.loader import load_catalogue
from metrics.compute.check import check_sql
from metrics.errors import CatalogueError

HEADER = """\
version: 1
settings:
  suppression: {min_denominator: 10, min_count: 1, max_count: 4}
plan_areas:
  - {id: kontinuitet, title: Ökad kontinuitet}
  - {id: tillganglighet, title: Ökad tillgänglighet}
indicators:
"""

GOOD = """\
  - id: digitala
    title: Digitala kontakter
    description: Andel kontakter via video eller chatt.
    plan_areas: [tillganglighet]
    source: contacts
    numerator: {count: rows, where: "mode IN ('video', 'chatt')"}
    denominator: rows
    multiplier: 100
    unit: "%"
    direction: neutral
"""


def write(tmp_path: Path, indicators: str, header: str = HEADER) -> Path:
    path = tmp_path / "indicators.yaml"
    path.write_text(header + indicators, encoding="utf-8")
    return path


def test_the_bundled_catalogue_loads_without_problems():
    result = load_catalogue(Path(__file__).resolve().parents[1] / "indicators.yaml", strict=True)
    assert len(result.catalogue.indicators) >= 16
    assert check_sql(result.catalogue) == []


def test_a_valid_indicator_gets_sensible_defaults(tmp_path):
    catalogue = load_catalogue(write(tmp_path, GOOD), strict=True).catalogue
    digitala = catalogue.indicator("digitala")
    assert digitala.periods == ("year", "quarter", "month")
    assert digitala.breakdowns == ("sex", "age_band")
    assert digitala.interval == "wilson"
    assert digitala.date == "contact_date"
    assert digitala.line == 8


def test_every_problem_is_reported_with_its_line_and_a_hint(tmp_path):
    bad = """\
  - id: trasig
    title: Trasig
    description: Flera fel.
    plan_areas: [kontinuitett]
    source: contact
    numerator: rows
    denominator: rows
    unit: "%"
    direction: up
"""
    path = write(tmp_path, GOOD + bad)
    with pytest.raises(CatalogueError) as excinfo:
        load_catalogue(path, strict=True)
    messages = [str(p) for p in excinfo.value.problems]
    assert (
        "indicators.yaml:21: indikator 'trasig': okänt planområde 'kontinuitett' "
        "(tips: menade du 'kontinuitet'?)" in messages
    )
    assert any(
        m.startswith("indicators.yaml:22:") and "okänt utdrag 'contact'" in m and "contacts" in m
        for m in messages
    )


def test_one_broken_indicator_does_not_stop_the_others(tmp_path):
    bad = """\
  - id: trasig
    title: Trasig
    description: Fel riktning.
    plan_areas: [kontinuitet]
    source: contacts
    numerator: rows
    denominator: rows
    unit: "%"
    direction: up
"""
    result = load_catalogue(write(tmp_path, GOOD + bad))
    assert [i.id for i in result.catalogue.indicators] == ["digitala"]
    assert any("direction" in p.message and p.line == 26 for p in result.problems)


def test_unknown_keys_and_columns_suggest_the_right_name(tmp_path):
    bad = """\
  - id: lakare
    title: Läkarkontakter
    description: Andel läkarkontakter.
    plan_areas: [kontinuitet]
    source: contacts
    numerator: {sum: profesion}
    denominator: rows
    unit: "%"
    direction: higher
    multipler: 100
"""
    result = load_catalogue(write(tmp_path, bad))
    messages = [str(p) for p in result.problems]
    assert any(
        ":13:" in m and "okänd kolumn 'profesion'" in m and "menade du 'profession'?" in m for m in messages
    )
    assert any(
        ":17:" in m and "okänd nyckel 'multipler'" in m and "menade du 'multiplier'?" in m for m in messages
    )


def test_a_misspelt_column_inside_sql_is_found_by_planning_the_query(tmp_path):
    typo = GOOD.replace("mode IN", "mod IN")
    catalogue = load_catalogue(write(tmp_path, typo), strict=True).catalogue
    problems = check_sql(catalogue)
    assert len(problems) == 1
    assert problems[0].line == 13
    assert "okänd kolumn 'mod'" in problems[0].message
    assert problems[0].hint == "menade du 'mode'?"


def test_population_rates_cannot_have_quarters(tmp_path):
    bad = """\
  - id: hembesok
    title: Hembesök
    description: Per 1 000.
    plan_areas: [tillganglighet]
    source: contacts
    age: {min: 75}
    numerator: {count: rows, where: "mode = 'hembesok'"}
    denominator: population
    multiplier: 1000
    unit: per 1 000
    direction: higher
    periods: [year, quarter]
"""
    result = load_catalogue(write(tmp_path, bad))
    assert any(p.line == 19 and "kvartal och månad går inte" in p.message for p in result.problems)


def test_age_bands_follow_the_age_filter(tmp_path):
    indicator = GOOD.replace("    source: contacts\n", "    source: contacts\n    age: {min: 75}\n")
    catalogue = load_catalogue(write(tmp_path, indicator), strict=True).catalogue
    assert [b.label for b in catalogue.indicator("digitala").age_bands] == ["75-84", "85+"]


def test_yaml_syntax_errors_carry_their_line(tmp_path):
    path = write(tmp_path, GOOD + "  - id: x\n    title: [unclosed\n")
    with pytest.raises(CatalogueError) as excinfo:
        load_catalogue(path)
    assert excinfo.value.problems[0].line is not None
    assert "YAML-fel" in excinfo.value.problems[0].message


def test_area_groups_must_have_unique_ids_and_kommuner(tmp_path):
    header = HEADER.replace(
        "indicators:\n",
        """area_levels:
  - level: narvardsomrade
    title: Närvårdsområde
    groups:
      - {id: "0580", name: Linköping igen, kommuner: ["0580"]}
      - {id: vast, name: Väst, kommuner: ["0583", "0583"]}
indicators:
""",
    )
    with pytest.raises(CatalogueError) as excinfo:
        load_catalogue(write(tmp_path, GOOD, header=header))
    messages = [p.message for p in excinfo.value.problems]
    assert any("'0580' används redan" in m for m in messages)
    assert any("'0583' står flera gånger" in m for m in messages)


def test_a_catalogue_without_settings_gets_the_contracts_defaults(tmp_path):
    # `settings:` is optional; leaving it out crashed the loader with an AttributeError.
    header = "version: 1\nplan_areas:\n  - {id: tillganglighet, title: Ökad tillgänglighet}\nindicators:\n"
    result = load_catalogue(write(tmp_path, GOOD, header))
    assert result.problems == []
    rule = result.catalogue.suppression
    assert (rule.min_denominator, rule.min_count, rule.max_count) == (10, 1, 4)
