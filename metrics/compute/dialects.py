"""The engine's DuckDB SQL in Spark SQL, through SQLGlot's expression tree.

`metrics.compute.sqlgen` writes one query per indicator in DuckDB's dialect (it is what
`matavla sql` prints and what an analyst runs). For `matavla compute --engine spark` the same
query is parsed into SQLGlot's tree, the few constructs whose meaning differs are rewritten on
the tree, and the tree is written out as Spark SQL. Nothing is done on the text.

What SQLGlot's own DuckDB → Spark mapping already handles (names, quoting, `arg_max` →
`max_by`, `starts_with` → `startswith`, `ANTI JOIN`, `GROUPING SETS`, `ORDER BY ALL` with
DuckDB's NULLS LAST) is left to it. On top of it:

- `x + to_months(n)` (DuckDB's month interval) → `add_months(x, n)`;
- `a - b` of two dates → `datediff(a, b)`: DuckDB gives whole days (an integer), Spark an
  INTERVAL DAY. Which columns are dates is known from the extracts' declared types (the caller
  passes them) and from the engine's own date columns; a `CAST(… AS DATE)` is a date too;
- `a / b` → a division of doubles, and by zero as IEEE says: DuckDB's `/` always gives a DOUBLE
  (±inf for x/0, NaN for 0/0), Spark's a DECIMAL for decimals and an error (ANSI mode, the
  default since Spark 4) for a zero divisor;
- `UNION ALL BY NAME` → `UNION ALL` where both sides select `*` from the same relation (so the
  columns already line up); any other BY NAME is refused, not guessed;
- `QUALIFY` is kept: Spark 4 has it, and SQLGlot's rewrite for older Spark adds a helper
  column that would break the union above.

Needs Spark 4 (GROUP BY ALL, ORDER BY ALL, QUALIFY, correlated EXISTS in a SELECT list).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import ClassVar

import sqlglot
from sqlglot import exp, transforms
from sqlglot.dialects.spark import Spark
from sqlglot.generators.spark import SparkGenerator

from metrics.errors import MatavlaError


class SparkTranslationError(MatavlaError):
    """A construct in an indicator's SQL that has no faithful Spark equivalent."""


class _Spark4Generator(SparkGenerator):
    TRANSFORMS: ClassVar[dict[type[exp.Expr], Callable[..., str]]] = {
        **SparkGenerator.TRANSFORMS,
        # Spark 2/3's preprocessing without eliminate_qualify: Spark 4 runs QUALIFY itself.
        exp.Select: transforms.preprocess(
            [
                transforms.eliminate_distinct_on,
                transforms.unnest_to_explode,
                transforms.any_to_exists,
            ]
        ),
    }


class Spark4(Spark):
    """SQLGlot's Spark dialect for Spark ≥ 4.0."""

    Generator = _Spark4Generator


def _is_to_months(node: exp.Expr) -> bool:
    return isinstance(node, exp.Anonymous) and str(node.this).lower() == "to_months"


def _add_months(node: exp.Expr) -> exp.Expr:
    """`x + to_months(n)` (either order) → `add_months(x, n)`."""
    if isinstance(node, exp.Add):
        for date, months in ((node.this, node.expression), (node.expression, node.this)):
            if _is_to_months(months) and len(months.expressions) == 1:
                return exp.AddMonths(this=date.copy(), expression=months.expressions[0].copy())
    return node


# Date columns the generated SQL itself makes (sqlgen, clusters, standardise).
ENGINE_DATE_COLUMNS = frozenset(
    {"d", "month", "period_start", "last_d", "data_through", "run_start", "reach", "snapshot_d"}
)


def _is_date(node: exp.Expr, dates: frozenset[str]) -> bool:
    if isinstance(node, exp.Paren):
        return _is_date(node.this, dates)
    if isinstance(node, exp.Column):
        return node.name.lower() in dates
    if isinstance(node, exp.Cast):
        return node.to.is_type(exp.DType.DATE)
    return isinstance(node, exp.CurrentDate)


