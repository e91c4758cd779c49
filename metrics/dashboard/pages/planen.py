"""Planen: the län's own plan at a glance – per heading, targets met, certain changes, kommuner apart."""

from __future__ import annotations

from typing import Any

import dash
import pandas as pd
from dash import Input, Output, State, callback, dcc, html

from metrics.catalogue.model import Catalogue
from metrics.catalogue.plan_model import Plan
from metrics.dashboard.logic.board import board_rows
from metrics.dashboard.logic.choices import lan_name
from metrics.dashboard.logic.definition import definition_table_rows
from metrics.dashboard.logic.format import count_text, format_period
from metrics.dashboard.logic.periods import previous_comparable
from metrics.dashboard.logic.plan import AreaStatus, StandOut, plan_of, plan_status
from metrics.dashboard.logic.urlstate import (
    ViewState,
    build_query,
    page_state,
)
from metrics.dashboard.source.context import catalogue, current_snapshot
from metrics.dashboard.source.data import Snapshot
from metrics.dashboard.views.components import safe, triggered_id
from metrics.dashboard.views.downloads import DownloadInfo, download
from metrics.dashboard.views.page import (
    default_kommun,
    download_kind,
    lan_and_period,
    page_head,
    page_shell,
    page_url,
    snapshot_layout,
    toolbar,
)

PAGE = "planen"
NOT_FOLLOWED = "Följs ännu inte upp"
SHOWN_KOMMUNER = 3  # kommuner named per line; the rest are counted

HEAD = page_head(
    "Planen",
    "Länets egen plan, område för område: hur många indikatorer som når sitt mål, som säkert "
    "förbättras eller försämras, och vilka kommuner som skiljer sig från länet. Ett område utan "
    "indikatorer står som att det ännu inte följs upp.",
)


@snapshot_layout(HEAD)
def layout(state: ViewState, snap: Snapshot, **_: Any) -> html.Div | None:
    chosen = lan_and_period(PAGE, state, snap)
    if chosen is None:
        return None
    controls = chosen[2]
    return page_shell(PAGE, HEAD, toolbar(PAGE, controls, "Val för planen"))


def _indicator_href(indicator: str, lan: str, period: str) -> str:
    return dash.get_relative_path(f"/indikator/{indicator}") + build_query(lan=lan, period=period)


def _kommun_href(code: str, lan: str, period: str) -> str:
    return dash.get_relative_path(f"/kommun/{code}") + build_query(lan=lan, period=period)


def stand_out_text(items: tuple[StandOut, ...]) -> str:
    """'Motala (2 av 3), Kinda (1 av 3) och 2 till' – the kommuner apart on most indicators first."""
    named = [f"{k.name} ({k.count} av {k.of})" for k in items[:SHOWN_KOMMUNER]]
    rest = len(items) - SHOWN_KOMMUNER
    if rest > 0:
        named.append(f"{rest} till")
    if not named:
        return "inga"
    return named[0] if len(named) == 1 else ", ".join(named[:-1]) + " och " + named[-1]


def _kommun_links(items: tuple[StandOut, ...], lan: str, period: str) -> list[Any]:
    if not items:
        return [html.Span("inga", className="muted")]
    parts: list[Any] = []
    for i, k in enumerate(items[:SHOWN_KOMMUNER]):
        if i:
            parts.append(", ")
        parts.append(dcc.Link(k.name, href=_kommun_href(k.code, lan, period)))
        parts.append(f" ({k.count} av {k.of})")
    rest = len(items) - SHOWN_KOMMUNER
    if rest > 0:
        parts.append(f" och {rest} till")
    return parts


def _figure(title: str, value: str, tone: str, label: str) -> html.Li:
    return html.Li(
        [html.Span(title, className="plan-fig-title"), html.Span(value, className=f"plan-fig-value {tone}")],
        className="plan-fig",
        title=label,
    )


def _area(status: AreaStatus, lan: str, period: str, since: str) -> html.Section:
    """One heading: the plan's words, then its figures, then the kommuner apart and the indicators."""
    node = status.node
    level = min(3 + status.depth, 6)
    head: list[Any] = [getattr(html, f"H{level}")(node.title, className="plan-area-title")]
    if node.description:
        head.append(html.P(node.description, className="plan-area-words"))
    depth = f"plan-depth-{min(status.depth, 3)}"
    group = " plan-group" if node.children else ""
    if not status.followed:
        return html.Section(
            [
                html.Div(head, className="plan-area-head"),
                html.P(NOT_FOLLOWED, className="plan-not-followed"),
            ],
            className=f"plan-area {depth}{group} plan-area-empty",
            id=f"plan-{node.id}",
        )
    n = len(status.indicators)
    tested = f"av indikatorer med testad förändring {since}".rstrip()
    figures = html.Ul(
        [
            _figure("Indikatorer", str(n), "", f"{n} indikatorer följer upp området"),
            _figure(
                "Når målet",
                count_text(status.targets.count, status.targets.of),
                "",
                "indikatorer som når sitt mål, av dem som har ett mål som kan bedömas (– : inget mål)",
            ),
            _figure(
                "Säker förbättring",
                count_text(status.improving.count, status.improving.of),
                "tone-good" if status.improving.count else "",
                tested,
            ),
            _figure(
                "Säker försämring",
                count_text(status.worsening.count, status.worsening.of),
                "tone-bad" if status.worsening.count else "",
                tested,
            ),
        ],
        className="plan-figs",
    )
    links = [
        html.Li(dcc.Link(ind.title, href=_indicator_href(ind.id, lan, period))) for ind in status.indicators
    ]
    kommuner = [
        html.P(
            [
                html.Span("Sämre än länet: ", className="plan-label"),
                *_kommun_links(status.worse, lan, period),
            ],
            className="plan-kommuner",
        ),
        html.P(
            [
                html.Span("Bättre än länet: ", className="plan-label"),
                *_kommun_links(status.better, lan, period),
            ],
            className="plan-kommuner",
        ),
        html.Details(
            [html.Summary(f"Indikatorerna bakom ({n})"), html.Ul(links, className="plan-indicators")],
            className="plan-details",
        ),
    ]
    return html.Section(
        [
            html.Div(head, className="plan-area-head"),
            html.Div(figures, className="plan-area-figures"),
            html.Div(kommuner, className="plan-area-kommuner"),
        ],
        className=f"plan-area {depth}{group}",
        id=f"plan-{node.id}",
    )


