"""Compile an indicator to DuckDB SQL.

All SQL is generated here, and it is meant to be read: `matavla sql ID`
prints it, and an analyst can run it against the database as it stands.

The query has four steps:
1. `covered`: the kommun × period that a delivery of the source covers (from
   `covered_months`, see `metrics.extracts.coverage`), complete or not; with
   `no_rows: missing`, only those with numerator rows in them (with `needs_rows`, rows
   of every listed value, e.g. both principals);
2. `base`: the source rows that count, filtered, each with its date `d`, kommun,
   sex and age band;
3. `cells`: numerator and denominator per kommun × period × sex × age band
   (the finest grain; person-level measures are first reduced per person), kept
   only where covered;
4. the roll-up: Σ numerator and Σ denominator (and Σx², the squares of the units
   the numerator adds up, where the interval needs them: `needs_squares`) per
   area (kommun, län, area groups, via the `areas` table) and breakdown (total,
   sex, age band), using
   GROUPING SETS — never a mean of kommun values; then a row marked `missing` for
   each kommun of a län with data that no delivery covers.

Non-integer values are summed as DECIMAL: exact, so the result does not depend on
the order DuckDB's threads add rows in, and two computes give identical numbers. Each
value becomes the decimal its shortest text form says (`exact`), as on Spark, so the
sums are the same on both engines.
"""

from __future__ import annotations

from metrics.catalogue.model import AgeBand, Indicator, Measure
from metrics.extracts.coverage import COVERED_MONTHS

AREAS_TABLE = "areas"  # (kommun, area_code, area_level), written by the engine before computing
# Each row's non-integer contribution, rounded to 15 decimals (about a double's precision), is summed
# exactly (see the docstring); 23 integer digits leave room for any sum of SEK.
EXACT = "DECIMAL(38, 15)"
# A value in [0, 1] (the per-person statistics), as exactly, in a type narrow enough that a count
# times it keeps its 15 decimals on Spark too (a BIGINT × DECIMAL(38, 15) exceeds 38 digits, and
# Spark then cuts the scale to 6; DECIMAL(20, 0) × DECIMAL(16, 15) is DECIMAL(37, 15)).
EXACT_SHARE = "DECIMAL(16, 15)"


# A person's *latest row* in a period (the kommun, sex and age a person is counted under, and the
# row a `latest:` condition is read on) is the row with the greatest LATEST_KEY: the date as
# yyyymmdd, then the kommun code, sex (K above M above none) and age (none lowest), in one BIGINT.
# It orders a person's rows totally, so two rows on the same latest date (two contacts in one day,
# registered to different kommuner) no longer tie: `arg_max(kommun, d)` picked either of them, not
# always the same one, so two computes, an increment and a full compute, or DuckDB and Spark
# could place the person differently. The key is decoded back (`_latest_row`), so one max()
# replaces four arg_max/max aggregates: half the time of the largest query at national size. The
# parts fit because every person-level extract validates them: kommun a known 4-digit code, sex
# K, M or NULL, age 0–120 or NULL (`extract_declarations.PERSON_COLUMNS`).
def latest_key_sql(table: str = "") -> str:
    """LATEST_KEY of the row, its columns qualified by `table` when given."""
    d, kommun, sex, age = (f"{table}.{c}" if table else c for c in ("d", "kommun", "sex", "age"))
    return (
        f"((((CAST(year({d}) AS BIGINT) * 10000 + month({d}) * 100 + day({d})) * 10000"
        f" + CAST({kommun} AS INTEGER))\n"
        f"     * 10 + CASE {sex} WHEN 'K' THEN 2 WHEN 'M' THEN 1 ELSE 0 END) * 1000 + coalesce({age} + 1, 0))"
    )


LATEST_KEY = latest_key_sql()


def _latest_order(indicator: Indicator, table: str = "") -> str:
    """ORDER BY of a person's rows, latest first: LATEST_KEY where the extract is person-level
    (validated sex and age); else by date and kommun code (an aggregate extract with a person_id
    need not have sex or age)."""
    prefix = f"{table}." if table else ""
    if indicator.extract.person_level:
        # LATEST_KEY holds the day only: two kommuners' snapshots on one day are told apart by time
        instant = f"{prefix}d DESC, " if _instant_snapshots(indicator) else ""
        return f"{instant}{latest_key_sql(table)} DESC"
    return f"{prefix}d DESC, {prefix}kommun DESC"


def _latest_row(key: str = "latest_key") -> str:
    """kommun, sex and age of the row a LATEST_KEY was made from."""
    return (
        f"lpad(CAST(({key} // 10000) % 10000 AS VARCHAR), 4, '0') AS kommun,\n"
        f"         CASE ({key} // 1000) % 10 WHEN 2 THEN 'K' WHEN 1 THEN 'M' END AS sex,\n"
        f"         CAST(nullif({key} % 1000, 0) - 1 AS INTEGER) AS age"
    )


# `periods` with each row's LATEST_KEY
KEYED_PERIODS = f"(\n    SELECT *, {LATEST_KEY} AS latest_key\n    FROM periods\n  ) AS keyed"

# Each per-person statistic: what it is (a comment in the SQL) and its value from the `persons` CTE,
# in [0, 1] (made exact as EXACT_SHARE).
# N ≥ 2 for both: COC is undefined for one visit, and UPC would be a trivial 1; the same persons
# make the two comparable (UPC: Breslau & Reeb 1975; see docs/indicators-yaml.md).
PER_PERSON_SQL = {
    "continuity_index": (
        "Bice-Boxerman COC = (Σ nᵢ² − N) / (N (N − 1))",
        "(sum_n_i_squared - n) / (n * (n - 1))",
    ),
    "usual_provider": ("UPC = max nᵢ / N (share of visits to the most-visited practitioner)", "max_n_i / n"),
}


def exact(expression: str, kind: str = EXACT) -> str:
    """The value as DECIMAL(38, 15), through its shortest text form (a DOUBLE's round-trip digits).

    DuckDB casts a DOUBLE to a DECIMAL by scaling it by 10^15 in double precision, which is
    inexact above 2^53 / 10^15 ≈ 9: 2061.3 became 2061.300000000000256 and 9.001 became
    9.000999999999999, so scheduled hours 9.001 + 0.999 summed to 9.999999999999999 (below a
    denominator limit of 10) where the data say 10. Spark converts a double's decimal text form.
    Through VARCHAR both engines take the value's decimal digits (2061.3, 9.001), rounded half
    away from zero to 15 decimals: exact sums, identical on DuckDB and Spark. Integers and
    DECIMALs pass through unchanged. Its cost on DuckDB (text per summed row) is in docs/spark.md.
    """
    return f"CAST(CAST({expression} AS VARCHAR) AS {kind})"


