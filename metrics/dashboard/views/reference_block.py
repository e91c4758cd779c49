"""The indicator page's national reference: the län's own values beside riket (and the län) from Kolada."""

from __future__ import annotations

from typing import Any

from dash import html

from metrics.catalogue.model import Indicator
from metrics.dashboard.logic.format import format_value
from metrics.dashboard.logic.references import NationalReference, national_reference
from metrics.dashboard.logic.series import trend
from metrics.dashboard.source.context import current_snapshot, settings
from metrics.dashboard.source.references import references
from metrics.dashboard.views.components import as_table, figure_block, section
from metrics.dashboard.views.figures import LAN, SERIES, Series, trend_figure

RIKET = "#111827"  # riket: dark, dashed; the län per Kolada: dotted


def reference_section(indicator: Indicator, lan: str, lan_label: str, page: str) -> Any:
    """A section with the reference, or None when the indicator has no stored Kolada values."""
    if indicator.kolada is None:
        return None
    ref = national_reference(references(settings().db_path), indicator, lan, lan_label)
    if ref is None:
        return None
    own = trend(current_snapshot(), indicator.id, lan, [lan], "year")[lan]
    years = sorted({int(p) for p in own.periods if p.isdigit()} | {y for s in ref.series for y in s.years})
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
    for i, s in enumerate(ref.series):
        values = dict(zip(s.years, s.values, strict=True))
        series.append(
            Series(
                s.name,
                labels,
                [values.get(y) for y in years],
                [None] * len(labels),
                [None] * len(labels),
                RIKET if i == 0 and s.name.startswith("Riket") else LAN,
                dash="dash" if s.name.startswith("Riket") else "dot",
                width=2.0,
            )
        )
    dec, unit = indicator.decimals, indicator.unit
    rows = [[s.name, *[format_value(v, dec, unit) for v in s.value]] for s in series]
    block = figure_block(
        f"{page}-reference",
        trend_figure(series, decimals=dec, unit=unit, height=300),
        title=f"{lan_label} och riket per år, Kolada streckat",
        description=(
            "Linjediagram: länets värde i mätavlan, riket (streckat) och länet enligt Kolada (prickat)."
        ),
        table=as_table(["Område", *labels], rows, numeric=tuple(range(1, len(labels) + 1))),
    )
    return section("Nationell referens", html.Div([_lines(ref), block], className="card"), intro=_intro(ref))


def _lines(ref: NationalReference) -> Any:
    return html.Ul([html.Li(line.text) for line in ref.lines], className="reference-lines")


def _intro(ref: NationalReference) -> str:
    title = f" ”{ref.title}”" if ref.title else ""
    return (
        f"Källa: Kolada, nyckeltal {ref.kpi}{title}, hämtat med matavla kolada "
        f"({', '.join(ref.sources)}). Kolada räknar på sitt eget underlag; skillnader mot mätavlans "
        "värde kan bero på definition och datakälla."
    )
