"""The län board (Länsöversikt): one row per indicator, one column per kommun.

Pure functions from a results snapshot to what the page draws and what its downloads hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from metrics.catalogue.model import Catalogue, Indicator, PlanArea, TargetSpec
from metrics.catalogue.plan_model import PlanNode
from metrics.dashboard.logic.choices import kommuner_by_name
from metrics.dashboard.logic.comparison import (
    NO_DATA,
    SUPPRESSED_CLASS,
    class_sentence,
)
from metrics.dashboard.logic.coverage_notes import MISSING_TEXT, comparable, missing_note, partial_text
from metrics.dashboard.logic.format import (
    NBSP,
    format_compact,
    format_interval,
    format_period,
    is_missing,
    unit_suffix,
)
from metrics.dashboard.logic.periods import parse_period, previous_comparable
from metrics.dashboard.logic.plan import plan_of
from metrics.dashboard.logic.rung_notes import ladder_note
from metrics.dashboard.logic.standardised import compared_standardised, standardised_text
from metrics.dashboard.logic.verdicts import TestedChange, TrendMarker, board_change, cell_class, trend_marker
from metrics.dashboard.source.data import ResultRow, Snapshot
from metrics.geography import load_geography
from metrics.stats.targets import TargetStatus, target_status


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
    trend: TrendMarker | None = None  # the recent trend of a yearly cell


@dataclass(frozen=True)
class BoardRow:
    indicator: Indicator
    value: float | None
    ci_low: float | None
    ci_high: float | None
    previous_period: str | None
    change: TestedChange | None
    target: TargetStatus | None
    trend_years: list[str]
    trend_values: list[float | None]
    cells: list[Cell]
    note: str | None = None  # why the row is empty, e.g. 'redovisas bara per år'
    partial: str | None = None  # 't.o.m. november' when the period is covered in part
    missing: str | None = None  # 'Länet exklusive Berg: uppgift saknas'
    trend: TrendMarker | None = None  # the län's recent trend (yearly view only)
    standardised: str | None = None  # 'Åldersstandardiserat 1 234 (…)' beside the crude value
    compared_standardised: bool = False  # the colours compare the standardised values
    target_spec: TargetSpec | None = None  # the target that applies in the län (its plan's own wins)
    # why no kommun has a value (the publishing ladder): shown across the kommun columns, no cells
    withheld: str | None = None


NOT_FOLLOWED = "Följs ännu inte upp"


@dataclass(frozen=True)
class BoardSection:
    """One heading of the län's plan and the indicators mapped to it (not those of its sub-headings)."""

    area: PlanNode | PlanArea
    rows: list[BoardRow]
    depth: int = 0  # 0 for a top heading of the plan, 1 for a heading under it …
    note: str | None = None  # NOT_FOLLOWED for a heading with no indicator under it at all


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
        cls = cell_class(row, reference, indicator.direction)
        text = "för få" if row.suppressed else format_compact(row.value, indicator.decimals)
        marker = trend_marker(row.trend, indicator.direction)
        # the name read out starts with the number as shown in the cell (WCAG 2.5.3, label in name)
        unit = unit_suffix(indicator.unit)
        shown = "för få för att visas" if row.suppressed else f"{text}{NBSP}{unit}".rstrip()
        interval = format_interval(row.ci_low, row.ci_high, indicator.decimals)
        description = f"{name}: {shown}" + (f" (95 % KI {interval})" if interval else "")
        if cls != SUPPRESSED_CLASS:
            description += f", {class_sentence(cls, indicator.direction)}"
        if marker is not None:
            description += f"; trend: {marker.words}"
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
                marker,
            )
        )
    return result


def board_row(
    snap: Snapshot,
    indicator: Indicator,
    lan: str,
    period: str,
    kommuner: list[str],
    spec: TargetSpec | None = None,
) -> BoardRow:
    """One indicator's row; `spec` is the target that applies in the län (default: the indicator's)."""
    spec = spec if spec is not None else indicator.target_spec
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
    # on its rung of the publishing ladder the indicator has no kommun values of this period type
    withheld = ladder_note(snap.ladder, indicator.id, period_type)
    previous = previous_comparable(period)
    prev_row = snap.cells(indicator.id, lan, previous).get(lan) if previous else None
    # a period covered in part is never presented as a change against a complete one
    prev_value = lan_value(previous) if comparable(own, prev_row) else None
    diff = board_change(own, prev_row, indicator) if prev_value is not None else None
    year = selected.year if selected else None
    kommun_values = [current[c].value for c in kommuner if c in current and not current[c].suppressed]
    baseline = None
    if spec is not None and spec.baseline_year is not None:
        baseline = lan_value(str(spec.baseline_year))
    reference = None
    if spec is not None and spec.area is not None and spec.area in current:
        reference = current[spec.area].value
    status = target_status(
        spec,
        value,
        direction=indicator.direction,
        year=year,
        baseline_value=baseline,
        kommun_values=kommun_values,
        reference_value=reference,
    )
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
        [] if withheld else kommun_cells(current, kommuner, value, indicator),
        partial=partial_text(own, period),
        missing=missing_note(current, kommuner),
        trend=trend_marker(own.trend, indicator.direction) if own and period_type == "year" else None,
        standardised=standardised_text(own, indicator.decimals, indicator.unit),
        compared_standardised=compared_standardised(current, lan),
        target_spec=spec,
        withheld=withheld,
    )


def board_rows(snap: Snapshot, catalogue: Catalogue, lan: str, period: str) -> dict[str, BoardRow]:
    """Every indicator of the län's plan, one row each (an indicator under two headings is one row)."""
    kommuner = [code for code, _ in kommuner_by_name(snap, lan)]
    plan = plan_of(catalogue, lan)
    rows: dict[str, BoardRow] = {}
    for indicator_id in plan.indicator_ids:
        indicator = catalogue.indicator(indicator_id)
        rows[indicator_id] = board_row(snap, indicator, lan, period, kommuner, plan.target_for(indicator))
    return rows


def board(snap: Snapshot, catalogue: Catalogue, lan: str, period: str) -> list[BoardSection]:
    """The board's sections: the län's own plan, heading by heading in its order and words.

    A heading shows the indicators mapped to it; a heading with sub-headings and no indicators of
    its own is a heading only; a heading with no indicator below it says "Följs ännu inte upp".
    An indicator mapped to two headings is shown under both.
    """
    plan = plan_of(catalogue, lan)
    rows = board_rows(snap, catalogue, lan, period)
    sections: list[BoardSection] = []
    for depth, node in plan.walk():
        own = [rows[i] for i in node.indicators if i in rows]
        note = NOT_FOLLOWED if not node.all_indicators else None
        if own or node.children or note:
            sections.append(BoardSection(node, own, depth, note))
    return sections


def _target_level(row: BoardRow) -> float | None:
    spec = row.target_spec
    return spec.value if spec is not None and spec.kind == "value" else None


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
                    "Mål": _target_level(row),
                    "Målstatus": "" if row.target is None else row.target.text,
                    "Målets källa": "" if row.target_spec is None else row.target_spec.provenance,
                    "Anmärkning": "; ".join(filter(None, [row.note, row.partial, row.missing, row.withheld])),
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
                        "Mål": _target_level(row),
                        "Målstatus": "",
                        "Målets källa": "",
                        "Anmärkning": "",
                    }
                )
    return pd.DataFrame.from_records(records)
