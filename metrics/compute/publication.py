"""The publishing rule: which cells are published at all (docs/disclosure.md, "The publishing rule").

Every published sum is one more way to recover a hidden cell, and one more equation the exact
audit has to solve. Months of small kommuner are mostly hidden anyway, so instead of publishing
them and hiding most, the rule leaves whole families of cells out:

- months by sex and age band only for län and area groups, not per kommun
  (`kommun_month_breakdowns: false`);
- no month cells at all for a kommun with fewer inhabitants than
  `kommun_months_min_population`: its quarters are its finest period;
- optionally no quarter by sex and age band for a kommun below
  `kommun_quarter_breakdowns_min_population`.

Cells the rule leaves out are still computed and take part in disclosure control as hidden
cells (an attacker does not see them, but they are in the sums: a län month is the sum of *all*
its kommuner's months), and they are never stored or exported. The audit of stored results
rebuilds them (`with_withheld`), so it models exactly the same sums.

A kommun's size is its inhabitants in the latest year of the `population` extract. A kommun the
extract does not cover counts as small (withheld is the safe side).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace

import duckdb
import numpy as np
import numpy.typing as npt
import pandas as pd

from metrics.catalogue.model import Indicator, PublicationSettings
from metrics.db import get_meta, set_meta
from metrics.geography import load_geography

PUBLICATION_META_KEY = "publication"

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class PublishingPlan:
    """The rule's settings and the kommuner's sizes it is applied with."""

    settings: PublicationSettings
    population: Mapping[str, int] = field(default_factory=dict)  # kommun → inhabitants
    year: int | None = None  # the population's year (latest in the extract)
    kommun_quarters: bool = True
    """False: no quarter cells per kommun at all (the ladder's rung 3, `rung_plan`)."""
    kommun_cells: bool = True
    """False: no kommun cells at all, only län and area groups (the ladder's fallback, rung 4)."""

    def _below(self, kommun: str, threshold: int) -> bool:
        return threshold > 0 and self.population.get(kommun, 0) < threshold

    def months_withheld(self, kommun: str) -> bool:
        """True when the kommun gets no month cells (fewer inhabitants than the threshold)."""
        return self._below(kommun, self.settings.kommun_months_min_population)

    def quarter_breakdowns_withheld(self, kommun: str) -> bool:
        return self._below(kommun, self.settings.kommun_quarter_breakdowns_min_population)

    def as_json(self) -> str:
        """What the board needs to explain an absent month or breakdown (meta `publication`)."""
        small = sorted(k for k in self.population if self.months_withheld(k))
        small_quarters = sorted(k for k in self.population if self.quarter_breakdowns_withheld(k))
        return json.dumps(
            {
                **asdict(self.settings),
                "population_year": self.year,
                "population": dict(sorted(self.population.items())),
                "months_withheld": small,
                "quarter_breakdowns_withheld": small_quarters,
            },
            ensure_ascii=False,
        )


EVERY_KOMMUN = 10**12
"""A population threshold no kommun reaches: the rule then applies to every kommun."""

LADDER = (
    "",
    "Månader per kommun visas inte",
    "Månader per kommun och kvartal per kommun efter kön och ålder visas inte",
    "Bara år visas per kommun",
    "Inga kommunvärden visas, bara län och områden",
)
"""The publishing ladder (docs/disclosure.md): rung 0 is the catalogue's rule; each later rung
withholds more of the kommun cells, for an indicator whose exact audit could not prove the rung
before within compute's work budget. The Data page's words for each rung."""

LAST_RUNG = 3
"""Only years per kommun: the last rung with kommun cells, proven on a budget of its own."""
FALLBACK_RUNG = 4
"""No kommun cells at all: tried, on a budget of its own, only when the last rung's LP ran out;
what it cannot prove either is not published (docs/disclosure.md)."""


def rung_plan(plan: PublishingPlan, rung: int) -> PublishingPlan:
    """The plan of a rung of the ladder: 1 no kommun months, 2 also no kommun quarter by sex and
    age band, 3 also no kommun quarters (only years per kommun), 4 no kommun cells at all. Län
    and groups keep everything."""
    if rung <= 0:
        return plan
    settings = replace(plan.settings, kommun_months_min_population=EVERY_KOMMUN)
    if rung >= 2:
        settings = replace(settings, kommun_quarter_breakdowns_min_population=EVERY_KOMMUN)
    return replace(
        plan, settings=settings, kommun_quarters=rung < LAST_RUNG, kommun_cells=rung < FALLBACK_RUNG
    )


EVERYTHING = PublishingPlan(
    PublicationSettings(
        kommun_month_breakdowns=True,
        kommun_months_min_population=0,
        kommun_quarter_breakdowns_min_population=0,
    )
)
"""Publish every cell (the rule off): for YAML tests with suppression off."""


def kommun_population(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, int], int | None]:
    """Each kommun's inhabitants in its latest year in `population`, and the latest year overall."""
    try:
        rows = con.execute(
            'SELECT kommun, year, sum("count") AS inhabitants FROM population '
            "GROUP BY kommun, year "
            "QUALIFY row_number() OVER (PARTITION BY kommun ORDER BY year DESC) = 1"
        ).fetchall()
    except duckdb.Error:  # no population extract imported: every kommun counts as small
        return {}, None
    population = {str(kommun): int(inhabitants or 0) for kommun, _, inhabitants in rows}
    year = max((int(y) for _, y, _ in rows), default=None)
    return population, year


