"""The indicator page's national reference: the län's own values beside riket (and the län) from Kolada."""

from __future__ import annotations

from typing import Any

from dash import html

from metrics.catalogue.model import Indicator
from metrics.dashboard.logic.format import format_value
from metrics.dashboard.logic.references import NationalReference, ReferenceSeries, national_reference
from metrics.dashboard.logic.riket import coverage_text, riket_cells
from metrics.dashboard.logic.series import trend
from metrics.dashboard.source.context import current_snapshot, settings
from metrics.dashboard.source.references import kolada_groups, references
from metrics.dashboard.views.components import as_table, figure_block, section
from metrics.dashboard.views.figures import LAN, SERIES, Series, trend_figure

RIKET = "#111827"  # riket: dark, dashed; the län per Kolada: dotted


def reference_section(indicator: Indicator, lan: str, lan_label: str, page: str) -> Any:
    """A section with riket beside the län: computed where the deliveries cover the whole country,
    and Kolada's; None when there is neither."""
    snap = current_snapshot()
    stored = references(settings().db_path)
    ref = (
        national_reference(stored, indicator, lan, lan_label, kolada_groups(settings().db_path))
        if indicator.kolada is not None
        else None
    )
    cells = riket_cells(snap.national_totals(), indicator.id)
    computed = {p: c for p, c in cells.items() if p.isdigit() and c.whole_country}
    if ref is None and not computed:
        return None
    own = trend(snap, indicator.id, lan, [lan], "year")[lan]
    ref_series = ref.series if ref is not None else []
    years = sorted(
        {int(p) for p in own.periods if p.isdigit()}
        | {y for s in ref_series for y in s.years}
        | set(map(int, computed))
    )
    labels = [str(y) for y in years]
    by_year = dict(zip(own.periods, own.value, strict=True))
    series = [
        Series(
            f"{lan_label} (mätavlan)",
            labels,
            [by_year.get(x) for x in labels],
            [None] * len(labels),
            [None] * len(labels),
            SERIES[0],
        )
    ]
    if computed:
        series.append(
            Series(
                "Riket (mätavlan)",
                labels,
                [computed[x].value if x in computed else None for x in labels],
                [None] * len(labels),
                [None] * len(labels),
                RIKET,
                width=2.0,
            )
        )
    for i, s in enumerate(ref_series):
        values = dict(zip(s.years, s.values, strict=True))
        series.append(
            Series(
                s.name,
                labels,
                [values.get(y) for y in years],
                [None] * len(labels),
                [None] * len(labels),
                RIKET
                if i == 0 and s.level == "riket" and not computed
                else LAN
                if s.level != "grupp"
                else SERIES[(2 + i) % len(SERIES)],
                dash={"riket": "dash", "lan": "dot"}.get(s.level, "dashdot"),
                width=2.0,
            )
        )
    dec, unit = indicator.decimals, indicator.unit
    rows = [[s.name, *[format_value(v, dec, unit) for v in s.value]] for s in series]
    block = figure_block(
        f"{page}-reference",
        trend_figure(series, decimals=dec, unit=unit, height=300),
        title=f"{lan_label} och riket per år" + (", Kolada streckat" if ref is not None else ""),
        description=(
            "Linjediagram: länets värde i mätavlan"
            + (", riket beräknat av mätavlan ur alla län" if computed else "")
            + "".join(f", {part}" for part in _kolada_lines(ref_series)[:-1])
            + "".join(f" och {part}" for part in _kolada_lines(ref_series)[-1:])
            + "."
        ),
        table=as_table(["Område", *labels], rows, numeric=tuple(range(1, len(labels) + 1))),
    )
    lines: list[str] = []
    if computed:
        latest = max(computed)
        cell = computed[latest]
        shown = format_value(cell.value, dec, unit)
        lines.append(f"Riket: {shown} (mätavlan, {latest}, summan av {coverage_text(cell)})")
    intro = "Riket beräknas av mätavlan där leveranserna täcker alla län."
    if ref is not None:
        lines += [line.text for line in ref.lines]
        intro = _intro(ref) if not computed else intro + " " + _intro(ref)
    members = (
        [html.Ul([html.Li(t) for t in ref.groups], className="reference-groups muted")]
        if ref is not None and ref.groups
        else []
    )
    return section(
        "Nationell referens",
        html.Div(
            [html.Ul([html.Li(t) for t in lines], className="reference-lines"), *members, block],
            className="card",
        ),
        intro=intro,
        class_name="reference-section",
    )


def _intro(ref: NationalReference) -> str:
    title = f" ”{ref.title}”" if ref.title else ""
    return (
        f"Källa: Kolada, nyckeltal {ref.kpi}{title}, hämtat med matavla kolada "
        f"({', '.join(ref.sources)}). Kolada räknar på sitt eget underlag; skillnader mot mätavlans "
        "värde kan bero på definition och datakälla."
    )


def _kolada_lines(series: list[ReferenceSeries]) -> list[str]:
    """What each of Kolada's lines is, as the chart draws it: 'riket enligt Kolada (streckat)',
    'länet enligt Kolada (prickat)', and each group by its name (dash-dotted)."""
    return [
        "riket enligt Kolada (streckat)"
        if s.level == "riket"
        else "länet enligt Kolada (prickat)"
        if s.level == "lan"
        else f"{s.name} (streckprickat)"
        for s in series
    ]