def plan_intro(plan: Plan, lan: str) -> list[Any]:
    parts: list[Any] = [html.P([html.Strong(plan.name)], className="plan-name")]
    if plan.document:
        parts.append(html.P(plan.document, className="plan-document"))
    if plan.description:
        parts.append(html.P(plan.description, className="plan-description"))
    if plan.fallback:
        parts.append(
            html.P(
                f"{lan_name(lan)} har ingen egen planfil i plans/; rubrikerna kommer från katalogen.",
                className="coverage-note",
            )
        )
    return parts


def render(lan: str, period: str) -> list[Any]:
    """The page content for a län and period (the callback's pure body)."""
    snap = current_snapshot()
    cat = catalogue()
    plan = plan_of(cat, lan)
    rows = board_rows(snap, cat, lan, period)
    statuses = plan_status(plan, rows, cat)
    previous = previous_comparable(period)
    since = f"sedan {format_period(previous)}" if previous else ""
    board = dash.get_relative_path("/") + build_query(lan=lan, period=period)
    return [
        html.H2(f"{lan_name(lan)} · {format_period(period)}", className="view-title"),
        html.Div(plan_intro(plan, lan), className="plan-intro"),
        html.Div([_area(s, lan, period, since) for s in statuses], className="plan-areas"),
        html.P(
            [
                "Målen bedöms som på Länsöversikten; en förändring kallas säker bara när 95 % "
                f"konfidensintervallet för skillnaden {since} utesluter noll, och en kommun skiljer sig "
                "från länet bara när jämförelsen håller statistiskt. En indikator kan följa upp flera "
                "områden. ",
                dcc.Link("Alla värden på Länsöversikten", href=board),
                ".",
            ],
            className="footnote",
        ),
    ]


def plan_frame(cat: Catalogue, lan: str, period: str) -> pd.DataFrame:
    """The plan view as a table for downloads: one row per heading."""
    snap = current_snapshot()
    plan = plan_of(cat, lan)
    statuses = plan_status(plan, board_rows(snap, cat, lan, period), cat)
    return pd.DataFrame.from_records(
        [
            {
                "Plan": plan.name,
                "Nivå": s.depth + 1,
                "Område": s.node.title,
                "Områdes-id": s.node.id,
                "Indikatorer": len(s.indicators),
                "Följs upp": "ja" if s.followed else NOT_FOLLOWED.lower(),
                "Når målet": s.targets.count,
                "Har bedömbart mål": s.targets.of,
                "Säker förbättring": s.improving.count,
                "Säker försämring": s.worsening.count,
                "Testad förändring": s.improving.of,
                "Sämre än länet": stand_out_text(s.worse) if s.followed else "",
                "Bättre än länet": stand_out_text(s.better) if s.followed else "",
                "Indikator-id": ", ".join(i.id for i in s.indicators),
            }
            for s in statuses
        ]
    )


@callback(
    Output(f"{PAGE}-content", "children"),
    Output("app-query", "data", allow_duplicate=True),
    Input(f"{PAGE}-lan", "value"),
    Input(f"{PAGE}-period", "value"),
    prevent_initial_call="initial_duplicate",
)
@safe(outputs=2)
def update(lan: str, period: str) -> tuple[Any, dict[str, object]]:
    state = page_state(
        PAGE,
        dash.get_relative_path("/planen"),
        replace=triggered_id() is None,
        lan=lan,
        period=period,
        default_kommun=default_kommun(lan),
    )
    return render(lan, period), state


@callback(
    Output(f"{PAGE}-download", "data"),
    Input(f"{PAGE}-csv", "n_clicks"),
    Input(f"{PAGE}-xlsx", "n_clicks"),
    State(f"{PAGE}-lan", "value"),
    State(f"{PAGE}-period", "value"),
    prevent_initial_call=True,
)
def download_plan(_csv: int, _xlsx: int, lan: str, period: str) -> dict[str, object]:
    cat = catalogue()
    plan = plan_of(cat, lan)
    info = DownloadInfo(
        title=f"Mätavla – Planen ({plan.name})",
        view=[("Län", lan_name(lan)), ("Period", format_period(period))],
        computed_at=current_snapshot().computed_at,
        url=page_url("/planen", build_query(lan=lan, period=period)),
        definitions=definition_table_rows([cat.indicator(i) for i in plan.indicator_ids], cat),
    )
    return download(download_kind(PAGE), plan_frame(cat, lan, period), info, ["planen", lan, period])


dash.register_page(
    __name__,
    path="/planen",
    name="Planen",
    title="Planen – Mätavla",
    description="Länets plan område för område: mål, säkra förändringar och kommuner som skiljer sig",
    order=1,
    layout=layout,
)
