"""Which earlier import the rows a file replaces came from, so the import log can say which file won.

Every stored extract row carries the `import_id` of the import that wrote it (column
`_import_id`; empty for rows stored before the column existed). When two files hold
the same key, the later import replaces the earlier one's rows: its note names the
earlier file, so the order of the files on the command line never decides silently.
"""

from __future__ import annotations

import duckdb

from metrics import wording
from metrics.extracts.schema import Extract

ORIGIN = "_import_id"
FILES_SHOWN = 3


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def add_origin_column(con: duckdb.DuckDBPyConnection, table: str) -> None:
    con.execute(f"ALTER TABLE {ident(table)} ADD COLUMN IF NOT EXISTS {ORIGIN} INTEGER")


def replaced_origins(
    con: duckdb.DuckDBPyConnection,
    extract: Extract,
    staged: str,
    besides: int | None = None,
    within: tuple[str, list[object]] = ("TRUE", []),
) -> list[tuple[int | None, int]]:
    """(import id, rows) of the stored rows that the accepted staged rows replace, most rows first.

    `besides`: an import whose own rows (already in the table) are not counted.
    `within`: a condition on the stored rows `t` (and its parameters) that every replaced row
    meets (`key_ranges`), which spares reading the rest.
    """
    table = ident(extract.name)
    same_key = " AND ".join(f"t.{ident(k)} = s.{ident(k)}" for k in extract.key)
    other = "" if besides is None else f" AND t.{ORIGIN} IS DISTINCT FROM {int(besides)}"
    condition, parameters = within
    # Most files (a new month, a new year) have keys outside every stored row's range: the zone
    # maps prove it without reading a row. The join would first build its hash table on the
    # staged rows (3.3 s for a national year of contacts beside another), to probe it with none.
    if not con.execute(
        f"SELECT 1 FROM {table} AS t WHERE TRUE{other} AND {condition} LIMIT 1", parameters
    ).fetchall():
        return []
    rows = con.execute(
        f"SELECT t.{ORIGIN}, count(*) FROM {table} AS t JOIN {staged} AS s ON {same_key} "
        f"WHERE s._reason IS NULL{other} AND {condition} GROUP BY 1 ORDER BY 2 DESC, 1",
        parameters,
    ).fetchall()
    return [(None if i is None else int(i), int(n)) for i, n in rows]


def winner_note(con: duckdb.DuckDBPyConnection, origins: list[tuple[int | None, int]]) -> str | None:
    """The import log's note naming the files whose rows this file replaced, or None."""
    if not origins:
        return None
    ids = [i for i, _ in origins if i is not None]
    files = dict(
        con.execute(
            "SELECT import_id, file FROM import_log WHERE list_contains(?, import_id)", [ids]
        ).fetchall()
    )
    parts = [
        f"{wording.rows(n)} från {files.get(i, 'en tidigare import')} (import {i})"
        if i is not None
        else f"{wording.rows(n)} från en tidigare import"
        for i, n in origins[:FILES_SHOWN]
    ]
    more = " m.fl." if len(origins) > FILES_SHOWN else ""
    return (
        f"samma nyckel fanns redan: denna fil ersatte {', '.join(parts)}{more}; "
        "raderna i denna fil gäller nu (den senast importerade filen vinner)"
    )


def key_ranges(con: duckdb.DuckDBPyConnection, extract: Extract, import_id: int) -> list[object] | None:
    """Each key column's least and greatest value among import `import_id`'s rows (the extract's
    stored rows), in `within_ranges`' order; None when no row has a whole key (then the import
    replaces nothing: a key with an empty part never equals another).

    Every stored row with the key of one of those rows has each key column within that range. The
    import's rows are contiguous row groups, so the range comes from DuckDB's zone maps in
    milliseconds, and the same zone maps then skip the stored row groups outside it: a monthly
    file (new contact ids, new snapshot dates) replaces nothing, and the join that proved it read
    every stored row (5.8 s for a national year of contacts beside another). Inside the file's
    transaction its own rows are not in zone maps yet: the range takes about 0.9 s there.
    """
    bounds = ", ".join(f"min({ident(k)}), max({ident(k)})" for k in extract.key)
    row = con.execute(
        f"SELECT {bounds} FROM {ident(extract.name)} WHERE {ORIGIN} = {int(import_id)}"
    ).fetchone()
    if row is None or any(value is None for value in row):
        return None
    return list(row)


def within_ranges(extract: Extract, alias: str) -> str:
    """The condition that `alias`'s key columns lie within `key_ranges` (its parameters, in order)."""
    return " AND ".join(f"{alias}.{ident(k)} BETWEEN ? AND ?" for k in extract.key)
