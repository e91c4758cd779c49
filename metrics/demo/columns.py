"""Fast construction of Arrow text columns from numpy arrays: ids, dates and decimals.

Millions of rows are formatted without a Python loop: each value becomes a row
of ASCII bytes in a 2-D uint8 array, which Arrow takes as a string column as is.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_DIGITS = np.frombuffer(b"0123456789", dtype=np.uint8)
EPOCH = np.datetime64("1970-01-01", "D")


def fixed_width(buf: np.ndarray) -> pa.StringArray:
    """A string column from an (n, width) array of ASCII bytes, one string per row."""
    n, width = buf.shape
    offsets = np.arange(0, n * width + 1, width, dtype=np.int32)
    data = np.ascontiguousarray(buf, dtype=np.uint8)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def _put_decimal(buf: np.ndarray, start: int, width: int, values: np.ndarray) -> None:
    """Write non-negative integers zero-padded into columns start..start+width of buf."""
    values = values.astype(np.int64, copy=False)
    for pos in range(width - 1, -1, -1):
        buf[:, start + pos] = _DIGITS[values % 10]
        values = values // 10


def _put_text(buf: np.ndarray, start: int, text: str) -> None:
    for i, byte in enumerate(text.encode("ascii")):
        buf[:, start + i] = byte


def unique_codes(rng: np.random.Generator, n: int, bits: int = 32) -> np.ndarray:
    """n distinct random integers below 2**bits, for pseudonyms that reveal no order."""
    return rng.choice(np.uint64(2**bits), size=n, replace=False).astype(np.uint64)


def hex_ids(prefix: str, codes: np.ndarray, digits: int = 8) -> pa.StringArray:
    """'P' + 8 hex digits and the like: opaque, never all digits, never a personnummer."""
    codes = codes.astype(np.uint64, copy=False)
    buf = np.empty((len(codes), len(prefix) + digits), dtype=np.uint8)
    _put_text(buf, 0, prefix)
    shifts = np.arange(4 * (digits - 1), -1, -4, dtype=np.uint64)
    buf[:, len(prefix) :] = _HEX[((codes[:, None] >> shifts) & np.uint64(0xF)).astype(np.intp)]
    return fixed_width(buf)


def serial_ids(prefix: str, serial: np.ndarray, digits: int = 7) -> pa.StringArray:
    """A prefix and a zero-padded running number, e.g. 'K24-0001234'; `digits` wide, or wider
    when the largest number needs it (every id of the column as wide)."""
    if len(serial):
        # Cut to `digits`, 10 000 001 and 1 were the same id: at ×20 a year's contacts (32 M)
        # repeated 22 M keys, which the import rejected as repeated.
        digits = max(digits, len(str(int(np.max(serial)))))
    buf = np.empty((len(serial), len(prefix) + digits), dtype=np.uint8)
    _put_text(buf, 0, prefix)
    _put_decimal(buf, len(prefix), digits, serial)
    return fixed_width(buf)


def ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month (1-12) and day (1-31) of days since 1970-01-01."""
    days = np.asarray(days, dtype=np.int64)
    if len(days) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    # Calendar arithmetic on a lookup table of the days in range: much faster than datetime64 per row.
    lo, hi = int(days.min()), int(days.max())
    table = np.arange(lo, hi + 1).astype("datetime64[D]")
    months = table.astype("datetime64[M]")
    year = (months.astype("datetime64[Y]").astype(np.int64) + 1970)[days - lo]
    month = (months.astype(np.int64) % 12 + 1)[days - lo]
    day = ((table - months).astype(np.int64) + 1)[days - lo]
    return year, month, day


def to_days(dates: Sequence[str] | np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of ISO dates."""
    return (np.asarray(dates, dtype="datetime64[D]") - EPOCH).astype(np.int64)


def date_column(days: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """A date32 column (written as YYYY-MM-DD); mask marks empty values."""
    return pa.array(days.astype(np.int32), type=pa.int32(), mask=mask).cast(pa.date32())


def compact_dates(days: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """Dates as YYYYMMDD numbers, the way many patient-administrative systems export them."""
    year, month, day = ymd(days)
    return pa.array((year * 10000 + month * 100 + day).astype(np.int32), type=pa.int32(), mask=mask)


def timestamps(minutes: np.ndarray) -> pa.StringArray:
    """Timestamps 'YYYY-MM-DD HH:MM' from minutes since 1970-01-01 00:00."""
    minutes = minutes.astype(np.int64, copy=False)
    year, month, day = ymd(minutes // 1440)
    buf = np.empty((len(minutes), 16), dtype=np.uint8)
    _put_decimal(buf, 0, 4, year)
    _put_text(buf, 4, "-")
    _put_decimal(buf, 5, 2, month)
    _put_text(buf, 7, "-")
    _put_decimal(buf, 8, 2, day)
    _put_text(buf, 10, " ")
    _put_decimal(buf, 11, 2, (minutes % 1440) // 60)
    _put_text(buf, 13, ":")
    _put_decimal(buf, 14, 2, minutes % 60)
    return fixed_width(buf)


def decimal_comma(tenths: np.ndarray) -> pa.Array:
    """Non-negative numbers given in tenths, written with one decimal and a decimal comma: '12,5'."""
    tenths = tenths.astype(np.int64, copy=False)
    whole = pc.cast(pa.array(tenths // 10), pa.string())
    frac = pc.cast(pa.array(tenths % 10), pa.string())
    return pc.binary_join_element_wise(whole, frac, ",")


def labels(values: Sequence[str], index: np.ndarray) -> pa.DictionaryArray:
    """A dictionary-encoded text column: values[index]."""
    return pa.DictionaryArray.from_arrays(pa.array(index.astype(np.int32)), pa.array(list(values)))


def sample_categories(rng: np.random.Generator, probs: np.ndarray, group: np.ndarray) -> np.ndarray:
    """One category per row, drawn from the probability row probs[group]."""
    n_groups, n_categories = probs.shape
    cdf = np.cumsum(probs, axis=1, dtype=float)
    cdf /= cdf[:, -1:]
    cdf[:, -1] = 1.0
    # One search over all groups: group g's thresholds are shifted to g + cdf, which keeps them sorted.
    flat = (np.arange(n_groups)[:, None] + cdf).ravel()
    group = np.asarray(group, dtype=np.int64)
    found = np.searchsorted(flat, group + rng.random(len(group)), side="right") - group * n_categories
    return np.minimum(found, n_categories - 1).astype(np.int8)
