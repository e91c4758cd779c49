"""Every declared extract and what has been imported of it, for the Data page: what is missing.

The extracts are those of the contract (`metrics.extracts.schema.EXTRACTS`) and those the
catalogue declares under `extracts:`; the counts are the Data page's (`Coverage.extracts`).
An extract that no import has delivered is "saknas" – a problem where an indicator reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from metrics.catalogue.model import Catalogue
from metrics.dashboard.logic.format import is_missing
from metrics.extracts.schema import EXTRACTS


@dataclass(frozen=True)
class ExtractStatus:
    extract: str  # its name, e.g. 'listing'
    title: str  # Swedish, e.g. 'Listning'
    declared_in: str  # 'kontraktet' (built in) or 'katalogen' (declared under extracts:)
    indicators: tuple[str, ...]  # the titles of the catalogue's indicators that read it
    rows: int
    first: object  # the first and last date (or year) of its rows; None without rows
    last: object
    kommuner: int | None  # distinct kommuner in its rows; None for an extract without a kommun column
    last_import: datetime | str | None  # when an import last delivered it; None: never
    status: str  # Swedish: 'Inläst', 'Saknas', 'Importerat men tomt', 'Inte inläst'
    tone: str  # 'good', 'bad' or 'neutral'

    @property
    def missing(self) -> bool:
        """Needed (an indicator reads it) and no row is imported."""
        return self.rows == 0 and bool(self.indicators)


def _count(value: Any) -> int:
    return 0 if value is None or is_missing(value) else int(value)


def extract_statuses(catalogue: Catalogue, counts: pd.DataFrame) -> list[ExtractStatus]:
    """One line an extract: the missing ones first (needed, no row imported), then the rest; each
    part in order, the contract's extracts before the catalogue's declared ones.

    `counts`: extract, rows, first, last, kommuner, last_import per extract (missing rows count
    as never imported)."""
    by_name = {str(r["extract"]): r for r in counts.to_dict("records")}
    declared = [(e, "kontraktet") for e in EXTRACTS.values()] + [
        (e, "katalogen") for e in catalogue.extracts if e.name not in EXTRACTS
    ]
    out = []
    for extract, where in declared:
        row = by_name.get(extract.name, {})
        readers = tuple(i.title for i in catalogue.indicators if extract.name in i.sources)
        rows = _count(row.get("rows"))
        imported = row.get("last_import")
        imported = None if imported is None or is_missing(imported) else imported
        kommuner = row.get("kommuner")
        if rows:
            status, tone = "Inläst", "good"
        elif imported is not None:
            status, tone = "Importerat men tomt", "bad" if readers else "neutral"
        elif readers:
            status, tone = "Saknas", "bad"
        else:
            status, tone = "Inte inläst", "neutral"
        out.append(
            ExtractStatus(
                extract=extract.name,
                title=extract.title,
                declared_in=where,
                indicators=readers,
                rows=rows,
                first=row.get("first") if rows else None,
                last=row.get("last") if rows else None,
                kommuner=None if kommuner is None or is_missing(kommuner) else int(kommuner),
                last_import=imported,
                status=status,
                tone=tone,
            )
        )
    return sorted(out, key=lambda s: not s.missing)  # stable: the order within each part is kept


def readers_text(status: ExtractStatus) -> str:
    """'2 indikatorer: Fast läkarkontakt; Hembesök, 75 år och äldre' or 'ingen indikator' (a title
    may hold a comma, so they are parted by semicolons)."""
    n = len(status.indicators)
    if not n:
        return "ingen indikator"
    return f"{n} {'indikator' if n == 1 else 'indikatorer'}: {'; '.join(status.indicators)}"


def missing_text(statuses: list[ExtractStatus]) -> str | None:
    """'Saknas: Vaccinationer (vaccinations), som 2 indikatorer läser.' or None when none is missing;
    an extract an import delivered without a row is named as such, not as never imported."""
    missing = [s for s in statuses if s.missing]
    if not missing:
        return None

    def named(part: list[ExtractStatus]) -> str:
        return "; ".join(
            f"{s.title} ({s.extract}), som {len(s.indicators)} "
            f"{'indikator' if len(s.indicators) == 1 else 'indikatorer'} läser"
            for s in part
        )

    never = [s for s in missing if s.last_import is None]
    empty = [s for s in missing if s.last_import is not None]
    said = [
        f"Saknas: {named(never)}." if never else "",
        f"Importerat men tomt: {named(empty)}." if empty else "",
    ]
    return (
        " ".join(t for t in said if t) + " En indikator som läser ett utdrag utan rader har inget underlag "
        "förrän en fil med utdragets rader är importerad med matavla import."
    )
