"""YAML aliases (`&name` … `*name`) are limited: a "billion laughs" catalogue is refused at once."""

from __future__ import annotations

import itertools
import time

import pytest
from click.testing import CliRunner

from metrics.catalogue.loader import load_catalogue
from metrics.catalogue.yaml_loader import load_yaml
from metrics.cli import main
from metrics.errors import CatalogueError

LEVELS = "abcdefghi"


def billion_laughs() -> str:
    """Nine levels of nine aliases: 9⁹ ≈ 387 million strings once expanded."""
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for previous, name in itertools.pairwise(LEVELS):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    lines.append("indicators: [*i]")
    return "\n".join(lines) + "\n"


def test_a_billion_laughs_catalogue_is_refused_fast_naming_the_line(tmp_path):
    path = tmp_path / "indicators.yaml"
    path.write_text(billion_laughs(), encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(CatalogueError) as excinfo:
        load_catalogue(path)
    assert time.monotonic() - started < 5
    problem = excinfo.value.problems[0]
    # Expanded so far: b 9·10 = 90, c 9·91 = 819, d 9·820 = 7 380, e 9·7 381 = 66 429, in all
    # 74 718. Level f (line 6) holds aliases of e, each 1 + 9·7 381 = 66 430 values: the first
    # brings the sum to 141 148, the second to 207 578, past 200 000.
    assert problem.line == 6
    assert "aliasen (*namn) i filen expanderar till mer än 200000 värden" in problem.message
    assert "&namn" in (problem.hint or "")


def test_check_refuses_the_billion_laughs_with_a_swedish_message(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(billion_laughs(), encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--catalog", str(path)])
    assert result.exit_code != 0
    assert "bomb.yaml:6: YAML-fel: aliasen" in result.output
    assert "Traceback" not in result.output


def test_an_alias_inside_its_own_anchor_is_refused(tmp_path):
    path = tmp_path / "indicators.yaml"
    path.write_text("a: &x\n  b: *x\n", encoding="utf-8")
    with pytest.raises(CatalogueError) as excinfo:
        load_yaml(path)
    assert excinfo.value.problems[0].line == 2
    assert "'*x' pekar in i sig självt" in excinfo.value.problems[0].message


def test_a_few_aliases_still_work(tmp_path):
    path = tmp_path / "indicators.yaml"
    path.write_text("common: &c {min: 75}\nfirst: {age: *c}\nsecond: {age: *c}\n", encoding="utf-8")
    data = load_yaml(path)
    assert data["first"]["age"] == {"min": 75} == data["second"]["age"]
