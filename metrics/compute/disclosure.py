"""Disclosure control for one indicator's cells: protect them at compute, audit them when stored.

Compute calls `protect_cells` after the primary rule: it builds every equation the results
publish (`metrics.compute.equations`), hides complementary cells until the check passes
(`metrics.stats.protection`) and refuses to publish an indicator whose cells still fail
(`DisclosureError`). The check is the propagation "snabbkontroll" by default, the exact LP
audit with `matavla compute --audit`. `audit_published` runs the exact LP audit on what the
`results` table holds, seeing only the published numbers – what `matavla audit` runs. Both
outcomes are kept in the `meta` table (`AUDIT_META_KEY` from compute, `LP_AUDIT_META_KEY` from
`matavla audit`) for the Data page.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import duckdb
import numpy as np
import numpy.typing as npt
import pandas as pd

from metrics.catalogue.model import Catalogue, Indicator
from metrics.compute.equations import CellEquations, cell_equations
from metrics.compute.publication import PublishingPlan, applies, with_withheld
from metrics.db import get_meta, set_meta
from metrics.errors import DisclosureError
from metrics.stats.audit import AuditBudget, AuditResult, Finding, Quantity, audit
from metrics.stats.protection import protect, quick_check
from metrics.wording import thousands

AUDIT_META_KEY = "audit"
LP_AUDIT_META_KEY = "audit_lp"

QUICK_CHECK = "snabbkontroll"
"""Propagation: every cell bounds arithmetic over the published sums pins (compute's default)."""
LP_CHECK = "fullständig LP-granskning"
"""The exact LP audit over all published sums jointly (`matavla audit`, `matavla compute --audit`)."""


def check_kind(exact: bool) -> str:
    return LP_CHECK if exact else QUICK_CHECK


def required_count_width(indicator: Indicator) -> float:
    """How wide a hidden count's feasible interval must stay: `max_count + 1` (contract: 5)."""
    return float(max(indicator.suppression.max_count + 1, 1))


def quantities(
    indicator: Indicator,
    numerator: npt.ArrayLike,
    denominator: npt.ArrayLike,
    equations: CellEquations,
) -> tuple[Quantity, Quantity]:
    """The numerator and denominator as the audit sees them.

    Counts (persons, events, answers, rows) must keep an interval of `max_count + 1`; sums of
    hours, days, SEK or Σ COC must merely not be determined. A population denominator is public
    (SCB), so it is not audited, though its sums still bound the numerator.
    """
    num = np.asarray(numerator, dtype=np.float64)
    den = np.asarray(denominator, dtype=np.float64)
    width = required_count_width(indicator)
    zero_publishable = indicator.suppression.min_count >= 1  # the primary rule shows a 0
    num_measure, den_measure = indicator.numerator, indicator.denominator
    den_is_count = den_measure.kind in ("rows", "persons", "per_person") or den_measure.is_count

    def nonnegative(values: npt.NDArray[np.float64]) -> bool:
        finite = values[np.isfinite(values)]
        return bool((finite >= 0).all())

    return (
        Quantity(
            "numerator",
            num,
            equations.numerator,
            required_width=width if num_measure.is_count else None,
            nonnegative=num_measure.is_count or nonnegative(num),
            zero_publishable=zero_publishable and num_measure.is_count,
            publishable_from=width if num_measure.is_count else None,
        ),
        Quantity(
            "denominator",
            den,
            equations.denominator,
            required_width=width if den_is_count else None,
            audited=den_measure.kind != "population",
            nonnegative=den_is_count or den_measure.kind == "population" or nonnegative(den),
            zero_publishable=zero_publishable and den_is_count,
            # The primary rule hides a denominator below `min_denominator` whatever its kind (a
            # sum of answers, as the patient survey's, or of hours): a withheld one that may be
            # below it is a small value, not one the rule would have published.
            publishable_from=float(indicator.suppression.min_denominator),
        ),
    )


def numerator_within_denominator(indicator: Indicator) -> bool:
    """A proportion (Wilson interval): the numerator counts a subset of the denominator's units."""
    return indicator.interval == "wilson"


def protect_cells(
    cells: pd.DataFrame,
    primary: npt.ArrayLike,
    numerator: npt.ArrayLike,
    denominator: npt.ArrayLike,
    indicator: Indicator,
    catalogue: Catalogue,
    *,
    exact: bool = True,
    budget: AuditBudget | None = None,
    withheld: npt.NDArray[np.bool_] | None = None,
    withheld_unknown: bool = False,
    withheld_targets: bool = False,
) -> tuple[npt.NDArray[np.bool_], AuditResult]:
    """Every cell to hide (primary included), checked; raises `DisclosureError` if the check fails.

    `exact` False: propagation protects and checks (no LP); True: the exact LP audit proves it,
    within `budget` (simplex iterations, shared with the caller's other rungs; None: no cap). Once
    it is spent the result of propagation protection is kept, checked by the snabbkontroll, and
    the outcome says so (`timed_out`). `withheld`: the cells
    the publishing rule leaves out – hidden where `primary` says so, otherwise assumed known to
    the attacker – and the first choice as complementary cells (`metrics.stats.protection`);
    `withheld_unknown`: the exact audit treats them as unknowns instead (the ladder's rungs).
    """
    equations = cell_equations(cells, indicator, catalogue)
    num, den = quantities(indicator, numerator, denominator, equations)
    hidden, result = protect(
        primary,
        num,
        den,
        numerator_within_denominator=numerator_within_denominator(indicator),
        exact=exact,
        budget=budget,
        withheld=withheld,
        withheld_unknown=withheld_unknown,
        withheld_targets=withheld_targets,
    )
    if not result.passed:
        check = check_kind(exact and not result.timed_out)
        raise DisclosureError(
            indicator.id,
            f"röjandekontrollen ({check}) underkänner resultatet: "
            + describe_findings(cells, result.findings)
            + " Resultatet publiceras inte; kontrollera indelningarna (area_levels) och tröskelvärdena.",
        )
    return hidden, result


def _cell_name(row: pd.Series) -> str:
    """'0512 2022-08 totalt', '05 2023 ålder 65-74': where a cell is, never what it holds."""
    if row["breakdown"] == "sex":
        what = f"kön {row['sex']}"
    elif row["breakdown"] == "age_band":
        what = f"ålder {row['age_band']}"
    else:
        what = "totalt"
    return f"{row['area_code']} {row['period']} {what}"


def describe_findings(cells: pd.DataFrame, findings: Iterable[Finding], limit: int = 3) -> str:
    """A Swedish sentence naming the failing cells (area, period, breakdown) – no values."""
    findings = list(findings)
    cell_ids = sorted({f.cell for f in findings})
    rows = cells.reset_index(drop=True)
    named = ", ".join(_cell_name(rows.iloc[i]) for i in cell_ids[:limit])
    more = f" och {thousands(len(cell_ids) - limit)} till" if len(cell_ids) > limit else ""
    count = thousands(len(cell_ids))
    return f"{count} dolda celler kan räknas fram eller ringas in för snävt ({named}{more})."


@dataclass(frozen=True)
class IndicatorAudit:
    indicator: str
    cells: pd.DataFrame  # the indicator's stored cells, row positions as in the findings
    result: AuditResult


def audit_published(
    results: pd.DataFrame, catalogue: Catalogue, *, exact: bool = True, plan: PublishingPlan | None = None
) -> list[IndicatorAudit]:
    """Audit the stored results of every catalogue indicator that has any, from published numbers only."""
    known = {i.id: i for i in catalogue.indicators}
    return [
        audit_indicator(cells, known[str(indicator_id)], catalogue, exact=exact, plan=plan)
        for indicator_id, cells in results.groupby("indicator", sort=True)
        if str(indicator_id) in known
    ]


def audit_indicator(
    cells: pd.DataFrame,
    indicator: Indicator,
    catalogue: Catalogue,
    *,
    exact: bool = True,
    plan: PublishingPlan | None = None,
) -> IndicatorAudit:
    """The exact LP audit (or with `exact` False the propagation "snabbkontroll") of one
    indicator's stored cells, from published numbers only.

    `plan`: the publishing rule the cells were computed with; the cells it withheld are added
    back as hidden ones (they are in the sums), so the audit models every sum exactly. Their
    values are unknown here, so one fails only where it may be a small value (`audit`'s
    `small_only`; the snabbkontroll: `propagation_findings` with `withheld`)."""
    stored = len(cells)
    if plan is not None and applies(indicator):
        cells = with_withheld(cells.reset_index(drop=True), plan, indicator)
    cells = cells.reset_index(drop=True)
    hidden = cells["suppressed"].astype(bool).to_numpy()
    # Hidden cells hold no numbers in `results`; mask anyway so only the published ones count.
    num = np.where(hidden, np.nan, cells["numerator"].astype(float).to_numpy())
    den = np.where(hidden, np.nan, cells["denominator"].astype(float).to_numpy())
    equations = cell_equations(cells, indicator, catalogue)
    num_q, den_q = quantities(indicator, num, den, equations)
    within = numerator_within_denominator(indicator)
    rebuilt = np.arange(len(cells)) >= stored  # the withheld cells put back
    if exact:
        # The withheld cells are LP targets too, failing only where they may be small: their
        # values are unknown here, and a small kommun count can be pinned by a combination of
        # sums that propagation does not see (K = L − G1 − G2 over two area levels). What
        # propagation pins the LP pins too, so no separate propagation check is needed.
        result = audit(hidden, num_q, den_q, numerator_within_denominator=within, small_only=rebuilt)
    else:
        result = quick_check(hidden, num_q, den_q, within, rebuilt)
    result.withheld = len(cells) - stored
    result.cells -= result.withheld
    result.hidden -= result.withheld
    return IndicatorAudit(indicator.id, cells, result)


def audit_summary(
    results: dict[str, AuditResult], computed_at: str, refused: Iterable[str] = (), check: str = QUICK_CHECK
) -> dict:
    """The small JSON record the Data page shows: which check, cells checked, hidden, passed, seconds.

    An indicator whose exact audit ran out of compute's work budget is recorded as checked by the
    snabbkontroll (`lp_timed_out`), and the weaker check then speaks for the whole run.
    """
    entries = {
        key: {
            "checked": r.cells,
            "hidden": r.hidden,
            "withheld": r.withheld,
            "passed": r.passed,
            "seconds": round(r.seconds, 3),
            "lps": r.lps,
            "lp_iterations": r.iterations,
            "check": QUICK_CHECK if r.timed_out else check,
            "lp_timed_out": r.timed_out,
            "rung": r.rung,
            # The work budgets it ran with: a different one may publish other cells.
            **({"budget": list(r.budget)} if r.budget is not None else {}),
        }
        for key, r in sorted(results.items())
    }
    return {
        "check": LP_CHECK
        if entries and all(e["check"] == LP_CHECK for e in entries.values())
        else (check if not entries else QUICK_CHECK),
        "computed_at": computed_at,
        "checked": sum(r.cells for r in results.values()),
        "hidden": sum(r.hidden for r in results.values()),
        "withheld": sum(r.withheld for r in results.values()),
        "passed": all(r.passed for r in results.values()) and not list(refused),
        "seconds": round(sum(r.seconds for r in results.values()), 2),
        "refused": sorted(refused),
        "lp_timed_out": sorted(key for key, r in results.items() if r.timed_out),
        "ladder": {key: r.rung for key, r in sorted(results.items()) if r.rung},
        "indicators": entries,
    }


def _stale_unproven(old: dict, refused: Iterable[str]) -> list[str]:
    """The refused indicators whose kept (stale) results were published on propagation alone:
    their entry in the record before said the LP ran out of budget or was not run at all
    (`compute --snabbkontroll`: the entry's check), or the record said so already."""
    entries = old.get("indicators") or {}
    before = set(old.get("stale_unproven") or []) | set(old.get("lp_timed_out") or [])

    def unproven(entry: dict) -> bool:
        return bool(entry.get("lp_timed_out")) or entry.get("check") == QUICK_CHECK

    return sorted(k for k in refused if k in before or (k in entries and unproven(entries[k])))


def record_audit(
    con: duckdb.DuckDBPyConnection,
    results: dict[str, AuditResult],
    computed_at: str,
    refused: Iterable[str] = (),
    *,
    replace_all: bool = True,
    check: str = QUICK_CHECK,
    key: str = AUDIT_META_KEY,
    kept: Iterable[str] = (),
) -> None:
    """Store the check's summary in `meta`; a partial run keeps the other indicators' entries.

    `computed_at`: when the checked results were computed (the Data page compares it with the
    latest compute to tell whether an LP audit still speaks for what is shown). `kept`: the
    indicators that failed this run for any reason (a refusal, an unreadable extract, an SQL
    error) and keep their last good results: those results keep their rung and their flag.
    """
    summary = audit_summary(results, computed_at, refused, check)
    summary["checked_at"] = datetime.now().isoformat(sep=" ", timespec="seconds")
    previous = get_meta(con, key)
    old = json.loads(previous) if previous else {}
    # A refused indicator keeps its last good results (stale), published on the rung recorded
    # then: `matavla audit` must rebuild that rung's withheld cells to audit them with the sums
    # that were published, so its rung stays in `ladder` though its entry goes.
    # So does one that failed otherwise (its results are kept all the same, engine.compute_all).
    stale_ids = set(summary["refused"]) | set(kept)
    stale_rungs = {k: r for k, r in (old.get("ladder") or {}).items() if k in stale_ids}
    summary["ladder"] = {**summary["ladder"], **stale_rungs}
    # A refused indicator's kept results may be older than the rule "nothing on propagation
    # alone": published when its LP ran out of budget, proven only by the snabbkontroll. That
    # stays known (and shown) for as long as those results are.
    summary["stale_unproven"] = _stale_unproven(old, stale_ids)
    if not replace_all and previous:
        entries = {**old.get("indicators", {}), **summary["indicators"]}
        for refused_id in summary["refused"]:  # not `key`: that names the meta row written below
            entries.pop(refused_id, None)
        recomputed = set(summary["indicators"]) | set(summary["refused"])
        refused_all = sorted(set(old.get("refused", [])) - recomputed | set(summary["refused"]))
        summary.update(
            indicators=entries,
            checked=sum(e["checked"] for e in entries.values()),
            hidden=sum(e["hidden"] for e in entries.values()),
            passed=all(e["passed"] for e in entries.values()) and not refused_all,
            seconds=round(sum(e["seconds"] for e in entries.values()), 2),
            withheld=sum(e.get("withheld", 0) for e in entries.values()),
            lp_timed_out=sorted(k for k, e in entries.items() if e.get("lp_timed_out")),
            ladder={
                **{k: e["rung"] for k, e in entries.items() if e.get("rung")},
                **{k: r for k, r in (old.get("ladder") or {}).items() if k in refused_all},
            },
            refused=refused_all,
            stale_unproven=_stale_unproven(old, set(refused_all) | set(kept)),
            # The weaker check speaks for all when a partial run mixed them.
            check=LP_CHECK if all(e.get("check") == LP_CHECK for e in entries.values()) else QUICK_CHECK,
        )
    set_meta(con, key, json.dumps(summary, ensure_ascii=False))
