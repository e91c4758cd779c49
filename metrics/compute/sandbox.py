"""Catalogue SQL runs in a sandbox: it may read the extract tables and nothing else.

SQL written in `indicators.yaml` (`where:`, `sum:`, `row_sql:` …) is spliced into
the generated query, so it is checked and run under three independent locks:

1. **Its shape**, checked with DuckDB's own parser (never a regular expression):
   a `where:`/`sum:` is exactly one expression, a `row_sql:` exactly one SELECT;
   the whole generated query is one SELECT that reads only the extract tables
   (and its own CTEs), calls no table function (`read_text`, `read_csv`, `glob`,
   `query` …) and none of a few scalar functions that read settings or state.
2. **The database instance**: external access off (no file, no network, no
   ATTACH, no COPY), extensions neither installed nor loaded automatically,
   and the configuration locked so catalogue SQL cannot turn any of it back on.
   These settings are global to the DuckDB instance, so a connection that has
   computed an indicator cannot read files any more (import on a fresh one).
3. **A read-only transaction** on a cursor of its own, always rolled back: even
   a statement that slipped past (1) cannot change a table.

A failure is reported as the kind of error and the YAML line, never with
DuckDB's message: that message can quote values from the data
(`Could not convert string 'P60654173'`).
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import duckdb

from metrics.catalogue.model import Indicator
from metrics.compute.sqlgen import AREAS_TABLE
from metrics.errors import ComputeError, Problem
from metrics.extracts.coverage import COVERED_MONTHS
from metrics.extracts.schema import EXTRACTS

if TYPE_CHECKING:  # the module plans SQL for `matavla check`, which needs no pandas
    import pandas as pd

# Instance settings under which catalogue SQL runs; lock_configuration comes last.
SANDBOX_SETTINGS = (
    ("autoinstall_known_extensions", "false"),
    ("autoload_known_extensions", "false"),
    ("enable_external_access", "false"),
)

# Table references catalogue SQL may use (everything else, e.g. TABLE_FUNCTION or SHOW_REF, is refused).
_TABLE_REFS = {"BASE_TABLE", "SUBQUERY", "JOIN", "EXPRESSION_LIST", "EMPTY", "PIVOT"}
# Scalar functions that read settings, the environment or sequences: no indicator needs them.
_FUNCTIONS = {
    "current_setting",
    "getenv",
    "nextval",
    "currval",
    "setseed",
    "current_database",
    "current_schema",
    "current_schemas",
}
# One indicator's query may run this long (seconds), then it is interrupted: a cross join written
# by mistake would otherwise hold the database for hours. MATAVLA_SQL_TIMEOUT changes it.
TIMEOUT_ENV = "MATAVLA_SQL_TIMEOUT"
DEFAULT_TIMEOUT_SECONDS = 900.0
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MISSING_COLUMN = re.compile(r'Referenced column "?([^"\s]+)"? not found', re.IGNORECASE)
_SOURCE_TABLES = frozenset(EXTRACTS)
_HINT_SHAPE = {
    "expression": "skriv ett enda SQL-villkor eller uttryck över utdragets kolumner, t.ex. mode = 'video'",
    "select": "skriv en enda SELECT över utdragens tabeller, utan semikolon och utan filer",
}


class IndicatorSqlError(ComputeError):
    """An indicator's SQL was refused or failed: the kind of error and the YAML line, no data."""

    def __init__(self, indicator: Indicator, kind: str, line: int, hint: str) -> None:
        self.kind = kind
        self.file = indicator.file
        self.line = line
        self.hint = hint
        super().__init__(indicator.id, kind)
        # Worded exactly as `matavla check` words a problem: "fil.yaml:12: indikator 'x': … (tips: …)".
        self.args = (str(Problem(f"indikator '{indicator.id}': {kind}", indicator.file, line, hint)),)

    def __str__(self) -> str:
        return str(self.args[0])

    @classmethod
    def from_problem(cls, indicator: Indicator, problem: Problem) -> IndicatorSqlError:
        kind = problem.message.removeprefix(f"indikator '{indicator.id}': ")
        return cls(indicator, kind, problem.line or indicator.line, problem.hint or "")


@dataclass(frozen=True)
class Fragment:
    """One piece of catalogue SQL, with the YAML key and line it came from."""

    key: str
    sql: str
    line: int
    shape: str  # "expression" or "select"


