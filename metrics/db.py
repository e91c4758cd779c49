"""The DuckDB database: its tables and how to open it.

Tables:
- one table per extract (see `metrics.extracts.schema`), person-level ones included, each
  with `_import_id`, the import that wrote the row (see `metrics.extracts.origins`);
- `import_log` and `rejected_rows`, written by the importer;
- `results`, `indicator_runs` and `meta`, written by compute and read by the dashboard.

Only `results`, `indicator_runs`, `meta`, `import_log` and the reason/row columns of
`rejected_rows` hold aggregates; everything that leaves the database is read from those.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import duckdb

from metrics.db_lock import open_when_free
from metrics.errors import MatavlaError
from metrics.extracts.origins import add_origin_column
from metrics.extracts.schema import EXTRACTS, SQL_TYPES

DEFAULT_DB = Path("data/matavla.duckdb")

# The columns of `results`, in table order (compute writes them, the dashboard reads them).
RESULT_COLUMNS = (
    "indicator",
    "area_code",
    "area_level",
    "period",
    "period_type",
    "period_start",
    "breakdown",
    "sex",
    "age_band",
    "numerator",
    "denominator",
    "value",
    "ci_low",
    "ci_high",
    "suppressed",
    "suppression",
)

RESULTS_DDL = """
CREATE TABLE IF NOT EXISTS results (
    indicator    VARCHAR NOT NULL,
    area_code    VARCHAR NOT NULL,  -- '0580' kommun, '05' län, or an area group id
    area_level   VARCHAR NOT NULL,  -- 'kommun', 'lan' or the group level's name
    period       VARCHAR NOT NULL,  -- '2024', '2024-Q1' or '2024-01'
    period_type  VARCHAR NOT NULL,  -- 'year', 'quarter' or 'month'
    period_start DATE NOT NULL,
    breakdown    VARCHAR NOT NULL,  -- 'total', 'sex' or 'age_band'
    sex          VARCHAR,           -- 'K' or 'M' on sex rows, else NULL
    age_band     VARCHAR,           -- e.g. '65-79' on age-band rows, else NULL
    numerator    DOUBLE,            -- NULL when suppressed
    denominator  DOUBLE,            -- NULL when suppressed
    value        DOUBLE,            -- NULL when suppressed or undefined (denominator 0)
    ci_low       DOUBLE,
    ci_high      DOUBLE,
    suppressed   BOOLEAN NOT NULL,
    suppression  VARCHAR            -- NULL, 'primary' or 'secondary'
)
"""

RUNS_DDL = """
CREATE TABLE IF NOT EXISTS indicator_runs (
    indicator   VARCHAR NOT NULL,
    status      VARCHAR NOT NULL,   -- 'ok' or 'error'
    message     VARCHAR,
    rows        INTEGER,
    seconds     DOUBLE,
    computed_at TIMESTAMP NOT NULL
)
"""

META_DDL = "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)"

IMPORT_LOG_DDL = """
CREATE TABLE IF NOT EXISTS import_log (
    import_id     INTEGER NOT NULL,
    file          VARCHAR NOT NULL,
    extract       VARCHAR NOT NULL,
    source        VARCHAR,
    content_hash  VARCHAR NOT NULL,
    status        VARCHAR NOT NULL,  -- 'ok' or 'unchanged'
    rows_read     INTEGER NOT NULL,
    rows_accepted INTEGER NOT NULL,
    rows_rejected INTEGER NOT NULL,
    rows_replaced INTEGER NOT NULL,
    notes         VARCHAR,
    imported_at   TIMESTAMP NOT NULL,
    seconds       DOUBLE
)
"""

REJECTED_DDL = """
CREATE TABLE IF NOT EXISTS rejected_rows (
    import_id  INTEGER NOT NULL,
    file       VARCHAR NOT NULL,
    extract    VARCHAR NOT NULL,
    row_number INTEGER NOT NULL,  -- line in the file (header is line 1) or sheet row
    reason     VARCHAR NOT NULL,
    raw        VARCHAR            -- the row as read, JSON; stays in the database
)
"""


def extract_ddl(name: str) -> str:
    extract = EXTRACTS[name]
    cols = ",\n    ".join(f'"{c.name}" {SQL_TYPES[c.type]}' for c in extract.columns)
    return f'CREATE TABLE IF NOT EXISTS "{name}" (\n    {cols}\n)'


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table that does not exist yet."""
    for name in EXTRACTS:
        con.execute(extract_ddl(name))
        add_origin_column(con, name)  # which import wrote each row (metrics.extracts.origins)
    for ddl in (RESULTS_DDL, RUNS_DDL, META_DDL, IMPORT_LOG_DDL, REJECTED_DDL):
        con.execute(ddl)


def connect(
    path: str | Path = DEFAULT_DB,
    *,
    read_only: bool = False,
    wait: float | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open (and when writable, create) the database with every table in place.

    While another process holds the file's lock (a reader when writing, a writer when
    reading) this waits up to `wait` seconds (default: MATAVLA_DB_WAIT or 120), telling
    `on_wait` (default: stderr) once; see `metrics.db_lock`.
    """
    path = Path(path)
    if read_only:
        return open_when_free(
            lambda: duckdb.connect(str(path), read_only=True), path, wait=wait, on_wait=on_wait
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    con = open_when_free(lambda: duckdb.connect(str(path)), path, wait=wait, on_wait=on_wait)
    if limit := os.environ.get("MATAVLA_MEMORY_LIMIT", "").strip():
        set_memory_limit(con, limit)
    ensure_schema(con)
    return con


def set_memory_limit(con: duckdb.DuckDBPyConnection, limit: str) -> None:
    """DuckDB's memory limit (e.g. '8GB'; default 80 % of RAM), from MATAVLA_MEMORY_LIMIT."""
    try:
        con.execute("SET memory_limit = ?", [limit])
    except duckdb.Error:
        con.close()
        raise MatavlaError(
            f"MATAVLA_MEMORY_LIMIT='{limit}' är ingen minnesgräns (tips: t.ex. MATAVLA_MEMORY_LIMIT=8GB)"
        ) from None


def set_meta(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])


def get_meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    row = con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return None if row is None else str(row[0])
