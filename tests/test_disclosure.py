"""Disclosure control that survives differencing: the equations, the exact audit and protection.

Each table is built by hand; the arithmetic that an attacker would do is written beside it.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from metrics.compute.disclosure import audit_published
from metrics.compute.engine import finish_cells
from metrics.compute.equations import TimeAdditivity, adds_up_over_time
from metrics.stats.audit import Quantity, audit
from metrics.stats.protection import protect
from metrics.stats.suppression import secondary_suppression
from tests.indicator_cases import core_catalogue


@pytest.fixture(scope="module")
def catalogue():
    return core_catalogue()


# --- which measures add up over time --------------------------------------------------------------

ADDS_UP = {
    # listed persons at the period's last snapshot: a stock, not a flow
    "fast_lakarkontakt": (False, False),
    # Σ COC over persons with ≥ 2 contacts in the period: per person and period
    "kontinuitet_lakare": (False, False),
    # persons counted once per period
    "fast_omsorgskontakt": (False, False),
    "personalkontinuitet_hemtjanst": (True, True),
    "digitala_kontakter": (True, True),
    # rows over a 31 December population (and the only period is the year)
    "hembesok_75": (True, False),
    "akutbesok_75": (True, False),
    "aterinskrivning_30d_65": (True, True),
    "utskrivningsklara_dagar_65": (True, False),
    "undvikbar_slutenvard": (True, False),
    "kostnad_per_invanare": (True, False),
    "proaktiva_kontakter": (True, True),
    "sip_per_1000": (True, False),
    "sip_delaktighet": (True, True),
    "npe_delaktighet": (True, True),
    "sjukfranvaro_personal": (True, True),
}


@pytest.mark.parametrize(("indicator_id", "expected"), sorted(ADDS_UP.items()))
def test_which_core_measures_add_up_from_months_to_the_year(catalogue, indicator_id, expected):
    assert adds_up_over_time(catalogue.indicator(indicator_id)) == TimeAdditivity(*expected)


def test_every_core_indicator_is_classified(catalogue):
    assert {i.id for i in catalogue.indicators} >= set(ADDS_UP)


# --- the audit on hand-built tables ------------------------------------------------------------------


def counts(values, equations, *, width=5.0):
    return Quantity("numerator", np.array(values, dtype=float), equations, required_width=width)


def denominators(values, equations, *, width=5.0):
    return Quantity("denominator", np.array(values, dtype=float), equations, required_width=width)


# Ydre, aterinskrivning_30d_65, 2022: July 6 of 30, August 1 of 21, September 7 of 25; Q3 14 of 76.
QUARTER = [(0, [1, 2, 3])]  # cells: 0 = Q3, 1 = July, 2 = August, 3 = September
Q3_NUM = [14, 6, 1, 7]
Q3_DEN = [76, 30, 21, 25]


def test_a_month_hidden_alone_is_recovered_from_its_quarter():
    hidden = np.array([False, False, True, False])  # August: 1 readmission, primary
    result = audit(
        hidden,
        counts(Q3_NUM, QUARTER),
        denominators(Q3_DEN, QUARTER),
        numerator_within_denominator=True,
    )
    # Q3 − July − September = 14 − 6 − 7 = 1 of 76 − 30 − 25 = 21: both determined
    assert [(f.cell, f.quantity, f.determined) for f in result.findings] == [
        (2, "denominator", True),
        (2, "numerator", True),
    ]
    assert not result.passed


def test_protection_hides_a_second_month_so_the_quarter_no_longer_gives_august_away():
    primary = np.array([False, False, True, False])
    hidden, result = protect(
        primary, counts(Q3_NUM, QUARTER), denominators(Q3_DEN, QUARTER), numerator_within_denominator=True
    )
    # September has the smaller denominator (25 < 30); August + September = 14 − 6 = 8
    # readmissions, so August lies anywhere in 0..8 – wider than max_count + 1 = 5
    assert hidden.tolist() == [False, False, True, True]
    assert result.passed


def test_the_engine_protects_months_against_their_quarter_and_year(catalogue):
    indicator = catalogue.indicator("aterinskrivning_30d_65")
    raw = pd.DataFrame(
        [
            ("0512", "kommun", period_type, pd.Timestamp(start), "total", None, None, num, den)
            for period_type, start, num, den in [
                ("year", "2022-01-01", 14, 76),
                ("quarter", "2022-07-01", 14, 76),
                ("month", "2022-07-01", 6, 30),
                ("month", "2022-08-01", 1, 21),
                ("month", "2022-09-01", 7, 25),
            ]
        ],
        columns=[
            "area_code",
            "area_level",
            "period_type",
            "period_start",
            "breakdown",
            "sex",
            "age_band",
            "numerator",
            "denominator",
        ],
    )
    raw["missing"], raw["complete"], raw["data_through"] = False, True, pd.NaT
    out = finish_cells(raw, indicator, catalogue).set_index("period")
    assert out.loc["2022-08", "suppression"] == "primary"
    # without time equations August was the only hidden cell: Q3 − July − September = 1 of 21
    assert out.loc[["2022-07", "2022-09"], "suppressed"].any()
    assert out.attrs["audit"].passed


# A 4 × 4 table with its margins (kommuner × age bands, say): x[i][j] = 10 + 4i + j.
# Cells 0..15 are x[i][j] at 4i + j, 16..19 the row totals, 20..23 the column totals, 24 the total.
X = [[10 + 4 * i + j for j in range(4)] for i in range(4)]
ROWS = [(16 + i, [4 * i + j for j in range(4)]) for i in range(4)]
COLS = [(20 + j, [4 * i + j for i in range(4)]) for j in range(4)]
TABLE = [*ROWS, *COLS, (24, list(range(16, 20))), (24, list(range(20, 24)))]
TABLE_NUM = [v for row in X for v in row] + [sum(r) for r in X] + [sum(c) for c in zip(*X, strict=True)]
TABLE_NUM.append(sum(TABLE_NUM[16:20]))
TABLE_DEN = [10 * v for v in TABLE_NUM]
# Two 2 × 2 blocks of hidden cells joined by one hidden cell x[1][2]: every row and column holds
# two or three hidden cells, so "exactly one hidden cell per sum" sees nothing wrong.
BRIDGED = [0, 1, 4, 5, 10, 11, 14, 15, 6]


def bridged_primary() -> np.ndarray:
    hidden = np.zeros(25, dtype=bool)
    hidden[BRIDGED] = True
    return hidden


def test_overlapping_sums_pin_a_cell_that_no_single_sum_reveals():
    primary = bridged_primary()
    greedy = secondary_suppression(primary, np.array(TABLE_DEN, dtype=float), TABLE)
    assert (greedy == primary).all()  # the old rule adds nothing
    result = audit(
        greedy, counts(TABLE_NUM, TABLE), denominators(TABLE_DEN, TABLE), numerator_within_denominator=True
    )
    # Rows: R0 = 10+11+12+13 = 46, R1 = 62; columns: C0 = 10+14+18+22 = 64, C1 = 68. The attacker:
    #   x00 + x01 = R0 − x02 − x03 = 46 − 12 − 13 = 21
    #   x00 + x10 = C0 − x20 − x30 = 64 − 18 − 22 = 24
    #   x01 + x11 = C1 − x21 − x31 = 68 − 19 − 23 = 26,  so x10 + x11 = 24 + 26 − 21 = 29
    #   x12 = R1 − x13 − (x10 + x11) = 62 − 17 − 29 = 16, exactly (and its denominator 160 alike)
    assert {(f.cell, f.quantity) for f in result.findings} == {(6, "numerator"), (6, "denominator")}
    assert all(f.determined for f in result.findings)
    # the 2 × 2 blocks are safe: x00 + t, x01 − t, x10 − t, x11 + t for t in −10..11 (width 21)
    assert all(f.cell == 6 for f in result.findings)


def test_compute_s_default_protection_leaves_the_bridged_cell_for_the_lp_audit_to_catch():
    # The default (propagation) protection and its snabbkontroll see nothing wrong with the
    # bridged table: no sum, nor chain of sums, narrows a cell by bounds arithmetic alone ...
    hidden, result = protect(
        bridged_primary(),
        counts(TABLE_NUM, TABLE),
        denominators(TABLE_DEN, TABLE),
        numerator_within_denominator=True,
    )
    assert result.passed and result.lps == 0
    assert hidden.tolist() == bridged_primary().tolist()
    # ... but the exact audit (`matavla audit`) solves x12 = 62 − 17 − 29 = 16 (see above)
    lp = audit(
        hidden, counts(TABLE_NUM, TABLE), denominators(TABLE_DEN, TABLE), numerator_within_denominator=True
    )
    assert {(f.cell, f.quantity) for f in lp.findings} == {(6, "numerator"), (6, "denominator")}


def test_protection_with_the_lp_audit_hides_more_until_the_bridged_cell_is_safe():
    hidden, result = protect(
        bridged_primary(),
        counts(TABLE_NUM, TABLE),
        denominators(TABLE_DEN, TABLE),
        numerator_within_denominator=True,
        exact=True,
    )
    assert result.lps > 0
    assert result.passed
    assert hidden[BRIDGED].all()
    assert hidden.sum() > len(BRIDGED)
    again = audit(
        hidden, counts(TABLE_NUM, TABLE), denominators(TABLE_DEN, TABLE), numerator_within_denominator=True
    )
    assert again.passed


# A län of 50 events: kommun 1 (1 event), kommun 2 (2 events) hidden, kommun 3 (47) shown.
LAN = [(0, [1, 2, 3])]
LAN_NUM = [50, 1, 2, 47]
LAN_DEN = [1000, 100, 200, 700]


def test_two_hidden_small_counts_in_one_sum_are_pinned_too_narrowly():
    hidden = np.array([False, True, True, False])
    result = audit(
        hidden, counts(LAN_NUM, LAN), denominators(LAN_DEN, LAN), numerator_within_denominator=True
    )
    # 50 − 47 = 3 = x1 + x2, so each of x1, x2 lies in 0..3: width 3 < max_count + 1 = 5;
    # not determined, but a count of 1–4 cannot be told from a range that narrow
    assert [(f.cell, f.quantity, f.width) for f in result.findings] == [
        (1, "numerator", pytest.approx(3)),
        (2, "numerator", pytest.approx(3)),
    ]
    assert not any(f.determined for f in result.findings)
    # the denominators sum to 1000 − 700 = 300: each lies in 0..300, wide enough


def test_protection_widens_a_narrow_sum_by_hiding_a_cell_that_makes_up_the_lack():
    hidden, result = protect(
        np.array([False, True, True, False]),
        counts(LAN_NUM, LAN),
        denominators(LAN_DEN, LAN),
        numerator_within_denominator=True,
    )
    # hiding kommun 3 as well: 1 + 2 + 47 = 50 ≥ 5, each count now lies in 0..50
    assert hidden.tolist() == [False, True, True, True]
    assert result.passed


def test_a_cell_in_no_published_sum_cannot_be_narrowed():
    hidden = np.array([False, True])
    result = audit(hidden, counts([7, 2], []), denominators([70, 8], []), numerator_within_denominator=True)
    assert result.passed


def test_a_population_denominator_is_public_and_not_audited():
    hidden = np.array([False, True, False])
    eqs = [(0, [1, 2])]
    population = Quantity(
        "denominator", np.array([900.0, 100.0, 800.0]), eqs, required_width=None, audited=False
    )
    # the numerators: 30 = x1 + 22, so x1 = 8 is determined; the population 100 = 900 − 800 is too,
    # but only the numerator is reported
    result = audit(hidden, counts([30, 8, 22], eqs), population, numerator_within_denominator=False)
    assert [(f.cell, f.quantity) for f in result.findings] == [(1, "numerator")]


# --- on the demo database ------------------------------------------------------------------------------


def test_the_demo_results_pass_the_quick_check_over_everything_published(demo_database):
    import duckdb

    from metrics.catalogue.loader import load_catalogue

    catalogue = load_catalogue(demo_database.catalog_path).catalogue
    con = duckdb.connect(str(demo_database.db_path), read_only=True)
    results = con.execute("SELECT * FROM results").df()
    meta = con.execute("SELECT value FROM meta WHERE key = 'audit'").fetchone()
    con.close()
    # propagation over the published numbers only: no hidden cell can be pinned by bounds arithmetic
    audits = audit_published(results, catalogue, exact=False)
    assert audits and all(a.result.passed for a in audits), [
        a.indicator for a in audits if not a.result.passed
    ]
    assert sum(a.result.hidden for a in audits) > 0
    summary = json.loads(meta[0])
    # Every indicator is LP-proven on the rung it is published on: nothing is published on
    # propagation alone any more (the old build had 6 so, and recorded the run as "snabbkontroll").
    assert summary["check"] == "fullständig LP-granskning" and summary["passed"] is True
    assert summary["checked"] == len(results)
    assert summary["hidden"] == int(results["suppressed"].sum())


def small_published_table(demo_database, path):
    """The demo's planned-contacts results for 2023 only (kommuner, län, sexes): a table small
    enough for the exact LP audit in a test."""
    import shutil

    import duckdb

    shutil.copy(demo_database.db_path, path)
    con = duckdb.connect(str(path))
    con.execute("DELETE FROM results WHERE NOT (indicator = 'proaktiva_kontakter' AND period = '2023')")
    con.close()


def test_matavla_audit_passes_on_a_small_table_and_fails_when_a_lone_cell_is_hidden(demo_database, tmp_path):
    import duckdb
    from click.testing import CliRunner

    from metrics.cli import main

    db = tmp_path / "small.duckdb"
    small_published_table(demo_database, db)
    args = ["--catalog", str(demo_database.catalog_path), "--wait", "5"]
    ok = CliRunner().invoke(main, ["audit", "--db", str(db), "--indicator", "proaktiva_kontakter", *args])
    assert ok.exit_code == 0, ok.output
    assert "Fullständig LP-granskning godkänd" in ok.output
    con = duckdb.connect(str(db), read_only=True)
    stored = json.loads(con.execute("SELECT value FROM meta WHERE key = 'audit_lp'").fetchone()[0])
    computed_at = con.execute("SELECT value FROM meta WHERE key = 'computed_at'").fetchone()[0]
    con.close()
    assert stored["check"] == "fullständig LP-granskning" and stored["passed"] is True
    assert stored["computed_at"] == computed_at  # the Data page ties it to the results shown

    # Hide Linköping's 2023 share of planned contacts alone: its sex cells (and the län) still add
    # up to it, so it is as good as published.
    con = duckdb.connect(str(db))
    con.execute(
        "UPDATE results SET suppressed = true, suppression = 'primary', numerator = NULL, "
        "denominator = NULL, value = NULL, ci_low = NULL, ci_high = NULL "
        "WHERE indicator = 'proaktiva_kontakter' "
        "AND area_code = '0580' AND period = '2023' AND breakdown = 'total'"
    )
    con.close()
    failed = CliRunner().invoke(main, ["audit", "--db", str(db), *args])
    assert failed.exit_code == 1
    assert "proaktiva_kontakter" in failed.output and "UNDERKÄND" in failed.output
    assert "0580 2023 totalt" in failed.output
    unknown = CliRunner().invoke(main, ["audit", "--db", str(db), "--indicator", "proaktiva", *args])
    assert unknown.exit_code == 1 and "finns inte i katalogen" in unknown.output


def test_compute_protects_by_the_lp_audit_by_default_and_records_which_check_ran(catalogue):
    from metrics.compute.engine import compute_all
    from tests.indicator_cases import empty_db, insert

    con = empty_db(catalogue)
    # Linköping, May 2024: 40 contacts of one woman aged 50, 3 of them proactive (a count of 3:
    # primary), so every cell of hers is tiny and the LP audit has something to check.
    rows = [
        (f"c{i}", f"p{i}", "0580", "K", 50, "2024-05-02", "VC", "region", "lakare", "", "mottagning", i < 3)
        for i in range(40)
    ]
    insert(con, "contacts", rows)

    def check_of(**kwargs) -> dict:
        reports = compute_all(con, catalogue, only=["proaktiva_kontakter"], **kwargs)
        assert all(r.ok for r in reports), [r.message for r in reports]
        return json.loads(con.execute("SELECT value FROM meta WHERE key = 'audit'").fetchone()[0])

    exact = check_of()  # the default since the publishing rule made the LP cheap
    assert exact["check"] == "fullständig LP-granskning" and exact["passed"] is True
    assert exact["indicators"]["proaktiva_kontakter"]["lp_timed_out"] is False
    quick = check_of(exact_audit=False)  # compute --snabbkontroll
    assert quick["check"] == "snabbkontroll" and quick["passed"] is True
    assert quick["indicators"]["proaktiva_kontakter"]["check"] == "snabbkontroll"
    assert exact["hidden"] >= quick["hidden"] > 0

    # the check's outcome stays out of the frame: pandas would copy it into previews' parquet files
    from metrics.compute.engine import compute_indicator

    indicator = next(i for i in catalogue.indicators if i.id == "proaktiva_kontakter")
    assert compute_indicator(con, indicator, catalogue).attrs == {}


def test_compute_refuses_to_publish_an_indicator_that_fails_the_audit(catalogue, monkeypatch):
    import metrics.compute.disclosure as disclosure
    from metrics.compute.engine import compute_all
    from metrics.stats.audit import AuditResult, Finding
    from tests.indicator_cases import empty_db, insert

    con = empty_db(catalogue)
    insert(
        con,
        "contacts",
        [
            (
                f"c{i}",
                f"p{i}",
                "0580",
                "K",
                50,
                "2024-05-02",
                "VC",
                "region",
                "lakare",
                "",
                "mottagning",
                i < 3,
            )
            for i in range(40)
        ],
    )

    def failing(primary, numerator, denominator, **_):
        hidden = np.asarray(primary, dtype=bool)
        return hidden, AuditResult(hidden.size, int(hidden.sum()), [Finding(0, "numerator", 0.0, 5.0)])

    monkeypatch.setattr(disclosure, "protect", failing)
    reports = {r.indicator: r for r in compute_all(con, catalogue, only=["proaktiva_kontakter"])}
    report = reports["proaktiva_kontakter"]
    assert not report.ok
    assert "proaktiva_kontakter" in report.message and "röjandekontrollen" in report.message
    assert con.execute("SELECT count(*) FROM results WHERE indicator = 'proaktiva_kontakter'").fetchone() == (
        0,
    )
    summary = json.loads(con.execute("SELECT value FROM meta WHERE key = 'audit'").fetchone()[0])
    assert summary["passed"] is False and summary["refused"] == ["proaktiva_kontakter"]


def test_the_data_page_states_which_check_ran_when_and_its_outcome():
    from metrics.dashboard.logic.audit_status import audit_status

    assert audit_status(None) == ("Inte körd", "neutral")
    quick = {
        "check": "snabbkontroll",
        "computed_at": "2026-12-02 08:40:00",
        "checked": 74532,
        "hidden": 13800,
        "passed": True,
        "seconds": 12.34,
    }
    text, tone = audit_status(quick)
    # the board's thousands separator is a no-break space
    assert (text, tone) == (
        "Snabbkontroll godkänd 2026-12-02 08:40 · 13\u00a0800 av 74\u00a0532 celler dolda (12,3 s) · "
        "fullständig LP-granskning inte körd (`matavla audit`)",
        "good",
    )
    lp = {"check": "fullständig LP-granskning", "computed_at": "2026-12-02 08:40:00", "passed": True}
    text, tone = audit_status(quick, {**lp, "checked_at": "2026-12-02 09:01:00"})
    assert tone == "good" and text.endswith("fullständig LP-granskning godkänd 2026-12-02 09:01")
    # an LP audit of results computed before the ones shown does not speak for them
    text, _ = audit_status(
        quick, {**lp, "computed_at": "2026-12-01 10:00:00", "checked_at": "2026-12-01 11:00:00"}
    )
    assert text.endswith("fullständig LP-granskning 2026-12-01 11:00 gäller äldre resultat")
    failed_lp = {
        **lp,
        "passed": False,
        "indicators": {"sip_delaktighet": {"passed": False}, "x": {"passed": True}},
    }
    text, tone = audit_status(quick, {**failed_lp, "checked_at": "2026-12-02 09:01:00"})
    assert tone == "bad" and text.endswith(
        "fullständig LP-granskning underkänd 2026-12-02 09:01 (sip_delaktighet)"
    )
    text, tone = audit_status(
        {**quick, "check": "fullständig LP-granskning", "passed": False, "refused": ["sip_delaktighet"]}
    )
    assert tone == "bad"
    assert text.startswith(
        "Fullständig LP-granskning underkänd 2026-12-02 08:40 · 1 indikatorer publicerades inte"
    )


# --- the equations themselves --------------------------------------------------------------------------


def cells_frame(rows):
    """(area_code, area_level, period_type, period_start, period) cells, totals only."""
    return pd.DataFrame(
        [
            {
                "area_code": area,
                "area_level": level,
                "period_type": ptype,
                "period_start": pd.Timestamp(start),
                "period": period,
                "breakdown": "total",
                "sex": None,
                "age_band": None,
            }
            for area, level, ptype, start, period in rows
        ]
    )


def test_time_equations_tie_months_to_their_quarter_and_year():
    from metrics.compute.equations import time_equations

    cells = cells_frame(
        [
            ("0512", "kommun", "year", "2022-01-01", "2022"),  # 0
            ("0512", "kommun", "quarter", "2022-07-01", "2022-Q3"),  # 1
            ("0512", "kommun", "month", "2022-07-01", "2022-07"),  # 2
            ("0512", "kommun", "month", "2022-08-01", "2022-08"),  # 3
            ("0512", "kommun", "month", "2022-09-01", "2022-09"),  # 4
            ("0512", "kommun", "quarter", "2022-10-01", "2022-Q4"),  # 5
            ("0512", "kommun", "month", "2022-12-01", "2022-12"),  # 6
        ]
    )
    equations = sorted((p, sorted(c)) for p, c in time_equations(cells))
    assert equations == [
        (0, [1, 5]),  # year = Σ quarters
        (0, [2, 3, 4, 6]),  # year = Σ months
        (1, [2, 3, 4]),  # Q3 = July + August + September
        (5, [6]),  # Q4 = December (the only month with rows)
    ]


def test_a_kommun_no_delivery_covers_is_in_no_equation(catalogue):
    from metrics.compute.equations import area_equations

    cells = cells_frame(
        [
            ("05", "lan", "year", "2024-01-01", "2024"),
            ("0580", "kommun", "year", "2024-01-01", "2024"),
            ("0581", "kommun", "year", "2024-01-01", "2024"),
        ]
    )
    assert area_equations(cells, catalogue) == [(0, [1, 2])]
    # with Norrköping missing ("saknas"), the län is the sum of Linköping alone
    cells["missing"] = [False, False, True]
    assert area_equations(cells, catalogue) == [(0, [1])]


def test_a_snapshot_year_is_its_last_month_with_a_snapshot(catalogue):
    from metrics.compute.equations import snapshot_equations

    cells = cells_frame(
        [
            ("0580", "kommun", "year", "2024-01-01", "2024"),  # 0
            ("0580", "kommun", "quarter", "2024-07-01", "2024-Q3"),  # 1
            ("0580", "kommun", "quarter", "2024-10-01", "2024-Q4"),  # 2
            ("0580", "kommun", "month", "2024-09-01", "2024-09"),  # 3
            ("0580", "kommun", "month", "2024-11-01", "2024-11"),  # 4: last snapshot of the year
        ]
    )
    # the year shows November's snapshot, as does Q4; Q3 shows September's
    assert sorted(snapshot_equations(cells)) == [(0, [2]), (1, [3]), (2, [4])]


# --- cheap outer bounds (interval propagation) ----------------------------------------------------------


def test_propagation_pins_two_small_counts_under_a_published_total_without_an_lp():
    from metrics.stats.protection import propagation_findings

    # 50 = x1 + x2 + 47, counts ≥ 0: x1 + x2 = 3, so each lies in 0..3 (width 3 < 5) – found by
    # pencil and paper, no LP needed; the denominators (x1 + x2 = 300) are wide enough
    findings = propagation_findings(
        np.array([False, True, True, False]),
        counts(LAN_NUM, LAN),
        denominators(LAN_DEN, LAN),
        numerator_within_denominator=True,
    )
    assert [(f.cell, f.quantity, f.width) for f in findings] == [(1, "numerator", 3.0), (2, "numerator", 3.0)]


def test_propagation_recovers_a_month_from_its_quarter_and_year():
    from metrics.stats.protection import propagation_findings

    # cells: 0 = year, 1 = Q3, 2 = July, 3 = August, 4 = September, 5 = Q1+Q2+Q4 as one quarter
    # year = Q3 + rest; Q3 = July + August + September. Hidden: Q3 and August.
    # year − rest = 40 − 26 = 14 = Q3, then Q3 − July − September = 14 − 6 − 7 = 1 = August
    equations = [(0, [1, 5]), (1, [2, 3, 4])]
    hidden = np.array([False, True, False, True, False, False])
    findings = propagation_findings(
        hidden,
        counts([40, 14, 6, 1, 7, 26], equations),
        denominators([200, 76, 30, 21, 25, 124], equations),
        numerator_within_denominator=True,
    )
    assert {(f.cell, f.quantity, f.width) for f in findings} == {
        (1, "numerator", 0.0),
        (3, "numerator", 0.0),
        (1, "denominator", 0.0),
        (3, "denominator", 0.0),
    }


def test_propagation_alone_misses_the_bridged_cell_that_the_lp_audit_catches():
    from metrics.stats.protection import propagation_findings

    # every row and column of the bridged table keeps ≥ 2 hidden cells whose published
    # remainders are ≥ 21, so no single sum narrows anything below 5 – only solving the sums
    # jointly (see test_overlapping_sums_pin_a_cell_that_no_single_sum_reveals) gives x12 = 16
    assert not [
        f
        for f in propagation_findings(
            bridged_primary(),
            counts(TABLE_NUM, TABLE),
            denominators(TABLE_DEN, TABLE),
            numerator_within_denominator=True,
        )
        if f.quantity == "numerator" and f.cell == 6
    ]
