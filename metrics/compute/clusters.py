"""Per-person sums for the interval of a mean over rows where one person has several rows.

`personalkontinuitet_hemtjanst` is a mean over measurements (person × month). In a month each
person has one; in a quarter or a year up to 3 or 12, and one person's measurements are alike.
Treating them as independent gives too narrow an interval, so the interval treats the person as
the unit (a ratio estimator clustered by person): per person j in a cell, Xⱼ = Σ of their values
and Mⱼ = their number of rows; per cell ΣXⱼ², ΣXⱼMⱼ, ΣMⱼ² and the number of persons. These add up
over kommuner, area groups and the län like the numerator, so a second query rolls them up the
same way and `metrics.stats.means.clustered_mean_interval` turns them into the interval.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from metrics.catalogue.model import Indicator
from metrics.compute.sandbox import run_indicator_query
from metrics.compute.sqlgen import (
    AREAS_TABLE,
    _breakdown_columns,
    _coverage_ctes,
    _covered_cte,
    _has_persons,
    _measure_value,
    _periods_cte,
    base_sql,
    exact,
)

CLUSTER_COLUMNS = ("sum_squares", "sum_cross", "sum_m_squares", "units")
KEYS = ["area_code", "area_level", "period_type", "period_start", "breakdown", "sex", "age_band"]


def clustered(indicator: Indicator) -> bool:
    """True for a mean of a row sum over rows, on a source that names persons."""
    num, den = indicator.numerator, indicator.denominator
    return (
        indicator.interval == "mean"
        and num.kind == "sum"
        and den.kind == "rows"
        and not indicator.snapshot_last
        and _has_persons(indicator)
    )


def clusters_sql(indicator: Indicator) -> str:
    """ΣXⱼ², ΣXⱼMⱼ, ΣMⱼ² and the number of persons per area × period × breakdown."""
    sex, band = _breakdown_columns(indicator)
    keys = "a.area_code, a.area_level, c.period_type, c.period_start"
    sets = [f"({keys})"]
    breakdown = ["CASE"]
    if "sex" in indicator.breakdowns:
        sets.append(f"({keys}, c.sex)")
        breakdown.append("WHEN GROUPING(c.sex) = 0 THEN 'sex'")
    if "age_band" in indicator.breakdowns:
        sets.append(f"({keys}, c.age_band)")
        breakdown.append("WHEN GROUPING(c.age_band) = 0 THEN 'age_band'")
    breakdown.append("ELSE 'total' END")
    breakdown_sql = " ".join(breakdown) if len(breakdown) > 2 else "'total'"
    sex_out = "CASE WHEN GROUPING(c.sex) = 0 THEN c.sex END" if "sex" in indicator.breakdowns else "NULL"
    band_out = (
        "CASE WHEN GROUPING(c.age_band) = 0 THEN c.age_band END"
        if "age_band" in indicator.breakdowns
        else "NULL"
    )
    return (
        f"-- {indicator.id}: per-person sums for the interval of the mean\n"
        "WITH\n"
        f"base AS (\n  {base_sql(indicator)}\n),\n"
        f"{_covered_cte(indicator)},\n"
        f"{_periods_cte(indicator)},\n"
        "persons AS (\n"
        "  -- each person's sum of values (X) and number of rows (M) per cell\n"
        f"  SELECT kommun, period_type, period_start, {sex} AS sex, {band} AS age_band, person_id,\n"
        f"         sum({_measure_value(indicator.numerator)}) AS x,\n"
        f"         sum({_measure_value(indicator.denominator)}) AS m\n"
        "  FROM periods\n  GROUP BY ALL\n),\n"
        "cells AS (\n"
        "  SELECT kommun, period_type, period_start, sex, age_band,\n"
        f"         sum({exact('pow(x, 2)')}) AS sum_squares, sum({exact('x * m')}) AS sum_cross,\n"
        "         sum(m * m) AS sum_m_squares, count(*) AS units\n"
        "  FROM persons\n  WHERE m > 0\n  GROUP BY ALL\n),\n" + _coverage_ctes() + "\n"
        f"SELECT {keys}, {breakdown_sql} AS breakdown, {sex_out} AS sex, {band_out} AS age_band,\n"
        "       CAST(sum(c.sum_squares) AS DOUBLE) AS sum_squares,\n"
        "       CAST(sum(c.sum_cross) AS DOUBLE) AS sum_cross,\n"
        "       CAST(sum(c.sum_m_squares) AS DOUBLE) AS sum_m_squares,\n"
        "       CAST(sum(c.units) AS DOUBLE) AS units\n"
        "FROM kept AS c\n"
        f"JOIN {AREAS_TABLE} AS a ON a.kommun = c.kommun\n"
        f"GROUP BY GROUPING SETS ({', '.join(sets)})\n"
        "ORDER BY ALL"
    )


def add_cluster_sums(con: duckdb.DuckDBPyConnection, indicator: Indicator, raw: pd.DataFrame) -> pd.DataFrame:
    """`raw` (the indicator query's rows) with the per-person sums, where the indicator needs them."""
    if not clustered(indicator):
        return raw
    sums = run_indicator_query(con, indicator, clusters_sql(indicator))
    left = raw.drop(columns=[c for c in CLUSTER_COLUMNS if c in raw.columns])
    fill = {"sex": "", "age_band": ""}
    sums = sums.fillna(fill).assign(period_start=pd.to_datetime(sums["period_start"]))
    merged = left.fillna(fill).assign(period_start=pd.to_datetime(left["period_start"]))
    merged = merged.merge(sums, on=KEYS, how="left", validate="many_to_one")
    # keep the original columns' own values (NULL sex, the date type) and order
    for column in ("sex", "age_band", "period_start"):
        merged[column] = raw[column].to_numpy()
    return merged
