"""The monthly run beside a live board: writers wait for readers, readers for writers, imports queue.

DuckDB's file lock is per process, so every holder here is another process, and the
commands run as the user runs them (`python -m metrics.cli`), so that a traceback would show.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from metrics.dashboard.source.data import read_coverage, read_snapshot

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "extracts"
WAITING = "väntar på att databasen blir ledig"

HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "read")
print("holding", flush=True)
time.sleep(float(sys.argv[3]))
con.close()
"""


class Holder:
    """Another process that holds the database open (read-only or writable) for some seconds."""

    def __init__(self, db: Path, mode: str, seconds: float) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLD, str(db), mode, str(seconds)], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "holding"

    def __enter__(self) -> Holder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def release(self) -> None:
        self.process.kill()
        self.process.wait()


def matavla(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "metrics.cli", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=180)
    return process.returncode, out, err


def finish_after_waiting(process: subprocess.Popen[str], holder: Holder) -> tuple[int, str, str]:
    """Let the command run until it says it waits, then let the holder go; its exit code and output."""
    assert process.stderr is not None
    said = []
    for line in process.stderr:  # the holder never lets go by itself, so the message must come
        said.append(line)
        if WAITING in line:
            break
    holder.release()
    code, out, err = finish(process)
    return code, out, "".join(said) + err


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "matavla.duckdb"
    code, _, err = finish(matavla("import", str(FIXTURES / "population_2024.csv"), "--db", str(path)))
    assert code == 0, err
    return path


def test_import_waits_for_a_reader_in_another_process_and_then_succeeds(db):
    with Holder(db, "read", 600) as reader:
        process = matavla("import", str(FIXTURES), "--db", str(db))
        time.sleep(1.5)  # many retries while the reader holds on
        code, _, err = finish_after_waiting(process, reader)
    assert code == 0, err
    assert err.count(WAITING) == 1  # said once, however many retries
    assert "Traceback" not in err
    assert duckdb.connect(str(db), read_only=True).execute("SELECT count(*) FROM contacts").fetchone()[0] > 0


def test_compute_waits_for_a_reader_in_another_process_and_then_succeeds(db):
    code, _, err = finish(matavla("import", str(FIXTURES), "--db", str(db)))
    assert code == 0, err
    with Holder(db, "read", 600) as reader:
        process = matavla("compute", "--db", str(db), "--catalog", str(ROOT / "indicators.yaml"))
        code, _, err = finish_after_waiting(process, reader)
    assert code == 0, err
    assert WAITING in err and "Traceback" not in err
    assert duckdb.connect(str(db), read_only=True).execute("SELECT count(*) FROM results").fetchone()[0] > 0


def test_export_opens_read_only_beside_a_reader_and_waits_for_a_writer(db, tmp_path):
    with Holder(db, "read", 30):  # a reader never delays an export: both only read
        code, _, err = finish(matavla("export", "--db", str(db), "--out", str(tmp_path / "a.csv")))
    assert code == 0, err
    assert WAITING not in err
    with Holder(db, "write", 600) as writer:
        process = matavla("export", "--db", str(db), "--out", str(tmp_path / "b.csv"))
        code, _, err = finish_after_waiting(process, writer)
    assert code == 0, err
    assert WAITING in err and "Traceback" not in err


def test_a_reader_that_stays_too_long_gives_a_swedish_error_and_exit_1(db):
    with Holder(db, "read", 60):
        code, _, err = finish(matavla("import", str(FIXTURES), "--db", str(db), "--wait", "1"))
    assert code == 1
    assert "Traceback" not in err
    assert "användes fortfarande av ett annat program" in err
    assert "--wait" in err and "MATAVLA_DB_WAIT" in err
    # nothing was imported
    assert duckdb.connect(str(db), read_only=True).execute("SELECT count(*) FROM contacts").fetchone()[0] == 0


def test_the_time_limit_can_come_from_the_environment(db):
    with Holder(db, "read", 60):
        started = time.monotonic()
        code, _, err = finish(matavla("compute", "--db", str(db), env={"MATAVLA_DB_WAIT": "0.5"}))
    assert code == 1 and "Traceback" not in err
    assert time.monotonic() - started < 30


def test_two_imports_at_once_both_succeed_one_after_the_other(db):
    # A reader holds the file until both have started waiting; then they compete for it.
    with Holder(db, "read", 600) as reader:
        first = matavla("import", str(FIXTURES / "contacts_2024.csv"), "--db", str(db))
        second = matavla("import", str(FIXTURES / "listing_2024.csv"), "--db", str(db))
        assert first.stderr is not None
        said = [first.stderr.readline()]  # the first line either prints is the waiting message
        results = [finish_after_waiting(second, reader), finish(first)]
    assert WAITING in said[0]
    for code, _, err in results:
        assert code == 0, err
        assert "Traceback" not in err
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM contacts").fetchone()[0] > 0
    assert con.execute("SELECT count(*) FROM listing").fetchone()[0] > 0


def test_the_dashboard_lets_go_of_the_database_as_soon_as_it_has_read(db):
    read_snapshot(db)
    read_coverage(db)
    # DuckDB refuses a writable connection in a process that still holds a read-only one.
    duckdb.connect(str(db)).close()
