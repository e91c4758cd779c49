"""Every page passes axe-core with no serious or critical violation, once its data is drawn.

axe-core comes from npm (package.json at the repository root; `npm ci` installs it into
node_modules/) and is injected into the page from disk: nothing is downloaded while the
tests run. The folded-away table alternatives of the charts are opened first, so they are
checked too.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.support.ui import WebDriverWait

pytestmark = pytest.mark.browser

WAIT = 45  # seconds: the indicator page draws several grids and charts; a loaded runner needs longer
# The grids wait longer: AG Grid's bundle is loaded on first use and drawn after it; with the
# test suite and the Spark tests beside it (load average 6 on 2 cores) 45 s ran out once in CI.
GRID_WAIT = 120
AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")

# The view, and a selector that only appears once its data (and chart, if any) is drawn.
VIEWS = {
    "lansoversikt": ("/?lan=05&period=2024", "#oversikt-content table.board"),
    "lansoversikt-kvartal": ("/?lan=23&period=2024-Q2", "#oversikt-content table.board"),
    "planen": ("/planen?lan=23&period=2024", "#planen-content .plan-areas"),
    "kommun": ("/kommun/0580?period=2024", "#kommun-trend-graph svg.main-svg"),
    "jamfor": ("/jamfor?lan=05&period=2024&markera=0580", "#jamfor-bars svg.main-svg"),
    "indikator": ("/indikator/fast_lakarkontakt?lan=05&period=2024", "#indikator-facets svg.main-svg"),
    "riket": ("/riket?period=2024", "#riket-content table.riket-table"),
    "data": ("/data", "#data-content table"),
    "sidan-finns-inte": ("/finns-inte", "h1"),
}

# AG Grid draws its header and rows over several frames after it appears (and redraws the
# header once the flex columns are measured); axe run in between sees header rows without
# cells (aria-required-children) and a scrolling body with nothing to focus. Every grid is
# drawn when its header has as many column headers as its aria-colcount and every row has a cell.
GRIDS_DRAWN = """
return [...document.querySelectorAll('.ag-root[aria-colcount]')].every((grid) => {
  const rows = [...grid.querySelectorAll('[role=row]')];
  const headers = grid.querySelectorAll('.ag-header [role=columnheader]').length;
  return headers === Number(grid.getAttribute('aria-colcount')) && rows.length > 1 &&
    rows.every((row) => row.querySelector('[role=gridcell], [role=columnheader]') !== null);
});
"""

# What the page shows when the grids are not drawn in time, so a failure says why (the bundle
# still loading, or failed, or a grid drawn without rows) instead of only "never drawn".
GRID_STATE = """
const grids = [...document.querySelectorAll('.ag-root[aria-colcount]')].map((grid) => ({
  colcount: grid.getAttribute('aria-colcount'),
  headers: grid.querySelectorAll('.ag-header [role=columnheader]').length,
  rows: grid.querySelectorAll('[role=row]').length,
}));
const loading = [...document.querySelectorAll('.grid-loading')].map((el) => el.textContent);
const bundle = performance.getEntriesByType('resource')
  .filter((r) => r.name.includes('ag_grid') || r.name.includes('ag-grid'))
  .map((r) => `${r.name.split('/').pop()} ${Math.round(r.duration)} ms`);
return JSON.stringify({grids, loading, bundle});
"""


def wait_for_grids(driver: Any, *, at_least_one: bool = False) -> None:
    """Wait (up to GRID_WAIT) until every data grid on the page is drawn; on a timeout the
    failure shows the grids', the stand-in's and the bundle's state."""
    from selenium.common.exceptions import TimeoutException

    script = GRIDS_DRAWN
    if at_least_one:
        script = (
            "return document.querySelector('.ag-root[aria-colcount]') !== null && "
            f"(() => {{{GRIDS_DRAWN}}})()"
        )
    try:
        WebDriverWait(driver, GRID_WAIT).until(lambda d: d.execute_script(script))
    except TimeoutException:
        pytest.fail(f"a data grid was not drawn in {GRID_WAIT} s: {driver.execute_script(GRID_STATE)}")


# Resolves once the page has not changed for QUIET ms (at most after 20 s): opening the
# folded tables makes the page taller, and AG Grid then measures its flex columns again and
# draws its header anew, over several frames; on a loaded runner that took more than 2 s (CI,
# 2026-12-05: both header rows of the indicator grid without cells when axe read them).
SETTLED = """
const done = arguments[arguments.length - 1];
const quiet = arguments[0];
let timer = setTimeout(finish, quiet);
const observer = new MutationObserver(() => { clearTimeout(timer); timer = setTimeout(finish, quiet); });
observer.observe(document.body, {subtree: true, childList: true, attributes: true});
const limit = setTimeout(finish, 20000);
let finished = false;
function finish() {
  if (finished) return;
  finished = true;
  observer.disconnect(); clearTimeout(timer); clearTimeout(limit); done(true);
}
"""
QUIET = 750  # ms without a change to the page

