"""The kommun profile's spine table, built as one HTML string (views/spine_table.py).

The values are those of test_plans.RESULTS, worked out by hand there (and repeated here where a
test reads them); the markup is parsed back, so the tests read what a browser would show.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.markup_text import markup_texts, raw_markup
from tests.test_dashboard_board_table import (
    ALLOWED_TAGS,
    HOSTILE,
    Element,
    hostile_catalogue,
    parse,
    row_of,
)
from tests.test_plans import RESULTS, ROOT, build_results

SPINE_TAGS = ALLOWED_TAGS | {"strong"}


def profile_markup(app: Any, kommun: str = "0580", period: str = "2024") -> str:
    from metrics.dashboard.pages import kommun as page

    with app.server.test_request_context("/"):
        content = page.render(kommun, period)
    found = [m for m in (raw_markup(c) for c in content) if m is not None]
    assert len(found) == 1, "the spine table is one element of markup"
    return found[0]


@pytest.fixture
def small_app(tmp_path: Path) -> Any:
    from metrics.dashboard.server import create_app

    db = build_results(tmp_path / "results.duckdb", RESULTS)
    return create_app(db_path=db, catalog_path=ROOT / "indicators.yaml")


def cells(row: Element) -> list[str]:
    return [td.text() for td in row.find_all("td")]


def test_the_row_shows_the_values_worked_out_by_hand(small_app: Any) -> None:
    tree = parse(profile_markup(small_app))
    row = row_of(tree, "fast_lakarkontakt")
    link = row.find_all("a")[0]
    assert link.attrs["href"] == "/indikator/fast_lakarkontakt?lan=05&period=2024"
    assert link.attrs.get("data-spa") == "1"  # navigates inside the app, as dcc.Link did
    value, lan, worst, spine, best, verdict = row.find_all("td")
    # Linköping 55,0 % (53,0–57,0), the län 45,0 %; the län's kommuner 35,0 % (Motala) to 55,0 %
    assert value.find_all("strong")[0].text() == "55,0 %"
    assert [s.text() for s in value.find_all("span")] == ["53,0–57,0"]
    assert (lan.text(), worst.text(), best.text()) == ("45,0 %", "35,0 %", "55,0 %")
    # the län in the middle; the farthest kommun 10 p.e. away, scaled by 1,08: 10 / 10,8 · 50 = 46,3
    parts = {d.classes[0]: d for d in spine.find_all("div")}
    assert parts["spine-range"].attrs["style"] == "left:3.7%;width:92.6%"
    assert parts["spine-lan"].attrs["style"] == "left:50.0%"
    assert parts["spine-marker"].attrs["style"] == "left:96.3%"
    assert "cmp-better" in parts["spine-marker"].classes
    label = (parts["spine"].attrs["aria-label"] or "").replace("\u00a0", " ")
    assert label == "Linköping: 55,0 %; länet 45,0 %; länets kommuner från 35,0 % till 55,0 %"
    assert parts["spine"].attrs["role"] == "img"
    pill = verdict.find_all("span")[0]
    assert "cmp-better" in pill.classes and "bättre" in (pill.attrs["title"] or "")


def test_a_suppressed_value_says_too_few(small_app: Any) -> None:
    row = row_of(parse(profile_markup(small_app, "0512")), "fast_lakarkontakt")  # Ydre: too few
    assert row.find_all("strong")[0].text() == "för få"


def test_the_table_keeps_its_caption_headers_and_region(small_app: Any) -> None:
    tree = parse(profile_markup(small_app))
    region = tree.root.children[0]
    assert isinstance(region, Element)
    assert region.attrs == {
        "class": "board-scroll",
        "tabindex": "0",
        "role": "region",
        "aria-label": "Linköping jämfört med länet",
    }
    caption = tree.root.find_all("caption")[0]
    assert caption.text() == "Linköping jämfört med Östergötlands län, 2024"
    heads = [th.text() for th in tree.root.find_all("thead")[0].find_all("th")]
    assert heads == [
        "Indikator",
        "Linköping",
        "Länet",
        "Sämst / lägst",
        "◀ sämrelänetbättre ▶",
        "Bäst / högst",
        "Mot länet · trend",
    ]
    area_heads = [th for th in tree.root.find_all("th") if "area-head" in th.classes]
    assert area_heads and all(th.attrs["colspan"] == "7" for th in area_heads)


def test_markup_in_an_indicator_or_heading_name_is_shown_as_text(tmp_path: Path) -> None:
    from metrics.dashboard.server import create_app

    db = build_results(tmp_path / "results.duckdb", RESULTS)
    app = create_app(db_path=db, catalog_path=hostile_catalogue(tmp_path))
    markup = profile_markup(app)
    tree = parse(markup)
    for tag, attrs in tree.tags:
        assert tag in SPINE_TAGS, f"<{tag}> in the spine table"
        assert not [a for a in attrs if a.startswith("on")], f"an event handler on <{tag}>"
    assert "<script" not in markup and "<img" not in markup
    assert HOSTILE in markup_texts(markup)
    row = row_of(tree, "fast_lakarkontakt")
    assert row.find_all("a")[0].text() == HOSTILE
    headings = [th.text() for th in tree.root.find_all("th") if "area-head" in th.classes]
    assert HOSTILE in headings  # the plan's heading, as written
