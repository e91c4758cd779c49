"""Fingerprints of the catalogue: of the file as read, and of each indicator's definition.

A run stores both, so the board can tell when an indicator's definition changed after
its results were computed. The definition fingerprint covers what the numbers depend on
(sources, filters, measures, multiplier, periods, breakdowns, interval, suppression, age
bands, code lists, area groups) and leaves out words and places (title, texts, unit,
target, line numbers): moving an indicator in the file or rewording its title does not
make its results out of date.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

from metrics.catalogue.model import Catalogue, Indicator, StandardPopulation, TargetSpec

# Indicator fields that do not change the numbers.
PRESENTATION_FIELDS = frozenset(
    {
        "title",
        "description",
        "plan_areas",
        "unit",
        "direction",
        "target",
        "decimals",
        "definition_source",
        "numerator_text",
        "denominator_text",
        "file",
        "line",
        "key_lines",
        "tests",
        "kolada",  # the national reference shown beside the results, not part of them
    }
)


# A target's words: where it comes from and whether it is an example change no number.
TARGET_WORDS = frozenset({"source", "example"})

# Fields added to the model later, left out while unset: an upgrade then does not make every
# indicator's stored fingerprint differ (and its results look out of date) when nothing changed.
ADDED_FIELDS: dict[str, object] = {
    "having": None,
    "extracts": (),
    "standard_population": StandardPopulation(kind="none"),  # an indicator that is not standardised
    "no_rows": "zero",  # a covered kommun × period without rows is 0 (the default)
    "needs_rows": None,
}


def file_hash(data: bytes) -> str:
    """sha256 of the catalogue file's bytes, as hex."""
    return hashlib.sha256(data).hexdigest()


def _plain(value: Any) -> Any:
    """Dataclasses, tuples and dicts as JSON-able values, without line numbers."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name != "line"
            and not (isinstance(value, TargetSpec) and f.name in TARGET_WORDS)
            and not (f.name in ADDED_FIELDS and getattr(value, f.name) == ADDED_FIELDS[f.name])
        }
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def definition_hash(indicator: Indicator, catalogue: Catalogue) -> str:
    """sha256 of what the indicator's results depend on (see the module docstring)."""
    fields = {
        f.name: _plain(getattr(indicator, f.name))
        for f in dataclasses.fields(indicator)
        if f.name not in PRESENTATION_FIELDS
        and not (f.name in ADDED_FIELDS and getattr(indicator, f.name) == ADDED_FIELDS[f.name])
    }
    # Area groups are rolled up for every indicator: changing them changes every result.
    fields["area_levels"] = [
        {"level": level.level, "groups": [[g.id, list(g.kommuner)] for g in level.groups]}
        for level in catalogue.area_levels
    ]
    text = json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
