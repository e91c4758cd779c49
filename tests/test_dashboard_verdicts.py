"""The board colours and counts only differences a statistician stands behind (issue 12, §1 and §6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from metrics.catalogue.loader import load_catalogue
from metrics.catalogue.model import ComparisonChoice
from metrics.dashboard.logic.comparison import BETTER, HIGHER, LOWER, NOT_TESTED, SAME, SIMILAR, WORSE
from metrics.dashboard.logic.verdicts import (
    board_change,
    cell_class,
    is_mean,
    method_text,
    tally,
    trend_marker,
)
from metrics.dashboard.source.data import ResultRow

CATALOGUE = load_catalogue(Path(__file__).resolve().parents[1] / "indicators.yaml").catalogue
FAST = CATALOGUE.indicator("fast_lakarkontakt")  # a proportion, higher is better
DIGITAL = CATALOGUE.indicator("digitala_kontakter")  # neutral


def cell(value: float, low: float, high: float, num: float, den: float, **kw: object) -> ResultRow:
    return ResultRow("05", "lan", value, low, high, num, den, False, **kw)  # type: ignore[arg-type]


def test_a_change_of_a_fifth_of_a_point_is_not_called_a_worsening() -> None:
    # 4 000 → 3 980 of 10 000 (40,0 % → 39,8 %): SE of the difference ≈ √(0,4·0,6/10⁴ + 0,398·0,602/10⁴)
    # ≈ 0,69 pp, so the 95 % interval ≈ −0,2 ± 1,36 pp holds 0: no certain change.
    before = cell(40.0, 39.0, 41.0, 4000, 10000)
    after = cell(39.8, 38.8, 40.8, 3980, 10000)
    got = board_change(after, before, FAST)
    assert got is not None and got.words == "ingen säker förändring" and not got.certain
    assert got.tone == "neutral"


def test_a_change_of_five_points_on_ten_thousand_is_a_certain_improvement() -> None:
    # 40 % → 45 % of 10 000: interval ≈ 5 ± 1,37 pp, all above 0
    got = board_change(cell(45.0, 44.0, 46.0, 4500, 10000), cell(40.0, 39.0, 41.0, 4000, 10000), FAST)
    assert got is not None and got.words == "säker förbättring" and got.certain and got.tone == "good"


def test_a_neutral_indicator_rises_or_falls_but_never_improves() -> None:
    got = board_change(cell(45.0, 44.0, 46.0, 4500, 10000), cell(40.0, 39.0, 41.0, 4000, 10000), DIGITAL)
    assert got is not None and got.words in ("säker ökning", "ingen säker förändring")
    assert got.tone == "neutral"


def test_the_headline_counts_only_certain_changes_out_of_those_tested() -> None:
    noise = board_change(cell(39.8, 38.8, 40.8, 3980, 10000), cell(40.0, 39.0, 41.0, 4000, 10000), FAST)
    worse = board_change(cell(35.0, 34.0, 36.0, 3500, 10000), cell(40.0, 39.0, 41.0, 4000, 10000), FAST)
    got = tally([noise, worse, None], "worsening")
    assert (got.count, got.of) == (1, 2)  # the untestable third is not in the denominator


def test_the_stored_comparison_wins_over_the_plain_interval() -> None:
    # 55 (53–57) against 45: the plain 95 % interval says better; overdispersion-adjusted limits said similar
    row = cell(55.0, 53.0, 57.0, 2750, 5000, comparison="similar")
    assert cell_class(row, 45.0, "higher") == SIMILAR
    assert cell_class(cell(55.0, 53.0, 57.0, 2750, 5000), 45.0, "higher") == BETTER  # no stored verdict
    assert cell_class(cell(35.0, 33.0, 37.0, 1750, 5000, comparison="worse"), 45.0, "higher") == WORSE
    assert (
        cell_class(cell(35.0, 33.0, 37.0, 1750, 5000, comparison="not_compared"), 45.0, "higher")
        == NOT_TESTED
    )


def test_a_neutral_indicator_is_never_coloured_good_or_bad() -> None:
    assert cell_class(cell(55.0, 53.0, 57.0, 1, 2, comparison="higher"), 45.0, "neutral") == HIGHER
    assert cell_class(cell(35.0, 33.0, 37.0, 1, 2, comparison="lower"), 45.0, "neutral") == LOWER
    assert cell_class(cell(45.0, 43.0, 47.0, 1, 2, comparison="similar"), 45.0, "neutral") == SAME
    assert cell_class(cell(55.0, 53.0, 57.0, 1, 2, comparison="better"), 45.0, "neutral") not in (
        BETTER,
        WORSE,
    )


def test_a_directional_indicator_reads_a_stored_side_by_its_direction() -> None:
    assert cell_class(cell(5.0, 4.0, 6.0, 1, 2, comparison="lower"), 9.0, "lower") == BETTER
    assert cell_class(cell(5.0, 4.0, 6.0, 1, 2, comparison="lower"), 9.0, "higher") == WORSE


def test_the_board_names_the_comparison_method() -> None:
    assert method_text(ComparisonChoice("ci998", 99.8)) == "jämfört med länet med 99,8 % konfidensintervall"
    assert method_text(ComparisonChoice("additive", 99.8)) == (
        "jämfört med länet, 99,8 % gränser justerade för överspridning (slumpeffekt, Spiegelhalter)"
    )


@pytest.mark.parametrize(
    ("trend", "direction", "words", "tone"),
    [
        ("improving", "higher", "förbättras", "good"),
        ("worsening", "lower", "försämras", "bad"),
        ("increasing", "neutral", "ökar", "neutral"),
        ("no_change", "higher", "ingen säker trend", "neutral"),
        ("cannot_calculate", "higher", "trend kan inte beräknas", "neutral"),
    ],
)
def test_trend_markers_say_what_the_recent_trend_test_found(
    trend: str, direction: str, words: str, tone: str
) -> None:
    marker = trend_marker(trend, direction)
    assert marker is not None and (marker.words, marker.tone) == (words, tone)


def test_a_neutral_indicator_has_no_improving_trend_marker() -> None:
    marker = trend_marker("improving", "neutral")
    assert marker is not None and marker.tone == "neutral"


def test_the_continuity_index_is_a_mean() -> None:
    assert is_mean(CATALOGUE.indicator("kontinuitet_lakare")) and not is_mean(FAST)
