"""What the board says where the publishing ladder left an indicator's kommun cells out.

When compute's exact audit cannot prove an indicator's protection within its work budget, it
publishes the indicator on a coarser rung for kommuner only (docs/disclosure.md, "The publishing
ladder"; `metrics.compute.publication.LADDER`): 1 no kommun months, 2 also no kommun quarters by
sex and age band, 3 only years per kommun, 4 no kommun cells at all. The withheld cells are simply
absent from `results`; without a note a page would show them as "saknas", which says the kommun
did not deliver – untrue. The rung of each indicator is in compute's audit record (meta `audit`,
key `ladder`, only rungs above 0).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from metrics.compute.publication import FALLBACK_RUNG, LAST_RUNG

# Why, in the reader's words: what was proven is published; the finer division was not proven
# within the budget (the Data page says the same in LP terms, logic/audit_status.py).
_WHY_FINER = "röjandekontrollen kunde inte bevisa skyddet av så fin indelning"
_WHY_KOMMUN = "röjandekontrollen kunde inte bevisa skyddet av kommunernas värden"

NO_KOMMUN_VALUES = f"Inga kommunvärden visas för den här indikatorn, bara län och områden: {_WHY_KOMMUN}."
NO_KOMMUN_MONTHS = f"Månadsvärden per kommun visas inte för den här indikatorn: {_WHY_FINER} – se kvartal."
NO_KOMMUN_QUARTER_BREAKDOWNS = (
    "Kvartalsvärden per kön och åldersgrupp visas inte per kommun för den här indikatorn: "
    f"{_WHY_FINER} – välj år."
)
ONLY_KOMMUN_YEARS = f"Bara årsvärden visas per kommun för den här indikatorn: {_WHY_FINER} – se år."


def rungs(audit_json: str | None) -> dict[str, int]:
    """Each indicator's rung from compute's audit record (meta `audit`); {} before any ladder."""
    if not audit_json:
        return {}
    ladder = json.loads(audit_json).get("ladder") or {}
    return {str(indicator): int(rung) for indicator, rung in ladder.items() if int(rung) > 0}


def rung_note(rung: int, period_type: str, breakdown: str = "total") -> str | None:
    """Why an indicator on `rung` has no kommun values of this period type and breakdown
    ('total', 'sex' or 'age_band'), or None when the rung withholds none of them."""
    if rung >= FALLBACK_RUNG:
        return NO_KOMMUN_VALUES
    if rung >= LAST_RUNG and period_type in ("month", "quarter"):
        return ONLY_KOMMUN_YEARS
    if rung >= 1 and period_type == "month":
        return NO_KOMMUN_MONTHS
    if rung >= 2 and period_type == "quarter" and breakdown != "total":
        return NO_KOMMUN_QUARTER_BREAKDOWNS
    return None


def ladder_note(
    ladder: Mapping[str, int], indicator: str, period_type: str, breakdown: str = "total"
) -> str | None:
    """`rung_note` for an indicator by id: None for one the ladder does not name (rung 0)."""
    return rung_note(ladder.get(indicator, 0), period_type, breakdown)
