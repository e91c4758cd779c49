"""Review 17: attacks on cc0a969 (the file's SHA-256 taken on a thread of its own beside the
import, waited for first only when an earlier file of the extract has the same size) and on
516649a (the exact LP audit's budget multiplied by the number of län in the indicator's cells).

Every expected value is worked out by hand in the test's docstring. A test that fails documents
a defect; the docstring says what was expected and what happens.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import threading
from concurrent.futures import CancelledError
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from metrics.catalogue.model import Catalogue
from metrics.compute import engine
from metrics.compute.areas import RIKET_LEVEL
from metrics.compute.audit_budget import UNLIMITED, AuditBudgets, per_lan
from metrics.compute.engine import compute_all, finish_cells
from metrics.compute.runs import increment
from metrics.db import connect, ensure_schema, get_meta, set_meta
from metrics.errors import ExtractError
from metrics.extracts import import_file, import_paths, importer
from metrics.extracts.options import ImportOptions
from metrics.geography import RIKET, load_geography
from tests.indicator_cases import core_catalogue
from tests.test_disclosure_budget import BUDGET_ENV, TWO_LAN_PLAN, _two_lan_raw, published
from tests.test_import import contacts_csv, rows, table_counts
from tests.test_publication_rule import COLUMNS, PLAN, q3_raw

# --- cc0a969: the hash beside the import ---------------------------------------------------------


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    ensure_schema(connection)
    return connection


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def hashing_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("sha256")]


def late_hash(monkeypatch: pytest.MonkeyPatch, after_reading) -> threading.Event:
    """The hash thread starts reading only once the import has read the file and stored its rows
    (just before `_replace_by_key`), where `after_reading(path)` runs first: a hash thread
    scheduled late, or reading slower than the import (a busy machine, a network share). Returns
    the event the hash waits for (set by then)."""
    go = threading.Event()
    real_hash, real_replace = importer.file_hash, importer._replace_by_key
    paths: list[Path] = []

    def slow_hash(path: Path, stop: threading.Event | None = None) -> str:
        paths.append(path)
        assert go.wait(timeout=30), "the import never reached _replace_by_key"
        return real_hash(path, stop)

    def replace_then_release(*args, **kwargs):
        after_reading(paths[0])
        go.set()
        return real_replace(*args, **kwargs)

    monkeypatch.setattr(importer, "file_hash", slow_hash)
    monkeypatch.setattr(importer, "_replace_by_key", replace_then_release)
    return go


def test_a_file_rewritten_while_it_is_imported_is_refused_and_then_imported_as_it_is(
    con, tmp_path, monkeypatch
):
    """Was a defect. The logged hash must be that of the bytes the import read: it is what the
    next import compares to call a file 'unchanged' and skip it.

    contacts.csv holds one row C1. While it is imported, after the import has read it (its row
    C1 is stored) and before the hash thread has read it, the file is rewritten with C9 in place
    of C1 (the same size: one character changed). cc0a969 then logged the C9 bytes' hash beside
    the C1 rows, and the next import of the C9 file was 'unchanged': C9 was never stored.

    Now the import compares the file's size and modification time when it began with those after
    the hash: changed, so the file is refused in Swedish and nothing is stored (contacts,
    rejected_rows, import_log, coverage empty). Imported again, as it now is: 'ok', contacts [C9].
    """
    path = contacts_csv(tmp_path / "contacts.csv", {"contact_id": "C1"})

    def rewrite(p: Path) -> None:
        contacts_csv(p, {"contact_id": "C9"})

    late_hash(monkeypatch, rewrite)
    with pytest.raises(ExtractError, match="filen ändrades medan den importerades; inget sparades"):
        import_file(con, path)
    monkeypatch.undo()
    assert_nothing_stored(con)

    again = import_file(con, path)

    assert (again.status, rows(con, "SELECT contact_id FROM contacts")) == ("ok", [("C9",)])
    assert rows(con, "SELECT content_hash FROM import_log") == [(sha256(path),)]


def test_a_failed_import_stops_hashing_the_rest_of_the_file(con, tmp_path, monkeypatch):
    """A personnummer on row 2 fails the file at once; the hash thread, still reading (held here
    after its first block until the import has failed), is told to stop rather than read the rest
    of a large file: it gives up (CancelledError) instead of finishing, and the import's error is
    the one the user sees (the personnummer), nothing stored. Before, the failed import waited
    for the whole file's hash."""
    path = contacts_csv(tmp_path / "contacts.csv", {"contact_id": "C1", "person_id": "19121212-1212"})
    failed = threading.Event()
    outcome: list[str] = []
    real_blocks, real_hash, real_import = importer.file_blocks, importer.file_hash, importer._import_file

    def held_blocks(p: Path):
        for block in real_blocks(p):
            yield block
            assert failed.wait(timeout=30)
            yield block  # a second block, as a large file has

    def watched_hash(p: Path, stop: threading.Event | None = None) -> str:
        try:
            digest = real_hash(p, stop)
        except CancelledError:
            outcome.append("stopped")
            raise
        outcome.append("finished")
        return digest

    def import_then_fail(*args, **kwargs):
        try:
            return real_import(*args, **kwargs)
        finally:
            failed.set()

    monkeypatch.setattr(importer, "file_blocks", held_blocks)
    monkeypatch.setattr(importer, "file_hash", watched_hash)
    monkeypatch.setattr(importer, "_import_file", import_then_fail)
    with pytest.raises(ExtractError, match="personnummer"):
        import_file(con, path)

    assert_nothing_stored(con)
    assert outcome == ["stopped"]


