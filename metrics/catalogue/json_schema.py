"""A JSON Schema of the catalogue format, built from the loader's own key tables.

Editors (VS Code's YAML extension, IntelliJ …) use it to complete keys and underline
mistakes while the analyst types. Which keys exist comes from the tables the loader
checks with (`INDICATOR_KEYS`, `MEASURE_KEYS`, `SETTINGS_KEYS` …), and what each
holds from `metrics.catalogue.key_specs`, so the schema cannot drift from the loader:
a key added to a table is in the schema the next time it is printed.
"""

from __future__ import annotations

import json
from typing import Any

from metrics.catalogue.comparisons import COMPARISON_KEYS, TARGET_KEYS
from metrics.catalogue.extract_declarations import COLUMN_KEYS, EXTRACT_KEYS
from metrics.catalogue.indicators import AGE_KEYS, CODES_KEYS, INDICATOR_KEYS, MEASURE_KEYS, PER_PERSON_KEYS
from metrics.catalogue.key_specs import EXTRA, SECTION_TITLES, SECTIONS, WRAP, Json, Key
from metrics.catalogue.kolada_reference import KOLADA_KEYS
from metrics.catalogue.loader import TOP_KEYS
from metrics.catalogue.plans import PLAN_KEYS, PLAN_NODE_KEYS
from metrics.catalogue.settings import (
    AREA_GROUP_KEYS,
    AREA_LEVEL_KEYS,
    PLAN_AREA_KEYS,
    PUBLICATION_KEYS,
    SETTINGS_KEYS,
    STANDARD_POPULATION_KEYS,
    SUPPRESSION_KEYS,
)
from metrics.catalogue.tests_spec import EXPECT_KEYS, TEST_KEYS

UNDESCRIBED = Key("(ännu inte beskriven i metrics/catalogue/key_specs.py)")

# Each object of the format and the loader table that lists its keys.
KEY_TABLES: dict[str, tuple[str, ...]] = {
    "catalogue": TOP_KEYS,
    "settings": SETTINGS_KEYS,
    "suppression": SUPPRESSION_KEYS,
    "publication": PUBLICATION_KEYS,
    "plan_area": PLAN_AREA_KEYS,
    "area_level": AREA_LEVEL_KEYS,
    "area_group": AREA_GROUP_KEYS,
    "indicator": INDICATOR_KEYS,
    "measure": MEASURE_KEYS,
    "per_person": PER_PERSON_KEYS,
    "age": AGE_KEYS,
    "codes": CODES_KEYS,
    "extract": EXTRACT_KEYS,
    "column": COLUMN_KEYS,
    "comparison": COMPARISON_KEYS,
    "standard_population": STANDARD_POPULATION_KEYS,
    "target": TARGET_KEYS,
    "kolada": KOLADA_KEYS,
    "test": TEST_KEYS,
    "expect": EXPECT_KEYS,
    "plan": PLAN_KEYS,  # a plan file, plans/*.yaml (its own schema: plan_schema)
    "plan_node": PLAN_NODE_KEYS,
}


def key_spec(section: str, key: str) -> Key:
    return SECTIONS.get(section, {}).get(key, UNDESCRIBED)


def _object(section: str) -> Json:
    keys = KEY_TABLES[section]
    properties = {}
    for key in keys:
        spec = key_spec(section, key)
        properties[key] = {"description": spec.description, **spec.schema}
    result: Json = {"type": "object", "properties": properties, "additionalProperties": False}
    required = [key for key in keys if key_spec(section, key).required]
    if required:
        result["required"] = required
    return {**result, **EXTRA.get(section, {})}


def _defs() -> dict[str, Any]:
    defs: dict[str, Any] = {}
    for section in KEY_TABLES:
        if section == "catalogue":
            continue
        if section in WRAP:
            defs[f"{section}_object"] = _object(section)
            defs[section] = WRAP[section]
        else:
            defs[section] = _object(section)
    return defs


def plan_schema() -> Json:
    """The JSON Schema (draft 2020-12) of a plan file, `plans/*.yaml` (docs/plans.md)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "En plan för Mätavla (plans/*.yaml)",
        "description": "Formatet beskrivs i docs/plans.md.",
        **_object("plan"),
        "$defs": _defs(),
    }


def catalogue_schema() -> Json:
    """The JSON Schema (draft 2020-12) of `indicators.yaml`."""
    defs = _defs()
    top = _object("catalogue")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Mätavlas indikatorkatalog (indicators.yaml)",
        "description": "Formatet beskrivs i docs/indicators-yaml.md och docs/guide-analytiker.md.",
        **top,
        "$defs": defs,
    }


def schema_text(*, plan: bool = False) -> str:
    """The schema as `matavla schema` prints it and schema/indicators.schema.json holds it.

    plan: the plan files' schema, as `matavla schema --plan` prints it (schema/plan.schema.json).
    """
    return json.dumps(plan_schema() if plan else catalogue_schema(), ensure_ascii=False, indent=2) + "\n"


def fields_markdown() -> str:
    """Every field of the format as Markdown tables (Swedish), as docs/guide-analytiker.md shows them."""
    parts: list[str] = []
    for section, keys in KEY_TABLES.items():
        parts.append(f"#### {SECTION_TITLES.get(section, section)}\n")
        parts.append("| fält | innehåll | krävs |\n|---|---|---|")
        for key in keys:
            spec = key_spec(section, key)
            required = "ja" if spec.required else ""
            text = spec.description.replace("|", "\\|")
            parts.append(f"| `{key}` | {text} | {required} |")
        parts.append("")
    return "\n".join(parts)
