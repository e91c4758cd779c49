"""The Data page's disclosure-check card: a short verdict, with the details listed beneath it.

Before, every ladder line, withheld count and LP note went into the card's large bold value: on
the 2 % demo (six indicators on the ladder) the card became a column of text taller than the page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from metrics.dashboard.logic.audit_status import audit_overview, audit_status

ROOT = Path(__file__).resolve().parents[1]
SUMMARY: dict[str, Any] = {
    "check": "snabbkontroll",
    "computed_at": "2026-12-03 06:27:00",
    "checked": 77831,
    "hidden": 41123,
    "withheld": 128367,
    "passed": True,
    "seconds": 39.2,
    "ladder": {"akut_vistelse_4h": 3, "privata_kontakter": 1},
}
TITLES = {
    "akut_vistelse_4h": "Vistelsetid på akutmottagning högst fyra timmar",
    "privata_kontakter": "Andel kontakter hos privata vårdgivare",
}


def _text(component: Any) -> str:
    """All the text a Dash component tree shows, depth first."""
    if component is None:
        return ""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(_text(c) for c in component)
    return _text(getattr(component, "children", None))


def test_the_card_holds_the_verdict_and_the_count_of_hidden_cells_only():
    overview = audit_overview(SUMMARY, name=TITLES.__getitem__)
    assert overview.value == "Godkänd" and overview.tone == "good"
    # the board's thousands separator is a no-break space
    assert overview.label == "Snabbkontroll 2026-12-03 06:27 · 41\u00a0123 av 77\u00a0831 celler dolda"


def test_the_details_name_indicators_by_their_titles_one_line_each():
    notes = audit_overview(SUMMARY, name=TITLES.__getitem__).notes
    assert notes == (
        "128\u00a0367 celler publiceras inte alls (publiceringsregeln)",
        "Bara år visas per kommun för Vistelsetid på akutmottagning högst fyra timmar: "
        "LP-granskningen hann inte bevisa skyddet av en finare indelning inom sin arbetsbudget",
        "Månader per kommun visas inte för Andel kontakter hos privata vårdgivare: "
        "LP-granskningen hann inte bevisa skyddet av en finare indelning inom sin arbetsbudget",
        "fullständig LP-granskning inte körd (`matavla audit`)",
    )


def test_a_failed_lp_audit_makes_the_card_say_underkand():
    lp = {
        "check": "fullständig LP-granskning",
        "computed_at": SUMMARY["computed_at"],
        "checked_at": "2026-12-03 07:00:00",
        "passed": False,
        "indicators": {"privata_kontakter": {"passed": False}},
    }
    overview = audit_overview(SUMMARY, lp, name=TITLES.__getitem__)
    assert (overview.value, overview.tone) == ("Underkänd", "bad")
    assert overview.notes[-1] == (
        "fullständig LP-granskning underkänd 2026-12-03 07:00 (Andel kontakter hos privata vårdgivare)"
    )


def test_no_check_yet_is_said_plainly():
    overview = audit_overview(None)
    assert (overview.value, overview.tone, overview.notes) == ("Inte körd", "neutral", ())
    assert audit_status(None) == ("Inte körd", "neutral")


def test_the_page_puts_the_details_in_a_list_beneath_the_cards_not_in_the_card(tmp_path):
    import duckdb
    import pandas as pd

    from metrics.dashboard.server import create_app
    from metrics.dashboard.source.data import Coverage

    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    create_app(db_path=empty, catalog_path=ROOT / "indicators.yaml")  # the pages register with an app
    from metrics.dashboard.pages.dataunderlag import _audit_section, _cards

    overview = audit_overview(SUMMARY, name=TITLES.__getitem__)
    none = pd.DataFrame(columns=["status", "rows"])
    cov = Coverage(none, none, none, none, computed_at=None, result_rows=0)
    cards = _text(_cards(cov, overview))
    assert "Godkänd" in cards and "41\u00a0123 av 77\u00a0831 celler dolda" in cards
    assert "LP-granskningen" not in cards and "publiceringsregeln" not in cards
    details = _audit_section(overview)
    assert details is not None
    items = details.children[-1].children  # the section's list, after its heading and intro
    assert [_text(li) for li in items] == list(overview.notes)
