"""Jämför: one indicator, one period, all kommuner of a län – the honest comparison.

Ranked bars with 95 % intervals, a funnel plot against the kommuner's size, a tile map
and (when boundaries are configured) a choropleth, all coloured by comparison with the län.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dash
import pandas as pd
from dash import Input, Output, State, callback, dcc, html, no_update

from metrics.catalogue.model import AreaLevel, Indicator
from metrics.dashboard.logic.choices import (
    indicator_period_options,
    kommun_name,
    kommuner_by_name,
    lan_name,
    lan_of_kommun,
)
from metrics.dashboard.logic.comparison import (
    NO_DATA,
    STYLES,
    class_sentence,
    direction_words,
    has_interval,
    legend_classes,
)
from metrics.dashboard.logic.coverage_notes import MISSING_TEXT, missing_note, partial_text
from metrics.dashboard.logic.definition import definition_table_rows, target_parts
from metrics.dashboard.logic.format import (
    format_compact,
    format_interval,
    format_number,
    format_period,
    format_value,
    unit_suffix,
)
from metrics.dashboard.logic.funnel import funnel_kind
from metrics.dashboard.logic.funnel_method import (
    funnel_dispersion,
    level_settings,
    method_curves,
    outside_by_method,
    settings_of,
)
from metrics.dashboard.logic.funnel_method import method_text as funnel_method_text
from metrics.dashboard.logic.periods import parse_period
from metrics.dashboard.logic.rung_notes import ladder_note
from metrics.dashboard.logic.urlstate import (
    ViewState,
    build_query,
    page_state,
    resolve_period,
)
from metrics.dashboard.logic.verdicts import cell_class
from metrics.dashboard.source.boundaries import BoundariesError, lan_geojson
from metrics.dashboard.source.context import catalogue, current_snapshot, indicator_or_none, settings
from metrics.dashboard.source.data import ResultRow, Snapshot
from metrics.dashboard.source.version_memo import VersionMemo
from metrics.dashboard.views.components import (
    alert,
    as_table,
    attrs,
    figure_block,
    legend,
    safe,
    triggered_id,
)
from metrics.dashboard.views.downloads import DownloadInfo, download
from metrics.dashboard.views.figures import Bar, choropleth_figure, funnel_figure, ranked_bars
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
from metrics.dashboard.views.tilemap import tile_positions
from metrics.dashboard.views.wire import Kept, kept

PAGE = "jamfor"


HEAD = page_head(
    "Jämför kommuner",
    "En indikator för alla kommuner i länet. Strecken runt varje värde är 95 % konfidensintervall. "
    "Färgen säger bättre eller sämre bara när skillnaden mot länet håller med den metod som står vid "
    "trattdiagrammet – normalt justerad för att kommuner skiljer sig åt mer än slumpen ensam förklarar. "
    "Trattdiagrammet visar gränserna mot kommunens storlek – små kommuner varierar mer av slumpen.",
)


@snapshot_layout(HEAD)
def layout(state: ViewState, snap: Snapshot, **_: Any) -> html.Div | None:
    lan = chosen_lan(state, snap)
    cat = catalogue()
    indicator = indicator_or_none(state.indikator) or (cat.indicators[0] if cat.indicators else None)
    if lan is None or indicator is None:
        return None
    period = resolve_period(state.period, snap.periods(indicator.id, lan), snap.partial_periods(lan))
    controls = [
        lan_control(PAGE, snap, lan),
        indicator_control(f"{PAGE}-indikator", cat, indicator.id),
        period_control(PAGE, indicator_period_options(snap, lan, indicator), period),
        markera_control(PAGE, snap, lan, state.markera),
    ]
    return page_shell(PAGE, HEAD, toolbar(PAGE, controls, "Val för jämförelsen"))


def _shown(b: Bar, decimals: int, unit: str) -> str:
    """A bar's value as a table shows it: 'för få' when hidden, 'saknas' when nobody delivered it."""
    if b.cls == "suppressed":
        return "för få"
    return MISSING_TEXT if b.cls == NO_DATA else format_value(b.value, decimals, unit)


def comparison_bars(
    indicator: Indicator, lan: str, period: str, markera: list[str]
) -> tuple[list[Bar], float | None]:
    """The kommuner of the län for one indicator and period, classified against the län value."""
    snap = current_snapshot()
    cells = snap.cells(indicator.id, lan, period)
    lan_row = cells.get(lan)
    lan_value = lan_row.value if lan_row else None
    bars = []
    for code, name in kommuner_by_name(snap, lan):
        row = cells.get(code)
        if row is None:
            bars.append(Bar(code, name, None, None, None, NO_DATA, None, code in markera))
            continue
        cls = cell_class(row, lan_value, indicator.direction)  # the board's and the export's verdict
        bars.append(
            Bar(code, name, row.value, row.ci_low, row.ci_high, cls, row.denominator, code in markera)
        )
    return bars, lan_value


