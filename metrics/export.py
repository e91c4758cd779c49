"""Write the results as the contract's CSV (`matavla export`)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

# The contract's columns first, in its order; then the breakdown columns and a few helpful extras.
EXPORT_COLUMNS = [
    "indicator",
    "area_code",
    "area_level",
    "period",
    "numerator",
    "denominator",
    "value",
    "ci_low",
    "ci_high",
    "suppressed",
    "sex",
    "age_band",
    "period_type",
    "breakdown",
    "missing",  # no delivery covers the kommun × period ("saknas"): no numbers, not suppressed
    "complete",  # every month of the period is covered (false: a partial year or quarter)
    "data_through",  # the last day the period's data covers
]


def _plain_number(values: pd.Series) -> pd.Series:
    """Unrounded numbers (shortest exact form) with a decimal point; whole numbers without '.0'.

    Missing values become empty strings.
    """
    out = values.astype(object)
    numbers = values.to_numpy(dtype=float, na_value=np.nan)
    whole = np.isfinite(numbers) & (np.mod(numbers, 1) == 0) & (np.abs(numbers) < 2**53)
    out[whole] = [str(int(v)) for v in numbers[whole]]
    fractional = np.isfinite(numbers) & ~whole
    # positional, never scientific notation (2.1e-05): the contract asks for a decimal point
    out[fractional] = [np.format_float_positional(float(v), trim="-") for v in numbers[fractional]]
    out[~np.isfinite(numbers)] = ""
    return out


def results_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(
        """
        SELECT * FROM results
        ORDER BY indicator, area_level, area_code, period_type, period, breakdown, sex, age_band
        """
    ).df()


def export_results(con: duckdb.DuckDBPyConnection, out: Path) -> int:
    """Write every result row as CSV (UTF-8, comma, decimal point); returns the number of rows."""
    df = results_frame(con)
    for column in ("numerator", "denominator", "value", "ci_low", "ci_high"):
        df[column] = _plain_number(df[column])
    for column in ("suppressed", "missing", "complete"):
        df[column] = np.where(df[column].fillna(False).astype(bool), "true", "false")
    df["data_through"] = pd.to_datetime(df["data_through"]).dt.strftime("%Y-%m-%d").fillna("")
    out.parent.mkdir(parents=True, exist_ok=True)
    df[EXPORT_COLUMNS].to_csv(out, index=False, encoding="utf-8", lineterminator="\n")
    return len(df)
