"""Build the catalogue from `indicators.yaml`, reporting every problem at once.

Each indicator is validated on its own: a broken one is reported with its
line and left out, the others load. `load_catalogue(strict=True)` raises
`CatalogueError` with all problems instead (the CLI's `check` uses that).
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from metrics.catalogue.model import (
    BREAKDOWNS,
    PER_PERSON_MEASURES,
    PERIOD_TYPES,
    AgeBand,
    AreaGroup,
    AreaLevel,
    Breakdown,
    Catalogue,
    CodeFilter,
    Direction,
    Indicator,
    IntervalKind,
    Measure,
    PeriodType,
    PlanArea,
    SuppressionSettings,
)
from metrics.catalogue.yaml_loader import LineDict, load_yaml
from metrics.errors import CatalogueError, Problem
from metrics.extracts.schema import EXTRACTS

DEFAULT_CATALOGUE = Path("indicators.yaml")
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

TOP_KEYS = ("version", "settings", "plan_areas", "area_levels", "indicators")
SETTINGS_KEYS = ("suppression", "age_bands", "code_lists")
SUPPRESSION_KEYS = ("min_denominator", "min_count", "max_count")
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
    "suppression",
    "age_bands",
    "decimals",
    "definition_source",
    "numerator_text",
    "denominator_text",
)
MEASURE_KEYS = ("count", "sum", "where", "codes", "latest", "counts")
PER_PERSON_KEYS = ("per_person", "by", "where")


@dataclass
class Problems:
    """Collects problems for one file; `add` keeps going so all are reported together."""

    file: str
    items: list[Problem] = field(default_factory=list)

    def add(self, line: int | None, message: str, hint: str | None = None, level: str = "error") -> None:
        self.items.append(Problem(message, file=self.file, line=line, hint=hint, level=level))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.level == "error"]


@dataclass(frozen=True)
class LoadResult:
    catalogue: Catalogue
    problems: list[Problem]  # errors of left-out indicators, and warnings


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"menade du '{match[0]}'?" if match else None


def _unknown_keys(node: LineDict, allowed: tuple[str, ...], what: str, problems: Problems) -> None:
    for key in node:
        if key not in allowed:
            hint = did_you_mean(key, allowed) or f"tillåtna nycklar: {', '.join(allowed)}"
            problems.add(node.line_of(key), f"{what}: okänd nyckel '{key}'", hint)


def load_catalogue(path: str | Path = DEFAULT_CATALOGUE, *, strict: bool = False) -> LoadResult:
    """Load and validate the catalogue.

    Problems in settings, plan areas or area groups are fatal (they affect every
    indicator). A problem in one indicator leaves that indicator out, unless
    `strict`, which raises on any error.
    """
    path = Path(path)
    problems = Problems(path.name)
    doc = load_yaml(path)
    if not isinstance(doc, LineDict):
        raise CatalogueError([Problem("filen ska vara en YAML-mappning med nyckeln 'indicators'", str(path))])
    _unknown_keys(doc, TOP_KEYS, "katalogen", problems)

    settings = doc.get("settings") or LineDict()
    suppression, age_bands, code_lists = _settings(settings, problems)
    plan_areas = _plan_areas(doc.get("plan_areas"), doc.line_of("plan_areas"), problems)
    area_levels = _area_levels(doc.get("area_levels"), problems)
    fatal = list(problems.errors)
    if fatal:
        raise CatalogueError(fatal)

    raw_indicators = doc.get("indicators")
    if not isinstance(raw_indicators, list) or not raw_indicators:
        raise CatalogueError(
            [Problem("'indicators' saknas eller är tom", path.name, doc.line_of("indicators"))]
        )
    indicators: list[Indicator] = []
    seen: dict[str, int] = {}
    context = _Context(suppression, age_bands, code_lists, {p.id for p in plan_areas}, path.name)
    for node in raw_indicators:
        if not isinstance(node, LineDict):
            problems.add(doc.line_of("indicators"), "varje indikator ska vara en mappning (id: …, title: …)")
            continue
        before = len(problems.errors)
        indicator = _indicator(node, context, problems)
        if indicator is not None and indicator.id in seen:
            problems.add(node.line, f"indikatorn '{indicator.id}' finns redan på rad {seen[indicator.id]}")
            indicator = None
        if indicator is not None and len(problems.errors) == before:
            seen[indicator.id] = node.line
            indicators.append(indicator)

    if strict and problems.errors:
        raise CatalogueError(problems.errors)
    catalogue = Catalogue(
        indicators=tuple(indicators),
        plan_areas=plan_areas,
        area_levels=area_levels,
        suppression=suppression,
        age_bands=age_bands,
        code_lists=code_lists,
        file=path.name,
    )
    return LoadResult(catalogue, problems.items)


# --- settings, plan areas and area groups ---------------------------------------------------------


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _suppression(
    node: Any, line: int, default: SuppressionSettings, problems: Problems
) -> SuppressionSettings:
    if node is None:
        return default
    if not isinstance(node, LineDict):
        problems.add(line, "suppression ska vara en mappning", "t.ex. suppression: {min_denominator: 10}")
        return default
    _unknown_keys(node, SUPPRESSION_KEYS, "suppression", problems)
    values: dict[str, Any] = {}
    for key in SUPPRESSION_KEYS:
        if key in node:
            if not _number(node[key]) or node[key] < 0:
                problems.add(node.line_of(key), f"suppression.{key} ska vara ett tal ≥ 0")
            else:
                values[key] = node[key]
    result = SuppressionSettings(
        min_denominator=values.get("min_denominator", default.min_denominator),
        min_count=int(values.get("min_count", default.min_count)),
        max_count=int(values.get("max_count", default.max_count)),
    )
    if result.min_count > result.max_count:
        problems.add(node.line, "suppression: min_count är större än max_count")
    return result


def _age_bands(node: Any, line: int, problems: Problems) -> tuple[AgeBand, ...] | None:
    hint = "ange bandens nedre gränser i stigande ordning, t.ex. age_bands: [0, 20, 65, 75, 85]"
    if not isinstance(node, list) or not node or not all(isinstance(v, int) for v in node):
        problems.add(line, "age_bands ska vara en lista med heltal", hint)
        return None
    if sorted(set(node)) != node or node[0] < 0 or node[-1] > 120:
        problems.add(line, "age_bands ska vara stigande heltal mellan 0 och 120", hint)
        return None
    bands = [AgeBand(low, high - 1) for low, high in itertools.pairwise(node)]
    bands.append(AgeBand(node[-1], None))
    return tuple(bands)


def _settings(
    node: Any, problems: Problems
) -> tuple[SuppressionSettings, tuple[AgeBand, ...], dict[str, tuple[str, ...]]]:
    if not isinstance(node, LineDict):
        problems.add(None, "settings ska vara en mappning")
        node = LineDict()
        node.key_lines = {}
    _unknown_keys(node, SETTINGS_KEYS, "settings", problems)
    suppression = _suppression(
        node.get("suppression"), node.line_of("suppression"), SuppressionSettings(), problems
    )
    bands = (
        _age_bands(node["age_bands"], node.line_of("age_bands"), problems) if "age_bands" in node else None
    ) or _age_bands([0, 20, 65, 75, 85], 0, problems)
    assert bands is not None
    code_lists: dict[str, tuple[str, ...]] = {}
    raw_lists = node.get("code_lists") or LineDict()
    if not isinstance(raw_lists, LineDict):
        problems.add(node.line_of("code_lists"), "code_lists ska vara en mappning namn: [koder]")
    else:
        for name, codes in raw_lists.items():
            if not isinstance(codes, list) or not codes or not all(isinstance(c, str) for c in codes):
                problems.add(
                    raw_lists.line_of(name),
                    f"kodlistan '{name}' ska vara en lista med koder som text",
                    "t.ex. [I10, J44, N390]",
                )
                continue
            code_lists[name] = tuple(c.replace(".", "").strip().upper() for c in codes)
    return suppression, bands, code_lists


def _plan_areas(node: Any, line: int, problems: Problems) -> tuple[PlanArea, ...]:
    if not isinstance(node, list) or not node:
        problems.add(
            line, "plan_areas saknas", "lista planens områden: - {id: kontinuitet, title: Ökad kontinuitet}"
        )
        return ()
    areas: list[PlanArea] = []
    for item in node:
        if not isinstance(item, LineDict) or not isinstance(item.get("id"), str) or not item.get("title"):
            problems.add(line, "varje planområde behöver id och title")
            continue
        _unknown_keys(item, ("id", "title", "description"), f"planområde '{item['id']}'", problems)
        areas.append(PlanArea(item["id"], str(item["title"]), str(item.get("description") or "").strip()))
    return tuple(areas)


def _area_levels(node: Any, problems: Problems) -> tuple[AreaLevel, ...]:
    from metrics.geography import load_geography

    if node is None:
        return ()
    geography = load_geography()
    levels: list[AreaLevel] = []
    if not isinstance(node, list):
        problems.add(None, "area_levels ska vara en lista")
        return ()
    for item in node:
        if not isinstance(item, LineDict):
            problems.add(None, "varje områdesnivå ska vara en mappning med level, title och groups")
            continue
        _unknown_keys(item, ("level", "title", "groups"), "area_levels", problems)
        level = item.get("level")
        if not isinstance(level, str) or not ID_PATTERN.match(level) or level in ("kommun", "lan"):
            problems.add(
                item.line_of("level"),
                f"ogiltig områdesnivå '{level}'",
                "använd små bokstäver och _, inte 'kommun' eller 'lan', t.ex. narvardsomrade",
            )
            continue
        groups: list[AreaGroup] = []
        for group in item.get("groups") or []:
            if not isinstance(group, LineDict) or not group.get("id") or not group.get("name"):
                problems.add(item.line_of("groups"), "varje område behöver id, name och kommuner")
                continue
            _unknown_keys(group, ("id", "name", "kommuner"), f"område '{group['id']}'", problems)
            codes = [str(c) for c in group.get("kommuner") or []]
            for code in codes:
                if code not in geography.kommuner:
                    problems.add(
                        group.line_of("kommuner"),
                        f"område '{group['id']}': okänd kommunkod '{code}'",
                        'kommunkoder är fyra siffror inom citattecken, t.ex. "0580"',
                    )
            if not codes:
                problems.add(group.line, f"område '{group['id']}' har inga kommuner")
            groups.append(AreaGroup(str(group["id"]), str(group["name"]), tuple(codes)))
        levels.append(AreaLevel(level, str(item.get("title") or level), tuple(groups)))
    return tuple(levels)


# --- indicators -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    suppression: SuppressionSettings
    age_bands: tuple[AgeBand, ...]
    code_lists: dict[str, tuple[str, ...]]
    plan_areas: set[str]
    file: str


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
    source: str, column: str, line: int, what: str, problems: Problems, *, row_sql: bool = False
) -> None:
    if row_sql or not IDENTIFIER.match(column):
        return  # SQL expressions are checked by binding them (metrics.compute.check)
    columns = EXTRACTS[source].column_names
    if column not in columns:
        hint = did_you_mean(column, columns) or f"kolumner i '{source}': {', '.join(columns)}"
        problems.add(line, f"{what}: okänd kolumn '{column}' i källan '{source}'", hint)


def _measure(
    node: Any, line: int, role: str, what: str, source: str, ctx: _Context, problems: Problems
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
    _unknown_keys(node, MEASURE_KEYS, f"{what}: {role}", problems)
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
        return Measure(
            kind=kind,
            where=where,
            codes=codes,
            latest=bool(latest),
            is_count=bool(node.get("counts", True)),
            line=node.line,
        )
    if "sum" in node:
        expression = node["sum"]
        if not isinstance(expression, str) or not expression.strip():
            problems.add(node.line_of("sum"), f"{what}: sum ska vara en kolumn eller ett SQL-uttryck")
            return None
        _check_column(source, expression.strip(), node.line_of("sum"), what, problems)
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
    node: Any, line: int, what: str, source: str, ctx: _Context, problems: Problems
) -> CodeFilter | None:
    if not isinstance(node, LineDict) or "column" not in node or "list" not in node:
        problems.add(
            line,
            f"{what}: codes behöver column och list",
            "t.ex. codes: {column: main_diagnosis, list: undvikbar}",
        )
        return None
    name = str(node["list"])
    if name not in ctx.code_lists:
        hint = (
            did_you_mean(name, ctx.code_lists)
            or f"definiera den under settings.code_lists ({', '.join(ctx.code_lists)})"
        )
        problems.add(node.line_of("list"), f"{what}: okänd kodlista '{name}'", hint)
        return None
    column = str(node["column"])
    _check_column(source, column, node.line_of("column"), what, problems)
    return CodeFilter(column=column, list_name=name, codes=ctx.code_lists[name])


def _indicator(node: LineDict, ctx: _Context, problems: Problems) -> Indicator | None:
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
    _unknown_keys(node, INDICATOR_KEYS, what, problems)
    title = _text(node, "title", what, problems)
    description = _text(node, "description", what, problems)

    # plan areas
    plan_areas = _str_list(node, "plan_areas") or []
    if not plan_areas:
        problems.add(
            node.line,
            f"{what}: plan_areas saknas",
            f"ange ett eller flera av: {', '.join(sorted(ctx.plan_areas))}",
        )
    for area in plan_areas:
        if area not in ctx.plan_areas:
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
        problems.add(node.line, f"{what}: source saknas", f"ange ett av utdragen: {', '.join(EXTRACTS)}")
        return None
    for src in sources:
        if src not in EXTRACTS:
            hint = did_you_mean(src, EXTRACTS) or f"utdragen är: {', '.join(EXTRACTS)}"
            problems.add(
                node.line_of("source" if "source" in node else "sources"),
                f"{what}: okänt utdrag '{src}'",
                hint,
            )
    if len(problems.errors) > before_sources:  # nothing below can be checked without a source
        return None
    source = sources[0]
    extract = EXTRACTS[source]
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
        _check_column(source, date, node.line_of("date"), what, problems)
    year_dated = date is not None and date in extract.column_names and extract.column(date).type == "int"

    # age filter
    age_min = age_max = None
    if "age" in node:
        age = node["age"]
        if not isinstance(age, LineDict) or not set(age) <= {"min", "max"} or not age:
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

    # numerator and denominator
    numerator: Measure | None
    denominator: Measure | None
    if "measure" in node:
        m = node["measure"]
        if "numerator" in node or "denominator" in node:
            problems.add(
                node.line_of("measure"), f"{what}: measure ersätter numerator och denominator; ange inte båda"
            )
        if not isinstance(m, LineDict) or m.get("per_person") not in PER_PERSON_MEASURES:
            problems.add(
                node.line_of("measure"),
                f"{what}: measure ska vara {{per_person: continuity_index, by: staff_id}}",
                f"kända mått per person: {', '.join(PER_PERSON_MEASURES)}",
            )
            return None
        _unknown_keys(m, PER_PERSON_KEYS, f"{what}: measure", problems)
        by = str(m.get("by") or "")
        if not by:
            problems.add(
                m.line,
                f"{what}: measure.by saknas",
                "kolumnen som identifierar vårdpersonalen, t.ex. staff_id",
            )
        _check_column(source, by, m.line_of("by"), what, problems)
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
    if not _number(multiplier) or multiplier <= 0:
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
    target = node.get("target")
    if target is not None and not _number(target):
        problems.add(node.line_of("target"), f"{what}: target ska vara ett tal i indikatorns enhet")
        target = None

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
    interval = node.get("interval", default_interval)
    if interval not in ("wilson", "poisson", "none"):
        problems.add(node.line_of("interval"), f"{what}: interval ska vara wilson, poisson eller none")
        interval = "none"

    suppression = _suppression(
        node.get("suppression"), node.line_of("suppression"), ctx.suppression, problems
    )
    bands = ctx.age_bands
    if "age_bands" in node:
        bands = _age_bands(node["age_bands"], node.line_of("age_bands"), problems) or bands
    bands = _clip_bands(bands, age_min, age_max)

    decimals = node.get("decimals", 2 if "index" in unit.lower() else 0 if unit.upper() == "SEK" else 1)
    if not isinstance(decimals, int) or not 0 <= decimals <= 4:
        problems.add(node.line_of("decimals"), f"{what}: decimals ska vara ett heltal 0–4")
        decimals = 1

    if len(problems.errors) > before:
        return None
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
        row_sql=row_sql.strip() if isinstance(row_sql, str) else None,
        age_bands=bands,
        target=float(target) if target is not None else None,
        decimals=decimals,
        definition_source=_text(node, "definition_source", what, problems, required=False),
        numerator_text=_text(node, "numerator_text", what, problems, required=False),
        denominator_text=_text(node, "denominator_text", what, problems, required=False),
        file=ctx.file,
        line=node.line,
        key_lines=dict(node.key_lines),
    )


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
