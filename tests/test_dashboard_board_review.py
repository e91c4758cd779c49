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


# --- the funnel on Jämför uses the limits the colours use (docs/comparisons.md) ---

from metrics.catalogue.model import ComparisonChoice  # noqa: E402
from metrics.dashboard.logic.funnel_method import (  # noqa: E402
    funnel_dispersion,
    level_settings,
    method_curves,
    method_text,
    outside_by_method,
    settings_of,
)
from metrics.stats.benchmark import ComparisonSettings, Dispersion, compare_with_benchmark  # noqa: E402


def test_a_kommun_inside_the_overdispersion_limits_is_inside_the_funnel() -> None:
    # län 40 %, kommun 41,5 % of 10 000. Null SE = √(0,4·0,6/10 000)·100 = 0,4899 pp.
    # Exact 95 % funnel ≈ 40 ± 0,96 pp: 41,5 lies outside.
    # Multiplicative with φ = 4: half-width = 1,96·0,4899·√4 = 1,920 pp → 38,08–41,92: inside.
    wide = Dispersion(phi=4.0, tau2=0.0, units=10)
    multiplicative = ComparisonSettings("multiplicative", 95.0)
    assert not outside_by_method(41.5, 10000, 40.0, "wilson", 100, multiplicative, wide)
    assert outside_by_method(42.0, 10000, 40.0, "wilson", 100, multiplicative, wide)
    assert outside_by_method(41.5, 10000, 40.0, "wilson", 100, ComparisonSettings("ci95"), wide)
    curves = method_curves(40.0, [10000], "wilson", 100, multiplicative, wide, points=2)
    assert curves is not None
    assert curves.upper95[0] > 40 + 1.96 * 0.4899 * 2  # at n = 7 000 (the left end) wider still


def test_the_funnel_flags_exactly_the_kommuner_the_colours_call_different() -> None:
    # Ten kommuner more spread than chance: the random-effects limits flag only the extremes.
    lan = 40.0
    values = [38.0, 39.0, 42.5, 40.5, 41.5, 37.5, 40.0, 55.0, 39.5, 41.0]
    dens = [8000.0, 12000.0, 15000.0, 30000.0, 5000.0, 12000.0, 9000.0, 6000.0, 7000.0, 20000.0]
    for choice in (ComparisonChoice("additive", 95.0), ComparisonChoice("multiplicative", 99.8)):
        settings = settings_of(choice)
        dispersion = funnel_dispersion(lan, values, dens, "wilson", 100, settings)
        assert dispersion.overdispersed
        colours = compare_with_benchmark(
            lan,
            values,
            direction="higher",
            settings=settings,
            kind="wilson",
            multiplier=100,
            numerators=[v * n / 100 for v, n in zip(values, dens, strict=True)],
            denominators=dens,
        ).classes
        inner, outer = level_settings(settings)
        level = inner if choice.level == 95.0 else outer
        flagged = [
            outside_by_method(v, n, lan, "wilson", 100, level, dispersion)
            for v, n in zip(values, dens, strict=True)
        ]
        assert flagged == [c != "similar" for c in colours]
        assert 0 < sum(flagged) < len(values)


def test_the_funnel_says_which_limits_it_draws() -> None:
    spread = Dispersion(phi=3.0, tau2=0.001, units=8)
    additive = method_text(ComparisonSettings("additive", 95.0), spread)
    assert "överspridning (slumpeffekt, Spiegelhalter)" in additive.title
    assert "95 %-gränsen" in additive.note and "φ = 3,00" in additive.note
    assert "exakta" in method_text(ComparisonSettings("ci95"), spread).title


# --- the age-standardised rate beside the crude one, and which is compared ---

from metrics.dashboard.logic.standardised import compared_standardised, standardised_text  # noqa: E402


def _rate(code: str, value: float, std: float | None, **kw: object) -> ResultRow:
    level = "lan" if len(code) == 2 else "kommun"
    std_kw = {} if std is None else {"std_value": std, "std_ci_low": std - 10, "std_ci_high": std + 10}
    return ResultRow(code, level, value, value - 5, value + 5, 100, 10000, False, **std_kw, **kw)  # type: ignore[arg-type]


def test_the_standardised_rate_is_shown_beside_the_crude_one() -> None:
    assert standardised_text(_rate("0580", 443.6, 401.26), 1, "per 1 000 inv.") == (
        "Åldersstandardiserat 401,3\xa0per 1 000 inv. (391,3–411,3)"  # a no-break space before the unit
    )
    assert standardised_text(_rate("0580", 443.6, None), 1, "per 1 000 inv.") is None
    hidden = ResultRow("0580", "kommun", None, None, None, None, None, True, std_value=401.0)  # type: ignore[call-arg]
    assert standardised_text(hidden, 1, "per 1 000 inv.") is None  # nothing told of a hidden cell


def test_compared_standardised_follows_computes_all_or_none_rule() -> None:
    every = {"05": _rate("05", 440, 420), "0580": _rate("0580", 450, 430), "0581": _rate("0581", 430, 410)}
    assert compared_standardised(every, "05")
    one_without = {**every, "0581": _rate("0581", 430, None)}
    assert not compared_standardised(one_without, "05")  # compute then compares the crude values
    hidden = ResultRow("0582", "kommun", None, None, None, None, None, True)  # type: ignore[call-arg]
    assert compared_standardised({**every, "0582": hidden}, "05")  # hidden cells are not compared at all
    assert not compared_standardised({**every, "05": _rate("05", 440, None)}, "05")
