"""A YAML test's input rows made whole: every column the test leaves out gets a sensible default.

A test names only the columns that matter (`{named_gp: true}`); the extract needs them all.
The defaults (documented in docs/indicators-yaml.md, "Tests"):

- `kommun`: the test's `kommun` (or the first kommun its expectations name);
- dates and times: the row's own first date or time, else the middle of the test's period (2024 → 2024-06-15,
  2024-Q1 → 2024-02-15, 2024-03 → 2024-03-15); months the first day of that month, a year
  column (population, survey, costs) the period's year, timestamps at 12:00;
- `age`: the indicator's lower age limit (so a 75+ indicator's rows count), else 50;
- `sex`: K; booleans false; an enum its first value (`contacts.mode`: mottagning);
- ids (`person_id`, `contact_id`, the extract's key): a new one per row, so each row is its
  own person or event unless the test gives the same `person_id` twice;
- other required text `x`, numbers 0 (1 where the contract demands more than 0);
- optional columns (`staff_id`, `ready_for_discharge_date` …) empty.

The rows then go through the real import (`metrics.extracts.importer`): a value the import
rejects fails the test with the row's YAML line.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from metrics.catalogue.model import Indicator
from metrics.catalogue.tests_spec import TestCase, TestRow
from metrics.extracts.schema import Column, Extract

DEFAULT_AGE = 50
DEFAULT_SEX = "K"
DATE_TYPES = ("date", "timestamp", "month")


def period_middle(period: str) -> date:
    """A day in the middle of a period: 2024 → 2024-06-15, 2024-Q1 → 2024-02-15, 2024-03 → 2024-03-15."""
    year = int(period[:4])
    if "-Q" in period:
        return date(year, 3 * int(period[-1]) - 1, 15)
    if len(period) == 7:
        return date(year, int(period[5:]), 15)
    return date(year, 6, 15)


def default_age(indicator: Indicator) -> int:
    if indicator.age_min is not None:
        return indicator.age_min
    if indicator.age_max is not None and indicator.age_max < DEFAULT_AGE:
        return indicator.age_max
    return DEFAULT_AGE


def _is_id(extract: Extract, column: Column) -> bool:
    return column.type == "text" and (column.name in extract.key or column.name.endswith("_id"))


def _row_moment(row: TestRow, extract: Extract) -> date | None:
    """The first date or time the row gives itself: its other dates default to it (a stay of one day)."""
    for column in extract.columns:
        value = row.values.get(column.name)
        if column.type in DATE_TYPES and isinstance(value, (date, datetime)):
            return value
        if column.type in DATE_TYPES and isinstance(value, str):
            try:
                return datetime.fromisoformat(value) if len(value) > 10 else date.fromisoformat(value)
            except ValueError:
                continue
    return None


def default_value(
    column: Column, extract: Extract, number: int, moment: date, kommun: str | None, indicator: Indicator
) -> Any:
    """The value of a column the row leaves out (`number`: the row's 1-based place, for ids).

    `moment`: the row's own first date or time, else the middle of the test's period.
    """
    day = moment.date() if isinstance(moment, datetime) else moment
    if column.type == "kommun":
        return kommun
    if not column.required:
        return None
    if _is_id(extract, column):
        return f"{column.name.removesuffix('_id')}-{number}"
    defaults: dict[str, Any] = {
        "sex": DEFAULT_SEX,
        "age": default_age(indicator),
        "date": day,
        "month": day.replace(day=1),
        "timestamp": moment if isinstance(moment, datetime) else datetime(day.year, day.month, day.day, 12),
        "bool": False,
        "enum": column.values[0] if column.values else "x",
        "text": "x",
    }
    if column.type == "int" and column.name == extract.date_column:
        return day.year
    if column.type in defaults:
        return defaults[column.type]
    low = column.min if column.min is not None and column.min > 0 else 0
    return low + 1 if column.min_exclusive else low  # int or decimal


def complete_rows(test: TestCase, extract: Extract, indicator: Indicator) -> list[dict[str, Any]]:
    """The test's rows of `extract` with every column of it, in the extract's order."""
    source = extract.name
    test_day = period_middle(test.period)
    rows = []
    for number, row in enumerate(test.rows.get(source, ()), start=1):
        moment = _row_moment(row, extract) or test_day
        rows.append(
            {
                c.name: row.values[c.name]
                if c.name in row.values
                else default_value(c, extract, number, moment, test.kommun, indicator)
                for c in extract.columns
            }
        )
    return rows


def csv_text(value: Any) -> str:
    """A YAML value as the text of a CSV cell (what an export from a source system holds)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
