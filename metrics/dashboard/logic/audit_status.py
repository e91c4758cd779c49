"""The disclosure checks' outcome as one Swedish status line for the Data page's card."""

from __future__ import annotations

from typing import Any

from metrics.compute.publication import LADDER
from metrics.dashboard.logic.format import format_date, format_int, format_number

QUICK = "snabbkontroll"  # metrics.compute.disclosure.QUICK_CHECK
LP = "fullständig LP-granskning"  # metrics.compute.disclosure.LP_CHECK


def _sentence(check: str) -> str:
    """'snabbkontroll' → 'Snabbkontroll'; 'LP' keeps its capitals (str.capitalize would not)."""
    return check[:1].upper() + check[1:]


def _when(summary: dict[str, Any]) -> str:
    return format_date(summary.get("checked_at") or summary.get("computed_at"), with_time=True)


def audit_status(compute: dict[str, Any] | None, lp: dict[str, Any] | None = None) -> tuple[str, str]:
    """(text, tone) for the status card, e.g.

    'Snabbkontroll godkänd 2026-12-02 08:40 · 13 800 av 74 532 celler dolda (1,2 s) ·
    fullständig LP-granskning inte körd (`matavla audit`)'.
    The LP audit counts only when it checked the results now shown (same compute time).
    """
    if not compute:
        return "Inte körd", "neutral"
    check = compute.get("check") or QUICK
    hidden = f"{format_int(compute['hidden'])} av {format_int(compute['checked'])} celler dolda"
    seconds = f"{format_number(compute['seconds'], 1)} s"
    when = _when(compute)
    if compute.get("passed"):
        parts = [f"{_sentence(check)} godkänd {when} · {hidden} ({seconds})"]
        tone = "good"
    else:
        refused = compute.get("refused") or []
        what = f"{len(refused)} indikatorer publicerades inte" if refused else "dolda celler kan räknas fram"
        parts = [f"{_sentence(check)} underkänd {when} · {what} · {hidden}"]
        tone = "bad"
    withheld = compute.get("withheld") or 0
    if withheld:
        parts.append(f"{format_int(withheld)} celler publiceras inte alls (publiceringsregeln)")
    for indicator, rung in sorted((compute.get("ladder") or {}).items()):
        if 0 < int(rung) < len(LADDER):
            parts.append(
                # Not "could not prove the protection": what is published on the rung may well be
                # LP-proven; what the LP ran out of budget on is the finer rung withheld. The budget
                # is work (simplex iterations), not time: "inom sin arbetsbudget".
                f"{LADDER[int(rung)]} för {indicator}: "
                "LP-granskningen hann inte bevisa skyddet av en finare indelning inom sin arbetsbudget"
            )
    if timed_out := compute.get("lp_timed_out") or []:
        parts.append(
            f"LP-granskningen hann inte klart för {', '.join(timed_out)}: bara snabbkontrollen gäller där"
        )
    if check != LP:
        if not lp:
            parts.append("fullständig LP-granskning inte körd (`matavla audit`)")
        elif lp.get("computed_at") != compute.get("computed_at"):
            parts.append(f"fullständig LP-granskning {_when(lp)} gäller äldre resultat")
        elif lp.get("passed"):
            parts.append(f"fullständig LP-granskning godkänd {_when(lp)}")
        else:
            failed = [k for k, e in (lp.get("indicators") or {}).items() if not e.get("passed")]
            parts.append(f"fullständig LP-granskning underkänd {_when(lp)} ({', '.join(failed)})")
            tone = "bad"
    return " · ".join(parts), tone
