"""The age-standardised rate beside the crude one, and which of them the colours compare.

compute compares the standardised values instead of the crude ones where the län and every
compared cell of the period have one (all or none, metrics/compute/verdicts.py); the board must
then say so, or a reader compares the crude number on screen with a colour that is not about it.
"""

from __future__ import annotations

from collections.abc import Mapping

from metrics.dashboard.logic.format import format_interval, format_value, is_missing
from metrics.dashboard.source.data import ResultRow

COMPARED_STANDARDISED = "jämförs åldersstandardiserat"


def standardised_text(row: ResultRow | None, decimals: int, unit: str) -> str | None:
    """'Åldersstandardiserat 1 234 (1 100–1 300)', or None without a standardised value or when hidden."""
    if row is None or row.suppressed or is_missing(row.std_value):
        return None
    text = f"Åldersstandardiserat {format_value(row.std_value, decimals, unit)}"
    interval = format_interval(row.std_ci_low, row.std_ci_high, decimals)
    return f"{text} ({interval})" if interval else text


def compared_standardised(cells: Mapping[str, ResultRow], lan: str) -> bool:
    """Whether compute compared this period's cells on their standardised values (its all-or-none rule)."""
    own = cells.get(lan)
    if own is None or is_missing(own.std_value):
        return False
    compared = [r for code, r in cells.items() if code != lan and not r.suppressed and not r.missing]
    return bool(compared) and all(not is_missing(r.std_value) for r in compared)
