"""A person's latest row in a period is one row, the same in every compute, also among same-day ties.

A person is counted once per period, under the kommun, sex and age of their latest row in it,
and a `latest: true` condition is read on that row. When two of their rows share the latest date
(two contacts in one day, registered to different kommuner), the rule picks the row with the
highest kommun code, then sex K before M before none, then the higher age; of rows alike in all
of those, one that meets a `latest:` condition. Before this rule, `arg_max(…, d)` took whichever
tied row it met first, so the result depended on the order rows were stored and read in.

Each test stores the tied rows in both orders, so the old behaviour splits the persons between
the two answers and the test fails on it.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from metrics.catalogue.loader import load_catalogue
from metrics.compute.sqlgen import LATEST_KEY, _latest_row
from metrics.errors import CatalogueError
from tests.indicator_cases import cell, compute, empty_db, has_cell, insert
from tests.test_catalogue import HEADER
from tests.test_indicators import LINKOPING, NORRKOPING, OSTERGOTLAND, contact

PERSONS = 6  # persons per case: half store the expected row first, half the other


def both_orders(rows_for: list[tuple[str, list[tuple]]]) -> list[tuple]:
    """Each person's rows, in the given order for even persons and reversed for odd ones."""
    out: list[tuple] = []
    for i, (_, rows) in enumerate(rows_for):
        out.extend(rows if i % 2 == 0 else list(reversed(rows)))
    return out


def test_a_continuity_visitor_tied_across_two_kommuner_is_counted_under_the_higher_code(con, catalogue):
    # Each person: two visits to the same doctor on 1 March, one registered in Linköping (0580),
    # one in Norrköping (0581). COC = (2² − 2) / (2 · 1) = 1 for each; they belong to Norrköping.
    people = [
        (
            f"p{i}",
            [
                contact(f"p{i}a", f"p{i}", LINKOPING, staff="A"),
                contact(f"p{i}b", f"p{i}", NORRKOPING, staff="A"),
            ],
        )
        for i in range(PERSONS)
    ]
    insert(con, "contacts", both_orders(people))
    results = compute(con, catalogue, "kontinuitet_lakare")

    norrkoping = cell(results, NORRKOPING, "2024")
    assert (norrkoping["numerator"], norrkoping["denominator"]) == (PERSONS, PERSONS)
    assert not has_cell(results, LINKOPING, "2024") or cell(results, LINKOPING, "2024")["denominator"] == 0
    # the län counts each person once
    assert cell(results, OSTERGOTLAND, "2024")["denominator"] == PERSONS


def test_a_same_day_tie_in_sex_goes_to_k_and_in_age_to_the_higher_age(con, catalogue):
    # Persons s*: the same day and kommun, recorded once as K and once as M → K.
    # Persons a*: the same day, kommun and sex, recorded at 64 and at 65 → 65 (band 65-74).
    sex_ties = [
        (
            f"s{i}",
            [
                contact(f"s{i}m", f"s{i}", staff="A", sex="M", age=40),
                contact(f"s{i}k", f"s{i}", staff="A", sex="K", age=40),
            ],
        )
        for i in range(PERSONS)
    ]
    age_ties = [
        (
            f"a{i}",
            [
                contact(f"a{i}y", f"a{i}", staff="A", sex="M", age=64),
                contact(f"a{i}o", f"a{i}", staff="A", sex="M", age=65),
            ],
        )
        for i in range(PERSONS)
    ]
    insert(con, "contacts", both_orders(sex_ties) + both_orders(age_ties))
    results = compute(con, catalogue, "kontinuitet_lakare")

    # K: the sex ties only; M: the age ties only
    assert cell(results, LINKOPING, "2024", sex="K")["denominator"] == PERSONS
    assert cell(results, LINKOPING, "2024", sex="M")["denominator"] == PERSONS
    # 65-74: the age ties; 20-64: the sex ties (40), none of the age ties' 64
    assert cell(results, LINKOPING, "2024", age_band="65-74")["denominator"] == PERSONS
    assert cell(results, LINKOPING, "2024", age_band="20-64")["denominator"] == PERSONS


LATEST_PLANNED = """\
  - id: senast_planerad
    title: Senaste kontakten planerad
    description: Andel personer vars senaste kontakt i perioden var planerad.
    plan_areas: [tillganglighet]
    source: contacts
    numerator: {count: persons, where: planned, latest: true}
    denominator: persons
    multiplier: 100
    unit: "%"
    direction: higher
"""


