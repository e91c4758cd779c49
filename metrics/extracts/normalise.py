"""Match a file's columns to an extract and build the SQL that types and validates them.

All normalisation and validation is one SELECT over the text table (trimmed
first, in Arrow), so DuckDB does it vectorised: per contract column a cleaned
text value, a typed value and an error message when the text is present but not
valid (or required but empty). The messages of one row are joined into
`_reason`; a row without reason is accepted.

Reasons never quote the offending value, in any extract: they are shown to users
(a personnummer in an aggregated extract once reached the Data page that way), and
the row number is enough to find the value in the file.
"""

from __future__ import annotations

import difflib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from metrics.errors import ExtractError
from metrics.extracts.options import DateWindow, dated_columns, window_reason_sql
from metrics.extracts.personnummer import looks_like_personnummer, mentions_personnummer
from metrics.extracts.readers import ROW, column_id
from metrics.extracts.schema import SQL_TYPES, Column, Extract
from metrics.extracts.sqltext import ident, lit
from metrics.geography import load_geography

# Cell values that mean "empty" besides the empty string: database and R exports write these.
NULL_WORDS = ("", "NULL", "null", "NA")
TRUE_WORDS = ("1", "true", "ja", "j", "yes", "y", "sant")  # sant/falskt: Swedish Excel
FALSE_WORDS = ("0", "false", "nej", "n", "no", "falskt")
WOMAN_WORDS = ("K", "KVINNA", "F", "2")
MAN_WORDS = ("M", "MAN", "1")
INT32_MAX = 2_147_483_647

INT_PATTERN = r"[+-]?[0-9]+([.,]0+)?"  # "12.0" is an integer written by a float column
DECIMAL_PATTERN = r"[+-]?([0-9]+([.,][0-9]*)?|[.,][0-9]+)([eE][+-]?[0-9]+)?"
EXCEL_SERIAL_PATTERN = r"[0-9]{5}([.][0-9]+)?"  # days since 1899-12-30: 10000 is 1927, 99999 is 2173

# Text columns stored in one canonical form, so that indicators need to match only one.
TEXT_NORMALISERS = {
    # ICD-10-SE with or without the dot: 'j44.1' and 'J441' are both stored as 'J441'.
    "main_diagnosis": "upper(replace(replace({t}, '.', ''), ' ', ''))",
}


@dataclass(frozen=True)
class ColumnMap:
    """Where each contract column is in the file."""

    sources: dict[str, str | None]  # contract column → raw column id (c3), None when missing (optional)
    all_ids: tuple[str, ...]  # every raw column id, for the test that a row is empty
    kept: tuple[tuple[str, str], ...]  # (name in the file, raw column id) of the contract's columns
    notes: tuple[str, ...]  # Swedish, for the import log


def match_columns(extract: Extract, header: list[str], file: str) -> ColumnMap:
    """Match the file's column names (case-insensitively) to the extract's columns."""
    if any(looks_like_personnummer(name) or mentions_personnummer(name) for name in header):
        # A file without a header row puts its first data row here, and names are shown in messages
        # and logged (an ignored column's name is noted in the import log).
        raise ExtractError(
            file,
            "en kolumnrubrik ser ut som ett personnummer eller samordningsnummer, så filen saknar "
            "troligen rubrikrad; ingenting importerades",
            hint="första raden ska vara kolumnnamnen; värdet visas inte här av integritetsskäl",
            row=1,
        )
    lowered = [name.lower() for name in header]
    positions: dict[str, list[int]] = {}
    for i, name in enumerate(lowered):
        positions.setdefault(name, []).append(i)

    for col in extract.columns:
        if len(positions.get(col.name, [])) > 1:
            raise ExtractError(
                file,
                f"kolumnen '{col.name}' finns {len(positions[col.name])} gånger",
                hint="ta bort eller döp om den ena (namn jämförs utan hänsyn till stora och små bokstäver)",
            )

    missing = [c.name for c in extract.columns if c.required and c.name not in positions]
    if missing:
        raise _missing_columns_error(extract, header, missing, file)

    sources = {
        c.name: column_id(positions[c.name][0]) if c.name in positions else None for c in extract.columns
    }
    kept = tuple(
        (header[positions[c.name][0]], column_id(positions[c.name][0]))
        for c in extract.columns
        if c.name in positions
    )
    notes = []
    # Columns without a name are ignored silently: they come from a separator at the end of each line.
    extra = [header[i] for i, name in enumerate(lowered) if name and name not in extract.column_names]
    if extra:
        notes.append(f"extra kolumner ignorerades: {', '.join(repr(name) for name in extra)}")
    for name, source in sources.items():
        if source is None:
            notes.append(f"kolumnen '{name}' saknas i filen och lämnas tom")
    return ColumnMap(sources, tuple(column_id(i) for i in range(len(header))), kept, tuple(notes))


