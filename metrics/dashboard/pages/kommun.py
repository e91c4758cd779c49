"""Kommun: one kommun against its län – spine chart, summary in words, trend and breakdowns."""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, State, callback, html

from metrics.catalogue.model import Indicator
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
    SUPPRESSED_CLASS,
)
from metrics.dashboard.logic.definition import definition_table_rows, format_target
from metrics.dashboard.logic.format import format_interval, format_period, format_value
from metrics.dashboard.logic.periods import parse_period
from metrics.dashboard.logic.plan import plan_of
from metrics.dashboard.logic.profile import profile_frame, profile_rows, profile_summary
from metrics.dashboard.logic.publication_notes import breakdown_note, months_note
from metrics.dashboard.logic.rung_notes import ladder_note
from metrics.dashboard.logic.series import breakdown, trend, trend_frame
from metrics.dashboard.logic.urlstate import (
    ViewState,
    build_query,
    page_state,
    resolve_period,
)
from metrics.dashboard.source.context import catalogue, current_snapshot, indicator_or_none
from metrics.dashboard.source.data import Snapshot
from metrics.dashboard.source.version_memo import VersionMemo
from metrics.dashboard.views.components import (
    as_table,
    attrs,
    control,
    dropdown,
    figure_block,
    legend,
    safe,
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
from metrics.dashboard.views.rawhtml import raw_html
from metrics.dashboard.views.spine_table import spine_table_html
from metrics.dashboard.views.wire import Kept, kept

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


# (kommun, period) → the profile; (kommun, period, indicator) → its trend and breakdowns. Each is
# built once per database version (views/spine_table.py keeps the table one string): a profile is
# ~0.2 MB, a trend ~50 kB, so a worker keeps at most ~20 MB of them.
_profiles: VersionMemo[Kept] = VersionMemo(64)
_trends: VersionMemo[Kept] = VersionMemo(128)


def render(kommun: str, period: str) -> list[Any]:
    """The profile of a kommun for a period (the callback's pure body), kept per database version."""
    return _profile(kommun, period).content


def _profile(kommun: str, period: str) -> Kept:
    lan = lan_of_kommun(kommun) or ""
    return _profiles.get((kommun, period), lambda: kept(_build(kommun, lan, period)), lans=[lan])


def _build(kommun: str, lan: str, period: str) -> list[Any]:
    snap = current_snapshot()
    cat = catalogue()
    name = kommun_name(kommun)
    rows = profile_rows(snap, cat, kommun, lan, period)
    headings = [
        (depth, node.title, bool(node.all_indicators), tuple(node.indicators))
        for depth, node in plan_of(cat, lan).walk()
    ]
    table = spine_table_html(rows, headings, name, lan, lan_name(lan), period, dash.get_relative_path("/"))
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
        raw_html(table, "spine-table-wrap"),
    ]


def render_trend(kommun: str, period: str, indicator: Indicator) -> list[Any]:
    """The kommun's trend and breakdowns for one indicator, kept per database version."""
    return _trend(kommun, period, indicator).content


def _trend(kommun: str, period: str, indicator: Indicator) -> Kept:
    lan = lan_of_kommun(kommun) or ""
    return _trends.get(
        (kommun, period, indicator.id), lambda: kept(_build_trend(kommun, lan, period, indicator)), lans=[lan]
    )


