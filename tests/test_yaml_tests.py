"""Tests written next to the definitions (`tests:` in indicators.yaml) and `matavla test`.

The shipped tests were worked out by hand from each definition (the arithmetic is in the
YAML comments). Here: they all pass, each one can fail, and a failure says where and what.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from metrics.catalogue.loader import EXPECT_KEYS, TEST_KEYS, load_catalogue
from metrics.cli import main
from metrics.compute.yaml_tests import run_catalogue_tests

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "indicators.yaml"


def _edited(tmp_path: Path, indicator: str, old: str, new: str, name: str = "indicators.yaml") -> Path:
    """A copy of the shipped catalogue with `old` replaced by `new` inside one indicator only."""
    text = SHIPPED.read_text(encoding="utf-8")
    start = text.index(f"  - id: {indicator}\n")
    end = text.find("\n  - id: ", start + 1)
    end = len(text) if end < 0 else end
    block = text[start:end]
    assert old in block, f"{old!r} is not in {indicator}"
    path = tmp_path / name
    path.write_text(text[:start] + block.replace(old, new, 1) + text[end:], encoding="utf-8")
    return path


def _line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_every_shipped_indicator_has_a_test():
    catalogue = load_catalogue(SHIPPED, strict=True).catalogue
    assert [i.id for i in catalogue.indicators if not i.tests] == []


def test_the_shipped_yaml_tests_pass():
    outcomes = run_catalogue_tests(load_catalogue(SHIPPED, strict=True).catalogue)
    assert len(outcomes) >= 16
    assert [str(f) for o in outcomes for f in o.failures] == []


# A wrong definition must make its indicator's hand-worked test fail: none of them can pass
# whatever the code computes.
MUTATIONS = [
    ("fast_lakarkontakt", "    snapshot: last\n", ""),  # every snapshot of the year, not the last
    ("kontinuitet_lakare", "profession = 'lakare' AND ", ""),  # nurses' contacts count too
    ("fast_omsorgskontakt", "latest: true", "latest: false"),  # any month with a contact, not the last
    ("personalkontinuitet_hemtjanst", "    where: staff_14d IS NOT NULL\n", ""),  # rows without a measurement
    ("digitala_kontakter", "('video', 'chatt')", "('video')"),
    ("hembesok_75", "age: {min: 75}", "age: {min: 74}"),
    ("akutbesok_75", "date: arrival", "date: departure"),
    ("aterinskrivning_30d_65", "s.discharge_date + 30", "s.discharge_date + 29"),
    ("utskrivningsklara_dagar_65", "date: discharge_date", "date: admission_date"),
    ("undvikbar_slutenvard", "where: acute\n      ", ""),
    (
        "kostnad_per_invanare",
        "numerator: {sum: amount_sek}",
        "numerator: {sum: amount_sek, where: \"principal = 'region'\"}",
    ),
    ("proaktiva_kontakter", "where: planned}", "where: NOT planned}"),
    ("sip_per_1000", "denominator: population", "denominator: population\n    age: {min: 20}"),
    ("sip_delaktighet", "where: person_participated}", "where: NOT person_participated}"),
    ("npe_delaktighet", "    where: \"dimension = 'delaktighet_och_involvering'\"\n", ""),
    ("sjukfranvaro_personal", "denominator: {sum: scheduled_hours}", "denominator: {sum: absence_hours}"),
    ("kontinuitet_upc_lakare", "per_person: usual_provider", "per_person: continuity_index"),
    ("teambaserad_vard_75", ">= 3", ">= 2"),
]


@pytest.mark.parametrize(("indicator", "old", "new"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_a_wrong_definition_fails_its_indicators_test(tmp_path, indicator, old, new):
    catalogue = load_catalogue(_edited(tmp_path, indicator, old, new), strict=True).catalogue
    outcomes = run_catalogue_tests(catalogue, [indicator])
    assert outcomes and any(not o.ok for o in outcomes)


def test_a_failure_names_the_file_the_line_and_expected_against_actual(tmp_path, monkeypatch):
    # Readmission counted from the day of discharge (+ 0): person b's same-day admission now
    # counts, so 3 of the test's 7 stays are readmissions instead of 2 (42,9 % instead of 28,6 %).
    catalogue = _edited(tmp_path, "aterinskrivning_30d_65", "s.discharge_date + 1", "s.discharge_date + 0")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["test", "aterinskrivning_30d_65", "--catalog", str(catalogue)])
    assert result.exit_code == 1
    line = _line_of(catalogue, "expect: {numerator: 2, denominator: 7, value: 28.6}")
    assert f"indicators.yaml:{line}: aterinskrivning_30d_65" in result.output
    assert "0580 Linköping 2024: täljare väntades 2, blev 3" in result.output
    assert "värde väntades 28,6, blev 42,8571" in result.output  # 3 / 7 × 100
    assert str(tmp_path) not in result.output  # the file's name, not its path
    assert re.search(r"1 test i 1 indikator: 0 gick igenom, 1 misslyckades \(\d+,\d s\)\.", result.output)


def test_passing_tests_exit_zero_and_matavla_catalog_is_honoured(tmp_path, monkeypatch):
    catalogue = tmp_path / "egen.yaml"
    catalogue.write_bytes(SHIPPED.read_bytes())
    monkeypatch.chdir(tmp_path)  # no indicators.yaml here: only MATAVLA_CATALOG finds it
    result = CliRunner().invoke(main, ["test", "sip_delaktighet"], env={"MATAVLA_CATALOG": str(catalogue)})
    assert result.exit_code == 0, result.output
    assert "2 tester i 1 indikator: 2 gick igenom" in result.output


TINY = """\
version: 1
plan_areas: [{{id: delaktighet, title: Delaktighet}}]
indicators:
  - id: sip_delaktighet
    title: Personens delaktighet i SIP
    description: Andel SIP där personen deltog.
    plan_areas: [delaktighet]
    source: sip
    numerator: {{count: rows, where: person_participated}}
    denominator: rows
    multiplier: 100
    unit: "%"
    direction: higher
    tests:
{tests}
"""


def _tiny(tmp_path: Path, tests: str) -> Path:
    path = tmp_path / "indicators.yaml"
    path.write_text(TINY.format(tests=tests), encoding="utf-8")
    return path


def _run(path: Path) -> list[str]:
    outcomes = run_catalogue_tests(load_catalogue(path, strict=True).catalogue)
    return [str(f) for o in outcomes for f in o.failures]


def test_value_is_compared_at_the_decimals_shown_or_written(tmp_path):
    # 2 / 3 × 100 = 66,666…: 66.7 (the board's one decimal) and 66.667 hold, 66.6 does not.
    path = _tiny(
        tmp_path,
        """\
      - name: två av tre
        kommun: "0580"
        period: 2024
        rows: {sip: [{person_participated: true}, {person_participated: true}, {}]}
        expect: [{value: 66.7}, {value: 66.667}, {value: 66.6}]""",
    )
    failures = _run(path)
    assert len(failures) == 1
    assert f"indicators.yaml:{_line_of(path, 'value: 66.6}')}:" in failures[0]
    assert "värde väntades 66,6, blev 66,6667" in failures[0]


def test_a_row_the_import_rejects_fails_the_test_at_the_rows_line(tmp_path):
    path = _tiny(
        tmp_path,
        """\
      - name: felaktigt värde
        kommun: "0580"
        period: 2024
        rows:
          sip:
            - {person_participated: true}
            - {person_participated: kanske}
        expect: {numerator: 1}""",
    )
    failures = _run(path)
    assert len(failures) == 1
    assert f"indicators.yaml:{_line_of(path, 'kanske')}:" in failures[0]
    assert "importen avvisade raden i sip: person_participated" in failures[0]


def test_a_kommun_without_a_delivery_is_reported_as_missing(tmp_path):
    # sip is delivered by the region: its rows in Linköping cover Östergötland, not Jämtland.
    path = _tiny(
        tmp_path,
        """\
      - name: annat län
        kommun: "0580"
        period: 2024
        rows: {sip: [{}]}
        expect:
          [{kommun: "2380", numerator: 0}, {kommun: "0581", exists: false}, {lan: "05", denominator: 2}]""",
    )
    failures = _run(path)
    assert any("2380 Östersund 2024: cellen finns inte i resultatet" in f for f in failures)
    assert any("Östergötlands län (05) 2024: nämnare väntades 2, blev 1" in f for f in failures)
    assert len(failures) == 2  # Norrköping has no SIP and so no cell, as expected


@pytest.mark.parametrize(
    ("tests", "message"),
    [
        (
            '      - {name: a, kommun: "0580", period: 2024, rows: {sip: [{}]}, expekt: {numerator: 1}}',
            "okänd nyckel 'expekt' (tips: menade du 'expect'?)",
        ),
        (
            "      - {name: a, kommun: 0513, period: 2024, expect: {numerator: 1}}",
            'kommun 331 är ett tal, inte en kod (tips: skriv koden inom citattecken, t.ex. "0513"',
        ),
        (
            '      - {name: a, kommun: "0580", period: 2024, rows: {sip: [{person_participatd: true}]}, '
            "expect: {numerator: 1}}",
            "okänd kolumn 'person_participatd' i utdraget 'sip' (tips: menade du 'person_participated'?)",
        ),
        (
            '      - {name: a, kommun: "0580", period: 2024, rows: {sipp: [{}]}, expect: {numerator: 1}}',
            "okänt utdrag 'sipp' i rows (tips: menade du 'sip'?)",
        ),
        (
            '      - {name: a, kommun: "0580", period: 2024-13, expect: {numerator: 1}}',
            "period '2024-13' är ingen period",
        ),
        (
            '      - {name: a, kommun: "0580", period: 2024, expect: {kommun: "0580"}}',
            "har inget att jämföra",
        ),
        (
            '      - {name: a, kommun: "0580", period: 2024, expect: {numerator: två}}',
            "numerator ska vara ett tal",
        ),
    ],
)
def test_a_malformed_test_is_a_catalogue_error_with_its_line(tmp_path, tests, message):
    path = _tiny(tmp_path, tests)
    result = CliRunner().invoke(main, ["check", "--catalog", str(path)])
    assert result.exit_code == 1
    assert message in result.output
    assert f"indicators.yaml:{_line_of(path, '- {name: a')}:" in result.output


@pytest.mark.parametrize("key", sorted({*TEST_KEYS, *EXPECT_KEYS}))
def test_every_test_key_is_documented(key):
    assert f"`{key}`" in (ROOT / "docs" / "indicators-yaml.md").read_text(encoding="utf-8")


def test_a_test_can_give_rows_of_an_extract_declared_in_the_catalogue(tmp_path):
    """The vaccinations extract of docs/extracts.md, with a test as short as its indicator."""
    doc = (ROOT / "docs" / "extracts.md").read_text(encoding="utf-8")
    declaration = re.search(r"```yaml\n(extracts:\n.*?)```", doc, re.S).group(1)  # type: ignore[union-attr]
    path = tmp_path / "indicators.yaml"
    path.write_text(
        "version: 1\nplan_areas: [{id: fokusflyttning, title: Proaktiv}]\n"
        + declaration
        + """\
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
    tests:
      - name: en av 200 invånare 65+ vaccinerad mot influensa
        kommun: "0580"
        period: 2024
        rows:
          vaccinations:
            - {person_id: a, age: 70}                 # influensa (the enum's first value)
            - {person_id: a, age: 70, dose: 2}        # the same person again: counted once
            - {person_id: b, age: 64}                 # too young
            - {person_id: c, vaccine: covid19}        # another vaccine
          population: [{count: 150}, {age: 90, count: 50}]
        expect: {numerator: 1, denominator: 200, value: 0.5}   # 1 / (150 + 50) × 100
""",
        encoding="utf-8",
    )
    assert _run(path) == []
    broken = path.read_text(encoding="utf-8").replace("value: 0.5}", "value: 1.0}")
    path.write_text(broken, encoding="utf-8")
    assert ["värde väntades 1, blev 0,5" in f for f in _run(path)] == [True]