def _missing_columns_error(
    extract: Extract, header: list[str], missing: list[str], file: str
) -> ExtractError:
    quoted = ", ".join(f"'{m}'" for m in missing)
    message = (
        f"saknar obligatorisk kolumn {quoted}"
        if len(missing) == 1
        else f"saknar obligatoriska kolumner {quoted}"
    )
    if not any(h.lower() in extract.column_names for h in header):
        # No known column name: the first line is most likely data (the header was left out),
        # and its values, a person_id among them, must not be quoted.
        return ExtractError(
            file,
            f"{message}; första raden har inget av utdragets kolumnnamn, så filen saknar troligen rubrikrad",
            hint=f"lägg till en rubrikrad först i filen; utdraget {extract.name} har kolumnerna "
            f"{', '.join(extract.column_names)}",
        )
    present = ", ".join(h for h in header if h) or "(inga)"
    hint = f"filen har kolumnerna {present}"
    others = [h for h in header if h and h.lower() not in extract.column_names]
    for name in missing:
        close = difflib.get_close_matches(name, [h.lower() for h in others], n=1, cutoff=0.75)
        if close:
            hint += f"; menar du att '{close[0]}' är '{name}'?"
    hint += f"; utdraget {extract.name} har kolumnerna {', '.join(extract.column_names)}"
    hint += "; lägg till kolumnen eller döp om den"
    return ExtractError(file, message, hint=hint)


# --- typed values ------------------------------------------------------------------------------


def _in(expr: str, words: tuple[str, ...]) -> str:
    return f"{expr} IN ({', '.join(lit(w) for w in words)})"


def known_kommuner() -> list[str]:
    """The codes a `kommun` column accepts; the importer offers them as the relation `kommuner`."""
    return sorted(load_geography().kommuner)


def _date_sql(t: str, *, month: bool = False) -> str:
    """ISO dates (a time of day is dropped), YYYYMMDD and Excel serial numbers; YYYY-MM for months."""
    branches = []
    if month:
        branches.append(
            f"WHEN length({t}) = 7 AND substr({t}, 5, 1) = '-' THEN TRY_CAST({t} || '-01' AS DATE)"
        )
    branches += [
        f"WHEN substr({t}, 5, 1) = '-' THEN TRY_CAST({t} AS DATE)",
        f"WHEN regexp_full_match({t}, '[0-9]{{8}}') THEN CAST(TRY_STRPTIME({t}, '%Y%m%d') AS DATE)",
        f"WHEN regexp_full_match({t}, '{EXCEL_SERIAL_PATTERN}') "
        f"THEN DATE '1899-12-30' + CAST(floor(CAST({t} AS DOUBLE)) AS INTEGER)",
    ]
    return "CASE " + " ".join(branches) + " END"


def _timestamp_sql(t: str) -> str:
    # A date without a time of day is not a timestamp: arrival and departure need the time.
    return (
        f"CASE WHEN substr({t}, 5, 1) = '-' AND contains({t}, ':') THEN TRY_CAST({t} AS TIMESTAMP) "
        f"WHEN regexp_full_match({t}, '{EXCEL_SERIAL_PATTERN}') "
        "THEN TIMESTAMP '1899-12-30 00:00:00' "
        f"+ to_seconds(CAST(round(CAST({t} AS DOUBLE) * 86400) AS BIGINT)) "
        "END"
    )


