"""`snapshot: last` indicators: which snapshot is a kommun's last, and how a mover is counted
(review 14's adversarial cases, all fixed in the stop that added them).

Every expected number is worked out by hand in the test's docstring; an "Actual:" in a docstring
is what the code gave before the fix. The rules checked:
- a kommun's last snapshot is its last delivery, whatever the indicator's `age:`/`where:` filter
  leaves in it;
- a timestamped snapshot is the instant, and a mover counts in the kommun of their latest instant;
- a mover counts once, with all their rows in the kommun of their latest row (an extract may hold
  several rows of a person per snapshot);
- for every year, area and (total, sex) row the band numerators of `standardised_sql` add up to the
  crude year cell of `indicator_sql`, and each query of one year gives the whole query's rows of it.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
import sqlglot
from sqlglot import exp

from metrics.catalogue.extract_declarations import QUERY_STEPS
from metrics.catalogue.loader import load_catalogue
from metrics.compute.dialects import tables_read, to_spark
from metrics.compute.sqlgen import indicator_sql, not_year_local
from metrics.compute.standardise import standardised_sql
from metrics.extracts.coverage import write_covered_months
from metrics.extracts.declared_tables import ensure_declared_table
from tests.indicator_cases import empty_db, insert

HEADER = """\
version: 1
settings:
  suppression: {min_denominator: 10, min_count: 1, max_count: 4}
plan_areas:
  - {id: kontinuitet, title: Ökad kontinuitet}
"""

Y23, Y24 = pd.Timestamp("2023-01-01"), pd.Timestamp("2024-01-01")


def _catalogue(tmp_path: Path, text: str):
    path = tmp_path / "indicators.yaml"
    path.write_text(HEADER + text, encoding="utf-8")
    return load_catalogue(path, strict=True).catalogue


def _covers(con, extract: str, kommuner: list[str], first: date, last: date) -> None:
    con.executemany(
        "INSERT INTO coverage VALUES (1, ?, ?, ?, ?, 'lan')", [(extract, k, first, last) for k in kommuner]
    )


def population_rows(kommuner=("0580", "0581"), years=(2023, 2024)) -> list[tuple]:
    """100 inhabitants aged 50 of each sex per kommun and year."""
    return [(k, y, s, 50, 100) for k in kommuner for y in years for s in ("K", "M")]


def _population(con, kommuner=("0580", "0581"), years=(2023, 2024)) -> None:
    insert(con, "population", population_rows(kommuner, years))


def listing_db(catalogue, listing: list[tuple], population: list[tuple] | None = None):
    """A database of the catalogue with these `listing` (and `population`) rows, and their coverage."""
    con = empty_db(catalogue)
    insert(con, "listing", listing)
    if population:
        insert(con, "population", population)
    write_covered_months(con)
    return con


def _key(row) -> tuple:
    sex = None if pd.isna(row.sex) else row.sex
    return (row.area_code, pd.Timestamp(row.period_start), row.breakdown, sex)


def crude(con, ind, year: int | None = None) -> dict[tuple, float]:
    """(area, year start, breakdown, sex) → crude numerator of the year cells (total and sex rows)."""
    rows = con.execute(indicator_sql(ind, year)).df()
    rows = rows[(rows["period_type"] == "year") & rows["breakdown"].isin(["total", "sex"]) & ~rows["missing"]]
    return {_key(r): float(r.numerator) for r in rows.itertuples()}


def band_sums(con, ind, year: int | None = None) -> dict[tuple, float]:
    """The same keys → Σ of the standardisation's band numerators (the unknown-age band included)."""
    rows = con.execute(standardised_sql(ind, year)).df()
    out: dict[tuple, float] = {}
    for r in rows.itertuples():
        out[_key(r)] = out.get(_key(r), 0.0) + float(r.numerator)
    return out


