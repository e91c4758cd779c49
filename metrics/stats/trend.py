"""Recent trend over the last five annual points, by the method of the Fingertips trend markers.

Office for Health Improvement and Disparities, "Fingertips trend markers", Public Health
Technical Guidance (https://fingertips.phe.org.uk/static-reports/public-health-technical-guidance/
Presentation/Trend_markers.html), as implemented in the PHEindicatormethods R package
(`assign_trend_markers`, R/TrendMarkers.R and R/utils.R):

- the five most recent points, consecutive years, none missing or suppressed;
- proportions: the chi-squared test for trend (Armitage 1955),
  χ² = N (N·ΣOₜt − ΣOₜ·ΣNₜt)² / (ΣOₜ (N − ΣOₜ) (N·ΣNₜt² − (ΣNₜt)²)), N = ΣNₜ,
  with the direction from the least-squares slope of logit(pₜ) on t;
- every other value with a 95 % interval (rates, means, standardised rates): weighted least
  squares of the value on t with weights 1/σₜ², σₜ = (upper − lower) / (2 · 1.96),
  χ² = β² / Var(β), Var(β) = Σw / (Σw·Σwt² − (Σwt)²);
- significant when χ² exceeds the 99.8 % point of χ² on 1 degree of freedom (9.5495);
- a significant slope counts only if it keeps its sign when each point is left out in turn
  (one outlying year must not make a trend); otherwise "no significant change".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from metrics.stats.intervals import Z95, Z998, ArrayLike

POINTS = 5
CHI2_998 = Z998 * Z998  # 9.5495…: the 99.8 % point of chi-squared on 1 degree of freedom

IMPROVING = "improving"
WORSENING = "worsening"
INCREASING = "increasing"
DECREASING = "decreasing"
NO_CHANGE = "no_change"
CANNOT_CALCULATE = "cannot_calculate"

TREND_WORDS = {
    IMPROVING: "förbättras",
    WORSENING: "försämras",
    INCREASING: "ökar",
    DECREASING: "minskar",
    NO_CHANGE: "ingen säker trend",
    CANNOT_CALCULATE: "kan inte beräknas",
}


def proportion_trend_chi2(numerators: ArrayLike, denominators: ArrayLike, times: ArrayLike) -> float:
    """The chi-squared test for trend in proportions (one degree of freedom); NaN where undefined."""
    o, n, t = (np.asarray(v, dtype=float) for v in (numerators, denominators, times))
    big_n, total = n.sum(), o.sum()
    spread = big_n * (n * t * t).sum() - (n * t).sum() ** 2
    denominator = total * (big_n - total) * spread
    if not denominator > 0:
        return math.nan
    return float(big_n * (big_n * (o * t).sum() - total * (n * t).sum()) ** 2 / denominator)


def proportion_trend_slope(numerators: ArrayLike, denominators: ArrayLike, times: ArrayLike) -> float:
    """The direction of a proportion's trend: the least-squares slope of logit(p) on t.

    Where a proportion is 0 or 1 its logit is infinite; the slope of p itself, weighted by the
    denominators (the sign of the chi-squared test's score), gives the direction instead.
    """
    o, n, t = (np.asarray(v, dtype=float) for v in (numerators, denominators, times))
    p = o / n
    if np.all((p > 0) & (p < 1)):
        return _slope(np.log(p / (1 - p)), t, np.ones_like(t))
    return _slope(p, t, n)


def _slope(y: np.ndarray, t: np.ndarray, w: np.ndarray) -> float:
    sw = w.sum()
    spread = sw * (w * t * t).sum() - (w * t).sum() ** 2
    if not spread > 0:
        return math.nan
    return float((sw * (w * y * t).sum() - (w * t).sum() * (w * y).sum()) / spread)


def weighted_trend(
    values: ArrayLike,
    ci_low: ArrayLike,
    ci_high: ArrayLike,
    times: ArrayLike,
    z: float = Z95,
) -> tuple[float, float]:
    """(β, χ²) of the inverse-variance weighted regression of the value on t; NaN where undefined."""
    y, lo, hi, t = (np.asarray(v, dtype=float) for v in (values, ci_low, ci_high, times))
    sigma = (hi - lo) / (2 * z)
    if not np.all(sigma > 0):
        return math.nan, math.nan
    w = 1 / sigma**2
    beta = _slope(y, t, w)
    sw = w.sum()
    variance = sw / (sw * (w * t * t).sum() - (w * t).sum() ** 2)
    return beta, float(beta * beta / variance)


@dataclass(frozen=True)
class TrendResult:
    outcome: str  # improving, worsening, increasing, decreasing, no_change, cannot_calculate
    reason: str  # Swedish, for a tooltip or a table
    slope: float = math.nan  # per year: of logit(p) for proportions, of the value otherwise
    chi2: float = math.nan

    @property
    def words(self) -> str:
        return TREND_WORDS[self.outcome]


def recent_trend(
    years: Sequence[int],
    values: Sequence[float | None],
    *,
    direction: str,
    numerators: Sequence[float | None] | None = None,
    denominators: Sequence[float | None] | None = None,
    ci_low: Sequence[float | None] | None = None,
    ci_high: Sequence[float | None] | None = None,
    usable: Sequence[bool] | None = None,
) -> TrendResult:
    """The recent trend ending at the last of `years` (ascending annual points of one series).

    Give numerators and denominators for a proportion (the chi-squared test for trend), or
    ci_low and ci_high (95 %) for any other value (weighted regression). `usable[i]` false
    marks a point that cannot be used (suppressed, missing, a year covered in part).
    """
    if len(years) < POINTS:
        return TrendResult(CANNOT_CALCULATE, f"färre än {POINTS} år")
    last = slice(len(years) - POINTS, len(years))
    t = [int(y) for y in years[last]]
    if t != list(range(t[0], t[0] + POINTS)):
        return TrendResult(CANNOT_CALCULATE, f"de senaste {POINTS} åren följer inte på varandra")
    if usable is not None and not all(usable[last]):
        return TrendResult(CANNOT_CALCULATE, "ett av åren är dolt, saknas eller täcks bara delvis")
    time = np.asarray(t, dtype=float) - t[0]  # the slope does not depend on the origin; this keeps sums small
    if numerators is not None and denominators is not None:
        o = _floats(numerators[last])
        n = _floats(denominators[last])
        if o is None or n is None or np.any(n <= 0) or np.any(o < 0) or np.any(o > n):
            return TrendResult(CANNOT_CALCULATE, "täljare eller nämnare saknas")
        chi2 = proportion_trend_chi2(o, n, time)
        if math.isnan(chi2):  # every point 0 % or every point 100 %
            return TrendResult(NO_CHANGE, "oförändrad andel", 0.0, 0.0)
        beta = proportion_trend_slope(o, n, time)
        left_out = [
            proportion_trend_slope(np.delete(o, i), np.delete(n, i), np.delete(time, i))
            for i in range(POINTS)
        ]
    elif ci_low is not None and ci_high is not None:
        y, lo, hi = _floats(values[last]), _floats(ci_low[last]), _floats(ci_high[last])
        if y is None or lo is None or hi is None:
            return TrendResult(CANNOT_CALCULATE, "värde eller konfidensintervall saknas")
        beta, chi2 = weighted_trend(y, lo, hi, time)
        if math.isnan(chi2):
            return TrendResult(CANNOT_CALCULATE, "ett konfidensintervall har bredden 0")
        left_out = [
            weighted_trend(np.delete(y, i), np.delete(lo, i), np.delete(hi, i), np.delete(time, i))[0]
            for i in range(POINTS)
        ]
    else:
        return TrendResult(CANNOT_CALCULATE, "indikatorn saknar konfidensintervall")
    if not chi2 > CHI2_998 or beta == 0:
        return TrendResult(NO_CHANGE, "ingen signifikant trend (99,8 %)", beta, chi2)
    if any(np.sign(b) != np.sign(beta) for b in left_out):  # NaN counts as a change
        return TrendResult(NO_CHANGE, "trenden vänder när ett av åren utelämnas", beta, chi2)
    up = beta > 0
    if direction == "neutral":
        outcome = INCREASING if up else DECREASING
    else:
        outcome = IMPROVING if up == (direction == "higher") else WORSENING
    return TrendResult(outcome, "signifikant trend (99,8 %)", beta, chi2)


def _floats(values: Sequence[float | None]) -> np.ndarray | None:
    array = np.array([np.nan if v is None else v for v in values], dtype=float)
    return None if np.isnan(array).any() else array