def _indent(sql: str, spaces: int) -> str:
    pad = " " * spaces
    return "\n".join(pad + line if line.strip() else line for line in sql.splitlines())


def age_band_sql(bands: tuple[AgeBand, ...], column: str = "age") -> str:
    """The band label of an age, NULL outside every band.

    One comparison per band, in ascending order (it runs for every row, 100 M at national size):
    an age below a band's lower limit that no earlier band took is NULL first, so that `age <= high`
    cannot put it in a band after a gap.
    """
    whens = []
    below = None  # every age below this is decided by an earlier WHEN
    for band in sorted(bands, key=lambda b: b.low):
        if below is None or band.low > below:
            whens.append(f"WHEN {column} < {band.low} THEN NULL")
        if band.high is None:
            whens.append(f"WHEN {column} >= {band.low} THEN '{band.label}'")
            break
        whens.append(f"WHEN {column} <= {band.high} THEN '{band.label}'")
        below = band.high + 1
    return "CASE " + " ".join(whens) + " END"


def _date_sql(indicator: Indicator) -> str:
    if indicator.row_sql is not None:
        return "CAST(date AS DATE)"
    assert indicator.date is not None
    col = indicator.extract.column(indicator.date)
    if col.type == "int":  # a year column (survey, costs)
        return f'make_date("{indicator.date}", 1, 1)'
    return f'CAST("{indicator.date}" AS DATE)'


def date_sql(indicator: Indicator) -> str:
    """The SQL date that places one of the indicator's source rows in its periods."""
    return _date_sql(indicator)


def _age_filter(indicator: Indicator, column: str = "age") -> list[str]:
    conditions = []
    if indicator.age_min is not None:
        conditions.append(f"{column} >= {indicator.age_min}")
    if indicator.age_max is not None:
        conditions.append(f"{column} <= {indicator.age_max}")
    return conditions


def _condition(measure: Measure) -> str | None:
    """The SQL condition a measure adds on top of the indicator's filters, or None."""
    parts = []
    if measure.where:
        parts.append(f"({measure.where})")
    if measure.codes is not None:
        column = f"upper(replace(\"{measure.codes.column}\", '.', ''))"
        # A code is a string literal, never SQL: its quotes are doubled.
        quoted = (code.replace("'", "''") for code in measure.codes.codes)
        starts = " OR ".join(f"starts_with({column}, '{code}')" for code in quoted)
        parts.append(f"({starts})")
    return " AND ".join(parts) if parts else None


def _breakdown_columns(indicator: Indicator) -> tuple[str, str]:
    """Expressions for sex and age band; '' where the indicator has no such breakdown."""
    sex = "sex" if "sex" in indicator.breakdowns else "''"
    band = age_band_sql(indicator.age_bands) if "age_band" in indicator.breakdowns else "''"
    return sex, band


def base_sql(indicator: Indicator, year: int | None = None, *, filtered: bool = True) -> str:
    """The source rows that count for the indicator, with kommun, d, sex, age (and all columns).

    `year`: only the rows dated in that calendar year (see `indicator_sql`). `filtered` False:
    every row, before the indicator's `age:` and `where:` (who moved, `_movers_cte`).
    """
    filters = _age_filter(indicator) if filtered else []
    if indicator.where and filtered:
        filters.append(f"({indicator.where})")
    if year is not None:
        filters.append(_in_year(_date_sql(indicator), year))
    where = ("\n  WHERE " + "\n    AND ".join(filters)) if filters else ""
    return f"SELECT *, {_row_date(indicator)} AS d\n  FROM {_source_sql(indicator)}{where}"


def _source_sql(indicator: Indicator) -> str:
    """The table `base` reads: the source extract, or the `row_sql`'s rows."""
    if indicator.row_sql is not None:
        return "(\n" + _indent(indicator.row_sql.rstrip().rstrip(";"), 4) + "\n  ) AS custom"
    return f'"{indicator.source}"'


def _instant_snapshots(indicator: Indicator) -> bool:
    """True for a `snapshot: last` indicator dated by a timestamp: each instant is a snapshot of
    its own (a roster at 08:00 and another at 12:00 of one day), so `d` is the instant itself."""
    if not indicator.snapshot_last or indicator.row_sql is not None or indicator.date is None:
        return False
    return indicator.extract.column(indicator.date).type == "timestamp"


def _row_date(indicator: Indicator) -> str:
    """`d` of `base`: the row's date (`_date_sql`), or the instant of a timestamped snapshot."""
    if _instant_snapshots(indicator):
        assert indicator.date is not None
        return f'CAST("{indicator.date}" AS TIMESTAMP)'
    return _date_sql(indicator)


def _period_types_sql(indicator: Indicator, period_types: tuple[str, ...] | None = None) -> str:
    types = indicator.periods if period_types is None else period_types
    return "(VALUES " + ", ".join(f"('{p}')" for p in types) + ") AS pt(period_type)"


def _period_start(column: str = "d") -> str:
    """First day of the row's period, as a DATE (date_trunc gives a TIMESTAMP)."""
    return (
        f"CAST(CASE pt.period_type WHEN 'year' THEN date_trunc('year', {column}) "
        f"WHEN 'quarter' THEN date_trunc('quarter', {column}) ELSE date_trunc('month', {column}) END AS DATE)"
    )


def _measure_value(measure: Measure) -> str:
    """Per-row contribution of an additive measure (persons count as rows where one row is one person)."""
    cond = _condition(measure)
    value = "1" if measure.kind in ("rows", "persons") else exact(f"({measure.expression})")
    return f"CASE WHEN {cond} THEN {value} ELSE 0 END" if cond else value


