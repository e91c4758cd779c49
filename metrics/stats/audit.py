"""The disclosure audit: what an attacker can learn about hidden cells from the published ones.

An attacker who has every published cell knows every published sum (`Equation`: parent =
Σ children) and that counts are never negative; for a proportion also that a numerator never
exceeds its denominator. Solving those relations jointly is a linear programme: for a hidden
count x, the smallest and largest values consistent with everything published bound what the
attacker can know. The audit computes that feasible interval for every hidden numerator and
denominator and fails a cell whose interval is narrower than required (for a count
`max_count + 1`, so a count of 1–4 can never be pinned to a narrower range; for a sum of hours,
days or SEK: not determined).

Pure: arrays and equations in, findings out; the values of hidden cells are never read.
The LPs are solved by HiGHS (`highspy`), each component's model built once and re-solved from
the last basis as only the objective changes. To keep them small, hidden cells
are split into connected components (two hidden cells are connected when an equation holds
both); each component is its own LP. Every LP solution is a feasible point, so it also widens
the known range of every other cell of the component: most cells are proven safe by a handful
of LPs, and only the rest get their own min and max.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Literal

import highspy
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from highspy import _core
from scipy.sparse.csgraph import connected_components

from metrics.stats.propagation import propagate
from metrics.stats.suppression import Equation

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
QuantityName = Literal["numerator", "denominator"]

SPREAD_LPS = 20
"""At most this many spread witness LPs per component before each unproven variable gets its own
min and max (they stop earlier, once an LP up and one down prove nothing more)."""

ZERO = 1e-7
"""A maximum at or below this is 0 (LP round-off)."""

HIGHS_INT_MAX = 2**31 - 1
"""The largest iteration limit HiGHS accepts (its options are 32-bit; a larger one is refused and
the previous limit silently kept)."""

PRIMAL = 4
DUAL = 1
"""HiGHS's `simplex_strategy` values: the primal simplex, and the serial dual simplex."""

RELATIVE_TOLERANCE = 1e-7
"""Widths below this share of the component's scale count as zero (LP round-off)."""


@dataclass(frozen=True)
class Quantity:
    """One measure of every cell (numerator or denominator) as the audit sees it.

    `values` are the published numbers (hidden cells' entries are ignored). `equations` are the
    sums this measure obeys. `required_width` is the narrowest feasible interval a hidden value
    may have: `max_count + 1` for a count; None audits that it is merely not determined (a sum of
    hours or SEK). `audited` False skips the measure as a target (a population from public
    statistics), though its equations still constrain the other measure through x ≤ y.
    `nonnegative`: the attacker may assume values ≥ 0.
    """

    name: QuantityName
    values: FloatArray
    equations: Sequence[Equation]
    required_width: float | None
    audited: bool = True
    nonnegative: bool = True
    zero_publishable: bool = False
    """A count pinned to exactly 0 passes: the primary rule publishes a 0 (min_count ≥ 1)."""
    publishable_from: float | None = None
    """A withheld cell (publishing rule) known to be at least this passes: the primary rule would
    publish it (`max_count + 1` for a count numerator, `min_denominator` for a denominator)."""


@dataclass(frozen=True)
class Finding:
    """A hidden cell whose numerator or denominator is pinned too narrowly."""

    cell: int
    quantity: QuantityName
    width: float  # max − min over everything consistent with the published cells (0: determined)
    required: float

    @property
    def determined(self) -> bool:
        return self.width <= self.required * 1e-3 or self.width == 0


class _Stopped(Exception):
    """Another component failed, or Ctrl-C: this one stops before its next LP."""


class AuditBudgetSpent(Exception):
    """The exact audit ran out of its work budget (`AuditBudget`); nothing it found so far counts."""


