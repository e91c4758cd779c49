"""The documentation keeps up with the code: every command, YAML key and extract column is documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from metrics.catalogue.loader import INDICATOR_KEYS, MEASURE_KEYS, SETTINGS_KEYS, TOP_KEYS
from metrics.cli import main
from metrics.extracts.schema import EXTRACTS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
YAML_DOC = (ROOT / "docs" / "indicators-yaml.md").read_text(encoding="utf-8")
EXTRACTS_DOC = (ROOT / "docs" / "extracts.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_cli_command_is_in_the_readme(command):
    assert f"matavla {command}" in README


def test_the_readme_gives_the_two_commands():
    assert "pip install -e . && python app.py" in README
    assert 'pip install -e ".[test]" && python -m pytest' in README
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert 'pip install -q -e ".[test]" && python -m pytest' in ci


@pytest.mark.parametrize("key", sorted({*INDICATOR_KEYS, *MEASURE_KEYS, *SETTINGS_KEYS, *TOP_KEYS}))
def test_every_catalogue_key_is_documented(key):
    assert f"`{key}" in YAML_DOC


@pytest.mark.parametrize("extract", sorted(EXTRACTS))
def test_every_extract_and_column_is_documented(extract):
    assert f"`{extract}`" in EXTRACTS_DOC
    for column in EXTRACTS[extract].column_names:
        assert f"`{column}`" in EXTRACTS_DOC, f"column {extract}.{column} is not in docs/extracts.md"
