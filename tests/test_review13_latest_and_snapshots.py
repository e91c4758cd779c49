"""Review 13: adversarial cases for c151997 (LATEST_KEY) and 21faae7 (last snapshot movers/settled).

Each test is worked out by hand; the expected numbers are in the comments.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from metrics.catalogue.loader import load_catalogue
from metrics.extracts.declared_tables import ensure_declared_table
from tests.indicator_cases import cell, compute, empty_db, insert

HEADER = """\
version: 1
settings:
  suppression: {min_denominator: 10, min_count: 1, max_count: 4}
plan_areas:
  - {id: kontinuitet, title: Ökad kontinuitet}
"""

# A declared snapshot extract dated by a timestamp (DATE_TYPES allows it), keyed by (time, person).
TIMESTAMPED = """\
extracts:
  - name: roster
    title: Listning med tidpunkt
    person_level: true
    delivered_by: region
    date: snapshot_at
    key: [snapshot_at, person_id]
    columns:
      - {name: snapshot_at, type: timestamp}
      - {name: person_id, type: text}
      - {name: kommun, type: kommun}
      - {name: sex, type: sex}
      - {name: age, type: age}
      - {name: named_gp, type: bool}
indicators:
  - id: fast_roster
    title: Fast läkarkontakt (tidpunkt)
    description: Andel listade med namngiven läkare vid periodens sista listning.
    plan_areas: [kontinuitet]
    source: roster
    snapshot: last
    numerator: {count: persons, where: named_gp}
    denominator: persons
    multiplier: 100
    unit: "%"
    direction: higher
"""


def _catalogue(tmp_path: Path, text: str):
    path = tmp_path / "indicators.yaml"
    path.write_text(HEADER + text, encoding="utf-8")
    return load_catalogue(path, strict=True).catalogue


def _covers(con, extract: str, kommuner: list[str], first: date, last: date) -> None:
    """Coverage as `matavla import` records it for a declared extract (built-ins use the default rule)."""
    con.executemany(
        "INSERT INTO coverage VALUES (1, ?, ?, ?, ?, 'lan')", [(extract, k, first, last) for k in kommuner]
    )


def test_a_mover_on_one_day_of_a_timestamped_snapshot_is_counted_once(tmp_path: Path) -> None:
    """Both kommuner deliver on 31 Dec; person X is in Linköping's 08:00 roster and Norrköping's
    12:00 roster the same day (a different instant, so the key (snapshot_at, person_id) holds).

    By the rule (a person counted once per period, under their latest row) X is counted once in
    the län, under Norrköping (12:00 is later). Expected for Östergötland 2023: persons A (0580),
    B (0581) and X = 3 persons, named: A and X (Norrköping row named) = 2.
    Before 21faae7 (movers from every row) it was 3 / 2; now no period is "split" (both kommuner's
    last *date* is 31 Dec), so X is not a mover and counts in both kommuner: 4 persons.
    """
    catalogue = _catalogue(tmp_path, TIMESTAMPED)
    con = empty_db(catalogue)
    ensure_declared_table(con, catalogue.extracts[0])
    rows = [
        (datetime(2023, 12, 31, 8, 0), "A", "0580", "K", 40, True),
        (datetime(2023, 12, 31, 8, 0), "X", "0580", "K", 40, False),
        (datetime(2023, 12, 31, 12, 0), "B", "0581", "K", 40, False),
        (datetime(2023, 12, 31, 12, 0), "X", "0581", "K", 40, True),
    ]
    con.executemany(
        "INSERT INTO roster (snapshot_at, person_id, kommun, sex, age, named_gp) VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )
    _covers(con, "roster", ["0580", "0581"], date(2023, 1, 1), date(2023, 12, 1))
    res = compute(con, catalogue, "fast_roster")
    lan = cell(res, "05", "2023")
    assert (lan["numerator"], lan["denominator"]) == (2, 3)


def test_two_rows_of_one_person_on_one_day_of_a_timestamped_snapshot_are_one_person(tmp_path: Path) -> None:
    """Pre-existing (`_one_row_per_person`, same root cause): Linköping delivers at 08:00 and 12:00
    on 31 Dec; Y is in both (the key (snapshot_at, person_id) holds). Both rows have d = 31 Dec, the
    kommun's last snapshot *date*, and persons are counted as rows there. Right: Y is one person
    (latest row 12:00 or, by the documented rule, one of the tied rows): 1 person, 1 named."""
    catalogue = _catalogue(tmp_path, TIMESTAMPED)
    con = empty_db(catalogue)
    ensure_declared_table(con, catalogue.extracts[0])
    rows = [
        (datetime(2023, 12, 31, 8, 0), "Y", "0580", "K", 40, True),
        (datetime(2023, 12, 31, 12, 0), "Y", "0580", "K", 40, True),
    ]
    con.executemany(
        "INSERT INTO roster (snapshot_at, person_id, kommun, sex, age, named_gp) VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )
    _covers(con, "roster", ["0580"], date(2023, 1, 1), date(2023, 12, 1))
    res = compute(con, catalogue, "fast_roster")
    linkoping = cell(res, "0580", "2023")
    assert (linkoping["numerator"], linkoping["denominator"]) == (1, 1)


# A declared snapshot extract that is not person-level: it has person_id but no sex or age (allowed:
# PERSON_COLUMNS are required only with person_level: true; breakdowns default to none).
UNSEXED = """\
extracts:
  - name: roster2
    title: Listning utan kön och ålder
    person_level: false
    delivered_by: region
    date: snapshot_date
    key: [snapshot_date, person_id]
    columns:
      - {name: snapshot_date, type: date}
      - {name: person_id, type: text}
      - {name: kommun, type: kommun}
      - {name: named_gp, type: bool}
