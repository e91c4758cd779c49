"""The indicator's definition reads on a phone: each label above its text.

Before, the definition list kept its two columns (a 190 px label column) at 400 px, which left the
text about 140 px wide: a target's source ran to fourteen lines of two or three words.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.test_browser import open_page
from tests.test_browser_phone import page_width, phone, viewport

pytestmark = pytest.mark.browser


def test_the_definition_on_a_phone_puts_each_label_above_its_text(dashboard: Any) -> None:
    phone(dashboard)
    open_page(dashboard, "/indikator?indikator=fast_lakarkontakt&lan=05", "dl.definition", "Täljare")
    width, _ = viewport(dashboard)
    assert page_width(dashboard) <= width, "the page scrolls sideways on a phone"
    labels = dashboard.find_elements("dl.definition dt")
    texts = dashboard.find_elements("dl.definition dd")
    assert len(labels) == len(texts) > 5
    for label, text in zip(labels, texts, strict=True):
        assert abs(text.rect["x"] - label.rect["x"]) < 2, f"{label.text!r} and its text side by side"
        assert text.rect["y"] >= label.rect["y"] + label.rect["height"] - 1
        # the text has the card's whole width, not what a label column leaves
        assert text.rect["width"] > 0.7 * width
