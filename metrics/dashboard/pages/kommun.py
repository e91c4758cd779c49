"""Kommun: one kommun against its län – spine chart, summary in words, trend and breakdowns."""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, State, callback, dcc, html

from metrics.catalogue.model import Indicator
from metrics.dashboard.logic.board import NOT_FOLLOWED
from metrics.dashboard.logic.choices import (
    kommun_name,
    kommun_options,
    lan_name,
    lan_of_kommun,
    lan_period_options,
    largest_kommun,
)
from metrics.dashboard.logic.comparison import (
    DIRECTIONAL_CLASSES,
    NEUTRAL_CLASSES,
    NOT_TESTED,
    STYLES,
    SUPPRESSED_CLASS,
    class_sentence,
)
from metrics.dashboard.logic.definition import definition_table_rows, format_target
from metrics.dashboard.logic.format import format_interval, format_period, format_value, short_unit
from metrics.dashboard.logic.periods import parse_period
from metrics.dashboard.logic.plan import plan_of
from metrics.dashboard.logic.profile import ProfileRow, profile_frame, profile_rows, profile_summary
from metrics.dashboard.logic.publication_notes import breakdown_note, months_note
from metrics.dashboard.logic.series import breakdown, trend, trend_frame
from metrics.dashboard.logic.standardised import COMPARED_STANDARDISED
from metrics.dashboard.logic.urlstate import (
    ViewState,
    build_query,
    page_state,
    resolve_period,
)
from metrics.dashboard.source.context import catalogue, current_snapshot, indicator_or_none
from metrics.dashboard.source.data import Snapshot
from metrics.dashboard.views.components import (
    as_table,
    attrs,
    control,
    dropdown,
    figure_block,
    legend,
    safe,
    scroll_region,
    section,
    triggered_id,
)
from metrics.dashboard.views.downloads import DownloadInfo, download
from metrics.dashboard.views.figures import (
    KOMMUN,
    KOMMUN_BAND,
    LAN,
    LAN_BAND,
    BreakdownSeries,
    Series,
    breakdown_figure,
    trend_figure,
)
from metrics.dashboard.views.page import (
    chosen_lan,
    download_kind,
    indicator_control,
    page_head,
    page_shell,
    page_url,
    period_control,
    snapshot_layout,
    toolbar,
)

PAGE = "kommun"


HEAD = page_head(
    "Kommunprofil",
    "Kommunen jämförd med länet på alla indikatorer. Staplarna visar spridningen mellan länets "
    "kommuner; den lodräta linjen är länet och cirkeln är kommunen – till höger är alltid bättre.",
)


@snapshot_layout(HEAD)
def layout(state: ViewState, snap: Snapshot, kod: str | None = None, **_: Any) -> html.Div | None:
    options = kommun_options(snap)
    codes = {o["value"] for o in options}
    if kod not in codes:
        lan = chosen_lan(state, snap)
        kod = next((c for c in state.markera if c in codes), None) or largest_kommun(snap, lan)
    if kod is None:
        return None
    lan = lan_of_kommun(kod) or ""
    period = resolve_period(state.period, snap.periods(lan=lan), snap.partial_periods(lan))
    cat = catalogue()
    indicator = indicator_or_none(state.indikator) or (cat.indicators[0] if cat.indicators else None)
    controls = [
        control("Kommun", f"{PAGE}-kommun", dropdown(f"{PAGE}-kommun", options, kod)),
        period_control(PAGE, lan_period_options(snap, lan), period),
    ]
    trend_controls = html.Div(
        indicator_control(f"{PAGE}-indikator", cat, indicator.id if indicator else None),
        className="controls section-controls",
    )
    trend_section = section(
        "Utveckling och nedbrytningar",
        [trend_controls, html.Div(id=f"{PAGE}-trend")],
        intro=(
            "Välj en indikator för att se kommunens utveckling jämfört med länet, och "
            "värdena per kön och åldersgrupp."
        ),
    )
    return page_shell(PAGE, HEAD, toolbar(PAGE, controls, "Val för kommunprofilen"), trend_section)


