"""Indikator: one indicator's definition, its trend in every kommun, breakdowns, data and SQL."""

from __future__ import annotations

from typing import Any

import dash
import dash_ag_grid as dag
import pandas as pd
from dash import Input, Output, State, callback, dcc, html, no_update

from metrics.catalogue.model import Indicator
from metrics.compute.sqlgen import indicator_sql
from metrics.dashboard.logic.choices import (
    indicator_period_options,
    kommun_name,
    kommuner_by_name,
    lan_name,
)
from metrics.dashboard.logic.definition import definition_rows, definition_table_rows
from metrics.dashboard.logic.format import format_interval, format_period, format_value
from metrics.dashboard.logic.periods import parse_period
from metrics.dashboard.logic.plan import follow_ups
from metrics.dashboard.logic.publication_notes import breakdown_note, months_note_for
from metrics.dashboard.logic.riket import kolada_columns, riket_cells
from metrics.dashboard.logic.rung_notes import ladder_note
from metrics.dashboard.logic.series import breakdown, trend
from metrics.dashboard.logic.urlstate import (
    ViewState,
    build_query,
    page_state,
    resolve_period,
)
from metrics.dashboard.logic.verdicts import TableLabels, table_labels
from metrics.dashboard.source.context import catalogue, current_snapshot, indicator_or_none, settings
from metrics.dashboard.source.data import Snapshot
from metrics.dashboard.source.references import kolada_groups, references
from metrics.dashboard.source.runinfo import DEFINITION_CHANGED, definition_changed, stale_text
from metrics.dashboard.source.version_memo import VersionMemo
from metrics.dashboard.views.components import (
    alert,
    as_table,
    attrs,
    figure_block,
    safe,
    section,
    triggered_id,
)
from metrics.dashboard.views.downloads import DownloadInfo, download
from metrics.dashboard.views.figures import (
    LAN,
    SERIES,
    BreakdownSeries,
    Facet,
    breakdown_figure,
    facets_figure,
)
from metrics.dashboard.views.page import (
    chosen_lan,
    default_kommun,
    download_kind,
    indicator_control,
    lan_control,
    markera_control,
    page_head,
    page_shell,
    page_url,
    period_control,
    register_choice_updates,
    snapshot_layout,
    toolbar,
)
from metrics.dashboard.views.reference_block import reference_section
from metrics.dashboard.views.wire import Kept, kept

PAGE = "indikator"
MAX_BREAKDOWN_KOMMUNER = 4
PERIOD_NOUNS = {"year": "år", "quarter": "kvartal", "month": "månad"}
LEVEL_NAMES = {"kommun": "Kommun", "lan": "Län", "riket": "Riket"}
LEVEL_ORDER = {"riket": 0, "lan": 1, "kommun": 2}  # the table: riket, the län, then its kommuner


HEAD = page_head(
    "Indikator",
    "Definitionen direkt ur katalogen, utvecklingen i varje kommun med länet som referens, "
    "nedbrytningar, tabellen och SQL-frågan som räknar fram värdena.",
)


@snapshot_layout(HEAD)
def layout(state: ViewState, snap: Snapshot, indikator_id: str | None = None, **_: Any) -> html.Div | None:
    cat = catalogue()
    indicator = (
        indicator_or_none(indikator_id)
        or indicator_or_none(state.indikator)
        or (cat.indicators[0] if cat.indicators else None)
    )
    lan = chosen_lan(state, snap)
    if indicator is None or lan is None:
        return None
    period = resolve_period(state.period, snap.periods(indicator.id, lan), snap.partial_periods(lan))
    controls = [
        indicator_control(f"{PAGE}-id", cat, indicator.id),
        lan_control(PAGE, snap, lan),
        period_control(PAGE, indicator_period_options(snap, lan, indicator), period),
        markera_control(PAGE, snap, lan, state.markera),
    ]
    return page_shell(PAGE, HEAD, toolbar(PAGE, controls, "Val för indikatorn"))


