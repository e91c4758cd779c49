"""A worker forked from a preloading master (`gunicorn --preload`) never hangs on its first read.

The master starts a background thread that reads every län's rows. A fork while that thread was
inside a DuckDB query left DuckDB's locks held in the child, whose first read never returned (1
start in 3 under gunicorn, on the reviewer's machine). The fork now waits for the readers, so the
child inherits every län's rows and never enters DuckDB mid-query.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from metrics.dashboard.source import data
from tests.test_dashboard_data import build_db

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX fork")


def test_a_fork_waits_for_the_background_reader_so_the_child_has_every_lan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = data._read_lan

    def slow(*args: object) -> data.LanResults:
        time.sleep(1.0)  # the reader is mid-read when the fork below comes
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(data, "_read_lan", slow)
    path = build_db(tmp_path / "results.duckdb")
    snap = data.snapshot(path)  # starts the background reader
    assert snap.loaded_lans() == ()  # still reading
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the worker
        try:
            os.close(read_end)
            os.write(write_end, ",".join(snap.loaded_lans()).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    try:
        loaded = os.read(read_end, 100).decode()
    finally:
        os.close(read_end)
        os.waitpid(pid, 0)
        data.wait_for_background_readers(30)
    assert loaded == "05", "the worker was forked while the län reader was still reading"
