"""Catalogue-wide settings, plan areas and area groups from YAML."""

from __future__ import annotations

import itertools
import re
from typing import Any

from metrics.catalogue.kommun_codes import unquoted_note
from metrics.catalogue.model import (
    AgeBand,
    AreaGroup,
    AreaLevel,
    PlanArea,
    PublicationSettings,
    StandardPopulation,
    SuppressionSettings,
)
from metrics.catalogue.problems import Problems, did_you_mean, is_number, unknown_keys
from metrics.catalogue.yaml_loader import LineDict

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
SETTINGS_KEYS = ("suppression", "publication", "age_bands", "code_lists", "comparison", "standard_population")
SUPPRESSION_KEYS = ("min_denominator", "min_count", "max_count")
PUBLICATION_KEYS = (
    "kommun_month_breakdowns",
    "kommun_months_min_population",
    "kommun_quarter_breakdowns_min_population",
    "audit_seconds",
    "audit_iterations",
    "last_rung_audit_iterations",
)
STANDARD_POPULATION_NAMES = ("esp2013", "none")
"""standard_population as a word: the European Standard Population 2013, or no standardisation."""
STANDARD_POPULATION_KEYS = ("lan", "year")
"""standard_population as a mapping: a län's own inhabitants in a stated year."""
STANDARD_POPULATION_YEARS = (1968, 2100)
PLAN_AREA_KEYS = ("id", "title", "description")
AREA_LEVEL_KEYS = ("level", "title", "groups")
AREA_GROUP_KEYS = ("id", "name", "kommuner")


def parse_suppression(
    node: Any, line: int, default: SuppressionSettings, problems: Problems
) -> SuppressionSettings:
    if node is None:
        return default
    if not isinstance(node, LineDict):
        problems.add(line, "suppression ska vara en mappning", "t.ex. suppression: {min_denominator: 10}")
        return default
    unknown_keys(node, SUPPRESSION_KEYS, "suppression", problems)
    values: dict[str, Any] = {}
    for key in SUPPRESSION_KEYS:
        if key in node:
            if not is_number(node[key]) or node[key] < 0:
                problems.add(node.line_of(key), f"suppression.{key} ska vara ett tal ≥ 0")
            else:
                values[key] = node[key]
    result = SuppressionSettings(
        min_denominator=values.get("min_denominator", default.min_denominator),
        min_count=int(values.get("min_count", default.min_count)),
        max_count=int(values.get("max_count", default.max_count)),
    )
    if result.min_count > result.max_count:
        problems.add(node.line, "suppression: min_count är större än max_count")
    return result


def parse_publication(node: Any, line: int, problems: Problems) -> PublicationSettings:
    """`settings.publication`: which cells are published at all (docs/disclosure.md)."""
    default = PublicationSettings()
    if node is None:
        return default
    if not isinstance(node, LineDict):
        problems.add(
            line,
            "publication ska vara en mappning",
            "t.ex. publication: {kommun_months_min_population: 20000, kommun_month_breakdowns: false}",
        )
        return default
    unknown_keys(node, PUBLICATION_KEYS, "publication", problems)
    values: dict[str, Any] = {}
    if "kommun_month_breakdowns" in node:
        value = node["kommun_month_breakdowns"]
        if not isinstance(value, bool):
            problems.add(
                node.line_of("kommun_month_breakdowns"),
                "publication.kommun_month_breakdowns ska vara true eller false",
                "false (standard): månader per kön och åldersband bara för län och områden",
            )
        else:
            values["kommun_month_breakdowns"] = value
    for key in ("kommun_months_min_population", "kommun_quarter_breakdowns_min_population"):
        _whole_number(node, key, "invånare", f"0 stänger av regeln, t.ex. {key}: 20000", values, problems)
    if "audit_seconds" in node:
        value = node["audit_seconds"]
        if not is_number(value) or not value > 0:  # `not >`: a YAML .nan is no number of seconds
            problems.add(
                node.line_of("audit_seconds"),
                "publication.audit_seconds ska vara ett tal > 0 (sekunder per indikator och län)",
                "t.ex. audit_seconds: 120",
            )
        else:
            values["audit_seconds"] = float(value)
    for key in ("audit_iterations", "last_rung_audit_iterations"):
        hint = f"t.ex. {key}: 3000000"
        _whole_number(node, key, "simplexiterationer per indikator och län", hint, values, problems)
    return PublicationSettings(**{**default.__dict__, **values})


