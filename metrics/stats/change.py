"""Change against the previous comparable period, tested by the interval of the change.

A change is "säker" (certain) only when the 95 % interval of the change excludes no change:

- a proportion (Wilson interval): Newcombe's hybrid score interval for the difference of two
  independent proportions (Newcombe RG. Interval estimation for the difference between
  independent proportions: comparison of eleven methods. Stat Med 1998;17:873–890, method 10);
- a rate per population (Poisson interval): the ratio of two Poisson rates, conditional on the
  total count: O₁ | O₁ + O₀ is binomial with π = P₁λ₁ / (P₁λ₁ + P₀λ₀), so a Wilson interval for π
  gives one for the rate ratio (Breslow & Day, Statistical methods in cancer research II, 1987,
  §2.5; the score version of the conditional test);
- any other value with a 95 % interval (a mean, an age-standardised rate): the MOVER interval
  for a difference (Zou GY, Donner A. Construction of confidence limits about effect measures:
  a general approach. Stat Med 2008;27:1693–1702), of which Newcombe's method is the special
  case with Wilson limits.

A partial period (the `complete` column false) is never compared with a complete one, and
nothing is compared when either cell is suppressed or missing.

The dashboard calls `tested_change(current, previous, interval=…, multiplier=…, direction=…)`
with two results rows (anything with the attributes of `ChangeCell`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from metrics.stats.intervals import Z95, ArrayLike, FloatArray, _as_float, wilson_interval

IMPROVING = "improving"
WORSENING = "worsening"
INCREASING = "increasing"
DECREASING = "decreasing"
NO_CHANGE = "no_change"
NOT_TESTED = "not_tested"  # a change without an interval: shown as a number, never as a verdict

CHANGE_WORDS = {
    IMPROVING: "säker förbättring",
    WORSENING: "säker försämring",
    INCREASING: "säker ökning",
    DECREASING: "säker minskning",
    NO_CHANGE: "ingen säker förändring",
    NOT_TESTED: "förändringen testas inte (inget konfidensintervall)",
}


def newcombe_difference(
    x1: ArrayLike, n1: ArrayLike, x0: ArrayLike, n0: ArrayLike, z: float = Z95
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """p₁ − p₀ and its Newcombe (hybrid Wilson score) interval, as proportions 0–1.

    NaN where either proportion is invalid (see wilson_interval).
    """
    a1, b1, a0, b0 = np.broadcast_arrays(_as_float(x1), _as_float(n1), _as_float(x0), _as_float(n0))
    l1, u1 = wilson_interval(a1, b1, z)
    l0, u0 = wilson_interval(a0, b0, z)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1, p0 = a1 / b1, a0 / b0
    diff = np.where(np.isnan(l1) | np.isnan(l0), np.nan, p1 - p0)
    return mover_difference(p1, l1, u1, p0, l0, u0, diff)


def mover_difference(
    v1: ArrayLike,
    low1: ArrayLike,
    high1: ArrayLike,
    v0: ArrayLike,
    low0: ArrayLike,
    high0: ArrayLike,
    diff: ArrayLike | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """v₁ − v₀ with the MOVER interval from each value's own interval (Zou & Donner 2008).

    L = d − √((v₁ − l₁)² + (u₀ − v₀)²), U = d + √((u₁ − v₁)² + (v₀ − l₀)²).
    """
    a, la, ua, b, lb, ub = (_as_float(v) for v in (v1, low1, high1, v0, low0, high0))
    d = a - b if diff is None else _as_float(diff)
    low = d - np.sqrt((a - la) ** 2 + (ub - b) ** 2)
    high = d + np.sqrt((ua - a) ** 2 + (b - lb) ** 2)
    return d, low, high


def rate_ratio_interval(
    x1: ArrayLike, pop1: ArrayLike, x0: ArrayLike, pop0: ArrayLike, z: float = Z95
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(x₁/pop₁) / (x₀/pop₀) and its interval from the conditional binomial (Wilson) interval.

    Given the total x₁ + x₀, x₁ is binomial with π = RR·pop₁ / (RR·pop₁ + pop₀), so
    RR = π/(1 − π) · pop₀/pop₁. A zero count gives a bound of 0 or ∞, never a NaN; NaN only
    where both counts are 0 (nothing to compare) or a population is not positive.
    """
    a1, p1, a0, p0 = np.broadcast_arrays(_as_float(x1), _as_float(pop1), _as_float(x0), _as_float(pop0))
    total = a1 + a0
    valid = (p1 > 0) & (p0 > 0) & (a1 >= 0) & (a0 >= 0) & (total > 0)
    lo_pi, hi_pi = wilson_interval(np.where(valid, a1, np.nan), np.where(valid, total, np.nan), z)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = p0 / p1
        ratio = np.where(valid, (a1 / p1) / (a0 / p0), np.nan)
        low = lo_pi / (1 - lo_pi) * scale
        high = np.where(hi_pi >= 1, np.inf, hi_pi / (1 - hi_pi) * scale)
    return ratio, np.where(valid, low, np.nan), np.where(valid, high, np.nan)


