"""The national reference of an indicator: riket and the län as Kolada has them, with provenance.

Pure functions over the `kolada_reference` rows, so the wording is tested without a browser.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from metrics.catalogue.model import Indicator
from metrics.dashboard.logic.format import format_date, format_value, is_missing
from metrics.dashboard.logic.riket import KOLADA_RIKET, group_name
from metrics.geography import RIKET

GENDER_WORDS = {"T": "", "K": ", kvinnor", "M": ", män"}


@dataclass(frozen=True)
class ReferenceLine:
    """One reference number as the page states it, with where it comes from."""

    name: str  # 'Riket enligt Kolada' or 'Östergötlands län enligt Kolada'
    value: float | None
    year: int
    text: str  # 'Riket enligt Kolada: 63,2 % (Kolada N99901, 2024, hämtad 2026-12-02)'


@dataclass(frozen=True)
class ReferenceSeries:
    name: str
    years: list[int]
    values: list[float | None]


@dataclass(frozen=True)
class NationalReference:
    kpi: str
    title: str | None
    lines: list[ReferenceLine]
    series: list[ReferenceSeries]
    sources: list[str]  # the API pages or files the shown values came from


def national_reference(
    rows: pd.DataFrame, indicator: Indicator, lan: str, lan_label: str
) -> NationalReference | None:
    """Riket, the län and the chosen kommun groups from Kolada for the indicator's KPI and gender;
    None when nothing is stored."""
    if indicator.kolada is None or rows.empty:
        return None
    ref = indicator.kolada
    own = rows[(rows["kpi"] == ref.kpi) & (rows["gender"] == ref.gender)]
    gender = GENDER_WORDS.get(ref.gender, "")
    lines: list[ReferenceLine] = []
    series: list[ReferenceSeries] = []
    sources: list[str] = []
    areas = [
        ("riket", RIKET, KOLADA_RIKET),
        ("lan", lan, f"{lan_label} enligt Kolada"),
        *(("grupp", g, group_name(g)) for g in ref.groups),
    ]
    for level, code, name in areas:
        area = own[(own["area_level"] == level) & (own["area_code"] == code)].sort_values("year")
        known = area[[not is_missing(v) for v in area["value"]]]
        if known.empty:
            continue
        latest = known.iloc[-1]
        value = float(latest["value"])
        year = int(latest["year"])
        fetched = format_date(latest["fetched_at"])
        text = (
            f"{name}{gender}: {format_value(value, indicator.decimals, indicator.unit)} "
            f"(Kolada {ref.kpi}, {year}, hämtad {fetched})"
        )
        lines.append(ReferenceLine(name, value, year, text))
        series.append(
            ReferenceSeries(
                name if level != "riket" else f"Riket (Kolada){gender}",
                [int(y) for y in area["year"]],
                [None if is_missing(v) else float(v) for v in area["value"]],
            )
        )
        if str(latest["source"]) not in sources:
            sources.append(str(latest["source"]))
    if not lines:
        return None
    titles = own.dropna(subset=["kpi_title"]).sort_values("fetched_at", kind="stable")["kpi_title"]
    title = str(titles.iloc[-1]) if len(titles) else None  # the latest fetch's: Kolada may rename a KPI
    return NationalReference(ref.kpi, title, lines, series, sources)
