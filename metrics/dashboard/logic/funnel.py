"""Funnel-plot limits around the län value: where a kommun of a given size may lie by chance.

The limits come from `metrics.stats.intervals.funnel_limits` (Wilson for proportions,
exact Poisson for rates), so a kommun outside the 95 % funnel is exactly one whose own
interval excludes the län value. The normal approximation below is only a fallback for
an installation without the stats module.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from metrics.dashboard.logic.format import is_missing

Z95 = 1.959963984540054
Z998 = 3.090232306167813

try:  # the colleague's implementation; exact for small counts
    from metrics.stats.intervals import funnel_limits as _stats_funnel_limits
except ImportError:  # pragma: no cover - only without metrics.stats
    _stats_funnel_limits = None  # type: ignore[assignment]


def _approximate_limits(
    target: float, denominators: np.ndarray, kind: str, multiplier: float, z: float
) -> tuple[np.ndarray, np.ndarray]:
    """Normal approximation: p0 ± z·√(p0(1−p0)/n) for proportions, λ ± z·√(λ/n) for rates."""
    n = np.asarray(denominators, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p0 = target / multiplier
        if kind == "wilson":
            half = z * np.sqrt(p0 * (1 - p0) / n)
            lower, upper = np.clip(p0 - half, 0, 1), np.clip(p0 + half, 0, 1)
        else:
            half = z * np.sqrt(p0 / n)
            lower, upper = np.maximum(p0 - half, 0), p0 + half
    bad = ~(n > 0)
    lower, upper = lower * multiplier, upper * multiplier
    lower[bad] = np.nan
    upper[bad] = np.nan
    return lower, upper


def funnel_limits(
    target: float, denominators: Sequence[float] | np.ndarray, kind: str, multiplier: float, z: float = Z95
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper control limits for each denominator, in the indicator's unit."""
    n = np.asarray(denominators, dtype=float)
    if _stats_funnel_limits is not None:
        lower, upper = _stats_funnel_limits(target, n, kind, multiplier, z)  # type: ignore[arg-type]
        return np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
    return _approximate_limits(target, n, kind, multiplier, z)


def funnel_kind(interval: str) -> str | None:
    """The funnel for an indicator's interval kind; None when it has no interval."""
    return interval if interval in ("wilson", "poisson") else None


@dataclass(frozen=True)
class FunnelCurves:
    x: list[float]
    lower95: list[float]
    upper95: list[float]
    lower998: list[float]
    upper998: list[float]


def denominator_axis(denominators: Sequence[float], points: int = 80) -> np.ndarray | None:
    """A log-spaced range of denominators a little wider than every kommun's (None without any)."""
    known = [float(d) for d in denominators if not is_missing(d) and float(d) > 0]
    if not known:
        return None
    low = max(min(known) * 0.7, 1.0)
    high = max(known) * 1.15
    if high <= low:
        high = low * 2
    return np.exp(np.linspace(math.log(low), math.log(high), points))


def funnel_curves(
    target: float | None,
    denominators: Sequence[float],
    kind: str,
    multiplier: float,
    points: int = 80,
) -> FunnelCurves | None:
    """Smooth limits over a log-spaced range of denominators covering every kommun."""
    x = denominator_axis(denominators, points)
    if is_missing(target) or x is None:
        return None
    assert target is not None
    lo95, hi95 = funnel_limits(target, x, kind, multiplier, Z95)
    lo998, hi998 = funnel_limits(target, x, kind, multiplier, Z998)
    return FunnelCurves(
        x=x.tolist(),
        lower95=lo95.tolist(),
        upper95=hi95.tolist(),
        lower998=lo998.tolist(),
        upper998=hi998.tolist(),
    )


def outside(
    value: float | None,
    denominator: float | None,
    target: float | None,
    kind: str,
    multiplier: float,
    z: float,
) -> bool:
    """Whether a kommun lies outside the funnel at `z`."""
    if is_missing(value) or is_missing(denominator) or is_missing(target):
        return False
    lower, upper = funnel_limits(target, [denominator], kind, multiplier, z)  # type: ignore[arg-type, list-item]
    return bool(value < lower[0] or value > upper[0])


POSITIONS = ("top center", "bottom center", "middle right", "middle left")


def label_positions(
    xs: Sequence[float],
    ys: Sequence[float],
    names: Sequence[str],
    *,
    char_width: float = 0.011,
    height: float = 0.04,
) -> list[str | None]:
    """Where each point's name goes so that no two names overlap; None when no place is free.

    Coordinates are fractions of the plot (0–1 on each axis); a name is a box `len(name)·char_width`
    wide and `height` high beside its point. Points are placed in the given order (the caller puts
    the most important first); a name that fits nowhere is left to the hover text.
    """
    placed: list[tuple[float, float, float, float]] = []
    result: list[str | None] = []
    for x, y, name in zip(xs, ys, names, strict=True):
        w = len(name) * char_width
        boxes = {
            "top center": (x - w / 2, y + height / 2, x + w / 2, y + 1.5 * height),
            "bottom center": (x - w / 2, y - 1.5 * height, x + w / 2, y - height / 2),
            "middle right": (x + 0.012, y - height / 2, x + 0.012 + w, y + height / 2),
            "middle left": (x - 0.012 - w, y - height / 2, x - 0.012, y + height / 2),
        }
        choice = None
        for position in POSITIONS:
            a = boxes[position]
            if all(a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1] for b in placed):
                choice = position
                placed.append(a)
                break
        result.append(choice)
    return result
