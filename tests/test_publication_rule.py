"""The publishing rule (docs/disclosure.md): which cells are published at all, and how the
cells it withholds still take part in disclosure control.

Every table is built by hand; the cells and equations are counted in the comments.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from metrics.catalogue.loader import load_catalogue
from metrics.catalogue.model import PublicationSettings
from metrics.compute.disclosure import audit_indicator
from metrics.compute.engine import finish_cells
from metrics.compute.publication import (
    EVERYTHING,
    PublishingPlan,
    kommun_population,
    rung_plan,
    with_withheld,
    withheld,
)
from metrics.dashboard.logic.publication_notes import (
    Publication,
    breakdown_note,
    months_note,
    months_note_for,
)
from metrics.errors import CatalogueError, DisclosureError
from metrics.stats.audit import AuditBudget, Quantity, audit
from metrics.stats.protection import protect
from tests.indicator_cases import core_catalogue, empty_db, insert


@pytest.fixture(scope="module")
def catalogue():
    return core_catalogue()


# Two kommuner of Östergötland: Ydre (3 626 inhabitants, SCB 2024) is below the default 20 000,
# Linköping (168 035) above it.
PLAN = PublishingPlan(PublicationSettings(), {"0512": 3626, "0580": 168035}, 2024)

COLUMNS = ["area_code", "area_level", "period_type", "period_start", "breakdown", "sex", "age_band"]


def frame(rows):
    return pd.DataFrame(rows, columns=COLUMNS)


# --- settings -------------------------------------------------------------------------------------

HEADER = """\
version: 1
settings:
  suppression: {min_denominator: 10, min_count: 1, max_count: 4}
  publication:
    kommun_month_breakdowns: kanske
    kommun_months_min_population: -5
    kommun_quarter_breakdowns_min_population: 1.5
    audit_seconds: 0
    months: 3
    audit_iterations: 2.5
    last_rung_audit_iterations: -1
plan_areas:
  - {id: tillganglighet, title: Ökad tillgänglighet}
indicators:
  - id: digitala
    title: Digitala kontakter
    description: Andel kontakter via video eller chatt.
    plan_areas: [tillganglighet]
    source: contacts
    numerator: {count: rows, where: "mode IN ('video', 'chatt')"}
    denominator: rows
    multiplier: 100
    unit: "%"
    direction: neutral
