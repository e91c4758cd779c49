"""Issue 12: tested change, recent trend and overdispersion-aware comparison, against published examples."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from metrics.stats.benchmark import (
    ComparisonSettings,
    compare_with_benchmark,
    comparison_limits,
    estimate_dispersion,
    winsorise,
)
from metrics.stats.change import newcombe_difference, rate_ratio_interval
from metrics.stats.change import tested_change as change_between
from metrics.stats.trend import CHI2_998, proportion_trend_chi2, recent_trend, weighted_trend
from tests.indicator_cases import replace_fast_target

# --- change against the previous period ------------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "low", "high"),
    [
        ((56, 70, 48, 80), 0.0524, 0.3339),
        ((9, 10, 3, 10), 0.1705, 0.8090),
        ((6, 7, 2, 7), 0.0582, 0.8062),
        ((5, 56, 0, 29), -0.0381, 0.1926),
        ((0, 10, 0, 20), -0.1611, 0.2775),
        ((10, 10, 0, 20), 0.6791, 1.0000),
    ],
)
def test_newcombe_interval_matches_newcombe_1998_table_ii_method_10(
    cells: tuple[int, int, int, int], low: float, high: float
) -> None:
    # Newcombe RG. Stat Med 1998;17:873-890, Table II, method 10 (score, no continuity correction).
    _, lo, hi = newcombe_difference(*cells)
    assert round(float(lo), 4) == low
    assert round(float(hi), 4) == high


def test_rate_ratio_interval_by_hand() -> None:
    # 30 events in 1 000 vs 10 in 1 000: RR = 3. Given 40 events, π = 30/40 = 0.75; Wilson 95 %:
    # centre (0.75 + 1.9600²/80)/(1 + 1.9600²/40) = 0.79802/1.09604 = 0.72810,
    # half 1.96·√(0.75·0.25/40 + 1.9600²/6400)/1.09604 = 1.96·0.072717/1.09604 = 0.13004;
    # π ∈ (0.59806, 0.85813) → RR ∈ (0.59806/0.40194, 0.85813/0.14187) = (1.4879, 6.0488).
    ratio, lo, hi = rate_ratio_interval(30, 1000, 10, 1000)
    assert float(ratio) == pytest.approx(3.0)
    assert float(lo) == pytest.approx(1.4879, abs=2e-4)
    assert float(hi) == pytest.approx(6.0488, abs=2e-3)


@dataclass
class Cell:
    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    suppressed: bool = False
    missing: bool = False
    complete: bool = True


def test_a_small_change_in_a_proportion_is_no_certain_change() -> None:
    # 50,0 % → 49,8 % of 1 000 (the "−0,2 procentenheter" called försämring).
    now, before = Cell(49.8, 498, 1000), Cell(50.0, 500, 1000)
    change = change_between(now, before, interval="wilson", multiplier=100, direction="higher")
    assert change is not None
    assert change.words == "ingen säker förändring"


def test_a_change_whose_interval_excludes_zero_is_certain_and_follows_the_direction() -> None:
    # 56/70 = 80 % vs 48/80 = 60 %: Newcombe (0.0524, 0.3339) excludes 0 → certain rise.
    now, before = Cell(80.0, 56, 70), Cell(60.0, 48, 80)
    up = change_between(now, before, interval="wilson", multiplier=100, direction="higher")
    down = change_between(now, before, interval="wilson", multiplier=100, direction="lower")
    neutral = change_between(now, before, interval="wilson", multiplier=100, direction="neutral")
    assert up is not None and up.words == "säker förbättring"
    assert down is not None and down.words == "säker försämring"
    assert neutral is not None and neutral.words == "säker ökning"
    assert up.low == pytest.approx(5.24, abs=0.01)


def test_rates_are_tested_by_the_rate_ratio() -> None:
    # 10 → 30 per 1 000: RR 3 (1.49, 6.05) excludes 1; lower is better → certain worsening.
    change = change_between(
        Cell(30.0, 30, 1000), Cell(10.0, 10, 1000), interval="poisson", multiplier=1000, direction="lower"
    )
    assert change is not None and change.outcome == "worsening" and change.measure == "ratio"
    same = change_between(
        Cell(11.0, 11, 1000), Cell(10.0, 10, 1000), interval="poisson", multiplier=1000, direction="lower"
    )
    assert same is not None and same.outcome == "no_change"


def test_a_partial_period_is_never_compared_with_a_complete_one() -> None:
    now = Cell(80.0, 56, 70, complete=False)
    assert (
        change_between(now, Cell(60.0, 48, 80), interval="wilson", multiplier=100, direction="higher") is None
    )
    hidden = Cell(None, suppressed=True)
    assert (
        change_between(hidden, Cell(60.0, 48, 80), interval="wilson", multiplier=100, direction="higher")
        is None
    )


def test_a_mean_with_intervals_is_tested_by_mover_and_without_is_not_tested() -> None:
    # 0.50 (0.45, 0.55) vs 0.40 (0.36, 0.44): d = 0.10, L = 0.10 − √(0.05² + 0.04²) = 0.10 − 0.0640 = 0.036.
    change = change_between(
        Cell(0.50, ci_low=0.45, ci_high=0.55),
        Cell(0.40, ci_low=0.36, ci_high=0.44),
        interval="none",
        multiplier=1,
        direction="higher",
    )
    assert change is not None and change.outcome == "improving"
    assert change.low == pytest.approx(0.10 - math.sqrt(0.05**2 + 0.04**2))
    bare = change_between(Cell(0.5), Cell(0.4), interval="none", multiplier=1, direction="higher")
    assert bare is not None and bare.outcome == "not_tested"


# --- recent trend -----------------------------------------------------------------------------


def test_chi_squared_for_trend_matches_published_examples() -> None:
    # R documentation of stats::prop.trend.test: smokers 83/86, 90/93, 129/136, 70/82 → X² = 8.2249.
    assert proportion_trend_chi2([83, 90, 129, 70], [86, 93, 136, 82], [1, 2, 3, 4]) == pytest.approx(
        8.2249, abs=1e-4
    )
    # Rosner, Fundamentals of Biostatistics, breast cancer by age at first birth: X²₁ = 129.01.
    x2 = proportion_trend_chi2([320, 1206, 1011, 463, 220], [1742, 5638, 3904, 1555, 626], [1, 2, 3, 4, 5])
    assert x2 == pytest.approx(129.01, abs=0.01)


def test_the_99_8_threshold_is_the_chi_squared_point_used_by_fingertips() -> None:
    assert pytest.approx(9.5495, abs=1e-4) == CHI2_998  # PHEindicatormethods: test_statistic > 9.5495


def test_weighted_trend_by_hand() -> None:
    # Values 10, 12, 14, 16, 18 at t = 0..4, each with σ = 1 (interval ±1.96): β = 2,
    # Var(β) = Σw/(Σw·Σwt² − (Σwt)²) = 5/(5·30 − 100) = 0.1 → χ² = 4/0.1 = 40.
    y = [10, 12, 14, 16, 18]
    beta, x2 = weighted_trend(
        y, [v - 1.959963984540054 for v in y], [v + 1.959963984540054 for v in y], range(5)
    )
    assert beta == pytest.approx(2.0)
    assert x2 == pytest.approx(40.0)


def test_trend_words_follow_direction_and_need_five_consecutive_usable_years() -> None:
    years = [2020, 2021, 2022, 2023, 2024]
    # 40 %, 45 %, 50 %, 55 %, 60 % of 1 000 each: χ² ≈ 79 ≫ 9.55, every leave-one-out slope positive.
    num = [400, 450, 500, 550, 600]
    den = [1000] * 5
    values = [40.0, 45.0, 50.0, 55.0, 60.0]
    kwargs: dict[str, Any] = {"numerators": num, "denominators": den}
    assert recent_trend(years, values, direction="higher", **kwargs).words == "förbättras"
    assert recent_trend(years, values, direction="lower", **kwargs).words == "försämras"
    assert recent_trend(years, values, direction="neutral", **kwargs).words == "ökar"
    flat = recent_trend(years, [50.0] * 5, direction="higher", numerators=[500] * 5, denominators=den)
    assert flat.words == "ingen säker trend"
    assert recent_trend(
        years[1:], values[1:], direction="higher", numerators=num[1:], denominators=den[1:]
    ).words == ("kan inte beräknas")
    gap = [2019, 2021, 2022, 2023, 2024]
    assert recent_trend(gap, values, direction="higher", **kwargs).outcome == "cannot_calculate"
    hidden = [True, True, False, True, True]
    assert (
        recent_trend(years, values, direction="higher", usable=hidden, **kwargs).outcome == "cannot_calculate"
    )


def test_one_outlying_year_does_not_make_a_trend() -> None:
    # 50, 50, 50, 50 % then 70 %: significant (χ² large) but leaving out the last year gives a
    # slope of 0, not positive → "ingen säker trend" (Fingertips' leave-one-out check).
    years = [2020, 2021, 2022, 2023, 2024]
    result = recent_trend(
        years,
        [50, 50, 50, 50, 70],
        direction="higher",
        numerators=[500, 500, 500, 500, 700],
        denominators=[1000] * 5,
    )
    assert result.chi2 > CHI2_998
    assert result.outcome == "no_change"


# --- comparison with the benchmark ------------------------------------------------------------


def test_dispersion_by_hand() -> None:
    # z = 0, 1, −1, 3, −3 with s = 1 each, no winsorising: φ = (0 + 1 + 1 + 9 + 9)/5 = 4;
    # w = 1 → Σw − Σw²/Σw = 5 − 1 = 4; τ² = (5·4 − 4)/4 = 4.
    d = estimate_dispersion([0, 1, -1, 3, -3], [1, 1, 1, 1, 1], fraction=0)
    assert d.phi == pytest.approx(4.0)
    assert d.tau2 == pytest.approx(4.0)
    # Winsorised at 10 % with five points: percentiles (numpy linear) at 10 % = −2.2 and 90 % = 2.2.
    assert winsorise([0, 1, -1, 3, -3], 0.10).tolist() == pytest.approx([0, 1, -1, 2.2, -2.2])
    # Under-dispersion gives no between-unit variance: τ² is floored at 0.
    assert estimate_dispersion([0.1, -0.1, 0.2], [1, 1, 1], fraction=0).tau2 == 0


def test_overdispersion_widens_the_limits_so_a_large_kommun_is_not_flagged_for_noise() -> None:
    # Ten kommuner of 10 000 persons around a län of 50 %: s = √(0.25/10 000) = 0.5 percentage points.
    # Values 47..53 give z = −6..6: far outside 95 % limits (±0.98 points) for most of them.
    values = np.array([47, 48, 49, 50, 51, 52, 53, 47.5, 52.5, 50])
    den = np.full(10, 10_000)
    num = values / 100 * den
    common = {
        "direction": "higher",
        "kind": "wilson",
        "multiplier": 100,
        "numerators": num,
        "denominators": den,
    }
    plain = compare_with_benchmark(50.0, values, settings=ComparisonSettings("ci95"), **common)
    flagged_plain = int(np.isin(plain.classes, ["better", "worse"]).sum())
    adjusted = compare_with_benchmark(50.0, values, settings=ComparisonSettings("additive", 99.8), **common)
    flagged_adjusted = int(np.isin(adjusted.classes, ["better", "worse"]).sum())
    assert flagged_plain == 8  # all but the two at exactly 50 %
    assert flagged_adjusted < flagged_plain
    # The funnel drawn for the same settings agrees with the classes at the kommuner's size.
    lower, upper = comparison_limits(
        50.0, den, "wilson", 100, ComparisonSettings("additive", 99.8), adjusted.dispersion
    )
    outside = (values < lower) | (values > upper)
    assert outside.sum() == flagged_adjusted


def test_a_neutral_indicator_is_higher_or_lower_never_better_or_worse() -> None:
    result = compare_with_benchmark(
        50.0,
        [40.0, 50.0, 60.0],
        direction="neutral",
        settings=ComparisonSettings("ci95"),
        kind="wilson",
        multiplier=100,
        numerators=[400, 500, 600],
        denominators=[1000] * 3,
    )
    assert result.classes.tolist() == ["lower", "similar", "higher"]


# --- targets ----------------------------------------------------------------------------------


def test_target_words_carry_the_year_and_follow_the_kind() -> None:
    from metrics.catalogue.model import TargetSpec
    from metrics.stats.targets import target_status

    plain = TargetSpec("value", value=60.0)
    assert target_status(plain, 61.0, direction="higher") == target_status(plain, 60.0, direction="higher")
    assert target_status(plain, 61.0, direction="higher").text == "Målet uppnått"  # type: ignore[union-attr]
    assert target_status(plain, 59.0, direction="higher").met is False  # type: ignore[union-attr]
    dated = TargetSpec("value", 2025, value=6.0)
    assert target_status(dated, 5.0, direction="lower", year=2025).text == "Målet 2025 uppnått"  # type: ignore[union-attr]
    assert target_status(dated, 7.0, direction="lower", year=2024).text == "Målet 2025 ännu ej uppnått"  # type: ignore[union-attr]
    # Continuity index +20 % from 2022: baseline 0.30 → goal 0.30 · 1.2 = 0.36.
    change = TargetSpec("change", 2025, percent=20.0, baseline_year=2022)
    status = target_status(change, 0.35, direction="higher", year=2025, baseline_value=0.30)
    assert status is not None and status.met is False and status.goal == pytest.approx(0.36)
    assert status.text == "Målet 2025 ej uppnått"
    # Best quartile of 1..8 (higher is better): numpy's 75th percentile of 1..8 = 1 + 0.75·7 = 6.25.
    quartile = TargetSpec("quartile", 2025, quartile=1)
    kommuner = [1, 2, 3, 4, 5, 6, 7, 8]
    assert target_status(quartile, 7.0, direction="higher", year=2025, kommun_values=kommuner).met is True  # type: ignore[union-attr]
    assert target_status(quartile, 6.0, direction="higher", year=2025, kommun_values=kommuner).met is False  # type: ignore[union-attr]
    band = TargetSpec("range", 2025, low=40.0, high=60.0)
    assert target_status(band, 50.0, direction="neutral", year=2025).met is True  # type: ignore[union-attr]
    area = TargetSpec("area", 2025, area="05")
    assert target_status(area, 50.0, direction="higher", year=2025, reference_value=None).met is None  # type: ignore[union-attr]
    assert target_status(plain, 61.0, direction="neutral").met is None  # type: ignore[union-attr]


def test_the_catalogue_reads_target_and_comparison_and_explains_mistakes(tmp_path: Path) -> None:
    from metrics.catalogue.loader import load_catalogue

    text = Path("indicators.yaml").read_text(encoding="utf-8")
    assert "settings:\n" in text
    good = text.replace("settings:\n", "settings:\n  comparison: {method: multiplicative, level: 95}\n", 1)
    path = tmp_path / "indicators.yaml"
    path.write_text(good, encoding="utf-8")
    catalogue = load_catalogue(path, strict=True).catalogue
    assert catalogue.comparison.method == "multiplicative" and catalogue.comparison.level == 95
    fast = catalogue.indicator("fast_lakarkontakt")
    assert catalogue.comparison_of(fast).method == "multiplicative"
    bad = text.replace("settings:\n", "settings:\n  comparison: {method: addditive}\n", 1)
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(Exception) as error:
        load_catalogue(path, strict=True)
    assert "okänd jämförelsemetod 'addditive'" in str(error.value)
    assert "additive" in str(error.value)  # the hint names the right spelling


# --- the compute stage on hand-made results ---------------------------------------------------


def _cells(rows: list[dict[str, Any]]) -> Any:
    import pandas as pd

    from metrics.db import RESULT_COLUMNS

    base = {
        "indicator": "x",
        "period_type": "year",
        "breakdown": "total",
        "sex": None,
        "age_band": None,
        "suppressed": False,
        "suppression": None,
        "missing": False,
        "complete": True,
        "data_through": None,
    }
    frame = pd.DataFrame([{**base, **row} for row in rows])
    frame["period_start"] = pd.to_datetime(frame["period"] + "-01-01")
    return frame.reindex(columns=list(RESULT_COLUMNS))


def test_the_compute_stage_prefers_the_standardised_value_when_there_is_one() -> None:
    import dataclasses

    from metrics.catalogue.loader import load_catalogue
    from metrics.catalogue.model import ComparisonChoice
    from metrics.compute.verdicts import add_comparisons

    catalogue = load_catalogue("indicators.yaml").catalogue
    catalogue = dataclasses.replace(catalogue, comparison=ComparisonChoice("ci95"))
    indicator = catalogue.indicator("akutbesok_75")  # poisson, lower is better
    # Crude: 0580 100 per 1 000 (similar to the län's 100), 0581 150 (worse). Standardised:
    # 0580 80 (75, 85) excludes the län's 100 → better; 0581 100 (95, 105) → similar.
    lan = {"area_code": "05", "area_level": "lan", "numerator": 1000, "denominator": 10_000, "value": 100.0}
    a = {"area_code": "0580", "area_level": "kommun", "numerator": 100, "denominator": 1000, "value": 100.0}
    b = {"area_code": "0581", "area_level": "kommun", "numerator": 150, "denominator": 1000, "value": 150.0}
    frame = _cells(
        [
            {**lan, "period": "2024", "std_value": 100.0, "std_ci_low": 98.0, "std_ci_high": 102.0},
            {**a, "period": "2024", "std_value": 80.0, "std_ci_low": 75.0, "std_ci_high": 85.0},
            {**b, "period": "2024", "std_value": 100.0, "std_ci_low": 95.0, "std_ci_high": 105.0},
            {**lan, "period": "2023"},  # no standardised values: the crude ones are compared
            {**a, "period": "2023"},
            {**b, "period": "2023"},
        ]
    )
    compared_to, comparison = add_comparisons(frame, indicator, catalogue)
    assert compared_to.tolist() == [None, "05", "05"] * 2
    assert comparison.tolist() == [None, "better", "similar", None, "similar", "worse"]


def test_the_compute_stage_gives_no_trend_over_a_partial_year() -> None:
    from metrics.catalogue.loader import load_catalogue
    from metrics.compute.verdicts import add_trends

    indicator = load_catalogue("indicators.yaml").catalogue.indicator("fast_lakarkontakt")
    cell = {"area_code": "0580", "area_level": "kommun", "denominator": 1000}
    shares = (400, 450, 500, 550, 600, 650)
    rows = [
        {**cell, "period": str(year), "numerator": n, "value": n / 10}
        for year, n in zip(range(2020, 2026), shares, strict=True)
    ]
    rows[-1]["complete"] = False  # 2025 covered in part
    trend = add_trends(_cells(rows), indicator)
    # 2024 closes five complete rising years (χ² ≈ 100); 2025 is partial.
    assert trend.tolist() == ["cannot_calculate"] * 4 + ["improving", "cannot_calculate"]


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("{change: 20, year: 2025}", "target.change behöver from: basåret, t.ex. from: 2022"),
        ("{quartile: 5}", "target.quartile ska vara 1 (bästa fjärdedelen), 2 eller 3"),
        ("{range: [60, 40]}", "target.range ska vara [lägsta, högsta], t.ex. [40, 60]"),
        ("{change: 20, from: 2022, year: 2021}", "target.year ska komma efter basåret 2022"),
        ('{value: 60, area: "05"}', "target ska ha precis en av value, range, change, quartile, area"),
    ],
)
def test_a_wrong_target_is_reported_with_its_line_and_the_fix(
    tmp_path: Path, target: str, message: str
) -> None:
    from metrics.catalogue.loader import load_catalogue

    text, line = replace_fast_target(Path("indicators.yaml").read_text(encoding="utf-8"), target)
    path = tmp_path / "indicators.yaml"
    path.write_text(text, encoding="utf-8")
    problems = [str(p) for p in load_catalogue(path).problems]
    assert any(f"indicators.yaml:{line}:" in p and message in p for p in problems), problems


def test_a_plain_number_target_still_works(tmp_path: Path) -> None:
    from metrics.catalogue.loader import load_catalogue

    path = tmp_path / "indicators.yaml"
    text, _ = replace_fast_target(Path("indicators.yaml").read_text(encoding="utf-8"), "60")
    path.write_text(text, encoding="utf-8")
    fast = load_catalogue(path).catalogue.indicator("fast_lakarkontakt")
    assert fast.target == 60
    assert fast.target_spec is not None and fast.target_spec.kind == "value" and fast.target_spec.value == 60
