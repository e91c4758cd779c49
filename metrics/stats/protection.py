"""Secondary suppression that holds against every published sum solved jointly.

The greedy pass (`secondary_suppression`) makes sure no single equation has exactly one hidden
cell. That is not enough once equations overlap: a hidden cell can be pinned by several sums
together, or to a range so narrow that a count of 1–4 is as good as shown. So after the greedy
pass interval propagation (`metrics.stats.propagation`: the bounds arithmetic an attacker does
with pencil and paper) runs, and for every cell it pins too narrowly one more published cell
next to it is hidden – preferring one whose value widens the range enough, with the smallest
denominator – then the greedy pass and propagation run again, to a fixpoint. The result is
checked by propagation ("snabbkontroll", no linear programme: fast enough for every compute).

With `exact=True` the exact LP audit (`metrics.stats.audit`) then takes over the same loop and
proves the result against every deduction from the published sums ("fullständig LP-granskning").
It is far slower on large connected tables (minutes per indicator), hence opt-in.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from metrics.stats.audit import (
    ZERO,
    AuditBudget,
    AuditBudgetSpent,
    AuditResult,
    Finding,
    Quantity,
    audit,
    incidence_matrix,
    outer_bounds,
    published_system,
    required_width_of,
)
from metrics.stats.suppression import Equation, secondary_suppression

BoolArray = npt.NDArray[np.bool_]

MAX_ROUNDS = 500
"""A bound on the audit-and-hide rounds; each round hides at least one cell, so it is never reached
in practice, but a bug must not turn into an endless compute."""


LP_BUDGET = 20
"""Cells per component and round that get their own min/max LPs while protecting; the rest of the
unproven ones get a complementary cell right away (a little more hidden, far fewer LPs)."""


def _distinct(equations: list[Equation]) -> list[Equation]:
    seen: set[tuple[int, tuple[int, ...]]] = set()
    out: list[Equation] = []
    for parent, children in equations:
        key = (int(parent), tuple(int(c) for c in children))
        if key not in seen:
            seen.add(key)
            out.append((key[0], list(key[1])))
    return out


def protect(
    primary: npt.ArrayLike,
    numerator: Quantity,
    denominator: Quantity,
    *,
    numerator_within_denominator: bool,
    exact: bool = False,
    budget: AuditBudget | None = None,
    withheld: BoolArray | None = None,
    withheld_unknown: bool = False,
    withheld_targets: bool = False,
) -> tuple[BoolArray, AuditResult]:
    """Cells to hide (primary included) so that the check passes, and the check's outcome.

    `exact` False: protected and checked by propagation only (no LP). True: the exact LP audit
    proves the result, hiding more where it finds a cell propagation could not see through.
    `budget` (simplex iterations, `metrics.stats.audit.AuditBudget`) caps the exact audit: once it
    is spent, the result of propagation protection is returned with its snabbkontroll, marked
    `timed_out`. Work, not time: the same data always gives the same cells.
    `withheld`: cells the publishing rule leaves out. The caller marks those the primary rule
    would hide as hidden in `primary`; the others are treated as *published* – the attacker is
    assumed to know them, which is more than the real one does, so every pass holds for the real
    one too – and are the first choice for complementary cells (hiding them costs nothing).
    `withheld_unknown` (the publishing ladder's rungs): the exact audit models what the attacker
    really knows – every withheld cell is an unknown in the sums – and proves the published
    hidden cells. Withheld cells are unknowns of its LPs but not their targets (as in `matavla
    audit`): the propagation rounds protect the hidden ones among them, with the model above, and
    a final propagation check proves none is pinned; a withheld cell that is not hidden holds no
    small value (the primary rule would have hidden it), so pinning it discloses nothing.

    `withheld_targets` (the fallback rung, which withholds every kommun cell): the withheld cells
    the primary rule hides are LP targets too, not left to propagation. Propagation sees each sum
    alone, so it misses a kommun's small count recovered as the län minus its area groups
    (K = L − G1 − G2, `tests/test_fallback_rung_targets.py`); the LP does not.

    `numerator` and `denominator` carry every cell's true values (the audit itself only reads
    the published ones). Returns the final hidden mask and an `AuditResult` over all cells;
    if no more cells can be hidden and the audit still fails, its findings say which.
    """
    den_values = np.asarray(denominator.values, dtype=np.float64)
    # Complementary cells are chosen by this key: a withheld cell first (it is not published
    # anyway, so hiding it costs nothing), then the smallest denominator.
    prefer = den_values if withheld is None else np.where(withheld, -1.0, den_values)
    everything = _distinct([*numerator.equations, *denominator.equations])
    members = {
        "numerator": incidence_matrix(numerator.equations, den_values.size).tocsc(),
        "denominator": incidence_matrix(denominator.equations, den_values.size).tocsc(),
    }
    values = {
        "numerator": np.asarray(numerator.values, dtype=np.float64),
        "denominator": den_values,
    }
    incidence = {name: matrix.tocsr() for name, matrix in members.items()}
    widths = [q for q in (numerator, denominator) if q.audited and q.required_width is not None]

    def greedy(hidden: BoolArray) -> BoolArray:
        """The single-equation rule and the sum rule, alternated until neither hides more."""
        while True:
            hidden = secondary_suppression(hidden, prefer, everything)
            add = np.zeros(hidden.size, dtype=np.bool_)
            for q in widths:
                add |= _narrow_sums(
                    hidden,
                    incidence[q.name],
                    values[q.name],
                    float(q.required_width or 0),
                    prefer,
                    q.zero_publishable,
                )
            if not add.any():
                return hidden
            hidden = hidden | add

    hidden = greedy(np.asarray(primary, dtype=np.bool_))
    # Cheap rounds first: whatever interval propagation already pins too narrowly certainly fails,
    # so it gets its complement without a single LP. Only when propagation finds nothing more does
    # the LP audit run, to prove the rest (and catch what propagation cannot see).
    for _ in range(MAX_ROUNDS):
        findings = propagation_findings(hidden, numerator, denominator, numerator_within_denominator)
        add = np.zeros(hidden.size, dtype=np.bool_)
        for finding in findings:
            cell = _complement(finding, hidden | add, members, incidence, values, prefer)
            if cell is not None:
                add[cell] = True
        if not add.any():
            break
        hidden = greedy(hidden | add)
    if not exact:
        return hidden, quick_check(hidden, numerator, denominator, numerator_within_denominator)
    try:
        return _protect_exactly(
            hidden,
            numerator,
            denominator,
            numerator_within_denominator,
            greedy,
            members,
            incidence,
            values,
            budget,
            prefer,
            withheld if withheld_unknown and withheld is not None else None,
            np.asarray(primary, dtype=np.bool_) if withheld_targets else None,
        )
    except AuditBudgetSpent:
        # Honest fallback: what propagation protected, checked by propagation, and said so.
        result = quick_check(hidden, numerator, denominator, numerator_within_denominator)
        result.timed_out = True
        return hidden, result


def _protect_exactly(
    hidden: BoolArray,
    numerator: Quantity,
    denominator: Quantity,
    numerator_within_denominator: bool,
    greedy: Callable[[BoolArray], BoolArray],
    members: dict[str, sp.csc_matrix],
    incidence: dict[str, sp.csr_matrix],
    values: dict[str, npt.NDArray[np.float64]],
    budget: AuditBudget | None,
    prefer: npt.NDArray[np.float64],
    unknown: BoolArray | None = None,
    targets: BoolArray | None = None,
) -> tuple[BoolArray, AuditResult]:
    """Step 4 of docs/disclosure.md: the exact audit, hiding more until it passes.

    `prefer`: the order complementary cells are chosen in (withheld first). `unknown`: withheld
    cells the LP treats as unknowns (see `protect`'s `withheld_unknown`)."""
    den_values = values["denominator"]
    feasible = (values["numerator"], den_values)  # the true values satisfy every published sum
    extra = np.zeros(hidden.size, dtype=np.bool_) if unknown is None else unknown
    # Unknowns of the LPs that are not their targets: every withheld cell, or (`targets`, the
    # fallback rung) every withheld cell but those the primary rule hides.
    bounded = extra if targets is None else extra & ~targets

    def check(
        hidden: BoolArray, only: BoolArray | None = None, exact: bool = True, lp_budget: int | None = None
    ) -> AuditResult:
        return audit(
            hidden | extra,
            numerator,
            denominator,
            numerator_within_denominator=numerator_within_denominator,
            feasible=feasible,
            budget=budget,
            bounded_only=bounded if unknown is not None else None,
            only=only,
            exact=exact,
            lp_budget=lp_budget,
        )

    result = check(hidden, exact=False, lp_budget=LP_BUDGET)
    total = replace(result)

    for _ in range(MAX_ROUNDS):
        if result.passed:
            break
        add = np.zeros(hidden.size, dtype=np.bool_)
        for finding in result.findings:
            cell = _complement(finding, hidden | add | extra, members, incidence, values, prefer)
            if cell is not None:
                add[cell] = True
        if not add.any():
            break  # nothing left to hide next to the failing cells: report them
        before = hidden.copy()
        hidden = greedy(hidden | add)
        # Only what is not yet proven: the cells just hidden and the failing ones. Every cell
        # proven safe in an earlier round stays safe, as hiding more only widens its interval.
        only = (hidden & ~before) | result.failing_cells()
        result = check(hidden, only=only, exact=False, lp_budget=LP_BUDGET)
        total.lps += result.lps
        total.iterations += result.iterations
        total.seconds += result.seconds
    if not result.passed:
        # Nothing more to hide next to them: settle the flagged cells exactly, without the budget.
        result = check(hidden, only=result.failing_cells())
        total.lps += result.lps
        total.iterations += result.iterations
        total.seconds += result.seconds
    if unknown is not None:
        # Withheld cells are unknowns of the LPs but not their targets (as in `matavla audit`):
        # the propagation rounds before the LP protected the hidden ones among them; this proves
        # that the bounds arithmetic over what is published still pins none of them.
        withheld_cells = [
            f
            for f in propagation_findings(
                hidden | extra, numerator, denominator, numerator_within_denominator, extra & ~hidden
            )
            if extra[f.cell]
        ]
        result.findings = sorted([*result.findings, *withheld_cells], key=lambda f: (f.cell, f.quantity))
    # Cells outside the last round's targets passed before and their components only gained
    # unknowns since, which can only widen their intervals: the last result speaks for every cell.
    total.hidden = int(hidden.sum())
    total.findings = result.findings
    return hidden, total


def quick_check(
    hidden: BoolArray,
    numerator: Quantity,
    denominator: Quantity,
    numerator_within_denominator: bool,
    withheld: BoolArray | None = None,
) -> AuditResult:
    """The "snabbkontroll": every hidden cell that bounds arithmetic over the published sums pins.

    A pass proves that no cell can be pinned by propagation (single sums, sums of sums, x ≥ 0,
    numerator ≤ denominator, to a fixpoint) – not that no LP over all sums at once can.
    """
    started = time.perf_counter()
    findings = propagation_findings(hidden, numerator, denominator, numerator_within_denominator, withheld)
    return AuditResult(
        cells=int(hidden.size),
        hidden=int(hidden.sum()),
        findings=findings,
        seconds=time.perf_counter() - started,
    )


def propagation_findings(
    hidden: BoolArray,
    numerator: Quantity,
    denominator: Quantity,
    numerator_within_denominator: bool,
    withheld: BoolArray | None = None,
) -> list[Finding]:
    """Hidden cells that interval propagation alone pins narrower than required: certainly failing.

    `withheld` (the audit of stored results, where their values are unknown): cells the
    publishing rule leaves out. They were not hidden for being small, so one narrower than
    required fails only if it may be a small value: its upper bound is below
    `Quantity.publishable_from` (5 of a count, 10 of a denominator: what the primary rule would
    publish) and – when a 0 may be published – its lower bound above 0. E.g. a kommun's last
    month of a snapshot *is* its published year, determined but no small count.
    """
    if not hidden.any():
        return []
    quantities = (numerator, denominator)
    system = published_system(hidden, quantities, numerator_within_denominator)
    low, high = outer_bounds(system)
    n = system.n
    findings: list[Finding] = []
    for i, q in enumerate(quantities):
        if not q.audited:
            continue
        width = high[i * n : (i + 1) * n] - low[i * n : (i + 1) * n]
        required = required_width_of(q, system.scales[i])
        narrow = hidden & (width < required * (1 - 1e-9))
        if q.zero_publishable:  # pinned to exactly 0: a 0 may be published
            narrow &= ~(high[i * n : (i + 1) * n] <= ZERO)
        if withheld is not None and (small_below := q.publishable_from) is None:
            # A numerator that is no count (Σ COC, hours, SEK): the primary rule never hides it
            # for its own value, only for its cell's small denominator, which the denominator's
            # own check covers (every denominator has `publishable_from`). A withheld one pinned
            # is a value the rule would have published.
            narrow &= ~withheld
        elif withheld is not None and small_below is not None:
            q_low, q_high = low[i * n : (i + 1) * n], high[i * n : (i + 1) * n]
            may_be_small = q_high < small_below - 1e-9
            if q.zero_publishable:
                may_be_small &= q_low > ZERO
            narrow &= ~withheld | may_be_small
        for cell in np.flatnonzero(narrow).tolist():
            findings.append(Finding(cell, q.name, float(width[cell]), required))
    return findings


def _narrow_sums(
    hidden: BoolArray,
    by_equation: sp.csr_matrix,
    values: npt.NDArray[np.float64],
    required: float,
    den_values: npt.NDArray[np.float64],
    zero_publishable: bool = False,
) -> BoolArray:
    """Cells to hide where a published parent pins its hidden children's total below `required`.

    With the parent published, parent − shown children = Σ hidden children, and each hidden
    child lies between 0 and that total: a total below `max_count + 1` pins every one of them
    too narrowly. Hide one more child – one whose value makes up the lack, with the smallest
    denominator, else the largest – or the parent when every child is hidden already.
    """
    add = np.zeros(hidden.size, dtype=np.bool_)
    filled = np.nan_to_num(values, nan=0.0)
    matrix = by_equation.tocsr()
    parents = matrix.indices[matrix.indptr[:-1]]
    is_child = (matrix.data < 0).astype(np.float64)
    hidden_child = sp.csr_matrix(
        (is_child * hidden[matrix.indices], matrix.indices, matrix.indptr), shape=matrix.shape
    )
    hidden_sum = hidden_child @ filled
    hidden_count = np.asarray(hidden_child.sum(axis=1)).ravel()
    too_small = hidden_sum < required - 1e-9
    if zero_publishable:  # hidden children that add up to 0 are all 0, and a 0 may be published
        too_small &= hidden_sum > ZERO
    narrow = np.flatnonzero((hidden_count > 0) & ~hidden[parents] & too_small)
    for e in narrow.tolist():
        cells = matrix.indices[matrix.indptr[e] + 1 : matrix.indptr[e + 1]]
        shown = cells[~(hidden | add)[cells]]
        if shown.size == 0:
            add[parents[e]] = True
            continue
        need = required - hidden_sum[e]
        value = filled[shown]
        den = np.nan_to_num(den_values[shown], nan=np.inf)
        enough = value >= need
        if enough.any():
            pool = shown[enough]
            add[pool[np.lexsort((pool, den[enough]))[0]]] = True
        else:
            add[shown[np.lexsort((shown, den, -value))[0]]] = True
    return add


def _complement(
    finding: Finding,
    hidden: BoolArray,
    members: dict[str, sp.csc_matrix],
    incidence: dict[str, sp.csr_matrix],
    values: dict[str, npt.NDArray[np.float64]],
    den_values: npt.NDArray[np.float64],
) -> int | None:
    """A published cell to hide next to a failing one, or None when every neighbour is hidden.

    Neighbours are the cells that share an equation with it (then, if all of those are hidden,
    the cells two equations away). Preferred: a cell whose value is at least what the interval
    lacks, with the smallest denominator; else the one with the largest value.
    """
    by_cell, by_equation = members[finding.quantity], incidence[finding.quantity]
    frontier = np.array([finding.cell])
    for _ in range(3):
        equations = np.unique(by_cell[:, frontier].indices)
        cells = np.unique(by_equation[equations].indices)
        candidates = cells[~hidden[cells]]
        if candidates.size:
            break
        frontier = cells
    else:
        return None
    need = finding.required - finding.width
    value = np.nan_to_num(values[finding.quantity][candidates], nan=0.0)
    den = np.nan_to_num(den_values[candidates], nan=np.inf)
    enough = value >= need
    if enough.any():
        pool = candidates[enough]
        return int(pool[np.lexsort((pool, den[enough]))[0]])
    return int(candidates[np.lexsort((candidates, den, -value))[0]])
