"""A Dash element whose content is markup built on the server, and the helpers that build it.

Dash has no component that takes HTML, so the markup travels as the `data-rawhtml` attribute of
an empty <div>, and assets/rawhtml.js sets the element's content from it whenever the element
appears or the attribute changes. React gives the <div> no children, so it never touches what the
script puts there.

The script inserts the markup as it is: whoever builds it (views/board_table.py,
views/spine_table.py) uses `el`, `span` and `text` below for every piece, so every text and
attribute value is escaped.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from dash import html

from metrics.dashboard.views.components import attrs

ATTRIBUTE = "data-rawhtml"

VOID = frozenset({"img", "br"})


def raw_html(markup: str, class_name: str = "rawhtml") -> html.Div:
    """An element the browser fills with `markup` (already escaped HTML)."""
    return html.Div(className=class_name, **attrs({ATTRIBUTE: markup}))


def text(value: object) -> str:
    """Text content, escaped (quotes too, so the same helper is safe in attributes)."""
    return escape(str(value), quote=True)


def el(tag: str, content: str | Iterable[str] = "", /, **attributes: object) -> str:
    """`<tag attr="…">content</tag>`: attribute values escaped; `content` is markup already built.

    Attribute names are given in Python spelling: `class_` for class, `aria_label` for
    aria-label; a value of None or False leaves the attribute out.
    """
    parts = [tag]
    for name, value in attributes.items():
        if value is None or value is False:
            continue
        parts.append(f'{name.rstrip("_").replace("_", "-")}="{text(value)}"')
    body = content if isinstance(content, str) else "".join(content)
    if tag in VOID:
        return f"<{' '.join(parts)}>"
    return f"<{' '.join(parts)}>{body}</{tag}>"


def span(value: object, cls: str | None = None, **attributes: object) -> str:
    """`<span class="cls">value</span>`, the value escaped."""
    return el("span", text(value), class_=cls, **attributes)
