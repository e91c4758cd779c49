"""Views kept for one version of the database and catalogue (the pages' built content).

A page's content for given choices (län, kommun, period, indicator …) is the same for every viewer
of one database version, catalogue and app: building it again per request was most of each
callback. `VersionMemo.get(key, build, lans)` returns the value built for `key` from the current
snapshot and catalogue, or builds it. A value is kept with weak references to the snapshot and
catalogue it was built from and is rebuilt once either is replaced (a new compute, an edited
indicators.yaml); the app's settings and root path are part of the key, since links and maps
depend on them.

`lans` are the län whose rows the build reads: they are read first, and while a writer holds the
database and a län's previous rows are served (`Snapshot.has_rows` is false), the value is built
but not kept, so only a version's own rows are ever kept.

Values are shared between requests and threads: they must not be changed once built.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable, Iterable
from typing import Generic, TypeVar

import dash

from metrics.catalogue.model import Catalogue
from metrics.dashboard.source.context import catalogue, current_snapshot, settings
from metrics.dashboard.source.data import Snapshot
from metrics.dashboard.source.memo import Memo

V = TypeVar("V")


class VersionMemo(Generic[V]):
    """At most `size` values (the least recently used dropped first), each for one version."""

    def __init__(self, size: int) -> None:
        self._memo: Memo[tuple[weakref.ref[Snapshot], weakref.ref[Catalogue], V]] = Memo(size)

    def get(self, key: Hashable, build: Callable[[], V], lans: Iterable[str] = ()) -> V:
        snap = current_snapshot()
        cat = catalogue()
        lans = list(lans)
        for lan in lans:
            snap.lan_results(lan)  # read first: only this version's own rows may be kept
        if not all(snap.has_rows(lan) for lan in lans):
            return build()

        def kept() -> tuple[weakref.ref[Snapshot], weakref.ref[Catalogue], V]:
            return weakref.ref(snap), weakref.ref(cat), build()

        def same_version(entry: tuple[weakref.ref[Snapshot], weakref.ref[Catalogue], V]) -> bool:
            return entry[0]() is snap and entry[1]() is cat

        full_key = (key, settings(), dash.get_relative_path("/"))
        return self._memo.get(full_key, kept, same_version)[2]

    def clear(self) -> None:
        self._memo.clear()

    def __len__(self) -> int:
        return len(self._memo)
