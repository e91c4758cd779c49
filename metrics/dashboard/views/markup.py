"""Text from the catalogue or the data, made safe to place inside a Plotly figure.

Plotly renders a subset of HTML in titles, hover labels, tick labels, legends and
annotations (`<a href>`, `<b>`, `<br>`, `<span style>`), so a kommun, unit or area-group
name holding markup would become a link inside the chart. Dash escapes text in its own
components; Plotly strings are escaped here, and Plotly turns the entities back into the
characters the user typed.
"""

from __future__ import annotations

import html
from collections.abc import Iterable


def plain(text: object) -> str:
    """`text` with `&`, `<` and `>` as entities, so Plotly shows it as written, never as markup."""
    return html.escape(str(text), quote=False)


def plain_all(texts: Iterable[object]) -> list[str]:
    """`plain` of each label in a sequence (category labels, period labels)."""
    return [plain(t) for t in texts]
