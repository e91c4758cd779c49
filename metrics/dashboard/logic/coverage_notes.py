"""What the board says about coverage: kommuner that did not deliver, and periods covered in part.

A kommun no delivery covers is "saknas" (not "för få"): it is left out of its län's sums,
so the län value says which kommuner it leaves out. A year or quarter whose data do not
reach its end is "t.o.m. november" and is not compared with a complete previous period.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from metrics.dashboard.logic.format import MONTHS
from metrics.dashboard.logic.periods import parse_period
from metrics.dashboard.source.data import ResultRow
from metrics.geography import load_geography

MISSING_TEXT = "saknas"


def missing_kommuner(cells: Mapping[str, ResultRow], members: Sequence[str]) -> list[str]:
    """Codes of the given kommuner whose result for the period is marked missing."""
    return [code for code in members if (row := cells.get(code)) is not None and row.missing]


def _names(codes: Sequence[str]) -> str:
    geography = load_geography()
    names = [geography.area_name(code) for code in codes]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " och " + names[-1]


def missing_note(cells: Mapping[str, ResultRow], members: Sequence[str], area: str = "Länet") -> str | None:
    """'Länet exklusive Berg: uppgift saknas', or None when every kommun is included."""
    codes = missing_kommuner(cells, members)
    return f"{area} exklusive {_names(codes)}: uppgift saknas" if codes else None


def partial_text(row: ResultRow | None, period: str) -> str | None:
    """'t.o.m. november' for a period the data do not cover to its end; None when complete."""
    if row is None or row.complete or row.missing:
        return None
    selected = parse_period(period)
    day = row.data_through
    if day is None or selected is None:
        return "ofullständig period"
    last_month = {"year": 12, "quarter": 3 * selected.part, "month": selected.part}[selected.type]
    if day.year == selected.year and day.month < last_month:
        return f"t.o.m. {MONTHS[day.month - 1]}"
    return "ofullständig period"  # covered to its end, but not from its start


def comparable(current: ResultRow | None, previous: ResultRow | None) -> bool:
    """A change is shown only between two periods that the data cover in full."""
    return current is not None and previous is not None and current.complete and previous.complete