def assert_nothing_stored(con: duckdb.DuckDBPyConnection) -> None:
    counts = table_counts(con)
    assert [counts[t] for t in ("contacts", "rejected_rows", "import_log", "coverage")] == [0, 0, 0, 0]


def test_a_file_that_vanishes_before_it_is_hashed_fails_in_swedish_and_stores_nothing(
    con, tmp_path, monkeypatch
):
    """The import reads contacts.csv (one row C1, stored inside the file's transaction); then the
    file is deleted before the hash thread opens it. The hash's `file_blocks` raises the Swedish
    ExtractError "filen finns inte"; it is re-raised where the import waits for the hash
    (`forget_coverage_of_same_bytes`), inside the transaction, which rolls back. Expected: that
    ExtractError (naming contacts.csv), contacts, rejected_rows, import_log and coverage all
    empty, and no 'sha256' thread left (the executor's `with` joined it)."""
    path = contacts_csv(tmp_path / "contacts.csv", {"contact_id": "C1"})
    late_hash(monkeypatch, lambda p: p.unlink())

    with pytest.raises(ExtractError) as caught:
        import_file(con, path)

    assert "filen finns inte" in str(caught.value) and "contacts.csv" in str(caught.value)
    assert_nothing_stored(con)
    assert hashing_threads() == []


def test_a_file_that_turns_unreadable_before_it_is_hashed_fails_and_stores_nothing(
    con, tmp_path, monkeypatch
):
    """As above, but the file's name is taken by a folder (the tests run as root, so chmod 000
    would not make a file unreadable): open() raises IsADirectoryError, an OSError, which
    `file_blocks` turns into ExtractError "kunde inte läsa filen (…)". Expected: that error, the
    database unchanged, no hash thread left. (The part in brackets is the operating system's
    strerror, in English – as before cc0a969, when the hash was read first.)"""
    path = contacts_csv(tmp_path / "contacts.csv", {"contact_id": "C1"})

    def folder(p: Path) -> None:
        p.unlink()
        p.mkdir()

    late_hash(monkeypatch, folder)

    with pytest.raises(ExtractError) as caught:
        import_file(con, path)

    assert "kunde inte läsa filen" in str(caught.value)
    assert_nothing_stored(con)
    assert hashing_threads() == []


