"""How much of the machine `import`, `compute`, `demo` and the dashboard's readers may use: DuckDB's
memory limit, threads and spill folder.

- `MATAVLA_MEMORY_LIMIT`: DuckDB's memory limit, e.g. `8GB`, `512MB` or `40%` (of the machine's
  memory). Default: half the machine's memory (physical, or the container's limit where that is
  lower), where DuckDB's own default is 80 %; the other half is for what DuckDB does not count —
  Python, pandas and pyarrow frames, the file being imported — and for the operating system.
- `MATAVLA_THREADS`: DuckDB's worker threads, and the threads compute's LP audit solves separate
  components on (`audit_threads`). Default: DuckDB's, one per core.
- Spilling: a query that needs more than the limit writes to `<database>.tmp` beside the database
  (DuckDB's default for a database file, read-only too; set explicitly for a writer). An in-memory
  database (`preview`, which attaches the board read-only) spills to `.tmp` in the working folder,
  DuckDB's default. DuckDB names its spill files by process id, so processes can share a folder.

The DuckDB limit covers DuckDB's own buffers (hash tables, sorts, the data it caches), not the
process as a whole: peak RSS can exceed it by the Python side's frames (see the README's machine
sizing section for measured figures).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from metrics.errors import MatavlaError

MEMORY_ENV = "MATAVLA_MEMORY_LIMIT"
THREADS_ENV = "MATAVLA_THREADS"
AUDIT_SECONDS_ENV = "MATAVLA_AUDIT_SECONDS"
AUDIT_ITERATIONS_ENV = "MATAVLA_AUDIT_ITERATIONS"
LAST_RUNG_ITERATIONS_ENV = "MATAVLA_AUDIT_LAST_RUNG_ITERATIONS"
DEFAULT_MEMORY_SHARE = 0.5  # of the machine's memory, when MATAVLA_MEMORY_LIMIT is not set
MIN_MEMORY_BYTES = 10**6  # 1 MB: less is surely a missing unit (the tests run out of memory with 1 MB)
MAX_MEMORY_BYTES = 2**50  # 1 PiB: more is surely a typo (DuckDB refuses some such values with a traceback)

# Every unit DuckDB's `SET memory_limit` accepts (so a value that worked before, e.g. `8G`, still does).
_UNITS = {
    "": 1,
    "b": 1,
    "byte": 1,
    "bytes": 1,
    **{f"{p}{s}": 10**3 for p in ("k", "kilo") for s in ("", "b", "byte", "bytes")},
    **{f"{p}{s}": 10**6 for p in ("m", "mega") for s in ("", "b", "byte", "bytes")},
    **{f"{p}{s}": 10**9 for p in ("g", "giga") for s in ("", "b", "byte", "bytes")},
    **{f"{p}{s}": 10**12 for p in ("t", "tera") for s in ("", "b", "byte", "bytes")},
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}
_SIZE = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*([a-z]*)\s*$", re.IGNORECASE)
_SHARE = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*%\s*$")


@dataclass(frozen=True)
class Resources:
    memory_bytes: int | None  # None: the machine's memory is unknown, DuckDB's default stands
    threads: int | None  # None: DuckDB's default


def machine_memory_bytes(
    cgroup_root: Path = Path("/sys/fs/cgroup"), self_cgroup: Path = Path("/proc/self/cgroup")
) -> int | None:
    """Physical memory, or a lower cgroup limit; None where neither can be read.

    The cgroup limits read: the mount's own (a container's: v2 `memory.max`, v1
    `memory/memory.limit_in_bytes`) and those of the process's own cgroup and its ancestors, from
    `/proc/self/cgroup` (a systemd service's `MemoryMax=` is in e.g.
    `/sys/fs/cgroup/system.slice/matavla.service/memory.max`, not at the mount). 'max' and v1's
    "unlimited" (about 2⁶³) are no limit; a missing file is skipped.
    """
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        physical = 0
    limits = [physical] if physical > 0 else []
    files = [cgroup_root / "memory.max", cgroup_root / "memory" / "memory.limit_in_bytes"]
    try:
        lines = self_cgroup.read_text().splitlines()
    except OSError:
        lines = []
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3 or not parts[2].startswith("/"):
            continue
        if parts[0] == "0" and parts[1] == "":  # v2: 0::/path
            folder, name = cgroup_root, "memory.max"
        elif "memory" in parts[1].split(","):  # v1: N:memory:/path
            folder, name = cgroup_root / "memory", "memory.limit_in_bytes"
        else:
            continue
        own = Path(parts[2].strip("/"))
        files += [folder / part / name for part in (own, *own.parents) if str(part) != "."]
    for path in files:
        try:
            text = path.read_text().strip()
        except OSError:
            continue
        if text.isdecimal() and 0 < int(text) < 2**60:
            limits.append(int(text))
    return min(limits) if limits else None


def parse_memory(text: str, machine: int | None = None) -> int:
    """'8GB', '512 MiB', '40%' → bytes; MatavlaError naming MATAVLA_MEMORY_LIMIT otherwise."""
    hint = f"(tips: t.ex. {MEMORY_ENV}=8GB, 512MB eller 40% av maskinens minne)"
    if share := _SHARE.match(text):
        percent = float(share.group(1).replace(",", "."))
        machine = machine_memory_bytes() if machine is None else machine
        if not 0 < percent <= 100:
            raise MatavlaError(f"{MEMORY_ENV}='{text}': andelen måste vara över 0 % och högst 100 % {hint}")
        if machine is None:
            raise MatavlaError(
                f"{MEMORY_ENV}='{text}': maskinens minne går inte att läsa, så en andel kan inte räknas om "
                f"(tips: ange en storlek, t.ex. {MEMORY_ENV}=8GB)"
            )
        share_bytes = int(machine * percent / 100)
        if share_bytes < MIN_MEMORY_BYTES:
            raise MatavlaError(f"{MEMORY_ENV}='{text}' är mindre än 1 MB, för lite för databasen {hint}")
        return share_bytes
    match = _SIZE.match(text)
    unit = match.group(2).lower() if match else ""
    if not match or unit not in _UNITS:
        raise MatavlaError(f"{MEMORY_ENV}='{text}' är ingen minnesgräns {hint}")
    size = int(float(match.group(1).replace(",", ".")) * _UNITS[unit])
    if size < MIN_MEMORY_BYTES:
        raise MatavlaError(f"{MEMORY_ENV}='{text}' är mindre än 1 MB, för lite för databasen {hint}")
    if size > MAX_MEMORY_BYTES:
        raise MatavlaError(f"{MEMORY_ENV}='{text}' är orimligt stort, mer än 1 PiB {hint}")
    return size


def parse_threads(text: str) -> int:
    """'2' → 2; MatavlaError naming MATAVLA_THREADS otherwise."""
    if not re.fullmatch(r"\s*[0-9]+\s*", text) or not 1 <= int(text) <= 1024:
        raise MatavlaError(
            f"{THREADS_ENV}='{text}' är inget antal trådar (tips: ett heltal från 1, t.ex. {THREADS_ENV}=2; "
            "utan inställningen används en tråd per kärna)"
        )
    return int(text)


def resources_from_env(environ: dict[str, str] | None = None) -> Resources:
    """The settings from the environment (or the defaults), validated."""
    env = os.environ if environ is None else environ
    memory_text = env.get(MEMORY_ENV, "").strip()
    threads_text = env.get(THREADS_ENV, "").strip()
    if memory_text:
        memory: int | None = parse_memory(memory_text)
    else:
        machine = machine_memory_bytes()
        memory = int(machine * DEFAULT_MEMORY_SHARE) if machine else None
    return Resources(memory, parse_threads(threads_text) if threads_text else None)


def audit_threads(resources: Resources | None = None) -> int:
    """How many of an audit's components compute solves at once: `MATAVLA_THREADS`, else one per
    core this process may run on. The published cells are the same for any number
    (`metrics.stats.audit.AuditBudget.charge`); only the time differs."""
    settings = resources_from_env() if resources is None else resources
    if settings.threads is not None:
        return settings.threads
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def apply_resources(
    con: duckdb.DuckDBPyConnection, database: Path | None, resources: Resources | None = None
) -> Resources:
    """Set the memory limit, threads and spill folder on a connection's database instance.

    Call before anything locks the configuration (the compute sandbox does). `database`: the
    database file, whose `<name>.tmp` is the spill folder (None: an in-memory database, DuckDB's
    default folder). Raises MatavlaError, in Swedish and naming the setting, for a bad value.
    """
    settings = resources_from_env() if resources is None else resources
    if settings.memory_bytes is not None:
        con.execute(f"SET memory_limit = '{settings.memory_bytes // 2**10}KiB'")
    if settings.threads is not None:
        con.execute(f"SET threads = {settings.threads}")
    if database is not None:
        con.execute("SET temp_directory = ?", [str(Path(database).with_name(Path(database).name + ".tmp"))])
    return settings


def read_only_config(resources: Resources | None = None) -> dict[str, str | bool | int | float | list[str]]:
    """The memory limit and threads as `duckdb.connect(..., config=...)` settings, for a reader.

    The dashboard opens the database read-only per request and cannot `SET` before DuckDB sizes
    its buffers, so it passes the limits at connect. Every connection of a process to one file
    must use the same settings (DuckDB refuses a second configuration for an open database), so
    all of the dashboard's readers go through this. Raises MatavlaError for a bad value.
    """
    settings = resources_from_env() if resources is None else resources
    config: dict[str, str | bool | int | float | list[str]] = {}
    if settings.memory_bytes is not None:
        config["memory_limit"] = f"{settings.memory_bytes // 2**10}KiB"
    if settings.threads is not None:
        config["threads"] = str(settings.threads)
    return config


@contextmanager
def unordered_inserts(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """`preserve_insertion_order = false` while importing, then back to what it was.

    The order of an extract table's rows means nothing (every query groups them, and the
    engine's queries end in ORDER BY ALL), and DuckDB inserts a large file with less memory when
    it need not keep the file's order. A connection whose configuration is locked (one that has
    computed, see `metrics.compute.sandbox`) is left as it is.
    """
    row = con.execute(
        "SELECT current_setting('lock_configuration'), current_setting('preserve_insertion_order')"
    ).fetchone()
    if row is None or row[0]:
        yield
        return
    con.execute("SET preserve_insertion_order = false")
    try:
        yield
    finally:
        con.execute(f"SET preserve_insertion_order = {'true' if row[1] else 'false'}")


def audit_seconds_override(environ: Mapping[str, str] | None = None) -> float | None:
    """`MATAVLA_AUDIT_SECONDS`: the LP audit's nominal seconds per indicator for this run,
    overriding `settings.publication.audit_seconds` (e.g. a quick compute, or the tests' small
    demo, whose largest LPs would otherwise spend the full budget before propagation takes over).
    Translated into simplex iterations at a fixed rate (`metrics.compute.audit_budget`), never
    measured on the clock. None: not set."""
    text = (os.environ if environ is None else environ).get(AUDIT_SECONDS_ENV, "").strip()
    if not text:
        return None
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise MatavlaError(
            f"{AUDIT_SECONDS_ENV}='{text}' är inget antal sekunder "
            f"(tips: t.ex. {AUDIT_SECONDS_ENV}=30, eller ta bort variabeln för katalogens värde)"
        )
    return value


def audit_iterations_override(name: str, environ: Mapping[str, str] | None = None) -> int | None:
    """`MATAVLA_AUDIT_ITERATIONS` or `MATAVLA_AUDIT_LAST_RUNG_ITERATIONS` (`name`): the LP audit's
    work budget in HiGHS simplex iterations for this run, overriding the catalogue's. None: not set.
    Spaces and _ between digit groups are allowed (`2 000 000`, `2_000_000`)."""
    text = (os.environ if environ is None else environ).get(name, "").strip()
    if not text:
        return None
    digits = text.replace(" ", "").replace("\u00a0", "").replace("_", "")
    if not (digits.isascii() and digits.isdigit()):  # "²" is a digit to str, not to int()
        raise MatavlaError(
            f"{name}='{text}' är inget antal simplexiterationer, ett heltal ≥ 0 "
            f"(tips: t.ex. {name}=2000000, eller ta bort variabeln för katalogens värde)"
        )
    return int(digits)
