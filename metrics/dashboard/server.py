"""Build the Dash app: the shell (header, navigation, footer), the pages, and URL syncing.

The view's state lives in the URL query string. A page's main callback reports its state
to the `app-query` store; a clientside callback writes it to the address bar with
history.pushState, without re-rendering the page (so the control keeps keyboard focus).
A server callback keeps the navigation links carrying län, period and indicator along.
assets/history.js sets a page's controls back from the address on Back/Forward, and
assets/links.js lets the board's plain <a> cells navigate inside the app like dcc.Link.
"""

from __future__ import annotations

import atexit
import gc
import hashlib
import importlib
import logging
import os
import sys
import threading
from collections import OrderedDict
from html import escape as html_escape
from pathlib import Path
from typing import Any

import dash
import flask
import flask_compress
from dash import Input, Output, dcc, html

from metrics.dashboard.logic.urlstate import NAV_PAGES, nav_targets
from metrics.dashboard.preview_page import register_preview_page
from metrics.dashboard.routing import guard_pages
from metrics.dashboard.security import add_security_headers
from metrics.dashboard.source.context import (
    CONFIG_KEY,
    Settings,
    current_snapshot,
    group_lan_of,
    load_catalogue_cached,
)
from metrics.dashboard.source.data import DataUnavailable, snapshot
from metrics.dashboard.source.runinfo import run_label
from metrics.dashboard.views.components import attrs
from metrics.geography import load_geography

log = logging.getLogger(__name__)

PAGE_MODULES = (
    "lansoversikt",
    "planen",
    "kommun",
    "jamfor",
    "indikator",
    "riket",
    "dataunderlag",
    "not_found_404",
)


def assets_folder() -> Path:
    """The repository's top-level assets/ (next to app.py), else one in the working directory."""
    here = Path(__file__).resolve().parents[2] / "assets"
    return here if here.is_dir() else Path.cwd() / "assets"


INDEX_STRING = """<!DOCTYPE html>
<html lang="sv">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
    </head>
    <body>
        {%app_entry%}
        <div class="dash-scripts">
            {%config%}
            {%scripts%}
            {%renderer%}
        </div>
    </body>
</html>"""

URL_SYNC_JS = """
function(state) {
    if (!state || !state.href) { return window.dash_clientside.no_update; }
    var current = window.location.pathname + window.location.search;
    if (state.href !== current) {
        if (state.replace) { window.history.replaceState(null, "", state.href); }
        else { window.history.pushState(null, "", state.href); }
    }
    return state.href;
}
"""


def _shell() -> html.Div:
    nav = html.Nav(
        html.Ul(
            [
                html.Li(dcc.Link(label, href=path, id=f"app-nav-{key}", className="nav-link"))
                for key, label, path in NAV_PAGES
            ],
            className="nav-list",
        ),
        className="nav",
        **attrs({"aria-label": "Sidor"}),
    )
    header = html.Header(
        html.Div(
            [
                html.Div(
                    [
                        dcc.Link(
                            [
                                html.Img(src=dash.get_asset_url("logo.svg"), alt="", className="brand-mark"),
                                html.Span("Mätavla", className="brand-name"),
                            ],
                            href="/",
                            className="brand",
                            id="app-brand",
                        ),
                        html.Div(
                            [
                                html.Span("Uppföljning av Nära vård", className="brand-sub"),
                                html.Span(id="app-lan-name", className="brand-lan"),
                            ],
                            className="brand-text",
                        ),
                    ],
                    className="brand-row",
                ),
                nav,
            ],
            className="header-inner",
        ),
        className="site-header",
    )
    footer = html.Footer(
        html.Div(
            [
                html.Span(id="app-computed", className="footer-date"),
                html.Span(
                    "Undertryckta värden visas som ”för få”. Varje sida säger vilken metod "
                    "jämförelsen med länet bygger på.",
                    className="footer-note",
                ),
                html.Span(
                    "Mätavla – öppen programvara för uppföljning av Nära vård", className="footer-brand"
                ),
            ],
            className="footer-inner",
        ),
        className="site-footer",
    )
    return html.Div(
        [
            html.A("Hoppa till innehållet", href="#main", className="skip-link"),
            header,
            html.Main(dash.page_container, id="main", tabIndex="-1", className="site-main"),
            footer,
            dcc.Store(id="app-query", storage_type="memory"),
            dcc.Store(id="app-urlsync", storage_type="memory"),
        ],
        className="app",
    )


