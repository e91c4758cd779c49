"""Import extract files into the database: read, check, normalise, replace by key, log.

One file is one transaction: either every accepted row, the rejected rows and the
`import_log` row are written, or (on an `ExtractError` or any other failure)
nothing is. A file whose bytes were already imported for the same extract is
not read again: it gets an `import_log` row with status 'unchanged' and nothing else.

A file is read and checked in pieces (`readers.read_chunks`), all in the file's one transaction:
each piece is checked for personnummer, typed and validated in SQL, and its accepted rows are
inserted straight into the extract's table (no staging table copied at the end); a small table of
its rejected rows are stored as read. Only what needs the whole file is
done after the last piece: duplicate keys (a second read of the file fetches the rows that repeat
a key, when there are any), replacing the stored rows by key, coverage and the log. Memory is
then that of one piece, whatever the file's size: the pieces are never registered with DuckDB
(see `_Piece`), and what grows, the tables, DuckDB spills to disk beyond its memory limit.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from metrics import wording
from metrics.errors import ExtractError, MatavlaError
from metrics.extracts import failures
from metrics.extracts.coverage import Covers, forget_coverage_of_same_bytes, record_coverage
from metrics.extracts.declared_tables import ensure_declared_table
from metrics.extracts.normalise import (
    ColumnMap,
    empty_rows,
    ident,
    known_kommuner,
    lit,
    match_columns,
    repeated_keys_sql,
    repeated_rows_sql,
    staging_sql,
    trim_table,
)
from metrics.extracts.options import ImportOptions
from metrics.extracts.origins import ORIGIN, key_ranges, replaced_origins, winner_note, within_ranges
from metrics.extracts.personnummer import (
    ascii_personnummer_sql,
    contains_personnummer,
    embedded_candidate_sql,
    long_enough_sql,
    looks_like_personnummer,
    mentions_personnummer,
    unicode_candidate_sql,
)
from metrics.extracts.prefetch import Prefetched
from metrics.extracts.readers import (
    ROW,
    SUFFIXES,
    InvalidRow,
    RawTable,
    file_blocks,
    read_chunks,
    require_supported,
)
from metrics.extracts.schema import EXTRACTS, Extract, extract_for_filename
from metrics.resources import parse_memory, unordered_inserts

RAW = "_matavla_import_raw"  # the piece as read, and trimmed: local names in `_Piece.run`
TRIMMED = "_matavla_import_trimmed"
KOMMUNER = "_matavla_import_kommuner"
KEY_ROWS = "_matavla_import_key_rows"
REASONS = "_matavla_import_reasons"
REPEATED = "_matavla_import_repeated"
REPEATED_KEYS = "_matavla_import_repeated_keys"
REJECTED = "_matavla_import_rejected"
INVALID = "_matavla_import_invalid_lines"
SAMPLE_SIZE = 20
KEY_HASH = "hash({})"  # of a file's keys, to tell cheaply that none repeats (see `_repeated_keys`)

UNWRITTEN_NOTE = (
    "raderna är sparade i databasens logg (.wal) men kunde inte skrivas in i databasfilen nu; "
    "det görs när databasen öppnas nästa gång (kontrollera att disken har plats)"
)
IMPORT_MEMORY_BYTES = 10**9  # DuckDB's memory while importing, at most (see `import_memory`)

Progress = Callable[[str], None]


@contextmanager
def import_memory(con: duckdb.DuckDBPyConnection, cap: int | None = None) -> Iterator[None]:
    """DuckDB's memory limit lowered to `cap` (default `IMPORT_MEMORY_BYTES`) while importing,
    when it is higher (MATAVLA_MEMORY_LIMIT, or half the machine), then back to what it was.

    An import holds one piece of the file at a time; what grows with the file is the staging
    table and the extract table, which DuckDB spills to `<database>.tmp` beyond its limit. Without
    the cap it would keep them in memory up to the limit, so the process's peak would grow with the
    file up to half the machine. A connection whose configuration is locked is left as it is.
    """
    cap = IMPORT_MEMORY_BYTES if cap is None else cap
    (row,) = con.execute(
        "SELECT current_setting('lock_configuration'), current_setting('memory_limit')"
    ).fetchall()
    try:
        # DuckDB shows its limit to a tenth of a unit ('11.6 GiB'), rounded down: half a tenth more
        # restores it to within that tenth, and the same each time (no drift over many imports)
        shown = str(row[1])
        before = parse_memory(shown) + parse_memory("1" + shown.lstrip("0123456789., ")) // 20
    except MatavlaError:
        before = None
    if row[0] or before is None or before <= cap:
        yield
        return
    con.execute(f"SET memory_limit = '{cap // 2**10}KiB'")
    try:
        yield
    finally:
        con.execute(f"SET memory_limit = '{before // 2**10}KiB'")


@dataclass
class ImportReport:
    file: str
    extract: str | None
    status: str  # 'ok', 'unchanged' or 'failed'
    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    rows_replaced: int = 0
    notes: list[str] = field(default_factory=list)  # Swedish
    error: str | None = None  # Swedish message of the ExtractError when failed
    rejected_sample: list[tuple[int, str]] = field(default_factory=list)  # (row number, reason)
    seconds: float = 0.0
    coverage: str = ""  # Swedish: which kommuner and months the file covers (table `coverage`)


def import_paths(
    con: duckdb.DuckDBPyConnection,
    paths: Sequence[str | Path],
    *,
    source: str | None = None,
    progress: Progress | None = None,
    covers: Covers | None = None,
    options: ImportOptions | None = None,
) -> list[ImportReport]:
    """Import files and folders (recursively) in order; a failed file does not stop the others."""
    # a table's row order means nothing, and costs memory to keep
    written = True
    try:
        with unordered_inserts(con), import_memory(con):
            reports = _import_paths(
                con, paths, source=source, progress=progress, covers=covers, options=options
            )
            stored = [report for report in reports if report.status == "ok"]
            if stored and _has_file(con):
                (progress or (lambda _message: None))("skriver de importerade raderna till databasfilen …")
                written = checkpoint(con)
    except duckdb.FatalException:
        if written:
            raise
        # A failed checkpoint (a full disk) leaves this connection unusable, so the settings above
        # could not be given back: nothing is lost, the next connection starts from the defaults.
    if not written:
        stored[-1].notes.append(UNWRITTEN_NOTE)
    return reports


def _has_file(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the connection's database is a file (an in-memory one has nothing to write)."""
    query = "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    return _one(con, query)[0] is not None


