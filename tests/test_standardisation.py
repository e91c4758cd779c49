"""Age standardisation: PHE's published DSR test cases, and rates standardised in the engine.

The reference numbers come from PHEindicatormethods (UKHSA, GPL-3), the R package PHE/OHID use
for Fingertips: tests/testthat/testdata_DSR_ISR.xlsx, sheets `testdata_multiarea` and
`testdata_nonindepe` (inputs) and `testresults_DSR` (expected output of `calculate_dsr`, per
100 000, 95 % Dobson limits), https://github.com/ukhsa-collaboration/PHEindicatormethods.
They use the ESP 2013 in 19 bands (the last, 90+, is 90–94 + 95+ = 800 + 200 = 1 000).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from metrics.catalogue.model import StandardPopulation
from metrics.stats.standardisation import (
    ESP2013,
    MIN_DSR_COUNT,
    byars_bounds,
    directly_standardised_rate,
)
from tests.indicator_cases import cell, compute, insert
from tests.test_indicators import contact, population

ESP_19 = [
    5000,
    5500,
    5500,
    5500,
    6000,
    6000,
    6500,
    7000,
    7000,
    7000,
    7000,
    6500,
    6000,
    5500,
    5000,
    4000,
    2500,
    1500,
    1000,
]
# testdata_multiarea: the same 19 populations for every area
POP = [636, 558, 609, 543, 384, 594, 669, 843, 660, 576, 606, 522, 426, 273, 300, 288, 153, 123, 207]
BIG = [127, 25, 18, 21, 12, 27, 48, 27, 29, 32, 32, 34, 45, 65, 38, 68, 74, 82, 91]
SMALL = [12, 4, 3, 2, 3, 4, 8, 2, 2, 3, 4, 5, 6, 8, 5, 6, 5, 5, 4]
TINY = [0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 1, 2, 3]  # 10-14 is empty (NA) in the sheet
# testdata_nonindepe, area testdata_nonind_big: persons with 1, 2, 3 and 4 events per band
F1 = [75, 16, 11, 12, 8, 18, 26, 18, 18, 21, 21, 23, 23, 39, 25, 40, 46, 49, 56]
F2 = [16, 3, 2, 3, 0, 3, 6, 3, 4, 4, 4, 4, 6, 8, 5, 9, 9, 10, 11]
F3 = [4, 1, 1, 1, 0, 1, 2, 1, 1, 1, 1, 1, 2, 2, 1, 2, 2, 3, 3]
F4 = [2, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 1, 1, 1, 1]


def test_the_esp_2013_has_the_published_weights_and_sums_to_100_000():
    # Eurostat 2013 (KS-RA-13-028): 0–4 = 1 000 + 4 000, …, 85–89 = 1 500, 90–94 = 800, 95+ = 200.
    assert sum(weight for *_, weight in ESP2013) == 100_000
    assert [w for *_, w in ESP2013][:18] == ESP_19[:18]
    assert [w for *_, w in ESP2013][18:] == [800, 200]
    assert [low for low, *_ in ESP2013] == list(range(0, 100, 5))


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        # testresults_DSR rows testdata_big and testdata_small, multiplier 100 000
        (BIG, (10430.247991, 9717.709068, 11178.940915)),
        (SMALL, (1103.212025, 877.455768, 1367.088223)),
    ],
)
def test_dsr_and_dobson_interval_match_phes_published_test_results(counts, expected):
    value, low, high = directly_standardised_rate([counts], [POP], ESP_19, 100_000)
    assert (value[0], low[0], high[0]) == pytest.approx(expected, abs=1e-5)


def test_a_total_count_below_10_gets_no_dsr_as_at_phe():
    # testdata_tiny: 9 events, "dsr NA for total count < 10"
    assert sum(TINY) == 9 < MIN_DSR_COUNT
    value, low, high = directly_standardised_rate([TINY], [POP], ESP_19, 100_000)
    assert np.isnan(value[0]) and np.isnan(low[0]) and np.isnan(high[0])


def test_repeated_events_widen_the_interval_as_phes_non_independent_method():
    # testresults_DSR row testdata_nonind_big: same DSR as testdata_big, wider limits.
    f = np.array([F1, F2, F3, F4], dtype=float)
    events = (f * np.array([[1], [2], [3], [4]])).sum(axis=0)
    squares = (f * np.array([[1], [4], [9], [16]])).sum(axis=0)  # Σ over persons of k²
    assert list(events) == BIG  # the sheet's `count` column
    value, low, high = directly_standardised_rate([events], [POP], ESP_19, 100_000, sum_squares=[squares])
    assert (value[0], low[0], high[0]) == pytest.approx((10430.247991, 9532.949779, 11373.074833), abs=1e-5)


def test_byars_limits_by_hand():
    # O = 30: lower 30·(1 − 1/270 − 1.959964/(3√30))³ = 30·0.877017³ = 20.23694;
    # upper 31·(1 − 1/279 + 1.959964/(3√31))³ = 31·1.113756³ = 42.82837.
    low, high = byars_bounds([30.0])
    assert (low[0], high[0]) == pytest.approx((20.23694, 42.82837), abs=1e-4)


def test_events_in_a_band_without_inhabitants_leave_the_rate_undefined():
    value, _, _ = directly_standardised_rate([[10, 5]], [[100, 0]], [1, 1], 1000)
    assert np.isnan(value[0])
    # no events and no inhabitants: the band adds nothing (its weight still counts in Σw)
    value, _, _ = directly_standardised_rate([[10, 0]], [[100, 0]], [1, 1], 1000)
    assert value[0] == pytest.approx(10 / 100 * 1 / 2 * 1000)


# --- in the engine -------------------------------------------------------------------------------


def _home_visits(con):
    """hembesok_75 in Linköping 2024: 10 persons aged 77 with one visit each, 5 aged 92 with four each."""
    rows = [contact(f"a{i}", f"a{i}", age=77, mode="hembesok") for i in range(10)]
    rows += [
        contact(f"b{i}{j}", f"b{i}", age=92, mode="hembesok", sex="M") for i in range(5) for j in range(4)
    ]
    insert(con, "contacts", rows)
    insert(
        con,
        "population",
        [population("0580", 2024, 1000, age=77), population("0580", 2024, 1000, age=92, sex="M")],
    )


def test_engine_standardises_in_5_year_bands_with_the_persons_repeated_visits(con, catalogue):
    _home_visits(con)
    results = compute(con, catalogue, "hembesok_75")
    total = cell(results, "0580", "2024")
    # Bands 75-79 80-84 85-89 90-94 95+ with ESP weights 4000 2500 1500 800 200 (Σw = 9000).
    # x = [10, 0, 0, 20, 0], n = [1000, 0, 0, 1000, 0]:
    # DSR = (4000·10/1000 + 800·20/1000) / 9000 · 1000 = 56/9 = 6.222222 per 1 000.
    # Σk² per band: 10 persons × 1² = 10; 5 persons × 4² = 80.
    # var = (4² · 10 + 0.8² · 80) / 9000² · 1000² = (160 + 51.2) / 81 = 2.607407; O = 30.
    # Byar(30) = 20.23694 … 42.82837 (above); scale √(2.607407/30) = 0.294811.
    # low 6.222222 − 0.294811·9.76306 = 3.343964; high 6.222222 + 0.294811·12.82837 = 10.004169.
    assert total["value"] == pytest.approx(30 / 2000 * 1000)  # the crude rate is unchanged
    assert total["std_value"] == pytest.approx(56 / 9)
    assert total["std_ci_low"] == pytest.approx(3.343964, abs=1e-5)
    assert total["std_ci_high"] == pytest.approx(10.004169, abs=1e-5)
    # the län (only Linköping has data) carries the same standardised rate
    assert cell(results, "05", "2024")["std_value"] == pytest.approx(56 / 9)


def test_sex_rows_are_standardised_and_age_band_rows_are_not(con, catalogue):
    _home_visits(con)
    results = compute(con, catalogue, "hembesok_75")
    # men: 20 visits at 92, 1000 men in 90-94 → 800·20/1000 / 9000 · 1000 = 16/9
    assert cell(results, "0580", "2024", sex="M")["std_value"] == pytest.approx(16 / 9)
    # women: 10 visits at 77 → 4000·10/1000 / 9000 · 1000 = 40/9
    assert cell(results, "0580", "2024", sex="K")["std_value"] == pytest.approx(40 / 9)
    assert np.isnan(cell(results, "0580", "2024", age_band="85+")["std_value"])


def test_suppressed_cells_get_no_standardised_rate(con, catalogue):
    _home_visits(con)
    indicator = catalogue.indicator("hembesok_75")
    strict = dataclasses.replace(indicator.suppression, min_denominator=5000)
    replaced = dataclasses.replace(
        catalogue, indicators=(dataclasses.replace(indicator, suppression=strict),)
    )
    results = compute(con, replaced, "hembesok_75", suppress=True)
    hidden = results[results["suppressed"].astype(bool)]
    assert len(hidden) > 0 and hidden["std_value"].isna().all() and hidden["std_ci_low"].isna().all()


def test_the_lans_own_population_as_standard_gives_the_lans_crude_rate(con, catalogue):
    _home_visits(con)
    insert(
        con,
        "contacts",
        [contact(f"n{i}", f"n{i}", kommun="0581", age=80, mode="hembesok") for i in range(12)],
    )
    insert(con, "population", [population("0581", 2024, 3000, age=80)])
    own = StandardPopulation(kind="lan", lan="05", year=2024)
    indicator = dataclasses.replace(catalogue.indicator("hembesok_75"), standard_population=own)
    results = compute(con, dataclasses.replace(catalogue, indicators=(indicator,)), "hembesok_75")
    lan = cell(results, "05", "2024")
    # Standardised to its own age structure, the län's DSR is its crude rate: 42 / 5000 · 1000 = 8.4.
    assert lan["std_value"] == pytest.approx(lan["value"]) == pytest.approx(8.4)
    # Linköping, with the län's weights 1000 (75-79), 3000 (80-84), 1000 (90-94):
    # (1000·10/1000 + 3000·0/0 → 0 + 1000·20/1000) / 5000 · 1000 = 30/5000 · 1000 = 6.0
    assert cell(results, "0580", "2024")["std_value"] == pytest.approx(6.0)


def test_a_standard_year_without_population_fails_the_indicator_with_a_clear_message(con, catalogue):
    from metrics.errors import ComputeError

    _home_visits(con)
    own = StandardPopulation(kind="lan", lan="05", year=2019)
    indicator = dataclasses.replace(catalogue.indicator("hembesok_75"), standard_population=own)
    with pytest.raises(ComputeError, match=r"standardpopulationen.*2019.*population"):
        compute(con, dataclasses.replace(catalogue, indicators=(indicator,)), "hembesok_75")


def test_the_export_carries_the_standardised_rate_after_the_existing_columns(con, catalogue, tmp_path):
    import csv

    from metrics.compute.engine import compute_all
    from metrics.export import EXPORT_COLUMNS, export_results

    _home_visits(con)
    compute_all(con, catalogue, only=["hembesok_75"])
    export_results(con, tmp_path / "results.csv")
    with (tmp_path / "results.csv").open(encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["area_code"] == "0580" and r["period"] == "2024"]
    assert EXPORT_COLUMNS.index("std_value") > EXPORT_COLUMNS.index("data_through")
    by_breakdown = {(r["breakdown"], r["sex"], r["age_band"]): r for r in rows}
    total = by_breakdown[("total", "", "")]
    assert float(total["std_value"]) == pytest.approx(56 / 9)  # worked out above
    assert float(total["std_ci_low"]) < float(total["std_value"]) < float(total["std_ci_high"])
    assert by_breakdown[("age_band", "", "85+")]["std_value"] == ""
