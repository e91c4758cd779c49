"""Primary and secondary suppression, as the contract states them, on hand-worked cases."""

from __future__ import annotations

import time

import numpy as np
import pytest

from metrics.stats.suppression import (
    SuppressionRule,
    equations_from_pairs,
    primary_suppression,
    secondary_suppression,
)

pytestmark = pytest.mark.filterwarnings("error")

CONTRACT = SuppressionRule()


def indices(mask: np.ndarray) -> list[int]:
    """Positions of the True cells, for readable assertions."""
    return np.flatnonzero(mask).tolist()


# --- Primary rule ---------------------------------------------------------------------------


def test_denominator_below_ten_is_suppressed_and_ten_is_shown() -> None:
    suppressed = primary_suppression([0, 0, 0, 0], [9, 9.5, 10, 11], CONTRACT, numerator_is_count=True)
    assert suppressed.tolist() == [True, True, False, False]


def test_count_between_one_and_four_is_suppressed() -> None:
    suppressed = primary_suppression([0, 1, 4, 5], [100, 100, 100, 100], CONTRACT, numerator_is_count=True)
    assert suppressed.tolist() == [False, True, True, False]


def test_numerators_that_are_not_counts_never_trigger_the_count_rule() -> None:
    # Absence hours of 3 out of 100 scheduled hours: a small number, but not persons or events.
    suppressed = primary_suppression([1, 3, 4], [100, 100, 9], CONTRACT, numerator_is_count=False)
    assert suppressed.tolist() == [False, False, True]


def test_missing_or_zero_denominator_is_suppressed_and_missing_numerator_is_not() -> None:
    suppressed = primary_suppression([7, 7, np.nan], [np.nan, 0, 100], CONTRACT, numerator_is_count=True)
    assert suppressed.tolist() == [True, True, False]


def test_thresholds_are_configurable_and_the_count_rule_can_be_switched_off() -> None:
    strict = SuppressionRule(min_denominator=20, min_count=1, max_count=9)
    assert primary_suppression([9, 10, 10], [100, 100, 19], strict, True).tolist() == [True, False, True]
    no_count_rule = SuppressionRule(max_count=0)
    assert primary_suppression([1, 4], [100, 100], no_count_rule, True).tolist() == [False, False]


def test_rule_refuses_impossible_thresholds() -> None:
    with pytest.raises(ValueError, match="min_denominator"):
        SuppressionRule(min_denominator=-1)
    with pytest.raises(ValueError, match="min_count"):
        SuppressionRule(min_count=-1)


def test_primary_broadcasts_a_scalar_denominator() -> None:
    assert primary_suppression([0, 2], 50, CONTRACT, True).tolist() == [False, True]


# --- Secondary rule: one equation -----------------------------------------------------------

# Cell 0 is a län, cells 1-5 its kommuner; denominators 40, 25, 12, 8, 300 sum to 385.
LAN_DENOMINATORS = np.array([385.0, 40, 25, 12, 8, 300])
LAN = [(0, [1, 2, 3, 4, 5])]


def test_contract_example_one_kommun_suppressed_hides_the_next_smallest() -> None:
    # Kommun 4 (denominator 8) is suppressed and the län is shown: län − the other four would
    # reveal it, so kommun 3 (denominator 12, the smallest of the rest) is hidden too.
    primary = np.array([False, False, False, False, True, False])
    final = secondary_suppression(primary, LAN_DENOMINATORS, LAN)
    assert indices(final) == [3, 4]
    assert indices(final & ~primary) == [3]
    assert indices(primary) == [4]  # the caller's array is left as it was


def test_ties_go_to_the_lowest_index() -> None:
    denominators = np.array([100.0, 40, 12, 50, 12, 5])
    primary = np.array([False, False, False, False, False, True])
    final = secondary_suppression(primary, denominators, [(0, [1, 2, 3, 4, 5])])
    assert indices(final) == [2, 5]


def test_nothing_is_added_when_no_cell_is_suppressed() -> None:
    primary = np.zeros(6, dtype=bool)
    assert not secondary_suppression(primary, LAN_DENOMINATORS, LAN).any()


def test_nothing_is_added_when_two_kommuner_are_suppressed() -> None:
    # Subtraction only gives their sum, not either value.
    primary = np.array([False, True, False, False, True, False])
    assert indices(secondary_suppression(primary, LAN_DENOMINATORS, LAN)) == [1, 4]


def test_nothing_is_added_when_the_lan_and_one_kommun_are_suppressed() -> None:
    primary = np.array([True, False, False, False, True, False])
    assert indices(secondary_suppression(primary, LAN_DENOMINATORS, LAN)) == [0, 4]


def test_a_suppressed_lan_with_every_kommun_shown_hides_the_smallest_kommun() -> None:
    # The sum of the shown kommuner would reveal the län.
    primary = np.array([True, False, False, False, False, False])
    assert indices(secondary_suppression(primary, LAN_DENOMINATORS, LAN)) == [0, 4]


def test_a_single_suppressed_child_hides_its_parent() -> None:
    # A kommun whose only breakdown cell is suppressed: parent = that child.
    final = secondary_suppression(np.array([False, True]), np.array([5.0, 5.0]), [(0, [1])])
    assert indices(final) == [0, 1]


def test_children_of_other_equations_are_not_touched() -> None:
    denominators = np.array([385.0, 40, 25, 12, 8, 300, 100, 1])
    equations = [(0, [1, 2, 3, 4, 5]), (6, [7])]
    primary = np.zeros(8, dtype=bool)
    primary[4] = True
    assert indices(secondary_suppression(primary, denominators, equations)) == [3, 4]


# --- Secondary rule: overlapping equations --------------------------------------------------


