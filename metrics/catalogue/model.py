"""The typed, validated catalogue: indicators, plan areas, area groups and settings.

These objects are what the rest of Mätavla reads; they know nothing of SQL
engines or dashboards. `metrics.catalogue.loader` builds them from YAML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from metrics.catalogue.plan_model import Plan
    from metrics.catalogue.tests_spec import TestCase

from metrics.extracts.schema import EXTRACTS, Extract

MeasureKind = Literal["rows", "persons", "sum", "population", "per_person"]
Direction = Literal["higher", "lower", "neutral"]
IntervalKind = Literal["wilson", "poisson", "mean", "dobson", "none"]
INTERVAL_KINDS: tuple[IntervalKind, ...] = ("wilson", "poisson", "mean", "dobson", "none")
PeriodType = Literal["year", "quarter", "month"]
Breakdown = Literal["sex", "age_band"]
# What a covered kommun × period without numerator rows is: 0, or missing ('saknas').
NoRows = Literal["zero", "missing"]
NO_ROWS: tuple[NoRows, ...] = ("zero", "missing")

PERIOD_TYPES: tuple[PeriodType, ...] = ("year", "quarter", "month")


@dataclass(frozen=True)
class NeedsRows:
    """The values of `column` that must all have rows before a kommun × period counts as delivered."""

    column: str
    values: tuple[str, ...]


BREAKDOWNS: tuple[Breakdown, ...] = ("sex", "age_band")
# continuity_index: Bice–Boxerman COC; usual_provider: UPC, the share of visits to the most-visited
# practitioner (Breslau & Reeb 1975). Both over persons with at least two visits (sqlgen).
PER_PERSON_MEASURES = ("continuity_index", "usual_provider")


@dataclass(frozen=True)
class SuppressionSettings:
    min_denominator: float = 10
    min_count: int = 1
    max_count: int = 4


@dataclass(frozen=True)
class PublicationSettings:
    """Which cells are published at all (docs/disclosure.md, "The publishing rule").

    Fewer published sums mean fewer cells to hide and LPs small enough for the exact audit in
    every compute. Cells the rule leaves out are computed and protected like hidden cells, but
    never stored or exported.
    """

    kommun_month_breakdowns: bool = False
    """Months by sex and age band per kommun; False: only for län and area groups."""
    kommun_months_min_population: int = 20000
    """Kommuner with fewer inhabitants get no month cells at all (quarters instead)."""
    kommun_quarter_breakdowns_min_population: int = 10000
    """Kommuner with fewer inhabitants get no quarter cells by sex and age band (0: all get them)."""
    audit_seconds: float = 120.0
    """The exact LP audit's budget per indicator in compute, in nominal seconds: translated into
    simplex iterations at a fixed rate (`metrics.compute.audit_budget`), never timed."""
    audit_iterations: int | None = None
    """The same budget in HiGHS simplex iterations; set, it wins over `audit_seconds`."""
    last_rung_audit_iterations: int | None = None
    """The publishing ladder's last rung's own budget (None: the same as the one above)."""


@dataclass(frozen=True)
class ComparisonChoice:
    """How areas are compared with their benchmark (metrics.stats.benchmark has the methods)."""

    # The default (docs/comparisons.md): at real size the plain 95 % interval flags 18 of 21
    # demo kommuner on fast_lakarkontakt; random-effects limits at 95 % flag the one that stands out.
    method: str = "additive"  # ci95, ci998, multiplicative or additive
    level: float = 95.0  # percent (95 or 99.8): the limits of the overdispersion methods
    winsorise: float = 10.0  # percent of z-scores pulled in at each end


@dataclass(frozen=True)
class TargetSpec:
    """A target (section 5 of issue 12): kind value, range, change, position or area.

    value:    `value` reached (≥ for higher-is-better, ≤ for lower, equal for neutral)
    range:    between `low` and `high`
    change:   `percent` change from the value in `baseline_year`
    position: among the best `quartile` (1 = best quarter) of the län's kommuner
    area:     at least as good as `area`'s value (a län code or an area group id)
    """

    kind: str
    year: int | None = None  # the year the target applies to
    value: float | None = None
    low: float | None = None
    high: float | None = None
    percent: float | None = None
    baseline_year: int | None = None
    quartile: int | None = None
    area: str | None = None
    line: int = 0
    source: str = ""  # where the target comes from, e.g. "Vårdanalys: minst 55 % …" (Swedish)
    example: bool = False  # an invented demo target: the board says "Exempelmål"

    @property
    def provenance(self) -> str:
        """Swedish words for where the target comes from, as the board shows them ('' if unknown)."""
        if self.example:
            return f"Exempelmål – {self.source}" if self.source else "Exempelmål (påhittat för demon)"
        return self.source


@dataclass(frozen=True)
class KoladaReference:
    """The Kolada KPI that is an indicator's national reference (`kolada:`, metrics.kolada)."""

    kpi: str  # e.g. 'N00945'
    gender: str = "T"  # the value the board shows: T (totalt), K or M
    line: int = 0
    groups: tuple[str, ...] = ()  # Kolada kommun groups ("liknande kommuner", 'G36186') to show too