def _register_shell_callbacks(app: dash.Dash) -> None:
    app.clientside_callback(URL_SYNC_JS, Output("app-urlsync", "data"), Input("app-query", "data"))

    @app.callback(
        [Output(f"app-nav-{key}", "href") for key, _, _ in NAV_PAGES]
        + [Output(f"app-nav-{key}", "className") for key, _, _ in NAV_PAGES]
        + [
            Output("app-lan-name", "children"),
            Output("app-computed", "children"),
            Output("app-brand", "href"),
        ],
        Input("app-query", "data"),
    )
    def update_shell(state: dict[str, Any] | None) -> list[Any]:
        state = state or {}
        targets = nav_targets(state)
        active = state.get("page")
        hrefs = [targets[key] for key, _, _ in NAV_PAGES]
        classes = ["nav-link nav-link-active" if key == active else "nav-link" for key, _, _ in NAV_PAGES]
        lan = state.get("lan")
        lan_name = load_geography().lan[lan].name if lan in load_geography().lan else ""
        try:
            snap = current_snapshot()
            date = run_label(snap.run_info, snap.computed_at)  # names the run, so a number can be traced
        except DataUnavailable:
            date = "Ingen data inläst"
        return [*hrefs, *classes, lan_name, date, targets["oversikt"]]


class _CompressedCache:
    """flask-compress's cache: the compressed static files (scripts, styles) and callback answers.

    Dash's component suites are 2.5 MB of JavaScript (AG Grid's bundle alone 1.3 MB); compressing
    them anew for every first visit costs each worker ~50 ms of CPU. They are kept by address
    (`_cache_key`), in at most MAX_BYTES, never dropped.

    A callback answer is kept by what it is, not by what was asked: its key is a SHA-256 of the
    answer's bytes (`_digest_answer`), so a kept answer can only ever be sent for a request whose
    own answer is byte for byte the same, whatever the request, the database version or the page.
    Many viewers open the same län, and a page's content is kept per database version
    (source/version_memo.py), so the same answers recur: compressing a 49-kommun län's board
    (1.1 MB) costs ~10 ms of CPU per answer, its digest under 1 ms. The answers are kept in at most
    MAX_ANSWER_BYTES, the least recently sent dropped first.
    """

    CACHED_FOLDERS = ("/_dash-component-suites/", "/assets/")
    # Every version of every script and style, compressed both ways, is a few MB; an address that
    # only looks like one (Dash answers any path with its page) must not grow the cache for ever.
    MAX_BYTES = 64 * 2**20
    # compressed answers are 1–65 kB (a 49-kommun län's board ~50 kB): hundreds of them per worker
    MAX_ANSWER_BYTES = 16 * 2**20
    # what a kept answer costs besides its bytes: its key as a str (~130 bytes), the bytes object's
    # header and its place in the OrderedDict. A small answer (500 bytes compress to ~50) would
    # otherwise let the cap hold five times its size.
    ANSWER_OVERHEAD = 256

    def __init__(self) -> None:
        self._entries: dict[str, bytes] = {}
        self._bytes = 0
        self._answers: OrderedDict[str, bytes] = OrderedDict()
        self._answer_bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        if _is_answer(key):
            with self._lock:
                found = self._answers.get(key)
                if found is not None:
                    self._answers.move_to_end(key)
                return found
        return self._entries.get(key)

    def set(self, key: str, value: bytes) -> None:
        if _is_answer(key):
            self._keep_answer(key, value)
            return
        _algorithm, _, request_key = key.partition(";")
        method, _, full_path = request_key.partition(" ")
        # the folder must be in the path itself: `/forhandsgranskning/<token>?x=/assets/` is a page
        # (a preview that must never be answered from a cache), not a static file
        path = full_path.partition("?")[0]
        if method != "GET" or not any(folder in path for folder in self.CACHED_FOLDERS):
            return
        with self._lock:
            if key in self._entries or self._bytes + len(value) > self.MAX_BYTES:
                return
            self._entries[key] = value
            self._bytes += len(value)

    def clear_answers(self) -> None:
        with self._lock:
            self._answers.clear()
            self._answer_bytes = 0

    def _size(self, key: str, value: bytes) -> int:
        return len(key) + len(value) + self.ANSWER_OVERHEAD

    def _keep_answer(self, key: str, value: bytes) -> None:
        size = self._size(key, value)
        if size > self.MAX_ANSWER_BYTES:
            return
        with self._lock:
            if key in self._answers:  # flask-compress sets what it has just got, too
                return
            self._answers[key] = value
            self._answer_bytes += size
            while self._answer_bytes > self.MAX_ANSWER_BYTES:
                dropped_key, dropped = self._answers.popitem(last=False)
                self._answer_bytes -= self._size(dropped_key, dropped)


