"""`matavla schema`: a JSON Schema of the catalogue for editors, that cannot drift from the loader."""

from __future__ import annotations

import importlib
import json
import pkgutil
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

import metrics.catalogue
from metrics.catalogue.json_schema import KEY_TABLES, UNDESCRIBED, catalogue_schema, key_spec
from metrics.catalogue.key_specs import SECTIONS
from metrics.catalogue.loader import load_catalogue
from metrics.cli import main
from metrics.errors import CatalogueError

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "schema" / "indicators.schema.json"
SHIPPED = ROOT / "indicators.yaml"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(catalogue_schema())


def test_matavla_schema_prints_a_valid_draft_2020_12_schema():
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0
    printed = json.loads(result.output)
    jsonschema.Draft202012Validator.check_schema(printed)
    assert printed["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_the_committed_schema_is_what_matavla_schema_prints():
    """Regenerate with `matavla schema > schema/indicators.schema.json` after changing a key."""
    assert COMMITTED.read_text(encoding="utf-8") == CliRunner().invoke(main, ["schema"]).output


def test_the_shipped_catalogue_is_valid_against_the_schema(validator):
    doc = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    assert [error.message for error in validator.iter_errors(doc)] == []


def test_the_editor_settings_and_the_catalogue_point_at_the_committed_schema():
    settings = json.loads((ROOT / ".vscode" / "settings.json").read_text(encoding="utf-8"))
    assert "indicators.yaml" in settings["yaml.schemas"]["./schema/indicators.schema.json"]
    first = SHIPPED.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=./schema/indicators.schema.json"


def _key_tables() -> dict[str, tuple[str, ...]]:
    """Every `*_KEYS` table of the catalogue package: the keys the loader accepts."""
    found = {}
    for info in pkgutil.iter_modules(metrics.catalogue.__path__):
        module = importlib.import_module(f"metrics.catalogue.{info.name}")
        for name, value in vars(module).items():
            if (
                name.endswith("_KEYS")
                and isinstance(value, tuple)
                and getattr(value, "__module__", None) is None
            ):
                found[f"{info.name}.{name}"] = value
    return found


def test_every_key_table_of_the_loader_is_in_the_schema():
    """A new table (say, the keys of a YAML test case) must be wired into KEY_TABLES, or this fails."""
    wired = {tuple(keys) for keys in KEY_TABLES.values()}
    missing = [name for name, keys in _key_tables().items() if tuple(keys) not in wired]
    assert missing == []


@pytest.mark.parametrize("section", sorted(KEY_TABLES))
def test_every_key_the_loader_accepts_is_a_property_of_the_schema(section):
    schema = catalogue_schema()
    node = (
        schema
        if section == "catalogue"
        else schema["$defs"].get(f"{section}_object", schema["$defs"][section])
    )
    assert list(node["properties"]) == list(KEY_TABLES[section])
    assert node["additionalProperties"] is False


@pytest.mark.parametrize(("section", "key"), [(s, k) for s, keys in KEY_TABLES.items() for k in keys])
def test_every_key_is_described_in_key_specs(section, key):
    assert key_spec(section, key) is not UNDESCRIBED, (
        f"describe {section}.{key} in metrics/catalogue/key_specs.py"
    )


def test_key_specs_describe_no_key_the_loader_does_not_know():
    stale = [(s, k) for s, keys in SECTIONS.items() for k in keys if k not in KEY_TABLES.get(s, ())]
    assert stale == []


# The schema refuses what the loader refuses, so the editor underlines it before `matavla check`.
MISTAKES = {
    "a misspelt indicator key": ("    unit:", "    enhet: x\n    unit:"),
    "an unknown direction": ("direction: higher", "direction: upp"),
    "an unknown period type": ("    unit:", "    periods: [year, week]\n    unit:"),
    "an unquoted kommun code": ('kommuner: ["0580", "0513"', "kommuner: [0580, 0513"),
    "a misspelt measure key": ("{count: persons, where: named_gp}", "{count: persons, wher: named_gp}"),
    "an unknown interval": ("    unit:", "    interval: wald\n    unit:"),
    "a source that is no name": ("source: listing", "source: Listning 2024"),
}


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_the_schema_and_the_loader_both_refuse(tmp_path, validator, mistake):
    old, new = MISTAKES[mistake]
    text = SHIPPED.read_text(encoding="utf-8")
    assert old in text
    broken = tmp_path / "indicators.yaml"
    broken.write_text(text.replace(old, new, 1), encoding="utf-8")
    assert list(validator.iter_errors(yaml.safe_load(broken.read_text(encoding="utf-8"))))
    with pytest.raises(CatalogueError):
        load_catalogue(broken, strict=True)
