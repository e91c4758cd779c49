"""Secondary suppression protects every sum the results publish, time included.

The equations (metrics.compute.equations): areas (kommun → län, kommun → area group, group →
län), breakdowns (total = Σ sex cells = Σ age-band cells) and, where the measure adds up over
time, months → quarter → year; snapshot indicators show their last month as the quarter and year.
The greedy rule hides one more cell wherever exactly one cell of an equation is hidden.
"""

from __future__ import annotations

import pandas as pd
import pytest

from metrics.compute.engine import finish_cells
from metrics.compute.equations import TimeAdditivity, adds_up_over_time
from tests.indicator_cases import core_catalogue


@pytest.fixture(scope="module")
def catalogue():
    return core_catalogue()


# --- which measures add up over time --------------------------------------------------------------

ADDS_UP = {
    # listed persons at the period's last snapshot: a stock, not a flow
    "fast_lakarkontakt": (False, False),
    # Σ COC over persons with ≥ 2 contacts in the period: per person and period
    "kontinuitet_lakare": (False, False),
    # persons counted once per period
    "fast_omsorgskontakt": (False, False),
    "personalkontinuitet_hemtjanst": (True, True),
    "digitala_kontakter": (True, True),
    # rows over a 31 December population (and the only period is the year)
    "hembesok_75": (True, False),
    "akutbesok_75": (True, False),
    "aterinskrivning_30d_65": (True, True),
    "utskrivningsklara_dagar_65": (True, False),
    "undvikbar_slutenvard": (True, False),
    "kostnad_per_invanare": (True, False),
    "proaktiva_kontakter": (True, True),
    "sip_per_1000": (True, False),
    "sip_delaktighet": (True, True),
    "npe_delaktighet": (True, True),
    "sjukfranvaro_personal": (True, True),
}


@pytest.mark.parametrize(("indicator_id", "expected"), sorted(ADDS_UP.items()))
def test_which_core_measures_add_up_from_months_to_the_year(catalogue, indicator_id, expected):
    assert adds_up_over_time(catalogue.indicator(indicator_id)) == TimeAdditivity(*expected)


def test_every_core_indicator_is_classified(catalogue):
    assert {i.id for i in catalogue.indicators} >= set(ADDS_UP)


def test_the_engine_protects_months_against_their_quarter_and_year(catalogue):
    indicator = catalogue.indicator("aterinskrivning_30d_65")
    raw = pd.DataFrame(
        [
            ("0512", "kommun", period_type, pd.Timestamp(start), "total", None, None, num, den)
            for period_type, start, num, den in [
                ("year", "2022-01-01", 14, 76),
                ("quarter", "2022-07-01", 14, 76),
                ("month", "2022-07-01", 6, 30),
                ("month", "2022-08-01", 1, 21),
                ("month", "2022-09-01", 7, 25),
            ]
        ],
        columns=[
            "area_code",
            "area_level",
            "period_type",
            "period_start",
            "breakdown",
            "sex",
            "age_band",
            "numerator",
            "denominator",
        ],
    )
    raw["missing"], raw["complete"], raw["data_through"] = False, True, pd.NaT
    out = finish_cells(raw, indicator, catalogue).set_index("period")
    assert out.loc["2022-08", "suppression"] == "primary"
    # without time equations August was the only hidden cell: Q3 − July − September = 1 of 21
    # Q3 = July + August + September: September has the smaller denominator (25 < 30), so it goes
    # too; then August + September = 14 − 6 = 8 readmissions of 46 stays, and August lies in 0..8
    assert out.loc["2022-09", "suppression"] == "secondary"
    assert not out.loc["2022-07", "suppressed"]
    assert not out.loc[["2022", "2022-Q3"], "suppressed"].any()


def cells_frame(rows):
    """(area_code, area_level, period_type, period_start, period) cells, totals only."""
    return pd.DataFrame(
        [
            {
                "area_code": area,
                "area_level": level,
                "period_type": ptype,
                "period_start": pd.Timestamp(start),
                "period": period,
                "breakdown": "total",
                "sex": None,
                "age_band": None,
            }
            for area, level, ptype, start, period in rows
        ]
    )


def test_time_equations_tie_months_to_their_quarter_and_year():
    from metrics.compute.equations import time_equations

    cells = cells_frame(
        [
            ("0512", "kommun", "year", "2022-01-01", "2022"),  # 0
            ("0512", "kommun", "quarter", "2022-07-01", "2022-Q3"),  # 1
            ("0512", "kommun", "month", "2022-07-01", "2022-07"),  # 2
            ("0512", "kommun", "month", "2022-08-01", "2022-08"),  # 3
            ("0512", "kommun", "month", "2022-09-01", "2022-09"),  # 4
            ("0512", "kommun", "quarter", "2022-10-01", "2022-Q4"),  # 5
            ("0512", "kommun", "month", "2022-12-01", "2022-12"),  # 6
        ]
    )
    equations = sorted((p, sorted(c)) for p, c in time_equations(cells))
    assert equations == [
        (0, [1, 5]),  # year = Σ quarters
        (0, [2, 3, 4, 6]),  # year = Σ months
        (1, [2, 3, 4]),  # Q3 = July + August + September
        (5, [6]),  # Q4 = December (the only month with rows)
    ]


def test_a_kommun_no_delivery_covers_is_in_no_equation(catalogue):
    from metrics.compute.equations import area_equations

    cells = cells_frame(
        [
            ("05", "lan", "year", "2024-01-01", "2024"),
            ("0580", "kommun", "year", "2024-01-01", "2024"),
            ("0581", "kommun", "year", "2024-01-01", "2024"),
        ]
    )
    assert area_equations(cells, catalogue) == [(0, [1, 2])]
    # with Norrköping missing ("saknas"), the län is the sum of Linköping alone
    cells["missing"] = [False, False, True]
    assert area_equations(cells, catalogue) == [(0, [1])]


def test_a_snapshot_year_is_its_last_month_with_a_snapshot(catalogue):
    from metrics.compute.equations import snapshot_equations

    cells = cells_frame(
        [
            ("0580", "kommun", "year", "2024-01-01", "2024"),  # 0
            ("0580", "kommun", "quarter", "2024-07-01", "2024-Q3"),  # 1
            ("0580", "kommun", "quarter", "2024-10-01", "2024-Q4"),  # 2
            ("0580", "kommun", "month", "2024-09-01", "2024-09"),  # 3
            ("0580", "kommun", "month", "2024-11-01", "2024-11"),  # 4: last snapshot of the year
        ]
    )
    # the year shows November's snapshot, as does Q4; Q3 shows September's
    assert sorted(snapshot_equations(cells)) == [(0, [2]), (1, [3]), (2, [4])]
