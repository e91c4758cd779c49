"""The extracts of data contract version 1: their columns, types and keys.

This module is the one place that knows the contract's tables. The importer
normalises files to these types, the database creates these tables, and the
catalogue validates indicator columns against them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

ColumnType = Literal[
    "kommun",  # SCB kommun code, text with four digits
    "sex",  # "K" or "M"
    "age",  # integer 0-120
    "int",
    "text",
    "date",
    "month",  # a date normalised to the first day of its month
    "timestamp",
    "bool",
    "decimal",
    "enum",
]

Scope = Literal["lan", "kommun"]  # what a file covers by default: its län, or its kommuner (coverage.py)

# The DuckDB type each column type is stored as.
SQL_TYPES: dict[str, str] = {
    "kommun": "VARCHAR",
    "sex": "VARCHAR",
    "age": "INTEGER",
    "int": "INTEGER",
    "text": "VARCHAR",
    "date": "DATE",
    "month": "DATE",
    "timestamp": "TIMESTAMP",
    "bool": "BOOLEAN",
    "decimal": "DOUBLE",
    "enum": "VARCHAR",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    required: bool = True  # False: the value may be empty (and the column may be missing)
    values: tuple[str, ...] = ()  # allowed values of an enum
    min: float | None = None  # smallest allowed value of a number
    min_exclusive: bool = False  # True: the value must be greater than `min`
    description: str = ""


@dataclass(frozen=True)
class Check:
    """A rule across columns; rows that break it are rejected with `reason`."""

    sql: str  # a boolean SQL expression over the typed columns that must hold
    reason: str  # Swedish, shown to the analyst


@dataclass(frozen=True)
class Extract:
    name: str
    title: str  # Swedish
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    person_level: bool
    date_column: str | None  # the column that dates a row, for coverage reports
    checks: tuple[Check, ...] = field(default_factory=tuple)
    scope: Scope | None = None  # declared extracts: who delivers it (built-ins: coverage.SCOPES)
    description: str = ""  # declared extracts: the analyst's description

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


KOMMUN = Column("kommun", "kommun", description="SCB-kod för personens hemkommun")
SEX = Column("sex", "sex", description="K eller M")
AGE = Column("age", "age", description="ålder vid händelsen")
PERSON = Column("person_id", "text", description="pseudonym, aldrig personnummer")

PROVIDERS = ("region", "private", "kommun")
PROFESSIONS = (
    "lakare",
    "sjukskoterska",
    "underskoterska",
    "fysioterapeut",
    "arbetsterapeut",
    "psykolog",
    "kurator",
    "dietist",
    "annan",
)
MODES = ("mottagning", "hembesok", "telefon", "video", "chatt")
PRINCIPALS = ("region", "kommun")

EXTRACTS: dict[str, Extract] = {
    e.name: e
    for e in (
        Extract(
            name="population",
            title="Befolkning",
            columns=(
                KOMMUN,
                Column("year", "int", min=1900),
                SEX,
                AGE,
                Column("count", "int", min=0),
            ),
            key=("kommun", "year", "sex", "age"),
            person_level=False,
            date_column="year",
        ),
        Extract(
            name="listing",
            title="Listning i primärvården",
            columns=(
                Column("snapshot_date", "date"),
                PERSON,
                KOMMUN,
                SEX,
                AGE,
                Column("care_unit", "text"),
                Column("named_gp", "bool"),
            ),
            key=("snapshot_date", "person_id"),
            person_level=True,
            date_column="snapshot_date",
        ),
        Extract(
            name="contacts",
            title="Kontakter i primärvården",
            columns=(
                Column("contact_id", "text"),
                PERSON,
                KOMMUN,
                SEX,
                AGE,
                Column("contact_date", "date"),
                Column("care_unit", "text"),
                Column("provider", "enum", values=PROVIDERS),
                Column("profession", "enum", values=PROFESSIONS),
                Column("staff_id", "text", required=False),
                Column("mode", "enum", values=MODES),
                Column("planned", "bool"),
            ),
            key=("contact_id",),
            person_level=True,
            date_column="contact_date",
        ),
        Extract(
            name="inpatient",
            title="Slutenvårdstillfällen",
            columns=(
                Column("stay_id", "text"),
                PERSON,
                KOMMUN,
                SEX,
                AGE,
                Column("admission_date", "date"),
                Column("discharge_date", "date"),
                Column("acute", "bool"),
                Column("main_diagnosis", "text", description="ICD-10-SE, med eller utan punkt"),
                Column("ready_for_discharge_date", "date", required=False),
            ),
            key=("stay_id",),
            person_level=True,
            date_column="discharge_date",
            checks=(
                Check(
                    "discharge_date >= admission_date",
                    "utskrivningsdatum (discharge_date) är före inskrivningsdatum (admission_date)",
                ),
                Check(
                    "ready_for_discharge_date <= discharge_date",
                    "utskrivningsklar (ready_for_discharge_date) är efter utskrivningsdatum (discharge_date)",
                ),
            ),
        ),
        Extract(
            name="emergency",
            title="Besök på akutmottagning",
            columns=(
                Column("visit_id", "text"),
                PERSON,
                KOMMUN,
                SEX,
                AGE,
                Column("arrival", "timestamp"),
                Column("departure", "timestamp"),
                Column("admitted", "bool"),
            ),
            key=("visit_id",),
            person_level=True,
            date_column="arrival",
            checks=(Check("departure >= arrival", "avresa (departure) är före ankomst (arrival)"),),
        ),
        Extract(
            name="home_care",
            title="Hemtjänst",
            columns=(
                Column("month", "month"),
                PERSON,
                KOMMUN,
                SEX,
                AGE,
                Column("hours", "decimal", min=0),
                Column("named_care_contact", "bool"),
                Column("staff_14d", "int", required=False, min=0),
            ),
            key=("month", "person_id"),
            person_level=True,
            date_column="month",
        ),
        Extract(
            name="sip",
            title="Samordnade individuella planer (SIP)",
            columns=(
                Column("sip_id", "text"),
                PERSON,
                KOMMUN,
                SEX,
                AGE,
                Column("start_date", "date"),
                Column("initiated_by", "enum", values=("region", "kommun", "person", "annan")),
                Column("person_participated", "bool"),
            ),
            key=("sip_id",),
            person_level=True,
            date_column="start_date",
        ),
        Extract(
            name="survey",
            title="Nationell patientenkät",
            columns=(
                KOMMUN,
                Column("year", "int", min=1900),
                Column("dimension", "text"),
                Column("positive", "int", min=0),
                Column("responses", "int", min=0),
            ),
            key=("kommun", "year", "dimension"),
            person_level=False,
            date_column="year",
            checks=(Check("responses >= positive", "fler positiva svar (positive) än svar (responses)"),),
        ),
        Extract(
            name="costs",
            title="Kostnader",
            columns=(
                KOMMUN,
                Column("year", "int", min=1900),
                Column("principal", "enum", values=PRINCIPALS),
                Column("area", "text"),
                Column("amount_sek", "decimal", min=0),
            ),
            key=("kommun", "year", "principal", "area"),
            person_level=False,
            date_column="year",
        ),
        Extract(
            name="staff_absence",
            title="Sjukfrånvaro bland personal",
            columns=(
                KOMMUN,
                Column("month", "month"),
                Column("principal", "enum", values=PRINCIPALS),
                Column("scheduled_hours", "decimal", min=0, min_exclusive=True),
                Column("absence_hours", "decimal", min=0),
            ),
            key=("kommun", "month", "principal"),
            person_level=False,
            date_column="month",
        ),
    )
}


def extract_for_filename(stem: str, extracts: Mapping[str, Extract] = EXTRACTS) -> Extract | None:
    """The extract a file name names: its stem starts with the extract's name.

    The longest matching name wins, so a future `contacts_extra` extract is not
    mistaken for `contacts`. The character after the name must not be a letter.
    """
    lowered = stem.lower()
    best: Extract | None = None
    for name, extract in extracts.items():
        if lowered.startswith(name):
            rest = lowered[len(name) :]
            if rest and rest[0].isalpha():
                continue
            if best is None or len(name) > len(best.name):
                best = extract
    return best