def _spine(row: ProfileRow, kommun: str) -> Any:
    g = row.geometry
    if g is None:
        return html.Span("–", className="muted")
    style = STYLES[row.cls]
    parts = [
        html.Div(
            className="spine-range",
            style={"left": f"{g.bar_left:.1f}%", "width": f"{g.bar_right - g.bar_left:.1f}%"},
        ),
        html.Div(
            className="spine-quartiles",
            style={"left": f"{g.quartile_left:.1f}%", "width": f"{g.quartile_right - g.quartile_left:.1f}%"},
        ),
        html.Div(className="spine-lan", style={"left": f"{g.reference:.1f}%"}),
    ]
    if g.marker is not None:
        parts.append(
            html.Div(
                style.symbol, className=f"spine-marker cmp-{row.cls}", style={"left": f"{g.marker:.1f}%"}
            )
        )
    ind = row.indicator
    if ind.direction == "neutral":
        # a descriptive indicator has no better side: its own axis says lower and higher
        parts.append(
            html.Div(
                [html.Span("◀ lägre"), html.Span("högre ▶")],
                className="spine-axis spine-axis-neutral",
                **attrs({"aria-hidden": "true"}),
            )
        )
    label = (
        f"{kommun}: {format_value(row.value, ind.decimals, ind.unit)}; länet "
        f"{format_value(row.lan_value, ind.decimals, ind.unit)}; "
        f"länets kommuner från {format_value(g.left_value, ind.decimals, ind.unit)} till "
        f"{format_value(g.right_value, ind.decimals, ind.unit)}"
    )
    neutral = " spine-neutral" if ind.direction == "neutral" else ""
    return html.Div(parts, className=f"spine{neutral}", role="img", **attrs({"aria-label": label}))


def _spine_table(rows: list[ProfileRow], kommun: str, lan: str, period: str) -> html.Div:
    head = html.Thead(
        html.Tr(
            [
                html.Th("Indikator", scope="col"),
                html.Th(kommun, scope="col", className="num"),
                html.Th("Länet", scope="col", className="num"),
                html.Th("Sämst / lägst", scope="col", className="num col-range"),
                html.Th(
                    html.Div(
                        [html.Span("◀ sämre"), html.Span("länet"), html.Span("bättre ▶")],
                        title="Beskrivande indikatorer har egen axel: lägre till vänster, högre till höger",
                        className="spine-axis",
                    ),
                    scope="col",
                    className="spine-cell",
                ),
                html.Th("Bäst / högst", scope="col", className="col-range"),
                html.Th("Mot länet · trend", scope="col", className="col-verdict"),
            ]
        )
    )
    body: list[Any] = []
    by_id = {r.indicator.id: r for r in rows}
    # Every heading of the län's plan in its order, as on Länsöversikt: an indicator under two
    # headings shows under both, and a heading without indicators says so.
    for depth, node in plan_of(catalogue(), lan).walk():
        title: list[Any] = [node.title]
        if not node.all_indicators:
            title.append(html.Span(f" – {NOT_FOLLOWED.lower()}", className="area-note"))
        body.append(
            html.Tr(
                html.Th(title, colSpan=7, scope="colgroup", className=f"area-head area-depth-{min(depth, 3)}")
            )
        )
        body += [_spine_row(by_id[i], kommun, lan, period) for i in node.indicators if i in by_id]
    table = html.Table(
        [
            html.Caption(
                f"{kommun} jämfört med {lan_name(lan)}, {format_period(period)}", className="visually-hidden"
            ),
            head,
            html.Tbody(body),
        ],
        className="spine-table",
    )
    return scroll_region(table, f"{kommun} jämfört med länet", class_name="board-scroll")


def _spine_row(r: ProfileRow, kommun: str, lan: str, period: str) -> html.Tr:
    """One indicator's row: the kommun's value, the län's, the spread and the verdict."""
    ind = r.indicator
    href = dash.get_relative_path(f"/indikator/{ind.id}") + build_query(lan=lan, period=period)
    title = html.Th(
        [
            dcc.Link(ind.title, href=href, className="indicator-link"),
            html.Span(ind.unit, className="indicator-unit"),
        ],
        scope="row",
    )
    if r.note:
        return html.Tr([title, html.Td(html.Span(r.note, className="muted"), colSpan=6)])
    interval = format_interval(r.ci_low, r.ci_high, ind.decimals)
    unit = short_unit(ind.unit)
    value = "för få" if r.suppressed else format_value(r.value, ind.decimals, unit)
    style = STYLES[r.cls]
    g = r.geometry
    return html.Tr(
        [
            title,
            html.Td(
                [
                    html.Strong(value),
                    html.Span(interval, className="ci") if interval else None,
                    html.Span(r.standardised, className="ci") if r.standardised else None,
                    html.Span(COMPARED_STANDARDISED, className="ci") if r.compared_standardised else None,
                ],
                className="num",
            ),
            html.Td(format_value(r.lan_value, ind.decimals, unit), className="num"),
            html.Td(
                format_value(g.left_value, ind.decimals, unit) if g else "–",
                className="num muted col-range",
            ),
            html.Td(_spine(r, kommun), className="spine-cell"),
            html.Td(
                format_value(g.right_value, ind.decimals, unit) if g else "–",
                className="muted col-range",
            ),
            html.Td(
                [
                    html.Span(
                        [
                            html.Span(style.symbol, **attrs({"aria-hidden": "true"}))
                            if style.symbol
                            else None,
                            html.Span(style.short, **attrs({"aria-hidden": "true"})),
                            html.Span(class_sentence(r.cls, ind.direction), className="visually-hidden"),
                        ],
                        className=f"class-pill cmp-{r.cls}",
                        title=class_sentence(r.cls, ind.direction),
                    ),
                    html.Span(
                        f"{r.trend.symbol} {r.trend.words}",
                        className=f"trend-word trend-{r.trend.tone}",
                    )
                    if r.trend
                    else None,
                ],
                className="col-verdict",
            ),
        ]
    )