def _movers_cte(indicator: Indicator, year: int | None = None) -> str:
    """`movers`: the persons who may be in two kommuners' last snapshots of one period, and
    `latest_kommun`: each mover's kommun in each period, that of their latest row at the
    kommuner's last snapshots (`_latest_order`). Needs `snapshots`; `year`: that of `base`.

    Both are found among every row of the source, not only those an `age:` or `where:` filter
    keeps (`every_row`): a mover counts once, in the kommun they were last listed in, and where
    the filter leaves out that row (they turned 90, or moved to an excluded unit) they count
    nowhere, not in the kommun they left. A mover keeps all their rows in that kommun, not one: a
    person may have several rows in one snapshot (an extract keyed by unit too), and a person
    listed in one kommun only keeps every row, so who is a mover (found from the rows read, which
    depend on the years computed) changes no number.

    With one row per person and snapshot date (the extract's key), a person is in two kommuners'
    last snapshots of a period only on two different dates, and so only in a period whose
    kommuner's last dates differ: the rows at those periods' dates are enough to find them. Where
    every kommun delivers on the same dates, as a region's listing does, there are no such dates,
    and the whole table is not grouped by person (at national size that grouping of 108 M rows was
    most of `fast_lakarkontakt`). Without that key, every row is looked at.
    """
    ctes = []
    rows = "base"
    if not _unfiltered(indicator):
        rows = "every_row"
        ctes.append(
            "every_row AS (\n"
            "  -- the source's rows before the indicator's filter: who moved, and where to\n"
            f"  {base_sql(indicator, year, filtered=False)}\n)"
        )
    if _dated_key(indicator):
        ctes.append(
            "split_dates AS (\n"
            "  -- the last snapshot dates of periods whose kommuner's last dates differ\n"
            "  SELECT DISTINCT s.d FROM snapshots AS s\n"
            "  SEMI JOIN (SELECT period_type, period_start FROM snapshots\n"
            "             GROUP BY period_type, period_start HAVING min(d) <> max(d)) AS split\n"
            "    USING (period_type, period_start)\n"
            ")"
        )
        ctes.append(
            "movers AS (\n"
            "  -- listed in more than one kommun on those dates (one row per person and snapshot date)\n"
            f"  SELECT person_id FROM {rows} SEMI JOIN split_dates USING (d)\n"
            "  GROUP BY person_id HAVING min(kommun) <> max(kommun)\n"
            ")"
        )
    else:
        ctes.append(
            "movers AS (\n"
            "  -- listed in more than one kommun\n"
            f"  SELECT person_id FROM {rows} GROUP BY person_id HAVING min(kommun) <> max(kommun)\n"
            ")"
        )
    ctes.append(
        "latest_kommun AS (\n"
        "  -- a mover counts in the kommun of their latest row at the kommuner's last snapshots\n"
        "  SELECT s.period_type, s.period_start, m.person_id, m.kommun\n"
        f"  FROM (SELECT * FROM {rows} SEMI JOIN movers USING (person_id)) AS m\n"
        "  JOIN snapshots AS s ON m.kommun = s.kommun AND m.d = s.d\n"
        "  QUALIFY row_number() OVER (\n"
        "    PARTITION BY s.period_type, s.period_start, m.person_id\n"
        f"    ORDER BY {_latest_order(indicator, 'm')}) = 1\n"
        ")"
    )
    return ",\n".join(ctes)


def _snapshot_dates_cte(indicator: Indicator, year: int | None = None) -> str:
    """`snapshot_dates`: each kommun's snapshot dates (read once for `covered` and `snapshots`).

    Those of the whole source, not of `base` when an `age:` or `where:` filter leaves rows out: a
    kommun's last snapshot is its last delivery, and where the filter leaves nobody in it the cell
    is 0. Read from `base` a filter emptying the December snapshot made November's the last, and
    the 95-year-old listed in November (died since) was counted. `year`: as `base_sql`'s.
    """
    if _unfiltered(indicator):
        return "snapshot_dates AS MATERIALIZED (\n  SELECT DISTINCT kommun, d FROM base\n)"
    d = _row_date(indicator)
    where = f"\n  WHERE {_in_year(d, year)}" if year is not None else ""
    return (
        "snapshot_dates AS MATERIALIZED (\n"
        "  -- every delivery's dates, also those the indicator's filter leaves empty\n"
        f"  SELECT DISTINCT kommun, {d} AS d FROM {_source_sql(indicator)}{where}\n)"
    )


def _unfiltered(indicator: Indicator) -> bool:
    """True when `base` has every row of the source or `row_sql` (of the year computed): no `age:`
    or `where:` filter (a `row_sql`'s rows are filtered by them too)."""
    return not (_age_filter(indicator) or indicator.where)


def _snapshots_cte(indicator: Indicator, period_types: tuple[str, ...] | None = None) -> str:
    """Each kommun's last snapshot date within each period (kommuner may deliver on different
    dates; a global last date would silently drop the others).

    MATERIALIZED: it is read three to four times, and DuckDB would otherwise scan and group the
    whole source again for more than one of them (0.7 s each for 108 M listing rows). Needs
    `snapshot_dates` (`_snapshot_dates_cte`). `period_types`: these rather than the indicator's.
    """
    return (
        "snapshots AS MATERIALIZED (\n"
        "  SELECT b.kommun, pt.period_type, " + _period_start("b.d") + " AS period_start, max(b.d) AS d\n"
        "  FROM snapshot_dates AS b\n"
        f"  CROSS JOIN {_period_types_sql(indicator, period_types)}\n"
        "  GROUP BY ALL\n"
        ")"
    )


