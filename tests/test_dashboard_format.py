"""Swedish formatting of numbers, units, periods and dates on the dashboard."""

from __future__ import annotations

import math
from datetime import date, datetime

import pandas as pd
import pytest

from metrics.dashboard.logic.format import (
    MINUS,
    NBSP,
    count_text,
    format_change,
    format_compact,
    format_date,
    format_interval,
    format_number,
    format_period,
    format_value,
    is_missing,
    join_words,
    plural,
    swedish_sort_key,
)


def test_decimal_comma_and_space_as_thousands_separator() -> None:
    assert format_number(1234.56, 1) == f"1{NBSP}234,6"
    assert format_number(1234567, 0) == f"1{NBSP}234{NBSP}567"
    assert format_number(0.4213, 2) == "0,42"


def test_negative_numbers_use_a_real_minus_and_zero_has_no_sign() -> None:
    assert format_number(-2.14, 1) == f"{MINUS}2,1"
    assert format_number(2.14, 1, sign=True) == "+2,1"
    assert format_number(-0.04, 1, sign=True) == "0,0"


@pytest.mark.parametrize("missing", [None, math.nan, pd.NA, pd.NaT])
def test_missing_values_are_a_dash(missing: object) -> None:
    assert is_missing(missing)
    assert format_number(missing, 1) == "–"  # type: ignore[arg-type]
    assert format_value(missing, 1, "%") == "–"  # type: ignore[arg-type]


def test_values_carry_the_catalogue_unit_and_an_index_stands_bare() -> None:
    assert format_value(12.345, 1, "%") == f"12,3{NBSP}%"
    assert format_value(26500, 0, "SEK") == f"26{NBSP}500{NBSP}SEK"
    assert format_value(0.423, 2, "index 0–1") == "0,42"


def test_a_change_in_a_percentage_is_in_percentage_points() -> None:
    assert format_change(2.1, 1, "%") == f"+2,1{NBSP}procentenheter"
    assert format_change(-12, 0, "per 1 000 inv.") == f"{MINUS}12{NBSP}per 1 000 inv."


def test_interval_and_compact_cell_values() -> None:
    assert format_interval(42.07, 45.0, 1) == "42,1–45,0"
    assert format_interval(None, 45.0, 1) == ""
    assert format_compact(1268.3, 1) == f"1{NBSP}268"
    assert format_compact(98.34, 1) == "98,3"


def test_periods_in_words() -> None:
    assert format_period("2024") == "2024"
    assert format_period("2024-Q3") == f"2024 kv{NBSP}3"
    assert format_period("2024-03") == "mars 2024"


def test_dates_are_iso() -> None:
    assert format_date(date(2025, 1, 5)) == "2025-01-05"
    assert format_date(datetime(2025, 1, 5, 9, 30)) == "2025-01-05"
    assert format_date("2025-01-15 09:30:00", with_time=True) == "2025-01-15 09:30"
    assert format_date(None) == "–"


def test_swedish_alphabetical_order_puts_a_ring_a_umlaut_o_umlaut_last() -> None:
    names = ["Ödeshög", "Åtvidaberg", "Ydre", "Ärla", "Motala", "Zinkgruvan"]
    assert sorted(names, key=swedish_sort_key) == [
        "Motala",
        "Ydre",
        "Zinkgruvan",
        "Åtvidaberg",
        "Ärla",
        "Ödeshög",
    ]


def test_words() -> None:
    assert join_words(["a"]) == "a"
    assert join_words(["a", "b", "c"]) == "a, b och c"
    assert plural(1, "indikator", "indikatorer") == "1 indikator"
    assert plural(3, "indikator", "indikatorer") == "3 indikatorer"


def test_an_indicator_value_is_rounded_alike_in_cells_and_on_the_kommun_page() -> None:
    # issue 12 §6: the overview showed '1 963' and the kommun page '1 963,1' for the same value
    from metrics.dashboard.logic.format import NBSP, format_compact, format_interval, format_value

    assert format_compact(1963.14, 1) == f"1{NBSP}963"
    assert format_value(1963.14, 1, "per 1 000 invånare") == f"1{NBSP}963{NBSP}per 1 000 invånare"
    assert format_value(45.26, 1, "%") == f"45,3{NBSP}%" and format_compact(45.26, 1) == "45,3"
    assert format_interval(1950.4, 1975.6, 1) == f"1{NBSP}950–1{NBSP}976"


def test_a_headline_count_has_a_thousands_space_and_nothing_to_count_is_a_dash() -> None:
    assert count_text(99, 1788) == "99 av 1\u00a0788"  # was "99 av 1788" on Länsöversikt
    assert count_text(0, 2) == "0 av 2"
    assert count_text(0, 0) == "–"  # a database with one year: no change could be tested
