"""Compute every indicator into the `results` table.

Each indicator is computed on its own: one that fails is reported by id and
recorded in `indicator_runs`; the others are written. A failed indicator keeps
its last good results, marked 'stale'. The whole `results` table is replaced in
one transaction, together with the run's record (`metrics.compute.runs`), so
the dashboard never sees half a run.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import duckdb
import numpy as np
import numpy.typing as npt
import pandas as pd

from metrics.catalogue.model import Catalogue, Indicator
from metrics.catalogue.problems import did_you_mean
from metrics.compute.areas import write_areas
from metrics.compute.audit_budget import PER, audit_budgets, per_lan
from metrics.compute.clusters import add_cluster_sums
from metrics.compute.disclosure import check_kind, protect_cells, record_audit
from metrics.compute.publication import (
    FALLBACK_RUNG,
    LADDER,
    LAST_RUNG,
    PublishingPlan,
    applies,
    publishing_plan,
    record_plan,
    rung_plan,
    withheld,
)
from metrics.compute.riket import RIKET_LEVEL, riket_hidden, whole_country_only
from metrics.compute.runs import DEFAULT_KEEP_RUNS, Failure, Outcome, failure_of, previous_results, record_run
from metrics.compute.sandbox import run_indicator_query
from metrics.compute.sqlgen import by_year, indicator_sql, per_person_sql
from metrics.compute.standardise import add_standardised_rates, standardised_rows
from metrics.compute.verdicts import add_verdicts
from metrics.compute.year_cells import (
    YearPlan,
    areas_fingerprint,
    drop_raw_cells,
    keep_coverage_prints,
    keep_raw_cells,
    rows_by_years,
    spliced_std_rows,
    why_not_by_years,
)
from metrics.db import RESULT_COLUMNS, set_meta
from metrics.errors import DisclosureError, MatavlaError
from metrics.extracts.coverage import COVERED_MONTHS, coverage_prints, write_covered_months
from metrics.extracts.declared_tables import ensure_declared_tables
from metrics.resources import audit_threads
from metrics.stats.audit import AuditBudget, AuditResult
from metrics.stats.intervals import rate_interval, wilson_interval
from metrics.stats.means import clustered_mean_interval, mean_interval
from metrics.stats.standardisation import sum_rate_interval
from metrics.stats.suppression import (
    SuppressionRule,
    primary_suppression,
)
from metrics.wording import thousands

# Runs one generated (DuckDB) query for an indicator and returns its rows.
QueryRunner = Callable[[Indicator, str], pd.DataFrame]


class QueryEngine(Protocol):
    """Another engine for the aggregation queries (`metrics.compute.spark_engine.SparkEngine`)."""

    def prepare(self, con: duckdb.DuckDBPyConnection) -> QueryRunner: ...


@dataclass(frozen=True)
class RunReport:
    indicator: str
    ok: bool
    rows: int
    seconds: float
    message: str | None = None
    failure: Failure | None = None
    run: int | None = None  # the run number it was computed in
    years: tuple[int, ...] | None = None  # the calendar years aggregated afresh; None: all


def period_labels(period_type: pd.Series, period_start: pd.Series) -> pd.Series:
    """'2024', '2024-Q1' or '2024-01'."""
    start = pd.to_datetime(period_start)
    year = start.dt.year.astype(str)
    quarter = year + "-Q" + start.dt.quarter.astype(str)
    month = year + "-" + start.dt.month.astype(str).str.zfill(2)
    return pd.Series(
        np.select([period_type == "year", period_type == "quarter"], [year, quarter], default=month),
        index=period_type.index,
    )


def finish_cells(
    raw: pd.DataFrame,
    indicator: Indicator,
    catalogue: Catalogue,
    *,
    exact_audit: bool = False,
    plan: PublishingPlan | None = None,
) -> pd.DataFrame:
    """From summed numerators and denominators to values, intervals and suppression.

    `exact_audit`: prove protection with the exact LP audit instead of propagation, within its
    work budget (`metrics.compute.audit_budget`). `plan`: the publishing rule (None: every cell is
    published); the cells it withholds are protected as hidden cells and then left out.
    """
    # Riket only for a period all 21 län deliver whole: another "riket" is neither protected nor kept.
    raw = whole_country_only(raw)
    # A missing kommun ("saknas") has no numbers to classify, test or protect; it is passed through.
    missing = raw[raw["missing"].astype(bool)]
    df = raw[~raw["missing"].astype(bool)].copy()
    df["period"] = period_labels(df["period_type"], df["period_start"])
    rule_on = plan is not None and applies(indicator)
    gone = withheld(df, plan) if plan is not None and rule_on else np.zeros(len(df), dtype=np.bool_)
    num = df["numerator"].astype(float).to_numpy()
    den = df["denominator"].astype(float).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(den > 0, num / den * indicator.multiplier, np.nan)
    df["value"] = value
    if indicator.interval == "wilson":
        low, high = wilson_interval(num, den)
        df["ci_low"], df["ci_high"] = low * indicator.multiplier, high * indicator.multiplier
    elif indicator.interval == "poisson":
        low, high = rate_interval(num, den, indicator.multiplier)
        df["ci_low"], df["ci_high"] = low, high
    elif indicator.interval == "mean" and "units" in df.columns:  # persons with several rows
        sums = (
            df[c].astype(float).to_numpy() for c in ("sum_squares", "sum_cross", "sum_m_squares", "units")
        )
        low, high = clustered_mean_interval(num, den, *sums)
        df["ci_low"], df["ci_high"] = low * indicator.multiplier, high * indicator.multiplier
    elif indicator.interval == "mean":
        low, high = mean_interval(num, df["sum_squares"].astype(float).to_numpy(), den)
        df["ci_low"], df["ci_high"] = low * indicator.multiplier, high * indicator.multiplier
    elif indicator.interval == "dobson":
        sq = df["sum_squares"].astype(float).to_numpy()
        df["ci_low"], df["ci_high"] = sum_rate_interval(num, sq, den, indicator.multiplier)
    else:
        df["ci_low"] = df["ci_high"] = np.nan

    rule = SuppressionRule(
        min_denominator=indicator.suppression.min_denominator,
        min_count=indicator.suppression.min_count,
        max_count=indicator.suppression.max_count,
    )
    primary = primary_suppression(num, den, rule, indicator.numerator.is_count)
    # Secondary suppression over every sum the results publish – areas, breakdowns and, where the
    # measure adds up over time, months → quarter → year (metrics.compute.equations) – checked by
    # propagation or the exact audit, or DisclosureError (metrics.compute.disclosure). Withheld
    # cells are in those sums: hidden where the primary rule would hide them, else assumed known
    # to the attacker (more than the real one knows), and the first choice as complements.
    # Riket is protected apart (`riket_hidden`): in the LP, riket = Σ län joined every län's
    # hidden cells into one problem, which at national size did not finish.
    is_riket = (df["area_level"] == RIKET_LEVEL).to_numpy()
    rest = ~is_riket
    final_rest, audit, gone_rest = _protect_on_the_ladder(
        df[rest].reset_index(drop=True),
        primary[rest],
        num[rest],
        den[rest],
        indicator,
        catalogue,
        gone[rest],
        exact_audit,
        plan if rule_on else None,
    )
    final, gone = np.zeros(len(df), dtype=np.bool_), np.zeros(len(df), dtype=np.bool_)
    final[rest], gone[rest] = final_rest, gone_rest
    if is_riket.any():
        final[is_riket] = riket_hidden(df, final | gone, is_riket)
        audit.cells += int(is_riket.sum())
        audit.hidden += int(final[is_riket].sum())
    audit.withheld = int(gone.sum())
    audit.cells -= audit.withheld
    audit.hidden -= int((final & gone).sum())
    df["suppressed"] = final
    df["suppression"] = pd.Series(np.where(primary, "primary", "secondary"), index=df.index).where(final)
    # Hidden cells keep no numbers at all: what is not stored cannot leak.
    for column in ("numerator", "denominator", "value", "ci_low", "ci_high"):
        df.loc[final, column] = np.nan
    df = df[~gone]  # what the publishing rule withholds is never stored
    df["indicator"] = indicator.id
    if rule_on and plan is not None and not missing.empty:
        # The rung's plan, not only the catalogue's rule: a kommun that did not deliver has no
        # "saknas" row where the rung publishes no kommun cell of its kind (rung 4: none at all).
        labelled = missing.assign(period="")
        missing = missing[~withheld(labelled, rung_plan(plan, audit.rung))]
    if not missing.empty:
        gone = missing.assign(
            indicator=indicator.id,
            period=period_labels(missing["period_type"], missing["period_start"]),
            value=np.nan,
            ci_low=np.nan,
            ci_high=np.nan,
            suppressed=False,
            suppression=None,
        )
        df = pd.concat([df, gone], ignore_index=True)
    # Columns filled by later stages (standardisation, trend, comparison) start empty.
    out = df.reindex(columns=list(RESULT_COLUMNS))
    out.attrs["audit"] = audit
    return out


def _protect_on_the_ladder(
    df: pd.DataFrame,
    primary: npt.NDArray[np.bool_],
    num: npt.NDArray[np.float64],
    den: npt.NDArray[np.float64],
    indicator: Indicator,
    catalogue: Catalogue,
    gone: npt.NDArray[np.bool_],
    exact_audit: bool,
    plan: PublishingPlan | None,
) -> tuple[npt.NDArray[np.bool_], AuditResult, npt.NDArray[np.bool_]]:
    """Protect the cells; once the exact audit's budget is spent, publish less until it proves what is left.

    Rung 0 is the catalogue's publishing rule; each later rung (`publication.LADDER`) withholds
    more kommun cells (a rung that withholds nothing more than the one before is skipped: on
    small data the rule already withholds what rungs 1–2 add). The budget is simplex iterations
    (`metrics.compute.audit_budget`: work, not time, so the same data always publishes the same
    rung and cells), n times the catalogue's for an indicator with cells in n län (`per_lan`).
    The rungs before the last share one budget: a later one gets what is left
    of it, not a fresh one (a fresh cap per rung cost the 2 % demo's build 15 s per indicator past
    the cap, for rungs whose LP did not finish either). The last rung – only years per kommun,
    far fewer sums – gets its own budget: with only the leftovers it was nearly always published
    on propagation alone, though its LP can finish. If that is spent too, the fallback rung
    withholds every kommun cell (län and area groups only), on a budget of its own as large; if
    its LP runs out as well, `DisclosureError`: propagation alone is never what publishes
    (docs/disclosure.md). The snabbkontroll (`exact_audit` False) has no LP to run out of
    budget. Returns the hidden cells, the check's outcome (with its `rung`) and the withheld
    cells.
    """
    setting = audit_budgets(catalogue)
    lan = int(df.loc[df["area_level"] == "lan", "area_code"].nunique())
    budgets = per_lan(setting, lan)
    threads = audit_threads()  # components solved side by side: the same cells, sooner
    budget = AuditBudget(budgets.rungs, workers=threads)
    rungs = LAST_RUNG + 1 if exact_audit and plan is not None else 1
    tried: npt.NDArray[np.bool_] | None = None
    rule_cells = gone  # what the catalogue's rule (rung 0) withholds
    spent_before = 0  # iterations spent from budgets given up (the shared one, at the last rung)
    failed: DisclosureError | None = None  # the last rung's outright failure, if it failed so

    def protect_rung(rung: int) -> tuple[npt.NDArray[np.bool_], AuditResult]:
        spent = budget.left() <= 0  # no LP work left: propagation only, no LP set up for nothing
        final, audit = protect_cells(
            df,
            primary,
            num,
            den,
            indicator,
            catalogue,
            exact=exact_audit and not spent,
            budget=budget,
            withheld=gone,
            withheld_unknown=rung > 0,
            # A withheld small kommun count is an LP target on every rung, not left to
            # propagation: it can be the län minus its area groups (K = L − G1 − G2), a combined
            # sum only the LP sees (docs/disclosure.md, tests/test_fallback_rung_targets.py).
            withheld_targets=rung > 0,
        )
        # The last rung's second try at the catalogue rule's own cells (it withholds nothing more,
        # e.g. years only) publishes what rung 0 does: recorded as rung 0, or the Data page and
        # compute would say a finer division was withheld when none was.
        audit.rung = 0 if np.array_equal(gone, rule_cells) else rung
        audit.timed_out |= exact_audit and spent
        # Recorded, so that `compute --incremental` recomputes an indicator whose budget setting
        # changed (per län: the number of län changes only with the data, recomputed anyway).
        audit.budget = (setting.rungs, setting.last_rung, PER) if exact_audit else None
        # All the work charged for the indicator, on every rung tried (what the budgets count).
        audit.iterations = spent_before + budget.spent
        return final, audit

    for rung in range(rungs):
        last = rung == rungs - 1 and rung > 0
        if rung:
            assert plan is not None
            if budget.left() <= 0 and not last:
                continue  # the shared budget is spent: straight to the last rung
            gone = withheld(df, rung_plan(plan, rung))
            # The same cells as the rung before: skipped – unless it is the last rung, whose own
            # budget is then a second try at them (e.g. an indicator with years only).
            if tried is not None and np.array_equal(gone, tried) and not last:
                continue
        if last:
            spent_before = budget.spent
            budget = AuditBudget(budgets.last_rung, workers=threads)
        tried = gone
        try:
            final, audit = protect_rung(rung)
        except DisclosureError as exc:
            # A rung the audit fails outright (e.g. a withheld quarter the bounds arithmetic
            # still pins, with nothing left beside it to hide) is not a reason to refuse: the
            # next rung publishes less, and the fallback least of all.
            if not exact_audit or plan is None:
                raise
            failed = exc
            continue
        if not audit.timed_out:
            return final, audit, gone
        failed = None
    if not exact_audit:
        return final, audit, gone  # the snabbkontroll: no LP to run out of budget
    # The last rung's LP ran out of its budget too. Propagation alone does not prove protection
    # (an outside attack solved cells it passed), so the indicator is not published on it: the
    # fallback withholds every kommun cell, on a budget of its own, and what even that cannot
    # prove is refused (its last good results are kept, marked stale).
    if plan is None:
        raise DisclosureError(
            indicator.id,
            "LP-granskningen kunde inte bevisa skyddet inom sin arbetsbudget "
            f"({thousands(audit.iterations)} simplexiterationer). Resultatet publiceras inte "
            "(de senast godkända visas, markerade som inaktuella). Höj `audit_iterations` under "
            "settings.publication i indicators.yaml och beräkna igen.",
        )
    fallback = withheld(df, rung_plan(plan, FALLBACK_RUNG))
    if not np.array_equal(fallback, gone):
        gone = fallback
        spent_before += budget.spent
        budget = AuditBudget(budgets.last_rung, workers=threads)
        final, audit = protect_rung(FALLBACK_RUNG)  # its DisclosureError refuses the indicator
        if not audit.timed_out:
            return final, audit, gone
    elif failed is not None:
        raise failed
    raise DisclosureError(
        indicator.id,
        "LP-granskningen kunde inte bevisa skyddet inom sin arbetsbudget "
        f"({thousands(audit.iterations)} simplexiterationer), inte ens med bara län och områden. "
        "Resultatet publiceras inte (de senast godkända visas, markerade som inaktuella). "
        "Höj `last_rung_audit_iterations` under settings.publication i indicators.yaml och beräkna igen.",
    )


def compute_indicator(
    con: duckdb.DuckDBPyConnection,
    indicator: Indicator,
    catalogue: Catalogue,
    *,
    exact_audit: bool = True,
    run: QueryRunner | None = None,
) -> pd.DataFrame:
    return checked_indicator(con, indicator, catalogue, exact_audit=exact_audit, run=run)[0]


def checked_indicator(
    con: duckdb.DuckDBPyConnection,
    indicator: Indicator,
    catalogue: Catalogue,
    *,
    exact_audit: bool = True,
    plan: PublishingPlan | None = None,
    run: QueryRunner | None = None,
    raw: pd.DataFrame | None = None,
    std_rows: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, AuditResult]:
    """The indicator's cells and the disclosure check's outcome (kept out of the frame's attrs,
    which pandas copies into every derived frame and parquet file).

    `plan`: the publishing rule; by default the catalogue's, with the kommuner's sizes from the
    database's `population`.

    `run`: where the aggregation queries run (default: DuckDB on `con`; `--engine spark` passes
    Spark's). Everything after them – intervals, suppression, audit – runs here on their cells.
    `raw`: the aggregation queries' rows when the caller has them (`year_cells.rows_by_years`);
    `std_rows` likewise the age standardisation's band rows (`year_cells.spliced_std_rows`).
    """
    if plan is None:
        plan = publishing_plan(con, catalogue.publication)
    if raw is None:
        raw = add_cluster_sums(con, indicator, indicator_rows(con, indicator, run=run), run=run)
    cells = finish_cells(raw, indicator, catalogue, exact_audit=exact_audit, plan=plan)
    audit: AuditResult = cells.attrs.pop("audit")
    cells = add_standardised_rates(con, indicator, cells, run=run, rows=std_rows)
    return add_verdicts(cells, indicator, catalogue), audit


# The key of the query's rows, in its ORDER BY ALL order (the columns after them follow from it).
ROW_KEY = ["area_code", "area_level", "period_type", "period_start", "breakdown", "sex", "age_band"]


def indicator_rows(
    con: duckdb.DuckDBPyConnection,
    indicator: Indicator,
    *,
    run: QueryRunner | None = None,
    shared: dict[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """The indicator query's rows; a per-person measure one calendar year at a time (`by_year`).

    The years' rows together, in the whole query's order (ORDER BY ALL: its key ascending, NULLs
    last, strings by code point as DuckDB compares UTF-8), are the whole query's rows.

    `shared` (one per compute run): a per-person measure's rows for every statistic, by query
    text (`sqlgen.per_person_sql`), so that COC and UPC over the same contacts group them once.
    """

    years = _covered_years(con, indicator) if by_year(indicator) else []
    if len(years) < 2:
        return year_rows(con, indicator, None, run=run, shared=shared)
    frames = [year_rows(con, indicator, year, run=run, shared=shared) for year in years]
    # a year without a row (covered, but no person with N ≥ 2) would turn text columns into object
    rows = pd.concat([f for f in frames if len(f)] or frames[:1], ignore_index=True)
    return rows.sort_values(ROW_KEY, na_position="last", kind="stable", ignore_index=True)


def year_rows(
    con: duckdb.DuckDBPyConnection,
    indicator: Indicator,
    year: int | None,
    *,
    run: QueryRunner | None = None,
    shared: dict[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """The rows of `indicator_sql(indicator, year)`, from the shared per-person query where it can."""

    def query(sql: str) -> pd.DataFrame:
        return run(indicator, sql) if run is not None else run_indicator_query(con, indicator, sql)

    if shared is None or indicator.numerator.kind != "per_person":
        return query(indicator_sql(indicator, year))
    sql = per_person_sql(indicator, year)
    if sql not in shared:
        shared[sql] = query(sql)
    return one_statistic(shared[sql], indicator.numerator.statistic or "continuity_index")


def one_statistic(rows: pd.DataFrame, statistic: str) -> pd.DataFrame:
    """One statistic's rows of a `per_person_sql` query, as the indicator's own query gives them."""
    own = {f"numerator_{statistic}": "numerator", f"sum_squares_{statistic}": "sum_squares"}
    picked = rows.rename(columns=own)
    columns = [*ROW_KEY, "numerator", "denominator", "sum_squares", "missing", "complete", "data_through"]
    return picked[columns].copy()


def _covered_years(con: duckdb.DuckDBPyConnection, indicator: Indicator) -> list[int]:
    """The calendar years a delivery of the indicator's source covers (rows outside them never count)."""
    try:
        sql = f"SELECT DISTINCT year(month) FROM {COVERED_MONTHS} WHERE source = ? ORDER BY 1"
        rows = con.execute(sql, [indicator.source]).fetchall()
    except duckdb.Error:  # no coverage table: the whole query says what is wrong
        return []
    return [int(r[0]) for r in rows]


def compute_all(
    con: duckdb.DuckDBPyConnection,
    catalogue: Catalogue,
    *,
    only: Sequence[str] | None = None,
    progress: Callable[[str], None] | None = None,
    catalogue_source: bytes | None = None,
    keep_runs: int = DEFAULT_KEEP_RUNS,
    exact_audit: bool = True,
    engine: QueryEngine | None = None,
    by_years: Mapping[str, YearPlan] | None = None,
) -> list[RunReport]:
    """Compute the catalogue's indicators (or `only` these) and replace their results.

    `exact_audit` (default): refuse to publish an indicator the exact LP audit fails, within its
    work budget (`metrics.compute.audit_budget`; once spent, the ladder publishes less until the
    LP proves it, and refuses an indicator not even its fallback rung proves); False: propagation
    only (`compute --snabbkontroll`).

    `catalogue_source`: the catalogue file's bytes, recorded with the run (hash and text).
    `keep_runs`: how many runs' results `results_history` keeps.
    `engine`: runs the aggregation queries elsewhere (Spark); None runs them on DuckDB.
    `by_years` (`compute --incremental`): per indicator, the calendar years to aggregate afresh;
    the other years' rows are the kept raw cells (`metrics.compute.year_cells`).
    """
    started_at = datetime.now()
    selected = [i for i in catalogue.indicators if only is None or i.id in only]
    known = [i.id for i in catalogue.indicators]
    if unknown := [i for i in only or () if i not in known]:
        hint = did_you_mean(unknown[0], known) or "`matavla check` visar katalogens indikatorer och fel"
        raise MatavlaError(
            f"indikatorn '{unknown[0]}' finns inte i katalogen, eller lämnades utanför för ett fel ({hint})"
        )
    if not selected:
        raise MatavlaError("katalogen har ingen indikator att beräkna (`matavla check` visar felen)")
    unreadable = ensure_declared_tables(con, catalogue.extracts)  # one not yet imported has no rows
    write_covered_months(con)
    covered = coverage_prints(con, written=True)  # kept with the raw cells (`runs.year_plan`)
    write_areas(con, catalogue)  # after the coverage: riket only where it covers all 21 län
    run = engine.prepare(con) if engine is not None else None
    plan = publishing_plan(con, catalogue.publication)
    areas = areas_fingerprint(con)
    raws: dict[str, pd.DataFrame] = {}  # the year-local indicators' raw cells, kept with the run
    std_raws: dict[str, pd.DataFrame] = {}  # and their age standardisation's band rows
    shared: dict[str, pd.DataFrame] = {}  # per-person rows for every statistic (indicator_rows)
    reports: list[RunReport] = []
    frames: list[pd.DataFrame] = []
    audits: dict[str, AuditResult] = {}
    refused: list[str] = []
    for number, indicator in enumerate(selected, start=1):
        started = time.perf_counter()
        try:
            if reads_unreadable := [unreadable[e.name] for e in indicator.extracts if e.name in unreadable]:
                raise reads_unreadable[0]
            raw, years, years_note = _raw_rows(
                con, indicator, (by_years or {}).get(indicator.id), areas, run, shared
            )
            std = _std_rows(con, indicator, years, areas, run)
            frame, audit = checked_indicator(
                con, indicator, catalogue, exact_audit=exact_audit, plan=plan, run=run, raw=raw, std_rows=std
            )
        except Exception as exc:  # one indicator's failure, whatever it is, must not stop the others
            if isinstance(exc, DisclosureError):
                refused.append(indicator.id)
            failure = failure_of(exc)  # never the database's own text: it can quote values
            message = failure.message
            reports.append(RunReport(indicator.id, False, 0, time.perf_counter() - started, message, failure))
            if progress:
                progress(f"[{number}/{len(selected)}] {indicator.id}: FEL – {message}")
            continue
        audits[indicator.id] = audit
        frames.append(frame)
        if why_not_by_years(indicator) is None:
            raws[indicator.id] = raw
            if std is not None:
                std_raws[indicator.id] = std
        seconds = time.perf_counter() - started
        reports.append(RunReport(indicator.id, True, len(frame), seconds, years=years))
        if progress:
            note = f" – {years_note}" if years_note else ""
            if audit.rung == FALLBACK_RUNG and audit.budget is not None:
                note += (
                    f" – {LADDER[audit.rung].lower()}: LP-granskningen kunde inte bevisa skyddet "
                    f"av kommunernas år inom {thousands(audit.budget[1])} simplexiterationer per län"
                )
            elif audit.rung and audit.budget is not None:  # a rung is only climbed with the LP's budget
                note += (
                    f" – {LADDER[audit.rung].lower()}: LP-granskningen kunde inte bevisa skyddet inom "
                    f"{thousands(audit.budget[0])} simplexiterationer per län med katalogens "
                    "publiceringsregel"
                )
            progress(
                f"[{number}/{len(selected)}] {indicator.id}: "
                f"{thousands(len(frame))} celler ({seconds:.1f} s){note}"
            )

    now = datetime.now().replace(microsecond=0)
    results = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(RESULT_COLUMNS))
    failed = [r.indicator for r in reports if not r.ok]
    con.execute("BEGIN TRANSACTION")
    try:
        stale = previous_results(con, failed)  # failed, but with earlier results to keep showing
        if only is None:
            # every indicator's rows go, except a failed one's last good results
            con.execute("DELETE FROM results WHERE NOT list_contains(?, indicator)", [failed])
            con.execute("DELETE FROM indicator_runs")
        else:
            ids = [r.indicator for r in reports]
            done = [r.indicator for r in reports if r.ok]
            con.execute("DELETE FROM results WHERE list_contains(?, indicator)", [done])
            con.execute("DELETE FROM indicator_runs WHERE list_contains(?, indicator)", [ids])
        con.register("new_results", results)
        con.execute(f"INSERT INTO results SELECT {', '.join(RESULT_COLUMNS)} FROM new_results")
        con.unregister("new_results")
        con.executemany(
            "INSERT INTO indicator_runs VALUES (?, ?, ?, ?, ?, ?)",
            [(r.indicator, _status(r, stale), r.message, r.rows, r.seconds, now) for r in reports],
        )
        set_meta(con, "computed_at", now.isoformat(sep=" "))
        record_plan(con, plan)
        record_audit(
            con,
            audits,
            now.isoformat(sep=" "),
            refused,
            replace_all=only is None,
            check=check_kind(exact_audit),
            kept=stale,
        )
        record = record_run(
            con,
            catalogue,
            [Outcome(r.indicator, r.ok, r.rows, r.seconds, r.failure, r.years) for r in reports],
            started_at=started_at,
            catalogue_source=catalogue_source,
            keep_runs=keep_runs,
            partial=only is not None,
        )
        keep_raw_cells(con, [r.indicator for r in reports if r.ok], raws, record.run, areas, std_raws)
        keep_coverage_prints(con, record.run, covered)
        if only is None:
            drop_raw_cells(con, keep=known)  # of indicators no longer in the catalogue
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return [dataclasses.replace(r, run=record.run) for r in reports]


