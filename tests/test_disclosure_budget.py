"""The exact audit's work budget (metrics.compute.audit_budget): the same data always publishes
the same cells, however busy the machine, and the ladder's last rung has a budget of its own.

Every table is built by hand (tests/test_publication_rule.py's Q3 of readmissions: Ydre 0512,
Linköping 0580 and their län 05, July–September 2022 and Q3).
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pandas as pd
import pytest

from metrics.catalogue.model import PublicationSettings
from metrics.compute.audit_budget import ITERATIONS_PER_SECOND, AuditBudgets, audit_budgets
from metrics.compute.disclosure import LP_CHECK, audit_summary
from metrics.compute.engine import finish_cells
from metrics.compute.publication import PublishingPlan
from metrics.errors import DisclosureError, MatavlaError
from metrics.stats.audit import AuditBudget, AuditBudgetSpent, Quantity, audit
from tests.indicator_cases import core_catalogue
from tests.test_publication_rule import PLAN, q3_raw

BUDGET_ENV = ("MATAVLA_AUDIT_ITERATIONS", "MATAVLA_AUDIT_SECONDS", "MATAVLA_AUDIT_LAST_RUNG_ITERATIONS")


@pytest.fixture(scope="module")
def catalogue():
    return core_catalogue()


@pytest.fixture(autouse=True)
def no_budget_from_the_environment(monkeypatch):
    for name in BUDGET_ENV:
        monkeypatch.delenv(name, raising=False)


def published(out):
    """What the export would hold of the cells: which are stored, and which of them are hidden."""
    return sorted(zip(out["area_code"], out["period"], out["suppressed"].astype(bool), strict=True))


def test_a_busy_machine_publishes_the_same_cells(catalogue, monkeypatch):
    # Issue 6 §3: the same data and catalogue give a byte-identical export. On a busy or slow
    # machine the CPU clock runs on between two LPs; here it leaps 1 000 s at every reading, far
    # past the catalogue's 120 s. The old code's CPU-time cap then ran out at the first LP, and
    # compute published the ladder's last rung (only years per kommun, 4 cells) protected by
    # propagation instead of rung 0 (9 cells) proven by the LP: a different export from the same
    # data. The work budget counts simplex iterations, which no clock changes.
    indicator = catalogue.indicator("aterinskrivning_30d_65")
    calm = finish_cells(q3_raw(), indicator, catalogue, exact_audit=True, plan=PLAN)
    assert calm.attrs["audit"].rung == 0 and not calm.attrs["audit"].timed_out
    assert len(calm) == 9  # 12 cells, Ydre's 3 months withheld (test_publication_rule)

    clock = [time.process_time()]

    def leaping() -> float:
        clock[0] += 1000.0
        return clock[0]

    monkeypatch.setattr(time, "process_time", leaping)
    busy = finish_cells(q3_raw(), indicator, catalogue, exact_audit=True, plan=PLAN)
    assert busy.attrs["audit"].rung == 0 and not busy.attrs["audit"].timed_out
    assert published(busy) == published(calm)
    assert busy.attrs["audit"].iterations == calm.attrs["audit"].iterations


def test_the_last_rung_is_proven_by_the_lp_on_its_own_budget(catalogue):
    # No budget for rungs 0–2 (audit_iterations: 0), 1 000 000 iterations for the last rung: it is
    # published proven by the LP. The old code gave the last rung only what rungs 0–2 left of a
    # shared cap – here nothing – so it was always published on propagation alone.
    settings = dataclasses.replace(
        catalogue.publication, audit_iterations=0, last_rung_audit_iterations=1_000_000
    )
    budgeted = dataclasses.replace(catalogue, publication=settings)
    indicator = budgeted.indicator("aterinskrivning_30d_65")
    out = finish_cells(q3_raw(), indicator, budgeted, exact_audit=True, plan=PLAN)
    result = out.attrs["audit"]
    assert result.rung == 3 and not result.timed_out and result.passed
    # Rung 3 keeps the län's 3 months and Q3 (22, 5, 26 of 53 readmissions: none small); the
    # kommuner's months and quarters (8 cells) are withheld, and no kommun year exists in Q3. No
    # cell is hidden, so the LP has nothing to prove: the exact audit passes it without an LP.
    assert published(out) == [
        ("05", "2022-07", False),
        ("05", "2022-08", False),
        ("05", "2022-09", False),
        ("05", "2022-Q3", False),
    ]
    # Without a last-rung budget of its own it takes the shared one: 0, so no LP proves it, nor
    # the fallback (which withholds nothing more here): refused, never published on propagation.
    shared = dataclasses.replace(
        budgeted, publication=dataclasses.replace(settings, last_rung_audit_iterations=None)
    )
    with pytest.raises(DisclosureError):
        finish_cells(q3_raw(), indicator, shared, exact_audit=True, plan=PLAN)


def chain(n: int) -> tuple[np.ndarray, Quantity, Quantity]:
    """n + 1 cells: a total (cell 0) of n parts, every second part hidden – one component with
    n / 2 unknown counts, each needing its own LPs."""
    equations = [(0, list(range(1, n + 1)))]
    num = np.concatenate([[3.0 * n], np.full(n, 3.0)])
    den = np.concatenate([[30.0 * n], np.full(n, 30.0)])
    hidden = np.zeros(n + 1, dtype=np.bool_)
    hidden[1::2] = True
    return (
        hidden,
        Quantity("numerator", num, equations, required_width=5.0),
        Quantity("denominator", den, equations, required_width=5.0),
    )


def test_the_budget_counts_simplex_iterations_the_same_way_every_time():
    hidden, num, den = chain(40)
    spent = []
    for _ in range(2):
        budget = AuditBudget(10**9)
        result = audit(hidden, num, den, numerator_within_denominator=True, budget=budget)
        assert result.passed and result.lps > 0
        # each LP costs its iterations, and at least 1
        assert result.iterations <= budget.spent <= result.iterations + result.lps
        spent.append((budget.spent, result.iterations, result.lps))
    assert spent[0] == spent[1]
    # A budget one iteration short of what the audit needs runs out, and never overruns.
    short = AuditBudget(spent[0][0] - 1)
    with pytest.raises(AuditBudgetSpent):
        audit(hidden, num, den, numerator_within_denominator=True, budget=short)
    assert short.spent <= short.iterations


def test_which_budget_a_run_uses(catalogue, monkeypatch):
    default = audit_budgets(catalogue)
    # audit_seconds (default 120) is translated at a fixed rate, never timed
    assert default == AuditBudgets(120 * ITERATIONS_PER_SECOND, 120 * ITERATIONS_PER_SECOND)
    settings = dataclasses.replace(
        catalogue.publication, audit_iterations=5000, last_rung_audit_iterations=700
    )
    own = dataclasses.replace(catalogue, publication=settings)
    assert audit_budgets(own) == AuditBudgets(5000, 700)
    monkeypatch.setenv("MATAVLA_AUDIT_SECONDS", "2,5")  # the older setting, a Swedish decimal comma
    assert audit_budgets(own) == AuditBudgets(round(2.5 * ITERATIONS_PER_SECOND), 700)
    monkeypatch.setenv("MATAVLA_AUDIT_ITERATIONS", "40 000")
    monkeypatch.setenv("MATAVLA_AUDIT_LAST_RUNG_ITERATIONS", "1_000")
    assert audit_budgets(own) == AuditBudgets(40000, 1000)
    monkeypatch.setenv("MATAVLA_AUDIT_ITERATIONS", "många")
    with pytest.raises(
        MatavlaError, match="MATAVLA_AUDIT_ITERATIONS='många' är inget antal simplexiterationer"
    ):
        audit_budgets(own)


@pytest.mark.parametrize("n", [12, 40])
def test_a_budget_of_exactly_what_the_audit_needs_is_enough(n):
    # "audit_iterations: N" means the LPs may use N iterations. HiGHS reports its iteration limit
    # reached – not optimal – when an LP needs exactly as many iterations as the limit, so an LP
    # limited to what is left of the budget ran out when it would just have fitted: a budget of
    # exactly what the audit needs was spent (n = 40: 33 iterations needed, 33 refused).
    hidden, num, den = chain(n)
    ample = AuditBudget(10**9)
    audit(hidden, num, den, numerator_within_denominator=True, budget=ample)
    exact = AuditBudget(ample.spent)
    result = audit(hidden, num, den, numerator_within_denominator=True, budget=exact)
    assert result.passed and exact.spent == exact.iterations == ample.spent
    short = AuditBudget(ample.spent - 1)
    with pytest.raises(AuditBudgetSpent):
        audit(hidden, num, den, numerator_within_denominator=True, budget=short)
    assert short.spent == short.iterations  # spent to the last iteration, and not one past it


def test_a_budget_beyond_what_highs_accepts_is_no_cap_at_all():
    # A budget above HiGHS's 32-bit iteration limit (e.g. audit_iterations: 5 000 000 000) runs
    # every LP to the end, as an unlimited one does.
    hidden, num, den = chain(40)
    unlimited = audit(hidden, num, den, numerator_within_denominator=True)
    huge = AuditBudget(5_000_000_000)
    result = audit(hidden, num, den, numerator_within_denominator=True, budget=huge)
    assert result.passed and result.iterations == unlimited.iterations


def test_audit_seconds_inf_is_no_cap_and_nan_is_refused_with_its_line(tmp_path):
    # Under the CPU-time cap `audit_seconds: .inf` meant no cap (and .nan, by accident, too).
    # Translated into iterations they crashed compute with a Python traceback
    # (OverflowError / ValueError: cannot convert float infinity / NaN to integer).
    from metrics.catalogue.loader import load_catalogue
    from metrics.errors import CatalogueError
    from tests.test_publication_rule import HEADER

    lines = HEADER.splitlines()

    def catalogue_with(value: str):
        path = tmp_path / "indicators.yaml"
        setting = f"  publication: {{audit_seconds: {value}}}"
        path.write_text("\n".join([*lines[:3], setting, *lines[11:]]) + "\n", encoding="utf-8")
        return load_catalogue(path).catalogue

    unlimited = audit_budgets(catalogue_with(".inf"))
    assert unlimited.rungs == unlimited.last_rung >= 10**18  # more than any audit can spend
    with pytest.raises(CatalogueError) as excinfo:
        catalogue_with(".nan")
    [problem] = excinfo.value.problems
    assert problem.line == 4 and "audit_seconds ska vara ett tal > 0" in problem.message


def test_a_second_try_at_the_rule_s_own_cells_is_not_called_a_coarser_rung(catalogue):
    # Years only (Q3's numbers as the year 2022: Ydre 0512, Linköping 0580, län 05): no rung
    # withholds any cell, so the last rung's own budget is only a second try at rung 0's cells.
    # Proven there, it published exactly what the catalogue's rule publishes, yet was recorded as
    # rung 3: the Data page then said "Bara år visas per kommun …: LP-granskningen hann inte
    # bevisa skyddet av en finare indelning" of an indicator with no finer division at all.
    from metrics.dashboard.logic.audit_status import audit_status

    settings = dataclasses.replace(
        catalogue.publication, audit_iterations=0, last_rung_audit_iterations=10**6
    )
    budgeted = dataclasses.replace(catalogue, publication=settings)
    raw = q3_raw()
    years = raw[raw["period_type"] == "quarter"].assign(
        period_type="year", period_start=pd.Timestamp("2022-01-01")
    )
    indicator = budgeted.indicator("aterinskrivning_30d_65")
    out = finish_cells(years, indicator, budgeted, exact_audit=True, plan=PLAN)
    result = out.attrs["audit"]
    assert (result.rung, result.timed_out, result.passed, result.withheld) == (0, False, True, 0)
    assert sorted(out["area_code"]) == ["05", "0512", "0580"]  # every year published
    text, _ = audit_status(audit_summary({indicator.id: result}, "2026-12-03 08:00:00", check=LP_CHECK))
    assert "finare indelning" not in text and "Bara år" not in text


def grid(rows: int, columns: int) -> tuple[np.ndarray, Quantity, Quantity]:
    """A rows × columns table with its row sums, column sums and total, every cell hidden.

    Cells 0 .. rows·columns − 1 are the table (row-major), then the row sums, the column sums and
    the total. Nothing is published, so every sum is 0 = parent − Σ children over unknowns only.
    """
    cell = np.arange(rows * columns).reshape(rows, columns)
    row_sum = rows * columns + np.arange(rows)
    column_sum = rows * columns + rows + np.arange(columns)
    total = rows * columns + rows + columns
    equations = [(int(row_sum[r]), cell[r].tolist()) for r in range(rows)]
    equations += [(int(column_sum[c]), cell[:, c].tolist()) for c in range(columns)]
    equations += [(total, row_sum.tolist()), (total, column_sum.tolist())]
    n = total + 1
    hidden = np.ones(n, dtype=np.bool_)
    values = np.full(n, np.nan)  # nothing published
    return (
        hidden,
        Quantity("numerator", values, equations, required_width=5.0),
        Quantity("denominator", values, equations, required_width=5.0),
    )


def test_a_table_hidden_whole_is_proven_by_two_lps():
    # A 4 × 4 table, its sums and total all hidden (the last rung of the 2 % demo is like this:
    # every län and area-group cell hidden, the kommun months withheld). Two points of the
    # published system prove every cell: all 0, and 5 in every table cell (row and column sums
    # 20, total 80, numerator = denominator), each count then ranging over at least 0..5. The
    # audit finds them with two LPs: the minimum of the total (0) and one spread witness, which
    # raises every cell to the width it lacks and no further. The old aimed witnesses pushed every
    # unproven cell up without a cap; a vertex of that LP piles the total into a few cells, so
    # each LP proved only some of them (old code: more than two LPs).
    hidden, num, den = grid(4, 4)
    result = audit(hidden, num, den, numerator_within_denominator=True, budget=AuditBudget(10**6))
    assert result.passed
    assert result.lps == 2


def _two_lan_raw() -> pd.DataFrame:
    """Q3 in Östergötland (05: Ydre, Linköping) and the same numbers again in Jämtland (23:
    Ragunda 2303 as Ydre, Östersund 2380 as Linköping): two län whose LPs are the same."""
    one = q3_raw()
    codes = {"05": "23", "0512": "2303", "0580": "2380"}
    return pd.concat([one, one.assign(area_code=one["area_code"].map(codes))], ignore_index=True)


TWO_LAN_PLAN = PublishingPlan(
    PublicationSettings(), {"0512": 3626, "0580": 168035, "2303": 3626, "2380": 168035}, 2024
)


def test_the_budget_is_per_lan(catalogue):
    # Issue 10: one budget for all of a national installation's 21 län gave each a twenty-first
    # of what a region gets, and it published only län cells. Here one län's LP needs N
    # iterations; with `audit_iterations: N` two such län are each proven as one is alone (rung
    # 0, the same cells), on 2 N. The old code gave both the one N: it ran out and climbed.
    indicator = catalogue.indicator("aterinskrivning_30d_65")
    alone = finish_cells(q3_raw(), indicator, catalogue, exact_audit=True, plan=PLAN).attrs["audit"]
    assert alone.rung == 0 and not alone.timed_out and alone.iterations > 0
    settings = dataclasses.replace(
        catalogue.publication, audit_iterations=alone.iterations, last_rung_audit_iterations=alone.iterations
    )
    budgeted = dataclasses.replace(catalogue, publication=settings)

    one = finish_cells(q3_raw(), indicator, budgeted, exact_audit=True, plan=PLAN)
    two = finish_cells(_two_lan_raw(), indicator, budgeted, exact_audit=True, plan=TWO_LAN_PLAN)

    result = two.attrs["audit"]
    assert result.rung == 0 and not result.timed_out and result.passed
    assert result.iterations == 2 * alone.iterations
    assert result.budget == (alone.iterations, alone.iterations, "län")  # the setting, per län
    twin = {"05": "23", "0512": "2303", "0580": "2380"}
    copied = [(twin[a], p, s) for a, p, s in published(one)]
    assert published(two) == sorted(published(one) + copied)
