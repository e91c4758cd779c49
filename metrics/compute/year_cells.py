"""The aggregation query's rows ("raw cells") kept per indicator, so that an incremental compute
re-aggregates only the calendar years an import touched (`matavla compute --incremental`).

The raw cells are the summed numerators and denominators per area × period × breakdown before
intervals, suppression and the audit: what the indicator query returns (`engine.indicator_rows`,
with `clusters.add_cluster_sums`). For a year-local indicator (`sqlgen.not_year_local`) the
rows of the years together are the rows of the whole query (the same argument as `by_year`), so
the kept rows of the untouched years plus the touched years' rows queried afresh are exactly the
rows a full compute would aggregate. Everything after them – intervals, the publishing rule,
disclosure protection and the exact audit – then runs over the whole indicator as in a full
compute: the protection's LP is solved over all years jointly (its scale and its work budget
are the indicator's, not a year's), so it is not split by year (docs/runs.md).

The rows are kept in `raw_cells`, written in compute's transaction with the run that computed
them, with a fingerprint of the `areas` table they were rolled up with: another roll-up (a new
area group, riket once all 21 län are covered) makes the kept rows stale.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb

from metrics.catalogue.model import Indicator
from metrics.compute.clusters import clustered
from metrics.compute.sqlgen import AREAS_TABLE, not_year_local
from metrics.extracts.coverage import CoveragePrints

if TYPE_CHECKING:  # pandas is imported where frames are made: `matavla check` needs none
    import pandas as pd

RAW_CELLS = "raw_cells"

# The indicator query's columns and DuckDB types: kept as the query returns them, so the rows read
# back are the frame the query gives (same dtypes), and a splice equals the whole query's frame.
RAW_COLUMNS: tuple[tuple[str, str], ...] = (
    ("area_code", "VARCHAR"),
    ("area_level", "VARCHAR"),
    ("period_type", "VARCHAR"),
    ("period_start", "DATE"),
    ("breakdown", "VARCHAR"),
    ("sex", "VARCHAR"),
    ("age_band", "VARCHAR"),
    ("numerator", "DOUBLE"),
    ("denominator", "DOUBLE"),
    ("sum_squares", "DOUBLE"),
    ("missing", "BOOLEAN"),
    ("complete", "BOOLEAN"),
    ("data_through", "DATE"),
)
ROW_KEY = ["area_code", "area_level", "period_type", "period_start", "breakdown", "sex", "age_band"]


def _ddl(table: str, columns: Sequence[tuple[str, str]]) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {table} (\n    indicator VARCHAR NOT NULL,\n"
        "    run INTEGER NOT NULL,\n    areas VARCHAR NOT NULL,\n"
        + ",\n".join(f"    {name} {kind}" for name, kind in columns)
        + "\n)"
    )


RAW_DDL = _ddl(RAW_CELLS, RAW_COLUMNS)

# An age-standardised indicator's band rows (`standardise.standardised_sql`), kept beside its raw
# cells from the same run: the standardisation query is year-local like the indicator's own, so an
# increment queries only the touched years' bands and splices the kept ones of the others.
RAW_STD_CELLS = "raw_std_cells"
# Its columns are the raw cells' key and sums (`standardised_sql` names them alike).
STD_SUMS = ("numerator", "denominator", "sum_squares")
STD_COLUMNS = tuple((name, kind) for name, kind in RAW_COLUMNS if name in (*ROW_KEY, *STD_SUMS))
STD_DDL = _ddl(RAW_STD_CELLS, STD_COLUMNS)


@dataclass(frozen=True)
class YearPlan:
    """What an incremental compute re-aggregates of one indicator (`runs.increment`)."""

    years: tuple[int, ...]  # the calendar years queried afresh; empty: the whole indicator
    reason: str = ""  # Swedish: why the whole indicator (when `years` is empty)


def why_not_by_years(indicator: Indicator) -> str | None:
    """Why the indicator is recomputed whole after a new month (Swedish), or None."""
    if (reason := not_year_local(indicator)) is not None:
        return reason
    if clustered(indicator):
        return "personsummorna för medelvärdets intervall beräknas över alla år"
    return None


def areas_fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """sha256 of the roll-up table (`areas`) as written for this compute."""
    rows = con.execute(f"SELECT kommun, area_code, area_level FROM {AREAS_TABLE} ORDER BY ALL").fetchall()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def keep_raw_cells(
    con: duckdb.DuckDBPyConnection,
    computed: Sequence[str],
    frames: Mapping[str, pd.DataFrame],
    run: int,
    areas: str,
    std_frames: Mapping[str, pd.DataFrame] | None = None,
) -> None:
    """Replace the raw cells of the indicators `computed` in this run by their new `frames` (only
    the year-local ones have a frame: no other is spliced), and their standardisation band rows by
    `std_frames`. Call inside compute's transaction, with the run number just recorded."""
    for table, ddl, columns, new in (
        (RAW_CELLS, RAW_DDL, RAW_COLUMNS, frames),
        (RAW_STD_CELLS, STD_DDL, STD_COLUMNS, std_frames or {}),
    ):
        con.execute(ddl)
        names = [name for name, _ in columns]
        con.execute(f"DELETE FROM {table} WHERE list_contains(?, indicator)", [list(computed)])
        for indicator, frame in new.items():
            con.register("new_raw_cells", frame[names])
            try:
                con.execute(
                    f"INSERT INTO {table} SELECT ?, ?, ?, {', '.join(names)} FROM new_raw_cells",
                    [indicator, run, areas],
                )
            finally:
                con.unregister("new_raw_cells")


