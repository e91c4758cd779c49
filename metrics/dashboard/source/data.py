"""Read-only access to the aggregate tables, cached per process and per database version.

The dashboard reads `results`, `indicator_runs`, `meta`, `import_log` and the row numbers
and reasons of `rejected_rows`; from the extract tables it only ever asks COUNT, MIN and
MAX (for the Data page's coverage). Nothing person-level leaves the database.

Each process (gunicorn worker) keeps the last snapshot it read, keyed by the database
file's path, size and modification time (and its WAL's): a recomputed database is picked
up on the next request, and workers never share mutable state.
"""

from __future__ import annotations

import atexit
import gc
import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Generic, NamedTuple, TypeVar

import duckdb
import numpy as np
import pandas as pd

from metrics.compute.disclosure import AUDIT_META_KEY
from metrics.compute.publication import PUBLICATION_META_KEY
from metrics.dashboard.logic.format import is_missing
from metrics.dashboard.logic.publication_notes import NO_RULE, Publication
from metrics.dashboard.logic.rung_notes import rungs
from metrics.dashboard.source.connection import open_read_only
from metrics.dashboard.source.runinfo import NO_RUNS, RunInfo, read_run_info
from metrics.db import RESULT_COLUMNS
from metrics.errors import MatavlaError
from metrics.extracts.origins import ORIGIN
from metrics.extracts.schema import EXTRACTS, Extract
from metrics.geography import load_geography

log = logging.getLogger(__name__)

HOW_TO_LOAD = (
    "kör `matavla import` med era utdrag och sedan `matavla compute` (eller `matavla demo` för demodata)"
)


class DataUnavailable(MatavlaError):
    """The database cannot be read (missing, empty or busy); the message is for the user."""

    def __init__(self, kind: str, message: str, path: Path | None = None) -> None:
        self.kind = kind  # 'missing', 'empty', 'busy' or 'broken'
        self.path = path  # the database's path, for 'missing'
        super().__init__(message)


FileKey = tuple[str, int, int, int]


def file_key(path: Path) -> FileKey:
    """What identifies one version of the database file (and its write-ahead log)."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise DataUnavailable(
            "missing", f"Ingen databas hittades i {path}. Ingen data än – {HOW_TO_LOAD}.", path
        ) from None
    wal = path.with_name(path.name + ".wal")
    wal_mtime = wal.stat().st_mtime_ns if wal.exists() else 0
    return (str(path.resolve()), stat.st_mtime_ns, stat.st_size, wal_mtime)


def connect_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    try:
        return open_read_only(path)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise DataUnavailable(
                "busy",
                "Databasen uppdateras just nu (import eller beräkning pågår). Försök igen om en stund.",
            ) from exc
        # The engine's own words (English, e.g. "Is a directory") go to the log, not the page.
        log.warning("cannot open %s: %s", path, str(exc).splitlines()[0])
        raise DataUnavailable(
            "broken",
            f"Databasen {path} kunde inte öppnas: det är ingen läsbar DuckDB-databas (en mapp, en annan "
            "sorts fil eller en avbruten skrivning). Ange rätt fil i MATAVLA_DB (eller --db), eller "
            "skapa databasen på nytt med `matavla import` och `matavla compute`.",
        ) from exc


T = TypeVar("T")


class VersionCache(Generic[T]):
    """One value per database path (and build arguments), rebuilt when the file changes.

    Safe across threads. When the database is busy (a writer holds it), the last good
    value is served.
    """

    def __init__(self, build: Callable[..., T], carry: Callable[[T, T], None] | None = None) -> None:
        self._build = build
        self._carry = carry  # (new, previous): what a rebuilt value may keep of the one it replaces
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, tuple[object, ...]], tuple[FileKey, T]] = {}

    def get(self, path: Path, *args: object) -> T:
        key = file_key(path)
        slot = (key[0], args)
        entry = self._entries.get(slot)
        if entry is not None and entry[0] == key:
            return entry[1]
        with self._lock:
            entry = self._entries.get(slot)
            if entry is not None and entry[0] == key:
                return entry[1]
            try:
                value = self._build(path, *args)
            except DataUnavailable as exc:
                if exc.kind == "busy" and entry is not None:
                    log.warning("database busy; serving the previous snapshot of %s", path)
                    return entry[1]
                raise
            if entry is not None and self._carry is not None:
                self._carry(value, entry[1])
            self._entries[slot] = (key, value)
            return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


# --- results ---------------------------------------------------------------------------------------


class ResultRow(NamedTuple):
    """One area's total for one indicator and period, as plain Python values (None when missing)."""

    area_code: str
    area_level: str
    value: float | None
    ci_low: float | None
    ci_high: float | None
    numerator: float | None
    denominator: float | None
    suppressed: bool
    missing: bool = False  # no delivery covers this kommun × period: "saknas", not "för få"
    complete: bool = True  # every month of the period is covered
    data_through: date | None = None  # last day covered within the period
    # issue 12's verdict columns, filled by compute (None before or where they do not apply)
    std_value: float | None = None
    std_ci_low: float | None = None
    std_ci_high: float | None = None
    trend: str | None = None  # improving, worsening, increasing, decreasing, no_change, cannot_calculate
    compared_to: str | None = None
    comparison: str | None = None  # better, similar, worse, higher, lower, not_compared


