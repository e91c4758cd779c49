"""`matavla audit` proves the withheld cells it rebuilds with the LP, not only by propagation.

The stored results hold no value of a withheld cell, so the audit cannot know which are small:
one fails only where its exact feasible interval is narrower than required *and* it may be a
small value (maximum below `publishable_from`, minimum above 0 where a 0 may be published) –
the criterion propagation used alone before. Every value below is worked out by hand.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from metrics.catalogue.model import AreaGroup, AreaLevel, PublicationSettings
from metrics.compute.disclosure import audit_indicator
from metrics.compute.publication import PublishingPlan, rung_plan
from metrics.stats.audit import Quantity, audit
from tests.indicator_cases import core_catalogue

# --- `matavla audit` on stored results: K = L − GA − GB over two area levels ----------------------

# Östergötland (05) has 13 kommuner. Two area levels, one group each inside the län; Ydre (0512)
# is in neither. Stored on the fallback rung (4): only the län and the two groups, year 2022.
GA = ("0513", "0560", "0561", "0562", "0563", "0580")
GB = ("0509", "0581", "0582", "0583", "0584", "0586")
LEVELS = (
    AreaLevel("niva_a", "Nivå A", (AreaGroup("ga", "Grupp A", GA),)),
    AreaLevel("niva_b", "Nivå B", (AreaGroup("gb", "Grupp B", GB),)),
)
FALLBACK = rung_plan(PublishingPlan(PublicationSettings(), {}, 2024), 4)


@pytest.fixture(scope="module")
def catalogue():
    return dataclasses.replace(core_catalogue(), area_levels=LEVELS)


def stored(lan: tuple[int, int], ga: tuple[int, int], gb: tuple[int, int]) -> pd.DataFrame:
    """The three stored cells (numerator, denominator), all published."""
    rows = [
        (code, level, num, den)
        for code, level, (num, den) in (("05", "lan", lan), ("ga", "niva_a", ga), ("gb", "niva_b", gb))
    ]
    frame = pd.DataFrame(rows, columns=["area_code", "area_level", "numerator", "denominator"])
    return frame.assign(
        indicator="aterinskrivning_30d_65",
        period_type="year",
        period_start=pd.Timestamp("2022-01-01"),
        period="2022",
        breakdown="total",
        sex=None,
        age_band=None,
        value=100 * frame["numerator"] / frame["denominator"],
        suppressed=False,
        suppression=None,
        missing=False,
        complete=True,
        data_through=pd.Timestamp("2022-12-31"),
    )


def _withheld_findings(item) -> list[tuple[str, str]]:
    cells = item.cells
    return sorted((str(cells.loc[f.cell, "area_code"]), f.quantity) for f in item.result.findings)


def test_matavla_audit_fails_a_withheld_small_kommun_count_only_a_combination_of_sums_pins(catalogue):
    # The equations: län = Σ 13 kommuner; GA = Σ its 6, GB = Σ its 6; per level, län = its group
    # + the 7 kommuner outside it. Ydre = län − GA − GB = 42 − 20 − 20 = 2 readmissions (and
    # 500 − 200 − 200 = 100 stays, no small denominator): a withheld count of 2, determined.
    # Propagation sees each sum alone: from level A's, Ydre ≤ 42 − 20 = 22 and ≥ 0 (GB's six
    # kommuner are each only ≤ 20 there), so it is left 0–22 and the old audit passed it.
    indicator = catalogue.indicator("aterinskrivning_30d_65")
    item = audit_indicator(stored((42, 500), (20, 200), (20, 200)), indicator, catalogue, plan=FALLBACK)
    assert item.result.withheld == 13
    assert _withheld_findings(item) == [("0512", "numerator")]
    (finding,) = item.result.findings
    assert finding.width == pytest.approx(0.0, abs=1e-6) and finding.required == 5.0


def test_matavla_audit_passes_the_same_withheld_kommun_when_it_is_certainly_no_small_count(catalogue):
    # Ydre = 52 − 20 − 20 = 12 readmissions: determined, but 12 ≥ 5 – the rule would have
    # published it, so nothing small is disclosed. Propagation's bounds (0–32) do not show that;
    # the LP's maximum (12) does.
    indicator = catalogue.indicator("aterinskrivning_30d_65")
    item = audit_indicator(stored((52, 500), (20, 200), (20, 200)), indicator, catalogue, plan=FALLBACK)
    assert item.result.withheld == 13 and item.result.passed
    assert item.result.lps > 0  # proven by the LP, not skipped


def test_the_snabbkontroll_of_stored_results_still_misses_it(catalogue):
    # `matavla audit --snabbkontroll` (exact False) stays propagation only: Ydre 0–22 passes.
    indicator = catalogue.indicator("aterinskrivning_30d_65")
    cells = stored((42, 500), (20, 200), (20, 200))
    assert audit_indicator(cells, indicator, catalogue, exact=False, plan=FALLBACK).result.passed


# --- the `audit` level: `small_only` -------------------------------------------------------------

# cells: 0 L, 1 K (withheld), 2–5 kommuner (withheld), 6 G1 = K2 + K3, 7 G2 = K4 + K5; no sum
# of L = G1 + G2 + K, so only the LP sees K = L − G1 − G2.
EQUATIONS = [(0, [1, 2, 3, 4, 5]), (6, [2, 3]), (7, [4, 5])]
WITHHELD = np.array([False, True, True, True, True, True, False, False])


def _count(values, *, required=5.0, publishable=5.0):
    return Quantity(
        "numerator",
        np.array(values, dtype=float),
        EQUATIONS,
        required_width=required,
        zero_publishable=publishable is not None,
        publishable_from=publishable,
    )


def _denominator(values):
    return Quantity(
        "denominator",
        np.array(values, dtype=float),
        EQUATIONS,
        required_width=5.0,
        zero_publishable=True,
        publishable_from=10.0,
    )


def _audit(numerator, denominator, within=True):
    values = [np.nan if w else v for v, w in zip(numerator.values, WITHHELD, strict=True)]
    num = dataclasses.replace(numerator, values=np.array(values))
    dens = [np.nan if w else v for v, w in zip(denominator.values, WITHHELD, strict=True)]
    den = dataclasses.replace(denominator, values=np.array(dens))
    return audit(WITHHELD, num, den, numerator_within_denominator=within, small_only=WITHHELD)


def test_small_only_fails_the_small_count_the_lp_pins():
    # K = 42 − 20 − 20 = 2 (of 100 = 500 − 200 − 200, no small denominator): fails, width 0.
    result = _audit(_count([42, 0, 0, 0, 0, 0, 20, 20]), _denominator([500, 0, 0, 0, 0, 0, 200, 200]))
    assert [(f.cell, f.quantity) for f in result.findings] == [(1, "numerator")]
    assert result.findings[0].width == pytest.approx(0.0, abs=1e-6)


def test_small_only_passes_a_pinned_withheld_count_that_is_certainly_large():
    # K = 52 − 20 − 20 = 12 ≥ 5, denominator 100 ≥ 10: determined, but no small value.
    result = _audit(_count([52, 0, 0, 0, 0, 0, 20, 20]), _denominator([500, 0, 0, 0, 0, 0, 200, 200]))
    assert result.passed and result.lps > 0


def test_small_only_passes_a_pinned_withheld_zero_where_a_zero_is_published():
    # K = 40 − 20 − 20 = 0, and a 0 may be published: nothing small is disclosed.
    result = _audit(_count([40, 0, 0, 0, 0, 0, 20, 20]), _denominator([500, 0, 0, 0, 0, 0, 200, 200]))
    assert result.passed


def test_small_only_needs_no_lp_where_propagation_shows_the_withheld_cells_large():
    # A län of one kommun: L = K, so K = 60 readmissions of 90 stays by bounds arithmetic alone –
    # at least 5 and 10, certainly no small value: no target, not a single LP.
    equations = [(0, [1])]
    hidden = np.array([False, True])
    num = Quantity(
        "numerator", np.array([60.0, np.nan]), equations, 5.0, zero_publishable=True, publishable_from=5.0
    )
    den = Quantity(
        "denominator", np.array([90.0, np.nan]), equations, 5.0, zero_publishable=True, publishable_from=10.0
    )
    result = audit(hidden, num, den, numerator_within_denominator=True, small_only=hidden)
    assert result.passed and result.lps == 0


def test_small_only_passes_a_pinned_withheld_value_that_is_no_count():
    # The numerator is a sum of hours (no `publishable_from`: never hidden for its own value):
    # K = 42 − 20 − 20 = 2 hours, determined – the primary rule would have published it. Its
    # denominator (100 persons) is a count, pinned but ≥ 10. So nothing fails.
    hours = Quantity(
        "numerator", np.array([42, 0, 0, 0, 0, 0, 20, 20], dtype=float), EQUATIONS, required_width=None
    )
    result = _audit(hours, _denominator([500, 0, 0, 0, 0, 0, 200, 200]), within=False)
    assert result.passed
    # The same table with a count numerator fails (the first test): only the kind differs.
    counted = _audit(_count([42, 0, 0, 0, 0, 0, 20, 20]), _denominator([500, 0, 0, 0, 0, 0, 200, 200]), False)
    assert [(f.cell, f.quantity) for f in counted.findings] == [(1, "numerator")]


def test_small_only_fails_a_small_withheld_denominator():
    # The denominator K = 212 − 100 − 104 = 8 < 10 of a numerator K = 2: both pinned and small.
    result = _audit(_count([42, 0, 0, 0, 0, 0, 20, 20]), _denominator([212, 0, 0, 0, 0, 0, 100, 104]))
    assert [(f.cell, f.quantity) for f in result.findings] == [(1, "denominator"), (1, "numerator")]


def test_without_small_only_the_withheld_cells_are_no_targets():
    # `bounded_only` (compute's protect) keeps the old behaviour: K is an unknown, no target.
    num = _count([42, np.nan, np.nan, np.nan, np.nan, np.nan, 20, 20])
    den = _denominator([500, np.nan, np.nan, np.nan, np.nan, np.nan, 200, 200])
    result = audit(WITHHELD, num, den, numerator_within_denominator=True, bounded_only=WITHHELD)
    assert result.passed and result.lps == 0
