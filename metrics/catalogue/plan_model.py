"""A län's own plan as data: a tree of areas in the plan's words, each with its indicators.

Plans are YAML files in `plans/` beside the catalogue (docs/plans.md); `metrics.catalogue.plans`
reads and validates them. These objects know nothing of YAML, SQL or dashboards.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from metrics.catalogue.model import Indicator, TargetSpec


@dataclass(frozen=True)
class PlanNode:
    """One heading of a plan (a follow-up area, a strategy, an activity …), at any depth."""

    id: str
    title: str  # Swedish, the plan's own words
    description: str = ""  # the plan's own words, quoted or paraphrased
    indicators: tuple[str, ...] = ()  # indicator ids mapped to this very node
    children: tuple[PlanNode, ...] = ()
    line: int = 0

    def walk(self, depth: int = 0) -> Iterator[tuple[int, PlanNode]]:
        """This node and every node below it, depth first in the plan's order."""
        yield depth, self
        for child in self.children:
            yield from child.walk(depth + 1)

    @property
    def all_indicators(self) -> tuple[str, ...]:
        """The indicators of this node and of every node below it, each once, in plan order."""
        seen: dict[str, None] = {}
        for _, node in self.walk():
            for indicator in node.indicators:
                seen.setdefault(indicator, None)
        return tuple(seen)


@dataclass(frozen=True)
class Plan:
    """A joint plan for primary care, configured for the län it applies to."""

    id: str
    name: str  # the plan's title, e.g. "Primärvården ska vara navet"
    lans: tuple[str, ...]  # the län codes it applies to, e.g. ("05",); () for the catalogue's fallback
    nodes: tuple[PlanNode, ...]
    document: str = ""  # the source document
    description: str = ""
    # A plan's own targets, overriding the indicator's target in its län.
    targets: Mapping[str, TargetSpec] = field(default_factory=dict, compare=False, hash=False)
    file: str = ""
    line: int = 0
    fallback: bool = False  # not a plan file: built from the catalogue for a län without a plan

    def walk(self) -> Iterator[tuple[int, PlanNode]]:
        for node in self.nodes:
            yield from node.walk()

    def node(self, node_id: str) -> PlanNode | None:
        return next((n for _, n in self.walk() if n.id == node_id), None)

    @property
    def indicator_ids(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for node in self.nodes:
            for indicator in node.all_indicators:
                seen.setdefault(indicator, None)
        return tuple(seen)

    def paths_of(self, indicator_id: str) -> list[tuple[PlanNode, ...]]:
        """Every heading the indicator is mapped to, each as its path from the top of the plan."""
        found: list[tuple[PlanNode, ...]] = []

        def visit(node: PlanNode, path: tuple[PlanNode, ...]) -> None:
            here = (*path, node)
            if indicator_id in node.indicators:
                found.append(here)
            for child in node.children:
                visit(child, here)

        for node in self.nodes:
            visit(node, ())
        return found

    def target_for(self, indicator: Indicator) -> TargetSpec | None:
        """The target that applies in this plan's län: the plan's own, else the indicator's."""
        return self.targets.get(indicator.id, indicator.target_spec)
