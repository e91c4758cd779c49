"""Plotly figures as plain dicts: a clean house style, Swedish separators and hover text.

Dicts rather than `go.Figure` because validation costs milliseconds per figure and the
pages must answer in well under 100 ms; plotly.js renders them the same.

Every name, label and unit from the catalogue or the data passes through `plain()` before it
goes into a figure: Plotly renders a subset of HTML, and only the figures' own `<b>` and `<br>`
may be markup.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from metrics.dashboard.logic.comparison import STYLES
from metrics.dashboard.logic.format import format_interval, format_value, is_missing
from metrics.dashboard.logic.funnel import FunnelCurves
from metrics.dashboard.views.markup import plain, plain_all

FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
INK = "#1b1b1b"
MUTED = "#5b6270"
GRID = "#e6e8ec"
AXIS = "#9aa1ad"
KOMMUN = "#1f4e99"  # the kommun in focus
KOMMUN_BAND = "rgba(31, 78, 153, 0.16)"
LAN = "#6b7280"  # the län reference
LAN_BAND = "rgba(107, 114, 128, 0.14)"
HIGHLIGHT = "#c2410c"
SERIES = ("#1f4e99", "#c2410c", "#0f766e", "#7c3aed", "#b45309", "#be185d", "#4d7c0f")

AXIS_STYLE: dict[str, Any] = {
    "gridcolor": GRID,
    "zeroline": False,
    "linecolor": AXIS,
    "ticks": "outside",
    "tickcolor": AXIS,
    "automargin": True,
    "fixedrange": True,
    "title": {"font": {"size": 12, "color": MUTED}},
}


def base_layout(**overrides: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "separators": ", ",
        "font": {"family": FONT, "size": 13, "color": INK},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "#ffffff",
        "margin": {"l": 8, "r": 16, "t": 12, "b": 8},
        "hoverlabel": {
            "bgcolor": "#ffffff",
            "bordercolor": "#c7ccd6",
            "font": {"family": FONT, "size": 13, "color": INK},
        },
        "showlegend": False,
        "xaxis": copy.deepcopy(AXIS_STYLE),
        "yaxis": copy.deepcopy(AXIS_STYLE),
        "hovermode": "closest",
        "dragmode": False,
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(layout.get(key), dict):
            layout[key] = {**layout[key], **value}
        else:
            layout[key] = value
    return layout


def _diff(a: float | None, b: float | None) -> float | None:
    """a − b, or None when either is missing (an error bar that is not drawn)."""
    return None if a is None or b is None else a - b


def _values(values: Sequence[float | None]) -> list[float | None]:
    return [None if is_missing(v) else float(v) for v in values]  # type: ignore[arg-type]


def _band(
    x: Sequence[Any],
    low: Sequence[float | None],
    high: Sequence[float | None],
    color: str,
    name: str,
    xaxis: str = "x",
    yaxis: str = "y",
) -> dict[str, Any] | None:
    """A filled interval band (skipping periods without an interval)."""
    pts = [
        (xi, lo, hi)
        for xi, lo, hi in zip(x, low, high, strict=True)
        if not is_missing(lo) and not is_missing(hi)
    ]
    if len(pts) < 2:
        return None
    xs = [p[0] for p in pts] + [p[0] for p in reversed(pts)]
    ys = [p[2] for p in pts] + [p[1] for p in reversed(pts)]
    return {
        "type": "scatter",
        "mode": "lines",
        "x": xs,
        "y": ys,
        "fill": "toself",
        "fillcolor": color,
        "line": {"width": 0},
        "hoverinfo": "skip",
        "name": name,
        "showlegend": False,
        "xaxis": xaxis,
        "yaxis": yaxis,
    }


@dataclass(frozen=True)
class Series:
    name: str
    x: list[str]  # period labels as shown
    value: list[float | None]
    low: list[float | None]
    high: list[float | None]
    color: str
    band: str | None = None
    dash: str = "solid"
    width: float = 2.5


def _hover(
    name: str,
    x: Sequence[str],
    value: Sequence[float | None],
    low: Sequence[float | None],
    high: Sequence[float | None],
    decimals: int,
    unit: str,
) -> list[str]:
    texts = []
    for xi, v, lo, hi in zip(x, value, low, high, strict=True):
        interval = format_interval(lo, hi, decimals)
        shown = "för få / saknas" if is_missing(v) else plain(format_value(v, decimals, unit))
        texts.append(
            f"<b>{plain(name)}</b> {plain(xi)}<br>{shown}" + (f"<br>95 % KI {interval}" if interval else "")
        )
    return texts


def trend_figure(
    series: Sequence[Series],
    *,
    decimals: int,
    unit: str,
    target: float | None = None,
    target_text: str = "",
    height: int = 320,
) -> dict[str, Any]:
    """Lines over periods with interval bands; the first series is drawn on top."""
    data: list[dict[str, Any]] = []
    for s in reversed(series):
        if s.band:
            band = _band(plain_all(s.x), s.low, s.high, s.band, plain(s.name))
            if band:
                data.append(band)
    for s in reversed(series):
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": plain_all(s.x),
                "y": _values(s.value),
                "name": plain(s.name),
                "line": {"color": s.color, "width": s.width, "dash": s.dash},
                "marker": {"size": 7, "color": s.color},
                "hovertext": _hover(s.name, s.x, s.value, s.low, s.high, decimals, unit),
                "hoverinfo": "text",
                "connectgaps": False,
            }
        )
    layout = base_layout(
        height=height,
        showlegend=True,
        legend={"orientation": "h", "y": -0.18, "x": 0, "font": {"size": 12}},
        yaxis={"title": {"text": plain(unit)}, "rangemode": "tozero"},
        xaxis={"type": "category"},
    )
    if target is not None:
        layout["shapes"] = [_hline(target, "#0f766e", "dot")]
        layout["annotations"] = [
            _hlabel(target, plain(f"Mål {target_text or format_value(target, decimals, unit)}"), "#0f766e")
        ]
    return {"data": data, "layout": layout}


def _hline(y: float, color: str, dash: str = "dash", xref: str = "paper", yref: str = "y") -> dict[str, Any]:
    return {
        "type": "line",
        "xref": xref,
        "yref": yref,
        "x0": 0,
        "x1": 1,
        "y0": y,
        "y1": y,
        "line": {"color": color, "width": 1.5, "dash": dash},
    }


def _hlabel(y: float, text: str, color: str) -> dict[str, Any]:
    return {
        "xref": "paper",
        "yref": "y",
        "x": 1,
        "y": y,
        "text": text,
        "showarrow": False,
        "xanchor": "right",
        "yanchor": "bottom",
        "font": {"size": 11, "color": color},
    }


@dataclass(frozen=True)
class Bar:
    code: str
    name: str
    value: float | None
    low: float | None
    high: float | None
    cls: str
    denominator: float | None = None
    highlighted: bool = False


def ranked_bars(
    bars: Sequence[Bar],
    *,
    reference: float | None,
    reference_label: str,
    decimals: int,
    unit: str,
    direction: str,
    highlight_any: bool,
) -> dict[str, Any]:
    """Horizontal bars with 95 % whiskers, best at the top, the län as a line; suppressed ones named."""
    shown = [b for b in bars if not is_missing(b.value)]
    hidden = [b for b in bars if is_missing(b.value)]
    reverse = direction != "lower"  # best (or highest, if neutral) first
    shown.sort(key=lambda b: b.value, reverse=reverse)  # type: ignore[arg-type, return-value]
    ordered = shown + hidden
    names = [_name(b) for b in ordered]
    # plotly draws the first category at the bottom; reverse so the best is on top
    names_rev = list(reversed(names))
    ordered_rev = list(reversed(ordered))
    top = max([b.high or b.value or 0 for b in shown] + [reference or 0]) if shown else 1
    x_max = top * 1.08 if top > 0 else 1
    colors = [STYLES[b.cls].fill for b in ordered_rev]
    outline = ["#1b1b1b" if STYLES[b.cls].fill == "#ffffff" else STYLES[b.cls].fill for b in ordered_rev]
    opacity = [1.0 if (b.highlighted or not highlight_any) else 0.35 for b in ordered_rev]
    hover = []
    for b in ordered_rev:
        interval = format_interval(b.low, b.high, decimals)
        value = (
            "för få för att visas" if is_missing(b.value) else plain(format_value(b.value, decimals, unit))
        )
        hover.append(
            f"<b>{plain(b.name)}</b><br>{value}"
            + (f"<br>95 % KI {interval}" if interval else "")
            + f"<br>{STYLES[b.cls].label}"
        )
    bar_trace: dict[str, Any] = {
        "type": "bar",
        "orientation": "h",
        "y": names_rev,
        "x": [b.value for b in ordered_rev],
        "marker": {"color": colors, "opacity": opacity, "line": {"color": outline, "width": 1}},
        "hovertext": hover,
        "hoverinfo": "text",
        "error_x": {
            "type": "data",
            "symmetric": False,
            "array": [_diff(b.high, b.value) for b in ordered_rev],
            "arrayminus": [_diff(b.value, b.low) for b in ordered_rev],
            "color": "#1b1b1b",
            "thickness": 1.3,
            "width": 4,
        },
        "text": [STYLES[b.cls].symbol for b in ordered_rev],
        "textposition": "none",
    }
    data = [bar_trace]
    if hidden:
        data.append(
            {
                "type": "scatter",
                "mode": "text",
                "y": [_name(b) for b in hidden],
                "x": [x_max * 0.01] * len(hidden),
                "text": ["för få" if b.cls == "suppressed" else "saknas" for b in hidden],
                "textposition": "middle right",
                "textfont": {"color": MUTED, "size": 12},
                "hoverinfo": "skip",
            }
        )
    shapes, annotations = [], []
    if not is_missing(reference):
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": reference,
                "x1": reference,
                "y0": 0,
                "y1": 1,
                "line": {"color": INK, "width": 2, "dash": "dash"},
            }
        )
        annotations.append(
            {
                "xref": "x",
                "yref": "paper",
                "x": reference,
                "y": 1,
                "yanchor": "bottom",
                "text": plain(reference_label),
                "showarrow": False,
                "font": {"size": 12, "color": INK},
            }
        )
    height = max(260, 30 * len(ordered) + 70)
    layout = base_layout(
        height=height,
        bargap=0.28,
        margin={"l": 8, "r": 24, "t": 30, "b": 8},
        xaxis={"title": {"text": plain(unit)}, "range": [0, x_max]},
        yaxis={
            "type": "category",
            "categoryorder": "array",
            "categoryarray": names_rev,
            "gridcolor": "rgba(0,0,0,0)",
            "ticks": "",
        },
        shapes=shapes,
        annotations=annotations,
    )
    return {"data": data, "layout": layout}


def _name(b: Bar) -> str:
    """A bar's name as a label, bold when highlighted."""
    return f"<b>{plain(b.name)}</b>" if b.highlighted else plain(b.name)