def checkpoint(con: duckdb.DuckDBPyConnection) -> bool:
    """Write what the imports committed into the database file now, under the import's memory cap;
    False when DuckDB could not (a full disk, for one).

    Otherwise DuckDB does it when the connection closes, after the cap is lifted: at national
    size (×20: two years of contacts and listings, 140 M rows) that took the process from 1.6 to
    2.0–2.1 GB, the import's peak. The rows are committed either way (in the database's log, the
    `.wal` file, until they are written), so a failure here fails no file: as at a close, DuckDB
    writes them the next time the database is opened. A connection inside a transaction of its
    own is refused by DuckDB; its rows are then written when it closes, as before.
    """
    try:
        con.execute("CHECKPOINT")
    except duckdb.TransactionException:
        return True
    except duckdb.Error:
        return False
    return True


def _import_paths(
    con: duckdb.DuckDBPyConnection,
    paths: Sequence[str | Path],
    *,
    source: str | None,
    progress: Progress | None,
    covers: Covers | None,
    options: ImportOptions | None,
) -> list[ImportReport]:
    reports = []
    for path in paths:
        path = Path(path)
        files = list(files_in(path)) if path.is_dir() else [path]
        if not files:
            reports.append(
                ImportReport(
                    path.name,
                    None,
                    "failed",
                    error=f"{path.name}: mappen innehåller inga filer att importera "
                    f"(tips: filerna ska sluta på {', '.join(SUFFIXES)})",
                )
            )
        for file in files:
            started = time.perf_counter()
            try:
                try:
                    reports.append(
                        import_file(
                            con, file, source=source, progress=progress, covers=covers, options=options
                        )
                    )
                except ExtractError:
                    raise
                except Exception as exc:  # anything else fails this file only, never the folder
                    raise failures.unexpected(file.name, exc, _size(file)) from exc
            except ExtractError as exc:
                reports.append(
                    ImportReport(
                        shown_name(file),
                        _extract_name_or_none(file, source, options.declared if options else ()),
                        "failed",
                        error=str(exc),
                        seconds=time.perf_counter() - started,
                    )
                )
    return reports


def files_in(folder: Path) -> Iterator[Path]:
    """The importable files below `folder`, sorted; hidden files and Excel lock files skipped."""
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix.lower() in SUFFIXES and not path.name.startswith((".", "~$")):
            yield path


def import_file(
    con: duckdb.DuckDBPyConnection,
    path: str | Path,
    *,
    source: str | None = None,
    progress: Progress | None = None,
    covers: Covers | None = None,
    options: ImportOptions | None = None,
) -> ImportReport:
    """Import one file; raises `ExtractError` (database unchanged) when the whole file is refused."""
    options = options or ImportOptions()
    started = time.perf_counter()
    path = Path(path)
    say = progress or (lambda _message: None)
    if contains_personnummer(path.name):
        raise ExtractError(
            HIDDEN_NAME, f"filnamnet innehåller {_LOOKS}; filen lästes inte", hint="döp om filen"
        )
    extract = resolve_extract(path, source, options.declared)
    source = None if source is None else extract.name  # logged as the extract's own spelling
    require_supported(path.name, path.suffix)

    stamp = _stamp(path)
    if stamp is None:
        raise ExtractError(path.name, "filen finns inte", hint=f"kontrollera sökvägen {path}")
    size = stamp[0]
    say(f"{path.name}: läser {_megabytes(size)} …")
    stop = threading.Event()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256") as hashing:
        content_hash = hashing.submit(file_hash, path, stop)
        # The hash (for the log and the next import's check) is taken on its own thread while
        # the file is imported (hashlib lets go of the GIL): before it, it was 2–3 % of a large
        # import. It is waited for first only when an earlier file of the extract has this size
        # (or an unknown one): a file of another size cannot be one imported before.
        if _imported_before(con, extract.name, size):
            previous = _previous_import(con, extract.name, content_hash.result())
            if previous is not None and not options.replace:
                return _log_unchanged(
                    con, path.name, extract, source, content_hash.result(), size, previous, started
                )
        try:
            report = _import_file(
                con, path, extract, source, content_hash, stamp, say, started, covers, options
            )
        except BaseException:
            stop.set()  # a failed import does not wait for the rest of the file's hash
            raise
    accepted, rejected = wording.rows(report.rows_accepted), wording.thousands(report.rows_rejected)
    say(f"{path.name}: klart, importerade {accepted}, avvisade {rejected}")
    return report