indicators:
  - id: fast_roster2
    title: Fast läkarkontakt (utan kön och ålder)
    description: Andel listade med namngiven läkare vid periodens sista listning.
    plan_areas: [kontinuitet]
    source: roster2
    snapshot: last
    numerator: {count: persons, where: named_gp}
    denominator: persons
    multiplier: 100
    unit: "%"
    direction: higher
"""


def test_a_last_snapshot_over_an_extract_without_sex_and_age_still_computes(tmp_path: Path) -> None:
    """Linköping delivers 15 Dec, Norrköping 31 Dec; Z moves from Linköping (15 Dec, named) to
    Norrköping (31 Dec, not named). Year 2023: Z once, under the later row (Norrköping).
    Län: A (0580, named), Z (0581, not named) = 1 named of 2. Before 21faae7 this computed;
    now `moved` orders by latest_key_sql('m'), which reads m.sex and m.age: a binder error."""
    catalogue = _catalogue(tmp_path, UNSEXED)
    con = empty_db(catalogue)
    ensure_declared_table(con, catalogue.extracts[0])
    rows = [
        (date(2023, 12, 15), "A", "0580", True),
        (date(2023, 12, 15), "Z", "0580", True),
        (date(2023, 12, 31), "Z", "0581", False),
    ]
    con.executemany(
        "INSERT INTO roster2 (snapshot_date, person_id, kommun, named_gp) VALUES (?, ?, ?, ?)", rows
    )
    _covers(con, "roster2", ["0580", "0581"], date(2023, 1, 1), date(2023, 12, 1))
    res = compute(con, catalogue, "fast_roster2")
    lan = cell(res, "05", "2023")
    assert (lan["numerator"], lan["denominator"]) == (1, 2)


HOME_CARE_STAFF = """\
indicators:
  - id: personal_sista
    title: Personal per person i hemtjänsten
    description: Antal personal per person den sista månaden i perioden.
    plan_areas: [kontinuitet]
    source: home_care
    snapshot: last
    numerator: {sum: staff_14d}
    denominator: persons
    unit: personal
    direction: lower