def drop_raw_cells(con: duckdb.DuckDBPyConnection, keep: Sequence[str]) -> None:
    """Forget the kept rows of every indicator but `keep` (a full compute: removed indicators)."""
    for table, ddl in ((RAW_CELLS, RAW_DDL), (RAW_STD_CELLS, STD_DDL)):
        con.execute(ddl)
        con.execute(f"DELETE FROM {table} WHERE NOT list_contains(?, indicator)", [list(keep)])


# The covered months' fingerprint per source × year (`coverage.coverage_prints`) at each run
# whose raw cells are kept: a year whose coverage changed since is re-aggregated, whatever the
# imports' own rows and months say (a same-bytes re-import forgets the earlier coverage; a
# source's first recorded coverage replaces the default rule for every year). A row with an
# empty source marks the run as recorded, so a run without any coverage is told from one from
# before the prints were kept.
RAW_COVERAGE = "raw_coverage"
COVERAGE_DDL = (
    f"CREATE TABLE IF NOT EXISTS {RAW_COVERAGE} (\n    run INTEGER NOT NULL,\n    source VARCHAR NOT NULL,\n"
    "    year INTEGER,\n    months BIGINT,\n    print UBIGINT\n)"
)


def keep_coverage_prints(con: duckdb.DuckDBPyConnection, run: int, prints: CoveragePrints) -> None:
    """Record `prints` for `run` and forget those of runs no kept raw cells come from. Call inside
    compute's transaction, after `keep_raw_cells`."""
    con.execute(COVERAGE_DDL)
    rows = [(run, "", None, None, None), *((run, s, y, m, p) for (s, y), (m, p) in sorted(prints.items()))]
    con.executemany(f"INSERT INTO {RAW_COVERAGE} VALUES (?, ?, ?, ?, ?)", rows)
    con.execute(RAW_DDL)
    con.execute(
        f"DELETE FROM {RAW_COVERAGE} WHERE run <> ? AND run NOT IN (SELECT run FROM {RAW_CELLS})", [run]
    )


def kept_coverage_prints(con: duckdb.DuckDBPyConnection, run: int) -> CoveragePrints | None:
    """The prints recorded at `run`, or None when that run recorded none."""
    con.execute(COVERAGE_DDL)
    rows = con.execute(
        f"SELECT source, year, months, print FROM {RAW_COVERAGE} WHERE run = ?", [run]
    ).fetchall()
    if not rows:
        return None
    return {(str(r[0]), int(r[1])): (int(r[2]), int(r[3])) for r in rows if r[0] != ""}


def coverage_changed_years(then: CoveragePrints, now: CoveragePrints, sources: Sequence[str]) -> set[int]:
    """The years of `sources` whose covered months differ between the two prints."""
    keys = {key for key in then.keys() | now.keys() if key[0] in sources}
    return {year for key in keys if then.get(key) != now.get(key) for year in [key[1]]}


