"""Unexpected failures while importing one file, as a Swedish `ExtractError` that never quotes a value.

A folder import goes on with its other files whatever happens to one; running out of
memory gets a hint that helps (a file is read in pieces, so this is rare: a memory limit set very
low, or no room to spill to disk).
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from metrics.errors import ExtractError

MEMORY_ENV = "MATAVLA_MEMORY_LIMIT"


def is_out_of_memory(exc: BaseException) -> bool:
    return isinstance(exc, MemoryError | pa.ArrowMemoryError | duckdb.OutOfMemoryException)


def out_of_memory(file: str, size: int | None) -> ExtractError:
    del size  # an import's memory no longer grows with the file (docs/extracts.md, "Size and speed")
    return ExtractError(
        file,
        "minnet räckte inte till för att importera filen; inget importerades",
        hint="en import använder högst 1 GB och skriver resten till disken bredvid databasen "
        "(DATABAS.tmp): se till att det finns plats där; är miljövariabeln "
        f"{MEMORY_ENV} satt lägre än 1 GB, höj den (t.ex. {MEMORY_ENV}=2GB); "
        "eller dela filen i mindre delar (t.ex. en per månad) och importera dem i tur och ordning",
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
