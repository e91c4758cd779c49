"""Review of the coverage change (issue 6.1, 6.3): cases that attack the numbers and the board's words.

Each case is worked out by hand; the arithmetic is in the comments. Suppression is off
(tests/indicator_cases.py) unless a test says otherwise.
"""

from __future__ import annotations

import pytest

from tests.indicator_cases import cell, compute, core_catalogue, empty_db, insert, is_missing

BERG, OSTERSUND = "2326", "2380"
JAMTLAND = "23"


@pytest.fixture(scope="module")
def catalogue():
    return core_catalogue()


@pytest.fixture
def con(catalogue):
    con = empty_db(catalogue)
    yield con
    con.close()


def stay(sid, kommun, admitted, *, sex="K", age=70, diagnosis="I50"):
    return (sid, f"p{sid}", kommun, sex, age, admitted, admitted, True, diagnosis, None)


def inhabitants(kommun, count, *, year=2024, sex="K", age=70):
    return (kommun, year, sex, age, count)


def test_a_kommun_without_delivered_population_is_missing_not_counted_in_the_lan_numerator(con, catalogue):
    # The region's inpatient file has 2 avoidable stays in Östersund and 1 in Berg in 2024, but
    # the population extract has no rows for Berg (e.g. not yet delivered). Berg's rate has no
    # denominator, so Berg is "saknas": out of the län's numerator AND denominator.
    # Jämtland = 2 stays / 4 475 inhabitants = 44.69 per 100 000.
    # The reviewed code counted Berg's stay but not its inhabitants: 3 / 4 475 = 67.04 (biased up),
    # and called Berg suppressed (hidden), not missing.
    insert(
        con,
        "inpatient",
        [
            stay("s1", OSTERSUND, "2024-03-01"),
            stay("s2", OSTERSUND, "2024-11-20"),
            stay("s3", BERG, "2024-05-20"),
        ],
    )
    insert(con, "population", [inhabitants(OSTERSUND, 4475)])
    results = compute(con, catalogue, "undvikbar_slutenvard")

    lan = cell(results, JAMTLAND, "2024")
    assert (lan["numerator"], lan["denominator"]) == (2, 4475)
    assert lan["value"] == pytest.approx(2 / 4475 * 100_000)
    assert is_missing(results, BERG, "2024")
    assert not cell(results, BERG, "2024")["suppressed"]
    ostersund = cell(results, OSTERSUND, "2024")
    assert (ostersund["numerator"], ostersund["denominator"]) == (2, 4475)
