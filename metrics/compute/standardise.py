"""Directly age-standardised rates for population-based indicators (std_value, std_ci_low, std_ci_high).

For an indicator per inhabitant whose source has ages, a second query counts the numerator and
the inhabitants per kommun × year × sex × 5-year age band (0–4 … 90–94, 95+, cut to the
indicator's own ages), keeps only the cells a delivery covers, and adds them up per area
exactly like the crude rate. `metrics.stats.standardisation` turns each area's bands into a
DSR with Dobson's interval. Rows are the total and, where the indicator breaks down by sex,
each sex; age-band rows get none (a rate within one band needs no standardising). A cell that
is suppressed, missing or has a total count below 10 (PHE's rule) gets no standardised numbers.

The variance counts the independent unit: a person for counts of events where the source
names persons (so one person's repeated emergency visits widen the interval, as PHE's
adjustment for non-independent events does), a row for sums (a stay carries its days).
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import numpy as np
import pandas as pd

from metrics.catalogue.model import AgeBand, Indicator
from metrics.compute.sandbox import run_indicator_query
from metrics.compute.sqlgen import (
    AREAS_TABLE,
    _age_filter,
    _coverage_ctes,
    _covered_cte,
    _has_persons,
    _measure_value,
    age_band_sql,
    base_sql,
    exact,
    last_snapshot_rows_ctes,
    not_year_local,
)
from metrics.errors import ComputeError
from metrics.stats.standardisation import ESP2013, directly_standardised_rate

STD_COLUMNS = ("std_value", "std_ci_low", "std_ci_high")
_KEYS = ["area_code", "area_level", "period_type", "period_start", "breakdown", "sex"]


def standard_bands(indicator: Indicator) -> list[tuple[AgeBand, float]]:
    """The 5-year bands within the indicator's ages, each with its ESP 2013 weight.

    A band the age filter cuts (ages 77+ → 77–79) keeps the whole band's weight: the standard
    is a set of weights, and the kommuner and the län all use the same ones.
    """
    low = indicator.age_min if indicator.age_min is not None else 0
    high = indicator.age_max
    bands: list[tuple[AgeBand, float]] = []
    for band_low, band_high, weight in ESP2013:
        if (band_high is not None and band_high < low) or (high is not None and band_low > high):
            continue
        top = band_high if high is None else (high if band_high is None else min(band_high, high))
        bands.append((AgeBand(max(band_low, low), top), float(weight)))
    return bands


def standardised_sql(indicator: Indicator, year: int | None = None) -> str:
    """Numerator, inhabitants and Σ (events per unit)² per area × year × (total, sex) × 5-year band.

    `year` (a year-local indicator only, `sqlgen.not_year_local`): that calendar year's rows, which
    are exactly the whole query's rows of that year: a row is counted in the year of its own date,
    and the inhabitants are only those of covered years (`covered`, restricted to the same year).
    `compute --incremental` queries only the years an import touched (`year_cells`).
    """
    if year is not None and not_year_local(indicator) is not None:
        raise ValueError(f"{indicator.id} is not standardised one year at a time")
    bands = tuple(band for band, _ in standard_bands(indicator))
    band_sql = age_band_sql(bands)
    sex = "sex" in indicator.breakdowns
    num = indicator.numerator
    person_units = num.kind == "rows" and _has_persons(indicator)
    # a `snapshot: last` year counts the rows at each kommun's last snapshot of it, like the crude cell
    rows = "last_rows" if indicator.snapshot_last else "base"
    if person_units:
        units = (
            "units AS (\n"
            "  -- one row per person: repeated events of a person are not independent (PHE)\n"
            f"  SELECT kommun, make_date(year(d), 1, 1) AS period_start, sex, {band_sql} AS age_band,\n"
            f"         person_id, sum({_measure_value(num)}) AS x\n"
            f"  FROM {rows}\n  GROUP BY ALL\n)"
        )
    else:
        units = (
            "units AS (\n"
            "  -- one row per source row: a stay carries its days\n"
            f"  SELECT kommun, make_date(year(d), 1, 1) AS period_start, sex, {band_sql} AS age_band,\n"
            f"         {_measure_value(num)} AS x\n"
            f"  FROM {rows}\n)"
        )
    population_filters = [
        *_age_filter(indicator),
        "(kommun, make_date(year, 1, 1)) IN\n"
        "      (SELECT kommun, period_start FROM covered WHERE period_type = 'year')",
    ]
    keys = "a.area_code, a.area_level, c.period_type, c.period_start"
    sets = f"({keys}, c.age_band)" + (f", ({keys}, c.sex, c.age_band)" if sex else "")
    breakdown = "CASE WHEN GROUPING(c.sex) = 0 THEN 'sex' ELSE 'total' END" if sex else "'total'"
    sex_column = "CASE WHEN GROUPING(c.sex) = 0 THEN c.sex END" if sex else "NULL"
    return (
        f"-- {indicator.id}: age-standardised rate, inputs per 5-year age band\n"
        "WITH\n"
        f"base AS (\n  {base_sql(indicator, year)}\n),\n"
        + (f"{last_snapshot_rows_ctes(indicator, year)},\n" if indicator.snapshot_last else "")
        + f"{_covered_cte(indicator, year)},\n"
        f"{units},\n"
        "counted AS (\n"
        "  SELECT kommun, period_start, sex, age_band, sum(x) AS numerator,\n"
        f"         sum({exact('pow(x, 2)')}) AS sum_squares\n"
        "  FROM units\n  GROUP BY ALL\n),\n"
        "inhabitants AS (\n"
        f"  SELECT kommun, make_date(year, 1, 1) AS period_start, sex, {age_band_sql(bands)} AS age_band,\n"
        '         sum("count") AS inhabitants\n'
        "  FROM population\n"
        "  WHERE " + "\n    AND ".join(population_filters) + "\n"
        "  GROUP BY ALL\n),\n"
        "cells AS (\n"
        "  SELECT kommun, 'year' AS period_type, period_start, sex, age_band,\n"
        "         coalesce(c.numerator, 0) AS numerator, p.inhabitants AS denominator,\n"
        "         coalesce(c.sum_squares, 0) AS sum_squares\n"
        "  FROM inhabitants AS p\n"
        "  FULL JOIN counted AS c USING (kommun, period_start, sex, age_band)\n"
        "),\n" + _coverage_ctes() + "\n"
        f"SELECT {keys}, {breakdown} AS breakdown, {sex_column} AS sex, c.age_band,\n"
        "       CAST(sum(c.numerator) AS DOUBLE) AS numerator,\n"
        "       CAST(sum(c.denominator) AS DOUBLE) AS denominator,\n"
        "       CAST(sum(c.sum_squares) AS DOUBLE) AS sum_squares\n"
        "FROM kept AS c\n"
        f"JOIN {AREAS_TABLE} AS a ON a.kommun = c.kommun\n"
        f"GROUP BY GROUPING SETS ({sets})\n"
        "ORDER BY ALL"
    )


def region_weights_sql(indicator: Indicator) -> str:
    """Inhabitants of the standard län in the standard year, per 5-year band of the indicator."""
    standard = indicator.standard_population
    bands = tuple(band for band, _ in standard_bands(indicator))
    filters = [
        f"year = {int(standard.year or 0)}",
        f"kommun IN (SELECT kommun FROM {AREAS_TABLE}\n"
        f"           WHERE area_level = 'lan' AND area_code = '{standard.lan}')",
        *_age_filter(indicator),
    ]
    return (
        f"-- {indicator.id}: standard population, län {standard.lan} {standard.year}\n"
        f'SELECT {age_band_sql(bands)} AS age_band, CAST(sum("count") AS DOUBLE) AS weight\n'
        "FROM population\nWHERE " + "\n  AND ".join(filters) + "\nGROUP BY ALL"
    )


Runner = Callable[[Indicator, str], pd.DataFrame]


def standard_weights(
    con: duckdb.DuckDBPyConnection, indicator: Indicator, run: Runner | None = None
) -> tuple[list[str], np.ndarray]:
    """Band labels and the standard population's weight for each (`run`: see add_standardised_rates)."""
    bands = standard_bands(indicator)
    labels = [band.label for band, _ in bands]
    if indicator.standard_population.kind != "lan":
        return labels, np.array([weight for _, weight in bands])
    sql = region_weights_sql(indicator)
    rows = run(indicator, sql) if run is not None else run_indicator_query(con, indicator, sql)
    weights = rows.set_index("age_band")["weight"].reindex(labels).fillna(0.0).to_numpy(dtype=float)
    if not weights.sum() > 0:
        standard = indicator.standard_population
        raise ComputeError(
            indicator.id,
            f"standardpopulationen (län {standard.lan}, år {standard.year}) "
            "saknas i utdraget population; importera befolkningen för det året eller välj "
            "standard_population: esp2013",
        )
    return labels, weights


