"""The län board (Länsöversikt): one row per indicator, one column per kommun.

Pure functions from a results snapshot to what the page draws and what its downloads hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from metrics.catalogue.model import Catalogue, Indicator, PlanArea
from metrics.dashboard.logic.choices import kommuner_by_name
from metrics.dashboard.logic.comparison import (
    NO_DATA,
    SUPPRESSED_CLASS,
    Change,
    TargetStatus,
    change,
    class_sentence,
    compare,
    target_status,
)
from metrics.dashboard.logic.coverage_notes import MISSING_TEXT, comparable, missing_note, partial_text
from metrics.dashboard.logic.definition import format_target
from metrics.dashboard.logic.format import (
    NBSP,
    format_compact,
    format_interval,
    format_period,
    is_missing,
    unit_suffix,
)
from metrics.dashboard.logic.periods import parse_period, previous_comparable
from metrics.dashboard.source.data import ResultRow, Snapshot
from metrics.geography import load_geography


@dataclass(frozen=True)
class Cell:
    """One kommun's value for one indicator, classified against the län."""

    code: str
    name: str
    value: float | None
    ci_low: float | None
    ci_high: float | None
    numerator: float | None
    denominator: float | None
    cls: str
    text: str  # the number as shown in the cell, without unit
    description: str  # the whole cell in words, for screen readers and tooltips


@dataclass(frozen=True)
class BoardRow:
    indicator: Indicator
    value: float | None
    ci_low: float | None
    ci_high: float | None
    previous_period: str | None
    change: Change | None
    target: TargetStatus | None
    trend_years: list[str]
    trend_values: list[float | None]
    cells: list[Cell]
    note: str | None = None  # why the row is empty, e.g. 'redovisas bara per år'
    partial: str | None = None  # 't.o.m. november' when the period is covered in part
    missing: str | None = None  # 'Länet exklusive Berg: uppgift saknas'


@dataclass(frozen=True)
class BoardSection:
    area: PlanArea
    rows: list[BoardRow]


def _num(value: object) -> float | None:
    return None if is_missing(value) else float(value)  # type: ignore[arg-type]


def kommun_cells(
    cells: Mapping[str, ResultRow], kommuner: list[str], reference: float | None, indicator: Indicator
) -> list[Cell]:
    """Cells for the given kommuner (in that order) from the period's totals of the län."""
    geography = load_geography()
    result: list[Cell] = []
    for code in kommuner:
        name = geography.area_name(code)
        row = cells.get(code)
        if row is None or row.missing:
            text = MISSING_TEXT if row is not None else "–"
            result.append(
                Cell(code, name, None, None, None, None, None, NO_DATA, text, f"{name}: uppgift saknas")
            )
            continue
        cls = compare(
            row.value, row.ci_low, row.ci_high, reference, indicator.direction, suppressed=row.suppressed
        )
        text = "för få" if row.suppressed else format_compact(row.value, indicator.decimals)
        # the name read out starts with the number as shown in the cell (WCAG 2.5.3, label in name)
        unit = unit_suffix(indicator.unit)
        shown = "för få för att visas" if row.suppressed else f"{text}{NBSP}{unit}".rstrip()
        interval = format_interval(row.ci_low, row.ci_high, indicator.decimals)
        description = f"{name}: {shown}" + (f" (95 % KI {interval})" if interval else "")
        if cls != SUPPRESSED_CLASS:
            description += f", {class_sentence(cls, indicator.direction)}"
        result.append(
            Cell(
                code,
                name,
                row.value,
                row.ci_low,
                row.ci_high,
                row.numerator,
                row.denominator,
                cls,
                text,
                description,
            )
        )
    return result


