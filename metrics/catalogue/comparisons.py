"""`comparison:` (catalogue-wide under settings, or per indicator) and `target:` from YAML."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from metrics.catalogue.model import ComparisonChoice, TargetSpec
from metrics.catalogue.problems import Problems, did_you_mean, is_number, unknown_keys
from metrics.catalogue.yaml_loader import LineDict

COMPARISON_METHODS = ("ci95", "ci998", "multiplicative", "additive")
COMPARISON_LEVELS = (95, 99.8)
COMPARISON_KEYS = ("method", "level", "winsorise")
TARGET_KEYS = ("value", "range", "change", "from", "quartile", "area", "year", "source", "example")
TARGET_KINDS = ("value", "range", "change", "quartile", "area")

_COMPARISON_HINT = (
    "t.ex. comparison: additive, eller comparison: {method: multiplicative, level: 99.8, winsorise: 10}; "
    f"metoder: {', '.join(COMPARISON_METHODS)}"
)
_TARGET_HINT = (
    "t.ex. target: 60, {value: 60, year: 2025}, {range: [40, 60]}, {change: 20, from: 2022, year: 2025}, "
    '{quartile: 1} eller {area: "05"}; source: "…" säger var målet kommer ifrån, example: true märker '
    "ett påhittat exempelmål"
)


def parse_comparison(
    node: Any, line: int, default: ComparisonChoice, what: str, problems: Problems
) -> ComparisonChoice:
    """A method name, or a mapping with method, level (95 or 99.8) and winsorise (percent, 0–49)."""
    if isinstance(node, str):
        node_map: dict[str, Any] = {"method": node}
        lines: LineDict | None = None
    elif isinstance(node, LineDict):
        unknown_keys(node, COMPARISON_KEYS, f"{what}: comparison", problems)
        node_map, lines = dict(node), node
    else:
        problems.add(line, f"{what}: comparison ska vara en metod eller en mappning", _COMPARISON_HINT)
        return default

    def at(key: str) -> int:
        return lines.line_of(key) if lines is not None else line

    method = node_map.get("method", default.method)
    if method not in COMPARISON_METHODS:
        hint = did_you_mean(str(method), COMPARISON_METHODS) or _COMPARISON_HINT
        problems.add(at("method"), f"{what}: okänd jämförelsemetod '{method}'", hint)
        method = default.method
    level = node_map.get("level", default.level)
    if not is_number(level) or float(level) not in COMPARISON_LEVELS:
        problems.add(at("level"), f"{what}: comparison.level ska vara 95 eller 99.8, inte '{level}'")
        level = default.level
    winsorise = node_map.get("winsorise", default.winsorise)
    if not is_number(winsorise) or not 0 <= winsorise < 50:
        problems.add(at("winsorise"), f"{what}: comparison.winsorise ska vara en procentsats 0–49, t.ex. 10")
        winsorise = default.winsorise
    return ComparisonChoice(str(method), float(level), float(winsorise))


def _year(node: LineDict, key: str, what: str, problems: Problems) -> int | None:
    value = node.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1990 <= value <= 2100:
        problems.add(node.line_of(key), f"{what}: target.{key} ska vara ett årtal, t.ex. 2025")
        return None
    return value


def _provenance(node: LineDict, what: str, problems: Problems) -> tuple[str, bool]:
    """`source:` (where the target comes from, text) and `example: true` (an invented demo target)."""
    source = node.get("source")
    if source is not None and (not isinstance(source, str) or not source.strip()):
        problems.add(
            node.line_of("source"),
            f"{what}: target.source ska vara text om var målet kommer ifrån",
            't.ex. source: "Vårdanalys: minst 55 % av befolkningen med fast läkarkontakt"',
        )
        source = None
    example = node.get("example", False)
    if not isinstance(example, bool):
        problems.add(
            node.line_of("example"),
            f"{what}: target.example ska vara true eller false",
            "example: true märker ett påhittat exempelmål (visas som Exempelmål)",
        )
        example = False
    return (" ".join(source.split()) if isinstance(source, str) else ""), example


def parse_target(node: Any, line: int, what: str, problems: Problems) -> TargetSpec | None:
    """`target: 60` (a value, as before) or a mapping with exactly one kind and an optional year.

    The mapping may also say where the target comes from (`source:`) and mark an invented
    demo target (`example: true`); the board shows either wherever the target is shown.
    """
    if node is None:
        return None
    if is_number(node):
        return TargetSpec("value", value=float(node), line=line)
    if not isinstance(node, LineDict):
        problems.add(
            line, f"{what}: target ska vara ett tal i indikatorns enhet eller en mappning", _TARGET_HINT
        )
        return None
    unknown_keys(node, TARGET_KEYS, f"{what}: target", problems)
    kinds = [k for k in TARGET_KINDS if k in node]
    if len(kinds) != 1:
        problems.add(node.line, f"{what}: target ska ha precis en av {', '.join(TARGET_KINDS)}", _TARGET_HINT)
        return None
    kind = kinds[0]
    raw = node[kind]
    source, example = _provenance(node, what, problems)
    spec = _parse_kind(node, kind, raw, what, problems)
    return None if spec is None else replace(spec, source=source, example=example)


def _parse_kind(node: LineDict, kind: str, raw: Any, what: str, problems: Problems) -> TargetSpec | None:
    year = _year(node, "year", what, problems)
    at = node.line_of(kind)
    if kind != "change" and "from" in node:
        problems.add(
            node.line_of("from"),
            f"{what}: target.from (basåret) hör bara till target.change",
            "t.ex. {change: 20, from: 2022, year: 2025}, eller ta bort from:",
        )
    if kind == "value":
        if not is_number(raw):
            problems.add(at, f"{what}: target.value ska vara ett tal")
            return None
        return TargetSpec("value", year, value=float(raw), line=node.line)
    if kind == "range":
        if not (
            isinstance(raw, list) and len(raw) == 2 and all(is_number(v) for v in raw) and raw[0] <= raw[1]
        ):
            problems.add(at, f"{what}: target.range ska vara [lägsta, högsta], t.ex. [40, 60]")
            return None
        return TargetSpec("range", year, low=float(raw[0]), high=float(raw[1]), line=node.line)
    if kind == "change":
        baseline = _year(node, "from", what, problems)
        if not is_number(raw) or raw == 0 or raw <= -100:
            problems.add(at, f"{what}: target.change ska vara en förändring i procent, t.ex. 20 för +20 %")
            return None
        if baseline is None:
            problems.add(node.line, f"{what}: target.change behöver from: basåret, t.ex. from: 2022")
            return None
        if year is not None and year <= baseline:
            problems.add(node.line_of("year"), f"{what}: target.year ska komma efter basåret {baseline}")
            return None
        return TargetSpec("change", year, percent=float(raw), baseline_year=baseline, line=node.line)
    if kind == "quartile":
        if isinstance(raw, bool) or raw not in (1, 2, 3):  # True == 1: `quartile: yes` is no quartile
            problems.add(at, f"{what}: target.quartile ska vara 1 (bästa fjärdedelen), 2 eller 3")
            return None
        return TargetSpec("quartile", year, quartile=int(raw), line=node.line)
    if not isinstance(raw, str) or not raw.strip():
        problems.add(at, f'{what}: target.area ska vara en områdeskod inom citattecken, t.ex. "05"')
        return None
    return TargetSpec("area", year, area=raw.strip(), line=node.line)