def kept_run(con: duckdb.DuckDBPyConnection, indicator: str) -> tuple[int, str] | None:
    """(run, areas fingerprint) of the indicator's kept raw cells, or None when none are kept."""
    con.execute(RAW_DDL)
    # fetchall, not fetchone: DuckDB refuses a relation (`con.sql`) beside an unfinished result
    [row] = con.execute(
        f"SELECT min(run), min(areas), count(DISTINCT run) FROM {RAW_CELLS} WHERE indicator = ?", [indicator]
    ).fetchall()
    if row[0] is None or row[2] != 1:
        return None
    return int(row[0]), str(row[1])


def spliced_rows(
    con: duckdb.DuckDBPyConnection,
    indicator: Indicator,
    years: Sequence[int],
    *,
    year_rows: Callable[[int], pd.DataFrame],
) -> pd.DataFrame:
    """The whole query's rows: the kept rows of every year but `years`, and `years` queried afresh.

    In the whole query's order (ORDER BY ALL over the key, NULLs last), as `engine.indicator_rows`
    orders the years of a per-person measure. `year_rows(year)`: the indicator query's rows of
    one year (`indicator_sql(indicator, year)`, as the engine runs it).
    """
    names = [name for name, _ in RAW_COLUMNS]
    kept = con.execute(
        f"SELECT {', '.join(names)} FROM {RAW_CELLS} "
        "WHERE indicator = ? AND NOT list_contains(?, CAST(year(period_start) AS INTEGER))",
        [indicator.id, [int(y) for y in years]],
    ).df()
    frames = [kept, *(year_rows(int(year)) for year in years)]
    # an empty frame would turn text columns into object; the kept rows have the query's types
    import pandas as pd

    rows = pd.concat([f for f in frames if len(f)] or frames[:1], ignore_index=True)
    rows = rows.sort_values(ROW_KEY, na_position="last", kind="stable", ignore_index=True)
    return rows[names]


def spliced_std_rows(
    con: duckdb.DuckDBPyConnection,
    indicator: Indicator,
    years: Sequence[int],
    areas: str,
    *,
    year_rows: Callable[[int], pd.DataFrame],
) -> pd.DataFrame | None:
    """The standardisation's band rows: the kept rows of every year but `years` (kept with the
    raw cells being spliced), and `years` queried afresh; None when none are kept from that run
    (a database computed before they were kept) or the roll-up table (`areas`, its fingerprint)
    changed since: then the caller queries every year."""
    kept = kept_run(con, indicator.id)
    con.execute(STD_DDL)
    if kept is None or kept[1] != areas:
        return None
    [(found,)] = con.execute(
        f"SELECT count(*) FROM {RAW_STD_CELLS} WHERE indicator = ? AND run = ? AND areas = ?",
        [indicator.id, kept[0], areas],
    ).fetchall()
    if found == 0:
        return None
    names = [name for name, _ in STD_COLUMNS]
    frames = [
        con.execute(
            f"SELECT {', '.join(names)} FROM {RAW_STD_CELLS} WHERE indicator = ? AND run = ? "
            "AND NOT list_contains(?, CAST(year(period_start) AS INTEGER))",
            [indicator.id, kept[0], [int(y) for y in years]],
        ).df(),
        *(year_rows(int(year)) for year in years),
    ]
    import pandas as pd

    return pd.concat([f for f in frames if len(f)] or frames[:1], ignore_index=True)[names]


def rows_by_years(
    con: duckdb.DuckDBPyConnection,
    indicator: Indicator,
    plan: YearPlan,
    areas: str,
    *,
    year_rows: Callable[[int], pd.DataFrame],
) -> tuple[pd.DataFrame | None, str]:
    """The spliced rows and a Swedish note for the progress line; (None, why) when the whole
    indicator must be queried (`plan` says so, or the kept rows were rolled up differently)."""
    if not plan.years:
        return None, plan.reason
    kept = kept_run(con, indicator.id)
    if kept is None:
        return None, "inga sparade celler från förra beräkningen"
    if kept[1] != areas:
        return None, "områdena (län, områdesgrupper, riket) har ändrats sedan förra beräkningen"
    rows = spliced_rows(con, indicator, plan.years, year_rows=year_rows)
    listed = ", ".join(str(y) for y in plan.years)
    which = "år" if len(plan.years) == 1 else "åren"
    return rows, f"{which} {listed} summerade på nytt, övriga år från körning {kept[0]}"
