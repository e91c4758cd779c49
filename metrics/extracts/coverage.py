"""What each delivery covers: which kommuner, from which month to which.

Without this, a kommun with no rows in a source cannot be told apart from a kommun
that delivered nothing: the first has zero events (numerator 0, full denominator),
the second is missing ("saknas") and must stay out of its län's sums.

The rule (documented in docs/extracts.md, "Coverage"):
- a region's extract (listing, contacts, inpatient, emergency, sip) covers every kommun
  of each län it holds rows for, when that län has at least `LAN_SHARE` of the file's
  rows (a resident of another län treated in the region does not make the file cover
  that län);
- a kommun's own delivery or a per-kommun aggregate (home_care, survey, costs,
  staff_absence, population) covers the kommuner it has rows for;
- per län (or kommun) it covers the months from its first to its last dated row;
- `matavla import --covers 2326,2380 | lan:23 [--covers-period 2024-01:2024-11]` says it
  explicitly where the file cannot show it.

The importer writes one `coverage` row per kommun and file; before computing,
`write_covered_months` expands them to `covered_months` (source × kommun × month),
which the generated SQL reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

import duckdb

from metrics.errors import MatavlaError
from metrics.extracts.schema import EXTRACTS, Extract
from metrics.extracts.sqltext import ident, lit
from metrics.geography import load_geography

Scope = Literal["lan", "kommun"]

# Who delivers each extract, and so what a file of it covers by default.
SCOPES: dict[str, Scope] = {
    "listing": "lan",
    "contacts": "lan",
    "inpatient": "lan",
    "emergency": "lan",
    "sip": "lan",
    "home_care": "kommun",
    "survey": "kommun",
    "costs": "kommun",
    "staff_absence": "kommun",
    "population": "kommun",
}
LAN_SHARE = 0.05  # a län with fewer of a region file's rows is visitors, not the file's own län

COVERED_MONTHS = "covered_months"  # (source, kommun, month), written before computing
KOMMUN_LAN = "_matavla_kommun_lan"

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Covers:
    """What the user says a file covers (`--covers`, `--covers-period`)."""

    kommuner: tuple[str, ...] = ()  # empty: decided from the file by the default rule
    first_month: date | None = None  # None: from the file's rows
    last_month: date | None = None


def parse_covers(kommuner: str | None, period: str | None = None) -> Covers:
    """`--covers 2326,2380`, `lan:23` or `riket` (comma separated); `--covers-period FROM:TO`.

    `riket`: every kommun in Sweden, for a national delivery in one file, whose smaller län the
    default rule would take for visitors (each has under 5 % of the file's rows).
    """
    geography = load_geography()
    codes: list[str] = []
    for part in (kommuner or "").split(","):
        part = part.strip()
        if not part:
            continue
        if part.lower() == "riket":  # a national delivery: every kommun in Sweden
            codes.extend(sorted(geography.kommuner))
        elif part.lower().startswith("lan:"):
            lan = part[4:].strip().zfill(2)
            if lan not in geography.lan:
                raise MatavlaError(
                    f"--covers: okänd länskod '{part[4:]}' (ange två siffror, t.ex. lan:05 för Östergötland)"
                )
            codes.extend(k.code for k in geography.kommuner_in(lan))
        elif part.zfill(4) in geography.kommuner and part.isdigit():
            codes.append(part.zfill(4))
        else:
            raise MatavlaError(
                f"--covers: okänd kommunkod '{part}' (ange SCB-koder med fyra siffror, t.ex. 2326,2380, "
                "ett helt län som lan:23, eller riket för en nationell leverans)"
            )
    first = last = None
    if period:
        first_text, sep, last_text = period.partition(":")
        first, last = _month(first_text), _month(last_text if sep else first_text)
        if last < first:
            raise MatavlaError(
                f"--covers-period: {period} slutar före den börjar (ange FRÅN:TILL, t.ex. 2024-01:2024-11)"
            )
    return Covers(tuple(dict.fromkeys(codes)), first, last)


def _month(text: str) -> date:
    m = _MONTH.match(text.strip())
    if m is None:
        raise MatavlaError(
            f"--covers-period: '{text}' är ingen månad (ange ÅÅÅÅ-MM:ÅÅÅÅ-MM, t.ex. 2024-01:2024-11)"
        )
    return date(int(m[1]), int(m[2]), 1)


def _month_sql(extract: Extract) -> tuple[str, str]:
    """SQL for the first day of a row's month, and of the last month a row reaches."""
    assert extract.date_column is not None
    column = extract.column(extract.date_column)
    name = ident(column.name)
    if column.type == "int":  # a year: the whole year is covered
        return f"make_date({name}, 1, 1)", f"make_date({name}, 12, 1)"
    month = f"CAST(date_trunc('month', {name}) AS DATE)"
    return month, month


def default_coverage_sql(extract: Extract, table: str, where: str = "TRUE") -> str:
    """(kommun, first_month, last_month) that the rows of `table` cover by the default rule.

    For person-level extracts the months are the file's, from its first to its last row, for
    every kommun it covers: a small kommun without events in the file's first months had zero
    events then, it did not fail to deliver (per-kommun ranges made such months 'saknas' in the
    demo's small kommuner). Aggregates cover exactly the kommun × periods they have rows for.
    """
    first, last = _month_sql(extract)
    dated = (
        f"SELECT g.lan, t.kommun, {first} AS first_month, {last} AS last_month\n"
        f"  FROM {table} AS t JOIN {KOMMUN_LAN} AS g ON g.kommun = t.kommun\n"
        f"  WHERE ({where}) AND {ident(extract.date_column or '')} IS NOT NULL"
    )
    span = "(SELECT min(first_month) AS first_month, max(last_month) AS last_month FROM dated) AS span"
    if not extract.person_level:
        # An aggregate has one row per kommun and period by design (zero events are a row with
        # 0): a kommun-period without a row was not delivered, so it is covered by its rows alone.
        return f"WITH dated AS (\n  {dated}\n)\nSELECT DISTINCT kommun, first_month, last_month FROM dated"
    if SCOPES.get(extract.name, extract.scope or "lan") == "kommun":
        return (
            f"WITH dated AS (\n  {dated}\n)\n"
            "SELECT k.kommun, span.first_month, span.last_month\n"
            f"FROM (SELECT DISTINCT kommun FROM dated) AS k CROSS JOIN {span}"
        )
    return (
        f"WITH dated AS (\n  {dated}\n),\n"
        "lans AS (SELECT lan, count(*) AS n FROM dated GROUP BY lan)\n"
        "SELECT g.kommun, span.first_month, span.last_month\n"
        f"FROM lans AS l JOIN {KOMMUN_LAN} AS g ON g.lan = l.lan CROSS JOIN {span}\n"
        f"WHERE l.n >= {LAN_SHARE} * (SELECT sum(n) FROM lans)"
    )


def register_kommun_lan(con: duckdb.DuckDBPyConnection) -> None:
    # A relation over VALUES, not an Arrow table: registering a Python table makes DuckDB import
    # pandas and pyarrow, a second of start-up for `matavla check`, which needs neither.
    geography = load_geography()
    kommuner = sorted(geography.kommuner.values(), key=lambda k: k.code)
    rows = ", ".join(f"({lit(k.code)}, {lit(k.lan)})" for k in kommuner)
    con.register(KOMMUN_LAN, con.sql(f"SELECT * FROM (VALUES {rows}) AS t(kommun, lan)"))


def record_coverage(
    con: duckdb.DuckDBPyConnection,
    import_id: int,
    extract: Extract,
    staged: str,
    covers: Covers,
    accepted: str = "_reason IS NULL",
) -> str:
    """Write what the file's accepted rows (those of `staged` where `accepted`) cover; returns it
    in words (Swedish)."""
    if extract.date_column is None:
        return ""
    register_kommun_lan(con)
    try:
        if covers.kommuner:
            first, last = _month_sql(extract)
            span = con.execute(
                f"SELECT min({first}), max({last}) FROM {staged} "
                f"WHERE {accepted} AND {ident(extract.date_column)} IS NOT NULL"
            ).fetchone()
            first_month = covers.first_month or (span[0] if span else None)
            last_month = covers.last_month or (span[1] if span else None)
            if first_month is None or last_month is None:
                return "inga daterade rader; ange --covers-period för att ange vilka månader filen täcker"
            rows = [(import_id, extract.name, k, first_month, last_month, "option") for k in covers.kommuner]
            con.executemany("INSERT INTO coverage VALUES (?, ?, ?, ?, ?, ?)", rows)
        else:
            basis = SCOPES.get(extract.name, extract.scope or "lan")
            first = lit(covers.first_month.isoformat()) + "::DATE" if covers.first_month else "first_month"
            last = lit(covers.last_month.isoformat()) + "::DATE" if covers.last_month else "last_month"
            con.execute(
                f"INSERT INTO coverage SELECT ?, ?, kommun, {first}, {last}, ? "
                f"FROM ({default_coverage_sql(extract, staged, accepted)})",
                [import_id, extract.name, basis],
            )
            if basis == "lan" and extract.person_level:
                return coverage_note(con, import_id) + _visitors_note(con, import_id, staged, accepted)
        return coverage_note(con, import_id)
    finally:
        con.unregister(KOMMUN_LAN)


def _visitors_note(con: duckdb.DuckDBPyConnection, import_id: int, staged: str, accepted: str) -> str:
    """A national file's hint: the default rule took most län for visitors ('' for a region's file).

    A national file in one piece has rows from every län, most under 5 %: without this note the
    user would see only "täcker 26 kommuner (Stockholms län)" and wonder where riket went.
    """
    visitor_lans = con.execute(
        f"SELECT count(DISTINCT g.lan) FROM {staged} AS t JOIN {KOMMUN_LAN} AS g ON g.kommun = t.kommun "
        f"WHERE {accepted} AND g.kommun NOT IN (SELECT kommun FROM coverage WHERE import_id = ?)",
        [import_id],
    ).fetchall()  # fetched to the end: an open result blocks the import's next statement
    count = int(visitor_lans[0][0])
    # a region's file has visitors from a few län (neighbours, holidays): no news. Visitors from
    # half of Sweden's län or more look like a national file cut by the 5 % rule.
    if count < len(load_geography().lan) // 2:
        return ""
    return (
        f"; rader från {count} län till räknas som besök (under 5 % av filens rader) och täcks inte: "
        "är filen en nationell leverans, importera den igen med --replace --covers riket"
    )


def forget_coverage_of_same_bytes(
    con: duckdb.DuckDBPyConnection, extract: Extract, content_hash: str
) -> None:
    """Drop what earlier imports of the identical file said it covers (before it is recorded anew).

    Importing the same bytes again (`--replace`) is how a user corrects a file's coverage, e.g.
    with `--covers lan:23` where the default rule also took a län of visitors; coverage is a
    union over imports, so without this a correction could widen it but never narrow it.
    """
    con.execute(
        "DELETE FROM coverage WHERE extract = ? AND import_id IN "
        "(SELECT import_id FROM import_log WHERE extract = ? AND content_hash = ? AND status = 'ok')",
        [extract.name, extract.name, content_hash],
    )


def coverage_note(con: duckdb.DuckDBPyConnection, import_id: int) -> str:
    """'täcker 13 kommuner (Östergötlands län) 2022-01–2024-11', for the import log."""
    rows = con.execute(
        "SELECT kommun, first_month, last_month FROM coverage WHERE import_id = ? ORDER BY kommun",
        [import_id],
    ).fetchall()
    if not rows:
        return "täcker ingen kommun (inga daterade rader från en känd kommun)"
    geography = load_geography()
    lans = sorted({geography.kommuner[k].lan for k, _, _ in rows})
    whole = [lan for lan in lans if {k.code for k in geography.kommuner_in(lan)} <= {k for k, _, _ in rows}]
    where = ", ".join(geography.lan[lan].name for lan in whole) if whole else ""
    first = min(r[1] for r in rows)
    last = max(r[2] for r in rows)
    count = f"{len(rows)} {'kommun' if len(rows) == 1 else 'kommuner'}"
    return f"täcker {count}{f' ({where})' if where else ''} {first:%Y-%m}–{last:%Y-%m}"


def _covered_months_select(con: duckdb.DuckDBPyConnection) -> str:
    """`covered_months` as a query (run it with `KOMMUN_LAN` registered)."""
    recorded = {row[0] for row in con.execute("SELECT DISTINCT extract FROM coverage").fetchall()}
    parts = [
        "SELECT extract AS source, kommun, first_month, last_month FROM coverage",
    ]
    for name, extract in EXTRACTS.items():
        if name not in recorded and extract.date_column is not None:
            parts.append(
                f"SELECT {lit(name)}, kommun, first_month, last_month "
                f"FROM ({default_coverage_sql(extract, ident(name))})"
            )
    return (
        "SELECT DISTINCT source, kommun, CAST(unnest(generate_series(first_month, last_month, "
        "INTERVAL 1 MONTH)) AS DATE) AS month\n"
        "FROM (\n" + "\nUNION ALL\n".join(parts) + "\n)"
    )


def _over_covered_months(con: duckdb.DuckDBPyConnection, statement: str) -> list[tuple[object, ...]]:
    """Run `statement` with `{}` replaced by the covered months' select, and fetch its rows."""
    select = _covered_months_select(con)  # before registering: it runs a query of its own
    register_kommun_lan(con)
    try:
        return con.execute(statement.format(select)).fetchall()
    finally:
        con.unregister(KOMMUN_LAN)


def write_covered_months(con: duckdb.DuckDBPyConnection) -> None:
    """Expand `coverage` to `covered_months` (source × kommun × month), for the generated SQL.

    A source with rows but no recorded coverage (rows loaded without `matavla import`, or a
    database from before coverage was recorded) is taken as one delivery by the default rule.
    """
    _over_covered_months(con, f"CREATE OR REPLACE TABLE {COVERED_MONTHS} AS\n{{}}\nORDER BY ALL")


CoveragePrints = dict[tuple[str, int], tuple[int, int]]


def coverage_prints(con: duckdb.DuckDBPyConnection, *, written: bool = False) -> CoveragePrints:
    """A fingerprint of the covered months per source × calendar year: (months, hash).

    `written`: of the `covered_months` table as the last `write_covered_months` left it; else of
    what it would be now (the imports since, a same-bytes re-import's forgotten coverage, or a
    source's first recorded coverage replacing the default rule), without writing it.
    `compute --incremental` re-aggregates every year whose print changed since the kept cells'
    run (`runs.year_plan`): a year's cells depend on which of its kommun-months are covered.
    """
    prints = (
        # one string per kommun-month: DuckDB's hash of two values XORs theirs, so a bit_xor of
        # hash(kommun, month) over any even number of kommuner × months was 0
        "SELECT source, CAST(year(month) AS INTEGER), count(*), "
        "bit_xor(hash(kommun || '|' || CAST(month AS VARCHAR))) "
        "FROM ({}) GROUP BY ALL"
    )
    if written:
        rows = con.execute(prints.format(f"SELECT * FROM {COVERED_MONTHS}")).fetchall()
    else:
        rows = _over_covered_months(con, prints)
    return {(str(r[0]), int(r[1])): (int(r[2]), int(r[3])) for r in rows}
