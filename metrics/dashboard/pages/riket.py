"""Riket: Sweden and its län at a glance – every indicator's riket value beside each län's."""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, State, callback, dcc, html

from metrics.dashboard.logic.choices import lan_name
from metrics.dashboard.logic.definition import definition_table_rows
from metrics.dashboard.logic.format import format_period, format_value, swedish_sort_key
from metrics.dashboard.logic.periods import period_options
from metrics.dashboard.logic.riket import RiketRow, all_lan, overview_frame, riket_overview
from metrics.dashboard.logic.urlstate import ViewState, build_query, page_state, resolve_period
from metrics.dashboard.source.context import catalogue, current_snapshot, settings
from metrics.dashboard.source.data import Snapshot
from metrics.dashboard.source.references import references
from metrics.dashboard.source.version_memo import VersionMemo
from metrics.dashboard.views.components import attrs, safe, section, triggered_id
from metrics.dashboard.views.downloads import DownloadInfo, download
from metrics.dashboard.views.page import (
    download_kind,
    page_head,
    page_shell,
    page_url,
    period_control,
    snapshot_layout,
    toolbar,
)
from metrics.dashboard.views.wire import Kept, kept

PAGE = "riket"

HEAD = page_head(
    "Riket",
    "Sverige och länen: varje indikators värde för riket bredvid varje läns. Mätavlan räknar fram "
    "riket när alla län är levererade; annars visas riket enligt Kolada där indikatorn har ett "
    "Kolada-nyckeltal.",
)


def _periods(snap: Snapshot) -> list[str]:
    return sorted({p for lan in snap.lans for p in snap.periods(lan=lan)})


@snapshot_layout(HEAD)
def layout(state: ViewState, snap: Snapshot, **_: Any) -> html.Div | None:
    if not snap.lans:
        return None
    partial = frozenset(p for lan in snap.lans for p in snap.partial_periods(lan))
    period = resolve_period(state.period, _periods(snap), partial)
    controls = [period_control(PAGE, period_options(_periods(snap), ("year", "quarter")), period)]
    return page_shell(PAGE, HEAD, toolbar(PAGE, controls, "Val för riket"))


def lan_columns(snap: Snapshot) -> dict[str, str]:
    """The delivered län, code → name, in Swedish alphabetical order."""
    return dict(sorted(((c, lan_name(c)) for c in snap.lans), key=lambda item: swedish_sort_key(item[1])))


def overview(period: str) -> list[RiketRow]:
    snap = current_snapshot()
    stored = references(settings().db_path)
    return riket_overview(snap.national_totals(), stored, list(catalogue().indicators), period)


def coverage_note(snap: Snapshot) -> str:
    delivered, total = len(snap.lans), len(all_lan())
    if delivered == total:
        return f"Mätavlan har data från alla {total} län."
    names = ", ".join(lan_name(c) for c in lan_columns(snap))
    return (
        f"Mätavlan har data från {delivered} av {total} län ({names}) och räknar därför inte fram "
        "riket. Riket visas enligt Kolada där indikatorn har ett Kolada-nyckeltal (kolada: i "
        "katalogen) och värdena har hämtats med matavla kolada; annars står ett streck."
    )


def _cell(name: str, value: float | None, hidden: bool, decimals: int, unit: str, extra: str = "") -> html.Td:
    """A value cell; `data-name` carries its column's name, which a phone shows above the value
    when each indicator becomes a card (assets/matavla.css)."""
    text = "för få" if hidden else format_value(value, decimals, unit)
    return html.Td(text, className=f"num {extra}".strip(), **attrs({"data-name": name}))


# period → the page's content, built once per database version (a file change, a compute or a
# Kolada fetch, is a new version): building it reads every indicator's riket and län totals, about
# 0.4 s of CPU with all 21 län and 290 kommuner, the same for every viewer.
_pages: VersionMemo[Kept] = VersionMemo(16)


def render(period: str) -> list[Any]:
    """The page's content (the callback's pure body), kept per database version."""
    return _page(period).content


def _page(period: str) -> Kept:
    return _pages.get(("riket", period), lambda: kept(_build(period)))


def _build(period: str) -> list[Any]:
    snap = current_snapshot()
    lans = lan_columns(snap)
    rows = overview(period)
    head = html.Tr(
        [
            html.Th("Indikator", scope="col"),
            html.Th("Riket", scope="col", className="num"),
            *(
                html.Th(
                    dcc.Link(name, href=dash.get_relative_path("/") + build_query(lan=code, period=period)),
                    scope="col",
                    className="num",
                )
                for code, name in lans.items()
            ),
            html.Th("Källa för riket", scope="col"),
        ]
    )
    body = []
    for row in rows:
        ind = row.indicator
        riket = row.riket
        if riket is not None:
            source = f"{riket.label}, {riket.source}"
        else:
            source = f"inget riket ({row.coverage})" if row.coverage else "inget riket"
        body.append(
            html.Tr(
                [
                    html.Th(
                        dcc.Link(
                            ind.title,
                            href=dash.get_relative_path(f"/indikator/{ind.id}") + build_query(period=period),
                        ),
                        scope="row",
                    ),
                    _cell(
                        "Riket", riket.value if riket else None, False, ind.decimals, ind.unit, "riket-value"
                    ),
                    *(
                        _cell(name, row.lans.get(c), c in row.suppressed, ind.decimals, ind.unit)
                        for c, name in lans.items()
                    ),
                    html.Td(
                        source, className="muted riket-source", **attrs({"data-name": "Källa för riket"})
                    ),
                ]
            )
        )
    table = html.Div(
        html.Table(
            [
                html.Caption(f"Riket och länen, {format_period(period)}"),
                html.Thead(head),
                html.Tbody(body),
            ],
            className="data-table riket-table",
        ),
        className="card table-scroll riket-scroll",
    )
    return [
        html.H2(f"Riket och länen · {format_period(period)}", className="view-title"),
        html.P(coverage_note(snap), className="method-note"),
        section("Alla indikatorer", table)
        if body
        else html.P("Inga resultat för perioden.", className="muted"),
    ]


@callback(
    Output(f"{PAGE}-content", "children"),
    Output("app-query", "data", allow_duplicate=True),
    Input(f"{PAGE}-period", "value"),
    prevent_initial_call="initial_duplicate",
)
@safe(outputs=2)
def update(period: str) -> tuple[Any, dict[str, object]]:
    state = page_state(PAGE, dash.get_relative_path("/riket"), replace=triggered_id() is None, period=period)
    return _page(period).wire, state


@callback(
    Output(f"{PAGE}-download", "data"),
    Input(f"{PAGE}-csv", "n_clicks"),
    Input(f"{PAGE}-xlsx", "n_clicks"),
    State(f"{PAGE}-period", "value"),
    prevent_initial_call=True,
)
def download_riket(_csv: int, _xlsx: int, period: str) -> dict[str, object]:
    cat = catalogue()
    rows = overview(period)
    frame = overview_frame(rows, lan_columns(current_snapshot()))
    info = DownloadInfo(
        title="Mätavla – Riket",
        view=[("Period", format_period(period))],
        computed_at=current_snapshot().computed_at,
        url=page_url("/riket", build_query(period=period)),
        definitions=definition_table_rows([row.indicator for row in rows], cat),
    )
    return download(download_kind(PAGE), frame, info, ["riket", period])


dash.register_page(
    __name__,
    path="/riket",
    name="Riket",
    title="Riket – Mätavla",
    description="Riket och alla län för varje indikator",
    order=6,
    layout=layout,
)
