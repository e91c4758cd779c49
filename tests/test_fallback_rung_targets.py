"""The fallback rung withholds every kommun cell; a small kommun count must still not be
recoverable as the län minus its area groups (a combined sum only the LP sees)."""

from __future__ import annotations

import numpy as np

from metrics.stats.audit import AuditBudget, Quantity, audit
from metrics.stats.protection import protect

# cells: 0 län L, 1 kommun K (2 events: primary), 2–5 kommuner K2–K5, 6 group G1 = K2+K3, 7 G2 = K4+K5
EQUATIONS = [(0, [1, 2, 3, 4, 5]), (6, [2, 3]), (7, [4, 5])]
NUMERATOR = [42, 2, 10, 10, 10, 10, 20, 20]
DENOMINATOR = [500, 100, 100, 100, 100, 100, 200, 200]
PRIMARY = np.array([False, True, False, False, False, False, False, False])
WITHHELD = np.array([False, True, True, True, True, True, False, False])  # every kommun cell


def _quantities():
    num = Quantity("numerator", np.array(NUMERATOR, dtype=float), EQUATIONS, required_width=5.0)
    den = Quantity("denominator", np.array(DENOMINATOR, dtype=float), EQUATIONS, required_width=5.0)
    return num, den


def _attack(hidden):
    """What an attacker can pin from the published cells: every withheld or hidden cell unknown,
    every one a target (no cell is assumed harmless)."""
    num, den = _quantities()
    return audit(hidden | WITHHELD, num, den, numerator_within_denominator=True, exact=True)


def _protected(**kwargs):
    num, den = _quantities()
    hidden, _ = protect(
        PRIMARY,
        num,
        den,
        numerator_within_denominator=True,
        exact=True,
        budget=AuditBudget(100_000),
        withheld=WITHHELD,
        withheld_unknown=True,
        **kwargs,
    )
    return hidden


def test_publishing_lan_and_both_groups_would_give_the_kommun_away():
    # K = L − G1 − G2 = 42 − 20 − 20 = 2: the attack this test guards against, worked by hand.
    published_only_kommuner_withheld = PRIMARY.copy()
    findings = _attack(published_only_kommuner_withheld).findings
    assert any(f.cell == 1 for f in findings)


def test_the_fallback_rung_makes_small_withheld_counts_targets_of_the_lp():
    hidden = _protected(withheld_targets=True)
    assert hidden[[0, 6, 7]].any(), "the län or a group must be hidden to protect K"
    assert not [f for f in _attack(hidden).findings if f.cell == 1]


def test_without_targets_the_withheld_small_count_was_left_to_propagation():
    # The old behaviour of rungs 1–3 (until 2026-12-03): K is no LP target, and L, G1, G2 are all
    # published.
    hidden = _protected()
    assert not hidden[[0, 6, 7]].any()
