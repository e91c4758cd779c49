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
import pandas as pd

from metrics.kolada.values import ReferenceValue

REFERENCE_DDL = """
CREATE TABLE IF NOT EXISTS kolada_reference (
    kpi              VARCHAR NOT NULL,   -- Kolada's KPI id, e.g. 'N00945'
    kolada_id        VARCHAR NOT NULL,   -- Kolada's area id: '0000' riket, '0005' a region, '0580' a kommun
    area_level       VARCHAR NOT NULL,   -- 'riket', 'lan', 'kommun' or 'grupp'
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

REFERENCE_COLUMNS = (
    "kpi",
    "kolada_id",
    "area_level",
    "area_code",
    "year",
    "gender",
    "value",
    "status",
    "kpi_title",
    "publication_date",
    "source",
    "fetched_at",
)

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


KEY = ["kpi", "kolada_id", "year", "gender"]


def store(
    con: duckdb.DuckDBPyConnection,
    values: Sequence[tuple[ReferenceValue, str]],
    provenance: dict[str, Provenance],
    *,
    source_label: str,
    from_date: date | None,
    replace_years: Sequence[int] = (),
) -> tuple[int, int]:
    """Replace by key and remove deleted cells, in one transaction; (written, deleted) rows.

    `replace_years`: a full fetch (no from_date) gets no `isdeleted` markers, so a cell Kolada has
    dropped is just missing from the answer; the KPIs' stored rows of these years that the answer
    does not have are removed, and the table is what Kolada has.

    In bulk (one DELETE and one INSERT over all values): row by row, a kommun-level KPI's
    13 050 values (290 kommuner × 15 years × 3 genders) took 71 s to store.
    """
    ensure_tables(con)
    incoming = pd.DataFrame(
        [
            {
                "kpi": v.kpi,
                "kolada_id": v.kolada_id,
                "area_level": v.area_level,
                "area_code": v.area_code,
                "year": v.year,
                "gender": v.gender,
                "value": v.value,
                "status": v.status,
                "kpi_title": provenance[v.kpi].kpi_title,
                "publication_date": provenance[v.kpi].publication_date,
                "source": source,
                "fetched_at": provenance[v.kpi].fetched_at,
                "deleted": v.deleted,
            }
            for v, source in values
        ],
        columns=[*REFERENCE_COLUMNS, "deleted"],
    ).drop_duplicates(subset=KEY, keep="last")  # a later page or file wins
    incoming["value"] = incoming["value"].astype("float64")
    incoming["year"] = incoming["year"].astype("int64")
    kept = incoming[~incoming["deleted"].astype(bool)]
    con.execute("BEGIN TRANSACTION")
    try:
        con.register("kolada_incoming", incoming)
        on_key = " AND ".join(f"r.{k} = i.{k}" for k in KEY)
        gone = (
            "list_contains(?, r.kpi) AND list_contains(?, r.year) AND NOT EXISTS "
            f"(SELECT 1 FROM kolada_incoming i WHERE {on_key} AND NOT i.deleted)"
        )
        scope = [list(provenance), [int(y) for y in replace_years]]
        removed = dict(
            con.execute(
                "SELECT r.kpi, count(*) FROM kolada_reference r WHERE "
                f"EXISTS (SELECT 1 FROM kolada_incoming i WHERE {on_key} AND i.deleted) OR ({gone}) "
                "GROUP BY r.kpi",
                scope,
            ).fetchall()
        )
        deleted = sum(int(n) for n in removed.values())
        if replace_years:
            con.execute(f"DELETE FROM kolada_reference r WHERE {gone}", scope)
        con.execute(f"DELETE FROM kolada_reference r USING kolada_incoming i WHERE {on_key}")
        con.execute(
            f"INSERT INTO kolada_reference SELECT {', '.join(REFERENCE_COLUMNS)} FROM kolada_incoming "
            "WHERE NOT deleted"
        )
        for kpi, meta in provenance.items():
            mine = incoming[incoming["kpi"] == kpi]
            con.execute(
                "INSERT INTO kolada_fetches VALUES (?, ?, ?, ?, ?, ?)",
                [
                    kpi,
                    meta.fetched_at,
                    from_date,
                    source_label,
                    int((~mine["deleted"]).sum()),
                    int(removed.get(kpi, 0)),  # rows removed, as the report counts them
                ],
            )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("kolada_incoming")
    return len(kept), deleted


def last_fetch(con: duckdb.DuckDBPyConnection, kpi: str) -> date | None:
    """The day of the KPI's last fetch from the API (where an update's from_date starts).

    None until the KPI has been fetched in full once: fetches with a from_date (`--since`) hold
    only changes, so updating from them would never bring the history before them.
    """
    ensure_tables(con)
    row = con.execute(
        "SELECT max(fetched_at) FROM kolada_fetches WHERE kpi = ? AND source = 'api' AND EXISTS "
        "(SELECT 1 FROM kolada_fetches f WHERE f.kpi = ? AND f.source = 'api' AND f.from_date IS NULL)",
        [kpi, kpi],
    ).fetchone()
    return row[0].date() if row and row[0] is not None else None
