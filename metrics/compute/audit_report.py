"""`matavla audit`: the disclosure audit over the stored `results`, as Swedish lines for the terminal."""

from __future__ import annotations

from pathlib import Path

from metrics.catalogue.model import Catalogue
from metrics.compute.disclosure import audit_published, describe_findings
from metrics.db import connect
from metrics.wording import thousands


def audit_database(db_path: Path, catalogue: Catalogue) -> tuple[list[str], bool]:
    """Audit every indicator's stored cells; the summary lines and whether all passed.

    Reads only what is published (hidden cells hold no numbers in `results`), so it checks
    exactly what an outside attacker could do with the board and the export.
    """
    con = connect(db_path, read_only=True)
    try:
        results = con.execute("SELECT * FROM results").df()
    finally:
        con.close()
    audits = audit_published(results, catalogue)
    lines: list[str] = []
    for item in audits:
        r = item.result
        status = "godkänd" if r.passed else "UNDERKÄND"
        lines.append(
            f"{item.indicator}: {thousands(r.cells)} celler, {thousands(r.hidden)} dolda – "
            f"{status} ({r.seconds:.1f} s)"
        )
        if not r.passed:
            lines.append("    " + describe_findings(item.cells, r.findings, limit=10))
    cells = sum(a.result.cells for a in audits)
    hidden = sum(a.result.hidden for a in audits)
    seconds = sum(a.result.seconds for a in audits)
    failed = [a.indicator for a in audits if not a.result.passed]
    if failed:
        lines.append(
            f"Röjandekontrollen underkänd för {len(failed)} av {len(audits)} indikatorer "
            f"({', '.join(failed)}): dolda celler kan räknas fram ur publicerade summor. "
            "Kör `matavla compute` igen så döljs fler celler."
        )
    else:
        lines.append(
            f"Röjandekontrollen godkänd: {thousands(cells)} celler i {len(audits)} indikatorer, "
            f"{thousands(hidden)} dolda; ingen dold täljare eller nämnare kan räknas fram eller ringas in "
            f"snävare än tillåtet ({seconds:.1f} s)."
        )
    return lines, not failed