def typed_sql(col: Column, t: str, kommuner: str) -> str:
    """The typed value of the cleaned text `t`; NULL when empty or invalid.

    `kommuner` names a relation with the known kommun codes in its column `code`.
    """
    kind = col.type
    if kind == "kommun":
        return (
            f"CASE WHEN {t} IN (SELECT code FROM {kommuner}) THEN {t} "
            f"WHEN length({t}) = 3 AND '0' || {t} IN (SELECT code FROM {kommuner}) THEN '0' || {t} END"
        )
    if kind == "sex":
        up = f"upper({t})"
        return f"CASE WHEN {_in(up, WOMAN_WORDS)} THEN 'K' WHEN {_in(up, MAN_WORDS)} THEN 'M' END"
    if kind in ("age", "int"):
        number = f"TRY_CAST(replace({t}, ',', '.') AS BIGINT)"
        return f"CASE WHEN regexp_full_match({t}, '{INT_PATTERN}') THEN {number} END"
    if kind == "decimal":
        number = f"TRY_CAST(replace({t}, ',', '.') AS DOUBLE)"
        return f"CASE WHEN regexp_full_match({t}, '{DECIMAL_PATTERN}') THEN {number} END"
    if kind == "date":
        return _date_sql(t)
    if kind == "month":
        return f"CAST(date_trunc('month', {_date_sql(t, month=True)}) AS DATE)"
    if kind == "timestamp":
        return _timestamp_sql(t)
    if kind == "bool":
        low = f"lower({t})"
        return f"CASE WHEN {_in(low, TRUE_WORDS)} THEN true WHEN {_in(low, FALSE_WORDS)} THEN false END"
    if kind == "enum":
        # 'Läkare' and 'hembesök' are meant as the contract's 'lakare' and 'hembesok'.
        folded = f"strip_accents(lower({t}))"
        if all(value.isascii() and value == value.lower() for value in col.values):
            # Most files write the contract's own spelling: those values skip the folding, which
            # cost a fifth of the typing (benchmarks/bench_import.py). The result is the same, as
            # folding a value already in the list gives the value.
            return f"CASE WHEN {_in(t, col.values)} THEN {t} WHEN {_in(folded, col.values)} THEN {folded} END"
        return f"CASE WHEN {_in(folded, col.values)} THEN {folded} END"
    if kind == "text":
        return TEXT_NORMALISERS.get(col.name, "{t}").format(t=t)
    raise ValueError(f"unknown column type {kind!r}")


# --- reasons -----------------------------------------------------------------------------------

INVALID = {
    "kommun": "okänd kommunkod (fyra siffror enligt SCB, t.ex. 0580)",
    "sex": "ogiltigt kön (använd K/M, kvinna/man, F/M eller 2/1)",
    "age": "ogiltig ålder (heltal 0–120)",
    "int": "inte ett heltal",
    "decimal": "inte ett tal",
    "date": "ogiltigt datum (använd ÅÅÅÅ-MM-DD)",
    "month": "ogiltig månad (använd ÅÅÅÅ-MM eller ÅÅÅÅ-MM-DD)",
    "timestamp": "ogiltig tidpunkt (använd ÅÅÅÅ-MM-DD TT:MM[:SS])",
    "bool": "ogiltigt ja/nej-värde (använd 1/0, ja/nej, j/n, true/false eller yes/no)",
}


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value).replace(".", ",")


def _range_checks(col: Column, v: str) -> list[tuple[str, str]]:
    """(violated condition, message) pairs for a typed number `v`."""
    checks: list[tuple[str, str]] = []
    if col.type == "age":
        # One comparison: DuckDB evaluates `v` (a regular expression) again for each mention.
        checks.append((f"{v} NOT BETWEEN 0 AND 120", INVALID["age"]))
    if col.type == "int":
        checks.append((f"abs({v}) > {INT32_MAX}", "talet är för stort"))
    if col.min is not None:
        if col.min_exclusive:
            checks.append((f"{v} <= {col.min}", f"värdet måste vara större än {_number(col.min)}"))
        else:
            checks.append((f"{v} < {col.min}", f"värdet får inte vara mindre än {_number(col.min)}"))
    return checks


def reason_sql(col: Column, t: str, v: str) -> str | None:
    """The Swedish reason this column rejects the row, or NULL; None when it never does."""

    def says(message: str) -> str:
        return lit(f"{col.name}: {message}")  # never the value itself (see the module docstring)

    branches = []
    if col.required:
        branches.append(f"WHEN {t} IS NULL THEN {says('värde saknas')}")
    if col.type == "enum":
        allowed = ", ".join(col.values)
        branches.append(
            f"WHEN {v} IS NULL AND {t} IS NOT NULL THEN {says(f'okänt värde (tillåtna: {allowed})')}"
        )
    elif col.type != "text":
        branches.append(f"WHEN {v} IS NULL AND {t} IS NOT NULL THEN {says(INVALID[col.type])}")
    for condition, message in _range_checks(col, v):
        branches.append(f"WHEN {condition} THEN {says(message)}")
    if not branches:
        return None
    return "CASE " + " ".join(branches) + " END"


