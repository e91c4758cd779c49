"""Waiting for the database file's lock, so that a monthly run can share the database with a live board.

DuckDB locks the database file with an OS lock: one process may hold it for writing,
or any number of processes for reading (the dashboard's workers open short read-only
connections). Opening it in a way that conflicts fails at once with an IOException.
Instead, `open_when_free` retries with a growing pause until the lock is free or a
time limit has passed; it says once that it is waiting. The same loop queues two
writers (two imports, an import and a compute): the second waits for the first to
close the database, because DuckDB's own lock is the queue. No separate lock file is
needed, so nothing can be left behind by a killed process (the OS drops the lock).
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from metrics.errors import MatavlaError

WAIT_ENV = "MATAVLA_DB_WAIT"
DEFAULT_WAIT_SECONDS = 120.0
WAITING = "väntar på att databasen blir ledig …"
FIRST_PAUSE, LONGEST_PAUSE = 0.05, 0.5  # seconds; short, so a writer gets in between readers

T = TypeVar("T")


class DatabaseBusy(MatavlaError):
    """The database stayed locked by another process for longer than the time limit."""

    def __init__(self, path: Path, seconds: float, holder: str | None) -> None:
        who = f" (process {holder})" if holder else ""
        super().__init__(
            f"databasen {path} användes fortfarande av ett annat program{who} efter {seconds:g} s "
            "(mätavlan som läser, en import eller en beräkning); inget ändrades "
            f"(tips: försök igen om en stund, eller vänta längre med --wait SEKUNDER eller {WAIT_ENV})"
        )


def wait_seconds(value: float | None = None) -> float:
    """The time limit: `value` when given, else the environment's MATAVLA_DB_WAIT, else 120 s."""
    if value is not None:
        return max(0.0, float(value))
    text = os.environ.get(WAIT_ENV, "").strip()
    if not text:
        return DEFAULT_WAIT_SECONDS
    try:
        return max(0.0, float(text.replace(",", ".")))
    except ValueError:
        raise MatavlaError(
            f"{WAIT_ENV}='{text}' är inget antal sekunder (tips: t.ex. {WAIT_ENV}=300)"
        ) from None


def is_lock_error(exc: BaseException) -> bool:
    """True when DuckDB could not open the file because another process holds its lock."""
    import duckdb

    if not isinstance(exc, duckdb.IOException):
        return False
    text = str(exc).lower()
    return "lock" in text and ("conflicting" in text or "could not set" in text)


def lock_holder(exc: BaseException) -> str | None:
    """The process id DuckDB names as the lock's holder, if it does."""
    match = re.search(r"PID (\d+)", str(exc))
    return match.group(1) if match else None


def say_on_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def open_when_free(
    open_database: Callable[[], T],
    path: Path,
    *,
    wait: float | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> T:
    """`open_database()`, retried while another process holds the lock, for at most `wait` seconds."""
    limit = wait_seconds(wait)
    deadline = time.monotonic() + limit
    pause = FIRST_PAUSE
    told = False
    while True:
        try:
            return open_database()
        except Exception as exc:
            if not is_lock_error(exc):
                raise
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DatabaseBusy(path, limit, lock_holder(exc)) from None
            if not told:
                (on_wait or say_on_stderr)(f"{path}: {WAITING}")
                told = True
            time.sleep(min(pause, remaining))
            pause = min(pause * 1.5, LONGEST_PAUSE)
