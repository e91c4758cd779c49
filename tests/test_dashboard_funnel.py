"""Funnel limits agree with the intervals: outside the 95 % funnel ⇔ the interval excludes the län."""

from __future__ import annotations

import numpy as np
import pytest

from metrics.dashboard.logic import funnel
from metrics.dashboard.logic.funnel import Z95, Z998, funnel_curves, funnel_kind, funnel_limits, outside
from metrics.stats.intervals import rate_interval, wilson_interval


def test_the_funnel_narrows_as_the_denominator_grows() -> None:
    lower, upper = funnel_limits(45.0, [50, 500, 5000, 50000], "wilson", 100)
    widths = upper - lower
    assert np.all(np.diff(widths) < 0)
    assert np.all(lower < 45.0) and np.all(upper > 45.0)


def test_the_outer_funnel_is_wider_than_the_inner() -> None:
    lo95, hi95 = funnel_limits(45.0, [200, 2000], "wilson", 100, Z95)
    lo998, hi998 = funnel_limits(45.0, [200, 2000], "wilson", 100, Z998)
    assert np.all(lo998 < lo95) and np.all(hi998 > hi95)


@pytest.mark.parametrize(
    ("count", "n"), [(30, 100), (60, 100), (38, 100), (52, 100), (480, 1000), (420, 1000)]
)
def test_outside_the_proportion_funnel_exactly_when_the_wilson_interval_excludes_the_lan(
    count: int, n: int
) -> None:
    lan = 45.0
    low, high = wilson_interval(count, n)
    excludes = low[()] * 100 > lan or high[()] * 100 < lan
    assert outside(count / n * 100, n, lan, "wilson", 100, Z95) == excludes


@pytest.mark.parametrize(("count", "population"), [(3, 1000), (12, 1000), (40, 10000), (75, 10000)])
def test_outside_the_rate_funnel_when_the_poisson_interval_excludes_the_lan(
    count: int, population: int
) -> None:
    lan = 5.0  # per 1 000
    low, high = rate_interval(count, population, 1000)
    excludes = low[()] > lan or high[()] < lan
    assert outside(count / population * 1000, population, lan, "poisson", 1000, Z95) == excludes


def test_the_fallback_approximation_is_close_for_large_denominators() -> None:
    exact = funnel_limits(45.0, [10000], "wilson", 100)
    approx = funnel._approximate_limits(45.0, np.array([10000.0]), "wilson", 100, Z95)
    assert abs(exact[0][0] - approx[0][0]) < 0.05 and abs(exact[1][0] - approx[1][0]) < 0.05


def test_curves_cover_every_kommun_and_need_a_lan_value() -> None:
    curves = funnel_curves(45.0, [300, 2000, 40000], "wilson", 100)
    assert curves is not None
    assert curves.x[0] <= 300 and curves.x[-1] >= 40000
    assert funnel_curves(None, [300], "wilson", 100) is None
    assert funnel_curves(45.0, [], "wilson", 100) is None


def test_only_indicators_with_an_interval_get_a_funnel() -> None:
    assert funnel_kind("wilson") == "wilson"
    assert funnel_kind("poisson") == "poisson"
    assert funnel_kind("none") is None
