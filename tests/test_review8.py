"""Review 8 of the disclosure-control changes of 2026-12-03: the withheld rule for sums that are
no count, and the Data page's flag on stale results published on propagation alone.

Every table is built by hand; the values are worked out in the comments."""

from __future__ import annotations

import json

import numpy as np
import pytest

from metrics.compute.disclosure import quantities, record_audit
from metrics.compute.equations import CellEquations
from metrics.stats.audit import AuditResult
from metrics.stats.protection import quick_check
from tests.indicator_cases import core_catalogue, empty_db


@pytest.fixture(scope="module")
def catalogue():
    return core_catalogue()


# --- a withheld denominator that is a sum, not a `counts: true` measure ---------------------------


def test_a_withheld_denominator_pinned_below_min_denominator_is_a_finding_even_when_it_is_a_sum(catalogue):
    # npe_delaktighet: the denominator is `{sum: responses}`, "Alla svar inom dimensionen" – a
    # count of answers in all but name (no `counts: true`). The primary rule hides a cell whose
    # denominator is below 10 whatever its kind, so it is not true that "the primary rule never
    # hides it for its own value".
    # Cells: 0 län L (25 positive of 30 answers), 1 area group G (20 of 23), 2 kommun K in no
    # group (5 of 7), withheld by the fallback rung (every kommun cell) as `matavla audit`
    # rebuilds it: hidden, no numbers. L = G + K, so K's answers = 30 − 23 = 7 exactly: below
    # min_denominator 10, the small value the primary rule hides – a finding. (K's positive
    # answers, 25 − 20 = 5, are pinned too but are no small count: 5 is published.)
    indicator = catalogue.indicator("npe_delaktighet")
    assert indicator.suppression.min_denominator == 10
    equations = [(0, [1, 2])]
    num, den = quantities(
        indicator, [25.0, 20.0, np.nan], [30.0, 23.0, np.nan], CellEquations(equations, equations)
    )
    hidden = np.array([False, False, True])
    withheld_cells = np.array([False, False, True])
    findings = quick_check(hidden, num, den, True, withheld_cells).findings
    assert [(f.cell, f.quantity) for f in findings] == [(2, "denominator")]


def test_a_withheld_denominator_that_is_a_sum_pinned_at_a_publishable_value_passes(catalogue):
    # The same with K at 12 answers (L 35 = G 23 + 12): pinned, but 12 ≥ 10 would be published.
    indicator = catalogue.indicator("npe_delaktighet")
    equations = [(0, [1, 2])]
    num, den = quantities(
        indicator, [26.0, 20.0, np.nan], [35.0, 23.0, np.nan], CellEquations(equations, equations)
    )
    hidden = np.array([False, False, True])
    assert quick_check(hidden, num, den, True, hidden.copy()).passed


# --- stale results published on propagation alone ---------------------------------------------------


def _record(con) -> dict:
    return json.loads(con.execute("SELECT value FROM meta WHERE key = 'audit'").fetchone()[0])


def test_stale_results_published_by_compute_snabbkontroll_are_flagged_too(catalogue):
    from metrics.dashboard.logic.audit_status import audit_overview

    con = empty_db(catalogue)
    # Monday, `matavla compute --snabbkontroll`: proaktiva_kontakter published, checked by
    # propagation alone (its entry's check is the snabbkontroll; the LP never ran, so it did not
    # run out of budget either)
    record_audit(con, {"proaktiva_kontakter": AuditResult(cells=21, hidden=3)}, "2026-12-01 08:00:00")
    assert _record(con)["indicators"]["proaktiva_kontakter"]["check"] == "snabbkontroll"
    # Tuesday, `matavla compute` (the LP): refused; Monday's results stay on the board, stale –
    # proven by propagation alone, exactly like those whose LP ran out of budget
    record_audit(
        con, {}, "2026-12-02 08:00:00", refused=["proaktiva_kontakter"], check="fullständig LP-granskning"
    )
    assert _record(con)["stale_unproven"] == ["proaktiva_kontakter"]
    overview = audit_overview(_record(con))
    assert overview.tone == "bad"
    note = next(n for n in overview.notes if "proaktiva_kontakter skyddades bara av snabbkontrollen" in n)
    # and it does not claim a budget ran out: none did
    assert "arbetsbudget tog slut" not in note


def test_stale_results_proven_by_the_lp_are_not_flagged(catalogue):
    con = empty_db(catalogue)
    record_audit(
        con,
        {"proaktiva_kontakter": AuditResult(cells=21, hidden=3)},
        "2026-12-01 08:00:00",
        check="fullständig LP-granskning",
    )
    record_audit(
        con, {}, "2026-12-02 08:00:00", refused=["proaktiva_kontakter"], check="fullständig LP-granskning"
    )
    assert _record(con)["stale_unproven"] == []


