"""Länsöversikt: the whole län at a glance – every indicator, its trend, target and kommuner."""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, State, callback, clientside_callback, dcc, html

from metrics.dashboard.logic.board import BoardRow, BoardSection, board, board_frame
from metrics.dashboard.logic.choices import (
    kommuner_by_name,
    lan_name,
    lan_period_options,
    largest_kommun,
)
from metrics.dashboard.logic.comparison import (
    DIRECTIONAL_CLASSES,
    NEUTRAL_CLASSES,
    NOT_TESTED,
    STYLES,
    SUPPRESSED_CLASS,
)
from metrics.dashboard.logic.definition import definition_table_rows
from metrics.dashboard.logic.format import (
    NBSP,
    format_change,
    format_interval,
    format_number,
    format_period,
    format_value,
    unit_suffix,
)
from metrics.dashboard.logic.periods import parse_period, previous_comparable
from metrics.dashboard.logic.plan import plan_of
from metrics.dashboard.logic.standardised import COMPARED_STANDARDISED
from metrics.dashboard.logic.urlstate import build_query, page_state, parse_state, resolve_lan, resolve_period
from metrics.dashboard.logic.verdicts import method_text, tally
from metrics.dashboard.source.context import catalogue, current_snapshot, settings
from metrics.dashboard.source.data import DataUnavailable
from metrics.dashboard.views.components import (
    attrs,
    legend,
    safe,
    triggered_id,
)
from metrics.dashboard.views.downloads import DownloadInfo, download
from metrics.dashboard.views.page import (
    download_kind,
    empty_page,
    lan_control,
    page_head,
    page_shell,
    page_url,
    period_control,
    toolbar,
)
from metrics.dashboard.views.sparkline import sparkline_data_uri

PAGE = "oversikt"


def layout(**params: Any) -> html.Div:
    state = parse_state(params)
    try:
        snap = current_snapshot()
    except DataUnavailable as exc:
        return empty_page(HEAD, exc)
    lan = resolve_lan(state.lan, snap.lans, settings().default_lan)
    if lan is None:
        return empty_page(HEAD)
    period = resolve_period(state.period, snap.periods(lan=lan), snap.partial_periods(lan))
    controls = [lan_control(PAGE, snap, lan), period_control(PAGE, lan_period_options(snap, lan), period)]
    print_button = html.Button(
        "Skriv ut", id=f"{PAGE}-print", className="button button-secondary", n_clicks=0
    )
    return page_shell(PAGE, HEAD, toolbar(PAGE, controls, "Val för översikten", actions=[print_button]))


HEAD = page_head(
    "Länsöversikt",
    "Alla indikatorer för länet: värde, förändring, mål och hur varje kommun ligger till jämfört med "
    "länet. Färg och symbol visar bara skillnader som håller statistiskt – små kommuner har "
    "stora osäkerhetsintervall.",
)


def _kommun_href(code: str, lan: str, period: str, indicator: str | None = None) -> str:
    return dash.get_relative_path(f"/kommun/{code}") + build_query(
        lan=lan, period=period, indikator=indicator
    )


def _indicator_href(indicator: str, lan: str, period: str) -> str:
    return dash.get_relative_path(f"/indikator/{indicator}") + build_query(lan=lan, period=period)


def _short_unit(unit: str) -> str:
    """In the board the unit stands under the indicator's name; only '%' follows the number."""
    return unit if unit.strip() == "%" else ""


def _change_amount(diff: float, decimals: int, unit: str) -> str:
    """'+1,8 p.e.' for a percentage (the full words are read out), the bare number otherwise."""
    text = format_number(diff, decimals, sign=True)
    return f"{text}{NBSP}p.e." if unit.strip() == "%" else text


def _change_cell(row: BoardRow) -> html.Td:
    if row.change is None and row.partial:
        why = f"Perioden är ofullständig ({row.partial}) och jämförs inte med en hel period"
        return html.Td(html.Span("jämförs inte", className="muted", title=why), className="col-change")
    if row.change is None:
        return html.Td(html.Span("–", className="muted"), className="col-change")
    ind = row.indicator
    since = format_period(row.previous_period) if row.previous_period else ""
    return html.Td(
        [
            html.Span(
                [
                    html.Span(row.change.arrow, className="arrow", **attrs({"aria-hidden": "true"})),
                    f" {row.change.words}",
                ],
                className=f"change change-{row.change.tone}",
            ),
            html.Span(
                _change_amount(row.change.diff, ind.decimals, ind.unit),
                className="change-amount",
                title=format_change(row.change.diff, ind.decimals, ind.unit),
                **attrs({"aria-hidden": "true"}),
            ),
            html.Span(
                f" {format_change(row.change.diff, ind.decimals, ind.unit)} sedan {since}",
                className="visually-hidden",
            ),
        ],
        className="col-change",
    )


