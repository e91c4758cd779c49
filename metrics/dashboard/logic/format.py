"""Swedish number, unit, period and date formatting for everything the dashboard shows.

Decimal comma, a no-break space as thousands separator ("1 234,5"), a real minus sign,
and the catalogue's unit after the number ("45,3 %"). Missing values are shown as "–".
"""

from __future__ import annotations

import math
from datetime import date, datetime

import pandas as pd

NBSP = "\u00a0"  # keeps "1 234" and "45,3 %" on one line
MINUS = "\u2212"
DASH = "–"
MISSING = DASH
SUPPRESSED = "för få"

MONTHS = (
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
)


def is_missing(value: object) -> bool:
    """True for None, NaN, NaT and pandas' NA."""
    if value is None:
        return True
    if isinstance(value, (int, float)):
        return isinstance(value, float) and math.isnan(value)
    if isinstance(value, (str, bytes, list, tuple, dict)):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def format_number(value: float | int | None, decimals: int = 1, *, sign: bool = False) -> str:
    """'1 234,5'; with sign=True '+2,1' / '−2,1' (zero after rounding has no sign)."""
    if is_missing(value):
        return MISSING
    number = float(value)  # type: ignore[arg-type]
    text = f"{abs(number):,.{decimals}f}".replace(",", NBSP).replace(".", ",")
    if text.strip("0,\u00a0") == "":  # rounds to zero: never show '−0,0'
        return text
    if number < 0:
        return MINUS + text
    return "+" + text if sign else text


def shown_decimals(value: float | int | None, decimals: int) -> int:
    """The decimals an indicator's value is shown with, on every page: none from 1 000 up.

    One rule for the board's narrow cells and the kommun page alike, so a reader never sees
    '1 963' on one page and '1 963,1' on the next (issue 12, §6).
    """
    if is_missing(value):
        return decimals
    return 0 if abs(float(value)) >= 1000 else decimals  # type: ignore[arg-type]


def format_compact(value: float | int | None, decimals: int = 1) -> str:
    """An indicator's value without unit ('1 268' rather than '1 268,3'; '45,3')."""
    if is_missing(value):
        return MISSING
    return format_number(value, shown_decimals(value, decimals))


def format_int(value: float | int | None) -> str:
    return format_number(value, 0)


def count_text(count: int, of: int) -> str:
    """'99 av 1 788' for a headline count; '–' when there was nothing to count ('0 av 0' reads
    as a result, e.g. on a database with a single year, where no change can be tested)."""
    return f"{format_int(count)} av {format_int(of)}" if of else "–"


def unit_suffix(unit: str) -> str:
    """The unit as written after a number; an index (e.g. 'index 0–1') is written bare."""
    unit = unit.strip()
    return "" if unit.lower().startswith("index") else unit


def short_unit(unit: str) -> str:
    """The unit beside a number in a table whose unit stands under the indicator's name: only '%'
    follows the numbers there; any other unit is left out."""
    return unit if unit.strip() == "%" else ""


def format_value(value: float | int | None, decimals: int = 1, unit: str = "") -> str:
    """'45,3 %', '1 234 SEK', '0,62' for an index; '–' when missing."""
    if is_missing(value):
        return MISSING
    suffix = unit_suffix(unit)
    text = format_compact(value, decimals)
    return f"{text}{NBSP}{suffix}" if suffix else text


def change_unit(unit: str) -> str:
    """The unit of a difference: percentage points for a %, else the unit itself."""
    return "procentenheter" if unit.strip() == "%" else unit_suffix(unit)


def format_change(diff: float | None, decimals: int = 1, unit: str = "") -> str:
    """'+2,1 procentenheter', '−12 SEK'."""
    if is_missing(diff):
        return MISSING
    suffix = change_unit(unit)
    text = format_number(diff, decimals, sign=True)
    return f"{text}{NBSP}{suffix}" if suffix else text


def format_interval(low: float | None, high: float | None, decimals: int = 1) -> str:
    """'42,1–45,0'; empty when there is no interval."""
    if is_missing(low) or is_missing(high):
        return ""
    shown = shown_decimals(max(abs(float(low)), abs(float(high))), decimals)  # type: ignore[arg-type]
    return f"{format_number(low, shown)}–{format_number(high, shown)}"


def format_period(label: str | None) -> str:
    """'2024' → '2024', '2024-Q3' → '2024 kv 3', '2024-03' → 'mars 2024'."""
    if not label:
        return MISSING
    if "-Q" in label:
        year, quarter = label.split("-Q", 1)
        return f"{year} kv{NBSP}{quarter}"
    if len(label) == 7 and label[4] == "-":
        year, month = label.split("-", 1)
        if month.isdigit() and 1 <= int(month) <= 12:
            return f"{MONTHS[int(month) - 1]} {year}"
    return label


def format_date(value: date | datetime | str | None, *, with_time: bool = False) -> str:
    """ISO date ('2025-01-15'), optionally with hours and minutes ('2025-01-15 09:30')."""
    if value is None or value == "" or is_missing(value):
        return MISSING
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")
    return value.isoformat()


def plural(n: int, one: str, many: str) -> str:
    """'1 indikator', '3 indikatorer' with Swedish thousands separators."""
    return f"{format_int(n)} {one if n == 1 else many}"


def join_words(words: list[str]) -> str:
    """'a', 'a och b', 'a, b och c'."""
    if not words:
        return ""
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " och " + words[-1]


_SWEDISH_ORDER = str.maketrans({"å": "{", "ä": "|", "ö": "}", "é": "e", "ü": "y"})  # { | } sort after z


def swedish_sort_key(text: str) -> str:
    """Sort key for Swedish alphabetical order: … x, y, z, å, ä, ö."""
    return text.lower().translate(_SWEDISH_ORDER)
