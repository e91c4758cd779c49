"""Suppression of small cells: the primary rule per cell and secondary suppression across sums.

Primary suppression hides a cell whose denominator is small or whose numerator is a small count
of persons or events (contract: denominator below 10, or a count between 1 and 4). Secondary
suppression then hides more cells so that no hidden value can be recovered by subtraction from
a shown total: the contract's rule for a län and its kommuner, generalised to any set of
equations "parent = Σ children" (a kommun total and its breakdown by sex, an area group...).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

ArrayLike = npt.ArrayLike
BoolArray = npt.NDArray[np.bool_]

Equation = tuple[int | np.integer, Sequence[int] | npt.NDArray[np.integer]]
"""(parent_index, child_indices): the parent cell's value is the sum of the children's."""


@dataclass(frozen=True)
class SuppressionRule:
    """Thresholds of the primary rule; the defaults are the contract's."""

    min_denominator: float = 10
    """A cell is suppressed when its denominator is below this."""
    min_count: int = 1
    """... or when its numerator is a count and min_count <= numerator <= max_count."""
    max_count: int = 4

    def __post_init__(self) -> None:
        if not np.isfinite(self.min_denominator) or self.min_denominator < 0:
            raise ValueError(
                f"min_denominator must be a number >= 0, got {self.min_denominator!r} (contract default: 10)"
            )
        if self.min_count < 0:
            raise ValueError(f"min_count must be >= 0, got {self.min_count!r} (contract default: 1)")
        # max_count < min_count is allowed on purpose: it switches the count rule off.


def primary_suppression(
    numerator: ArrayLike,
    denominator: ArrayLike,
    rule: SuppressionRule,
    numerator_is_count: bool,
) -> BoolArray:
    """Cells hidden by the primary rule, as a bool array of the broadcast shape.

    A NaN denominator is suppressed (nothing shows the value is safe). A NaN numerator does not
    trigger the count rule: there is no value to protect, and leaving the cell "shown" makes
    secondary suppression treat it as known, which errs on the safe side. Set
    `numerator_is_count` False for numerators that are not counts of persons or events (hours,
    days, SEK, Σ COC); only the denominator rule applies to them.
    """
    num, den = np.broadcast_arrays(
        np.asarray(numerator, dtype=np.float64), np.asarray(denominator, dtype=np.float64)
    )
    suppressed = ~(den >= rule.min_denominator)  # NaN compares False, so NaN is suppressed
    if numerator_is_count:
        suppressed |= (num >= rule.min_count) & (num <= rule.max_count)
    return np.asarray(suppressed, dtype=np.bool_)


