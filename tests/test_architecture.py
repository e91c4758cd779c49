"""Stages depend one way: the catalogue knows nothing of DuckDB or Dash, the engine nothing of Dash."""

from __future__ import annotations

import subprocess
import sys

import pytest


def modules_loaded_by(module: str) -> set[str]:
    code = f"import sys, {module}; print('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return {name.split(".")[0] for name in out.split()}


def test_the_catalogue_imports_neither_duckdb_nor_dash():
    loaded = modules_loaded_by("metrics.catalogue.loader")
    assert "duckdb" not in loaded
    assert "dash" not in loaded


@pytest.mark.parametrize("module", ["metrics.compute.engine", "metrics.extracts.importer", "metrics.cli"])
def test_the_core_and_cli_do_not_import_dash(module):
    assert "dash" not in modules_loaded_by(module)
