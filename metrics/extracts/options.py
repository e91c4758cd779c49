"""How an import may be adjusted: the Excel sheet, a forced re-import and the plausible dates.

The date window rejects rows dated where no extract of a current plan can be: the
year 0001 of an empty date field, 1899 or 1900 of a spreadsheet's zero date, or 2099
of a placeholder. One such row would otherwise add a period that the board and the
results show as if it were real. The default window runs from 1990-01-01 to one year
after today; the command line (`--earliest`, `--latest`, or MATAVLA_EARLIEST_DATE and
MATAVLA_LATEST_DATE) moves it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from metrics.errors import MatavlaError
from metrics.extracts.schema import Column, Extract

EARLIEST = dt.date(1990, 1, 1)


def one_year_after(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


@dataclass(frozen=True)
class DateWindow:
    """The first and last plausible date (both included)."""

    earliest: dt.date = EARLIEST
    latest: dt.date = field(default_factory=lambda: one_year_after(dt.date.today()))

    @classmethod
    def between(cls, earliest: dt.date | None, latest: dt.date | None) -> DateWindow:
        """The window from `earliest` to `latest`, each defaulting to the default's."""
        default = cls()
        window = cls(earliest or default.earliest, latest or default.latest)
        if window.earliest > window.latest:
            raise MatavlaError(
                f"--earliest ({window.earliest}) är senare än --latest ({window.latest})",
            )
        return window

    def text(self) -> str:
        return f"{self.earliest:%Y-%m-%d}–{self.latest:%Y-%m-%d}"


@dataclass(frozen=True)
class ImportOptions:
    sheet: str | None = None  # the Excel sheet: its name or its number from 1; None: the first
    replace: bool = False  # import even a file whose identical bytes were imported before
    window: DateWindow = field(default_factory=DateWindow)
    declared: tuple[
        Extract, ...
    ] = ()  # extracts declared in the catalogue (`extracts:`), besides the built-ins


def dated_columns(extract: Extract) -> list[Column]:
    """The columns the date window applies to: dates, months, timestamps, and a year that dates the row."""
    return [
        c
        for c in extract.columns
        if c.type in ("date", "month", "timestamp") or (c.type == "int" and c.name == extract.date_column)
    ]


def window_reason_sql(col: Column, typed: str, window: DateWindow) -> str:
    """The reason (never quoting the value) when the typed value `typed` is outside the window."""
    how = "ändra gränserna med --earliest/--latest"
    if col.type == "int":
        condition = f"{typed} NOT BETWEEN {window.earliest.year} AND {window.latest.year}"
        if col.min is not None:  # below the column's own minimum already has its reason
            condition = f"{typed} >= {col.min} AND {condition}"
        message = f"{col.name}: året ligger utanför {window.earliest.year}–{window.latest.year} ({how})"
    else:
        day = f"CAST({typed} AS DATE)"
        condition = f"{day} NOT BETWEEN DATE '{window.earliest}' AND DATE '{window.latest}'"
        message = f"{col.name}: datumet ligger utanför det rimliga intervallet {window.text()} ({how})"
    return "CASE WHEN " + condition + " THEN '" + message.replace("'", "''") + "' END"
