"""`matavla audit`: the exact LP audit over the stored `results`, as Swedish lines for the terminal."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

from metrics.catalogue.model import Catalogue
from metrics.catalogue.problems import did_you_mean
from metrics.compute.disclosure import (
    AUDIT_META_KEY,
    LP_AUDIT_META_KEY,
    LP_CHECK,
    IndicatorAudit,
    audit_indicator,
    describe_findings,
    record_audit,
)
from metrics.compute.publication import rung_plan, stored_plan
from metrics.db import connect, get_meta
from metrics.errors import MatavlaError
from metrics.wording import thousands


def audit_database(
    db_path: Path,
    catalogue: Catalogue,
    *,
    only: Sequence[str] | None = None,
    wait: float | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[list[str], bool]:
    """Audit every indicator's (or `only` these) stored cells; the lines and whether all passed.

    Reads only what is published (hidden cells hold no numbers in `results`), so it checks
    exactly what an outside attacker could do with the board and the export. Each indicator's
    line goes to `progress` as soon as it is done (an audit can take minutes); the outcome is
    stored in `meta` (`LP_AUDIT_META_KEY`) for the Data page.
    """
    known = {i.id: i for i in catalogue.indicators}
    if unknown := [i for i in only or () if i not in known]:
        hint = did_you_mean(unknown[0], list(known)) or "`matavla check` visar katalogens indikatorer"
        raise MatavlaError(f"indikatorn '{unknown[0]}' finns inte i katalogen ({hint})")
    con = connect(db_path, read_only=True, wait=wait)
    try:
        results = con.execute("SELECT * FROM results").df()
        computed_at = get_meta(con, "computed_at") or ""
        plan = stored_plan(con)  # the publishing rule the results were computed with
        ladder = json.loads(get_meta(con, AUDIT_META_KEY) or "{}").get("ladder") or {}
    finally:
        con.close()
    audits: list[IndicatorAudit] = []
    lines: list[str] = []
    for indicator_id, cells in results.groupby("indicator", sort=True):
        indicator = known.get(str(indicator_id))
        if indicator is None or (only and indicator.id not in only):
            continue
        # An indicator published on a rung of the ladder withheld more: rebuild those cells too.
        rung = int(ladder.get(indicator.id, 0))
        item = audit_indicator(
            cells, indicator, catalogue, plan=None if plan is None else rung_plan(plan, rung)
        )
        audits.append(item)
        r = item.result
        status = "godkänd" if r.passed else "UNDERKÄND"
        withheld = f" (och {thousands(r.withheld)} opublicerade)" if r.withheld else ""
        done = [
            f"{item.indicator}: {thousands(r.cells)} celler, {thousands(r.hidden)} dolda{withheld} – "
            f"{status} ({r.seconds:.1f} s, {thousands(r.lps)} LP)"
        ]
        if not r.passed:
            done.append("    " + describe_findings(item.cells, r.findings, limit=10))
        for line in done:
            if progress:
                progress(line)
            else:
                lines.append(line)
    if only and not audits:
        raise MatavlaError(f"{', '.join(only)} har inga sparade resultat att granska (kör `matavla compute`)")
    con = connect(db_path, wait=wait)
    try:
        record_audit(
            con,
            {a.indicator: a.result for a in audits},
            computed_at,
            replace_all=not only,
            check=LP_CHECK,
            key=LP_AUDIT_META_KEY,
        )
    finally:
        con.close()
    cells = sum(a.result.cells for a in audits)
    hidden = sum(a.result.hidden for a in audits)
    seconds = sum(a.result.seconds for a in audits)
    failed = [a.indicator for a in audits if not a.result.passed]
    if failed:
        lines.append(
            f"Fullständig LP-granskning underkänd för {len(failed)} av {len(audits)} indikatorer "
            f"({', '.join(failed)}): dolda celler kan räknas fram ur publicerade summor. "
            "Kör `matavla compute --indicator …` så döljs fler celler tills granskningen godkänner."
        )
    else:
        lines.append(
            f"Fullständig LP-granskning godkänd: {thousands(cells)} celler i {len(audits)} indikatorer, "
            f"{thousands(hidden)} dolda; ingen dold täljare eller nämnare kan räknas fram eller ringas in "
            f"snävare än tillåtet ({seconds:.1f} s)."
        )
    return lines, not failed
