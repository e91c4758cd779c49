"""An indicator's definition in words, straight from the catalogue, for pages and downloads."""

from __future__ import annotations

from metrics.catalogue.model import Catalogue, Indicator, TargetSpec
from metrics.dashboard.logic.comparison import direction_words
from metrics.dashboard.logic.format import format_number, format_value
from metrics.extracts.schema import EXTRACTS
from metrics.geography import load_geography

INTERVAL_WORDS = {
    "wilson": "95 % konfidensintervall enligt Wilson (andel av samma slags enheter)",
    "poisson": "95 % konfidensintervall för händelser per invånare: exakt Poisson under 10 händelser, "
    "annars Byars approximation",
    "mean": "95 % konfidensintervall för ett medelvärde (Students t, från summan, kvadratsumman och antalet)",
    "dobson": "95 % konfidensintervall för en summa per invånare enligt Dobson (flera händelser per enhet)",
    "none": "Inget konfidensintervall (medelvärde eller summa) – jämförs inte statistiskt med länet",
}
PERIOD_WORDS = {"year": "år", "quarter": "kvartal", "month": "månad"}
BREAKDOWN_WORDS = {"sex": "kön", "age_band": "åldersgrupp"}


def _plain(value: float, indicator: Indicator) -> str:
    decimals = 0 if float(value).is_integer() else indicator.decimals
    return format_value(value, decimals, indicator.unit)


def format_target(indicator: Indicator, spec: TargetSpec | None = None) -> str:
    """The target's level as written in the plan: '60 %' rather than '60,0 %' ('' without one).

    `spec` is the target that applies (a plan's own target overrides the indicator's); without
    it, the indicator's own. Only a value target has a single level.
    """
    spec = spec if spec is not None else indicator.target_spec
    if spec is None or spec.kind != "value" or spec.value is None:
        return ""
    return _plain(spec.value, indicator)


def describe_target(indicator: Indicator, spec: TargetSpec | None = None) -> str:
    """The target in Swedish words, any kind, with its year ('' without a target)."""
    spec = spec if spec is not None else indicator.target_spec
    if spec is None:
        return ""
    if spec.kind == "value" and spec.value is not None:
        text = _plain(spec.value, indicator)
    elif spec.kind == "range" and spec.low is not None and spec.high is not None:
        text = f"mellan {_plain(spec.low, indicator)} och {_plain(spec.high, indicator)}"
    elif spec.kind == "change" and spec.percent is not None:
        text = f"{format_number(spec.percent, 0, sign=True)} % från {spec.baseline_year}"
    elif spec.kind == "quartile":
        text = {1: "bland länets bästa fjärdedel", 2: "bland länets bästa hälft"}.get(
            spec.quartile or 0, "bland länets bästa tre fjärdedelar"
        )
    else:
        text = f"minst lika bra som {spec.area}"
    return f"{text} ({spec.year})" if spec.year is not None else text


def target_parts(indicator: Indicator, spec: TargetSpec | None = None) -> tuple[str, str]:
    """(the target, where it comes from): ('60 %', 'Exempelmål …'), or ('Inget mål angivet', '')."""
    spec = spec if spec is not None else indicator.target_spec
    words = describe_target(indicator, spec)
    if not words or spec is None:
        return "Inget mål angivet", ""
    return words, spec.provenance or ""


def target_text(indicator: Indicator, spec: TargetSpec | None = None) -> str:
    """The target with where it comes from, for definitions: '60 % – Exempelmål …' or 'Inget mål angivet'."""
    words, provenance = target_parts(indicator, spec)
    return f"{words} – {provenance}" if provenance else words


def source_titles(indicator: Indicator) -> str:
    return ", ".join(f"{EXTRACTS[s].title} ({s})" if s in EXTRACTS else s for s in indicator.sources)


def plan_headings(indicator: Indicator, catalogue: Catalogue) -> list[str]:
    """Each plan that follows the indicator up, with its headings: 'Plan (län 05): A › B; C'."""
    lines: list[str] = []
    for plan in catalogue.plans:
        paths = plan.paths_of(indicator.id)
        if paths:
            headings = "; ".join(" › ".join(node.title for node in path) for path in paths)
            lans = ", ".join(load_geography().area_name(code) for code in plan.lans)
            lines.append(f"{plan.name} ({lans}): {headings}")
    if not lines:  # the old format: the catalogue's flat plan areas
        areas = [catalogue.plan_area(a) for a in indicator.plan_areas]
        titles = [a.title for a in areas if a is not None]
        if titles:
            lines.append(", ".join(titles))
    return lines


def plan_targets(indicator: Indicator, catalogue: Catalogue) -> list[str]:
    """The plans' own targets for the indicator, which override its target in their län."""
    return [
        f"{plan.name}: {target_text(indicator, plan.targets[indicator.id])}"
        for plan in catalogue.plans
        if indicator.id in plan.targets
    ]


def definition_rows(indicator: Indicator, catalogue: Catalogue) -> list[tuple[str, str]]:
    """(label, text) pairs in reading order."""
    target = target_text(indicator)
    overrides = plan_targets(indicator, catalogue)
    if overrides:
        target += " · Planens eget mål gäller i dess län – " + "; ".join(overrides)
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
        ("Följer upp i planerna", " · ".join(plan_headings(indicator, catalogue)) or "Ingen plan"),
        ("Perioder", ", ".join(PERIOD_WORDS.get(p, p) for p in indicator.periods)),
        ("Nedbrytningar", ", ".join(BREAKDOWN_WORDS.get(b, b) for b in indicator.breakdowns) or "Inga"),
        ("Osäkerhet", INTERVAL_WORDS.get(indicator.interval, indicator.interval)),
        ("Undertryckning", suppression),
        ("Definitionens källa", indicator.definition_source or "–"),
    ]


def definition_table_rows(indicators: list[Indicator], catalogue: Catalogue) -> list[dict[str, str]]:
    """One row per indicator with every definition field as a column (the downloads' second sheet)."""
    return [dict(definition_rows(ind, catalogue)) for ind in indicators]
