"""The kommun profile: every indicator for one kommun against its län, and a summary in words."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from metrics.catalogue.model import Catalogue, Indicator, PlanArea
from metrics.dashboard.logic.comparison import (
    BETTER,
    HIGHER,
    LOWER,
    NO_DATA,
    NOT_TESTED,
    SAME,
    SIMILAR,
    SUPPRESSED_CLASS,
    WORSE,
    class_sentence,
    compare,
)
from metrics.dashboard.logic.format import format_period, is_missing, join_words, plural
from metrics.dashboard.logic.periods import parse_period
from metrics.dashboard.logic.spine import SpineGeometry, spine_geometry
from metrics.dashboard.source.data import Snapshot


@dataclass(frozen=True)
class ProfileRow:
    indicator: Indicator
    area: PlanArea | None
    value: float | None
    ci_low: float | None
    ci_high: float | None
    suppressed: bool
    lan_value: float | None
    kommun_values: list[float | None]
    cls: str
    geometry: SpineGeometry | None
    note: str | None = None


def _num(value: object) -> float | None:
    return None if is_missing(value) else float(value)  # type: ignore[arg-type]


def profile_rows(
    snap: Snapshot, catalogue: Catalogue, kommun: str, lan: str, period: str
) -> list[ProfileRow]:
    """One row per catalogue indicator, in plan-area order."""
    selected = parse_period(period)
    period_type = selected.type if selected else "year"
    order = {area.id: i for i, area in enumerate(catalogue.plan_areas)}
    indicators = sorted(
        catalogue.indicators,
        key=lambda ind: order.get(ind.plan_areas[0], len(order)) if ind.plan_areas else len(order),
    )
    result: list[ProfileRow] = []
    for ind in indicators:
        area = catalogue.plan_area(ind.plan_areas[0]) if ind.plan_areas else None
        if period_type not in ind.periods:
            result.append(
                ProfileRow(
                    ind, area, None, None, None, False, None, [], NO_DATA, None, "Redovisas bara per år"
                )
            )
            continue
        cells = snap.cells(ind.id, lan, period)
        lan_row = cells.get(lan)
        lan_value = lan_row.value if lan_row else None
        values = [r.value for r in cells.values() if r.area_level == "kommun"]
        own = cells.get(kommun)
        if own is None or own.missing:
            result.append(
                ProfileRow(
                    ind,
                    area,
                    None,
                    None,
                    None,
                    False,
                    lan_value,
                    values,
                    NO_DATA,
                    None,
                    "Uppgift saknas (ingen leverans)" if own is not None else "Ingen data för perioden",
                )
            )
            continue
        value, low, high, suppressed = own.value, own.ci_low, own.ci_high, own.suppressed
        cls = compare(value, low, high, lan_value, ind.direction, suppressed=suppressed)
        geometry = spine_geometry(values, lan_value, value, ind.direction)
        result.append(ProfileRow(ind, area, value, low, high, suppressed, lan_value, values, cls, geometry))
    return result


def profile_summary(kommun_name: str, rows: list[ProfileRow], period: str) -> str:
    """'Motala ligger signifikant bättre än länet på 3 indikatorer: …; signifikant sämre på 2: ….'"""

    def titles(cls: str) -> list[str]:
        return [r.indicator.title for r in rows if r.cls == cls]

    better, worse = titles(BETTER), titles(WORSE)
    higher, lower = titles(HIGHER), titles(LOWER)
    similar = len(titles(SIMILAR)) + len(titles(SAME))
    untested = len(titles(NOT_TESTED))
    hidden = len(titles(SUPPRESSED_CLASS))

    parts: list[str] = []
    if better:
        parts.append(
            f"signifikant bättre än länet på {plural(len(better), 'indikator', 'indikatorer')}: "
            f"{join_words(better)}"
        )
    if worse:
        lead = "signifikant sämre på" if better else "signifikant sämre än länet på"
        parts.append(f"{lead} {plural(len(worse), 'indikator', 'indikatorer')}: {join_words(worse)}")
    when = format_period(period)
    if parts:
        text = f"{kommun_name} ligger {'; '.join(parts)} ({when})."
    else:
        text = (
            f"{kommun_name} skiljer sig inte signifikant från länet på någon indikator "
            f"där högre eller lägre är bättre ({when})."
        )
    extra: list[str] = []
    if higher:
        extra.append(f"högre än länet: {join_words(higher)}")
    if lower:
        extra.append(f"lägre än länet: {join_words(lower)}")
    if extra:
        described = "indikator" if len(higher) + len(lower) == 1 else "indikatorer"
        text += (
            " Signifikant "
            + "; ".join(extra)
            + f" (beskrivande {described}, där varken högre eller lägre är bättre)."
        )
    rest: list[str] = []
    if similar:
        rest.append(f"{plural(similar, 'indikator', 'indikatorer')} utan signifikant skillnad")
    if untested:
        rest.append(
            f"{plural(untested, 'indikator', 'indikatorer')} utan konfidensintervall som inte jämförs"
        )
    if hidden:
        rest.append(f"{plural(hidden, 'indikator', 'indikatorer')} med för få fall för att visas")
    if rest:
        text += " Dessutom " + join_words(rest) + "."
    return text


def profile_frame(rows: list[ProfileRow], kommun_name: str, lan_name: str, period: str) -> pd.DataFrame:
    """The profile as a table for downloads."""
    records = []
    for r in rows:
        known = [v for v in r.kommun_values if v is not None]
        records.append(
            {
                "Planområde": r.area.title if r.area else "",
                "Indikator": r.indicator.title,
                "Indikator-id": r.indicator.id,
                "Enhet": r.indicator.unit,
                "Period": format_period(period),
                "Kommun": kommun_name,
                "Värde": None if r.suppressed else r.value,
                "KI 95 % låg": r.ci_low,
                "KI 95 % hög": r.ci_high,
                "Län": lan_name,
                "Länets värde": r.lan_value,
                "Lägsta i länet": min(known) if known else None,
                "Högsta i länet": max(known) if known else None,
                "Jämfört med länet": "för få"
                if r.suppressed
                else class_sentence(r.cls, r.indicator.direction),
                "Anmärkning": r.note or "",
            }
        )
    return pd.DataFrame.from_records(records)
