"""Issue 12 on the small demo: the results carry trend, compared_to and comparison where they apply."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from tests.conftest import DemoDatabase


@pytest.fixture(scope="module")
def results(demo_database: DemoDatabase) -> pd.DataFrame:
    con = duckdb.connect(str(demo_database.db_path), read_only=True)
    try:
        return con.execute("SELECT * FROM results").df()
    finally:
        con.close()


def test_every_yearly_row_of_an_area_has_a_trend_and_no_other_row_has(results: pd.DataFrame) -> None:
    yearly = results[(results["period_type"] == "year") & ~results["missing"]]
    assert yearly["trend"].notna().all()
    assert results.loc[results["period_type"] != "year", "trend"].isna().all()
    # The demo spans 2020–2024: 2024 is the first year with five points, earlier years cannot have one.
    early = yearly[yearly["period"] < "2024"]
    assert set(early["trend"]) == {"cannot_calculate"}
    late = yearly[(yearly["period"] == "2024") & (yearly["breakdown"] == "total")]
    assert set(late["trend"]) - {"cannot_calculate"}, "some 2024 totals have a trend"


def test_neutral_indicators_increase_or_decrease_and_are_never_better_or_worse(results: pd.DataFrame) -> None:
    digital = results[results["indicator"] == "digitala_kontakter"]
    assert not set(digital["trend"].dropna()) & {"improving", "worsening"}
    assert not set(digital["comparison"].dropna()) & {"better", "worse"}


def test_kommuner_and_groups_are_compared_with_their_lan_and_the_lan_with_nothing(
    results: pd.DataFrame,
) -> None:
    kommuner = results[(results["area_level"] == "kommun") & ~results["missing"]]
    assert (kommuner["compared_to"] == kommuner["area_code"].str[:2]).all()
    lan = results[results["area_level"].isin(["lan", "riket"])]  # riket is compared with nothing too
    assert lan["compared_to"].isna().all() and lan["comparison"].isna().all()
    groups = results[~results["area_level"].isin(["kommun", "lan", "riket"]) & ~results["missing"]]
    assert groups["compared_to"].notna().all()


def test_a_hidden_cell_gets_no_comparison_and_a_mean_is_compared_only_with_its_interval(
    results: pd.DataFrame,
) -> None:
    hidden = results[results["suppressed"]]
    assert not hidden.empty
    assert hidden["comparison"].isna().all()
    coc = results[
        (results["indicator"] == "kontinuitet_lakare") & ~results["suppressed"] & results["ci_low"].isna()
    ]
    coc = coc[coc["area_level"] == "kommun"]
    # A mean has a t interval since issue 12 §2; one without (fewer than two persons) is not compared.
    assert set(coc["comparison"].dropna()) <= {"not_compared"}
    with_interval = results[
        (results["indicator"] == "kontinuitet_lakare")
        & (results["area_level"] == "kommun")
        & ~results["suppressed"]
        & results["ci_low"].notna()
    ]
    assert not with_interval.empty
    # Compared unless the test cannot be made (the län's own cell hidden, or no spread at all).
    assert with_interval["comparison"].notna().all()
    assert (with_interval["comparison"] != "not_compared").mean() > 0.5
