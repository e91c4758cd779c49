"""Extracts an analyst declares in the catalogue's `extracts:` section, e.g. a kommun's own vaccinations.

A declaration becomes the same `Extract` object the built-in extracts are
(`metrics.extracts.schema`), so the importer gives it every check they get and the
indicators validate their columns against it, without a second path.

They live in the catalogue, not in a file of their own: the analyst edits one file,
`matavla check` reports both with file and line, an indicator that reads a declared
extract is validated against its columns, and the editor schema covers both.
`matavla import` reads only this section (`load_declared_extracts`), so an error in an
indicator never stops an import.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast, get_args

from metrics.catalogue.problems import Problems, did_you_mean, is_number, unknown_keys
from metrics.catalogue.settings import ID_PATTERN
from metrics.catalogue.yaml_loader import LineDict, load_yaml
from metrics.errors import CatalogueError
from metrics.extracts.schema import EXTRACTS, Column, ColumnType, Extract, Scope

EXTRACT_KEYS = ("name", "title", "description", "person_level", "delivered_by", "date", "key", "columns")
COLUMN_KEYS = ("name", "type", "required", "values", "min", "description")
COLUMN_TYPES: tuple[str, ...] = get_args(ColumnType)
DELIVERED_BY: dict[str, Scope] = {"region": "lan", "kommun": "kommun"}
DATE_TYPES = ("date", "month", "timestamp", "int")  # int: a year
# Tables of the database that are not extracts: a declared extract may not take their names.
RESERVED_TABLES = (
    "results",
    "results_history",
    "compute_runs",
    "run_indicators",
    "indicator_runs",
    "meta",
    "import_log",
    "rejected_rows",
    "coverage",
    "covered_months",
    "areas",
    "raw_cells",  # compute's kept sums per indicator (metrics.compute.year_cells)
    "raw_std_cells",  # and the age standardisation's band sums (metrics.compute.year_cells)
    "raw_coverage",  # and the covered months' fingerprints of their runs (metrics.compute.year_cells)
    # written by `matavla kolada` (metrics.kolada.store, metrics.kolada.groups)
    "kolada_reference",
    "kolada_fetches",
    "kolada_groups",
    "kolada_group_members",
)
# Names the generated queries give their own steps (the CTEs of metrics.compute.sqlgen, standardise,
# clusters and metrics.extracts.coverage): an extract of that name would be read as the step, not as
# itself. tests/test_declared_extracts.py checks that every CTE those modules write is listed here.
QUERY_STEPS = (
    "alike",
    "at_snapshots",
    "base",
    "cells",
    "counted",
    "covered",
    "dated",
    "every_row",
    "in_kommun",
    "inhabitants",
    "kept",
    "kept_rows",
    "last_rows",
    "latest_kommun",
    "missing",
    "months",
    "moved",
    "movers",
    "periods",
    "persons",
    "settled",
    "several",
    "snapshot_dates",
    "snapshots",
    "split_dates",
    "sums",
    "units",
    "visits",
)
# Columns that person-level measures read (each person under the kommun of their latest row,
# broken down by sex and age): a person-level extract needs them with these types.
PERSON_COLUMNS: dict[str, str] = {"person_id": "text", "kommun": "kommun", "sex": "sex", "age": "age"}
# Columns the generated SQL adds beside an extract's own (`SELECT *, … AS d`, metrics.compute.sqlgen):
# a declared column of that name would shadow them, and the results would silently be wrong.
GENERATED_COLUMNS = ("d", "period_type", "period_start", "latest_key")
EXAMPLE = "t.ex. {name: vaccine, type: text}"


def parse_extracts(node: Any, line: int, problems: Problems) -> tuple[Extract, ...]:
    """The declared extracts; a broken declaration is reported with its line and left out."""
    if node is None:
        return ()
    if not isinstance(node, list):
        problems.add(
            line, "extracts ska vara en lista av utdrag", "t.ex. extracts: [{name: vaccinations, …}]"
        )
        return ()
    declared: list[Extract] = []
    seen: dict[str, int] = {}
    for item in node:
        if not isinstance(item, LineDict):
            problems.add(line, "varje utdrag under extracts ska vara en mappning (name: …, columns: …)")
            continue
        before = len(problems.errors)
        extract = _extract(item, problems)
        if extract is not None and extract.name in seen:
            problems.add(item.line, f"utdraget '{extract.name}' finns redan på rad {seen[extract.name]}")
        elif extract is not None and len(problems.errors) == before:
            seen[extract.name] = item.line
            declared.append(extract)
    return tuple(declared)


def _extract(node: LineDict, problems: Problems) -> Extract | None:
    name = node.get("name")
    if not isinstance(name, str) or not ID_PATTERN.match(name):
        problems.add(
            node.line_of("name"),
            f"utdragets namn '{name}' är ogiltigt" if name else "utdraget saknar name",
            "små bokstäver, siffror och _, t.ex. vaccinations; filerna ska heta som utdraget "
            "(vaccinations_2024.csv)",
        )
        return None
    what = f"utdrag '{name}'"
    before = len(problems.errors)
    unknown_keys(node, EXTRACT_KEYS, what, problems)
    if name in EXTRACTS:
        problems.add(node.line_of("name"), f"{what} finns redan som inbyggt utdrag", "välj ett annat namn")
    elif name in RESERVED_TABLES:
        problems.add(
            node.line_of("name"), f"{what}: namnet är en av databasens egna tabeller", "välj ett annat namn"
        )
    elif name in QUERY_STEPS:
        problems.add(
            node.line_of("name"),
            f"{what}: namnet '{name}' används av mätavlans genererade frågor",
            f"välj ett annat namn, t.ex. '{name}_utdrag'",
        )
    title = node.get("title")
    if not isinstance(title, str) or not title.strip():
        problems.add(node.line_of("title"), f"{what}: title saknas", "en svensk rubrik, t.ex. Vaccinationer")
        title = name
    description = node.get("description", "")
    person_level = node.get("person_level")
    if not isinstance(person_level, bool):
        problems.add(
            node.line_of("person_level"),
            f"{what}: person_level ska vara true eller false",
            "true när varje rad gäller en person (med person_id), false för aggregat per kommun",
        )
        person_level = False
    delivered_by = node.get("delivered_by", "region" if person_level else "kommun")
    if delivered_by not in DELIVERED_BY:
        problems.add(
            node.line_of("delivered_by"),
            f"{what}: delivered_by ska vara region eller kommun"
            + (f", inte '{delivered_by}'" if delivered_by else ""),
            did_you_mean(str(delivered_by), DELIVERED_BY)
            or "region: en fil täcker hela länet; kommun: en fil täcker kommunerna den har rader för",
        )
        delivered_by = "region"
    date = node.get("date")

    # A row without these is lost from every result (or, without person_id, merged into one
    # person), so like the built-ins' they may not be empty: such a row is rejected at import.
    needed = {"kommun", *(PERSON_COLUMNS if person_level else ()), *([date] if isinstance(date, str) else [])}
    columns = _columns(node, what, problems, needed)
    names = [c.name for c in columns]
    by_name = {c.name: c for c in columns}

    kommun = by_name.get("kommun")
    if columns and (kommun is None or kommun.type != "kommun"):
        problems.add(
            node.line_of("columns"),
            f"{what}: kolumnen kommun (type: kommun) saknas",
            "varje utdrag har personens eller radens kommun i en kolumn som heter kommun",
        )
    elif columns and any(c.type == "kommun" and c.name != "kommun" for c in columns):
        problems.add(node.line_of("columns"), f"{what}: bara kolumnen kommun kan ha type: kommun")
    if person_level and columns:
        for column, kind in PERSON_COLUMNS.items():
            if column not in by_name or by_name[column].type != kind:
                problems.add(
                    node.line_of("columns"),
                    f"{what}: ett utdrag med person_level: true behöver kolumnen {column} (type: {kind})",
                    "mått per person räknar person_id under kommunen och bryter ned på kön och ålder",
                )

    if not isinstance(date, str) or not date:
        problems.add(
            node.line_of("date"),
            f"{what}: date saknas",
            "kolumnen som daterar en rad (typ date, month, timestamp eller ett årtal som int)",
        )
    elif columns and date not in by_name:
        problems.add(
            node.line_of("date"),
            f"{what}: date '{date}' är ingen av kolumnerna",
            did_you_mean(date, names) or f"kolumnerna är {', '.join(names)}",
        )
    elif columns and by_name[date].type not in DATE_TYPES:
        problems.add(
            node.line_of("date"),
            f"{what}: date '{date}' har typen {by_name[date].type}",
            "daterande kolumn ska ha typen date, month, timestamp eller int (ett årtal)",
        )

    key = node.get("key")
    keys = [key] if isinstance(key, str) else key
    if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
        problems.add(
            node.line_of("key"),
            f"{what}: key saknas",
            "kolumnerna som tillsammans identifierar en rad, t.ex. key: [vaccination_id]; "
            "en ny fil ersätter rader med samma nyckel",
        )
        keys = []
    for k in keys:
        if columns and k not in by_name:
            problems.add(
                node.line_of("key"),
                f"{what}: nyckelkolumnen '{k}' är ingen av kolumnerna",
                did_you_mean(k, names) or f"kolumnerna är {', '.join(names)}",
            )
        elif columns and not by_name[k].required:
            problems.add(node.line_of("key"), f"{what}: nyckelkolumnen '{k}' kan inte ha required: false")

    if len(problems.errors) > before or not columns:
        return None
    return Extract(
        name=name,
        title=" ".join(title.split()),
        columns=columns,
        key=tuple(keys),
        person_level=person_level,
        date_column=cast(str, date),
        scope=DELIVERED_BY[str(delivered_by)],
        description=" ".join(str(description).split()),
    )


def _columns(node: LineDict, what: str, problems: Problems, needed: set[str]) -> tuple[Column, ...]:
    raw = node.get("columns")
    if not isinstance(raw, list) or not raw:
        problems.add(node.line_of("columns"), f"{what}: columns saknas", f"en lista av kolumner, {EXAMPLE}")
        return ()
    columns: list[Column] = []
    seen: set[str] = set()
    for item in raw:
        if not isinstance(item, LineDict):
            problems.add(node.line_of("columns"), f"{what}: varje kolumn ska vara en mappning", EXAMPLE)
            continue
        column = _column(item, what, problems)
        if column is None:
            continue
        if not column.required and column.name in needed:
            problems.add(
                item.line_of("required"),
                f"{what}: kolumnen '{column.name}' kan inte ha required: false",
                "kommun, den daterande kolumnen och (med person_level: true) person_id, sex och age "
                "ska finnas på varje rad; ta bort required: false",
            )
        if column.name in seen:
            problems.add(item.line, f"{what}: kolumnen '{column.name}' finns två gånger")
            continue
        seen.add(column.name)
        columns.append(column)
    return tuple(columns)


def _column(node: LineDict, what: str, problems: Problems) -> Column | None:
    before = len(problems.errors)
    name = node.get("name")
    unknown_keys(node, COLUMN_KEYS, f"{what}: kolumnen '{name}'" if name else f"{what}: kolumn", problems)
    if not isinstance(name, str) or not ID_PATTERN.match(name):
        problems.add(
            node.line_of("name"),
            f"{what}: kolumnnamnet '{name}' är ogiltigt" if name else f"{what}: kolumnen saknar name",
            "små bokstäver, siffror och _, som i filens rubrikrad (t.ex. vaccination_date)",
        )
        return None
    if name in GENERATED_COLUMNS:
        problems.add(
            node.line_of("name"),
            f"{what}: kolumnnamnet '{name}' är reserverat",
            f"mätavlans frågor använder {', '.join(GENERATED_COLUMNS)} själva; välj ett annat namn",
        )
        return None
    kind = node.get("type")
    if kind not in COLUMN_TYPES:
        problems.add(
            node.line_of("type"),
            f"{what}: kolumnen '{name}' har okänd typ '{kind}'"
            if kind
            else f"{what}: kolumnen '{name}' saknar type",
            (did_you_mean(str(kind), COLUMN_TYPES) if kind else None)
            or f"typerna är {', '.join(COLUMN_TYPES)}",
        )
        return None
    required = node.get("required", True)
    if not isinstance(required, bool):
        problems.add(node.line_of("required"), f"{what}: required för '{name}' ska vara true eller false")
    values = node.get("values")
    if kind == "enum":
        if not isinstance(values, list) or not values or not all(isinstance(v, str) and v for v in values):
            problems.add(
                node.line_of("values") if "values" in node else node.line,
                f"{what}: kolumnen '{name}' (enum) behöver values",
                "de tillåtna värdena, t.ex. values: [influensa, covid19, pneumokock]",
            )
            values = []
        elif any(v != v.lower() or not v.isascii() for v in values):
            # the importer folds 'Läkare' to 'lakare' before comparing, so only that form can match
            problems.add(
                node.line_of("values"),
                f"{what}: värdena för '{name}' ska skrivas med små bokstäver utan å, ä, ö",
                "filens 'Läkare' och 'läkare' läses båda som lakare",
            )
    elif values is not None:
        problems.add(node.line_of("values"), f"{what}: values gäller bara type: enum ('{name}' är {kind})")
    minimum = node.get("min")
    if minimum is not None and (not is_number(minimum) or kind not in ("int", "decimal", "age")):
        problems.add(
            node.line_of("min"), f"{what}: min för '{name}' ska vara ett tal, och bara för int eller decimal"
        )
        minimum = None
    if len(problems.errors) > before:
        return None
    return Column(
        name=name,
        type=cast(ColumnType, kind),
        required=bool(required),
        values=tuple(values or ()),
        min=float(minimum) if minimum is not None else None,
        description=" ".join(str(node.get("description", "")).split()),
    )


def known_extracts(declared: tuple[Extract, ...]) -> Mapping[str, Extract]:
    """The built-in extracts and the declared ones, by name."""
    return {**EXTRACTS, **{e.name: e for e in declared}}


def load_declared_extracts(path: str | Path) -> tuple[Extract, ...]:
    """Only the `extracts:` section of a catalogue (for `matavla import`); none when the file is missing.

    Raises `CatalogueError` with every problem of that section.
    """
    path = Path(path)
    if not path.exists():
        return ()
    doc = load_yaml(path)
    if not isinstance(doc, LineDict):
        return ()
    problems = Problems(path.name)
    declared = parse_extracts(doc.get("extracts"), doc.line_of("extracts"), problems)
    if problems.errors:
        raise CatalogueError(problems.errors)
    return declared