def _import_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    extract: Extract,
    source: str | None,
    content_hash: Future[str],
    stamp: tuple[int, int],
    say: Progress,
    started: float,
    covers: Covers | None,
    options: ImportOptions,
) -> ImportReport:
    con.register(KOMMUNER, pa.table({"code": known_kommuner()}))
    try:
        # One transaction for the whole file: a failure anywhere (a personnummer in the last
        # piece, a broken line, the disk) leaves the database as it was.
        with _transaction(con, path.name):
            if extract.name not in EXTRACTS:  # declared in the catalogue: its table is made here
                ensure_declared_table(con, extract, path.name)
            return _import_pieces(
                con, path, extract, source, content_hash, stamp, say, started, covers or Covers(), options
            )
    finally:
        con.unregister(KOMMUNER)
        for table in _WORK_TABLES:
            con.execute(f"DROP TABLE IF EXISTS {table}")


def file_hash(path: Path, stop: threading.Event | None = None) -> str:
    """SHA-256 of the file's bytes, read in blocks; `stop` set: given up (CancelledError)."""
    digest = hashlib.sha256()
    for block in file_blocks(path):
        if stop is not None and stop.is_set():
            raise CancelledError
        digest.update(block)
    return digest.hexdigest()


def resolve_extract(path: Path, source: str | None, declared: tuple[Extract, ...] = ()) -> Extract:
    known = {**EXTRACTS, **{e.name: e for e in declared}}
    # an extract of one's own is only known from the catalogue, which may not be the one read
    names = ", ".join(known) + "; egna utdrag deklareras under extracts: i katalogen (--catalog)"
    if source is not None:
        extract = known.get(source.strip().lower())
        if extract is None:
            hidden = looks_like_personnummer(source) or contains_personnummer(source)
            shown = "(namnet visas inte: det ser ut som ett personnummer)" if hidden else f"'{source}'"
            raise ExtractError(path.name, f"okänt utdrag {shown}", hint=f"välj ett av: {names}")
        return extract
    extract = extract_for_filename(path.stem, known)
    if extract is None:
        raise ExtractError(
            path.name,
            "kan inte avgöra vilket utdrag filen innehåller",
            hint="låt filnamnet börja med utdragets namn (t.ex. contacts_2024.csv) eller ange "
            f"--source NAMN; utdragen heter {names}",
        )
    return extract


def _extract_name_or_none(path: Path, source: str | None, declared: tuple[Extract, ...] = ()) -> str | None:
    try:
        return resolve_extract(path, source, declared).name
    except ExtractError:
        return None


@contextmanager
def _transaction(con: duckdb.DuckDBPyConnection, file: str) -> Iterator[None]:
    con.begin()
    try:
        with _database_errors(file):
            yield
    except BaseException:
        con.rollback()
        raise
    con.commit()


@contextmanager
def _database_errors(file: str) -> Iterator[None]:
    """A database error as an `ExtractError` that names only its kind."""
    try:
        yield
    except duckdb.Error as exc:
        if failures.is_out_of_memory(exc):
            raise failures.out_of_memory(file, None) from exc
        # DuckDB's message may quote a value from the file, so only its kind is shown.
        raise ExtractError(
            file,
            f"databasfel ({type(exc).__name__}); inget importerades",
            hint="försök igen eller rapportera felet",
        ) from exc


@dataclass
class _Read:
    """What the pieces of a file add up to."""

    rows: int = 0  # rows parsed, empty ones included
    invalid: int = 0  # lines that could not be split into the header's fields
    kept: int = 0  # rows not empty
    rejected: int = 0  # rows not empty and rejected by a reason (not yet a repeated key)
    kommun_from: Counter[str] = field(default_factory=Counter)  # three-digit kommun code → rows


class _Piece:
    """One piece of the file, as read (`RAW`) and trimmed (`TRIMMED`), for the statements that read it.

    The piece is not registered with DuckDB (`con.register`): within a transaction DuckDB keeps
    every table registered in it, unregistered or not, until the commit, so the file's one
    transaction would hold every piece. `run` lets DuckDB's replacement scan find the piece
    instead: the names are local variables of `run`, the frame that executes the statement.
    """

    def __init__(
        self, con: duckdb.DuckDBPyConnection, raw: pa.Table, trimmed: pa.Table | None = None
    ) -> None:
        self.con = con
        self.raw = raw
        self.trimmed = trim_table(raw) if trimmed is None else trimmed
        # A connection that has run catalogue SQL has external access off (`metrics.compute.
        # sandbox`), and with it DuckDB's replacement scans: there the pieces are registered,
        # at the cost of the transaction holding them all until its commit.
        (row,) = con.execute("SELECT current_setting('enable_external_access')").fetchall()
        self.scans = bool(row[0])

    def run(self, sql: str) -> list[tuple]:
        if not self.scans:
            self.con.register(RAW, self.raw)
            self.con.register(TRIMMED, self.trimmed)
            try:
                return self.con.execute(sql).fetchall()
            finally:
                self.con.unregister(RAW)
                self.con.unregister(TRIMMED)
        # read by the statement (see the class docstring); named as RAW and TRIMMED
        _matavla_import_raw = self.raw
        _matavla_import_trimmed = self.trimmed
        return self.con.execute(sql).fetchall()


