"""Compute runs: each compute is numbered and recorded, and its published results are kept.

A run records when it ran, the catalogue it read (hash and text), the imports present
(`import_log` ids and content hashes), which indicators succeeded and failed, and, per
indicator, what the board shows after it (`run_indicators`): the run whose results are
shown, the definition fingerprint they were computed from, and – for a stale indicator –
why its last computation failed. `results_history` keeps the results exactly as each run
published them, for the last `keep_runs` runs (`matavla export --run N`).

Everything here is written inside compute's transaction, so a run is recorded whole or
not at all.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb

from metrics.catalogue.fingerprint import definition_hash, file_hash
from metrics.catalogue.model import Catalogue, Indicator
from metrics.compute.audit_budget import PER, audit_budgets
from metrics.compute.sqlgen import date_sql
from metrics.compute.year_cells import (
    YearPlan,
    coverage_changed_years,
    kept_coverage_prints,
    kept_run,
    why_not_by_years,
)
from metrics.db import RESULT_COLUMNS, get_meta
from metrics.errors import MatavlaError
from metrics.extracts.coverage import CoveragePrints, coverage_prints
from metrics.extracts.origins import ORIGIN, ident

DEFAULT_KEEP_RUNS = 12


@dataclass(frozen=True)
class Failure:
    """Why one indicator failed, in words safe to store and show."""

    kind: str  # the exception's type name, e.g. 'ConversionException'
    message: str  # Swedish; never the text of an exception we do not own


def failure_of(exc: BaseException) -> Failure:
    """The message of a `MatavlaError`, else a generic Swedish text naming only the error's type.

    A database error's own text can quote the values it choked on (`Could not convert
    string 'P60654173' …`), and those can be person-level: it never reaches the database,
    a page or the terminal.
    """
    kind = type(exc).__name__
    if isinstance(exc, MatavlaError):
        text = str(exc).strip()
        return Failure(kind, text or kind)
    return Failure(
        kind,
        f"beräkningen stoppades av ett fel i databasen ({kind}); "
        "kör `matavla check` och `matavla sql INDIKATOR` för att hitta det",
    )


@dataclass(frozen=True)
class Outcome:
    """One selected indicator's result in this run."""

    indicator: str
    ok: bool
    rows: int
    seconds: float
    failure: Failure | None = None
    years: tuple[int, ...] | None = None  # the calendar years aggregated afresh; None: all


@dataclass(frozen=True)
class RunRecord:
    run: int
    started_at: datetime
    finished_at: datetime
    status: str  # 'ok', 'partial' (some indicators failed) or 'failed' (all did)
    succeeded: tuple[str, ...]
    failed: tuple[str, ...]


def previous_results(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> set[str]:
    """Of `ids`, the indicators that have results in `results` now (before this run replaces any)."""
    if not ids:
        return set()
    rows = con.execute(
        "SELECT DISTINCT indicator FROM results WHERE list_contains(?, indicator)", [list(ids)]
    ).fetchall()
    return {str(r[0]) for r in rows}


def _imports(con: duckdb.DuckDBPyConnection) -> tuple[list[int], list[str]]:
    """The imports whose rows the extracts hold: every 'ok' import so far (`import_log` only grows)."""
    rows = con.execute(
        "SELECT import_id, content_hash FROM import_log WHERE status = 'ok' ORDER BY import_id"
    ).fetchall()
    return [int(r[0]) for r in rows], [str(r[1]) for r in rows]


def _last_state(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[object, ...]]:
    """Indicator → its `run_indicators` row of the latest run (what the board showed before)."""
    rows = con.execute(
        """
        SELECT indicator, status, results_run, definition_hash, error_kind, message, failed_at, years
        FROM run_indicators WHERE run = (SELECT max(run) FROM compute_runs)
        """
    ).fetchall()
    return {str(r[0]): tuple(r[1:]) for r in rows}


def record_run(
    con: duckdb.DuckDBPyConnection,
    catalogue: Catalogue,
    outcomes: Sequence[Outcome],
    *,
    started_at: datetime,
    catalogue_source: bytes | None,
    keep_runs: int = DEFAULT_KEEP_RUNS,
    partial: bool = False,
) -> RunRecord:
    """Number and record this run, after `results` holds what it publishes; prune old history.

    `partial`: only some indicators were selected (`--indicator`). Call inside compute's
    transaction.
    """
    if keep_runs < 1:
        raise MatavlaError(f"antal körningar att spara måste vara minst 1 (fick {keep_runs})")
    state = _last_state(con)  # read before this run is added
    row = con.execute("SELECT coalesce(max(run), 0) + 1 FROM compute_runs").fetchone()
    run = int(row[0]) if row else 1
    finished_at = datetime.now().replace(microsecond=0)
    succeeded = tuple(o.indicator for o in outcomes if o.ok)
    failed = tuple(o.indicator for o in outcomes if not o.ok)
    status = "ok" if not failed else ("failed" if not succeeded else "partial")
    import_ids, import_hashes = _imports(con)
    text = catalogue_source.decode("utf-8", errors="replace") if catalogue_source is not None else None
    con.execute(
        "INSERT INTO compute_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            run,
            started_at.replace(microsecond=0),
            finished_at,
            status,
            list(o.indicator for o in outcomes),
            list(succeeded),
            list(failed),
            catalogue.file,
            file_hash(catalogue_source) if catalogue_source is not None else None,
            text,
            import_ids,
            import_hashes,
            None,  # result_rows, set below once the history is written
        ],
    )

    # What the board shows per indicator after this run: computed now, kept from before, or stale.
    published = {str(r[0]) for r in con.execute("SELECT DISTINCT indicator FROM results").fetchall()}
    by_id = {o.indicator: o for o in outcomes}
    hashes = {ind.id: definition_hash(ind, catalogue) for ind in catalogue.indicators}
    rows: list[tuple[object, ...]] = []
    # A partial run (`--indicator`) carries every other indicator's record along unchanged.
    listed = published | set(by_id) | (set(state) if partial else set())
    for indicator in sorted(listed):
        outcome = by_id.get(indicator)
        before = state.get(indicator)
        if outcome is not None and outcome.ok:
            years = list(outcome.years) if outcome.years is not None else None
            rows.append((run, indicator, "ok", run, hashes.get(indicator), None, None, None, years))
        elif outcome is not None and outcome.failure is not None:
            kept = indicator in published
            results_run = before[1] if before is not None and kept else None
            rows.append(
                (
                    run,
                    indicator,
                    "stale" if kept else "error",
                    results_run,
                    before[2] if before is not None and kept else None,
                    outcome.failure.kind,
                    outcome.failure.message,
                    started_at.replace(microsecond=0),
                    before[6] if before is not None and kept else None,
                )
            )
        elif before is not None:  # not computed in this run (`--indicator`): as it was
            rows.append((run, indicator, *before))
        else:  # results from before runs were recorded
            rows.append((run, indicator, "ok", None, None, None, None, None, None))
    con.executemany("INSERT INTO run_indicators VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)

    columns = ", ".join(RESULT_COLUMNS)
    con.execute(f"INSERT INTO results_history (run, {columns}) SELECT ?, {columns} FROM results", [run])
    count = con.execute("SELECT count(*) FROM results_history WHERE run = ?", [run]).fetchone()
    con.execute("UPDATE compute_runs SET result_rows = ? WHERE run = ?", [count[0] if count else 0, run])

    # Bounded history: the results and per-indicator records of the last `keep_runs` runs; the
    # runs themselves stay listed (a few hundred bytes each), without their catalogue text.
    oldest_kept = run - keep_runs + 1
    con.execute("DELETE FROM results_history WHERE run < ?", [oldest_kept])
    con.execute("DELETE FROM run_indicators WHERE run < ?", [oldest_kept])
    con.execute("UPDATE compute_runs SET catalogue_text = NULL WHERE run < ?", [oldest_kept])
    return RunRecord(run, started_at, finished_at, status, succeeded, failed)


def kept_runs(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Run numbers whose results are kept, oldest first."""
    return [
        int(r[0]) for r in con.execute("SELECT DISTINCT run FROM results_history ORDER BY run").fetchall()
    ]


@dataclass(frozen=True)
class Increment:
    """What an incremental compute (`matavla compute --incremental`) recomputes, and why."""

    indicators: tuple[str, ...] | None  # None: every indicator (a full compute)
    reason: str  # Swedish, for the terminal
    # Per recomputed indicator: the calendar years to aggregate afresh, or why the whole indicator.
    by_years: dict[str, YearPlan] = dataclasses.field(default_factory=dict)


# Read by every indicator besides its sources: the publishing rule (kommun sizes) and standardisation.
EVERY_INDICATOR_READS = ("population",)


def increment(
    con: duckdb.DuckDBPyConnection, catalogue: Catalogue, catalogue_source: bytes | None
) -> Increment:
    """The indicators whose results may differ from those shown: those whose sources an import
    changed since the run that computed their results, whose definition changed, or that have no
    good results, or whose exact audit ran with another work budget (`MATAVLA_AUDIT_ITERATIONS`
    and the like are set per run, outside the catalogue; the budget decides what is published).
    Every indicator when the catalogue file changed, when `population` changed (the
    publishing rule and standardisation read it), or when no run is recorded.

    Each indicator is compared with the imports present at *its* results' run (`run_indicators.
    results_run`), so a partial run (`--indicator`) in between loses nothing. An indicator kept as
    it was has, by construction, the same inputs as when it was computed, so its results (and its
    disclosure audit, kept by the partial run) are what a full compute would give.
    """
    last = con.execute("SELECT catalogue_hash FROM compute_runs ORDER BY run DESC LIMIT 1").fetchall()
    if not last:
        return Increment(None, "ingen tidigare körning: alla indikatorer beräknas")
    if catalogue_source is None or last[0][0] != file_hash(catalogue_source):
        return Increment(None, "katalogen har ändrats sedan förra körningen: alla indikatorer beräknas")
    state = _last_state(con)
    imported = {
        int(r[0]): str(r[1])
        for r in con.execute("SELECT import_id, extract FROM import_log WHERE status = 'ok'").fetchall()
    }
    present = {
        int(r[0]): {int(i) for i in r[1]}
        for r in con.execute("SELECT run, import_ids FROM compute_runs").fetchall()
    }
    from metrics.compute.disclosure import AUDIT_META_KEY  # not at the top: it loads the LP solver

    entries = json.loads(get_meta(con, AUDIT_META_KEY) or "{}").get("indicators", {})
    # Compared only where a budget is recorded: results from before the budget (or checked by the
    # snabbkontroll) are not out of date for it.
    budget = [*dataclasses.astuple(audit_budgets(catalogue)), PER]  # as `AuditResult.budget` records it
    selected: list[str] = []
    by_years: dict[str, YearPlan] = {}
    dated: dict[tuple[str, str, tuple[int, ...]], frozenset[int]] = {}  # one scan per source
    covered_now = functools.cache(lambda: coverage_prints(con))  # as it is now, read once if needed

    for indicator in catalogue.indicators:
        before = state.get(indicator.id)
        results_run = before[1] if before is not None else None
        if (
            before is None
            or before[0] != "ok"
            or not isinstance(results_run, int)
            or results_run not in present
        ):
            selected.append(indicator.id)  # new, failed before, or results from before runs
            continue
        if before[2] != definition_hash(indicator, catalogue):
            selected.append(indicator.id)
            continue
        if (recorded := entries.get(indicator.id, {}).get("budget")) is not None and recorded != budget:
            selected.append(indicator.id)
            continue
        new_ids = sorted(imported.keys() - present[results_run])
        since = {imported[i] for i in new_ids}
        if since & {*indicator.sources, *EVERY_INDICATOR_READS}:
            selected.append(indicator.id)
            by_years[indicator.id] = year_plan(con, indicator, new_ids, results_run, dated, covered_now)
    if not selected:
        return Increment((), "inget har importerats sedan indikatorernas senaste beräkning")
    return Increment(
        tuple(selected),
        f"{len(selected)} av {len(catalogue.indicators)} indikatorer läser utdrag som importerats "
        "sedan de beräknades (eller har ändrats); de andra behåller sina resultat",
        by_years,
    )


def year_plan(
    con: duckdb.DuckDBPyConnection,
    indicator: Indicator,
    new_ids: Sequence[int],
    results_run: int,
    memo: dict[tuple[str, str, tuple[int, ...]], frozenset[int]] | None = None,
    covered_now: Callable[[], CoveragePrints] | None = None,
) -> YearPlan:
    """The calendar years the imports `new_ids` (since the indicator's results were computed in
    `results_run`) touched in its source, or why the whole indicator is recomputed.

    Touched: the years of the months each import covers (`coverage`) and of its own rows'
    dates, by the indicator's own date column (it may date a row by another column than the
    coverage does). An import that replaced stored rows may have moved or removed rows of any
    year (their old dates are gone), so it makes the whole indicator recomputed. Touched too: any
    year whose covered months changed since `results_run` in another way (`coverage_prints`; a
    same-bytes re-import forgets the earlier coverage, a source's first recorded coverage replaces
    the default rule). `covered_now`: the prints as they are now (default: read them).
    """
    if (reason := why_not_by_years(indicator)) is not None:
        return YearPlan((), reason)
    logged = con.execute(
        "SELECT extract, rows_replaced FROM import_log WHERE list_contains(?, import_id)", [list(new_ids)]
    ).fetchall()
    extracts = {str(r[0]) for r in logged}
    if "population" in extracts:
        return YearPlan((), "befolkningen har importerats (publiceringsregeln och nämnarna läser den)")
    if any(str(r[0]) == indicator.source and int(r[1]) > 0 for r in logged):
        return YearPlan((), "en import ersatte lagrade rader, som kan ha gällt andra år")
    kept = kept_run(con, indicator.id)
    if kept is None or kept[0] != results_run:
        return YearPlan((), "inga sparade celler från förra beräkningen")
    then = kept_coverage_prints(con, results_run)
    if then is None:
        return YearPlan((), "täckningen vid förra beräkningen är inte sparad")
    now = covered_now() if covered_now is not None else coverage_prints(con)
    changed = coverage_changed_years(then, now, indicator.sources)
    ids = [int(i) for i in new_ids]
    covered = con.execute(
        "SELECT DISTINCT unnest(range(year(first_month), year(last_month) + 1)) FROM coverage "
        "WHERE extract = ? AND list_contains(?, import_id)",
        [indicator.source, ids],
    ).fetchall()
    dated = _dated_years(
        con, indicator.source, date_sql(indicator), tuple(ids), memo if memo is not None else {}
    )
    years = tuple(sorted({int(r[0]) for r in covered} | dated | changed))
    if not years:
        return YearPlan((), "importen har inga daterade rader")
    return YearPlan(years)


def _dated_years(
    con: duckdb.DuckDBPyConnection,
    source: str,
    date: str,
    ids: tuple[int, ...],
    memo: dict[tuple[str, str, tuple[int, ...]], frozenset[int]],
) -> frozenset[int]:
    """The years of the rows the imports `ids` wrote to `source`, dated by the SQL `date`. The
    indicators reading the same source and date share one scan (`memo`, one per increment)."""
    key = (source, date, ids)
    if key not in memo:
        # The BETWEEN lets DuckDB skip the row groups of older imports (rows are stored in import
        # order), so a monthly import does not scan ten years of contacts.
        rows = con.execute(
            f"SELECT DISTINCT year({date}) FROM {ident(source)} "
            f"WHERE {ORIGIN} BETWEEN ? AND ? AND list_contains(?, {ORIGIN}) AND {date} IS NOT NULL",
            [min(ids), max(ids), list(ids)],
        ).fetchall()
        memo[key] = frozenset(int(r[0]) for r in rows)
    return memo[key]
