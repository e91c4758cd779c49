"""The skeleton the indicator pages share: head, toolbar and its controls, content area, callback helpers.

Component ids keep the page prefix (`<page>-lan`, `<page>-period`, `<page>-markera`,
`<page>-content`), so the browser tests and the URL state see the same ids as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dash
import flask
from dash import Input, Output, State, callback, html, no_update

from metrics.catalogue.model import Catalogue
from metrics.dashboard.logic.choices import (
    indicator_options,
    indicator_period_options,
    kommun_options,
    lan_options,
    lan_period_options,
    largest_kommun,
)
from metrics.dashboard.logic.urlstate import ViewState, parse_state, resolve_lan, resolve_period
from metrics.dashboard.source.context import current_snapshot, indicator_or_none, settings
from metrics.dashboard.source.data import DataUnavailable, Snapshot
from metrics.dashboard.source.version_memo import VersionMemo
from metrics.dashboard.views.components import attrs, control, download_bar, dropdown, no_data, triggered_id

NO_RESULTS = DataUnavailable("empty", "Resultattabellen är tom.")


def page_head(title: str, intro: str) -> html.Div:
    return html.Div(
        [html.H1(title, className="page-title"), html.P(intro, className="page-intro")],
        className="page-head",
    )


def empty_page(head: html.Div, exc: DataUnavailable = NO_RESULTS) -> html.Div:
    """The page with its head and the friendly 'no data' message instead of controls."""
    return html.Div([head, no_data(exc)], className="page")


PageBody = Callable[..., "html.Div | None"]


def snapshot_layout(head: html.Div) -> Callable[[PageBody], Callable[..., html.Div]]:
    """Make a page's `layout(**params)` from its body, `body(state, snap, **params)`.

    What every page over the results starts with: the URL state parsed, the snapshot read, and
    the empty page (the head and the friendly 'no data' message) when there is no snapshot, or
    when the body finds nothing to show and returns None.
    """

    def decorate(body: PageBody) -> Callable[..., html.Div]:
        def layout(**params: Any) -> html.Div:
            state = parse_state(params)
            try:
                snap = current_snapshot()
            except DataUnavailable as exc:
                return empty_page(head, exc)
            # the body's own two names are not the query's: '?snap=1' must not reach it twice
            rest = {k: v for k, v in params.items() if k not in ("state", "snap")}
            page = body(state, snap, **rest)
            return page if page is not None else empty_page(head)

        layout.__doc__ = body.__doc__
        return layout

    return decorate


def chosen_lan(state: ViewState, snap: Snapshot) -> str | None:
    """The län the URL names, else the installation's default, else the first delivered."""
    return resolve_lan(state.lan, snap.lans, settings().default_lan)


# län → its largest kommun, the kommun a page marks by default (a scan of the län's rows per call)
_largest: VersionMemo[str | None] = VersionMemo(32)


def default_kommun(lan: str | None) -> str | None:
    """The län's largest kommun (`largest_kommun`), found once per database version."""
    if not lan:
        return None
    return _largest.get(lan, lambda: largest_kommun(current_snapshot(), lan), lans=[lan])


def content_area(page: str) -> html.Div:
    """Where the page's callback renders its view (id '<page>-content', announced politely)."""
    return html.Div(id=f"{page}-content", className="page-content", **attrs({"aria-live": "polite"}))


def page_shell(page: str, head: html.Div, toolbar: html.Div, *after: Any) -> html.Div:
    return html.Div([head, toolbar, content_area(page), *after], className="page")


def toolbar(page: str, controls: list[Any], label: str, *, actions: list[Any] | None = None) -> html.Div:
    """The row of controls with the download buttons (and any further actions) to the right."""
    return html.Div(
        [
            html.Div(controls, className="controls"),
            html.Div([download_bar(page), *(actions or [])], className="toolbar-actions"),
        ],
        className="toolbar",
        role="search",
        **attrs({"aria-label": label}),
    )


def lan_control(page: str, snap: Snapshot, lan: str) -> html.Div:
    return control("Län", f"{page}-lan", dropdown(f"{page}-lan", lan_options(snap), lan))


def period_control(page: str, options: list[dict[str, str]], period: str | None) -> html.Div:
    return control("Period", f"{page}-period", dropdown(f"{page}-period", options, period))


def lan_and_period(page: str, state: ViewState, snap: Snapshot) -> tuple[str, str | None, list[Any]] | None:
    """The län and period a län page shows (from the address, else defaults) and their two controls;
    None when the database has no län."""
    lan = chosen_lan(state, snap)
    if lan is None:
        return None
    period = resolve_period(state.period, snap.periods(lan=lan), snap.partial_periods(lan))
    controls = [lan_control(page, snap, lan), period_control(page, lan_period_options(snap, lan), period)]
    return lan, period, controls


def indicator_control(component_id: str, cat: Catalogue, indicator: str | None) -> html.Div:
    return control(
        "Indikator", component_id, dropdown(component_id, indicator_options(cat), indicator), wide=True
    )


def markera_control(page: str, snap: Snapshot, lan: str, markera: tuple[str, ...] | list[str]) -> html.Div:
    """'Markera kommuner': highlight some of the län's kommuner (codes not in the län are dropped)."""
    kommuner = set(snap.kommuner(lan))
    return control(
        "Markera kommuner",
        f"{page}-markera",
        dropdown(
            f"{page}-markera",
            kommun_options(snap, lan),
            [c for c in markera if c in kommuner],
            multi=True,
            placeholder="Välj en eller flera …",
        ),
        wide=True,
    )


def kept_choices(
    snap: Snapshot,
    lan: str,
    period_options: list[dict[str, str]],
    period: str | None,
    markera: list[str] | None,
) -> tuple[Any, Any, Any, Any]:
    """Period options and value, kommun options and highlighted kommuner after the län or indicator changed.

    Values still valid are kept (`no_update`), so the view does not redraw twice.
    """
    values = [o["value"] for o in period_options]
    new_period = no_update if period in values else resolve_period(None, values, snap.partial_periods(lan))
    kommuner = set(snap.kommuner(lan))
    kept = [c for c in (markera or []) if c in kommuner]
    return (
        period_options,
        new_period,
        kommun_options(snap, lan),
        kept if kept != (markera or []) else no_update,
    )


def page_url(path: str, query: str) -> str:
    """The absolute address of a view, for the download's front sheet."""
    return flask.request.host_url.rstrip("/") + dash.get_relative_path(path) + query


def download_kind(page: str) -> str:
    """'csv' or 'xlsx', after the button that was clicked."""
    return "csv" if triggered_id() == f"{page}-csv" else "xlsx"


def register_choice_updates(page: str, indicator_id: str) -> None:
    """The callback that refreshes the period and 'Markera kommuner' choices when län or indicator change.

    The periods include months for indicators computed per month.
    """

    @callback(
        Output(f"{page}-period", "options"),
        Output(f"{page}-period", "value"),
        Output(f"{page}-markera", "options"),
        Output(f"{page}-markera", "value"),
        Input(f"{page}-lan", "value"),
        Input(indicator_id, "value"),
        State(f"{page}-period", "value"),
        State(f"{page}-markera", "value"),
        prevent_initial_call=True,
    )
    def update_choices(
        lan: str, indicator: str, period: str, markera: list[str] | None
    ) -> tuple[Any, Any, Any, Any]:
        snap = current_snapshot()
        options = indicator_period_options(snap, lan, indicator_or_none(indicator))
        return kept_choices(snap, lan, options, period, markera)
