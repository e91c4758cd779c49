"""Means carry a 95 % interval (issue 12 §2): the COC index, worked out by hand on four persons.

COC = (Σ nᵢ² − N) / (N (N − 1)) per person (Bice–Boxerman): AA → (4 − 2)/2 = 1, AB → (2 − 2)/2 = 0,
AAAB → (9 + 1 − 4)/12 = 0.5, AAB → (4 + 1 − 3)/6 = 1/3.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from metrics.catalogue.model import ComparisonChoice
from metrics.stats.means import clustered_mean_interval, mean_interval
from tests.indicator_cases import cell, compute, insert
from tests.test_indicators import contact

LINKOPING, NORRKOPING, OSTERGOTLAND = "0580", "0581", "05"


def _visits(con, *, with_norrkoping: bool = False) -> None:
    persons = {"p1": "AA", "p2": "AB", "p3": "AAAB", "p4": "AAB"}
    rows = [
        contact(f"{person}{i}", person, staff=doctor, day=f"2024-03-0{i + 1}")
        for person, doctors in persons.items()
        for i, doctor in enumerate(doctors)
    ]
    if with_norrkoping:
        rows += [
            contact(f"q{i}", "q", kommun=NORRKOPING, staff="A", day=f"2024-04-0{i + 1}") for i in range(2)
        ]
    insert(con, "contacts", rows)


def test_mean_interval_by_hand():
    # values 1, 0, 0.5, 1/3: Σx = 11/6 = 1.833333, Σx² = 1 + 0 + 0.25 + 1/9 = 1.361111, n = 4
    # mean 0.458333; s² = (1.361111 − 1.833333²/4) / 3 = 0.520833 / 3 = 0.173611 = (5/12)²
    # se = (5/12)/√4 = 0.208333; t(0.975; 3 df) = 3.182446; half-width 0.663010
    low, high = mean_interval(11 / 6, 1 + 0.25 + 1 / 9, 4)
    assert (float(low), float(high)) == pytest.approx((0.458333 - 0.663010, 0.458333 + 0.663010), abs=1e-6)


def test_a_mean_of_one_value_or_of_none_has_no_interval():
    low, high = mean_interval([5.0, 0.0], [25.0, 0.0], [1, 0])
    assert np.isnan(low).all() and np.isnan(high).all()


def test_coc_index_carries_a_t_interval_from_the_persons_values(con, catalogue):
    _visits(con)
    year = cell(compute(con, catalogue, "kontinuitet_lakare"), LINKOPING, "2024")
    assert year["denominator"] == 4
    assert year["value"] == pytest.approx(11 / 24)  # 0.458333
    assert year["ci_low"] == pytest.approx(0.458333 - 0.663010, abs=1e-6)
    assert year["ci_high"] == pytest.approx(0.458333 + 0.663010, abs=1e-6)


def test_the_lans_interval_adds_up_the_kommuners_sums_of_squares(con, catalogue):
    _visits(con, with_norrkoping=True)  # Norrköping: one person AA → 1
    lan = cell(compute(con, catalogue, "kontinuitet_lakare"), OSTERGOTLAND, "2024")
    # values 1, 0, 0.5, 1/3, 1: Σx = 2.833333, Σx² = 2.361111, n = 5, mean 0.566667
    # s² = (2.361111 − 2.833333²/5) / 4 = 0.755556 / 4 = 0.188889; se = √(0.188889/5) = 0.194365
    # t(0.975; 4 df) = 2.776445; half-width 0.539644
    assert lan["value"] == pytest.approx(0.566667, abs=1e-6)
    assert lan["ci_low"] == pytest.approx(0.566667 - 0.539644, abs=1e-5)
    assert lan["ci_high"] == pytest.approx(0.566667 + 0.539644, abs=1e-5)


def test_personalkontinuitet_takes_the_person_as_the_unit_over_several_months(con, catalogue):
    # staff_14d of three persons in January and February 2024: p 10, 12; q 4, 6; r 7, 8
    values = {"p": (10, 12), "q": (4, 6), "r": (7, 8)}
    insert(
        con,
        "home_care",
        [
            (f"2024-0{month + 1}-01", person, LINKOPING, "K", 85, 10.0, True, staff)
            for person, staffs in values.items()
            for month, staff in enumerate(staffs)
        ],
    )
    results = compute(con, catalogue, "personalkontinuitet_hemtjanst")
    # January, one row per person: 10, 4, 7; mean 7, s² = (165 − 21²/3) / 2 = 9, se = 3/√3 = 1.732051;
    # t(0.975; 2 df) = 4.302653, half-width 7.452413.
    january = cell(results, LINKOPING, "2024-01")
    assert (january["ci_low"], january["ci_high"]) == pytest.approx((7 - 7.452413, 7 + 7.452413), abs=1e-5)
    # The year: X = 22, 10, 15 with M = 2 each; R = 47/6 = 7.833333;
    # Σ(X − R·M)² = 6.333333² + 5.666667² + 0.666667² = 72.666667; var = 3/2 · 72.666667 / 6² = 3.027778;
    # se = 1.740051; t(0.975; 2 df) = 4.302653, half-width 7.486836. (Six "independent" values
    # would give 2.999012: far too narrow, because a person's months are alike.)
    year = cell(results, LINKOPING, "2024")
    assert year["value"] == pytest.approx(47 / 6)
    assert (year["ci_low"], year["ci_high"]) == pytest.approx((0.346498, 15.320169), abs=1e-5)


def test_upc_index_carries_the_same_t_interval(con, catalogue):
    # UPC = max nᵢ / N per person: AA → 1, AB → 0.5, AAAB → 0.75; Σx = 2.25, Σx² = 1.8125, n = 3,
    # mean 0.75; s² = (1.8125 − 2.25²/3) / 2 = 0.0625, se = 0.25/√3 = 0.144338;
    # t(0.975; 2 df) = 4.302653, half-width 0.621033.
    persons = {"p1": "AA", "p2": "AB", "p3": "AAAB"}
    insert(
        con,
        "contacts",
        [
            contact(f"{person}{i}", person, staff=doctor, day=f"2024-03-0{i + 1}")
            for person, doctors in persons.items()
            for i, doctor in enumerate(doctors)
        ],
    )
    year = cell(compute(con, catalogue, "kontinuitet_upc_lakare"), LINKOPING, "2024")
    assert year["value"] == pytest.approx(0.75)
    assert (year["ci_low"], year["ci_high"]) == pytest.approx((0.75 - 0.621033, 0.75 + 0.621033), abs=1e-5)


def test_a_mean_whose_values_are_all_equal_has_no_interval():
    # Ten persons, each COC 1: Σx = 10, Σx² = 10, n = 10; s² = (10 − 10²/10) / 9 = 0, so the t
    # interval would be [1, 1] and a comparison would take the mean as known exactly: no interval.
    low, high = mean_interval(10.0, 10.0, 10)
    assert np.isnan(low) and np.isnan(high)
    # Persons X = 2, 4, 6 over M = 1, 2, 3 rows: each person's mean is 2 = R = 12/6;
    # ΣX² = 4 + 16 + 36 = 56, ΣXM = 2 + 8 + 18 = 28, ΣM² = 1 + 4 + 9 = 14;
    # Σ(X − R·M)² = 56 − 2·2·28 + 2²·14 = 0: no interval either.
    low, high = clustered_mean_interval(12.0, 6.0, 56.0, 28.0, 14.0, 3)
    assert np.isnan(low) and np.isnan(high)
    # One value apart keeps its interval: 1, 1, 0 → Σx = 2, Σx² = 2, n = 3, s² = (2 − 4/3)/2 = 1/3.
    low, high = mean_interval(2.0, 2.0, 3)
    assert np.isfinite(low) and np.isfinite(high)


def test_a_kommun_whose_persons_all_have_the_same_index_is_not_compared(con, catalogue):
    # Linköping: ten persons who each saw one doctor twice (COC 1); Norrköping: ten who saw two
    # doctors once each (COC 0). The län's mean is 10/20 = 0.5. By the bare 95 % intervals the
    # old [1, 1] and [0, 0] lay wholly above and below 0.5 ('better', 'worse'), as if certain.
    rows = [
        contact(f"a{p}{i}", f"a{p}", staff="A", day=f"2024-03-0{i + 1}") for p in range(10) for i in range(2)
    ]
    rows += [
        contact(f"b{p}{i}", f"b{p}", kommun=NORRKOPING, staff="AB"[i], day=f"2024-03-0{i + 1}")
        for p in range(10)
        for i in range(2)
    ]
    insert(con, "contacts", rows)
    plain = dataclasses.replace(catalogue, comparison=ComparisonChoice("ci95"))
    results = compute(con, plain, "kontinuitet_lakare")
    assert cell(results, OSTERGOTLAND, "2024")["value"] == pytest.approx(0.5)
    for kommun, value in ((LINKOPING, 1.0), (NORRKOPING, 0.0)):
        row = cell(results, kommun, "2024")
        assert row["value"] == pytest.approx(value)
        assert np.isnan(row["ci_low"]) and np.isnan(row["ci_high"])
        assert row["comparison"] == "not_compared"