def data_frame(
    indicator: Indicator, lan: str, period_type: str, *, with_references: bool = False
) -> pd.DataFrame:
    """The indicator's total rows for the län and its kommuner over all periods of one type, and
    riket's where the deliveries cover the whole country (`metrics.dashboard.logic.riket`).

    `with_references` (the downloads): Kolada's riket and län value of each row's year, with the
    KPI, source and fetch date, when the indicator names a KPI and values are stored.
    """
    snap = current_snapshot()
    rows = snap.rows(indicator.id, lan)
    if rows.empty:
        return pd.DataFrame()
    rows = rows[(rows["period_type"] == period_type) & rows["area_level"].isin(["kommun", "lan"])]
    totals = snap.national_totals()
    national = {p for p, c in riket_cells(totals, indicator.id).items() if c.whole_country}
    if national:
        riket = totals[
            (totals["indicator"] == indicator.id)
            & (totals["area_level"] == "riket")
            & (totals["period_type"] == period_type)
            & totals["period"].isin(national)
        ]
        rows = pd.concat([rows, riket], ignore_index=True)
    labels = table_labels(indicator)
    frame = pd.DataFrame(
        {
            "Område": [
                kommun_name(c) if lvl != "lan" else lan_name(c)
                for c, lvl in zip(rows["area_code"], rows["area_level"], strict=True)
            ],
            "Kod": rows["area_code"].to_numpy(),
            "Nivå": rows["area_level"].map(LEVEL_NAMES).to_numpy(),
            "Period": rows["period"].map(format_period).to_numpy(),
            labels.value: rows["value"].to_numpy(),
            "KI 95 % låg": rows["ci_low"].to_numpy(),
            "KI 95 % hög": rows["ci_high"].to_numpy(),
            **({labels.numerator: rows["numerator"].to_numpy()} if labels.numerator else {}),
            labels.denominator: rows["denominator"].to_numpy(),
            **(
                {
                    "Åldersstandardiserat": rows["std_value"].to_numpy(),
                    "Std KI 95 % låg": rows["std_ci_low"].to_numpy(),
                    "Std KI 95 % hög": rows["std_ci_high"].to_numpy(),
                }
                if rows["std_value"].notna().any()
                else {}
            ),
            "Anmärkning": [
                "för få" if s else "saknas" if m else "" if c else "ofullständig period"
                for s, m, c in zip(rows["suppressed"], rows["missing"], rows["complete"], strict=True)
            ],
            "_sort": rows["period"].to_numpy(),
            "_level": rows["area_level"].map(LEVEL_ORDER).to_numpy(),
        }
    )
    if with_references:
        db = settings().db_path
        titles = {g: group.title for g, group in kolada_groups(db).items()}
        extra = kolada_columns(references(db), indicator, lan, pd.Series(rows["period"].to_numpy()), titles)
        frame = pd.concat([frame, extra], axis=1)
    frame = frame.sort_values(["_level", "_sort", "Område"], ascending=[True, False, True]).drop(
        columns=["_sort", "_level"]
    )
    return frame.reset_index(drop=True)


def _plans(indicator: Indicator, period: str) -> html.Div:
    """Which plans and headings the indicator follows up, each heading a link to it on Planen."""
    found = follow_ups(catalogue(), indicator)
    if not found:
        return html.Div(
            html.P("Ingen av länens planer följer upp indikatorn.", className="muted"), className="card"
        )
    blocks: list[Any] = []
    for item in found:
        lans = ", ".join(lan_name(code) for code in item.lans) or "inget län"
        first = item.lans[0] if item.lans else None
        links = []
        for path in item.paths:
            words = " › ".join(node.title for node in path)
            href = (
                dash.get_relative_path("/planen")
                + build_query(lan=first, period=period)
                + f"#plan-{path[-1].id}"
            )
            links.append(html.Li(dcc.Link(words, href=href) if first else words))
        blocks += [
            html.H3(
                [item.plan.name, html.Span(f" · {lans}", className="muted")], className="plan-follow-title"
            ),
            html.Ul(links, className="plan-follow-list"),
        ]
    return html.Div(blocks, className="card plan-follow")


def _definition(indicator: Indicator) -> html.Div:
    cat = catalogue()
    items: list[Any] = []
    for label, text in definition_rows(indicator, cat):
        if label in ("Indikator", "Följer upp i planerna"):  # the page shows the plans above
            continue
        items += [html.Dt(label), html.Dd(text)]
    return html.Div(html.Dl(items, className="definition"), className="card")


