"""The kommun → area table every roll-up joins (`areas`), apart from the engine so that
`matavla check` can plan the SQL without importing pandas and scipy."""

from __future__ import annotations

import duckdb

from metrics.catalogue.model import Catalogue
from metrics.compute.sqlgen import AREAS_TABLE
from metrics.extracts.coverage import COVERED_MONTHS
from metrics.geography import RIKET, load_geography

RIKET_LEVEL = "riket"


def covers_whole_country(con: duckdb.DuckDBPyConnection) -> bool:
    """True when `covered_months` holds a kommun of each of the 21 län (False without the table)."""
    lan_of = {code: k.lan for code, k in load_geography().kommuner.items()}
    try:
        kommuner = con.execute(f"SELECT DISTINCT kommun FROM {COVERED_MONTHS}").fetchall()
    except duckdb.CatalogException:  # not written yet: nothing is known to be covered
        return False
    covered = {lan_of[k] for (k,) in kommuner if k in lan_of}
    return covered == set(load_geography().lan)


def write_areas(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> None:
    """The kommun → area map used by every roll-up: itself, its län, its configured groups, and
    riket – only when `covered_months` (write it first) covers all 21 län (`metrics.compute.riket`).
    """
    geography = load_geography()
    riket = covers_whole_country(con)
    rows: list[tuple[str, str, str]] = []
    for kommun in geography.kommuner.values():
        rows.append((kommun.code, kommun.code, "kommun"))
        rows.append((kommun.code, kommun.lan, "lan"))
        if riket:
            rows.append((kommun.code, RIKET, RIKET_LEVEL))
    for level in catalogue.area_levels:
        for group in level.groups:
            rows.extend((code, group.id, level.level) for code in group.kommuner)
    con.execute(
        f"CREATE OR REPLACE TABLE {AREAS_TABLE} (kommun VARCHAR, area_code VARCHAR, area_level VARCHAR)"
    )
    con.executemany(f"INSERT INTO {AREAS_TABLE} VALUES (?, ?, ?)", rows)