def publishing_plan(con: duckdb.DuckDBPyConnection, settings: PublicationSettings) -> PublishingPlan:
    population, year = kommun_population(con)
    return PublishingPlan(settings, population, year)


def stored_plan(con: duckdb.DuckDBPyConnection) -> PublishingPlan | None:
    """The plan compute applied, as stored in `meta` (None before the first compute with the rule)."""
    text = get_meta(con, PUBLICATION_META_KEY)
    if not text:
        return None
    data = json.loads(text)
    fields = PublicationSettings.__dataclass_fields__
    settings = PublicationSettings(**{k: data[k] for k in fields if k in data})
    return PublishingPlan(settings, data.get("population") or {}, data.get("population_year"))


def record_plan(con: duckdb.DuckDBPyConnection, plan: PublishingPlan) -> None:
    set_meta(con, PUBLICATION_META_KEY, plan.as_json())


def withheld(cells: pd.DataFrame, plan: PublishingPlan) -> BoolArray:
    """Cells the rule leaves out: computed and protected, never stored."""
    settings = plan.settings
    kommun = (cells["area_level"] == "kommun").to_numpy()
    period = cells["period_type"].to_numpy()
    broken = (cells["breakdown"] != "total").to_numpy()
    codes = cells["area_code"].astype(str)
    small = codes.map(plan.months_withheld).to_numpy(dtype=bool)
    out = kommun & (period == "month") & small
    if not settings.kommun_month_breakdowns:
        out |= kommun & (period == "month") & broken
    if settings.kommun_quarter_breakdowns_min_population > 0:
        small_quarters = codes.map(plan.quarter_breakdowns_withheld).to_numpy(dtype=bool)
        out |= kommun & (period == "quarter") & broken & small_quarters
    if not plan.kommun_quarters:
        out |= kommun & (period == "quarter")
    if not plan.kommun_cells:
        out |= kommun
    return np.asarray(out, dtype=np.bool_)


def applies(indicator: Indicator) -> bool:
    """The rule protects small counts: with suppression off (min_denominator 0 and no count rule,
    as YAML tests run by default) there is nothing to protect and every cell is shown."""
    s = indicator.suppression
    return s.min_denominator > 0 or s.max_count >= s.min_count


