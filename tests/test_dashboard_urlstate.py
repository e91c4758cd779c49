"""The view's state in the URL: parse, build, resolve against the data, and carry along."""

from __future__ import annotations

from metrics.dashboard.logic.periods import period_options, previous_comparable, sort_periods
from metrics.dashboard.logic.urlstate import (
    ViewState,
    build_query,
    nav_targets,
    page_state,
    parse_codes,
    parse_query,
    parse_state,
    resolve_lan,
    resolve_period,
)


def test_a_link_from_the_minutes_round_trips() -> None:
    search = "?lan=05&period=2024&indikator=fast_lakarkontakt&markera=0580,0581"
    state = parse_query(search)
    assert state == ViewState(
        lan="05", period="2024", indikator="fast_lakarkontakt", markera=("0580", "0581")
    )
    assert build_query(state) == search


def test_invalid_and_repeated_codes_are_dropped() -> None:
    assert parse_codes("0580,abc,0581,0580, 123") == ("0580", "0581")
    assert parse_codes(["0580,0581", "0582"]) == ("0580", "0581", "0582")
    assert parse_state({"lan": "Östergötland"}).lan is None


def test_dash_passes_repeated_parameters_as_lists() -> None:
    assert parse_state({"lan": ["05", "23"], "period": ["2024"]}) == ViewState(lan="05", period="2024")


def test_empty_values_are_left_out_of_the_query() -> None:
    assert build_query(lan="05", period=None, markera=[]) == "?lan=05"
    assert build_query() == ""


def test_resolving_falls_back_to_the_default_lan_and_the_latest_year() -> None:
    assert resolve_lan("23", ["05", "23"]) == "23"
    assert resolve_lan("01", ["05", "23"], default="23") == "23"
    assert resolve_lan(None, ["05", "23"]) == "05"
    assert resolve_lan(None, []) is None
    periods = ["2022", "2023", "2024", "2024-Q1", "2024-03"]
    assert resolve_period("2024-Q1", periods) == "2024-Q1"
    assert resolve_period("2019", periods) == "2024"
    assert resolve_period(None, ["2024-Q1", "2024-Q2"]) == "2024-Q2"


def test_navigation_carries_lan_period_indicator_and_highlights() -> None:
    state = page_state(
        "jamfor", "/jamfor", lan="05", period="2024", indikator="sip_per_1000", markera=("0583", "0580")
    )
    assert state["href"] == "/jamfor?lan=05&period=2024&indikator=sip_per_1000&markera=0583,0580"
    targets = nav_targets(state)
    assert targets["oversikt"] == "/?lan=05&period=2024"
    assert targets["planen"] == "/planen?lan=05&period=2024"
    assert targets["kommun"] == "/kommun/0583?lan=05&period=2024&indikator=sip_per_1000"
    assert targets["indikator"] == "/indikator/sip_per_1000?lan=05&period=2024&markera=0583,0580"
    assert targets["data"] == "/data?lan=05&period=2024"


def test_the_indicator_page_keeps_its_indicator_in_the_path_only() -> None:
    state = page_state(
        "indikator",
        "/indikator/sip_per_1000",
        in_path=("indikator",),
        lan="05",
        period="2024",
        indikator="sip_per_1000",
    )
    assert state["href"] == "/indikator/sip_per_1000?lan=05&period=2024"
    assert nav_targets(state)["jamfor"] == "/jamfor?lan=05&period=2024&indikator=sip_per_1000"


def test_navigation_without_state_leads_to_the_plain_pages() -> None:
    targets = nav_targets({})
    assert targets == {
        "oversikt": "/",
        "planen": "/planen",
        "kommun": "/kommun/none",
        "jamfor": "/jamfor",
        "indikator": "/indikator/none",
        "riket": "/riket",
        "data": "/data",
    }


def test_quarters_compare_with_the_same_quarter_a_year_earlier() -> None:
    assert previous_comparable("2024") == "2023"
    assert previous_comparable("2024-Q3") == "2023-Q3"
    assert previous_comparable("2024-03") == "2023-03"
    assert previous_comparable("nonsense") is None


def test_period_choices_are_years_then_quarters_newest_first() -> None:
    labels = ["2022", "2024", "2023", "2024-Q1", "2023-Q4", "2024-01"]
    assert [o["value"] for o in period_options(labels)] == ["2024", "2023", "2022", "2024-Q1", "2023-Q4"]
    assert sort_periods(["2024-Q1", "2023", "2024"]) == ["2023", "2024", "2024-Q1"]
