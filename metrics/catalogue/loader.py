"""Build the catalogue from `indicators.yaml`, reporting every problem at once.

Each indicator is validated on its own: a broken one is reported with its
line and left out, the others load. `load_catalogue(strict=True)` raises
`CatalogueError` with all problems instead (the CLI's `check` uses that).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from metrics.catalogue.comparisons import COMPARISON_KEYS, TARGET_KEYS, parse_comparison
from metrics.catalogue.extract_declarations import (
    COLUMN_KEYS,
    COLUMN_TYPES,
    EXTRACT_KEYS,
    known_extracts,
    parse_extracts,
)
from metrics.catalogue.indicators import (
    INDICATOR_KEYS,
    MEASURE_KEYS,
    PER_PERSON_KEYS,
    Context,
    parse_indicator,
)
from metrics.catalogue.model import (
    Catalogue,
    ComparisonChoice,
    Indicator,
    StandardPopulation,
)
from metrics.catalogue.plans import (
    build_plans,
    fallback_plan,
    legacy_mappings,
    legacy_warnings,
    read_plans,
    unmapped_warnings,
    written_node_ids,
)
from metrics.catalogue.problems import Problems, did_you_mean, unknown_keys
from metrics.catalogue.settings import (
    SETTINGS_KEYS,
    STANDARD_POPULATION_KEYS,
    STANDARD_POPULATION_NAMES,
    SUPPRESSION_KEYS,
    parse_area_levels,
    parse_plan_areas,
    parse_publication,
    parse_settings,
    parse_standard_population,
)
from metrics.catalogue.tests_spec import EXPECT_KEYS, TEST_KEYS
from metrics.catalogue.yaml_loader import LineDict, load_yaml
from metrics.errors import CatalogueError, Problem
from metrics.geography import load_geography

__all__ = [
    "COLUMN_KEYS",
    "COLUMN_TYPES",
    "COMPARISON_KEYS",
    "EXPECT_KEYS",
    "EXTRACT_KEYS",
    "INDICATOR_KEYS",
    "MEASURE_KEYS",
    "PER_PERSON_KEYS",
    "SETTINGS_KEYS",
    "STANDARD_POPULATION_KEYS",
    "STANDARD_POPULATION_NAMES",
    "SUPPRESSION_KEYS",
    "TARGET_KEYS",
    "TEST_KEYS",
    "TOP_KEYS",
    "LoadResult",
    "did_you_mean",
    "load_catalogue",
]

DEFAULT_CATALOGUE = Path("indicators.yaml")
TOP_KEYS = ("version", "settings", "plan_areas", "area_levels", "extracts", "indicators")


@dataclass(frozen=True)
class LoadResult:
    catalogue: Catalogue
    problems: list[Problem]  # errors of left-out indicators (and of left-out tests), and warnings


def load_catalogue(path: str | Path = DEFAULT_CATALOGUE, *, strict: bool = False) -> LoadResult:
    """Load and validate the catalogue.

    Problems in settings, plan areas or area groups are fatal (they affect every
    indicator); they are raised together with every indicator's problems. A problem
    in one indicator leaves that indicator out, unless `strict`, which raises on any
    error. Problems come sorted by line.
    """
    path = Path(path)
    problems = Problems(path.name)
    doc = load_yaml(path)
    if not isinstance(doc, LineDict):
        raise CatalogueError([Problem("filen ska vara en YAML-mappning med nyckeln 'indicators'", path.name)])
    unknown_keys(doc, TOP_KEYS, "katalogen", problems)

    settings = doc.get("settings") or LineDict()
    suppression, age_bands, code_lists = parse_settings(settings, problems)
    standard_population = parse_standard_population(
        settings.get("standard_population") if isinstance(settings, LineDict) else None,
        settings.line_of("standard_population") if isinstance(settings, LineDict) else 0,
        StandardPopulation(),
        problems,
    )
    publication = parse_publication(
        settings.get("publication") if isinstance(settings, LineDict) else None,
        settings.line_of("publication") if isinstance(settings, LineDict) else 0,
        problems,
    )
    # The län's plans (plans/*.yaml beside the catalogue); the flat `plan_areas:` list is the old format.
    plan_files = read_plans(path)
    plan_areas = (
        parse_plan_areas(doc.get("plan_areas"), doc.line_of("plan_areas"), problems)
        if "plan_areas" in doc
        else ()
    )
    area_levels = parse_area_levels(doc.get("area_levels"), problems)
    comparison = (
        parse_comparison(
            settings["comparison"], settings.line_of("comparison"), ComparisonChoice(), "settings", problems
        )
        if isinstance(settings, LineDict) and "comparison" in settings
        else ComparisonChoice()
    )
    # Fatal, but reported together with the indicators' own problems (checked below against
    # what could be read), so one `check` shows every mistake in the file.
    fatal = bool(problems.errors)
    # A broken declaration is left out (its indicators then name an unknown source), like an indicator.
    declared = parse_extracts(doc.get("extracts"), doc.line_of("extracts"), problems)

    raw_indicators = doc.get("indicators")
    if not isinstance(raw_indicators, list) or not raw_indicators:
        problems.add(doc.line_of("indicators"), "'indicators' saknas eller är tom")
        raise CatalogueError(by_line(problems.errors))
    indicators: list[Indicator] = []
    seen: dict[str, int] = {}
    area_ids = {p.id for p in plan_areas} | _written_ids(doc.get("plan_areas")) | written_node_ids(plan_files)
    context = Context(
        suppression,
        age_bands,
        code_lists,
        area_ids,
        path.name,
        extracts=known_extracts(declared),
        comparison=comparison,
        standard_population=standard_population,
        require_plan_areas="plan_areas" in doc and not plan_files,
    )
    for node in raw_indicators:
        if not isinstance(node, LineDict):
            problems.add(doc.line_of("indicators"), "varje indikator ska vara en mappning (id: …, title: …)")
            continue
        indicator = parse_indicator(node, context, problems)
        if indicator is not None and indicator.id in seen:
            problems.add(node.line, f"indikatorn '{indicator.id}' finns redan på rad {seen[indicator.id]}")
            indicator = None
        # parse_indicator returns None for an error in the definition; an error in its tests only
        # leaves them out (Indicator.tests is empty), the definition is kept.
        if indicator is not None:
            seen[indicator.id] = node.line
            indicators.append(indicator)

    written = {str(n["id"]) for n in raw_indicators if isinstance(n, LineDict) and "id" in n}
    plans, plan_problems = build_plans(plan_files, indicators, written, load_geography().lan)
    plans = legacy_mappings(plans, indicators)
    plan_problems += legacy_warnings(
        plans, indicators, "plan_areas" in doc, doc.line_of("plan_areas"), path.name
    )
    problems.items.extend(unmapped_warnings(plans, indicators, path.name))
    if (strict or fatal) and (problems.errors or any(p.level == "error" for p in plan_problems)):
        raise CatalogueError(by_line(problems.errors) + [p for p in plan_problems if p.level == "error"])
    catalogue = Catalogue(
        indicators=tuple(indicators),
        plan_areas=plan_areas,
        area_levels=area_levels,
        suppression=suppression,
        age_bands=age_bands,
        code_lists=code_lists,
        file=path.name,
        extracts=declared,
        comparison=comparison,
        standard_population=standard_population,
        publication=publication,
        plans=plans,
        fallback_plan=fallback_plan(plan_areas, indicators),
    )
    return LoadResult(catalogue, by_line(problems.items) + plan_problems)


def by_line(problems: list[Problem]) -> list[Problem]:
    """Problems in the order of the file (stable: problems on one line keep their order).

    Problems of several files (the catalogue and its plans) stay together per file, the files
    in the order they first appear.
    """
    files = list(dict.fromkeys(p.file for p in problems))
    return sorted(problems, key=lambda p: (files.index(p.file), p.line or 0))


def _written_ids(node: object) -> set[str]:
    """The plan-area ids written in the file, even of areas refused for another mistake."""
    items = node if isinstance(node, list) else []
    return {str(item["id"]) for item in items if isinstance(item, LineDict) and "id" in item}
