"""One indicator from YAML: its measures, filters, periods, breakdowns and intervals."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from metrics.catalogue.comparisons import parse_comparison, parse_target
from metrics.catalogue.kolada_reference import parse_kolada
from metrics.catalogue.model import (
    BREAKDOWNS,
    INTERVAL_KINDS,
    NO_ROWS,
    PER_PERSON_MEASURES,
    PERIOD_TYPES,
    AgeBand,
    Breakdown,
    CodeFilter,
    ComparisonChoice,
    Direction,
    Indicator,
    IntervalKind,
    Measure,
    NeedsRows,
    NoRows,
    PeriodType,
    StandardPopulation,
    SuppressionSettings,
)
from metrics.catalogue.person_conditions import parse_having
from metrics.catalogue.problems import Problems, did_you_mean, is_number, unknown_keys
from metrics.catalogue.settings import (
    ID_PATTERN,
    parse_age_bands,
    parse_standard_population,
    parse_suppression,
)
from metrics.catalogue.tests_spec import parse_tests
from metrics.catalogue.yaml_loader import LineDict
from metrics.extracts.schema import EXTRACTS, Extract

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
INDICATOR_KEYS = (
    "id",
    "title",
    "description",
    "plan_areas",
    "source",
    "sources",
    "date",
    "age",
    "where",
    "snapshot",
    "follow_up_days",
    "no_rows",
    "needs_rows",
    "numerator",
    "denominator",
    "measure",
    "row_sql",
    "multiplier",
    "unit",
    "direction",
    "target",
    "periods",
    "breakdowns",
    "interval",
    "standard_population",
    "suppression",
    "age_bands",
    "decimals",
    "definition_source",
    "numerator_text",
    "denominator_text",
    "tests",
    "comparison",
    "kolada",
)
MEASURE_KEYS = ("count", "sum", "where", "codes", "latest", "counts", "having")
PER_PERSON_KEYS = ("per_person", "by", "where")
AGE_KEYS = ("min", "max")
CODES_KEYS = ("column", "list")


@dataclass(frozen=True)
class Context:
    suppression: SuppressionSettings
    age_bands: tuple[AgeBand, ...]
    code_lists: dict[str, tuple[str, ...]]
    plan_areas: set[str]
    file: str
    extracts: Mapping[str, Extract] = field(default_factory=lambda: EXTRACTS)  # built-in and declared
    comparison: ComparisonChoice = field(default_factory=ComparisonChoice)
    standard_population: StandardPopulation = field(default_factory=StandardPopulation)
    # The old format (a flat `plan_areas:` list, no plan files): every indicator names its areas.
    require_plan_areas: bool = False


def _text(node: LineDict, key: str, what: str, problems: Problems, required: bool = True) -> str:
    value = node.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.add(node.line, f"{what}: '{key}' saknas")
        return ""
    if not isinstance(value, (str, int, float)):
        problems.add(node.line_of(key), f"{what}: '{key}' ska vara text")
        return ""
    return " ".join(str(value).split())


def _str_list(node: LineDict, key: str) -> list[str] | None:
    value = node.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return []


def _check_column(
    source: str,
    column: str,
    line: int,
    what: str,
    problems: Problems,
    *,
    row_sql: bool = False,
    extracts: Mapping[str, Extract] = EXTRACTS,
) -> None:
    if row_sql or not IDENTIFIER.match(column):
        return  # SQL expressions are checked by binding them (metrics.compute.check)
    columns = extracts[source].column_names
    if column not in columns:
        hint = did_you_mean(column, columns) or f"kolumner i '{source}': {', '.join(columns)}"
        problems.add(line, f"{what}: okänd kolumn '{column}' i källan '{source}'", hint)


def _measure(
    node: Any, line: int, role: str, what: str, source: str, ctx: Context, problems: Problems
) -> Measure | None:
    hint = (
        "t.ex. 'rows', 'persons', 'population', {count: rows, where: \"mode = 'video'\"} eller {sum: hours}"
    )
    if isinstance(node, str):
        if node in ("rows", "persons"):
            return Measure(kind=cast(Any, node), is_count=True, line=line)
        if node == "population":
            if role == "numerator":
                problems.add(line, f"{what}: 'population' kan bara vara nämnare")
                return None
            return Measure(kind="population", is_count=False, line=line)
        problems.add(
            line,
            f"{what}: okänt mått '{node}' i {role}",
            did_you_mean(node, ("rows", "persons", "population")) or hint,
        )
        return None
    if not isinstance(node, LineDict):
        problems.add(line, f"{what}: {role} saknas eller har fel form", hint)
        return None
    unknown_keys(node, MEASURE_KEYS, f"{what}: {role}", problems)
    where = node.get("where")
    if where is not None and not isinstance(where, str):
        problems.add(node.line_of("where"), f"{what}: {role}.where ska vara ett SQL-villkor som text")
        where = None
    codes = None
    if "codes" in node:
        codes = _codes(node["codes"], node.line_of("codes"), what, source, ctx, problems)
    if "count" in node and "sum" in node:
        problems.add(node.line, f"{what}: {role} kan inte ha både count och sum")
        return None
    if "count" in node:
        kind = node["count"]
        if kind not in ("rows", "persons"):
            problems.add(
                node.line_of("count"), f"{what}: count ska vara 'rows' eller 'persons', inte '{kind}'"
            )
            return None
        latest = node.get("latest", False)
        if latest and kind != "persons":
            problems.add(node.line_of("latest"), f"{what}: latest gäller bara count: persons")
        having = parse_having(node, kind, what, role, problems)
        return Measure(
            kind=kind,
            where=where,
            codes=codes,
            latest=bool(latest),
            having=having,
            is_count=bool(node.get("counts", True)),
            line=node.line,
        )
    if "sum" in node:
        expression = node["sum"]
        if not isinstance(expression, str) or not expression.strip():
            problems.add(node.line_of("sum"), f"{what}: sum ska vara en kolumn eller ett SQL-uttryck")
            return None
        _check_column(source, expression.strip(), node.line_of("sum"), what, problems, extracts=ctx.extracts)
        return Measure(
            kind="sum",
            expression=expression.strip(),
            where=where,
            codes=codes,
            is_count=bool(node.get("counts", False)),
            line=node.line,
        )
    problems.add(node.line, f"{what}: {role} behöver count eller sum", hint)
    return None


def _codes(
    node: Any, line: int, what: str, source: str, ctx: Context, problems: Problems
) -> CodeFilter | None:
    if not isinstance(node, LineDict) or "column" not in node or "list" not in node:
        problems.add(
            line,
            f"{what}: codes behöver column och list",
            "t.ex. codes: {column: main_diagnosis, list: undvikbar}",
        )
        return None
    unknown_keys(node, CODES_KEYS, f"{what}: codes", problems)
    name = str(node["list"])
    if name not in ctx.code_lists:
        hint = (
            did_you_mean(name, ctx.code_lists)
            or f"definiera den under settings.code_lists ({', '.join(ctx.code_lists)})"
        )
        problems.add(node.line_of("list"), f"{what}: okänd kodlista '{name}'", hint)
        return None
    column = str(node["column"])
    _check_column(source, column, node.line_of("column"), what, problems, extracts=ctx.extracts)
    return CodeFilter(column=column, list_name=name, codes=ctx.code_lists[name])


def parse_indicator(node: LineDict, ctx: Context, problems: Problems) -> Indicator | None:
    raw_id = node.get("id")
    if not isinstance(raw_id, str) or not ID_PATTERN.match(raw_id):
        problems.add(
            node.line_of("id"),
            f"indikatorns id '{raw_id}' är ogiltigt" if raw_id else "indikatorn saknar id",
            "id skrivs med små bokstäver, siffror och _, t.ex. fast_lakarkontakt",
        )
        return None
    what = f"indikator '{raw_id}'"
    before = len(problems.errors)
    unknown_keys(node, INDICATOR_KEYS, what, problems)
    title = _text(node, "title", what, problems)
    description = _text(node, "description", what, problems)

    # plan areas: the old mapping (plan files map indicators now, docs/plans.md)
    plan_areas = _str_list(node, "plan_areas") or []
    if not plan_areas and ctx.require_plan_areas:
        problems.add(
            node.line,
            f"{what}: plan_areas saknas",
            f"ange ett eller flera av: {', '.join(sorted(ctx.plan_areas))}",
        )
    for area in plan_areas:
        # Without plan files or a plan_areas list (a catalogue copied away from plans/) nothing
        # names a heading: the indicator is shown under the fallback heading, not refused.
        if ctx.plan_areas and area not in ctx.plan_areas:
            hint = (
                did_you_mean(area, ctx.plan_areas)
                or f"definierade områden: {', '.join(sorted(ctx.plan_areas))}"
            )
            problems.add(node.line_of("plan_areas"), f"{what}: okänt planområde '{area}'", hint)

    # sources
    row_sql = node.get("row_sql")
    before_sources = len(problems.errors)
    sources = _str_list(node, "sources") or _str_list(node, "source") or []
    if not sources:
        problems.add(node.line, f"{what}: source saknas", f"ange ett av utdragen: {', '.join(ctx.extracts)}")
        return None
    for src in sources:
        if src not in ctx.extracts:
            hint = did_you_mean(src, ctx.extracts) or f"utdragen är: {', '.join(ctx.extracts)}"
            problems.add(
                node.line_of("source" if "source" in node else "sources"),
                f"{what}: okänt utdrag '{src}'",
                hint,
            )
    if len(problems.errors) > before_sources:  # nothing below can be checked without a source
        return None
    source = sources[0]
    extract = ctx.extracts[source]
    has_person_columns = {"sex", "age"} <= set(extract.column_names)

    if row_sql is not None and (not isinstance(row_sql, str) or "select" not in row_sql.lower()):
        problems.add(node.line_of("row_sql"), f"{what}: row_sql ska vara en SELECT-fråga")
        row_sql = None

    # date
    date = node.get("date", extract.date_column)
    if row_sql is not None:
        date = None
    elif not isinstance(date, str):
        problems.add(node.line_of("date"), f"{what}: date ska vara en kolumn i '{source}'")
    else:
        _check_column(source, date, node.line_of("date"), what, problems, extracts=ctx.extracts)
    year_dated = date is not None and date in extract.column_names and extract.column(date).type == "int"

    # age filter
    age_min = age_max = None
    if "age" in node:
        age = node["age"]
        if not isinstance(age, LineDict) or not set(age) <= set(AGE_KEYS) or not age:
            problems.add(node.line_of("age"), f"{what}: age ska vara {{min: 75}} och/eller {{max: 64}}")
        elif row_sql is None and "age" not in extract.column_names:
            problems.add(node.line_of("age"), f"{what}: källan '{source}' har ingen ålderskolumn")
        else:
            age_min, age_max = age.get("min"), age.get("max")
            for v in (age_min, age_max):
                if v is not None and (not isinstance(v, int) or not 0 <= v <= 120):
                    problems.add(node.line_of("age"), f"{what}: åldersgränser ska vara heltal 0–120")

    where = node.get("where")
    if where is not None and not isinstance(where, str):
        problems.add(node.line_of("where"), f"{what}: where ska vara ett SQL-villkor som text")
        where = None

    snapshot = node.get("snapshot")
    if snapshot not in (None, "last"):
        problems.add(node.line_of("snapshot"), f"{what}: snapshot kan bara vara 'last'")

    follow_up = node.get("follow_up_days", 0)
    if isinstance(follow_up, bool) or not isinstance(follow_up, int) or not 0 <= follow_up <= 3650:
        problems.add(
            node.line_of("follow_up_days"),
            f"{what}: follow_up_days ska vara ett antal dagar (heltal 0–3650)",
            "t.ex. follow_up_days: 30 när en återinskrivning syns upp till 30 dagar efter perioden",
        )
        follow_up = 0

    no_rows = node.get("no_rows", "zero")
    if no_rows not in NO_ROWS:
        problems.add(
            node.line_of("no_rows"),
            f"{what}: no_rows ska vara zero eller missing, inte '{no_rows}'",
            "missing när raderna är själva leveransen (t.ex. en kostnad per kommun, år och område): "
            "en täckt kommun utan rad saknas då i stället för att räknas som 0",
        )
        no_rows = "zero"
    needs_rows = _needs_rows(node, what, extract if row_sql is None else None, no_rows, problems)

    # numerator and denominator
    numerator: Measure | None
    denominator: Measure | None
    if "measure" in node:
        m = node["measure"]
        if "numerator" in node or "denominator" in node:
            problems.add(
                node.line_of("measure"), f"{what}: measure ersätter numerator och denominator; ange inte båda"
            )
        if row_sql is not None:
            # A per-person measure reads the source's own rows (person_id, the `by:` column, and
            # kommun, sex and age as the import validated them: sqlgen.LATEST_KEY relies on that);
            # a row_sql returns one row per counted unit instead.
            problems.add(
                node.line_of("row_sql"),
                f"{what}: row_sql och measure kan inte kombineras; "
                "ett mått per person läser källans egna rader",
                "ta bort row_sql och skriv villkoret som measure.where, t.ex. "
                "measure: {per_person: continuity_index, by: staff_id, where: \"profession = 'lakare'\"}",
            )
        if not isinstance(m, LineDict) or m.get("per_person") not in PER_PERSON_MEASURES:
            statistic = m.get("per_person") if isinstance(m, LineDict) else None
            close = did_you_mean(statistic, PER_PERSON_MEASURES) if isinstance(statistic, str) else None
            problems.add(
                m.line_of("per_person") if isinstance(m, LineDict) else node.line_of("measure"),
                f"{what}: measure ska vara {{per_person: continuity_index, by: staff_id}}"
                + (f", inte per_person: {statistic}" if isinstance(statistic, str) else ""),
                close or f"kända mått per person: {', '.join(PER_PERSON_MEASURES)}",
            )
            return None
        unknown_keys(m, PER_PERSON_KEYS, f"{what}: measure", problems)
        by = str(m.get("by") or "")
        if not by:
            problems.add(
                m.line,
                f"{what}: measure.by saknas",
                "kolumnen som identifierar vårdpersonalen, t.ex. staff_id",
            )
        _check_column(source, by, m.line_of("by"), what, problems, extracts=ctx.extracts)
        per_person = Measure(
            kind="per_person",
            statistic=m["per_person"],
            by=by,
            where=m.get("where"),
            is_count=False,
            line=m.line,
        )
        numerator = denominator = per_person
    elif row_sql is not None:
        counts = True
        if isinstance(node.get("numerator"), LineDict):
            counts = bool(node["numerator"].get("counts", True))
        numerator = Measure(kind="sum", expression="numerator", is_count=counts, line=node.line_of("row_sql"))
        if node.get("denominator") == "population":
            denominator = Measure(kind="population", line=node.line_of("denominator"))
        else:
            denominator = Measure(
                kind="sum", expression="denominator", is_count=True, line=node.line_of("row_sql")
            )
    else:
        numerator = _measure(
            node.get("numerator"), node.line_of("numerator"), "numerator", what, source, ctx, problems
        )
        denominator = _measure(
            node.get("denominator"), node.line_of("denominator"), "denominator", what, source, ctx, problems
        )
    if numerator is None or denominator is None:
        return None
    population_based = denominator.kind == "population"
    if population_based and "population" not in sources:
        sources = [*sources, "population"]

    # multiplier, unit, direction, target
    multiplier = node.get("multiplier", 1)
    if not is_number(multiplier) or multiplier <= 0:
        problems.add(
            node.line_of("multiplier"),
            f"{what}: multiplier ska vara ett positivt tal",
            "100 för %, 1000 för per 1 000",
        )
        multiplier = 1
    unit = _text(node, "unit", what, problems)
    direction = node.get("direction")
    if direction not in ("higher", "lower", "neutral"):
        problems.add(
            node.line_of("direction"),
            f"{what}: direction ska vara higher, lower eller neutral"
            + (f", inte '{direction}'" if direction else ""),
            "higher = högre värde är bättre",
        )
        direction = "neutral"
    target_spec = parse_target(node.get("target"), node.line_of("target"), what, problems)
    target = target_spec.value if target_spec is not None and target_spec.kind == "value" else None
    comparison = (
        parse_comparison(node["comparison"], node.line_of("comparison"), ctx.comparison, what, problems)
        if "comparison" in node
        else None
    )
    kolada = parse_kolada(node.get("kolada"), node.line_of("kolada"), what, problems)

    # periods
    default_periods = ["year"] if (population_based or year_dated) else list(PERIOD_TYPES)
    periods = _str_list(node, "periods") or default_periods
    for p in periods:
        if p not in PERIOD_TYPES:
            problems.add(
                node.line_of("periods"), f"{what}: okänd periodtyp '{p}'", "year, quarter eller month"
            )
    if "year" not in periods:
        problems.add(node.line_of("periods"), f"{what}: periods måste innehålla year")
    if (population_based or year_dated) and set(periods) - {"year"}:
        reason = "befolkningen finns per år" if population_based else f"'{date}' är ett årtal"
        problems.add(
            node.line_of("periods"), f"{what}: kvartal och månad går inte ({reason})", "ange periods: [year]"
        )
    yearly = [s for s in sources if _yearly(ctx.extracts[s])]
    if row_sql is not None and yearly and not population_based and set(periods) - {"year"}:
        # Its date is 1 January of the year: without periods: [year], a whole year lands in January and Q1.
        problems.add(
            node.line_of("periods" if "periods" in node else "row_sql"),
            f"{what}: row_sql läser '{yearly[0]}', som har ett värde per år, men räknas "
            "även per kvartal och månad",
            "ange periods: [year], annars hamnar hela året i januari och första kvartalet",
        )

    # breakdowns
    default_breakdowns: list[str] = list(BREAKDOWNS) if (has_person_columns or row_sql) else []
    listed_breakdowns = _str_list(node, "breakdowns")
    breakdowns = default_breakdowns if listed_breakdowns is None else listed_breakdowns
    for b in breakdowns:
        if b not in BREAKDOWNS:
            problems.add(node.line_of("breakdowns"), f"{what}: okänd nedbrytning '{b}'", "sex eller age_band")
        elif not has_person_columns and not row_sql:
            problems.add(
                node.line_of("breakdowns"),
                f"{what}: källan '{source}' har inte kön och ålder; ta bort breakdowns",
            )

    # interval
    default_interval: IntervalKind = "none"
    if (numerator.is_count and denominator.kind in ("rows", "persons")) or (
        row_sql is not None and numerator.is_count and denominator.kind == "sum"
    ):
        default_interval = "wilson"
    elif numerator.is_count and population_based:
        default_interval = "poisson"
    elif numerator.kind == "per_person" or (
        numerator.kind == "sum" and row_sql is None and denominator.kind in ("rows", "persons")
    ):
        default_interval = "mean"  # a mean of per-person (per-row) values: t interval from Σx, Σx²
    interval = node.get("interval", default_interval)
    if interval not in INTERVAL_KINDS:
        problems.add(
            node.line_of("interval"),
            f"{what}: interval ska vara {', '.join(INTERVAL_KINDS[:-1])} eller none",
            did_you_mean(str(interval), INTERVAL_KINDS) or "se docs/statistics.md",
        )
        interval = "none"
    elif interval == "mean" and not (
        numerator.kind == "per_person"
        or (numerator.kind == "sum" and denominator.kind in ("rows", "persons"))
    ):
        problems.add(
            node.line_of("interval"),
            f"{what}: interval: mean gäller medelvärden (measure per_person, eller sum delat med rows)",
            "t.ex. numerator: {sum: staff_14d}, denominator: rows",
        )
        interval = "none"
    elif interval == "dobson" and not (population_based and numerator.kind in ("rows", "sum")):
        problems.add(
            node.line_of("interval"),
            f"{what}: interval: dobson gäller summor per invånare (denominator: population)",
        )
        interval = "none"

    # age standardisation: rates per inhabitant of a source with ages (docs/statistics.md)
    standardisable = (
        population_based and numerator.kind in ("rows", "sum") and (row_sql or "age" in extract.column_names)
    )
    standard_population = parse_standard_population(
        node.get("standard_population"),
        node.line_of("standard_population"),
        ctx.standard_population,
        problems,
        what,
    )
    if "standard_population" in node and standard_population.kind != "none" and not standardisable:
        problems.add(
            node.line_of("standard_population"),
            f"{what}: åldersstandardisering kräver en nämnare per invånare och en källa med ålder",
            "ta bort standard_population, eller skriv standard_population: none",
        )
    if not standardisable:
        standard_population = StandardPopulation(kind="none")

    suppression = parse_suppression(
        node.get("suppression"), node.line_of("suppression"), ctx.suppression, problems
    )
    bands = ctx.age_bands
    if "age_bands" in node:
        bands = parse_age_bands(node["age_bands"], node.line_of("age_bands"), problems) or bands
    bands = _clip_bands(bands, age_min, age_max)

    decimals = node.get("decimals", 2 if "index" in unit.lower() else 0 if unit.upper() == "SEK" else 1)
    if not isinstance(decimals, int) or not 0 <= decimals <= 4:
        problems.add(node.line_of("decimals"), f"{what}: decimals ska vara ett heltal 0–4")
        decimals = 1

    if len(problems.errors) > before:
        return None
    # A mistake in a test is an error, but the definition stays: `matavla compute` still
    # publishes the indicator while its test is being fixed, and `matavla test` runs none of them.
    tests_from = len(problems.errors)
    tests = (
        parse_tests(node["tests"], node.line_of("tests"), raw_id, problems, ctx.extracts)
        if "tests" in node
        else ()
    )
    if len(problems.errors) > tests_from:
        tests = ()
    return Indicator(
        id=raw_id,
        title=title,
        description=description,
        plan_areas=tuple(plan_areas),
        sources=tuple(sources),
        date=date if row_sql is None else None,
        numerator=numerator,
        denominator=denominator,
        multiplier=float(multiplier),
        unit=unit,
        direction=cast(Direction, direction),
        periods=tuple(cast(PeriodType, p) for p in PERIOD_TYPES if p in periods),
        breakdowns=tuple(cast(Breakdown, b) for b in BREAKDOWNS if b in breakdowns),
        interval=cast(IntervalKind, interval),
        suppression=suppression,
        age_min=age_min,
        age_max=age_max,
        where=where.strip() if isinstance(where, str) else None,
        snapshot_last=snapshot == "last",
        follow_up_days=follow_up,
        no_rows=cast(NoRows, no_rows),
        needs_rows=needs_rows,
        row_sql=row_sql.strip() if isinstance(row_sql, str) else None,
        age_bands=bands,
        target=target,
        target_spec=target_spec,
        comparison=comparison,
        kolada=kolada,
        standard_population=standard_population,
        decimals=decimals,
        definition_source=_text(node, "definition_source", what, problems, required=False),
        numerator_text=_text(node, "numerator_text", what, problems, required=False),
        denominator_text=_text(node, "denominator_text", what, problems, required=False),
        file=ctx.file,
        line=node.line,
        key_lines=dict(node.key_lines),
        tests=tests,
        extracts=tuple(ctx.extracts[s] for s in sources if ctx.extracts[s] is not EXTRACTS.get(s)),
    )


def _needs_rows(
    node: LineDict, what: str, extract: Extract | None, no_rows: object, problems: Problems
) -> NeedsRows | None:
    """`needs_rows: {column: [value, …]}`: the values whose rows make a kommun × period delivered.

    `extract`: the source whose columns are checked; None with `row_sql` (its columns are the query's).
    """
    if "needs_rows" not in node:
        return None
    raw = node["needs_rows"]
    line = node.line_of("needs_rows")
    example = "t.ex. needs_rows: {principal: [region, kommun]} när båda huvudmännen måste leverera"
    if not isinstance(raw, Mapping) or len(raw) != 1:
        problems.add(line, f"{what}: needs_rows ska vara en kolumn med en lista av värden", example)
        return None
    ((column, values),) = raw.items()
    if (
        not isinstance(values, list)
        or not values
        or not all(isinstance(v, str) and v for v in values)
        or len(set(values)) != len(values)
    ):
        problems.add(line, f"{what}: needs_rows.{column} ska vara en lista av olika värden (text)", example)
        return None
    if no_rows != "missing":
        problems.add(
            line,
            f"{what}: needs_rows gäller bara med no_rows: missing",
            "lägg till no_rows: missing: en kommun utan leverans från alla ska saknas, inte vara 0",
        )
        return None
    if extract is not None:
        if column not in extract.column_names:
            hint = did_you_mean(str(column), extract.column_names) or (
                f"kolumnerna är: {', '.join(extract.column_names)}"
            )
            problems.add(line, f"{what}: needs_rows: '{extract.name}' har ingen kolumn '{column}'", hint)
            return None
        allowed = extract.column(column).values
        unknown = [v for v in values if allowed and v not in allowed]
        if unknown:
            problems.add(
                line,
                f"{what}: needs_rows.{column}: okänt värde '{unknown[0]}'",
                f"tillåtna värden: {', '.join(allowed)}",
            )
            return None
    return NeedsRows(column=str(column), values=tuple(values))


def _yearly(extract: Extract) -> bool:
    """Whether the extract's rows are dated by a year (an int), not a day or month."""
    return extract.date_column is not None and extract.column(extract.date_column).type == "int"


def _clip_bands(bands: tuple[AgeBand, ...], age_min: int | None, age_max: int | None) -> tuple[AgeBand, ...]:
    """Restrict age bands to the indicator's age filter, so a 75+ indicator gets 75-84 and 85+."""
    lo = age_min if age_min is not None else 0
    clipped: list[AgeBand] = []
    for band in bands:
        high = band.high
        if high is not None and high < lo:
            continue
        if age_max is not None and band.low > age_max:
            continue
        new_high = high if age_max is None else (age_max if high is None else min(high, age_max))
        clipped.append(AgeBand(max(band.low, lo), new_high))
    return tuple(clipped)
