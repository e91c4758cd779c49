"""Test cases written next to an indicator's definition (`tests:`), parsed and validated.

A test is a handful of input rows per extract (only the columns that matter; the runner,
`metrics.compute.yaml_tests`, fills in the rest) and the expected numbers of named cells:

    tests:
      - name: Två av tre listade har fast läkarkontakt
        kommun: "0580"          # default kommun of the rows and the expectations
        period: "2024"          # default period of the expectations (and the rows' dates)
        rows:
          listing: [{named_gp: true}, {named_gp: true}, {named_gp: false}]
        expect: {numerator: 2, denominator: 3, value: 66.7}

This module only reads YAML: it knows the extracts' columns, never SQL or a database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from metrics.catalogue.problems import Problems, did_you_mean, is_number, unknown_keys
from metrics.catalogue.yaml_loader import LineDict
from metrics.extracts.schema import EXTRACTS, Extract

TEST_KEYS = ("name", "kommun", "period", "suppression", "rows", "expect")
EXPECT_KEYS = (
    "kommun",
    "lan",
    "area",
    "period",
    "sex",
    "age_band",
    "numerator",
    "denominator",
    "value",
    "missing",
    "suppressed",
    "exists",
)
NUMBER_CHECKS = ("numerator", "denominator", "value")
FLAG_CHECKS = ("missing", "suppressed", "exists")
PERIOD = re.compile(r"^\d{4}(-Q[1-4]|-(0[1-9]|1[0-2]))?$")
KOMMUN_CODE = re.compile(r"^\d{4}$")
LAN_CODE = re.compile(r"^\d{2}$")
_QUOTE_HINT = 'skriv koden inom citattecken, t.ex. "0513": YAML läser 0513 som ett (oktalt) tal'


@dataclass(frozen=True)
class TestRow:
    """One input row as written: column → YAML value (text, number, bool, date or None)."""

    values: dict[str, Any]
    line: int


@dataclass(frozen=True)
class Expectation:
    """The expected numbers of one result cell."""

    area_code: str  # kommun '0580', län '05' or an area group's id
    area_level: str | None  # 'kommun', 'lan', or None for an area group (matched by its id)
    period: str  # '2024', '2024-Q1' or '2024-01'
    sex: str | None
    age_band: str | None
    # (numerator|denominator|value|missing|suppressed|exists, expected, line)
    checks: tuple[tuple[str, Any, int], ...]
    line: int

    @property
    def breakdown(self) -> str:
        return "sex" if self.sex else "age_band" if self.age_band else "total"


@dataclass(frozen=True)
class TestCase:
    name: str
    rows: dict[str, tuple[TestRow, ...]]  # extract → rows
    expectations: tuple[Expectation, ...]
    period: str  # the test's period: dates rows default to
    kommun: str | None  # the kommun rows default to
    suppression: bool  # False: every cell shown (the default)
    line: int
    key_lines: dict[str, int] = field(default_factory=dict, compare=False, hash=False)


def _period(value: Any, line: int, what: str, problems: Problems) -> str | None:
    text = str(value) if isinstance(value, (int, str)) and not isinstance(value, bool) else ""
    if not PERIOD.match(text):
        problems.add(line, f"{what}: period '{value}' är ingen period", "skriv 2024, 2024-Q1 eller 2024-01")
        return None
    return text


def _code(value: Any, line: int, what: str, kind: str, problems: Problems) -> str | None:
    """A kommun or län code, which must be written as text."""
    from metrics.geography import load_geography

    geography = load_geography()
    known = geography.kommuner if kind == "kommun" else geography.lan
    if isinstance(value, int) and not isinstance(value, bool):
        problems.add(line, f"{what}: {kind} {value} är ett tal, inte en kod", _QUOTE_HINT)
        return None
    text = str(value) if isinstance(value, str) else ""
    if text not in known:
        example = '"0580" för Linköping' if kind == "kommun" else '"05" för Östergötland'
        problems.add(
            line,
            f"{what}: okänd {'kommunkod' if kind == 'kommun' else 'länskod'} '{value}'",
            did_you_mean(text, known) or f"ange SCB-koden som text, t.ex. {example}",
        )
        return None
    return text


def parse_tests(
    node: Any,
    line: int,
    indicator_id: str,
    problems: Problems,
    extracts: Mapping[str, Extract] = EXTRACTS,
) -> tuple[TestCase, ...]:
    """The `tests:` list of an indicator; every problem is added with its line.

    `extracts`: the extracts rows may be given for (the built-in ones and those declared).
    """
    if not isinstance(node, list) or not node:
        problems.add(line, f"indikator '{indicator_id}': tests ska vara en lista med testfall", _EXAMPLE)
        return ()
    cases: list[TestCase] = []
    names: set[str] = set()
    for item in node:
        case = _parse_case(item, line, indicator_id, problems, extracts)
        if case is None:
            continue
        if case.name in names:
            problems.add(case.line, f"indikator '{indicator_id}': testet '{case.name}' finns redan")
        names.add(case.name)
        cases.append(case)
    return tuple(cases)


_EXAMPLE = (
    't.ex. tests: [{name: Två av tre, kommun: "0580", period: 2024, rows: {listing: [{named_gp: true}]}, '
    "expect: {numerator: 1}}]"
)


def _parse_case(
    item: Any, line: int, indicator_id: str, problems: Problems, extracts: Mapping[str, Extract]
) -> TestCase | None:
    if not isinstance(item, LineDict):
        problems.add(line, f"indikator '{indicator_id}': varje test ska vara en mappning (name: …)", _EXAMPLE)
        return None
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.add(item.line, f"indikator '{indicator_id}': testet saknar name", "t.ex. name: Två av tre")
        name = f"test på rad {item.line}"
    what = f"indikator '{indicator_id}', test '{name}'"
    before = len(problems.errors)
    unknown_keys(item, TEST_KEYS, what, problems)

    kommun = None
    if "kommun" in item:
        kommun = _code(item["kommun"], item.line_of("kommun"), what, "kommun", problems)
    period = None
    if "period" in item:
        period = _period(item["period"], item.line_of("period"), what, problems)

    suppression = item.get("suppression", False)
    if suppression in ("on", "off"):
        suppression = suppression == "on"
    if not isinstance(suppression, bool):
        problems.add(item.line_of("suppression"), f"{what}: suppression ska vara on eller off")
        suppression = False

    rows = _parse_rows(item.get("rows"), item.line_of("rows"), what, problems, extracts)
    raw_expect = item.get("expect")
    if isinstance(raw_expect, LineDict):
        raw_expect = [raw_expect]
    if not isinstance(raw_expect, list) or not raw_expect:
        problems.add(
            item.line_of("expect"),
            f"{what}: expect saknas",
            'ange väntade tal för en cell, t.ex. expect: {kommun: "0580", period: 2024, numerator: 2}',
        )
        raw_expect = []
    expectations = [
        e
        for node in raw_expect
        if (e := _parse_expectation(node, item.line_of("expect"), what, kommun, period, problems)) is not None
    ]
    if period is None and expectations:
        period = expectations[0].period
    if len(problems.errors) > before or period is None:
        return None
    return TestCase(
        name=name.strip() if isinstance(name, str) else name,
        rows=rows,
        expectations=tuple(expectations),
        period=period,
        kommun=kommun or next((e.area_code for e in expectations if e.area_level == "kommun"), None),
        suppression=suppression,
        line=item.line,
        key_lines=dict(item.key_lines),
    )


def _parse_rows(
    node: Any, line: int, what: str, problems: Problems, extracts: Mapping[str, Extract]
) -> dict[str, tuple[TestRow, ...]]:
    hint = "t.ex. rows: {contacts: [{mode: video}, {mode: mottagning}]}"
    if node is None:
        return {}
    if not isinstance(node, LineDict):
        problems.add(line, f"{what}: rows ska vara en mappning utdrag → lista med rader", hint)
        return {}
    rows: dict[str, tuple[TestRow, ...]] = {}
    for source, items in node.items():
        source_line = node.line_of(source)
        if source not in extracts:
            problems.add(
                source_line,
                f"{what}: okänt utdrag '{source}' i rows",
                did_you_mean(source, extracts) or f"utdragen är: {', '.join(extracts)}",
            )
            continue
        if isinstance(items, LineDict):
            items = [items]
        if not isinstance(items, list):
            problems.add(source_line, f"{what}: rows.{source} ska vara en lista med rader", hint)
            continue
        columns = extracts[source].column_names
        parsed: list[TestRow] = []
        for row in items:
            if not isinstance(row, LineDict):
                problems.add(source_line, f"{what}: varje rad i rows.{source} ska vara en mappning", hint)
                continue
            for column, value in row.items():
                if column not in columns:
                    problems.add(
                        row.line_of(column),
                        f"{what}: okänd kolumn '{column}' i utdraget '{source}'",
                        did_you_mean(column, columns) or f"kolumner i '{source}': {', '.join(columns)}",
                    )
                elif extracts[source].column(column).type == "kommun" and not isinstance(value, str):
                    problems.add(
                        row.line_of(column), f"{what}: kommun {value} är ett tal, inte en kod", _QUOTE_HINT
                    )
                elif not _scalar(value):
                    problems.add(row.line_of(column), f"{what}: '{column}' ska vara ett enkelt värde")
            parsed.append(TestRow(dict(row), row.line))
        rows[source] = tuple(parsed)
    return rows


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool, date, datetime))


def _parse_expectation(
    node: Any, line: int, what: str, kommun: str | None, period: str | None, problems: Problems
) -> Expectation | None:
    if not isinstance(node, LineDict):
        problems.add(
            line, f"{what}: varje förväntan ska vara en mappning", "t.ex. {numerator: 2, denominator: 3}"
        )
        return None
    before = len(problems.errors)
    unknown_keys(node, EXPECT_KEYS, f"{what}: expect", problems)
    places = [key for key in ("kommun", "lan", "area") if key in node]
    level: str | None = "kommun"
    code: str | None = kommun
    if len(places) > 1:
        problems.add(node.line, f"{what}: ange en av kommun, lan och area i samma förväntan")
    elif places == ["lan"]:
        level, code = "lan", _code(node["lan"], node.line_of("lan"), what, "lan", problems)
    elif places == ["area"]:
        level, code = None, str(node["area"])
    elif places == ["kommun"]:
        code = _code(node["kommun"], node.line_of("kommun"), what, "kommun", problems)
    elif code is None and len(problems.errors) == before:
        problems.add(
            node.line, f"{what}: förväntan säger inte vilken cell", 'ange kommun: "0580" (eller lan, area)'
        )
    cell_period = period
    if "period" in node:
        cell_period = _period(node["period"], node.line_of("period"), what, problems)
    elif period is None:
        problems.add(
            node.line, f"{what}: förväntan saknar period", "ange period: 2024 i förväntan eller i testet"
        )
    sex = node.get("sex")
    if sex is not None and sex not in ("K", "M"):
        problems.add(node.line_of("sex"), f"{what}: sex ska vara K eller M")
    age_band = node.get("age_band")
    if age_band is not None and not isinstance(age_band, str):
        problems.add(node.line_of("age_band"), f'{what}: age_band skrivs som text, t.ex. "75-84" eller "85+"')
    if sex is not None and age_band is not None:
        problems.add(
            node.line, f"{what}: ange sex eller age_band, inte båda (nedbrytningarna är var för sig)"
        )
    checks: list[tuple[str, Any, int]] = []
    for key in NUMBER_CHECKS:
        if key not in node:
            continue
        value = node[key]
        if value is not None and not is_number(value):
            problems.add(node.line_of(key), f"{what}: {key} ska vara ett tal (eller null för inget värde)")
            continue
        checks.append((key, None if value is None else float(value), node.line_of(key)))
    for key in FLAG_CHECKS:
        if key in node:
            if not isinstance(node[key], bool):
                problems.add(node.line_of(key), f"{what}: {key} ska vara true eller false")
                continue
            checks.append((key, node[key], node.line_of(key)))
    if not checks:
        problems.add(
            node.line,
            f"{what}: förväntan har inget att jämföra",
            "ange numerator, denominator, value, missing, suppressed eller exists",
        )
    if len(problems.errors) > before or code is None or cell_period is None:
        return None
    return Expectation(
        area_code=code,
        area_level=level,
        period=cell_period,
        sex=sex,
        age_band=age_band,
        checks=tuple(checks),
        line=node.line,
    )
