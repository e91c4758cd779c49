"""Helpers for hand-computed indicator tests: a tiny database and a way to read one cell."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from metrics.catalogue.loader import load_catalogue
from metrics.catalogue.model import Catalogue, SuppressionSettings
from metrics.compute.engine import compute_indicator, write_areas
from metrics.db import ensure_schema
from metrics.extracts.coverage import write_covered_months
from metrics.extracts.schema import EXTRACTS

ROOT = Path(__file__).resolve().parents[1]
NO_SUPPRESSION = SuppressionSettings(min_denominator=0, min_count=1, max_count=0)


def core_catalogue() -> Catalogue:
    return load_catalogue(ROOT / "indicators.yaml", strict=True).catalogue


def empty_db(catalogue: Catalogue) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    ensure_schema(con)
    write_areas(con, catalogue)
    return con


def insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple[Any, ...]]) -> None:
    placeholders = ", ".join("?" for _ in rows[0])
    # Named columns: extract tables also have `_import_id`, which the importer fills.
    names = ", ".join(f'"{c}"' for c in EXTRACTS[table].column_names) if table in EXTRACTS else None
    into = f'"{table}" ({names})' if names else f'"{table}"'
    con.executemany(f"INSERT INTO {into} VALUES ({placeholders})", rows)


def compute(
    con: duckdb.DuckDBPyConnection, catalogue: Catalogue, indicator_id: str, *, suppress: bool = False
) -> pd.DataFrame:
    """Results of one indicator; suppression off unless asked, so small cases show their numbers."""
    indicator = catalogue.indicator(indicator_id)
    if not suppress:
        indicator = dataclasses.replace(indicator, suppression=NO_SUPPRESSION)
    write_covered_months(con)  # what the rows inserted so far cover, as compute_all does
    return compute_indicator(con, indicator, catalogue)


def cell(
    results: pd.DataFrame,
    area: str,
    period: str,
    *,
    sex: str | None = None,
    age_band: str | None = None,
) -> pd.Series:
    """The one result row for an area and period (total unless sex or age_band is given)."""
    breakdown = "sex" if sex else "age_band" if age_band else "total"
    rows = results[
        (results["area_code"] == area) & (results["period"] == period) & (results["breakdown"] == breakdown)
    ]
    if sex:
        rows = rows[rows["sex"] == sex]
    if age_band:
        rows = rows[rows["age_band"] == age_band]
    assert len(rows) == 1, f"expected one cell for {area} {period} {breakdown}, found {len(rows)}"
    return rows.iloc[0]


def has_cell(results: pd.DataFrame, area: str, period: str) -> bool:
    """True when the area has a result (not a row marked missing) for the period."""
    return bool(
        (
            (results["area_code"] == area)
            & (results["period"] == period)
            & (results["breakdown"] == "total")
            & ~results["missing"].astype(bool)
        ).any()
    )


def is_missing(results: pd.DataFrame, area: str, period: str) -> bool:
    """True when the area's total for the period is a row marked missing ('saknas')."""
    rows = results[
        (results["area_code"] == area) & (results["period"] == period) & (results["breakdown"] == "total")
    ]
    return len(rows) == 1 and bool(rows.iloc[0]["missing"])


# fast_lakarkontakt's target as shipped: the national 55 %, with its source.
FAST_TARGET = (
    "\n    target:\n      value: 55\n      source: >-\n"
    "        Nationellt mål i överenskommelsen om god och nära vård, följt av Vårdanalys: minst 55 %\n"
    "        av befolkningen ska ha en fast läkarkontakt (här mätt bland de listade).\n"
)


def replace_fast_target(catalogue_text: str, target: str) -> tuple[str, int]:
    """The shipped catalogue with fast_lakarkontakt's target replaced by `target` (a YAML value),
    and the line the new `target:` key is on (for asserting where a problem is reported)."""
    assert FAST_TARGET in catalogue_text, "fast_lakarkontakt's shipped target changed: update FAST_TARGET"
    line = catalogue_text[: catalogue_text.index(FAST_TARGET)].count("\n") + 2
    return catalogue_text.replace(FAST_TARGET, f"\n    target: {target}\n", 1), line