_WORK_TABLES = (REASONS, REPEATED, REPEATED_KEYS, KEY_ROWS, REJECTED)


def _import_pieces(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    extract: Extract,
    source: str | None,
    content_hash: Future[str],
    stamp: tuple[int, int],
    say: Progress,
    started: float,
    covers: Covers,
    options: ImportOptions,
) -> ImportReport:
    """Read, check and insert the file piece by piece, then do what needs the whole file; runs
    inside the file's transaction. `content_hash`: the file's SHA-256, perhaps still being taken;
    `stamp`: the file's size and modification time when the import began."""
    file = path.name
    table = ident(extract.name)
    import_id = int(_one(con, "SELECT coalesce(max(import_id), 0) + 1 FROM import_log")[0])
    stored_before = int(_one(con, f"SELECT count(*) FROM {table}")[0])
    con.execute(f"CREATE TEMP TABLE {REJECTED} (row_number BIGINT, reason VARCHAR, raw VARCHAR)")
    con.execute(f"CREATE TEMP TABLE {REASONS} ({ROW} BIGINT, _reason VARCHAR)")
    pieces = read_chunks(path, options.sheet)
    read = _Read()
    columns: ColumnMap | None = None
    # The next piece is parsed, trimmed and checked on a thread of its own, on a cursor of its own,
    # while this one is inserted (see `Prefetched` and `_checked_pieces`).
    checker = con.cursor()
    try:
        with Prefetched(_checked_pieces(checker, file, extract, pieces)) as ahead:
            for checked in ahead:
                raw = checked.raw
                if columns is None:
                    say(f"{file}: kontrollerar {wording.rows(raw.num_rows)} …")
                else:
                    say(f"{file}: kontrollerar {wording.rows(raw.num_rows)} till …")
                columns = checked.columns
                _insert_piece(con, file, extract, checked, options, import_id, read)
                read.rows += raw.num_rows
                read.invalid += len(raw.invalid_rows)
                del raw, checked  # before the next piece is taken: two pieces at most are held
    finally:
        checker.close()
    assert columns is not None  # the first piece is always read: it holds the header
    repeated = 0
    if _repeated_keys(con, extract, import_id):
        pieces_again = read_chunks(path, options.sheet)
        repeated = _replace_repeated(con, file, extract, pieces_again, columns, options, import_id)

    staged_rows, rejected = read.kept, read.rejected + repeated
    accepted = staged_rows - rejected
    say(f"{file}: sparar {wording.rows(accepted)} …")
    con.execute(
        f"INSERT INTO rejected_rows SELECT ?, ?, ?, row_number, reason, raw FROM {REJECTED} "
        "ORDER BY row_number",
        [import_id, file, extract.name],
    )
    replaced, origins = _replace_by_key(con, extract, import_id, stored_before)
    digest = content_hash.result()
    if _stamp(path) != stamp:
        # The rows and the hash must be of the same bytes: the hash is what the next import
        # compares to skip a file as already imported (and the pieces of a file being written
        # are not one delivery).
        raise ExtractError(
            file,
            "filen ändrades medan den importerades; inget sparades",
            hint="vänta tills filen är färdigskriven och importera den igen",
        )
    forget_coverage_of_same_bytes(con, extract, digest)
    # the file's accepted rows: those of the extract's table that this import wrote
    inserted = f"(SELECT * FROM {table} WHERE {ORIGIN} = {import_id})"
    covered = record_coverage(con, import_id, extract, inserted, covers, accepted="TRUE")

    notes = [*pieces.notes, *columns.notes, *_kommun_notes(read.kommun_from)]
    if (won := winner_note(con, origins)) is not None:
        notes.append(won)
    empty_rows = read.rows - staged_rows
    if empty_rows:
        notes.append(
            f"{wording.thousands(empty_rows)} {'tom rad' if empty_rows == 1 else 'tomma rader'} hoppades över"
        )
    rows_read = staged_rows + read.invalid
    rows_rejected = rejected + read.invalid
    if rows_read == 0:
        notes.append("filen innehåller inga rader")
    elif rows_rejected == rows_read:
        notes.append(
            "alla rader avvisades; kontrollera att filen är rätt utdrag och se skälen i rejected_rows"
        )

    report = ImportReport(
        file=file,
        extract=extract.name,
        status="ok",
        rows_read=rows_read,
        rows_accepted=accepted,
        rows_rejected=rows_rejected,
        rows_replaced=replaced,
        notes=notes,
        rejected_sample=_rejected_sample(con),
        coverage=covered,
    )
    report.seconds = time.perf_counter() - started
    _write_log(con, import_id, report, source, digest, stamp[0])
    return report


@dataclass
class _Checked:
    """A piece as read, trimmed and checked for personnummer, with what its raw text says."""

    raw: RawTable
    trimmed: pa.Table
    columns: ColumnMap
    empty: int  # rows whose every cell is empty
    three_digit: int  # rows whose kommun code has three digits (a lost leading zero, perhaps)