def area_group_bars(indicator: Indicator, lan: str, period: str) -> list[tuple[AreaLevel, list[Bar]]]:
    """Each area level's groups lying in the län (e.g. närsjukvårdsområden), classified against the län."""
    cells = current_snapshot().cells(indicator.id, lan, period)
    lan_row = cells.get(lan)
    lan_value = lan_row.value if lan_row else None
    levels = []
    for level in catalogue().area_levels:
        bars = []
        for group in level.groups:
            if not group.kommuner or any(lan_of_kommun(c) != lan for c in group.kommuner):
                continue
            row = cells.get(group.id)
            if row is None:
                bars.append(Bar(group.id, group.name, None, None, None, NO_DATA))
                continue
            cls = cell_class(row, lan_value, indicator.direction)
            bars.append(Bar(group.id, group.name, row.value, row.ci_low, row.ci_high, cls, row.denominator))
        if bars:
            levels.append((level, bars))
    return levels


def _area_group_block(
    level: AreaLevel,
    bars: list[Bar],
    indicator: Indicator,
    lan_value: float | None,
    cells: Mapping[str, ResultRow] | None = None,
) -> html.Figure:
    dec, unit = indicator.decimals, indicator.unit
    members = {}
    for g in level.groups:
        names = ", ".join(kommun_name(c) for c in g.kommuner)
        gone = missing_note(cells or {}, g.kommuner, "Området")  # 'Området exklusive Ydre: uppgift saknas'
        members[g.id] = f"{names}. {gone}" if gone else names
    rows = [
        [
            b.name,
            _shown(b, dec, unit),
            format_interval(b.low, b.high, dec),
            format_number(b.denominator, 0),
            class_sentence(b.cls, indicator.direction),
            members.get(b.code, ""),
        ]
        for b in bars
    ]
    described = "; ".join(
        f"{b.name} {format_value(b.value, dec, unit)}, {class_sentence(b.cls, indicator.direction)}"
        for b in bars
    )
    return figure_block(
        f"{PAGE}-groups-{level.level}",
        ranked_bars(
            bars,
            reference=lan_value,
            reference_label=f"Länet {format_value(lan_value, dec, unit)}",
            decimals=dec,
            unit=unit,
            direction=indicator.direction,
            highlight_any=False,
        ),
        title=f"Per {level.title.lower()}, med 95 % konfidensintervall",
        description=f"Liggande stapeldiagram med länets värde som linje. {described}.",
        table=as_table(
            [level.title, "Värde", "95 % KI", "Nämnare", "Jämfört med länet", "Kommuner"],
            rows,
            numeric=(1, 2, 3),
        ),
    )


def _tilemap(bars: list[Bar], indicator: Indicator, lan: str, period: str, markera: list[str]) -> html.Div:
    positions = tile_positions(lan, [b.code for b in bars])
    columns = max(c for c, _ in positions.values()) + 1
    rows = max(r for _, r in positions.values()) + 1
    tiles = []
    for b in bars:
        col, row = positions[b.code]
        style = STYLES[b.cls]
        value = (
            "för få"
            if b.cls == "suppressed"
            else MISSING_TEXT
            if b.cls == NO_DATA
            else format_compact(b.value, indicator.decimals)
        )
        shown = (
            "för få för att visas"
            if b.cls == "suppressed"
            else format_value(b.value, indicator.decimals, indicator.unit)
        )
        words = f"{b.name}: {shown}, {class_sentence(b.cls, indicator.direction)}"
        tiles.append(
            dcc.Link(
                [
                    html.Span(b.name, className="tile-name", **attrs({"aria-hidden": "true"})),
                    html.Span(
                        [html.Span(style.symbol + " " if style.symbol else ""), value],
                        className="tile-value",
                        **attrs({"aria-hidden": "true"}),
                    ),
                    html.Span(words, className="visually-hidden"),
                ],
                href=dash.get_relative_path(f"/kommun/{b.code}")
                + build_query(lan=lan, period=period, indikator=indicator.id),
                className=f"tile cmp-{b.cls}" + (" tile-highlight" if b.code in markera else ""),
                title=words,
                style={"gridColumn": str(col + 1), "gridRow": str(row + 1)},
            )
        )
    return html.Div(
        tiles,
        className="tilemap",
        style={
            "gridTemplateColumns": f"repeat({columns}, minmax(0, 1fr))",
            "gridTemplateRows": f"repeat({rows}, auto)",
        },
        role="group",
        **attrs({"aria-label": "Rutkarta över länets kommuner"}),
    )