COMPRESSED_CACHE = "matavla_compressed"  # the app's _CompressedCache, in `server.extensions`
ANSWER_KEY = "answer "  # a callback answer's key: 'answer ' and the SHA-256 of its bytes
ANSWER_PATH = "/_dash-update-component"
# in the request's WSGI environ (its own for each request; flask.g can outlive one request when a
# caller holds an application context around several)
_DIGEST = "matavla.answer_digest"


def _is_answer(key: str) -> bool:
    return key.partition(";")[2].startswith(ANSWER_KEY)


def _cache_key(request: flask.Request) -> str:
    """A callback answer's digest (`_digest_answer`), else the address: for a static file, the full
    path carries Dash's fingerprint (`?v=…` or `.v4_4_1m….js`), so a new version is a new key."""
    digest = request.environ.get(_DIGEST)
    if digest is not None:
        return f"{ANSWER_KEY}{digest}"
    return f"{request.method} {request.full_path}"


def _digest_answer(response: flask.Response) -> flask.Response:
    """Before flask-compress: a callback answer's SHA-256, which `_cache_key` makes its key."""
    request = flask.request
    if (
        request.method == "POST"
        and request.path.endswith(ANSWER_PATH)
        and response.status_code == 200
        and not response.is_streamed
        and not response.direct_passthrough
        and request.headers.get("Accept-Encoding")  # else nothing is compressed
    ):
        request.environ[_DIGEST] = hashlib.sha256(response.get_data()).hexdigest()
    return response


LAZY_NAMESPACE = "dash_ag_grid"
LAZY_META = "matavla-ag-grid"


def load_ag_grid_on_use(app: dash.Dash) -> None:
    """Serve AG Grid's bundle (1.3 MB of JavaScript) only to a page that shows a grid.

    Dash puts every imported component library's bundle on every page, though only the Indikator
    page has a grid. Its scripts are left out of the page here; the bundle's address goes in a
    <meta> tag instead, and assets/lazy_ag_grid.js stands in for the library: the first grid
    rendered loads the bundle, then the real grid is drawn. The bundle's files (and its async
    chunks) stay registered, so the server still serves them.
    """
    from dash.development.base_component import ComponentRegistry

    resources = ComponentRegistry.get_resources("_js_dist", [LAZY_NAMESPACE])
    # registers every file of the library for serving; answers the page's (fingerprinted) address
    urls = app._collect_and_register_resources(resources)
    bundle = next(u for u in urls if isinstance(u, str) and u.split("?")[0].endswith(".js"))
    scripts = app.scripts
    every_script = scripts.get_all_scripts

    def without_lazy(dev_bundles: bool = False) -> list[dict[str, Any]]:
        return [r for r in every_script(dev_bundles) if r.get("namespace") != LAZY_NAMESPACE]

    setattr(scripts, "get_all_scripts", without_lazy)  # noqa: B010 - this app's resources only
    meta = f'<meta name="{LAZY_META}" content="{html_escape(bundle)}">'
    app.index_string = app.index_string.replace("{%metas%}", "{%metas%}\n        " + meta, 1)


def _compress(app: dash.Dash) -> None:
    """Compress what the server answers (scripts, styles, callback JSON) when the browser accepts it.

    Dash's own `compress=True` does the same with flask-compress's defaults; this also keeps the
    compressed static files and callback answers (see `_CompressedCache`). Brotli where the browser
    accepts it (every current one), else gzip; answers under 500 bytes stay as they are.
    """
    server = app.server
    cache = _CompressedCache()
    server.extensions[COMPRESSED_CACHE] = cache  # for the benchmarks, which time a first answer
    server.config.update(
        COMPRESS_ALGORITHM=["br", "gzip"],
        COMPRESS_CACHE_BACKEND=lambda: cache,
        COMPRESS_CACHE_KEY=_cache_key,
    )
    flask_compress.Compress(server)
    # Flask calls the after-request functions last registered first: the digest is there before
    # flask-compress asks for the key
    server.after_request(_digest_answer)