"""


def test_every_publication_setting_is_checked_with_its_line(tmp_path):
    path = tmp_path / "indicators.yaml"
    path.write_text(HEADER, encoding="utf-8")
    with pytest.raises(CatalogueError) as excinfo:
        load_catalogue(path)
    by_line = {p.line: p.message for p in excinfo.value.problems}
    # lines 5–11 of HEADER, one problem each
    assert "kommun_month_breakdowns ska vara true eller false" in by_line[5]
    assert "kommun_months_min_population ska vara ett heltal ≥ 0" in by_line[6]
    assert "kommun_quarter_breakdowns_min_population ska vara ett heltal ≥ 0" in by_line[7]
    assert "audit_seconds ska vara ett tal > 0" in by_line[8]
    assert "months" in by_line[9]
    assert "audit_iterations ska vara ett heltal ≥ 0 (simplexiterationer" in by_line[10]
    assert "last_rung_audit_iterations ska vara ett heltal ≥ 0" in by_line[11]


def test_the_rule_is_on_by_default_and_can_be_switched_off(tmp_path):
    path = tmp_path / "indicators.yaml"
    lines = HEADER.splitlines()
    path.write_text("\n".join(lines[:3] + lines[11:]) + "\n", encoding="utf-8")  # no publication:
    default = load_catalogue(path, strict=True).catalogue.publication
    assert default == PublicationSettings(False, 20000, 10000, 120.0, None, None)
    off = "  publication: {kommun_month_breakdowns: true, kommun_months_min_population: 0}\n"
    path.write_text("\n".join(lines[:3]) + "\n" + off + "\n".join(lines[11:]) + "\n", encoding="utf-8")
    assert load_catalogue(path, strict=True).catalogue.publication == PublicationSettings(
        True, 0, 10000, 120.0
    )


def test_the_schema_knows_the_publication_keys():
    from metrics.catalogue.json_schema import catalogue_schema

    properties = catalogue_schema()["$defs"]["publication"]["properties"]
    assert set(properties) == {
        "kommun_month_breakdowns",
        "kommun_months_min_population",
        "kommun_quarter_breakdowns_min_population",
        "audit_seconds",
        "audit_iterations",
        "last_rung_audit_iterations",
    }
    assert properties["kommun_months_min_population"]["minimum"] == 0
    for key in ("audit_iterations", "last_rung_audit_iterations"):
        assert (properties[key]["type"], properties[key]["minimum"]) == ("integer", 0)


# --- which cells are withheld ----------------------------------------------------------------------


def test_which_cells_the_rule_withholds():
    cells = frame(
        [
            # 0–3: Ydre (small): its months go, whatever the breakdown; its quarters stay
            ("0512", "kommun", "month", "2024-01-01", "total", None, None),
            ("0512", "kommun", "month", "2024-01-01", "sex", "K", None),
            ("0512", "kommun", "quarter", "2024-01-01", "total", None, None),
            ("0512", "kommun", "quarter", "2024-01-01", "age_band", None, "65-74"),
            # 4–6: Linköping (large): its month total stays, its month breakdowns go
            ("0580", "kommun", "month", "2024-01-01", "total", None, None),
            ("0580", "kommun", "month", "2024-01-01", "sex", "M", None),
            ("0580", "kommun", "quarter", "2024-01-01", "sex", "M", None),
            # 7–8: the län keeps its months by sex
            ("05", "lan", "month", "2024-01-01", "sex", "K", None),
            ("05", "lan", "month", "2024-01-01", "total", None, None),
            # 9: a kommun without population figures counts as small
            ("0509", "kommun", "month", "2024-01-01", "total", None, None),
        ]
    )
    # Ydre (3 626) is also below the default 10 000 for quarters by sex and age band: row 3 goes
    assert np.flatnonzero(withheld(cells, PLAN)).tolist() == [0, 1, 3, 5, 9]
    # with that part of the rule off (0), Ydre keeps its quarter by age band
    loose = dataclasses.replace(
        PLAN, settings=PublicationSettings(kommun_quarter_breakdowns_min_population=0)
    )
    assert np.flatnonzero(withheld(cells, loose)).tolist() == [0, 1, 5, 9]
    assert not withheld(cells, EVERYTHING).any()


def test_kommun_population_is_the_latest_year_of_the_population_extract(catalogue):
    con = empty_db(catalogue)
    # Ydre: 2023 100 + 50 = 150, 2024 60 + 40 = 100 → 100 (2024); Kinda: only 2023, 30 → 30
    insert(
        con,
        "population",
        [
            ("0512", 2023, "K", 70, 100),
            ("0512", 2023, "M", 70, 50),
            ("0512", 2024, "K", 70, 60),
            ("0512", 2024, "M", 70, 40),
            ("0513", 2023, "K", 70, 30),
        ],
    )
    assert kommun_population(con) == ({"0512": 100, "0513": 30}, 2024)


# --- withheld cells are protected like hidden ones -------------------------------------------------

# aterinskrivning_30d_65, Q3 2022, totals only (count of readmissions of count of stays).
#            July      August    September   Q3
# Ydre       2 / 10    2 / 8     1 / 12      5 / 30      (small: its months are withheld)
# Linköping  20 / 200  3 / 150   25 / 210    48 / 560    (August: a count of 3, primary)
# län 05     22 / 210  5 / 158   26 / 222    53 / 590
Q3 = {
    "0512": [(2, 10), (2, 8), (1, 12), (5, 30)],
    "0580": [(20, 200), (3, 150), (25, 210), (48, 560)],
    "05": [(22, 210), (5, 158), (26, 222), (53, 590)],
}
PERIODS = [
    ("month", "2022-07-01"),
    ("month", "2022-08-01"),
    ("month", "2022-09-01"),
    ("quarter", "2022-07-01"),
]


def q3_raw() -> pd.DataFrame:
    rows = []
    for area, values in Q3.items():
        level = "lan" if area == "05" else "kommun"
        for (period_type, start), (num, den) in zip(PERIODS, values, strict=True):
            rows.append((area, level, period_type, pd.Timestamp(start), "total", None, None, num, den))
    raw = pd.DataFrame(rows, columns=[*COLUMNS, "numerator", "denominator"])
    raw["missing"], raw["complete"], raw["data_through"] = False, True, pd.Timestamp("2022-09-30")
    return raw


def with_year(raw: pd.DataFrame) -> pd.DataFrame:
    """Q3 and the year 2022 (data through September: the year is Q3's numbers)."""
    year = raw[raw["period_type"] == "quarter"].assign(
        period_type="year", period_start=pd.Timestamp("2022-01-01")
    )
    return pd.concat([raw, year], ignore_index=True)


def test_a_small_kommuns_months_are_not_published_but_still_protected(catalogue):
    indicator = catalogue.indicator("aterinskrivning_30d_65")
    out = finish_cells(q3_raw(), indicator, catalogue, exact_audit=True, plan=PLAN)
    # 12 cells computed, Ydre's 3 months withheld: 9 stored
    assert len(out) == 9
    assert set(out.loc[out["area_code"] == "0512", "period"]) == {"2022-Q3"}
    audit_result = out.attrs["audit"]
    assert audit_result.withheld == 3 and audit_result.cells == 9 and audit_result.passed
    shown = out.set_index(["area_code", "period"])["suppressed"]
    assert shown[("0580", "2022-08")]  # primary: 3 readmissions
    # Ydre's July is län − Linköping = 22 − 20 = 2 and its September 26 − 25 = 1: withheld cells
    # the attacker must not get by subtraction, so one of each pair is hidden too.
    assert shown[("05", "2022-07")] or shown[("0580", "2022-07")]
    assert shown[("05", "2022-09")] or shown[("0580", "2022-09")]
    # The old code (no rule) published Ydre's months, hidden or not: rows for all 12 cells.
    assert len(finish_cells(q3_raw(), indicator, catalogue, plan=None)) == 12


def test_the_audit_of_stored_results_puts_the_withheld_months_back_into_the_sums(catalogue):
    indicator = catalogue.indicator("aterinskrivning_30d_65")
    out = finish_cells(q3_raw(), indicator, catalogue, exact_audit=True, plan=PLAN)
    stored = out.assign(missing=False)
    rebuilt = with_withheld(stored, PLAN, indicator)
    # Ydre's Q3 implies its July, August and September (through 2022-09-30): 3 hidden rows
    added = rebuilt.iloc[len(stored) :]
    assert sorted(added["period"]) == ["2022-07", "2022-08", "2022-09"]
    assert added["suppressed"].all() and added["numerator"].isna().all()
    item = audit_indicator(stored, indicator, catalogue, plan=PLAN)
    assert item.result.withheld == 3 and item.result.passed
    # Without them the audit would read län July = Linköping July alone (22 = 20: a contradiction),
    # so it could prove nothing about the component: every hidden cell in it fails.
    assert not audit_indicator(stored, indicator, catalogue, plan=None).result.passed


# --- the ladder: publish less until the exact audit proves it ----------------------------------------


def test_each_rung_of_the_ladder_withholds_more_kommun_cells_and_never_a_lans():
    # Linköping (large) and its län, 2022: a month, a quarter and the year, each as a total and
    # by sex – 2 areas × 3 periods × 2 breakdowns = 12 cells.
    rows = [
        (area, level, period_type, "2022-01-01", breakdown, "K" if breakdown == "sex" else None, None)
        for area, level in (("0580", "kommun"), ("05", "lan"))
        for period_type in ("month", "quarter", "year")
        for breakdown in ("total", "sex")
    ]
    cells = frame(rows)

    def kommun_cells(rung: int) -> list[tuple[str, str]]:
        gone = withheld(cells, rung_plan(PLAN, rung))
        assert not gone[cells["area_level"].to_numpy() == "lan"].any()  # a län keeps everything
        return sorted(zip(cells.loc[gone, "period_type"], cells.loc[gone, "breakdown"], strict=True))

    # rung 0, the catalogue's rule: Linköping's months by sex only (168 035 ≥ 20 000 inhabitants)
    assert kommun_cells(0) == [("month", "sex")]
    assert kommun_cells(1) == [("month", "sex"), ("month", "total")]  # no kommun months
    assert kommun_cells(2) == [("month", "sex"), ("month", "total"), ("quarter", "sex")]
    # rung 3: only years per kommun
    assert kommun_cells(3) == [("month", "sex"), ("month", "total"), ("quarter", "sex"), ("quarter", "total")]
    # rung 4, the fallback: no kommun cell at all (the län keeps all 6)
    assert kommun_cells(4) == sorted((p, b) for p in ("month", "quarter", "year") for b in ("sex", "total"))


def _no_time_for(rungs, monkeypatch, *, failing=frozenset()):
    """Compute's exact audit runs out of time on these rungs of the ladder (tried in order, so
    the n-th call is rung n), and gets its usual cap on the others."""
    from metrics.compute import engine

    real = engine.protect_cells
    tried: list[int] = []

    def capped(*args, **kwargs):
        rung = len(tried)
        tried.append(rung)
        assert kwargs["withheld_unknown"] == (rung > 0)
        # A withheld small kommun count is an LP target on every rung past the rule's own
        # (tests/test_fallback_rung_targets.py: K = L − G1 − G2); it was so only on rung 4.
        assert kwargs["withheld_targets"] == (rung > 0)
        if rung in failing:
            raise DisclosureError(args[4].id, "röjandekontrollen underkänner resultatet")
        hidden, result = real(*args, **kwargs)
        if rung in rungs:
            result.timed_out = True  # what `protect` returns when the LP's deadline passes
        return hidden, result

    monkeypatch.setattr(engine, "protect_cells", capped)
    return tried


def test_past_the_cap_compute_publishes_the_next_rung_once_the_lp_proves_it(catalogue, monkeypatch):
    indicator = catalogue.indicator("aterinskrivning_30d_65")
    tried = _no_time_for({0}, monkeypatch)
    out = finish_cells(q3_raw(), indicator, catalogue, exact_audit=True, plan=PLAN)
    assert tried == [0, 1]
    audit_result = out.attrs["audit"]
    # Rung 1: no kommun months. Ydre's and Linköping's 3 months each are withheld (6), the 6 left
    # are both kommuner's Q3 and the län's July, August, September and Q3.
    assert audit_result.rung == 1 and not audit_result.timed_out and audit_result.passed
    assert audit_result.withheld == 6 and audit_result.cells == 6
    assert sorted(zip(out["area_code"], out["period"], strict=True)) == [
        ("05", "2022-07"),
        ("05", "2022-08"),
        ("05", "2022-09"),
        ("05", "2022-Q3"),
        ("0512", "2022-Q3"),
        ("0580", "2022-Q3"),
    ]
    # None of them needs hiding: each kommun month is now an unknown between 0 and its quarter
    # and its län month. Ydre's months sum to 5 (its Q3) and Linköping's August = 5 − Ydre's August
    # (the län's August of 5 readmissions): every hidden count ranges over 0..5, 6 values, at least
    # the 5 required. At rung 0 (test above) Linköping's August hid, and a July and a September too.
    assert not out["suppressed"].any()
    assert out.set_index(["area_code", "period"]).loc[("05", "2022-08"), "numerator"] == 5
    # The audit of the stored results rebuilds the rung's withheld months and agrees
    item = audit_indicator(out.assign(missing=False), indicator, catalogue, plan=rung_plan(PLAN, 1))
    assert item.result.withheld == 6 and item.result.passed


def test_when_the_last_rung_is_not_proven_in_time_the_fallback_publishes_lan_and_groups_only(
    catalogue, monkeypatch
):
    indicator = catalogue.indicator("aterinskrivning_30d_65")
    tried = _no_time_for({0, 1, 2}, monkeypatch)
    out = finish_cells(with_year(q3_raw()), indicator, catalogue, exact_audit=True, plan=PLAN)
    # Q3 has no breakdowns, so rung 2 withholds what rung 1 did and is skipped: the calls were
    # rungs 0, 1, 3 (out of time) and the fallback, rung 4 (the wrapper counts calls). The old
    # code published rung 3 on propagation alone: Ydre's and Linköping's years too.
    assert len(tried) == 4
    audit_result = out.attrs["audit"]
    # Rung 4: both kommuner's months (6), quarters (2) and years (2) withheld; the län's 5 cells
    # stored, proven by the LP.
    assert audit_result.rung == 4 and not audit_result.timed_out and audit_result.passed
    assert audit_result.withheld == 10 and audit_result.cells == 5
    assert sorted(out["period"]) == ["2022", "2022-07", "2022-08", "2022-09", "2022-Q3"]
    assert set(out["area_code"]) == {"05"}
    # The snabbkontroll (compute --snabbkontroll) has no LP to run out of time: it publishes rung 0
    monkeypatch.undo()
    out = finish_cells(q3_raw(), indicator, catalogue, exact_audit=False, plan=PLAN)
    assert out.attrs["audit"].rung == 0 and len(out) == 9


def test_what_not_even_the_fallback_proves_in_time_is_refused_not_published_on_propagation(
    catalogue, monkeypatch
):
    indicator = catalogue.indicator("aterinskrivning_30d_65")
    tried = _no_time_for({0, 1, 2, 3}, monkeypatch)
    with pytest.raises(DisclosureError) as excinfo:
        finish_cells(with_year(q3_raw()), indicator, catalogue, exact_audit=True, plan=PLAN)
    assert len(tried) == 4  # rungs 0, 1, 3 and 4
    assert "inte ens med bara län och områden" in str(excinfo.value)
    assert "last_rung_audit_iterations" in str(excinfo.value)  # how to fix it


def test_a_rung_the_audit_fails_outright_climbs_to_the_next_instead_of_refusing(catalogue, monkeypatch):
    # On the 0,2 % demo at a small budget, rung 0 ran out of budget and rung 3 (years per kommun)
    # failed outright: two withheld Linköping quarters stayed pinned with nothing beside them
    # left to hide. The old code refused personalkontinuitet_hemtjanst there; the fallback,
    # which withholds every kommun cell, proves it.
    indicator = catalogue.indicator("aterinskrivning_30d_65")
    tried = _no_time_for({0}, monkeypatch, failing={1, 2})
    out = finish_cells(with_year(q3_raw()), indicator, catalogue, exact_audit=True, plan=PLAN)
    assert len(tried) == 4  # rungs 0 (out of budget), 1 (fails), 3 (fails) and the fallback
    assert out.attrs["audit"].rung == 4 and out.attrs["audit"].passed
    assert set(out["area_code"]) == {"05"}


def test_without_a_publishing_rule_the_refusal_names_the_budget_that_ran_out(catalogue, monkeypatch):
    # No plan: no ladder to climb and no fallback. The message used to name the last rung's
    # budget and "only län and areas", neither of which exists without a plan.
    indicator = catalogue.indicator("aterinskrivning_30d_65")
    _no_time_for({0}, monkeypatch)
    with pytest.raises(DisclosureError) as excinfo:
        finish_cells(with_year(q3_raw()), indicator, catalogue, exact_audit=True, plan=None)
    message = str(excinfo.value)
    assert "`audit_iterations`" in message and "last_rung" not in message
    assert "bara län" not in message


def test_matavla_audit_rebuilds_every_kommun_cell_of_the_fallback(catalogue, monkeypatch):
    # Stored on rung 4, the län's 5 cells; `matavla audit` puts back each kommun of län 05 with
    # the län's 5 periods (Östergötland has 13 kommuner: 65 hidden cells, no numbers) so it
    # models län = Σ kommuner, and passes.
    indicator = catalogue.indicator("aterinskrivning_30d_65")
    _no_time_for({0, 1, 2}, monkeypatch)
    out = finish_cells(with_year(q3_raw()), indicator, catalogue, exact_audit=True, plan=PLAN)
    item = audit_indicator(out.assign(missing=False), indicator, catalogue, plan=rung_plan(PLAN, 4))
    assert item.result.withheld == 13 * 5 and item.result.passed


def _spending_every_budget(monkeypatch):
    """Compute's LP spends the whole budget it is given on every rung, then runs out, as a real
    LP that cannot finish does. Returns (cells withheld, iterations given, exact) per call."""
    from metrics.compute import engine

    real = engine.protect_cells
    given: list[tuple[int, int, bool]] = []

    def spending(*args, **kwargs):
        budget = kwargs["budget"]
        given.append((int(kwargs["withheld"].sum()), budget.left(), kwargs["exact"]))
        if budget.left():
            budget.charge(budget.left())
        hidden, result = real(*args, **{**kwargs, "exact": False})
        result.timed_out = kwargs["exact"]  # what `protect` says when the budget runs out
        return hidden, result

    monkeypatch.setattr(engine, "protect_cells", spending)
    return given


@pytest.mark.parametrize(("last_rung", "expected"), [(None, 1000), (300, 300), (0, 0)])
def test_the_budget_is_shared_by_the_rungs_and_the_last_rung_has_its_own(
    catalogue, monkeypatch, last_rung, expected
):
    # The budget (simplex iterations per indicator) is shared by rungs 0–2: rung 0's LP spends
    # all of it, so rungs 1–2 are skipped (a fresh cap per rung cost the 2 % demo's build 15 s per
    # indicator past the cap). The last rung – only years per kommun – gets a budget of its own:
    # `last_rung_audit_iterations`, by default as much as the others share. The old code gave it
    # what was left of a shared CPU-time cap: nothing here, so it was never LP-proven.
    for name in ("MATAVLA_AUDIT_ITERATIONS", "MATAVLA_AUDIT_SECONDS", "MATAVLA_AUDIT_LAST_RUNG_ITERATIONS"):
        monkeypatch.delenv(name, raising=False)
    given = _spending_every_budget(monkeypatch)
    settings = dataclasses.replace(
        catalogue.publication, audit_iterations=1000, last_rung_audit_iterations=last_rung
    )
    budgeted = dataclasses.replace(catalogue, publication=settings)
    indicator = budgeted.indicator("aterinskrivning_30d_65")
    with pytest.raises(DisclosureError):
        finish_cells(q3_raw(), indicator, budgeted, exact_audit=True, plan=PLAN)
    # Rung 0 (Ydre's 3 months withheld, test above) gets the whole 1 000; rung 1 (both kommuner's
    # 6 months) is skipped and rung 3 (6 months + 2 quarters withheld) gets its own. With none,
    # its protection is propagation only (no LP set up to run out at once). The fallback withholds
    # nothing more (Q3 has no kommun year), so nothing is left to try: refused.
    assert given == [(3, 1000, True), (8, expected, expected > 0)]


def test_the_last_rung_s_own_budget_is_spent_even_when_it_withholds_nothing_more(catalogue, monkeypatch):
    # Years only (Q3's values as years 2022): no rung withholds anything, so rungs 1–2 are
    # skipped as before – but the last rung's own budget is a second try at the same cells, not
    # lost because the rung adds nothing (the old code never gave it an LP of its own here).
    for name in ("MATAVLA_AUDIT_ITERATIONS", "MATAVLA_AUDIT_SECONDS", "MATAVLA_AUDIT_LAST_RUNG_ITERATIONS"):
        monkeypatch.delenv(name, raising=False)
    given = _spending_every_budget(monkeypatch)
    settings = dataclasses.replace(
        catalogue.publication, audit_iterations=1000, last_rung_audit_iterations=300
    )
    budgeted = dataclasses.replace(catalogue, publication=settings)
    raw = q3_raw()
    raw = raw[raw["period_type"] == "quarter"].assign(
        period_type="year", period_start=pd.Timestamp("2022-01-01")
    )
    with pytest.raises(DisclosureError):
        finish_cells(raw, budgeted.indicator("aterinskrivning_30d_65"), budgeted, exact_audit=True, plan=PLAN)
    # ... and then the fallback, on a budget as large: both kommuner's years withheld
    assert given == [(0, 1000, True), (0, 300, True), (2, 300, True)]


def test_a_count_pinned_to_exactly_zero_passes():
    # A quarter of 0 readmissions (published: 0 is not a small count) = Σ its 3 withheld months,
    # each ≥ 0, so each is 0 – what the primary rule would publish anyway.
    equations = [(0, [1, 2, 3])]
    hidden = np.array([False, True, True, True])

    def quantity(name, zero):
        return Quantity(name, np.array([0.0, 0, 0, 0]), equations, required_width=5.0, zero_publishable=zero)

    now = audit(
        hidden, quantity("numerator", True), quantity("denominator", True), numerator_within_denominator=True
    )
    assert now.passed
    before = audit(
        hidden,
        quantity("numerator", False),
        quantity("denominator", False),
        numerator_within_denominator=True,
    )
    assert {f.cell for f in before.findings} == {1, 2, 3}  # the old audit failed all three at width 0


def test_the_exact_audit_out_of_budget_falls_back_to_the_snabbkontroll_and_says_so():
    # Ydre readmissions Q3 (tests/test_disclosure.py): August hidden, September its complement.
    equations = [(0, [1, 2, 3])]
    num = Quantity("numerator", np.array([14.0, 6, 1, 7]), equations, required_width=5.0)
    den = Quantity("denominator", np.array([76.0, 30, 21, 25]), equations, required_width=5.0)
    primary = np.array([False, False, True, False])
    hidden, result = protect(
        primary, num, den, numerator_within_denominator=True, exact=True, budget=AuditBudget(0)
    )
    assert result.timed_out and result.passed  # propagation: August + September = 8, each in 0..8
    assert hidden.tolist() == [False, False, True, True]
    hidden, result = protect(primary, num, den, numerator_within_denominator=True, exact=True)
    assert not result.timed_out and result.lps > 0 and result.passed


def test_compute_runs_the_lp_audit_by_default_and_past_the_cap_publishes_less(catalogue):
    from metrics.compute.engine import compute_all

    con = empty_db(catalogue)
    # 40 contacts of one woman aged 50 each in Linköping, May 2024, 3 of them proactive: a count of
    # 3 (1–4: primary) in every cell – each area, period and breakdown holds the same 40 contacts.
    rows = [
        (f"c{i}", f"p{i}", "0580", "K", 50, "2024-05-02", "VC", "region", "lakare", "", "mottagning", i < 3)
        for i in range(40)
    ]
    insert(con, "contacts", rows)
    insert(con, "population", [("0580", 2024, "K", 50, 168035)])
    meta = "SELECT value FROM meta WHERE key = ?"
    # A budget no LP can meet (1e-9 s: 0 simplex iterations): rungs 0–3 of the ladder and the
    # fallback (län and area groups only) all run out, so the indicator is refused – not
    # published on propagation alone, as the old code did (Linköping by year, recorded as
    # `lp_timed_out`, 21 rows).
    messages: list[str] = []
    capped = dataclasses.replace(
        catalogue, publication=dataclasses.replace(catalogue.publication, audit_seconds=1e-9)
    )
    reports = compute_all(con, capped, only=["proaktiva_kontakter"], progress=messages.append)
    assert [(r.ok, r.rows) for r in reports] == [(False, 0)]
    assert "FEL" in messages[-1] and "inte ens med bara län och områden" in messages[-1]
    record = json.loads(con.execute(meta, ["audit"]).fetchone()[0])
    assert record["refused"] == ["proaktiva_kontakter"] and record["lp_timed_out"] == []
    assert not record["passed"]
    assert con.execute("SELECT count(*) FROM results WHERE indicator = 'proaktiva_kontakter'").fetchone() == (
        0,
    )
    compute_all(con, catalogue, only=["proaktiva_kontakter"])
    record = json.loads(con.execute(meta, ["audit"]).fetchone()[0])
    assert record["check"] == "fullständig LP-granskning" and record["lp_timed_out"] == []
    assert record["ladder"] == {} and record["indicators"]["proaktiva_kontakter"]["rung"] == 0
    # Linköping is large: its May total is published, its May by sex is not (month breakdowns
    # only for län and groups); the län keeps its May by sex.
    cells = con.execute(
        "SELECT area_code, breakdown FROM results "
        "WHERE indicator = 'proaktiva_kontakter' AND period = '2024-05'"
    ).fetchall()
    assert ("0580", "total") in cells and ("0580", "sex") not in cells and ("05", "sex") in cells
    plan = json.loads(con.execute(meta, ["publication"]).fetchone()[0])
    assert plan["kommun_months_min_population"] == 20000 and plan["months_withheld"] == []


# --- the board's words -----------------------------------------------------------------------------

PUBLICATION = Publication(
    months_min_population=20000,
    kommun_month_breakdowns=False,
    months_withheld=frozenset({"0512"}),
)


def test_the_board_says_why_a_kommun_has_no_months():
    assert (
        months_note(PUBLICATION, "0512")
        == "Månadsvärden visas inte för kommuner under 20 000 invånare – se kvartal."
    )
    assert months_note(PUBLICATION, "0580") is None
    assert months_note_for(PUBLICATION, [("0512", "Ydre"), ("0580", "Linköping")]) == (
        "Månadsvärden visas inte för kommuner under 20 000 invånare – se kvartal (Ydre)."
    )
    assert breakdown_note(PUBLICATION, "0580", "month") == (
        "Månadsvärden per kön och åldersgrupp visas bara för län och områden, inte per kommun "
        "– välj kvartal eller år."
    )
    assert breakdown_note(PUBLICATION, "0580", "quarter") is None
    assert Publication.from_json(None) == Publication()  # results from before the rule: all shown


def test_a_withheld_sum_that_is_no_count_may_be_pinned_but_its_small_count_may_not():
    from metrics.stats.protection import quick_check

    # kontinuitet_lakare: the numerator is Σ COC (no count), the denominator persons. Kommun A is
    # withheld, B published, the län is A + B. A's Σ COC = 10,5 − 6,5 = 4,0 exactly: a value the
    # primary rule would publish (it hides a cell only for its few persons). With every kommun
    # cell withheld on rung 3, this failed kontinuitet_lakare on the 2 % demo and refused it.
    equations = [(0, [1, 2])]
    hidden = np.array([False, True, False])
    withheld_cells = np.array([False, True, False])

    def check(persons_a: float):
        num = Quantity("numerator", np.array([10.5, 4.0, 6.5]), equations, required_width=None)
        den = Quantity(
            "denominator",
            np.array([persons_a + 20.0, persons_a, 20.0]),
            equations,
            required_width=5.0,
            publishable_from=10.0,
        )
        return quick_check(hidden, num, den, True, withheld_cells)

    assert check(20.0).passed  # 20 persons = 40 − 20: pinned, but no small count
    # 3 persons = 23 − 20, pinned and small: still failing
    assert [(f.cell, f.quantity) for f in check(3.0).findings] == [(1, "denominator")]


def test_a_withheld_cell_known_to_be_large_passes_and_one_known_to_be_small_fails():
    from metrics.stats.protection import quick_check

    # A snapshot kommun (fast_lakarkontakt): its year *is* its December, a one-child sum 0 = 1.
    # December is withheld (small kommun), the year published, so December is determined.
    equations = [(0, [1])]
    hidden = np.array([False, True])
    withheld_cells = np.array([False, True])

    def check(year_count: float):
        num = Quantity(
            "numerator", np.array([year_count, 0.0]), equations, required_width=5.0, publishable_from=5.0
        )
        den = Quantity(
            "denominator", np.array([40.0, 0.0]), equations, required_width=5.0, publishable_from=10.0
        )
        return quick_check(hidden, num, den, True, withheld_cells)

    # 7 of 40 named-GP persons: December = 7 of 40 exactly – what the year publishes, no small count
    assert check(7.0).passed
    # (a year of 3 would be hidden itself; were it shown, December = 3 would be a small count pinned)
    assert [(f.cell, f.quantity) for f in check(3.0).findings] == [(1, "numerator")]
    # not withheld (an ordinary hidden cell): determined is failing, whatever its value
    num = Quantity("numerator", np.array([7.0, 0.0]), equations, required_width=5.0, publishable_from=5.0)
    den = Quantity("denominator", np.array([40.0, 0.0]), equations, required_width=5.0, publishable_from=10.0)
    assert not quick_check(hidden, num, den, True).passed


def test_the_data_page_says_how_many_cells_are_withheld_and_where_the_lp_audit_gave_up():
    from metrics.dashboard.logic.audit_status import audit_status

    summary = {
        "check": "snabbkontroll",  # one indicator fell back, so the weaker check speaks for the run
        "computed_at": "2026-12-02 08:40:00",
        "checked": 4660,
        "hidden": 2705,
        "withheld": 12850,
        "passed": True,
        "seconds": 50.2,
        "lp_timed_out": ["digitala_kontakter"],
    }
    text, tone = audit_status(summary)
    assert tone == "good"
    assert (
        "Snabbkontroll godkänd 2026-12-02 08:40 · 2\u00a0705 av 4\u00a0660 celler dolda (50,2 s) · "
        "12\u00a0850 celler publiceras inte alls (publiceringsregeln) · "
        "LP-granskningens arbetsbudget tog slut för digitala_kontakter: bara snabbkontrollen gäller där"
    ) in text


def test_a_refused_indicator_s_stale_results_keep_the_rung_they_were_published_on(catalogue):
    from metrics.compute.disclosure import record_audit
    from metrics.stats.audit import AuditResult

    con = empty_db(catalogue)

    def ladder() -> dict[str, int]:
        return json.loads(con.execute("SELECT value FROM meta WHERE key = 'audit'").fetchone()[0])["ladder"]

    # Monday: proaktiva_kontakter published on rung 3 (only years per kommun)
    record_audit(con, {"proaktiva_kontakter": AuditResult(cells=21, hidden=0, rung=3)}, "2026-12-01 08:00:00")
    assert ladder() == {"proaktiva_kontakter": 3}
    # Tuesday, `compute --only proaktiva_kontakter`: refused; Monday's results stay, stale. The
    # old record dropped its rung with its entry, so `matavla audit` rebuilt rung 0's withheld
    # cells for results that had no kommun quarters at all.
    record_audit(con, {}, "2026-12-02 08:00:00", refused=["proaktiva_kontakter"], replace_all=False)
    assert ladder() == {"proaktiva_kontakter": 3}
    # Wednesday, a full compute: refused again, another indicator on rung 1
    record_audit(
        con,
        {"sip_per_1000": AuditResult(cells=9, hidden=0, rung=1)},
        "2026-12-03 08:00:00",
        refused=["proaktiva_kontakter"],
    )
    assert ladder() == {"proaktiva_kontakter": 3, "sip_per_1000": 1}
    # Thursday: computed again, now on rung 0 – no rung left to remember
    record_audit(con, {"proaktiva_kontakter": AuditResult(cells=40, hidden=0)}, "2026-12-04 08:00:00")
    assert ladder() == {}


def test_stale_results_published_on_propagation_alone_are_flagged_while_they_are_shown(catalogue):
    from metrics.compute.disclosure import record_audit
    from metrics.dashboard.logic.audit_status import audit_overview
    from metrics.stats.audit import AuditResult

    con = empty_db(catalogue)

    def record() -> dict:
        return json.loads(con.execute("SELECT value FROM meta WHERE key = 'audit'").fetchone()[0])

    # Monday, before "nothing on propagation alone": proaktiva_kontakter's LP ran out of budget
    # and it was published all the same, on the snabbkontroll
    record_audit(
        con, {"proaktiva_kontakter": AuditResult(cells=21, hidden=3, timed_out=True)}, "2026-12-01 08:00:00"
    )
    # Tuesday: refused; Monday's results stay on the board, stale – and still unproven
    record_audit(con, {}, "2026-12-02 08:00:00", refused=["proaktiva_kontakter"])
    assert record()["stale_unproven"] == ["proaktiva_kontakter"]
    overview = audit_overview(record())
    assert overview.tone == "bad"
    assert any("proaktiva_kontakter skyddades bara av snabbkontrollen" in n for n in overview.notes)
    # Wednesday, `compute --only sip_per_1000`: proaktiva_kontakter's results are still those
    record_audit(
        con, {"sip_per_1000": AuditResult(cells=9, hidden=0)}, "2026-12-03 08:00:00", replace_all=False
    )
    assert record()["stale_unproven"] == ["proaktiva_kontakter"]
    # Thursday: refused again in a full compute – still the same old results
    record_audit(con, {}, "2026-12-04 08:00:00", refused=["proaktiva_kontakter"])
    assert record()["stale_unproven"] == ["proaktiva_kontakter"]
    # Friday: computed and LP-proven – nothing stale left to flag
    record_audit(con, {"proaktiva_kontakter": AuditResult(cells=21, hidden=3)}, "2026-12-05 08:00:00")
    assert record()["stale_unproven"] == []
    assert not any("snabbkontrollen" in n for n in audit_overview(record()).notes)


def test_the_data_page_does_not_call_a_coarser_rung_the_lp_proved_unproven():
    from metrics.dashboard.logic.audit_status import audit_status

    summary = {
        "check": "snabbkontroll",
        "computed_at": "2026-12-02 08:40:00",
        "checked": 4660,
        "hidden": 2705,
        "passed": True,
        "seconds": 50.2,
        # privata_kontakter: the LP proved rung 1 (no kommun months); digitala_kontakter: no rung
        # in time, rung 3 published on the snabbkontroll
        "ladder": {"privata_kontakter": 1, "digitala_kontakter": 3},
        "lp_timed_out": ["digitala_kontakter"],
    }
    text, _ = audit_status(summary)
    # The old text said of both "granskningen kunde inte bevisa skyddet inom tidsgränsen" (the
    # audit could not prove the protection), false of privata_kontakter's published cells.
    assert "kunde inte bevisa skyddet inom tidsgränsen" not in text
    assert (
        "Bara år visas per kommun för digitala_kontakter: LP-granskningen hann inte bevisa skyddet "
        "av en finare indelning inom sin arbetsbudget · Månader per kommun visas inte för "
        "privata_kontakter: LP-granskningen hann inte bevisa skyddet av en finare indelning inom "
        "sin arbetsbudget · LP-granskningens arbetsbudget tog slut för digitala_kontakter: bara "
        "snabbkontrollen gäller där"
    ) in text


def test_the_kommun_and_indicator_pages_say_what_is_not_published(tmp_path):
    from metrics.dashboard.server import create_app
    from metrics.db import set_meta
    from tests.test_dashboard_data import CATALOGUE, build_db

    db = build_db(tmp_path / "results.duckdb")  # kommuner 0512, 0580, 0581; years only
    import duckdb

    con = duckdb.connect(str(db))
    rule = {
        "kommun_month_breakdowns": False,
        "kommun_months_min_population": 20000,
        "months_withheld": ["0512"],
    }
    set_meta(con, "publication", json.dumps(rule))
    con.close()
    app = create_app(db_path=db, catalog_path=CATALOGUE)
    from metrics.dashboard.pages import indikator, kommun  # after the app: Dash registers the pages
    from metrics.dashboard.source.context import indicator_or_none

    with app.server.test_request_context("/"):
        indicator = indicator_or_none("aterinskrivning_30d_65")
        assert indicator is not None and "month" in indicator.periods
        ydre = str(kommun.render_trend("0512", "2024-03", indicator))
        assert ydre.count("Månadsvärden visas inte för kommuner under 20 000 invånare – se kvartal.") == 1
        assert "redovisas inte per kön" not in ydre  # not: "the indicator has no breakdowns"
        linkoping = str(kommun.render_trend("0580", "2024-03", indicator))
        assert "Månadsvärden per kön och åldersgrupp visas bara för län och områden" in linkoping
        assert "visas inte för kommuner under" not in linkoping
        assert "se kvartal" not in str(kommun.render_trend("0512", "2024", indicator))  # years: all shown
        page = str(indikator.render(indicator, "05", "2024-03", ["0580"]))
        assert "Månadsvärden visas inte för kommuner under 20 000 invånare – se kvartal (Ydre)." in page