def _target_cell(row: BoardRow) -> html.Td:
    if row.target is None:
        return html.Td(html.Span("–", className="muted", title="Inget mål angivet"), className="col-target")
    tone = "met" if row.target.met else ("unmet" if row.target.met is False else "neutral")
    ind = row.indicator
    spec = row.target_spec
    goal = row.target.goal
    year = str(spec.year) if spec is not None and spec.year is not None else ""
    parts = [f"mål {format_value(goal, ind.decimals, ind.unit)}" if goal is not None else "", year]
    sub = " · ".join(p for p in parts if p)
    origin = "Exempelmål" if spec is not None and spec.example else ""
    source = spec.source if spec is not None else ""
    return html.Td(
        [
            html.Span(row.target.text, className=f"target target-{tone}"),
            html.Span(sub, className="target-goal") if sub else None,
            html.Span(origin, className="target-example", title=spec.provenance if spec else None)
            if origin
            else None,
            html.Span(source, className="target-source") if source and not origin else None,
        ],
        className="col-target",
    )


def _trend_cell(row: BoardRow) -> html.Td:
    ind = row.indicator
    known = [(y, v) for y, v in zip(row.trend_years, row.trend_values, strict=True) if v is not None]
    if len(known) < 2:
        return html.Td(html.Span("–", className="muted"), className="col-trend")
    words = "; ".join(f"{y}: {format_value(v, ind.decimals, ind.unit)}" for y, v in known)
    return html.Td(
        [
            html.Img(
                src=sparkline_data_uri(row.trend_values, 76, 26),
                alt=f"Trend för länet, {words}",
                className="sparkline",
                width=76,
                height=26,
            ),
            html.Span(
                f"{row.trend_years[0]}–{row.trend_years[-1]}",
                className="trend-years",
                **attrs({"aria-hidden": "true"}),
            ),
            html.Span(f"{row.trend.symbol} {row.trend.words}", className=f"trend-word trend-{row.trend.tone}")
            if row.trend
            else None,
        ],
        className="col-trend",
    )


def _row(row: BoardRow, lan: str, period: str, n_kommuner: int) -> html.Tr:
    ind = row.indicator
    unit = unit_suffix(ind.unit) or ind.unit
    head = html.Th(
        [
            dcc.Link(ind.title, href=_indicator_href(ind.id, lan, period), className="indicator-link"),
            html.Span(unit, className="indicator-unit"),
        ],
        scope="row",
        className="col-ind",
    )
    if row.note:
        return html.Tr(
            [
                head,
                html.Td(html.Span(row.note, className="muted"), colSpan=4 + n_kommuner, className="row-note"),
            ],
            className="board-row board-row-empty",
        )
    interval = format_interval(row.ci_low, row.ci_high, ind.decimals)
    value = html.Td(
        [
            html.Span(format_value(row.value, ind.decimals, _short_unit(ind.unit)), className="lan-value"),
            html.Span(interval, className="ci", title="95 % konfidensintervall") if interval else None,
            html.Span(row.standardised, className="coverage-note") if row.standardised else None,
            html.Span(COMPARED_STANDARDISED, className="coverage-note")
            if row.compared_standardised
            else None,
            html.Span(row.partial, className="partial") if row.partial else None,
            html.Span(row.missing, className="coverage-note") if row.missing else None,
        ],
        className="col-lan",
    )
    # 16 indicators × up to 49 kommuner: each cell is two components (a plain <a> named by
    # aria-label, the symbol and number as one text), so the board stays fast to build and send.
    base = dash.get_relative_path("/kommun/")
    query = build_query(lan=lan, period=period, indikator=ind.id)
    cells = []
    for cell in row.cells:
        style = STYLES[cell.cls]
        symbol = style.symbol if style.symbol and cell.cls != "no_data" else ""
        mark = symbol
        if cell.trend is not None and cell.trend.tone != "neutral":
            mark += f"{NBSP}{cell.trend.symbol}"  # only a certain trend earns a mark, on the symbol's line
        text = f"{mark}\n{cell.text}" if mark else cell.text
        cells.append(
            html.Td(
                html.A(
                    text,
                    href=f"{base}{cell.code}{query}",
                    title=cell.description,
                    className="cell-link",
                    **attrs({"aria-label": cell.description, "data-spa": "1"}),
                ),
                className=f"cell cmp-{cell.cls}",
                **attrs({"data-name": cell.name}),
            )
        )
    return html.Tr(
        [head, value, _change_cell(row), _trend_cell(row), _target_cell(row), *cells], className="board-row"
    )