def standardised_rows(
    con: duckdb.DuckDBPyConnection, indicator: Indicator, year: int | None = None, run: Runner | None = None
) -> pd.DataFrame:
    """The rows of `standardised_sql(indicator, year)` (`run`: see add_standardised_rates)."""
    sql = standardised_sql(indicator, year)
    return run(indicator, sql) if run is not None else run_indicator_query(con, indicator, sql)


def standardised_rates(
    con: duckdb.DuckDBPyConnection,
    indicator: Indicator,
    run: Runner | None = None,
    rows: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """std_value, std_ci_low and std_ci_high per area, year and total/sex row (keys as in results).

    `rows`: the band rows (`standardised_rows`) when the caller has them, e.g. the kept rows of
    untouched years with the touched years' queried afresh (`year_cells.spliced_std_rows`).
    """
    labels, weights = standard_weights(con, indicator, run)
    if rows is None:
        rows = standardised_rows(con, indicator, None, run)
    columns = [*_KEYS, *STD_COLUMNS]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    # kept rows and fresh ones may come with different dtypes (a table's DATE, Spark's date)
    rows = rows.assign(sex=rows["sex"].fillna(""), period_start=pd.to_datetime(rows["period_start"]))
    wide = rows.pivot_table(
        index=_KEYS,
        columns="age_band",
        values=["numerator", "denominator", "sum_squares"],
        aggfunc="sum",
        fill_value=0.0,
    )
    # Absent bands had neither events nor inhabitants; every band appears, in ESP order.
    wide = wide.reindex(columns=pd.MultiIndex.from_product([wide.columns.levels[0], labels])).fillna(0.0)
    value, low, high = directly_standardised_rate(
        wide["numerator"].to_numpy(),
        wide["denominator"].to_numpy(),
        weights,
        indicator.multiplier,
        sum_squares=wide["sum_squares"].to_numpy(),
    )
    out = wide.index.to_frame(index=False)
    out["std_value"], out["std_ci_low"], out["std_ci_high"] = value, low, high
    return out[columns]


def add_standardised_rates(
    con: duckdb.DuckDBPyConnection,
    indicator: Indicator,
    cells: pd.DataFrame,
    *,
    run: Runner | None = None,
    rows: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """`cells` (finished results) with the std columns filled where they apply.

    `run`: runs a generated query (default: DuckDB's sandbox on `con`; Spark passes its own).
    `rows`: the band rows, when the caller has them (see `standardised_rates`).
    """
    if indicator.standard_population.kind == "none":
        return cells
    std = standardised_rates(con, indicator, run, rows)
    keys = ["area_code", "area_level", "period_type", "breakdown", "sex", "start"]
    std = std.assign(start=pd.to_datetime(std["period_start"])).drop(columns="period_start")
    left = cells.drop(columns=list(STD_COLUMNS)).assign(
        sex=cells["sex"].fillna(""), start=pd.to_datetime(cells["period_start"])
    )
    merged = left.merge(std, on=keys, how="left", validate="many_to_one").drop(columns="start")
    merged["sex"] = cells["sex"].to_numpy()
    # Nothing is published for a hidden or missing cell, nor where the crude value is undefined.
    hidden = (
        merged["suppressed"].fillna(False).astype(bool)
        | merged["missing"].fillna(False).astype(bool)
        | merged["value"].isna()
    )
    # A DSR is a weighted sum of the 5-year band counts with weights wᵢ/nᵢ that differ from band
    # to band, so at full precision (with the published total count) it pins the band counts
    # down: it would give away an age-band cell that suppression hides. Where any age-band cell
    # of an area and period is hidden, no row of that area and period gets standardised numbers
    # (the sex rows' band counts add up to the total's, so they would give it away too).
    area = ["area_code", "area_level", "period_type", "period_start"]
    band_hidden = (cells["breakdown"] == "age_band") & cells["suppressed"].fillna(False).astype(bool)
    hidden_areas = set(map(tuple, cells.loc[band_hidden, area].astype(str).to_numpy().tolist()))
    hidden |= pd.Series(
        [row in hidden_areas for row in map(tuple, cells[area].astype(str).to_numpy().tolist())],
        index=merged.index,
    )
    for column in STD_COLUMNS:
        merged.loc[hidden, column] = np.nan
    return merged[list(cells.columns)]