def test_a_personnummer_fails_the_file_without_waiting_forever_or_leaving_a_thread(con, tmp_path):
    """contacts_2024.csv: C1, then C2 whose person_id is 19121212-1212. The personnummer check
    raises ExtractError inside the transaction while the hash may still run; the executor's
    `with` waits for the hash (one small file: milliseconds) and the error propagates. Expected:
    ExtractError on row 3 (the header is line 1), nothing stored, no 'sha256' thread left; and
    the same on the path that waits for the hash first (an earlier 'ok' import of the extract with
    this very size: C7 in place of C1 and the 13 letters ABCDEFGHIJKLM in place of the 13
    characters of the personnummer keep every byte count)."""
    bad = {"contact_id": "C2", "person_id": "19121212-1212"}
    path = contacts_csv(tmp_path / "contacts_2024.csv", {"contact_id": "C1"}, bad)

    with pytest.raises(ExtractError) as caught:
        import_file(con, path)

    assert caught.value.row == 3
    assert_nothing_stored(con)
    assert hashing_threads() == []

    letters = {"contact_id": "C2", "person_id": "ABCDEFGHIJKLM"}
    same_size = contacts_csv(tmp_path / "contacts_b.csv", {"contact_id": "C7"}, letters)
    assert same_size.stat().st_size == path.stat().st_size
    import_file(con, same_size)
    with pytest.raises(ExtractError):
        import_file(con, path)
    assert rows(con, "SELECT import_id, status FROM import_log") == [(1, "ok")]
    assert rows(con, "SELECT contact_id FROM contacts ORDER BY 1") == [("C2",), ("C7",)]
    assert hashing_threads() == []


def test_replace_with_the_same_bytes_imports_again_and_logs_size_and_hash(con, tmp_path):
    """contacts.csv (C1, C2) imported, then again with ImportOptions(replace=True). The second
    finds the earlier import (same size, same hash) but `replace` goes on: status 'ok', 2 rows
    accepted, both stored rows replaced by key (rows_replaced 2), the table still 2 rows. Both
    log rows carry the file's size and SHA-256; the first import's coverage is forgotten
    (`forget_coverage_of_same_bytes`) and only the second's is left: coverage rows of import 2
    only. A third import without replace is 'unchanged'."""
    path = contacts_csv(tmp_path / "contacts.csv", {"contact_id": "C1"}, {"contact_id": "C2"})
    size, digest = path.stat().st_size, sha256(path)
    import_file(con, path)

    again = import_file(con, path, options=ImportOptions(replace=True))

    assert (again.status, again.rows_accepted, again.rows_replaced) == ("ok", 2, 2)
    assert rows(con, "SELECT count(*) FROM contacts") == [(2,)]
    assert rows(con, "SELECT import_id, status, file_bytes, content_hash FROM import_log ORDER BY 1") == [
        (1, "ok", size, digest),
        (2, "ok", size, digest),
    ]
    assert rows(con, "SELECT DISTINCT import_id FROM coverage") == [(2,)]
    assert import_file(con, path).status == "unchanged"


def test_the_same_bytes_under_another_name_are_unchanged(con, tmp_path):
    """contacts_jan.csv imported; its copy contacts_jan_copy.csv (same bytes, so same size and
    hash; the name still says contacts) is 'unchanged', logged under its own name with the
    same size and hash, and nothing else is written (contacts still 1 row)."""
    path = contacts_csv(tmp_path / "contacts_jan.csv", {"contact_id": "C1"})
    copy = tmp_path / "contacts_jan_copy.csv"
    shutil.copyfile(path, copy)
    import_file(con, path)

    report = import_file(con, copy)

    assert report.status == "unchanged"
    assert rows(con, "SELECT file, status, file_bytes, content_hash FROM import_log ORDER BY import_id") == [
        ("contacts_jan.csv", "ok", path.stat().st_size, sha256(path)),
        ("contacts_jan_copy.csv", "unchanged", path.stat().st_size, sha256(path)),
    ]
    assert rows(con, "SELECT count(*) FROM contacts") == [(1,)]


