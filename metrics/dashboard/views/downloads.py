"""CSV and Excel files of what a page shows, with the definitions and the data date.

CSV: semicolon-separated with decimal comma and a UTF-8 byte-order mark, as Swedish
Excel opens it; the first lines, starting with '#', say what the file holds. Excel: the
data on the first sheet, and 'Om datan' (view, data date, definitions) on the second.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from metrics.dashboard.logic.format import format_date

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class DownloadInfo:
    """What the file holds: shown as header lines (CSV) and on the 'Om datan' sheet (Excel)."""

    title: str  # e.g. 'Mätavla – Länsöversikt'
    view: list[tuple[str, str]]  # ('Län', 'Östergötlands län'), ('Period', '2024') …
    computed_at: str | None
    url: str = ""
    definitions: list[dict[str, str]] = field(default_factory=list)

    def lines(self) -> list[str]:
        lines = [self.title]
        lines += [f"{label}: {value}" for label, value in self.view]
        lines.append(f"Data beräknad: {format_date(self.computed_at, with_time=True)}")
        if self.url:
            lines.append(f"Vy: {self.url}")
        lines.append("Undertryckta värden (för få) är tomma. Konfidensintervall 95 %.")
        for d in self.definitions:
            text = f"{d.get('Id', '')}: {d.get('Indikator', '')} – {d.get('Beskrivning', '')}"
            lines.append(
                f"{text} Täljare: {d.get('Täljare', '')}. Nämnare: {d.get('Nämnare', '')}. Enhet: "
                f"{d.get('Enhet', '')}."
            )
        return lines


def safe_filename(*parts: str, extension: str) -> str:
    """'matavla_lansoversikt_05_2024.csv': ASCII, no spaces."""
    table = str.maketrans("åäöÅÄÖé", "aaoAAOe")
    cleaned = [re.sub(r"[^A-Za-z0-9-]+", "-", p.translate(table)).strip("-").lower() for p in parts if p]
    return "_".join(["matavla", *[c for c in cleaned if c]]) + f".{extension}"


# A cell starting with one of these is a formula to Excel ("CSV injection": `=cmd|' /C calc'!A0`
# runs a program when the file is opened). Catalogue and data text can start so; a number cannot.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER_TEXT = re.compile(r"^[-+]?[\d\s.,]+%?$")


def _not_a_formula(value: object) -> object:
    """Text that Excel would read as a formula, behind an apostrophe (OWASP's advice)."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not NUMBER_TEXT.match(value):
        return "'" + value
    return value


def csv_bytes(frame: pd.DataFrame, info: DownloadInfo) -> bytes:
    header = "".join(f"# {line.replace(chr(10), ' ')}\n" for line in info.lines())
    body = frame.map(_not_a_formula).to_csv(index=False, sep=";", decimal=",", lineterminator="\n")
    return ("\ufeff" + header + body).encode("utf-8")


def _autofit(sheet: Any, widths: Sequence[int] | None = None, max_width: int = 60) -> None:
    for i, column in enumerate(sheet.columns, start=1):
        longest = max((len(str(c.value)) for c in column if c.value is not None), default=8)
        width = widths[i - 1] if widths and i <= len(widths) else min(max(10, longest + 2), max_width)
        sheet.column_dimensions[get_column_letter(i)].width = width


def xlsx_bytes(
    frame: pd.DataFrame, info: DownloadInfo, sheet: str = "Data", extra: dict[str, pd.DataFrame] | None = None
) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, sheet_name=sheet, index=False)
        data_sheet = writer.sheets[sheet]
        data_sheet.freeze_panes = "A2"
        for cell in data_sheet[1]:
            cell.font = Font(bold=True)
        _autofit(data_sheet)
        for name, other in (extra or {}).items():
            other.to_excel(writer, sheet_name=name, index=False)
            for cell in writer.sheets[name][1]:
                cell.font = Font(bold=True)
            _autofit(writer.sheets[name])

        about = writer.book.create_sheet("Om datan")
        about.append([info.title])
        about["A1"].font = Font(bold=True, size=14)
        for label, value in info.view:
            about.append([label, value])
        about.append(["Data beräknad", format_date(info.computed_at, with_time=True)])
        if info.url:
            about.append(["Vy", info.url])
        about.append(["Att läsa", "Undertryckta värden (för få) är tomma. Konfidensintervall 95 %."])
        if info.definitions:
            about.append([])
            about.append(["Definitioner"])
            about.cell(row=about.max_row, column=1).font = Font(bold=True)
            columns = list(info.definitions[0])
            about.append(columns)
            for cell in about[about.max_row]:
                cell.font = Font(bold=True)
            for d in info.definitions:
                about.append([d.get(c, "") for c in columns])
        for row in about.iter_rows():
            for cell in row:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        _autofit(about, widths=[24, 40, 50, 40, 40, 30, 14, 28, 14, 28, 16, 20, 40, 40, 40])
        # openpyxl stores any text starting with '=' as a live formula; nothing here is one.
        for book_sheet in writer.book.worksheets:
            for row in book_sheet.iter_rows():
                for cell in row:
                    if cell.data_type == "f":
                        cell.data_type = "s"
    return buffer.getvalue()


def download(
    kind: str,
    frame: pd.DataFrame,
    info: DownloadInfo,
    name_parts: Sequence[str],
    extra: dict[str, pd.DataFrame] | None = None,
) -> dict[str, object]:
    """The dict a dcc.Download takes, for kind 'csv' or 'xlsx'."""
    import base64

    if kind == "csv":
        content = csv_bytes(frame, info)
        return {
            "content": base64.b64encode(content).decode(),
            "filename": safe_filename(*name_parts, extension="csv"),
            "base64": True,
            "type": "text/csv",
        }
    content = xlsx_bytes(frame, info, extra=extra)
    return {
        "content": base64.b64encode(content).decode(),
        "filename": safe_filename(*name_parts, extension="xlsx"),
        "base64": True,
        "type": XLSX_MIME,
    }