def render(kommun: str, period: str) -> list[Any]:
    snap = current_snapshot()
    lan = lan_of_kommun(kommun) or ""
    name = kommun_name(kommun)
    rows = profile_rows(snap, catalogue(), kommun, lan, period)
    return [
        html.H2(f"{name} · {lan_name(lan)} · {format_period(period)}", className="view-title"),
        html.P(profile_summary(name, rows, period), className="summary"),
        html.Div(
            [
                legend(DIRECTIONAL_CLASSES, title="Jämfört med länet"),
                legend((*NEUTRAL_CLASSES, NOT_TESTED, SUPPRESSED_CLASS), title="Beskrivande och övrigt"),
                html.Div(
                    [
                        html.Span(className="legend-bar", **attrs({"aria-hidden": "true"})),
                        html.Span("Spridning mellan länets kommuner (mörkare: mittersta hälften)"),
                        html.Span(className="legend-line", **attrs({"aria-hidden": "true"})),
                        html.Span("Länet"),
                    ],
                    className="legend",
                ),
            ],
            className="legends",
        ),
        _spine_table(rows, name, lan, period),
    ]


def render_trend(kommun: str, period: str, indicator: Indicator) -> list[Any]:
    snap = current_snapshot()
    lan = lan_of_kommun(kommun) or ""
    name, lname = kommun_name(kommun), lan_name(lan)
    selected = parse_period(period)
    period_type = selected.type if selected and selected.type in indicator.periods else "year"
    series = trend(snap, indicator.id, lan, [kommun, lan], period_type)
    own, county = series[kommun], series[lan]
    dec, unit = indicator.decimals, indicator.unit
    # The publishing rule: no month values for a small kommun (say so instead of an empty line)
    withheld = months_note(snap.publication, kommun) if period_type == "month" else None
    spec = catalogue().target_for(indicator, lan)  # the län's plan may set its own target
    fig = trend_figure(
        [
            Series(name, own.labels, own.value, own.low, own.high, KOMMUN, KOMMUN_BAND),
            Series(
                lname,
                county.labels,
                county.value,
                county.low,
                county.high,
                LAN,
                LAN_BAND,
                dash="dash",
                width=2,
            ),
        ],
        decimals=dec,
        unit=unit,
        target=spec.value if spec is not None and spec.kind == "value" else None,
        target_text=format_target(indicator, spec)
        + (" (exempelmål)" if spec is not None and spec.example else ""),
    )
    table_rows = [
        [
            p,
            format_value(v, dec, unit) if not s else "för få",
            format_interval(lo, hi, dec),
            format_value(lv, dec, unit),
        ]
        for p, v, lo, hi, s, lv in zip(
            own.labels, own.value, own.low, own.high, own.suppressed, county.value, strict=True
        )
    ]
    described = "; ".join(f"{r[0]}: {r[1]}" for r in table_rows)
    blocks: list[Any] = [
        figure_block(
            f"{PAGE}-trend-graph",
            fig,
            title=(f"{indicator.title}: {name} och {lname} per {PERIOD_WORDS.get(period_type, 'år')}"),
            description=f"Linjediagram. {name}: {described}.",
            table=as_table(["Period", name, "95 % KI", lname], table_rows, numeric=(1, 3)),
        )
    ]
    if withheld:
        blocks.insert(0, html.P(withheld, className="muted publication-note"))
    breakdown_blocks = []
    for kind, title in (("sex", "Kön"), ("age_band", "Åldersgrupp")):
        if kind not in indicator.breakdowns:
            continue
        mine = breakdown(snap, indicator.id, lan, period, kommun, kind)
        theirs = breakdown(snap, indicator.id, lan, period, lan, kind)
        if not mine.categories:
            continue
        fig_b = breakdown_figure(
            [
                BreakdownSeries(name, mine.categories, mine.value, mine.low, mine.high, KOMMUN),
                BreakdownSeries(lname, theirs.categories, theirs.value, theirs.low, theirs.high, "#9aa1ad"),
            ],
            decimals=dec,
            unit=unit,
        )
        rows_b = [
            [
                c,
                "för få" if s else format_value(v, dec, unit),
                format_interval(lo, hi, dec),
                format_value(lv, dec, unit),
            ]
            for c, v, lo, hi, s, lv in zip(
                mine.categories, mine.value, mine.low, mine.high, mine.suppressed, theirs.value, strict=True
            )
        ]
        breakdown_blocks.append(
            figure_block(
                f"{PAGE}-breakdown-{kind}",
                fig_b,
                title=f"Per {title.lower()}, {format_period(period)}",
                description=f"Stapeldiagram per {title.lower()}: "
                + "; ".join(f"{r[0]} {r[1]}" for r in rows_b)
                + ".",
                table=as_table([title, name, "95 % KI", lname], rows_b, numeric=(1, 3)),
            )
        )
    not_published = breakdown_note(snap.publication, kommun, period_type) if indicator.breakdowns else None
    if breakdown_blocks:
        blocks.append(html.Div(breakdown_blocks, className="grid-2"))
    elif withheld:
        pass  # the note above says it: no month values at all
    elif not_published:
        blocks.append(html.P(not_published, className="muted publication-note"))
    else:
        blocks.append(html.P("Indikatorn redovisas inte per kön eller åldersgrupp.", className="muted"))
    return blocks