def _grid(frame: pd.DataFrame, decimals: int, numerator_decimals: int, labels: TableLabels) -> Any:
    number = lambda d: {"function": f"svNumber(params.value, {d})"}  # noqa: E731
    std = [
        {"field": name, "type": "numericColumn", "valueFormatter": number(decimals)}
        for name in ("Åldersstandardiserat", "Std KI 95 % låg", "Std KI 95 % hög")
        if name in frame.columns
    ]
    counts = (
        [{"field": labels.numerator, "type": "numericColumn", "valueFormatter": number(numerator_decimals)}]
        if labels.numerator
        else []
    )
    columns = [
        {"field": "Område", "pinned": "left", "minWidth": 150, "filter": True},
        {"field": "Nivå", "maxWidth": 100},
        {"field": "Period", "maxWidth": 120},
        {"field": labels.value, "type": "numericColumn", "valueFormatter": number(decimals)},
        {"field": "KI 95 % låg", "type": "numericColumn", "valueFormatter": number(decimals)},
        {"field": "KI 95 % hög", "type": "numericColumn", "valueFormatter": number(decimals)},
        *std,
        *counts,
        {"field": labels.denominator, "type": "numericColumn", "valueFormatter": number(0)},
        {"field": "Anmärkning", "maxWidth": 130},
    ]
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return dag.AgGrid(
        id=f"{PAGE}-grid",
        rowData=records,
        columnDefs=columns,
        defaultColDef={"sortable": True, "resizable": True, "flex": 1, "minWidth": 90},
        dashGridOptions={
            "domLayout": "normal",
            "localeText": {
                "noRowsToShow": "Inga rader",
                "filterOoo": "Filtrera …",
                "contains": "Innehåller",
                "equals": "Lika med",
            },
            "ensureDomOrder": True,
            # every column in the page, also those scrolled out of view: a screen reader (and axe)
            # reads whole rows, and nine columns are no cost to draw (CI once saw 8 of 9 headers
            # drawn, the ninth off-screen, and the accessibility test waited in vain)
            "suppressColumnVirtualisation": True,
        },
        style={"height": "420px"},
        className="ag-theme-quartz",
    )


# (indicator, län, period type) → the grid of every value: the same for every period of the type and
# any kommuner marked, so choosing another year or kommun does not build it again (~20 ms)
_grids: VersionMemo[Any] = VersionMemo(32)


def _table(indicator: Indicator, lan: str, period_type: str) -> Any:
    def build() -> Any:
        frame = data_frame(indicator, lan, period_type)
        numerator_decimals = 0 if indicator.numerator.is_count else 1
        return _grid(frame, indicator.decimals, numerator_decimals, table_labels(indicator))

    return _grids.get((indicator.id, lan, period_type), build, lans=[lan])


def run_notices(indicator: Indicator) -> list[Any]:
    """Whether the results shown are stale (the last computation failed) or from an older definition."""
    state = current_snapshot().run_info.of(indicator.id)
    notices: list[Any] = []
    if text := stale_text(state):
        notices.append(alert(text, kind="info", title="Inaktuella resultat"))
    if definition_changed(state, indicator, catalogue()):
        notices.append(alert(DEFINITION_CHANGED, kind="info", title="Definitionen har ändrats"))
    return notices


# (indicator, län, period, marked kommuner) → the page's content, built once per database version:
# ~0.1–0.2 MB each (the table's rows are most of it), so a worker keeps at most ~10 MB.
_pages: VersionMemo[Kept] = VersionMemo(64)


def render(indicator: Indicator, lan: str, period: str, markera: list[str]) -> list[Any]:
    """The page's content (the callback's pure body), kept per database version."""
    return _page(indicator, lan, period, markera).content


def _page(indicator: Indicator, lan: str, period: str, markera: list[str]) -> Kept:
    return _pages.get(
        (indicator.id, lan, period, tuple(markera)),
        lambda: kept(_build(indicator, lan, period, markera)),
        lans=[lan],
    )