def _raw_rows(
    con: duckdb.DuckDBPyConnection,
    indicator: Indicator,
    years: YearPlan | None,
    areas: str,
    run: QueryRunner | None,
    shared: dict[str, pd.DataFrame] | None = None,
) -> tuple[pd.DataFrame, tuple[int, ...] | None, str]:
    """The aggregation queries' rows – only `years` queried afresh where the plan allows it – the
    years queried (None: all), and what the progress line says about it ('' for a full compute)."""

    note = ""
    if years is not None:
        rows, note = rows_by_years(
            con,
            indicator,
            years,
            areas,
            year_rows=lambda year: year_rows(con, indicator, year, run=run, shared=shared),
        )
        if rows is not None:
            return rows, years.years, note
        note = f"hela indikatorn beräknad: {note}"
    rows = indicator_rows(con, indicator, run=run, shared=shared)
    return add_cluster_sums(con, indicator, rows, run=run), None, note


def _std_rows(
    con: duckdb.DuckDBPyConnection,
    indicator: Indicator,
    years: tuple[int, ...] | None,
    areas: str,
    run: QueryRunner | None,
) -> pd.DataFrame | None:
    """A year-local age-standardised indicator's band rows: only `years` queried afresh where its
    raw cells were spliced (`years` not None), else every year; None for any other indicator
    (`add_standardised_rates` then queries what it needs itself)."""
    if indicator.standard_population.kind == "none" or why_not_by_years(indicator) is not None:
        return None

    def query(year: int | None) -> pd.DataFrame:
        return standardised_rows(con, indicator, year, run)

    rows = spliced_std_rows(con, indicator, years, areas, year_rows=query) if years is not None else None
    return rows if rows is not None else query(None)


def _status(report: RunReport, stale: set[str]) -> str:
    """'ok'; 'stale' when it failed but its earlier results are kept; 'error' when it has none."""
    if report.ok:
        return "ok"
    return "stale" if report.indicator in stale else "error"
