"""The Data page's coverage table: which kommuner each extract covers, month by month.

Read from the table `coverage` (what each import covers; see metrics.extracts.coverage).
Kommuner of a län with the same coverage share one row ("Jämtlands län, alla 8 kommuner"),
so the table stays short when deliveries are complete and points out the kommun that is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from metrics.dashboard.logic.format import MONTHS
from metrics.dashboard.source.data import VersionCache, _table_exists, connect_read_only
from metrics.extracts.schema import EXTRACTS
from metrics.geography import load_geography

COLUMNS = ["extract", "kommun", "month"]


def read_delivered(path: Path) -> pd.DataFrame:
    """Every (extract, kommun, month) some import covers; aggregates only."""
    con = connect_read_only(path)
    try:
        if not _table_exists(con, "coverage"):
            return pd.DataFrame(columns=COLUMNS)
        return con.execute(
            "SELECT DISTINCT extract, kommun, "
            "CAST(unnest(generate_series(first_month, last_month, INTERVAL 1 MONTH)) AS DATE) AS month "
            "FROM coverage ORDER BY ALL"
        ).df()
    finally:
        con.close()


_delivered: VersionCache[pd.DataFrame] = VersionCache(read_delivered)


def delivered(path: Path) -> pd.DataFrame:
    return _delivered.get(path)


def months_text(months: list[int]) -> str:
    """'jan–dec', 'jan–nov', 'jan–mar, maj–dec' or '–' for the covered months (1–12) of one year."""
    if not months:
        return "–"
    runs: list[tuple[int, int]] = []
    for m in sorted(set(months)):
        if runs and m == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], m)
        else:
            runs.append((m, m))
    short = [name[:3] for name in MONTHS]
    return ", ".join(short[a - 1] if a == b else f"{short[a - 1]}–{short[b - 1]}" for a, b in runs)


@dataclass(frozen=True)
class CoverageRow:
    extract: str
    areas: str  # 'Jämtlands län, alla 8 kommuner' or a kommun's name
    by_year: dict[int, str]  # year → 'jan–dec'
    data_through: date | None  # the extract's last covered day


def coverage_rows(frame: pd.DataFrame) -> tuple[list[int], list[CoverageRow]]:
    """Years shown, and one row per extract and group of kommuner with identical coverage."""
    if frame.empty:
        return [], []
    geography = load_geography()
    months = pd.to_datetime(frame["month"])
    frame = frame.assign(year=months.dt.year, m=months.dt.month)
    years = sorted(frame["year"].unique().tolist())
    rows: list[CoverageRow] = []
    order = {name: i for i, name in enumerate(EXTRACTS)}
    for extract in sorted(frame["extract"].unique(), key=lambda e: order.get(e, len(order))):
        part = frame[frame["extract"] == extract]
        last = months[part.index].max()
        through = (last + pd.offsets.MonthEnd(0)).date()
        texts = {
            kommun: {y: months_text(g.loc[g["year"] == y, "m"].tolist()) for y in years}
            for kommun, g in part.groupby("kommun")
        }
        for lan in sorted({geography.kommuner[k].lan for k in texts if k in geography.kommuner}):
            members = [k.code for k in geography.kommuner_in(lan)]
            covered = [k for k in members if k in texts]
            patterns = {tuple(texts[k].items()) for k in covered}
            if len(covered) == len(members) and len(patterns) == 1:
                name = f"{geography.lan[lan].name}, alla {len(members)} kommuner"
                rows.append(CoverageRow(extract, name, texts[covered[0]], through))
                continue
            for code in members:  # every kommun of the län, the uncovered ones with '–'
                by_year = texts.get(code, {y: "–" for y in years})
                rows.append(CoverageRow(extract, geography.kommuner[code].name, by_year, through))
    return years, rows