def _build(indicator: Indicator, lan: str, period: str, markera: list[str]) -> list[Any]:
    snap = current_snapshot()
    dec, unit = indicator.decimals, indicator.unit
    lname = lan_name(lan)
    selected = parse_period(period)
    period_type = selected.type if selected and selected.type in indicator.periods else "year"
    kommuner = kommuner_by_name(snap, lan)
    codes = [c for c, _ in kommuner]
    series = trend(snap, indicator.id, lan, [*codes, lan], period_type)
    county = series[lan]
    reference = Facet(lname, county.labels, county.value, county.low, county.high)
    facets = [
        Facet(name, series[c].labels, series[c].value, series[c].low, series[c].high, c in markera)
        for c, name in kommuner
    ]
    latest = {name: series[c].value[-1] if series[c].value else None for c, name in kommuner}
    described = "; ".join(f"{n} {format_value(v, dec, unit)}" for n, v in latest.items() if v is not None)
    facet_rows = [
        [
            name,
            *[
                ("för få" if s else format_value(v, dec, unit))
                for v, s in zip(series[c].value, series[c].suppressed, strict=True)
            ],
        ]
        for c, name in kommuner
    ] + [[lname, *[format_value(v, dec, unit) for v in county.value]]]
    facet_block = figure_block(
        f"{PAGE}-facets",
        facets_figure(facets, reference, decimals=dec, unit=unit, columns=5 if len(facets) > 8 else 4),
        title=f"Utveckling per kommun ({PERIOD_NOUNS[period_type]}), länet streckat",
        description=f"Små diagram, ett per kommun, med samma skala. Senaste värden: {described}.",
        table=as_table(
            ["Område", *county.labels], facet_rows, numeric=tuple(range(1, len(county.labels) + 1))
        ),
    )

    # The publishing ladder (this indicator's kommun values of the period type, for every kommun)
    # and the publishing rule (which kommuner have no months): say so rather than draw empty facets.
    kommun_values_withheld = ladder_note(snap.ladder, indicator.id, period_type)
    months_withheld = kommun_values_withheld or (
        months_note_for(snap.publication, kommuner) if period_type == "month" else None
    )
    breakdown_blocks: list[Any] = []
    marked = [c for c in markera if c in codes][:MAX_BREAKDOWN_KOMMUNER]
    # the ladder withholds the breakdowns of every kommun marked: one note says it for all of them
    on_ladder = ladder_note(snap.ladder, indicator.id, period_type, "sex") if marked else None
    breakdown_notes = (
        [on_ladder]
        if on_ladder
        else sorted(
            {
                note
                for c in marked
                if (note := breakdown_note(snap.publication, c, selected.type if selected else "year"))
            }
        )
    )
    shown = [lan] if on_ladder else [lan, *marked]  # no empty kommun series in the legend
    for kind, title in (("sex", "kön"), ("age_band", "åldersgrupp")):
        if kind not in indicator.breakdowns:
            continue
        parts = []
        for i, area in enumerate(shown):
            values = breakdown(snap, indicator.id, lan, period, area, kind)
            name = lname if area == lan else kommun_name(area)
            parts.append((name, values, LAN if area == lan else SERIES[(i - 1) % len(SERIES)]))
        if not parts or not parts[0][1].categories:
            continue
        fig = breakdown_figure(
            [BreakdownSeries(n, v.categories, v.value, v.low, v.high, color) for n, v, color in parts],
            decimals=dec,
            unit=unit,
        )
        table_rows = []
        for n, v, _ in parts:
            for cat_label, val, lo, hi, sup in zip(
                v.categories, v.value, v.low, v.high, v.suppressed, strict=True
            ):
                table_rows.append(
                    [
                        n,
                        cat_label,
                        "för få" if sup else format_value(val, dec, unit),
                        format_interval(lo, hi, dec),
                    ]
                )
        breakdown_blocks.append(
            figure_block(
                f"{PAGE}-breakdown-{kind}",
                fig,
                title=f"Per {title}, {format_period(period)}",
                description=f"Stapeldiagram per {title} för {', '.join(n for n, _, _ in parts)}.",
                table=as_table(["Område", title.capitalize(), "Värde", "95 % KI"], table_rows, numeric=(2,)),
            )
        )
    if breakdown_blocks:
        breakdown_part: Any = html.Div(
            [
                *(html.P(note, className="muted publication-note") for note in breakdown_notes),
                html.Div(breakdown_blocks, className="grid-2"),
            ]
        )
        intro = (
            "Länet."
            if on_ladder
            else "Länet och de markerade kommunerna (högst fyra)."
            if markera
            else "Länet; markera kommuner för att jämföra dem."
        )
    else:
        breakdown_part = html.P("Indikatorn redovisas inte per kön eller åldersgrupp.", className="muted")
        intro = None

    sql = indicator_sql(indicator)
    return [
        html.H2(f"{indicator.title} · {lname}", className="view-title"),
        *run_notices(indicator),
        section("Följer upp i planerna", _plans(indicator, period)),
        section("Definition", _definition(indicator)),
        section(
            "Utveckling i länets kommuner",
            # every kommun's facet would hold the län's line alone: the note says why instead
            html.P(kommun_values_withheld, className="muted publication-note")
            if kommun_values_withheld
            else html.Div([html.P(months_withheld, className="muted publication-note"), facet_block])
            if months_withheld
            else facet_block,
        ),
        reference_section(indicator, lan, lname, PAGE),  # riket from Kolada; None without one
        section("Nedbrytningar", breakdown_part, intro=intro),
        section(
            "Tabell",
            html.Div(
                _table(indicator, lan, period_type),
                className="card",
            ),
            intro=(
                f"Alla värden för {lname} och dess kommuner per "
                f"{PERIOD_NOUNS[period_type]}. "
                "Undertryckta värden (för få) visas inte."
            ),
        ),
        section(
            "SQL",
            html.Details(
                [
                    html.Summary("Visa SQL-frågan som räknar fram indikatorn"),
                    html.Pre(html.Code(sql), tabIndex="0", **attrs({"aria-label": "SQL-frågan"})),
                ],
                className="sql",
            ),
            intro=(
                "Frågan kan köras direkt mot databasen (DuckDB); "
                f"`matavla sql {indicator.id}` skriver samma text."
            ),
        ),
    ]


