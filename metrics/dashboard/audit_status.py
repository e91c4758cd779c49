"""The disclosure audit's outcome for the Data page: one Swedish status line from `meta`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb

from metrics.dashboard.format import format_int, format_number

AUDIT_META_KEY = "audit"  # written by metrics.compute.disclosure.record_audit


def read_audit(path: Path) -> dict[str, Any] | None:
    """The stored audit summary, or None before the first compute that ran the audit."""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return None
    try:
        row = con.execute("SELECT value FROM meta WHERE key = ?", [AUDIT_META_KEY]).fetchone()
    except duckdb.Error:  # no meta table yet
        return None
    finally:
        con.close()
    return json.loads(row[0]) if row else None


def audit_status(summary: dict[str, Any] | None) -> tuple[str, str]:
    """(text, tone) for the status card: 'Godkänd · 13 800 av 74 532 celler dolda (12,3 s)'."""
    if not summary:
        return "Inte körd", "neutral"
    hidden = f"{format_int(summary['hidden'])} av {format_int(summary['checked'])} celler dolda"
    seconds = f"{format_number(summary['seconds'], 1)} s"
    if summary.get("passed"):
        return f"Godkänd · {hidden} ({seconds})", "good"
    refused = summary.get("refused") or []
    what = f"{len(refused)} indikatorer publicerades inte" if refused else "dolda celler kan räknas fram"
    return f"Underkänd · {what} · {hidden}", "bad"
