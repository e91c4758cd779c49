"""Kolada data saved as a file, for installations without internet (`matavla kolada --file`).

Two kinds of file are read:

- JSON as the API returns it (`{"values": [...]}`, or a list of such pages): what a browser
  or `curl` saves from `https://api.kolada.se/v3/data/kpi/N00945/year/2020,2021,…` on a
  computer with internet. This is the documented format, read exactly.
- A table (CSV, with `;` or `,`, or Excel) with one value per row and the columns kpi, area id,
  year, gender and value. Headers are matched by name, Swedish or English (`Nyckeltal`/`kpi`,
  `Kommun-id`/`municipality`, `År`/`period`, `Kön`/`gender`, `Värde`/`value`), so a table saved
  from Kolada or rebuilt in Excel is read when it has these columns; an unknown layout is
  refused with the columns found and the ones wanted.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from metrics.kolada.client import KoladaError
from metrics.kolada.values import is_missing_text, number

ALIASES: dict[str, tuple[str, ...]] = {
    "kpi": ("kpi", "kpi_id", "nyckeltal", "nyckeltals-id", "nyckeltalsid", "nyckeltal-id", "id nyckeltal"),
    "municipality": (
        "municipality",
        "municipality_id",
        "kommun-id",
        "kommunid",
        "kommunkod",
        "område-id",
        "områdesid",
        "områdeskod",
        "id",
    ),
    "period": ("period", "year", "år", "ar"),
    "gender": ("gender", "kön", "kon"),
    "value": ("value", "värde", "varde"),
    "title": ("kpi_title", "title", "nyckeltalsnamn", "titel"),
}
GENDER_WORDS = {"t": "T", "totalt": "T", "total": "T", "k": "K", "kvinnor": "K", "m": "M", "män": "M"}


def read_export(path: Path) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Records shaped as the API's `values` (one per area × year), and KPI titles found in the file."""
    if not path.is_file():
        raise KoladaError(f"{path} finns inte (tips: ange sökvägen till filen du sparat från Kolada)")
    suffix = path.suffix.lower()
    if suffix == ".json":
        return _read_json(path), {}
    if suffix in (".csv", ".txt"):
        return _from_rows(path, _csv_rows(path))
    if suffix in (".xlsx", ".xlsm"):
        return _from_rows(path, _excel_rows(path))
    raise KoladaError(
        f"{path.name}: okänd filtyp '{suffix}' (tips: läs in JSON från Kolada:s API, CSV eller Excel)"
    )


def _read_json(path: Path) -> list[dict[str, Any]]:
    try:
        payload = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        where = f"{path.name}:{line}" if line else path.name
        raise KoladaError(
            f"{where}: filen är inte giltig JSON (tips: spara svaret från Kolada:s API oförändrat)"
        ) from None
    pages = payload if isinstance(payload, list) else [payload]
    records: list[dict[str, Any]] = []
    for page in pages:
        if not isinstance(page, dict) or not isinstance(page.get("values"), list):
            raise KoladaError(
                f"{path.name}: JSON utan 'values' (tips: filen ska vara svaret från "
                "api.kolada.se/v3/data/kpi/…, som det kom)"
            )
        records += [r for r in page["values"] if isinstance(r, dict)]
    return records


