"""The `kolada_reference` table: Kolada's values with their provenance, apart from our results.

One row per KPI × Kolada area × year × gender. Storing again replaces rows with the same key
(a revised value in Kolada replaces ours); a value Kolada marks deleted is removed. Each fetch
is logged in `kolada_fetches`, whose last date is where the next `from_date` starts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import duckdb

from metrics.kolada.values import ReferenceValue

REFERENCE_DDL = """
CREATE TABLE IF NOT EXISTS kolada_reference (
    kpi              VARCHAR NOT NULL,   -- Kolada's KPI id, e.g. 'N00945'
    kolada_id        VARCHAR NOT NULL,   -- Kolada's area id: '0000' riket, '0005' a region, '0580' a kommun
    area_level       VARCHAR NOT NULL,   -- 'riket', 'lan' or 'kommun'
    area_code        VARCHAR NOT NULL,   -- '00' riket, '05' a län, '0580' a kommun (as in results)
    year             INTEGER NOT NULL,
    gender           VARCHAR NOT NULL,   -- 'T' totalt, 'K' kvinnor, 'M' män
    value            DOUBLE,             -- NULL: Kolada has the cell but no value
    status           VARCHAR,            -- Kolada's status of the value, if any
    kpi_title        VARCHAR,            -- the KPI's title in Kolada
    publication_date VARCHAR,            -- Kolada's publication date of the KPI (its metadata)
    source           VARCHAR NOT NULL,   -- the API page's URL, or the file read
    fetched_at       TIMESTAMP NOT NULL, -- when we fetched or read it
    PRIMARY KEY (kpi, kolada_id, year, gender)
)
"""

FETCHES_DDL = """
CREATE TABLE IF NOT EXISTS kolada_fetches (
    kpi          VARCHAR NOT NULL,
    fetched_at   TIMESTAMP NOT NULL,
    from_date    DATE,               -- the from_date asked (NULL: everything)
    source       VARCHAR NOT NULL,   -- 'api' or the file read
    written      INTEGER NOT NULL,
    deleted      INTEGER NOT NULL
)
"""


@dataclass(frozen=True)
class Provenance:
    kpi_title: str | None
    publication_date: str | None
    fetched_at: datetime


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(REFERENCE_DDL)
    con.execute(FETCHES_DDL)


def store(
    con: duckdb.DuckDBPyConnection,
    values: Sequence[tuple[ReferenceValue, str]],
    provenance: dict[str, Provenance],
    *,
    source_label: str,
    from_date: date | None,
) -> tuple[int, int]:
    """Replace by key and remove deleted cells, in one transaction; (written, deleted) rows."""
    ensure_tables(con)
    written = deleted = 0
    con.execute("BEGIN TRANSACTION")
    try:
        for value, source in values:
            key = [value.kpi, value.kolada_id, value.year, value.gender]
            row = con.execute(
                "DELETE FROM kolada_reference WHERE kpi = ? AND kolada_id = ? AND year = ? AND gender = ? "
                "RETURNING 1",
                key,
            ).fetchall()
            if value.deleted:
                deleted += len(row)
                continue
            meta = provenance[value.kpi]
            con.execute(
                "INSERT INTO kolada_reference VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    value.kpi,
                    value.kolada_id,
                    value.area_level,
                    value.area_code,
                    value.year,
                    value.gender,
                    value.value,
                    value.status,
                    meta.kpi_title,
                    meta.publication_date,
                    source,
                    meta.fetched_at,
                ],
            )
            written += 1
        for kpi, meta in provenance.items():
            kpi_written = sum(1 for v, _ in values if v.kpi == kpi and not v.deleted)
            kpi_deleted = sum(1 for v, _ in values if v.kpi == kpi and v.deleted)
            con.execute(
                "INSERT INTO kolada_fetches VALUES (?, ?, ?, ?, ?, ?)",
                [kpi, meta.fetched_at, from_date, source_label, kpi_written, kpi_deleted],
            )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return written, deleted


def last_fetch(con: duckdb.DuckDBPyConnection, kpi: str) -> date | None:
    """The day of the KPI's last fetch from the API (where an update's from_date starts)."""
    ensure_tables(con)
    row = con.execute(
        "SELECT max(fetched_at) FROM kolada_fetches WHERE kpi = ? AND source = 'api'", [kpi]
    ).fetchone()
    return row[0].date() if row and row[0] is not None else None