def test_an_older_database_compares_hashes_and_logs_sizes_from_then_on(tmp_path):
    """An older import_log (column dropped, then `ensure_schema` adds it back: NULL for the old
    row). A new file of another size (C1 and C2, where the old file held C1) is not 'unchanged':
    the NULL size lets `_imported_before` through, the hashes differ, and it is imported: 'ok',
    its row logged with its own size. The old file again is then 'unchanged' (found by hash
    against the NULL-size row 1)."""
    old_file = contacts_csv(tmp_path / "contacts_a.csv", {"contact_id": "C1"})
    new_file = contacts_csv(tmp_path / "contacts_b.csv", {"contact_id": "C1"}, {"contact_id": "C2"})
    old = duckdb.connect()
    ensure_schema(old)
    import_file(old, old_file)
    old.execute("ALTER TABLE import_log DROP COLUMN file_bytes")
    ensure_schema(old)

    assert import_file(old, new_file).status == "ok"
    assert import_file(old, old_file).status == "unchanged"
    assert rows(old, "SELECT import_id, status, file_bytes FROM import_log ORDER BY 1") == [
        (1, "ok", None),
        (2, "ok", new_file.stat().st_size),
        (3, "unchanged", old_file.stat().st_size),
    ]


def excel_file(path: Path, stay: str) -> Path:
    book = openpyxl.Workbook()
    book.active.append(["visit_id", "person_id", "kommun", "sex", "age", "arrival", "departure", "admitted"])
    book.active.append([stay, "P1", "0580", "K", 80, "2024-01-05 08:00", "2024-01-05 10:00", 0])
    book.save(path)
    return path


def test_excel_and_parquet_files_log_size_and_hash_and_are_unchanged_the_second_time(con, tmp_path):
    """An .xlsx of one emergency visit and a .parquet of one population row: each is imported
    ('ok', 1 row), logged with its size on disk and the SHA-256 of its bytes (the same as
    hashlib over the whole file), and a second import of each is 'unchanged'."""
    xlsx = excel_file(tmp_path / "emergency.xlsx", "V1")
    parquet = tmp_path / "population.parquet"
    pq.write_table(
        pa.table({"kommun": ["0580"], "year": [2023], "sex": ["K"], "age": [80], "count": [12]}), parquet
    )
    for path in (xlsx, parquet):
        report = import_file(con, path)
        assert (report.status, report.rows_accepted) == ("ok", 1)
        assert import_file(con, path).status == "unchanged"

    assert rows(con, "SELECT file, status, file_bytes, content_hash FROM import_log ORDER BY import_id") == [
        ("emergency.xlsx", "ok", xlsx.stat().st_size, sha256(xlsx)),
        ("emergency.xlsx", "unchanged", xlsx.stat().st_size, sha256(xlsx)),
        ("population.parquet", "ok", parquet.stat().st_size, sha256(parquet)),
        ("population.parquet", "unchanged", parquet.stat().st_size, sha256(parquet)),
    ]


def test_a_folder_of_many_files_is_imported_then_unchanged_and_leaves_no_thread(con, tmp_path):
    """20 contact files, contacts_00.csv … contacts_19.csv, file i holding the one row C<i>: the
    IDs C0–C9 and C10–C19 differ in length, so there are two sizes, 10 files of each (the
    one or the other). Every one is a new import ('ok': the same size as an earlier one only sends it through
    the hash first, whose value differs). A second pass over the folder: all 20 'unchanged'.
    Each file's executor is shut down on leaving `import_file`: no 'sha256' thread is left."""
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(20):
        contacts_csv(folder / f"contacts_{i:02d}.csv", {"contact_id": f"C{i}"})

    first = import_paths(con, [folder])
    second = import_paths(con, [folder])

    assert [r.status for r in first] == ["ok"] * 20
    assert [r.status for r in second] == ["unchanged"] * 20
    assert rows(con, "SELECT count(*), count(DISTINCT file_bytes) FROM import_log WHERE status = 'ok'") == [
        (20, 2)
    ]
    assert rows(con, "SELECT count(*) FROM contacts") == [(20,)]
    assert hashing_threads() == []


