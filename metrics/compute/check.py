"""Check that every indicator's generated SQL binds against the contract's tables.

The catalogue cannot know SQL, so a misspelt column in a `where:` only shows
when the query is planned. This plans each query against an empty database
and turns DuckDB's binder errors into problems with the YAML line.
"""

from __future__ import annotations

import re

import duckdb

from metrics.catalogue.loader import did_you_mean
from metrics.catalogue.model import Catalogue, Indicator
from metrics.compute.engine import write_areas
from metrics.compute.sqlgen import indicator_sql
from metrics.db import ensure_schema
from metrics.errors import Problem
from metrics.extracts.coverage import write_covered_months
from metrics.extracts.schema import EXTRACTS

_MISSING_COLUMN = re.compile(r'Referenced column "?([^"\s]+)"? not found', re.IGNORECASE)


def _line_for(indicator: Indicator, text: str) -> int:
    """The YAML line of the key whose SQL mentions `text` (best effort)."""
    candidates = {
        "where": indicator.where,
        "row_sql": indicator.row_sql,
        "numerator": " ".join(filter(None, [indicator.numerator.where, indicator.numerator.expression])),
        "denominator": " ".join(
            filter(None, [indicator.denominator.where, indicator.denominator.expression])
        ),
        "measure": indicator.numerator.where if indicator.numerator.kind == "per_person" else None,
    }
    for key, sql in candidates.items():
        if sql and text in sql:
            return indicator.line_of(key)
    return indicator.line


def check_sql(catalogue: Catalogue) -> list[Problem]:
    """Plan every indicator's SQL on an empty database; one problem per indicator that fails."""
    con = duckdb.connect()
    ensure_schema(con)
    write_areas(con, catalogue)
    write_covered_months(con)
    problems: list[Problem] = []
    for indicator in catalogue.indicators:
        try:
            con.execute("EXPLAIN " + indicator_sql(indicator))
        except duckdb.Error as exc:
            first = str(exc).splitlines()[0]
            match = _MISSING_COLUMN.search(str(exc))
            hint = None
            line = indicator.line
            if match:
                column = match.group(1)
                line = _line_for(indicator, column)
                columns = EXTRACTS[indicator.source].column_names
                hint = (
                    did_you_mean(column, columns) or f"kolumner i '{indicator.source}': {', '.join(columns)}"
                )
                first = f"okänd kolumn '{column}' i källan '{indicator.source}'"
            problems.append(
                Problem(f"indikator '{indicator.id}': {first}", file=indicator.file, line=line, hint=hint)
            )
    con.close()
    return problems