PERIOD_WORDS = {"year": "år", "quarter": "kvartal", "month": "månad"}


@callback(
    Output(f"{PAGE}-content", "children"),
    Output("app-query", "data", allow_duplicate=True),
    Input(f"{PAGE}-kommun", "value"),
    Input(f"{PAGE}-period", "value"),
    State(f"{PAGE}-indikator", "value"),
    prevent_initial_call="initial_duplicate",
)
@safe(outputs=2)
def update(kommun: str, period: str, indicator: str | None) -> tuple[Any, dict[str, object]]:
    lan = lan_of_kommun(kommun)
    state = page_state(
        PAGE,
        dash.get_relative_path(f"/kommun/{kommun}"),
        replace=triggered_id() is None,
        lan=lan,
        period=period,
        indikator=indicator,
        kommun=kommun,
    )
    return render(kommun, period), state


@callback(
    Output(f"{PAGE}-trend", "children"),
    Output("app-query", "data", allow_duplicate=True),
    Input(f"{PAGE}-kommun", "value"),
    Input(f"{PAGE}-period", "value"),
    Input(f"{PAGE}-indikator", "value"),
    prevent_initial_call="initial_duplicate",
)
@safe(outputs=2)
def update_trend(kommun: str, period: str, indicator_id: str | None) -> tuple[Any, Any]:
    indicator = indicator_or_none(indicator_id)
    if indicator is None:
        return html.P("Välj en indikator.", className="muted"), dash.no_update
    state = page_state(
        PAGE,
        dash.get_relative_path(f"/kommun/{kommun}"),
        replace=triggered_id() is None or triggered_id() != f"{PAGE}-indikator",
        lan=lan_of_kommun(kommun),
        period=period,
        indikator=indicator.id,
        kommun=kommun,
    )
    return render_trend(kommun, period, indicator), state


@callback(
    Output(f"{PAGE}-download", "data"),
    Input(f"{PAGE}-csv", "n_clicks"),
    Input(f"{PAGE}-xlsx", "n_clicks"),
    State(f"{PAGE}-kommun", "value"),
    State(f"{PAGE}-period", "value"),
    State(f"{PAGE}-indikator", "value"),
    prevent_initial_call=True,
)
def download_profile(
    _csv: int, _xlsx: int, kommun: str, period: str, indicator_id: str | None
) -> dict[str, object]:
    snap = current_snapshot()
    cat = catalogue()
    lan = lan_of_kommun(kommun) or ""
    name, lname = kommun_name(kommun), lan_name(lan)
    rows = profile_rows(snap, cat, kommun, lan, period)
    frame = profile_frame(rows, name, lname, period)
    extra = {}
    indicator = indicator_or_none(indicator_id)
    if indicator is not None:
        extra["Utveckling"] = trend_frame(
            trend(snap, indicator.id, lan, [kommun, lan]), {kommun: name, lan: lname}
        )
    info = DownloadInfo(
        title=f"Mätavla – Kommunprofil {name}",
        view=[
            ("Kommun", name),
            ("Län", lname),
            ("Period", format_period(period)),
            ("Sammanfattning", profile_summary(name, rows, period)),
        ],
        computed_at=snap.computed_at,
        url=page_url(f"/kommun/{kommun}", build_query(lan=lan, period=period)),
        definitions=definition_table_rows(list(cat.indicators), cat),
    )
    kind = download_kind(PAGE)
    return download(kind, frame, info, ["kommun", kommun, period], extra=extra if kind == "xlsx" else None)


dash.register_page(
    __name__,
    path_template="/kommun/<kod>",
    path="/kommun/none",
    name="Kommun",
    title="Kommunprofil – Mätavla",
    description="En kommun jämförd med länet på alla indikatorer",
    order=2,
    layout=layout,
)
