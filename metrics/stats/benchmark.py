"""Compare areas with a benchmark (the län), with or without an allowance for overdispersion.

Methods (chosen per indicator or catalogue-wide, `comparison:` in the catalogue):

- `ci95`: the area differs when its own 95 % interval excludes the benchmark; for counts this is
  exactly "outside the exact 95 % funnel" (metrics.stats.intervals.funnel_limits).
- `ci998`: the same at 99.8 %.
- `multiplicative`, `additive`: Spiegelhalter's overdispersion-adjusted funnel limits
  (Spiegelhalter DJ. Funnel plots for comparing institutional performance. Stat Med
  2005;24:1185–1202, §3.3–3.4; Handling over-dispersion of performance indicators. Qual Saf
  Health Care 2005;14:347–351). Each unit i has a z-score zᵢ = (yᵢ − θ₀)/sᵢ, sᵢ its standard
  error under the benchmark θ₀ (√(θ₀(1 − θ₀)/nᵢ) for a proportion, √(θ₀/nᵢ) for a rate per
  inhabitant, from its own interval otherwise). The z-scores are winsorised (the lowest and
  highest `winsorise` fraction set to the percentile at that fraction) and
    φ̂ = (1/I) Σ zᵢ²                        (multiplicative: limits θ₀ ± z·√φ̂·sᵢ, when φ̂ > 1)
    τ̂² = max(0, (Iφ̂ − (I − 1)) / (Σwᵢ − Σwᵢ²/Σwᵢ)), wᵢ = 1/sᵢ²
                                             (additive random effects: limits θ₀ ± z·√(sᵢ² + τ̂²))
  at the chosen level (95 % or 99.8 %).

`compare_with_benchmark` classifies and `comparison_limits` gives the funnel for any denominator,
from the same dispersion estimate, so the plot and the colours never disagree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from metrics.stats.intervals import (
    Z95,
    Z998,
    ArrayLike,
    FloatArray,
    _as_float,
    funnel_limits,
    rate_interval,
    wilson_interval,
)

ComparisonMethod = Literal["ci95", "ci998", "multiplicative", "additive"]
METHODS: tuple[ComparisonMethod, ...] = ("ci95", "ci998", "multiplicative", "additive")
LEVELS = {95.0: Z95, 99.8: Z998}

BETTER = "better"
SIMILAR = "similar"
WORSE = "worse"
HIGHER = "higher"
LOWER = "lower"
NOT_COMPARED = "not_compared"

METHOD_WORDS = {
    "ci95": "95 % konfidensintervall",
    "ci998": "99,8 % konfidensintervall",
    "multiplicative": "gränser justerade för överspridning (multiplikativ, Spiegelhalter)",
    "additive": "gränser justerade för överspridning (slumpeffekt, Spiegelhalter)",
}


@dataclass(frozen=True)
class ComparisonSettings:
    method: ComparisonMethod = "additive"
    level: float = 95.0  # percent, 95 or 99.8: the limits of the overdispersion methods
    winsorise: float = 0.10  # fraction at each end

    @property
    def z(self) -> float:
        if self.method == "ci95":
            return Z95
        if self.method == "ci998":
            return Z998
        return LEVELS[self.level]

    @property
    def words(self) -> str:
        if self.method in ("ci95", "ci998"):
            return METHOD_WORDS[self.method]
        level = str(self.level).replace(".", ",").removesuffix(",0")
        return f"{METHOD_WORDS[self.method]}, {level} %"


@dataclass(frozen=True)
class Dispersion:
    phi: float  # the winsorised mean squared z-score (1 = as much spread as chance alone)
    tau2: float  # between-unit variance, in the squared scale of s (0 when none)
    units: int  # how many units it was estimated from

    @property
    def overdispersed(self) -> bool:
        return self.phi > 1


NO_DISPERSION = Dispersion(1.0, 0.0, 0)


def null_standard_errors(target: float, denominators: ArrayLike, kind: str, multiplier: float) -> FloatArray:
    """sᵢ under the benchmark, in the indicator's unit: binomial for 'wilson', Poisson for 'poisson'."""
    n = _as_float(denominators)
    theta = target / multiplier
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "wilson":
            s = np.sqrt(theta * (1 - theta) / n)
        elif kind == "poisson":
            s = np.sqrt(theta / n)
        else:
            raise ValueError(
                f"unknown kind {kind!r}; use 'wilson' or 'poisson' (or interval_standard_errors)"
            )
    return np.where(n > 0, s * multiplier, np.nan)


def interval_standard_errors(ci_low: ArrayLike, ci_high: ArrayLike) -> FloatArray:
    """sᵢ from a 95 % interval: (upper − lower) / (2 · 1.96)."""
    return (_as_float(ci_high) - _as_float(ci_low)) / (2 * Z95)


def winsorise(z: ArrayLike, fraction: float) -> FloatArray:
    """z with values below the `fraction` percentile and above the 1 − `fraction` percentile pulled in."""
    values = _as_float(z)
    if fraction <= 0 or values.size == 0:
        return values
    low, high = np.percentile(values, [100 * fraction, 100 * (1 - fraction)])
    return np.clip(values, low, high)


def estimate_dispersion(z: ArrayLike, s: ArrayLike, fraction: float = 0.10) -> Dispersion:
    """φ̂ and τ̂² from the units' z-scores and standard errors (NaN entries are left out)."""
    zs, ss = np.broadcast_arrays(_as_float(z), _as_float(s))
    keep = np.isfinite(zs) & np.isfinite(ss) & (ss > 0)
    zs, ss = zs[keep], ss[keep]
    units = int(zs.size)
    if units < 2:
        return Dispersion(1.0, 0.0, units)
    phi = float(np.mean(winsorise(zs, fraction) ** 2))
    w = 1 / ss**2
    spread = w.sum() - (w * w).sum() / w.sum()
    tau2 = max(0.0, (units * phi - (units - 1)) / spread) if spread > 0 else 0.0
    return Dispersion(phi, float(tau2), units)


