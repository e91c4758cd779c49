"""Confidence intervals and funnel-plot control limits, vectorised over numpy arrays.

Every function takes scalars, lists or arrays (also pandas Series, nullable ones included),
broadcasts its arguments against each other and returns float arrays of the broadcast shape.
Invalid cells (NaN, a denominator of 0, a negative count, more successes than trials) give NaN
in the output and never a warning: the engine calls these on whole result tables at once.

Methods, as the contract (core-indicators.md, "Intervals") requires:

- a count out of a denominator of the same kind: Wilson score interval;
- a count of events per population: exact (Garwood, chi-square/gamma) Poisson interval for a
  count below 10, Byar's approximation for 10 and above, divided by the population.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import special

ArrayLike = npt.ArrayLike
FloatArray = npt.NDArray[np.float64]

Z95 = 1.959963984540054
"""Standard normal quantile for a two-sided 95 % interval (Φ⁻¹(0.975))."""

Z998 = 3.090232306167813
"""Standard normal quantile for a two-sided 99.8 % interval (Φ⁻¹(0.999)), the outer funnel."""

EXACT_POISSON_BELOW = 10
"""Counts below this use the exact Poisson interval, counts at or above it Byar's approximation."""

FunnelKind = Literal["wilson", "poisson"]


def _as_float(values: ArrayLike) -> FloatArray:
    """Return `values` as a float array; pandas' missing values become NaN."""
    return np.asarray(values, dtype=np.float64)


def _tail(z: float) -> float:
    """Probability in one tail beyond `z`, e.g. 0.025 for Z95."""
    if not np.isfinite(z) or z <= 0:
        raise ValueError(f"z must be a positive number, got {z!r} (use Z95 = {Z95} for a 95 % interval)")
    return float(special.ndtr(-z))


def wilson_interval(successes: ArrayLike, trials: ArrayLike, z: float = Z95) -> tuple[FloatArray, FloatArray]:
    """Wilson score interval for the proportion successes / trials, as proportions 0–1.

    NaN where trials <= 0, either argument is NaN, successes < 0 or successes > trials.
    """
    x, n = np.broadcast_arrays(_as_float(successes), _as_float(trials))
    _tail(z)  # validates z
    valid = (n > 0) & (x >= 0) & (x <= n)  # False for NaN, so NaN never reaches the arithmetic
    lower = np.full(x.shape, np.nan)
    upper = np.full(x.shape, np.nan)
    xv, nv = x[valid], n[valid]
    p = xv / nv
    z2 = z * z
    centre = (p + z2 / (2 * nv)) / (1 + z2 / nv)
    half = z * np.sqrt(p * (1 - p) / nv + z2 / (4 * nv * nv)) / (1 + z2 / nv)
    # The bounds are 0 and 1 exactly at x = 0 and x = n; rounding would otherwise leave ±1e-17.
    lower[valid] = np.where(xv == 0, 0.0, np.clip(centre - half, 0.0, 1.0))
    upper[valid] = np.where(xv == nv, 1.0, np.clip(centre + half, 0.0, 1.0))
    return lower, upper


def _byar(x: FloatArray, z: float) -> tuple[FloatArray, FloatArray]:
    """Byar's approximation to the exact Poisson interval for counts x > 0."""
    lower = x * (1 - 1 / (9 * x) - z / (3 * np.sqrt(x))) ** 3
    x1 = x + 1
    upper = x1 * (1 - 1 / (9 * x1) + z / (3 * np.sqrt(x1))) ** 3
    return lower, upper


def _exact_poisson(x: FloatArray, tail: float) -> tuple[FloatArray, FloatArray]:
    """Exact (Garwood) Poisson interval for counts x >= 0: gamma quantiles, i.e. chi2.ppf(q, 2x) / 2."""
    # gammaincinv(0, q) is undefined; the lower bound of a zero count is 0 by definition.
    lower = np.zeros_like(x)
    positive = x > 0
    lower[positive] = special.gammaincinv(x[positive], tail)
    upper = special.gammaincinv(x + 1, 1 - tail)
    return lower, upper


def poisson_count_interval(count: ArrayLike, z: float = Z95) -> tuple[FloatArray, FloatArray]:
    """Interval for the mean of a Poisson count: exact below 10, Byar's approximation from 10.

    A count of 0 gives (0, 3.689) at 95 %. NaN where the count is NaN or negative. Non-integer
    counts are accepted; both methods are continuous in the count.
    """
    x = _as_float(count)
    tail = _tail(z)
    lower = np.full(x.shape, np.nan)
    upper = np.full(x.shape, np.nan)
    exact = (x >= 0) & (x < EXACT_POISSON_BELOW)
    byar = x >= EXACT_POISSON_BELOW
    lower[exact], upper[exact] = _exact_poisson(x[exact], tail)
    lower[byar], upper[byar] = _byar(x[byar], z)
    return lower, upper


