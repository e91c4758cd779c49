"""Every read-only DuckDB connection the dashboard opens, under the limits of `metrics.resources`.

Without them each worker's DuckDB may take 80 % of the machine's memory and one thread per core
for a single request. DuckDB refuses a second configuration for a database a process already has
open, so all of the dashboard's readers open it here, with the same settings.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from metrics.resources import read_only_config


def open_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    """The database at `path`, read-only, with MATAVLA_MEMORY_LIMIT and MATAVLA_THREADS applied."""
    return duckdb.connect(str(path), read_only=True, config=read_only_config())
