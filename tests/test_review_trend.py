"""Review of issue 12 (trend, change, comparison, targets): defects found and edge cases by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from metrics.catalogue.loader import load_catalogue
from metrics.compute.verdicts import add_trends
from metrics.stats.intervals import rate_interval
from metrics.stats.trend import proportion_trend_chi2, recent_trend
from tests.indicator_cases import replace_fast_target
from tests.test_verdicts import _cells

YEARS = [2020, 2021, 2022, 2023, 2024]


def _rate_rows(counts: tuple[int, ...]) -> list[dict[str, Any]]:
    rows = []
    for year, count in zip(range(2020, 2020 + len(counts)), counts, strict=True):
        low, high = rate_interval(np.array([float(count)]), np.array([1000.0]), 1000)
        rows.append(
            {
                "area_code": "0580",
                "area_level": "kommun",
                "period": str(year),
                "numerator": count,
                "denominator": 1000,
                "value": float(count),
                "ci_low": float(low[0]),
                "ci_high": float(high[0]),
            }
        )
    return rows


def test_a_standardised_value_in_one_year_does_not_take_away_the_crude_trend() -> None:
    # akutbesok_75 (poisson, lower is better): 100, 120, 140, 160, 180 per 1 000 of 1 000 persons.
    # Crude: Byar σ ≈ √x (10 … 13.4 per 1 000), β = 20 per year, χ² ≈ 53 ≫ 9.55 → worsening.
    # Only 2024 has a standardised value (e.g. the population by age was delivered for 2024 only):
    # the five-year window cannot be trended on standardised values, but it still has five crude
    # points, so the trend must be the crude one, not "kan inte beräknas".
    indicator = load_catalogue("indicators.yaml").catalogue.indicator("akutbesok_75")
    rows = _rate_rows((100, 120, 140, 160, 180))
    rows[-1].update(std_value=170.0, std_ci_low=150.0, std_ci_high=190.0)
    assert add_trends(_cells(rows), indicator).tolist()[-1] == "worsening"


def test_a_window_with_standardised_values_throughout_is_trended_on_them() -> None:
    # Crude rising (worsening) but standardised flat 150 (140, 160) each year: β = 0 → no_change.
    indicator = load_catalogue("indicators.yaml").catalogue.indicator("akutbesok_75")
    rows = _rate_rows((100, 120, 140, 160, 180))
    for row in rows:
        row.update(std_value=150.0, std_ci_low=140.0, std_ci_high=160.0)
    assert add_trends(_cells(rows), indicator).tolist()[-1] == "no_change"


def test_a_gap_year_makes_the_trend_impossible() -> None:
    # Rows for 2019, 2020, 2021, 2023, 2024 (2022 absent): not five consecutive years.
    result = recent_trend(
        [2019, 2020, 2021, 2023, 2024],
        [0.4, 0.45, 0.5, 0.55, 0.6],
        direction="higher",
        numerators=[400, 450, 500, 550, 600],
        denominators=[1000] * 5,
    )
    assert result.outcome == "cannot_calculate"


def test_chi_squared_for_trend_by_hand_with_a_zero_numerator() -> None:
    # O = 0, 1, 2, 3, 4 of N = 10 each at t = 0..4: N = 50, ΣO = 10, ΣOt = 0+1+4+9+16 = 30,
    # ΣNt = 100, ΣNt² = 300. χ² = 50·(50·30 − 10·100)² / (10·40·(50·300 − 100²))
    #    = 50·500² / (400·5000) = 12 500 000 / 2 000 000 = 6.25 < 9.55 → no significant trend.
    assert proportion_trend_chi2([0, 1, 2, 3, 4], [10] * 5, [0, 1, 2, 3, 4]) == pytest.approx(6.25)
    result = recent_trend(
        YEARS, [0, 10, 20, 30, 40], direction="higher", numerators=[0, 1, 2, 3, 4], denominators=[10] * 5
    )
    assert result.outcome == "no_change"


def test_a_quartile_target_of_true_is_an_error(tmp_path: Path) -> None:
    # YAML `quartile: yes`/`true` is a boolean, and True == 1 in Python: it must not pass as the
    # best quartile silently, but be reported at its line with the fix.
    text, line = replace_fast_target(Path("indicators.yaml").read_text(encoding="utf-8"), "{quartile: true}")
    bad = tmp_path / "indicators.yaml"
    bad.write_text(text, encoding="utf-8")
    problems = [str(p) for p in load_catalogue(bad).problems]
    assert any(f"indicators.yaml:{line}:" in p and "target.quartile ska vara 1" in p for p in problems), (
        problems
    )


@pytest.mark.parametrize("method", ["multiplicative", "additive"])
@pytest.mark.parametrize(("target", "events"), [(0.0, (0, 0)), (100.0, (1000, 500))])
def test_a_kommun_exactly_at_a_lan_of_0_or_100_percent_is_similar(
    method: str, target: float, events: tuple[int, int]
) -> None:
    # A län at 0 % (or 100 %) whose kommuner are all at 0 % (100 %): the null standard error
    # √(θ₀(1 − θ₀)/n) is 0, so no z-score exists, but each kommun equals the län exactly. The
    # plain interval says "similar" (Wilson 0/1000 = [0, 0,38 %] contains 0); the overdispersion
    # methods must say the same, not "not_compared" (which means "nothing to test").
    from metrics.stats.benchmark import ComparisonSettings, compare_with_benchmark

    denominators = np.array([1000.0, 500.0])
    numerators = np.array(events, dtype=float)
    for settings in (ComparisonSettings("ci95"), ComparisonSettings(method)):  # type: ignore[arg-type]
        result = compare_with_benchmark(
            target,
            numerators / denominators * 100,
            direction="higher",
            settings=settings,
            kind="wilson",
            multiplier=100,
            numerators=numerators,
            denominators=denominators,
        )
        assert result.classes.tolist() == ["similar", "similar"], settings.method


def test_no_kommun_is_compared_with_a_lan_whose_kommuner_cover_different_months() -> None:
    # akutbesok_75 (poisson per 1 000, lower is better), plain 95 % intervals. 0580 delivered the
    # whole of 2024: 100 visits per 1 000 persons. 0581 delivered January–June only: 50 per 1 000
    # (half a year of visits over a whole population). The län (complete = bool_and: partial) adds
    # them up: 150 / 2 000 = 75 per 1 000, a mix of a year and a half-year. Byar 95 % for 100
    # events: 100·(1 − 1/900 − 1.96/30)³ = 81.4 to 101·(1 − 1/909 + 1.96/(3·√101))³ = 121.6 per
    # 1 000 — excludes 75, so 0580 would be "worse"; for 50 events: 37.1 to 65.9 — excludes 75, so
    # 0581 would be "better". Both are artefacts of the months counted, not of care: where the
    # län's kommuner cover different months, nothing is compared with it.
    import dataclasses
    from datetime import date

    from metrics.catalogue.model import ComparisonChoice
    from metrics.compute.verdicts import add_comparisons

    catalogue = load_catalogue("indicators.yaml").catalogue
    catalogue = dataclasses.replace(catalogue, comparison=ComparisonChoice("ci95"))
    indicator = catalogue.indicator("akutbesok_75")
    full, half = date(2024, 12, 31), date(2024, 6, 30)
    lan = {"area_code": "05", "area_level": "lan", "numerator": 150, "denominator": 2000, "value": 75.0}
    a = {"area_code": "0580", "area_level": "kommun", "numerator": 100, "denominator": 1000, "value": 100.0}
    b = {"area_code": "0581", "area_level": "kommun", "numerator": 50, "denominator": 1000, "value": 50.0}
    frame = _cells(
        [
            {**lan, "period": "2024", "complete": False, "data_through": half},
            {**a, "period": "2024", "complete": True, "data_through": full},
            {**b, "period": "2024", "complete": False, "data_through": half},
            # 2023: every kommun through June (a partial year alike for all): compared as usual.
            {**lan, "period": "2023", "complete": False, "data_through": date(2023, 6, 30)},
            {**a, "period": "2023", "complete": False, "data_through": date(2023, 6, 30)},
            {**b, "period": "2023", "complete": False, "data_through": date(2023, 6, 30)},
        ]
    )
    _, comparison = add_comparisons(frame, indicator, catalogue)
    assert comparison.tolist() == [None, "not_compared", "not_compared", None, "worse", "better"]


def test_a_baseline_year_on_a_target_that_is_no_change_is_reported(tmp_path: Path) -> None:
    # `{value: 60, from: 2022}`: `from` only means something for a change; silently ignoring it
    # would let a writer believe the target is relative to 2022.
    text, line = replace_fast_target(
        Path("indicators.yaml").read_text(encoding="utf-8"), "{value: 60, from: 2022}"
    )
    bad = tmp_path / "indicators.yaml"
    bad.write_text(text, encoding="utf-8")
    problems = [str(p) for p in load_catalogue(bad).problems]
    assert any(f"indicators.yaml:{line}:" in p and "target.from" in p for p in problems), problems