def _date_difference(dates: frozenset[str]) -> Callable[[exp.Expr], exp.Expr]:
    """`a - b` of two dates → `datediff(a, b)` (days, an integer, as DuckDB's date subtraction)."""

    def rewrite(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Sub) and _is_date(node.this, dates) and _is_date(node.expression, dates):
            return exp.Anonymous(this="datediff", expressions=[node.this.copy(), node.expression.copy()])
        return node

    return rewrite


def _double(node: exp.Expr) -> bool:
    return isinstance(node, exp.Cast) and node.to.is_type(exp.DType.DOUBLE)


def _duckdb_division(node: exp.Expr) -> exp.Expr:
    """`a / b` → `CASE WHEN b = 0 THEN a * inf ELSE a / b END` over doubles, as DuckDB divides."""
    if not isinstance(node, exp.Div) or (_double(node.this) and _double(node.expression)):
        return node  # not a division, or one this rewrite made (its operands are doubles)
    a, b = exp.cast(node.this.copy(), "DOUBLE"), exp.cast(node.expression.copy(), "DOUBLE")
    infinity = exp.cast(exp.Literal.string("Infinity"), "DOUBLE")
    return exp.Case(
        ifs=[
            exp.If(
                this=exp.EQ(this=b.copy(), expression=exp.Literal.number(0)),
                true=exp.Mul(this=a.copy(), expression=infinity),
            )
        ],
        default=exp.Div(this=a, expression=b),
    )


def _star_source(select: exp.Expr) -> str | None:
    """The relation a `SELECT * FROM r …` reads (its name), or None when it is anything else."""
    if not isinstance(select, exp.Select) or len(select.expressions) != 1:
        return None
    if not isinstance(select.expressions[0], exp.Star):
        return None
    source = select.args.get("from_") or select.args.get("from")
    if source is None or not isinstance(source.this, exp.Table):
        return None
    return source.this.name


def _union_by_name(node: exp.Expr) -> exp.Expr:
    """`… UNION ALL BY NAME …` → `UNION ALL` where both sides are `SELECT *` of one relation."""
    if isinstance(node, exp.Union) and node.args.get("by_name"):
        left, right = _star_source(node.this), _star_source(node.expression)
        if left is None or left != right:
            raise SparkTranslationError(
                "UNION BY NAME mellan olika kolumnlistor kan inte översättas till Spark SQL; "
                "skriv kolumnerna i samma ordning på båda sidor och använd UNION ALL"
            )
        node.set("by_name", None)
    return node


def spark_tree(sql: str, date_columns: Iterable[str] = ()) -> exp.Expr:
    """The DuckDB query `sql` as a SQLGlot tree rewritten for Spark.

    `date_columns`: the names of the source tables' DATE columns (the extracts' declared types).
    """
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise SparkTranslationError(
            f"frågan kunde inte läsas för översättning till Spark SQL ({type(exc).__name__}); "
            "kör `matavla sql INDIKATOR` och kontrollera SQL-texten"
        ) from None
    dates = ENGINE_DATE_COLUMNS | {name.lower() for name in date_columns}
    for rewrite in (_add_months, _date_difference(dates), _duckdb_division, _union_by_name):
        tree = tree.transform(rewrite)
    return tree


def to_spark(sql: str, date_columns: Iterable[str] = (), *, pretty: bool = True) -> str:
    """The DuckDB query `sql` in Spark SQL (`date_columns`: see spark_tree)."""
    return spark_tree(sql, date_columns).sql(dialect=Spark4, pretty=pretty)


def tables_read(sql: str) -> set[str]:
    """The tables (not CTEs) a DuckDB query reads: what the Spark session must have as views."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    return {t.name.lower() for t in tree.find_all(exp.Table) if t.name and t.name.lower() not in ctes}
