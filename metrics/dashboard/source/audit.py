"""The disclosure checks' stored outcomes (`meta`), read for the Data page's status card."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb

from metrics.compute.disclosure import AUDIT_META_KEY, LP_AUDIT_META_KEY
from metrics.dashboard.source.connection import open_read_only


def read_audit(path: Path) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(compute's check, the latest `matavla audit`); None for one not run yet."""
    try:
        con = open_read_only(path)
    except duckdb.Error:
        return None, None
    try:
        rows = dict(
            con.execute(
                "SELECT key, value FROM meta WHERE key IN (?, ?)", [AUDIT_META_KEY, LP_AUDIT_META_KEY]
            ).fetchall()
        )
    except duckdb.Error:  # no meta table yet
        return None, None
    finally:
        con.close()
    compute = json.loads(rows[AUDIT_META_KEY]) if AUDIT_META_KEY in rows else None
    lp = json.loads(rows[LP_AUDIT_META_KEY]) if LP_AUDIT_META_KEY in rows else None
    return compute, lp
