"""Intervals and funnel limits, checked against published values and hand-worked formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special

from metrics.stats.intervals import (
    Z95,
    Z998,
    funnel_limits,
    poisson_count_interval,
    rate_interval,
    wilson_interval,
)

# Any RuntimeWarning (division by zero, invalid value) fails a test: the engine runs these on
# whole tables and must stay quiet on empty cells.
pytestmark = pytest.mark.filterwarnings("error")


def poisson_cdf(k: int, mean: float) -> float:
    """P(X <= k) for X ~ Poisson(mean), summed term by term."""
    return sum(math.exp(-mean) * mean**i / math.factorial(i) for i in range(k + 1))


# --- Wilson ---------------------------------------------------------------------------------


def test_wilson_matches_newcombe_1998_example_81_of_263() -> None:
    # Newcombe, Stat Med 1998;17:857-872, table II, method 3 (score): 0.2553 to 0.3662.
    # By hand with z² = 3.841459: centre = (81 + 1.920729) / (263 + 3.841459) = 0.310749,
    # half = 1.959964 · √(81·182/263 + 0.960365) / 266.841459 = 0.055461.
    lower, upper = wilson_interval(81, 263)
    assert float(lower) == pytest.approx(0.310749 - 0.055461, abs=1e-6)
    assert float(upper) == pytest.approx(0.310749 + 0.055461, abs=1e-6)
    assert round(float(lower), 4) == 0.2553
    assert round(float(upper), 4) == 0.3662


@pytest.mark.parametrize(
    ("successes", "trials", "published"),
    [
        (15, 148, (0.0624, 0.1605)),  # Newcombe 1998, table II
        (0, 20, (0.0, 0.1611)),  # Newcombe 1998, table II
        (1, 29, (0.0061, 0.1718)),  # Newcombe 1998, table II
    ],
)
def test_wilson_matches_newcombe_1998_other_examples(
    successes: int, trials: int, published: tuple[float, float]
) -> None:
    lower, upper = wilson_interval(successes, trials)
    assert (round(float(lower), 4), round(float(upper), 4)) == published


def test_wilson_zero_of_ten_is_zero_to_0_2775() -> None:
    # With x = 0 the half width equals the centre: z²/2 / (n + z²) = 1.920729 / 13.841459 = 0.138766,
    # so the interval is exactly 0 to 2 · 0.138766 = 0.277533.
    lower, upper = wilson_interval(0, 10)
    assert float(lower) == 0.0
    assert float(upper) == pytest.approx(2 * 1.920729 / 13.841459, abs=1e-6)


def test_wilson_all_successes_mirror_zero_successes() -> None:
    lower, upper = wilson_interval(10, 10)
    assert float(upper) == 1.0
    assert float(lower) == pytest.approx(1 - 0.2775328, abs=1e-7)


def test_wilson_gives_nan_for_zero_trials_and_invalid_input_without_warning() -> None:
    lower, upper = wilson_interval([0, 5, np.nan, 3, 11, -1], [0, 0, 5, np.nan, 10, 10])
    assert np.isnan(lower).all()
    assert np.isnan(upper).all()


def test_wilson_is_vectorised_and_broadcasts() -> None:
    x = np.array([[0, 81], [15, 1]])
    n = np.array([[10, 263], [148, 29]])
    lower, upper = wilson_interval(x, n)
    assert lower.shape == upper.shape == (2, 2)
    for i in range(2):
        for j in range(2):
            one_lower, one_upper = wilson_interval(x[i, j], n[i, j])
            assert lower[i, j] == float(one_lower)
            assert upper[i, j] == float(one_upper)
    lower, _ = wilson_interval([81, 15], 263)  # scalar trials broadcast
    assert lower.shape == (2,)


def test_wilson_accepts_a_nullable_pandas_column() -> None:
    pd = pytest.importorskip("pandas")
    lower, _ = wilson_interval(pd.Series([81, None], dtype="Int64"), pd.Series([263, 263], dtype="Int64"))
    assert round(float(lower[0]), 4) == 0.2553
    assert np.isnan(lower[1])


# --- Poisson counts: exact below 10 ---------------------------------------------------------


def test_poisson_zero_count_is_zero_to_3_689() -> None:
    # Upper bound: P(X = 0 | μ) = e^-μ = 0.025, so μ = -ln 0.025 = 3.688879 (= chi2.ppf(0.975, 2) / 2).
    lower, upper = poisson_count_interval(0)
    assert float(lower) == 0.0
    assert float(upper) == pytest.approx(-math.log(0.025), rel=1e-9)
    assert round(float(upper), 3) == 3.689


def test_poisson_exact_for_one() -> None:
    # Published exact limits 0.0253 to 5.572. Lower: P(X >= 1 | μ) = 1 - e^-μ = 0.025, μ = -ln 0.975.
    # Upper: P(X <= 1 | μ) = e^-μ (1 + μ) = 0.025.
    lower, upper = poisson_count_interval(1)
    assert float(lower) == pytest.approx(-math.log(0.975), rel=1e-9)
    assert math.exp(-float(upper)) * (1 + float(upper)) == pytest.approx(0.025, rel=1e-9)
    assert (round(float(lower), 4), round(float(upper), 3)) == (0.0253, 5.572)


@pytest.mark.parametrize(
    ("count", "published"),
    [
        (5, (1.6235, 11.6683)),  # chi2.ppf(0.025, 10) / 2 = 3.2470 / 2; chi2.ppf(0.975, 12) / 2 = 23.3367 / 2
        (9, (4.1154, 17.0848)),  # chi2.ppf(0.025, 18) / 2 = 8.2307 / 2; chi2.ppf(0.975, 20) / 2 = 34.1696 / 2
    ],
)
def test_poisson_exact_matches_published_limits(count: int, published: tuple[float, float]) -> None:
    lower, upper = poisson_count_interval(count)
    assert (round(float(lower), 4), round(float(upper), 4)) == published
    # The defining property of the exact interval, summed by hand: each bound leaves 2.5 % in its tail.
    assert 1 - poisson_cdf(count - 1, float(lower)) == pytest.approx(0.025, rel=1e-8)
    assert poisson_cdf(count, float(upper)) == pytest.approx(0.025, rel=1e-8)


# --- Poisson counts: Byar from 10 -----------------------------------------------------------


def test_poisson_ten_uses_byar() -> None:
    # Lower: 10 · (1 - 1/90 - 1.959964 / (3·√10))³ = 10 · (1 - 0.011111 - 0.206598)³ = 10 · 0.782291³
    # Upper: 11 · (1 - 1/99 + 1.959964 / (3·√11))³ = 11 · (1 - 0.010101 + 0.196984)³ = 11 · 1.186883³
    lower, upper = poisson_count_interval(10)
    assert float(lower) == pytest.approx(10 * 0.782291**3, rel=1e-5)
    assert float(upper) == pytest.approx(11 * 1.186883**3, rel=1e-5)
    assert (round(float(lower), 4), round(float(upper), 4)) == (4.7874, 18.3915)


def test_poisson_hundred_uses_byar() -> None:
    # Lower: 100 · (1 - 1/900 - 1.959964/30)³ = 100 · 0.933557³ = 81.3621
    # Upper: 101 · (1 - 1/909 + 1.959964 / (3·√101))³ = 101 · (1 - 0.001100 + 0.065008)³ = 121.6279
    lower, upper = poisson_count_interval(100)
    assert float(lower) == pytest.approx(100 * 0.933557**3, rel=1e-5)
    assert float(upper) == pytest.approx(101 * (1 - 0.0011001 + 0.0650079) ** 3, rel=1e-5)
    assert (round(float(lower), 2), round(float(upper), 2)) == (81.36, 121.63)  # exact: 81.37, 121.63


def test_poisson_switches_method_at_ten() -> None:
    lower, _ = poisson_count_interval([9, 10])
    # Count 9 is exact (4.1154, from the gamma quantile); count 10 is Byar (4.7874), not exact (4.7954).
    assert lower[0] == pytest.approx(special.gammaincinv(9, 0.025), rel=1e-12)
    assert lower[1] == pytest.approx(4.787450, rel=1e-6)
    assert lower[1] != pytest.approx(special.gammaincinv(10, 0.025), rel=1e-4)


def test_poisson_gives_nan_for_nan_and_negative_counts() -> None:
    lower, upper = poisson_count_interval([np.nan, -1, 3])
    assert np.isnan(lower[:2]).all() and np.isnan(upper[:2]).all()
    assert np.isfinite(lower[2]) and np.isfinite(upper[2])


def test_poisson_is_vectorised() -> None:
    counts = np.arange(0, 200).reshape(20, 10)
    lower, upper = poisson_count_interval(counts)
    assert lower.shape == (20, 10)
    assert (np.diff(lower.ravel()) > 0).all()  # both bounds rise with the count, across the switch too
    assert (np.diff(upper.ravel()) > 0).all()
    assert lower[0, 5] == float(poisson_count_interval(5)[0])


def test_wider_z_gives_wider_poisson_interval() -> None:
    lower95, upper95 = poisson_count_interval([3, 30])
    lower998, upper998 = poisson_count_interval([3, 30], z=Z998)
    assert (lower998 < lower95).all() and (upper998 > upper95).all()


def test_z_must_be_positive() -> None:
    with pytest.raises(ValueError, match="z must be a positive number"):
        poisson_count_interval(3, z=0)


# --- Rates ------------------------------------------------------------------------------------


def test_rate_interval_divides_the_count_interval_by_the_population() -> None:
    # 5 events among 2 000 inhabitants, per 1 000: (1.6235, 11.6683) / 2 000 · 1 000.
    lower, upper = rate_interval(5, 2000, 1000)
    assert float(lower) == pytest.approx(1.623486 / 2, rel=1e-6)
    assert float(upper) == pytest.approx(11.668332 / 2, rel=1e-6)


def test_rate_interval_gives_nan_for_zero_or_missing_population_without_warning() -> None:
    lower, upper = rate_interval([5, 5, 5, 0], [0, np.nan, -3, 100], 1000)
    assert np.isnan(lower[:3]).all() and np.isnan(upper[:3]).all()
    assert lower[3] == 0.0
    assert upper[3] == pytest.approx(36.888794, rel=1e-6)


# --- Funnel limits --------------------------------------------------------------------------


def test_wilson_funnel_is_the_normal_limit_around_the_target() -> None:
    # Target 30 %, n = 100: 30 ± 1.959964 · √(0.3 · 0.7 / 100) · 100 = 30 ± 8.981683.
    lower, upper = funnel_limits(30.0, [100], "wilson", 100, Z95)
    assert lower[0] == pytest.approx(30 - 8.981683, abs=1e-6)
    assert upper[0] == pytest.approx(30 + 8.981683, abs=1e-6)


def test_a_kommun_on_the_wilson_funnel_has_a_wilson_interval_touching_the_target() -> None:
    n = 400
    lower, upper = funnel_limits(30.0, [n], "wilson", 100, Z95)
    at_upper = wilson_interval(upper[0] / 100 * n, n)[0]
    at_lower = wilson_interval(lower[0] / 100 * n, n)[1]
    assert float(at_upper) == pytest.approx(0.30, abs=1e-12)
    assert float(at_lower) == pytest.approx(0.30, abs=1e-12)


def test_wilson_funnel_is_clipped_to_0_and_100_percent() -> None:
    lower, upper = funnel_limits(30.0, [1], "wilson", 100, Z998)
    assert (lower[0], upper[0]) == (0.0, 100.0)


def test_poisson_funnel_inverts_the_exact_interval() -> None:
    # Target 12 per 1 000 and 250 inhabitants: 3 events expected. A kommun observing the upper limit
    # has an exact interval whose lower bound is the target, and the reverse for the lower limit
    # (2 000 inhabitants, 24 expected).
    _, upper = funnel_limits(12.0, [250], "poisson", 1000, Z95)
    upper_count = upper[0] * 250 / 1000
    assert upper_count < 10  # so the kommun's own interval is the exact one
    assert float(poisson_count_interval(upper_count)[0]) == pytest.approx(3.0, rel=1e-6)

    lower, _ = funnel_limits(5.0, [2000], "poisson", 1000, Z95)  # 10 expected
    lower_count = lower[0] * 2000 / 1000
    assert float(poisson_count_interval(lower_count)[1]) == pytest.approx(10.0, rel=1e-6)


def test_poisson_funnel_at_a_whole_count_leaves_the_tail_probability_beyond_it() -> None:
    # Choose the mean for which the exact lower bound of 8 events is that mean: the upper limit is
    # then exactly 8 events, and P(X >= 8 | mean) = 2.5 %, summed by hand.
    mean = float(special.gammaincinv(8, 0.025))
    _, upper = funnel_limits(mean, [1000], "poisson", 1000, Z95)
    assert upper[0] == pytest.approx(8.0, rel=1e-6)
    assert 1 - poisson_cdf(7, mean) == pytest.approx(0.025, rel=1e-8)


def test_poisson_funnel_for_tiny_expected_counts() -> None:
    # 0.02 events expected: below -ln 0.975 = 0.0253, so the upper limit lies under one event.
    lower, upper = funnel_limits(20.0, [1], "poisson", 1000, Z95)
    upper_count = upper[0] / 1000
    assert lower[0] == 0.0
    assert 0 < upper_count < 1
    assert special.gammaincc(upper_count, 0.02) == pytest.approx(0.975, rel=1e-9)
    lower, upper = funnel_limits(0.0, [1, 100], "poisson", 1000, Z95)
    assert (lower == 0).all() and (upper == 0).all()


def test_poisson_funnel_narrows_with_the_denominator_and_the_outer_is_wider() -> None:
    denominators = np.geomspace(10, 1e6, 200)
    lower, upper = funnel_limits(20.0, denominators, "poisson", 1000, Z95)
    outer_lower, outer_upper = funnel_limits(20.0, denominators, "poisson", 1000, Z998)
    assert (np.diff(upper) < 0).all()
    assert (np.diff(lower[lower > 0]) > 0).all()
    assert (outer_upper > upper).all() and (outer_lower <= lower).all()
    assert lower[-1] < 20.0 < upper[-1]


def test_funnel_gives_nan_for_missing_or_zero_denominators_and_a_missing_target() -> None:
    for kind in ("wilson", "poisson"):
        lower, upper = funnel_limits(30.0, [0, np.nan, -5], kind, 100, Z95)
        assert np.isnan(lower).all() and np.isnan(upper).all()
        lower, upper = funnel_limits(float("nan"), [100], kind, 100, Z95)
        assert np.isnan(lower).all() and np.isnan(upper).all()


def test_funnel_refuses_an_unknown_kind_and_a_target_out_of_range() -> None:
    with pytest.raises(ValueError, match="unknown funnel kind 'binomial'"):
        funnel_limits(30.0, [100], "binomial", 100, Z95)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not a proportion"):
        funnel_limits(130.0, [100], "wilson", 100, Z95)
    with pytest.raises(ValueError, match="must be a rate >= 0"):
        funnel_limits(-1.0, [100], "poisson", 1000, Z95)
