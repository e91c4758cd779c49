"""The page for an address that leads nowhere, and the "finns inte" view every page shows for
a kommun, indicator, län or period that does not exist (the server answers both with 404)."""

from __future__ import annotations

from typing import Any

import dash
from dash import dcc, html

from metrics.dashboard.logic.addresses import NotFound, unknown_page


def not_found_view(problem: NotFound) -> html.Div:
    """The message and the valid choices, as links."""
    return html.Div(
        [
            html.H1(problem.title, className="page-title"),
            html.Div(
                [
                    html.P(problem.message),
                    html.H2(problem.choices_title, className="section-title"),
                    html.Ul(
                        [
                            html.Li(dcc.Link(c.label, href=dash.get_relative_path(c.href)))
                            for c in problem.choices
                        ],
                        className="not-found-choices",
                    ),
                ],
                className="alert alert-info not-found",
                role="status",
            ),
        ],
        className="page page-narrow",
    )


def layout(**_params: Any) -> html.Div:
    return not_found_view(unknown_page())


dash.register_page(
    __name__, path="/404", name="Sidan finns inte", title="Sidan finns inte – Mätavla", layout=layout
)