def test_the_hash_thread_is_given_only_the_path(con, tmp_path, monkeypatch):
    """Thread safety: what runs on the hash thread is `file_hash(path)` and nothing else – no
    DuckDB connection crosses to it. Recorded: each call's thread name and arguments. Expected:
    one call, on a thread named sha256…, with the file's Path and the event that tells it to
    stop (and the main thread's name is not sha256)."""
    calls: list[tuple[str, tuple]] = []
    real = importer.file_hash

    def recording(*args):
        calls.append((threading.current_thread().name, args))
        return real(*args)

    monkeypatch.setattr(importer, "file_hash", recording)
    path = contacts_csv(tmp_path / "contacts.csv", {"contact_id": "C1"})

    import_file(con, path)

    assert len(calls) == 1
    name, args = calls[0]
    assert name.startswith("sha256") and args[0] == path and isinstance(args[1], threading.Event)
    assert len(args) == 2
    assert not threading.current_thread().name.startswith("sha256")


# --- 516649a: the exact audit's budget per län -------------------------------------------------


@pytest.fixture(scope="module")
def core():
    return core_catalogue()


@pytest.fixture
def no_budget_env(monkeypatch):
    for name in BUDGET_ENV:
        monkeypatch.delenv(name, raising=False)


def test_per_lan_multiplies_and_caps_at_unlimited():
    """per_lan(b, n) = b × max(1, n), capped at UNLIMITED (2**63 − 1), both budgets alike:
    - n = 0 (no län cells) → × 1: (300 000, 50);
    - n = 21: 300 000 × 21 = 6 300 000 and 50 × 21 = 1 050;
    - UNLIMITED (audit_seconds: .inf) × 21 stays UNLIMITED, and 2**62 × 2 = 2**63 is one past
      it, capped to UNLIMITED; a budget of 0 stays 0 (no LP at all, as before);
    - negative n (never happens: a count) → × 1."""
    setting = AuditBudgets(300_000, 50)
    assert per_lan(setting, 0) == AuditBudgets(300_000, 50)
    assert per_lan(setting, -3) == AuditBudgets(300_000, 50)
    assert per_lan(setting, 21) == AuditBudgets(6_300_000, 1_050)
    assert per_lan(AuditBudgets(UNLIMITED, UNLIMITED), 21) == AuditBudgets(UNLIMITED, UNLIMITED)
    assert per_lan(AuditBudgets(2**62, 2**62 - 1), 2) == AuditBudgets(UNLIMITED, 2**63 - 2)
    assert per_lan(AuditBudgets(0, 0), 21) == AuditBudgets(0, 0)


def one_cell_per_lan(lans: list[str], *, riket: bool = False) -> pd.DataFrame:
    """Per län: the län and its first kommun, July 2022, 10 of 100 each (so none small); with
    `riket`, the riket cell (area_level 'riket', code RIKET) summing the län."""
    kommun_of = {}
    for code, kommun in load_geography().kommuner.items():
        kommun_of.setdefault(kommun.lan, code)
    rows = []
    for lan in lans:
        rows.append((lan, "lan", 10, 100))
        rows.append((kommun_of[lan], "kommun", 10, 100))
    if riket:
        rows.append((RIKET, RIKET_LEVEL, 10 * len(lans), 100 * len(lans)))
    raw = pd.DataFrame(
        [(a, lvl, "month", pd.Timestamp("2022-07-01"), "total", None, None, n, d) for a, lvl, n, d in rows],
        columns=[*COLUMNS, "numerator", "denominator"],
    )
    raw["missing"], raw["complete"], raw["data_through"] = False, True, pd.Timestamp("2022-07-31")
    return raw


def lan_counts(monkeypatch, frames, catalogue, **kwargs) -> list[int]:
    """The n `_protect_on_the_ladder` passes to `per_lan` for each frame (recorded by a spy)."""
    seen: list[int] = []
    real = engine.per_lan

    def spy(budgets, lan):
        seen.append(lan)
        return real(budgets, lan)

    monkeypatch.setattr(engine, "per_lan", spy)
    indicator = catalogue.indicator("aterinskrivning_30d_65")
    for raw in frames:
        finish_cells(raw, indicator, catalogue, **kwargs)
    return seen


