"""Intervals for means, from per-cell sums (Σx, Σx², n).

The compute stage adds up, per cell, the values x of the units that make up the cell (a
person's continuity index, one home-care measurement) and their squares. Those sums add up
over kommuner, area groups and the län exactly like the numerator and denominator, so every
published cell gets its interval from three additive numbers.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from metrics.stats.intervals import Z95, ArrayLike, FloatArray, _as_float, _tail


def mean_interval(
    total: ArrayLike, sum_squares: ArrayLike, n: ArrayLike, z: float = Z95
) -> tuple[FloatArray, FloatArray]:
    """Student-t interval for the mean Σx / n of n independent values, from Σx, Σx² and n.

    The sample variance is s² = (Σx² − (Σx)²/n) / (n − 1) and the interval
    mean ± t(n − 1) · s / √n, with t the quantile of the t distribution with n − 1 degrees of
    freedom at the level `z` gives for the normal (0.975 for Z95); for large n this is the
    normal interval. NaN where n < 2 or an input is NaN.
    """
    x, x2, count = np.broadcast_arrays(_as_float(total), _as_float(sum_squares), _as_float(n))
    tail = _tail(z)
    lower = np.full(x.shape, np.nan)
    upper = np.full(x.shape, np.nan)
    valid = (count >= 2) & np.isfinite(x) & np.isfinite(x2)
    xv, x2v, nv = x[valid], x2[valid], count[valid]
    mean = xv / nv
    # Rounding can leave Σx² − (Σx)²/n a hair below 0 when every value is the same.
    variance = np.maximum(x2v - xv * mean, 0.0) / (nv - 1)
    half = stats.t.ppf(1 - tail, nv - 1) * np.sqrt(variance / nv)
    lower[valid] = mean - half
    upper[valid] = mean + half
    return lower, upper
