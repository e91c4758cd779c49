"""Content kept between requests, with the form Dash sends it in made once.

Dash turns a callback's components into JSON on every answer: each component's
`to_plotly_json` (a scan of its properties) is called by the JSON encoder's fallback, ~10 µs per
component, a few milliseconds for a page of ~300 components. Content kept per database version
(source/version_memo.py) is the same on every answer, so its JSON-ready form – the same nested
dicts and lists the encoder would build, with `type`, `namespace` and `props` – is made once when
the content is built; the encoder then writes plain dicts and lists in C.

`Kept.content` stays the components (what the page's tests and downloads read); `Kept.wire` is what
the callback returns. Neither may be changed once built.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dash.development.base_component import Component


def wire_form(value: Any) -> Any:
    """`value` with every Dash component in it, or in its children, replaced by the dict Dash sends.

    Dicts (a figure, a style, a grid's rows) are taken as they are: walking a figure's data or a
    grid's thousands of cells for components they never hold cost more than the whole answer. A
    component that were in one anyway would still be sent right, by the encoder's fallback.
    """
    if isinstance(value, Component):
        found = value.to_plotly_json()
        return {**found, "props": {k: wire_form(v) for k, v in found["props"].items()}}
    if isinstance(value, (list, tuple)):
        return [wire_form(v) for v in value]
    return value


@dataclass(frozen=True)
class Kept:
    content: Any  # the components
    wire: Any  # the same, as Dash sends them


def kept(content: Any) -> Kept:
    return Kept(content, wire_form(content))