def _snapshot_sums_ctes(indicator: Indicator, year: int | None = None) -> str:
    """Row sums at each kommun's last snapshot of each period, a mover counted once (`counted`).

    The same sums as `_periods_cte` followed by one GROUP BY, in fewer steps: the rows of the
    persons listed in one kommun only (nearly all) are summed per kommun × snapshot date ×
    breakdown *before* the dates are joined to their periods. A snapshot that is the last of its
    month, quarter and year would otherwise copy millions of rows three times (at national size
    242 M rows instead of 1 560 sums; 90 s → 16 s for `fast_lakarkontakt`). The sums are exact
    (integers and DECIMAL), so adding them up in two steps changes no digit. Only the movers'
    rows go through the person-level step that keeps each mover's rows in the kommun of their latest
    row in the period (`latest_kommun`). `year`: that of `base`.

    `settled` is every row's sums less the movers' rows' sums, rather than the sums of the rows
    without movers: the whole table is then read without its `person_id` (reading and matching 108 M
    pseudonyms was half of `fast_lakarkontakt` at national size), and only the movers' rows with it.
    Subtracting is exact too; a group the movers' rows empty (`n_rows` 0) is dropped, as it had
    no rows to sum before.
    """
    sex, band = _breakdown_columns(indicator)
    sums = _additive_sums(indicator)
    moved_sums = sums.replace("\n", "\n  ")  # two levels deeper
    counts = all(
        m.kind in ("rows", "persons", "population") for m in (indicator.numerator, indicator.denominator)
    )
    if counts:
        negated = ",\n           ".join(
            f"-({expression}) AS {name}" for expression, name in _additive_sum_list(indicator)
        )
        settled = (
            "settled AS (\n"
            "  -- the rows of persons listed in one kommun only, summed per snapshot date: all rows less\n"
            "  -- the movers' rows\n"
            "  SELECT kommun, d, sex, age_band, sum(numerator) AS numerator,\n"
            "         sum(denominator) AS denominator, sum(sum_squares) AS sum_squares\n"
            "  FROM (\n"
            f"    SELECT kommun, d, {sex} AS sex, {band} AS age_band,\n"
            f"           {moved_sums},\n"
            "           count(*) AS n_rows\n"
            "    FROM base\n"
            "    GROUP BY ALL\n"
            "    UNION ALL\n"
            f"    SELECT kommun, d, {sex} AS sex, {band} AS age_band,\n"
            f"           {negated},\n"
            "           -count(*) AS n_rows\n"
            "    FROM base SEMI JOIN movers USING (person_id)\n"
            "    GROUP BY ALL\n"
            "  ) AS all_less_moved\n"
            "  GROUP BY kommun, d, sex, age_band\n"
            "  HAVING sum(n_rows) > 0\n"
            "),\n"
        )
    else:
        # A sum may be NULL (an optional column): less the movers' values, an unknown sum would
        # become 0, and which persons are movers depends on the years read. Summed without them.
        settled = (
            "settled AS (\n"
            "  -- the rows of persons listed in one kommun only, summed per snapshot date\n"
            f"  SELECT kommun, d, {sex} AS sex, {band} AS age_band,\n"
            f"         {sums}\n"
            "  FROM base ANTI JOIN movers USING (person_id)\n"
            "  GROUP BY ALL\n"
            "),\n"
        )
    return (
        _snapshots_cte(indicator) + ",\n" + _movers_cte(indicator, year) + ",\n" + settled + "moved AS (\n"
        "  -- a mover can be in two kommuners' last snapshots of a period: the kommun of their latest\n"
        "  -- row counts them (`latest_kommun`)\n"
        "  SELECT m.*, s.period_type, s.period_start\n"
        "  FROM (SELECT * FROM base SEMI JOIN movers USING (person_id)) AS m\n"
        "  JOIN snapshots AS s ON m.kommun = s.kommun AND m.d = s.d\n"
        "  JOIN latest_kommun AS l\n"
        "    ON l.period_type = s.period_type AND l.period_start = s.period_start\n"
        "   AND l.person_id = m.person_id AND l.kommun = m.kommun\n"
        "),\n"
        "counted AS (\n"
        "  SELECT kommun, period_type, period_start, sex, age_band,\n"
        "         sum(numerator) AS numerator, sum(denominator) AS denominator,\n"
        "         sum(sum_squares) AS sum_squares\n"
        "  FROM (\n"
        "    SELECT s.kommun, s.period_type, s.period_start, f.sex, f.age_band,\n"
        "           f.numerator, f.denominator, f.sum_squares\n"
        "    FROM settled AS f JOIN snapshots AS s ON f.kommun = s.kommun AND f.d = s.d\n"
        "    UNION ALL\n"
        f"    SELECT kommun, period_type, period_start, {sex} AS sex, {band} AS age_band,\n"
        f"           {moved_sums}\n"
        "    FROM moved\n"
        "    GROUP BY ALL\n"
        "  ) AS both_kinds\n"
        "  GROUP BY ALL\n"
        ")"
    )


def _in_latest_kommun(name: str, same_period: str) -> str:
    """CTE `name`: the rows of `at_snapshots` (alias `a`), a mover's only in the kommun of their
    latest row (`latest_kommun` as `l`, matched to the row's period by `same_period`). One LEFT
    JOIN, not a UNION of movers and others: Spark puts a USING join's columns first."""
    return (
        f"{name} AS (\n"
        "  -- a mover's rows only in the kommun of their latest row in the period\n"
        "  SELECT a.* FROM at_snapshots AS a\n"
        "  LEFT JOIN latest_kommun AS l\n"
        f"    ON l.person_id = a.person_id AND {same_period}\n"
        "  WHERE l.person_id IS NULL OR l.kommun = a.kommun\n"
        ")"
    )


def last_snapshot_rows_ctes(indicator: Indicator, year: int | None = None) -> str:
    """CTEs ending in `last_rows`: the rows of `base` at each kommun's last snapshot of each year,
    a mover once, in the kommun of their latest row (the rows a `snapshot: last` indicator's year
    cells count). `year`: that of `base` (`base_sql`).

    For the age standardisation (`standardise.standardised_sql`), whose bands must add up to the
    crude year cell: every snapshot of the year would count a person listed all year twelve times.
    """
    at_snapshots = (
        "at_snapshots AS (\n"
        "  SELECT base.*\n"
        "  FROM base JOIN snapshots AS s ON base.kommun = s.kommun AND base.d = s.d\n"
        ")"
    )
    ctes = [_snapshot_dates_cte(indicator, year), _snapshots_cte(indicator, ("year",)), at_snapshots]
    if _has_persons(indicator):
        ctes.append(_movers_cte(indicator, year))
        ctes.append(_in_latest_kommun("last_rows", "l.period_start = CAST(date_trunc('year', a.d) AS DATE)"))
    else:
        ctes.append("last_rows AS (\n  SELECT * FROM at_snapshots\n)")
    return ",\n".join(ctes)


def _periods_cte(indicator: Indicator, year: int | None = None) -> str:
    """Rows of `base` tagged with each period they fall in (one copy per period type). `year`:
    that of `base`."""
    if indicator.snapshot_last:
        # Only each kommun's last snapshot date within each period counts (kommuner may
        # deliver on different dates; a global last date would silently drop the others).
        return (
            _snapshots_cte(indicator)
            + ",\n"
            + (
                # A mover can be in two kommuners' last snapshots of a period: like every
                # person-level measure, count them once, under their latest row.
                "at_snapshots AS (\n"
                "  SELECT base.*, s.period_type, s.period_start\n"
                "  FROM base JOIN snapshots AS s ON base.kommun = s.kommun AND base.d = s.d\n"
                "),\n"
                + _movers_cte(indicator, year)
                + ",\n"
                + _in_latest_kommun(
                    "periods", "l.period_type = a.period_type AND l.period_start = a.period_start"
                )
                if _has_persons(indicator)
                else "periods AS (\n"
                "  SELECT base.*, s.period_type, s.period_start\n"
                "  FROM base JOIN snapshots AS s ON base.kommun = s.kommun AND base.d = s.d\n"
                ")"
            )
        )
    return (
        "periods AS (\n"
        "  SELECT base.*, pt.period_type, " + _period_start("base.d") + " AS period_start\n"
        "  FROM base\n"
        f"  CROSS JOIN {_period_types_sql(indicator)}\n"
        ")"
    )


