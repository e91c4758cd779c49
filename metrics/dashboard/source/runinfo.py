"""Which compute run the board shows, and per indicator whether its results are stale or out of date.

Read from `compute_runs` and `run_indicators` (see `metrics.compute.runs`) with the rest of
the snapshot; the texts for the pages are pure functions of what is read here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from metrics.catalogue.fingerprint import definition_hash
from metrics.catalogue.model import Catalogue, Indicator
from metrics.dashboard.logic.format import format_date
from metrics.dashboard.source.connection import open_read_only


@dataclass(frozen=True)
class IndicatorRun:
    """What the board shows for one indicator after the latest run."""

    status: str  # 'ok', 'stale' or 'error'
    results_run: int | None  # the run whose results are shown
    results_at: datetime | None  # when that run finished
    definition_hash: str | None  # the definition those results were computed from
    message: str | None = None  # why the latest computation failed (Swedish, safe to show)
    failed_at: datetime | None = None


@dataclass(frozen=True)
class RunInfo:
    run: int | None = None  # the latest run; None when no run is recorded
    finished_at: datetime | None = None
    indicators: dict[str, IndicatorRun] = field(default_factory=dict)
    catalogue_text: str | None = None  # the catalogue the latest run read
    catalogue_file: str | None = None

    def of(self, indicator_id: str) -> IndicatorRun | None:
        return self.indicators.get(indicator_id)


NO_RUNS = RunInfo()


def _has_tables(con: duckdb.DuckDBPyConnection, *names: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' "
        "AND list_contains(?, table_name)",
        [list(names)],
    ).fetchone()
    return bool(row and row[0] == len(names))


def read_run_info(con: duckdb.DuckDBPyConnection) -> RunInfo:
    """The latest run and its per-indicator records (NO_RUNS for a database from before runs)."""
    if not _has_tables(con, "compute_runs", "run_indicators"):
        return NO_RUNS
    latest = con.execute(
        "SELECT run, finished_at, catalogue_text, catalogue_file FROM compute_runs ORDER BY run DESC LIMIT 1"
    ).fetchone()
    if latest is None:
        return NO_RUNS
    run, finished_at, text, file = latest
    rows = con.execute(
        """
        SELECT i.indicator, i.status, i.results_run, r.finished_at, i.definition_hash, i.message, i.failed_at
        FROM run_indicators i LEFT JOIN compute_runs r ON r.run = i.results_run
        WHERE i.run = ?
        """,
        [run],
    ).fetchall()
    indicators = {str(r[0]): IndicatorRun(*r[1:]) for r in rows}
    return RunInfo(int(run), finished_at, indicators, text, file)


def run_label(info: RunInfo, computed_at: Any) -> str:
    """The shell's footer: 'Beräknad 2026-03-02 14:05, körning 41' (the run a quoted number comes from)."""
    if info.run is None:
        return (
            f"Data beräknad {format_date(computed_at, with_time=True)}" if computed_at else "Data ej beräknad"
        )
    when = info.finished_at or computed_at
    return f"Beräknad {format_date(when, with_time=True)}, körning {info.run}"


def stale_text(state: IndicatorRun | None) -> str | None:
    """'Visar resultat från körning 40 – beräkningen 2026-03-02 misslyckades: …', or None when fresh."""
    if state is None or state.status != "stale":
        return None
    shown = f"körning {state.results_run}" if state.results_run is not None else "en tidigare beräkning"
    if state.results_at is not None:
        shown += f" ({format_date(state.results_at)})"
    failed = f" {format_date(state.failed_at)}" if state.failed_at is not None else ""
    reason = f": {state.message}" if state.message else ""
    return f"Visar resultat från {shown} – beräkningen{failed} misslyckades{reason}"


def definition_changed(state: IndicatorRun | None, indicator: Indicator, catalogue: Catalogue) -> bool:
    """True when the catalogue's definition differs from the one the shown results were computed from."""
    if state is None or state.definition_hash is None:
        return False  # nothing recorded to compare with
    return state.definition_hash != definition_hash(indicator, catalogue)


DEFINITION_CHANGED = (
    "Definitionen har ändrats efter senaste beräkningen: värdena nedan är räknade med den tidigare "
    "definitionen. Kör `matavla compute` för att räkna om."
)


def stored_catalogues(db_path: Path) -> list[tuple[str, str]]:
    """(file name, text) of each distinct catalogue stored with the kept runs, newest first.

    Empty too when the database cannot be opened (missing, or a writer holds it).
    """
    try:
        con = open_read_only(db_path)
    except duckdb.Error:
        return []
    try:
        if not _has_tables(con, "compute_runs"):
            return []
        rows = con.execute(
            "SELECT catalogue_file, catalogue_text FROM compute_runs WHERE catalogue_text IS NOT NULL "
            "QUALIFY row_number() OVER (PARTITION BY catalogue_hash ORDER BY run DESC) = 1 ORDER BY run DESC"
        ).fetchall()
    finally:
        con.close()
    return [(str(name or "indicators.yaml"), str(text)) for name, text in rows]