def fragments(indicator: Indicator) -> list[Fragment]:
    """Every SQL-bearing value of an indicator."""
    found: list[Fragment] = []
    if indicator.row_sql is not None:
        found.append(Fragment("row_sql", indicator.row_sql, indicator.line_of("row_sql"), "select"))
    if indicator.where:
        found.append(Fragment("where", indicator.where, indicator.line_of("where"), "expression"))
    measures = [("numerator", indicator.numerator), ("denominator", indicator.denominator)]
    if indicator.numerator.kind == "per_person":
        measures = [("measure", indicator.numerator)]
    for role, measure in measures:
        line = measure.line or indicator.line_of(role)
        if measure.where:
            found.append(Fragment(f"{role}.where", measure.where, line, "expression"))
        if measure.having:
            found.append(Fragment(f"{role}.having", measure.having, line, "expression"))
        if measure.kind == "sum" and measure.expression:
            found.append(Fragment(f"{role}.sum", measure.expression, line, "expression"))
    return found


def _names(indicator: Indicator) -> Iterator[tuple[str, str, int]]:
    """Values that the generated SQL quotes as column names: (key, value, line)."""
    if indicator.date is not None:
        yield "date", indicator.date, indicator.line_of("date")
    for role, measure in (("numerator", indicator.numerator), ("denominator", indicator.denominator)):
        if measure.by is not None:
            yield "measure.by", measure.by, measure.line or indicator.line_of("measure")
        if measure.codes is not None:
            yield f"{role}.codes.column", measure.codes.column, measure.line or indicator.line_of(role)


def _parse_tree(parser: duckdb.DuckDBPyConnection, sql: str) -> dict[str, Any] | None:
    """DuckDB's parse tree of one SELECT statement, or None when it is not exactly that."""
    try:
        statements = parser.extract_statements(sql)
    except duckdb.Error:
        return None
    if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
        return None
    serialised = parser.execute("SELECT json_serialize_sql(?::VARCHAR)", [sql]).fetchone()
    tree: dict[str, Any] = json.loads(serialised[0]) if serialised else {"error": True}
    if tree.get("error") or len(tree.get("statements", [])) != 1:
        return None
    node: dict[str, Any] = tree["statements"][0]["node"]
    return node


def _cte_keys(node: dict[str, Any]) -> list[tuple[str, Any]]:
    """The CTEs a query node defines, in order: (lower-case name, definition)."""
    entries = (node.get("cte_map") or {}).get("map", [])
    return [(str(entry.get("key", "")).lower(), entry.get("value")) for entry in entries]


def forbidden(node: Any, tables: frozenset[str]) -> str | None:
    """What in a parse tree reaches beyond `tables`, in Swedish; None when nothing does.

    A CTE name counts as allowed only where DuckDB resolves it to the CTE: in the body of the
    query that defines it, in the CTEs defined after it, and (for a recursive CTE) in its own
    definition. Elsewhere the same name is the real table: `WITH rejected_rows AS (SELECT *
    FROM rejected_rows)` reads the real one, so a CTE is never allowed globally.
    """

    def walk(item: Any, allowed: frozenset[str]) -> str | None:
        if isinstance(item, list):
            return next((found for found in (walk(v, allowed) for v in item) if found), None)
        if not isinstance(item, dict):
            return None
        kind = item.get("type")
        if kind == "RECURSIVE_CTE_NODE":
            allowed = allowed | {str(item.get("cte_name", "")).lower()}
        ctes = _cte_keys(item)
        defined = allowed
        for name, definition in ctes:
            found = walk(definition, defined)  # sees the CTEs before it, not itself
            if found:
                return found
            defined = defined | {name}
        is_table_ref = "class" not in item and {"alias", "sample", "query_location"} <= item.keys()
        if is_table_ref and kind not in _TABLE_REFS:
            if kind == "TABLE_FUNCTION":
                name = (item.get("function") or {}).get("function_name", "")
                return f"tabellfunktionen {name}() läser utanför utdragen"
            return "otillåten tabellreferens"
        if kind == "BASE_TABLE":
            name = str(item.get("table_name", "")).lower()
            if item.get("schema_name") or item.get("catalog_name") or name not in defined:
                return f"tabellen '{item.get('table_name', '')}' är inget utdrag"
        if item.get("class") == "FUNCTION" and str(item.get("function_name", "")).lower() in _FUNCTIONS:
            return f"funktionen {item['function_name']}() är inte tillåten"
        rest = (value for key, value in item.items() if key != "cte_map")
        return next((found for found in (walk(v, defined) for v in rest) if found), None)

    return walk(node, frozenset(tables))


