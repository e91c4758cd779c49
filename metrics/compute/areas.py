"""The kommun → area table every roll-up joins (`areas`), apart from the engine so that
`matavla check` can plan the SQL without importing pandas and scipy."""

from __future__ import annotations

import duckdb

from metrics.catalogue.model import Catalogue
from metrics.compute.sqlgen import AREAS_TABLE
from metrics.geography import load_geography


def write_areas(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> None:
    """The kommun → area map used by every roll-up: itself, its län, and its configured groups."""
    geography = load_geography()
    rows: list[tuple[str, str, str]] = []
    for kommun in geography.kommuner.values():
        rows.append((kommun.code, kommun.code, "kommun"))
        rows.append((kommun.code, kommun.lan, "lan"))
    for level in catalogue.area_levels:
        for group in level.groups:
            rows.extend((code, group.id, level.level) for code in group.kommuner)
    con.execute(
        f"CREATE OR REPLACE TABLE {AREAS_TABLE} (kommun VARCHAR, area_code VARCHAR, area_level VARCHAR)"
    )
    con.executemany(f"INSERT INTO {AREAS_TABLE} VALUES (?, ?, ?)", rows)
