"""Kolada's value records as our reference rows."""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from metrics.kolada.areas import area_of

GENDERS = ("T", "K", "M")


@dataclass(frozen=True)
class ReferenceValue:
    kpi: str
    kolada_id: str  # Kolada's municipality id, e.g. '0000', '0005', '0580'
    area_level: str  # 'riket', 'lan', 'kommun' or 'grupp' (a chosen kommun group)
    area_code: str  # '00' (riket), '05', '0580', 'G36186'
    year: int
    gender: str  # 'T', 'K' or 'M'
    value: float | None  # None: Kolada has the cell but no value (e.g. too few to show)
    status: str | None
    deleted: bool = False  # Kolada marks the cell deleted (isdeleted): remove ours


@dataclass(frozen=True)
class Parsed:
    values: list[ReferenceValue]
    skipped_areas: int  # records for groups ('G…') or unknown ids
    skipped_other: int  # records without a year, gender or KPI we can read


def parse_records(
    records: Iterable[dict[str, Any]], kpis: set[str] | None = None, groups: Collection[str] = ()
) -> Parsed:
    """One ReferenceValue per (record, gender); unchosen groups (not in `groups`) and unreadable
    records are counted, not kept."""
    out: list[ReferenceValue] = []
    skipped_areas = skipped_other = 0
    for record in records:
        kpi = str(record.get("kpi") or "").strip().upper()
        municipality = str(record.get("municipality") or "").strip()
        year = _year(record.get("period"))
        if not kpi or year is None or (kpis is not None and kpi not in kpis):
            skipped_other += 1
            continue
        area = area_of(municipality, groups)
        if area is None:
            skipped_areas += 1
            continue
        for cell in record.get("values") or []:
            if not isinstance(cell, dict):
                skipped_other += 1
                continue
            gender = str(cell.get("gender") or "").strip().upper()
            if gender not in GENDERS:
                skipped_other += 1
                continue
            out.append(
                ReferenceValue(
                    kpi=kpi,
                    kolada_id=municipality,
                    area_level=area[0],
                    area_code=area[1],
                    year=year,
                    gender=gender,
                    value=number(cell.get("value")),
                    status=(str(cell["status"]) if cell.get("status") not in (None, "") else None),
                    deleted=bool(cell.get("isdeleted")),
                )
            )
    return Parsed(out, skipped_areas, skipped_other)


def _year(period: object) -> int | None:
    try:
        year = int(str(period).strip()[:4])
    except ValueError:
        return None
    return year if 1900 <= year <= 2200 else None


MISSING_TEXT = ("", "-", "..", "–", ".")  # how a table shows a cell without a value


def is_missing_text(text: str) -> bool:
    return text.strip() in MISSING_TEXT


def number(value: object) -> float | None:
    """A JSON number, or a Swedish number as text ('63,2'); None for empty or not a number."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        result = float(value)
    else:
        if is_missing_text(str(value)):
            return None
        text = str(value).strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
        text = text.replace(",", ".")
        try:
            result = float(text)
        except ValueError:
            return None
    return result if math.isfinite(result) else None  # NaN and ±inf are no values
