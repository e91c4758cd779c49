"""Check that every indicator's generated SQL stays in the sandbox and binds against the contract's tables.

The catalogue cannot know SQL, so a misspelt column in a `where:` only shows
when the query is planned. Each indicator's SQL is first checked with DuckDB's
parser (`metrics.compute.sandbox`: one expression or one SELECT, extract tables
only); only then is its query planned (EXPLAIN, never executed) on an empty,
locked-down database, and DuckDB's binder errors become problems with the YAML line.
"""

from __future__ import annotations

import re

import duckdb

from metrics.catalogue.loader import did_you_mean
from metrics.catalogue.model import Catalogue, Indicator
from metrics.catalogue.person_conditions import NOT_AGGREGATE_HINT
from metrics.compute.engine import write_areas
from metrics.compute.sandbox import lock_down, sql_problems
from metrics.compute.sqlgen import indicator_sql
from metrics.db import ensure_schema
from metrics.errors import Problem
from metrics.extracts.coverage import write_covered_months
from metrics.extracts.declared_tables import ensure_declared_tables

_MISSING_COLUMN = re.compile(r'Referenced column "?([^"\s]+)"? not found', re.IGNORECASE)


def _line_for(indicator: Indicator, text: str) -> int:
    """The YAML line of the key whose SQL mentions `text` (best effort)."""
    candidates = {
        "where": indicator.where,
        "row_sql": indicator.row_sql,
        "numerator": " ".join(
            filter(
                None, [indicator.numerator.where, indicator.numerator.expression, indicator.numerator.having]
            )
        ),
        "denominator": " ".join(
            filter(
                None,
                [indicator.denominator.where, indicator.denominator.expression, indicator.denominator.having],
            )
        ),
        "measure": indicator.numerator.where if indicator.numerator.kind == "per_person" else None,
    }
    for key, sql in candidates.items():
        if sql and text in sql:
            return indicator.line_of(key)
    return indicator.line


def _having_of(indicator: Indicator) -> tuple[str, int] | None:
    """The role and YAML line of the indicator's `having:`, if it has one."""
    for role, measure in (("numerator", indicator.numerator), ("denominator", indicator.denominator)):
        if measure.having:
            return role, measure.line or indicator.line_of(role)
    return None


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
            first = str(exc).splitlines()[0]
            match = _MISSING_COLUMN.search(str(exc))
            hint = None
            line = indicator.line
            if match:
                column = match.group(1)
                line = _line_for(indicator, column)
                columns = indicator.extract.column_names
                hint = (
                    did_you_mean(column, columns) or f"kolumner i '{indicator.source}': {', '.join(columns)}"
                )
                first = f"okänd kolumn '{column}' i källan '{indicator.source}'"
            elif "GROUP BY" in first and (having := _having_of(indicator)) is not None:
                role, line = having
                first, hint = f"{role}.having är inget villkor över personens rader", NOT_AGGREGATE_HINT
            problems.append(
                Problem(f"indikator '{indicator.id}': {first}", file=indicator.file, line=line, hint=hint)
            )
        finally:
            cursor.close()  # the read-only transaction ends with it, rolled back
    con.close()
    return problems
