"""Tile maps: every kommun of the hand-placed län has its own tile; other län get a grid."""

from __future__ import annotations

import pytest

from metrics.dashboard.views.sparkline import sparkline_points, sparkline_svg
from metrics.dashboard.views.tilemap import TILE_LAYOUTS, tile_positions
from metrics.geography import load_geography


@pytest.mark.parametrize("lan", ["05", "23"])
def test_hand_placed_layouts_cover_every_kommun_once(lan: str) -> None:
    kommuner = [k.code for k in load_geography().kommuner_in(lan)]
    layout = TILE_LAYOUTS[lan]
    assert sorted(layout) == sorted(kommuner)
    assert len(set(layout.values())) == len(layout)


def test_other_lan_get_a_square_grid_in_code_order() -> None:
    kommuner = [k.code for k in load_geography().kommuner_in("01")]
    positions = tile_positions("01", kommuner)
    assert len(set(positions.values())) == len(kommuner)
    assert positions[sorted(kommuner)[0]] == (0, 0)
    assert max(c for c, _ in positions.values()) + 1 == 6  # 26 kommuner → 6 columns


def test_a_partial_layout_falls_back_to_the_grid() -> None:
    positions = tile_positions("05", ["0580", "9999"])
    assert positions == {"0580": (0, 0), "9999": (1, 0)}


def test_sparkline_scales_to_the_box_and_skips_gaps() -> None:
    points = sparkline_points([10.0, None, 20.0], width=100, height=30, pad=3)
    assert points[0] == (3.0, 27.0) and points[1] is None and points[2] == (97.0, 3.0)
    flat = sparkline_points([5.0, 5.0], width=100, height=30)
    assert flat[0] is not None and flat[0][1] == 15.0
    assert sparkline_svg([1.0, 2.0, 3.0]).startswith("<svg")