def bands(con, ind, year: int | None = None, area: str = "0580", start=Y23) -> dict[str | None, float]:
    rows = con.execute(standardised_sql(ind, year)).df()
    rows = rows[
        (rows["area_code"] == area) & (rows["breakdown"] == "total") & (rows["period_start"] == start)
    ]
    # bands with inhabitants but no counted row have numerator 0: left out
    return {
        (None if pd.isna(r.age_band) else r.age_band): float(r.numerator)
        for r in rows.itertuples()
        if r.numerator
    }


def std_rows_of_year(con, ind, year: int, whole: bool) -> pd.DataFrame:
    rows = con.execute(standardised_sql(ind, None if whole else year)).df()
    rows = rows[pd.to_datetime(rows["period_start"]).dt.year == year]
    return rows.sort_values(list(rows.columns[:7])).reset_index(drop=True)


def assert_consistent(con, ind, years=(2023, 2024)) -> None:
    """Bands add up to the crude cell; the year-restricted queries give the whole query's rows."""
    whole_crude, whole_bands = crude(con, ind), band_sums(con, ind)
    assert whole_bands == whole_crude
    for year in years:
        if not_year_local(ind) is not None:
            continue
        of_year = {k: v for k, v in whole_crude.items() if k[1].year == year}
        assert crude(con, ind, year) == of_year, f"indicator_sql({year}) ≠ whole"
        assert band_sums(con, ind, year) == of_year, f"bands of standardised_sql({year}) ≠ crude"
        pd.testing.assert_frame_equal(
            std_rows_of_year(con, ind, year, whole=False), std_rows_of_year(con, ind, year, whole=True)
        )


# ---------------------------------------------------------------------------------------------------
# 1. The built-in listing (key snapshot_date, person_id): movers, different dates, NULL sex and age
# ---------------------------------------------------------------------------------------------------

LISTED = """\
indicators:
  - id: listade
    title: Listade med namngiven läkare per 1 000 invånare
    description: Listade med namngiven läkare vid årets sista listning, per 1 000 invånare.
    plan_areas: [kontinuitet]
    source: listing
    snapshot: last
    numerator: {count: rows, where: named_gp}
    denominator: population
    multiplier: 1000
    unit: per 1 000
    direction: higher
"""


def _listing_rows() -> list[tuple]:
    """Linköping (0580) lists on the 28th, Norrköping (0581) on the 15th of each month of 2023.

    - A (K 50, named): every Linköping snapshot; 2024: Linköping 28 Jan (K 51 named).
    - B (M 67, named): every Norrköping snapshot.
    - M (M 72): Norrköping 15 Dec not named, Linköping 28 Dec named → latest Linköping, named.
    - M2 (K 45, named): Linköping 28 Nov, Norrköping 15 Dec → only in Norrköping's last: Norrköping.
    - W (K 30, named): Norrköping 15 Jun, Linköping 28 Dec → Linköping.
    - N (K, age NULL, named): Norrköping 15 Dec → Norrköping, unknown age band.
    - S (sex NULL, 40, named): Linköping 28 Dec → Linköping, sex NULL.
    - Q (K 60): Linköping 28 Dec not named, Norrköping 15 Dec named → latest Linköping, not named.
    - C (K 20, named): the Norrköping care unit 'x' only, 15 Dec (the `where:` variant drops it).
    """
    rows = []
    for month in range(1, 13):
        rows.append((date(2023, month, 28), "A", "0580", "K", 50, "vc1", True))
        rows.append((date(2023, month, 15), "B", "0581", "M", 67, "vc2", True))
    rows += [
        (date(2024, 1, 28), "A", "0580", "K", 51, "vc1", True),
        (date(2023, 12, 15), "M", "0581", "M", 72, "vc2", False),
        (date(2023, 12, 28), "M", "0580", "M", 72, "vc1", True),
        (date(2023, 11, 28), "M2", "0580", "K", 45, "vc1", True),
        (date(2023, 12, 15), "M2", "0581", "K", 45, "vc2", True),
        (date(2023, 6, 15), "W", "0581", "K", 30, "vc2", True),
        (date(2023, 12, 28), "W", "0580", "K", 30, "vc1", True),
        (date(2023, 12, 15), "N", "0581", "K", None, "vc2", True),
        (date(2023, 12, 28), "S", "0580", None, 40, "vc1", True),
        (date(2023, 12, 28), "Q", "0580", "K", 60, "vc1", False),
        (date(2023, 12, 15), "Q", "0581", "K", 60, "vc2", True),
        (date(2023, 12, 15), "C", "0581", "K", 20, "x", True),
    ]
    return rows