register_choice_updates(PAGE, f"{PAGE}-id")


@callback(
    Output(f"{PAGE}-content", "children"),
    Output("app-query", "data", allow_duplicate=True),
    Input(f"{PAGE}-id", "value"),
    Input(f"{PAGE}-lan", "value"),
    Input(f"{PAGE}-period", "value"),
    Input(f"{PAGE}-markera", "value"),
    prevent_initial_call="initial_duplicate",
)
@safe(outputs=2)
def update(indicator_id: str, lan: str, period: str, markera: list[str] | None) -> tuple[Any, Any]:
    indicator = indicator_or_none(indicator_id)
    if indicator is None:
        return alert("Välj en indikator.", kind="info"), no_update
    markera = [m for m in markera or [] if isinstance(m, str)]  # kommun codes; the key of what is kept
    state = page_state(
        PAGE,
        dash.get_relative_path(f"/indikator/{indicator.id}"),
        replace=triggered_id() is None,
        in_path=("indikator",),
        lan=lan,
        period=period,
        indikator=indicator.id,
        markera=markera,
        default_kommun=default_kommun(lan),
    )
    return _page(indicator, lan, period, markera).wire, state


@callback(
    Output(f"{PAGE}-download", "data"),
    Input(f"{PAGE}-csv", "n_clicks"),
    Input(f"{PAGE}-xlsx", "n_clicks"),
    State(f"{PAGE}-id", "value"),
    State(f"{PAGE}-lan", "value"),
    State(f"{PAGE}-period", "value"),
    prevent_initial_call=True,
)
def download_indicator(_csv: int, _xlsx: int, indicator_id: str, lan: str, period: str) -> Any:
    indicator = indicator_or_none(indicator_id)
    if indicator is None:
        return no_update
    selected = parse_period(period)
    period_type = selected.type if selected and selected.type in indicator.periods else "year"
    frame = data_frame(indicator, lan, period_type, with_references=True)
    cat = catalogue()
    info = DownloadInfo(
        title=f"Mätavla – Indikator: {indicator.title}",
        view=[
            ("Län", lan_name(lan)),
            ("Indikator", indicator.title),
            ("Periodtyp", PERIOD_NOUNS[period_type]),
        ],
        computed_at=current_snapshot().computed_at,
        url=page_url(f"/indikator/{indicator.id}", build_query(lan=lan, period=period)),
        definitions=definition_table_rows([indicator], cat),
    )
    kind = download_kind(PAGE)
    extra = {"SQL": pd.DataFrame({"SQL": indicator_sql(indicator).splitlines()})} if kind == "xlsx" else None
    return download(kind, frame, info, ["indikator", indicator.id, lan], extra=extra)


dash.register_page(
    __name__,
    path_template="/indikator/<indikator_id>",
    path="/indikator/none",
    name="Indikator",
    title="Indikator – Mätavla",
    description="En indikators definition, utveckling per kommun, nedbrytningar, data och SQL",
    order=4,
    layout=layout,
)
