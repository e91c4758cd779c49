"""Check that every indicator's generated SQL stays in the sandbox and binds against the contract's tables.

The catalogue cannot know SQL, so a misspelt column in a `where:` only shows
when the query is planned. Each indicator's SQL is first checked with DuckDB's
parser (`metrics.compute.sandbox`: one expression or one SELECT, extract tables
only); only then is its query planned (EXPLAIN, never executed) on an empty,
locked-down database, and DuckDB's binder errors become problems with the YAML line
(`metrics.compute.sql_errors`, whose wording `compute` gives too).
"""

from __future__ import annotations

import duckdb

from metrics.catalogue.model import Catalogue
from metrics.compute.areas import write_areas
from metrics.compute.sandbox import lock_down, sql_problems
from metrics.compute.sql_errors import planning_problem
from metrics.compute.sqlgen import indicator_sql
from metrics.db import ensure_schema
from metrics.errors import Problem
from metrics.extracts.coverage import write_covered_months
from metrics.extracts.declared_tables import ensure_declared_tables


def check_sql(catalogue: Catalogue) -> list[Problem]:
    """Plan every indicator's SQL on an empty database; one problem per indicator that fails."""
    con = duckdb.connect()
    ensure_schema(con)
    ensure_declared_tables(con, catalogue.extracts)
    write_areas(con, catalogue)
    write_covered_months(con)
    lock_down(con)
    problems: list[Problem] = []
    for indicator in catalogue.indicators:
        sql = indicator_sql(indicator)
        refused = sql_problems(indicator, sql)
        if refused:
            problems.extend(refused)
            continue
        cursor = con.cursor()
        try:
            cursor.execute("BEGIN TRANSACTION READ ONLY")
            cursor.execute("EXPLAIN " + sql)
        except duckdb.Error as exc:
            failed = exc
        else:
            continue
        finally:
            cursor.close()  # the read-only transaction ends with it, rolled back
        problems.append(planning_problem(con, indicator, failed))
    con.close()
    return problems
