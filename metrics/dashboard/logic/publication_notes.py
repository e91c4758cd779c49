"""What the board says where the publishing rule left a kommun's months or breakdowns out.

The rule (docs/disclosure.md, "The publishing rule") withholds whole families of cells: months of
kommuner below a population threshold, and months by sex and age band per kommun. An empty chart
would look like missing data; the board says why instead, in Swedish, and where to look.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from metrics.wording import thousands


@dataclass(frozen=True)
class Publication:
    """The rule compute applied (meta `publication`)."""

    months_min_population: int = 0
    kommun_month_breakdowns: bool = True
    quarter_breakdowns_min_population: int = 0
    months_withheld: frozenset[str] = frozenset()
    quarter_breakdowns_withheld: frozenset[str] = frozenset()

    @classmethod
    def from_json(cls, text: str | None) -> Publication:
        """From compute's record; before the rule existed every cell was published."""
        if not text:
            return cls()
        data = json.loads(text)
        return cls(
            months_min_population=int(data.get("kommun_months_min_population") or 0),
            kommun_month_breakdowns=bool(data.get("kommun_month_breakdowns", True)),
            quarter_breakdowns_min_population=int(data.get("kommun_quarter_breakdowns_min_population") or 0),
            months_withheld=frozenset(data.get("months_withheld") or ()),
            quarter_breakdowns_withheld=frozenset(data.get("quarter_breakdowns_withheld") or ()),
        )


NO_RULE = Publication()


def months_note(publication: Publication, kommun: str) -> str | None:
    """Why a kommun has no month values, or None when it has them."""
    if kommun not in publication.months_withheld:
        return None
    return (
        f"Månadsvärden visas inte för kommuner under {thousands(publication.months_min_population)} "
        "invånare – se kvartal."
    )


def months_note_for(publication: Publication, kommuner: Iterable[tuple[str, str]]) -> str | None:
    """One sentence for a län's kommuner (code, name): which of them have no month values."""
    names = [name for code, name in kommuner if code in publication.months_withheld]
    if not names:
        return None
    listed = ", ".join(names)
    return (
        f"Månadsvärden visas inte för kommuner under {thousands(publication.months_min_population)} "
        f"invånare – se kvartal ({listed})."
    )


def breakdown_note(publication: Publication, kommun: str, period_type: str) -> str | None:
    """Why a kommun has no values by sex and age band for this period type, or None."""
    if period_type == "month" and kommun in publication.months_withheld:
        return months_note(publication, kommun)
    if period_type == "month" and not publication.kommun_month_breakdowns:
        return (
            "Månadsvärden per kön och åldersgrupp visas bara för län och områden, inte per kommun "
            "– välj kvartal eller år."
        )
    if period_type == "quarter" and kommun in publication.quarter_breakdowns_withheld:
        return (
            "Kvartalsvärden per kön och åldersgrupp visas inte för kommuner under "
            f"{thousands(publication.quarter_breakdowns_min_population)} invånare – välj år."
        )
    return None