def board_row(snap: Snapshot, indicator: Indicator, lan: str, period: str, kommuner: list[str]) -> BoardRow:
    selected = parse_period(period)
    years = [p for p in snap.periods_of(indicator.id, lan) if len(p) == 4]
    upto = [y for y in years if selected is None or int(y) <= selected.year]

    def lan_value(label: str | None) -> float | None:
        row = snap.cells(indicator.id, lan, label).get(lan) if label else None
        return None if row is None else row.value

    def full_year(label: str) -> float | None:
        row = snap.cells(indicator.id, lan, label).get(lan)
        return None if row is None or not row.complete else row.value

    trend = [full_year(y) for y in upto]  # a year covered in part would read as a dip
    period_type = selected.type if selected else "year"
    if period_type not in indicator.periods:
        note = "Redovisas bara per år" if period_type != "year" else "Ingen data för perioden"
        return BoardRow(indicator, None, None, None, None, None, None, upto, trend, [], note)
    current = snap.cells(indicator.id, lan, period)
    if not current:
        note = f"Ingen data för {format_period(period)}"
        return BoardRow(indicator, None, None, None, None, None, None, upto, trend, [], note)
    own = current.get(lan)
    value = own.value if own else None
    previous = previous_comparable(period)
    prev_row = snap.cells(indicator.id, lan, previous).get(lan) if previous else None
    # a period covered in part is never presented as a change against a complete one
    prev_value = lan_value(previous) if comparable(own, prev_row) else None
    diff = change(value, prev_value, indicator.direction, indicator.decimals)
    status = target_status(value, indicator.target, indicator.direction, format_target(indicator))
    return BoardRow(
        indicator,
        value,
        own.ci_low if own else None,
        own.ci_high if own else None,
        previous if prev_value is not None else None,
        diff,
        status,
        upto,
        trend,
        kommun_cells(current, kommuner, value, indicator),
        partial=partial_text(own, period),
        missing=missing_note(current, kommuner),
    )


def board(snap: Snapshot, catalogue: Catalogue, lan: str, period: str) -> list[BoardSection]:
    """The board's sections in the catalogue's plan-area order; each indicator under its first area."""
    kommuner = [code for code, _ in kommuner_by_name(snap, lan)]
    by_area: dict[str, list[BoardRow]] = {area.id: [] for area in catalogue.plan_areas}
    for indicator in catalogue.indicators:
        area = indicator.plan_areas[0] if indicator.plan_areas else None
        if area in by_area:
            by_area[area].append(board_row(snap, indicator, lan, period, kommuner))
    return [BoardSection(area, by_area[area.id]) for area in catalogue.plan_areas if by_area[area.id]]


def board_frame(sections: list[BoardSection], lan_name: str, period: str) -> pd.DataFrame:
    """The board as a table for downloads: one row per indicator and area (län first)."""
    records: list[dict[str, object]] = []
    for section in sections:
        for row in section.rows:
            ind = row.indicator
            base = {
                "Planområde": section.area.title,
                "Indikator": ind.title,
                "Indikator-id": ind.id,
                "Enhet": ind.unit,
                "Period": format_period(period),
            }
            records.append(
                {
                    **base,
                    "Område": lan_name,
                    "Kod": "",
                    "Värde": row.value,
                    "KI 95 % låg": row.ci_low,
                    "KI 95 % hög": row.ci_high,
                    "Jämfört med länet": "",
                    "Förändring": None if row.change is None else row.change.diff,
                    "Förändring i ord": "" if row.change is None else row.change.words,
                    "Jämförelseperiod": format_period(row.previous_period) if row.previous_period else "",
                    "Mål": ind.target,
                    "Målstatus": "" if row.target is None else row.target.text,
                    "Anmärkning": "; ".join(filter(None, [row.note, row.partial, row.missing])),
                }
            )
            for cell in row.cells:
                records.append(
                    {
                        **base,
                        "Område": cell.name,
                        "Kod": cell.code,
                        "Värde": cell.value,
                        "KI 95 % låg": cell.ci_low,
                        "KI 95 % hög": cell.ci_high,
                        "Jämfört med länet": "för få"
                        if cell.cls == "suppressed"
                        else MISSING_TEXT
                        if cell.text == MISSING_TEXT
                        else class_sentence(cell.cls, ind.direction),
                        "Förändring": None,
                        "Förändring i ord": "",
                        "Jämförelseperiod": "",
                        "Mål": ind.target,
                        "Målstatus": "",
                        "Anmärkning": "",
                    }
                )
    return pd.DataFrame.from_records(records)
