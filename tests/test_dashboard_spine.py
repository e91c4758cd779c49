"""Spine chart scaling: the län in the middle, better always to the right."""

from __future__ import annotations

import pytest

from metrics.dashboard.logic.spine import spine_geometry


def test_the_lan_is_centred_and_the_farthest_kommun_fits() -> None:
    g = spine_geometry([40.0, 45.0, 60.0], reference=50.0, value=45.0, direction="higher")
    assert g is not None
    assert g.reference == 50.0
    assert g.bar_right < 100.0 and g.bar_right == pytest.approx(50 + 10 / (10 * 1.08) * 50)
    assert g.bar_left == pytest.approx(50 - 10 / (10 * 1.08) * 50)
    assert g.marker == pytest.approx(50 - 5 / 10.8 * 50)
    assert (g.left_value, g.right_value) == (40.0, 60.0)


def test_lower_is_better_is_drawn_flipped_so_better_is_still_right() -> None:
    g = spine_geometry([5.0, 8.0, 12.0], reference=8.0, value=5.0, direction="lower")
    assert g is not None and g.flipped
    assert g.marker is not None and g.marker > 50  # the lowest value is the best, on the right
    assert (g.left_value, g.right_value) == (12.0, 5.0)


def test_neutral_keeps_higher_to_the_right() -> None:
    g = spine_geometry([5.0, 8.0, 12.0], reference=8.0, value=12.0, direction="neutral")
    assert g is not None and not g.flipped and g.marker is not None and g.marker > 50


def test_missing_values() -> None:
    assert spine_geometry([None, None], reference=50.0, value=None, direction="higher") is None
    g = spine_geometry([40.0, None, 60.0], reference=None, value=None, direction="higher")
    assert g is not None and g.marker is None and g.reference == 50.0  # centred on the median


def test_equal_values_do_not_divide_by_zero() -> None:
    g = spine_geometry([50.0, 50.0], reference=50.0, value=50.0, direction="higher")
    assert g is not None and g.marker == 50.0
