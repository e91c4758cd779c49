"""The linear relations between an indicator's published cells, for disclosure control.

Every published sum is a way to recover a hidden cell by subtraction, so suppression and the
audit must know them all. Each relation is an `Equation` (parent = Σ children) over row
positions of the cells frame:

- areas: kommun → län, kommun → area group, group or uncovered kommun → län, län → riket;
- breakdowns: an area's total = Σ its sex cells, and = Σ its age-band cells;
- time: year = Σ its quarters = Σ its months, quarter = Σ its months, where the indicator's
  measure adds up over time (`adds_up_over_time`);
- snapshots: for a `snapshot: last` indicator a kommun's year and quarter *are* its last
  month with a snapshot (one-child equations year = Q, quarter = month).

The numerator and the denominator can obey different sets (a rows numerator adds up over time,
a persons denominator does not), so they are returned separately.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from metrics.catalogue.model import Catalogue, Indicator, Measure
from metrics.geography import RIKET, load_geography
from metrics.stats.suppression import Equation, equations_from_pairs

KEYS = ("period", "breakdown", "sex", "age_band")


@dataclass(frozen=True)
class TimeAdditivity:
    """Whether a year's numerator (denominator) is the sum of its quarters' and of its months'."""

    numerator: bool
    denominator: bool


@dataclass(frozen=True)
class CellEquations:
    """The equations the numerators and the denominators of a cells frame satisfy."""

    numerator: list[Equation]
    denominator: list[Equation]

    @property
    def all(self) -> list[Equation]:
        """Each distinct equation once: what secondary suppression must protect."""
        seen: set[tuple[int, tuple[int, ...]]] = set()
        out: list[Equation] = []
        for parent, children in (*self.numerator, *self.denominator):
            key = (int(parent), tuple(int(c) for c in children))
            if key not in seen:
                seen.add(key)
                out.append(equations_from_key(key))
        return out


def equations_from_key(key: tuple[int, tuple[int, ...]]) -> Equation:
    return key[0], list(key[1])


def _measure_adds_up(measure: Measure) -> bool:
    # Row counts and row sums are per-row contributions: a year holds exactly its months' rows.
    # Persons are counted once per period (a person seen in January and March is one person in
    # Q1, not two), per-person statistics likewise, and the population is a 31 December stock
    # whose only period is the year.
    return measure.kind in ("rows", "sum")


def adds_up_over_time(indicator: Indicator) -> TimeAdditivity:
    """Which of the indicator's measures add up from months to quarters to the year.

    Mirrors how `metrics.compute.sqlgen` computes cells: only the additive path (row counts and
    row sums, aggregated per month and then added up) gives year = Σ quarters = Σ months. A
    person-level indicator (any `persons` or `per_person` measure) reduces rows per person and
    period and places the person under the kommun, sex and age of their *latest* row in the
    period, so even its row sums do not add up over time. A `snapshot: last` indicator shows a
    stock at one date, not a flow (see `snapshot_equations`).
    """
    num, den = indicator.numerator, indicator.denominator
    person_level = {num.kind, den.kind} & {"persons", "per_person"}
    if indicator.snapshot_last or person_level:
        return TimeAdditivity(False, False)
    return TimeAdditivity(_measure_adds_up(num), _measure_adds_up(den))


def sum_families(catalogue: Catalogue) -> list[dict[str, str]]:
    """Each family maps child area codes to the area they add up to (one parent per child).

    kommun → län; län → riket (riket is every kommun delivered, so it is the sum of the län
    cells: without it a hidden län is riket − the other län); kommun → its group, per area
    level; and, per level, group or uncovered kommun → län (without that, a hidden kommun could
    be recovered as län − group − shown kommuner).
    """
    geography = load_geography()
    families = [{code: k.lan for code, k in geography.kommuner.items()}, dict.fromkeys(geography.lan, RIKET)]
    for level in catalogue.area_levels:
        families.append({code: group.id for group in level.groups for code in group.kommuner})
        to_lan: dict[str, str] = {}
        for lan in geography.lan:
            members = {code for code, k in geography.kommuner.items() if k.lan == lan}
            groups = [g for g in level.groups if set(g.kommuner) <= members]
            if groups:
                covered = {code for g in groups for code in g.kommuner}
                to_lan.update({g.id: lan for g in groups})
                to_lan.update({code: lan for code in members - covered})
        families.append(to_lan)
    return families


class _Cells:
    """Row lookup by (area_code, period, breakdown, sex, age_band), skipping missing cells."""

    def __init__(self, cells: pd.DataFrame) -> None:
        filled = cells.reset_index(drop=True).fillna({"sex": "", "age_band": ""})
        if "missing" in filled.columns:
            # A kommun no delivery covers carries no numbers and is not part of its län's sums.
            usable = ~filled["missing"].fillna(False).astype(bool).to_numpy()
        else:
            usable = np.ones(len(filled), dtype=np.bool_)
        self.filled = filled
        self.usable = usable
        self.index = pd.MultiIndex.from_frame(filled[["area_code", *KEYS]])

    def equations(self, child_rows: np.ndarray, parent_keys: list[pd.Series | np.ndarray]) -> list[Equation]:
        parent_rows = self.index.get_indexer(pd.MultiIndex.from_arrays(parent_keys))
        found = parent_rows >= 0
        found[found] &= self.usable[parent_rows[found]]
        found &= self.usable[child_rows]
        return equations_from_pairs(parent_rows[found], child_rows[found])