def log_ticks(values: Sequence[float]) -> dict[str, Any]:
    """Ticks at 1, 2, 5, 10, 20, 50 … written the Swedish way ("10 000", not "10k")."""
    positive = [v for v in values if v and v > 0 and not math.isnan(v)]
    if not positive:
        return {}
    low, high = math.floor(math.log10(min(positive))), math.ceil(math.log10(max(positive)))
    ticks = [m * 10**e for e in range(low, high + 1) for m in (1, 2, 5)]
    return {"tickmode": "array", "tickvals": ticks, "ticktext": [format_value(t, 0, "") for t in ticks]}


def funnel_figure(
    bars: Sequence[Bar],
    curves: FunnelCurves | None,
    *,
    reference: float | None,
    decimals: int,
    unit: str,
    denominator_label: str,
    highlight_any: bool,
) -> dict[str, Any]:
    """Value against denominator with 95 % and 99.8 % limits around the län value."""
    data: list[dict[str, Any]] = []
    if curves is not None:
        for low, high, dash, name in (
            (curves.lower998, curves.upper998, "dot", "99,8 % gräns"),
            (curves.lower95, curves.upper95, "dash", "95 % gräns"),
        ):
            line = {"color": "#4b5563", "width": 1.4, "dash": dash}
            common = {
                "type": "scatter",
                "mode": "lines",
                "x": curves.x,
                "name": name,
                "legendgroup": name,
                "line": line,
                "hoverinfo": "skip",
            }
            data.append({**common, "y": high, "showlegend": True})
            # the 95 % band is shaded lightly: where a kommun may lie by chance alone
            fill = {"fill": "tonexty", "fillcolor": "rgba(31, 78, 153, 0.07)"} if dash == "dash" else {}
            data.append({**common, "y": low, "showlegend": False, **fill})
    points = [b for b in bars if not is_missing(b.value) and not is_missing(b.denominator)]
    hover = [
        f"<b>{plain(b.name)}</b><br>{plain(format_value(b.value, decimals, unit))}<br>"
        f"{plain(denominator_label)}: {format_value(b.denominator, 0, '')}<br>{STYLES[b.cls].label}"
        for b in points
    ]
    data.append(
        {
            "type": "scatter",
            "mode": "markers+text",
            "x": [b.denominator for b in points],
            "y": [b.value for b in points],
            "text": [_name(b) for b in points],
            "textposition": "top center",
            "textfont": {
                "size": 11,
                "color": [INK if (b.highlighted or not highlight_any) else "#8a909b" for b in points],
            },
            "marker": {
                "size": [13 if b.highlighted else 10 for b in points],
                "color": [STYLES[b.cls].fill for b in points],
                "opacity": [1.0 if (b.highlighted or not highlight_any) else 0.45 for b in points],
                "line": {"color": "#1b1b1b", "width": 1},
                "symbol": ["diamond" if b.highlighted else "circle" for b in points],
            },
            "hovertext": hover,
            "hoverinfo": "text",
            "name": "Kommuner",
            "showlegend": False,
        }
    )
    shapes: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    if reference is not None:
        shapes.append(_hline(reference, INK, "solid"))
        annotations.append(_hlabel(reference, plain(f"Länet {format_value(reference, decimals, unit)}"), INK))
    values: list[float | None] = [b.value for b in points] + [reference]
    denominators = [b.denominator for b in points if b.denominator is not None]
    if curves is not None and denominators:
        smallest = min(denominators) * 0.9
        in_view = [i for i, x in enumerate(curves.x) if x >= smallest]
        values += [curves.lower998[i] for i in in_view] + [curves.upper998[i] for i in in_view]
    finite = [v for v in values if v is not None and not math.isnan(v)]
    y_range = None
    if finite:
        lo, hi = min(finite), max(finite)
        pad = (hi - lo) * 0.08 or abs(hi) * 0.1 or 1
        y_range = [max(lo - pad, 0) if lo >= 0 else lo - pad, hi + pad]
    layout = base_layout(
        height=420,
        showlegend=True,
        legend={"orientation": "h", "y": -0.2, "x": 0, "font": {"size": 12}},
        xaxis={
            "type": "log",
            "title": {"text": plain(f"{denominator_label} (logaritmisk skala)")},
            **log_ticks(denominators),
        },
        yaxis={"title": {"text": plain(unit)}, "range": y_range},
        shapes=shapes,
        annotations=annotations,
        margin={"l": 8, "r": 16, "t": 16, "b": 8},
    )
    return {"data": data, "layout": layout}


