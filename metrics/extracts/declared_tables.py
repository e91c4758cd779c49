"""The database tables of extracts declared in the catalogue (`extracts:`), created when first needed.

The built-in extracts' tables are created with the database (`metrics.db.ensure_schema`);
a declared extract's table is created by the import that first delivers it, and by
`compute`/`check`, so an indicator over an extract not yet delivered has no rows
rather than an error. A column added to a declaration is added to its table; a
column whose type changed, or a table of that name that is not an extract's, is
refused with a hint, since converting stored rows silently could lose them.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from metrics.errors import ExtractError
from metrics.extracts.origins import ORIGIN, add_origin_column, ident
from metrics.extracts.schema import SQL_TYPES, Extract


def ensure_declared_table(con: duckdb.DuckDBPyConnection, extract: Extract, file: str = "") -> None:
    """Create (or extend) the table of a declared extract; raises ExtractError when it cannot."""
    existing = {
        str(name): str(sql_type)
        for name, sql_type in con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = ?",
            [extract.name],
        ).fetchall()
    }
    where = file or extract.name
    if existing and ORIGIN not in existing:
        raise ExtractError(
            where,
            f"databasen har redan en tabell '{extract.name}' som inte är ett utdrag",
            hint="döp om utdraget under extracts: i katalogen",
        )
    if not existing:
        columns = ", ".join(f"{ident(c.name)} {SQL_TYPES[c.type]}" for c in extract.columns)
        con.execute(f"CREATE TABLE {ident(extract.name)} ({columns})")
        add_origin_column(con, extract.name)
        return
    for column in extract.columns:
        wanted = SQL_TYPES[column.type]
        have = existing.get(column.name)
        if have is None:
            con.execute(f"ALTER TABLE {ident(extract.name)} ADD COLUMN {ident(column.name)} {wanted}")
        elif have != wanted:
            raise ExtractError(
                where,
                f"kolumnen '{column.name}' i utdraget '{extract.name}' har bytt typ "
                f"(databasen har {have}, katalogen säger {column.type})",
                hint="ändra tillbaka typen, eller ge utdraget ett nytt namn och importera filerna igen",
            )


def ensure_declared_tables(con: duckdb.DuckDBPyConnection, extracts: Iterable[Extract]) -> None:
    for extract in extracts:
        ensure_declared_table(con, extract)
