"""Geometry of a spine chart row: one kommun against the spread of its län's kommuner.

Each row is centred on the län value (a line at 50 %) and scaled so that the farthest of
the län's kommuner, and the kommun itself, fit. For a directional indicator the axis is
flipped when lower is better, so "better" is always to the right; a neutral indicator
keeps higher to the right. Positions are percentages of the row's width.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from metrics.dashboard.logic.format import is_missing

PADDING = 1.08  # a little room beyond the farthest value so markers are not cut at the edge


@dataclass(frozen=True)
class SpineGeometry:
    bar_left: float  # the range of the län's kommuner, as positions 0–100
    bar_right: float
    quartile_left: float  # the middle half (25th–75th percentile)
    quartile_right: float
    marker: float | None  # the kommun; None when it has no value
    reference: float  # the län line
    left_value: float  # the value at the left end of the range (the worst, when directional)
    right_value: float
    flipped: bool  # True when lower values are drawn to the right


def spine_geometry(
    values: Sequence[float | None],
    reference: float | None,
    value: float | None,
    direction: str,
) -> SpineGeometry | None:
    """Positions for one row, or None when no kommun of the län has a value."""
    known = np.array([v for v in values if not is_missing(v)], dtype=float)
    if known.size == 0:
        return None
    centre = float(np.median(known)) if is_missing(reference) else float(reference)  # type: ignore[arg-type]
    spread = [abs(known.min() - centre), abs(known.max() - centre)]
    if not is_missing(value):
        spread.append(abs(float(value) - centre))  # type: ignore[arg-type]
    half = max(spread) * PADDING or 1.0  # all values equal: any scale will do
    flipped = direction == "lower"
    sign = -1.0 if flipped else 1.0

    def pos(v: float) -> float:
        return float(np.clip(50.0 + sign * (v - centre) / half * 50.0, 0.0, 100.0))

    lo, hi = float(known.min()), float(known.max())
    q1, q3 = (float(q) for q in np.percentile(known, [25, 75]))
    a, b = sorted((pos(lo), pos(hi)))
    qa, qb = sorted((pos(q1), pos(q3)))
    return SpineGeometry(
        bar_left=a,
        bar_right=b,
        quartile_left=qa,
        quartile_right=qb,
        marker=None if is_missing(value) else pos(float(value)),  # type: ignore[arg-type]
        reference=50.0,
        left_value=hi if flipped else lo,
        right_value=lo if flipped else hi,
        flipped=flipped,
    )
