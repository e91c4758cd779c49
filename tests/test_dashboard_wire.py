"""Kept content is answered in the form Dash sends (views/wire.py): the same JSON as the components."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import plotly.utils
from dash import dcc, html

from metrics.dashboard.views.components import attrs
from metrics.dashboard.views.wire import kept, wire_form
from tests.test_plans import RESULTS, ROOT, build_results


def as_json(value: Any) -> str:
    return json.dumps(value, cls=plotly.utils.PlotlyJSONEncoder)


def test_the_wire_form_is_the_json_dash_sends() -> None:
    content = [
        html.H2("Linköping · 2024", className="view-title"),
        html.Div(
            [html.Span("55,0\u00a0%", **attrs({"aria-hidden": "true"})), None, "text", 3],
            className="x",
            style={"left": "3.7%"},
        ),
        dcc.Graph(id="g", figure={"data": [{"x": [1, 2], "y": [float("nan"), 2.0]}]}),
    ]
    form = wire_form(content)
    assert as_json(form) == as_json(content)
    # nested components are plain dicts: the encoder never falls back to them
    assert form[1]["type"] == "Div" and form[1]["namespace"] == "dash_html_components"
    assert form[1]["props"]["children"][0] == {
        "props": {"children": "55,0\u00a0%", "aria-hidden": "true"},
        "type": "Span",
        "namespace": "dash_html_components",
    }
    assert kept(content).content is content


def test_each_page_callback_answers_what_its_render_builds(tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_dashboard_load import callback_payloads

    from metrics.dashboard.server import create_app
    from metrics.dashboard.source.context import indicator_or_none

    db = build_results(tmp_path / "results.duckdb", RESULTS)
    catalog = ROOT / "indicators.yaml"
    cases = dict(callback_payloads(db, catalog, ["05"]))
    app = create_app(db_path=db, catalog_path=catalog)
    client = app.server.test_client()
    from metrics.dashboard.pages import indikator, jamfor, kommun  # after the app: Dash registers them

    def answer(name: str) -> Any:
        response = client.post(
            "/_dash-update-component", data=cases[name], headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 200
        return json.loads(response.data)["response"]

    big = next(name.split()[1] for name in cases if name.startswith("Kommun"))
    with app.server.test_request_context("/"):
        ind = indicator_or_none(json.loads(cases["Jämför 05"])["inputs"][1]["value"])
        assert ind is not None
        marked = json.loads(cases["Jämför 05"])["inputs"][3]["value"]
        period = json.loads(cases["Jämför 05"])["inputs"][2]["value"]
        expected = {
            f"Kommun {big}": ("kommun-content", kommun.render(big, period)),
            f"Kommun {big} trend": ("kommun-trend", kommun.render_trend(big, period, ind)),
            "Jämför 05": ("jamfor-content", jamfor.render("05", ind, period, marked)),
            "Indikator 05": ("indikator-content", indikator.render(ind, "05", period, marked)),
        }
    for name, (output, content) in expected.items():
        got = answer(name)[output]["children"]
        assert got == json.loads(as_json(content)), name
