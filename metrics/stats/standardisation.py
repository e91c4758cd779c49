"""Direct age standardisation with Dobson intervals, as PHE computes it (PHEindicatormethods).

A directly standardised rate (DSR) weights each age band's own rate xᵢ / nᵢ by a standard
population wᵢ: DSR = Σ wᵢ xᵢ / nᵢ / Σ wᵢ · multiplier. Its 95 % interval is Dobson et al.'s
(Stat Med 1991;10:457–62): the Byar interval of the total count O = Σ xᵢ, moved onto the DSR
scale with the DSR's variance, DSR + √(var / O) · (O_lower − O). PHE does not publish a DSR
below a total count of 10 (unreliable), and neither do we.

Where a person can have several events (emergency visits, admissions), the events are not
independent and the Poisson variance Σ wᵢ² xᵢ / nᵢ² is too small. PHE's adjustment (Fingertips
technical guidance, DSR chapter; `calculate_dsr(independent_events = FALSE)`) replaces xᵢ by
Σ over persons of (events per person)², i.e. Σ_f f² · persons with f events: pass it as
`sum_squares`.
"""

from __future__ import annotations

import numpy as np

from metrics.stats.intervals import Z95, ArrayLike, FloatArray, _as_float

MIN_DSR_COUNT = 10
"""A DSR and its interval are published only from this total count (PHE's rule)."""

ESP2013: tuple[tuple[int, int | None, int], ...] = (
    (0, 4, 5000),
    (5, 9, 5500),
    (10, 14, 5500),
    (15, 19, 5500),
    (20, 24, 6000),
    (25, 29, 6000),
    (30, 34, 6500),
    (35, 39, 7000),
    (40, 44, 7000),
    (45, 49, 7000),
    (50, 54, 7000),
    (55, 59, 6500),
    (60, 64, 6000),
    (65, 69, 5500),
    (70, 74, 5000),
    (75, 79, 4000),
    (80, 84, 2500),
    (85, 89, 1500),
    (90, 94, 800),
    (95, None, 200),
)
"""The European Standard Population 2013 in 5-year bands (low, high or None, persons per 100 000).

Source: Eurostat, "Revision of the European Standard Population – Report of Eurostat's task
force", Methodologies and Working papers, 2013 edition (KS-RA-13-028), table of the ESP 2013
by 5-year age group (age 0 = 1 000 and 1–4 = 4 000 are combined here as 0–4 = 5 000). The 20
weights sum to 100 000.
"""


def byars_bounds(count: ArrayLike, z: float = Z95) -> tuple[FloatArray, FloatArray]:
    """Byar's limits for an observed count O > 0, as PHEindicatormethods' byars_lower/byars_upper.

    Lower O·(1 − 1/(9O) − z/(3√O))³, upper (O+1)·(1 − 1/(9(O+1)) + z/(3√(O+1)))³; NaN for O <= 0.
    """
    o = _as_float(count)
    lower = np.full(o.shape, np.nan)
    upper = np.full(o.shape, np.nan)
    valid = o > 0
    ov = o[valid]
    lower[valid] = ov * (1 - 1 / (9 * ov) - z / (3 * np.sqrt(ov))) ** 3
    o1 = ov + 1
    upper[valid] = o1 * (1 - 1 / (9 * o1) + z / (3 * np.sqrt(o1))) ** 3
    return lower, upper


def dobson_interval(
    value: ArrayLike, variance: ArrayLike, count: ArrayLike, z: float = Z95
) -> tuple[FloatArray, FloatArray]:
    """value + √(variance / O) · (O_lower − O), and the same with O_upper; NaN where O <= 0.

    `value` and `variance` (of value) are in the same unit, O is the total count.
    """
    v, var, o = np.broadcast_arrays(_as_float(value), _as_float(variance), _as_float(count))
    o_low, o_high = byars_bounds(o, z)
    scale = np.full(o.shape, np.nan)
    positive = o > 0
    scale[positive] = np.sqrt(np.maximum(var[positive], 0.0) / o[positive])
    return v + scale * (o_low - o), v + scale * (o_high - o)


def directly_standardised_rate(
    counts: ArrayLike,
    populations: ArrayLike,
    weights: ArrayLike,
    multiplier: float,
    sum_squares: ArrayLike | None = None,
    z: float = Z95,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """DSR, lower and upper limit per row of `counts` (areas × age bands), in the multiplier's unit.

    `populations` has the shape of `counts`; `weights` (the standard population) one entry per
    band. `sum_squares`, if given, is Σ over persons of (events per person)² per cell, for
    non-independent events; without it the events are taken as independent (Σ k² = x).
    A band with no inhabitants and no events adds nothing; one with events but no inhabitants
    leaves the row undefined (NaN). Rows with a total count below MIN_DSR_COUNT get NaN.
    """
    x = np.atleast_2d(_as_float(counts))
    n = np.broadcast_to(_as_float(populations), x.shape)
    w = _as_float(weights)
    if w.ndim != 1 or w.shape[0] != x.shape[1]:
        raise ValueError(f"weights must have one entry per age band ({x.shape[1]}), got shape {w.shape}")
    if not np.isfinite(multiplier) or multiplier <= 0:
        raise ValueError(f"multiplier must be a positive number (1000 per 1 000), got {multiplier!r}")
    k2 = x if sum_squares is None else np.broadcast_to(_as_float(sum_squares), x.shape)
    x0 = np.nan_to_num(x, nan=0.0)
    k20 = np.nan_to_num(k2, nan=0.0)
    inhabited = n > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(inhabited, w / np.where(inhabited, n, 1.0), 0.0)  # wᵢ / nᵢ, 0 where no one lives
    undefined = ((~inhabited) & (x0 > 0)).any(axis=1) | np.isnan(n).any(axis=1)
    total_weight = w.sum()
    value = (share * x0).sum(axis=1) / total_weight * multiplier
    variance = (share * share * k20).sum(axis=1) / total_weight**2 * multiplier**2
    count = x0.sum(axis=1)
    lower, upper = dobson_interval(value, variance, count, z)
    hidden = undefined | (count < MIN_DSR_COUNT)
    for array in (value, lower, upper):
        array[hidden] = np.nan
    return value, lower, upper


def sum_rate_interval(
    total: ArrayLike, sum_squares: ArrayLike, population: ArrayLike, multiplier: float, z: float = Z95
) -> tuple[FloatArray, FloatArray]:
    """Interval for Σx / population · multiplier where each unit (a stay) carries x events (days).

    The Dobson interval with a single stratum: O = Σx and the rate's variance Σx² / population²
    (a compound Poisson total; PHE's adjustment for non-independent events with the stay as the
    unit). With every x = 1 it is Byar's interval of the count. The lower limit is not below 0.
    NaN where the population is <= 0 or the total is <= 0.
    """
    x, x2, pop = np.broadcast_arrays(_as_float(total), _as_float(sum_squares), _as_float(population))
    rate = np.full(x.shape, np.nan)
    variance = np.full(x.shape, np.nan)
    valid = pop > 0
    rate[valid] = x[valid] / pop[valid] * multiplier
    variance[valid] = x2[valid] / pop[valid] ** 2 * multiplier**2
    lower, upper = dobson_interval(rate, variance, x, z)
    return np.maximum(lower, 0.0), upper