@dataclass
class AuditBudget:
    """The exact audit's work budget: HiGHS simplex iterations, shared by every LP charged to it.

    Work, not time: a CPU-time cap decides near its boundary by how fast the machine happens to
    run, so two computes of the same data could publish different cells (issue 6 §3). The
    simplex iterations HiGHS needs for an LP depend only on the LP and the solver's options
    (single-threaded, fixed presolve and seed: `_solver`), so the same data and catalogue always
    run out at the same LP, whatever the load. Each LP costs its iterations, and at least 1.
    """

    iterations: int
    spent: int = 0
    workers: int = 1
    """Threads the components' LPs may be solved on at once (HiGHS lets go of the GIL while it
    solves). What is published does not depend on it: see `charge`."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def left(self) -> int:
        with self._lock:
            return max(self.iterations - self.spent, 0)

    def charge(self, iterations: int) -> bool:
        """Charge an LP's iterations (at least 1); True when that exceeds the budget, which is
        then spent to its last iteration and never past it.

        Whether the budget is exceeded depends only on the sum of all the iterations charged,
        not on their order, so components solved side by side run out of it exactly when the
        same components one after another would: each LP's iterations are a function of its
        component alone, and an LP stopped at its limit (`left() + 1` when it started) has used
        more than the budget had left even before the others charged theirs."""
        with self._lock:
            total = self.spent + max(int(iterations), 1)
            self.spent = min(total, self.iterations)
            return total > self.iterations


@dataclass
class AuditResult:
    cells: int
    hidden: int
    findings: list[Finding] = field(default_factory=list)
    components: int = 0
    lps: int = 0
    seconds: float = 0.0
    timed_out: bool = False  # the exact audit ran out of its budget: only the snabbkontroll speaks for it
    iterations: int = 0  # HiGHS simplex iterations of its LPs (what `AuditBudget` counts)
    withheld: int = 0  # cells the publishing rule left out (protected as hidden, never stored)
    rung: int = 0  # the publishing ladder's rung published (0: the catalogue's rule)
    # compute's work budget settings (rungs, last rung, what they are per); None: no LP budget
    budget: tuple[int, int, str] | None = None

    @property
    def passed(self) -> bool:
        return not self.findings

    def failing_cells(self) -> BoolArray:
        out = np.zeros(self.cells, dtype=np.bool_)
        out[[f.cell for f in self.findings]] = True
        return out


def incidence_matrix(equations: Sequence[Equation], n_cells: int) -> sp.csr_matrix:
    """Equations × cells, +1 for the parent and −1 for each child (so each row sums to 0)."""
    sizes = np.fromiter((len(children) + 1 for _, children in equations), dtype=np.intp, count=len(equations))
    cols = np.fromiter(
        (cell for parent, children in equations for cell in (parent, *children)),
        dtype=np.intp,
        count=int(sizes.sum()),
    )
    indptr = np.zeros(len(equations) + 1, dtype=np.intp)
    np.cumsum(sizes, out=indptr[1:])
    vals = -np.ones(cols.size)
    vals[indptr[:-1][sizes > 0]] = 1.0  # the parent comes first
    return sp.csr_matrix((vals, cols, indptr), shape=(len(equations), n_cells))


def _published_part(quantity: Quantity, unknown: BoolArray) -> tuple[sp.csr_matrix, FloatArray]:
    """The measure's equations over its unknown cells only, and their right-hand sides.

    parent − Σ children = 0 becomes Σ ±x_unknown = −(the same sum over the published cells).
    """
    values = np.asarray(quantity.values, dtype=np.float64)
    known = np.where(unknown, 0.0, values)
    matrix = incidence_matrix(quantity.equations, unknown.shape[0])
    rhs = -(matrix @ known)
    matrix = (matrix @ sp.diags(unknown.astype(np.float64))).tocsr()
    matrix.eliminate_zeros()
    return matrix, np.asarray(rhs, dtype=np.float64)


@dataclass(frozen=True)
class PublishedSystem:
    """What the attacker knows, over 2n variables (numerators 0..n-1, denominators n..2n-1).

    `matrix @ x = rhs` over the unknown variables (published ones are folded into `rhs`);
    `coupled` cells have both numerator and denominator unknown and numerator ≤ denominator.
    """

    n: int
    matrix: sp.csr_matrix
    rhs: FloatArray
    unknown: BoolArray
    coupled: BoolArray
    lower: FloatArray  # 0 for a measure known to be ≥ 0, else −inf
    scales: list[float]


def published_system(
    is_hidden: BoolArray, quantities: tuple[Quantity, Quantity], numerator_within_denominator: bool
) -> PublishedSystem:
    n = is_hidden.shape[0]
    # Variables 0..n-1 are the cells' numerators, n..2n-1 their denominators.
    unknown = np.concatenate(
        [is_hidden | ~np.isfinite(np.asarray(q.values, dtype=np.float64)) for q in quantities]
    )
    parts = [_published_part(q, unknown[i * n : (i + 1) * n]) for i, q in enumerate(quantities)]
    matrix = sp.hstack(
        [
            sp.vstack([parts[0][0], sp.csr_matrix((parts[1][0].shape[0], n))]),
            sp.vstack([sp.csr_matrix((parts[0][0].shape[0], n)), parts[1][0]]),
        ]
    ).tocsr()
    rhs = np.concatenate([parts[0][1], parts[1][1]])
    scales = [_scale(q, unknown[i * n : (i + 1) * n]) for i, q in enumerate(quantities)]
    coupled = unknown[:n] & unknown[n:] if numerator_within_denominator else np.zeros(n, dtype=np.bool_)
    lower = np.concatenate([np.full(n, 0.0 if q.nonnegative else -np.inf) for q in quantities])
    return PublishedSystem(n, matrix, rhs, unknown, coupled, lower, scales)


def outer_bounds(system: PublishedSystem) -> tuple[FloatArray, FloatArray]:
    """Cheap bounds every feasible point obeys (interval propagation, `metrics.stats.propagation`)."""
    n = system.n
    both = np.flatnonzero(system.coupled)
    low = np.where(system.unknown, system.lower, 0.0)
    high = np.where(system.unknown, np.inf, 0.0)
    return propagate(system.matrix, system.rhs, low, high, (both, both + n) if both.size else None)


def audit(
    hidden: npt.ArrayLike,
    numerator: Quantity,
    denominator: Quantity,
    *,
    numerator_within_denominator: bool,
    focus: npt.ArrayLike | None = None,
    exact: bool = True,
    feasible: tuple[npt.ArrayLike, npt.ArrayLike] | None = None,
    lp_budget: int | None = None,
    budget: AuditBudget | None = None,
    bounded_only: npt.ArrayLike | None = None,
    only: npt.ArrayLike | None = None,
    small_only: npt.ArrayLike | None = None,
) -> AuditResult:
    """Check every hidden cell's numerator and denominator against everything published.

    `hidden` marks the cells that are not published (1-D over all cells, like the values).
    `numerator_within_denominator`: a proportion, so the attacker knows numerator ≤ denominator.
    `focus` (optional bool array): only check the components that contain one of these cells
    (secondary suppression re-checks just what it changed). `exact` False spares the second LP
    of a cell already known to fail, so its reported width is only an upper bound. `feasible`
    (numerators, denominators of every cell, e.g. the true values at compute) is a point known
    to satisfy every relation: used only as one more witness, it never narrows an interval.
    `lp_budget` caps the cells per component that get their own LPs; beyond it an unproven cell
    is reported as failing (never the other way round), so a pass is always proven.
    `budget`: the simplex iterations the LPs may use (shared with the caller's other audits):
    raise `AuditBudgetSpent` when it runs out – work, not time, so that a busy machine does not
    change what is published.
    `bounded_only` (optional bool array): hidden cells that are unknowns of the LPs but not their
    targets – the cells the publishing rule withholds, checked by interval propagation only
    (`metrics.stats.protection.propagation_findings`); their LPs would dominate the audit's time.
    `small_only` (optional bool array): hidden cells that are LP targets but fail only when they
    may be a small value – the withheld cells of stored results (`matavla audit`), whose values
    nobody knows: a withheld cell was not hidden for being small, so pinning one that is certainly
    no small value discloses nothing. Such a cell fails when its feasible interval is narrower
    than required *and* its maximum is below the quantity's `publishable_from` *and*, where a 0
    may be published, its minimum is above 0 – the criterion of `propagation_findings` with
    `withheld`, on the exact interval. A quantity with `publishable_from` None (not a count)
    never fails on them. Cheap first: a cell the propagation bounds already show not small (lower
    bound ≥ `publishable_from`, or exactly 0 where a 0 may be published) is no target; a witness
    point at or above `publishable_from` (or at 0) proves the others without an LP of their own.
    """
    started = time.perf_counter()
    is_hidden = np.asarray(hidden, dtype=np.bool_)
    n = is_hidden.shape[0]
    result = AuditResult(cells=n, hidden=int(is_hidden.sum()))
    if not is_hidden.any():
        result.seconds = time.perf_counter() - started
        return result

    quantities = (numerator, denominator)
    system = published_system(is_hidden, quantities, numerator_within_denominator)
    matrix, rhs, unknown, scales = system.matrix, system.rhs, system.unknown, system.scales
    # Cheap outer bounds: a target already narrower than required fails, however the LPs come out.
    outer_low, outer_high = outer_bounds(system)

    # Components: the unknowns of one equation are connected, and so are a cell's numerator and
    # denominator when numerator ≤ denominator ties them.
    entry_row = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    same_row = entry_row[1:] == entry_row[:-1]
    coupled = system.coupled
    both = np.flatnonzero(coupled)
    src = np.concatenate([matrix.indices[:-1][same_row], both])
    dst = np.concatenate([matrix.indices[1:][same_row], both + n])
    graph = sp.coo_matrix((np.ones(src.size), (src, dst)), shape=(2 * n, 2 * n))
    _, labels = connected_components(graph, directed=False)

    zero_ok = np.concatenate([np.full(n, q.zero_publishable) for q in quantities])
    targets = np.zeros(2 * n, dtype=np.bool_)
    lp_targets = is_hidden if bounded_only is None else is_hidden & ~np.asarray(bounded_only, dtype=np.bool_)
    for i, q in enumerate(quantities):
        if q.audited:
            targets[i * n : (i + 1) * n] = lp_targets
    # Targets that fail only when they may be small, and from what value a quantity is no longer
    # small (inf: every value may be small, as for an ordinary target).
    small = np.zeros(2 * n, dtype=np.bool_)
    publishable = np.full(2 * n, np.inf)
    if small_only is not None:
        small_cells = np.asarray(small_only, dtype=np.bool_) & lp_targets
        for i, q in enumerate(quantities):
            part = slice(i * n, (i + 1) * n)
            if q.publishable_from is None:
                targets[part] &= ~small_cells  # not a count: a withheld one pinned is no small value
            else:
                small[part] = small_cells
                publishable[part] = q.publishable_from
        # Propagation's bounds hold for every feasible point: at least `publishable_from`, or
        # exactly 0 where a 0 may be published, is certainly no small value – no LP needed.
        certainly_not_small = (outer_low >= publishable - 1e-9) | (zero_ok & (outer_high <= ZERO))
        targets &= ~(small & certainly_not_small)
    # Where propagation alone says a small-only target may only be small (its maximum below
    # `publishable_from`, its minimum above 0 where a 0 may be published): with `exact` False a
    # target it pins too narrowly then fails without an LP, as an ordinary one does.
    outer_small = ~small | ((outer_high < publishable - 1e-9) & (~zero_ok | (outer_low > ZERO)))
    if only is not None:
        only_cells = np.asarray(only, dtype=np.bool_)
        targets &= np.concatenate([only_cells, only_cells])
    if focus is not None:
        focus_cells = np.asarray(focus, dtype=np.bool_)
        focused = np.concatenate([focus_cells, focus_cells]) & unknown
        targets &= np.isin(labels, np.unique(labels[focused]))

    # Group variables and equations by component.
    variables = np.flatnonzero(unknown)
    variables = variables[np.argsort(labels[variables], kind="stable")]
    var_bounds = np.searchsorted(labels[variables], np.arange(labels.max() + 2))
    has_entries = np.diff(matrix.indptr) > 0
    rows = np.flatnonzero(has_entries)
    row_label = labels[matrix.indices[matrix.indptr[rows]]]
    rows = rows[np.argsort(row_label, kind="stable")]
    row_bounds = np.searchsorted(np.sort(row_label), np.arange(labels.max() + 2))
    position = np.zeros(2 * n, dtype=np.intp)
    lower_bound = system.lower
    required = np.concatenate(
        [np.full(n, required_width_of(q, s)) for q, s in zip(quantities, scales, strict=True)]
    )
    point = None
    if feasible is not None:
        point = np.concatenate([np.asarray(v, dtype=np.float64) for v in feasible])

    jobs: list[dict[str, Any]] = []  # each `_audit_component`'s arguments after `result`
    for component in np.unique(labels[targets]):
        members = variables[var_bounds[component] : var_bounds[component + 1]]
        position[members] = np.arange(members.size)
        eq_rows = rows[row_bounds[component] : row_bounds[component + 1]]
        sub = matrix[eq_rows]
        a_eq = sp.csr_matrix(
            (sub.data, position[sub.indices], sub.indptr), shape=(eq_rows.size, members.size)
        )
        pairs = [(position[v], position[v + n]) for v in members if v < n and coupled[v]]
        result.components += 1
        jobs.append(
            dict(
                members=members,
                a_eq=a_eq,
                b_eq=rhs[eq_rows],
                pairs=pairs,
                lower=lower_bound[members],
                required=required[members],
                is_target=targets[members],
                scale=max(scales),
                n=n,
                quantities=quantities,
                exact=exact,
                feasible=None if point is None else point[members],
                lp_budget=lp_budget,
                outer_width=(outer_high - outer_low)[members],
                pinned_zero=(zero_ok & (outer_high <= ZERO))[members],
                zero_ok=zero_ok[members],
                budget=budget,
                small=small[members],
                publishable=publishable[members],
                outer_small=outer_small[members],
            )
        )
    _audit_components(jobs, result, 1 if budget is None else budget.workers)
    result.findings.sort(key=lambda f: (f.cell, f.quantity))
    result.seconds = time.perf_counter() - started
    return result


def _audit_components(jobs: list[dict[str, Any]], result: AuditResult, workers: int) -> None:
    """Run `_audit_component` on each job (its arguments after `result`, which gets what they find).

    With `workers` > 1 the components are solved side by side, the largest first, each into a
    result of its own, added up after: what they find and the work they are charged for are
    the same in any order (`AuditBudget.charge`). The first to run out of the budget stops the
    others at their next LP (the budget has nothing left), and its `AuditBudgetSpent` is raised."""

    # Set once compute stops waiting (all done, one failed, or Ctrl-C): the components still
    # running raise `_Stopped` before their next LP. The pool's threads are joined when the
    # interpreter exits, so without it a Ctrl-C left the process solving them to the end.
    stop = threading.Event()

    def run(job: dict[str, Any], into: AuditResult) -> AuditResult:
        _audit_component(into, **job, stop=stop)
        return into

    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            run(job, result)
        return
    largest_first = sorted(jobs, key=lambda job: -job["members"].size)
    pool = ThreadPoolExecutor(max_workers=min(workers, len(jobs)), thread_name_prefix="lp-audit")
    try:
        futures = [pool.submit(run, job, AuditResult(result.cells, result.hidden)) for job in largest_first]
        wait(futures, return_when=FIRST_EXCEPTION)
        stop.set()  # inside the try: a Ctrl-C just after `wait` must not skip it
    except BaseException:
        # Ctrl-C (or any error in this thread) while waiting: the queued components must not
        # start, and those running end with their current LP.
        stop.set()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True, cancel_futures=True)
    errors = [e for f in futures if not f.cancelled() and (e := f.exception()) is not None]
    # A real error (HiGHS refusing a model …) that has happened is raised before the budget's:
    # compute must not publish a fallback over it. One in a component that was stopped or
    # never started is not seen, on any number of threads (on one, the components after the
    # one that spent the budget do not run).
    real = [e for e in errors if not isinstance(e, (_Stopped, AuditBudgetSpent))]
    spent = [e for e in errors if isinstance(e, AuditBudgetSpent)]
    if real or spent:
        raise (real or spent)[0]
    for future in futures:
        part = future.result()
        result.findings.extend(part.findings)
        result.lps += part.lps
        result.iterations += part.iterations


def _audit_component(
    result: AuditResult,
    members: npt.NDArray[np.intp],
    a_eq: sp.csr_matrix,
    b_eq: FloatArray,
    pairs: list[tuple[int, int]],
    lower: FloatArray,
    required: FloatArray,
    is_target: BoolArray,
    scale: float,
    n: int,
    quantities: tuple[Quantity, Quantity],
    exact: bool,
    feasible: FloatArray | None,
    lp_budget: int | None,
    outer_width: FloatArray,
    pinned_zero: BoolArray,
    zero_ok: BoolArray,
    budget: AuditBudget | None,
    small: BoolArray,
    publishable: FloatArray,
    outer_small: BoolArray,
    stop: threading.Event | None = None,
) -> None:
    """Feasible intervals of one component's target variables; failures go into `result`.

    `small`: targets that fail only when they may be small (`audit`'s `small_only`): a feasible
    point at or above `publishable` – or at 0 where a 0 may be published – proves one as well as
    a wide interval does. `outer_small`: propagation's bounds say such a target may be small."""
    k = members.size
    a_ub = None
    if pairs:  # x ≤ y for the cells whose numerator and denominator are both unknown
        a_ub = sp.csr_matrix(
            (
                np.tile([1.0, -1.0], len(pairs)),
                (np.repeat(np.arange(len(pairs)), 2), np.array(pairs).ravel()),
            ),
            shape=(len(pairs), k),
        )
    blocks = [m for m in (a_eq if a_eq.shape[0] else None, a_ub) if m is not None]
    if not blocks:
        return  # in no published sum at all: anything from 0 up is possible
    # A cap far above anything published keeps every LP bounded; a value that reaches it is free.
    cap = 10 * scale + 100
    rows = sp.vstack(blocks).tocsc()
    row_lower = np.concatenate(
        [b_eq if a_eq.shape[0] else np.zeros(0), np.full(len(pairs), -highspy.kHighsInf)]
    )
    row_upper = np.concatenate([b_eq if a_eq.shape[0] else np.zeros(0), np.zeros(len(pairs))])
    box_lower = np.maximum(lower, -cap)
    solver = _solver()
    solver.passModel(_lp(rows, row_lower, row_upper, box_lower, np.full(k, cap)))
    spread: _Spread | None = None  # the spread witnesses' model, built when first needed

    def solve(objective: FloatArray, on: _core._Highs | None = None) -> FloatArray | None:
        highs = solver if on is None else on
        if stop is not None and stop.is_set():
            raise _Stopped
        left = 0
        if budget is not None:
            left = budget.left()
            if left <= 0:
                raise AuditBudgetSpent
            # An LP stops just past where the budget does, so one long LP cannot overrun it. One
            # past, not at it: HiGHS reports the limit reached, not optimal, when an LP needs
            # exactly as many iterations as its limit, so a limit of `left` would refuse an LP
            # that fits the budget exactly.
            highs.setOptionValue("simplex_iteration_limit", min(left + 1, HIGHS_INT_MAX))
        result.lps += 1
        highs.changeColsCost(objective.size, np.arange(objective.size, dtype=np.int32), objective)
        highs.run()
        iterations = int(highs.getInfo().simplex_iteration_count)
        result.iterations += iterations
        status = highs.getModelStatus()
        if budget is not None:
            over = budget.charge(iterations)  # never past the budget, even by the extra one
            if over or status == highspy.HighsModelStatus.kIterationLimit:
                raise AuditBudgetSpent
        if status != highspy.HighsModelStatus.kOptimal:
            return None
        return np.asarray(highs.getSolution().col_value, dtype=np.float64)[:k]

    low = np.full(k, np.inf)
    high = np.full(k, -np.inf)

    def seen(point: FloatArray | None) -> None:
        if point is not None:
            np.minimum(low, point, out=low)
            np.maximum(high, point, out=high)

    def safe(i: int) -> bool:
        if pinned_zero[i]:  # exactly 0 by bounds arithmetic: a 0 may be published
            return True
        if high[i] - low[i] >= required[i] * (1 - 1e-9) - RELATIVE_TOLERANCE * scale:
            return True
        # A small-only target some feasible point puts at or above `publishable_from` (or at 0,
        # where a 0 may be published) is not "certainly small": that is all it must prove.
        return bool(small[i]) and bool(high[i] >= publishable[i] - 1e-9 or (zero_ok[i] and low[i] <= ZERO))

    # Witnesses: the minimum of the component's total (0 where nothing published is in a sum)
    # moves most variables at once, down. By the dual simplex: all costs are ≥ 0 and every
    # variable starts at its lower bound, so the starting basis is dual feasible and the dual
    # simplex only has to repair the sums' right-hand sides – 80 iterations on a last-rung
    # component of aterinskrivning_30d_65 where the primal simplex first pivots out each
    # equation's fixed slack (3 092). Then the primal simplex for the cells' own LPs: only the
    # objective changes, the last basis stays primal feasible. (The maximum of the total is no
    # longer solved: the first spread witness pushes up exactly what still lacks height, and on
    # the last rung of the 2 % demo dropping it cut aterinskrivning_30d_65's iterations by 30 %.)
    solver.setOptionValue("simplex_strategy", DUAL)
    first = solve(np.ones(k))
    solver.setOptionValue("simplex_strategy", PRIMAL)
    if first is None:
        # The published sums contradict each other (rounding in a source?): nothing can be proven.
        for j in np.flatnonzero(is_target).tolist():
            _record(result, int(members[j]), n, quantities, 0.0, float(required[j]))
        return
    seen(first)
    if feasible is not None and np.isfinite(feasible).all():
        seen(feasible)
    # Spread witnesses: one LP pushes every still unproven target at once to the width it lacks,
    # and no further – it maximises Σ min(x_j − low_j, required_j) (up) or Σ min(high_j − x_j,
    # required_j) (down), low and high being the extremes seen so far – so that the targets do
    # not crowd each other out of shared sums, as pushing them without a cap did (the LP then
    # drove a few far and left the rest where they were). Each cell that reaches its cap is
    # proven by this point and the one it is measured against. Up first: after the extremes of
    # the total (0 where nothing published is in a sum) most cells lack height. Alternate while
    # an LP proves anything.
    targets = np.flatnonzero(is_target)
    if small.any():
        # Small-only targets the witnesses so far already prove stay proven (intervals only
        # widen): leave them out of the spread model, two rows each (the minimum of the total
        # proves nearly all withheld cells at once; on the 2 % demo they are most targets).
        targets = np.array([i for i in targets.tolist() if not (small[i] and safe(i))], dtype=np.intp)
    misses = 0
    up = True
    for _ in range(SPREAD_LPS):
        lacking = np.array([not safe(i) for i in targets.tolist()], dtype=np.bool_)
        if up:
            pushed = lacking & (cap - low[targets] >= required[targets])
        else:
            pushed = lacking & (high[targets] - box_lower[targets] >= required[targets])
        if pushed.any():
            if spread is None:
                # A small-only target is also proven at `publishable` (or 0): push it that far
                # (a denominator's 10 is more than its required 5, which left many to own LPs).
                reach = np.maximum(required, publishable)[targets]
                gains = np.where(small[targets], reach, required[targets])
                spread = _Spread(rows, row_lower, row_upper, box_lower, cap, targets, gains)
            before = int(lacking.sum())
            seen(solve(spread.objective(pushed, up, low[targets], high[targets]), spread.solver))
            proven = before - sum(not safe(i) for i in targets.tolist())
        else:
            proven = 0
        if sum(not safe(i) for i in targets.tolist()) == 0:
            break
        misses = 0 if proven else misses + 1
        if misses >= 2:  # neither direction proves anything more
            break
        up = not up
    # The narrowest first: they are the likeliest to fail.
    unproven = [i for i in np.flatnonzero(is_target).tolist() if not safe(i)]
    if not exact:
        # Propagation already pins these narrower than required: failing, whatever an LP says.
        certain = {i for i in unproven if outer_width[i] < required[i] * (1 - 1e-9) and outer_small[i]}
        for i in sorted(certain):
            _record(result, int(members[i]), n, quantities, float(outer_width[i]), float(required[i]))
        unproven = [i for i in unproven if i not in certain]
    unproven.sort(key=lambda i: (high[i] - low[i], i))
    for count, i in enumerate(unproven):
        if safe(i):
            continue
        if lp_budget is not None and count >= lp_budget:
            # Out of budget: unproven counts as failing. Conservative – protection then hides one
            # more cell next to it – and it keeps a big component's rounds to a few LPs.
            _record(
                result, int(members[i]), n, quantities, float(max(high[i] - low[i], 0.0)), float(required[i])
            )
            continue
        objective = np.zeros(k)
        objective[i] = -1.0
        seen(solve(objective))  # max x_i
        if safe(i):
            continue
        if zero_ok[i] and high[i] <= ZERO:
            continue  # its maximum is 0: it is 0, and a 0 may be published
        if not exact and not small[i] and high[i] - box_lower[i] < required[i]:
            # even the lowest value allowed leaves it too narrow: failing, however low it can go
            _record(result, int(members[i]), n, quantities, float(high[i] - low[i]), float(required[i]))
            continue
        objective[i] = 1.0
        seen(solve(objective))  # min x_i
        if not safe(i):
            _record(
                result, int(members[i]), n, quantities, float(max(high[i] - low[i], 0.0)), float(required[i])
            )


def _lp(
    rows: sp.csc_matrix,
    row_lower: FloatArray,
    row_upper: FloatArray,
    col_lower: FloatArray,
    col_upper: FloatArray,
) -> highspy.HighsLp:
    model = highspy.HighsLp()
    model.num_col_, model.num_row_ = rows.shape[1], rows.shape[0]
    model.col_cost_ = np.zeros(rows.shape[1])
    model.col_lower_, model.col_upper_ = col_lower, col_upper
    model.row_lower_, model.row_upper_ = row_lower, row_upper
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.start_ = rows.indptr
    model.a_matrix_.index_ = rows.indices
    model.a_matrix_.value_ = rows.data
    return model


class _Spread:
    """The spread witnesses' LP: the component's variables x, and per target j a gain t_j ≤ its
    required width, with t_j ≤ x_j − low_j (up) or t_j ≤ high_j − x_j (down); maximising Σ t_j
    over the pushed targets moves each towards the width it lacks and no further."""

    def __init__(
        self,
        rows: sp.csc_matrix,
        row_lower: FloatArray,
        row_upper: FloatArray,
        box_lower: FloatArray,
        cap: float,
        targets: npt.NDArray[np.intp],
        required: FloatArray,
    ) -> None:
        k, m = rows.shape[1], targets.size
        self.k, self.m, self.base = k, m, rows.shape[0]
        pick = sp.csr_matrix((np.ones(m), (np.arange(m), targets)), shape=(m, k))
        gains = sp.identity(m, format="csr")
        extended = sp.vstack(
            [
                sp.hstack([rows, sp.csr_matrix((rows.shape[0], m))]),
                sp.hstack([-pick, gains]),  # up: t_j − x_j ≤ −low_j
                sp.hstack([pick, gains]),  # down: t_j + x_j ≤ high_j
            ]
        ).tocsc()
        off = np.full(2 * m, highspy.kHighsInf)  # a row of a direction not pushed binds nothing
        # The primal simplex, with presolve, as for the cells' own LPs. On the last rung of the
        # 2 % demo the dual simplex needed fewer iterations for aterinskrivning_30d_65 (23 265
        # against 30 924) and akutbesok_inlaggning (50 398 against 78 784) but twice as many for
        # digitala_kontakter (215 418 against 105 241); without presolve 259 582 there.
        self.solver = _solver()
        self.solver.passModel(
            _lp(
                extended,
                np.concatenate([row_lower, np.full(2 * m, -highspy.kHighsInf)]),
                np.concatenate([row_upper, off]),
                np.concatenate([box_lower, np.full(m, -highspy.kHighsInf)]),
                np.concatenate([np.full(k, cap), required]),
            )
        )

    def objective(self, pushed: BoolArray, up: bool, low: FloatArray, high: FloatArray) -> FloatArray:
        """Set the rows of this push (the others off) and return its objective (minimised)."""
        m = self.m
        upper = np.full(2 * m, highspy.kHighsInf)
        if up:
            upper[:m] = np.where(pushed, -low, highspy.kHighsInf)
        else:
            upper[m:] = np.where(pushed, high, highspy.kHighsInf)
        index = np.arange(self.base, self.base + 2 * m, dtype=np.int32)
        # in highspy 1.16 but not in its type stubs
        self.solver.changeRowsBounds(2 * m, index, np.full(2 * m, -highspy.kHighsInf), upper)  # type: ignore[attr-defined]
        objective = np.zeros(self.k + m)
        objective[self.k :] = np.where(pushed, -1.0, 0.0)
        return objective


def _solver() -> _core._Highs:
    """A HiGHS instance whose every run is a pure function of the LP (the same iterations, the
    same solution), so that the work budget and the witnesses do not depend on the machine."""
    # The plain core class: `highspy.Highs()` prints a banner on stdout before any option can stop it.
    solver = _core._Highs()
    solver.setOptionValue("output_flag", False)
    # Only the objective changes between LPs, so the last solution stays primal feasible: the
    # primal simplex starts from it. Presolve still pays: it removes most of the sums' structure
    # (measured on the full demo, aterinskrivning_30d_65: 43 s → 7 s for the audit).
    solver.setOptionValue("simplex_strategy", PRIMAL)
    # Deterministic: no parallel simplex (a race between threads can change the pivots; the
    # primal simplex and LP presolve then run on one thread), presolve always on rather than
    # chosen, a fixed seed, and no time limit of HiGHS's own. Not `threads: 1`: HiGHS refuses a
    # run whose thread count differs from its process-wide scheduler's, once that is started.
    solver.setOptionValue("parallel", "off")
    solver.setOptionValue("presolve", "on")
    solver.setOptionValue("random_seed", 0)
    return solver


def _scale(quantity: Quantity, unknown: BoolArray) -> float:
    values = np.asarray(quantity.values, dtype=np.float64)[~unknown]
    return float(max(1.0, np.abs(values).max())) if values.size else 1.0


def required_width_of(quantity: Quantity, scale: float) -> float:
    if quantity.required_width is not None:
        return quantity.required_width
    return max(RELATIVE_TOLERANCE * scale, 1e-6)  # not determined


def _record(
    result: AuditResult,
    variable: int,
    n: int,
    quantities: tuple[Quantity, Quantity],
    width: float,
    required: float,
) -> None:
    quantity = quantities[0 if variable < n else 1]
    result.findings.append(Finding(variable % n, quantity.name, width, required))
