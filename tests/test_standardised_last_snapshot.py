"""The age-standardised rate of a `snapshot: last` indicator counts what its crude year cell counts.

A year of a `snapshot: last` indicator counts the rows at each kommun's last snapshot of the year,
a person listed in two kommuner once (under their latest row). The standardisation's band counts
must add up to that: before, they read every snapshot of the year, so a person listed all year
counted twelve times in their band, and the DSR was about twelve times the crude rate.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from metrics.catalogue.loader import load_catalogue
from metrics.compute.standardise import standardised_sql
from metrics.extracts.coverage import write_covered_months
from tests.indicator_cases import cell, compute, empty_db, insert

CATALOGUE = """\
version: 1
settings:
  suppression: {min_denominator: 10, min_count: 1, max_count: 4}
plan_areas:
  - {id: kontinuitet, title: Ökad kontinuitet}
indicators:
  - id: listade_per_invanare
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


def _bands(con, sql: str) -> dict[tuple[str, str], float]:
    """(area, age band) → numerator of the total rows of 2023."""
    rows = con.execute(sql).df()
    rows = rows[(rows["breakdown"] == "total") & (rows["period_start"] == pd.Timestamp("2023-01-01"))]
    return {(r.area_code, r.age_band): r.numerator for r in rows.itertuples() if r.numerator}


def test_the_bands_of_a_last_snapshot_year_count_each_kommuns_last_snapshot_and_a_mover_once(
    tmp_path: Path,
) -> None:
    """Linköping (0580) lists on the 28th of every month, Norrköping (0581) on the 15th.

    - A (50 years, named) is in all twelve of Linköping's snapshots: counted once, band 50-54.
    - B (67, named) is in all twelve of Norrköping's: once, band 65-69.
    - M (72, named) is in Norrköping's 15 Dec snapshot and Linköping's 28 Dec one: both are their
      kommun's last of 2023, so M is in both, and counted once, under the latest row: Linköping.
    - C (40, named) was in Linköping's snapshots until June only: not in the last, not counted.

    By hand: Linköping 50-54: 1, 70-74: 1 (crude 2); Norrköping 65-69: 1 (crude 1);
    Östergötland (05) 50-54: 1, 65-69: 1, 70-74: 1 (crude 3). The year-restricted query is the same.
    """
    path = tmp_path / "indicators.yaml"
    path.write_text(CATALOGUE, encoding="utf-8")
    catalogue = load_catalogue(path, strict=True).catalogue
    indicator = catalogue.indicator("listade_per_invanare")
    con = empty_db(catalogue)
    rows = []
    for month in range(1, 13):
        rows.append((date(2023, month, 28), "A", "0580", "K", 50, "vc1", True))
        rows.append((date(2023, month, 15), "B", "0581", "M", 67, "vc2", True))
        if month <= 6:
            rows.append((date(2023, month, 28), "C", "0580", "K", 40, "vc1", True))
    rows.append((date(2023, 12, 15), "M", "0581", "M", 72, "vc2", True))
    rows.append((date(2023, 12, 28), "M", "0580", "M", 72, "vc1", True))
    insert(con, "listing", rows)
    insert(con, "population", [("0580", 2023, "K", 50, 100), ("0581", 2023, "M", 67, 100)])
    write_covered_months(con)

    # the kommun cells are hidden (secondary suppression: 05 less 0580 gives 0581), the län's shown
    assert cell(compute(con, catalogue, "listade_per_invanare"), "05", "2023")["numerator"] == 3

    expected = {
        ("0580", "50-54"): 1,
        ("0580", "70-74"): 1,
        ("0581", "65-69"): 1,
        ("05", "50-54"): 1,
        ("05", "65-69"): 1,
        ("05", "70-74"): 1,
    }
    assert _bands(con, standardised_sql(indicator)) == expected
    assert _bands(con, standardised_sql(indicator, 2023)) == expected
