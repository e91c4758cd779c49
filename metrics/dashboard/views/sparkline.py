"""Tiny trend lines as inline SVG images: cheap to draw sixteen at once, and they print."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from metrics.dashboard.logic.format import is_missing

LINE = "#33415c"
POINT = "#14213d"


def sparkline_points(
    values: Sequence[float | None], width: float, height: float, pad: float = 3.0
) -> list[tuple[float, float] | None]:
    """SVG coordinates for each value (None where missing); a flat series is drawn mid-height."""
    known = [float(v) for v in values if not is_missing(v)]  # type: ignore[arg-type]
    if not known:
        return [None] * len(values)
    lo, hi = min(known), max(known)
    span = hi - lo
    step = (width - 2 * pad) / max(len(values) - 1, 1)
    points: list[tuple[float, float] | None] = []
    for i, v in enumerate(values):
        if is_missing(v):
            points.append(None)
            continue
        y = height / 2 if span == 0 else pad + (hi - float(v)) / span * (height - 2 * pad)  # type: ignore[arg-type]
        x = pad + i * step if len(values) > 1 else width / 2
        points.append((round(x, 1), round(y, 1)))
    return points


def sparkline_svg(values: Sequence[float | None], width: int = 96, height: int = 28) -> str:
    """The SVG markup: a line through the known values and a dot on the last one."""
    points = sparkline_points(values, width, height)
    segments: list[list[tuple[float, float]]] = [[]]
    for p in points:
        if p is None:
            if segments[-1]:
                segments.append([])
        else:
            segments[-1].append(p)
    lines = "".join(
        f'<polyline fill="none" stroke="{LINE}" stroke-width="1.8" stroke-linejoin="round" '
        f'points="{" ".join(f"{x},{y}" for x, y in seg)}"/>'
        for seg in segments
        if len(seg) > 1
    )
    last = next((p for p in reversed(points) if p is not None), None)
    dot = f'<circle cx="{last[0]}" cy="{last[1]}" r="2.8" fill="{POINT}"/>' if last else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">{lines}{dot}</svg>'
    )


def sparkline_data_uri(values: Sequence[float | None], width: int = 96, height: int = 28) -> str:
    return "data:image/svg+xml;charset=utf-8," + quote(sparkline_svg(values, width, height))