def _listing_db(catalogue):
    return listing_db(catalogue, _listing_rows(), population_rows())


def test_listing_movers_dates_null_sex_and_age_by_hand(tmp_path: Path) -> None:
    """2023 by hand (docstring of _listing_rows):
    Linköping: A 1 + M 1 + W 1 + S 1 + Q 0 = 4; bands 30-34: W, 40-44: S, 50-54: A, 70-74: M
    (60-64: Q, 0: bands with numerator 0 are left out). Norrköping: B 1 + M2 1 + N 1 + C 1 = 4;
    bands 20-24: C, 45-49: M2, 65-69: B, unknown: N.
    Östergötland: 8. Sex rows: Linköping K = A + W + Q = 2, M = 1, unknown = 1; Norrköping K = M2 + N + C
    = 3, M = 1. 2024: Linköping A = 1 (50-54)."""
    catalogue = _catalogue(tmp_path, LISTED)
    ind = catalogue.indicator("listade")
    con = _listing_db(catalogue)
    c = crude(con, ind)
    assert c[("0580", Y23, "total", None)] == 4
    assert c[("0581", Y23, "total", None)] == 4
    assert c[("05", Y23, "total", None)] == 8
    assert c[("0580", Y23, "sex", "K")] == 2 and c[("0580", Y23, "sex", "M")] == 1
    assert c[("0580", Y23, "sex", None)] == 1
    assert c[("0581", Y23, "sex", "K")] == 3 and c[("0581", Y23, "sex", "M")] == 1
    assert c[("0580", Y24, "total", None)] == 1
    assert bands(con, ind) == {"30-34": 1, "40-44": 1, "50-54": 1, "70-74": 1}
    assert bands(con, ind, area="0581") == {"20-24": 1, "45-49": 1, "65-69": 1, None: 1}
    assert bands(con, ind, 2023, area="0581") == {"20-24": 1, "45-49": 1, "65-69": 1, None: 1}
    assert bands(con, ind, start=Y24) == {"50-54": 1}
    assert_consistent(con, ind)


@pytest.mark.parametrize(
    "extra",
    [
        "    age: {min: 18}\n",  # N (age unknown) leaves; every band still adds up
        "    where: care_unit <> 'x'\n",  # C leaves
        "    age: {min: 41, max: 70}\n",  # cuts bands (41-44, 65-69 kept whole-weight)
    ],
    ids=["age_min", "where", "age_range"],
)
def test_listing_with_filters_bands_add_up_and_years_match(tmp_path: Path, extra: str) -> None:
    text = LISTED.replace("    snapshot: last\n", "    snapshot: last\n" + extra)
    catalogue = _catalogue(tmp_path, text)
    con = _listing_db(catalogue)
    assert_consistent(con, catalogue.indicator("listade"))


