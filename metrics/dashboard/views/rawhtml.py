"""A Dash element whose content is markup built on the server (for the board table).

Dash has no component that takes HTML, so the markup travels as the `data-rawhtml` attribute of
an empty <div>, and assets/rawhtml.js sets the element's content from it whenever the element
appears or the attribute changes. React gives the <div> no children, so it never touches what the
script puts there.

The markup must be escaped by whoever builds it (views/board_table.py): the script inserts it as
it is.
"""

from __future__ import annotations

from dash import html

from metrics.dashboard.views.components import attrs

ATTRIBUTE = "data-rawhtml"


def raw_html(markup: str, class_name: str = "rawhtml") -> html.Div:
    """An element the browser fills with `markup` (already escaped HTML)."""
    return html.Div(className=class_name, **attrs({ATTRIBUTE: markup}))
