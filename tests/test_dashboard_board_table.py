"""Länsöversikt's board table, built as one HTML string (views/board_table.py).

The values are those of test_plans.RESULTS, worked out by hand there (and repeated here where a
test reads them); the markup is parsed back, so the tests read what a browser would show.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.markup_text import markup_texts, raw_markup
from tests.test_plans import RESULTS, ROOT, THIRD_PLAN, build_results

HOSTILE = "<script>alert(1)</script>\"><img src=x onerror=alert(2)>&amp; 'x'"

# What the board's markup may hold: any other element, or any on… attribute, would be markup that
# came through unescaped.
ALLOWED_TAGS = {"div", "table", "caption", "thead", "tbody", "tr", "th", "td", "a", "span", "img", "br"}


class Element:
    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Element | None) -> None:
        self.tag = tag
        self.attrs = attrs
        self.parent = parent
        self.children: list[Element | str] = []

    def text(self) -> str:
        """The text, with no-break spaces (between a number and its unit) as plain spaces."""
        return self.raw_text().replace("\u00a0", " ")

    def raw_text(self) -> str:
        return "".join(c if isinstance(c, str) else c.raw_text() for c in self.children)

    def find_all(self, tag: str) -> list[Element]:
        found = []
        for child in self.children:
            if isinstance(child, Element):
                if child.tag == tag:
                    found.append(child)
                found.extend(child.find_all(tag))
        return found

    @property
    def classes(self) -> list[str]:
        return (self.attrs.get("class") or "").split()


class _Tree(HTMLParser):
    VOID = frozenset({"img", "br"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("root", {}, None)
        self.current = self.root
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs), self.current)
        self.tags.append((tag, dict(attrs)))
        self.current.children.append(element)
        if tag not in self.VOID:
            self.current = element

    def handle_endtag(self, tag: str) -> None:
        assert self.current.tag == tag, f"</{tag}> closes <{self.current.tag}>"
        assert self.current.parent is not None
        self.current = self.current.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def parse(markup: str) -> _Tree:
    tree = _Tree()
    tree.feed(markup)
    tree.close()
    assert tree.current is tree.root, "an element was left open"
    return tree


def board_markup(app: Any, lan: str = "05", period: str = "2024") -> str:
    from metrics.dashboard.pages import lansoversikt

    with app.server.test_request_context("/"):
        content = lansoversikt.render(lan, period)
    found = [m for m in (raw_markup(c) for c in content) if m is not None]
    assert len(found) == 1, "the board table is one element of markup"
    return found[0]


def row_of(tree: _Tree, indicator: str) -> Element:
    for tr in tree.root.find_all("tr"):
        links = [a for a in tr.find_all("a") if "indicator-link" in a.classes]
        if links and links[0].attrs["href"].startswith(f"/indikator/{indicator}?"):
            return tr
    raise AssertionError(f"no row for {indicator}")


@pytest.fixture
def small_app(tmp_path: Path) -> Any:
    from metrics.dashboard.server import create_app

    db = build_results(tmp_path / "results.duckdb", RESULTS)
    return create_app(db_path=db, catalog_path=ROOT / "indicators.yaml")


def test_the_board_shows_the_values_worked_out_by_hand(small_app: Any) -> None:
    tree = parse(board_markup(small_app))
    row = row_of(tree, "fast_lakarkontakt")
    th = row.find_all("th")[0]
    assert th.attrs["scope"] == "row" and th.text() == "Fast läkarkontakt%"
    lan, change, _trend, target, *cells = row.find_all("td")
    # län 4 500 of 10 000 = 45,0 %, its interval 44,0–46,0 as stored
    assert lan.text() == "45,0 %44,0–46,0"
    assert lan.raw_text().startswith("45,0\u00a0%")  # the unit never wraps away from its number
    # 40 % → 45 %: +5,0 p.e., interval [3,6; 6,4] excludes 0 (test_plans.RESULTS): a certain improvement
    assert "change-good" in change.find_all("span")[0].classes
    assert change.text() == "↑ säker förbättring+5,0 p.e. +5,0 procentenheter sedan 2023"
    # the catalogue's national target, 55 %: 45 % does not meet it
    assert target.find_all("span")[0].text() == "Målet ej uppnått"
    assert target.find_all("span")[1].text() == "mål 55,0 %"
    # kommuner in Swedish alphabetical order of those in the data: Linköping, Norrköping, Ydre
    assert [c.attrs["data-name"] for c in cells] == ["Linköping", "Norrköping", "Ydre"]
    linkoping, norrkoping, ydre = cells
    # Linköping's interval 53,0–57,0 lies above 45: better; Norrköping's 33,6–36,4 below: worse
    assert "cmp-better" in linkoping.classes and linkoping.text() == "▲\n55,0"
    assert "cmp-worse" in norrkoping.classes and norrkoping.text() == "▼\n35,0"
    assert "cmp-suppressed" in ydre.classes and ydre.text() == "för få"
    link = linkoping.find_all("a")[0]
    assert link.attrs["href"] == "/kommun/0580?lan=05&period=2024&indikator=fast_lakarkontakt"
    assert (link.attrs["aria-label"] or "").replace(
        "\u00a0", " "
    ) == "Linköping: 55,0 % (95 % KI 53,0–57,0), signifikant bättre än länet"
    assert link.attrs["data-spa"] == "1"  # navigates inside the app (assets/links.js)

    # akutbesok_75: 3 000 → 2 500 per 10 000 = 300 → 250 per 1 000, rate ratio interval [0,79; 0,88]
    # excludes 1, lower is better: a certain improvement
    akut = row_of(tree, "akutbesok_75")
    lan, change, *_ = akut.find_all("td")
    assert lan.find_all("span")[0].text() == "250,0"  # one decimal, as the catalogue says
    assert change.text().startswith("↓ säker förbättring")


def test_the_table_keeps_its_headers_caption_and_region(small_app: Any) -> None:
    tree = parse(board_markup(small_app))
    region = tree.root.find_all("div")[0]
    assert region.attrs["role"] == "region" and region.attrs["aria-label"] == "Länets mätavla"
    assert region.attrs["tabindex"] == "0"  # the scrolling region can be scrolled with the keyboard
    caption = tree.root.find_all("caption")[0]
    assert caption.text() == "Indikatorer för Östergötlands län 2024, med varje kommun jämförd med länet"
    heads = tree.root.find_all("thead")[0].find_all("th")
    assert all(h.attrs["scope"] == "col" for h in heads)
    assert [h.text() for h in heads[:5]] == [
        "Indikator",
        "Länet2024",
        "Förändringsedan 2023",
        "Trendper år",
        "Mål",
    ]
    kommun = heads[5].find_all("a")[0]
    assert (
        kommun.attrs["href"] == "/kommun/0580?lan=05&period=2024"
        and kommun.attrs["title"] == "Visa Linköping"
    )
    areas = [th for th in tree.root.find_all("th") if th.attrs.get("scope") == "colgroup"]
    assert areas and all(th.attrs["colspan"] == "8" for th in areas)  # 5 columns + 3 kommuner


LINKOPING = "Linköping: 55,0 % (95 % KI 53,0–57,0), signifikant bättre än länet"  # as worked out above


def test_a_cells_description_is_sent_once_as_its_accessible_name(small_app: Any) -> None:
    """The description is the link's aria-label; the tooltip is made from it in the browser
    (assets/rawhtml.js), so it is not sent a second time as `title`."""
    markup = board_markup(small_app)
    tree = parse(markup)
    cells = [a for a in tree.root.find_all("a") if "cell-link" in a.classes]
    assert cells
    assert all(a.attrs.get("aria-label") and "title" not in a.attrs for a in cells)
    href = "/kommun/0580?lan=05&period=2024&indikator=fast_lakarkontakt"
    linkoping = next(a for a in cells if a.attrs["href"] == href)
    assert (linkoping.attrs["aria-label"] or "").replace("\u00a0", " ") == LINKOPING
    assert markup.replace("\u00a0", " ").count("Linköping: 55,0 % (95 % KI 53,0–57,0)") == 1
    # the table asks the browser to make each label a tooltip
    assert tree.root.find_all("table")[0].attrs["data-label-tips"] == "1"


def hostile_catalogue(tmp_path: Path, name: str = HOSTILE) -> Path:
    """The bundled catalogue with an indicator's title, and a plan's heading, holding markup."""
    catalogue = tmp_path / "indicators.yaml"
    text = (ROOT / "indicators.yaml").read_text(encoding="utf-8")
    marker = "  - id: fast_lakarkontakt\n    title: Fast läkarkontakt\n"
    assert marker in text
    catalogue.write_text(
        text.replace(marker, f"  - id: fast_lakarkontakt\n    title: {json.dumps(name)}\n"),
        encoding="utf-8",
    )
    (tmp_path / "plans").mkdir()
    shutil.copy(ROOT / "plans" / "jamtland-harjedalen.yaml", tmp_path / "plans")
    plan = THIRD_PLAN.format(lan="05").replace("Område A med två indikatorer", json.dumps(name))
    (tmp_path / "plans" / "provplan.yaml").write_text(plan, encoding="utf-8")
    return catalogue


def test_markup_in_an_indicator_or_heading_name_is_shown_as_text(tmp_path: Path) -> None:
    from metrics.dashboard.server import create_app

    db = build_results(tmp_path / "results.duckdb", RESULTS)
    app = create_app(db_path=db, catalog_path=hostile_catalogue(tmp_path))
    markup = board_markup(app)
    tree = parse(markup)
    for tag, attrs in tree.tags:
        assert tag in ALLOWED_TAGS, f"<{tag}> in the board"
        assert not [a for a in attrs if a.startswith("on")], f"an event handler on <{tag}>"
        if tag == "img":
            assert (attrs["src"] or "").startswith("data:image/svg+xml"), attrs
    assert "<script" not in markup and "<img src=x" not in markup
    # the names read back exactly as written
    assert HOSTILE in markup_texts(markup)
    row = row_of(tree, "fast_lakarkontakt")
    assert row.find_all("a")[0].text() == HOSTILE
    heading = tree.root.find_all("th")[5 + 3]  # the first heading after the header row
    assert heading.text() == HOSTILE


def test_the_table_is_kept_for_the_version_shown_and_rebuilt_for_a_new_one(tmp_path: Path) -> None:
    from metrics.dashboard.server import create_app
    from metrics.dashboard.source import data

    db = build_results(tmp_path / "results.duckdb", RESULTS)
    app = create_app(db_path=db, catalog_path=ROOT / "indicators.yaml")
    first = board_markup(app)
    assert board_markup(app) is first  # the same string, not built again
    # a new computation: Linköping 55 % → 30 % (interval 28,7–31,3, below 45: worse)
    import duckdb

    con = duckdb.connect(str(db))
    con.execute(
        "UPDATE results SET value = 30.0, ci_low = 28.7, ci_high = 31.3, numerator = 1500 "
        "WHERE indicator = 'fast_lakarkontakt' AND area_code = '0580'"
    )
    con.close()
    data._snapshots.clear()  # the file's version key may not change within the same second
    cell = next(
        td
        for td in row_of(parse(board_markup(app)), "fast_lakarkontakt").find_all("td")
        if td.attrs.get("data-name") == "Linköping"
    )
    assert "cmp-worse" in cell.classes and cell.text() == "▼\n30,0"


def test_the_first_page_does_not_load_ag_grid_but_can_fetch_it(small_app: Any) -> None:
    import re

    client = small_app.server.test_client()
    page = client.get("/").get_data(as_text=True)
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert scripts and not [s for s in scripts if "dash_ag_grid" in s]
    assert any("lazy_ag_grid.js" in s for s in scripts)
    found = re.findall(r'<meta name="matavla-ag-grid" content="([^"]+)">', page)
    assert len(found) == 1 and "/_dash-component-suites/dash_ag_grid/" in found[0]
    answer = client.get(found[0])
    assert answer.status_code == 200 and len(answer.get_data()) > 500_000  # the real bundle
    # its lazily loaded chunk is still served
    assert client.get("/_dash-component-suites/dash_ag_grid/async-community.js").status_code == 200


@pytest.mark.browser
def test_in_a_browser_a_hostile_name_is_text_and_runs_nothing(dash_duo: Any, tmp_path: Path) -> None:
    from metrics.dashboard.server import create_app

    hostile = '<img src=x onerror="window.__pwned=1">"><script>window.__pwned=2</script>'
    catalogue = hostile_catalogue(tmp_path, hostile)
    db = build_results(tmp_path / "results.duckdb", RESULTS)
    dash_duo.start_server(create_app(db_path=db, catalog_path=catalogue), navigate=False)
    dash_duo.driver.implicitly_wait(0)
    dash_duo.wait_for_page(dash_duo.server.url + "/?lan=05&period=2024", timeout=15)
    dash_duo.wait_for_element("#oversikt-content table.board tbody .board-row", timeout=15)
    link = dash_duo.find_element('#oversikt-content a.indicator-link[href^="/indikator/fast_lakarkontakt?"]')
    assert link.get_attribute("textContent") == hostile
    assert not dash_duo.find_elements("#oversikt-content table.board img:not(.sparkline)")
    assert not dash_duo.find_elements("#oversikt-content table.board script")
    assert dash_duo.driver.execute_script("return window.__pwned") is None


@pytest.mark.browser
def test_in_a_browser_a_cells_description_is_its_name_and_its_tooltip(dash_duo: Any, small_app: Any) -> None:
    dash_duo.start_server(small_app, navigate=False)
    dash_duo.driver.implicitly_wait(0)
    dash_duo.wait_for_page(dash_duo.server.url + "/?lan=05&period=2024", timeout=15)
    dash_duo.wait_for_element("#oversikt-content table.board tbody .board-row", timeout=15)
    link = dash_duo.find_element(
        'a.cell-link[href="/kommun/0580?lan=05&period=2024&indikator=fast_lakarkontakt"]'
    )
    assert (link.get_attribute("aria-label") or "").replace("\u00a0", " ") == LINKOPING
    assert link.get_attribute("title") == link.get_attribute("aria-label")  # the mouse's tooltip
    # every cell has its tooltip; the title other elements carry is their own
    assert dash_duo.driver.execute_script(
        "return [...document.querySelectorAll('#oversikt-content a.cell-link')]"
        ".every((a) => a.title && a.title === a.getAttribute('aria-label'))"
    )
    head = dash_duo.find_element('#oversikt-content a.kommun-head-link[href^="/kommun/0580?"]')
    assert head.get_attribute("title") == "Visa Linköping"


WAIT_READ = 30  # seconds


@contextmanager
def previous_rows_while_a_writer_holds_the_file(app: Any) -> Iterator[None]:
    """Within it, län 05 is answered from the previous version's rows – Linköping's
    fast_lakarkontakt 2024 at 30 % (interval 28,7–31,3, below the län's 45: worse) – because a
    writer holds the database; after it, the writer is done and this version's rows are read."""
    import dataclasses

    from metrics.dashboard.source.context import current_snapshot
    from metrics.dashboard.source.data import DataUnavailable

    with app.server.test_request_context("/"):
        snap = current_snapshot()
    snap.wait_until_read(WAIT_READ)  # the background reader, done, drops no previous rows after this
    own = snap.lan_results("05")
    linkoping = own.totals[("fast_lakarkontakt", "2024")]["0580"]
    old_rows = dict(own.totals)
    old_rows[("fast_lakarkontakt", "2024")] = {
        **own.totals[("fast_lakarkontakt", "2024")],
        "0580": linkoping._replace(value=30.0, ci_low=28.7, ci_high=31.3),
    }
    real_loader = snap.load_lan

    def busy(_lan: str) -> Any:
        raise DataUnavailable("busy", "Databasen uppdateras just nu.")

    snap._loaded.pop("05")
    snap._previous["05"] = dataclasses.replace(own, totals=old_rows)
    object.__setattr__(snap, "load_lan", busy)
    try:
        yield
    finally:
        object.__setattr__(snap, "load_lan", real_loader)  # the writer is done


def test_a_board_built_from_the_previous_rows_while_a_writer_holds_the_file_is_not_kept(
    tmp_path: Path,
) -> None:
    from metrics.dashboard.server import create_app

    db = build_results(tmp_path / "results.duckdb", RESULTS)
    app = create_app(db_path=db, catalog_path=ROOT / "indicators.yaml")

    def linkoping_cell(markup: str) -> Element:
        row = row_of(parse(markup), "fast_lakarkontakt")
        return next(td for td in row.find_all("td") if td.attrs.get("data-name") == "Linköping")

    with previous_rows_while_a_writer_holds_the_file(app):
        assert linkoping_cell(board_markup(app)).text() == "▼\n30,0"  # the previous rows, shown
    # this version's rows (interval 53,0–57,0 above 45: better), not the board kept from the previous ones
    assert linkoping_cell(board_markup(app)).text() == "▲\n55,0"
