"""The page of a preview (`matavla preview`): /forhandsgranskning/<token>, marked "inte publicerad".

A plain server-rendered page beside the Dash app, not one of its pages: it is reached only
through the link the command printed, is in no navigation, and reads nothing from the
board's database – only the preview stored beside it (`metrics.previews`).
"""

from __future__ import annotations

import dash
import flask
from markupsafe import Markup, escape

from metrics.dashboard.source.context import catalogue, settings
from metrics.previews import ROUTE, StoredPreview, cell_text, load_preview, preview_grid

LATEST_YEARS = 5
BANNER = "Förhandsgranskning – inte publicerad"


def register_preview_page(app: dash.Dash) -> None:
    """Serve /forhandsgranskning/<token> from the app's Flask server."""
    app.server.add_url_rule(
        app.get_relative_path(ROUTE) + "<token>", endpoint="matavla-preview", view_func=_view
    )


def _view(token: str) -> flask.Response:
    stored = load_preview(settings().db_path, token)
    if stored is None:
        body = Markup(
            '<div class="alert alert-error" role="status"><h1 class="alert-title">'
            "Förhandsgranskningen finns inte</h1><p>Länken är fel, eller förhandsgranskningen är äldre "
            "än 14 dagar och har tagits bort. Kör <code>matavla preview ID</code> igen för en ny länk."
            "</p></div>"
        )
        response = flask.Response(_document("Förhandsgranskningen finns inte", body), status=404)
    else:
        response = flask.Response(
            _document(f"{BANNER}: {stored.meta.get('title', '')}", preview_body(stored))
        )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def preview_body(stored: StoredPreview) -> Markup:
    meta = stored.meta
    decimals = int(meta.get("decimals", 1))
    groups = {g.id: g.name for level in catalogue().area_levels for g in level.groups}
    periods, rows = preview_grid(stored.results, groups, latest=LATEST_YEARS)
    published = bool(meta.get("published"))
    note = (
        "Inom parentes: ändringen mot det värde som är publicerat på tavlan."
        if published
        else "Indikatorn är inte publicerad: det finns inget att jämföra med."
    )
    head = "".join(f'<th scope="col" class="num">{escape(p)}</th>' for p in periods)
    body_rows = []
    for row in rows:
        name = f"{row.code} {row.name}" if row.level == "kommun" else row.name
        cells = []
        for cell in row.cells:
            value, change = cell_text(cell, decimals)
            extra = f' <span class="preview-change">({escape(change)})</span>' if change else ""
            cells.append(f'<td class="num">{escape(value)}{extra}</td>')
        body_rows.append(f'<tr><th scope="row">{escape(name)}</th>{"".join(cells)}</tr>')
    table = (
        '<div class="table-scroll" tabindex="0" role="region" aria-label="Förhandsgranskade värden">'
        f'<table class="data-table"><caption>{escape(meta.get("title", ""))} per år, '
        f"{escape(meta.get('unit', ''))}</caption>"
        f'<thead><tr><th scope="col">Område</th>{head}</tr></thead>'
        f"<tbody>{''.join(body_rows)}</tbody></table></div>"
        if rows
        else "<p>Inga resultat: utdragen som indikatorn läser saknas i databasen.</p>"
    )
    texts = [("Täljare", meta.get("numerator_text")), ("Nämnare", meta.get("denominator_text"))]
    definition = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in texts if v)
    return Markup(
        '<div class="alert alert-empty preview-banner" role="note">'
        f'<p class="alert-title"><strong>{BANNER}</strong></p>'
        f"<p>Beräknad {escape(meta.get('created', ''))} ur {escape(meta.get('catalogue', ''))} "
        f"(indikator <code>{escape(meta.get('id', ''))}</code>). Siffrorna syns inte på tavlan förrän "
        "de publiceras med <code>matavla compute</code>.</p></div>"
        f'<h1 class="page-title">{escape(meta.get("title", ""))}</h1>'
        f"<p>{escape(meta.get('description', ''))}</p>"
        f"<dl>{definition}</dl>{table}<p>{escape(note)}</p>"
    )


def _document(title: str, body: Markup) -> str:
    css = dash.get_asset_url("matavla.css")
    return (
        '<!DOCTYPE html><html lang="sv"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{escape(title)} – Mätavla</title>"
        f'<link rel="stylesheet" href="{escape(css)}"></head>'
        '<body><div class="app"><header class="site-header"><div class="header-inner">'
        f'<a class="brand" href="{escape(dash.get_relative_path("/"))}">'
        '<span class="brand-name">Mätavla</span></a>'
        '</div></header><main id="main" class="site-main"><div class="page">'
        f"{body}</div></main></div></body></html>"
    )