def with_withheld(cells: pd.DataFrame, plan: PublishingPlan, indicator: Indicator) -> pd.DataFrame:
    """Stored cells plus the cells the rule withheld, as hidden rows without numbers.

    For the audit of stored results: the withheld cells are in the sums (a län's month is the sum
    of all its kommuner's months) though nobody sees them, so the audit must know them to model
    the sums exactly. Each stored kommun year or quarter (with data through a date) implies its
    quarters and months up to that date, with the same breakdown.
    """
    if cells.empty:
        return cells
    if not plan.kommun_cells:
        return _with_kommun_cells(cells)
    kommun = cells[(cells["area_level"] == "kommun") & ~cells["missing"].fillna(False).astype(bool)]
    kommun = kommun[kommun["period_type"].isin(["year", "quarter"])]
    candidates: list[pd.DataFrame] = []
    starts = pd.to_datetime(kommun["period_start"])
    through = pd.to_datetime(kommun["data_through"]) if "data_through" in kommun else None
    for parent_type, child_type, count, step in (
        ("year", "quarter", 4, 3),
        ("year", "month", 12, 1),
        ("quarter", "month", 3, 1),
    ):
        if child_type not in indicator.periods:
            continue
        parents = kommun[kommun["period_type"] == parent_type]
        for k in range(count):
            child = parents.copy()
            child_start = starts[parents.index] + pd.DateOffset(months=k * step)
            if through is not None:
                known = through[parents.index]
                child = child[~(known.notna() & (child_start > known)).to_numpy()]
                child_start = child_start[child.index]
            child["period_type"] = child_type
            as_datetime = pd.api.types.is_datetime64_any_dtype(cells["period_start"])
            child["period_start"] = child_start.to_numpy() if as_datetime else child_start.dt.date.to_numpy()
            candidates.append(child)
    if not candidates:
        return cells
    extra = pd.concat(candidates, ignore_index=True)
    start = pd.to_datetime(extra["period_start"])
    extra["period"] = np.where(
        extra["period_type"] == "quarter",
        start.dt.year.astype(str) + "-Q" + start.dt.quarter.astype(str),
        start.dt.year.astype(str) + "-" + start.dt.month.astype(str).str.zfill(2),
    )
    extra = extra[withheld(extra, plan)]
    keys = ["area_code", "period", "breakdown", "sex", "age_band"]
    have = pd.MultiIndex.from_frame(cells[keys].fillna(""))
    extra = extra[~pd.MultiIndex.from_frame(extra[keys].fillna("")).isin(have)]
    extra = extra.drop_duplicates(subset=keys)
    if extra.empty:
        return cells
    return _appended_as_withheld(cells, extra)


def _appended_as_withheld(cells: pd.DataFrame, extra: pd.DataFrame) -> pd.DataFrame:
    """`cells` with the rebuilt `extra` rows after them: hidden, withheld, holding no numbers."""
    extra = extra.copy()
    for column in ("numerator", "denominator", "value", "ci_low", "ci_high"):
        if column in extra:
            extra[column] = np.nan
    extra["suppressed"] = True
    extra["suppression"] = "withheld"
    return pd.concat([cells, extra], ignore_index=True)


def _with_kommun_cells(cells: pd.DataFrame) -> pd.DataFrame:
    """Stored cells of the fallback rung (no kommun cells) plus every kommun cell, hidden.

    Each kommun of a stored län gets every cell its län has (the same period and breakdown), as
    compute had them – except where the kommun is stored as not delivered ("saknas") for that
    period: it is in none of its län's sums there.
    """
    geography = load_geography()
    lan = cells[cells["area_level"] == "lan"]
    absent = cells[cells["missing"].fillna(False).astype(bool)]
    not_delivered = set(zip(absent["area_code"].astype(str), absent["period"].astype(str), strict=True))
    frames = [
        rows.assign(area_code=kommun.code, area_level="kommun", missing=False)
        for code, rows in lan.groupby("area_code", sort=True)
        for kommun in geography.kommuner_in(str(code))
    ]
    if not frames:
        return cells
    extra = pd.concat(frames, ignore_index=True)
    delivered = [
        (a, p) not in not_delivered for a, p in zip(extra["area_code"], extra["period"], strict=True)
    ]
    extra = extra[np.asarray(delivered, dtype=np.bool_)]
    return _appended_as_withheld(cells, extra)