def secondary_suppression(
    suppressed: ArrayLike,
    denominator: ArrayLike,
    equations: Sequence[Equation],
) -> BoolArray:
    """Cells to hide so that no hidden cell can be recovered from a single equation; a new array.

    `suppressed` (the primary result) and `denominator` are 1-D over all cells; each equation is
    (parent_index, child_indices) with parent = Σ children. Wherever exactly one cell of an
    equation is hidden, the unsuppressed child with the smallest denominator (ties: lowest index)
    is hidden too, or the parent if every child is already hidden. This repeats until no
    equation changes, so suppression cascades between overlapping equations (a kommun is a child
    of its län and the parent of its sex breakdown). The cells added are `result & ~suppressed`.

    Deterministic for a given input: equations are handled in order, then first in, first out.
    """
    hidden = np.array(suppressed, dtype=np.bool_)  # a copy: the caller's primary array is kept
    den = np.asarray(denominator, dtype=np.float64)
    if hidden.ndim != 1 or den.shape != hidden.shape:
        raise ValueError(
            f"suppressed and denominator must be 1-D arrays of the same length, "
            f"got shapes {hidden.shape} and {den.shape}"
        )
    if len(equations) == 0:
        return hidden
    n_cells = hidden.shape[0]

    # Flatten the equations into CSR form: members of equation e are members[start[e]:start[e + 1]],
    # the parent first. Vectorised from here on, apart from the worklist itself.
    sizes = np.fromiter((len(children) + 1 for _, children in equations), dtype=np.intp, count=len(equations))
    members = np.fromiter(
        (cell for parent, children in equations for cell in (parent, *children)),
        dtype=np.intp,
        count=int(sizes.sum()),
    )
    if members.size and (members.min() < 0 or members.max() >= n_cells):
        bad = members[(members < 0) | (members >= n_cells)][0]
        raise ValueError(
            f"equation refers to cell {bad}, but there are only {n_cells} cells (0..{n_cells - 1})"
        )
    start = np.zeros(len(equations) + 1, dtype=np.intp)
    np.cumsum(sizes, out=start[1:])
    equation_of = np.repeat(np.arange(len(equations), dtype=np.intp), sizes)
    by_cell = np.argsort(members, kind="stable")  # within a cell, equations stay in ascending order
    sorted_cells, sorted_equations = members[by_cell], equation_of[by_cell]
    repeated = (sorted_cells[1:] == sorted_cells[:-1]) & (sorted_equations[1:] == sorted_equations[:-1])
    if repeated.any():
        # A repeated cell would be counted twice as hidden and defeat the "exactly one" test.
        at = int(np.argmax(repeated))
        raise ValueError(
            f"equation {sorted_equations[at]} lists cell {sorted_cells[at]} more than once "
            "(as parent and child, or twice as a child)"
        )
    is_child = np.ones(members.size, dtype=np.bool_)
    is_child[start[:-1]] = False

    # Children of each equation in the order they would be chosen: smallest denominator first,
    # then lowest index. NaN sorts last; such cells are normally hidden by the primary rule anyway.
    order = np.lexsort((members, den[members], is_child, equation_of))
    candidates = members[order].tolist()  # per equation: parent first, then children by preference

    # Which equations each cell takes part in, to revisit only those when it becomes hidden.
    cell_start = np.searchsorted(sorted_cells, np.arange(n_cells + 1)).tolist()
    equations_of_cell = sorted_equations.tolist()

    hidden_count = np.add.reduceat(hidden[members].astype(np.intp), start[:-1]).tolist()
    starts = start.tolist()
    is_hidden = hidden.tolist()  # Python lists: element access in the loop is far cheaper than numpy's
    worklist = deque(e for e, count in enumerate(hidden_count) if count == 1)

    while worklist:
        e = worklist.popleft()
        if hidden_count[e] != 1:  # another cell of it was hidden since it was queued
            continue
        parent = candidates[starts[e]]
        cell = next((c for c in candidates[starts[e] + 1 : starts[e + 1]] if not is_hidden[c]), parent)
        if is_hidden[cell]:  # an equation without children: nothing left to hide
            continue
        is_hidden[cell] = True
        for touched in equations_of_cell[cell_start[cell] : cell_start[cell + 1]]:
            hidden_count[touched] += 1
            if hidden_count[touched] == 1:
                worklist.append(touched)

    return np.array(is_hidden, dtype=np.bool_)


def equations_from_pairs(parents: ArrayLike, children: ArrayLike) -> list[Equation]:
    """Group (parent_index, child_index) pairs into equations, one per distinct parent.

    Convenient when the engine has, for every kommun cell, the index of its län cell: pass both
    columns. Children keep their order within a parent; parents come out in ascending order.
    """
    p = np.asarray(parents, dtype=np.intp)
    c = np.asarray(children, dtype=np.intp)
    if p.shape != c.shape or p.ndim != 1:
        raise ValueError(f"parents and children must be 1-D and of equal length, got {p.shape} and {c.shape}")
    if p.size == 0:
        return []
    order = np.argsort(p, kind="stable")
    p, c = p[order], c[order]
    unique, first = np.unique(p, return_index=True)
    groups = np.split(c, first[1:])
    return [(int(parent), group.tolist()) for parent, group in zip(unique, groups, strict=True)]
