"""The län's plans from `plans/*.yaml` beside the catalogue, validated like the catalogue itself.

Every problem names its file and line (`plans/ostergotland.yaml:12: …`), with "menade du …?"
where a close name exists. A plan is read in two steps: `read_plans` parses the files (the
node ids are needed to check an indicator's old `plan_areas:`), `build_plans` checks the
indicator ids each plan maps and its own targets against the loaded catalogue.

A län without a plan file gets a fallback plan built from the catalogue: the old flat
`plan_areas:` list with each indicator under its `plan_areas:`, or, without that list, one
heading with every indicator (docs/plans.md).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from metrics.catalogue.comparisons import parse_target
from metrics.catalogue.model import Indicator, PlanArea, TargetSpec
from metrics.catalogue.plan_model import Plan, PlanNode
from metrics.catalogue.problems import Problems, did_you_mean, unknown_keys
from metrics.catalogue.settings import ID_PATTERN
from metrics.catalogue.yaml_loader import LineDict, load_yaml
from metrics.errors import CatalogueError, Problem

PLANS_DIR = "plans"
PLAN_KEYS = ("id", "name", "lan", "document", "description", "targets", "nodes")
PLAN_NODE_KEYS = ("id", "title", "description", "indicators", "children")
FALLBACK_ID = "katalogen"
_NODE_HINT = "t.ex. - {id: kontinuitet, title: Ökad kontinuitet, indicators: [fast_lakarkontakt]}"


@dataclass(frozen=True)
class PlanFile:
    """One plan file as read: its name for messages (plans/x.yaml), its YAML and its problems."""

    name: str
    doc: LineDict | None
    problems: Problems


def plan_paths(catalogue_path: Path) -> list[Path]:
    """The plan files beside the catalogue: plans/*.yaml (and *.yml), in name order."""
    folder = catalogue_path.parent / PLANS_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def read_plans(catalogue_path: Path) -> list[PlanFile]:
    """Parse every plan file; a YAML error is that file's problem (the others still load)."""
    files: list[PlanFile] = []
    for path in plan_paths(catalogue_path):
        name = f"{PLANS_DIR}/{path.name}"
        problems = Problems(name)
        try:
            doc = load_yaml(path)
        except CatalogueError as exc:
            problems.items.extend(replace(p, file=name) for p in exc.problems)
            files.append(PlanFile(name, None, problems))
            continue
        if not isinstance(doc, LineDict):
            problems.add(1, "planfilen ska vara en YAML-mappning med id, name, lan och nodes")
            doc = None
        files.append(PlanFile(name, doc, problems))
    return files


def written_node_ids(files: Iterable[PlanFile]) -> set[str]:
    """Every node id written in the plan files (for an indicator's old `plan_areas:`)."""
    ids: set[str] = set()

    def visit(items: Any) -> None:
        for item in items if isinstance(items, list) else []:
            if isinstance(item, LineDict):
                if isinstance(item.get("id"), str):
                    ids.add(item["id"])
                visit(item.get("children"))

    for file in files:
        if file.doc is not None:
            visit(file.doc.get("nodes"))
    return ids


def build_plans(
    files: Sequence[PlanFile],
    indicators: Sequence[Indicator],
    written_indicators: Collection[str],
    known_lans: Collection[str],
) -> tuple[tuple[Plan, ...], list[Problem]]:
    """The valid plans and every problem of the plan files.

    written_indicators: every indicator id written in the catalogue, also those left out for a
    mistake (a plan naming one of those is not told the id is unknown; the mapping is dropped).
    """
    loaded = {ind.id: ind for ind in indicators}
    plans: list[Plan] = []
    problems: list[Problem] = []
    owner: dict[str, tuple[str, str]] = {}  # län → (plan id, file) of the first plan for it
    ids: dict[str, str] = {}
    for file in files:
        plan = _plan(file, loaded, written_indicators, known_lans) if file.doc is not None else None
        if plan is not None and plan.id in ids:
            file.problems.add(
                file.doc.line_of("id") if file.doc is not None else 1,
                f"planen '{plan.id}' finns redan i {ids[plan.id]}",
                "ge varje plan ett eget id",
            )
            plan = None
        if plan is not None:
            clash = [lan for lan in plan.lans if lan in owner]
            for lan in clash:
                other_id, other_file = owner[lan]
                file.problems.add(
                    file.doc.line_of("lan") if file.doc is not None else 1,
                    f"länet {lan} har redan planen '{other_id}' ({other_file}); ett län följer en plan",
                    f'ta bort "{lan}" ur lan: i en av filerna',
                )
            ids[plan.id] = file.name
            for lan in plan.lans:
                owner.setdefault(lan, (plan.id, file.name))
            plan = replace(plan, lans=tuple(lan for lan in plan.lans if lan not in clash))
            plans.append(plan)
        problems.extend(sorted(file.problems.items, key=lambda p: p.line or 0))
    return tuple(plans), problems


def _plan(
    file: PlanFile,
    loaded: dict[str, Indicator],
    written_indicators: Collection[str],
    known_lans: Collection[str],
) -> Plan | None:
    doc, problems = file.doc, file.problems
    assert doc is not None
    unknown_keys(doc, PLAN_KEYS, "planen", problems)
    plan_id = doc.get("id")
    if not isinstance(plan_id, str) or not ID_PATTERN.match(plan_id):
        problems.add(
            doc.line_of("id"),
            f"planens id '{plan_id}' är ogiltigt" if plan_id else "planen saknar id",
            "id skrivs med små bokstäver, siffror och _, t.ex. ostergotland",
        )
        return None
    what = f"planen '{plan_id}'"
    name = _text(doc, "name", what, problems, required=True)
    lans = _lans(doc, what, known_lans, problems)
    seen: dict[str, int] = {}
    raw_nodes = doc.get("nodes")
    if not isinstance(raw_nodes, list) or not raw_nodes:
        problems.add(doc.line_of("nodes"), f"{what}: nodes saknas eller är tom", _NODE_HINT)
        nodes: tuple[PlanNode, ...] = ()
    else:
        nodes = _nodes(raw_nodes, doc.line_of("nodes"), what, seen, loaded, written_indicators, problems)
    targets = _targets(doc, what, loaded, written_indicators, problems)
    return Plan(
        id=plan_id,
        name=name,
        lans=lans,
        nodes=nodes,
        document=_text(doc, "document", what, problems),
        description=_text(doc, "description", what, problems),
        targets=targets,
        file=file.name,
        line=doc.line,
    )


def _text(node: LineDict, key: str, what: str, problems: Problems, *, required: bool = False) -> str:
    value = node.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.add(node.line, f"{what}: '{key}' saknas")
        return ""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        problems.add(node.line_of(key), f"{what}: '{key}' ska vara text")
        return ""
    return " ".join(str(value).split())


def _lans(doc: LineDict, what: str, known_lans: Collection[str], problems: Problems) -> tuple[str, ...]:
    raw = doc.get("lan")
    at = doc.line_of("lan")
    values = raw if isinstance(raw, list) else [raw] if raw is not None else []
    if not values:
        problems.add(at, f"{what}: lan saknas", 'ange länskoden inom citattecken, t.ex. lan: "05"')
        return ()
    result: list[str] = []
    for value in values:
        if isinstance(value, int) and not isinstance(value, bool):
            problems.add(
                at,
                f"{what}: länskoden {value} står utan citattecken, så YAML läste den som ett tal",
                f'skriv koden med två siffror inom citattecken, t.ex. "{value:02d}"',
            )
            continue
        code = str(value).strip()
        if code not in known_lans:
            hint = did_you_mean(code, known_lans) or 'länskoder har två siffror, t.ex. "05" eller "23"'
            problems.add(at, f"{what}: okänd länskod '{code}'", hint)
            continue
        if code not in result:
            result.append(code)
    return tuple(result)


def _nodes(
    items: list[Any],
    line: int,
    what: str,
    seen: dict[str, int],
    loaded: dict[str, Indicator],
    written_indicators: Collection[str],
    problems: Problems,
) -> tuple[PlanNode, ...]:
    nodes: list[PlanNode] = []
    for item in items:
        if not isinstance(item, LineDict):
            problems.add(line, f"{what}: varje nod ska vara en mappning med id och title", _NODE_HINT)
            continue
        node_id = item.get("id")
        if not isinstance(node_id, str) or not ID_PATTERN.match(node_id):
            problems.add(
                item.line_of("id"),
                f"{what}: nodens id '{node_id}' är ogiltigt" if node_id else f"{what}: en nod saknar id",
                "id skrivs med små bokstäver, siffror och _, t.ex. akuta_floden",
            )
            continue
        where = f"{what}, nod '{node_id}'"
        unknown_keys(item, PLAN_NODE_KEYS, where, problems)
        if node_id in seen:
            problems.add(
                item.line_of("id"),
                f"{where}: id:t finns redan på rad {seen[node_id]}",
                "ge varje nod i planen ett eget id",
            )
            continue
        seen[node_id] = item.line_of("id")
        title = _text(item, "title", where, problems, required=True)
        indicators = _mapped(item, where, loaded, written_indicators, problems)
        children: tuple[PlanNode, ...] = ()
        raw_children = item.get("children")
        if raw_children is not None:
            if isinstance(raw_children, list):
                children = _nodes(
                    raw_children, item.line_of("children"), what, seen, loaded, written_indicators, problems
                )
            else:
                problems.add(item.line_of("children"), f"{where}: children ska vara en lista med noder")
        nodes.append(
            PlanNode(
                id=node_id,
                title=title or node_id,
                description=_text(item, "description", where, problems),
                indicators=indicators,
                children=children,
                line=item.line,
            )
        )
    return tuple(nodes)


def _mapped(
    item: LineDict,
    where: str,
    loaded: dict[str, Indicator],
    written_indicators: Collection[str],
    problems: Problems,
) -> tuple[str, ...]:
    raw = item.get("indicators")
    if raw is None:
        return ()
    at = item.line_of("indicators")
    values = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else None
    if values is None or not all(isinstance(v, str) for v in values):
        problems.add(
            at, f"{where}: indicators ska vara en lista med indikatorers id", "t.ex. [fast_lakarkontakt]"
        )
        return ()
    result: list[str] = []
    for value in values:
        if value in loaded:
            if value not in result:
                result.append(value)
        elif value not in written_indicators:
            hint = (
                did_you_mean(value, written_indicators)
                or "indikatorernas id står under indicators: i katalogen"
            )
            problems.add(at, f"{where}: okänd indikator '{value}'", hint)
    return tuple(result)


def _targets(
    doc: LineDict,
    what: str,
    loaded: dict[str, Indicator],
    written_indicators: Collection[str],
    problems: Problems,
) -> dict[str, TargetSpec]:
    raw = doc.get("targets")
    if raw is None:
        return {}
    if not isinstance(raw, LineDict):
        problems.add(
            doc.line_of("targets"),
            f"{what}: targets ska vara en mappning: indikatorns id → mål",
            't.ex. targets: {fast_lakarkontakt: {value: 65, year: 2026, source: "Planen, s. 4"}}',
        )
        return {}
    targets: dict[str, TargetSpec] = {}
    for indicator_id, node in raw.items():
        at = raw.line_of(indicator_id)
        if indicator_id not in written_indicators:
            hint = did_you_mean(indicator_id, written_indicators) or "indikatorernas id står i katalogen"
            problems.add(at, f"{what}: mål för okänd indikator '{indicator_id}'", hint)
            continue
        spec = parse_target(node, at, f"{what}: targets.{indicator_id}", problems)
        if spec is not None and indicator_id in loaded:
            targets[indicator_id] = spec
    return targets


def fallback_plan(areas: Sequence[PlanArea], indicators: Sequence[Indicator]) -> Plan:
    """The plan of a län without a plan file, built from the catalogue (docs/plans.md).

    With the old flat `plan_areas:` list: those areas, each indicator under every area its
    `plan_areas:` names. Without it: one heading with every indicator, as its title says (not
    only those no plan file maps: a län whose plan is not yet written would see almost nothing).
    """
    if areas:
        nodes = tuple(
            PlanNode(
                a.id,
                a.title,
                a.description,
                tuple(ind.id for ind in indicators if a.id in ind.plan_areas),
            )
            for a in areas
        )
        return Plan(FALLBACK_ID, "Katalogens planområden", (), nodes, fallback=True)
    every = tuple(ind.id for ind in indicators)
    node = PlanNode("alla", "Alla indikatorer", "Länet har ingen egen plan i plans/.", every)
    return Plan(FALLBACK_ID, "Ingen plan för länet", (), (node,), fallback=True)


def legacy_mappings(plans: tuple[Plan, ...], indicators: Sequence[Indicator]) -> tuple[Plan, ...]:
    """Plans with the indicators whose old `plan_areas:` name one of their node ids added to that node."""
    if not any(ind.plan_areas for ind in indicators):
        return plans

    def extend(node: PlanNode) -> PlanNode:
        extra = tuple(
            ind.id for ind in indicators if node.id in ind.plan_areas and ind.id not in node.indicators
        )
        return replace(node, indicators=node.indicators + extra, children=tuple(map(extend, node.children)))

    return tuple(replace(plan, nodes=tuple(map(extend, plan.nodes))) for plan in plans)


def unmapped_warnings(
    plans: Sequence[Plan], indicators: Sequence[Indicator], catalogue_file: str
) -> list[Problem]:
    """A warning for each indicator no plan file maps (it is then on no plan's board)."""
    if not plans:
        return []
    mapped = {ind for plan in plans for ind in plan.indicator_ids}
    names = ", ".join(f"{p.file}" for p in plans)
    return [
        Problem(
            f"indikatorn '{ind.id}' följer inte upp något område i någon plan och visas inte på tavlan",
            file=catalogue_file,
            line=ind.line,
            hint=f"lägg '{ind.id}' under indicators: hos en nod i {names}",
            level="warning",
        )
        for ind in indicators
        if ind.id not in mapped
    ]


def legacy_warnings(
    plans: Sequence[Plan], indicators: Sequence[Indicator], has_plan_areas: bool, line: int, file: str
) -> list[Problem]:
    """Deprecation warnings for the old `plan_areas:` beside plan files."""
    if not plans:
        return []
    found: list[Problem] = []
    if has_plan_areas:
        found.append(
            Problem(
                "plan_areas: är ersatt av planfilerna i plans/ och används bara för län utan egen plan",
                file=file,
                line=line,
                hint="ta bort plan_areas: när varje län har en planfil (docs/plans.md)",
                level="warning",
            )
        )
    for ind in indicators:
        for area in ind.plan_areas:
            homes = [p for p in plans if p.node(area) is not None]
            if homes:
                where = ", ".join(p.file for p in homes)
                found.append(
                    Problem(
                        f"indikator '{ind.id}': plan_areas är föråldrat; '{area}' är en nod i {where}",
                        file=file,
                        line=ind.line_of("plan_areas"),
                        hint=f"flytta kopplingen: lägg '{ind.id}' under indicators: hos noden '{area}' "
                        f"i {where} och ta bort plan_areas ur indikatorn",
                        level="warning",
                    )
                )
    return found
