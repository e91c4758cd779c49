"""The view's state in the URL query string, so a link in the minutes opens exactly that view.

`?lan=05&period=2024&indikator=fast_lakarkontakt&markera=0580,0581`
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

KOMMUN_CODE = re.compile(r"^\d{4}$")
LAN_CODE = re.compile(r"^\d{2}$")
KEYS = ("lan", "period", "indikator", "markera", "nedbrytning")


def first_value(value: object) -> str | None:
    """Dash passes a repeated parameter as a list; keep the first non-empty one."""
    if isinstance(value, (list, tuple)):
        value = next((v for v in value if v), None)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def parse_codes(value: object) -> tuple[str, ...]:
    """'0580,0581' (or a list) → ('0580', '0581'); invalid codes and duplicates dropped."""
    if value is None:
        return ()
    parts: Iterable[str]
    if isinstance(value, (list, tuple)):
        parts = (p for v in value for p in str(v).split(","))
    else:
        parts = str(value).split(",")
    seen: list[str] = []
    for part in parts:
        code = part.strip()
        if KOMMUN_CODE.match(code) and code not in seen:
            seen.append(code)
    return tuple(seen)


@dataclass(frozen=True)
class ViewState:
    lan: str | None = None
    period: str | None = None
    indikator: str | None = None
    markera: tuple[str, ...] = field(default_factory=tuple)
    nedbrytning: str | None = None

    def replace(self, **changes: object) -> ViewState:
        values = {key: getattr(self, key) for key in KEYS}
        values.update(changes)
        return ViewState(**values)


def parse_state(params: Mapping[str, object]) -> ViewState:
    """From query parameters (as Dash passes them to a page layout, or parsed from a string)."""
    lan = first_value(params.get("lan"))
    return ViewState(
        lan=lan if lan and LAN_CODE.match(lan) else None,
        period=first_value(params.get("period")),
        indikator=first_value(params.get("indikator")),
        markera=parse_codes(params.get("markera")),
        nedbrytning=first_value(params.get("nedbrytning")),
    )


def parse_query(search: str | None) -> ViewState:
    """From a query string, with or without the leading '?'."""
    if not search:
        return ViewState()
    pairs = parse_qsl(search.lstrip("?"), keep_blank_values=False)
    params: dict[str, object] = {}
    for key, value in pairs:
        params.setdefault(key, value)
    return parse_state(params)


def build_query(state: ViewState | None = None, **params: object) -> str:
    """'?lan=05&period=2024&markera=0580,0581' in a stable order; empty values left out."""
    values: dict[str, object] = {}
    if state is not None:
        values.update({key: getattr(state, key) for key in KEYS})
    values.update(params)
    pairs: list[tuple[str, str]] = []
    for key in (*KEYS, *sorted(k for k in values if k not in KEYS)):
        value = values.get(key)
        if isinstance(value, (list, tuple)):
            value = ",".join(str(v) for v in value if v)
        if value is None or value == "":
            continue
        pairs.append((key, str(value)))
    if not pairs:
        return ""
    return "?" + urlencode(pairs, safe=",")


def resolve_lan(requested: str | None, available: Iterable[str], default: str | None = None) -> str | None:
    """The requested län when it has data, else the configured default, else the first."""
    lans = list(available)
    if requested in lans:
        return requested
    if default in lans:
        return default
    return lans[0] if lans else None


def resolve_period(
    requested: str | None, available: Iterable[str], partial: Collection[str] = frozenset()
) -> str | None:
    """The requested period when it has data, else the latest complete year (else the latest year,
    else the latest period): a board should not open on a year the deliveries cover only in part."""
    from metrics.dashboard.logic.periods import latest_year, sort_periods

    periods = list(available)
    if requested in periods:
        return requested
    complete = [p for p in periods if p not in partial]
    return latest_year(complete) or latest_year(periods) or (sort_periods(periods)[-1] if periods else None)


NAV_PAGES: tuple[tuple[str, str, str], ...] = (
    ("oversikt", "Länsöversikt", "/"),
    ("planen", "Planen", "/planen"),
    ("kommun", "Kommun", "/kommun/none"),  # 'none': the page picks a kommun
    ("jamfor", "Jämför", "/jamfor"),
    ("indikator", "Indikator", "/indikator/none"),
    ("riket", "Riket", "/riket"),
    ("data", "Data", "/data"),
)


def page_state(
    page: str, path: str, *, replace: bool = False, in_path: tuple[str, ...] = (), **params: object
) -> dict[str, object]:
    """What a page reports to the shell: its URL (path + query) and the state the nav links carry.

    Keys named in `in_path` are already spelled by the path (`/indikator/<id>`), so they stay
    out of the query string but are still carried to the other pages.
    """
    state = {key: value for key, value in params.items() if value not in (None, "", (), [])}
    if "markera" in state and isinstance(state["markera"], (list, tuple)):
        state["markera"] = list(state["markera"])
    query = build_query(None, **{k: v for k, v in state.items() if k in KEYS and k not in in_path})
    return {"page": page, "path": path, "href": path + query, "replace": replace, **state}


def nav_targets(state: Mapping[str, object]) -> dict[str, str]:
    """Where each navigation link leads, carrying län, period, indicator and highlighted kommuner."""
    lan, period, indikator = state.get("lan"), state.get("period"), state.get("indikator")
    markera = parse_codes(state.get("markera"))
    kommun = state.get("kommun") or (markera[0] if markera else None) or state.get("default_kommun")
    return {
        "oversikt": "/" + build_query(lan=lan, period=period),
        "planen": "/planen" + build_query(lan=lan, period=period),
        "kommun": f"/kommun/{kommun or 'none'}" + build_query(lan=lan, period=period, indikator=indikator),
        "jamfor": "/jamfor" + build_query(lan=lan, period=period, indikator=indikator, markera=markera),
        "indikator": f"/indikator/{indikator or 'none'}"
        + build_query(lan=lan, period=period, markera=markera),
        "riket": "/riket" + build_query(period=period),
        "data": "/data" + build_query(lan=lan, period=period),
    }
