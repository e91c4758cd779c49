"""Review of the board after issue 12's merge: every page speaks the stored verdict, every interval counts."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from metrics.catalogue.loader import load_catalogue
from metrics.catalogue.model import INTERVAL_KINDS
from metrics.dashboard.logic.comparison import BETTER, NOT_TESTED, SIMILAR, has_interval, legend_classes
from metrics.dashboard.logic.definition import INTERVAL_WORDS
from metrics.dashboard.source.data import ResultRow

CATALOGUE_PATH = Path(__file__).resolve().parents[1] / "indicators.yaml"
CATALOGUE = load_catalogue(CATALOGUE_PATH).catalogue
FAST = CATALOGUE.indicator("fast_lakarkontakt")  # a proportion, higher is better


def test_every_interval_kind_of_the_catalogue_has_swedish_words() -> None:
    for kind in INTERVAL_KINDS:
        assert kind in INTERVAL_WORDS, kind
    assert "medelvärde" in INTERVAL_WORDS["mean"] and "Dobson" in INTERVAL_WORDS["dobson"]


@pytest.mark.parametrize("kind", ["wilson", "poisson", "mean", "dobson"])
def test_means_and_dobson_sums_have_an_interval_and_are_compared(kind: str) -> None:
    assert has_interval(kind)
    assert NOT_TESTED not in legend_classes("higher", has_interval(kind))


def test_no_interval_means_not_compared() -> None:
    assert not has_interval("none")
    assert legend_classes("higher", has_interval("none"))[0] == NOT_TESTED


class _Snapshot:
    def __init__(self, cells: dict[str, ResultRow]) -> None:
        self._cells = cells

    def cells(self, indicator: str, lan: str, period: str) -> dict[str, ResultRow]:
        return self._cells


def _row(code: str, value: float, low: float, high: float, comparison: str | None) -> ResultRow:
    return ResultRow(code, "kommun", value, low, high, value * 100, 10000, False, comparison=comparison)  # type: ignore[call-arg]


def test_jamfor_colours_a_kommun_by_the_stored_verdict_like_the_board_and_the_export(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The kommun's own interval 43–47 % lies above the län's 42 %, so the bare interval test says
    # 'better'; the catalogue's overdispersion-adjusted limits are wider and compute stored
    # 'similar' in the export's `comparison` column. Jämför must say what the export says.
    from metrics.dashboard.server import create_app

    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    create_app(db_path=empty, catalog_path=CATALOGUE_PATH)  # the pages register with an app
    from metrics.dashboard.pages import jamfor

    cells = {
        "05": ResultRow("05", "lan", 42.0, 41.8, 42.2, 4200, 10000, False),  # type: ignore[call-arg]
        "0580": _row("0580", 45.0, 43.0, 47.0, "similar"),
        "0581": _row("0581", 45.0, 43.0, 47.0, None),  # a database without the verdict columns
    }
    monkeypatch.setattr(jamfor, "current_snapshot", lambda: _Snapshot(cells))
    monkeypatch.setattr(
        jamfor, "kommuner_by_name", lambda snap, lan: [("0580", "Linköping"), ("0581", "Norrköping")]
    )
    bars, lan_value = jamfor.comparison_bars(FAST, "05", "2024", [])
    assert lan_value == 42.0
    assert {b.code: b.cls for b in bars} == {"0580": SIMILAR, "0581": BETTER}
