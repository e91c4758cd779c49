"""Shared fixtures: a small demo database built once per session, and the browser gate.

Tests marked `browser` drive the dashboard in headless Chromium through `dash[testing]`.
Without chromium and chromedriver they are skipped, so the test command works on any
machine; in CI (env CI=true) a missing browser is a failure, never a silent skip.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dash
import pytest

pytest_plugins = ["pytester"]

REPO = Path(__file__).resolve().parents[1]
CHROME_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


@pytest.fixture(autouse=True)
def _dashboard_readers_finish() -> Any:
    """A dashboard snapshot reads every län's rows in a background thread; let it finish within
    its test, so that it holds no connection to a database a later test opens (DuckDB refuses a
    second configuration, and a writer, of a file this process has open)."""
    yield
    import sys

    data = sys.modules.get("metrics.dashboard.source.data")
    if data is not None:
        data.wait_for_background_readers(timeout=120)


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def unavailable(reason: str) -> None:
    """Skip the test for a missing tool; in CI, fail it (CI must run every test)."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true, so this fails instead of skipping)", pytrace=False)
    pytest.skip(reason)


def chrome_binary() -> str | None:
    """Chromium or Chrome: dash[testing]'s DASH_TEST_CHROMEPATH, else the first on PATH."""
    if path := os.environ.get("DASH_TEST_CHROMEPATH"):
        return path if Path(path).is_file() else None
    return next((path for name in CHROME_NAMES if (path := shutil.which(name))), None)


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if chrome_binary() is None:
        return "no Chromium found: install Debian's chromium and chromium-driver (as .ci/run does)"
    if importlib.util.find_spec("selenium") is None:
        return "selenium is not installed: pip install -e '.[test]'"
    if shutil.which("chromedriver") is None:
        return "no chromedriver on PATH: install Debian's chromium-driver (as .ci/run does)"
    return None


def pytest_configure(config: pytest.Config) -> None:
    # dash[testing]'s --headless flag; the browser tests always run headless.
    if hasattr(config.option, "headless"):
        config.option.headless = True
    # selenium 4.2 calls a urllib3 method that urllib3 2 deprecates, once per command.
    config.addinivalue_line("filterwarnings", "ignore:HTTPResponse.getheader:DeprecationWarning")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """In CI every skip is a failure: a check that silently did not run (ruff, mypy, a browser) fails."""
    outcome = yield
    report = outcome.get_result()
    if in_ci() and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which must run every test: {reason}"


def pytest_collectreport(report: pytest.CollectReport) -> None:
    """A whole module skipped at collection (importorskip at module level) also fails in CI."""
    if in_ci() and report.skipped:
        report.outcome = "failed"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("browser") and (reason := missing_browser()):
        unavailable(reason)


@pytest.hookimpl(optionalhook=True)
def pytest_setup_options() -> Any:
    """Chrome options for dash[testing]; quiet (no background downloads) and of a fixed size."""
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.remote.remote_connection import RemoteConnection

    # Selenium waits forever for a hung chromedriver by default; a CI run must end.
    RemoteConnection.set_timeout(60)
    options = Options()
    if chrome := chrome_binary():
        options.binary_location = chrome
    for argument in (
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--no-first-run",
        "--no-default-browser-check",
        "--window-size=1280,1024",
        "--lang=sv-SE",
    ):
        options.add_argument(argument)
    return options  # dash[testing] collects hook results in a list and takes the first


@pytest.fixture(scope="session")
def skip_or_fail() -> Callable[[str], None]:
    """Skip a test for a missing tool – or, in CI, fail it."""
    return unavailable


@dataclass(frozen=True)
class DemoDatabase:
    db_path: Path
    catalog_path: Path


def xdist_worker() -> int | None:
    """This process's pytest-xdist worker number (gw0 → 0), or None when tests run in one process."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(name.removeprefix("gw")) if name.startswith("gw") else None


@pytest.fixture(scope="session", autouse=True)
def separate_dash_ports() -> None:
    """Each xdist worker serves its test dashboards on its own ports.

    dash[testing] numbers its servers from one fixed port per process, so two workers would both
    start at 58050 and one browser test would talk to the other worker's dashboard."""
    from dash.testing.application_runners import BaseDashRunner

    BaseDashRunner._next_port = 58050 + 500 * (xdist_worker() or 0)


