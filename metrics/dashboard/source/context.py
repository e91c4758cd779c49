"""The app's settings and the catalogue, reached from any callback through Flask's app context.

`create_app` stores a `Settings` in `server.config`; pages read it with `settings()`. Every
gunicorn worker builds its own app from the same environment, so nothing here is shared
mutable state: the catalogue and the snapshot are caches keyed by file version.

A broken `indicators.yaml` never takes the board down: the last catalogue that loaded in
this process is kept (or, after a restart, the one stored with the latest compute run),
and the Data page says so.
"""

from __future__ import annotations

import dataclasses
import logging
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import flask

from metrics.catalogue.loader import load_catalogue
from metrics.catalogue.model import Catalogue, Indicator
from metrics.catalogue.plans import PLANS_DIR, plan_paths
from metrics.dashboard.logic.format import format_date
from metrics.dashboard.source.data import Snapshot, snapshot
from metrics.dashboard.source.runinfo import stored_catalogues
from metrics.errors import CatalogueError, MatavlaError, Problem
from metrics.geography import Geography, load_geography

log = logging.getLogger(__name__)

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


@dataclass(frozen=True)
class CatalogueState:
    """The catalogue the board uses, and – when the file is broken – why and what it shows instead."""

    catalogue: Catalogue
    # 'file'; 'last_good' (loaded earlier in this process); 'run' (stored with a run); 'partly' (the
    # indicators of the broken file that loaded, when there is nothing else)
    source: str = "file"
    broken_since: datetime | None = None  # the broken file's modification time
    problem: str | None = None  # the file's first problem, with its line


_catalogue_lock = threading.Lock()
_catalogues: dict[str, tuple[object, CatalogueState]] = {}
_last_good: dict[str, Catalogue] = {}


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return -1  # gone: loading reports it


def _shown_file(file: str | None) -> str | None:
    """The name a viewer may see: a plan file as plans/x.yaml, any other file by its name only."""
    if not file:
        return None
    return file if file.startswith(f"{PLANS_DIR}/") else Path(file).name


def _version(path: Path) -> object:
    """What a change of the catalogue or of any plan file beside it (plans/*.yaml) changes."""
    return (_mtime(path), tuple((p.name, _mtime(p)) for p in plan_paths(path)))


def _from_run(db_path: Path | None) -> Catalogue | None:
    """The newest catalogue stored with a kept run that loads whole (None if there is none).

    A run may have read a file with an indicator left out for an error (the CLI then computes
    the others); an older run's catalogue that still has that indicator is preferred.
    """
    if db_path is None or not db_path.exists():
        return None
    partly: list[Catalogue] = []
    for name, text in stored_catalogues(db_path):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / name  # the same file name, so any message names it as the analyst knows it
            path.write_text(text, encoding="utf-8")
            try:
                result = load_catalogue(path)
            except MatavlaError:
                continue
        if not any(p.level == "error" for p in result.problems):
            return result.catalogue
        partly.append(result.catalogue)
    return partly[0] if partly else None


def catalogue_state(path: Path, db_path: Path | None = None) -> CatalogueState:
    """The catalogue, re-read when the file changes; the last valid one while the file is broken.

    A file with an indicator left out for an error counts as broken. Raises `CatalogueError`
    only when the file cannot be read at all and no valid catalogue was loaded in this process
    or stored with a run.
    """
    mtime = _mtime(path)
    version = _version(path)
    key = str(path.resolve())
    entry = _catalogues.get(key)
    if entry is not None and entry[0] == version:
        return entry[1]
    with _catalogue_lock:
        partly: Catalogue | None = None  # what loaded of a file with indicators left out for errors
        try:
            result = load_catalogue(path)
            errors = [p for p in result.problems if p.level == "error"]
            if errors:
                # An indicator left out for an error is broken, not removed (compute keeps its
                # results): the board keeps the last valid catalogue, which still has it.
                partly = result.catalogue
                raise CatalogueError(errors)
            state = CatalogueState(result.catalogue)
            _last_good[key] = state.catalogue
        except CatalogueError as exc:
            # the file's name, not its path on the server, on a page every viewer sees
            problems = [dataclasses.replace(p, file=_shown_file(p.file)) for p in exc.problems]
            problem = str(problems[0] if problems else Problem(str(exc)))
            since = datetime.fromtimestamp(mtime / 1e9) if mtime >= 0 else datetime.now()
            if key in _last_good:
                state = CatalogueState(_last_good[key], "last_good", since, problem)
            elif (stored := _from_run(db_path)) is not None:
                state = CatalogueState(stored, "run", since, problem)
            elif partly is not None:
                state = CatalogueState(partly, "partly", since, problem)
            else:
                raise CatalogueError(
                    [
                        *problems,
                        Problem(
                            "tavlan har ingen giltig katalog att visa (ingen har lästs sedan start och "
                            "ingen finns sparad från en beräkning)",
                            path.name,
                            hint="rätta filen; `matavla check` visar alla fel med radnummer",
                        ),
                    ]
                ) from exc
            log.warning("%s is broken (%s); serving the last valid catalogue", path, problem)
            _last_good[key] = state.catalogue
        _catalogues[key] = (version, state)
        return state


def load_catalogue_cached(path: Path, db_path: Path | None = None) -> Catalogue:
    return catalogue_state(path, db_path).catalogue


def catalogue() -> Catalogue:
    s = settings()
    return load_catalogue_cached(s.catalog_path, s.db_path)


def catalogue_notice() -> str | None:
    """The Data page's notice while indicators.yaml is broken (None while it loads)."""
    s = settings()
    state = catalogue_state(s.catalog_path, s.db_path)
    if state.broken_since is None:
        return None
    shown = {
        "last_good": "den senast giltiga katalogen",
        "partly": "de indikatorer i filen som gick att läsa",
    }.get(state.source, "katalogen från den senaste beräkningen")
    return (
        f"{s.catalog_path.name} har fel sedan {format_date(state.broken_since, with_time=True)}; "
        f"tavlan visar {shown}. Fel: {state.problem} – rätta filen (`matavla check`)."
    )


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