def rate_interval(
    count: ArrayLike, population: ArrayLike, multiplier: float, z: float = Z95
) -> tuple[FloatArray, FloatArray]:
    """Interval for the rate count / population * multiplier (e.g. per 1 000 inhabitants).

    NaN where the population is NaN or <= 0, or the count is invalid for poisson_count_interval.
    """
    x, pop = np.broadcast_arrays(_as_float(count), _as_float(population))
    lower, upper = poisson_count_interval(x, z)
    scale = np.full(pop.shape, np.nan)
    has_population = pop > 0
    scale[has_population] = multiplier / pop[has_population]
    return lower * scale, upper * scale


def _poisson_count_limits(mean: FloatArray, tail: float) -> tuple[FloatArray, FloatArray]:
    """Counts l, u such that a kommun observing a count outside [l, u] has an exact interval excluding `mean`.

    u solves P(Gamma(u) <= mean) = tail, so u is the exact lower bound inverted; l solves
    P(Gamma(l + 1) <= mean) = 1 - tail, the exact upper bound inverted. For integer counts these
    are the usual Poisson tail points, P(X >= u) = tail and P(X <= l) = tail; between integers
    they interpolate smoothly, which is what a funnel curve needs. `mean` must be finite and >= 0.
    """
    # pdtrik(p, m) is the k with Poisson CDF(k; m) = gammaincc(k + 1, m) = p, continuous in k.
    lower = np.maximum(special.pdtrik(tail, mean), 0.0)
    upper = special.pdtrik(1 - tail, mean) + 1
    # pdtrik never returns k < 0, but for a mean below -ln(1 - tail) (0.0253 at 95 %) the upper
    # point lies between 0 and 1 counts; find it by bisection on the shape a in (0, 1].
    small = np.exp(-mean) > 1 - tail
    if np.any(small):
        m = mean[small]
        lo = np.zeros_like(m)
        hi = np.ones_like(m)
        for _ in range(60):  # 2**-60 is below float resolution on (0, 1]
            mid = (lo + hi) / 2
            below = special.gammaincc(mid, m) < 1 - tail  # gammaincc rises with the shape
            lo = np.where(below, mid, lo)
            hi = np.where(below, hi, mid)
        upper[small] = (lo + hi) / 2
    zero = mean == 0  # nothing is expected, so any event lies above the funnel
    upper[zero] = 0.0
    lower[zero] = 0.0
    return lower, upper


def funnel_limits(
    target: float,
    denominators: ArrayLike,
    kind: FunnelKind,
    multiplier: float,
    z: float = Z95,
) -> tuple[FloatArray, FloatArray]:
    """Funnel-plot control limits around `target` for each denominator, in the unit of `target`.

    `target` is the län (or reference) value in the indicator's unit and `multiplier` turns a
    proportion or a rate per inhabitant into that unit (100 for %, 1 000 for per 1 000). Use z=Z95
    for the inner (95 %) and z=Z998 for the outer (99.8 %) limits.

    kind "wilson": p0 ± z·√(p0(1 − p0)/n) with p0 = target/multiplier, clipped to [0, 1]. This is
    the Wilson score test inverted, so a kommun lies outside the limits exactly when its Wilson
    interval excludes the target (the method of the PHE Fingertips funnel plots for proportions).

    kind "poisson": the exact Poisson tail points of a count with mean target·n/multiplier,
    interpolated continuously (see _poisson_count_limits), divided by n and times multiplier. A
    kommun with a count below 10 lies outside exactly when its exact interval excludes the target;
    from 10 its Byar interval agrees with the exact one to well under 1 %.

    NaN where the denominator is NaN or <= 0, or everywhere if the target is NaN.
    """
    n = _as_float(denominators)
    tail = _tail(z)
    if kind not in ("wilson", "poisson"):
        raise ValueError(f"unknown funnel kind {kind!r}; use 'wilson' for proportions or 'poisson' for rates")
    if not np.isfinite(multiplier) or multiplier <= 0:
        raise ValueError(
            f"multiplier must be a positive number (100 for %, 1000 per 1 000), got {multiplier!r}"
        )
    lower = np.full(n.shape, np.nan)
    upper = np.full(n.shape, np.nan)
    if np.isnan(target):
        return lower, upper
    valid = n > 0
    nv = n[valid]
    if kind == "wilson":
        p0 = target / multiplier
        if not 0 <= p0 <= 1:
            raise ValueError(
                f"target {target!r} is not a proportion between 0 and {multiplier!r}; "
                "pass the län value in the indicator's unit and the matching multiplier"
            )
        half = z * np.sqrt(p0 * (1 - p0) / nv)
        lower[valid] = np.clip(p0 - half, 0.0, 1.0) * multiplier
        upper[valid] = np.clip(p0 + half, 0.0, 1.0) * multiplier
    else:
        if target < 0 or not np.isfinite(target):
            raise ValueError(f"target {target!r} must be a rate >= 0 for a 'poisson' funnel")
        count_lower, count_upper = _poisson_count_limits(target * nv / multiplier, tail)
        lower[valid] = count_lower / nv * multiplier
        upper[valid] = count_upper / nv * multiplier
    return lower, upper
