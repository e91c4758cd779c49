"""Kolada's reference values (`kolada_reference`) and kommun groups (`kolada_groups`), as `matavla
kolada` wrote them, cached per file version."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from metrics.dashboard.logic.references import KoladaGroup
from metrics.dashboard.source.data import VersionCache, _table_exists, connect_read_only
from metrics.geography import load_geography

COLUMNS = (
    "kpi",
    "area_level",
    "area_code",
    "year",
    "gender",
    "value",
    "kpi_title",
    "publication_date",
    "source",
    "fetched_at",
)


def read_references(path: Path) -> pd.DataFrame:
    """Every stored reference value (riket, län and kommuner per KPI); empty when none is fetched."""
    con = connect_read_only(path)
    try:
        if not _table_exists(con, "kolada_reference"):
            return pd.DataFrame(columns=list(COLUMNS))
        return con.execute(f"SELECT {', '.join(COLUMNS)} FROM kolada_reference").df()
    finally:
        con.close()


_references: VersionCache[pd.DataFrame] = VersionCache(read_references)


def references(path: Path) -> pd.DataFrame:
    return _references.get(path)


def read_groups(path: Path) -> dict[str, KoladaGroup]:
    """The stored kommun groups by id, with their members' names; empty when none is fetched."""
    con = connect_read_only(path)
    try:
        if not _table_exists(con, "kolada_groups"):
            return {}
        members: dict[str, list[str]] = {}
        geography = load_geography()
        if _table_exists(con, "kolada_group_members"):
            for group_id, kolada_id, title in con.execute(
                "SELECT group_id, kolada_id, title FROM kolada_group_members ORDER BY group_id, kolada_id"
            ).fetchall():
                # Kolada's name of the member, else ours for its kommunkod, else the bare id
                known = geography.kommuner.get(str(kolada_id))
                name = title or (known.name if known is not None else kolada_id)
                members.setdefault(str(group_id), []).append(str(name))
        return {
            str(group_id): KoladaGroup(
                str(group_id),
                str(title) if title else None,
                tuple(members.get(str(group_id), [])),
                str(source),
                fetched_at,
            )
            for group_id, title, source, fetched_at in con.execute(
                "SELECT group_id, title, source, fetched_at FROM kolada_groups"
            ).fetchall()
        }
    finally:
        con.close()


_groups: VersionCache[dict[str, KoladaGroup]] = VersionCache(read_groups)


def kolada_groups(path: Path) -> dict[str, KoladaGroup]:
    return _groups.get(path)
