"""source/memo.py: kept values, a bound, and threads that wait for one build without a lock held."""

from __future__ import annotations

import threading
import time

import pytest

from metrics.dashboard.source.memo import Memo

WAIT = 10  # seconds: every wait here is time-boxed, so a deadlock fails the test instead of hanging


def test_a_value_is_built_once_and_then_kept() -> None:
    memo: Memo[int] = Memo(4)
    calls: list[str] = []

    def build() -> int:
        calls.append("x")
        return 42

    assert memo.get("a", build) == 42
    assert memo.get("a", build) == 42
    assert calls == ["x"]


def test_the_least_recently_used_value_goes_first() -> None:
    memo: Memo[str] = Memo(2)
    memo.get("a", lambda: "A")
    memo.get("b", lambda: "B")
    memo.get("a", lambda: "not rebuilt")  # 'a' used again: 'b' is now the oldest
    memo.get("c", lambda: "C")
    assert len(memo) == 2
    assert memo.get("a", lambda: "rebuilt") == "A"
    assert memo.get("b", lambda: "rebuilt") == "rebuilt"


def test_a_value_no_longer_valid_is_rebuilt() -> None:
    memo: Memo[tuple[int, str]] = Memo(4)
    memo.get("k", lambda: (1, "old"))
    assert memo.get("k", lambda: (2, "new"), lambda v: v[0] == 2) == (2, "new")
    assert memo.get("k", lambda: (3, "newer"), lambda v: v[0] == 2) == (2, "new")


def test_a_failed_build_keeps_nothing_and_raises() -> None:
    memo: Memo[int] = Memo(4)

    def fail() -> int:
        raise RuntimeError("broken")

    with pytest.raises(RuntimeError):
        memo.get("k", fail)
    assert memo.get("k", lambda: 7) == 7


def test_threads_asking_for_the_same_key_share_one_build() -> None:
    memo: Memo[int] = Memo(4)
    started = threading.Event()
    release = threading.Event()
    builds: list[int] = []

    def slow() -> int:
        builds.append(1)
        started.set()
        assert release.wait(WAIT)
        return 5

    results: list[int] = []
    first = threading.Thread(target=lambda: results.append(memo.get("k", slow)))
    first.start()
    assert started.wait(WAIT)
    others = [threading.Thread(target=lambda: results.append(memo.get("k", slow))) for _ in range(3)]
    for t in others:
        t.start()
    time.sleep(0.05)
    # while the build runs, other keys are served: the lock is not held during a build
    assert memo.get("other", lambda: 9) == 9
    release.set()
    for t in [first, *others]:
        t.join(WAIT)
        assert not t.is_alive()
    assert results == [5, 5, 5, 5] and builds == [1]


def test_a_waiter_builds_itself_when_the_build_it_waited_for_fails() -> None:
    memo: Memo[int] = Memo(4)
    started = threading.Event()
    release = threading.Event()

    def failing() -> int:
        started.set()
        assert release.wait(WAIT)
        raise RuntimeError("broken")

    errors: list[BaseException] = []

    def first() -> None:
        try:
            memo.get("k", failing)
        except RuntimeError as exc:
            errors.append(exc)

    t1 = threading.Thread(target=first)
    t1.start()
    assert started.wait(WAIT)
    got: list[int] = []
    t2 = threading.Thread(target=lambda: got.append(memo.get("k", lambda: 3)))
    t2.start()
    release.set()
    for t in (t1, t2):
        t.join(WAIT)
        assert not t.is_alive()
    assert len(errors) == 1 and got == [3]


def test_a_build_that_asks_for_other_keys_or_its_own_does_not_deadlock() -> None:
    memo: Memo[int] = Memo(4)

    def outer() -> int:
        return memo.get("inner", lambda: 1) + memo.get("outer", lambda: 10)  # its own key: built again

    done: list[int] = []
    t = threading.Thread(target=lambda: done.append(memo.get("outer", outer)))
    t.start()
    t.join(WAIT)
    assert not t.is_alive(), "deadlock"
    assert done == [11]


def test_a_memo_no_longer_used_is_freed_with_its_values() -> None:
    # create_app reloads the page modules, so each app makes a new memo: the old one, and the
    # boards it holds, must go (a fork hook holding the memo kept every one alive for ever)
    import gc
    import weakref

    class Board:
        pass

    memo: Memo[Board] = Memo(2)
    value = memo.get("a", Board)
    memo_ref, value_ref = weakref.ref(memo), weakref.ref(value)
    del memo, value
    gc.collect()
    assert memo_ref() is None and value_ref() is None


def test_after_a_fork_the_child_can_use_the_memo() -> None:
    import os

    memo: Memo[int] = Memo(2)
    memo.get("a", lambda: 1)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the kept value is there, and a new build takes the (new) lock
        ok = memo.get("a", lambda: 99) == 1 and memo.get("b", lambda: 2) == 2
        os.write(write, b"1" if ok else b"0")
        os._exit(0)
    os.close(write)
    answer = os.read(read, 1)
    os.close(read)
    os.waitpid(pid, 0)
    assert answer == b"1"
