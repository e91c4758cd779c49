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
)
from metrics.catalogue.problems import Problems, did_you_mean, unknown_keys
from metrics.catalogue.settings import (
    SETTINGS_KEYS,
    SUPPRESSION_KEYS,
    parse_area_levels,
    parse_plan_areas,
    parse_settings,
)
from metrics.catalogue.tests_spec import EXPECT_KEYS, TEST_KEYS
from metrics.catalogue.yaml_loader import LineDict, load_yaml
from metrics.errors import CatalogueError, Problem

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
    problems: list[Problem]  # errors of left-out indicators, and warnings


def load_catalogue(path: str | Path = DEFAULT_CATALOGUE, *, strict: bool = False) -> LoadResult:
    """Load and validate the catalogue.

    Problems in settings, plan areas or area groups are fatal (they affect every
    indicator). A problem in one indicator leaves that indicator out, unless
    `strict`, which raises on any error.
    """
    path = Path(path)
    problems = Problems(path.name)
    doc = load_yaml(path)
    if not isinstance(doc, LineDict):
        raise CatalogueError([Problem("filen ska vara en YAML-mappning med nyckeln 'indicators'", str(path))])
    unknown_keys(doc, TOP_KEYS, "katalogen", problems)

    settings = doc.get("settings") or LineDict()
    suppression, age_bands, code_lists = parse_settings(settings, problems)
    plan_areas = parse_plan_areas(doc.get("plan_areas"), doc.line_of("plan_areas"), problems)
    area_levels = parse_area_levels(doc.get("area_levels"), problems)
    comparison = (
        parse_comparison(
            settings["comparison"], settings.line_of("comparison"), ComparisonChoice(), "settings", problems
        )
        if isinstance(settings, LineDict) and "comparison" in settings
        else ComparisonChoice()
    )
    fatal = list(problems.errors)
    if fatal:
        raise CatalogueError(fatal)
    # A broken declaration is left out (its indicators then name an unknown source), like an indicator.
    declared = parse_extracts(doc.get("extracts"), doc.line_of("extracts"), problems)

    raw_indicators = doc.get("indicators")
    if not isinstance(raw_indicators, list) or not raw_indicators:
        raise CatalogueError(
            [Problem("'indicators' saknas eller är tom", path.name, doc.line_of("indicators"))]
        )
    indicators: list[Indicator] = []
    seen: dict[str, int] = {}
    context = Context(
        suppression,
        age_bands,
        code_lists,
        {p.id for p in plan_areas},
        path.name,
        extracts=known_extracts(declared),
        comparison=comparison,
    )
    for node in raw_indicators:
        if not isinstance(node, LineDict):
            problems.add(doc.line_of("indicators"), "varje indikator ska vara en mappning (id: …, title: …)")
            continue
        before = len(problems.errors)
        indicator = parse_indicator(node, context, problems)
        if indicator is not None and indicator.id in seen:
            problems.add(node.line, f"indikatorn '{indicator.id}' finns redan på rad {seen[indicator.id]}")
            indicator = None
        if indicator is not None and len(problems.errors) == before:
            seen[indicator.id] = node.line
            indicators.append(indicator)

    if strict and problems.errors:
        raise CatalogueError(problems.errors)
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
    )
    return LoadResult(catalogue, problems.items)
