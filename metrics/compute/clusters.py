"""Per-person sums for the interval of a mean over rows where one person has several rows.

`personalkontinuitet_hemtjanst` is a mean over measurements (person × month). In a month each
person has one; in a quarter or a year up to 3 or 12, and one person's measurements are alike.
Treating them as independent gives too narrow an interval, so the interval treats the person as
the unit (a ratio estimator clustered by person): per person j in a cell, Xⱼ = Σ of their values
and Mⱼ = their number of rows; per cell ΣXⱼ², ΣXⱼMⱼ, ΣMⱼ² and the number of persons. A person's
rows are grouped per published cell (area × period × breakdown), not per kommun × sex × age band
and then rolled up: a person whose age band changes in the period, or who moves between kommuner
of a län, is one cluster, not two. `metrics.stats.means.clustered_mean_interval` turns the sums
into the interval.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import duckdb

from metrics.catalogue.model import Indicator
from metrics.compute.sandbox import run_indicator_query
from metrics.compute.sqlgen import (
    AREAS_TABLE,
    _breakdown_columns,
    _covered_cte,
    _has_persons,
    _measure_value,
    _periods_cte,
    base_sql,
    exact,
)

if TYPE_CHECKING:  # imported where frames are made: `matavla check` reaches this module
    import pandas as pd

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
    keys = "a.area_code, a.area_level, r.period_type, r.period_start"
    sets = [f"({keys}, r.person_id)"]
    breakdown = ["CASE"]
    if "sex" in indicator.breakdowns:
        sets.append(f"({keys}, r.cell_sex, r.person_id)")
        breakdown.append("WHEN GROUPING(r.cell_sex) = 0 THEN 'sex'")
    if "age_band" in indicator.breakdowns:
        sets.append(f"({keys}, r.cell_band, r.person_id)")
        breakdown.append("WHEN GROUPING(r.cell_band) = 0 THEN 'age_band'")
    breakdown.append("ELSE 'total' END")
    breakdown_sql = " ".join(breakdown) if len(breakdown) > 2 else "'total'"
    sex_out = (
        "CASE WHEN GROUPING(r.cell_sex) = 0 THEN r.cell_sex END" if "sex" in indicator.breakdowns else "NULL"
    )
    band_out = (
        "CASE WHEN GROUPING(r.cell_band) = 0 THEN r.cell_band END"
        if "age_band" in indicator.breakdowns
        else "NULL"
    )
    sums = _unit_sums("")
    return (
        f"-- {indicator.id}: per-person sums for the interval of the mean\n"
        "WITH\n"
        f"base AS (\n  {base_sql(indicator)}\n),\n"
        f"{_covered_cte(indicator)},\n"
        f"{_periods_cte(indicator)},\n"
        "kept_rows AS (\n"
        "  -- only covered kommun × period count, as in the indicator's own sums\n"
        f"  SELECT p.*, {sex} AS cell_sex, {band} AS cell_band\n"
        "  FROM periods AS p JOIN covered AS v USING (kommun, period_type, period_start)\n"
        "),\n"
        "in_kommun AS (\n"
        "  -- each person's X and M per kommun, period, sex and age band first: a quarter's or a\n"
        "  -- year's months become one row before the areas multiply them (exact sums: the same X, M)\n"
        "  SELECT kommun, period_type, period_start, person_id, cell_sex, cell_band,\n"
        f"         sum({_measure_value(indicator.numerator)}) AS x,\n"
        f"         sum({_measure_value(indicator.denominator)}) AS m\n"
        "  FROM kept_rows\n"
        "  GROUP BY ALL\n"
        "),\n"
        "several AS (\n"
        "  -- persons with more than one such row in a period: moved between kommuner, or changed\n"
        "  -- sex or age band; only their rows need grouping per area\n"
        "  SELECT period_type, period_start, person_id FROM in_kommun GROUP BY ALL HAVING count(*) > 1\n"
        "),\n"
        "persons AS (\n"
        "  -- each person's sum of values (X) and number of rows (M) per published cell: grouped per\n"
        "  -- area, not per kommun × sex × age band and then rolled up, so that a person whose age band\n"
        "  -- changes in the period, or who moves between kommuner of an area, is still one cluster\n"
        f"  SELECT {keys}, {breakdown_sql} AS breakdown, {sex_out} AS sex, {band_out} AS age_band,\n"
        "         sum(r.x) AS x, sum(r.m) AS m\n"
        "  FROM (SELECT * FROM in_kommun\n"
        "        SEMI JOIN several USING (period_type, period_start, person_id)) AS r\n"
        f"  JOIN {AREAS_TABLE} AS a ON a.kommun = r.kommun\n"
        f"  GROUP BY GROUPING SETS ({', '.join(sets)})\n"
        "),\n"
        "sums AS (\n"
        f"  SELECT area_code, area_level, period_type, period_start, breakdown, sex, age_band, {sums}\n"
        "  FROM persons\n"
        "  WHERE m > 0\n"
        "  GROUP BY ALL\n"
        "  UNION ALL\n"
        "  -- every other person is one row, and so one cluster, in each cell they are in: their\n"
        "  -- X and M are summed straight into the cells, without a group per person (most persons)\n"
        f"  SELECT {keys}, {breakdown_sql} AS breakdown, {sex_out} AS sex, {band_out} AS age_band,\n"
        f"         {_unit_sums('r.')}\n"
        "  FROM (SELECT * FROM in_kommun\n"
        "        ANTI JOIN several USING (period_type, period_start, person_id)) AS r\n"
        f"  JOIN {AREAS_TABLE} AS a ON a.kommun = r.kommun\n"
        "  WHERE r.m > 0\n"
        f"  GROUP BY GROUPING SETS ({', '.join(s.replace(', r.person_id', '') for s in sets)})\n"
        ")\n"
        "SELECT area_code, area_level, period_type, period_start, breakdown, sex, age_band,\n"
        "       CAST(sum(sum_squares) AS DOUBLE) AS sum_squares,\n"
        "       CAST(sum(sum_cross) AS DOUBLE) AS sum_cross,\n"
        "       CAST(sum(sum_m_squares) AS DOUBLE) AS sum_m_squares,\n"
        "       CAST(sum(units) AS DOUBLE) AS units\n"
        "FROM sums\n"
        "GROUP BY ALL\n"
        "ORDER BY ALL"
    )


def _unit_sums(prefix: str) -> str:
    """Per person j: Xⱼ², XⱼMⱼ, Mⱼ² and one unit, summed exactly (DECIMAL) before the DOUBLE."""
    x, m = f"{prefix}x", f"{prefix}m"
    return (
        f"sum({exact(f'pow({x}, 2)')}) AS sum_squares, sum({exact(f'{x} * {m}')}) AS sum_cross, "
        f"sum({m} * {m}) AS sum_m_squares, count(*) AS units"
    )


def add_cluster_sums(
    con: duckdb.DuckDBPyConnection,
    indicator: Indicator,
    raw: pd.DataFrame,
    *,
    run: Callable[[Indicator, str], pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """`raw` (the indicator query's rows) with the per-person sums, where the indicator needs them.

    `run`: runs a generated query (default: DuckDB's sandbox on `con`; Spark passes its own).
    """
    if not clustered(indicator):
        return raw
    import pandas as pd

    sql = clusters_sql(indicator)
    sums = run(indicator, sql) if run is not None else run_indicator_query(con, indicator, sql)
    left = raw.drop(columns=[c for c in CLUSTER_COLUMNS if c in raw.columns])
    fill = {"sex": "", "age_band": ""}
    sums = sums.fillna(fill).assign(period_start=pd.to_datetime(sums["period_start"]))
    merged = left.fillna(fill).assign(period_start=pd.to_datetime(left["period_start"]))
    merged = merged.merge(sums, on=KEYS, how="left", validate="many_to_one")
    # keep the original columns' own values (NULL sex, the date type) and order
    for column in ("sex", "age_band", "period_start"):
        merged[column] = raw[column].to_numpy()
    return merged
