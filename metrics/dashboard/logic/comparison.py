"""Compare an area with its län honestly: by the 95 % interval, not by rank.

A kommun is significantly higher than the län when the lower limit of its interval is
above the län value, significantly lower when the upper limit is below it, and similar
otherwise. The indicator's direction turns higher/lower into better/worse; a neutral
indicator keeps lower/similar/higher in a palette that does not judge. Without an
interval (means and sums in version 1) nothing is tested.

The fill colours here are the ones the figures use; assets/matavla.css holds the same
colours for the HTML tables (a test checks that they agree).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from metrics.dashboard.logic.format import MISSING, SUPPRESSED, is_missing

BETTER = "better"
SIMILAR = "similar"
WORSE = "worse"
LOWER = "lower"
SAME = "same"  # similar, for a neutral indicator
HIGHER = "higher"
NOT_TESTED = "not_tested"
SUPPRESSED_CLASS = "suppressed"
NO_DATA = "no_data"


@dataclass(frozen=True)
class ClassStyle:
    label: str  # Swedish, as in the legend
    short: str  # Swedish, one or two words for cells and summaries
    symbol: str  # shown beside the colour, so colour never carries meaning alone
    fill: str
    text: str  # text colour on the fill (contrast ≥ 4.5:1)


STYLES: dict[str, ClassStyle] = {
    BETTER: ClassStyle("Signifikant bättre än länet", "bättre", "▲", "#1d7a46", "#ffffff"),
    SIMILAR: ClassStyle("Ingen signifikant skillnad", "likvärdig", "●", "#f3d36b", "#1b1b1b"),
    WORSE: ClassStyle("Signifikant sämre än länet", "sämre", "▼", "#b8312f", "#ffffff"),
    LOWER: ClassStyle("Signifikant lägre än länet", "lägre", "↓", "#2f64a8", "#ffffff"),
    SAME: ClassStyle("Ingen signifikant skillnad", "likvärdig", "●", "#d6d9de", "#1b1b1b"),
    HIGHER: ClassStyle("Signifikant högre än länet", "högre", "↑", "#6b3fa0", "#ffffff"),
    NOT_TESTED: ClassStyle("Utan konfidensintervall – jämförs inte", "ej jämförd", "○", "#ffffff", "#1b1b1b"),
    SUPPRESSED_CLASS: ClassStyle("För få för att visas", SUPPRESSED, "", "#eeeeee", "#3d3d3d"),
    NO_DATA: ClassStyle("Uppgift saknas", "saknas", MISSING, "#ffffff", "#555555"),
}

DIRECTIONAL_CLASSES = (BETTER, SIMILAR, WORSE)
NEUTRAL_CLASSES = (LOWER, SAME, HIGHER)


def compare(
    value: float | None,
    ci_low: float | None,
    ci_high: float | None,
    reference: float | None,
    direction: str,
    *,
    suppressed: bool = False,
) -> str:
    """The comparison class of one area against the reference (län) value."""
    if suppressed:
        return SUPPRESSED_CLASS
    if is_missing(value):
        return NO_DATA
    if is_missing(ci_low) or is_missing(ci_high) or is_missing(reference):
        return NOT_TESTED
    assert ci_low is not None and ci_high is not None and reference is not None
    if ci_low > reference:
        side = HIGHER
    elif ci_high < reference:
        side = LOWER
    else:
        return SAME if direction == "neutral" else SIMILAR
    if direction == "higher":
        return BETTER if side == HIGHER else WORSE
    if direction == "lower":
        return BETTER if side == LOWER else WORSE
    return side


def compare_frame(frame: pd.DataFrame, reference: float | None, direction: str) -> pd.Series:
    """`compare` for every row of a results frame (columns value, ci_low, ci_high, suppressed)."""
    if frame.empty:
        return pd.Series([], dtype=object, index=frame.index)
    value = frame["value"].to_numpy(dtype=float, na_value=np.nan)
    low = frame["ci_low"].to_numpy(dtype=float, na_value=np.nan)
    high = frame["ci_high"].to_numpy(dtype=float, na_value=np.nan)
    suppressed = frame["suppressed"].fillna(False).to_numpy(dtype=bool)
    ref = np.nan if is_missing(reference) else float(reference)  # type: ignore[arg-type]
    above = low > ref
    below = high < ref
    tested = ~np.isnan(low) & ~np.isnan(high) & ~np.isnan(ref)
    if direction == "higher":
        up, down, same = BETTER, WORSE, SIMILAR
    elif direction == "lower":
        up, down, same = WORSE, BETTER, SIMILAR
    else:
        up, down, same = HIGHER, LOWER, SAME
    result = np.select(
        [suppressed, np.isnan(value), ~tested, above, below],
        [SUPPRESSED_CLASS, NO_DATA, NOT_TESTED, up, down],
        default=same,
    )
    return pd.Series(result, index=frame.index, dtype=object)


def legend_classes(direction: str, has_interval: bool = True) -> tuple[str, ...]:
    """The classes a legend for one indicator needs, in reading order."""
    base = NEUTRAL_CLASSES if direction == "neutral" else DIRECTIONAL_CLASSES
    return (*base, SUPPRESSED_CLASS) if has_interval else (NOT_TESTED, SUPPRESSED_CLASS)


def class_sentence(cls: str, direction: str) -> str:
    """Words for a screen reader or a table: 'signifikant bättre än länet'."""
    if cls in (SIMILAR, SAME):
        return "ingen signifikant skillnad mot länet"
    if cls in (BETTER, WORSE, LOWER, HIGHER):
        return STYLES[cls].label[0].lower() + STYLES[cls].label[1:]
    if cls == NOT_TESTED:
        return "jämförs inte (inget konfidensintervall)"
    if cls == SUPPRESSED_CLASS:
        return "för få för att visas"
    return "uppgift saknas"


def direction_words(direction: str) -> str:
    return {
        "higher": "Högre värde är bättre",
        "lower": "Lägre värde är bättre",
        "neutral": "Beskrivande – varken högre eller lägre värde är i sig bättre",
    }.get(direction, direction)


@dataclass(frozen=True)
class Change:
    diff: float
    arrow: str  # '↑', '↓' or '→'
    words: str  # 'förbättring', 'försämring', 'ökning', 'minskning', 'oförändrat'
    tone: str  # 'good', 'bad', 'neutral' (a CSS class)


def change(current: float | None, previous: float | None, direction: str, decimals: int) -> Change | None:
    """The change since the previous period, in words that follow the indicator's direction.

    A change that rounds to zero at the displayed number of decimals is 'oförändrat'.
    """
    if is_missing(current) or is_missing(previous):
        return None
    assert current is not None and previous is not None
    diff = float(current) - float(previous)
    if round(diff, decimals) == 0:
        return Change(diff, "→", "oförändrat", "neutral")
    arrow = "↑" if diff > 0 else "↓"
    if direction == "neutral":
        return Change(diff, arrow, "ökning" if diff > 0 else "minskning", "neutral")
    improved = (diff > 0) == (direction == "higher")
    return Change(diff, arrow, "förbättring" if improved else "försämring", "good" if improved else "bad")


@dataclass(frozen=True)
class TargetStatus:
    met: bool | None  # None for a neutral indicator: the target is shown, not judged
    text: str


def target_status(
    value: float | None, target: float | None, direction: str, target_text: str
) -> TargetStatus | None:
    """'✓ når målet 60 %', 'under målet 60 %' (higher) or 'över målet 6 %' (lower)."""
    if target is None or is_missing(value):
        return None
    assert value is not None
    if direction == "higher":
        met = value >= target
        return TargetStatus(met, f"✓ når målet {target_text}" if met else f"under målet {target_text}")
    if direction == "lower":
        met = value <= target
        return TargetStatus(met, f"✓ når målet {target_text}" if met else f"över målet {target_text}")
    return TargetStatus(None, f"mål {target_text}")


def count_classes(classes: Sequence[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for cls in classes:
        counts[cls] = counts.get(cls, 0) + 1
    return counts
