"""`matavla kolada`: fetch (or read from a file) each indicator's Kolada KPI and store it."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from metrics.catalogue.model import Indicator
from metrics.kolada.client import KoladaClient, KoladaError
from metrics.kolada.exports import read_export
from metrics.kolada.groups import fetch_groups, store_groups
from metrics.kolada.store import Provenance, last_fetch, store
from metrics.kolada.values import ReferenceValue, parse_records

FIRST_YEAR = 2010  # the years asked: from this year to this year

# Kolada's KPI titles end with their unit ("…, andel (%)", "…, antal/1000 inv", "…, kr/inv");
# the catalogue's units are "%", "per 1 000 inv.", "per 100 000 inv.", "SEK". Both are read
# into one kind; a pair of known, different kinds is a KPI in another unit than the indicator.
_TITLE_UNITS = (
    ("per 100 000", re.compile(r"/\s*100[\s\u00a0]?000\b")),
    ("per 1 000", re.compile(r"/\s*1[\s\u00a0]?000\b")),
    ("%", re.compile(r"\(%\)|\bandel\b|\bprocent\b", re.IGNORECASE)),
    ("kr", re.compile(r"\b(kr|tkr|sek)\b", re.IGNORECASE)),
)
_INDICATOR_UNITS = (
    ("per 100 000", re.compile(r"100[\s\u00a0]?000")),
    ("per 1 000", re.compile(r"\b1[\s\u00a0]?000\b")),
    ("%", re.compile(r"^\s*%\s*$|procent", re.IGNORECASE)),
    ("kr", re.compile(r"\b(kr|tkr|sek)\b", re.IGNORECASE)),
)


def _kind(text: str, table: tuple[tuple[str, re.Pattern[str]], ...]) -> str | None:
    return next((kind for kind, pattern in table if pattern.search(text)), None)


def unit_conflict(indicator_unit: str, kolada_title: str | None) -> str | None:
    """The Kolada title's unit when it is known and not the indicator's; None when they agree or
    either is unknown (then nothing is judged)."""
    if not kolada_title:
        return None
    theirs = _kind(kolada_title, _TITLE_UNITS)
    ours = _kind(indicator_unit or "", _INDICATOR_UNITS)
    return theirs if theirs and ours and theirs != ours else None


def check_gender(indicators: Sequence[Indicator], kpi: str, meta: dict[str, object]) -> None:
    """Refuse K or M for a KPI Kolada does not divide by gender: the page would show nothing."""
    if meta.get("is_divided_by_gender") is not False:
        return
    for indicator in indicators:
        ref = indicator.kolada
        if ref is not None and ref.kpi == kpi and ref.gender != "T":
            raise KoladaError(
                f"{indicator.file}:{ref.line}: Kolada delar inte nyckeltalet {kpi} efter kön, men "
                f"indikatorn {indicator.id} visar gender: {ref.gender} (tips: ta bort gender, eller "
                "skriv gender: T)"
            )


def check_units(indicators: Sequence[Indicator], kpi: str, title: str | None) -> None:
    """Refuse a KPI whose title names another unit than an indicator that names it (one axis)."""
    for indicator in indicators:
        if indicator.kolada is None or indicator.kolada.kpi != kpi:
            continue
        if theirs := unit_conflict(indicator.unit, title):
            raise KoladaError(
                f"{indicator.file}:{indicator.kolada.line}: Kolada-nyckeltalet {kpi} ”{title}” är i "
                f"{theirs}, indikatorn {indicator.id} i {indicator.unit}; tavlan ritar dem på samma axel "
                "(tips: välj ett nyckeltal i samma enhet under kolada:, eller ta bort kolada:)"
            )


@dataclass(frozen=True)
class KpiReport:
    kpi: str
    indicators: tuple[str, ...]
    title: str | None
    written: int
    deleted: int
    areas: dict[str, int]  # area_level → number of areas with a value
    from_date: date | None
    source: str

    def line(self) -> str:
        areas = ", ".join(
            f"{n} {word if n == 1 else words}"
            for level, word, words in (
                ("riket", "riket", "riket"),
                ("lan", "län", "län"),
                ("kommun", "kommun", "kommuner"),
                ("grupp", "kommungrupp", "kommungrupper"),
            )
            if (n := self.areas.get(level, 0))
        )
        since = f" ändrade sedan {self.from_date.isoformat()}" if self.from_date else ""
        noun = "värde" if self.written == 1 else "värden"
        return (
            f"{self.kpi} ({', '.join(self.indicators)}): {self.written} {noun}{since} sparade"
            + (f" ({areas})" if areas else "")
            + (f", {self.deleted} borttagna" if self.deleted else "")
            + f"; källa: {self.source}"
        )


def kpis_of(indicators: Sequence[Indicator]) -> dict[str, tuple[str, ...]]:
    """KPI id → the indicators that name it (two indicators may share one KPI)."""
    out: dict[str, list[str]] = {}
    for indicator in indicators:
        if indicator.kolada is not None:
            out.setdefault(indicator.kolada.kpi, []).append(indicator.id)
    return {kpi: tuple(ids) for kpi, ids in out.items()}


def groups_of(indicators: Sequence[Indicator], kpi: str | None = None) -> frozenset[str]:
    """The Kolada kommun groups the indicators (naming `kpi`, or any) choose under `kolada: groups:`."""
    return frozenset(
        g
        for indicator in indicators
        if indicator.kolada is not None and (kpi is None or indicator.kolada.kpi == kpi)
        for g in indicator.kolada.groups
    )


def fetch_api(
    con: duckdb.DuckDBPyConnection,
    indicators: Sequence[Indicator],
    client: KoladaClient,
    *,
    since: date | None = None,
    full: bool = False,
    today: date | None = None,
    now: Callable[[], datetime] = datetime.now,
    progress: Callable[[str], None] = lambda _: None,
    stored: Callable[[KpiReport], None] = lambda _: None,
    groups_stored: Callable[[str], None] = lambda _: None,
) -> list[KpiReport]:
    """Fetch each KPI's metadata and values (every area, FIRST_YEAR to this year) and store them.

    Without `since`, a KPI fetched before is updated from the day before its last fetch
    (`from_date`); `full` fetches everything again. Everything is fetched before anything is
    stored, so an interrupted fetch stores nothing of that KPI; `stored` hears of each KPI stored.
    The chosen kommun groups' titles and members are fetched first, every time (Kolada revises
    its "liknande kommuner"), so an unknown group id stops the fetch before any value is stored;
    `groups_stored` hears a line a group.
    """
    today = today or date.today()
    if chosen := sorted(groups_of(indicators)):
        progress(f"hämtar kommungrupp{'erna' if len(chosen) > 1 else 'en'} {', '.join(chosen)} från Kolada")
        groups = fetch_groups(client, indicators)
        store_groups(con, groups, now())
        for group in groups:
            groups_stored(group.line())
    reports = []
    for kpi, ids in kpis_of(indicators).items():
        previous = last_fetch(con, kpi)
        from_date = (
            since if since is not None else (None if full or previous is None else previous - timedelta(1))
        )
        progress(
            f"hämtar {kpi} från Kolada" + (f" (ändrat sedan {from_date.isoformat()})" if from_date else "")
        )
        meta = client.kpi(kpi)
        if meta is None:
            raise KoladaError(
                f"Kolada har inget nyckeltal {kpi} (indikator {', '.join(ids)}) "
                "(tips: kontrollera id:t under kolada: i indicators.yaml mot kolada.se)"
            )
        check_units(indicators, kpi, _text(meta.get("title")))
        check_gender(indicators, kpi, meta)
        fetched_at = now()
        pending: list[tuple[ReferenceValue, str]] = []
        years = range(FIRST_YEAR, today.year + 1)
        for page in client.values(kpi, years, since=from_date):
            parsed = parse_records(page.values, {kpi}, groups_of(indicators, kpi))
            pending += [(v, page.url) for v in parsed.values]
        provenance = {
            kpi: Provenance(_text(meta.get("title")), _text(meta.get("publication_date")), fetched_at)
        }
        written, deleted = store(
            con,
            pending,
            provenance,
            source_label="api",
            from_date=from_date,
            # a full answer is all Kolada has; an empty one is more likely a hiccup: it removes nothing
            replace_years=years if from_date is None and pending else (),
        )
        reports.append(
            _report(
                kpi, ids, provenance[kpi].kpi_title, written, deleted, pending, from_date, "api.kolada.se"
            )
        )
        stored(reports[-1])  # said at once: a later KPI's failure must not hide what was stored
    return reports


def read_file(
    con: duckdb.DuckDBPyConnection,
    indicators: Sequence[Indicator],
    path: Path,
    *,
    now: Callable[[], datetime] = datetime.now,
) -> tuple[list[KpiReport], list[str]]:
    """Store the values of the catalogue's KPIs found in a Kolada file; notes on what was left out."""
    records, titles = read_export(path)
    wanted = kpis_of(indicators)
    parsed = parse_records(records, set(wanted), groups_of(indicators))
    in_file = {str(r.get("kpi") or "").upper() for r in records}
    notes = []
    if others := sorted(in_file - set(wanted) - {""}):
        notes.append(
            f"{path.name}: nyckeltal som ingen vald indikator nämner lästes inte: {', '.join(others)}"
        )
    if parsed.skipped_areas:
        notes.append(
            f"{path.name}: {parsed.skipped_areas} rader för kommungrupper som ingen indikator väljer "
            "(kolada: groups:) eller okända områden lästes inte"
        )
    for kpi in wanted:
        check_units(indicators, kpi, titles.get(kpi))
    fetched_at = now()
    reports = []
    for kpi, ids in wanted.items():
        values = [(v, path.name) for v in parsed.values if v.kpi == kpi]
        if not values:
            continue
        provenance = {kpi: Provenance(titles.get(kpi), None, fetched_at)}
        written, deleted = store(con, values, provenance, source_label=path.name, from_date=None)
        reports.append(_report(kpi, ids, titles.get(kpi), written, deleted, values, None, path.name))
    if not reports:
        raise KoladaError(
            f"{path.name} har inga värden för katalogens nyckeltal ({', '.join(wanted) or 'inga'}) "
            "(tips: spara nyckeltalet som en indikator nämner under kolada:)"
        )
    return reports, notes


def _report(
    kpi: str,
    ids: tuple[str, ...],
    title: str | None,
    written: int,
    deleted: int,
    values: Sequence[tuple[ReferenceValue, str]],
    from_date: date | None,
    source: str,
) -> KpiReport:
    areas: dict[str, set[str]] = {}
    for value, _ in values:
        if not value.deleted and value.value is not None:
            areas.setdefault(value.area_level, set()).add(value.area_code)
    return KpiReport(
        kpi, ids, title, written, deleted, {k: len(v) for k, v in areas.items()}, from_date, source
    )


def _text(value: object) -> str | None:
    return str(value) if value not in (None, "") else None
