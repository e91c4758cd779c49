"""The shipped catalogue keeps the data contract's disclosure rules.

Contract (core-indicators.md): "a cell is suppressed when its denominator is below 10, or when
its numerator is a count of persons or events between 1 and 4". An installation may make an
indicator stricter, never looser; the shipped catalogue uses exactly the contract's numbers.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from metrics.catalogue.loader import load_catalogue

REPO = Path(__file__).resolve().parents[1]
CORE_IDS = {
    "fast_lakarkontakt",
    "kontinuitet_lakare",
    "fast_omsorgskontakt",
    "personalkontinuitet_hemtjanst",
    "digitala_kontakter",
    "hembesok_75",
    "akutbesok_75",
    "aterinskrivning_30d_65",
    "utskrivningsklara_dagar_65",
    "undvikbar_slutenvard",
    "kostnad_per_invanare",
    "proaktiva_kontakter",
    "sip_per_1000",
    "sip_delaktighet",
    "npe_delaktighet",
    "sjukfranvaro_personal",
}


@pytest.fixture(scope="module")
def shipped():
    loaded = load_catalogue(REPO / "indicators.yaml")
    assert not loaded.problems, [str(p) for p in loaded.problems]
    return loaded.catalogue


def test_the_catalogue_default_is_the_contracts_10_and_1_to_4(shipped) -> None:
    rule = shipped.suppression
    assert (rule.min_denominator, rule.min_count, rule.max_count) == (10, 1, 4)


@pytest.mark.parametrize("indicator_id", sorted(CORE_IDS))
def test_no_core_indicator_is_looser_than_the_contract(shipped, indicator_id: str) -> None:
    rule = next(i for i in shipped.indicators if i.id == indicator_id).suppression
    # Stricter is allowed (a larger denominator floor, a wider count band); looser is not.
    assert rule.min_denominator >= 10
    assert rule.min_count <= 1
    assert rule.max_count >= 4


@pytest.mark.parametrize(
    "indicator_id",
    # Counts of persons, events or answers: the 1–4 rule must apply to their numerators.
    [
        "fast_lakarkontakt",
        "fast_omsorgskontakt",
        "digitala_kontakter",
        "hembesok_75",
        "akutbesok_75",
        "aterinskrivning_30d_65",
        "undvikbar_slutenvard",
        "proaktiva_kontakter",
        "sip_per_1000",
        "sip_delaktighet",
        "npe_delaktighet",
    ],
)
def test_count_numerators_are_subject_to_the_count_rule(shipped, indicator_id: str) -> None:
    indicator = next(i for i in shipped.indicators if i.id == indicator_id)
    assert indicator.numerator.is_count


def test_a_catalogue_that_loosens_max_count_is_caught(tmp_path: Path) -> None:
    # The guard above must be able to fail: the same catalogue with max_count 3 does not pass it.
    text = (REPO / "indicators.yaml").read_text(encoding="utf-8")
    assert "    max_count: 4\n" in text
    loosened = tmp_path / "indicators.yaml"
    loosened.write_text(text.replace("    max_count: 4\n", "    max_count: 3\n", 1), encoding="utf-8")
    catalogue = load_catalogue(loosened).catalogue
    assert catalogue.suppression.max_count == 3
    assert all(i.suppression.max_count == 3 for i in catalogue.indicators if i.id in CORE_IDS)


def test_every_count_of_people_or_answers_is_audited_as_a_count(shipped):
    """The patient survey's answers (`Σ responses`) are a count: a hidden one must keep an
    interval of max_count + 1 = 5 in the audit, not merely be undetermined (found by review:
    the six npe denominators had no `counts: true`)."""
    import numpy as np

    from metrics.compute.disclosure import quantities
    from metrics.compute.equations import CellEquations

    survey = [i for i in shipped.indicators if i.source == "survey"]
    assert survey, "the shipped catalogue has patient-survey indicators"
    none = CellEquations([], [])
    for indicator in survey:
        _, denominator = quantities(indicator, np.zeros(1), np.zeros(1), none)
        assert denominator.required_width == 5.0, indicator.id