# After two animation frames, so fixes the page applies on its next frame (assets/a11y.js) are in.
RUN_AXE = """
const done = arguments[arguments.length - 1];
requestAnimationFrame(() => requestAnimationFrame(() => {
  axe.run(document, {resultTypes: ["violations"]})
    .then((result) => done(result.violations))
    .catch((error) => done({error: String(error)}));
}));
"""


# The grids' header rows as drawn (what a failure on a grid shows).
GRID_HEADERS = """
return [...document.querySelectorAll('.ag-header')].map((h) => h.outerHTML.slice(0, 3000)).join('\\n');
"""


def in_grid(violation: dict[str, Any]) -> bool:
    """True when every element a violation was found on is part of an AG Grid."""
    return all(".ag-" in json.dumps(node["target"]) for node in violation["nodes"])


def blocking_of(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in violations if v["impact"] in BLOCKING]


def settled_violations(driver: Any, where: str, *, at_least_one: bool = False) -> Any:
    """axe-core's violations once the page has been still for QUIET ms and its grids are drawn."""
    driver.execute_async_script(SETTLED, QUIET)
    wait_for_grids(driver, at_least_one=at_least_one)
    violations = driver.execute_async_script(RUN_AXE)
    assert "error" not in violations, f"axe-core failed on {where}: {violations}"
    return violations


def violations_once_still(driver: Any, where: str, *, at_least_one: bool = False) -> Any:
    """`settled_violations`, read up to twice more a second apart while any is blocking: AG Grid
    may still redraw while axe reads it (CI, 2026-12-04 to -06: a header row without its cells);
    a real violation is there again once the page is still."""
    violations = settled_violations(driver, where, at_least_one=at_least_one)
    for _ in range(2):
        if not blocking_of(violations):
            break
        time.sleep(1)
        violations = settled_violations(driver, where, at_least_one=at_least_one)
    return violations


@pytest.fixture(scope="module")
def axe_source(skip_or_fail: Callable[[str], None]) -> str:
    if not AXE.is_file():
        skip_or_fail(f"axe-core is not installed ({AXE} is missing): run `npm ci` in the repository root")
    return AXE.read_text(encoding="utf-8")


def describe(violations: list[dict[str, Any]]) -> str:
    """Every violation with its impact, rule, help text and the elements it was found on."""
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"]:
            lines.append(f"    {json.dumps(node['target'], ensure_ascii=False)}")
            lines.append(f"        {node['html'][:200]}")
            if node.get("failureSummary"):
                lines.append("        " + node["failureSummary"].replace("\n", "\n        "))
    return "\n".join(lines)


@pytest.mark.parametrize("view", list(VIEWS))
def test_every_page_has_no_serious_or_critical_accessibility_violations(
    dashboard: Any, axe_source: str, view: str
) -> None:
    path, ready = VIEWS[view]
    dashboard.wait_for_page(dashboard.server.url + path, timeout=WAIT)
    driver = dashboard.driver
    driver.set_script_timeout(WAIT)

    def drawn_with_axe() -> None:
        """Wait for the page's data and grids, open the folded tables and load axe."""
        dashboard.wait_for_element(ready, timeout=WAIT)
        wait_for_grids(driver)
        driver.execute_script("document.querySelectorAll('details').forEach((d) => { d.open = true; });")
        driver.execute_script(axe_source)

    drawn_with_axe()
    violations = violations_once_still(driver, path)

    blocking = blocking_of(violations)
    before = ""
    if blocking and all(in_grid(v) for v in blocking):
        # Only in the full CI run, late in a worker (2026-12-05, twice): the indicator grid's
        # header rows without cells however long axe waits, while the same test alone, or under
        # CPU load, passes. Loaded anew the page is read once more; a grid that is really
        # inaccessible fails again, and the message shows the grid as it was both times.
        # (2026-12-07 at a76288b, once: the grid came without cells after one reload too, so it
        # is loaded anew up to twice, each read like the first.)
        before = f"first load:\n{describe(violations)}\n{driver.execute_script(GRID_HEADERS)}\n"
        for _ in range(2):
            driver.refresh()
            drawn_with_axe()
            violations = violations_once_still(driver, path)
            blocking = blocking_of(violations)
            if not (blocking and all(in_grid(v) for v in blocking)):
                break
    assert not blocking, f"axe-core on {path}:\n{before}{describe(violations)}"