def test_suppression_cascades_from_the_lan_equation_into_a_kommun_breakdown() -> None:
    # Län 0 = kommuner 1 + 2 + 3; kommun 1 = K (4) + M (5).
    # Kommun 2 is primary. In the län equation kommun 1 (denominator 20) is the smallest shown, so
    # it is hidden. Now the kommun-1 equation has exactly one hidden cell, its parent, and K + M
    # would reveal it: M (denominator 9 < 11) is hidden as well.
    denominators = np.array([100.0, 20, 15, 65, 11, 9])
    equations = [(0, [1, 2, 3]), (1, [4, 5])]
    primary = np.array([False, False, True, False, False, False])
    final = secondary_suppression(primary, denominators, equations)
    assert indices(final) == [1, 2, 5]


def test_suppression_cascades_from_a_breakdown_back_into_the_lan_equation() -> None:
    # Län 0 = kommuner 1 + 2 + 3; kommun 1 = K (4) + M (5); kommun 2 has one breakdown cell (6).
    # M is primary, so K is hidden (tie at 20, lower index): that stays inside kommun 1. Cell 6 is
    # primary and equals kommun 2, so kommun 2 is hidden; it is then the only hidden kommun of the
    # län, which hides kommun 3 (denominator 30 < 40).
    denominators = np.array([100.0, 40, 30, 30, 20, 20, 30])
    equations = [(0, [1, 2, 3]), (1, [4, 5]), (2, [6])]
    primary = np.array([False, False, False, False, False, True, True])
    final = secondary_suppression(primary, denominators, equations)
    assert indices(final) == [2, 3, 4, 5, 6]
    # Every equation now hides either nothing or at least two of its cells.
    for parent, children in equations:
        assert sum(final[[parent, *children]]) != 1


def test_no_equation_is_left_with_exactly_one_hidden_cell_on_a_large_random_table() -> None:
    cells, equations = random_lan_tables(n_tables=20, seed=7)
    rng = np.random.default_rng(7)
    denominators = rng.lognormal(4, 1.5, cells)
    primary = primary_suppression(rng.poisson(denominators * 0.03), denominators, CONTRACT, True)
    final = secondary_suppression(primary, denominators, equations)
    assert (final >= primary).all()
    assert (final & ~primary).any()
    for parent, children in equations:
        assert final[[parent, *children]].sum() != 1
    assert (secondary_suppression(primary, denominators, equations) == final).all()  # deterministic


def test_two_hundred_thousand_cells_in_well_under_a_second() -> None:
    cells, equations = random_lan_tables(n_tables=225, seed=1)
    rng = np.random.default_rng(1)
    denominators = rng.lognormal(5, 1.5, cells)
    primary = primary_suppression(rng.poisson(denominators * 0.02), denominators, CONTRACT, True)
    assert cells > 200_000 and len(equations) > 60_000
    started = time.perf_counter()
    secondary_suppression(primary, denominators, equations)
    assert time.perf_counter() - started < 1.0


def random_lan_tables(n_tables: int, seed: int) -> tuple[int, list[tuple[int, list[int]]]]:
    """Cells and equations of n_tables indicator × period slices: 21 län = Σ of 290 kommuner,
    and each kommun total = K + M."""
    rng = np.random.default_rng(seed)
    n_lan, n_kommun = 21, 290
    lan_of = np.concatenate([np.arange(n_lan), rng.integers(0, n_lan, n_kommun - n_lan)])
    equations: list[tuple[int, list[int]]] = []
    cell = 0
    for _ in range(n_tables):
        lan = cell + np.arange(n_lan)
        kommun = cell + n_lan + np.arange(n_kommun)
        women, men = kommun + n_kommun, kommun + 2 * n_kommun
        cell += n_lan + 3 * n_kommun
        equations += [(int(lan[i]), kommun[lan_of == i].tolist()) for i in range(n_lan)]
        equations += [(int(k), [int(w), int(m)]) for k, w, m in zip(kommun, women, men, strict=True)]
    return cell, equations


# --- Input handling -------------------------------------------------------------------------


def test_nan_denominators_of_shown_children_are_chosen_last() -> None:
    denominators = np.array([100.0, np.nan, 30, 20])
    primary = np.array([False, False, False, True])
    assert indices(secondary_suppression(primary, denominators, [(0, [1, 2, 3])])) == [2, 3]


def test_no_equations_returns_a_copy_of_the_primary() -> None:
    primary = np.array([True, False])
    final = secondary_suppression(primary, np.array([1.0, 50.0]), [])
    assert final.tolist() == [True, False]
    assert final is not primary


def test_children_may_be_numpy_arrays() -> None:
    primary = np.array([False, False, False, False, True, False])
    final = secondary_suppression(primary, LAN_DENOMINATORS, [(np.int64(0), np.array([1, 2, 3, 4, 5]))])
    assert indices(final) == [3, 4]


def test_bad_equations_are_refused_with_the_offending_cell() -> None:
    primary = np.zeros(3, dtype=bool)
    denominators = np.ones(3)
    with pytest.raises(ValueError, match="cell 7"):
        secondary_suppression(primary, denominators, [(0, [1, 7])])
    with pytest.raises(ValueError, match="lists cell 1 more than once"):
        secondary_suppression(primary, denominators, [(0, [1, 1])])
    with pytest.raises(ValueError, match="same length"):
        secondary_suppression(primary, np.ones(4), [(0, [1, 2])])


def test_equations_from_pairs_groups_children_by_parent() -> None:
    # Kommun cells 3, 4, 5 belong to län cell 1, kommun cell 6 to län cell 0.
    equations = equations_from_pairs([1, 0, 1, 1], [3, 6, 4, 5])
    assert equations == [(0, [6]), (1, [3, 4, 5])]
    assert equations_from_pairs([], []) == []
