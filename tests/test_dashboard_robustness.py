"""Malformed callback input gets a Swedish message (no exception text), and a configured database
that does not exist gets a page saying so and how to fix it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import dash
import pytest

from metrics.dashboard.server import create_app


def callback(
    client: Any, output_part: str, inputs: list[tuple[str, Any]], state: list[tuple[str, Any]]
) -> Any:
    """POST one callback as the browser does; returns the JSON answer."""
    deps = client.get("/_dash-dependencies").get_json()
    dep = next(d for d in deps if output_part in d["output"])
    outputs = [
        {"id": part.split(".")[0], "property": part.split(".")[1].split("@")[0]}
        for part in dep["output"].strip(".").split("...")
    ]
    body = {
        "output": dep["output"],
        "outputs": outputs,
        "inputs": [{"id": i, "property": "value", "value": v} for i, v in inputs],
        "state": [{"id": i, "property": "value", "value": v} for i, v in state],
        "changedPropIds": [f"{inputs[0][0]}.value"],
    }
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_json()


def shown_text(component: Any) -> str:
    """All text in a serialised Dash component tree."""
    if isinstance(component, str):
        return component
    if isinstance(component, list):
        return " ".join(shown_text(c) for c in component)
    if isinstance(component, dict):
        return shown_text(component.get("props", {}).get("children", ""))
    return ""


@pytest.mark.parametrize(
    ("output", "inputs", "state"),
    [
        (
            "kommun-content.children",
            [("kommun-kommun", ["0580"]), ("kommun-period", 2024)],
            [("kommun-indikator", None)],
        ),
        (
            "kommun-trend.children",
            [
                ("kommun-kommun", {"x": 1}),
                ("kommun-period", "2024"),
                ("kommun-indikator", "fast_lakarkontakt"),
            ],
            [],
        ),
        ("oversikt-content.children", [("oversikt-lan", ["05"]), ("oversikt-period", {"år": 2024})], []),
        (
            "jamfor-content.children",
            [
                ("jamfor-lan", 5),
                ("jamfor-indikator", "fast_lakarkontakt"),
                ("jamfor-period", ["2024"]),
                ("jamfor-markera", "0580"),
            ],
            [],
        ),
        (
            "indikator-content.children",
            [
                ("indikator-id", "fast_lakarkontakt"),
                ("indikator-lan", {"05": 1}),
                ("indikator-period", 2024),
                ("indikator-markera", 7),
            ],
            [],
        ),
    ],
)
def test_malformed_callback_input_gets_a_swedish_message_without_exception_text(
    dashboard_app: dash.Dash, output: str, inputs: list[tuple[str, Any]], state: list[tuple[str, Any]]
) -> None:
    answer = callback(dashboard_app.server.test_client(), output, inputs, state)
    content = next(iter(answer["response"].values()))["children"]
    text = shown_text(content)
    assert "Teknisk information" not in text
    for word in ("TypeError", "ValueError", "KeyError", "AttributeError", "Traceback", "unhashable"):
        assert word not in json.dumps(answer), f"{word} reached the page"
    # either the view (the input could be understood) or the Swedish message
    assert "kunde inte tolkas" in text or "alert-error" not in json.dumps(content)


def test_a_configured_database_that_does_not_exist_is_named_on_the_page(tmp_path: Path) -> None:
    missing = tmp_path / "fel" / "matavla.duckdb"
    app = create_app(db_path=missing, catalog_path=Path(__file__).resolve().parents[1] / "indicators.yaml")
    with app.server.test_request_context("/"):
        for module in ("lansoversikt", "kommun", "jamfor", "indikator"):
            page = dash.page_registry[f"metrics.dashboard.pages.{module}"]
            text = shown_text(json.loads(json.dumps(page["layout"](), cls=_ComponentEncoder)))
            assert "Databasen finns inte" in text
            assert str(missing) in text and "MATAVLA_DB" in text
            assert "matavla demo --db" in text
    assert not missing.exists(), "nothing is built in its place"


class _ComponentEncoder(json.JSONEncoder):
    def default(self, o: Any) -> Any:
        return o.to_plotly_json() if hasattr(o, "to_plotly_json") else super().default(o)
