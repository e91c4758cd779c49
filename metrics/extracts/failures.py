"""Unexpected failures while importing one file, as a Swedish `ExtractError` that never quotes a value.

A folder import goes on with its other files whatever happens to one; running out of
memory gets a hint that helps (a file is read whole and needs about seven times its size).
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from metrics.errors import ExtractError

MEMORY_ENV = "MATAVLA_MEMORY_LIMIT"
MEMORY_FACTOR = 7  # peak memory of an import, in file sizes (docs/extracts.md, "Size and speed")


def is_out_of_memory(exc: BaseException) -> bool:
    return isinstance(exc, MemoryError | pa.ArrowMemoryError | duckdb.OutOfMemoryException)


def out_of_memory(file: str, size: int | None) -> ExtractError:
    need = ""
    if size:
        peak = size * MEMORY_FACTOR
        amount = f"{peak / 1e9:.1f} GB" if peak >= 1e9 else f"{max(1, round(peak / 1e6))} MB"
        need = f" (den behöver ungefär {amount.replace('.', ',')}, sju gånger filens storlek)"
    return ExtractError(
        file,
        f"minnet räckte inte till för att importera filen{need}; inget importerades",
        hint="dela filen i mindre delar (t.ex. en per månad eller kvartal) och importera dem i tur och "
        f"ordning, eller höj databasens minnesgräns med miljövariabeln {MEMORY_ENV} (t.ex. {MEMORY_ENV}=8GB) "
        "på en dator med mer minne",
    )


def unexpected(file: str, exc: BaseException, size: int | None = None) -> ExtractError:
    """The error reported for `exc`; its message is not passed on, since it may quote a value."""
    if is_out_of_memory(exc):
        return out_of_memory(file, size)
    return ExtractError(
        file,
        f"oväntat fel vid import ({type(exc).__name__}); inget importerades från denna fil",
        hint="de andra filerna importerades ändå; försök igen eller rapportera felet",
    )
