"""Text read back from server-built markup (the board table travels as one HTML string)."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

RAW = "data-rawhtml"  # views/rawhtml.py's attribute


class _Texts(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.texts.append(data)


def markup_texts(markup: str) -> list[str]:
    """The text nodes of `markup`, entities turned back into characters, in order."""
    parser = _Texts()
    parser.feed(markup)
    parser.close()
    return parser.texts


def raw_markup(component: Any) -> str | None:
    """The server-built markup a Dash element carries, if it is one (views/rawhtml.raw_html)."""
    return getattr(component, RAW, None)
