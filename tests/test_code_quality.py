"""Lint, format and types are part of the test run, so CI enforces them like any other test."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PATHS = ["metrics", "app.py", "benchmarks", "tests"]


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


def ruff(*args: str) -> subprocess.CompletedProcess[str]:
    # The ruff of this interpreter's environment: a virtualenv's bin/ need not be on PATH.
    if importlib.util.find_spec("ruff") is None:
        pytest.skip("ruff is installed with the test extras: pip install -e '.[test]'")
    return run(sys.executable, "-m", "ruff", *args)


def test_ruff_finds_nothing():
    result = ruff("check", *PATHS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_code_is_ruff_formatted():
    result = ruff("format", "--check", *PATHS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_no_type_errors():
    pytest.importorskip("mypy")
    result = run(sys.executable, "-m", "mypy")
    assert result.returncode == 0, result.stdout + result.stderr


def test_in_ci_a_skipped_test_fails(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    # A check that silently does not run (ruff missing, no browser) must not pass CI.
    pytester.makeconftest((ROOT / "tests" / "conftest.py").read_text(encoding="utf-8"))
    pytester.makepyfile("import pytest\n\ndef test_needs_a_tool():\n    pytest.skip('no tool')\n")
    monkeypatch.setenv("CI", "true")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(failed=1)
    monkeypatch.setenv("CI", "")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(skipped=1)
