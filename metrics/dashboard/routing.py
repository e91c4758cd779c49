"""Addresses that name nothing: every page layout shows "finns inte", and the server says 404.

Dash serves its single HTML page for any path with status 200 and routes in the browser.
A wrong link must be visible as wrong to people (the page text) and to machines (the status
code, for link checkers and logs), so both come from `addresses.address_problem`.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import dash
import flask

from metrics.dashboard.logic.addresses import NotFound, address_problem
from metrics.dashboard.source.context import catalogue, current_snapshot
from metrics.dashboard.source.data import DataUnavailable, Snapshot


def _snapshot_or_none() -> Snapshot | None:
    try:
        return current_snapshot()
    except DataUnavailable:
        return None


def problem_of(path: str, params: dict[str, Any]) -> NotFound | None:
    """The problem with an app-relative path and its query parameters, against the loaded data."""
    return address_problem(path, params, _snapshot_or_none(), catalogue())


def _guarded(layout: Any, template: str) -> Any:
    """The page's layout, but "finns inte" (with the valid choices) for an address naming nothing."""
    # A page module registers itself with Dash on import; `create_app` imports the pages first.
    from metrics.dashboard.pages.not_found_404 import not_found_view

    variables = re.findall(r"<(\w+)>", template)

    @functools.wraps(layout)
    def guarded(**kwargs: Any) -> Any:
        path = template
        for name in variables:
            path = path.replace(f"<{name}>", str(kwargs.get(name) or "none"))
        params = {k: v for k, v in kwargs.items() if k not in variables}
        problem = problem_of(path, params)
        return not_found_view(problem) if problem else layout(**kwargs)

    return guarded


def guard_pages(app: dash.Dash) -> None:
    """Wrap the registered pages' layouts, and answer their GETs with 404 for a bad address."""
    for page in dash.page_registry.values():
        if page["module"].endswith("not_found_404") or getattr(page["layout"], "__wrapped__", None):
            continue
        page["layout"] = _guarded(page["layout"], page.get("path_template") or page["path"])

    prefix = app.config.routes_pathname_prefix
    index_endpoints = {prefix, prefix + "<path:path>"}

    @app.server.after_request
    def not_found_status(response: flask.Response) -> flask.Response:
        request = flask.request
        if request.method != "GET" or request.endpoint not in index_endpoints or response.status_code != 200:
            return response
        # Dash's router compares paths without their slashes at either end, and so does this.
        path = "/" + (app.strip_relative_path(request.path) or "")
        params = {key: request.args.getlist(key) for key in request.args}
        if problem_of(path, params) is not None:
            response.status_code = 404
        return response