# --- the staging query -------------------------------------------------------------------------


def text_column(name: str) -> str:
    return ident(f"_t_{name}")


def trim_table(table: pa.Table) -> pa.Table:
    """The table with surrounding whitespace (Unicode-aware: tabs, no-break spaces) removed from text.

    Done in Arrow rather than SQL because DuckDB inlines the cleaned value into
    every expression that uses it, and trimming there made the import three times slower.
    """
    names = [n for n in table.column_names if n != ROW]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:  # Arrow releases the GIL
        trimmed = list(pool.map(lambda n: _trimmed(table[n]), names))
    return pa.table(dict(zip(names, trimmed, strict=True)) | {ROW: table[ROW]})


def _trimmed(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """The column trimmed; the column itself when no value can start or end with whitespace.

    Most columns have no value to trim, and trimming copies every value (a fifth of an import's
    time): first and last bytes of the values tell cheaply which need it. A byte up to 0x20 may be
    ASCII whitespace, one from 0x80 part of a Unicode space (each is two bytes or more in UTF-8,
    all from 0x80); any such byte trims the whole column, so none is ever missed. Except the
    letters U+00C0–U+00FF (å, ä, ö, é …; no space among them), whose UTF-8 starts with 0xC3:
    names that begin with Å or end in ö ('Läkarhuset Lindö') would otherwise trim every column
    of names.
    """
    if not all(_nothing_to_trim(chunk) for chunk in column.chunks):
        return pc.utf8_trim_whitespace(column)
    return column


def _nothing_to_trim(chunk: pa.Array) -> bool:
    if chunk.type != pa.string():
        return False  # (large strings and others: trimmed as before)
    offsets_buffer, data_buffer = chunk.buffers()[1:3]
    if data_buffer is None or offsets_buffer is None:
        return True  # no bytes at all: every value is empty or null
    offsets = np.frombuffer(offsets_buffer, dtype=np.int32)[chunk.offset : chunk.offset + len(chunk) + 1]
    data = np.frombuffer(data_buffer, dtype=np.uint8)
    # Null slots are checked too (their bytes, if any, are harmless extra work, never a miss).
    starts, ends = offsets[:-1], offsets[1:]
    filled = ends > starts
    starts, ends = starts[filled], ends[filled]
    first, last = data[starts], data[ends - 1]
    if bool(((first <= 0x20) | ((first >= 0x80) & (first != _LATIN_LETTER))).any()):
        return False
    if bool((last <= 0x20).any()):
        return False
    high = last >= 0x80
    if not high.any():
        return True
    # A last byte from 0x80 ends a letter U+00C0–U+00FF when the byte before it is 0xC3: a lead
    # byte, never a continuation byte, so it starts that two-byte last character.
    if bool((ends[high] - starts[high] < 2).any()):
        return False
    return bool((data[ends[high] - 2] == _LATIN_LETTER).all())


_LATIN_LETTER = 0xC3  # the UTF-8 lead byte of U+00C0–U+00FF: letters, and × and ÷


def staging_sql(
    extract: Extract, columns: ColumnMap, raw: str, kommuner: str, window: DateWindow | None = None
) -> str:
    """SELECT _row, the typed contract columns, _reason and _kommun_from from the trimmed raw table.

    With a `window`, dates outside it are reasons too (see `options.DateWindow`).

    Rows whose every cell is empty (trailing separator-only lines) are left out.
    `_kommun_from` holds the three-digit code of rows whose kommun got its leading zero back.
    """

    def clean(source: str) -> str:
        return f"CASE WHEN {_in(ident(source), NULL_WORDS)} THEN NULL ELSE {ident(source)} END"

    cleaned = []
    for col in extract.columns:
        source = columns.sources[col.name]
        cleaned.append(f"{clean(source) if source else 'CAST(NULL AS VARCHAR)'} AS {text_column(col.name)}")
    unused = [i for i in columns.all_ids if i not in columns.sources.values()]
    cleaned += [f"{clean(i)} AS {ident('_u_' + i)}" for i in unused]
    empty = " AND ".join(
        [f"{text_column(c.name)} IS NULL" for c in extract.columns]
        + [f"{ident('_u_' + i)} IS NULL" for i in unused]
    )

    typed = [f"{typed_sql(c, text_column(c.name), kommuner)} AS {ident(c.name)}" for c in extract.columns]
    reasons = [reason_sql(c, text_column(c.name), ident(c.name)) for c in extract.columns]
    reasons += [f"CASE WHEN NOT ({check.sql}) THEN {lit(check.reason)} END" for check in extract.checks]
    if window is not None:
        reasons += [window_reason_sql(c, ident(c.name), window) for c in dated_columns(extract)]
    kommun = next((c.name for c in extract.columns if c.type == "kommun"), None)
    if kommun is not None:
        t = text_column(kommun)
        kommun_from = f"CASE WHEN length({t}) = 3 AND {ident(kommun)} IS NOT NULL THEN {t} END"
    else:
        kommun_from = "CAST(NULL AS VARCHAR)"
    # int columns were typed as BIGINT so that too large values become a reason, not a failed cast.
    final = [f"TRY_CAST({ident(c.name)} AS {SQL_TYPES[c.type]}) AS {ident(c.name)}" for c in extract.columns]

    sep = ",\n    "
    reason_list = ",\n        ".join(r for r in reasons if r)
    return (
        f"SELECT {ROW},\n    {sep.join(final)},\n"
        f"    NULLIF(concat_ws('; ',\n        {reason_list}\n    ), '') AS _reason,\n"
        f"    {kommun_from} AS _kommun_from\n"
        "FROM (\n"
        f"  SELECT *,\n    {sep.join(typed)}\n"
        f"  FROM (\n    SELECT {ROW},\n    {sep.join(cleaned)}\n    FROM {raw}\n  )\n"
        f"  WHERE NOT ({empty})\n"
        ")"
    )


def empty_rows(table: pa.Table, columns: ColumnMap) -> int:
    """How many raw rows of `table` (trimmed) have every cell empty (a NULL word or nothing):
    `staging_sql` leaves them out.

    In Arrow, column after column over the rows still empty, so most pieces cost one test of
    their first column (a tenth of the time the same test took in SQL).
    """
    words = pa.array(NULL_WORDS, pa.string())
    still = table  # the rows whose cells so far are all empty
    for raw_id in columns.all_ids:
        column = still[raw_id]
        blank = pc.or_kleene(pc.is_null(column), pc.is_in(column, value_set=words))
        if not pc.any(blank).as_py():
            return 0
        if not pc.all(blank).as_py():
            still = still.filter(blank)
    return still.num_rows


def repeated_keys_sql(extract: Extract, rows: str, key_hash: str | None = None) -> str:
    """SELECT the keys that more than one of `rows` (accepted rows) has; with `key_hash` (a format
    of the key columns, e.g. 'hash({})'), the hashes of whole keys that more than one row has.

    Keys compare with `=`, so a key with an empty (NULL) part never repeats another.
    """
    keys = ", ".join(ident(k) for k in extract.key)
    if key_hash is not None:
        keys = key_hash.format(keys)
    filled = " AND ".join(f"{ident(k)} IS NOT NULL" for k in extract.key)
    return f"SELECT {keys} FROM {rows}\nWHERE {filled} GROUP BY {keys} HAVING count(*) > 1"


def repeated_rows_sql(extract: Extract, rows: str, firsts: str) -> str:
    """SELECT (_row, _reason) of every row of `rows` (accepted rows) whose key an earlier row has.

    `firsts`: each key with the first row that has it, `_first`.
    """
    names = ", ".join(extract.key)
    same = " AND ".join(f"s.{ident(k)} = d.{ident(k)}" for k in extract.key)
    message = lit(f"dubblett av nyckeln ({names}): samma nyckel finns på rad ")
    return (
        f"SELECT s.{ROW}, {message} || d._first AS _reason FROM {rows} AS s\n"
        f"JOIN {firsts} AS d ON {same}\nWHERE s.{ROW} > d._first"
    )
