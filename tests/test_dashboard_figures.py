"""Figures speak Swedish: axis ticks are written with Swedish thousands separators."""

from __future__ import annotations

from metrics.dashboard.views.figures import log_ticks


def test_funnel_axis_ticks_run_1_2_5_and_are_written_the_swedish_way():
    ticks = log_ticks([3_500, 170_000])
    assert ticks["tickvals"][:4] == [1_000, 2_000, 5_000, 10_000]
    assert ticks["ticktext"][3].replace("\xa0", " ") == "10 000"
    assert max(ticks["tickvals"]) >= 170_000


def test_no_ticks_without_denominators():
    assert log_ticks([]) == {}
