"""Cheap outer bounds on hidden cells: interval propagation over the published sums.

What an attacker can deduce with pencil and paper – an equation's hidden members lie between
what the published part leaves and zero, numerator ≤ denominator – repeated until nothing
tightens. Every bound found here holds for every point the exact audit considers, so a cell
whose propagated interval is already narrower than required is *certainly* failing: protection
can hide a complement for it at once, without solving a linear programme. (The converse does
not hold: a wide propagated interval proves nothing; the LP audit proves the rest.)

Vectorised over all equations at once (scipy.sparse); no Python loop over cells.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

MAX_SWEEPS = 60
"""Propagation can creep along long chains; the bounds are valid after any number of sweeps."""


def _rest(total: FloatArray, infinite: IntArray, own: FloatArray, row: IntArray) -> FloatArray:
    """Per entry: the row's activity bound without the entry's own contribution."""
    own_inf = ~np.isfinite(own)
    rest = np.where(own_inf, total[row], total[row] - np.where(own_inf, 0.0, own))
    others_infinite = infinite[row] - own_inf.astype(np.intp)
    return np.where(others_infinite > 0, np.nan, rest)  # NaN: unbounded on that side


def propagate(
    matrix: sp.csr_matrix,
    rhs: FloatArray,
    lower: FloatArray,
    upper: FloatArray,
    pairs: tuple[IntArray, IntArray] | None = None,
    *,
    sweeps: int = MAX_SWEEPS,
) -> tuple[FloatArray, FloatArray]:
    """Bounds on every variable implied by `matrix @ x = rhs`, `lower ≤ x ≤ upper` and x[a] ≤ x[b].

    `matrix` has entries ±1 (parent +1, children −1) over the unknown variables only.
    `pairs` = (a, b): variable a never exceeds variable b (a numerator and its denominator).
    Returns new (lower, upper), never looser than the ones given.
    """
    low = np.array(lower, dtype=np.float64)
    high = np.array(upper, dtype=np.float64)
    coo = matrix.tocoo()
    row, col, a = coo.row.astype(np.intp), coo.col.astype(np.intp), coo.data
    if row.size == 0 and pairs is None:
        return low, high
    n_rows = matrix.shape[0]
    positive = a > 0
    for _ in range(sweeps):
        lo_c, hi_c = low[col], high[col]
        cmin = np.where(positive, a * lo_c, a * hi_c)  # each entry's smallest contribution
        cmax = np.where(positive, a * hi_c, a * lo_c)
        min_total = np.bincount(row, np.where(np.isfinite(cmin), cmin, 0.0), minlength=n_rows).astype(
            np.float64
        )
        max_total = np.bincount(row, np.where(np.isfinite(cmax), cmax, 0.0), minlength=n_rows).astype(
            np.float64
        )
        min_inf = np.bincount(row, ~np.isfinite(cmin), minlength=n_rows).astype(np.intp)
        max_inf = np.bincount(row, ~np.isfinite(cmax), minlength=n_rows).astype(np.intp)
        rest_min = _rest(min_total, min_inf, cmin, row)
        rest_max = _rest(max_total, max_inf, cmax, row)
        # a·x_k = rhs − rest, and a = ±1
        from_max = rhs[row] - rest_max  # a·x_k ≥ this
        from_min = rhs[row] - rest_min  # a·x_k ≤ this
        new_lo = np.where(positive, from_max, -from_min)
        new_hi = np.where(positive, from_min, -from_max)
        before_lo, before_hi = low.copy(), high.copy()
        ok_lo = ~np.isnan(new_lo)
        ok_hi = ~np.isnan(new_hi)
        np.maximum.at(low, col[ok_lo], new_lo[ok_lo])
        np.minimum.at(high, col[ok_hi], new_hi[ok_hi])
        if pairs is not None:
            num, den = pairs
            high[num] = np.minimum(high[num], high[den])
            low[den] = np.maximum(low[den], low[num])
        scale = 1e-9 * np.maximum(1.0, np.abs(np.where(np.isfinite(before_hi), before_hi, 0.0)))
        changed = (low > before_lo + scale) | (high < before_hi - scale)
        if not changed.any():
            break
    return low, high