def test_a_filter_that_empties_a_kommuns_last_snapshot_does_not_move_it_back(tmp_path: Path) -> None:
    """PRE-EXISTING in the main compute (mirrored by the standardisation, which reads the same
    `snapshots`): `snapshot_dates` is read from the *filtered* `base`, so an `age:`/`where:` filter
    that leaves no row in a kommun's last snapshot makes an earlier snapshot the "last".

    Linköping lists 28 Nov and 28 Dec 2023. O (K 95, named) is in 28 Nov only (died in December);
    Y (K 40, named) in both. Indicator ages 90+. By hand: Linköping's last snapshot of 2023 is
    28 Dec, in which nobody is 90+: numerator 0. Actual: 1 (O, from 28 Nov), band 95+: 1."""
    text = LISTED.replace("    snapshot: last\n", "    snapshot: last\n    age: {min: 90}\n")
    catalogue = _catalogue(tmp_path, text)
    ind = catalogue.indicator("listade")
    con = listing_db(
        catalogue,
        [
            (date(2023, 11, 28), "O", "0580", "K", 95, "vc1", True),
            (date(2023, 11, 28), "Y", "0580", "K", 40, "vc1", True),
            (date(2023, 12, 28), "Y", "0580", "K", 40, "vc1", True),
        ],
        [("0580", 2023, "K", 95, 10)],
    )
    assert crude(con, ind)[("0580", Y23, "total", None)] == 0
    assert bands(con, ind).get("95+", 0) == 0


# ---------------------------------------------------------------------------------------------------
# 2. A declared snapshot extract dated by a timestamp (not a dated key: movers from every row)
# ---------------------------------------------------------------------------------------------------

ROSTER = """\
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
  - id: roster_per_inv
    title: Listade (tidpunkt) per 1 000 invånare
    description: Listade med namngiven läkare vid årets sista listning, per 1 000 invånare.
    plan_areas: [kontinuitet]
    source: roster
    snapshot: last
    numerator: {count: rows, where: named_gp}
    denominator: population
    multiplier: 1000
    unit: per 1 000
    direction: higher
"""