def _checked_pieces(
    checker: duckdb.DuckDBPyConnection, file: str, extract: Extract, pieces: Iterable[RawTable]
) -> Iterator[_Checked]:
    """Each piece trimmed, checked for personnummer and its empty rows counted, on `checker`.

    Runs on the `Prefetched` thread, so that this work (a third of an import's) overlaps the
    insert of the piece before on two cores; `checker` is a cursor of the import's connection (a
    connection of its own to the same database), which only reads the piece, never a table. An
    `ExtractError` here (a personnummer, a missing column) is raised where the piece is taken,
    after the pieces before it were inserted, as without the thread.
    """
    columns: ColumnMap | None = None
    for raw in pieces:
        if columns is None:
            columns = match_columns(extract, raw.header, file)
        piece = _Piece(checker, raw.table)
        _refuse_personnummer(piece, file, extract, raw.invalid_rows, columns)
        # The rows that are not empty, and whether a kommun code may have got its leading zero
        # back, on the raw text in Arrow (through the staging query the empty test cleaned every
        # column of every row first; in SQL on the raw text it was a fifth of the check's time).
        kommun = columns.sources.get(next((c.name for c in extract.columns if c.type == "kommun"), ""))
        three_digit = pc.sum(pc.equal(pc.utf8_length(piece.trimmed[kommun]), 3)).as_py() if kommun else 0
        yield _Checked(raw, piece.trimmed, columns, empty_rows(piece.trimmed, columns), three_digit or 0)


def _insert_piece(
    con: duckdb.DuckDBPyConnection,
    file: str,
    extract: Extract,
    checked: _Checked,
    options: ImportOptions,
    import_id: int,
    read: _Read,
) -> None:
    """Type and validate one checked piece, insert its accepted rows into the extract's table and
    store its rejected rows; counts go to `read`."""
    raw, columns = checked.raw, checked.columns
    piece = _Piece(con, raw.table, checked.trimmed)
    staging = staging_sql(extract, columns, TRIMMED, KOMMUNER, window=options.window)
    names = ", ".join(ident(c) for c in extract.column_names)
    # MATERIALIZED: filtered as a subquery, the reasons were pushed down into the filter and every
    # value typed twice, once for the filter and once for the insert (1.6 times the time)
    ((inserted,),) = piece.run(
        f"INSERT INTO {ident(extract.name)} ({names}, {ORIGIN}) "
        f"WITH typed AS MATERIALIZED ({staging}) "
        f"SELECT {names}, {import_id} FROM typed WHERE _reason IS NULL"
    )
    kept = raw.num_rows - checked.empty
    if checked.three_digit:
        codes = piece.run(
            f"SELECT _kommun_from, count(*) FROM ({staging}) WHERE _kommun_from IS NOT NULL GROUP BY 1"
        )
        read.kommun_from.update(dict(codes))
    read.kept += kept
    # Most pieces have no rejected row (every row kept was inserted): then the reasons are not
    # worked out a second time, and the piece's raw text is not read again.
    if kept > inserted:
        read.rejected += kept - inserted
        first = int(pc.min(raw.table[ROW]).as_py())
        piece.run(f"INSERT INTO {REASONS} SELECT {ROW}, _reason FROM ({staging}) WHERE _reason IS NOT NULL")
        reasons = f"(SELECT * FROM {REASONS} WHERE {ROW} >= {first})"
        rejected = f"(SELECT {ROW} FROM {reasons})"
        _refuse_personnummer_in_rejected(piece, file, extract, columns, rejected)
        _store_rejected(piece, columns, rejected, reasons=reasons)
    _store_invalid_lines(con, raw.invalid_rows)


def _repeated_keys(con: duckdb.DuckDBPyConnection, extract: Extract, import_id: int) -> bool:
    """Whether the file's accepted rows (inserted by import `import_id`) repeat a key; when they do,
    `REPEATED_KEYS` holds those keys."""
    inserted = f"(SELECT * FROM {ident(extract.name)} WHERE {ORIGIN} = {import_id})"
    # Equal keys hash equally (DuckDB's hash also makes -0.0 and 0.0 one), so when no hash of a
    # whole key repeats, no key does: grouping 64-bit hashes costs three quarters of grouping the
    # keys (a national year of contact ids: 3.5 against 4.6 s). A repeated hash, a repeated key or
    # (once in about 30 000 national years) two keys that share one, is settled on the keys.
    if not con.execute(repeated_keys_sql(extract, inserted, key_hash=KEY_HASH) + " LIMIT 1").fetchall():
        return False
    con.execute(f"CREATE TEMP TABLE {REPEATED_KEYS} AS {repeated_keys_sql(extract, inserted)}")
    return bool(_one(con, f"SELECT count(*) FROM {REPEATED_KEYS}")[0])


