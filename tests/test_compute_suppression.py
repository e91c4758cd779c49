"""Suppression and failure isolation as the engine applies them to whole indicators."""

from __future__ import annotations

import dataclasses
import math

import pytest

from metrics.compute.engine import compute_all
from tests.indicator_cases import cell, compute, insert


def contacts(kommun: str, total: int, planned: int, prefix: str) -> list[tuple]:
    return [
        (
            f"{prefix}{i}",
            f"{prefix}p{i}",
            kommun,
            "K",
            50,
            "2024-05-02",
            "VC",
            "region",
            "lakare",
            "",
            "mottagning",
            i < planned,
        )
        for i in range(total)
    ]


def test_primary_suppression_hides_small_denominators_and_counts_of_1_to_4(con, catalogue):
    insert(con, "contacts", contacts("0580", 100, 40, "a"))  # shown
    insert(con, "contacts", contacts("0581", 9, 5, "b"))  # denominator 9 < 10
    insert(con, "contacts", contacts("0583", 50, 3, "c"))  # 3 planned contacts: a count of 1-4
    insert(con, "contacts", contacts("0586", 50, 0, "d"))  # 0 is not 1-4: shown
    insert(con, "contacts", contacts("0582", 200, 60, "e"))  # shown
    results = compute(con, catalogue, "proaktiva_kontakter", suppress=True)

    norrkoping, motala = cell(results, "0581", "2024"), cell(results, "0583", "2024")
    assert norrkoping["suppressed"] and norrkoping["suppression"] == "primary"
    assert motala["suppressed"] and motala["suppression"] == "primary"
    # hidden cells keep no numbers
    for hidden in (norrkoping, motala):
        assert all(math.isnan(hidden[c]) for c in ("numerator", "denominator", "value", "ci_low", "ci_high"))
    # a numerator of 0 is not a count of 1-4, and 100 contacts are enough:
    # neither is hidden by the primary rule
    assert cell(results, "0586", "2024")["suppression"] != "primary"
    assert cell(results, "0580", "2024")["suppression"] != "primary"
    # the län is shown, and it is the sum of all five kommuner: (40+5+3+0+60)/(100+9+50+50+200)
    assert cell(results, "05", "2024")["value"] == pytest.approx(100 * 108 / 409)


def test_one_hidden_kommun_hides_the_next_smallest_so_it_cannot_be_recovered(con, catalogue):
    insert(con, "contacts", contacts("0580", 100, 40, "a"))
    insert(con, "contacts", contacts("0581", 60, 20, "b"))
    insert(con, "contacts", contacts("0583", 30, 10, "c"))  # next smallest denominator
    insert(con, "contacts", contacts("0584", 8, 4, "d"))  # primary: denominator 8
    results = compute(con, catalogue, "proaktiva_kontakter", suppress=True)

    assert cell(results, "0584", "2024")["suppression"] == "primary"
    assert cell(results, "0583", "2024")["suppression"] == "secondary"
    assert not cell(results, "0581", "2024")["suppressed"]
    assert not cell(results, "05", "2024")["suppressed"]
    assert math.isnan(cell(results, "0583", "2024")["value"])


def test_two_hidden_kommuner_need_no_further_suppression(con, catalogue):
    insert(con, "contacts", contacts("0580", 100, 40, "a"))
    insert(con, "contacts", contacts("0581", 60, 20, "b"))
    insert(con, "contacts", contacts("0583", 7, 2, "c"))
    insert(con, "contacts", contacts("0584", 8, 4, "d"))
    results = compute(con, catalogue, "proaktiva_kontakter", suppress=True)
    assert [cell(results, k, "2024")["suppressed"] for k in ("0580", "0581", "0583", "0584")] == [
        False,
        False,
        True,
        True,
    ]


def test_a_failing_indicator_is_reported_and_the_others_are_computed(con, catalogue):
    broken = dataclasses.replace(
        catalogue.indicator("proaktiva_kontakter"), id="trasig", where="no_such_column = 1"
    )
    with_broken = dataclasses.replace(catalogue, indicators=(*catalogue.indicators, broken))
    insert(con, "contacts", contacts("0580", 100, 40, "a"))
    reports = compute_all(con, with_broken)

    by_id = {r.indicator: r for r in reports}
    assert not by_id["trasig"].ok
    assert by_id["trasig"].message  # safe words only: see tests/test_compute_runs.py
    assert by_id["proaktiva_kontakter"].ok
    stored = con.execute("SELECT count(*) FROM results WHERE indicator = 'proaktiva_kontakter'").fetchone()
    assert stored is not None and stored[0] > 0
    runs = dict(con.execute("SELECT indicator, status FROM indicator_runs").fetchall())
    assert runs["trasig"] == "error" and runs["proaktiva_kontakter"] == "ok"


def test_a_hidden_kommun_cannot_be_recovered_through_an_area_group(con, catalogue):
    # Shown so far: län 05, Norrköping and Närsjukvårdsområde Väst. Without the equation
    # län = Σ närsjukvårdsområden, Linköping = 05 − Norrköping − Väst would give the hidden value.
    insert(con, "contacts", contacts("0580", 100, 3, "a"))  # primary: 3 planned (a count of 1-4)
    insert(con, "contacts", contacts("0581", 100, 20, "b"))
    insert(con, "contacts", contacts("0583", 50, 20, "c"))
    insert(con, "contacts", contacts("0584", 200, 0, "d"))
    results = compute(con, catalogue, "proaktiva_kontakter", suppress=True)

    shown = {
        area: not cell(results, area, "2024")["suppressed"]
        for area in ("05", "0580", "0581", "0583", "0584", "nso_central", "nso_vast", "nso_ost")
    }
    assert not shown["0580"]
    # in every sum, hidden cells are 0 or at least 2
    sums = {
        "05": ["0580", "0581", "0583", "0584"],
        "nso_central": ["0580"],
        "nso_vast": ["0583", "0584"],
        "nso_ost": ["0581"],
    }
    sums_by_level = {"05": ["nso_central", "nso_vast", "nso_ost"]}
    for parent, children in [*sums.items(), *sums_by_level.items()]:
        hidden = [not shown[a] for a in [parent, *children]]
        assert sum(hidden) != 1, f"{parent} = Σ {children} has exactly one hidden cell"