def _roster_db(catalogue, rows):
    con = empty_db(catalogue)
    ensure_declared_table(con, catalogue.extracts[0])
    con.executemany(
        "INSERT INTO roster (snapshot_at, person_id, kommun, sex, age, named_gp) VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )
    _covers(con, "roster", ["0580", "0581"], date(2023, 1, 1), date(2024, 12, 1))
    _population(con)
    write_covered_months(con)
    return con


def test_timestamped_a_years_standardised_rows_are_the_whole_querys_rows_of_that_year(tmp_path: Path) -> None:
    """Linköping delivers at 08:00 and 12:00 on 31 Dec 2023; P (K 50, named) is in both. In 2024 P is
    listed in Norrköping (30 Jun). Not a dated key (timestamp), so `movers` = persons in two kommuner
    of `base`: the whole query's base has P's 2024 Norrköping row (P a mover, one row kept), the 2023
    query's base does not (P not a mover, both rows kept).

    By hand: Linköping's last snapshot of 2023 is 31 Dec 12:00, P in it once: band 50-54 = 1 — in
    standardised_sql(ind) and in standardised_sql(ind, 2023) alike (`compute --incremental` splices
    the latter into the former's years). Actual: whole 1, year 2.
    """
    catalogue = _catalogue(tmp_path, ROSTER)
    ind = catalogue.indicator("roster_per_inv")
    assert not_year_local(ind) is None  # the engine may query 2023 alone
    con = _roster_db(
        catalogue,
        [
            (datetime(2023, 12, 31, 8), "P", "0580", "K", 50, True),
            (datetime(2023, 12, 31, 12), "P", "0580", "K", 50, True),
            (datetime(2024, 6, 30), "P", "0581", "K", 51, True),
        ],
    )
    whole, year = bands(con, ind), bands(con, ind, 2023)
    assert whole == year, (whole, year)
    assert year == {"50-54": 1}


def test_timestamped_the_crude_years_rows_are_the_whole_querys_rows_too(tmp_path: Path) -> None:
    """PRE-EXISTING, same root cause in the main compute (`_movers_cte` without a dated key reads
    every row of `base`, which the year restricts): the case above, crude. By hand: Linköping 2023
    numerator 1 in both. Actual: whole 1, `indicator_sql(ind, 2023)` 2."""
    catalogue = _catalogue(tmp_path, ROSTER)
    ind = catalogue.indicator("roster_per_inv")
    con = _roster_db(
        catalogue,
        [
            (datetime(2023, 12, 31, 8), "P", "0580", "K", 50, True),
            (datetime(2023, 12, 31, 12), "P", "0580", "K", 50, True),
            (datetime(2024, 6, 30), "P", "0581", "K", 51, True),
        ],
    )
    key = ("0580", Y23, "total", None)
    assert (crude(con, ind)[key], crude(con, ind, 2023)[key]) == (1, 1)


def test_timestamped_a_mover_is_counted_under_their_latest_instant(tmp_path: Path) -> None:
    """PRE-EXISTING (LATEST_KEY orders by the DATE `d`, then the kommun code): both kommuner deliver
    on 31 Dec 2023, Norrköping at 08:00, Linköping at 12:00. X (K 40) is in Norrköping's 08:00 roster
    (named) and Linköping's 12:00 one (not named). By the rule (a mover once, under their latest row)
    X counts in Linköping, not named: Linköping 0 of X, Norrköping nothing. Actual: the tie on the
    date is broken by the higher kommun code, 0581: Norrköping numerator 1 (crude and bands alike)."""
    catalogue = _catalogue(tmp_path, ROSTER)
    ind = catalogue.indicator("roster_per_inv")
    con = _roster_db(
        catalogue,
        [
            (datetime(2023, 12, 31, 8), "X", "0581", "K", 40, True),
            (datetime(2023, 12, 31, 12), "X", "0580", "K", 40, False),
            (datetime(2023, 12, 31, 8), "B", "0581", "K", 40, False),
        ],
    )
    c = crude(con, ind)
    assert band_sums(con, ind) == c  # consistent with each other …
    assert c[("0581", Y23, "total", None)] == 0  # … but X is placed by kommun code, not time


def test_timestamped_consistency_with_movers_on_different_dates(tmp_path: Path) -> None:
    """Linköping 28 Dec 10:00, Norrköping 15 Dec 09:00. M (M 72): Norrköping named, Linköping not →
    Linköping, 0. W (K 30, named): Norrköping 15 Jun, Linköping 28 Dec → Linköping 1. B (M 67, named):
    Norrköping 15 Dec → 1. By hand 2023: Linköping 1 (W), Norrköping 1 (B), Östergötland 2."""
    catalogue = _catalogue(tmp_path, ROSTER)
    ind = catalogue.indicator("roster_per_inv")
    con = _roster_db(
        catalogue,
        [
            (datetime(2023, 12, 15, 9), "M", "0581", "M", 72, True),
            (datetime(2023, 12, 28, 10), "M", "0580", "M", 72, False),
            (datetime(2023, 6, 15, 9), "W", "0581", "K", 30, True),
            (datetime(2023, 12, 28, 10), "W", "0580", "K", 30, True),
            (datetime(2023, 12, 15, 9), "B", "0581", "M", 67, True),
        ],
    )
    c = crude(con, ind)
    assert (
        c[("0580", Y23, "total", None)],
        c[("0581", Y23, "total", None)],
        c[("05", Y23, "total", None)],
    ) == (
        1,
        1,
        2,
    )
    assert_consistent(con, ind, years=(2023,))


# ---------------------------------------------------------------------------------------------------
# 3. A sum over a snapshot, and an extract without person_id
# ---------------------------------------------------------------------------------------------------

HOURS = """\
extracts:
  - name: care_hours
    title: Beviljade timmar
    person_level: true
    delivered_by: region
    date: snapshot_date
    key: [snapshot_date, person_id]
    columns:
      - {name: snapshot_date, type: date}
      - {name: person_id, type: text}
      - {name: kommun, type: kommun}
      - {name: sex, type: sex}
      - {name: age, type: age}
      - {name: hours, type: decimal, required: false}
indicators:
  - id: hours_per_inv
    title: Beviljade timmar per invånare
    description: Beviljade timmar vid årets sista ögonblicksbild, per invånare.
    plan_areas: [kontinuitet]
    source: care_hours
    snapshot: last
    numerator: {sum: hours}
    denominator: population
    unit: timmar
    direction: lower
"""


def test_a_sum_over_a_snapshot_with_a_mover_and_an_unknown_value(tmp_path: Path) -> None:
    """Linköping 28 Nov and 28 Dec, Norrköping 15 Dec. H1 (K 80): Linköping Nov 5 h, Dec 7 h → 7.
    H2 (M 85): Norrköping 15 Dec 3 h, Linköping 28 Dec 4 h → mover, latest Linköping: 4.
    H3 (K 70): Norrköping 15 Dec, hours unknown. H4 (M 90): Norrköping 15 Dec 2.5 h.
    By hand 2023: Linköping 11 (80-84: 7, 85-89: 4); Norrköping 2.5 (90-94: 2.5; 70-74: H3's
    unknown, 0); län 13.5."""
    catalogue = _catalogue(tmp_path, HOURS)
    ind = catalogue.indicator("hours_per_inv")
    con = empty_db(catalogue)
    ensure_declared_table(con, catalogue.extracts[0])
    con.executemany(
        "INSERT INTO care_hours (snapshot_date, person_id, kommun, sex, age, hours) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [
            (date(2023, 11, 28), "H1", "0580", "K", 80, 5),
            (date(2023, 12, 28), "H1", "0580", "K", 80, 7),
            (date(2023, 12, 15), "H2", "0581", "M", 85, 3),
            (date(2023, 12, 28), "H2", "0580", "M", 85, 4),
            (date(2023, 12, 15), "H3", "0581", "K", 70, None),
            (date(2023, 12, 15), "H4", "0581", "M", 90, 2.5),
        ],
    )
    _covers(con, "care_hours", ["0580", "0581"], date(2023, 1, 1), date(2023, 12, 1))
    _population(con, years=(2023,))
    write_covered_months(con)
    c = crude(con, ind)
    assert (
        c[("0580", Y23, "total", None)],
        c[("0581", Y23, "total", None)],
        c[("05", Y23, "total", None)],
    ) == (
        11,
        2.5,
        13.5,
    )
    assert bands(con, ind) == {"80-84": 7, "85-89": 4}
    assert bands(con, ind, area="0581") == {"90-94": 2.5}
    assert_consistent(con, ind, years=(2023,))


