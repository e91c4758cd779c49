"""The exact LP audit's work budget in compute: how many HiGHS simplex iterations it may use.

Compute proves each indicator's protection with the exact LP audit; when the audit runs out of
budget it publishes less (the ladder's rungs, then the fallback: län and area groups only), and
refuses what it cannot prove on any of them. The budget
is work, not time (issue 6 §3): a CPU-time cap decides near its boundary by how busy or fast the
machine is, so two computes of the same data could publish different cells. Simplex iterations
are a pure function of the LPs (the solver runs deterministically, `metrics.stats.audit`), so
the same extracts and catalogue always stop at the same LP and publish the same export.

The budget per indicator, first found wins:
1. `MATAVLA_AUDIT_ITERATIONS` (this run);
2. `MATAVLA_AUDIT_SECONDS` × `ITERATIONS_PER_SECOND` (this run, the older setting);
3. `settings.publication.audit_iterations`;
4. `settings.publication.audit_seconds` × `ITERATIONS_PER_SECOND` (default 120).
It is shared by the ladder's rungs before the last. The last rung (only years per kommun) gets
its own: `MATAVLA_AUDIT_LAST_RUNG_ITERATIONS`, else `settings.publication.
last_rung_audit_iterations`, else the same as the other rungs' (docs/disclosure.md).

Both are per län (`per_lan`): an indicator with cells in n län gets n times the budget. Each
län's kommuner add up to their own län (riket sums published län cells), so the LPs are the same
per län and the work grows with the number of län: with one budget for all 21, a national
installation gave each län a twenty-first of a region's and published only län cells.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from metrics.catalogue.model import Catalogue
from metrics.resources import (
    AUDIT_ITERATIONS_ENV,
    LAST_RUNG_ITERATIONS_ENV,
    audit_iterations_override,
    audit_seconds_override,
)

ITERATIONS_PER_SECOND = 2_500
"""The fixed rate `audit_seconds` is translated at: about what the audit's primal simplex does
per CPU second on the 2 % demo's LPs (benchmarks/bench_audit_budget.py). A constant, never
measured at run time, so a setting in seconds gives the same cells on every machine; on a slower
machine the same budget just takes longer."""


@dataclass(frozen=True)
class AuditBudgets:
    """Simplex iterations per indicator: for the ladder's rungs before the last (shared), and
    for the last rung on its own."""

    rungs: int
    last_rung: int


PER = "län"
"""What the budgets are per, recorded beside them (`AuditResult.budget`): results recorded
without it were audited with one budget for all län, and `compute --incremental` recomputes them
once (a national compute's had published only län cells)."""

UNLIMITED = 2**63 - 1
"""The budget of `audit_seconds: .inf`: no cap, as an infinite CPU-time cap was (the LP audit runs
every indicator to the end)."""


def seconds_to_iterations(seconds: float) -> int:
    if math.isinf(seconds):
        return UNLIMITED
    return min(round(seconds * ITERATIONS_PER_SECOND), UNLIMITED)


def audit_budgets(catalogue: Catalogue) -> AuditBudgets:
    """The budgets this run uses (module docstring: environment first, then the catalogue)."""
    settings = catalogue.publication
    rungs = audit_iterations_override(AUDIT_ITERATIONS_ENV)
    if rungs is None and (seconds := audit_seconds_override()) is not None:
        rungs = seconds_to_iterations(seconds)
    if rungs is None:
        rungs = settings.audit_iterations
    if rungs is None:
        rungs = seconds_to_iterations(settings.audit_seconds)
    last = audit_iterations_override(LAST_RUNG_ITERATIONS_ENV)
    if last is None:
        last = settings.last_rung_audit_iterations
    return AuditBudgets(rungs, rungs if last is None else last)


def per_lan(budgets: AuditBudgets, lan: int) -> AuditBudgets:
    """The budgets of an indicator with cells in `lan` län (at least one's: a kommun-only or
    area-only export still gets a whole budget)."""
    times = max(1, lan)
    return AuditBudgets(min(budgets.rungs * times, UNLIMITED), min(budgets.last_rung * times, UNLIMITED))
