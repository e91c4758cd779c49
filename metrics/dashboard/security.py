"""Security headers on every response: a Content-Security-Policy the pages really pass, no framing,
no MIME sniffing and no full referrer to other sites.

Dash puts a few scripts inline (its renderer's start and the clientside callbacks); they are
allowed by their SHA-256 hashes (Dash's own `csp_hashes()`), never by 'unsafe-inline', so an
injected script cannot run. Styles do need 'unsafe-inline': Plotly and the dropdowns set
style elements and attributes at run time, and a style cannot run code.
"""

from __future__ import annotations

from collections.abc import Sequence

import dash
import flask

STATIC_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def content_security_policy(script_hashes: Sequence[str]) -> str:
    """The policy: everything from this server only; inline scripts only by hash."""
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],  # the board's sparklines are data: SVG images
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def add_security_headers(app: dash.Dash) -> None:
    """Send the headers with every response of `app` (pages, callbacks, assets, downloads)."""
    policy: list[str] = []  # built on the first response, once every inline script is registered

    @app.server.after_request
    def security_headers(response: flask.Response) -> flask.Response:
        if not policy:
            policy.append(content_security_policy(app.csp_hashes()))
        response.headers["Content-Security-Policy"] = policy[0]
        for name, value in STATIC_HEADERS.items():
            response.headers.setdefault(name, value)
        return response
