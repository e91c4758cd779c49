"""Collecting catalogue problems: each with its line, all reported together."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from metrics.catalogue.yaml_loader import LineDict
from metrics.errors import Problem


@dataclass
class Problems:
    """Collects problems for one file; `add` keeps going so all are reported together."""

    file: str
    items: list[Problem] = field(default_factory=list)

    def add(self, line: int | None, message: str, hint: str | None = None, level: str = "error") -> None:
        self.items.append(Problem(message, file=self.file, line=line, hint=hint, level=level))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.level == "error"]


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"menade du '{match[0]}'?" if match else None


def unknown_keys(node: LineDict, allowed: tuple[str, ...], what: str, problems: Problems) -> None:
    for key in node:
        if key not in allowed:
            hint = did_you_mean(key, allowed) or f"tillåtna nycklar: {', '.join(allowed)}"
            problems.add(node.line_of(key), f"{what}: okänd nyckel '{key}'", hint)


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
