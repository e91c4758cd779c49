"""Länsöversikt: the whole län at a glance – every indicator, its trend, target and kommuner."""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, State, callback, clientside_callback, dcc, html

from metrics.dashboard.logic.board import BoardSection, board, board_frame
from metrics.dashboard.logic.choices import (
    kommuner_by_name,
    lan_name,
)
from metrics.dashboard.logic.comparison import (
    DIRECTIONAL_CLASSES,
    NEUTRAL_CLASSES,
    NOT_TESTED,
    SUPPRESSED_CLASS,
)
from metrics.dashboard.logic.definition import definition_table_rows
from metrics.dashboard.logic.format import NBSP, count_text, format_int, format_period
from metrics.dashboard.logic.periods import previous_comparable
from metrics.dashboard.logic.plan import plan_of
from metrics.dashboard.logic.urlstate import ViewState, build_query, page_state
from metrics.dashboard.logic.verdicts import method_text, tally
from metrics.dashboard.source.context import catalogue, current_snapshot
from metrics.dashboard.source.data import Snapshot
from metrics.dashboard.source.version_memo import VersionMemo
from metrics.dashboard.views.board_table import board_table_html
from metrics.dashboard.views.components import legend, safe, triggered_id
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
from metrics.dashboard.views.rawhtml import raw_html
from metrics.dashboard.views.wire import Kept, kept

PAGE = "oversikt"


HEAD = page_head(
    "Länsöversikt",
    "Alla indikatorer för länet: värde, förändring, mål och hur varje kommun ligger till jämfört med "
    "länet. Färg och symbol visar bara skillnader som håller statistiskt – små kommuner har "
    "stora osäkerhetsintervall.",
)


@snapshot_layout(HEAD)
def layout(state: ViewState, snap: Snapshot, **_params: Any) -> html.Div | None:
    chosen = lan_and_period(PAGE, state, snap)
    if chosen is None:
        return None
    controls = chosen[2]
    print_button = html.Button(
        "Skriv ut", id=f"{PAGE}-print", className="button button-secondary", n_clicks=0
    )
    return page_shell(PAGE, HEAD, toolbar(PAGE, controls, "Val för översikten", actions=[print_button]))


BoardParts = tuple[list[BoardSection], str]

# (län, period) → the sections and the table's markup, for the database version, catalogue and app
# root they were built from. Viewers open a few län × periods per version; a 49-kommun län's board
# is ~1.1 M characters (~2.2 MB as a Python string), so 16 boards are at most ~40 MB per worker.
_boards: VersionMemo[BoardParts] = VersionMemo(16)


def board_parts(lan: str, period: str) -> BoardParts:
    """The board's sections and its table as markup, built once per database version, län and period."""

    def build() -> BoardParts:
        snap = current_snapshot()
        sections = board(snap, catalogue(), lan, period)
        kommuner = kommuner_by_name(snap, lan)
        base = dash.get_relative_path("/")
        return sections, board_table_html(sections, lan, lan_name(lan), period, kommuner, base)

    return _boards.get((lan, period), build, lans=[lan])


def _summary(sections: list[BoardSection], period: str) -> html.Ul:
    """Four headline figures for the meeting: targets, improvements, worsenings, kommuner apart."""
    unique = {r.indicator.id: r for s in sections for r in s.rows}  # one indicator under two headings
    rows = [r for r in unique.values() if r.note is None]
    with_target = [r for r in rows if r.target is not None and r.target.met is not None]
    met = sum(1 for r in with_target if r.target and r.target.met)
    changes = [r.change for r in rows if r.indicator.direction != "neutral"]
    improved = tally(changes, "improving")
    worsened = tally(changes, "worsening")
    cells = [c for r in rows for c in r.cells if c.cls in ("better", "similar", "worse")]
    worse = sum(1 for c in cells if c.cls == "worse")
    better = sum(1 for c in cells if c.cls == "better")
    previous = previous_comparable(period)
    since = f"sedan {format_period(previous)}" if previous else ""
    tested = f"indikatorer med testad förändring {since}".rstrip()
    items = [
        ("Når målet", count_text(met, len(with_target)), "indikatorer som har ett mål", "neutral"),
        ("Säker förbättring", count_text(improved.count, improved.of), tested, "good"),
        ("Säker försämring", count_text(worsened.count, worsened.of), tested, "bad"),
        (
            "Kommunvärden sämre än länet",
            count_text(worse, len(cells)),
            f"jämförda kommunvärden; {format_int(better)} bättre",
            "neutral",
        ),
    ]
    return html.Ul(
        [
            html.Li(
                [
                    html.Span(title, className="kpi-title"),
                    html.Span(big, className=f"kpi-value kpi-{tone}"),
                    html.Span(small, className="kpi-label"),
                ],
                className="kpi",
            )
            for title, big, small, tone in items
        ],
        className="kpis",
    )


