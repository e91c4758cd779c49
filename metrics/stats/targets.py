"""Whether a value meets its target, in Swedish words with the year the target applies to.

The kinds (catalogue key `target`, metrics.catalogue.comparisons.parse_target):

- value: reached when the value is at least (higher is better) or at most (lower) the target;
- range: reached when low ≤ value ≤ high, whatever the direction;
- change: a relative change from a baseline year (Vårdanalys: the continuity index +20 %): the
  goal is baseline × (1 + percent/100), then judged as a value;
- quartile: among the best `quartile` quarters of the kommuner given (1 = the best quarter):
  at least the (1 − q/4) quantile of their values when higher is better, at most the q/4
  quantile when lower is better;
- area: at least as good as a reference area's value.

A neutral indicator is never judged against a one-sided goal (`met` None); a range still is.
The dashboard calls `target_status(spec, value, direction=…, year=…, …)`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from metrics.catalogue.model import TargetSpec


@dataclass(frozen=True)
class TargetStatus:
    met: bool | None  # None: not judged (neutral indicator, or something needed is missing)
    text: str  # Swedish, e.g. "Målet 2025 uppnått"
    goal: float | None = None  # the threshold the value was judged against (low end for a range)


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _words(met: bool, spec: TargetSpec, year: int | None) -> str:
    if spec.year is None:
        return "Målet uppnått" if met else "Målet ej uppnått"
    if year is not None and year < spec.year:
        return f"Målet {spec.year} redan uppnått" if met else f"Målet {spec.year} ännu ej uppnått"
    return f"Målet {spec.year} uppnått" if met else f"Målet {spec.year} ej uppnått"


def _title(spec: TargetSpec) -> str:
    return "Målet" if spec.year is None else f"Målet {spec.year}"


def target_status(
    spec: TargetSpec | None,
    value: float | None,
    *,
    direction: str,
    year: int | None = None,
    baseline_value: float | None = None,
    kommun_values: Sequence[float | None] = (),
    reference_value: float | None = None,
) -> TargetStatus | None:
    """The status of `value` (of the period's `year`) against the target; None without a target.

    baseline_value: the area's value in spec.baseline_year (kind change); kommun_values: every
    kommun's value in the same period (kind quartile); reference_value: the reference area's
    value in the same period (kind area).
    """
    if spec is None:
        return None
    if _missing(value):
        return TargetStatus(None, f"{_title(spec)} kan inte bedömas (värde saknas)")
    assert value is not None
    if spec.kind == "range":
        assert spec.low is not None and spec.high is not None
        return TargetStatus(
            spec.low <= value <= spec.high, _words(spec.low <= value <= spec.high, spec, year), spec.low
        )
    if direction not in ("higher", "lower"):
        return TargetStatus(None, f"{_title(spec)} bedöms inte (beskrivande indikator)")
    higher = direction == "higher"
    goal: float | None
    if spec.kind == "value":
        goal = spec.value
    elif spec.kind == "change":
        if _missing(baseline_value):
            return TargetStatus(None, f"{_title(spec)} kan inte bedömas (värdet {spec.baseline_year} saknas)")
        assert baseline_value is not None and spec.percent is not None
        goal = baseline_value * (1 + spec.percent / 100)
    elif spec.kind == "quartile":
        known = np.array([v for v in kommun_values if not _missing(v)], dtype=float)
        if known.size < 4:
            return TargetStatus(None, f"{_title(spec)} kan inte bedömas (för få kommuner)")
        assert spec.quartile is not None
        share = spec.quartile / 4
        goal = float(np.quantile(known, 1 - share if higher else share))
    else:  # area
        if _missing(reference_value):
            return TargetStatus(None, f"{_title(spec)} kan inte bedömas ({spec.area} saknas)")
        goal = reference_value
    assert goal is not None
    met = value >= goal if higher else value <= goal
    return TargetStatus(met, _words(met, spec, year), goal)