@dataclass(frozen=True)
class StandardPopulation:
    """The standard population of age standardisation (docs/statistics.md).

    kind 'esp2013': the European Standard Population 2013; 'lan': the inhabitants of län `lan`
    in `year` (from the `population` extract); 'none': no standardised rate.
    """

    kind: Literal["esp2013", "lan", "none"] = "esp2013"
    lan: str | None = None
    year: int | None = None


@dataclass(frozen=True)
class AgeBand:
    low: int
    high: int | None  # inclusive; None = and older

    @property
    def label(self) -> str:
        return f"{self.low}+" if self.high is None else f"{self.low}-{self.high}"


@dataclass(frozen=True)
class CodeFilter:
    """Rows whose `column`, dot removed, starts with one of the codes of a code list."""

    column: str
    list_name: str
    codes: tuple[str, ...]


@dataclass(frozen=True)
class Measure:
    """The numerator or denominator of an indicator.

    kind:
      rows        count of rows
      persons     count of distinct persons (person_id, grouped under the row's kommun)
      sum         sum of `expression`
      population  inhabitants from `population` with the indicator's age filter
      per_person  a per-person statistic (`statistic`): the continuity index (COC) or the
                  usual-provider share (UPC)
    """

    kind: MeasureKind
    expression: str | None = None  # the summed SQL expression, for kind 'sum'
    where: str | None = None  # extra SQL filter for this measure only
    codes: CodeFilter | None = None
    latest: bool = False  # persons: evaluate `where` on each person's latest row in the period
    having: str | None = None  # persons: an aggregate SQL condition over each person's rows in the period
    statistic: str | None = None  # per_person: e.g. 'continuity_index'
    by: str | None = None  # per_person: the column that identifies the practitioner
    is_count: bool = False  # a count of persons/events/answers (suppression's count rule applies)
    line: int = 0


