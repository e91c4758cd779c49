"""logic/series.breakdown: one area's values per sex or age band, on the categories of the whole län."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from metrics.dashboard.logic.series import breakdown


class _Rows:
    """A snapshot standing in for the dashboard's: only the rows breakdown reads."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame

    def period_rows(self, indicator: str, lan: str, period: str, kind: str) -> pd.DataFrame:
        rows = self.frame[(self.frame["kind"] == kind) & (self.frame["period"] == period)]
        return rows.reset_index(drop=True)


def _frame(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    columns = ["kind", "period", "area_code", "sex", "age_band", "value", "ci_low", "ci_high", "suppressed"]
    return pd.DataFrame.from_records(rows, columns=columns)


ROWS = _frame(
    [
        # Linköping by sex in 2024: women 56 % (54–58), men too few; the län has both
        ("sex", "2024", "0580", "K", None, 56.0, 54.0, 58.0, False),
        ("sex", "2024", "0580", "M", None, math.nan, math.nan, math.nan, True),
        ("sex", "2024", "05", "M", None, 44.0, 43.0, 45.0, False),
        ("sex", "2024", "05", "K", None, 46.0, 45.0, 47.0, False),
        ("sex", "2023", "0580", "K", None, 10.0, 9.0, 11.0, False),  # another year: never mixed in
        # age bands, written out of order; Linköping has no row for 65-
        ("age_band", "2024", "0580", None, "18-64", 50.0, 48.0, 52.0, False),
        ("age_band", "2024", "0580", None, "0-17", 30.0, 28.0, 32.0, False),
        ("age_band", "2024", "05", None, "65-", 70.0, 69.0, 71.0, False),
        ("age_band", "2024", "05", None, "0-17", 31.0, 30.5, 31.5, False),
    ]
)


def test_values_by_sex_with_a_suppressed_category() -> None:
    got = breakdown(_Rows(ROWS), "x", "05", "2024", "0580", "sex")  # type: ignore[arg-type]
    assert got.categories == ["Kvinnor", "Män"]
    assert got.value == [56.0, None] and got.low == [54.0, None] and got.high == [58.0, None]
    assert got.suppressed == [False, True]


def test_age_bands_in_age_order_with_the_lans_categories() -> None:
    got = breakdown(_Rows(ROWS), "x", "05", "2024", "0580", "age_band")  # type: ignore[arg-type]
    assert got.categories == ["0–17 år", "18–64 år", "65– år"]
    assert got.value == [30.0, 50.0, None]  # no row for 65-: nothing shown, not a zero
    assert got.suppressed == [False, False, False]
    lan = breakdown(_Rows(ROWS), "x", "05", "2024", "05", "age_band")  # type: ignore[arg-type]
    assert lan.value == [31.0, None, 70.0] and lan.low == [30.5, None, 69.0]


def test_no_rows_give_no_categories() -> None:
    got = breakdown(_Rows(ROWS), "x", "05", "2022", "0580", "sex")  # type: ignore[arg-type]
    assert got.categories == [] and got.value == []
