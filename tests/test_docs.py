"""The documentation keeps up with the code: every command, YAML key and extract column is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from metrics.catalogue.loader import (
    COLUMN_KEYS,
    COMPARISON_KEYS,
    EXTRACT_KEYS,
    INDICATOR_KEYS,
    MEASURE_KEYS,
    PER_PERSON_KEYS,
    SETTINGS_KEYS,
    TARGET_KEYS,
    TOP_KEYS,
)
from metrics.cli import main
from metrics.extracts.schema import EXTRACTS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
YAML_DOC = (ROOT / "docs" / "indicators-yaml.md").read_text(encoding="utf-8")
EXTRACTS_DOC = (ROOT / "docs" / "extracts.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_cli_command_is_in_the_readme(command):
    assert f"matavla {command}" in README


RUN = "python3 -m venv .venv && .venv/bin/pip install -c constraints.txt -e . && .venv/bin/python app.py"
TEST = (
    'python3 -m venv .venv && .venv/bin/pip install -c constraints.txt -e ".[test]" '
    "&& .venv/bin/python -m pytest"
)


def test_the_readme_gives_the_two_commands_in_a_virtual_environment():
    """A fresh Debian refuses `pip install` into the system Python (PEP 668), hence the venv."""
    commands = re.findall(r"```sh\n(.*?)\n```", README.split("## Two commands")[1].split("\n## ")[0], re.S)
    assert commands == [RUN, TEST]
    assert "python3-venv" in README


def test_ci_runs_exactly_the_readmes_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert TEST in [line.strip() for line in ci.splitlines()]


def test_the_constraints_pin_every_dependency_but_not_matavla():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    pins = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not pinned with =="
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    for requirement in wanted:
        name = re.sub(r"[-_.]+", "-", re.split(r"[<>=\[ ]", requirement)[0]).lower()
        assert name in pins, f"{name} (pyproject.toml) is not pinned in constraints.txt"
    assert "matavla" not in pins


@pytest.mark.parametrize(
    "key",
    sorted(
        {
            *INDICATOR_KEYS,
            *MEASURE_KEYS,
            *PER_PERSON_KEYS,
            *SETTINGS_KEYS,
            *TOP_KEYS,
            *COMPARISON_KEYS,
            *TARGET_KEYS,
        }
    ),
)
def test_every_catalogue_key_is_documented(key):
    assert f"`{key}" in YAML_DOC


@pytest.mark.parametrize("key", sorted({*EXTRACT_KEYS, *COLUMN_KEYS}))
def test_every_key_of_a_declared_extract_is_documented(key):
    assert f"`{key}`" in EXTRACTS_DOC.split("## Extracts you declare in the catalogue")[1].split("\n## ")[0]


@pytest.mark.parametrize("extract", sorted(EXTRACTS))
def test_every_extract_and_column_is_documented(extract):
    assert f"`{extract}`" in EXTRACTS_DOC
    for column in EXTRACTS[extract].column_names:
        assert f"`{column}`" in EXTRACTS_DOC, f"column {extract}.{column} is not in docs/extracts.md"
