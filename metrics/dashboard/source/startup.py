"""Which database the dashboard serves, and the demo database built once on a first start.

`python app.py` with nothing configured builds the demo, so the README's first command shows
a result. A configured `MATAVLA_DB` that does not exist is a mistake to report, never a
reason to serve demo numbers in its place. Several gunicorn workers start at once: the demo
is built under an OS file lock by one of them while the others wait, and it is built under a
temporary name, so no worker ever opens a half-built database.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: one process (`python app.py`), no lock needed
    fcntl = None  # type: ignore[assignment]

DEFAULT_DB = Path("data/matavla.duckdb")
ENV_DB = "MATAVLA_DB"


@dataclass(frozen=True)
class DatabaseChoice:
    path: Path
    configured: bool  # named in MATAVLA_DB (rather than the default)


def database_from_env(env: Mapping[str, str]) -> DatabaseChoice:
    """MATAVLA_DB when set (and not empty), else the default path."""
    value = env.get(ENV_DB, "").strip()
    return DatabaseChoice(Path(value), True) if value else DatabaseChoice(DEFAULT_DB, False)


def missing_database_message(path: Path) -> str:
    return (
        f"{ENV_DB} pekar på {path}, men den filen finns inte. Mätavlan startar ändå och visar hur "
        f"det rättas: ange rätt sökväg i {ENV_DB}, eller skapa databasen med `matavla import` och "
        "`matavla compute` (demodata: `matavla demo --db` samma sökväg)."
    )


def prepare_database(
    choice: DatabaseChoice,
    catalog_path: Path,
    say: Callable[[str], None],
    build: Callable[..., Any] | None = None,
) -> None:
    """Build the demo database when nothing is configured and there is none yet; else leave it be."""
    if choice.path.exists():
        return
    if choice.configured:
        say(missing_database_message(choice.path))
        return
    build_demo_once(choice.path, catalog_path, say, build=build)


@contextlib.contextmanager
def _exclusive(lock_path: Path, say: Callable[[str], None]) -> Iterator[None]:
    """Hold an OS lock on `lock_path`; a second process waits here until the first is done."""
    with open(lock_path, "a+") as handle:
        _lock(handle, say)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _lock(handle: IO[str], say: Callable[[str], None]) -> None:
    if fcntl is None:  # pragma: no cover
        return
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        say("En annan process bygger demodatabasen; väntar på den …")
        fcntl.flock(handle, fcntl.LOCK_EX)


def build_demo_once(
    db_path: Path, catalog_path: Path, say: Callable[[str], None], build: Callable[..., Any] | None = None
) -> None:
    """Build the demo at `db_path` unless another process has (or is building it: then wait for it).

    `build(db_path, catalog_path, progress=…)` is `metrics.demo.pipeline.build_demo` without
    keeping the generated extracts; tests pass a quicker one.
    """
    if build is None:
        from metrics.demo.pipeline import build_demo

        def build(path: Path, catalog: Path, progress: Callable[[str], None]) -> None:
            build_demo(path, catalog, progress=progress, keep_files=False)

    db_path.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(db_path.with_name(db_path.name + ".lock"), say):
        if db_path.exists():
            return  # another worker built it while this one waited
        partial = db_path.with_name(db_path.name + ".building")
        for leftover in (partial, partial.with_name(partial.name + ".wal")):
            leftover.unlink(missing_ok=True)  # from a build that was killed
        say(f"Ingen databas i {db_path}: bygger demodatabasen först (omkring 10 minuter) …")
        build(partial, catalog_path, progress=say)
        os.replace(partial, db_path)