def _replace_repeated(
    con: duckdb.DuckDBPyConnection,
    file: str,
    extract: Extract,
    pieces: Iterable[RawTable],
    columns: ColumnMap,
    options: ImportOptions,
    import_id: int,
) -> int:
    """Keep only the first row of each repeated key, and store the later ones as read, rejected;
    returns how many were.

    Every row of a repeated key was inserted with its piece, and the extract's table holds no row
    numbers, so they are all deleted and the file is read again, in order. Each piece's accepted
    rows of a repeated key are kept aside (`KEY_ROWS`, after those of the pieces before): a row
    is the first of its key when no row before it has that key, and is then inserted anew; a
    later one is checked for personnummer and stored as rejected.
    """
    table = ident(extract.name)
    same_key = " AND ".join(f"{table}.{ident(k)} = d.{ident(k)}" for k in extract.key)
    con.execute(
        f"DELETE FROM {table} USING {REPEATED_KEYS} AS d WHERE {table}.{ORIGIN} = {import_id} AND {same_key}"
    )
    names = ", ".join(ident(c) for c in extract.column_names)
    keys = ", ".join(ident(k) for k in extract.key)
    on_key = " AND ".join(f"s.{ident(k)} = d.{ident(k)}" for k in extract.key)
    staging = staging_sql(extract, columns, TRIMMED, KOMMUNER, window=options.window)
    typed_columns = ", ".join(f"s.{ident(c)}" for c in extract.column_names)
    key_rows = (
        f"WITH typed AS MATERIALIZED ({staging}) SELECT s.{ROW}, {typed_columns} "
        f"FROM typed AS s SEMI JOIN {REPEATED_KEYS} AS d ON {on_key} WHERE s._reason IS NULL"
    )
    con.execute(f"CREATE TEMP TABLE {REPEATED} ({ROW} BIGINT, _reason VARCHAR)")
    created = False
    for raw in pieces:
        if not raw.num_rows:
            continue
        piece = _Piece(con, raw.table)
        first = int(pc.min(raw.table[ROW]).as_py())
        piece.run(
            f"INSERT INTO {KEY_ROWS} {key_rows}" if created else f"CREATE TEMP TABLE {KEY_ROWS} AS {key_rows}"
        )
        created = True
        firsts = f"(SELECT {keys}, min({ROW}) AS _first FROM {KEY_ROWS} GROUP BY {keys})"
        con.execute(
            f"INSERT INTO {table} ({names}, {ORIGIN}) SELECT {names}, {import_id} FROM {KEY_ROWS} "
            f"WHERE {ROW} >= {first} AND {ROW} IN (SELECT _first FROM {firsts})"
        )
        piece_rows = f"(SELECT * FROM {KEY_ROWS} WHERE {ROW} >= {first})"
        con.execute(f"INSERT INTO {REPEATED} {repeated_rows_sql(extract, piece_rows, firsts)}")
        later = f"(SELECT {ROW} FROM {REPEATED} WHERE {ROW} >= {first})"
        _refuse_personnummer_in_rejected(piece, file, extract, columns, later)
        _store_rejected(piece, columns, later, reasons=REPEATED)
    return int(_one(con, f"SELECT count(*) FROM {REPEATED}")[0])


def _refuse_personnummer(
    piece: _Piece,
    file: str,
    extract: Extract,
    invalid_rows: list[InvalidRow],
    columns: ColumnMap,
) -> None:
    """Fail the file when a text cell looks like a personnummer; the value is never shown.

    Every text column of every extract is checked here, on every row. Typed columns (dates,
    numbers, codes) keep their text only in a rejected row: see `_refuse_personnummer_in_rejected`.
    Ignored columns are never stored, so they are not checked.
    """
    checked = _kept(extract, columns, text=True)
    few = _few_values(piece.trimmed, [source for _, source in checked])
    if few and _any_found(piece, few):
        few = {}  # the first offending row is found on every row of every column below
    _refuse_in(piece, file, TRIMMED, [(name, source) for name, source in checked if source not in few])
    # A line that could not be split into the header's fields is stored as text, and which
    # of its fields is which cannot be told: every field, and the line as a whole, is checked.
    for line in invalid_rows:
        if contains_personnummer(line.text) or any(map(looks_like_personnummer, line.fields)):
            message = f"raden innehåller {_LOOKS}; {_REFUSAL}"
            raise ExtractError(file, message, hint=_PNR_HINT, row=line.row_number)


# A text column whose values repeat (a care unit's name, say) is checked on its distinct values:
# the test of a value does not depend on its row, and `pc.unique` costs a twentieth of the tests.
FEW_SAMPLE = 20_000  # rows of the piece whose distinct values decide whether a column repeats
FEW_SHARE = 0.1  # at most this share of them distinct (and of the piece's rows, in the end)


def _few_values(table: pa.Table, sources: list[str]) -> dict[str, pa.Array]:
    """The distinct values of each column of `sources` whose values repeat, by column.

    A column of ids (all distinct) is left out after a look at its first rows: for it, `pc.unique`
    would cost more than the tests it saves.
    """
    few: dict[str, pa.Array] = {}
    sample_rows = min(table.num_rows, FEW_SAMPLE)
    for source in sources:
        column = table[source]
        if pc.count_distinct(column.slice(0, sample_rows), mode="all").as_py() > FEW_SHARE * sample_rows:
            continue
        values = pc.unique(column)
        if len(values) <= FEW_SHARE * table.num_rows:
            few[source] = values
    return few


def _any_found(piece: _Piece, few: dict[str, pa.Array]) -> bool:
    """Whether a distinct value of a column of `few` looks like a personnummer, by the same tests
    as every row's (`_refuse_in`), on a table of the distinct values."""
    for source, values in few.items():
        distinct = pa.table({source: values, ROW: pa.array(range(len(values)), pa.int64())})
        try:
            _refuse_in(_Piece(piece.con, piece.raw, distinct), "", TRIMMED, [(source, source)])
        except ExtractError:
            return True
    return False


