"""Period labels as they appear in `results.period`: '2024', '2024-Q3' and '2024-03'."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from metrics.dashboard.logic.format import format_period

_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")

TYPE_ORDER = {"year": 0, "quarter": 1, "month": 2}


@dataclass(frozen=True)
class Period:
    label: str
    type: str  # 'year', 'quarter' or 'month'
    year: int
    part: int  # quarter 1–4, month 1–12, 0 for a year

    @property
    def sort_key(self) -> tuple[int, int, int]:
        return (self.year, TYPE_ORDER[self.type], self.part)


def parse_period(label: str | None) -> Period | None:
    """The period a label names, or None when the label is not one."""
    if not label:
        return None
    if m := _YEAR.match(label):
        return Period(label, "year", int(m[1]), 0)
    if m := _QUARTER.match(label):
        return Period(label, "quarter", int(m[1]), int(m[2]))
    if m := _MONTH.match(label):
        return Period(label, "month", int(m[1]), int(m[2]))
    return None


def previous_comparable(label: str) -> str | None:
    """The period to compare with: the previous year, or the same quarter/month a year earlier.

    A quarter is compared with the same quarter of the previous year rather than the quarter
    before, so seasonal variation (summer, flu season) is not read as a change.
    """
    period = parse_period(label)
    if period is None:
        return None
    if period.type == "year":
        return str(period.year - 1)
    if period.type == "quarter":
        return f"{period.year - 1}-Q{period.part}"
    return f"{period.year - 1}-{period.part:02d}"


def year_of(label: str) -> int | None:
    period = parse_period(label)
    return None if period is None else period.year


def sort_periods(labels: Iterable[str]) -> list[str]:
    """Chronological order; unknown labels last."""
    parsed = [(parse_period(label), label) for label in labels]
    known = sorted((p for p, _ in parsed if p is not None), key=lambda p: p.sort_key)
    return [p.label for p in known] + [label for p, label in parsed if p is None]


def latest_year(labels: Iterable[str]) -> str | None:
    years = [p for p in map(parse_period, labels) if p is not None and p.type == "year"]
    return max(years, key=lambda p: p.year).label if years else None


def period_options(
    labels: Iterable[str], types: tuple[str, ...] = ("year", "quarter")
) -> list[dict[str, str]]:
    """Dropdown options: years newest first, then quarters newest first ('2024 kv 4')."""
    parsed = {p.label: p for p in map(parse_period, set(labels)) if p is not None and p.type in types}
    ordered = sorted(parsed.values(), key=lambda p: (TYPE_ORDER[p.type], -p.year, -p.part))
    return [{"label": format_period(p.label), "value": p.label} for p in ordered]


def period_noun(label: str) -> str:
    """'året', 'kvartalet' or 'månaden', for sentences like 'jämfört med samma kvartal 2023'."""
    period = parse_period(label)
    return {"year": "året", "quarter": "kvartalet", "month": "månaden"}.get(period.type if period else "", "")
