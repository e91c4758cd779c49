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
- `AS [NOT] MATERIALIZED` on a CTE (DuckDB's planning hint) is dropped;
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
    if isinstance(node, (exp.Coalesce, exp.Greatest, exp.Least)):
        # coalesce(discharge_date, period_end): a date when its first argument is
        return _is_date(node.this, dates)
    if isinstance(node, exp.Case):
        branches = [branch.args.get("true") for branch in node.args.get("ifs") or []]
        return any(b is not None and _is_date(b, dates) for b in [*branches, node.args.get("default")])
    if isinstance(node, (exp.Add, exp.Sub)):
        # a date plus or minus a number of days is a date (discharge_date + 30)
        return _is_date(node.this, dates) and not _is_date(node.expression, dates)
    return isinstance(node, (exp.CurrentDate, exp.AddMonths, exp.LastDay, exp.DateAdd, exp.DateSub))


def _date_difference(dates: frozenset[str]) -> Callable[[exp.Expr], exp.Expr]:
    """`a - b` of two dates → `datediff(a, b)` (days, an integer, as DuckDB's date subtraction)."""

    def rewrite(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Sub) and _is_date(node.this, dates) and _is_date(node.expression, dates):
            return exp.Anonymous(this="datediff", expressions=[node.this.copy(), node.expression.copy()])
        return node

    return rewrite


def _duckdb_division(node: exp.Div) -> exp.Expr:
    """`a / b` → `CASE WHEN b = 0 THEN a * inf ELSE a / b END` over doubles, as DuckDB divides."""
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


def _weekday(node: exp.Expr, iso: bool) -> exp.Expr:
    """DuckDB's day of the week in Spark: Sunday 0 … Saturday 6, or ISO Monday 1 … Sunday 7.

    Spark's own `dayofweek` counts Sunday 1 … Saturday 7 (SQLGlot writes DuckDB's dayofweek and
    isodow with it unchanged, one day off); Spark's `weekday` counts Monday 0 … Sunday 6.
    """
    weekday = exp.Anonymous(this="weekday", expressions=[node.copy()])
    if iso:  # Monday 0 + 1 = 1 … Sunday 6 + 1 = 7
        return exp.paren(exp.Add(this=weekday, expression=exp.Literal.number(1)))
    # Sunday (6 + 1) % 7 = 0, Monday (0 + 1) % 7 = 1 … Saturday (5 + 1) % 7 = 6
    return exp.paren(
        exp.Mod(
            this=exp.paren(exp.Add(this=weekday, expression=exp.Literal.number(1))),
            expression=exp.Literal.number(7),
        )
    )


_DOW = {"DOW": False, "DAYOFWEEK": False, "WEEKDAY": False, "ISODOW": True}


def _day_of_week(node: exp.Expr) -> exp.Expr:
    """`dayofweek(d)`, `isodow(d)`, `extract(dow FROM d)`, `date_part('dow', d)` as DuckDB counts."""
    if isinstance(node, exp.DayOfWeekIso):
        return _weekday(node.this, iso=True)
    if isinstance(node, exp.DayOfWeek):
        return _weekday(node.this, iso=False)
    if isinstance(node, exp.Extract) and node.this.name.upper() in _DOW:
        return _weekday(node.expression, iso=_DOW[node.this.name.upper()])
    if isinstance(node, exp.Anonymous) and str(node.this).lower() in ("date_part", "datepart"):
        part, *rest = node.expressions
        if part.is_string and part.name.upper() in _DOW and len(rest) == 1:
            return _weekday(rest[0], iso=_DOW[part.name.upper()])
    return node


_BOUNDARY_UNITS = frozenset({"YEAR", "QUARTER", "MONTH", "WEEK", "DAY", "HOUR", "MINUTE", "SECOND"})


def _date_part_difference(node: exp.Expr) -> exp.Expr:
    """DuckDB's `date_diff('hour', a, b)` counts the unit's boundaries crossed (10:59 → 11:01 is 1
    hour); Spark's DATEDIFF(HOUR, a, b) counts whole units (0). Both truncated to the unit first,
    whole units between them are DuckDB's boundaries."""
    if not isinstance(node, exp.DateDiff) or not node.args.get("date_part_boundary"):
        return node
    unit = node.text("unit").upper() or "DAY"
    if unit not in _BOUNDARY_UNITS:
        raise SparkTranslationError(
            f"date_diff med enheten '{unit.lower()}' kan inte översättas till Spark SQL; använd "
            "någon av " + ", ".join(sorted(u.lower() for u in _BOUNDARY_UNITS))
        )

    def truncated(value: exp.Expr) -> exp.Expr:
        return exp.TimestampTrunc(this=value.copy(), unit=exp.var(unit))

    return exp.DateDiff(this=truncated(node.this), expression=truncated(node.expression), unit=exp.var(unit))


_INTEGER_TYPES = (exp.DType.TINYINT, exp.DType.SMALLINT, exp.DType.INT, exp.DType.BIGINT)


def _integer_cast(doubles: frozenset[str]) -> Callable[[exp.Expr], exp.Expr]:
    """`CAST(x AS INTEGER)` of a fraction: DuckDB rounds (a DOUBLE half to even, 2.5 → 2; a
    DECIMAL half away from zero, 2.5 → 3), Spark truncates (3.7 → 3). The operand's type is known
    for a division (a DOUBLE in DuckDB), a cast, a literal and the extracts' decimal columns
    (DOUBLE); anything else is left to Spark's cast."""

    def kind(node: exp.Expr) -> str | None:
        if isinstance(node, (exp.Paren, exp.Neg)):
            return kind(node.this)
        if isinstance(node, exp.Div) or (isinstance(node, exp.Column) and node.name.lower() in doubles):
            return "double"
        if isinstance(node, exp.Cast):
            if node.to.is_type(exp.DType.DOUBLE, exp.DType.FLOAT):
                return "double"
            return "decimal" if node.to.is_type(exp.DType.DECIMAL) else None
        if isinstance(node, exp.Literal) and node.is_number and "." in node.name:
            return "decimal"  # DuckDB reads 2.5 as DECIMAL(2, 1)
        return None

    def rewrite(node: exp.Expr) -> exp.Expr:
        if not isinstance(node, exp.Cast) or not node.to.is_type(*_INTEGER_TYPES):
            return node
        operand = kind(node.this)
        if operand == "double":  # Spark's rint: half to even, as DuckDB's cast of a DOUBLE
            rounded: exp.Expr = exp.Anonymous(this="rint", expressions=[node.this.copy()])
        elif operand == "decimal":  # Spark's round: half away from zero, as DuckDB's of a DECIMAL
            rounded = exp.Round(this=node.this.copy())
        else:
            return node
        return exp.Cast(this=rounded, to=node.to.copy())

    return rewrite


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


def _no_materialisation_hint(node: exp.Expr) -> exp.Expr:
    """`WITH x AS [NOT] MATERIALIZED (…)` → `WITH x AS (…)`: a DuckDB planning hint Spark has not."""
    if isinstance(node, exp.CTE) and node.args.get("materialized") is not None:
        node.set("materialized", None)
    return node


def spark_tree(sql: str, date_columns: Iterable[str] = (), double_columns: Iterable[str] = ()) -> exp.Expr:
    """The DuckDB query `sql` as a SQLGlot tree rewritten for Spark.

    `date_columns`, `double_columns`: the names of the source tables' DATE and DOUBLE columns
    (the extracts' declared types).
    """
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise SparkTranslationError(
            f"frågan kunde inte läsas för översättning till Spark SQL ({type(exc).__name__}); "
            "kör `matavla sql INDIKATOR` och kontrollera SQL-texten"
        ) from None
    dates = ENGINE_DATE_COLUMNS | {name.lower() for name in date_columns}
    doubles = frozenset(name.lower() for name in double_columns)
    for rewrite in (
        _add_months,
        _date_difference(dates),
        _day_of_week,
        _date_part_difference,
        _integer_cast(doubles),
        _union_by_name,
        _no_materialisation_hint,
    ):
        tree = tree.transform(rewrite)
    # Innermost first, so that `a / b / c` and `a / (b / c)` are rewritten at every level (a
    # transform does not descend into the node it just made).
    for division in reversed(list(tree.find_all(exp.Div))):
        if division is tree:
            return _duckdb_division(division)
        division.replace(_duckdb_division(division))
    return tree


def to_spark(
    sql: str, date_columns: Iterable[str] = (), *, double_columns: Iterable[str] = (), pretty: bool = True
) -> str:
    """The DuckDB query `sql` in Spark SQL (`date_columns`, `double_columns`: see spark_tree)."""
    return spark_tree(sql, date_columns, double_columns).sql(dialect=Spark4, pretty=pretty)


def tables_read(sql: str) -> set[str]:
    """The tables (not CTEs) a DuckDB query reads: what the Spark session must have as views."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    return {t.name.lower() for t in tree.find_all(exp.Table) if t.name and t.name.lower() not in ctes}
