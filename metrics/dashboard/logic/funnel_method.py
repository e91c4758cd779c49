"""The funnel plot's limits by the catalogue's comparison method, so the plot and the colours agree.

compute colours a kommun by `metrics.stats.benchmark.compare_with_benchmark` with the catalogue's
method (by default random-effects limits widened for overdispersion, docs/comparisons.md). A funnel
drawn with the plain exact limits would then show kommuner outside the funnel that the colours
call 'similar'. Here the limits come from `comparison_limits` with the dispersion estimated from
the same kommuner, at 95 % and 99,8 %.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from metrics.catalogue.model import ComparisonChoice
from metrics.dashboard.logic.format import is_missing
from metrics.dashboard.logic.funnel import FunnelCurves, denominator_axis
from metrics.stats.benchmark import (
    NO_DISPERSION,
    ComparisonSettings,
    Dispersion,
    compare_with_benchmark,
    comparison_limits,
)


def settings_of(choice: ComparisonChoice) -> ComparisonSettings:
    """The catalogue's choice as the statistics module's settings (winsorising in percent → fraction)."""
    return ComparisonSettings(choice.method, choice.level, choice.winsorise / 100)  # type: ignore[arg-type]


def level_settings(settings: ComparisonSettings) -> tuple[ComparisonSettings, ComparisonSettings]:
    """The settings of the funnel's inner (95 %) and outer (99,8 %) limits, by the same method."""
    if settings.method in ("ci95", "ci998"):
        return ComparisonSettings("ci95"), ComparisonSettings("ci998")
    return replace(settings, level=95.0), replace(settings, level=99.8)


def funnel_dispersion(
    target: float | None,
    values: Sequence[float | None],
    denominators: Sequence[float | None],
    kind: str,
    multiplier: float,
    settings: ComparisonSettings,
) -> Dispersion:
    """The overdispersion of the kommuner around the län, estimated as compute estimates it."""
    pairs = [
        (float(v), float(n))
        for v, n in zip(values, denominators, strict=True)
        if v is not None and n is not None and not is_missing(v) and not is_missing(n) and n > 0
    ]
    if is_missing(target) or not pairs or settings.method in ("ci95", "ci998"):
        return NO_DISPERSION
    y = np.array([p[0] for p in pairs])
    n = np.array([p[1] for p in pairs])
    result = compare_with_benchmark(
        target,
        y,
        direction="neutral",
        settings=settings,
        kind=kind,
        multiplier=multiplier,
        numerators=y * n / multiplier,  # only the ci methods read these; the z-scores use n
        denominators=n,
    )
    return result.dispersion


def method_curves(
    target: float | None,
    denominators: Sequence[float],
    kind: str,
    multiplier: float,
    settings: ComparisonSettings,
    dispersion: Dispersion,
    points: int = 80,
) -> FunnelCurves | None:
    """Smooth 95 % and 99,8 % limits by the method over a log-spaced range covering every kommun."""
    x = denominator_axis(denominators, points)
    if is_missing(target) or x is None:
        return None
    assert target is not None
    inner, outer = level_settings(settings)
    lo95, hi95 = comparison_limits(target, x, kind, multiplier, inner, dispersion)
    lo998, hi998 = comparison_limits(target, x, kind, multiplier, outer, dispersion)
    return FunnelCurves(x.tolist(), lo95.tolist(), hi95.tolist(), lo998.tolist(), hi998.tolist())


def outside_by_method(
    value: float | None,
    denominator: float | None,
    target: float | None,
    kind: str,
    multiplier: float,
    settings: ComparisonSettings,
    dispersion: Dispersion,
) -> bool:
    """Whether a kommun lies outside the funnel drawn with `settings` (one of level_settings)."""
    if is_missing(value) or is_missing(denominator) or is_missing(target):
        return False
    assert value is not None and denominator is not None and target is not None
    lower, upper = comparison_limits(target, [denominator], kind, multiplier, settings, dispersion)
    return bool(value < lower[0] or value > upper[0])


@dataclass(frozen=True)
class FunnelMethodText:
    title: str  # the figure's title
    note: str  # one sentence under it: which limits, and how much spread


def method_text(settings: ComparisonSettings, dispersion: Dispersion) -> FunnelMethodText:
    if settings.method in ("ci95", "ci998"):
        return FunnelMethodText(
            "Trattdiagram: värde mot storlek, med exakta 95 % och 99,8 % gränser runt länet",
            "Gränserna är samma som färgernas jämförelse "
            "(konfidensintervall utan justering för överspridning).",
        )
    kind = "slumpeffekt" if settings.method == "additive" else "multiplikativ"
    level = f"{settings.level:g}".replace(".", ",")
    spread = (
        f"Kommunerna sprider sig mer än slumpen ensam förklarar (φ = {dispersion.phi:.2f}".replace(".", ",")
        + ")"
        if dispersion.overdispersed
        else "Kommunerna sprider sig inte mer än slumpen förklarar"
    )
    return FunnelMethodText(
        f"Trattdiagram: värde mot storlek, med 95 % och 99,8 % gränser runt länet justerade för "
        f"överspridning ({kind}, Spiegelhalter)",
        f"Samma gränser som färgerna: en kommun färgas som skild från länet när den ligger utanför "
        f"{level} %-gränsen. {spread}.",
    )
