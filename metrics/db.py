"""The DuckDB database: its tables and how to open it.

Tables:
- one table per extract (see `metrics.extracts.schema`), person-level ones included, each
  with `_import_id`, the import that wrote the row (see `metrics.extracts.origins`);
- `import_log`, `rejected_rows` and `coverage` (what each file covers), written by the importer;
- `results`, `indicator_runs` and `meta`, written by compute and read by the dashboard;
- `compute_runs`, `run_indicators` and `results_history`, compute's record of each run
  (see `metrics.compute.runs`).

Only `results`, `indicator_runs`, `meta`, `import_log`, `coverage` and the reason/row columns of
`rejected_rows` hold aggregates; everything that leaves the database is read from those.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb

from metrics.db_lock import is_lock_error, open_when_free
from metrics.errors import MatavlaError
from metrics.extracts.origins import add_origin_column
from metrics.extracts.schema import EXTRACTS, SQL_TYPES
from metrics.resources import apply_resources, parse_memory, resources_from_env

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
    "std_value",
    "std_ci_low",
    "std_ci_high",
    "trend",
    "compared_to",
    "comparison",
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
    data_through DATE,              -- last day covered within the period (NULL when missing)
    std_value    DOUBLE,            -- age-standardised value (NULL where the indicator has none)
    std_ci_low   DOUBLE,
    std_ci_high  DOUBLE,
    trend        VARCHAR,  -- improving, worsening, increasing, decreasing, no_change or cannot_calculate
    compared_to  VARCHAR,           -- the benchmark a comparison is made against (e.g. the län's area code)
    comparison   VARCHAR            -- 'better', 'similar', 'worse', 'higher', 'lower', 'not_compared'
)
"""

