"""Kommun boundaries for the choropleth, from a GeoJSON file the region configures.

Features must carry the property `id` = the four-digit kommun code. The file is read
once per process and version; each län gets the subset of its kommuner.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from metrics.errors import MatavlaError

_lock = threading.Lock()
_files: dict[str, tuple[int, dict[str, dict[str, Any]]]] = {}


class BoundariesError(MatavlaError):
    pass


def _features(path: Path) -> dict[str, dict[str, Any]]:
    """Features by kommun code (the file re-read when it changes)."""
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        raise BoundariesError(f"kartfilen {path} finns inte (kontrollera MATAVLA_GEOJSON)") from None
    key = str(path.resolve())
    entry = _files.get(key)
    if entry is not None and entry[0] == mtime:
        return entry[1]
    with _lock:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BoundariesError(f"kartfilen {path} kunde inte läsas som GeoJSON: {exc}") from exc
        features = {}
        for feature in doc.get("features", []):
            code = str((feature.get("properties") or {}).get("id", "")).zfill(4)
            if code.strip("0"):
                features[code] = feature
        if not features:
            raise BoundariesError(
                f"kartfilen {path} har inga områden med egenskapen 'id' (fyrsiffrig kommunkod)"
            )
        _files[key] = (mtime, features)
        return features


def lan_geojson(path: Path, kommuner: list[str]) -> dict[str, Any] | None:
    """A FeatureCollection of the given kommuner, or None when the file has none of them."""
    features = _features(path)
    chosen = [features[code] for code in kommuner if code in features]
    if not chosen:
        return None
    return {"type": "FeatureCollection", "features": chosen}
