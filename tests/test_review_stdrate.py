"""Review of age standardisation (issue 12 §3): what a published DSR must not give away."""

from __future__ import annotations

import numpy as np
import pytest

from tests.indicator_cases import cell, compute, insert
from tests.test_indicators import contact, population


def test_a_dsr_does_not_give_away_a_hidden_age_band_cell(con, catalogue):
    # hembesok_75 in Linköping 2024: 20 visits at 77 (band 75-79), 3 at 92 (band 90-94),
    # 1 000 inhabitants in each band. The 85+ cell (3 visits) is hidden (counts 1–4), so the
    # 75-84 cell is hidden too (secondary: total − 85+). The total, 23, is published.
    rows = [contact(f"a{i}", f"a{i}", age=77, mode="hembesok") for i in range(20)]
    rows += [contact(f"b{i}", f"b{i}", age=92, mode="hembesok") for i in range(3)]
    insert(con, "contacts", rows)
    insert(
        con,
        "population",
        [population("0580", 2024, 1000, age=77), population("0580", 2024, 1000, age=92)],
    )
    results = compute(con, catalogue, "hembesok_75", suppress=True)
    assert cell(results, "0580", "2024", age_band="85+")["suppressed"]
    total = cell(results, "0580", "2024")
    assert total["numerator"] == 23
    # Were the DSR published, the attacker (populations are public) would solve
    # DSR = (4000·x₁/1000 + 800·x₂/1000) / 9000 · 1000 = (4x₁ + 0.8x₂)/9 with x₁ + x₂ = 23:
    # DSR = (4·20 + 0.8·3)/9 = 82.4/9 = 9.155556 → x₁ = (9·DSR − 18.4)/3.2 = 20, x₂ = 3: the hidden cell.
    assert np.isnan(total["std_value"]) and np.isnan(total["std_ci_low"]) and np.isnan(total["std_ci_high"])
    # the sex rows' band counts add up to the total's, so they must not carry a DSR either
    sex_rows = results[(results["area_code"] == "0580") & (results["breakdown"] == "sex")]
    assert sex_rows["std_value"].isna().all()


def test_a_person_who_turns_85_during_the_year_is_still_one_cluster(con, catalogue):
    # As tests/test_means.py (personalkontinuitet): staff_14d p 10, 12; q 4, 6; r 7, 8 in January
    # and February 2024, but p is 84 in January and 85 in February (bands 75-84 → 85+).
    # p is still one person: X = 22, 10, 15 with M = 2 each, R = 47/6, Σ(X − R·M)² = 72.666667,
    # var = 3/2 · 72.666667 / 6² = 3.027778, se = 1.740051, t(0.975; 2 df) = 4.302653:
    # 47/6 ± 7.486836 = (0.346498, 15.320169), exactly as when p keeps one age.
    values = {"p": (10, 12), "q": (4, 6), "r": (7, 8)}
    insert(
        con,
        "home_care",
        [
            (
                f"2024-0{month + 1}-01",
                person,
                "0580",
                "K",
                84 + month if person == "p" else 80,
                10.0,
                True,
                staff,
            )
            for person, staffs in values.items()
            for month, staff in enumerate(staffs)
        ],
    )
    year = cell(compute(con, catalogue, "personalkontinuitet_hemtjanst"), "0580", "2024")
    assert year["value"] == pytest.approx(47 / 6)
    assert (year["ci_low"], year["ci_high"]) == pytest.approx((0.346498, 15.320169), abs=1e-5)


def test_a_person_who_moves_kommun_during_the_year_is_one_cluster_in_the_lan(con, catalogue):
    # As above, all aged 80, but p lives in Linköping (0580) in January and Norrköping (0581) in
    # February. In the län (05) p is still one person: X = 22, 10, 15 with M = 2 each, so the
    # same (0.346498, 15.320169) as worked out above.
    values = {"p": (10, 12), "q": (4, 6), "r": (7, 8)}
    insert(
        con,
        "home_care",
        [
            (
                f"2024-0{month + 1}-01",
                person,
                "0581" if person == "p" and month else "0580",
                "K",
                80,
                10.0,
                True,
                staff,
            )
            for person, staffs in values.items()
            for month, staff in enumerate(staffs)
        ],
    )
    year = cell(compute(con, catalogue, "personalkontinuitet_hemtjanst"), "05", "2024")
    assert year["value"] == pytest.approx(47 / 6)
    assert (year["ci_low"], year["ci_high"]) == pytest.approx((0.346498, 15.320169), abs=1e-5)