def area_equations(cells: pd.DataFrame, catalogue: Catalogue) -> list[Equation]:
    """Areas add up (see `sum_families`); an area's total is the sum of its sex and of its age-band cells."""
    lookup = _Cells(cells)
    filled = lookup.filled
    equations: list[Equation] = []
    for family in sum_families(catalogue):
        parent_code = filled["area_code"].map(family)
        rows = np.flatnonzero(parent_code.notna().to_numpy())
        equations += lookup.equations(rows, [parent_code.iloc[rows], *(filled[k].iloc[rows] for k in KEYS)])

    # a total = Σ its sex cells, and separately = Σ its age-band cells
    for breakdown in ("sex", "age_band"):
        rows = np.flatnonzero((filled["breakdown"] == breakdown).to_numpy())
        blank = np.full(len(rows), "", dtype=object)
        equations += lookup.equations(
            rows,
            [
                filled["area_code"].iloc[rows],
                filled["period"].iloc[rows],
                np.full(len(rows), "total"),
                blank,
                blank,
            ],
        )
    return equations


def _parent_periods(cells: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Each cell's quarter label ('2024-Q3') and year label ('2024')."""
    start = pd.to_datetime(cells["period_start"])
    year = start.dt.year.astype(str)
    return year + "-Q" + start.dt.quarter.astype(str), year


def time_equations(cells: pd.DataFrame) -> list[Equation]:
    """Year = Σ its quarters, year = Σ its months, quarter = Σ its months, per area and breakdown."""
    lookup = _Cells(cells)
    filled = lookup.filled
    quarter, year = _parent_periods(filled)
    equations: list[Equation] = []
    for child_type, parent in (("month", quarter), ("month", year), ("quarter", year)):
        rows = np.flatnonzero((filled["period_type"] == child_type).to_numpy())
        equations += lookup.equations(
            rows,
            [
                filled["area_code"].iloc[rows],
                parent.iloc[rows],
                *(filled[k].iloc[rows] for k in KEYS[1:]),
            ],
        )
    return equations


def snapshot_equations(cells: pd.DataFrame) -> list[Equation]:
    """For `snapshot: last`: a kommun's year equals its last quarter, a quarter its last month.

    Each kommun's period shows the rows of its last snapshot date in the period, so the year's
    cells are the cells of the last month (and quarter) in which that kommun has a snapshot.
    Which month that is can be seen from the published cells themselves: the latest month with
    a total cell. Area groups and län then follow from the area equations.
    """
    lookup = _Cells(cells)
    filled = lookup.filled
    quarter, year = _parent_periods(filled)
    kommun = filled["area_level"] == "kommun"
    total = kommun & (filled["breakdown"] == "total") & pd.Series(lookup.usable, index=filled.index)
    equations: list[Equation] = []
    for child_type, parent in (("month", quarter), ("quarter", year)):
        # the latest child period with a total cell per kommun and parent period
        children = filled[total & (filled["period_type"] == child_type)]
        last = (
            children.assign(parent=parent[children.index])
            .groupby(["area_code", "parent"], sort=False)["period_start"]
            .max()
        )
        rows = np.flatnonzero((kommun & (filled["period_type"] == child_type)).to_numpy())
        key = pd.MultiIndex.from_arrays([filled["area_code"].iloc[rows], parent.iloc[rows]])
        is_last = last.reindex(key).to_numpy() == filled["period_start"].iloc[rows].to_numpy()
        rows = rows[is_last]
        # one-child equations: the parent period's cell = this child's cell
        equations += lookup.equations(
            rows,
            [filled["area_code"].iloc[rows], parent.iloc[rows], *(filled[k].iloc[rows] for k in KEYS[1:])],
        )
    return equations


def cell_equations(cells: pd.DataFrame, indicator: Indicator, catalogue: Catalogue) -> CellEquations:
    """Every relation among the indicator's cells that the results publish, per measure.

    `cells` has area_code, area_level, period, period_type, period_start, breakdown, sex and
    age_band (and optionally `missing`: such rows take part in no equation); equations refer to
    its row positions.
    """
    common = area_equations(cells, catalogue)
    if indicator.snapshot_last:
        common = common + snapshot_equations(cells)
    additive = adds_up_over_time(indicator)
    over_time = time_equations(cells) if additive.numerator or additive.denominator else []
    return CellEquations(
        numerator=common + (over_time if additive.numerator else []),
        denominator=common + (over_time if additive.denominator else []),
    )


def suppression_equations(cells: pd.DataFrame, catalogue: Catalogue) -> list[Equation]:
    """The area and breakdown equations only (kept for callers that have no indicator)."""
    return area_equations(cells, catalogue)