def _build_test_demo(root: Path) -> Path:
    from metrics.demo.pipeline import build_demo

    db_path = root / "matavla.duckdb"
    # At 2 % nearly every kommun cell is small, and a few indicators' LPs (digitala_kontakter,
    # privata_kontakter, aterinskrivning_7d_65, akutbesok_inlaggning, akut_vistelse_4h) do not
    # finish on the catalogue's rule within 60 000 simplex iterations, which prove every other
    # indicator here (aterinskrivning_30d_65 in 45 177 since the spread witnesses). The last rung
    # (only years per kommun) gets the catalogue's default budget: compute no longer publishes an
    # unproven rung on propagation, so with none these indicators would be refused and the build
    # would fail. It costs 7–25 s of CPU per such indicator (benchmarks/bench_audit.py). An
    # iteration budget, not seconds: the same fixture on a busy CI machine.
    budget = {"MATAVLA_AUDIT_ITERATIONS": "30000", "MATAVLA_AUDIT_LAST_RUNG_ITERATIONS": "150000"}
    saved = {name: os.environ.get(name) for name in budget}
    os.environ.update(budget)
    try:
        build_demo(db_path, REPO / "indicators.yaml", out_dir=root / "files", scale=0.02)
    finally:
        for name, value in saved.items():
            if value is None:
                del os.environ[name]
            else:
                os.environ[name] = value
    return db_path


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> DemoDatabase:
    """The demo (Östergötland and Jämtland 2020–2024) at 2 % of real size: imported and computed.

    Small enough to build in a few minutes, large enough that every page has data and the small
    kommuner have suppressed cells. Built once per test run: with xdist workers the first one
    builds it in the run's shared temporary folder under a file lock, and every worker then works
    on its own copy (DuckDB lets only one process open a database file for writing).
    """
    catalog_path = REPO / "indicators.yaml"
    if xdist_worker() is None:
        return DemoDatabase(_build_test_demo(tmp_path_factory.mktemp("demo")), catalog_path)

    from filelock import FileLock

    shared = tmp_path_factory.getbasetemp().parent  # the same folder for every worker of this run
    built = shared / "demo-shared"
    with FileLock(str(shared / "demo-shared.lock")):
        if not (built / "built").is_file():
            shutil.rmtree(built, ignore_errors=True)
            built.mkdir()
            _build_test_demo(built)
            (built / "built").write_text("ok", encoding="utf-8")
    root = tmp_path_factory.mktemp("demo")
    db_path = root / "matavla.duckdb"
    shutil.copyfile(built / "matavla.duckdb", db_path)
    return DemoDatabase(db_path, catalog_path)


@pytest.fixture
def dashboard_app(demo_database: DemoDatabase) -> dash.Dash:
    """A fresh dashboard app over the demo database (not yet served)."""
    from metrics.dashboard.server import create_app

    return create_app(db_path=demo_database.db_path, catalog_path=demo_database.catalog_path)


@pytest.fixture
def dashboard(dash_duo: Any, dashboard_app: dash.Dash) -> Any:
    """dash[testing]'s `dash_duo` with the dashboard served on the demo database; no page open yet."""
    dash_duo.start_server(dashboard_app, navigate=False)
    # dash[testing] waits 2 s for every element it does not find; the tests wait explicitly.
    dash_duo.driver.implicitly_wait(0)
    return dash_duo


@pytest.fixture(scope="module")
def catalogue() -> Any:
    """The shipped catalogue's core indicators (tests that need another catalogue define their own)."""
    from tests.indicator_cases import core_catalogue

    return core_catalogue()


@pytest.fixture
def con(catalogue: Any) -> Any:
    """An empty database with every table, for hand-built cases."""
    from tests.indicator_cases import empty_db

    con = empty_db(catalogue)
    yield con
    con.close()
