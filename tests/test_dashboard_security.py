"""The dashboard answers mistyped addresses with 404 and a Swedish "finns inte" listing the valid
choices, sends security headers with every response, and its pages pass their own
Content-Security-Policy in a real browser (plotly figures and AG Grid included)."""

from __future__ import annotations

import time
from typing import Any

import dash
import pytest

WAIT = 15  # seconds

GOOD = [
    "/",
    "/?lan=05&period=2024",
    "/kommun/0580",
    "/kommun/none",
    "/kommun/2380?period=2024-Q2",
    "/jamfor?lan=23&indikator=fast_lakarkontakt&markera=2380",
    "/indikator/fast_lakarkontakt?lan=05&period=2023",
    "/indikator/none",
    "/data",
]
# address → the title of the "finns inte" the page shows
BAD = {
    "/kommun/9999": "Kommunen finns inte",
    "/indikator/finns-inte": "Indikatorn finns inte",
    "/?period=1999": "Perioden finns inte",
    "/?lan=99": "Länet finns inte",
    "/jamfor?lan=abc": "Länet finns inte",
    "/jamfor?indikator=finns_inte": "Indikatorn finns inte",
    "/kommun/0580?period=2024-13": "Perioden finns inte",
    "/finns-inte": "Sidan finns inte",
    "/kommun/0580/extra": "Sidan finns inte",
}


@pytest.fixture
def client(dashboard_app: dash.Dash) -> Any:
    return dashboard_app.server.test_client()


@pytest.mark.parametrize("path", GOOD)
def test_an_address_that_names_existing_things_answers_200(client: Any, path: str) -> None:
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("path", list(BAD))
def test_an_address_that_names_nothing_answers_404(client: Any, path: str) -> None:
    assert client.get(path).status_code == 404


def test_a_bare_page_path_still_redirects_to_the_page_that_picks(client: Any) -> None:
    response = client.get("/kommun?lan=05")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/kommun/none?lan=05")


@pytest.mark.parametrize("path", ["/", "/kommun/9999", "/_dash-layout", "/assets/matavla.css"])
def test_every_response_carries_the_security_headers(client: Any, path: str) -> None:
    headers = client.get(path).headers
    policy = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert "default-src 'self'" in policy
    script_src = next(d for d in policy.split(";") if d.strip().startswith("script-src")).split()
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert any(s.startswith("'sha256-") for s in script_src), "Dash's inline scripts are allowed by hash"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"


def test_the_not_found_view_names_what_is_missing_and_links_the_valid_choices(demo_database: Any) -> None:
    from metrics.catalogue.loader import load_catalogue
    from metrics.dashboard.logic.addresses import address_problem
    from metrics.dashboard.source.data import read_snapshot

    snap = read_snapshot(demo_database.db_path)
    cat = load_catalogue(demo_database.catalog_path).catalogue
    problem = address_problem("/kommun/9999", {"period": "2024"}, snap, cat)
    assert problem is not None and "”9999”" in problem.message
    assert ("Linköping (0580)", "/kommun/0580?period=2024") in [(c.label, c.href) for c in problem.choices]
    problem = address_problem("/", {"lan": "99", "period": "2024"}, snap, cat)
    assert problem is not None
    assert [c.href for c in problem.choices] == ["/?lan=05&period=2024", "/?lan=23&period=2024"]
    problem = address_problem("/jamfor", {"lan": "05", "period": "1999"}, snap, cat)
    assert problem is not None
    assert [c.label for c in problem.choices] == ["2024", "2023", "2022", "2021", "2020"]
    assert address_problem("/jamfor", {"lan": "05", "period": "2024-Q2"}, snap, cat) is None


# ---- in a real browser ----------------------------------------------------------------------

COLLECT_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + (e.sourceFile || '')
                    + ':' + (e.lineNumber || ''));
});
"""

PAGES = {
    "/?lan=05&period=2024": "#oversikt-content table.board",
    "/kommun/0580?period=2024": "#kommun-trend-graph svg.main-svg",
    "/jamfor?lan=05&period=2024&markera=0580": "#jamfor-funnel svg.main-svg",
    "/indikator/fast_lakarkontakt?lan=05&period=2024": "#indikator-grid .ag-cell",
    "/data": "#data-content table",
    "/kommun/9999": ".not-found-choices a",
}


def open_collecting(duo: Any, path: str, ready: str) -> None:
    duo.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": COLLECT_VIOLATIONS})
    duo.wait_for_page(duo.server.url + path, timeout=WAIT)
    duo.wait_for_element(ready, timeout=WAIT)
    time.sleep(0.5)  # late work: hover layers, fonts, the grid's deferred rendering


@pytest.mark.browser
@pytest.mark.parametrize("path", list(PAGES))
def test_every_page_passes_its_content_security_policy(dashboard: Any, path: str) -> None:
    open_collecting(dashboard, path, PAGES[path])
    violations = dashboard.driver.execute_script("return window.__csp")
    assert violations == [], f"CSP violations on {path}"
    logged = [e["message"] for e in dashboard.get_logs() if "Content Security Policy" in e["message"]]
    assert logged == []


@pytest.mark.browser
def test_a_mistyped_kommun_shows_finns_inte_with_links_to_the_kommuner(dashboard: Any) -> None:
    dashboard.wait_for_page(dashboard.server.url + "/kommun/9999?period=2024", timeout=WAIT)
    dashboard.wait_for_text_to_equal("h1.page-title", "Kommunen finns inte", timeout=WAIT)
    assert "”9999”" in dashboard.find_element(".not-found").text
    assert not dashboard.find_elements("#kommun-content"), "no profile of another kommun"
    link = dashboard.find_element('.not-found-choices a[href="/kommun/0580?period=2024"]')
    assert link.text == "Linköping (0580)"
    link.click()
    dashboard.wait_for_contains_text(
        "#kommun-content h2", "Linköping · Östergötlands län · 2024", timeout=WAIT
    )


@pytest.mark.browser
@pytest.mark.parametrize("path", [p for p in BAD if p != "/kommun/9999"])
def test_every_mistyped_address_shows_its_finns_inte(dashboard: Any, path: str) -> None:
    dashboard.wait_for_page(dashboard.server.url + path, timeout=WAIT)
    dashboard.wait_for_text_to_equal("h1.page-title", BAD[path], timeout=WAIT)
    assert dashboard.find_elements(".not-found-choices a")
