"""Compute one indicator against the real data without publishing it (`matavla preview`).

The board's database is never opened for writing: a private in-memory DuckDB attaches it
READ_ONLY (a shared lock, so this runs beside the board and waits only for a writer), and
the tables compute needs beside the extracts (`areas`, `covered_months`) are written into
the private database, beside views of the board's tables. The indicator is then computed
by the engine's own `compute_indicator`, exactly as `matavla compute` would, suppression
included: what the preview shows is what the board would show.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from metrics.catalogue.model import Catalogue, Indicator
from metrics.catalogue.problems import did_you_mean
from metrics.compute.engine import compute_indicator, write_areas
from metrics.compute.sqlgen import AREAS_TABLE
from metrics.db_lock import open_when_free
from metrics.errors import MatavlaError
from metrics.extracts.coverage import COVERED_MONTHS, write_covered_months
from metrics.extracts.declared_tables import ensure_declared_tables
from metrics.extracts.normalise import ident, lit
from metrics.resources import apply_resources

BOARD = "board"  # the attached, read-only database of the board
KEYS = ["area_code", "area_level", "period", "breakdown", "sex", "age_band"]


@dataclass(frozen=True)
class Preview:
    indicator: Indicator
    results: pd.DataFrame  # the results table's columns, plus `published_value` (NaN where none)
    published: bool  # the board has results for this indicator id
    seconds: float


def find_indicator(catalogue: Catalogue, indicator_id: str) -> Indicator:
    ids = [i.id for i in catalogue.indicators]
    if indicator_id not in ids:
        hint = did_you_mean(indicator_id, ids) or "`matavla check` visar katalogens indikatorer och fel"
        raise MatavlaError(
            f"indikatorn '{indicator_id}' finns inte i katalogen, eller lämnades utanför för ett fel ({hint})"
        )
    return catalogue.indicator(indicator_id)


def compute_preview(
    db_path: Path,
    catalogue: Catalogue,
    indicator_id: str,
    *,
    wait: float | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> Preview:
    """The indicator's results on the data in `db_path`, with the published value beside each cell."""
    indicator = find_indicator(catalogue, indicator_id)
    if not db_path.is_file():
        raise MatavlaError(
            f"databasen {db_path} finns inte (tips: ange tavlans databas med --db eller MATAVLA_DB)"
        )
    started = time.perf_counter()
    con = duckdb.connect()
    try:
        apply_resources(con, None)  # memory limit and threads as for compute (metrics.resources)
        open_when_free(
            lambda: con.execute(f"ATTACH {lit(str(db_path))} AS {BOARD} (READ_ONLY)"),
            db_path,
            wait=wait,
            on_wait=on_wait,
        )
        # The board's tables as views in the private database (every connection of it sees them,
        # unlike a search path); areas and covered_months are written here, as compute would.
        tables = con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main'",
            [BOARD],
        ).fetchall()
        for (name,) in tables:
            if name not in (AREAS_TABLE, COVERED_MONTHS):
                con.execute(f"CREATE VIEW {ident(name)} AS SELECT * FROM {BOARD}.main.{ident(name)}")
        # What compute_all does before computing (metrics.compute.engine); a declared extract
        # the board has never imported gets an empty table here.
        on_board = {name for (name,) in tables}
        ensure_declared_tables(con, [e for e in catalogue.extracts if e.name not in on_board])
        write_covered_months(con)
        write_areas(con, catalogue)  # after the coverage, as compute_all: riket needs all 21 län
        published = con.execute(
            f"SELECT {', '.join(KEYS)}, value AS published_value FROM {BOARD}.main.results "
            "WHERE indicator = ?",
            [indicator.id],
        ).df()
        results = compute_indicator(con, indicator, catalogue)
    finally:
        con.close()
    merged = results.merge(published, on=KEYS, how="left") if not published.empty else results
    if published.empty:
        merged["published_value"] = float("nan")
    return Preview(indicator, merged, not published.empty, time.perf_counter() - started)