# (län, indicator, period, marked kommuner) → the page's content, built once per database version
# (and map file): ~70 kB each, so a worker keeps at most ~5 MB.
_pages: VersionMemo[Kept] = VersionMemo(64)


def render(lan: str, indicator: Indicator, period: str, markera: list[str]) -> list[Any]:
    """The page's content (the callback's pure body), kept per database version and map file."""
    return _page(lan, indicator, period, markera).content


def _page(lan: str, indicator: Indicator, period: str, markera: list[str]) -> Kept:
    key = (lan, indicator.id, period, tuple(markera), _map_version(settings().geojson_path))
    return _pages.get(key, lambda: kept(_build(lan, indicator, period, markera)), lans=[lan])


def _map_version(path: Path | None) -> int | None:
    """What a new or edited boundaries file changes (it is read again when it changes)."""
    if path is None:
        return None
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return -1  # gone: the page says the map cannot be drawn


def _not_published(indicator: Indicator, period: str) -> str | None:
    """Why no kommun has a value of this period's type, when the publishing ladder withholds them."""
    selected = parse_period(period)
    return ladder_note(current_snapshot().ladder, indicator.id, selected.type if selected else "year")


def _build(lan: str, indicator: Indicator, period: str, markera: list[str]) -> list[Any]:
    bars, lan_value = comparison_bars(indicator, lan, period, markera)
    dec, unit = indicator.decimals, indicator.unit
    lname = lan_name(lan)
    highlight_any = bool(markera)
    with_interval = has_interval(indicator.interval)
    classes = legend_classes(indicator.direction, with_interval)
    cells = current_snapshot().cells(indicator.id, lan, period)
    coverage = [
        partial_text(cells.get(lan), period),
        missing_note(cells, [b.code for b in bars]),
    ]

    target = target_parts(indicator, catalogue().target_for(indicator, lan))
    header = html.Div(
        [
            html.H2(f"{indicator.title} · {lname} · {format_period(period)}", className="view-title"),
            html.Div(
                [
                    html.Div(
                        [
                            html.Span("Länet", className="kpi-title"),
                            html.Span(
                                [
                                    format_number(lan_value, dec),
                                    html.Span(unit_suffix(unit), className="kpi-unit"),
                                ],
                                className="kpi-value",
                            ),
                            *(html.Span(text, className="coverage-note") for text in coverage if text),
                        ],
                        className="kpi",
                    ),
                    html.Div(
                        [
                            html.Span("Riktning", className="kpi-title"),
                            html.Span(direction_words(indicator.direction), className="kpi-text"),
                        ],
                        className="kpi",
                    ),
                    html.Div(
                        [
                            html.Span("Mål", className="kpi-title"),
                            # the target in bold, its source (often a long sentence) in small type
                            html.Span(target[0], className="kpi-text"),
                            html.Span(target[1], className="kpi-small kpi-source") if target[1] else None,
                        ],
                        className="kpi",
                    ),
                    html.Div(
                        [
                            html.Span("Om indikatorn", className="kpi-title"),
                            html.Span(indicator.description, className="kpi-text kpi-small"),
                        ],
                        className="kpi kpi-wide",
                    ),
                ],
                className="kpis kpis-jamfor",
            ),
            key := legend(classes),
        ]
    )

    table_rows = [
        [
            b.name,
            _shown(b, dec, unit),
            format_interval(b.low, b.high, dec),
            format_number(b.denominator, 0),
            class_sentence(b.cls, indicator.direction),
        ]
        for b in sorted(
            bars,
            key=lambda b: (
                b.value is None,
                -(b.value or 0) if indicator.direction != "lower" else (b.value or 0),
            ),
        )
    ]
    table = as_table(
        ["Kommun", "Värde", "95 % KI", "Nämnare", "Jämfört med länet"], table_rows, numeric=(1, 2, 3)
    )
    shown = [b for b in bars if b.value is not None]
    values = [b.value for b in shown if b.value is not None]
    best_value = (min(values) if indicator.direction == "lower" else max(values)) if values else None
    best = next((b for b in shown if b.value == best_value), None)
    description = (
        f"Liggande stapeldiagram med {len(shown)} kommuner och länets värde "
        f"{format_value(lan_value, dec, unit)} som linje."
    )
    if best is not None:
        first = "Lägst" if indicator.direction == "lower" else "Högst"
        description += f" {first}: {best.name} {format_value(best.value, dec, unit)}."
    bars_block = figure_block(
        f"{PAGE}-bars",
        ranked_bars(
            bars,
            reference=lan_value,
            reference_label=f"Länet {format_value(lan_value, dec, unit)}",
            decimals=dec,
            unit=unit,
            direction=indicator.direction,
            highlight_any=highlight_any,
        ),
        title="Kommunerna i ordning, med 95 % konfidensintervall",
        description=description,
        table=table,
    )

    kind = funnel_kind(indicator.interval)
    if kind is None or lan_value is None:
        funnel_block: Any = html.Div(
            alert(
                "Indikatorn är ett medelvärde eller en summa utan konfidensintervall, så "
                "trattdiagrammet kan inte ritas. "
                "Jämför värdena i stapeldiagrammet med försiktighet.",
                kind="info",
                title="Inget trattdiagram",
            ),
            className="figure",
        )
    else:
        # the same limits and dispersion as the colours (compute's compare_with_benchmark)
        method = settings_of(catalogue().comparison_of(indicator))
        inner, outer = level_settings(method)
        shown = [b for b in bars if b.cls not in ("suppressed", NO_DATA)]
        dispersion = funnel_dispersion(
            lan_value,
            [b.value for b in shown],
            [b.denominator for b in shown],
            kind,
            indicator.multiplier,
            method,
        )
        curves = method_curves(
            lan_value,
            [b.denominator for b in bars if b.denominator],
            kind,
            indicator.multiplier,
            method,
            dispersion,
        )
        funnel_words = funnel_method_text(method, dispersion)
        den_label = "Invånare" if indicator.population_based else "Nämnare"
        out95 = [
            b.name
            for b in shown
            if outside_by_method(
                b.value, b.denominator, lan_value, kind, indicator.multiplier, inner, dispersion
            )
        ]
        out998 = [
            b.name
            for b in shown
            if outside_by_method(
                b.value, b.denominator, lan_value, kind, indicator.multiplier, outer, dispersion
            )
        ]
        funnel_rows = [
            [
                b.name,
                format_number(b.denominator, 0),
                _shown(b, dec, unit),
                "ja" if b.name in out95 else "nej",
                "ja" if b.name in out998 else "nej",
            ]
            for b in bars
        ]
        funnel_block = figure_block(
            f"{PAGE}-funnel",
            funnel_figure(
                bars,
                curves,
                reference=lan_value,
                decimals=dec,
                unit=unit,
                denominator_label=den_label,
                highlight_any=highlight_any,
            ),
            title=funnel_words.title,
            description=(
                f"Trattdiagram. {funnel_words.note} "
                f"Utanför 95 %-gränsen: {', '.join(out95) or 'ingen kommun'}. "
                f"Utanför 99,8 %-gränsen: {', '.join(out998) or 'ingen kommun'}."
            ),
            table=as_table(
                ["Kommun", den_label, "Värde", "Utanför 95 %", "Utanför 99,8 %"], funnel_rows, numeric=(1, 2)
            ),
        )
        # visible, not only for screen readers: which limits these are
        funnel_block.children.insert(1, html.P(funnel_words.note, className="footnote"))

    maps: list[Any] = [
        html.Figure(
            [
                html.Figcaption("Rutkarta – varje kommun lika stor", className="figure-title"),
                _tilemap(bars, indicator, lan, period, markera),
                html.P(
                    "Rutorna ligger ungefär som kommunerna på kartan. Klicka på en kommun för dess profil.",
                    className="footnote",
                ),
            ],
            className="figure",
        )
    ]
    geojson_path = settings().geojson_path
    if geojson_path is not None:
        try:
            geojson = lan_geojson(geojson_path, [b.code for b in bars])
        except BoundariesError as exc:
            maps.append(
                html.Div(alert(str(exc), kind="info", title="Kartan kunde inte ritas"), className="figure")
            )
        else:
            if geojson is not None:
                maps.append(
                    figure_block(
                        f"{PAGE}-map",
                        choropleth_figure(geojson, bars, decimals=dec, unit=unit, classes=classes),
                        title="Karta med kommungränser",
                        description=(
                            "Karta där kommunerna är färgade efter jämförelsen med länet; "
                            "samma uppgifter som i tabellen under stapeldiagrammet."
                        ),
                    )
                )
    group_blocks = [
        _area_group_block(level, group_bars, indicator, lan_value, cells)
        for level, group_bars in area_group_bars(indicator, lan, period)
    ]
    not_published = _not_published(indicator, period)
    if not_published:
        # The publishing ladder withholds every kommun's value of this period type: bars, funnel
        # and maps of kommuner would be all "saknas" (= not delivered), which is untrue. Say why;
        # the län and the area groups keep their values.
        note = html.Div(
            alert(not_published, kind="info", title="Kommunvärden visas inte"), className="figure"
        )
        if not group_blocks:  # no bar left to colour: the colours' key would explain nothing
            header.children.remove(key)
        return [header, html.Div([note, *group_blocks], className="stack")]
    return [
        header,
        html.Div(
            [html.Div([bars_block, *group_blocks], className="stack"), funnel_block], className="grid-2"
        ),
        html.Div(maps, className="grid-2"),
    ]


