"""Domain errors. The core raises these; the CLI and the dashboard present them."""

from __future__ import annotations

from dataclasses import dataclass


class MatavlaError(Exception):
    """Base class for every error a user can fix by changing input or configuration."""


@dataclass(frozen=True)
class Problem:
    """One problem found while validating input, with where it is and how to fix it."""

    message: str
    file: str | None = None
    line: int | None = None
    hint: str | None = None
    level: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = f"{self.file}:{self.line}: " if self.line is not None else f"{self.file}: "
        text = f"{where}{self.message}"
        if self.hint:
            text += f" (tips: {self.hint})"
        return text


class CatalogueError(MatavlaError):
    """The indicator catalogue could not be loaded; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class ExtractError(MatavlaError):
    """A whole extract file was refused; the database is left unchanged."""

    def __init__(self, file: str, message: str, hint: str | None = None, row: int | None = None) -> None:
        self.file = file
        self.row = row
        self.hint = hint
        where = f"{file}, rad {row}" if row is not None else file
        text = f"{where}: {message}"
        if hint:
            text += f" (tips: {hint})"
        super().__init__(text)


class ComputeError(MatavlaError):
    """An indicator could not be computed."""

    def __init__(self, indicator: str, message: str) -> None:
        self.indicator = indicator
        super().__init__(f"indikator '{indicator}': {message}")


class DisclosureError(ComputeError):
    """The disclosure audit failed: publishing the indicator's cells would reveal hidden ones."""