@dataclass(frozen=True)
class BreakdownSeries:
    name: str
    categories: list[str]
    value: list[float | None]
    low: list[float | None]
    high: list[float | None]
    color: str


def breakdown_figure(series: Sequence[BreakdownSeries], *, decimals: int, unit: str) -> dict[str, Any]:
    """Grouped horizontal bars per category (kön, åldersgrupp) with 95 % whiskers."""
    data = []
    for s in series:
        hover = _hover(s.name, s.categories, s.value, s.low, s.high, decimals, unit)
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": plain(s.name),
                "y": plain_all(s.categories),
                "x": _values(s.value),
                "marker": {"color": s.color},
                "hovertext": hover,
                "hoverinfo": "text",
                "error_x": {
                    "type": "data",
                    "symmetric": False,
                    "array": [_diff(h, v) for v, h in zip(s.value, s.high, strict=True)],
                    "arrayminus": [_diff(v, lo) for v, lo in zip(s.value, s.low, strict=True)],
                    "color": "#1b1b1b",
                    "thickness": 1.2,
                    "width": 3,
                },
            }
        )
    # plotly stacks horizontal groups bottom-up: draw the series reversed so the first one is on
    # top of each group, and reverse the legend back so it reads in the same order as the bars
    data.reverse()
    categories = series[0].categories if series else []
    layout = base_layout(
        height=max(200, 34 * len(categories) * max(len(series), 1) // 1.6 + 80),
        barmode="group",
        bargap=0.25,
        showlegend=True,
        legend={
            "orientation": "h",
            "y": 1.02,
            "yanchor": "bottom",
            "x": 0,
            "traceorder": "reversed",
            "font": {"size": 12},
        },
        margin={"l": 8, "r": 16, "t": 36, "b": 8},
        xaxis={"title": {"text": plain(unit)}, "rangemode": "tozero"},
        yaxis={
            "type": "category",
            "categoryorder": "array",
            "categoryarray": plain_all(reversed(categories)),
            "gridcolor": "rgba(0,0,0,0)",
            "ticks": "",
        },
    )
    return {"data": data, "layout": layout}


@dataclass(frozen=True)
class Facet:
    title: str
    x: list[str]
    value: list[float | None]
    low: list[float | None]
    high: list[float | None]
    highlighted: bool = False


def facets_figure(
    facets: Sequence[Facet], reference: Facet, *, decimals: int, unit: str, columns: int = 4
) -> dict[str, Any]:
    """Small multiples: one panel per kommun, the same y scale in all, the län dashed in each."""
    n = len(facets)
    columns = max(1, min(columns, n))
    rows = max(1, math.ceil(n / columns))
    gap_x = 0.04
    panel = 190  # px per row of panels, with room for the next row's titles
    gap_y = (58 / (panel * rows)) if rows > 1 else 0.0
    width = (1 - gap_x * (columns - 1)) / columns
    height = (1 - gap_y * (rows - 1)) / rows
    all_values = [v for f in (*facets, reference) for v in (*f.value, *f.low, *f.high) if v is not None]
    top = max(all_values) * 1.08 if all_values else 1
    y_range = [0, top if top > 0 else 1]
    data: list[dict[str, Any]] = []
    layout = base_layout(height=int(panel * rows + 40), margin={"l": 8, "r": 8, "t": 28, "b": 8})
    annotations = []
    for i, f in enumerate(facets):
        r, c = divmod(i, columns)
        suffix = "" if i == 0 else str(i + 1)
        xa, ya = f"x{suffix}", f"y{suffix}"
        x0 = c * (width + gap_x)
        y1 = 1 - r * (height + gap_y)
        layout[f"xaxis{suffix}"] = {
            **AXIS_STYLE,
            "domain": [x0, x0 + width],
            "anchor": ya,
            "type": "category",
            "tickfont": {"size": 10},
            "showgrid": False,
            # a small facet has room for two month or quarter labels: the first and the last
            **({"tickvals": [plain(f.x[0]), plain(f.x[-1])]} if len(f.x) > 6 else {}),
        }
        layout[f"yaxis{suffix}"] = {
            **AXIS_STYLE,
            "domain": [y1 - height, y1],
            "anchor": xa,
            "range": y_range,
            "tickfont": {"size": 10},
            "showticklabels": c == 0,
            "nticks": 4,
        }
        color = HIGHLIGHT if f.highlighted else KOMMUN
        band = _band(
            plain_all(f.x),
            f.low,
            f.high,
            "rgba(194, 65, 12, 0.16)" if f.highlighted else KOMMUN_BAND,
            plain(f.title),
            xa,
            ya,
        )
        if band:
            data.append(band)
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": plain_all(reference.x),
                "y": _values(reference.value),
                "xaxis": xa,
                "yaxis": ya,
                "line": {"color": LAN, "width": 1.5, "dash": "dash"},
                "hovertext": _hover(
                    reference.title,
                    reference.x,
                    reference.value,
                    reference.low,
                    reference.high,
                    decimals,
                    unit,
                ),
                "hoverinfo": "text",
                "name": plain(reference.title),
            }
        )
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": plain_all(f.x),
                "y": _values(f.value),
                "xaxis": xa,
                "yaxis": ya,
                "line": {"color": color, "width": 2.2},
                "marker": {"size": 5, "color": color},
                "hovertext": _hover(f.title, f.x, f.value, f.low, f.high, decimals, unit),
                "hoverinfo": "text",
                "name": plain(f.title),
            }
        )
        annotations.append(
            {
                "xref": f"{xa} domain",
                "yref": f"{ya} domain",
                "x": 0,
                "y": 1.02,
                "xanchor": "left",
                "yanchor": "bottom",
                "text": f"<b>{plain(f.title)}</b>" if f.highlighted else plain(f.title),
                "showarrow": False,
                "font": {"size": 12, "color": HIGHLIGHT if f.highlighted else INK},
            }
        )
    layout["annotations"] = annotations
    return {"data": data, "layout": layout}


