"""Kolada's area ids and ours.

Kolada names riket '0000', a region (län) '00' followed by its two-digit länskod (Region
Östergötland '0005', Region Jämtland Härjedalen '0023') and a kommun by its four-digit
kommunkod ('0580'). A kommun group ('G…', e.g. "liknande kommuner") is kept, as area level
'grupp' with its Kolada id as code, only where an indicator's `kolada: groups:` names it.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from metrics.geography import load_geography

RIKET_KOLADA_ID = "0000"
RIKET_CODE = "00"  # riket's area_code in `kolada_reference`
_REGION = re.compile(r"^00([0-9]{2})$")


def area_of(kolada_id: str, groups: Collection[str] = ()) -> tuple[str, str] | None:
    """(area_level, area_code) for a Kolada municipality id; None for unknown ids and for groups
    not in `groups` (the chosen ones)."""
    if kolada_id in groups:
        return ("grupp", kolada_id)
    if kolada_id == RIKET_KOLADA_ID:
        return ("riket", RIKET_CODE)
    geography = load_geography()
    if (match := _REGION.match(kolada_id)) and match.group(1) in geography.lan:
        return ("lan", match.group(1))
    if kolada_id in geography.kommuner:
        return ("kommun", kolada_id)
    return None
