"""Jämför's target card: the target in bold, its source beneath it in small type.

Before, the whole sentence – '55 % – Nationellt mål i överenskommelsen … (här mätt bland de
listade).' – was the card's bold value, the tallest thing in the page's header row.
"""

from __future__ import annotations

from pathlib import Path

from metrics.catalogue.loader import load_catalogue
from metrics.dashboard.logic.definition import target_parts, target_text

CATALOGUE = load_catalogue(Path(__file__).resolve().parents[1] / "indicators.yaml").catalogue


def test_a_target_with_a_source_is_parted_into_the_target_and_its_source():
    indicator = CATALOGUE.indicator("fast_lakarkontakt")
    target, source = target_parts(indicator, CATALOGUE.target_for(indicator, "05"))
    assert target == "55\u00a0%"  # the board's no-break space before the per cent sign
    assert source.startswith("Nationellt mål i överenskommelsen om god och nära vård")
    # the definitions keep the one line
    assert target_text(indicator, CATALOGUE.target_for(indicator, "05")) == f"{target} – {source}"


def test_no_target_is_said_and_has_no_source():
    indicator = CATALOGUE.indicator("digitala_kontakter")
    assert target_parts(indicator, CATALOGUE.target_for(indicator, "05")) == ("Inget mål angivet", "")