# Columns added to `results` after its first version, for databases created before them.
RESULTS_ADDED = (
    ("missing", "BOOLEAN DEFAULT false"),
    ("complete", "BOOLEAN DEFAULT true"),
    ("data_through", "DATE"),
    ("std_value", "DOUBLE"),
    ("std_ci_low", "DOUBLE"),
    ("std_ci_high", "DOUBLE"),
    ("trend", "VARCHAR"),
    ("compared_to", "VARCHAR"),
    ("comparison", "VARCHAR"),
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

COMPUTE_RUNS_DDL = """
CREATE TABLE IF NOT EXISTS compute_runs (
    run            INTEGER PRIMARY KEY,  -- 1, 2, … in the order computed
    started_at     TIMESTAMP NOT NULL,
    finished_at    TIMESTAMP NOT NULL,
    status         VARCHAR NOT NULL,     -- 'ok', 'partial' (some indicators failed) or 'failed'
    indicators     VARCHAR[] NOT NULL,   -- the indicators selected
    succeeded      VARCHAR[] NOT NULL,
    failed         VARCHAR[] NOT NULL,
    catalogue_file VARCHAR,
    catalogue_hash VARCHAR,              -- sha256 of the catalogue file's bytes
    catalogue_text VARCHAR,              -- the catalogue as read; kept for the runs in the history
    import_ids     INTEGER[] NOT NULL,   -- the 'ok' rows of import_log present at the time
    import_hashes  VARCHAR[] NOT NULL,   -- their content hashes, in the same order
    result_rows    BIGINT
)
"""

# Per run, per indicator: what the board shows after the run, and why when it is stale.
RUN_INDICATORS_DDL = """
CREATE TABLE IF NOT EXISTS run_indicators (
    run             INTEGER NOT NULL,
    indicator       VARCHAR NOT NULL,
    status          VARCHAR NOT NULL,  -- 'ok', 'stale' (failed, earlier results kept) or 'error' (none)
    results_run     INTEGER,           -- the run that computed the results shown (NULL: before runs)
    definition_hash VARCHAR,           -- fingerprint of the definition those results were computed from
    error_kind      VARCHAR,           -- the failure's type name
    message         VARCHAR,           -- the failure in Swedish (never a database error's own text)
    failed_at       TIMESTAMP,
    years           INTEGER[]          -- the calendar years results_run aggregated afresh (NULL: all)
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
    seconds       DOUBLE,
    file_bytes    BIGINT              -- the file's size: no earlier file of another size is the same
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
    for ddl in (
        RESULTS_DDL,
        RUNS_DDL,
        META_DDL,
        IMPORT_LOG_DDL,
        REJECTED_DDL,
        COVERAGE_DDL,
        COMPUTE_RUNS_DDL,
        RUN_INDICATORS_DDL,
    ):
        con.execute(ddl)
    for column, sql_type in RESULTS_ADDED:
        con.execute(f"ALTER TABLE results ADD COLUMN IF NOT EXISTS {column} {sql_type}")
    # `compute --incremental` by year (metrics.compute.year_cells): added after runs were recorded
    con.execute("ALTER TABLE run_indicators ADD COLUMN IF NOT EXISTS years INTEGER[]")
    # the file's size (metrics.extracts.importer): added after imports were logged (NULL: unknown)
    con.execute("ALTER TABLE import_log ADD COLUMN IF NOT EXISTS file_bytes BIGINT")
    ensure_results_history(con)


def ensure_results_history(con: duckdb.DuckDBPyConnection) -> None:
    """`results_history`: a `run` column, then the columns of `results` (RESULT_COLUMNS, same types).

    Derived from `results`, so a column added there is added here too (older runs get NULL).
    """
    columns = ", ".join(RESULT_COLUMNS)
    con.execute(
        "CREATE TABLE IF NOT EXISTS results_history AS "
        f"SELECT CAST(0 AS INTEGER) AS run, {columns} FROM results LIMIT 0"
    )
    have = {r[0] for r in con.execute("DESCRIBE results_history").fetchall()}
    for name, sql_type, *_ in con.execute("DESCRIBE results").fetchall():
        if name in RESULT_COLUMNS and name not in have:
            con.execute(f'ALTER TABLE results_history ADD COLUMN "{name}" {sql_type}')


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
    settings = resources_from_env()  # a bad MATAVLA_MEMORY_LIMIT / MATAVLA_THREADS stops before opening
    if read_only:
        con = open_when_free(lambda: _open(path, read_only=True), path, wait=wait, on_wait=on_wait)
        # limit and threads; the spill folder stays DuckDB's default, which for a database file
        # (read-only too) is also `<database>.tmp` beside it: a reader that spills needs that folder writable
        apply_resources(con, None, settings)
        return con
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise MatavlaError(
            f"kunde inte skapa mappen {path.parent} för databasen ({exc.strerror}) "
            "(tips: ange en databas i en mapp du får skriva i med --db eller MATAVLA_DB)"
        ) from None
    con = open_when_free(lambda: _open(path, read_only=False), path, wait=wait, on_wait=on_wait)
    # memory limit, threads and the spill folder beside the database (metrics.resources)
    apply_resources(con, path, settings)
    ensure_schema(con)
    return con


def _open(path: Path, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """duckdb.connect; a lock error goes on to `open_when_free`, any other is a Swedish error."""
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        if is_lock_error(exc):
            raise
        why = (
            "filen är ingen DuckDB-databas"
            if "not a valid duckdb" in str(exc).lower()
            else "filen eller mappen går inte att " + ("läsa" if read_only else "skriva i")
        )
        raise MatavlaError(
            f"databasen {path} kunde inte öppnas: {why} (tips: kontrollera sökvägen i --db eller MATAVLA_DB)"
        ) from None


def set_memory_limit(con: duckdb.DuckDBPyConnection, limit: str) -> None:
    """DuckDB's memory limit from a MATAVLA_MEMORY_LIMIT value ('8GB', '40%'; see metrics.resources)."""
    try:
        size = parse_memory(limit)
    except MatavlaError:
        con.close()
        raise
    con.execute(f"SET memory_limit = '{size // 2**10}KiB'")


def set_meta(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])


def get_meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    row = con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return None if row is None else str(row[0])
