"""The app's settings and the catalogue, reached from any callback through Flask's app context.

`create_app` stores a `Settings` in `server.config`; pages read it with `settings()`. Every
gunicorn worker builds its own app from the same environment, so nothing here is shared
mutable state: the catalogue and the snapshot are caches keyed by file version.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import flask

from metrics.catalogue.loader import load_catalogue
from metrics.catalogue.model import Catalogue, Indicator
from metrics.dashboard.data import Snapshot, snapshot
from metrics.geography import Geography, load_geography

CONFIG_KEY = "MATAVLA"


@dataclass(frozen=True)
class Settings:
    db_path: Path
    catalog_path: Path
    geojson_path: Path | None = None
    default_lan: str | None = None
    group_lan: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


def settings() -> Settings:
    value = flask.current_app.config.get(CONFIG_KEY)
    if not isinstance(value, Settings):
        raise RuntimeError("the dashboard's settings are missing; build the app with create_app()")
    return value


_catalogue_lock = threading.Lock()
_catalogues: dict[str, tuple[int, Catalogue]] = {}


def load_catalogue_cached(path: Path) -> Catalogue:
    """The catalogue, re-read when the file changes (indicators left out on error are logged by the CLI)."""
    mtime = path.stat().st_mtime_ns
    key = str(path.resolve())
    entry = _catalogues.get(key)
    if entry is not None and entry[0] == mtime:
        return entry[1]
    with _catalogue_lock:
        catalogue = load_catalogue(path).catalogue
        _catalogues[key] = (mtime, catalogue)
        return catalogue


def catalogue() -> Catalogue:
    return load_catalogue_cached(settings().catalog_path)


def indicator_or_none(indicator_id: str | None) -> Indicator | None:
    if not indicator_id:
        return None
    try:
        return catalogue().indicator(indicator_id)
    except KeyError:
        return None


def current_snapshot() -> Snapshot:
    s = settings()
    return snapshot(s.db_path, s.group_lan)


def geography() -> Geography:
    return load_geography()


def group_lan_of(cat: Catalogue) -> dict[str, str]:
    """Area-group id → the län most of its kommuner belong to."""
    geo = load_geography()
    mapping: dict[str, str] = {}
    for level in cat.area_levels:
        for group in level.groups:
            lans = [geo.kommuner[c].lan for c in group.kommuner if c in geo.kommuner]
            if lans:
                mapping[group.id] = max(set(lans), key=lans.count)
    return mapping
