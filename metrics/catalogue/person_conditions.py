"""`having:` — count the persons whose rows in the period, taken together, meet a condition.

A row filter (`where:`) looks at one contact at a time; some questions are about a
person's contacts together: "contacts with three or more professions in the year"
(team-based care) is `having: "count(DISTINCT profession) >= 3"`. The condition is
an SQL expression over aggregate functions of the person's rows (`count`, `sum`,
`min`, `max`, `count(DISTINCT …)`, `… FILTER (WHERE …)`), evaluated once per person
and period, like SQL's HAVING. It is spliced into the generated query and so checked
by the sandbox like every `where:` (metrics.compute.sandbox).
"""

from __future__ import annotations

from metrics.catalogue.problems import Problems
from metrics.catalogue.yaml_loader import LineDict

HAVING_EXAMPLE = 'having: "count(DISTINCT profession) >= 3"'
NOT_AGGREGATE_HINT = (
    "having ska vara ett villkor över personens alla rader i perioden, med en mängdfunktion "
    "(count, sum, min, max), t.ex. " + HAVING_EXAMPLE
)


def parse_having(node: LineDict, kind: str, what: str, role: str, problems: Problems) -> str | None:
    """The measure's `having:` condition, or None; problems get the key's line."""
    if "having" not in node:
        return None
    line = node.line_of("having")
    having = node["having"]
    if not isinstance(having, str) or not having.strip():
        problems.add(
            line, f"{what}: {role}.having ska vara ett SQL-villkor som text", f"t.ex. {HAVING_EXAMPLE}"
        )
        return None
    if kind != "persons":
        problems.add(
            line,
            f"{what}: having gäller bara count: persons",
            "having räknar personer vars rader tillsammans uppfyller villkoret; skriv count: persons",
        )
        return None
    clashing = [key for key in ("where", "codes", "latest") if key in node]
    if clashing:
        problems.add(
            line,
            f"{what}: {role} kan inte ha både having och {clashing[0]}",
            "begränsa raderna i indikatorns where:, eller inne i villkoret med FILTER, t.ex. "
            "having: \"count(DISTINCT profession) FILTER (WHERE mode <> 'telefon') >= 3\"",
        )
        return None
    return having.strip()
