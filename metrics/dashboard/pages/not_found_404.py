"""The page for an unknown address."""

from __future__ import annotations

from typing import Any

import dash
from dash import dcc, html


def layout(**_params: Any) -> html.Div:
    return html.Div(
        [
            html.H1("Sidan finns inte", className="page-title"),
            html.P(
                "Adressen leder inte till någon sida i mätavlan. Kontrollera länken eller börja från "
                "översikten."
            ),
            dcc.Link("Till länsöversikten", href=dash.get_relative_path("/"), className="button"),
        ],
        className="page page-narrow",
    )


dash.register_page(
    __name__, path="/404", name="Sidan finns inte", title="Sidan finns inte – Mätavla", layout=layout
)