def _refuse_personnummer_in_rejected(
    piece: _Piece, file: str, extract: Extract, columns: ColumnMap, rows: str
) -> None:
    """The typed columns of the rejected rows (`rows`: a query of their `_row`), which
    `rejected_rows.raw` keeps as text."""
    rejected = f"(SELECT t.* FROM {TRIMMED} AS t SEMI JOIN {rows} AS s USING ({ROW}))"
    _refuse_in(piece, file, rejected, _kept(extract, columns, text=False))


def _kept(extract: Extract, columns: ColumnMap, *, text: bool) -> list[tuple[str, str]]:
    """(contract name, raw column id) of the file's text columns, or of its typed ones.

    A declared person-level extract's numbers are checked as text: the analyst names and types
    its columns, and a patient number declared `int` or `decimal` would otherwise be stored as a
    number. (Not an aggregate's: a kommun's cost of 1 234 567 897 kr is no personnummer.)
    """
    numbers_as_text = extract.person_level and extract.name not in EXTRACTS
    as_text = ("text", "int", "decimal") if numbers_as_text else ("text",)
    return [
        (col.name, source)
        for col in extract.columns
        if (source := columns.sources.get(col.name)) is not None and (col.type in as_text) == text
    ]


def _refuse_in(piece: _Piece, file: str, table: str, checked: list[tuple[str, str]]) -> None:
    """One vectorised pass over `table`; the first offending (row, column) fails the file."""
    if not checked:
        return
    hits = ", ".join(f"min({ROW}) FILTER (WHERE {ascii_personnummer_sql(ident(s))})" for _, s in checked)
    candidates = ", ".join(
        f"list(struct_pack(r := {ROW}, v := {ident(s)})) FILTER (WHERE {unicode_candidate_sql(ident(s))})"
        for _, s in checked
    )
    embedded = ", ".join(
        f"list(struct_pack(r := {ROW}, v := {ident(s)})) FILTER (WHERE {embedded_candidate_sql(ident(s))})"
        for _, s in checked
    )
    # Rows with no value long enough are left out before the tests (ids and codes are short).
    long_enough = " OR ".join(long_enough_sql(ident(s)) for _, s in checked)
    (row,) = piece.run(f"SELECT {hits}, {candidates}, {embedded} FROM {table} WHERE {long_enough}")
    found: list[tuple[int, str]] = []
    n = len(checked)
    for i, (name, _) in enumerate(checked):
        if row[i] is not None:
            found.append((int(row[i]), name))
        # Values with other than ASCII characters are few; NFKC is applied to them in Python.
        for item in row[n + i] or []:
            if looks_like_personnummer(item["v"]):
                found.append((int(item["r"]), name))
                break
        # So are texts with a number of a personnummer's length among other words.
        for item in row[2 * n + i] or []:
            if mentions_personnummer(item["v"]):
                found.append((int(item["r"]), name))
    if found:
        first, name = min(found)
        raise ExtractError(
            file, f"kolumnen '{name}' innehåller {_LOOKS}; {_REFUSAL}", hint=_PNR_HINT, row=first
        )


_LOOKS = "ett värde som ser ut som ett personnummer eller samordningsnummer"
_REFUSAL = "sådana uppgifter får aldrig lagras, så ingenting i filen importerades"
_PNR_HINT = (
    "exportera med pseudonymiserade id:n (t.ex. ett löpnummer eller en slumpad kod) och utan "
    "personnummer i andra kolumner; värdet visas inte här av integritetsskäl"
)
HIDDEN_NAME = "(filnamnet visas inte: det innehåller ett personnummer)"


def shown_name(path: Path) -> str:
    """The file's name as it may be shown and logged: hidden when it holds a personnummer."""
    return HIDDEN_NAME if contains_personnummer(path.name) else path.name


def _store_rejected(piece: _Piece, columns: ColumnMap, rows: str, reasons: str) -> None:
    """Keep the rows `rows` (a query of their `_row`) of the piece as read, with their reason."""
    # Only the contract's columns: ignored columns may hold anything (names, personnummer)
    # and are never stored, not even here.
    pairs = ", ".join(f"{lit(name)}, r.{ident(cid)}" for name, cid in columns.kept)
    piece.run(
        f"INSERT INTO {REJECTED} "
        f"SELECT s.{ROW}, s._reason, json_object({pairs}) "
        f"FROM {reasons} AS s JOIN {RAW} AS r ON r.{ROW} = s.{ROW} "
        f"WHERE s._reason IS NOT NULL AND s.{ROW} IN {rows}"
    )


def _store_invalid_lines(con: duckdb.DuckDBPyConnection, invalid: list[InvalidRow]) -> None:
    if not invalid:
        return
    lines = pa.table(
        {
            "row_number": pa.array([r.row_number for r in invalid], pa.int64()),
            "reason": [r.reason for r in invalid],
            "raw": [json.dumps(r.text, ensure_ascii=False) for r in invalid],
        }
    )
    con.register(INVALID, lines)
    try:
        con.execute(f"INSERT INTO {REJECTED} SELECT row_number, reason, raw FROM {INVALID}")
    finally:
        con.unregister(INVALID)


