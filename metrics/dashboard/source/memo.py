"""A small, bounded, thread-safe memo for views that are costly to build and the same for everyone.

Länsöversikt's board for a län and period is the same for every viewer of one database version;
building it is most of the callback. `Memo.get(key, build)` returns the value kept for `key`, or
builds it. The lock guards only the dictionary: it is never held while building, so a build that
itself reads through another cache (the snapshot's lock, the catalogue's) cannot deadlock against
a thread waiting here. Two threads asking for the same missing key at once: the first builds, the
second waits for that build (not for the lock) and takes its value; if the build fails, the
waiter builds itself. A build that asks for its own key again (a bug) builds twice rather than
waiting for itself.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class _Pending:
    """A build under way: its thread, and the event set when it has finished (well or not)."""

    def __init__(self) -> None:
        self.thread = threading.get_ident()
        self.done = threading.Event()


# every live memo, to reset after a fork; weak, so a memo dropped (a page module reloaded by
# create_app) is freed with its values: a hook per memo (os.register_at_fork holds it strongly,
# for ever) would keep each one and its up to ~40 MB of boards alive
_memos: weakref.WeakSet[Memo[object]] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for memo in list(_memos):
        memo._after_fork()


os.register_at_fork(after_in_child=_after_fork_in_child)


class Memo(Generic[V]):
    """At most `size` values, the least recently used dropped first.

    `valid(value)`, if given to `get`, says whether a kept value still holds (for example, that the
    database version it was built from is still the one shown); a value that does not is rebuilt.
    """

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("size must be at least 1")
        self._size = size
        self._values: OrderedDict[Hashable, V] = OrderedDict()
        self._pending: dict[Hashable, _Pending] = {}
        self._lock = threading.Lock()
        _memos.add(self)  # type: ignore[arg-type]  # reset after a fork, without keeping it alive

    def _after_fork(self) -> None:
        # a forked worker has only the thread that forked: a lock or a build another thread held
        # in the parent would never be released
        self._lock = threading.Lock()
        self._pending = {}

    def get(self, key: Hashable, build: Callable[[], V], valid: Callable[[V], bool] | None = None) -> V:
        while True:
            with self._lock:
                if key in self._values:
                    found = self._values[key]
                    if valid is None or valid(found):
                        self._values.move_to_end(key)
                        return found
                    del self._values[key]
                pending = self._pending.get(key)
                if pending is None or pending.thread == threading.get_ident():
                    mine = _Pending()
                    if pending is None:
                        self._pending[key] = mine
                    break
            pending.done.wait()  # outside the lock; then look again (the build may have failed)
        try:
            value = build()
        except BaseException:
            self._finish(key, mine)
            raise
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self._size:
                self._values.popitem(last=False)
        self._finish(key, mine)
        return value

    def _finish(self, key: Hashable, mine: _Pending) -> None:
        with self._lock:
            if self._pending.get(key) is mine:
                del self._pending[key]
        mine.done.set()

    def clear(self) -> None:
        with self._lock:
            self._values.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._values)