def _outer_rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    """The outer ring of each polygon of a Polygon or MultiPolygon geometry."""
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates") or []
    if kind == "Polygon":
        return [coordinates[0]] if coordinates else []
    if kind == "MultiPolygon":
        return [polygon[0] for polygon in coordinates if polygon]
    return []


def choropleth_figure(
    geojson: dict[str, Any], bars: Sequence[Bar], *, decimals: int, unit: str, classes: Sequence[str]
) -> dict[str, Any]:
    """The län's kommuner coloured by comparison class.

    Drawn as filled polygons on plain axes (longitude scaled by cos(latitude)) rather than
    a plotly geo map, which would fetch its base map from the internet.
    """
    by_code = {str(f.get("properties", {}).get("id", "")).zfill(4): f for f in geojson.get("features", [])}
    rings = {b.code: _outer_rings(by_code[b.code].get("geometry") or {}) for b in bars if b.code in by_code}
    lats = [pt[1] for rs in rings.values() for ring in rs for pt in ring]
    scale = math.cos(math.radians(sum(lats) / len(lats))) if lats else 1.0
    data: list[dict[str, Any]] = []
    label_x, label_y, label_text, label_color = [], [], [], []
    for b in bars:
        if b.code not in rings:
            continue
        style = STYLES[b.cls]
        xs: list[float | None] = []
        ys: list[float | None] = []
        largest: list[list[float]] = max(rings[b.code], key=len) if rings[b.code] else []
        for ring in rings[b.code]:
            xs += [pt[0] * scale for pt in ring] + [None]
            ys += [pt[1] for pt in ring] + [None]
        value = (
            "för få för att visas" if is_missing(b.value) else plain(format_value(b.value, decimals, unit))
        )
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": xs,
                "y": ys,
                "fill": "toself",
                "fillcolor": style.fill,
                "line": {
                    "color": "#ffffff" if style.fill != "#ffffff" else "#6b7280",
                    "width": 3 if b.highlighted else 1,
                },
                "hoveron": "fills",
                "text": f"<b>{plain(b.name)}</b><br>{value}<br>{style.label}",
                "hoverinfo": "text",
                "showlegend": False,
                "name": plain(b.name),
            }
        )
        if largest:
            label_x.append(sum(pt[0] for pt in largest) / len(largest) * scale)
            label_y.append(sum(pt[1] for pt in largest) / len(largest))
            label_text.append(_name(b))
            label_color.append(style.text)
    data.append(
        {
            "type": "scatter",
            "mode": "text",
            "x": label_x,
            "y": label_y,
            "text": label_text,
            "textfont": {"size": 11, "color": label_color},
            "hoverinfo": "skip",
            "showlegend": False,
        }
    )
    for cls in classes:
        style = STYLES[cls]
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "x": [None],
                "y": [None],
                "name": f"{style.symbol} {style.short}".strip(),
                "marker": {
                    "symbol": "square",
                    "size": 14,
                    "color": style.fill,
                    "line": {"color": "#6b7280", "width": 1},
                },
                "showlegend": True,
                "hoverinfo": "skip",
            }
        )
    hidden_axis = {"visible": False, "showgrid": False, "zeroline": False, "fixedrange": True}
    layout = base_layout(
        height=430,
        showlegend=True,
        legend={"orientation": "h", "y": -0.02, "x": 0, "font": {"size": 12}},
        xaxis=hidden_axis,
        yaxis={**hidden_axis, "scaleanchor": "x", "scaleratio": 1},
        plot_bgcolor="rgba(0,0,0,0)",
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
    )
    return {"data": data, "layout": layout}
