"""`no_rows: missing`: where the rows are the delivery itself, a covered kommun without one is missing.

Coverage makes a covered kommun × period without numerator rows count as 0 (zero is zero,
tests/test_coverage.py). A cost per kommun, year and area is different: a region file that
covers the län but has no `slutenvard` row for a kommun did not deliver that cost; 0 kr per
invånare would be wrong. Each case is worked out by hand in its comments; suppression is off
(tests/indicator_cases.py).
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from metrics.catalogue.loader import load_catalogue
from metrics.errors import CatalogueError
from tests.indicator_cases import cell, compute, insert, is_missing

BERG, OSTERSUND, KROKOM = "2326", "2380", "2309"
JAMTLAND = "23"


def inhabitants(kommun: str, count: int, *, age: int = 70) -> tuple[object, ...]:
    return (kommun, 2024, "K", age, count)


def region_costs(con, area_rows: list[tuple[str, str, float]], principal: str = "region") -> None:
    insert(con, "costs", [(kommun, 2024, principal, area, amount) for kommun, area, amount in area_rows])


def test_a_covered_kommun_without_its_slutenvard_row_is_missing_and_left_out_of_the_lan(con, catalogue):
    # The region's cost file has rows for all three kommuner (so all three are covered), but
    # none for Berg's slutenvård: Berg did not deliver that cost. Before, it was 0 kr of 77 inv.
    region_costs(
        con,
        [
            (OSTERSUND, "slutenvard", 2_000_000.0),
            (OSTERSUND, "primarvard", 500_000.0),
            (KROKOM, "slutenvard", 600_000.0),
            (KROKOM, "primarvard", 100_000.0),
            (BERG, "primarvard", 50_000.0),  # Berg is covered, but has no slutenvård row
        ],
    )
    insert(con, "population", [inhabitants(OSTERSUND, 1000), inhabitants(KROKOM, 400), inhabitants(BERG, 77)])
    results = compute(con, catalogue, "kostnad_slutenvard_per_invanare")

    # Berg: "saknas", the same row as a kommun no delivery covers, not 0 and not suppressed
    assert is_missing(results, BERG, "2024")
    berg = cell(results, BERG, "2024")
    assert not berg["suppressed"]
    assert berg[["numerator", "denominator", "value"]].isna().all()
    # Jämtland without Berg: (2 000 000 + 600 000) kr / (1 000 + 400) inv = 1 857,14 kr
    # (the old code: 2 600 000 / 1 477 = 1 760,32 kr, with Berg as 0 of its 77 inhabitants)
    lan = cell(results, JAMTLAND, "2024")
    assert (lan["numerator"], lan["denominator"]) == (2_600_000, 1400)
    assert lan["value"] == pytest.approx(2_600_000 / 1400)
    # the kommuner that delivered: 2 000 000 / 1 000 = 2 000 kr and 600 000 / 400 = 1 500 kr
    assert cell(results, OSTERSUND, "2024")["value"] == pytest.approx(2000.0)
    assert cell(results, KROKOM, "2024")["value"] == pytest.approx(1500.0)


def test_a_kommun_without_its_primarvard_row_is_missing_from_primary_cares_share(con, catalogue):
    # Primary care's share of the region's costs: Berg has slutenvård but no primärvård row.
    # As 0 % it would pull the län down with its 400 000 kr in the denominator.
    region_costs(
        con,
        [
            (OSTERSUND, "primarvard", 300_000.0),
            (OSTERSUND, "slutenvard", 700_000.0),
            (KROKOM, "primarvard", 100_000.0),
            (KROKOM, "slutenvard", 400_000.0),
            (BERG, "slutenvard", 400_000.0),
        ],
    )
    results = compute(con, catalogue, "primarvard_andel_kostnad")

    assert is_missing(results, BERG, "2024")
    # Jämtland without Berg: (300 000 + 100 000) / (1 000 000 + 500 000) = 26,7 %
    # (the old code: 400 000 / 1 900 000 = 21,1 %)
    lan = cell(results, JAMTLAND, "2024")
    assert (lan["numerator"], lan["denominator"]) == (400_000, 1_500_000)
    assert lan["value"] == pytest.approx(100 * 400_000 / 1_500_000)


def test_a_row_sql_cost_without_the_kommuns_row_is_missing(con, catalogue):
    # Short-term care (row_sql): Krokom delivered hemtjänst but no korttidsvård row.
    region_costs(
        con,
        [
            (OSTERSUND, "korttidsvard", 900_000.0),
            (KROKOM, "hemtjanst", 200_000.0),
        ],
        principal="kommun",
    )
    insert(con, "population", [inhabitants(OSTERSUND, 300, age=80), inhabitants(KROKOM, 100, age=80)])
    results = compute(con, catalogue, "kostnad_korttidsvard_65")

    assert is_missing(results, KROKOM, "2024")
    # Jämtland without Krokom: 900 000 kr / 300 inv 65+ = 3 000 kr (old: 900 000 / 400 = 2 250)
    lan = cell(results, JAMTLAND, "2024")
    assert (lan["numerator"], lan["denominator"]) == (900_000, 300)


def test_the_default_still_counts_a_covered_kommun_without_rows_as_zero(con, catalogue):
    # The same data with `no_rows: zero` (the default): Berg is 0 kr of its 77 inhabitants.
    indicator = dataclasses.replace(catalogue.indicator("kostnad_slutenvard_per_invanare"), no_rows="zero")
    catalogue = dataclasses.replace(
        catalogue,
        indicators=tuple(indicator if i.id == indicator.id else i for i in catalogue.indicators),
    )
    region_costs(con, [(OSTERSUND, "slutenvard", 2_000_000.0), (BERG, "primarvard", 50_000.0)])
    insert(con, "population", [inhabitants(OSTERSUND, 1000), inhabitants(BERG, 77)])
    results = compute(con, catalogue, "kostnad_slutenvard_per_invanare")

    berg = cell(results, BERG, "2024")
    assert not berg["missing"]
    assert (berg["numerator"], berg["denominator"], berg["value"]) == (0, 77, 0)
    # 2 000 000 / (1 000 + 77) inhabitants
    assert cell(results, JAMTLAND, "2024")["denominator"] == 1077


@pytest.mark.parametrize(
    "indicator_id",
    [
        "kostnad_per_invanare",
        "primarvard_andel_kostnad",
        "kostnad_slutenvard_per_invanare",
        "kostnad_korttidsvard_65",
        "sjukfranvaro_personal",
        "sjukfranvaro_region",
        "sjukfranvaro_kommun",
        "npe_delaktighet",
        "npe_kontinuitet",
        "npe_tillganglighet",
        "npe_helhetsintryck",
        "npe_respekt",
        "npe_emotionellt_stod",
        "npe_information",
    ],
)
def test_the_shipped_aggregate_indicators_treat_a_missing_row_as_not_delivered(catalogue, indicator_id):
    assert catalogue.indicator(indicator_id).no_rows == "missing"


def test_event_indicators_keep_zero_for_no_events(catalogue):
    assert catalogue.indicator("undvikbar_slutenvard").no_rows == "zero"


INDICATOR = """\
version: 1
settings:
  suppression: {min_denominator: 10, min_count: 1, max_count: 4}
