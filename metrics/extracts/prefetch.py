"""Read a file's next piece while the database stages the current one."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")

_END = object()
_POLL_SECONDS = 0.1


class Prefetched(Generic[T]):
    """The items of `source` in order, each made on a thread of its own while the one before is used.

    Parsing a piece (Arrow) and staging the one before (DuckDB) both release the GIL, so on two
    cores they overlap. The thread makes an item only when the one before has been taken, so at
    most two pieces are held at a time (the one in use and the next), whatever the file's size.
    An exception while making an item is raised where that item is taken: errors come in the same
    order as without the thread (a personnummer in piece 2 is reported before a broken piece 3).
    Use it in a `with` block: leaving it stops the thread after the item it is making.
    """

    def __init__(self, source: Iterable[T]) -> None:
        self._items: queue.Queue[tuple[object, BaseException | None]] = queue.Queue()
        self._wanted = threading.Semaphore(1)  # the first item is made at once
        self._stop = threading.Event()
        self._done = False
        self._thread = threading.Thread(target=self._run, args=(iter(source),), daemon=True)

    def _run(self, items: Iterator[T]) -> None:
        while not self._stop.is_set():
            if not self._wanted.acquire(timeout=_POLL_SECONDS):
                continue
            if self._stop.is_set():
                return
            try:
                item = next(items)
            except StopIteration:
                self._items.put((_END, None))
                return
            except BaseException as exc:  # raised in the reader, where the item is taken
                self._items.put((_END, exc))
                return
            self._items.put((item, None))
            del item

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        if self._done:
            raise StopIteration
        self._wanted.release()  # the item after this one may be made while this one is used
        item, error = self._items.get()
        if item is _END:
            self._done = True
            self._thread.join()
            if error is not None:
                raise error
            raise StopIteration
        return item  # type: ignore[return-value]

    def __enter__(self) -> Prefetched[T]:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._done = True
        self._thread.join()
