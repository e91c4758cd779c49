"""The awkward-but-valid ways real extracts spell things, applied to clean tables.

Each function takes a table with the contract's types and returns it with one
column spelled as some source system would: sex as 1/2, booleans as ja/nej,
dates as YYYYMMDD, decimals with a comma, kommun codes that lost their zero.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from metrics.demo.columns import compact_dates, decimal_comma, labels


def _replace(table: pa.Table, name: str, column: pa.Array | pa.ChunkedArray) -> pa.Table:
    return table.set_column(table.column_names.index(name), name, column)


def _dictionary(table: pa.Table, name: str) -> pa.DictionaryArray:
    col = table[name].combine_chunks()
    if not pa.types.is_dictionary(col.type):
        col = col.dictionary_encode()
    return col


def recode(table: pa.Table, name: str, mapping: dict[str, str]) -> pa.Table:
    """Replace the values of a text column, e.g. {'K': '2', 'M': '1'}."""
    col = _dictionary(table, name)
    words = [mapping.get(v, v) for v in col.dictionary.to_pylist()]
    return _replace(table, name, pa.DictionaryArray.from_arrays(col.indices, pa.array(words)))


def sex_as_digits(table: pa.Table) -> pa.Table:
    """1 = man, 2 = kvinna, as in the personnummer."""
    return recode(table, "sex", {"M": "1", "K": "2"})


def sex_as_words(table: pa.Table) -> pa.Table:
    return recode(table, "sex", {"M": "man", "K": "kvinna"})


def bool_as(table: pa.Table, name: str, yes: str, no: str) -> pa.Table:
    flags = table[name].combine_chunks()
    values = np.asarray(flags.fill_null(False).to_numpy(zero_copy_only=False), dtype=np.int8)
    return _replace(table, name, labels((no, yes), values))


def dates_compact(table: pa.Table, *names: str) -> pa.Table:
    """Dates as YYYYMMDD numbers; empty stays empty."""
    for name in names:
        col = table[name].combine_chunks()
        days = np.asarray(col.cast(pa.int32()).fill_null(0).to_numpy(zero_copy_only=False), dtype=np.int64)
        mask = np.asarray(col.is_null().to_numpy(zero_copy_only=False))
        table = _replace(table, name, compact_dates(days, mask=mask if mask.any() else None))
    return table


def with_decimal_comma(table: pa.Table, name: str) -> pa.Table:
    """A decimal column written with one decimal and a comma: 12,5."""
    values = table[name].combine_chunks().to_numpy(zero_copy_only=False)
    return _replace(table, name, decimal_comma(np.rint(values * 10)))


def kommun_as_number(table: pa.Table) -> pa.Table:
    """Kommun codes as numbers, as a spreadsheet stores them: 0580 becomes 580."""
    col = _dictionary(table, "kommun")
    numbers = pa.array([int(v) for v in col.dictionary.to_pylist()], pa.int32())
    return _replace(table, "kommun", numbers.take(col.indices))


def append_rows(table: pa.Table, rows: list[dict[str, object]]) -> pa.Table:
    """The table (decoded to plain columns) with extra rows given as Python values."""
    plain = pa.table(
        [c.cast(c.type.value_type) if pa.types.is_dictionary(c.type) else c for c in table.columns],
        names=table.column_names,
    )
    extra = pa.Table.from_pylist(rows, schema=plain.schema)
    return pa.concat_tables([plain, extra]).combine_chunks()