@pytest.fixture
def latest_catalogue(tmp_path: Path):
    path = tmp_path / "indicators.yaml"
    path.write_text(HEADER + LATEST_PLANNED, encoding="utf-8")
    return load_catalogue(path, strict=True).catalogue


def test_a_latest_condition_is_read_on_the_tie_broken_row(latest_catalogue):
    con = empty_db(latest_catalogue)
    # Persons t*: on their latest day, a planned and an unplanned contact alike in kommun, sex and
    # age: the tie is between equals, and the one that meets the condition counts → counted.
    alike = [
        (
            f"t{i}",
            [
                contact(f"t{i}u", f"t{i}", planned=False),
                contact(f"t{i}p", f"t{i}", planned=True),
            ],
        )
        for i in range(PERSONS)
    ]
    # Persons n*: a planned contact in Linköping and an unplanned one in Norrköping on the same day:
    # the latest row is Norrköping's (the higher code) → in Norrköping, not counted.
    across = [
        (
            f"n{i}",
            [
                contact(f"n{i}p", f"n{i}", LINKOPING, planned=True),
                contact(f"n{i}u", f"n{i}", NORRKOPING, planned=False),
            ],
        )
        for i in range(PERSONS)
    ]
    insert(con, "contacts", both_orders(alike) + both_orders(across))
    results = compute(con, latest_catalogue, "senast_planerad")

    linkoping = cell(results, LINKOPING, "2024")
    assert (linkoping["numerator"], linkoping["denominator"]) == (PERSONS, PERSONS)
    norrkoping = cell(results, NORRKOPING, "2024")
    assert (norrkoping["numerator"], norrkoping["denominator"]) == (0, PERSONS)


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # a leading zero, no sex and no age: decoded as they were
        ([("2024-12-31", "0114", None, None)], ("0114", None, None)),
        # the extremes of the validated ranges
        ([("2024-01-01", "2584", "K", 0)], ("2584", "K", 0)),
        ([("2024-01-01", "2584", "M", 120)], ("2584", "M", 120)),
        # the later date wins over every other part
        ([("2024-05-02", "0114", None, None), ("2024-05-01", "2584", "K", 120)], ("0114", None, None)),
        # on one date: the higher kommun code, then K over M over none, then the higher age
        ([("2024-05-01", "0580", "K", 120), ("2024-05-01", "0581", None, None)], ("0581", None, None)),
        ([("2024-05-01", "0580", None, 120), ("2024-05-01", "0580", "M", 0)], ("0580", "M", 0)),
        ([("2024-05-01", "0580", "M", 120), ("2024-05-01", "0580", "K", 0)], ("0580", "K", 0)),
        ([("2024-05-01", "0580", "K", None), ("2024-05-01", "0580", "K", 0)], ("0580", "K", 0)),
        ([("2024-05-01", "0580", "K", 7), ("2024-05-01", "0580", "K", 8)], ("0580", "K", 8)),
    ],
)
def test_the_latest_key_orders_rows_by_date_kommun_sex_and_age_and_decodes_to_the_row(rows, expected):
    with duckdb.connect() as con:
        con.execute("CREATE TABLE r (d DATE, kommun VARCHAR, sex VARCHAR, age INTEGER)")
        con.executemany("INSERT INTO r VALUES (?, ?, ?, ?)", rows)
        decoded = con.execute(
            f"SELECT {_latest_row()} FROM (SELECT max({LATEST_KEY}) AS latest_key FROM r)"
        ).fetchall()
    assert decoded == [expected]


def test_a_per_person_measure_over_row_sql_is_refused_at_its_yaml_line(tmp_path: Path):
    # The key decodes kommun, sex and age as the import validated them; a row_sql's columns are
    # whatever its SELECT makes of them.
    indicator = """\
  - id: k
    title: K
    description: K.
    plan_areas: [kontinuitet]
    source: contacts
    row_sql: |
      SELECT kommun, sex, age, contact_date AS date, person_id, staff_id FROM contacts
    measure: {per_person: continuity_index, by: staff_id}
    unit: index
    direction: higher
"""
    path = tmp_path / "indicators.yaml"
    path.write_text(HEADER + indicator, encoding="utf-8")
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path, strict=True)
    problem = next(p for p in caught.value.problems if "row_sql och measure" in p.message)
    assert (HEADER + indicator).splitlines()[problem.line - 1].strip().startswith("row_sql:")
    assert "measure.where" in (problem.hint or "")