def _swedish_loading_text(app: dash.Dash) -> None:
    """Dash's placeholder before the first render says 'Loading...'; say it in Swedish."""
    interpolate = app.interpolate_index

    def swedish(**kwargs: Any) -> str:
        kwargs["app_entry"] = kwargs.get("app_entry", "").replace("Loading...", "Laddar mätavlan …")
        return interpolate(**kwargs)

    setattr(app, "interpolate_index", swedish)  # noqa: B010 - replaces the bound method on this app only


def _redirect_bare_paths(app: dash.Dash) -> None:
    """'/kommun' and '/indikator' typed without a code lead to the page, which picks one."""
    for bare in ("/kommun", "/indikator"):

        def to_page(bare: str = bare) -> flask.Response:
            query = flask.request.query_string.decode()
            target = app.get_relative_path(f"{bare}/none") + (f"?{query}" if query else "")
            return flask.redirect(target)  # type: ignore[return-value]

        app.server.add_url_rule(
            app.get_relative_path(bare), endpoint=f"matavla-{bare.strip('/')}", view_func=to_page
        )


def _import_pages() -> None:
    """Import (or, for a second app in the same process, re-import) the page modules.

    Pages register their callbacks with `dash.callback` into Dash's global list, which the
    first app to serve a request takes over; re-importing gives a new app its own copy.
    """
    from dash import _callback

    _callback.GLOBAL_CALLBACK_LIST.clear()
    _callback.GLOBAL_CALLBACK_MAP.clear()
    for name in PAGE_MODULES:
        module = f"metrics.dashboard.pages.{name}"
        if module in sys.modules:
            importlib.reload(sys.modules[module])
        else:
            importlib.import_module(module)


def create_app(
    db_path: str | Path,
    catalog_path: str | Path,
    geojson_path: str | Path | None = None,
    default_lan: str | None = None,
) -> dash.Dash:
    """The dashboard over the database at `db_path` and the catalogue at `catalog_path`.

    `geojson_path` (or env MATAVLA_GEOJSON): kommun boundaries with property `id` = kommun
    code, for the choropleth on Jämför. `default_lan` (or env MATAVLA_LAN): the län shown
    first.
    """
    geojson = geojson_path or os.environ.get("MATAVLA_GEOJSON") or None
    catalog = Path(catalog_path)
    catalogue = load_catalogue_cached(catalog, Path(db_path))
    settings = Settings(
        db_path=Path(db_path),
        catalog_path=catalog,
        geojson_path=Path(geojson) if geojson else None,
        default_lan=default_lan or os.environ.get("MATAVLA_LAN") or None,
        group_lan=group_lan_of(catalogue),
    )
    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder="",
        assets_folder=str(assets_folder()),
        title="Mätavla",
        update_title="",  # keep the page title while callbacks run
        suppress_callback_exceptions=True,
        serve_locally=True,
        meta_tags=[
            {"name": "viewport", "content": "width=device-width, initial-scale=1"},
            {"name": "description", "content": "Mätavla – uppföljning av Nära vård per kommun och län"},
            {"name": "theme-color", "content": "#14213d"},
        ],
    )
    app.index_string = INDEX_STRING
    _compress(app)
    _swedish_loading_text(app)
    app.server.config[CONFIG_KEY] = settings
    _import_pages()
    load_ag_grid_on_use(app)  # after the pages, which import the library
    guard_pages(app)
    add_security_headers(app)
    _redirect_bare_paths(app)
    register_preview_page(app)  # /forhandsgranskning/<token>, from `matavla preview`
    app.layout = _shell
    _register_shell_callbacks(app)
    _warm_up(settings)
    return app


def _warm_up(settings: Settings) -> None:
    """Read the database's aggregates once at start, then exempt what is loaded from garbage
    collection (a län's rows, read later, are frozen as they are read: `Snapshot.lan_results`).

    Dash, plotly and pandas leave some 200 000 long-lived objects on the heap; a full
    collection walks them all and stalls a request for ~100 ms every few requests.
    gc.freeze() moves them out of the collector's way (and, with `gunicorn --preload`,
    keeps the workers' memory shared). Objects are still freed by reference counting.
    """
    global _frozen
    try:
        snapshot(settings.db_path, settings.group_lan)
    except DataUnavailable as exc:
        log.warning("%s", exc)
    gc.collect()
    gc.freeze()
    if not _frozen:
        atexit.register(gc.unfreeze)  # let interpreter shutdown clean up as usual
        _frozen = True


_frozen = False