def cells_sql(indicator: Indicator, year: int | None = None, *, every_statistic: bool = False) -> str:
    """CTEs ending in `cells`: numerator and denominator per kommun × period × sex × age band.

    `every_statistic` (a per-person measure only): a numerator and sum of squares per statistic,
    `numerator_<statistic>` and `sum_squares_<statistic>` (`per_person_sql`).
    """
    sex, band = _breakdown_columns(indicator)
    num, den = indicator.numerator, indicator.denominator
    ctes = [f"base AS (\n  {base_sql(indicator, year)}\n)"]
    if indicator.snapshot_last:
        ctes.append(_snapshot_dates_cte(indicator, year))
    ctes.append(_covered_cte(indicator, year))

    if num.kind == "per_person":
        ctes.append(_periods_cte(indicator, year))
        cond = _condition(num)
        ctes.append(
            "visits AS (\n"
            "  -- contacts per person and practitioner (nᵢ), across kommuner if the person moved\n"
            f'  SELECT period_type, period_start, person_id, "{num.by}" AS practitioner,\n'
            "         count(*) AS n_i, max(latest_key) AS latest_key\n"
            f"  FROM {KEYED_PERIODS}\n" + (f"  WHERE {cond}\n" if cond else "") + "  GROUP BY ALL\n)"
        )
        ctes.append(
            "persons AS (\n"
            "  -- each person once, under the kommun, sex and age of their latest contact in the period\n"
            f"  SELECT period_type, period_start, person_id, {_latest_row()},\n"
            "         n, sum_n_i_squared, max_n_i\n"
            "  FROM (\n"
            "    SELECT period_type, period_start, person_id, max(latest_key) AS latest_key,\n"
            "           sum(n_i) AS n, sum(n_i * n_i) AS sum_n_i_squared, max(n_i) AS max_n_i\n"
            "    FROM visits\n"
            "    GROUP BY period_type, period_start, person_id\n"
            "  )\n)"
        )
        # `k` persons share each (N, Σ nᵢ², max nᵢ): each statistic's value is a function of those,
        # so it is made exact once per distinct triple rather than once per person (the text
        # conversion was an eighth of the query at national size); k × the exact value is exact.
        if every_statistic:
            comment = "every per-person statistic"
            sums = [
                f"sum(k * {exact(value, EXACT_SHARE)}) AS numerator_{name}, "
                f"sum(k * {exact(f'pow({value}, 2)', EXACT_SHARE)}) AS sum_squares_{name}"
                for name, (_, value) in PER_PERSON_SQL.items()
            ]
            sums.insert(1, "sum(k) AS denominator")
        else:
            comment, value = PER_PERSON_SQL[num.statistic or "continuity_index"]
            sums = [
                f"sum(k * {exact(value, EXACT_SHARE)}) AS numerator",
                "sum(k) AS denominator",
                f"sum(k * {exact(f'pow({value}, 2)', EXACT_SHARE)}) AS sum_squares",
            ]
        ctes.append(
            "alike AS (\n"
            "  -- persons with N ≥ 2, counted per cell and (N, Σ nᵢ², max nᵢ)\n"
            f"  SELECT kommun, period_type, period_start, {sex} AS sex, {band} AS age_band,\n"
            "         n, sum_n_i_squared, max_n_i, count(*) AS k\n"
            "  FROM persons\n"
            "  WHERE n >= 2\n"
            "  GROUP BY ALL\n)"
        )
        ctes.append(
            "cells AS (\n"
            f"  -- {comment}\n"
            "  SELECT kommun, period_type, period_start, sex, age_band,\n"
            + ",\n".join(f"         {line}" for line in sums)
            + "\n  FROM alike\n"
            "  GROUP BY kommun, period_type, period_start, sex, age_band\n)"
        )
        return ",\n".join(ctes)

    person_level = (num.kind == "persons" or den.kind == "persons") and not _one_row_per_person(indicator)
    if person_level:
        ctes.append(_periods_cte(indicator, year))
        ctes.append(
            "persons AS (\n"
            "  -- each person once per period, under the kommun, sex and age of their latest row in it\n"
            f"  SELECT period_type, period_start, person_id, {_latest_row()},\n"
            "         numerator" + (", denominator" if den.kind != "population" else "") + "\n"
            "  FROM (\n"
            "    SELECT period_type, period_start, person_id, max(latest_key) AS latest_key,\n"
            f"           {_person_measure(num)} AS numerator"
            + (f",\n           {_person_measure(den)} AS denominator\n" if den.kind != "population" else "\n")
            # not GROUP BY ALL: a `having:` without an aggregate would split a person into groups
            + f"    FROM {KEYED_PERIODS}\n    GROUP BY period_type, period_start, person_id\n  )\n)"
        )
        den_cell = "sum(denominator)" if den.kind != "population" else "0"
        squares = f"sum({exact('pow(numerator, 2)')})" if needs_squares(indicator) else "0"
        ctes.append(
            "counted AS (\n"
            f"  SELECT kommun, period_type, period_start, {sex} AS sex, {band} AS age_band,\n"
            f"         sum(numerator) AS numerator, {den_cell} AS denominator, {squares} AS sum_squares\n"
            "  FROM persons\n  GROUP BY ALL\n)"
        )
    elif indicator.snapshot_last and _has_persons(indicator):
        # `base` is read four times here: reading the table again is cheaper than keeping
        # 100 M rows of it (materialising it took more time than all the rest at national size)
        ctes[0] = ctes[0].replace("base AS (", "base AS NOT MATERIALIZED (", 1)
        ctes.append(_snapshot_sums_ctes(indicator, year))
    elif indicator.snapshot_last:
        ctes.append(_periods_cte(indicator, year))
        ctes.append(
            "counted AS (\n"
            f"  SELECT kommun, period_type, period_start, {sex} AS sex, {band} AS age_band,\n"
            f"         {_additive_sums(indicator)}\n"
            "  FROM periods\n  GROUP BY ALL\n)"
        )
    else:
        # Additive measures: aggregate per month first, then add months up to quarters and years.
        ctes.append(
            "months AS (\n"
            f"  SELECT kommun, CAST(date_trunc('month', d) AS DATE) AS d, {sex} AS sex, {band} AS age_band,\n"
            f"         {_additive_sums(indicator)}\n"
            "  FROM base\n  GROUP BY ALL\n)"
        )
        ctes.append(
            "counted AS (\n"
            f"  SELECT kommun, pt.period_type, {_period_start('months.d')} AS period_start, sex, age_band,\n"
            "         sum(numerator) AS numerator, sum(denominator) AS denominator,\n"
            "         sum(sum_squares) AS sum_squares\n"
            "  FROM months\n"
            f"  CROSS JOIN {_period_types_sql(indicator)}\n"
            "  GROUP BY ALL\n)"
        )

    if den.kind == "population":
        ctes.append(_population_cte(indicator))
        ctes.append(
            "cells AS (\n"
            "  -- every kommun with inhabitants gets a cell, also when it had no events (numerator 0);\n"
            "  -- FULL JOIN so that no event is lost when its sex/age cell has no inhabitants\n"
            "  SELECT kommun, 'year' AS period_type, period_start, sex, age_band,\n"
            "         coalesce(c.numerator, 0) AS numerator, p.inhabitants AS denominator,\n"
            "         coalesce(c.sum_squares, 0) AS sum_squares\n"
            "  FROM inhabitants AS p\n"
            "  FULL JOIN (SELECT * FROM counted WHERE period_type = 'year') AS c\n"
            "    USING (kommun, period_start, sex, age_band)\n)"
        )
    else:
        ctes.append("cells AS (\n  SELECT * FROM counted\n)")
    return ",\n".join(ctes)


