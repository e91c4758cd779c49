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
- Where a cell and its län both have an age-standardised value (std_value with std_ci_low and
  std_ci_high), the standardised values are compared and trended instead of the crude ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from metrics.catalogue.model import Catalogue, ComparisonChoice, Indicator
from metrics.stats.benchmark import NOT_COMPARED, ComparisonSettings, compare_with_benchmark
from metrics.stats.trend import CANNOT_CALCULATE, recent_trend

GROUP_KEYS = ["breakdown", "sex", "age_band"]


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
        values = series[value_col].astype(float).tolist()
        ok = series["_usable"].tolist()
        for end, index in enumerate(series.index, start=1):
            if end < 5:
                trend[index] = CANNOT_CALCULATE
                continue
            window = slice(end - 5, end)
            if proportion and not standardised:
                result = recent_trend(
                    years[window],
                    values[window],
                    direction=indicator.direction,
                    numerators=series["numerator"].astype(float).tolist()[window],
                    denominators=series["denominator"].astype(float).tolist()[window],
                    usable=ok[window],
                )
            else:
                result = recent_trend(
                    years[window],
                    values[window],
                    direction=indicator.direction,
                    ci_low=series[low_col].astype(float).tolist()[window],
                    ci_high=series[high_col].astype(float).tolist()[window],
                    usable=ok[window],
                )
            trend[index] = result.outcome
    return trend


def add_comparisons(
    df: pd.DataFrame, indicator: Indicator, catalogue: Catalogue
) -> tuple[pd.Series, pd.Series]:
    """The `compared_to` and `comparison` columns."""
    compared_to = pd.Series(None, index=df.index, dtype=object)
    comparison = pd.Series(None, index=df.index, dtype=object)
    groups = benchmark_lan(catalogue)
    level = df["area_level"]
    lan_of = pd.Series(
        np.where(level == "kommun", df["area_code"].str[:2], df["area_code"].map(groups)), index=df.index
    ).where(level != "lan")
    settings = settings_for(catalogue.comparison_of(indicator))
    candidates = df[lan_of.notna() & ~df["missing"].fillna(False).astype(bool)]
    compared_to[candidates.index] = lan_of[candidates.index]
    # NULL sex/age_band (the total) must match too: key on text, '' for NULL
    keyed = df.assign(key_sex=df["sex"].fillna(""), key_age=df["age_band"].fillna(""))
    cell_keys = ["period", "breakdown", "key_sex", "key_age"]
    lans = {
        (row.area_code, row.period, row.breakdown, row.key_sex, row.key_age): row
        for row in keyed[level == "lan"].itertuples()
    }
    shown = keyed.loc[candidates.index][_usable(candidates)]
    for key, cells in shown.assign(key_lan=lan_of[shown.index]).groupby(["key_lan", *cell_keys], sort=False):
        bench = lans.get(key)
        if bench is None or bool(bench.suppressed) or bool(bench.missing):
            comparison[cells.index] = NOT_COMPARED
            continue
        standardised = pd.notna(bench.std_value) and bool(cells["std_value"].notna().all())
        if standardised:
            result = compare_with_benchmark(
                float(bench.std_value),
                cells["std_value"].astype(float).to_numpy(),
                direction=indicator.direction,
                settings=settings,
                kind="interval",
                multiplier=indicator.multiplier,
                ci_low=cells["std_ci_low"].astype(float).to_numpy(),
                ci_high=cells["std_ci_high"].astype(float).to_numpy(),
                estimate_from=(cells["area_level"] == "kommun").to_numpy(),
            )
        else:
            target = bench.value
            result = compare_with_benchmark(
                None if pd.isna(target) else float(target),
                cells["value"].astype(float).to_numpy(),
                direction=indicator.direction,
                settings=settings,
                kind=indicator.interval,
                multiplier=indicator.multiplier,
                numerators=cells["numerator"].astype(float).to_numpy(),
                denominators=cells["denominator"].astype(float).to_numpy(),
                ci_low=cells["ci_low"].astype(float).to_numpy(),
                ci_high=cells["ci_high"].astype(float).to_numpy(),
                estimate_from=(cells["area_level"] == "kommun").to_numpy(),
            )
        comparison[cells.index] = result.classes
    return compared_to, comparison


def add_verdicts(df: pd.DataFrame, indicator: Indicator, catalogue: Catalogue) -> pd.DataFrame:
    """`df` (finished results of one indicator) with trend, compared_to and comparison filled."""
    if df.empty:
        return df
    df = df.copy()
    df["trend"] = add_trends(df, indicator)
    df["compared_to"], df["comparison"] = add_comparisons(df, indicator, catalogue)
    return df