def _whole_number(
    node: LineDict, key: str, unit: str, hint: str, values: dict[str, Any], problems: Problems
) -> None:
    """`publication.<key>`, a whole number ≥ 0 (YAML's true is no number here), into `values`."""
    if key not in node:
        return
    value = node[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        problems.add(node.line_of(key), f"publication.{key} ska vara ett heltal ≥ 0 ({unit})", hint)
    else:
        values[key] = value


def parse_standard_population(
    node: Any, line: int, default: StandardPopulation, problems: Problems, what: str = "settings"
) -> StandardPopulation:
    """`esp2013`, `none` or `{lan: "05", year: 2023}`; every problem is reported with its line."""
    from metrics.geography import load_geography

    hint = 'skriv esp2013, none eller {lan: "05", year: 2023} (länets egna invånare det året)'
    if node is None:
        return default
    if isinstance(node, str):
        if node in STANDARD_POPULATION_NAMES:
            return StandardPopulation(kind="esp2013" if node == "esp2013" else "none")
        problems.add(
            line,
            f"{what}: okänd standardpopulation '{node}'",
            did_you_mean(node, STANDARD_POPULATION_NAMES) or hint,
        )
        return default
    if not isinstance(node, LineDict):
        problems.add(line, f"{what}: standard_population ska vara ett ord eller en mappning", hint)
        return default
    before = len(problems.errors)
    unknown_keys(node, STANDARD_POPULATION_KEYS, f"{what}: standard_population", problems)
    lan, year = node.get("lan"), node.get("year")
    lan_codes = load_geography().lan
    if lan is None:
        problems.add(node.line, f"{what}: standard_population saknar lan", hint)
    elif not isinstance(lan, str) or lan not in lan_codes:
        problems.add(
            node.line_of("lan"),
            f"{what}: standard_population.lan '{lan}' är ingen länskod",
            'länskoder är två siffror inom citattecken, t.ex. lan: "05"; kända: '
            + ", ".join(sorted(lan_codes)),
        )
    low, high = STANDARD_POPULATION_YEARS
    if year is None:
        problems.add(node.line, f"{what}: standard_population saknar year", hint)
    elif isinstance(year, bool) or not isinstance(year, int) or not low <= year <= high:
        problems.add(
            node.line_of("year"),
            f"{what}: standard_population.year ska vara ett årtal {low}–{high}",
            "året vars befolkning (31 december) i utdraget population är standard, t.ex. year: 2023",
        )
    if len(problems.errors) > before:
        return default
    return StandardPopulation(kind="lan", lan=str(lan), year=int(year or 0))


def parse_age_bands(node: Any, line: int, problems: Problems) -> tuple[AgeBand, ...] | None:
    hint = "ange bandens nedre gränser i stigande ordning, t.ex. age_bands: [0, 20, 65, 75, 85]"
    if not isinstance(node, list) or not node or not all(isinstance(v, int) for v in node):
        problems.add(line, "age_bands ska vara en lista med heltal", hint)
        return None
    if sorted(set(node)) != node or node[0] < 0 or node[-1] > 120:
        problems.add(line, "age_bands ska vara stigande heltal mellan 0 och 120", hint)
        return None
    bands = [AgeBand(low, high - 1) for low, high in itertools.pairwise(node)]
    bands.append(AgeBand(node[-1], None))
    return tuple(bands)


def parse_settings(
    node: Any, problems: Problems
) -> tuple[SuppressionSettings, tuple[AgeBand, ...], dict[str, tuple[str, ...]]]:
    if not isinstance(node, LineDict):
        problems.add(None, "settings ska vara en mappning")
        node = LineDict()
        node.key_lines = {}
    unknown_keys(node, SETTINGS_KEYS, "settings", problems)
    suppression = parse_suppression(
        node.get("suppression"), node.line_of("suppression"), SuppressionSettings(), problems
    )
    bands = (
        parse_age_bands(node["age_bands"], node.line_of("age_bands"), problems)
        if "age_bands" in node
        else None
    ) or parse_age_bands([0, 20, 65, 75, 85], 0, problems)
    assert bands is not None
    code_lists: dict[str, tuple[str, ...]] = {}
    raw_lists = node.get("code_lists") or LineDict()
    if not isinstance(raw_lists, LineDict):
        problems.add(node.line_of("code_lists"), "code_lists ska vara en mappning namn: [koder]")
    else:
        for name, codes in raw_lists.items():
            if not isinstance(codes, list) or not codes or not all(isinstance(c, str) for c in codes):
                problems.add(
                    raw_lists.line_of(name),
                    f"kodlistan '{name}' ska vara en lista med koder som text",
                    "t.ex. [I10, J44, N390]",
                )
                continue
            code_lists[name] = tuple(c.replace(".", "").strip().upper() for c in codes)
    return suppression, bands, code_lists


def parse_plan_areas(node: Any, line: int, problems: Problems) -> tuple[PlanArea, ...]:
    if not isinstance(node, list) or not node:
        problems.add(
            line, "plan_areas saknas", "lista planens områden: - {id: kontinuitet, title: Ökad kontinuitet}"
        )
        return ()
    areas: list[PlanArea] = []
    for item in node:
        if not isinstance(item, LineDict) or not isinstance(item.get("id"), str) or not item.get("title"):
            problems.add(line, "varje planområde behöver id och title")
            continue
        unknown_keys(item, PLAN_AREA_KEYS, f"planområde '{item['id']}'", problems)
        areas.append(PlanArea(item["id"], str(item["title"]), str(item.get("description") or "").strip()))
    return tuple(areas)


# The levels compute writes itself (riket, code '00', only where the data cover Sweden).
BUILT_IN_LEVELS = ("kommun", "lan", "riket")


def parse_area_levels(node: Any, problems: Problems) -> tuple[AreaLevel, ...]:
    from metrics.geography import RIKET, load_geography

    if node is None:
        return ()
    geography = load_geography()
    levels: list[AreaLevel] = []
    if not isinstance(node, list):
        problems.add(None, "area_levels ska vara en lista")
        return ()
    seen_ids: set[str] = set()
    for item in node:
        if not isinstance(item, LineDict):
            problems.add(None, "varje områdesnivå ska vara en mappning med level, title och groups")
            continue
        unknown_keys(item, AREA_LEVEL_KEYS, "area_levels", problems)
        level = item.get("level")
        if not isinstance(level, str) or not ID_PATTERN.match(level) or level in BUILT_IN_LEVELS:
            problems.add(
                item.line_of("level"),
                f"ogiltig områdesnivå '{level}'",
                "använd små bokstäver och _, inte 'kommun', 'lan' eller 'riket', t.ex. narvardsomrade",
            )
            continue
        groups: list[AreaGroup] = []
        for group in item.get("groups") or []:
            if not isinstance(group, LineDict) or not group.get("id") or not group.get("name"):
                problems.add(item.line_of("groups"), "varje område behöver id, name och kommuner")
                continue
            unknown_keys(group, AREA_GROUP_KEYS, f"område '{group['id']}'", problems)
            group_id = str(group["id"])
            if (
                group_id in seen_ids
                or group_id in geography.kommuner
                or group_id in geography.lan
                or group_id == RIKET
            ):
                problems.add(
                    group.line_of("id"),
                    f"områdets id '{group_id}' används redan "
                    "(av ett annat område, en kommun, ett län eller riket)",
                    "ge varje område ett eget id, t.ex. nvo_vast",
                )
            seen_ids.add(group_id)
            codes: list[str] = []
            for value in group.get("kommuner") or []:
                note = unquoted_note(value, geography.kommuner)
                if note is not None and str(value) not in geography.kommuner:
                    problems.add(group.line_of("kommuner"), f"område '{group_id}': {note[0]}", note[1])
                    continue
                codes.append(str(value))
            for code in sorted({c for c in codes if codes.count(c) > 1}):
                problems.add(
                    group.line_of("kommuner"), f"område '{group_id}': kommunen '{code}' står flera gånger"
                )
            for code in codes:
                if code not in geography.kommuner:
                    problems.add(
                        group.line_of("kommuner"),
                        f"område '{group['id']}': okänd kommunkod '{code}'",
                        'kommunkoder är fyra siffror inom citattecken, t.ex. "0580"',
                    )
            if not codes:
                problems.add(group.line, f"område '{group['id']}' har inga kommuner")
            groups.append(AreaGroup(str(group["id"]), str(group["name"]), tuple(codes)))
        levels.append(AreaLevel(level, str(item.get("title") or level), tuple(groups)))
    return tuple(levels)