def _in_year(column: str, year: int) -> str:
    return f"{column} >= DATE '{year:04d}-01-01' AND {column} < DATE '{year + 1:04d}-01-01'"


def _covered_cte(indicator: Indicator, year: int | None = None) -> str:
    """Kommun × period covered by a delivery of the indicator's source; complete when every month is.

    `year`: only the periods of that calendar year (see `indicator_sql`). A snapshot indicator's
    months with a snapshot are read from `snapshot_dates` (`_snapshot_dates_cte`, every delivery's
    dates, before any filter), which every query of such an indicator holds.
    """
    months = "CASE pt.period_type WHEN 'year' THEN 12 WHEN 'quarter' THEN 3 ELSE 1 END"
    if indicator.snapshot_last:
        # only the period's last snapshot counts: complete when coverage reaches the period's end
        complete = f"max(month) = CAST({_period_start('month')} + to_months({months} - 1) AS DATE)"
    else:
        complete = f"count(*) = {months}"
    where = f"source = '{indicator.source}'"
    if year is not None:
        where += f"\n    AND {_in_year('month', year)}"
    if indicator.snapshot_last:
        # nobody is listed nowhere: a kommun without a snapshot in a month did not deliver it
        # (it did not have zero persons), so only months with its own snapshot are covered
        # (read from the unfiltered source, so that an age filter cannot hide a delivery)
        snapshots = "SELECT DISTINCT kommun, CAST(date_trunc('month', d) AS DATE) FROM snapshot_dates"
        where += f"\n    AND (kommun, month) IN ({snapshots})"
    if indicator.denominator.kind == "population":
        # a rate needs the kommun's inhabitants too: a kommun × year without delivered population
        # is missing, or its events would count in the län's numerator without its inhabitants
        where += (
            f"\n    AND (kommun, year(month)) IN (SELECT kommun, year(month) FROM {COVERED_MONTHS} "
            "WHERE source = 'population')"
        )
    reach = ""
    if indicator.follow_up_days:
        # An outcome seen up to N days after the period (a readmission) is complete only once
        # the kommun's delivery reaches the month that holds the period's last day + N days
        # without a gap: a month never delivered in between hides that month's outcomes. So each
        # covered month is joined to the end of its unbroken run of covered months (islands).
        period_end = f"{_period_start('month')} + to_months({months}) - INTERVAL 1 DAY"
        complete = (
            f"({complete}) AND max(r.reach) >= "
            f"CAST(date_trunc('month', {period_end} + INTERVAL {indicator.follow_up_days} DAY) AS DATE)"
        )
        reach = (
            "  JOIN (SELECT kommun AS reach_kommun, min(month) AS run_start, max(month) AS reach\n"
            "        FROM (SELECT kommun, month, date_diff('month', DATE '2000-01-01', month)\n"
            "                     - row_number() OVER (PARTITION BY kommun ORDER BY month) AS run\n"
            f"              FROM {COVERED_MONTHS} WHERE source = '{indicator.source}')\n"
            "        GROUP BY kommun, run) AS r\n"
            f"    ON r.reach_kommun = {COVERED_MONTHS}.kommun AND month BETWEEN r.run_start AND r.reach\n"
        )
    delivered = ""
    if indicator.no_rows == "missing":
        # `no_rows: missing`: the rows are the delivery itself (a cost per kommun, year and area),
        # so a covered kommun × period without a numerator row was not delivered: left out of
        # `covered`, it is missing like a kommun that no delivery covers, not 0
        cond = _condition(indicator.numerator)
        by = indicator.needs_rows
        having = ""
        if by is not None:
            # `needs_rows`: delivered only once rows of every listed value are in (both principals'
            # costs); a value is a string literal, never SQL, so its quotes are doubled
            listed = ", ".join("'" + v.replace("'", "''") + "'" for v in by.values)
            column = f'"{by.column}"'
            having = (
                f"\n        GROUP BY kommun, pt.period_type, {_period_start('d')}\n"
                f"        HAVING count(DISTINCT CASE WHEN {column} IN ({listed}) THEN {column} END)"
                f" = {len(by.values)}"
            )
        delivered = (
            f"  JOIN (SELECT {'' if having else 'DISTINCT '}kommun AS delivered_kommun, "
            "pt.period_type AS delivered_type,\n"
            f"               {_period_start('d')} AS delivered_start\n"
            f"        FROM base CROSS JOIN {_period_types_sql(indicator)}"
            + (f"\n        WHERE {cond}" if cond else "")
            + having
            + ") AS dl\n"
            f"    ON dl.delivered_kommun = {COVERED_MONTHS}.kommun AND dl.delivered_type = pt.period_type\n"
            f"   AND dl.delivered_start = {_period_start('month')}\n"
        )
    comment = "with numerator rows in it" if delivered else "with or without rows in it"
    return (
        "covered AS (\n"
        f"  -- kommun × period that a delivery of {indicator.source} covers, {comment}\n"
        f"  SELECT kommun, pt.period_type, {_period_start('month')} AS period_start,\n"
        f"         {complete} AS complete,\n"
        "         CAST(last_day(max(month)) AS DATE) AS data_through\n"
        f"  FROM {COVERED_MONTHS}\n"
        f"{reach}"
        f"  CROSS JOIN {_period_types_sql(indicator)}\n"
        f"{delivered}"
        f"  WHERE {where}\n"
        "  GROUP BY kommun, pt.period_type, period_start\n)"
    )


