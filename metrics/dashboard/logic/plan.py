"""The län's plan at a glance (page Planen): per heading, what its indicators say.

Pure functions from the board's rows (metrics.dashboard.logic.board) to counts. Nothing here is
new statistics: a target is met as metrics.stats.targets judges it, a change is certain as the
board's tested change (verdicts.tally), and a kommun stands out where the board colours it better
or worse than the län (the stored comparison verdict, verdicts.cell_class).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from metrics.catalogue.model import Catalogue, Indicator
from metrics.catalogue.plan_model import Plan, PlanNode
from metrics.catalogue.plans import fallback_plan
from metrics.dashboard.logic.comparison import BETTER, WORSE
from metrics.dashboard.logic.verdicts import Tally, tally
from metrics.stats import change as tested

if TYPE_CHECKING:  # board imports this module
    from metrics.dashboard.logic.board import BoardRow


def plan_of(catalogue: Catalogue, lan: str) -> Plan:
    """The plan the län follows: its plan file's, else the catalogue's fallback (docs/plans.md)."""
    plan = catalogue.plan_for(lan)
    if plan is not None:
        return plan
    # A catalogue built without the loader (tests): the old plan_areas, as the loader would.
    return fallback_plan(catalogue.plan_areas, catalogue.indicators)


@dataclass(frozen=True)
class PlanFollowUp:
    """Which plans and headings an indicator follows up (for its page)."""

    plan: Plan
    paths: list[tuple[PlanNode, ...]]  # each heading with the headings above it

    @property
    def lans(self) -> tuple[str, ...]:
        return self.plan.lans


def follow_ups(catalogue: Catalogue, indicator: Indicator) -> list[PlanFollowUp]:
    """Every plan file that maps the indicator, with the headings it sits under."""
    found = []
    for plan in catalogue.plans:
        paths = plan.paths_of(indicator.id)
        if paths:
            found.append(PlanFollowUp(plan, paths))
    return found


@dataclass(frozen=True)
class StandOut:
    """A kommun significantly better or worse than the län on some of a heading's indicators."""

    code: str
    name: str
    count: int  # indicators on which it is (better or worse, as the list says)
    of: int  # the heading's indicators on which it was compared with the län


@dataclass(frozen=True)
class AreaStatus:
    """One heading of the plan, with every indicator below it (its own and its sub-headings')."""

    node: PlanNode
    depth: int
    indicators: tuple[Indicator, ...]
    with_value: int  # indicators with a län value in the period
    targets: Tally  # count: meet the target; of: have a target that could be judged
    improving: Tally  # count: certain improvement; of: changes that were tested
    worsening: Tally
    worse: tuple[StandOut, ...]  # kommuner worse than the län, most indicators first
    better: tuple[StandOut, ...]

    @property
    def followed(self) -> bool:
        return bool(self.indicators)


def _stand_out(rows: Sequence[BoardRow], cls: str) -> tuple[StandOut, ...]:
    counts: dict[str, int] = {}
    compared: dict[str, int] = {}
    names: dict[str, str] = {}
    for row in rows:
        if row.indicator.direction == "neutral":
            continue  # a neutral indicator is never better or worse
        for cell in row.cells:
            if cell.cls not in (BETTER, WORSE, "similar"):
                continue
            names[cell.code] = cell.name
            compared[cell.code] = compared.get(cell.code, 0) + 1
            if cell.cls == cls:
                counts[cell.code] = counts.get(cell.code, 0) + 1
    ranked = sorted(counts, key=lambda code: (-counts[code], names[code]))
    return tuple(StandOut(code, names[code], counts[code], compared[code]) for code in ranked)


def area_status(node: PlanNode, depth: int, rows: Mapping[str, BoardRow], catalogue: Catalogue) -> AreaStatus:
    """The counts for one heading from the board's rows of its indicators (those in `rows`)."""
    ids = [i for i in node.all_indicators if i in rows]
    mine = [rows[i] for i in ids if rows[i].note is None]
    judged = [r for r in mine if r.target is not None and r.target.met is not None]
    changes = [r.change for r in mine if r.indicator.direction != "neutral"]
    return AreaStatus(
        node=node,
        depth=depth,
        indicators=tuple(catalogue.indicator(i) for i in ids),
        with_value=sum(1 for r in mine if r.value is not None),
        targets=Tally(sum(1 for r in judged if r.target and r.target.met), len(judged)),
        improving=tally(changes, tested.IMPROVING),
        worsening=tally(changes, tested.WORSENING),
        worse=_stand_out(mine, WORSE),
        better=_stand_out(mine, BETTER),
    )


def plan_status(plan: Plan, rows: Mapping[str, BoardRow], catalogue: Catalogue) -> list[AreaStatus]:
    """Every heading of the plan in its order, each with its counts."""
    return [area_status(node, depth, rows, catalogue) for depth, node in plan.walk()]