def test_only_lan_rows_with_numbers_count(core, monkeypatch, no_budget_env):
    """n is the number of distinct area codes on rows of area_level 'lan' that are not missing:
    - Q3 of Östergötland (län 05 + Ydre, Linköping): 1;
    - the same again in Jämtland (23): 2;
    - those two län's kommun rows only (no 'lan' rows): 0 (per_lan then gives × 1);
    - the two län, and an area group 'sydnord' (area_level 'omrade') of Ydre and Ragunda, one
      kommun of each län: still 2 – a group is no län, though it spans two;
    - all 21 län with a riket cell (kept: every län has its cell): 21, riket not counted;
    - two län, the second's rows marked missing ("saknas", no numbers): 1.
    The snabbkontroll (exact_audit False) is enough: n is taken before any check."""
    two = _two_lan_raw()
    kommun_only = two[two["area_level"] == "kommun"].reset_index(drop=True)
    group = (
        two[two["area_code"].isin(["0512", "2303"])]
        .groupby(["period_type", "period_start"], as_index=False)[["numerator", "denominator"]]
        .sum()
    )
    group = group.assign(area_code="sydnord", area_level="omrade", breakdown="total", sex=None, age_band=None)
    group["missing"], group["complete"], group["data_through"] = False, True, pd.Timestamp("2022-09-30")
    with_group = pd.concat([two, group[two.columns]], ignore_index=True)
    lans = sorted(load_geography().lan)
    second_missing = two.assign(missing=two["area_code"].str.startswith("23"))

    frames = [q3_raw(), two, kommun_only, with_group, one_cell_per_lan(lans, riket=True), second_missing]
    assert lan_counts(monkeypatch, frames, core) == [1, 2, 0, 2, 21, 1]


def test_an_unlimited_budget_times_the_lan_is_still_unlimited_and_recorded_as_set(core, no_budget_env):
    """audit_seconds: .inf → UNLIMITED for both budgets; two län → per_lan caps 2 × UNLIMITED at
    UNLIMITED, so the LP runs to the end: rung 0, not timed out, passed – the same cells as with
    the test's per-län budget (test_the_budget_is_per_lan: the twin of each of Q3's cells). The
    record is the setting, (UNLIMITED, UNLIMITED), an exact integer (2**63 − 1 survives JSON)."""
    settings = dataclasses.replace(
        core.publication, audit_seconds=float("inf"), audit_iterations=None, last_rung_audit_iterations=None
    )
    unlimited = dataclasses.replace(core, publication=settings)
    indicator = core.indicator("aterinskrivning_30d_65")

    out = finish_cells(_two_lan_raw(), indicator, unlimited, exact_audit=True, plan=TWO_LAN_PLAN)

    result = out.attrs["audit"]
    assert (result.rung, result.timed_out, result.passed) == (0, False, True)
    assert result.budget == (UNLIMITED, UNLIMITED, "län")
    assert json.loads(json.dumps(list(result.budget))) == [2**63 - 1, 2**63 - 1, "län"]
    one = finish_cells(q3_raw(), indicator, core, exact_audit=True, plan=PLAN)
    twin = {"05": "23", "0512": "2303", "0580": "2380"}
    assert published(out) == sorted(published(one) + [(twin[a], p, s) for a, p, s in published(one)])


