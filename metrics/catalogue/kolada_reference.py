"""`kolada:` in an indicator: the Kolada KPI that is the indicator's national reference.

`kolada: N00945` or `kolada: {kpi: N00945, gender: T, groups: [G36186]}`. `matavla kolada` fetches the KPI's
values for riket, the län and the kommuner; the indicator page shows riket (and the län as
Kolada has it, and Kolada's value for each chosen kommun group: "liknande kommuner") beside
the län's own value. Name a KPI only where it measures the same thing
in the same unit as the indicator: the board puts the two on one axis.
"""

from __future__ import annotations

import re
from typing import Any

from metrics.catalogue.model import KoladaReference
from metrics.catalogue.problems import Problems, unknown_keys
from metrics.catalogue.yaml_loader import LineDict

KOLADA_KEYS = ("kpi", "gender", "groups")
KOLADA_GENDERS = ("T", "K", "M")
# Kolada's municipal KPI ids: N (national statistics) or U (Kolada's own) and five digits.
KPI_PATTERN = re.compile(r"^[NU][0-9]{5}$")
# Kolada's kommun groups (municipality groups, e.g. "Liknande kommuner …"): G and digits.
GROUP_PATTERN = re.compile(r"^G[0-9]+$")

_HINT = "t.ex. kolada: N00945 eller kolada: {kpi: N00945, gender: T}"


def parse_kolada(node: Any, line: int, what: str, problems: Problems) -> KoladaReference | None:
    """A KPI id, or a mapping with `kpi` and `gender` (T total, K kvinnor, M män; default T)."""
    if node is None:
        return None
    if isinstance(node, str):
        fields: dict[str, Any] = {"kpi": node}
        lines: LineDict | None = None
    elif isinstance(node, LineDict):
        unknown_keys(node, KOLADA_KEYS, f"{what}: kolada", problems)
        fields, lines = dict(node), node
    else:
        problems.add(line, f"{what}: kolada ska vara ett nyckeltals-id eller en mappning", _HINT)
        return None

    def at(key: str) -> int:
        return lines.line_of(key) if lines is not None else line

    kpi = fields.get("kpi")
    if not isinstance(kpi, str) or not KPI_PATTERN.match(kpi.strip().upper()):
        shown = f" '{kpi}'" if kpi is not None else ""
        problems.add(
            at("kpi"),
            f"{what}: kolada-nyckeltalet{shown} är inget giltigt id"
            if kpi is not None
            else f"{what}: kolada saknar kpi",
            "ett id är N eller U och fem siffror, som på kolada.se, t.ex. N00945",
        )
        return None
    gender = fields.get("gender", "T")
    if not isinstance(gender, str) or gender.strip().upper() not in KOLADA_GENDERS:
        problems.add(
            at("gender"),
            f"{what}: kolada.gender ska vara T (totalt), K (kvinnor) eller M (män), inte '{gender}'",
        )
        return None
    groups = fields.get("groups", [])
    if isinstance(groups, str):
        groups = [groups]
    hint = "gruppens id står i adressen till gruppen på kolada.se (G och siffror)"
    if not isinstance(groups, list):
        problems.add(
            at("groups"),
            f"{what}: kolada.groups ska vara en lista med Koladas kommungrupps-id, t.ex. [G36186]",
            hint,
        )
        return None
    if wrong := [g for g in groups if not isinstance(g, str) or not GROUP_PATTERN.match(g.strip().upper())]:
        problems.add(
            at("groups"),
            f"{what}: kolada.groups: '{wrong[0]}' är inget kommungrupps-id i Kolada (t.ex. G36186)",
            hint,
        )
        return None
    chosen = tuple(dict.fromkeys(g.strip().upper() for g in groups))
    return KoladaReference(kpi.strip().upper(), gender.strip().upper(), line, chosen)
