"""Catalogue and data text never becomes markup inside a Plotly figure.

Plotly renders a subset of HTML in titles, hover labels, tick labels, legends and
annotations, so a hostile unit, kommun or area-group name must arrive as entities.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from metrics.dashboard.logic.funnel import FunnelCurves
from metrics.dashboard.views.figures import (
    Bar,
    BreakdownSeries,
    Facet,
    Series,
    breakdown_figure,
    choropleth_figure,
    facets_figure,
    funnel_figure,
    ranked_bars,
    trend_figure,
)
from metrics.dashboard.views.markup import plain

HOSTILE = '<a href="https://angripare.example/">Klicka här</a>'
ESCAPED = '&lt;a href="https://angripare.example/"&gt;Klicka här&lt;/a&gt;'


def strings(value: Any) -> Iterator[str]:
    """Every string anywhere in a figure dict."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from strings(v)


def assert_no_markup_from_data(figure: dict[str, Any]) -> None:
    texts = list(strings(figure))
    assert not [t for t in texts if "<a" in t or "</a>" in t], "a catalogue text became a link"
    assert any(ESCAPED in t for t in texts), "the hostile text should still be shown, as text"


def test_plain_turns_markup_into_entities_plotly_shows_as_written():
    assert plain(HOSTILE) == ESCAPED
    assert plain("Vård & omsorg <75 år>") == "Vård &amp; omsorg &lt;75 år&gt;"
    assert plain("Linköping") == "Linköping"


def bars() -> list[Bar]:
    return [
        Bar("0580", HOSTILE, 12.0, 10.0, 14.0, "better", 5000, highlighted=True),
        Bar("0581", "Norrköping", 9.0, 8.0, 10.0, "similar", 4000),
        Bar("0582", HOSTILE + " 2", None, None, None, "suppressed"),
    ]


def test_trend_figure_escapes_series_names_periods_unit_and_target():
    fig = trend_figure(
        [Series(HOSTILE, [HOSTILE, "2024"], [1.0, 2.0], [0.5, 1.5], [1.5, 2.5], "#000", "#eee")],
        decimals=1,
        unit=HOSTILE,
        target=2.0,
        target_text=HOSTILE,
    )
    assert_no_markup_from_data(fig)


@pytest.mark.parametrize("highlight_any", [True, False])
def test_ranked_bars_escape_names_unit_and_reference_label(highlight_any):
    fig = ranked_bars(
        bars(),
        reference=10.0,
        reference_label=HOSTILE,
        decimals=1,
        unit=HOSTILE,
        direction="higher",
        highlight_any=highlight_any,
    )
    assert_no_markup_from_data(fig)
    # the figure's own emphasis of a highlighted kommun is still markup
    assert f"<b>{ESCAPED}</b>" in fig["layout"]["yaxis"]["categoryarray"]


def test_funnel_figure_escapes_names_unit_and_denominator_label():
    curves = FunnelCurves([100.0, 10000.0], [5.0, 9.0], [15.0, 11.0], [3.0, 8.0], [17.0, 12.0])
    fig = funnel_figure(
        bars(),
        curves,
        reference=10.0,
        decimals=1,
        unit=HOSTILE,
        denominator_label=HOSTILE,
        highlight_any=True,
    )
    assert_no_markup_from_data(fig)


def test_breakdown_figure_escapes_series_names_and_categories():
    fig = breakdown_figure(
        [BreakdownSeries(HOSTILE, [HOSTILE, "Män"], [1.0, 2.0], [0.5, 1.5], [1.5, 2.5], "#000")],
        decimals=1,
        unit=HOSTILE,
    )
    assert_no_markup_from_data(fig)


def test_facets_figure_escapes_panel_titles_and_the_reference():
    facet = Facet(HOSTILE, ["2022", "2023"], [1.0, 2.0], [0.5, 1.5], [1.5, 2.5], highlighted=True)
    reference = Facet(HOSTILE, ["2022", "2023"], [1.0, 2.0], [0.5, 1.5], [1.5, 2.5])
    fig = facets_figure(
        [facet, Facet("Norrköping", ["2022", "2023"], [1.0, 2.0], [None, None], [None, None])],
        reference,
        decimals=1,
        unit="%",
    )
    assert_no_markup_from_data(fig)


def test_choropleth_escapes_names():
    square = {"type": "Polygon", "coordinates": [[[15.0, 58.0], [15.1, 58.0], [15.1, 58.1], [15.0, 58.0]]]}
    geojson = {"features": [{"properties": {"id": "0580"}, "geometry": square}]}
    fig = choropleth_figure(geojson, bars()[:1], decimals=1, unit="%", classes=["better"])
    assert_no_markup_from_data(fig)


@pytest.mark.browser
def test_a_hostile_group_name_and_unit_in_the_catalogue_are_shown_as_text_in_the_charts(
    dash_duo: Any, demo_database: Any, tmp_path: Any
) -> None:
    """An <a href> in the catalogue is drawn as its characters, never as a link inside a Plotly svg."""
    from metrics.dashboard.server import create_app

    text = demo_database.catalog_path.read_text(encoding="utf-8")
    hostile = text.replace("name: Närsjukvårdsområde Central", f"name: '{HOSTILE}'", 1).replace(
        'unit: "%"', f"unit: '{HOSTILE}'"
    )
    assert hostile.count(HOSTILE) >= 2, "the test catalogue must carry the hostile text"
    catalog = tmp_path / "indicators.yaml"
    catalog.write_text(hostile, encoding="utf-8")
    app = create_app(db_path=demo_database.db_path, catalog_path=catalog)
    dash_duo.start_server(app, navigate=False)
    dash_duo.driver.implicitly_wait(0)
    dash_duo.wait_for_page(dash_duo.server.url + "/jamfor?lan=05&indikator=fast_lakarkontakt", timeout=15)
    dash_duo.wait_for_element("#jamfor-groups-narsjukvardsomrade svg.main-svg", timeout=15)
    dash_duo.wait_for_element("#jamfor-bars svg.main-svg", timeout=15)
    assert dash_duo.find_elements("svg.main-svg a") == [], "a catalogue text became a link in a chart"
    charts = " ".join(e.get_attribute("textContent") for e in dash_duo.find_elements("svg.main-svg"))
    assert '<a href="https://angripare.example/">Klicka här</a>' in charts