def _replace_by_key(
    con: duckdb.DuckDBPyConnection, extract: Extract, import_id: int, stored_before: int
) -> tuple[int, list[tuple[int | None, int]]]:
    """Delete the stored rows that the file's accepted rows (inserted already) replace.

    Returns the rows replaced and which imports they came from (see `origins`).
    `stored_before`: the table's rows before this import; none, and nothing can be replaced.
    """
    if not stored_before:
        return 0, []
    table = ident(extract.name)
    keys = ", ".join(ident(k) for k in extract.key)
    ranges = key_ranges(con, extract, import_id)
    if ranges is None:
        return 0, []  # no accepted row with a whole key: a key with an empty part replaces nothing
    # the keys of the file's accepted rows, inserted already
    inserted = f"(SELECT {keys}, CAST(NULL AS VARCHAR) AS _reason FROM {table} WHERE {ORIGIN} = {import_id})"
    within = (within_ranges(extract, "t"), ranges)
    origins = replaced_origins(con, extract, inserted, besides=import_id, within=within)
    replaced = sum(n for _, n in origins)
    if replaced:
        same_key = " AND ".join(f"{table}.{ident(k)} = s.{ident(k)}" for k in extract.key)
        con.execute(
            f"DELETE FROM {table} USING {inserted} AS s WHERE {same_key} "
            f"AND {table}.{ORIGIN} IS DISTINCT FROM {import_id} AND {within_ranges(extract, table)}",
            ranges,
        )
    return replaced, origins


def _kommun_notes(kommun_from: Counter[str]) -> list[str]:
    if not kommun_from:
        return []
    rows = sorted(kommun_from.items(), key=lambda item: (-item[1], item[0]))[:6]
    shown = ", ".join(f"'{code}' → '0{code}' ({wording.rows(n)})" for code, n in rows[:5])
    more = " m.fl." if len(rows) > 5 else ""
    return [f"kommunkod med tre siffror fick tillbaka sin inledande nolla: {shown}{more}"]


def _rejected_sample(con: duckdb.DuckDBPyConnection) -> list[tuple[int, str]]:
    """The first rejected rows (typed, repeated keys and broken lines alike), by row number."""
    rows = con.execute(
        f"SELECT row_number, reason FROM {REJECTED} ORDER BY row_number, reason LIMIT {SAMPLE_SIZE}"
    ).fetchall()
    return [(int(r), str(reason)) for r, reason in rows]


def _imported_before(con: duckdb.DuckDBPyConnection, extract: str, size: int) -> bool:
    """Whether a file of this size was imported into the extract before (or one of unknown size:
    logged before sizes were), i.e. whether this one can be one imported before."""
    rows = con.execute(
        "SELECT 1 FROM import_log WHERE extract = ? AND status = 'ok' "
        "AND (file_bytes IS NULL OR file_bytes = ?) LIMIT 1",
        [extract, size],
    ).fetchall()
    return bool(rows)


def _previous_import(
    con: duckdb.DuckDBPyConnection, extract: str, content_hash: str
) -> tuple[int, datetime] | None:
    # fetchall, not fetchone: an unfinished result would block registering the file's table next
    rows = con.execute(
        "SELECT import_id, imported_at FROM import_log "
        "WHERE extract = ? AND content_hash = ? AND status = 'ok' ORDER BY import_id DESC LIMIT 1",
        [extract, content_hash],
    ).fetchall()
    return (int(rows[0][0]), rows[0][1]) if rows else None


def _log_unchanged(
    con: duckdb.DuckDBPyConnection,
    file: str,
    extract: Extract,
    source: str | None,
    content_hash: str,
    size: int,
    previous: tuple[int, datetime],
    started: float,
) -> ImportReport:
    import_id, when = previous
    note = f"identisk med import {import_id} ({when:%Y-%m-%d %H:%M}); inget ändrades"
    report = ImportReport(file, extract.name, "unchanged", notes=[note])
    with _transaction(con, file):
        new_id = _one(con, "SELECT coalesce(max(import_id), 0) + 1 FROM import_log")[0]
        report.seconds = time.perf_counter() - started
        _write_log(con, new_id, report, source, content_hash, size)
    return report


def _write_log(
    con: duckdb.DuckDBPyConnection,
    import_id: int,
    report: ImportReport,
    source: str | None,
    content_hash: str,
    size: int,
) -> None:
    con.execute(
        "INSERT INTO import_log (import_id, file, extract, source, content_hash, status, rows_read, "
        "rows_accepted, rows_rejected, rows_replaced, notes, imported_at, seconds, file_bytes) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            import_id,
            report.file,
            report.extract,
            source,
            content_hash,
            report.status,
            report.rows_read,
            report.rows_accepted,
            report.rows_rejected,
            report.rows_replaced,
            "; ".join(report.notes) or None,
            datetime.now(),
            report.seconds,
            size,
        ],
    )


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> tuple:
    # fetchall, not fetchone: an unfinished result would block registering a piece's table next
    (row,) = con.execute(sql).fetchall()  # aggregates always return a row
    return row


def _stamp(path: Path) -> tuple[int, int] | None:
    """The file's size and modification time (ns): what a rewrite changes."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


def _size(path: Path) -> int | None:
    stamp = _stamp(path)
    return None if stamp is None else stamp[0]


def _megabytes(size: int) -> str:
    if size < 1_000_000:
        return f"{-(-size // 1000)} kB"
    return f"{size / 1_000_000:.1f} MB".replace(".", ",")