def _shape_problem(
    parser: duckdb.DuckDBPyConnection, fragment: Fragment, tables: frozenset[str] = _SOURCE_TABLES
) -> str | None:
    """Why a fragment is not exactly one expression / one SELECT over the extracts, or None."""
    if fragment.shape == "select":
        node = _parse_tree(parser, fragment.sql)
        if node is None:
            return "row_sql ska vara exakt en SELECT-fråga"
        return forbidden(node, tables)
    # The newlines end a trailing `--` comment inside the fragment before the closing parenthesis.
    node = _parse_tree(parser, f"SELECT (\n{fragment.sql}\n)")
    single = (
        node is not None
        and node.get("type") == "SELECT_NODE"
        and len(node.get("select_list", [])) == 1
        and (node.get("from_table") or {}).get("type") == "EMPTY"
        and not any(node.get(k) for k in ("where_clause", "group_expressions", "having", "qualify", "sample"))
        and not node.get("modifiers")
        and not (node.get("cte_map") or {}).get("map")
    )
    if not single:
        return f"{fragment.key} ska vara exakt ett SQL-uttryck"
    return forbidden(node, tables)


_PARSER: list[duckdb.DuckDBPyConnection] = []  # one private, empty, locked-down instance per process
_PARSER_LOCK = threading.Lock()


def _parser() -> duckdb.DuckDBPyConnection:
    """A cursor on a private, empty, locked-down database used only to parse (opening one costs more)."""
    with _PARSER_LOCK:
        if not _PARSER:
            parser = duckdb.connect()
            lock_down(parser)
            _PARSER.append(parser)
        return _PARSER[0].cursor()


def sql_problems(indicator: Indicator, generated_sql: str) -> list[Problem]:
    """Every way the indicator's SQL leaves the sandbox, each with its YAML line.

    `generated_sql` is the complete query (`indicator_sql`): it is checked too,
    since column names (`date:`, `by:`, `codes.column`) are spliced into it.
    """
    problems: list[Problem] = []

    def add(message: str, line: int, hint: str) -> None:
        problems.append(
            Problem(f"indikator '{indicator.id}': otillåten SQL: {message}", indicator.file, line, hint)
        )

    for key, name, line in _names(indicator):
        if not _IDENTIFIER.match(name):
            add(f"{key} ska vara ett kolumnnamn", line, "bokstäver, siffror och _, t.ex. staff_id")
    # the built-in extracts and the declared ones the indicator lists under `sources:`
    tables = _SOURCE_TABLES | {e.name for e in indicator.extracts}
    parser = _parser()
    try:
        for fragment in fragments(indicator):
            problem = _shape_problem(parser, fragment, tables)
            if problem:
                add(problem, fragment.line, _HINT_SHAPE[fragment.shape])
        if not problems:
            node = _parse_tree(parser, generated_sql)
            problem = (
                "frågan ska vara exakt en SELECT"
                if node is None
                else forbidden(node, tables | {AREAS_TABLE, COVERED_MONTHS})
            )
            if problem:
                add(problem, indicator.line, _HINT_SHAPE["select"])
    finally:
        parser.close()
    return problems


def lock_down(con: duckdb.DuckDBPyConnection) -> None:
    """Turn external access and extension loading off on the connection's instance, and lock it.

    Idempotent. Refuses to go on when the configuration was locked some other way.
    """
    settings = ", ".join(f"current_setting('{name}')" for name, _ in SANDBOX_SETTINGS)
    row = con.execute(f"SELECT current_setting('lock_configuration'), {settings}").fetchone()
    assert row is not None
    if not row[0]:
        for name, value in SANDBOX_SETTINGS:
            con.execute(f"SET GLOBAL {name} = {value}")
        con.execute("SET GLOBAL lock_configuration = true")
    elif any(row[1:]):
        raise ComputeError("*", "databasens inställningar är låsta utan sandlåda; öppna databasen på nytt")


