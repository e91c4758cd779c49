"""The results' verdict columns: `trend` (yearly rows) and `compared_to`/`comparison` (issue 12).

Runs after the values, intervals, suppression and (where the indicator has them) the
age-standardised values are in place. The statistics live in metrics.stats.trend and
metrics.stats.benchmark; this module only picks each cell's series and benchmark.

- trend: every yearly row of a kommun, län or area group (each breakdown group on its own) gets
  the recent trend of the five years ending at that row; a hidden, missing or partly covered
  year among them makes it 'cannot_calculate'.
- comparison: every kommun and area-group row is compared with the same cell (period and
  breakdown group) of its län, by the indicator's comparison method; `compared_to` is the län's
  code. The län itself is not compared (riket comes later). Hidden and missing cells get no
  comparison at all: a class could tell something of a hidden value.
- Where the län and every compared cell of a period and breakdown group have an age-standardised
  value (std_value with std_ci_low and std_ci_high), the standardised values are compared
  instead of the crude ones (all or none, so one funnel holds one kind of value); a series with
  standardised values is trended on them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from metrics.catalogue.model import Catalogue, ComparisonChoice, Indicator
from metrics.stats.benchmark import NOT_COMPARED, ComparisonSettings, compare_with_benchmark
from metrics.stats.trend import CANNOT_CALCULATE, recent_trend

GROUP_KEYS = ["breakdown", "sex", "age_band"]
NUMBERS = ("value", "numerator", "denominator", "ci_low", "ci_high", "std_value", "std_ci_low", "std_ci_high")


def settings_for(choice: ComparisonChoice) -> ComparisonSettings:
    return ComparisonSettings(choice.method, choice.level, choice.winsorise / 100)  # type: ignore[arg-type]


def benchmark_lan(catalogue: Catalogue) -> dict[str, str]:
    """Area group id → the län all its kommuner belong to (groups across län are not compared)."""
    result: dict[str, str] = {}
    for level in catalogue.area_levels:
        for group in level.groups:
            lans = {code[:2] for code in group.kommuner}
            if len(lans) == 1:
                result[group.id] = lans.pop()
    return result


def _usable(df: pd.DataFrame) -> pd.Series:
    return ~df["suppressed"].fillna(False).astype(bool) & ~df["missing"].fillna(False).astype(bool)


def add_trends(df: pd.DataFrame, indicator: Indicator) -> pd.Series:
    """The `trend` column: an outcome on yearly rows, None on the others."""
    trend = pd.Series(None, index=df.index, dtype=object)
    yearly = df[df["period_type"] == "year"]
    if yearly.empty:
        return trend
    usable = _usable(yearly) & yearly["complete"].fillna(True).astype(bool)
    proportion = indicator.interval == "wilson"
    keys = ["area_code", *GROUP_KEYS]
    for _, series in yearly.assign(_usable=usable).groupby(keys, dropna=False, sort=False):
        series = series.sort_values("period_start")
        years = pd.to_datetime(series["period_start"]).dt.year.tolist()
        standardised = bool(series["std_value"].notna().any())
        value_col, low_col, high_col = (
            ("std_value", "std_ci_low", "std_ci_high") if standardised else ("value", "ci_low", "ci_high")
        )
        column = {name: series[name].to_numpy(dtype=float, na_value=np.nan) for name in NUMBERS}
        ok = series["_usable"].tolist()
        by_counts = proportion and not standardised
        for end, index in enumerate(series.index, start=1):
            if end < 5:
                trend[index] = CANNOT_CALCULATE
                continue
            w = slice(end - 5, end)
            result = recent_trend(
                years[w],
                column[value_col][w].tolist(),
                direction=indicator.direction,
                numerators=column["numerator"][w].tolist() if by_counts else None,
                denominators=column["denominator"][w].tolist() if by_counts else None,
                ci_low=None if by_counts else column[low_col][w].tolist(),
                ci_high=None if by_counts else column[high_col][w].tolist(),
                usable=ok[w],
            )
            trend[index] = result.outcome
    return trend


def add_comparisons(
    df: pd.DataFrame, indicator: Indicator, catalogue: Catalogue
) -> tuple[pd.Series, pd.Series]:
    """The `compared_to` and `comparison` columns."""
    level = df["area_level"].to_numpy()
    code = df["area_code"].to_numpy()
    groups = benchmark_lan(catalogue)
    lan_of = np.array(
        [
            c[:2] if lv == "kommun" else (None if lv == "lan" else groups.get(c))
            for c, lv in zip(code, level, strict=True)
        ],
        dtype=object,
    )
    missing = df["missing"].fillna(False).to_numpy(dtype=bool)
    hidden = df["suppressed"].fillna(False).to_numpy(dtype=bool)
    compared_to = lan_of.copy()
    compared_to[missing] = None
    comparison = np.full(len(df), None, dtype=object)
    settings = settings_for(catalogue.comparison_of(indicator))
    columns = (
        "value",
        "numerator",
        "denominator",
        "ci_low",
        "ci_high",
        "std_value",
        "std_ci_low",
        "std_ci_high",
    )
    arrays = {name: df[name].to_numpy(dtype=float, na_value=np.nan) for name in columns}
    # One key per cell: (län, period, breakdown, sex, age band); NULL sex/age band as ''.
    keys = pd.DataFrame(
        {
            "lan": np.where(level == "lan", code, lan_of),
            "period": df["period"].to_numpy(),
            "breakdown": df["breakdown"].to_numpy(),
            "sex": df["sex"].fillna("").to_numpy(),
            "age": df["age_band"].fillna("").to_numpy(),
        }
    )
    is_lan = level == "lan"
    is_kommun = level == "kommun"
    for positions in keys.groupby(list(keys.columns), sort=False, dropna=True).indices.values():
        bench = positions[is_lan[positions]]
        cells = positions[~is_lan[positions] & ~missing[positions] & ~hidden[positions]]
        if cells.size == 0:
            continue
        if bench.size == 0 or hidden[bench[0]] or missing[bench[0]]:
            comparison[cells] = NOT_COMPARED
            continue
        b = bench[0]
        standardised = not np.isnan(arrays["std_value"][b]) and not np.isnan(arrays["std_value"][cells]).any()
        if standardised:
            result = compare_with_benchmark(
                float(arrays["std_value"][b]),
                arrays["std_value"][cells],
                direction=indicator.direction,
                settings=settings,
                kind="interval",
                multiplier=indicator.multiplier,
                ci_low=arrays["std_ci_low"][cells],
                ci_high=arrays["std_ci_high"][cells],
                estimate_from=is_kommun[cells],
            )
        else:
            target = float(arrays["value"][b])
            result = compare_with_benchmark(
                None if np.isnan(target) else target,
                arrays["value"][cells],
                direction=indicator.direction,
                settings=settings,
                kind=indicator.interval,
                multiplier=indicator.multiplier,
                numerators=arrays["numerator"][cells],
                denominators=arrays["denominator"][cells],
                ci_low=arrays["ci_low"][cells],
                ci_high=arrays["ci_high"][cells],
                estimate_from=is_kommun[cells],
            )
        comparison[cells] = result.classes
    return pd.Series(compared_to, index=df.index, dtype=object), pd.Series(
        comparison, index=df.index, dtype=object
    )


def add_verdicts(df: pd.DataFrame, indicator: Indicator, catalogue: Catalogue) -> pd.DataFrame:
    """`df` (finished results of one indicator) with trend, compared_to and comparison filled."""
    if df.empty:
        return df
    df = df.copy()
    df["trend"] = add_trends(df, indicator)
    df["compared_to"], df["comparison"] = add_comparisons(df, indicator, catalogue)
    return df