def _method_note(sections: list[BoardSection]) -> str:
    """Which comparison the colours stand for, and which indicators use another."""
    cat = catalogue()
    text = f"Färgerna: kommunen {method_text(cat.comparison)}."
    unique = {r.indicator.id: r.indicator for s in sections for r in s.rows}
    others = [
        f"{ind.title}: {method_text(cat.comparison_of(ind))}"
        for ind in unique.values()
        if cat.comparison_of(ind) != cat.comparison
    ]
    if others:
        text += " Undantag – " + "; ".join(others) + "."
    return text + " Förändring och trend kallas säkra bara när intervallet eller testet utesluter slumpen."


# (län, period) → the page's content around the board (headline figures, legends, notes), in the
# form Dash sends it: rebuilding and serialising its ~50 components was half of a repeated answer
_pages: VersionMemo[Kept] = VersionMemo(16)


def render(lan: str, period: str) -> list[Any]:
    """The page content for a län and period (the callback's pure body), kept per database version."""
    return _page(lan, period).content


def _page(lan: str, period: str) -> Kept:
    return _pages.get((lan, period), lambda: kept(_build(lan, period)), lans=[lan])


def _build(lan: str, period: str) -> list[Any]:
    cat = catalogue()
    sections, table = board_parts(lan, period)
    legends = html.Div(
        [
            legend(DIRECTIONAL_CLASSES, title="Kommunen jämfört med länet"),
            legend(
                (*NEUTRAL_CLASSES, NOT_TESTED, SUPPRESSED_CLASS), title="Beskrivande indikatorer och övrigt"
            ),
        ],
        className="legends",
    )
    plan = plan_of(cat, lan)
    plan_line = html.P(
        [
            "Grupperat efter ",
            html.Strong(plan.name),
            " (fallback: katalogens områden)" if plan.fallback else "",
            ". ",
            dcc.Link(
                "Planen område för område",
                href=dash.get_relative_path("/planen") + build_query(lan=lan, period=period),
            ),
        ],
        className="plan-line",
    )
    return [
        html.H2(f"{lan_name(lan)} · {format_period(period)}", className="view-title"),
        plan_line,
        _summary(sections, period),
        html.P(_method_note(sections), className="method-note"),
        legends,
        raw_html(table, "board-table"),
        html.P(
            [
                "Klicka på en kommun för kommunens profil eller på en indikator för definition och "
                "detaljer. ",
                f"Förändring jämförs med samma period året innan och testas med 95{NBSP}% "
                "konfidensintervall för skillnaden. Trenden (de senaste fem åren) följer Fingertips metod "
                f"med 99,8{NBSP}% signifikans.",
            ],
            className="footnote",
        ),
    ]


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
        dash.get_relative_path("/"),
        replace=triggered_id() is None,
        lan=lan,
        period=period,
        default_kommun=default_kommun(lan),
    )
    return _page(lan, period).wire, state


@callback(
    Output(f"{PAGE}-download", "data"),
    Input(f"{PAGE}-csv", "n_clicks"),
    Input(f"{PAGE}-xlsx", "n_clicks"),
    State(f"{PAGE}-lan", "value"),
    State(f"{PAGE}-period", "value"),
    prevent_initial_call=True,
)
def download_board(_csv: int, _xlsx: int, lan: str, period: str) -> dict[str, object]:
    cat = catalogue()
    sections, _table = board_parts(lan, period)
    frame = board_frame(sections, lan_name(lan), period)
    info = DownloadInfo(
        title="Mätavla – Länsöversikt",
        view=[("Län", lan_name(lan)), ("Period", format_period(period))],
        computed_at=current_snapshot().computed_at,
        url=page_url("/", build_query(lan=lan, period=period)),
        definitions=definition_table_rows([cat.indicator(i) for i in plan_of(cat, lan).indicator_ids], cat),
    )
    kind = download_kind(PAGE)
    return download(kind, frame, info, ["lansoversikt", lan, period])


clientside_callback(
    "function(n) { if (n) { window.print(); } return window.dash_clientside.no_update; }",
    Output(f"{PAGE}-print", "title"),
    Input(f"{PAGE}-print", "n_clicks"),
    prevent_initial_call=True,
)

dash.register_page(
    __name__,
    path="/",
    name="Länsöversikt",
    title="Länsöversikt – Mätavla",
    description="Alla indikatorer för länet med kommunerna jämförda med länet",
    order=0,
    layout=layout,
)