@dataclass(frozen=True)
class LanResults:
    """One län's rows (its kommuner, the län itself and its area groups), split for the pages."""

    parts: Mapping[tuple[str, str], pd.DataFrame]  # (indicator, breakdown) → rows
    totals: Mapping[tuple[str, str], Mapping[str, ResultRow]]  # (indicator, period) → area → total


@dataclass(frozen=True)
class Snapshot:
    """Everything the indicator pages read, for one version of the database.

    What every page needs (the län, their kommuner and periods, the runs) is read at start with
    aggregate queries; a län's rows are read from the database the first time a page asks for
    that län, then kept, split by (indicator, breakdown), so a page reads a few hundred rows
    instead of filtering the whole table. A worker thus never holds the whole results table, and
    starts in the time of a few aggregate queries whatever the number of kommuner.
    """

    computed_at: str | None
    runs: pd.DataFrame
    lans: tuple[str, ...]
    result_rows: int = 0
    indicator_ids: frozenset[str] = frozenset()
    kommuner_by_lan: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    periods_by_lan: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    periods_by_indicator_lan: Mapping[tuple[str, str], list[str]] = field(default_factory=dict, repr=False)
    periods_by_indicator: Mapping[str, tuple[str, ...]] = field(default_factory=dict, repr=False)
    all_periods: tuple[str, ...] = ()
    run_info: RunInfo = field(default=NO_RUNS, repr=False)  # the run shown; stale indicators
    # periods in which some indicator's län value is not covered to the period's end
    partial_periods_by_lan: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # the publishing rule compute applied: which kommuner's months and breakdowns are withheld
    publication: Publication = NO_RULE
    # the publishing ladder: indicator → rung (1–4) for one published coarser for kommuner
    ladder: Mapping[str, int] = field(default_factory=dict)
    # reads one län's rows (from the database version this snapshot describes)
    load_lan: Callable[[str], LanResults] | None = field(default=None, repr=False, compare=False)
    # reads the national totals (riket, every län, the missing areas) of the same version
    load_national: Callable[[], pd.DataFrame] | None = field(default=None, repr=False, compare=False)
    _national: list[pd.DataFrame] = field(default_factory=list, repr=False, compare=False)
    _loaded: dict[str, LanResults] = field(default_factory=dict, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    # the thread reading every län's rows in the background, once started in this process
    _reader: list[threading.Thread] = field(default_factory=list, repr=False, compare=False)
    # the rows the previous version of the database had, by län, until this one has read its own:
    # shown for a län that cannot be read because a writer holds the file
    _previous: dict[str, LanResults] = field(default_factory=dict, repr=False, compare=False)

    @property
    def empty(self) -> bool:
        return self.result_rows == 0

    def lan_results(self, lan: str) -> LanResults:
        """The län's rows, read on first use and kept with the snapshot."""
        found = self._loaded.get(lan)
        if found is not None:
            return found
        with self._lock:
            found = self._loaded.get(lan)
            if found is None:
                known = lan in self.periods_by_lan
                try:
                    found = self.load_lan(lan) if known and self.load_lan is not None else _NO_RESULTS
                except DataUnavailable as exc:
                    previous = self._previous.get(lan)
                    if exc.kind != "busy" or previous is None:
                        raise
                    log.warning("database busy; serving the previous rows of län %s", lan)
                    return previous  # not kept: read again once the writer is done
                self._loaded[lan] = found
                self._previous.pop(lan, None)
                if gc.get_freeze_count():  # the server froze its start-up heap: keep these out too
                    gc.freeze()
            return found

    def has_rows(self, lan: str) -> bool:
        """Whether this version's own rows of the län are read (not the previous version's, served
        while a writer holds the database): what a view built from them may be kept for."""
        return lan in self._loaded

    def national_totals(self) -> pd.DataFrame:
        """Total rows of riket and of every län, and every missing area's: what the Riket page and
        the indicator page's national reference read (a few rows per indicator and period, read on
        first use and kept)."""
        if self._national:
            return self._national[0]
        with self._lock:
            if not self._national:
                self._national.append(self.load_national() if self.load_national is not None else _EMPTY)
            return self._national[0]

    def read_all_in_background(self) -> None:
        """Start reading every län's rows in a background thread (once per process).

        A page asks for one län, but a worker must have every län's rows before the next import
        or compute holds the database: a län first asked for while a writer holds the file could
        not be read, and the board would say "Databasen uppdateras" instead of showing the last
        numbers (issue 6). Start-up stays the time of the aggregate queries; the rows follow.
        """
        if self.load_lan is None:
            return
        with _READER_GUARD:
            if self._reader:
                return
            reader = threading.Thread(target=self._read_all, name=READER_THREAD, daemon=True)
            self._reader.append(reader)
        reader.start()

    def _read_all(self) -> None:
        for lan in sorted(self.periods_by_lan):
            try:
                self.lan_results(lan)
            except DataUnavailable as exc:  # a writer holds the file: pages read the rest on use
                log.info("reading the rows of län %s in the background stopped: %s", lan, exc.kind)
                return
            except Exception as exc:  # never let the reader's failure pass silently
                log.warning(
                    "reading the rows of län %s in the background failed: %s", lan, type(exc).__name__
                )
                return
        with self._lock:
            self._previous.clear()  # every län's own rows are read: the old ones can go

    def wait_until_read(self, timeout: float | None = None) -> None:
        """Wait for the background reader (if one runs) to finish."""
        for reader in list(self._reader):
            reader.join(timeout)

    def loaded_lans(self) -> tuple[str, ...]:
        """The län whose rows this process has read so far."""
        return tuple(sorted(self._loaded))

    def rows(self, indicator: str, lan: str, breakdown: str = "total") -> pd.DataFrame:
        """Rows of one indicator for a län's kommuner, the län itself and its area groups."""
        return self.lan_results(lan).parts.get((indicator, breakdown), _EMPTY)

    def period_rows(self, indicator: str, lan: str, period: str, breakdown: str = "total") -> pd.DataFrame:
        rows = self.rows(indicator, lan, breakdown)
        return rows[rows["period"] == period] if not rows.empty else rows

    def cells(self, indicator: str, lan: str, period: str) -> Mapping[str, ResultRow]:
        """The total of every area of the län (kommuner, the län, groups) for one period, by area code."""
        return self.lan_results(lan).totals.get((indicator, period), {})

    def periods_of(self, indicator: str, lan: str) -> list[str]:
        """Sorted period labels of one indicator's totals in one län (read at start, no scan)."""
        return self.periods_by_indicator_lan.get((indicator, lan), [])

    def periods(self, indicator: str | None = None, lan: str | None = None) -> list[str]:
        """Period labels with results (of one indicator and/or län, if given)."""
        if indicator is not None and lan is not None:
            frame = self.rows(indicator, lan)
            return sorted(frame["period"].unique().tolist()) if not frame.empty else []
        if indicator is None and lan is not None:
            return list(self.periods_by_lan.get(lan, ()))
        if indicator is not None:
            return list(self.periods_by_indicator.get(indicator, ()))
        return list(self.all_periods)

    def partial_periods(self, lan: str) -> frozenset[str]:
        """Periods the deliveries do not cover to their end for some indicator of the län."""
        return self.partial_periods_by_lan.get(lan, frozenset())

    def indicators(self) -> set[str]:
        return set(self.indicator_ids)

    def kommuner(self, lan: str) -> list[str]:
        """Kommun codes of the län that have any result, in code order."""
        return list(self.kommuner_by_lan.get(lan, ()))


_NO_RESULTS = LanResults({}, {})

READER_THREAD = "matavla-lan-reader"


def wait_for_background_readers(timeout: float | None = None) -> None:
    """Wait for every snapshot's background reader of this process to finish (tests: a reader
    left running holds a read-only connection to its database while the next test runs)."""
    for thread in threading.enumerate():
        if thread.name == READER_THREAD:
            thread.join(timeout)


# Guards starting a snapshot's background reader; replaced in a forked child (see `_after_fork`).
_READER_GUARD = threading.Lock()

# How long a process that ends waits for its background reader. A daemon thread still inside
# DuckDB when the interpreter finalises aborts the process ("terminate called after throwing an
# instance of ''", SIGABRT): a worker stopped right after it started, or a script that builds the
# app and ends. Reading every län takes seconds; after this the process ends as before.
READER_EXIT_WAIT_SECONDS = 30.0
atexit.register(wait_for_background_readers, READER_EXIT_WAIT_SECONDS)


_EMPTY = pd.DataFrame(columns=[*RESULT_COLUMNS, "lan"])


def _totals(results: pd.DataFrame) -> dict[tuple[str, str, str], dict[str, ResultRow]]:
    """Total rows as nested dicts, for the pages that look up one cell at a time."""
    totals = results[results["breakdown"] == "total"]

    def column(name: str) -> list[float | None]:
        values = totals[name].to_numpy(dtype=float, na_value=np.nan)
        return [None if v != v else float(v) for v in values]  # NaN != NaN

    nested: dict[tuple[str, str, str], dict[str, ResultRow]] = {}
    through = [None if pd.isna(d) else pd.Timestamp(d).date() for d in totals["data_through"].tolist()]

    def text(name: str) -> list[str | None]:
        return [None if is_missing(v) or v == "" else str(v) for v in totals[name].tolist()]

    verdicts = zip(
        column("std_value"),
        column("std_ci_low"),
        column("std_ci_high"),
        text("trend"),
        text("compared_to"),
        text("comparison"),
        strict=True,
    )
    for (
        ind,
        lan,
        period,
        code,
        level,
        value,
        low,
        high,
        num,
        den,
        suppressed,
        missing,
        complete,
        day,
        extra,
    ) in zip(
        totals["indicator"].tolist(),
        totals["lan"].tolist(),
        totals["period"].tolist(),
        totals["area_code"].tolist(),
        totals["area_level"].tolist(),
        column("value"),
        column("ci_low"),
        column("ci_high"),
        column("numerator"),
        column("denominator"),
        totals["suppressed"].tolist(),
        totals["missing"].tolist(),
        totals["complete"].tolist(),
        through,
        verdicts,
        strict=True,
    ):
        if lan is None:
            continue
        nested.setdefault((ind, lan, period), {})[code] = ResultRow(
            code,
            level,
            value,
            low,
            high,
            num,
            den,
            bool(suppressed),
            bool(missing),
            bool(complete),
            day,
            *extra,
        )
    return nested


def _table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ? AND table_schema = 'main'",
        [name],
    ).fetchone()
    return bool(row and row[0])


