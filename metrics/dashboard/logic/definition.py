"""An indicator's definition in words, straight from the catalogue, for pages and downloads."""

from __future__ import annotations

from metrics.catalogue.model import Catalogue, Indicator
from metrics.dashboard.logic.comparison import direction_words
from metrics.dashboard.logic.format import format_number, format_value
from metrics.extracts.schema import EXTRACTS

INTERVAL_WORDS = {
    "wilson": "95 % konfidensintervall enligt Wilson (andel av samma slags enheter)",
    "poisson": "95 % konfidensintervall för händelser per invånare: exakt Poisson under 10 händelser, "
    "annars Byars approximation",
    "none": "Inget konfidensintervall (medelvärde eller summa) – jämförs inte statistiskt med länet",
}
PERIOD_WORDS = {"year": "år", "quarter": "kvartal", "month": "månad"}
BREAKDOWN_WORDS = {"sex": "kön", "age_band": "åldersgrupp"}


def format_target(indicator: Indicator) -> str:
    """The target as written in the plan: '60 %' rather than '60,0 %'."""
    if indicator.target is None:
        return ""
    decimals = 0 if float(indicator.target).is_integer() else indicator.decimals
    return format_value(indicator.target, decimals, indicator.unit)


def source_titles(indicator: Indicator) -> str:
    return ", ".join(f"{EXTRACTS[s].title} ({s})" if s in EXTRACTS else s for s in indicator.sources)


def definition_rows(indicator: Indicator, catalogue: Catalogue) -> list[tuple[str, str]]:
    """(label, text) pairs in reading order."""
    areas = [catalogue.plan_area(a) for a in indicator.plan_areas]
    target = format_target(indicator) or "Inget mål angivet"
    s = indicator.suppression
    suppression = f"Värden döljs när nämnaren är under {format_number(s.min_denominator, 0)}"
    if indicator.numerator.is_count:
        suppression += f" eller täljaren är {s.min_count}–{s.max_count}"
    suppression += "; då döljs också det värde som annars kunde räknas fram."
    return [
        ("Indikator", indicator.title),
        ("Id", indicator.id),
        ("Beskrivning", indicator.description),
        ("Täljare", indicator.numerator_text or "–"),
        ("Nämnare", indicator.denominator_text or "–"),
        ("Källor (utdrag)", source_titles(indicator)),
        (
            "Enhet",
            indicator.unit
            + (f" (× {format_number(indicator.multiplier, 0)})" if indicator.multiplier != 1 else ""),
        ),
        ("Riktning", direction_words(indicator.direction)),
        ("Mål", target),
        ("Planområden", ", ".join(a.title for a in areas if a is not None)),
        ("Perioder", ", ".join(PERIOD_WORDS.get(p, p) for p in indicator.periods)),
        ("Nedbrytningar", ", ".join(BREAKDOWN_WORDS.get(b, b) for b in indicator.breakdowns) or "Inga"),
        ("Osäkerhet", INTERVAL_WORDS.get(indicator.interval, indicator.interval)),
        ("Undertryckning", suppression),
        ("Definitionens källa", indicator.definition_source or "–"),
    ]


def definition_table_rows(indicators: list[Indicator], catalogue: Catalogue) -> list[dict[str, str]]:
    """One row per indicator with every definition field as a column (the downloads' second sheet)."""
    return [dict(definition_rows(ind, catalogue)) for ind in indicators]