def _coverage_ctes() -> str:
    """`kept`: the cells a delivery covers; `missing`: kommuner of a län with data that none covers."""
    return (
        "kept AS (\n"
        "  -- only covered cells count: an uncovered kommun × period is left out of every sum\n"
        "  SELECT cells.*, v.complete, v.data_through\n"
        "  FROM cells JOIN covered AS v USING (kommun, period_type, period_start)\n"
        "),\n"
        "missing AS (\n"
        "  -- kommuner of a län that has data for the period, but that no delivery covers: 'saknas'\n"
        "  SELECT k.kommun, s.period_type, s.period_start\n"
        "  FROM (SELECT DISTINCT l.area_code AS lan, v.period_type, v.period_start\n"
        f"        FROM covered AS v\n"
        f"        JOIN {AREAS_TABLE} AS l ON l.kommun = v.kommun AND l.area_level = 'lan') AS s\n"
        f"  JOIN {AREAS_TABLE} AS k ON k.area_code = s.lan AND k.area_level = 'lan'\n"
        "  ANTI JOIN covered AS v\n"
        "    ON v.kommun = k.kommun AND v.period_type = s.period_type AND v.period_start = s.period_start\n"
        ")"
    )


def _additive_sums(indicator: Indicator) -> str:
    """Numerator and denominator as row sums (a population denominator is joined in later)."""
    sums = _additive_sum_list(indicator)
    return ",\n         ".join(f"{expression} AS {name}" for expression, name in sums)


def _additive_sum_list(indicator: Indicator) -> list[tuple[str, str]]:
    """(aggregate, name) of numerator, denominator and sum_squares (`_additive_sums`)."""
    num, den = indicator.numerator, indicator.denominator
    squares = f"sum({_square_value(num)})" if needs_squares(indicator) else "sum(0)"
    return [
        (_row_sum(num), "numerator"),
        ("sum(0)" if den.kind == "population" else _row_sum(den), "denominator"),
        (squares, "sum_squares"),
    ]


def _row_sum(measure: Measure) -> str:
    """The sum of a measure's per-row values (`_measure_value`) over a group of rows.

    A count is a `count(*)`, with its condition as a FILTER: the same number as a sum of 1s and 0s,
    but an eighth of `fast_lakarkontakt`'s time at national size went to the CASE and the sum.
    """
    if measure.kind in ("rows", "persons"):
        cond = _condition(measure)
        return f"count(*) FILTER (WHERE {cond})" if cond else "count(*)"
    return f"sum({_measure_value(measure)})"


def needs_squares(indicator: Indicator) -> bool:
    """True when the interval needs Σx² of the numerator's units (means, sums of days per inhabitant)."""
    return indicator.interval in ("mean", "dobson")


def _square_value(measure: Measure) -> str:
    """Per-row x² of an additive measure, summed exactly like x (a count's 0/1 is its own square)."""
    if measure.kind in ("rows", "persons"):
        return _measure_value(measure)
    cond = _condition(measure)
    value = exact(f"pow(({measure.expression}), 2)")
    return f"CASE WHEN {cond} THEN {value} ELSE 0 END" if cond else value


def _has_persons(indicator: Indicator) -> bool:
    """True when the indicator's rows carry a person_id (a declarative source with that column)."""
    return indicator.row_sql is None and "person_id" in indicator.extract.column_names


def _one_row_per_person(indicator: Indicator) -> bool:
    """True when each person has at most one row per counted date, so persons can be counted as rows.

    At a single snapshot of `listing` (key: snapshot_date, person_id) this holds, which spares
    a distinct count over millions of rows.
    """
    num, den = indicator.numerator, indicator.denominator
    if not indicator.snapshot_last or indicator.row_sql is not None or num.latest or den.latest:
        return False
    if num.having or den.having:  # a condition over each person's rows needs them grouped
        return False
    return _dated_key(indicator)


def _dated_key(indicator: Indicator) -> bool:
    """True when the source has at most one row per person and `d`: its key is (date, person_id)
    and the date is a day, month or year. Not a timestamp: two snapshots on one day (08:00 and
    12:00) share their `d`, and a person in both would be two rows of one date."""
    if indicator.row_sql is not None or indicator.date is None:
        return False
    if set(indicator.extract.key) != {indicator.date, "person_id"}:
        return False
    return indicator.extract.column(indicator.date).type != "timestamp"


def _person_measure(measure: Measure) -> str:
    """A measure reduced to one value per person and period."""
    cond = _condition(measure)
    if measure.kind == "persons" and measure.having:
        # an aggregate over the person's rows in the period (the GROUP BY of `persons`)
        return f"CASE WHEN ({measure.having}) THEN 1 ELSE 0 END"
    if measure.kind == "persons":
        if cond is None:
            return "1"
        if measure.latest:
            # the condition as it stands on the person's latest row in the period (LATEST_KEY);
            # of rows alike in date, kommun, sex and age, one that meets it
            return f"max(latest_key * 2 + CASE WHEN {cond} THEN 1 ELSE 0 END) % 2"
        return f"max(CASE WHEN {cond} THEN 1 ELSE 0 END)"
    return f"sum({_measure_value(measure)})"


def _population_cte(indicator: Indicator) -> str:
    sex, band = _breakdown_columns(indicator)
    filters = _age_filter(indicator)
    # Every kommun and year a delivery covers, with or without events (zero is zero); a kommun
    # that no delivery covers is missing, not zero.
    filters.append(
        "(kommun, make_date(year, 1, 1)) IN\n"
        "      (SELECT kommun, period_start FROM covered WHERE period_type = 'year')"
    )
    return (
        "inhabitants AS (\n"
        f"  SELECT kommun, make_date(year, 1, 1) AS period_start, {sex} AS sex, {band} AS age_band,\n"
        '         sum("count") AS inhabitants\n'
        "  FROM population\n"
        "  WHERE " + "\n    AND ".join(filters) + "\n"
        "  GROUP BY ALL\n)"
    )