def _table_columns(con: duckdb.DuckDBPyConnection, name: str) -> frozenset[str]:
    """The columns of table `name` in the main schema; empty when there is no such table."""
    return frozenset(
        str(column)
        for (column,) in con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = ? AND table_schema = 'main'",
            [name],
        ).fetchall()
    )


def _area_lan_sql(group_lan: Mapping[str, str]) -> str:
    """A VALUES relation (kind, code, lan): each kommun's, län's and area group's län.

    `kind` is the row's area level for kommuner and län and 'group' for every other level.
    """
    geography = load_geography()
    rows = [("kommun", code, k.lan) for code, k in geography.kommuner.items()]
    rows += [("lan", code, code) for code in geography.lan]
    rows += [("group", code, lan) for code, lan in group_lan.items()]
    values = ", ".join(f"({_lit(kind)}, {_lit(code)}, {_lit(lan)})" for kind, code, lan in rows)
    return f"(SELECT * FROM (VALUES {values}) AS v(kind, code, lan))"


def _lit(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


_KIND = "CASE WHEN r.area_level IN ('kommun', 'lan') THEN r.area_level ELSE 'group' END"
# the results with each row's län (rows of an area no län claims are left out, as the pages do)
_WITH_LAN = (
    "(SELECT r.*, m.lan FROM results AS r JOIN {area_lan} AS m ON m.kind = {kind} AND m.code = r.area_code)"
)


def _lists(con: duckdb.DuckDBPyConnection, sql: str) -> dict[object, tuple[str, ...]]:
    return {key: tuple(str(v) for v in values) for key, values in con.execute(sql).fetchall()}


def _read_lan(path: Path, area_lan: str, lan: str) -> LanResults:
    """One län's rows, split by (indicator, breakdown), and its totals as plain rows."""
    con = connect_read_only(path)
    try:
        columns = ", ".join(f"r.{c}" for c in RESULT_COLUMNS)
        results = con.execute(
            f"SELECT {columns}, m.lan FROM results AS r JOIN {area_lan} AS m "
            f"ON m.kind = {_KIND} AND m.code = r.area_code WHERE m.lan = ?",
            [lan],
        ).df()
    finally:
        con.close()
    for column in (
        "indicator",
        "area_code",
        "area_level",
        "period",
        "period_type",
        "breakdown",
        "sex",
        "age_band",
        "lan",
    ):
        results[column] = results[column].astype(object)
    results["suppressed"] = results["suppressed"].fillna(False).astype(bool)
    results["missing"] = results["missing"].fillna(False).astype(bool)
    results["complete"] = results["complete"].fillna(True).astype(bool)
    parts = {
        (str(ind), str(bd)): frame.sort_values(["area_level", "area_code", "period"], ignore_index=True)
        for (ind, bd), frame in results.groupby(["indicator", "breakdown"], sort=False)
    }
    totals = {(ind, period): cells for (ind, _lan, period), cells in _totals(results).items()}
    return LanResults(parts, totals)


def _read_national(path: Path) -> pd.DataFrame:
    """Riket's and the län's total rows, and the missing areas' (`Snapshot.national_totals`)."""
    con = connect_read_only(path)
    try:
        frame = con.execute(
            f"SELECT {', '.join(RESULT_COLUMNS)} FROM results WHERE breakdown = 'total' "
            "AND (area_level IN ('riket', 'lan') OR coalesce(missing, false))"
        ).df()
    finally:
        con.close()
    for column in ("indicator", "area_code", "area_level", "period", "period_type", "breakdown"):
        frame[column] = frame[column].astype(object)
    frame["suppressed"] = frame["suppressed"].fillna(False).astype(bool)
    frame["missing"] = frame["missing"].fillna(False).astype(bool)
    return frame


def read_snapshot(path: Path, group_lan: Mapping[str, str] | None = None) -> Snapshot:
    """What every page needs, by aggregate queries; each län's rows are read when first asked for
    (uncached; see `snapshot`)."""
    area_lan = _area_lan_sql(group_lan or {})
    with_lan = _WITH_LAN.format(area_lan=area_lan, kind=_KIND)
    con = connect_read_only(path)
    try:
        if not _table_exists(con, "results"):
            raise DataUnavailable("empty", f"Databasen har inga resultat än – {HOW_TO_LOAD}.")
        runs = (
            con.execute(
                "SELECT indicator, status, message, rows, seconds, computed_at FROM indicator_runs "
                "ORDER BY indicator"
            ).df()
            if _table_exists(con, "indicator_runs")
            else pd.DataFrame(columns=["indicator", "status", "message", "rows", "seconds", "computed_at"])
        )
        computed = None
        publication = NO_RULE
        ladder: dict[str, int] = {}
        if _table_exists(con, "meta"):
            row = con.execute("SELECT value FROM meta WHERE key = 'computed_at'").fetchone()
            computed = None if row is None else str(row[0])
            rule = con.execute("SELECT value FROM meta WHERE key = ?", [PUBLICATION_META_KEY]).fetchone()
            publication = Publication.from_json(None if rule is None else str(rule[0]))
            audit = con.execute("SELECT value FROM meta WHERE key = ?", [AUDIT_META_KEY]).fetchone()
            ladder = rungs(None if audit is None else str(audit[0]))
        run_info = read_run_info(con)
        count = con.execute("SELECT count(*) FROM results").fetchone()
        result_rows = int(count[0]) if count else 0
        lans = tuple(
            str(code)
            for (code,) in con.execute(
                "SELECT DISTINCT area_code FROM results WHERE area_level = 'lan' ORDER BY area_code"
            ).fetchall()
        )
        indicator_ids = frozenset(
            str(i) for (i,) in con.execute("SELECT DISTINCT indicator FROM results").fetchall()
        )
        all_periods = tuple(
            str(p) for (p,) in con.execute("SELECT DISTINCT period FROM results ORDER BY period").fetchall()
        )
        periods_by_indicator = _lists(
            con, "SELECT indicator, list(DISTINCT period ORDER BY period) FROM results GROUP BY indicator"
        )
        kommuner_by_lan = _lists(
            con,
            f"SELECT lan, list(DISTINCT area_code ORDER BY area_code) FROM {with_lan} "
            "WHERE area_level = 'kommun' GROUP BY lan",
        )
        periods_by_lan = _lists(
            con, f"SELECT lan, list(DISTINCT period ORDER BY period) FROM {with_lan} GROUP BY lan"
        )
        by_indicator_lan = con.execute(
            f"SELECT indicator, lan, list(DISTINCT period ORDER BY period) FROM {with_lan} "
            "WHERE breakdown = 'total' GROUP BY indicator, lan"
        ).fetchall()
        # The board opens on the latest period whose data reach its end. A period that is
        # incomplete only because an indicator's outcomes come later (follow_up_days:
        # readmissions) does not hold the whole board back; that indicator itself still says
        # its period is incomplete.
        months = "CASE period_type WHEN 'year' THEN 12 WHEN 'quarter' THEN 3 ELSE 1 END"
        partial = _lists(
            con,
            f"SELECT lan, list(DISTINCT period ORDER BY period) FROM {with_lan} "
            "WHERE area_level = 'lan' AND breakdown = 'total' AND NOT coalesce(complete, true) "
            f"AND NOT coalesce(data_through >= CAST(period_start AS DATE) + to_months({months}) "
            "- INTERVAL 1 DAY, false) GROUP BY lan",
        )
    finally:
        con.close()
    return Snapshot(
        computed_at=computed,
        runs=runs,
        lans=lans,
        result_rows=result_rows,
        indicator_ids=indicator_ids,
        kommuner_by_lan={str(k): v for k, v in kommuner_by_lan.items()},
        periods_by_lan={str(k): v for k, v in periods_by_lan.items()},
        periods_by_indicator_lan={
            (str(ind), str(lan)): [str(p) for p in periods] for ind, lan, periods in by_indicator_lan
        },
        periods_by_indicator={str(k): v for k, v in periods_by_indicator.items()},
        all_periods=all_periods,
        run_info=run_info,
        partial_periods_by_lan={str(k): frozenset(v) for k, v in partial.items()},
        publication=publication,
        ladder=ladder,
        load_lan=lambda lan: _read_lan(path, area_lan, lan),
        load_national=lambda: _read_national(path),
    )


def _read_snapshot(path: Path, group_lan: tuple[tuple[str, str], ...]) -> Snapshot:
    return read_snapshot(path, dict(group_lan))


def _keep_previous_rows(new: Snapshot, previous: Snapshot) -> None:
    """A rebuilt snapshot keeps the rows its predecessor had read, until it has read its own."""
    new._previous.update(previous._previous)
    new._previous.update(previous._loaded)


_snapshots: VersionCache[Snapshot] = VersionCache(_read_snapshot, carry=_keep_previous_rows)


def snapshot(path: Path, group_lan: Mapping[str, str] | None = None) -> Snapshot:
    """The cached snapshot of the database at `path` (rebuilt when the file changes).

    `group_lan` maps area-group ids (from the catalogue) to their län.
    """
    found = _snapshots.get(path, tuple(sorted((group_lan or {}).items())))
    found.read_all_in_background()
    return found


def _after_fork() -> None:
    """In a forked worker (`gunicorn --preload`): locks another thread of the parent held at the
    fork would stay held forever, and the parent's background reader did not come along. Give
    every cache and snapshot new locks, and let the child start its own reader on first use."""
    global _READER_GUARD
    _READER_GUARD = threading.Lock()
    for cache in (_snapshots, _coverage):
        cache._lock = threading.Lock()
    for _key, snap in list(_snapshots._entries.values()):
        object.__setattr__(snap, "_lock", threading.Lock())
        snap._reader.clear()


# --- the Data page -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    extracts: pd.DataFrame  # extract, title, rows, first, last, kommuner, last_import
    import_log: pd.DataFrame
    rejected: pd.DataFrame  # file, extract, reason, rows, row_numbers (text)
    runs: pd.DataFrame
    computed_at: str | None
    result_rows: int
    run_info: RunInfo = NO_RUNS


ROW_NUMBERS_SHOWN = 12


def _row_numbers(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:ROW_NUMBERS_SHOWN])
    more = len(numbers) - ROW_NUMBERS_SHOWN
    return f"{shown} … (+{more})" if more > 0 else shown