@dataclass(frozen=True)
class Indicator:
    id: str
    title: str  # Swedish
    description: str  # Swedish
    plan_areas: tuple[str, ...]
    sources: tuple[str, ...]  # extracts read (the first is the main source)
    date: str | None  # column of the main source that dates a row; None for row_sql
    numerator: Measure
    denominator: Measure
    multiplier: float
    unit: str
    direction: Direction
    periods: tuple[PeriodType, ...]
    breakdowns: tuple[Breakdown, ...]
    interval: IntervalKind
    suppression: SuppressionSettings
    age_min: int | None = None
    age_max: int | None = None
    where: str | None = None  # SQL filter on the source for numerator and denominator
    snapshot_last: bool = False  # only rows at the last snapshot (date) within the period
    follow_up_days: int = 0  # a row's outcome is seen up to this many days after the period
    # A covered kommun × period without numerator rows: 'zero' (no events) or 'missing' (the rows
    # are the delivery itself, e.g. a cost per area: no row means not delivered). `no_rows:`.
    no_rows: NoRows = "zero"
    # With `no_rows: missing`: a kommun × period counts as delivered only when its rows hold every
    # one of these values of a column, e.g. costs of both principals: one principal's costs alone
    # would halve a total per inhabitant. `needs_rows: {principal: [region, kommun]}`.
    needs_rows: NeedsRows | None = None
    row_sql: str | None = None  # escape hatch: SELECT kommun, sex, age, date, numerator[, denominator]
    age_bands: tuple[AgeBand, ...] = ()
    target: float | None = None  # a plain value target (target_spec.value), as before
    standard_population: StandardPopulation = field(default_factory=StandardPopulation)
    decimals: int = 1
    definition_source: str = ""  # where the definition comes from (Swedish)
    numerator_text: str = ""  # the numerator in words (Swedish)
    denominator_text: str = ""
    file: str = "indicators.yaml"
    line: int = 0
    key_lines: dict[str, int] = field(default_factory=dict, compare=False, hash=False)
    tests: tuple[TestCase, ...] = field(default=(), compare=False, hash=False)  # `tests:`, for `matavla test`
    extracts: tuple[Extract, ...] = ()  # the declared extracts among `sources` (built-ins: EXTRACTS)
    comparison: ComparisonChoice | None = None  # None: the catalogue's setting
    target_spec: TargetSpec | None = None
    kolada: KoladaReference | None = None  # the national reference in Kolada, if any

    @property
    def source(self) -> str:
        return self.sources[0]

    @property
    def extract(self) -> Extract:
        """The main source's definition, declared or built-in."""
        return next((e for e in self.extracts if e.name == self.source), None) or EXTRACTS[self.source]

    @property
    def population_based(self) -> bool:
        return self.denominator.kind == "population"

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


@dataclass(frozen=True)
class PlanArea:
    id: str
    title: str
    description: str = ""


@dataclass(frozen=True)
class AreaGroup:
    id: str
    name: str
    kommuner: tuple[str, ...]


@dataclass(frozen=True)
class AreaLevel:
    """A configured way to group kommuner, e.g. närvårdsområden."""

    level: str  # the area_level name in results, e.g. 'narvardsomrade'
    title: str  # Swedish, e.g. 'Närvårdsområde'
    groups: tuple[AreaGroup, ...]


@dataclass(frozen=True)
class Catalogue:
    indicators: tuple[Indicator, ...]
    plan_areas: tuple[PlanArea, ...]
    area_levels: tuple[AreaLevel, ...]
    suppression: SuppressionSettings
    age_bands: tuple[AgeBand, ...]
    code_lists: dict[str, tuple[str, ...]]
    file: str = "indicators.yaml"
    extracts: tuple[Extract, ...] = ()  # declared in the catalogue's `extracts:` section
    standard_population: StandardPopulation = field(default_factory=StandardPopulation)
    comparison: ComparisonChoice = ComparisonChoice()
    publication: PublicationSettings = PublicationSettings()
    plans: tuple[Plan, ...] = ()  # the län's own plans (plans/*.yaml, docs/plans.md)
    fallback_plan: Plan | None = None  # for a län without a plan file

    def plan_for(self, lan: str) -> Plan | None:
        """The plan the län follows: its plan file's, else the catalogue's fallback."""
        return next((p for p in self.plans if lan in p.lans), self.fallback_plan)

    def target_for(self, indicator: Indicator, lan: str | None) -> TargetSpec | None:
        """The target that applies in the län: its plan's own target overrides the indicator's."""
        plan = self.plan_for(lan) if lan is not None else None
        return plan.target_for(indicator) if plan is not None else indicator.target_spec

    def comparison_of(self, indicator: Indicator) -> ComparisonChoice:
        return indicator.comparison or self.comparison

    def indicator(self, indicator_id: str) -> Indicator:
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise KeyError(indicator_id)

    def plan_area(self, area_id: str) -> PlanArea | None:
        return next((p for p in self.plan_areas if p.id == area_id), None)
