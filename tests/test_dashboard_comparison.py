"""Comparison with the län by the 95 % interval, change words and target status."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from metrics.dashboard.logic.comparison import (
    BETTER,
    HIGHER,
    LOWER,
    NO_DATA,
    NOT_TESTED,
    SAME,
    SIMILAR,
    STYLES,
    SUPPRESSED_CLASS,
    WORSE,
    change,
    compare,
    compare_frame,
    target_status,
)

CSS = Path(__file__).resolve().parents[1] / "assets" / "matavla.css"


@pytest.mark.parametrize(
    ("low", "high", "direction", "expected"),
    [
        (52.0, 58.0, "higher", BETTER),  # whole interval above the län's 50
        (42.0, 48.0, "higher", WORSE),
        (48.0, 53.0, "higher", SIMILAR),  # the interval covers the län value
        (52.0, 58.0, "lower", WORSE),
        (42.0, 48.0, "lower", BETTER),
        (52.0, 58.0, "neutral", HIGHER),
        (42.0, 48.0, "neutral", LOWER),
        (48.0, 53.0, "neutral", SAME),
        (50.0, 53.0, "higher", SIMILAR),  # touching the län value is not a difference
    ],
)
def test_a_kommun_differs_only_when_its_interval_excludes_the_lan_value(
    low: float, high: float, direction: str, expected: str
) -> None:
    assert compare((low + high) / 2, low, high, 50.0, direction) == expected


def test_suppressed_missing_and_untested_values() -> None:
    assert compare(None, None, None, 50.0, "higher", suppressed=True) == SUPPRESSED_CLASS
    assert compare(None, None, None, 50.0, "higher") == NO_DATA
    assert compare(55.0, None, None, 50.0, "higher") == NOT_TESTED  # a mean has no interval
    assert compare(55.0, 52.0, 58.0, None, "higher") == NOT_TESTED


def test_compare_frame_agrees_with_compare_row_by_row() -> None:
    rng = np.random.default_rng(3)
    value = rng.uniform(30, 70, 200)
    half = rng.uniform(0.5, 10, 200)
    frame = pd.DataFrame(
        {
            "value": value,
            "ci_low": value - half,
            "ci_high": value + half,
            "suppressed": rng.random(200) < 0.1,
        }
    )
    frame.loc[frame["suppressed"], ["value", "ci_low", "ci_high"]] = np.nan
    frame.loc[5, ["ci_low", "ci_high"]] = np.nan
    for direction in ("higher", "lower", "neutral"):
        classes = compare_frame(frame, 50.0, direction)
        expected = [
            compare(r.value, r.ci_low, r.ci_high, 50.0, direction, suppressed=r.suppressed)
            for r in frame.itertuples()
        ]
        assert classes.tolist() == expected


def test_change_follows_the_indicator_direction() -> None:
    up = change(45.0, 43.0, "higher", 1)
    assert up is not None and (up.arrow, up.words, up.tone) == ("↑", "förbättring", "good")
    down_good = change(7.0, 8.0, "lower", 1)
    assert down_good is not None and (down_good.arrow, down_good.words) == ("↓", "förbättring")
    worse = change(9.0, 8.0, "lower", 1)
    assert worse is not None and worse.words == "försämring"
    neutral = change(15.0, 14.0, "neutral", 1)
    assert neutral is not None and neutral.words == "ökning" and neutral.tone == "neutral"


def test_a_change_that_rounds_to_zero_is_unchanged() -> None:
    same = change(45.04, 45.0, "higher", 1)
    assert same is not None and same.words == "oförändrat"
    assert change(None, 45.0, "higher", 1) is None


def test_target_status_in_words() -> None:
    met = target_status(61.0, 60.0, "higher", "60 %")
    assert met is not None and met.met and met.text == "✓ når målet 60 %"
    unmet = target_status(55.0, 60.0, "higher", "60 %")
    assert unmet is not None and not unmet.met and unmet.text == "under målet 60 %"
    over = target_status(7.0, 6.0, "lower", "6 %")
    assert over is not None and over.text == "över målet 6 %"
    assert target_status(55.0, None, "higher", "") is None


def _luminance(colour: str) -> float:
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


@pytest.mark.parametrize("cls", list(STYLES))
def test_text_on_every_class_colour_meets_wcag_aa(cls: str) -> None:
    style = STYLES[cls]
    light, dark = sorted((_luminance(style.fill), _luminance(style.text)), reverse=True)
    assert (light + 0.05) / (dark + 0.05) >= 4.5


def test_the_stylesheet_uses_the_same_class_colours_as_the_figures() -> None:
    css = CSS.read_text(encoding="utf-8")
    for cls in (BETTER, SIMILAR, WORSE, LOWER, SAME, HIGHER):
        match = re.search(rf"--cmp-{cls}:\s*(#[0-9a-fA-F]{{6}})", css)
        assert match, f"--cmp-{cls} missing from matavla.css"
        assert match[1].lower() == STYLES[cls].fill.lower()


def test_every_judging_class_has_a_symbol_so_colour_is_never_alone() -> None:
    for cls in (BETTER, SIMILAR, WORSE, LOWER, SAME, HIGHER, NOT_TESTED):
        assert STYLES[cls].symbol
    assert len({STYLES[c].symbol for c in (BETTER, SIMILAR, WORSE)}) == 3