def _build_trend(kommun: str, lan: str, period: str, indicator: Indicator) -> list[Any]:
    snap = current_snapshot()
    name, lname = kommun_name(kommun), lan_name(lan)
    selected = parse_period(period)
    period_type = selected.type if selected and selected.type in indicator.periods else "year"
    series = trend(snap, indicator.id, lan, [kommun, lan], period_type)
    own, county = series[kommun], series[lan]
    dec, unit = indicator.decimals, indicator.unit
    # The publishing ladder (the indicator's kommun months, quarters or all its kommun values) and
    # the publishing rule (no month values for a small kommun): say so instead of an empty line
    withheld = ladder_note(snap.ladder, indicator.id, period_type) or (
        months_note(snap.publication, kommun) if period_type == "month" else None
    )
    spec = catalogue().target_for(indicator, lan)  # the län's plan may set its own target
    # Withheld, the kommun's line has no point: drawn, its hover would say "för få / saknas"
    kommun_line = (
        [] if withheld else [Series(name, own.labels, own.value, own.low, own.high, KOMMUN, KOMMUN_BAND)]
    )
    fig = trend_figure(
        [
            *kommun_line,
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
            "visas inte" if withheld else format_value(v, dec, unit) if not s else "för få",
            "" if withheld else format_interval(lo, hi, dec),
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
            title=(
                f"{indicator.title}: {lname if withheld else f'{name} och {lname}'} "
                f"per {PERIOD_WORDS.get(period_type, 'år')}"
            ),
            description=f"Linjediagram med bara {lname}: värdena för {name} visas inte."
            if withheld
            else f"Linjediagram. {name}: {described}.",
            table=as_table(["Period", name, "95 % KI", lname], table_rows, numeric=(1, 3)),
        )
    ]
    if withheld:
        blocks.insert(0, html.P(withheld, className="muted publication-note"))
    # The ladder, or the rule, withholds the kommun's values by sex and age band for this period
    # type: the län's bars alone, and the note, instead of an empty kommun series in the legend
    not_published = (
        ladder_note(snap.ladder, indicator.id, period_type, "sex")
        or breakdown_note(snap.publication, kommun, period_type)
        if indicator.breakdowns
        else None
    )
    breakdown_blocks = []
    for kind, title in (("sex", "Kön"), ("age_band", "Åldersgrupp")):
        if kind not in indicator.breakdowns:
            continue
        mine = breakdown(snap, indicator.id, lan, period, kommun, kind)
        theirs = breakdown(snap, indicator.id, lan, period, lan, kind)
        if not mine.categories:
            continue
        county_bars = BreakdownSeries(
            lname, theirs.categories, theirs.value, theirs.low, theirs.high, "#9aa1ad"
        )
        if not_published:
            fig_b = breakdown_figure([county_bars], decimals=dec, unit=unit)
            rows_b = [
                [c, format_value(lv, dec, unit), format_interval(lo, hi, dec)]
                for c, lv, lo, hi in zip(
                    theirs.categories, theirs.value, theirs.low, theirs.high, strict=True
                )
            ]
            columns = [title, lname, "95 % KI"]
            numeric: tuple[int, ...] = (1,)
            described = f"Stapeldiagram per {title.lower()} för {lname}: "
        else:
            fig_b = breakdown_figure(
                [
                    BreakdownSeries(name, mine.categories, mine.value, mine.low, mine.high, KOMMUN),
                    county_bars,
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
                    mine.categories,
                    mine.value,
                    mine.low,
                    mine.high,
                    mine.suppressed,
                    theirs.value,
                    strict=True,
                )
            ]
            columns, numeric = [title, name, "95 % KI", lname], (1, 3)
            described = f"Stapeldiagram per {title.lower()}: "
        breakdown_blocks.append(
            figure_block(
                f"{PAGE}-breakdown-{kind}",
                fig_b,
                title=f"Per {title.lower()}, {format_period(period)}",
                description=described + "; ".join(f"{r[0]} {r[1]}" for r in rows_b) + ".",
                table=as_table(columns, rows_b, numeric=numeric),
            )
        )
    if not_published and not_published != withheld:  # the same note above says it already
        blocks.append(html.P(not_published, className="muted publication-note"))
    if breakdown_blocks:
        blocks.append(html.Div(breakdown_blocks, className="grid-2"))
    elif not (withheld or not_published):
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
    return _profile(kommun, period).wire, state


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
    return _trend(kommun, period, indicator).wire, state


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