COUNTS = """\
extracts:
  - name: listed_counts
    title: Listade per kön och ålder
    person_level: false
    delivered_by: kommun
    date: snapshot_date
    key: [snapshot_date, kommun, sex, age]
    columns:
      - {name: snapshot_date, type: date}
      - {name: kommun, type: kommun}
      - {name: sex, type: sex}
      - {name: age, type: age}
      - {name: n, type: int}
indicators:
  - id: counts_per_inv
    title: Listade per 1 000 invånare (aggregat)
    description: Listade vid årets sista ögonblicksbild, per 1 000 invånare.
    plan_areas: [kontinuitet]
    source: listed_counts
    snapshot: last
    numerator: {sum: n}
    denominator: population
    multiplier: 1000
    unit: per 1 000
    direction: higher
"""


def test_an_extract_without_person_id(tmp_path: Path) -> None:
    """Linköping 28 Nov (K 50: 5) and 28 Dec (K 50: 6, M 70: 2); Norrköping 15 Jun (K 50: 9) and
    15 Dec (K 50: 3). By hand 2023: Linköping 8 (50-54: 6, 70-74: 2), Norrköping 3, län 11."""
    catalogue = _catalogue(tmp_path, COUNTS)
    ind = catalogue.indicator("counts_per_inv")
    con = empty_db(catalogue)
    ensure_declared_table(con, catalogue.extracts[0])
    con.executemany(
        "INSERT INTO listed_counts (snapshot_date, kommun, sex, age, n) VALUES (?, ?, ?, ?, ?)",
        [
            (date(2023, 11, 28), "0580", "K", 50, 5),
            (date(2023, 12, 28), "0580", "K", 50, 6),
            (date(2023, 12, 28), "0580", "M", 70, 2),
            (date(2023, 6, 15), "0581", "K", 50, 9),
            (date(2023, 12, 15), "0581", "K", 50, 3),
        ],
    )
    _covers(con, "listed_counts", ["0580", "0581"], date(2023, 1, 1), date(2023, 12, 1))
    _population(con, years=(2023,))
    write_covered_months(con)
    c = crude(con, ind)
    assert (
        c[("0580", Y23, "total", None)],
        c[("0581", Y23, "total", None)],
        c[("05", Y23, "total", None)],
    ) == (
        8,
        3,
        11,
    )
    assert bands(con, ind) == {"50-54": 6, "70-74": 2}
    assert_consistent(con, ind, years=(2023,))