def _board_table(
    sections: list[BoardSection], lan: str, period: str, kommuner: list[tuple[str, str]]
) -> html.Div:
    previous = previous_comparable(period)
    selected = parse_period(period)
    heads = [
        html.Th("Indikator", scope="col", className="col-ind"),
        html.Th(
            ["Länet", html.Br(), html.Span(format_period(period), className="th-sub")],
            scope="col",
            className="col-lan",
        ),
        html.Th(
            [
                "Förändring",
                html.Br(),
                html.Span(f"sedan {format_period(previous)}" if previous else "", className="th-sub"),
            ],
            scope="col",
            className="col-change",
        ),
        html.Th(
            ["Trend", html.Br(), html.Span("per år", className="th-sub")], scope="col", className="col-trend"
        ),
        html.Th("Mål", scope="col", className="col-target"),
    ]
    for code, name in kommuner:
        heads.append(
            html.Th(
                dcc.Link(
                    html.Span(name),
                    href=_kommun_href(code, lan, period),
                    className="kommun-head-link",
                    title=f"Visa {name}",
                ),
                scope="col",
                className="col-kommun",
            )
        )
    body = []
    width = 5 + len(kommuner)
    for section in sections:
        title: list[Any] = [section.area.title]
        if section.note:
            title.append(html.Span(f" – {section.note.lower()}", className="area-note"))
        body.append(
            html.Tr(
                html.Th(
                    title,
                    colSpan=width,
                    scope="colgroup",
                    className=f"area-head area-depth-{min(section.depth, 3)}",
                    id=f"omrade-{section.area.id}",
                ),
                className="area-row",
            )
        )
        body.extend(_row(r, lan, period, len(kommuner)) for r in section.rows)
    caption = f"Indikatorer för {lan_name(lan)} {format_period(period)}, med varje kommun jämförd med länet"
    if selected and selected.type == "quarter":
        caption += " (kvartal jämförs med samma kvartal året innan)"
    table = html.Table(
        [html.Caption(caption, className="visually-hidden"), html.Thead(html.Tr(heads)), html.Tbody(body)],
        className="board",
    )
    return html.Div(
        table,
        className="board-scroll",
        tabIndex="0",
        role="region",
        **attrs({"aria-label": "Länets mätavla"}),
    )


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
        ("Når målet", f"{met} av {len(with_target)}", "indikatorer som har ett mål", "neutral"),
        ("Säker förbättring", f"{improved.count} av {improved.of}", tested, "good"),
        ("Säker försämring", f"{worsened.count} av {worsened.of}", tested, "bad"),
        (
            "Kommunvärden sämre än länet",
            f"{worse} av {len(cells)}",
            f"jämförda kommunvärden; {better} bättre",
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


def render(lan: str, period: str) -> list[Any]:
    """The page content for a län and period (the callback's pure body)."""
    snap = current_snapshot()
    cat = catalogue()
    sections = board(snap, cat, lan, period)
    kommuner = kommuner_by_name(snap, lan)
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
        _board_table(sections, lan, period, kommuner),
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
    snap = current_snapshot()
    state = page_state(
        PAGE,
        dash.get_relative_path("/"),
        replace=triggered_id() is None,
        lan=lan,
        period=period,
        default_kommun=largest_kommun(snap, lan),
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
def download_board(_csv: int, _xlsx: int, lan: str, period: str) -> dict[str, object]:
    cat = catalogue()
    sections = board(current_snapshot(), cat, lan, period)
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