def _csv_rows(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("cp1252")  # Excel's "CSV" on Swedish Windows
        except UnicodeDecodeError:
            raise KoladaError(
                f"{path.name}: filen har tecken som varken är UTF-8 eller Windows-1252 "
                "(tips: spara om den som CSV UTF-8 i Excel)"
            ) from None
    # The delimiter is the one most lines use: a title row above the header ("Andel, %") has
    # commas but no semicolons, and must not decide it.
    lines = text.splitlines()[:10]
    semicolons = sum(line.count(";") > 0 for line in lines)
    commas = sum(line.count(",") > 0 for line in lines)
    delimiter = ";" if semicolons >= commas else ","
    try:
        return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    except csv.Error as exc:
        raise KoladaError(f"{path.name}: filen går inte att läsa som CSV ({exc})") from None


def _excel_rows(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile.BadZipFile, InvalidFileException, KeyError of a broken package
        raise KoladaError(
            f"{path.name}: filen går inte att läsa som Excel ({type(exc).__name__}) "
            "(tips: öppna den i Excel och spara som .xlsx, eller spara som CSV)"
        ) from None
    sheet = book.worksheets[0]
    rows = [[_excel_text(c) for c in row] for row in sheet.iter_rows()]
    book.close()
    return rows


def _excel_text(cell: Any) -> str:
    """The cell as Excel shows its number: 0.632 formatted as a percentage is 63,2 (%)."""
    value = getattr(cell, "value", None)
    if value is None:
        return ""
    percent = "%" in str(getattr(cell, "number_format", "") or "")
    if percent and isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(round(value * 100, 10))
    return str(value)


def _from_rows(path: Path, rows: list[list[str]]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    # The header is the first row that names the wanted columns (a title row may stand above it).
    header_at, found = next(
        (
            (i, cols)
            for i, cols in enumerate(_columns(h) for h in rows[:10])
            if all(k in cols for k in ("kpi", "municipality", "period", "value"))
        ),
        (-1, {}),
    )
    if header_at < 0:
        seen = ", ".join(c for c in (rows[0] if rows else []) if c) or "inga"
        raise KoladaError(
            f"{path.name}: hittar inte kolumnerna för nyckeltal, område, år och värde (kolumner i filen: "
            f"{seen}) (tips: filen behöver kolumnerna Nyckeltal, Kommun-id, År, Kön och Värde, "
            "eller kpi, municipality, period, gender och value; se docs/kolada.md)"
        )
    records: list[dict[str, Any]] = []
    titles: dict[str, str] = {}
    read: dict[tuple[str, str, str, str], tuple[int, float | None]] = {}  # cell → (row, value)
    for number_at, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        if not any(cell.strip() for cell in row):
            continue

        def cell(name: str, row: list[str] = row) -> str:
            index = found.get(name)
            return row[index].strip() if index is not None and index < len(row) else ""

        gender_text = cell("gender") or "T"
        gender = GENDER_WORDS.get(gender_text.lower())
        if gender is None:
            raise KoladaError(
                f"{path.name}:{number_at}: okänt kön '{gender_text}' (tips: T/Totalt, K/Kvinnor eller M/Män)"
            )
        kpi = cell("kpi").upper()
        area = cell("municipality")
        if area.isdigit() and len(area) < 4:
            area = area.zfill(4)  # Excel drops the leading zeros of '0580'
        if not kpi or not area or not cell("period"):
            raise KoladaError(f"{path.name}:{number_at}: raden saknar nyckeltal, område eller år")
        if title := cell("title"):
            titles.setdefault(kpi, title)
        value = cell("value")
        if value and not is_missing_text(value) and number(value) is None:
            raise KoladaError(
                f"{path.name}:{number_at}: värdet '{value}' är inget tal (tips: skriv talet utan enhet "
                "och tusentalspunkt, t.ex. 63,2; lämna cellen tom när värde saknas)"
            )
        key = (kpi, area, cell("period"), gender)
        if key in read:
            first, before = read[key]
            if before != number(value):
                raise KoladaError(
                    f"{path.name}:{number_at}: {kpi} {area} {cell('period')} {gender} står redan på rad "
                    f"{first} med ett annat värde (tips: ta bort den rad som inte gäller)"
                )
            continue  # the same cell with the same value: read once
        read[key] = (number_at, number(value))
        records.append(
            {
                "kpi": kpi,
                "municipality": area,
                "period": cell("period"),
                "values": [{"gender": gender, "value": value or None}],
            }
        )
    return records, titles


def _columns(header: list[str]) -> dict[str, int]:
    names = [h.strip().lower() for h in header]
    found: dict[str, int] = {}
    for key, aliases in ALIASES.items():
        for alias in aliases:
            if alias in names:
                found[key] = names.index(alias)
                break
    return found
