"""Riket on the board: computed from the deliveries where they cover the whole country, else Kolada's.

Compute writes riket cells (area_level 'riket', code `RIKET`) only for periods in which every
län is delivered, whole (`metrics.compute.riket`); a regional installation has none. The board
checks it again (`whole_country`: a database computed before that rule may hold the sum of two
län) and calls a computed cell "Riket" only then; otherwise it shows Kolada's riket
(`kolada_reference`, as `matavla kolada` stored it) and says so: "Riket enligt Kolada".

Pure functions over the results and reference frames, tested without a browser.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from metrics.catalogue.model import Indicator
from metrics.dashboard.logic.format import format_date, format_value, is_missing
from metrics.geography import RIKET, load_geography

KOLADA_RIKET = "Riket enligt Kolada"


def group_name(group: str, title: str | None = None) -> str:
    """A kommun group an indicator chose ("liknande kommuner"), by Kolada's title where `matavla
    kolada` stored it: 'Liknande kommuner: Större städer (Kolada, grupp G36186)'; else by its id:
    'Kommungrupp G36186 enligt Kolada'."""
    if not title:
        return f"Kommungrupp {group} enligt Kolada"
    if title.casefold().startswith("liknande kommuner"):  # Kolada's title says it already
        return f"{title} (Kolada, grupp {group})"
    return f"Liknande kommuner: {title} (Kolada, grupp {group})"


def all_lan() -> tuple[str, ...]:
    return tuple(sorted(load_geography().lan))


@dataclass(frozen=True)
class RiketCell:
    """The computed riket total of one indicator and period, and whether it is the whole country."""

    period: str
    value: float | None
    suppressed: bool
    lans: tuple[str, ...]  # the län with a delivered total cell in the period
    missing_kommuner: int  # kommuner of those län that no delivery covers ("saknas")

    @property
    def whole_country(self) -> bool:
        return self.lans == all_lan() and self.missing_kommuner == 0


def riket_cells(results: pd.DataFrame, indicator: str) -> dict[str, RiketCell]:
    """The indicator's computed riket cells (totals) by period label."""
    own = results[(results["indicator"] == indicator) & (results["breakdown"] == "total")]
    riket = own[own["area_level"] == "riket"]
    if riket.empty:
        return {}
    lan_rows = own[(own["area_level"] == "lan") & ~own["missing"].fillna(False).astype(bool)]
    lans = {str(p): tuple(sorted(set(g["area_code"]))) for p, g in lan_rows.groupby("period")}
    missing_rows = own[(own["area_level"] == "kommun") & own["missing"].fillna(False).astype(bool)]
    missing = missing_rows.groupby("period").size().to_dict()
    cells: dict[str, RiketCell] = {}
    for row in riket.itertuples(index=False):
        period = str(row.period)
        suppressed = bool(row.suppressed) if not is_missing(row.suppressed) else False
        value = None if suppressed or is_missing(row.value) else float(row.value)
        cells[period] = RiketCell(
            period, value, suppressed, lans.get(period, ()), int(missing.get(period, 0))
        )
    return cells


def coverage_text(cell: RiketCell) -> str:
    """'alla 21 län' or 'data från 2 av 21 län' (with the kommuner that are missing)."""
    total = len(all_lan())
    if cell.whole_country:
        return f"alla {total} län"
    text = f"data från {len(cell.lans)} av {total} län"
    if cell.missing_kommuner:
        text += f", {cell.missing_kommuner} kommuner saknas"
    return text


@dataclass(frozen=True)
class KoladaRiket:
    value: float | None
    year: int
    kpi: str
    fetched: str
    source: str


def kolada_riket(references: pd.DataFrame, indicator: Indicator) -> dict[int, KoladaRiket]:
    """Kolada's riket values of the indicator's KPI and gender by year (empty without a KPI)."""
    if indicator.kolada is None or references.empty:
        return {}
    ref = indicator.kolada
    own = references[
        (references["kpi"] == ref.kpi)
        & (references["gender"] == ref.gender)
        & (references["area_level"] == "riket")
        & (references["area_code"] == RIKET)
    ]
    return {
        int(row.year): KoladaRiket(
            None if is_missing(row.value) else float(row.value),
            int(row.year),
            ref.kpi,
            format_date(row.fetched_at),
            str(row.source),
        )
        for row in own.itertuples(index=False)
    }


@dataclass(frozen=True)
class RiketReference:
    """Riket for one period as the board states it, with where the number comes from."""

    label: str  # 'Riket' (computed, whole country) or 'Riket enligt Kolada'
    value: float | None
    source: str  # 'mätavlan, alla 21 län' or 'Kolada N00000, 2024, hämtad 2026-12-02'
    computed: bool

    def text(self, indicator: Indicator) -> str:
        return f"{self.label}: {format_value(self.value, indicator.decimals, indicator.unit)} ({self.source})"


def riket_reference(
    results: pd.DataFrame, references: pd.DataFrame, indicator: Indicator, period: str
) -> RiketReference | None:
    """Riket for `period`: computed when the deliveries cover the whole country, else Kolada's for
    the period's year (a quarter or month has no Kolada value); None when neither exists."""
    cell = riket_cells(results, indicator.id).get(period)
    if cell is not None and cell.whole_country:
        return RiketReference("Riket", cell.value, f"mätavlan, {coverage_text(cell)}", True)
    if not period.isdigit():
        return None
    kolada = kolada_riket(references, indicator).get(int(period))
    if kolada is None or kolada.value is None:
        return None
    source = f"Kolada {kolada.kpi}, {kolada.year}, hämtad {kolada.fetched}"
    return RiketReference(KOLADA_RIKET, kolada.value, source, False)


def latest_riket_reference(
    results: pd.DataFrame, references: pd.DataFrame, indicator: Indicator
) -> tuple[str, RiketReference] | None:
    """The latest year with a riket reference (computed preferred within a year), and it."""
    years = {p for p in riket_cells(results, indicator.id) if p.isdigit()}
    years |= {str(y) for y in kolada_riket(references, indicator)}
    for year in sorted(years, reverse=True):
        found = riket_reference(results, references, indicator, year)
        if found is not None and found.value is not None:
            return year, found
    return None


@dataclass(frozen=True)
class RiketRow:
    """One indicator on the riket page: riket (computed or Kolada's) and each län."""

    indicator: Indicator
    riket: RiketReference | None
    coverage: str  # 'alla 21 län', 'data från 2 av 21 län', or '' without cells
    lans: dict[str, float | None]  # län code → value (None: suppressed or no value)
    suppressed: frozenset[str]


def riket_overview(
    results: pd.DataFrame, references: pd.DataFrame, indicators: list[Indicator], period: str
) -> list[RiketRow]:
    """Every indicator with results in `period`: riket and each delivered län's total."""
    rows: list[RiketRow] = []
    # one scan of the results; each indicator then reads its few rows of the period
    totals = results[(results["period"] == period) & (results["breakdown"] == "total")]
    totals = totals[
        totals["area_level"].isin(["riket", "lan"]) | totals["missing"].fillna(False).astype(bool)
    ]
    by_indicator = {str(k): g for k, g in totals.groupby("indicator", sort=False)}
    for indicator in indicators:
        mine = by_indicator.get(indicator.id, totals.iloc[:0])
        own = mine[mine["area_level"] == "lan"]
        cell = riket_cells(mine, indicator.id).get(period)
        if own.empty and cell is None:
            continue
        values: dict[str, float | None] = {}
        hidden: set[str] = set()
        for row in own.itertuples(index=False):
            code = str(row.area_code)
            if bool(row.suppressed):
                hidden.add(code)
            values[code] = None if bool(row.suppressed) or is_missing(row.value) else float(row.value)
        reference = riket_reference(mine, references, indicator, period)
        rows.append(
            RiketRow(
                indicator,
                reference,
                coverage_text(cell) if cell is not None else "",
                values,
                frozenset(hidden),
            )
        )
    return rows


def overview_frame(rows: list[RiketRow], lan_names: dict[str, str]) -> pd.DataFrame:
    """The riket page as a table (downloads): one row per indicator; riket, its source, each län."""
    records = []
    for row in rows:
        record: dict[str, object] = {
            "Indikator": row.indicator.title,
            "Id": row.indicator.id,
            "Enhet": row.indicator.unit.strip(),
            "Riket": row.riket.value if row.riket is not None else None,
            "Riket, källa": f"{row.riket.label} ({row.riket.source})" if row.riket is not None else "",
            "Mätavlans täckning": row.coverage,
        }
        for code, name in lan_names.items():
            record[name] = row.lans.get(code)
        records.append(record)
    return pd.DataFrame.from_records(records)


REFERENCE_COLUMNS = (
    "Riket enligt Kolada",
    "Länet enligt Kolada",
    "Kolada-nyckeltal",
    "Kolada-källa",
    "Kolada hämtad",
)


def kolada_columns(
    references: pd.DataFrame,
    indicator: Indicator,
    lan: str,
    periods: pd.Series,
    group_titles: Mapping[str, str | None] | None = None,
) -> pd.DataFrame:
    """Kolada's riket, län and chosen groups' value for each row's period (a year; empty for
    quarters and months),
    with the KPI, the source (API page or file) and when it was fetched; no columns without a KPI
    or stored values. `periods`: the rows' period labels ('2024', '2024-Q1'); `group_titles`:
    Kolada's titles of the groups, where fetched (the columns are named by them)."""
    titles = group_titles or {}
    if indicator.kolada is None or references.empty:
        return pd.DataFrame(index=periods.index)
    ref = indicator.kolada
    own = references[(references["kpi"] == ref.kpi) & (references["gender"] == ref.gender)]
    if own.empty:
        return pd.DataFrame(index=periods.index)

    def by_year(level: str, code: str) -> dict[int, tuple[float | None, str, str]]:
        area = own[(own["area_level"] == level) & (own["area_code"] == code)]
        return {
            int(r.year): (
                None if is_missing(r.value) else float(r.value),
                str(r.source),
                format_date(r.fetched_at),
            )
            for r in area.itertuples(index=False)
        }

    riket, county = by_year("riket", RIKET), by_year("lan", lan)
    groups = {g: by_year("grupp", g) for g in ref.groups}
    years = [int(p) if str(p).isdigit() else None for p in periods]
    kpi, sources, fetched = [], [], []
    for year in years:
        areas = (riket, county, *groups.values())
        shown = [v for a in areas if (v := a.get(year)) is not None] if year is not None else []
        kpi.append(f"{ref.kpi} ({ref.gender})" if shown else "")
        sources.append("; ".join(dict.fromkeys(v[1] for v in shown)))
        fetched.append(max((v[2] for v in shown), default=""))
    return pd.DataFrame(
        {
            "Riket enligt Kolada": [riket[y][0] if y in riket else None for y in years],
            "Länet enligt Kolada": [county[y][0] if y in county else None for y in years],
            **{
                group_name(g, titles.get(g)): [values[y][0] if y in values else None for y in years]
                for g, values in groups.items()
            },
            "Kolada-nyckeltal": kpi,
            "Kolada-källa": sources,
            "Kolada hämtad": fetched,
        },
        index=periods.index,
    )
