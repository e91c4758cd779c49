"""The national reference of an indicator: riket and the län as Kolada has them, with provenance.

Pure functions over the `kolada_reference` rows, so the wording is tested without a browser.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from metrics.catalogue.model import Indicator
from metrics.dashboard.logic.format import format_date, format_value, is_missing, swedish_sort_key
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
    level: str = "riket"  # 'riket', 'lan' or 'grupp'


@dataclass(frozen=True)
class KoladaGroup:
    """A kommun group's title and members as `matavla kolada` stored them (`kolada_groups`)."""

    group_id: str
    title: str | None
    members: tuple[str, ...]  # the member kommuner's names (their Kolada id where Kolada gave none)
    source: str  # the API page
    fetched_at: datetime  # when it was fetched


def group_text(group: KoladaGroup) -> str:
    """'Liknande kommuner: Större städer (Kolada, grupp G36186) består av Gävle, Linköping, …
    (7 kommuner enligt Kolada, <the API page>, hämtad 2026-12-02)': who is in the group, and from where."""
    n = len(group.members)
    names = ", ".join(sorted(group.members, key=swedish_sort_key))
    count = f"{n} {'kommun' if n == 1 else 'kommuner'}"
    return (
        f"{group_name(group.group_id, group.title)} består av {names or 'inga kommuner'} "
        f"({count} enligt Kolada, {group.source}, hämtad {format_date(group.fetched_at)})"
    )


@dataclass(frozen=True)
class NationalReference:
    kpi: str
    title: str | None
    lines: list[ReferenceLine]
    series: list[ReferenceSeries]
    sources: list[str]  # the API pages or files the shown values came from
    groups: list[str] = field(default_factory=list)  # who is in each shown group (`group_text`)


def national_reference(
    rows: pd.DataFrame,
    indicator: Indicator,
    lan: str,
    lan_label: str,
    groups: Mapping[str, KoladaGroup] | None = None,
) -> NationalReference | None:
    """Riket, the län and the chosen kommun groups from Kolada for the indicator's KPI and gender;
    None when nothing is stored. `groups`: the stored titles and members of Kolada's groups; a
    group not among them is named by its id."""
    fetched_groups = groups or {}
    if indicator.kolada is None or rows.empty:
        return None
    ref = indicator.kolada
    own = rows[(rows["kpi"] == ref.kpi) & (rows["gender"] == ref.gender)]
    gender = GENDER_WORDS.get(ref.gender, "")
    lines: list[ReferenceLine] = []
    series: list[ReferenceSeries] = []
    sources: list[str] = []
    members: list[str] = []
    areas = [
        ("riket", RIKET, KOLADA_RIKET),
        ("lan", lan, f"{lan_label} enligt Kolada"),
        *(
            ("grupp", g, group_name(g, fetched_groups[g].title if g in fetched_groups else None))
            for g in ref.groups
        ),
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
                level,
            )
        )
        if level == "grupp" and code in fetched_groups:
            members.append(group_text(fetched_groups[code]))
        if str(latest["source"]) not in sources:
            sources.append(str(latest["source"]))
    if not lines:
        return None
    titles = own.dropna(subset=["kpi_title"]).sort_values("fetched_at", kind="stable")["kpi_title"]
    title = str(titles.iloc[-1]) if len(titles) else None  # the latest fetch's: Kolada may rename a KPI
    return NationalReference(ref.kpi, title, lines, series, sources, members)
