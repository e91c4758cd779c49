"""Kolada's reference values (`kolada_reference`, written by `matavla kolada`), cached per file version."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from metrics.dashboard.source.data import VersionCache, _table_exists, connect_read_only

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