def test_a_two_lan_indicator_that_runs_out_says_the_budget_per_lan(core, no_budget_env):
    """One län of Q3 needs N iterations at rung 0 (N measured, as test_the_budget_is_per_lan
    does). With audit_iterations N − 1 the two-län table gets 2 (N − 1) = 2 N − 2 < 2 N: rung 0
    runs out and it climbs (rung > 0, with or without an LP-proven rung after it). Recorded
    budget: the setting (N − 1, N − 1). compute's progress line then says "inom N − 1
    simplexiterationer per län" – true: the table had 2 (N − 1) for its 2 län. And with N the
    two län fit exactly (2 N): rung 0 (the commit's own test, repeated as the contrast)."""
    indicator = core.indicator("aterinskrivning_30d_65")
    alone = finish_cells(q3_raw(), indicator, core, exact_audit=True, plan=PLAN).attrs["audit"]
    n = alone.iterations
    assert alone.rung == 0 and n > 1

    def with_budget(iterations: int):
        settings = dataclasses.replace(
            core.publication, audit_iterations=iterations, last_rung_audit_iterations=iterations
        )
        budgeted = dataclasses.replace(core, publication=settings)
        return finish_cells(_two_lan_raw(), indicator, budgeted, exact_audit=True, plan=TWO_LAN_PLAN)

    short = with_budget(n - 1).attrs["audit"]
    assert short.rung > 0 and short.budget == (n - 1, n - 1, "län")
    assert with_budget(n).attrs["audit"].rung == 0


# --- 516649a and `compute --incremental` --------------------------------------------------------

CONTACTS = "proaktiva_kontakter"  # reads contacts
SOURCE = b"catalogue v1"  # stands for the catalogue file's bytes


@pytest.fixture(scope="module")
def contacts_only() -> Catalogue:
    full = core_catalogue()
    return dataclasses.replace(full, indicators=(full.indicator(CONTACTS),))


def two_lan_contacts(folder: Path, month: str, n: int, kommuner=("0580", "0581", "2380")) -> Path:
    """n contacts in `month`, taking turns over `kommuner`: Linköping and Norrköping (län 05) and
    Östersund (län 23) unless told otherwise."""
    lines = ["contact_id,person_id,kommun,sex,age,contact_date,care_unit,provider,profession,mode,planned"]
    for i in range(n):
        lines.append(
            f"C{month}-{i},P{i % 97},{kommuner[i % len(kommuner)]},{'KM'[i % 2]},{20 + i % 70},"
            f"{month}-{1 + i % 28:02d},VC,region,lakare,mottagning,{'1' if i % 5 < 2 else '0'}"
        )
    path = folder / f"contacts_{month}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def may_in_two_lan(tmp_path: Path) -> tuple[duckdb.DuckDBPyConnection, Path]:
    """A database with contacts of May 2024 in län 05 and 23 imported; and the files' folder."""
    files = tmp_path / "files"
    files.mkdir()
    con = connect(tmp_path / "a.duckdb")
    import_file(con, two_lan_contacts(files, "2024-05", 120))
    return con, files


def test_incremental_keeps_a_two_lan_indicator_on_the_same_setting_and_recomputes_on_news(
    tmp_path, contacts_only, monkeypatch
):
    """Contacts of May 2024 in two län (05 and 23), MATAVLA_AUDIT_ITERATIONS 20 000: a full compute
    runs proaktiva_kontakter with 2 × 20 000 and records the setting [20 000, 20 000]. Then:
    - nothing new, same setting: increment() selects nothing – the record (the setting, not
      the 40 000 used) equals the setting now, so a many-län indicator is not recomputed on
      every run;
    - the setting changed (MATAVLA_AUDIT_ITERATIONS 30 000): recomputed;
    - after that compute, June imported with a third län (Stockholm 0180, län 01), the setting
      unchanged: recomputed, because contacts was imported (the number of län changed only with
      the data, as the commit says)."""
    monkeypatch.setenv("MATAVLA_AUDIT_ITERATIONS", "20000")
    con, files = may_in_two_lan(tmp_path)
    assert all(r.ok for r in compute_all(con, contacts_only, catalogue_source=SOURCE))
    entry = json.loads(get_meta(con, "audit"))["indicators"][CONTACTS]
    assert entry["budget"] == [20000, 20000, "län"]

    assert increment(con, contacts_only, SOURCE).indicators == ()
    monkeypatch.setenv("MATAVLA_AUDIT_ITERATIONS", "30000")
    assert increment(con, contacts_only, SOURCE).indicators == (CONTACTS,)
    assert all(r.ok for r in compute_all(con, contacts_only, catalogue_source=SOURCE))
    assert increment(con, contacts_only, SOURCE).indicators == ()

    import_file(con, two_lan_contacts(files, "2024-06", 120, ("0580", "2380", "0180")))
    assert increment(con, contacts_only, SOURCE).indicators == (CONTACTS,)
    con.close()