# ---------------------------------------------------------------------------------------------------
# 4. Spark translation of the new SQL
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "indicator_id", "dates", "source"),
    [
        (LISTED, "listade", ["snapshot_date"], "listing"),
        (ROSTER, "roster_per_inv", ["snapshot_at"], "roster"),
        (HOURS, "hours_per_inv", ["snapshot_date"], "care_hours"),
        (COUNTS, "counts_per_inv", ["snapshot_date"], "listed_counts"),
    ],
)
def test_the_new_standardised_sql_translates_to_spark(tmp_path, text, indicator_id, dates, source) -> None:
    """`last_rows` (UNION ALL BY NAME of two `SELECT *` of at_snapshots, QUALIFY) translates; the
    Spark session is given exactly the tables the query reads."""
    ind = _catalogue(tmp_path, text).indicator(indicator_id)
    for sql in (standardised_sql(ind), standardised_sql(ind, 2023)):
        spark = to_spark(sql, dates)
        assert "BY NAME" not in spark.upper()
        assert tables_read(sql) == {source, "covered_months", "population", "areas"}


# ---------------------------------------------------------------------------------------------------
# 5. d3c5f65: names of the generated queries' steps
# ---------------------------------------------------------------------------------------------------


def _cte_names(sql: str) -> set[str]:
    return {cte.alias_or_name.lower() for cte in sqlglot.parse_one(sql, read="duckdb").find_all(exp.CTE)}


def test_every_cte_of_every_generated_query_is_a_refused_name(tmp_path: Path) -> None:
    """Parsed, not read by a regular expression: the CTEs of indicator_sql / per_person_sql /
    standardised_sql / clusters_sql for every shipped indicator and for the cases above."""
    from metrics.compute.clusters import clustered, clusters_sql
    from metrics.compute.sqlgen import per_person_sql
    from tests.indicator_cases import core_catalogue

    indicators = list(core_catalogue().indicators)
    for text in (LISTED, ROSTER, HOURS, COUNTS):
        indicators += list(_catalogue(tmp_path, text).indicators)
    names: set[str] = set()
    for ind in indicators:
        sqls = [indicator_sql(ind)]
        if ind.numerator.kind == "per_person":
            sqls.append(per_person_sql(ind))
        if ind.standard_population.kind != "none":
            sqls.append(standardised_sql(ind))
        if clustered(ind):
            sqls.append(clusters_sql(ind))
        for sql in sqls:
            names |= _cte_names(sql)
    assert names <= set(QUERY_STEPS), sorted(names - set(QUERY_STEPS))


def test_the_refusal_names_the_yaml_line_in_swedish_with_a_fix(tmp_path: Path) -> None:
    from metrics.errors import CatalogueError

    text = ROSTER.replace("name: roster", "name: last_rows").replace("source: roster", "source: last_rows")
    with pytest.raises(CatalogueError) as caught:
        _catalogue(tmp_path, text)
    [problem] = [p for p in caught.value.problems if "genererade frågor" in p.message]
    assert "name: last_rows" in (HEADER + text).splitlines()[problem.line - 1]
    assert "last_rows_utdrag" in (problem.hint or "")


