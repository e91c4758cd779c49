"""Intervals for means, from per-cell sums (Σx, Σx², n).

The compute stage adds up, per cell, the values x of the units that make up the cell (a
person's continuity index, one home-care measurement) and their squares. Those sums add up
over kommuner, area groups and the län exactly like the numerator and denominator, so every
published cell gets its interval from three additive numbers.

No interval where the sample standard deviation is 0 (every value, or every person's mean, is
the same): the t interval would then be [m, m], and a comparison would take the mean as known
exactly, though a handful of equal values says nothing about the spread (ten persons who each
saw one doctor are not proof that every person does). The cell is then not compared.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from metrics.stats.intervals import Z95, ArrayLike, FloatArray, _as_float, _tail

# Σ of squared deviations at or below this share of Σ of squares counts as 0: the DOUBLE sums leave
# rounding of about 1e-16 relative where every value is the same (1e-12 is far above it and far
# below any real spread).
_NO_SPREAD = 1e-12


def mean_interval(
    total: ArrayLike, sum_squares: ArrayLike, n: ArrayLike, z: float = Z95
) -> tuple[FloatArray, FloatArray]:
    """Student-t interval for the mean Σx / n of n independent values, from Σx, Σx² and n.

    The sample variance is s² = (Σx² − (Σx)²/n) / (n − 1) and the interval
    mean ± t(n − 1) · s / √n, with t the quantile of the t distribution with n − 1 degrees of
    freedom at the level `z` gives for the normal (0.975 for Z95); for large n this is the
    normal interval. NaN where n < 2, an input is NaN or every value is the same (s = 0).
    """
    x, x2, count = np.broadcast_arrays(_as_float(total), _as_float(sum_squares), _as_float(n))
    tail = _tail(z)
    lower = np.full(x.shape, np.nan)
    upper = np.full(x.shape, np.nan)
    valid = (count >= 2) & np.isfinite(x) & np.isfinite(x2)
    with np.errstate(divide="ignore", invalid="ignore"):
        deviations = x2 - x * (x / count)
    valid &= deviations > _NO_SPREAD * np.abs(x2)
    xv, nv = x[valid], count[valid]
    mean = xv / nv
    variance = deviations[valid] / (nv - 1)
    half = stats.t.ppf(1 - tail, nv - 1) * np.sqrt(variance / nv)
    lower[valid] = mean - half
    upper[valid] = mean + half
    return lower, upper


def clustered_mean_interval(
    total: ArrayLike,
    n: ArrayLike,
    sum_squares: ArrayLike,
    sum_cross: ArrayLike,
    sum_m_squares: ArrayLike,
    clusters: ArrayLike,
    z: float = Z95,
) -> tuple[FloatArray, FloatArray]:
    """t interval for the mean R = ΣX / ΣM of rows grouped in independent clusters (persons).

    Per cluster j: Xⱼ the sum of its values, Mⱼ its number of rows; the arguments are ΣXⱼ = total,
    ΣMⱼ = n, ΣXⱼ², ΣXⱼMⱼ, ΣMⱼ² and the number of clusters k. The ratio estimator's variance is
    k/(k − 1) · Σ(Xⱼ − R·Mⱼ)² / n², with Σ(Xⱼ − R·Mⱼ)² = ΣXⱼ² − 2R·ΣXⱼMⱼ + R²·ΣMⱼ², and the
    interval R ± t(k − 1)·√var. With one row per cluster (Mⱼ = 1, k = n) it is `mean_interval`.
    NaN where k < 2, an input is NaN or every person's mean is the same (Σ(Xⱼ − R·Mⱼ)² = 0).
    """
    x, m, x2, xm, m2, k = np.broadcast_arrays(
        *(_as_float(a) for a in (total, n, sum_squares, sum_cross, sum_m_squares, clusters))
    )
    tail = _tail(z)
    lower = np.full(x.shape, np.nan)
    upper = np.full(x.shape, np.nan)
    valid = (k >= 2) & (m > 0) & np.isfinite(x) & np.isfinite(x2) & np.isfinite(xm) & np.isfinite(m2)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = x / m
        spread = x2 - 2 * ratio * xm + ratio**2 * m2
    valid &= spread > _NO_SPREAD * np.abs(x2)
    ratio, kv = ratio[valid], k[valid]
    variance = kv / (kv - 1) * spread[valid] / m[valid] ** 2
    half = stats.t.ppf(1 - tail, kv - 1) * np.sqrt(variance)
    lower[valid] = ratio - half
    upper[valid] = ratio + half
    return lower, upper