def test_results_computed_with_one_budget_for_all_lan_are_recomputed_after_the_upgrade(
    tmp_path, contacts_only, monkeypatch
):
    """Was a defect (an upgrade across 516649a; fixed: the record says what it is per).
    docs/runs.md: an incremental run's results
    "are those of a full compute of the same data", and `increment` recomputes an indicator
    whose audit "ran with another work budget" (runs.py), because the budget decides the rung
    and cells published.

    Before 516649a the whole indicator got the setting B once and recorded [B, B]; now an
    indicator with cells in n län gets n × B and records [B, B, "län"]. Here: contacts of May
    2024 in län 05 and 23, B = 20 000, computed: nothing to recompute. Then the record is made
    what the old code wrote, [20 000, 20 000]: a full compute would audit with 40 000, so the
    indicator is selected once: (proaktiva_kontakter,). Without the "län" in the record the two
    could not be told apart, and the single budget's results (the ones that published only län
    cells nationally) were kept until contacts was imported again.
    """
    monkeypatch.setenv("MATAVLA_AUDIT_ITERATIONS", "20000")
    con, _ = may_in_two_lan(tmp_path)
    assert all(r.ok for r in compute_all(con, contacts_only, catalogue_source=SOURCE))
    assert increment(con, contacts_only, SOURCE).indicators == ()
    # the record as the code before 516649a wrote it: the setting alone
    record = json.loads(get_meta(con, "audit"))
    record["indicators"][CONTACTS]["budget"] = [20000, 20000]
    set_meta(con, "audit", json.dumps(record))

    assert increment(con, contacts_only, SOURCE).indicators == (CONTACTS,)
    con.close()


def test_the_progress_line_and_the_refusal_name_numbers_that_hold(tmp_path, contacts_only, monkeypatch):
    """Contacts of May 2024 in län 05 and 23 (2 län).

    MATAVLA_AUDIT_ITERATIONS 1, last rung 1 000 000: rung 0's LP gets 1 × 2 = 2 iterations, runs
    out, rungs 1–2 are skipped (nothing left), the last rung (years per kommun) is proven on its
    own 2 000 000. The progress line says "inom 1 simplexiterationer per län med katalogens
    publiceringsregel": the setting, per län – true (2 for 2 län).

    Both 1: rung 0 spends its 2, the last rung its own 2, the fallback (län and areas only) a
    third budget of 2; every one runs out, so DisclosureError with the iterations spent in all:
    2 + 2 + 2 = 6 – "(6 simplexiterationer)". True as a count of work, but it is neither the
    setting (1) nor per län; before 516649a the same count was 1 + 1 + 1 = 3 (this number never
    was the budget)."""
    con, _ = may_in_two_lan(tmp_path)
    monkeypatch.setenv("MATAVLA_AUDIT_ITERATIONS", "1")
    monkeypatch.setenv("MATAVLA_AUDIT_LAST_RUNG_ITERATIONS", "1000000")
    said: list[str] = []

    (climbed,) = compute_all(con, contacts_only, catalogue_source=SOURCE, progress=said.append)

    assert climbed.ok
    line = next(m for m in said if m.startswith(f"[1/1] {CONTACTS}"))
    assert line.endswith(
        "LP-granskningen kunde inte bevisa skyddet inom 1 simplexiterationer per län med katalogens "
        "publiceringsregel"
    )

    monkeypatch.setenv("MATAVLA_AUDIT_LAST_RUNG_ITERATIONS", "1")
    (refused,) = compute_all(con, contacts_only, catalogue_source=SOURCE)

    assert not refused.ok and refused.failure.kind == "DisclosureError"
    assert (
        "inom sin arbetsbudget (6 simplexiterationer), inte ens med bara län och områden" in refused.message
    )
    con.close()