register_choice_updates(PAGE, f"{PAGE}-indikator")


@callback(
    Output(f"{PAGE}-content", "children"),
    Output("app-query", "data", allow_duplicate=True),
    Input(f"{PAGE}-lan", "value"),
    Input(f"{PAGE}-indikator", "value"),
    Input(f"{PAGE}-period", "value"),
    Input(f"{PAGE}-markera", "value"),
    prevent_initial_call="initial_duplicate",
)
@safe(outputs=2)
def update(lan: str, indicator_id: str, period: str, markera: list[str] | None) -> tuple[Any, Any]:
    indicator = indicator_or_none(indicator_id)
    if indicator is None:
        return alert("Välj en indikator.", kind="info"), no_update
    markera = [m for m in markera or [] if isinstance(m, str)]  # kommun codes; the key of what is kept
    state = page_state(
        PAGE,
        dash.get_relative_path("/jamfor"),
        replace=triggered_id() is None,
        lan=lan,
        period=period,
        indikator=indicator.id,
        markera=markera,
        default_kommun=default_kommun(lan),
    )
    return _page(lan, indicator, period, markera).wire, state


@callback(
    Output(f"{PAGE}-download", "data"),
    Input(f"{PAGE}-csv", "n_clicks"),
    Input(f"{PAGE}-xlsx", "n_clicks"),
    State(f"{PAGE}-lan", "value"),
    State(f"{PAGE}-indikator", "value"),
    State(f"{PAGE}-period", "value"),
    State(f"{PAGE}-markera", "value"),
    prevent_initial_call=True,
)
def download_comparison(
    _csv: int, _xlsx: int, lan: str, indicator_id: str, period: str, markera: list[str] | None
) -> Any:
    indicator = indicator_or_none(indicator_id)
    if indicator is None:
        return no_update
    bars, lan_value = comparison_bars(indicator, lan, period, list(markera or []))
    not_published = _not_published(indicator, period)
    records = [
        {
            "Kommun": b.name,
            "Kod": b.code,
            "Värde": b.value,
            "KI 95 % låg": b.low,
            "KI 95 % hög": b.high,
            "Nämnare": b.denominator,
            "Jämfört med länet": "för få"
            if b.cls == "suppressed"
            else "visas inte per kommun"
            if not_published and b.value is None
            else class_sentence(b.cls, indicator.direction),
            "Markerad": "ja" if b.highlighted else "",
        }
        for b in bars
    ]
    records.append({"Kommun": lan_name(lan), "Kod": lan, "Värde": lan_value})
    for _level, group_bars in area_group_bars(indicator, lan, period):
        records.extend(
            {
                "Kommun": b.name,
                "Kod": b.code,
                "Värde": b.value,
                "KI 95 % låg": b.low,
                "KI 95 % hög": b.high,
                "Nämnare": b.denominator,
                "Jämfört med länet": class_sentence(b.cls, indicator.direction),
            }
            for b in group_bars
        )
    cat = catalogue()
    info = DownloadInfo(
        title=f"Mätavla – Jämför kommuner: {indicator.title}",
        view=[
            ("Län", lan_name(lan)),
            ("Indikator", indicator.title),
            ("Period", format_period(period)),
            ("Enhet", indicator.unit),
            *([("Kommunvärden", not_published)] if not_published else []),
        ],
        computed_at=current_snapshot().computed_at,
        url=page_url(
            "/jamfor", build_query(lan=lan, period=period, indikator=indicator.id, markera=markera or [])
        ),
        definitions=definition_table_rows([indicator], cat),
    )
    kind = download_kind(PAGE)
    return download(kind, pd.DataFrame.from_records(records), info, ["jamfor", indicator.id, lan, period])


dash.register_page(
    __name__,
    path="/jamfor",
    name="Jämför",
    title="Jämför kommuner – Mätavla",
    description="En indikator för alla kommuner i länet, med konfidensintervall och trattdiagram",
    order=3,
    layout=layout,
)