UNITS = """\
extracts:
  - name: unit_listing
    title: Listning per enhet
    person_level: true
    delivered_by: region
    date: snapshot_date
    key: [snapshot_date, person_id, unit]
    columns:
      - {name: snapshot_date, type: date}
      - {name: person_id, type: text}
      - {name: unit, type: text}
      - {name: kommun, type: kommun}
      - {name: sex, type: sex}
      - {name: age, type: age}
indicators:
  - id: unit_rows_per_inv
    title: Listningar per 1 000 invånare
    description: Listningar vid årets sista ögonblicksbild, per 1 000 invånare.
    plan_areas: [kontinuitet]
    source: unit_listing
    snapshot: last
    numerator: {count: rows}
    denominator: population
    multiplier: 1000
    unit: per 1 000
    direction: higher
"""


@pytest.mark.parametrize("query", ["crude", "bands"])
def test_a_date_keyed_extract_with_a_third_key_column_year_vs_whole(tmp_path: Path, query: str) -> None:
    """Not a timestamp this time: the key is (snapshot_date, person_id, unit), so `_dated_key` is
    false and `movers` = every person in two kommuner of `base`. P (K 50) is listed at two units of
    Linköping in its only 2023 snapshot (31 Dec), and in Norrköping in 2024 (30 Jun).

    By hand, 2023 Linköping: P was in one kommun's last snapshot only, so nothing is deduplicated:
    2 rows (two listings) — in the whole query and in the 2023 query. Actual: the whole query makes P
    a mover (because of 2024) and keeps one row: 1; the 2023 query: 2. Affects indicator_sql and
    standardised_sql alike."""
    catalogue = _catalogue(tmp_path, UNITS)
    ind = catalogue.indicator("unit_rows_per_inv")
    assert not_year_local(ind) is None
    con = empty_db(catalogue)
    ensure_declared_table(con, catalogue.extracts[0])
    con.executemany(
        "INSERT INTO unit_listing (snapshot_date, person_id, unit, kommun, sex, age) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [
            (date(2023, 12, 31), "P", "vc1", "0580", "K", 50),
            (date(2023, 12, 31), "P", "vc2", "0580", "K", 50),
            (date(2024, 6, 30), "P", "vc3", "0581", "K", 51),
        ],
    )
    _covers(con, "unit_listing", ["0580", "0581"], date(2023, 1, 1), date(2024, 12, 1))
    _population(con)
    write_covered_months(con)
    key = ("0580", Y23, "total", None)
    read = crude if query == "crude" else band_sums
    assert (read(con, ind)[key], read(con, ind, 2023)[key]) == (2, 2)


@pytest.mark.parametrize("query", ["crude", "bands"])
def test_a_date_keyed_extract_with_a_third_key_column_within_one_year(tmp_path: Path, query: str) -> None:
    """Same extract, one year: P (K 50) is at two units of Linköping in its last snapshot (31 Dec),
    and was in Norrköping's 15 Jun snapshot (Norrköping's last is 15 Dec, without P). P is in one
    kommun's last snapshot only: 2 listings in Linköping, by hand. Actual: P is a "mover" (two
    kommuner anywhere in `base`) and `QUALIFY row_number() … = 1` keeps one of the two rows: 1."""
    catalogue = _catalogue(tmp_path, UNITS)
    ind = catalogue.indicator("unit_rows_per_inv")
    con = empty_db(catalogue)
    ensure_declared_table(con, catalogue.extracts[0])
    con.executemany(
        "INSERT INTO unit_listing (snapshot_date, person_id, unit, kommun, sex, age) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [
            (date(2023, 12, 31), "P", "vc1", "0580", "K", 50),
            (date(2023, 12, 31), "P", "vc2", "0580", "K", 50),
            (date(2023, 6, 15), "P", "vc3", "0581", "K", 50),
            (date(2023, 12, 15), "B", "vc3", "0581", "K", 50),
        ],
    )
    _covers(con, "unit_listing", ["0580", "0581"], date(2023, 1, 1), date(2023, 12, 1))
    _population(con, years=(2023,))
    write_covered_months(con)
    read = crude if query == "crude" else band_sums
    assert read(con, ind)[("0580", Y23, "total", None)] == 2