class ChangeCell(Protocol):
    """A result cell as the dashboard reads it (metrics.dashboard.data.ResultRow has these)."""

    value: float | None
    ci_low: float | None
    ci_high: float | None
    numerator: float | None
    denominator: float | None
    suppressed: bool
    missing: bool
    complete: bool


@dataclass(frozen=True)
class ChangeTest:
    outcome: str  # improving, worsening, increasing, decreasing, no_change or not_tested
    diff: float  # current − previous, in the indicator's unit (the crude value, or std where tested)
    low: float  # the interval of what was tested: a difference, or a ratio for rates
    high: float
    measure: str  # 'difference', 'ratio' or 'none'
    standardised: bool = False  # tested on the age-standardised values

    @property
    def words(self) -> str:
        return CHANGE_WORDS[self.outcome]

    @property
    def certain(self) -> bool:
        return self.outcome not in (NO_CHANGE, NOT_TESTED)


def _number(value: object) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _all_numbers(values: list[object]) -> list[float] | None:
    """The values as floats, or None when any of them is missing."""
    numbers = [_number(v) for v in values]
    return None if any(n is None for n in numbers) else [n for n in numbers if n is not None]


def _verdict(up: bool, down: bool, direction: str) -> str:
    if not (up or down):
        return NO_CHANGE
    if direction == "neutral":
        return INCREASING if up else DECREASING
    better = up == (direction == "higher")
    return IMPROVING if better else WORSENING


def tested_change(
    current: ChangeCell,
    previous: ChangeCell,
    *,
    interval: str,
    multiplier: float,
    direction: str,
    z: float = Z95,
) -> ChangeTest | None:
    """The tested change from `previous` to `current`, or None when they are not comparable.

    `interval` is the indicator's interval kind ('wilson', 'poisson' or 'none'), `multiplier`
    turns a proportion or a rate per inhabitant into the unit, `direction` is 'higher',
    'lower' or 'neutral'. Where both cells carry an age-standardised value with an interval
    (attributes std_value, std_ci_low, std_ci_high) the standardised values are tested.
    None when either cell is missing, suppressed, without a value, or covers its period in
    part (a partial period is never compared with a complete one).
    """
    for cell in (current, previous):
        if cell.missing or cell.suppressed or not cell.complete or _number(cell.value) is None:
            return None
    std = _all_numbers(
        [
            getattr(c, name, None)
            for c in (current, previous)
            for name in ("std_value", "std_ci_low", "std_ci_high")
        ]
    )
    if std is not None:
        v1, l1, h1, v0, l0, h0 = std
        d, lo, hi = (float(x) for x in mover_difference(v1, l1, h1, v0, l0, h0))
        return ChangeTest(_verdict(lo > 0, hi < 0, direction), d, lo, hi, "difference", True)
    value1, value0 = _number(current.value), _number(previous.value)
    assert value1 is not None and value0 is not None
    diff = value1 - value0
    counts = _all_numbers([current.numerator, current.denominator, previous.numerator, previous.denominator])
    if interval == "wilson" and counts is not None:
        _, lo_p, hi_p = newcombe_difference(counts[0], counts[1], counts[2], counts[3], z)
        lo, hi = float(lo_p) * multiplier, float(hi_p) * multiplier
        if math.isnan(lo):
            return ChangeTest(NOT_TESTED, diff, lo, hi, "none")
        return ChangeTest(_verdict(lo > 0, hi < 0, direction), diff, lo, hi, "difference")
    if interval == "poisson" and counts is not None:
        _, lo_r, hi_r = rate_ratio_interval(counts[0], counts[1], counts[2], counts[3], z)
        lo, hi = float(lo_r), float(hi_r)
        if math.isnan(lo):  # both counts 0: no events, no change to speak of
            return ChangeTest(NO_CHANGE, diff, lo, hi, "ratio")
        return ChangeTest(_verdict(lo > 1, hi < 1, direction), diff, lo, hi, "ratio")
    bounds = _all_numbers([current.ci_low, current.ci_high, previous.ci_low, previous.ci_high])
    if bounds is None:
        return ChangeTest(NOT_TESTED, diff, math.nan, math.nan, "none")
    l1, h1, l0, h0 = bounds
    d, lo_d, hi_d = (float(x) for x in mover_difference(value1, l1, h1, value0, l0, h0))
    return ChangeTest(_verdict(lo_d > 0, hi_d < 0, direction), d, lo_d, hi_d, "difference")
