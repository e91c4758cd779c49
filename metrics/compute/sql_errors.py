"""Why an indicator's SQL does not bind, in the one message both `check` and `compute` give.

DuckDB's binder error names the column and the line of the query it failed on
(`LINE 4: WHERE proffesion = 1`). The query is the generated one, so each of
the indicator's SQL fragments (`row_sql`, `where` …) is bound again on its own:
the fragment that fails, and its line, give the YAML line – inside a
`row_sql: |` block, the very line of the mistake.

Only binder, parser and catalog errors are explained from DuckDB's text: they
arise while the query is planned, before any row is read, so they can only
quote the catalogue's own SQL, never data.
"""

from __future__ import annotations

import re

import duckdb

from metrics.catalogue.model import Indicator
from metrics.catalogue.person_conditions import NOT_AGGREGATE_HINT
from metrics.catalogue.problems import did_you_mean
from metrics.compute.sandbox import Fragment, fragments
from metrics.errors import Problem
from metrics.extracts.schema import EXTRACTS

MISSING_COLUMN = re.compile(r'Referenced column "?([^"\s]+)"? not found', re.IGNORECASE)
# A column after a table alias (`s.agee`) is worded differently by DuckDB; inside a correlated
# subquery (`EXISTS (… WHERE r.agee …)`) the binder even blames the alias: "Referenced table
# "r" not found", though the table is there and only its column is misspelt.
_ALIAS_COLUMN = re.compile(r'does not have a column named "([^"]+)"', re.IGNORECASE)
_ALIAS_TABLE = re.compile(r'Referenced table "([^"]+)" not found', re.IGNORECASE)


def missing_column(text: str, indicator: Indicator) -> str | None:
    """The unknown column a DuckDB binder error is about, if it is about one."""
    for pattern in (MISSING_COLUMN, _ALIAS_COLUMN):
        if found := pattern.search(text):
            return found.group(1)
    if found := _ALIAS_TABLE.search(text):
        known = {column for extract in EXTRACTS.values() for column in extract.column_names}
        known.update(indicator.extract.column_names)
        alias = re.escape(found.group(1))
        for fragment in fragments(indicator):
            for column in re.findall(rf"\b{alias}\.([A-Za-z_][A-Za-z0-9_]*)", fragment.sql):
                if column not in known:
                    return column
    return None


_LINE = re.compile(r"^LINE (\d+):", re.MULTILINE)
_NESTED = "aggregate function calls cannot be nested"
NESTED_HINT = (
    "numerator och denominator summerar redan per cell, så sum:/where: får inte innehålla "
    "count(), sum() eller liknande; ett villkor per person (t.ex. kontakt med minst tre yrken "
    "under året) skrivs med having: eller row_sql"
)
PLANNING_ERRORS = (duckdb.BinderException, duckdb.ParserException, duckdb.CatalogException)


def _fragment_query(indicator: Indicator, fragment: Fragment) -> tuple[str, int]:
    """The fragment as a query of its own, and how many lines precede the fragment's text in it."""
    if fragment.shape == "select":
        return f"EXPLAIN {fragment.sql}", 0
    return f'EXPLAIN SELECT (\n{fragment.sql}\n) FROM "{indicator.source}"', 1


def text_line(indicator: Indicator, fragment: Fragment, line_in_fragment: int) -> int:
    """The YAML line of line n of a fragment: exact inside a literal block (`|`), else the key's line."""
    start = indicator.key_lines.get(f"{fragment.key}:text")
    if start is None:
        return fragment.line
    return start + line_in_fragment - 1


def _failing_fragment(
    con: duckdb.DuckDBPyConnection, indicator: Indicator, column: str | None
) -> tuple[Fragment, int] | None:
    """The first fragment that fails to bind on its own (for `column`, when given), with its line."""
    for fragment in fragments(indicator):
        if column is not None and column not in fragment.sql:
            continue
        query, offset = _fragment_query(indicator, fragment)
        cursor = con.cursor()
        try:
            cursor.execute("BEGIN TRANSACTION READ ONLY")
            cursor.execute(query)
        except duckdb.Error as exc:
            text = str(exc)
            if column is not None and missing_column(text, indicator) != column:
                continue
            at = _LINE.search(text)
            return fragment, max(1, int(at.group(1)) - offset) if at else 1
        finally:
            cursor.close()  # the read-only transaction ends with it, rolled back
    return None


def _key_line(indicator: Indicator, text: str) -> int:
    """The YAML line of the first fragment that mentions `text`; else the indicator's line."""
    for fragment in fragments(indicator):
        if text in fragment.sql:
            return fragment.line
    return indicator.line


def planning_problem(con: duckdb.DuckDBPyConnection, indicator: Indicator, exc: duckdb.Error) -> Problem:
    """The problem of an indicator whose query failed to plan (`check`) or to run (`compute`).

    `con` is a locked-down connection with the contract's tables, on which the fragments are
    bound again (planned, never run).
    """
    text = str(exc)
    source = indicator.source
    hint: str | None = None
    column = missing_column(text, indicator)
    if column is not None:
        columns = indicator.extract.column_names
        message = f"okänd kolumn '{column}' i källan '{source}'"
        hint = did_you_mean(column, columns) or f"kolumner i '{source}': {', '.join(columns)}"
        located = _failing_fragment(con, indicator, column)
        line = text_line(indicator, *located) if located else _key_line(indicator, column)
    elif "GROUP BY" in text.splitlines()[0] and (having := _having_of(indicator)) is not None:
        role, line = having
        message, hint = f"{role}.having är inget villkor över personens rader", NOT_AGGREGATE_HINT
    elif _NESTED in text:
        message = "aggregatfunktioner kan inte nästlas (t.ex. count() inne i en summa)"
        hint = NESTED_HINT
        line = _nested_line(indicator)
    else:
        message = "fel i SQL:en: " + text.splitlines()[0]
        located = _failing_fragment(con, indicator, None)
        line = text_line(indicator, *located) if located else indicator.line
        hint = "`matavla sql " + indicator.id + "` visar hela frågan"
    return Problem(f"indikator '{indicator.id}': {message}", indicator.file, line, hint)


def _having_of(indicator: Indicator) -> tuple[str, int] | None:
    """The role and YAML line of the indicator's `having:`, if it has one."""
    for role, measure in (("numerator", indicator.numerator), ("denominator", indicator.denominator)):
        if measure.having:
            return role, measure.line or indicator.line_of(role)
    return None


_AGGREGATE = re.compile(r"\b(count|sum|avg|min|max|median|list|string_agg|any_value)\s*\(", re.IGNORECASE)


def _nested_line(indicator: Indicator) -> int:
    """The line of the fragment that calls an aggregate (the declarative form wraps it in another)."""
    for fragment in fragments(indicator):
        if fragment.shape == "expression" and _AGGREGATE.search(fragment.sql):
            return fragment.line
    return indicator.line
