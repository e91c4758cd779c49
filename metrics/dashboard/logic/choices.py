"""What the controls offer: län, kommuner, indicators and periods that have results."""

from __future__ import annotations

from metrics.catalogue.model import Catalogue, Indicator
from metrics.dashboard.logic.format import swedish_sort_key
from metrics.dashboard.logic.periods import period_options
from metrics.dashboard.source.data import Snapshot
from metrics.geography import load_geography


def lan_name(code: str | None) -> str:
    geography = load_geography()
    return geography.lan[code].name if code in geography.lan else (code or "")


def kommun_name(code: str | None) -> str:
    return load_geography().area_name(code) if code else ""


def kommuner_by_name(snap: Snapshot, lan: str) -> list[tuple[str, str]]:
    """(code, name) of the län's kommuner with results, in Swedish alphabetical order."""
    return sorted(
        ((code, kommun_name(code)) for code in snap.kommuner(lan)), key=lambda c: swedish_sort_key(c[1])
    )


def lan_options(snap: Snapshot) -> list[dict[str, str]]:
    return [{"label": lan_name(code), "value": code} for code in snap.lans]


def kommun_options(snap: Snapshot, lan: str | None = None) -> list[dict[str, str]]:
    """Kommuner with results, by name; with the län in the label when several län are loaded."""
    lans = [lan] if lan else list(snap.lans)
    several = len(lans) > 1
    options = []
    for code in lans:
        for kommun in snap.kommuner(code):
            label = kommun_name(kommun) + (f" ({lan_name(code)})" if several else "")
            options.append({"label": label, "value": kommun})
    return sorted(options, key=lambda o: swedish_sort_key(o["label"]))


def indicator_options(catalogue: Catalogue) -> list[dict[str, str]]:
    """Indicators in catalogue order, the plan area in the label."""
    options = []
    for ind in catalogue.indicators:
        area = catalogue.plan_area(ind.plan_areas[0]) if ind.plan_areas else None
        options.append({"label": f"{ind.title} – {area.title}" if area else ind.title, "value": ind.id})
    return options


def lan_period_options(
    snap: Snapshot, lan: str, indicator: str | None = None, types: tuple[str, ...] = ("year", "quarter")
) -> list[dict[str, str]]:
    labels = snap.periods(indicator, lan)
    return period_options(labels, types)


def indicator_period_options(snap: Snapshot, lan: str, indicator: Indicator | None) -> list[dict[str, str]]:
    """Years and quarters, and months ('januari 2024') when the indicator is computed per month."""
    types = (
        ("year", "quarter", "month") if indicator and "month" in indicator.periods else ("year", "quarter")
    )
    return lan_period_options(snap, lan, indicator.id if indicator else None, types)


def largest_kommun(snap: Snapshot, lan: str | None) -> str | None:
    """The kommun with the largest denominator in the latest year (a sensible first kommun)."""
    if not lan:
        return None
    for indicator in sorted(snap.indicator_ids):
        rows = snap.rows(indicator, lan)
        rows = rows[(rows["area_level"] == "kommun") & (rows["period_type"] == "year")].dropna(
            subset=["denominator"]
        )
        if not rows.empty:
            return str(rows.loc[rows["denominator"].idxmax(), "area_code"])
    kommuner = snap.kommuner(lan)
    return kommuner[0] if kommuner else None


def lan_of_kommun(code: str | None) -> str | None:
    geography = load_geography()
    return geography.kommuner[code].lan if code in geography.kommuner else None
