"""Previews stored for the board, outside its database: `<db>.previews/<token>.parquet` and `.json`.

`matavla preview` writes one here and prints a link with the token; the board serves it at
/forhandsgranskning/<token> as a page marked "inte publicerad". The token is random (128
bits), so a preview is reached only through the link its command printed. Nothing here is
person-level: a preview holds the same suppressed aggregates the board publishes. Previews
older than `KEEP_DAYS` are removed when a new one is stored.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

KEEP_DAYS = 14
TOKEN = re.compile(r"^[A-Za-z0-9_-]{22,64}$")
ROUTE = "/forhandsgranskning/"
# What the page shows of the indicator (the rest of its definition stays in the catalogue).
INDICATOR_FIELDS = (
    "id",
    "title",
    "description",
    "unit",
    "decimals",
    "direction",
    "numerator_text",
    "denominator_text",
)


@dataclass(frozen=True)
class StoredPreview:
    token: str
    meta: dict[str, Any]  # indicator fields, catalogue file name, created (ISO), published (bool)
    results: pd.DataFrame


def previews_folder(db_path: Path) -> Path:
    """The folder beside the database: data/matavla.duckdb → data/matavla.previews/."""
    return db_path.with_name(db_path.stem + ".previews")


def board_link(token: str) -> str:
    """Where the board (MATAVLA_HOST, MATAVLA_PORT; default 127.0.0.1:8050) serves the preview."""
    host = os.environ.get("MATAVLA_HOST") or "127.0.0.1"
    port = os.environ.get("MATAVLA_PORT") or "8050"
    return f"http://{host}:{port}{ROUTE}{token}"


def save_preview(db_path: Path, meta: dict[str, Any], results: pd.DataFrame) -> str:
    """Store a preview; returns its token."""
    folder = previews_folder(db_path)
    folder.mkdir(parents=True, exist_ok=True)
    _forget_old(folder)
    token = secrets.token_urlsafe(16)
    results.to_parquet(folder / f"{token}.parquet", index=False)
    stamped = {**meta, "created": datetime.now().replace(microsecond=0).isoformat(sep=" ")}
    (folder / f"{token}.json").write_text(json.dumps(stamped, ensure_ascii=False, indent=1), encoding="utf-8")
    return token


def load_preview(db_path: Path, token: str) -> StoredPreview | None:
    """The stored preview, or None for a token that is malformed or names none."""
    if not TOKEN.match(token):
        return None
    folder = previews_folder(db_path)
    try:
        meta = json.loads((folder / f"{token}.json").read_text(encoding="utf-8"))
        results = pd.read_parquet(folder / f"{token}.parquet")
    except (OSError, ValueError):
        return None
    return StoredPreview(token, meta, results)


def _forget_old(folder: Path) -> None:
    cutoff = time.time() - KEEP_DAYS * 86400
    for path in folder.iterdir():
        try:
            if path.suffix in (".json", ".parquet") and path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            continue  # another process removed it first


@dataclass(frozen=True)
class GridCell:
    value: float | None
    published: float | None
    suppressed: bool
    missing: bool


@dataclass(frozen=True)
class GridRow:
    code: str
    name: str
    level: str  # 'lan', 'kommun' or an area group's level
    cells: tuple[GridCell, ...]


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def preview_grid(
    results: pd.DataFrame, names: dict[str, str] | None = None, latest: int = 3
) -> tuple[list[str], list[GridRow]]:
    """The latest `latest` years × every area (each län, then its kommuner, then area groups).

    `names`: area groups' names by id (the catalogue's); kommuner and län are named from SCB.
    """
    from metrics.geography import load_geography

    totals = results[(results["breakdown"] == "total") & (results["period_type"] == "year")]
    periods = sorted(totals["period"].unique())[-latest:]
    geography = load_geography()
    cells: dict[tuple[str, str], GridCell] = {}
    levels: dict[str, str] = {}
    for row in totals[totals["period"].isin(periods)].itertuples(index=False):
        levels[str(row.area_code)] = str(row.area_level)
        cells[(str(row.area_code), str(row.period))] = GridCell(
            _number(row.value),
            _number(getattr(row, "published_value", None)),
            bool(row.suppressed),
            bool(row.missing),
        )
    lans = sorted(code for code, level in levels.items() if level == "lan")
    order = []
    for lan in lans:
        order.append(lan)
        order.extend(sorted(c for c, level in levels.items() if level == "kommun" and c[:2] == lan))
    order.extend(sorted(c for c, level in levels.items() if level not in ("lan", "kommun")))
    empty = GridCell(None, None, False, False)
    rows = [
        GridRow(
            code,
            (names or {}).get(code) or geography.area_name(code),
            levels[code],
            tuple(cells.get((code, p), empty) for p in periods),
        )
        for code in order
    ]
    return periods, rows


NBSP = "\u00a0"
MINUS = "\u2212"


def number_sv(value: float, decimals: int, *, sign: bool = False) -> str:
    """1234.5 → '1 234,5'; with sign '+0,4', '−0,4' and '±0' for no change."""
    text = f"{abs(value):,.{decimals}f}".replace(",", NBSP).replace(".", ",")
    if text.strip("0,") == "":
        return "±0" if sign else text
    if value < 0:
        return MINUS + text
    return "+" + text if sign else text


def cell_text(cell: GridCell, decimals: int) -> tuple[str, str]:
    """('56,0', '+0,3'): the preview's value and its change against the published one ('' if none)."""
    if cell.missing:
        return "saknas", ""
    if cell.suppressed:
        return "för få", ""
    if cell.value is None:
        return "–", ""
    if cell.published is None:
        return number_sv(cell.value, decimals), ""
    change = round(cell.value, decimals) - round(cell.published, decimals)
    return number_sv(cell.value, decimals), number_sv(change, decimals, sign=True)