def read_coverage(path: Path, declared: tuple[Extract, ...] = ()) -> Coverage:
    """Counts, date ranges and logs for the Data page: aggregates only, never row values.

    The extracts counted are the contract's and `declared`, the catalogue's own (`extracts:`)."""
    con = connect_read_only(path)
    try:
        rows = []
        last_imports: dict[str, object] = {}
        if _table_exists(con, "import_log"):
            for extract, imported in con.execute(
                "SELECT extract, max(imported_at) FROM import_log GROUP BY extract"
            ).fetchall():
                last_imports[extract] = imported
        for extract in (*EXTRACTS.values(), *(e for e in declared if e.name not in EXTRACTS)):
            name = extract.name
            # the table's own columns: a declaration edited since the last import or compute may
            # name a column the table lacks, and a declared name may be a table that is no extract
            columns = _table_columns(con, name)
            if not columns or (name not in EXTRACTS and ORIGIN not in columns):
                rows.append((name, extract.title, 0, None, None, 0, last_imports.get(name)))
                continue
            date = (
                f'min("{extract.date_column}"), max("{extract.date_column}")'
                if extract.date_column and extract.date_column in columns
                else "NULL, NULL"
            )
            kommuner = 'count(DISTINCT "kommun")' if "kommun" in columns else "NULL"
            count, first, last, n_kommuner = con.execute(
                f'SELECT count(*), {date}, {kommuner} FROM "{name}"'
            ).fetchone()  # type: ignore[misc]
            rows.append((name, extract.title, count, first, last, n_kommuner, last_imports.get(name)))
        extracts = pd.DataFrame(
            rows, columns=["extract", "title", "rows", "first", "last", "kommuner", "last_import"]
        )

        import_log = (
            con.execute(
                "SELECT import_id, file, extract, source, status, rows_read, rows_accepted, rows_rejected, "
                "rows_replaced, notes, imported_at, seconds FROM import_log ORDER BY imported_at "
                "DESC, import_id DESC"
            ).df()
            if _table_exists(con, "import_log")
            else pd.DataFrame()
        )
        if _table_exists(con, "rejected_rows"):
            # Only the reason and the row numbers: the raw values stay in the database.
            grouped = con.execute(
                "SELECT file, extract, reason, count(*) AS rows, list(row_number ORDER BY row_number) "
                "AS numbers "
                "FROM rejected_rows GROUP BY file, extract, reason ORDER BY file, rows DESC, reason"
            ).fetchall()
            rejected = pd.DataFrame(
                [(f, e, r, n, _row_numbers(list(nums))) for f, e, r, n, nums in grouped],
                columns=["file", "extract", "reason", "rows", "row_numbers"],
            )
        else:
            rejected = pd.DataFrame(columns=["file", "extract", "reason", "rows", "row_numbers"])
        runs = (
            con.execute(
                "SELECT indicator, status, message, rows, seconds, computed_at FROM indicator_runs "
                "ORDER BY status = 'ok', status <> 'error', indicator"
            ).df()
            if _table_exists(con, "indicator_runs")
            else pd.DataFrame(columns=["indicator", "status", "message", "rows", "seconds", "computed_at"])
        )
        computed = None
        result_rows = 0
        if _table_exists(con, "meta"):
            row = con.execute("SELECT value FROM meta WHERE key = 'computed_at'").fetchone()
            computed = None if row is None else str(row[0])
        if _table_exists(con, "results"):
            result_rows = int(con.execute("SELECT count(*) FROM results").fetchone()[0])  # type: ignore[index]
        run_info = read_run_info(con)
    finally:
        con.close()
    runs["message"] = [
        _safe_message(i, s, m, run_info)
        for i, s, m in runs[["indicator", "status", "message"]].itertuples(index=False)
    ]
    return Coverage(extracts, import_log, rejected, runs, computed, result_rows, run_info)