_ERROR_KINDS: tuple[tuple[type[duckdb.Error], str, str], ...] = (
    (
        duckdb.ConversionException,
        "typfel",
        "ett värde gick inte att tolka som den typ SQL:en kräver; se kolumnens typ i docs/extracts.md",
    ),
    (
        duckdb.BinderException,
        "okänd kolumn eller fel typ",
        "kör matavla check, som visar kolumnen och raden",
    ),
    (duckdb.CatalogException, "okänd tabell eller funktion", "kör matavla check"),
    (duckdb.ParserException, "syntaxfel", "kör matavla check"),
    (
        duckdb.PermissionException,
        "otillåten SQL",
        "katalogens SQL får bara läsa utdragens tabeller, inga filer eller tillägg",
    ),
    (
        duckdb.TransactionException,
        "otillåten SQL",
        "katalogens SQL får bara läsa, aldrig ändra tabeller",
    ),
    (
        duckdb.OutOfMemoryException,
        "minnet räckte inte",
        "höj DuckDB:s memory_limit eller beräkna färre indikatorer åt gången (--indicator)",
    ),
    (
        duckdb.OutOfRangeException,
        "värde utanför tillåtet intervall",
        "kontrollera uträkningarna i SQL:en (t.ex. division eller datum)",
    ),
    (duckdb.InvalidInputException, "ogiltig indata", "kontrollera SQL:en mot kolumnernas typer"),
    (
        duckdb.InterruptException,
        "tidsgränsen nåddes",
        f"frågan avbröts efter {TIMEOUT_ENV} sekunder; leta efter en join utan villkor, "
        f"eller höj {TIMEOUT_ENV} om frågan ska ta så lång tid",
    ),
)


def timeout_seconds() -> float:
    """The time limit of one indicator's query: MATAVLA_SQL_TIMEOUT, else 900 s (0 = none)."""
    text = os.environ.get(TIMEOUT_ENV, "").strip()
    if not text:
        return DEFAULT_TIMEOUT_SECONDS
    try:
        return max(0.0, float(text.replace(",", ".")))
    except ValueError:
        raise ComputeError(
            "*", f"{TIMEOUT_ENV}='{text}' är inget antal sekunder (tips: t.ex. {TIMEOUT_ENV}=600)"
        ) from None


def _runtime_error(
    con: duckdb.DuckDBPyConnection, indicator: Indicator, exc: duckdb.Error
) -> IndicatorSqlError:
    """The kind of a DuckDB error and the YAML line; DuckDB's own message is dropped.

    An error while planning (unknown column, nested aggregate …) comes from the catalogue's SQL,
    before any row is read: it gets the very message `matavla check` gives
    (`metrics.compute.sql_errors`). Any other error is named by its kind only.
    """
    from metrics.compute.sql_errors import PLANNING_ERRORS, planning_problem  # it imports this module

    if isinstance(exc, PLANNING_ERRORS):
        return IndicatorSqlError.from_problem(indicator, planning_problem(con, indicator, exc))
    kind, hint = "fel i SQL:en", "kör matavla check och matavla sql för att se frågan"
    for cls, name, text in _ERROR_KINDS:
        if isinstance(exc, cls):
            kind, hint = name, text
            break
    pieces = fragments(indicator)
    missing = _MISSING_COLUMN.search(str(exc)) if isinstance(exc, duckdb.BinderException) else None
    if missing and _IDENTIFIER.match(missing.group(1)):
        column = missing.group(1)
        kind = f"okänd kolumn '{column}'"
        pieces = [f for f in pieces if column in f.sql] or pieces
    lines = sorted({f.line for f in pieces}) or [indicator.line]
    if len(lines) > 1:
        hint += "; felet finns i SQL:en på rad " + ", ".join(str(n) for n in lines)
    return IndicatorSqlError(indicator, kind, lines[0], hint)


def check_indicator_query(indicator: Indicator, sql: str) -> None:
    """Refuse a generated query whose catalogue SQL breaks the sandbox's rules (any engine)."""
    problems = sql_problems(indicator, sql)
    if problems:
        first = problems[0]
        # The reason names only what the catalogue wrote (a key, a function, a table), never data.
        kind = first.message.split(": ", 1)[-1]
        raise IndicatorSqlError(
            indicator, kind, first.line or indicator.line, first.hint or _HINT_SHAPE["select"]
        )


def run_indicator_query(con: duckdb.DuckDBPyConnection, indicator: Indicator, sql: str) -> pd.DataFrame:
    """Run an indicator's generated query inside the sandbox and return its rows."""
    check_indicator_query(indicator, sql)
    lock_down(con)
    limit = timeout_seconds()
    cursor = con.cursor()
    timer = threading.Timer(limit, cursor.interrupt) if limit > 0 else None
    try:
        cursor.execute("BEGIN TRANSACTION READ ONLY")
        try:
            if timer is not None:
                timer.start()
            return cursor.execute(sql).df()
        except duckdb.Error as exc:
            failed = exc
        finally:
            if timer is not None:
                timer.cancel()
            cursor.execute("ROLLBACK")
    finally:
        cursor.close()
    # Raised outside the except block, so DuckDB's message is not chained to it.
    raise _runtime_error(con, indicator, failed)
