"""COC and UPC over the same contacts group the contacts per person and doctor once per run.

At national size that grouping is most of the compute (about 25 s per year and query on 2
cores), and `kontinuitet_lakare` and `kontinuitet_upc_lakare` (also `kontinuitet_alla` and
`kontinuitet_upc_alla`) differ only in the statistic taken of it. The engine runs one query with
every statistic (`sqlgen.per_person_sql`) and gives each indicator its own columns, which must be
exactly what its own query gives. Expected values are worked out by hand from the definitions:
COC = (Σ nᵢ² − N) / (N (N − 1)) (Bice & Boxerman 1977), UPC = max nᵢ / N (Breslau & Reeb 1975).
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from metrics.compute import engine
from metrics.compute.sandbox import run_indicator_query
from metrics.compute.sqlgen import per_person_sql
from metrics.extracts.coverage import write_covered_months
from tests.indicator_cases import NO_SUPPRESSION, insert
from tests.test_indicators import LINKOPING, NORRKOPING, OSTERGOTLAND, contact


def _contacts(con) -> None:
    insert(
        con,
        "contacts",
        [
            # p in Linköping: doctors A, A, B → N = 3, Σnᵢ² = 5: COC (5 − 3) / 6 = 1/3, UPC 2/3
            contact("c1", "p", staff="A", day="2023-03-01"),
            contact("c2", "p", staff="A", day="2023-03-02"),
            contact("c3", "p", staff="B", day="2023-03-03"),
            # q in Norrköping: A, B → N = 2, Σnᵢ² = 2: COC 0, UPC 1/2
            contact("c4", "q", staff="A", day="2023-03-01", kommun=NORRKOPING),
            contact("c5", "q", staff="B", day="2023-03-02", kommun=NORRKOPING),
            # r in Linköping in 2024: A, A → COC 1, UPC 1 (a second year: one query per year)
            contact("c6", "r", staff="A", day="2024-05-01"),
            contact("c7", "r", staff="A", day="2024-05-02"),
        ],
    )
    write_covered_months(con)


def test_coc_and_upc_share_one_query_per_year_and_each_gets_its_own_query_s_rows(con, catalogue):
    _contacts(con)
    coc, upc = catalogue.indicator("kontinuitet_lakare"), catalogue.indicator("kontinuitet_upc_lakare")
    assert per_person_sql(coc, 2023) == per_person_sql(upc, 2023)  # the same text: one run

    queries: list[str] = []

    def run(indicator, sql):
        queries.append(sql)
        return run_indicator_query(con, indicator, sql)

    shared: dict[str, pd.DataFrame] = {}
    coc_rows = engine.indicator_rows(con, coc, run=run, shared=shared)
    upc_rows = engine.indicator_rows(con, upc, run=run, shared=shared)
    assert len(queries) == 2  # 2023 and 2024, once for both indicators (it was four)

    # exactly the rows of each indicator's own query (column names, order, types, values)
    pd.testing.assert_frame_equal(coc_rows, engine.indicator_rows(con, coc))
    pd.testing.assert_frame_equal(upc_rows, engine.indicator_rows(con, upc))

    def year(rows: pd.DataFrame, area: str, start: str) -> tuple[float, float]:
        row = rows[
            (rows["area_code"] == area)
            & (rows["period_type"] == "year")
            & (rows["breakdown"] == "total")
            & (pd.to_datetime(rows["period_start"]) == pd.Timestamp(start))
        ].iloc[0]
        return row["numerator"], row["denominator"]

    assert year(coc_rows, LINKOPING, "2023-01-01") == (pytest.approx(1 / 3), 1)
    assert year(upc_rows, LINKOPING, "2023-01-01") == (pytest.approx(2 / 3), 1)
    assert year(coc_rows, NORRKOPING, "2023-01-01") == (pytest.approx(0), 1)
    assert year(upc_rows, NORRKOPING, "2023-01-01") == (pytest.approx(1 / 2), 1)
    # the län: sums over both persons, 1/3 + 0 and 2/3 + 1/2 = 7/6
    assert year(coc_rows, OSTERGOTLAND, "2023-01-01") == (pytest.approx(1 / 3), 2)
    assert year(upc_rows, OSTERGOTLAND, "2023-01-01") == (pytest.approx(7 / 6), 2)
    assert year(coc_rows, LINKOPING, "2024-01-01") == (pytest.approx(1), 1)
    assert year(upc_rows, LINKOPING, "2024-01-01") == (pytest.approx(1), 1)


def test_a_whole_compute_publishes_each_statistic_under_its_own_indicator(con, catalogue):
    _contacts(con)
    ids = ("kontinuitet_lakare", "kontinuitet_upc_lakare", "kontinuitet_sjukskoterska")
    quiet = dataclasses.replace(
        catalogue,
        indicators=tuple(
            dataclasses.replace(i, suppression=NO_SUPPRESSION) if i.id in ids else i
            for i in catalogue.indicators
        ),
    )
    reports = engine.compute_all(con, quiet, only=list(ids), exact_audit=False)
    assert all(r.ok for r in reports), [r.message for r in reports]
    results = con.execute(
        "SELECT indicator, numerator, denominator, value FROM results "
        "WHERE area_code = ? AND period = '2023' AND breakdown = 'total'",
        [OSTERGOTLAND],
    ).df()
    by_id = results.set_index("indicator")
    # the län's mean over persons: COC (1/3 + 0) / 2 = 1/6, UPC (2/3 + 1/2) / 2 = 7/12
    assert by_id.loc["kontinuitet_lakare", "value"] == pytest.approx(1 / 6)
    assert by_id.loc["kontinuitet_upc_lakare", "value"] == pytest.approx(7 / 12)
    assert by_id.loc["kontinuitet_upc_lakare", "denominator"] == 2