"""


def _home_care(month: date, person: str, kommun: str, staff: int | None) -> tuple:
    return (month, person, kommun, "K", 80, 10.0, True, staff)


@pytest.mark.parametrize("mover_in_norrkoping", [False, True])
def test_a_movers_value_does_not_turn_an_unknown_sum_into_zero(tmp_path: Path, mover_in_norrkoping) -> None:
    """home_care (key month, person_id), `snapshot: last`, Σ staff_14d (an optional column).

    Linköping delivers December, Norrköping's last month is November. S (Norrköping, Nov) has no
    staff_14d. M is in Norrköping in November (staff 3) and in Linköping in December (staff 5): for
    2023 M counts in Linköping only. Norrköping's 2023 cell is S alone: Σ staff_14d over S is
    NULL (no value), as it is when M's November row is not there at all. `settled` now computes
    it as (NULL + 3) − 3 = 0: a row that does not count in Norrköping's year makes its unknown
    sum a known 0, and the published mean 0 staff per person.
    """
    catalogue = _catalogue(tmp_path, HOME_CARE_STAFF)
    con = empty_db(catalogue)
    rows = [
        _home_care(date(2023, 11, 1), "S", "0581", None),
        _home_care(date(2023, 12, 1), "M", "0580", 5),
    ]
    if mover_in_norrkoping:
        rows.append(_home_care(date(2023, 11, 1), "M", "0581", 3))
    insert(con, "home_care", rows)
    res = compute(con, catalogue, "personal_sista")
    norrkoping = cell(res, "0581", "2023")
    assert norrkoping["denominator"] == 1
    assert pd.isna(norrkoping["numerator"]), norrkoping["numerator"]


def test_a_years_rows_of_a_last_snapshot_sum_are_the_whole_querys_rows_of_that_year(tmp_path: Path) -> None:
    """`not_year_local` promises indicator_sql(ind, year) = the whole query's rows of that year
    (what `compute --incremental` relies on). home_care, `snapshot: last`, Σ staff_14d:

    2023: Linköping delivers Nov and Dec, Norrköping Nov only. S is in Norrköping in Nov (no
    staff_14d); M in Norrköping in Nov (3), then Linköping in Dec (5): M counts in Linköping for
    2023. 2024: S moves, Norrköping Jan → Linköping Feb (so S is a mover in the whole query, not
    in 2023's). Norrköping 2023 = S alone, Σ staff_14d NULL (no value) — in both queries.
    Now: the whole query gives NULL (S and M both movers, the group dropped from `settled`),
    2023's query gives 0 ((NULL + 3) − 3).
    """
    from metrics.compute.sqlgen import indicator_sql
    from metrics.extracts.coverage import write_covered_months

    catalogue = _catalogue(tmp_path, HOME_CARE_STAFF)
    con = empty_db(catalogue)
    insert(
        con,
        "home_care",
        [
            _home_care(date(2023, 11, 1), "S", "0581", None),
            _home_care(date(2023, 11, 1), "M", "0581", 3),
            _home_care(date(2023, 11, 1), "L", "0580", 1),
            _home_care(date(2023, 12, 1), "M", "0580", 5),
            _home_care(date(2024, 1, 1), "S", "0581", None),
            _home_care(date(2024, 1, 1), "L", "0580", 1),
            _home_care(date(2024, 2, 1), "S", "0580", 2),
        ],
    )
    write_covered_months(con)
    indicator = catalogue.indicator("personal_sista")

    def norrkoping_2023(sql: str) -> float:
        rows = con.execute(sql).df()
        rows = rows[
            (rows["area_code"] == "0581")
            & (rows["period_type"] == "year")
            & (rows["period_start"] == pd.Timestamp("2023-01-01"))
            & (rows["breakdown"] == "total")
        ]
        assert len(rows) == 1
        return rows.iloc[0]["numerator"]

    whole, year = norrkoping_2023(indicator_sql(indicator)), norrkoping_2023(indicator_sql(indicator, 2023))
    assert pd.isna(whole) and pd.isna(year), (whole, year)


LISTED_PER_INHABITANT = """\
indicators:
  - id: listade_per_invanare
    title: Listade med namngiven läkare per 1 000 invånare
    description: Listade med namngiven läkare vid periodens sista listning, per 1 000 invånare.
    plan_areas: [kontinuitet]
    source: listing
    snapshot: last
    numerator: {count: rows, where: named_gp}
    denominator: population
    multiplier: 1000
    unit: per 1 000
    direction: higher
"""


def test_pre_existing_the_age_standardised_rate_of_a_last_snapshot_counts_the_last_snapshot_only(
    tmp_path: Path,
) -> None:
    """Pre-existing (not these commits; found while checking age_band_sql's callers): A (50, named)
    is in Linköping's twelve monthly snapshots of 2023. The crude rate counts A once (the year's
    last snapshot); the standardisation's band counts (standardise.standardised_sql, which ignores
    `snapshot: last`) count A twelve times. Right: band 50-54 numerator 1."""
    from metrics.compute.standardise import standardised_sql
    from metrics.extracts.coverage import write_covered_months

    catalogue = _catalogue(tmp_path, LISTED_PER_INHABITANT)
    indicator = catalogue.indicator("listade_per_invanare")
    assert indicator.standard_population.kind != "none"
    con = empty_db(catalogue)
    insert(con, "listing", [(date(2023, m, 28), "A", "0580", "K", 50, "vc", True) for m in range(1, 13)])
    insert(con, "population", [("0580", 2023, "K", 50, 100)])
    write_covered_months(con)
    crude = cell(compute(con, catalogue, "listade_per_invanare"), "0580", "2023")
    assert crude["numerator"] == 1
    bands = con.execute(standardised_sql(indicator)).df()
    band = bands[
        (bands["area_code"] == "0580") & (bands["breakdown"] == "total") & (bands["age_band"] == "50-54")
    ]
    assert band["numerator"].tolist() == [1]


def test_low_a_declared_extract_named_like_the_new_cte_snapshot_dates_is_refused_at_its_line(
    tmp_path: Path,
) -> None:
    """Low severity: 21faae7 adds the CTE `snapshot_dates` before `covered`, which (with an age
    filter) reads the source by its name; a declared extract called `snapshot_dates` then reads
    the CTE (columns kommun, d) and `matavla check` reports "okänd kolumn 'listed_on' … menade du
    'listed_on'?". Right: the name refused up front at its line, like RESERVED_TABLES."""
    from metrics.errors import CatalogueError

    text = (
        TIMESTAMPED.replace("roster", "snapshot_dates")
        .replace("type: timestamp", "type: date")
        .replace("snapshot_at", "listed_on")
        .replace("    snapshot: last\n", "    snapshot: last\n    age: {min: 18}\n")
    )
    with pytest.raises(CatalogueError) as caught:
        _catalogue(tmp_path, text)
    [problem] = [p for p in caught.value.problems if "används av mätavlans genererade frågor" in p.message]
    assert "name: snapshot_dates" in (HEADER + text).splitlines()[problem.line - 1]