plan_areas:
  - {id: resurser, title: Resurser}
indicators:
  - id: kostnad
    title: Kostnad
    description: Kostnad per invånare.
    plan_areas: [resurser]
    source: costs
    numerator: {sum: amount_sek}
    denominator: population
    unit: SEK
    direction: lower
"""


def test_no_rows_is_read_and_a_wrong_value_is_reported_in_swedish_with_its_line(tmp_path: Path):
    path = tmp_path / "indicators.yaml"
    path.write_text(INDICATOR + "    no_rows: missing\n", encoding="utf-8")
    assert load_catalogue(path, strict=True).catalogue.indicator("kostnad").no_rows == "missing"
    path.write_text(INDICATOR, encoding="utf-8")
    assert load_catalogue(path, strict=True).catalogue.indicator("kostnad").no_rows == "zero"

    path.write_text(INDICATOR + "    no_rows: saknas\n", encoding="utf-8")
    with pytest.raises(CatalogueError) as error:
        load_catalogue(path, strict=True)
    problem = error.value.problems[0]
    assert problem.line == 16  # 6 header lines + 9 of the indicator, then no_rows
    assert re.search("no_rows ska vara zero eller missing, inte 'saknas'", problem.message)


def test_no_rows_changes_the_definition_fingerprint_only_where_it_is_set(catalogue):
    # A stored run's definition hash must not change for an indicator left at the default (or
    # every published result would look out of date after the upgrade), but must where it is set.
    from metrics.catalogue.fingerprint import _plain, definition_hash

    events = catalogue.indicator("undvikbar_slutenvard")
    costs = catalogue.indicator("kostnad_slutenvard_per_invanare")
    assert "no_rows" not in _plain(events)
    assert _plain(costs)["no_rows"] == "missing"
    assert definition_hash(costs, catalogue) != definition_hash(
        dataclasses.replace(costs, no_rows="zero"), catalogue
    )


# --- needs_rows: a total over both principals needs both principals' rows --------------------


def test_a_kommun_whose_costs_only_the_region_delivered_is_missing_from_the_total_per_inhabitant(
    con, catalogue
):
    # kostnad_per_invanare sums both principals' costs. Berg's kommun delivered nothing, so Berg's
    # region rows alone would give 100 000 / 77 = 1 298,70 kr, far below the real total.
    region_costs(con, [(OSTERSUND, "primarvard", 1_000_000.0), (KROKOM, "primarvard", 400_000.0)])
    region_costs(con, [(BERG, "slutenvard", 100_000.0)])
    region_costs(
        con, [(OSTERSUND, "hemtjanst", 500_000.0), (KROKOM, "hemtjanst", 200_000.0)], principal="kommun"
    )
    insert(con, "population", [inhabitants(OSTERSUND, 1000), inhabitants(KROKOM, 400), inhabitants(BERG, 77)])
    results = compute(con, catalogue, "kostnad_per_invanare")

    assert is_missing(results, BERG, "2024")
    # Östersund: (1 000 000 + 500 000) / 1 000 = 1 500 kr; Krokom: (400 000 + 200 000) / 400 = 1 500 kr
    assert cell(results, OSTERSUND, "2024")["value"] == pytest.approx(1500)
    assert cell(results, KROKOM, "2024")["value"] == pytest.approx(1500)
    # Jämtland without Berg: 2 100 000 / 1 400 = 1 500 kr (old code: 2 200 000 / 1 477 = 1 489,51 kr)
    lan = cell(results, JAMTLAND, "2024")
    assert (lan["numerator"], lan["denominator"]) == (2_100_000, 1400)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("    needs_rows: principal\n", "needs_rows ska vara en kolumn med en lista av värden"),
        ("    needs_rows: {principal: []}\n", "needs_rows.principal ska vara en lista av olika värden"),
        ("    needs_rows: {huvudman: [region]}\n", "'costs' har ingen kolumn 'huvudman'"),
        ("    needs_rows: {principal: [region, landsting]}\n", "okänt värde 'landsting'"),
    ],
)
def test_a_wrong_needs_rows_is_reported_in_swedish_with_its_line(tmp_path: Path, line: str, message: str):
    path = tmp_path / "indicators.yaml"
    path.write_text(INDICATOR + "    no_rows: missing\n" + line, encoding="utf-8")
    with pytest.raises(CatalogueError) as error:
        load_catalogue(path, strict=True)
    problem = error.value.problems[0]
    assert problem.line == 17  # 6 header lines + 9 of the indicator + no_rows, then needs_rows
    assert message in problem.message


def test_needs_rows_needs_no_rows_missing_and_is_read(tmp_path: Path):
    path = tmp_path / "indicators.yaml"
    path.write_text(INDICATOR + "    needs_rows: {principal: [region, kommun]}\n", encoding="utf-8")
    with pytest.raises(CatalogueError) as error:
        load_catalogue(path, strict=True)
    assert "needs_rows gäller bara med no_rows: missing" in error.value.problems[0].message

    path.write_text(
        INDICATOR + "    no_rows: missing\n    needs_rows: {principal: [region, kommun]}\n",
        encoding="utf-8",
    )
    by = load_catalogue(path, strict=True).catalogue.indicator("kostnad").needs_rows
    assert by is not None and (by.column, by.values) == ("principal", ("region", "kommun"))
