"""The disclosure checks' outcome in Swedish: a short verdict for the Data page's card, the
details (withheld cells, the publishing ladder, the LP audit) as a list beneath it, and the whole
as one status line."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from metrics.compute.publication import LADDER
from metrics.dashboard.logic.format import format_date, format_int, format_number

QUICK = "snabbkontroll"  # metrics.compute.disclosure.QUICK_CHECK
LP = "fullständig LP-granskning"  # metrics.compute.disclosure.LP_CHECK


@dataclass(frozen=True)
class AuditOverview:
    """What the card shows (`value`, `label`, `tone`) and what the list beneath it says (`notes`).

    The card stays short whatever the number of indicators: a ladder line per indicator in the
    card itself made it a column of large bold text taller than the page (seen on the 2 % demo).
    """

    value: str  # "Godkänd", "Underkänd" or "Inte körd"
    label: str  # which check, when, and how many cells it hid
    tone: str  # "good", "bad" or "neutral"
    notes: tuple[str, ...] = ()
    head: str = ""  # the status line's first part, e.g. "Snabbkontroll godkänd 2026-12-02 08:40 · …"


def _sentence(check: str) -> str:
    """'snabbkontroll' → 'Snabbkontroll'; 'LP' keeps its capitals (str.capitalize would not)."""
    return check[:1].upper() + check[1:]


def _when(summary: dict[str, Any]) -> str:
    return format_date(summary.get("checked_at") or summary.get("computed_at"), with_time=True)


def _same(indicator: str) -> str:
    return indicator


def audit_overview(
    compute: dict[str, Any] | None,
    lp: dict[str, Any] | None = None,
    name: Callable[[str], str] = _same,
) -> AuditOverview:
    """The outcome of compute's check (and of the latest `matavla audit`, when it checked the
    results now shown: same compute time). `name` turns an indicator id into what the reader sees
    (the Data page passes the catalogue's titles)."""
    if not compute:
        return AuditOverview("Inte körd", "Ingen beräkning har kontrollerats ännu.", "neutral")
    check = compute.get("check") or QUICK
    hidden = f"{format_int(compute['hidden'])} av {format_int(compute['checked'])} celler dolda"
    seconds = f"{format_number(compute['seconds'], 1)} s"
    when = _when(compute)
    if compute.get("passed"):
        head = f"{_sentence(check)} godkänd {when} · {hidden} ({seconds})"
        value, label, tone = "Godkänd", f"{_sentence(check)} {when} · {hidden}", "good"
    else:
        refused = compute.get("refused") or []
        what = f"{len(refused)} indikatorer publicerades inte" if refused else "dolda celler kan räknas fram"
        head = f"{_sentence(check)} underkänd {when} · {what} · {hidden}"
        value, label, tone = "Underkänd", f"{_sentence(check)} {when} · {what} · {hidden}", "bad"
    notes: list[str] = []
    withheld = compute.get("withheld") or 0
    if withheld:
        notes.append(f"{format_int(withheld)} celler publiceras inte alls (publiceringsregeln)")
    for indicator, rung in sorted((compute.get("ladder") or {}).items()):
        if 0 < int(rung) < len(LADDER):
            notes.append(
                # Not "could not prove the protection": what is published on the rung may well be
                # LP-proven; what the LP ran out of budget on is the finer rung withheld. The budget
                # is work (simplex iterations), not time: "inom sin arbetsbudget".
                f"{LADDER[int(rung)]} för {name(indicator)}: "
                "LP-granskningen hann inte bevisa skyddet av en finare indelning inom sin arbetsbudget"
            )
    unproven = compute.get("stale_unproven") or []
    # What the note below asks for: `matavla audit` of the results now shown proved them since.
    audited = lp is not None and lp.get("computed_at") == compute.get("computed_at")
    lp_entries = (lp or {}).get("indicators") or {}
    if audited and unproven and all((lp_entries.get(k) or {}).get("passed") for k in unproven):
        notes.append(
            f"De inaktuella resultaten som visas för {', '.join(map(name, unproven))} skyddades bara "
            f"av snabbkontrollen när de beräknades; fullständig LP-granskning {_when(lp or {})} "
            "godkände dem"
        )
    elif unproven:
        # Kept after a refusal, from a run when propagation alone could still publish (the LP
        # ran out of budget) or from `compute --snabbkontroll` (no LP at all).
        notes.append(
            f"De inaktuella resultaten som visas för {', '.join(map(name, unproven))} skyddades bara "
            "av snabbkontrollen (beräknade med --snabbkontroll eller när LP-granskningens "
            "arbetsbudget inte räckte): kör `matavla audit` för att pröva dem"
        )
        value, tone = "Underkänd", "bad"
    if timed_out := compute.get("lp_timed_out") or []:
        notes.append(
            f"LP-granskningens arbetsbudget tog slut för {', '.join(map(name, timed_out))}: "
            "bara snabbkontrollen gäller där"
        )
    if check != LP:
        if not lp:
            notes.append("fullständig LP-granskning inte körd (`matavla audit`)")
        elif lp.get("computed_at") != compute.get("computed_at"):
            notes.append(f"fullständig LP-granskning {_when(lp)} gäller äldre resultat")
        elif lp.get("passed"):
            notes.append(f"fullständig LP-granskning godkänd {_when(lp)}")
        else:
            failed = [name(k) for k, e in (lp.get("indicators") or {}).items() if not e.get("passed")]
            notes.append(f"fullständig LP-granskning underkänd {_when(lp)} ({', '.join(failed)})")
            value, tone = "Underkänd", "bad"
    return AuditOverview(value, label, tone, tuple(notes), head)


def audit_status(compute: dict[str, Any] | None, lp: dict[str, Any] | None = None) -> tuple[str, str]:
    """(text, tone) as one line, e.g.

    'Snabbkontroll godkänd 2026-12-02 08:40 · 13 800 av 74 532 celler dolda (1,2 s) ·
    fullständig LP-granskning inte körd (`matavla audit`)'.
    """
    overview = audit_overview(compute, lp)
    if not compute:
        return overview.value, overview.tone
    return " · ".join([overview.head, *overview.notes]), overview.tone
