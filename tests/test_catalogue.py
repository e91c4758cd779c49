"""The catalogue: every YAML problem is reported at once, with its line and a hint."""

from __future__ import annotations

import re
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


RATE = """\
  - id: hembesok
    title: Hembesök
    description: Hembesök per 1 000 invånare 75+.
    plan_areas: [tillganglighet]
    source: contacts
    age: {min: 75}
    numerator: {count: rows, where: "mode = 'hembesok'"}
    denominator: population
    multiplier: 1000
    unit: per 1 000 inv.
    direction: higher
"""


def test_rates_per_inhabitant_are_standardised_to_the_esp_2013_by_default(tmp_path):
    catalogue = load_catalogue(write(tmp_path, RATE + GOOD), strict=True).catalogue
    assert catalogue.indicator("hembesok").standard_population.kind == "esp2013"
    assert catalogue.indicator("digitala").standard_population.kind == "none"  # a share, not a rate


def test_the_standard_population_is_chosen_in_settings_and_per_indicator(tmp_path):
    header = HEADER.replace("settings:\n", 'settings:\n  standard_population: {lan: "05", year: 2023}\n')
    other = RATE.replace("id: hembesok", "id: hembesok_esp") + "    standard_population: esp2013\n"
    catalogue = load_catalogue(write(tmp_path, RATE + other, header), strict=True).catalogue
    own = catalogue.indicator("hembesok").standard_population
    assert (own.kind, own.lan, own.year) == ("lan", "05", 2023)
    assert catalogue.standard_population == own
    assert catalogue.indicator("hembesok_esp").standard_population.kind == "esp2013"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("esp2031", "okänd standardpopulation 'esp2031'.*menade du 'esp2013'"),
        ("{lan: 5, year: 2023}", "lan '5' är ingen länskod.*citattecken"),
        ('{lan: "05", year: 1066}', "year ska vara ett årtal"),
        ('{lan: "05"}', "saknar year"),
        ('{lan: "05", year: 2023, sex: K}', "okänd nyckel 'sex'"),
    ],
)
def test_a_bad_standard_population_is_reported_with_its_line(tmp_path, value, message):
    path = write(tmp_path, RATE + f"    standard_population: {value}\n")
    with pytest.raises(CatalogueError) as error:
        load_catalogue(path, strict=True)
    problem = error.value.problems[0]
    assert problem.line == 19  # 7 header lines + 11 of the indicator, then standard_population
    assert re.search(message, f"{problem.message} {problem.hint}")


def test_standardising_a_share_is_refused(tmp_path):
    with pytest.raises(CatalogueError, match="åldersstandardisering kräver en nämnare per invånare"):
        load_catalogue(write(tmp_path, GOOD + "    standard_population: esp2013\n"), strict=True)


def test_means_default_to_a_mean_interval_and_a_share_cannot_have_one(tmp_path):
    mean = GOOD.replace(
        "numerator: {count: rows, where: \"mode IN ('video', 'chatt')\"}", "numerator: {sum: age}"
    ).replace("id: digitala", "id: medelalder")
    catalogue = load_catalogue(write(tmp_path, mean), strict=True).catalogue
    assert catalogue.indicator("medelalder").interval == "mean"
    with pytest.raises(CatalogueError, match="interval: mean gäller medelvärden"):
        load_catalogue(write(tmp_path, GOOD + "    interval: mean\n"), strict=True)


def test_standard_population_changes_only_the_fingerprints_of_standardised_indicators(tmp_path):
    # Stored runs compare definition hashes: a share (not standardised) must keep its old hash,
    # so the field is left out while it holds the value that means "not standardised".
    import dataclasses

    from metrics.catalogue.fingerprint import _plain, definition_hash
    from metrics.catalogue.model import StandardPopulation

    catalogue = load_catalogue(write(tmp_path, RATE + GOOD), strict=True).catalogue
    share, rate = catalogue.indicator("digitala"), catalogue.indicator("hembesok")
    assert "standard_population" not in _plain(share)
    assert _plain(rate)["standard_population"]["kind"] == "esp2013"
    own = dataclasses.replace(rate, standard_population=StandardPopulation(kind="lan", lan="05", year=2023))
    assert definition_hash(rate, catalogue) != definition_hash(own, catalogue)


def test_riket_is_a_built_in_level_and_its_code_is_taken(tmp_path):
    # compute writes riket itself (area_level 'riket', code '00'): a group level or id of that
    # name would mix its cells with riket's in the results and the riket = Σ län equation.
    header = HEADER.replace(
        "indicators:\n",
        """area_levels:
  - level: riket
    title: Hela landet
    groups:
      - {id: alla, name: Alla, kommuner: ["0580"]}
  - level: narvardsomrade
    title: Närvårdsområde
    groups:
      - {id: "00", name: Noll, kommuner: ["0583"]}
indicators:
""",
    )
    with pytest.raises(CatalogueError) as excinfo:
        load_catalogue(write(tmp_path, GOOD, header=header))
    found = {(p.line, p.message) for p in excinfo.value.problems}
    # lines in the file: HEADER's 6 lines before indicators:, then area_levels: on 7,
    # '- level: riket' on 8, and the group with id "00" on 15
    assert (8, "ogiltig områdesnivå 'riket'") in found
    assert (
        15,
        "områdets id '00' används redan (av ett annat område, en kommun, ett län eller riket)",
    ) in found