def adjusted_half_width(s: ArrayLike, settings: ComparisonSettings, dispersion: Dispersion) -> FloatArray:
    """z·sᵢ, widened for overdispersion by the settings' method."""
    se = _as_float(s)
    if settings.method == "multiplicative":
        return settings.z * se * math.sqrt(max(dispersion.phi, 1.0))
    if settings.method == "additive":
        return settings.z * np.sqrt(se * se + dispersion.tau2)
    return settings.z * se


def comparison_limits(
    target: float,
    denominators: ArrayLike,
    kind: str,
    multiplier: float,
    settings: ComparisonSettings,
    dispersion: Dispersion = NO_DISPERSION,
) -> tuple[FloatArray, FloatArray]:
    """Funnel limits around `target` for each denominator, by the settings' method.

    ci95/ci998: the exact limits of metrics.stats.intervals.funnel_limits. The overdispersion
    methods: θ₀ ± half-width from adjusted_half_width, clipped at 0 (and at the multiplier for
    a proportion).
    """
    if settings.method in ("ci95", "ci998"):
        return funnel_limits(target, denominators, kind, multiplier, settings.z)  # type: ignore[arg-type]
    s = null_standard_errors(target, denominators, kind, multiplier)
    half = adjusted_half_width(s, settings, dispersion)
    top = multiplier if kind == "wilson" else np.inf
    return np.clip(target - half, 0.0, top), np.clip(target + half, 0.0, top)


def side_classes(higher: ArrayLike, lower: ArrayLike, tested: ArrayLike, direction: str) -> np.ndarray:
    """better/similar/worse (or higher/similar/lower for a neutral indicator); not_compared where untested."""
    up, down, ok = (np.asarray(v, dtype=bool) for v in (higher, lower, tested))
    if direction == "higher":
        up_word, down_word = BETTER, WORSE
    elif direction == "lower":
        up_word, down_word = WORSE, BETTER
    else:
        up_word, down_word = HIGHER, LOWER
    return np.select([~ok, up, down], [NOT_COMPARED, up_word, down_word], default=SIMILAR).astype(object)


@dataclass(frozen=True)
class Comparison:
    classes: np.ndarray  # one of better/similar/worse/higher/lower/not_compared per unit
    lower: FloatArray  # the limits each unit was judged against (NaN where judged by its interval)
    upper: FloatArray
    dispersion: Dispersion


def compare_with_benchmark(
    target: float | None,
    values: ArrayLike,
    *,
    direction: str,
    settings: ComparisonSettings,
    kind: str,
    multiplier: float,
    numerators: ArrayLike | None = None,
    denominators: ArrayLike | None = None,
    ci_low: ArrayLike | None = None,
    ci_high: ArrayLike | None = None,
    estimate_from: ArrayLike | None = None,
) -> Comparison:
    """Classify each unit's value against the benchmark `target`.

    kind 'wilson' or 'poisson' with numerators and denominators: crude counts (limits from the
    benchmark's own variance, as a funnel plot). Any other kind: the units' own 95 % intervals
    (ci_low, ci_high), e.g. age-standardised rates or means. `estimate_from` (booleans) marks
    the units the dispersion is estimated from (default: all), e.g. the kommuner and not the
    area groups that overlap them.
    """
    y = _as_float(values)
    nan = np.full(y.shape, np.nan)
    if target is None or not np.isfinite(target):
        return Comparison(np.full(y.shape, NOT_COMPARED, dtype=object), nan, nan, NO_DISPERSION)
    crude = kind in ("wilson", "poisson") and numerators is not None and denominators is not None
    if crude:
        assert numerators is not None and denominators is not None
        x, n = np.broadcast_arrays(_as_float(numerators), _as_float(denominators))
        s = null_standard_errors(target, n, kind, multiplier)
    elif ci_low is not None and ci_high is not None:
        lo95, hi95 = _as_float(ci_low), _as_float(ci_high)
        s = interval_standard_errors(lo95, hi95)
    else:
        return Comparison(np.full(y.shape, NOT_COMPARED, dtype=object), nan, nan, NO_DISPERSION)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (y - target) / s
    pick = np.ones(y.shape, dtype=bool) if estimate_from is None else np.asarray(estimate_from, dtype=bool)
    dispersion = (
        estimate_dispersion(z[pick], s[pick], settings.winsorise)
        if settings.method in ("multiplicative", "additive")
        else NO_DISPERSION
    )
    if settings.method in ("ci95", "ci998"):
        if crude:
            if kind == "wilson":
                low, high = wilson_interval(x, n, settings.z)
                low, high = low * multiplier, high * multiplier
            else:
                low, high = rate_interval(x, n, multiplier, settings.z)
        else:
            # A 99.8 % interval from a 95 % one: each side's half-width scaled by z (normal approximation).
            scale = settings.z / Z95
            low, high = y - (y - lo95) * scale, y + (hi95 - y) * scale
        tested = np.isfinite(y) & np.isfinite(low) & np.isfinite(high)
        classes = side_classes(low > target, high < target, tested, direction)
        return Comparison(classes, nan, nan, dispersion)
    half = adjusted_half_width(s, settings, dispersion)
    lower, upper = target - half, target + half
    tested = np.isfinite(y) & np.isfinite(half) & (s > 0)
    classes = side_classes(y > upper, y < lower, tested, direction)
    return Comparison(classes, lower, upper, dispersion)
