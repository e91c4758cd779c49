"""The DuckDB database: its tables and how to open it.

Tables:
- one table per extract (see `metrics.extracts.schema`), person-level ones included;
- `import_log`, `rejected_rows` and `coverage` (what each file covers), written by the importer;
- `results`, `indicator_runs` and `meta`, written by compute and read by the dashboard.

Only `results`, `indicator_runs`, `meta`, `import_log`, `coverage` and the reason/row columns of
`rejected_rows` hold aggregates; everything that leaves the database is read from those.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

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
    "missing",
    "complete",
    "data_through",
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
    suppression  VARCHAR,           -- NULL, 'primary' or 'secondary'
    missing      BOOLEAN NOT NULL DEFAULT false,  -- no delivery covers this kommun × period ("saknas")
    complete     BOOLEAN NOT NULL DEFAULT true,   -- every month of the period is covered
    data_through DATE               -- last day covered within the period (NULL when missing)
)
"""

# Columns added to `results` after its first version, for databases created before them.
RESULTS_ADDED = (
    ("missing", "BOOLEAN DEFAULT false"),
    ("complete", "BOOLEAN DEFAULT true"),
    ("data_through", "DATE"),
)

COVERAGE_DDL = """
CREATE TABLE IF NOT EXISTS coverage (
    import_id   INTEGER NOT NULL,
    extract     VARCHAR NOT NULL,
    kommun      VARCHAR NOT NULL,
    first_month DATE NOT NULL,     -- first day of the first covered month
    last_month  DATE NOT NULL,     -- first day of the last covered month
    basis       VARCHAR NOT NULL   -- 'lan' (a region's län), 'kommun' (its own rows) or 'option' (--covers)
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
    for ddl in (RESULTS_DDL, RUNS_DDL, META_DDL, IMPORT_LOG_DDL, REJECTED_DDL, COVERAGE_DDL):
        con.execute(ddl)
    for column, sql_type in RESULTS_ADDED:
        con.execute(f"ALTER TABLE results ADD COLUMN IF NOT EXISTS {column} {sql_type}")


def connect(path: str | Path = DEFAULT_DB, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (and when writable, create) the database with every table in place."""
    path = Path(path)
    if read_only:
        return duckdb.connect(str(path), read_only=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    ensure_schema(con)
    return con


def set_meta(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])


def get_meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    row = con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return None if row is None else str(row[0])
