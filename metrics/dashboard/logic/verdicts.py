"""What the board may colour or call a change: only what a statistician stands behind.

The statistics live in metrics.stats (tested change, recent trend, benchmark comparison, targets);
compute stores the comparison and the trend in the results. This module turns those outcomes into
the board's classes, words and markers, and counts them for the headline cards, so that every page
shows the same verdict for the same cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from metrics.catalogue.model import ComparisonChoice, Indicator
from metrics.dashboard.logic.comparison import (
    BETTER,
    HIGHER,
    LOWER,
    NOT_TESTED,
    SAME,
    SIMILAR,
    WORSE,
    Change,
    compare,
)
from metrics.dashboard.source.data import ResultRow
from metrics.stats import change as tested
from metrics.stats.benchmark import METHOD_WORDS

# the stored `comparison` outcome → the board's class (a neutral indicator never gets better/worse)
_STORED = {
    "better": BETTER,
    "worse": WORSE,
    "similar": SIMILAR,
    "higher": HIGHER,
    "lower": LOWER,
    "not_compared": NOT_TESTED,
}


def cell_class(row: ResultRow, reference: float | None, direction: str) -> str:
    """The comparison class of one cell: compute's stored verdict, else the interval test.

    The stored verdict carries the catalogue's method (e.g. overdispersion-adjusted limits), so it
    wins; the interval test is the fallback for a database computed before the verdict columns.
    """
    base = compare(row.value, row.ci_low, row.ci_high, reference, direction, suppressed=row.suppressed)
    if row.comparison is None or base in ("suppressed", "no_data"):
        return base
    cls = _STORED.get(row.comparison, NOT_TESTED)
    if direction == "neutral":
        # never good or bad: a stored better/worse on a neutral indicator is read as its side
        return {BETTER: NOT_TESTED, WORSE: NOT_TESTED, SIMILAR: SAME}.get(cls, cls)
    if cls in (HIGHER, LOWER):  # a directional indicator reads higher/lower as better/worse
        better = (cls == HIGHER) == (direction == "higher")
        return BETTER if better else WORSE
    return cls


def method_text(choice: ComparisonChoice) -> str:
    """The method in use, in the words the board prints above its colours."""
    if choice.method in ("ci95", "ci998"):
        return f"jämfört med länet med {METHOD_WORDS[choice.method]}"
    level = f"{choice.level:g}".replace(".", ",")
    kind = "slumpeffekt" if choice.method == "additive" else "multiplikativ"
    return f"jämfört med länet, {level} % gränser justerade för överspridning ({kind}, Spiegelhalter)"


CHANGE_WORDS = {
    tested.IMPROVING: ("säker förbättring", "good"),
    tested.WORSENING: ("säker försämring", "bad"),
    tested.INCREASING: ("säker ökning", "neutral"),
    tested.DECREASING: ("säker minskning", "neutral"),
    tested.NO_CHANGE: ("ingen säker förändring", "neutral"),
    tested.NOT_TESTED: ("ej testad", "neutral"),
}


@dataclass(frozen=True)
class TestedChange(Change):
    certain: bool = False  # a change the interval of the difference stands behind
    outcome: str = tested.NOT_TESTED


def board_change(
    current: ResultRow | None, previous: ResultRow | None, indicator: Indicator
) -> TestedChange | None:
    """The tested change from the previous comparable period, or None when there is none to test."""
    if current is None or previous is None:
        return None
    result = tested.tested_change(
        current,  # type: ignore[arg-type]  # a NamedTuple is read-only; the Protocol reads only
        previous,  # type: ignore[arg-type]
        interval=indicator.interval,
        multiplier=indicator.multiplier,
        direction=indicator.direction,
    )
    if result is None:
        return None
    words, tone = CHANGE_WORDS[result.outcome]
    arrow = "→" if not result.certain else ("↑" if result.diff > 0 else "↓")
    return TestedChange(result.diff, arrow, words, tone, result.certain, result.outcome)


@dataclass(frozen=True)
class TrendMarker:
    symbol: str  # shown beside the words, so colour never carries meaning alone
    words: str  # Swedish: 'förbättras', 'ingen säker trend' …
    tone: str  # good, bad or neutral (a CSS class)


TREND_MARKERS = {
    "improving": TrendMarker("⬆", "förbättras", "good"),
    "worsening": TrendMarker("⬇", "försämras", "bad"),
    "increasing": TrendMarker("↗", "ökar", "neutral"),
    "decreasing": TrendMarker("↘", "minskar", "neutral"),
    "no_change": TrendMarker("→", "ingen säker trend", "neutral"),
    "cannot_calculate": TrendMarker("·", "trend kan inte beräknas", "neutral"),
}


def trend_marker(trend: str | None, direction: str) -> TrendMarker | None:
    """The recent-trend marker of a yearly cell; a neutral indicator only rises or falls."""
    if trend is None:
        return None
    if direction == "neutral" and trend in ("improving", "worsening"):
        return TREND_MARKERS["cannot_calculate"]  # an inconsistent verdict is not shown as good/bad
    return TREND_MARKERS.get(trend)


@dataclass(frozen=True)
class Tally:
    """A headline card's count: `count` of the `of` that could be judged."""

    count: int
    of: int


def tally(changes: Sequence[TestedChange | None], outcome: str) -> Tally:
    """How many changes are certain and of the given outcome, out of those that were tested."""
    judged = [c for c in changes if c is not None and c.outcome != tested.NOT_TESTED]
    return Tally(sum(1 for c in judged if c.certain and c.outcome == outcome), len(judged))


def is_mean(indicator: Indicator) -> bool:
    """A mean per person (the COC index): its numerator is a sum of per-person values, not a count."""
    return indicator.numerator.kind == "per_person"


@dataclass(frozen=True)
class TableLabels:
    """Column names for an indicator's table: a mean is a mean, never a 'täljare' of summed indices."""

    value: str
    numerator: str | None  # None: the numerator means nothing to a reader and is not shown
    denominator: str


def table_labels(indicator: Indicator) -> TableLabels:
    if is_mean(indicator):
        return TableLabels("Medelvärde", None, "Antal personer")
    return TableLabels("Värde", "Täljare", "Nämnare")
