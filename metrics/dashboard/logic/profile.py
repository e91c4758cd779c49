"""The kommun profile: every indicator for one kommun against its län, and a summary in words."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from metrics.catalogue.model import Catalogue, Indicator, PlanArea
from metrics.catalogue.plan_model import PlanNode
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
)
from metrics.dashboard.logic.format import format_period, is_missing, join_words, plural
from metrics.dashboard.logic.periods import parse_period
from metrics.dashboard.logic.plan import plan_of
from metrics.dashboard.logic.rung_notes import ladder_note
from metrics.dashboard.logic.spine import SpineGeometry, spine_geometry
from metrics.dashboard.logic.standardised import compared_standardised, standardised_text
from metrics.dashboard.logic.verdicts import TrendMarker, cell_class, trend_marker
from metrics.dashboard.source.data import Snapshot


@dataclass(frozen=True)
class ProfileRow:
    indicator: Indicator
    area: PlanNode | PlanArea | None
    value: float | None
    ci_low: float | None
    ci_high: float | None
    suppressed: bool
    lan_value: float | None
    kommun_values: list[float | None]
    cls: str
    geometry: SpineGeometry | None
    note: str | None = None
    trend: TrendMarker | None = None  # the kommun's recent trend (yearly view)
    standardised: str | None = None  # 'Åldersstandardiserat 1 234 (…)' beside the crude value
    compared_standardised: bool = False  # the verdict compares the standardised values
    path: tuple[PlanNode, ...] = ()  # the plan's headings down to `area` (nested plans)
    withheld: bool = False  # the publishing ladder withholds the kommun's value (not "saknas")


def _num(value: object) -> float | None:
    return None if is_missing(value) else float(value)  # type: ignore[arg-type]


def profile_rows(
    snap: Snapshot, catalogue: Catalogue, kommun: str, lan: str, period: str
) -> list[ProfileRow]:
    """One row per indicator of the län's plan, in the plan's order, under the first heading it has."""
    selected = parse_period(period)
    period_type = selected.type if selected else "year"
    placed: dict[str, tuple[PlanNode, ...]] = {}
    for path in _paths(plan_of(catalogue, lan).nodes, ()):
        for indicator_id in path[-1].indicators:
            placed.setdefault(indicator_id, path)
    result: list[ProfileRow] = []
    for indicator_id, path in placed.items():
        ind = catalogue.indicator(indicator_id)
        area = path[-1]
        row = _profile_row(snap, ind, area, kommun, lan, period, period_type)
        result.append(replace(row, path=path))
    return result


def _paths(nodes: tuple[PlanNode, ...], above: tuple[PlanNode, ...]) -> list[tuple[PlanNode, ...]]:
    """Every heading's path from the top of the plan, in the plan's order."""
    found: list[tuple[PlanNode, ...]] = []
    for node in nodes:
        found.append((*above, node))
        found.extend(_paths(node.children, (*above, node)))
    return found


def _profile_row(
    snap: Snapshot,
    ind: Indicator,
    area: PlanNode,
    kommun: str,
    lan: str,
    period: str,
    period_type: str,
) -> ProfileRow:
    if period_type not in ind.periods:
        return ProfileRow(
            ind, area, None, None, None, False, None, [], NO_DATA, None, "Redovisas bara per år"
        )
    cells = snap.cells(ind.id, lan, period)
    lan_row = cells.get(lan)
    lan_value = lan_row.value if lan_row else None
    values = [r.value for r in cells.values() if r.area_level == "kommun"]
    own = cells.get(kommun)
    not_published = ladder_note(snap.ladder, ind.id, period_type)
    if own is None and not_published:
        # delivered, but not published on the indicator's rung: not "Ingen data för perioden"
        return ProfileRow(
            ind, area, None, None, None, False, lan_value, values, NO_DATA, None, not_published, withheld=True
        )
    if own is None or own.missing:
        return ProfileRow(
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
    value, low, high, suppressed = own.value, own.ci_low, own.ci_high, own.suppressed
    cls = cell_class(own, lan_value, ind.direction)
    geometry = spine_geometry(values, lan_value, value, ind.direction)
    marker = trend_marker(own.trend, ind.direction) if period_type == "year" else None
    return ProfileRow(
        ind,
        area,
        value,
        low,
        high,
        suppressed,
        lan_value,
        values,
        cls,
        geometry,
        trend=marker,
        standardised=standardised_text(own, ind.decimals, ind.unit),
        compared_standardised=compared_standardised(cells, lan),
    )


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
                else "visas inte per kommun"
                if r.withheld
                else class_sentence(r.cls, r.indicator.direction),
                "Anmärkning": r.note or "",
            }
        )
    return pd.DataFrame.from_records(records)
