"""Which addresses lead to a view, and what a mistyped one is told instead.

`/kommun/9999`, `/indikator/finns-inte`, `?lan=99` or `?period=1999` used to fall back
silently to some other view, so a wrong link in the minutes showed the wrong numbers. Here
one pure function decides whether an address names things that exist; the page layouts
show its answer (with the valid choices as links) and the server answers such an address
with HTTP 404.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from metrics.catalogue.model import Catalogue
from metrics.dashboard.logic.choices import kommun_name, lan_name
from metrics.dashboard.logic.format import format_period, swedish_sort_key
from metrics.dashboard.logic.periods import parse_period, sort_periods
from metrics.dashboard.logic.urlstate import KEYS, build_query, first_value
from metrics.dashboard.source.data import Snapshot

# (page key, label, path): the pages an address may name; '<id>' is the part after the slash.
PAGES: tuple[tuple[str, str, str], ...] = (
    ("oversikt", "Länsöversikt", "/"),
    ("planen", "Planen", "/planen"),
    ("kommun", "Kommunprofil", "/kommun/<id>"),
    ("jamfor", "Jämför kommuner", "/jamfor"),
    ("indikator", "Indikator", "/indikator/<id>"),
    ("riket", "Riket", "/riket"),
    ("data", "Data", "/data"),
)
PICK = "none"  # `/kommun/none`, `/indikator/none`: the page picks one


@dataclass(frozen=True)
class Choice:
    label: str
    href: str


@dataclass(frozen=True)
class NotFound:
    """What the address named that does not exist, and the valid choices (links) instead."""

    title: str
    message: str
    choices: tuple[Choice, ...]
    choices_title: str = "Välj i stället"


def page_of(path: str) -> tuple[str, str | None] | None:
    """('kommun', '0580') for '/kommun/0580'; None for an address that names no page."""
    for key, _, pattern in PAGES:
        if "<id>" not in pattern:
            if path == pattern:
                return key, None
            continue
        prefix = pattern.removesuffix("<id>")
        rest = path.removeprefix(prefix)
        if path.startswith(prefix) and rest and "/" not in rest:
            return key, rest
    return None


def unknown_page() -> NotFound:
    return NotFound(
        "Sidan finns inte",
        "Adressen leder inte till någon sida i mätavlan. Kontrollera länken eller välj en av sidorna.",
        tuple(Choice(label, pattern.replace("<id>", PICK)) for _, label, pattern in PAGES),
        "Mätavlans sidor",
    )


def address_problem(
    path: str, params: Mapping[str, object], snap: Snapshot | None, cat: Catalogue | None
) -> NotFound | None:
    """What in `path` + `params` does not exist (None when the address is fine).

    Without data (`snap` None or empty) only the page itself is checked: the page then
    explains how to load data.
    """
    page = page_of(path)
    if page is None:
        return unknown_page()
    key, ident = page
    query = {k: v for k in KEYS if (v := first_value(params.get(k))) is not None}

    def href(new_path: str, **changes: str) -> str:
        return new_path + build_query(None, **{**query, **changes})

    if cat is not None:
        ids = [ind.id for ind in cat.indicators]
        named = ident if key == "indikator" and ident != PICK else None
        for wanted, in_path in ((named, True), (query.get("indikator"), False)):
            if wanted is None or wanted in ids:
                continue
            choices = tuple(
                Choice(ind.title, href(f"/indikator/{ind.id}") if in_path else href(path, indikator=ind.id))
                for ind in cat.indicators
            )
            return NotFound(
                "Indikatorn finns inte",
                f"Katalogen har ingen indikator med id ”{wanted}”. Kontrollera länken eller välj en "
                "av katalogens indikatorer.",
                choices,
                "Katalogens indikatorer",
            )
    if snap is None or snap.empty:
        return None
    if key == "kommun" and ident != PICK:
        kommuner = [k for lan in snap.lans for k in snap.kommuner(lan)]
        if ident not in kommuner:
            return NotFound(
                "Kommunen finns inte",
                f"Det finns inga resultat för kommunkoden ”{ident}”. Kommunkoden har fyra siffror, "
                "till exempel 0580 för Linköping. Välj en av kommunerna med resultat.",
                tuple(
                    Choice(f"{kommun_name(k)} ({k})", href(f"/kommun/{k}"))
                    for k in sorted(kommuner, key=lambda k: swedish_sort_key(kommun_name(k)))
                ),
                "Kommuner med resultat",
            )
    lan = query.get("lan")
    if lan is not None and lan not in snap.lans:
        return NotFound(
            "Länet finns inte",
            f"Det finns inga resultat för länskoden ”{lan}”. Länskoden har två siffror, till exempel 05 "
            "för Östergötlands län. Välj ett av länen med resultat.",
            tuple(Choice(f"{lan_name(code)} ({code})", href(path, lan=code)) for code in snap.lans),
            "Län med resultat",
        )
    period = query.get("period")
    if period is not None:
        lans = [lan] if lan is not None else list(snap.lans)
        # On the pages of one indicator, a period only another indicator has (2024-01 for a
        # yearly one) would silently show another period: check against that indicator's own.
        indicator = ident if key == "indikator" and ident != PICK else query.get("indikator")
        if key not in ("indikator", "jamfor"):
            indicator = None
        periods = sort_periods(
            {
                p
                for code in lans
                for p in (snap.periods_of(indicator, code) if indicator else snap.periods(lan=code))
            }
        )
        if period not in periods:
            years = [p for p in periods if (parsed := parse_period(p)) and parsed.type == "year"]
            return NotFound(
                "Perioden finns inte",
                f"Det finns inga resultat för perioden ”{period}”. Perioder skrivs som 2024 (år), "
                "2024-Q1 (kvartal) eller 2024-01 (månad). Välj ett år med resultat; kvartal och "
                "månader finns i sidans periodval.",
                tuple(Choice(format_period(p), href(path, period=p)) for p in reversed(years or periods)),
                "År med resultat",
            )
    return None
