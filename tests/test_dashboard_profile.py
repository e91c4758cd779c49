"""The kommun profile's summary in plain Swedish."""

from __future__ import annotations

from pathlib import Path

import pytest

from metrics.catalogue.loader import load_catalogue
from metrics.catalogue.model import Indicator
from metrics.dashboard.logic.profile import ProfileRow, profile_summary

CATALOGUE = Path(__file__).resolve().parents[1] / "indicators.yaml"


@pytest.fixture(scope="module")
def indicators() -> dict[str, Indicator]:
    return {ind.id: ind for ind in load_catalogue(CATALOGUE).catalogue.indicators}


def row(indicator: Indicator, cls: str) -> ProfileRow:
    return ProfileRow(indicator, None, 50.0, 48.0, 52.0, cls == "suppressed", 45.0, [], cls, None)


def test_better_and_worse_are_named_with_their_counts(indicators: dict[str, Indicator]) -> None:
    rows = [
        row(indicators["fast_lakarkontakt"], "better"),
        row(indicators["proaktiva_kontakter"], "better"),
        row(indicators["sip_delaktighet"], "better"),
        row(indicators["akutbesok_75"], "worse"),
        row(indicators["sip_per_1000"], "worse"),
        row(indicators["npe_delaktighet"], "similar"),
    ]
    assert profile_summary("Motala", rows, "2024") == (
        "Motala ligger signifikant bättre än länet på 3 indikatorer: Fast läkarkontakt, "
        "Planerade (proaktiva) kontakter och Personens delaktighet i SIP; "
        "signifikant sämre på 2 indikatorer: Akutbesök, 75 år och äldre och "
        "Påbörjade SIP per 1 000 invånare (2024). "
        "Dessutom 1 indikator utan signifikant skillnad."
    )


def test_neutral_untested_and_hidden_indicators_are_accounted_for(indicators: dict[str, Indicator]) -> None:
    rows = [
        row(indicators["digitala_kontakter"], "higher"),
        row(indicators["kostnad_per_invanare"], "not_tested"),
        row(indicators["sip_delaktighet"], "suppressed"),
    ]
    text = profile_summary("Ydre", rows, "2024-Q3")
    assert text.startswith("Ydre skiljer sig inte signifikant från länet på någon indikator")
    assert "Signifikant högre än länet: Digitala kontakter (beskrivande indikator" in text
    assert "1 indikator utan konfidensintervall som inte jämförs" in text
    assert "1 indikator med för få fall för att visas" in text
    assert "2024 kv\u00a03" in text
