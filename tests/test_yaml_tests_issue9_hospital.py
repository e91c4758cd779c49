"""Issue 9 §3: the hospital, emergency, survey, cost and sick-leave indicators' YAML tests can fail.

Each indicator carries a hand-worked test in indicators.yaml (the arithmetic is in its YAML
comments). A test that passes whatever the definition says proves nothing, so each mutation below
changes one indicator's definition the way an analyst could get it wrong, and its test must then fail.
"""

from __future__ import annotations

import pytest

from metrics.catalogue.loader import load_catalogue
from metrics.compute.yaml_tests import run_catalogue_tests
from tests.test_yaml_tests import SHIPPED, _edited

ISSUE_9_HOSPITAL = (
    "akutbesok_per_1000",
    "akutbesok_inlaggning",
    "akut_vistelse_4h",
    "vardtillfallen_65",
    "akuta_vardtillfallen_75",
    "varddagar_75",
    "aterinskrivning_7d_65",
    "undvikbar_slutenvard_75",
    "npe_kontinuitet",
    "npe_tillganglighet",
    "npe_helhetsintryck",
    "npe_respekt",
    "npe_emotionellt_stod",
    "npe_information",
    "primarvard_andel_kostnad",
    "kostnad_slutenvard_per_invanare",
    "kostnad_korttidsvard_65",
    "sjukfranvaro_region",
    "sjukfranvaro_kommun",
)

_NPE_WHERE = {
    "npe_kontinuitet": "kontinuitet_och_koordinering",
    "npe_tillganglighet": "tillganglighet",
    "npe_helhetsintryck": "helhetsintryck",
    "npe_respekt": "respekt_och_bemotande",
    "npe_emotionellt_stod": "emotionellt_stod",
    "npe_information": "information_och_kunskap",
}

MUTATIONS = [
    ("akutbesok_per_1000", "date: arrival", "date: departure"),  # the New Year's Eve visit moves to 2025
    # children left out
    ("akutbesok_per_1000", "    date: arrival\n", "    date: arrival\n    age: {min: 20}\n"),
    ("akutbesok_inlaggning", "where: admitted}", "where: NOT admitted}"),
    ("akutbesok_inlaggning", "date: arrival", "date: departure"),  # the New Year's Eve visit moves to 2025
    ("akutbesok_per_1000", "numerator: rows", "numerator: persons"),  # visits, not visitors
    ("akut_vistelse_4h", "departure <= arrival", "departure < arrival"),  # exactly 4 h no longer counts
    ("akut_vistelse_4h", "INTERVAL 4 HOUR", "INTERVAL 5 HOUR"),
    ("akut_vistelse_4h", "date: arrival", "date: departure"),
    ("vardtillfallen_65", "date: discharge_date", "date: admission_date"),
    ("vardtillfallen_65", "age: {min: 65}", "age: {min: 66}"),
    ("vardtillfallen_65", "numerator: rows", "numerator: persons"),  # stays, not persons
    ("vardtillfallen_65", "age: {min: 65}", "age: {min: 64}"),
    ("akuta_vardtillfallen_75", "where: acute}", "where: NOT acute}"),
    ("akuta_vardtillfallen_75", "numerator: {count: rows, where: acute}", "numerator: rows"),
    ("akuta_vardtillfallen_75", "date: discharge_date", "date: admission_date"),
    ("akuta_vardtillfallen_75", "age: {min: 75}", "age: {min: 76}"),
    ("akuta_vardtillfallen_75", "{count: rows, where: acute}", "{count: persons, where: acute}"),
    ("varddagar_75", "greatest(discharge_date - admission_date, 1)", "discharge_date - admission_date"),
    ("varddagar_75", "date: discharge_date", "date: admission_date"),
    ("varddagar_75", "age: {min: 75}", "age: {min: 74}"),
    ("aterinskrivning_7d_65", "s.discharge_date + 7", "s.discharge_date + 6"),  # day 7 no longer counts
    ("aterinskrivning_7d_65", "s.discharge_date + 7", "s.discharge_date + 8"),  # day 8 counts
    ("aterinskrivning_7d_65", "s.discharge_date + 1 AND", "s.discharge_date AND"),  # the same day counts
    ("aterinskrivning_7d_65", "AND r.acute\n", ""),  # a planned admission counts
    # another person's acute admission counts as a readmission
    ("aterinskrivning_7d_65", "r.person_id = s.person_id\n                   AND r.acute", "r.acute"),
    ("aterinskrivning_7d_65", "WHERE s.age >= 65", "WHERE s.age >= 66"),
    ("aterinskrivning_7d_65", "age: {min: 65}", "age: {min: 66}"),
    ("aterinskrivning_7d_65", "s.discharge_date AS date", "s.admission_date AS date"),  # by admission
    ("undvikbar_slutenvard_75", "where: acute\n      ", ""),
    ("undvikbar_slutenvard_75", "date: admission_date", "date: discharge_date"),
    ("undvikbar_slutenvard_75", "age: {min: 75}", "age: {min: 74}"),
    ("undvikbar_slutenvard_75", "age: {min: 75}", "age: {min: 76}"),
    ("undvikbar_slutenvard_75", "count: rows", "count: persons"),
    *[(ind, f"    where: \"dimension = '{dim}'\"\n", "") for ind, dim in _NPE_WHERE.items()],
    ("primarvard_andel_kostnad", "    where: \"principal = 'region'\"\n", ""),  # kommun costs in the total
    ("primarvard_andel_kostnad", "where: \"area = 'primarvard'\"", "where: \"area <> 'slutenvard'\""),
    (
        "kostnad_slutenvard_per_invanare",
        "where: \"principal = 'region' AND area = 'slutenvard'\"",
        "where: \"principal = 'region'\"",
    ),
    ("kostnad_korttidsvard_65", "    age: {min: 65}\n", ""),  # every inhabitant in the denominator
    ("kostnad_korttidsvard_65", " AND area = 'korttidsvard'", ""),
    ("sjukfranvaro_region", "    where: \"principal = 'region'\"\n", ""),
    ("sjukfranvaro_kommun", "    where: \"principal = 'kommun'\"\n", ""),
]


def test_each_indicator_of_the_block_has_a_passing_test():
    catalogue = load_catalogue(SHIPPED, strict=True).catalogue
    assert {i.id for i in catalogue.indicators if i.tests} >= set(ISSUE_9_HOSPITAL)
    outcomes = run_catalogue_tests(catalogue, list(ISSUE_9_HOSPITAL))
    assert {o.indicator for o in outcomes} == set(ISSUE_9_HOSPITAL)
    assert [str(f) for o in outcomes for f in o.failures] == []


def test_every_indicator_of_the_block_is_mutated():
    assert {m[0] for m in MUTATIONS} == set(ISSUE_9_HOSPITAL)


@pytest.mark.parametrize(
    ("indicator", "old", "new"), MUTATIONS, ids=[f"{m[0]}-{i}" for i, m in enumerate(MUTATIONS)]
)
def test_a_wrong_definition_fails_its_indicators_test(tmp_path, indicator, old, new):
    catalogue = load_catalogue(_edited(tmp_path, indicator, old, new), strict=True).catalogue
    assert catalogue.indicator(indicator) is not None
    outcomes = run_catalogue_tests(catalogue, [indicator])
    assert outcomes and any(not o.ok for o in outcomes)
