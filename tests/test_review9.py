"""Review of the kept callback answers (metrics/dashboard/server.py) and the import's read-ahead
check (metrics/extracts/importer.py): defects found, each with the test that showed it."""

from __future__ import annotations

import hashlib
import tracemalloc

from metrics.dashboard.server import _CompressedCache


def test_the_kept_answers_hold_no_more_memory_than_their_cap_however_small_each_answer():
    # A callback answer of 500 bytes or more (flask-compress's least) can compress to ~50 bytes,
    # and a viewer can make many distinct ones (one per address). Each kept answer also costs
    # its key (83 bytes: 'br;answer ' and 64 hex digits, ~130 as a str) and its place in the
    # dict (~100): counted by the value's bytes alone, a 1 MiB cap held ~5 MiB.
    cap = 2**20
    cache = _CompressedCache()
    cache.MAX_ANSWER_BYTES = cap
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for n in range(40_000):  # 40 000 answers of 50 bytes: 2 MB of values, 11 MB in all
            key = f"br;answer {hashlib.sha256(str(n).encode()).hexdigest()}"
            cache.set(key, n.to_bytes(50, "big"))
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held <= cap * 1.1