def by_year(indicator: Indicator) -> bool:
    """True when the engine computes the indicator one calendar year at a time (`indicator_sql`'s
    `year`): a per-person measure (continuity) groups every contact by person, practitioner and
    period, and that table of groups is what takes the memory; a year at a time holds a year's.

    Exact: every period (year, quarter, month) lies within one calendar year, each person's
    contacts are grouped per period, and a period's coverage is its own months'. So the rows of
    the years together are the rows of the whole query.
    """
    return indicator.numerator.kind == "per_person"


def not_year_local(indicator: Indicator) -> str | None:
    """Why the indicator's rows of one calendar year may depend on rows dated in another (Swedish),
    or None when `indicator_sql(indicator, year)` gives exactly the whole query's rows of that year.

    Year-local: every period lies within one calendar year, a row counts only in the periods of its
    own date, and a period's coverage is its own months' (see `by_year`). What reads across years:
    an outcome followed up after the period (`follow_up_days`: a December stay's readmission is in
    January), a free `row_sql` (it may join rows of any date), a subquery in a filter or expression
    (it may read any row), and joined extracts other than `population` (their rows are not
    filtered by the main date).
    """
    if indicator.follow_up_days:
        return "uppföljningen efter perioden (follow_up_days) läser nästa års rader"
    if indicator.row_sql is not None:
        return "row_sql kan läsa rader från andra år"
    # `population` joined for a rate is read per kommun and year of the period (and every
    # indicator is recomputed whole when it is imported: `runs.EVERY_INDICATOR_READS`)
    if [s for s in indicator.sources[1:] if s != "population"]:
        return "indikatorn läser fler utdrag än sin källa"
    texts = [indicator.where, indicator.numerator.where, indicator.numerator.expression]
    texts += [indicator.numerator.having, indicator.denominator.where, indicator.denominator.expression]
    texts += [indicator.denominator.having]
    if any(t is not None and "select" in t.lower() for t in texts):
        return "ett filter eller uttryck har en underfråga som kan läsa andra år"
    return None


def per_person_sql(indicator: Indicator, year: int | None = None) -> str:
    """A per-person measure's query with every statistic's numerator and sum of squares
    (`numerator_<statistic>`, `sum_squares_<statistic>` for each of PER_PERSON_SQL).

    Indicators that differ only in their statistic (COC and UPC over the same contacts) get the
    very same text, so the engine runs it once for both (`engine.indicator_rows`): at national
    size the per-person grouping is most of the compute (25 s per year and query on 2 cores).
    Each statistic's columns are those of the indicator's own query (`indicator_sql`).
    """
    if indicator.numerator.kind != "per_person":
        raise ValueError(f"{indicator.id} has no per-person measure")
    return _query(indicator, year, every_statistic=True)


def indicator_sql(indicator: Indicator, year: int | None = None) -> str:
    """The complete query: one row per area × period × breakdown with numerator and denominator.

    `year` (only where `by_year` or year-local, `not_year_local`): the same query restricted to
    the periods of one calendar year — the source rows dated in it and the coverage of its months.
    """
    return _query(indicator, year, every_statistic=False)


def _query(indicator: Indicator, year: int | None, *, every_statistic: bool) -> str:
    if year is not None and not by_year(indicator) and not_year_local(indicator) is not None:
        raise ValueError(f"{indicator.id} is not computed one year at a time")
    keys = "a.area_code, a.area_level, c.period_type, c.period_start"
    sets = [f"({keys})"]
    if "sex" in indicator.breakdowns:
        sets.append(f"({keys}, c.sex)")
    if "age_band" in indicator.breakdowns:
        sets.append(f"({keys}, c.age_band)")
    breakdown = ["CASE"]
    if "sex" in indicator.breakdowns:
        breakdown.append("WHEN GROUPING(c.sex) = 0 THEN 'sex'")
    if "age_band" in indicator.breakdowns:
        breakdown.append("WHEN GROUPING(c.age_band) = 0 THEN 'age_band'")
    breakdown.append("ELSE 'total' END AS breakdown")
    if len(breakdown) == 2:  # no breakdowns: every row is a total
        breakdown = ["'total' AS breakdown"]
    sex = "CASE WHEN GROUPING(c.sex) = 0 THEN c.sex END" if "sex" in indicator.breakdowns else "NULL"
    band = (
        "CASE WHEN GROUPING(c.age_band) = 0 THEN c.age_band END"
        if "age_band" in indicator.breakdowns
        else "NULL"
    )
    numbers = ["numerator", "denominator", "sum_squares"]
    header = f"{indicator.id}: {indicator.title}"
    if every_statistic:  # named by what it reads, not by an indicator: the two share the text
        numbers = [f"{column}_{name}" for name in PER_PERSON_SQL for column in ("numerator", "sum_squares")]
        numbers.insert(2, "denominator")
        header = f"per-person measures of {indicator.source} by {indicator.numerator.by}, every statistic"
    sums = "".join(f"       CAST(sum(c.{n}) AS DOUBLE) AS {n},\n" for n in numbers)
    return (
        f"-- {header}\n"
        "WITH\n"
        + cells_sql(indicator, year, every_statistic=every_statistic)
        + ",\n"
        + _coverage_ctes()
        + "\n"
        "SELECT a.area_code, a.area_level, c.period_type, c.period_start,\n"
        f"       {' '.join(breakdown)},\n"
        f"       {sex} AS sex,\n"
        f"       {band} AS age_band,\n"
        f"{sums}"
        "       false AS missing,\n"
        "       bool_and(c.complete) AS complete,\n"
        "       min(c.data_through) AS data_through\n"
        "FROM kept AS c\n"
        f"JOIN {AREAS_TABLE} AS a ON a.kommun = c.kommun\n"
        "GROUP BY GROUPING SETS (" + ", ".join(sets) + ")\n"
        "UNION ALL\n"
        "-- a kommun no delivery covers: one total row marked missing, without numbers\n"
        "SELECT kommun, 'kommun', period_type, period_start, 'total', NULL, NULL,\n"
        f"       {'NULL, ' * len(numbers)}true, false, NULL\n"
        "FROM missing\n"
        "ORDER BY ALL"
    )