def test_matavla_audit_of_the_stale_results_is_what_the_flag_asks_for_and_the_page_says_so():
    from metrics.dashboard.logic.audit_status import audit_overview

    # The compute record after a full LP compute refused proaktiva_kontakter, whose kept results
    # were published on the snabbkontroll; the note says "kör `matavla audit` för att pröva dem".
    compute = {
        "check": "fullständig LP-granskning",
        "computed_at": "2026-12-02 08:00:00",
        "checked": 100,
        "hidden": 10,
        "passed": False,
        "seconds": 1.0,
        "refused": ["proaktiva_kontakter"],
        "stale_unproven": ["proaktiva_kontakter"],
    }
    before = audit_overview(compute)
    assert any("kör `matavla audit` för att pröva dem" in n for n in before.notes)
    # `matavla audit` then audited the results now shown (same compute time) and passed them.
    lp = {
        "check": "fullständig LP-granskning",
        "computed_at": "2026-12-02 08:00:00",
        "checked_at": "2026-12-02 09:30:00",
        "passed": True,
        "indicators": {"proaktiva_kontakter": {"passed": True}},
    }
    after = audit_overview(compute, lp)
    # The page no longer asks for what was done (the old page ignored the LP record whenever
    # compute's own check was the LP, so the request stood for ever) and says what it found.
    assert not any("kör `matavla audit`" in n for n in after.notes)
    assert any(
        "proaktiva_kontakter" in n and "fullständig LP-granskning 2026-12-02 09:30 godkände dem" in n
        for n in after.notes
    )
    # An audit that failed them, or one of older results, leaves the request as it was.
    failed = {**lp, "passed": False, "indicators": {"proaktiva_kontakter": {"passed": False}}}
    assert any("kör `matavla audit` för att pröva dem" in n for n in audit_overview(compute, failed).notes)
    older = {**lp, "computed_at": "2026-12-01 08:00:00"}
    assert any("kör `matavla audit` för att pröva dem" in n for n in audit_overview(compute, older).notes)


def test_results_kept_after_any_failure_keep_their_rung_and_their_flag(catalogue):
    from metrics.dashboard.logic.rung_notes import ONLY_KOMMUN_YEARS, ladder_note, rungs

    con = empty_db(catalogue)
    # Monday: proaktiva_kontakter published on rung 3 (only years per kommun), LP-proven; then
    # `compute --snabbkontroll --only sip_per_1000`: proven by propagation alone
    record_audit(
        con,
        {"proaktiva_kontakter": AuditResult(cells=21, hidden=0, rung=3)},
        "2026-12-01 08:00:00",
        check="fullständig LP-granskning",
    )
    record_audit(
        con, {"sip_per_1000": AuditResult(cells=9, hidden=0)}, "2026-12-01 09:00:00", replace_all=False
    )
    # Tuesday, a full LP compute: both fail – not refused, their extract is unreadable – and
    # compute keeps their last good results (every failed indicator's, engine.compute_all).
    record_audit(
        con,
        {},
        "2026-12-02 08:00:00",
        check="fullständig LP-granskning",
        kept=["proaktiva_kontakter", "sip_per_1000"],
    )
    record = _record(con)
    # The kept results have no kommun quarters: the Kommun page must say so (not "saknas"), and
    # `matavla audit` must rebuild rung 3's withheld cells, which it finds in `ladder`.
    assert record["ladder"] == {"proaktiva_kontakter": 3}
    ladder = rungs(json.dumps(record))
    assert ladder_note(ladder, "proaktiva_kontakter", "quarter") == ONLY_KOMMUN_YEARS
    # sip_per_1000's kept results were proven by propagation alone
    assert record["stale_unproven"] == ["sip_per_1000"]


def test_a_rung_that_withholds_every_kommun_cell_stores_no_kommun_row_not_even_a_missing_one(
    catalogue, monkeypatch
):
    import pandas as pd

    from metrics.compute.engine import finish_cells
    from tests.test_publication_rule import PLAN, _no_time_for, q3_raw, with_year

    # Q3 2022 of Ydre, Linköping and län 05 (tests/test_publication_rule.py), and Motala (0583),
    # which did not deliver 2022: a "saknas" row for its year. Rungs 0, 1 and 3 run out of
    # budget, so the fallback (rung 4) publishes the län's 5 cells only.
    raw = with_year(q3_raw())
    motala = raw[(raw["area_code"] == "0512") & (raw["period_type"] == "year")].assign(
        area_code="0583", numerator=float("nan"), denominator=float("nan"), missing=True
    )
    raw = pd.concat([raw, motala], ignore_index=True)
    _no_time_for({0, 1, 2}, monkeypatch)
    out = finish_cells(
        raw, catalogue.indicator("aterinskrivning_30d_65"), catalogue, exact_audit=True, plan=PLAN
    )
    assert out.attrs["audit"].rung == 4
    # The rung withholds Motala's year as it does every kommun cell: the export and the pages
    # show no kommun row for the indicator. The old code filtered the missing rows by the
    # catalogue's rule (which publishes a small kommun's year) and kept Motala's "saknas".
    assert set(out["area_code"]) == {"05"}
    assert sorted(out["period"]) == ["2022", "2022-07", "2022-08", "2022-09", "2022-Q3"]
