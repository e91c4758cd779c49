"""Write the results as the contract's CSV (`matavla export`)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from metrics.errors import MatavlaError

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
    # Issue 12: empty where they do not apply.
    "std_value",  # the age-standardised value
    "std_ci_low",
    "std_ci_high",
    "trend",  # improving, worsening, increasing, decreasing, no_change, cannot_calculate
    "compared_to",  # the benchmark (area code)
    "comparison",  # better, similar, worse, higher, lower, not_compared
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


ORDER = "ORDER BY indicator, area_level, area_code, period_type, period, breakdown, sex, age_band"


def results_frame(con: duckdb.DuckDBPyConnection, run: int | None = None) -> pd.DataFrame:
    """The current results, or those run `run` published (from `results_history`)."""
    if run is None:
        return con.execute(f"SELECT * FROM results {ORDER}").df()
    # run_indicators too: a kept run may have published no rows (every indicator failed, none had results)
    kept = [
        r[0]
        for r in con.execute(
            "SELECT run FROM results_history UNION SELECT run FROM run_indicators ORDER BY run"
        ).fetchall()
    ]
    if run not in kept:
        where = f"sparade körningar: {kept[0]}–{kept[-1]}" if kept else "ingen körning är sparad än"
        raise MatavlaError(
            f"körning {run} finns inte i historiken ({where}; "
            "hur många som sparas styrs av `matavla compute --keep-runs`)"
        )
    return con.execute(f"SELECT * EXCLUDE (run) FROM results_history WHERE run = ? {ORDER}", [run]).df()


def export_results(con: duckdb.DuckDBPyConnection, out: Path, run: int | None = None) -> int:
    """Write every result row (of run `run`, else the current ones) as CSV; returns the number of rows.

    UTF-8, comma, decimal point. A run's export is byte-identical to the plain export made
    right after that run.
    """
    df = results_frame(con, run)
    for column in (
        "numerator",
        "denominator",
        "value",
        "ci_low",
        "ci_high",
        "std_value",
        "std_ci_low",
        "std_ci_high",
    ):
        df[column] = _plain_number(df[column])
    for column in ("trend", "compared_to", "comparison"):
        df[column] = df[column].astype(object).where(df[column].notna(), "")
    for column in ("suppressed", "missing", "complete"):
        df[column] = np.where(df[column].fillna(False).astype(bool), "true", "false")
    df["data_through"] = pd.to_datetime(df["data_through"]).dt.strftime("%Y-%m-%d").fillna("")
    out.parent.mkdir(parents=True, exist_ok=True)
    df[EXPORT_COLUMNS].to_csv(out, index=False, encoding="utf-8", lineterminator="\n")
    return len(df)


def stale_indicators(con: duckdb.DuckDBPyConnection, run: int | None = None) -> list[str]:
    """Indicators whose rows in run `run`'s results (else the current ones) are kept from an earlier run."""
    rows = con.execute(
        "SELECT indicator FROM run_indicators WHERE status = 'stale' "
        "AND run = coalesce(?, (SELECT max(run) FROM compute_runs)) ORDER BY indicator",
        [run],
    ).fetchall()
    return [str(r[0]) for r in rows]