OLD_ERROR_TEXT = (
    "felet registrerades av en äldre version av Mätavla och visas inte; kör `matavla compute` igen"
)


def _safe_message(indicator: str, status: str, message: object, run_info: RunInfo) -> object:
    """A failure's text as compute recorded it with its run; never one stored before runs.

    Before runs, compute stored the database error's own first line, which can quote a
    person-level value ('Could not convert string …'); such a text stays hidden until recomputed.
    """
    state = run_info.of(indicator)
    if state is not None:
        return state.message
    return OLD_ERROR_TEXT if status != "ok" and message else message


_coverage: VersionCache[Coverage] = VersionCache(read_coverage)


def coverage(path: Path, declared: tuple[Extract, ...] = ()) -> Coverage:
    return _coverage.get(path, declared)


# How long a fork waits for this process's background readers; a reader still running after it is
# left to the child's hang check (`wait_until_read`) rather than blocking the server's start for ever.
FORK_WAIT_SECONDS = 300.0


def _before_fork() -> None:
    """Before a fork (`gunicorn --preload` starting its workers): let the background readers finish.

    A reader inside a DuckDB query at the fork leaves DuckDB's locks held in the child, whose first
    read then never returns – a worker hung for ever in 1 start out of 3 (seen under gunicorn). Once
    the readers are done the workers also inherit every län's rows instead of reading them again.
    """
    wait_for_background_readers(FORK_WAIT_SECONDS)


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(before=_before_fork, after_in_child=_after_fork)
