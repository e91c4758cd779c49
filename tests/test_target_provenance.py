"""A target says where it comes from (`source:`) and whether it is an invented example (`example:`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from metrics.catalogue.loader import load_catalogue
from metrics.dashboard.logic.definition import describe_target, format_target, target_text
from metrics.errors import CatalogueError

NB = "\u00a0"  # format_value puts a no-break space before the unit

HEADER = """\
version: 1
plan_areas:
  - {id: kontinuitet, title: Ökad kontinuitet}
indicators:
"""

INDICATOR = """\
  - id: fast
    title: Fast läkarkontakt
    description: Andel listade med fast läkarkontakt.
    plan_areas: [kontinuitet]
    source: listing
    numerator: {{count: persons, where: named_gp}}
    denominator: persons
    multiplier: 100
    unit: "%"
    direction: higher
    target: {target}
"""


def load(tmp_path: Path, target: str, *, strict: bool = True):
    path = tmp_path / "indicators.yaml"
    path.write_text(HEADER + INDICATOR.format(target=target), encoding="utf-8")
    return load_catalogue(path, strict=strict)


def test_source_and_example_are_read_with_any_kind(tmp_path: Path) -> None:
    cat = load(tmp_path, '{value: 55, source: "Vårdanalys: minst 55 % med fast läkarkontakt"}').catalogue
    spec = cat.indicator("fast").target_spec
    assert spec is not None and spec.value == 55.0
    assert spec.source == "Vårdanalys: minst 55 % med fast läkarkontakt"
    assert spec.example is False
    assert spec.provenance == "Vårdanalys: minst 55 % med fast läkarkontakt"

    cat = load(tmp_path, "{change: 20, from: 2022, year: 2025, example: true}").catalogue
    spec = cat.indicator("fast").target_spec
    assert spec is not None and spec.kind == "change" and spec.example is True and spec.source == ""
    assert spec.provenance == "Exempelmål (påhittat för demon)"


def test_a_plain_number_target_has_no_provenance(tmp_path: Path) -> None:
    spec = load(tmp_path, "60").catalogue.indicator("fast").target_spec
    assert spec is not None and spec.source == "" and spec.example is False and spec.provenance == ""


def test_a_bad_source_or_example_is_an_error_on_its_line(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError) as exc:
        load(tmp_path, "{value: 55, example: ja}")
    [problem] = exc.value.problems
    assert problem.line == 15  # header 4 lines + the indicator's 11th line
    assert "target.example ska vara true eller false" in problem.message
    with pytest.raises(CatalogueError) as exc:
        load(tmp_path, "{value: 55, source: 12}")
    assert "target.source ska vara text" in exc.value.problems[0].message
    with pytest.raises(CatalogueError) as exc:
        load(tmp_path, "{value: 55, sourse: x}")
    assert exc.value.problems[0].hint == "menade du 'source'?"


def test_the_definition_names_the_target_and_where_it_comes_from(tmp_path: Path) -> None:
    ind = load(tmp_path, '{value: 55, source: "Vårdanalys"}').catalogue.indicator("fast")
    assert format_target(ind) == f"55{NB}%"
    assert target_text(ind) == f"55{NB}% – Vårdanalys"
    ind = load(tmp_path, "{value: 62.5, year: 2026, example: true}").catalogue.indicator("fast")
    assert target_text(ind) == f"62,5{NB}% (2026) – Exempelmål (påhittat för demon)"
    ind = load(tmp_path, "{range: [40, 60], example: true, source: Demo}").catalogue.indicator("fast")
    assert format_target(ind) == ""  # a range has no single level to draw
    assert describe_target(ind) == f"mellan 40{NB}% och 60{NB}%"
    assert target_text(ind) == f"mellan 40{NB}% och 60{NB}% – Exempelmål – Demo"


def test_a_targets_source_and_example_leave_the_definition_fingerprint_alone(tmp_path: Path) -> None:
    """Words about a target change no number: the results must not look out of date after adding them."""
    from metrics.catalogue.fingerprint import definition_hash

    plain = load(tmp_path, "{value: 55, year: 2026}").catalogue
    worded = load(tmp_path, '{value: 55, year: 2026, source: "Vårdanalys", example: true}').catalogue
    assert definition_hash(plain.indicator("fast"), plain) == definition_hash(
        worded.indicator("fast"), worded
    )
