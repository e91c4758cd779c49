"""Länsöversikt's board table as one HTML string, escaped throughout.

A 49-kommun län has some 800 cells; as Dash components the table was ~6 300 objects to build,
serialise and reconcile in the browser (three quarters of the callback). As one string it is
built in a few milliseconds and sent as one property (see views/rawhtml.py).

Every text and attribute value goes through `html.escape` (indicator, area and kommun names come
from analysts' YAML and the geography file), so a name holding markup is shown as written. Only
this module and views/spine_table.py build markup by hand; they use views/rawhtml.py's `el`,
`span` and `text` for every piece.
"""

from __future__ import annotations

from metrics.dashboard.logic.board import BoardRow, BoardSection
from metrics.dashboard.logic.comparison import STYLES
from metrics.dashboard.logic.format import (
    NBSP,
    format_change,
    format_interval,
    format_number,
    format_period,
    format_value,
    short_unit,
    unit_suffix,
)
from metrics.dashboard.logic.periods import parse_period, previous_comparable
from metrics.dashboard.logic.standardised import COMPARED_STANDARDISED
from metrics.dashboard.logic.urlstate import build_query
from metrics.dashboard.views.rawhtml import el as _el
from metrics.dashboard.views.rawhtml import span as _span
from metrics.dashboard.views.rawhtml import text as _text
from metrics.dashboard.views.sparkline import sparkline_data_uri

# the columns before the kommuner: indicator, län, change, trend, target
FIXED_COLUMNS = 5

# An attribute of the table: in the browser, each element inside it that has an aria-label and no
# title gets the label as its title too (assets/rawhtml.js), so a kommun cell's description is both
# what a screen reader reads and the mouse's tooltip but is sent once. In both attributes it was a
# fifth of a 49-kommun län's answer, serialised and compressed anew on every request.
LABEL_TIPS = "data_label_tips"


def _change_amount(diff: float, decimals: int, unit: str) -> str:
    """'+1,8 p.e.' for a percentage (the full words are read out), the bare number otherwise."""
    text = format_number(diff, decimals, sign=True)
    return f"{text}{NBSP}p.e." if unit.strip() == "%" else text


def _change_cell(row: BoardRow) -> str:
    if row.change is None and row.partial:
        why = f"Perioden är ofullständig ({row.partial}) och jämförs inte med en hel period"
        return _el("td", _span("jämförs inte", "muted", title=why), class_="col-change")
    if row.change is None:
        return _el("td", _span("–", "muted"), class_="col-change")
    ind = row.indicator
    since = format_period(row.previous_period) if row.previous_period else ""
    words = format_change(row.change.diff, ind.decimals, ind.unit)
    change = _el(
        "span",
        _span(row.change.arrow, "arrow", aria_hidden="true") + _text(f" {row.change.words}"),
        class_=f"change change-{row.change.tone}",
    )
    return _el(
        "td",
        [
            change,
            _span(
                _change_amount(row.change.diff, ind.decimals, ind.unit),
                "change-amount",
                title=words,
                aria_hidden="true",
            ),
            _span(f" {words} sedan {since}", "visually-hidden"),
        ],
        class_="col-change",
    )


def _target_cell(row: BoardRow) -> str:
    if row.target is None:
        return _el("td", _span("–", "muted", title="Inget mål angivet"), class_="col-target")
    tone = "met" if row.target.met else ("unmet" if row.target.met is False else "neutral")
    ind = row.indicator
    spec = row.target_spec
    goal = row.target.goal
    year = str(spec.year) if spec is not None and spec.year is not None else ""
    parts = [f"mål {format_value(goal, ind.decimals, ind.unit)}" if goal is not None else "", year]
    sub = " · ".join(p for p in parts if p)
    origin = "Exempelmål" if spec is not None and spec.example else ""
    source = spec.source if spec is not None else ""
    content = [_span(row.target.text, f"target target-{tone}")]
    if sub:
        content.append(_span(sub, "target-goal"))
    if origin:
        content.append(_span(origin, "target-example", title=spec.provenance if spec else None))
    elif source:
        content.append(_span(source, "target-source"))
    return _el("td", content, class_="col-target")


def _trend_cell(row: BoardRow) -> str:
    ind = row.indicator
    known = [(y, v) for y, v in zip(row.trend_years, row.trend_values, strict=True) if v is not None]
    if len(known) < 2:
        return _el("td", _span("–", "muted"), class_="col-trend")
    words = "; ".join(f"{y}: {format_value(v, ind.decimals, ind.unit)}" for y, v in known)
    content = [
        _el(
            "img",
            src=sparkline_data_uri(row.trend_values, 76, 26),
            alt=f"Trend för länet, {words}",
            class_="sparkline",
            width=76,
            height=26,
        ),
        _span(f"{row.trend_years[0]}–{row.trend_years[-1]}", "trend-years", aria_hidden="true"),
    ]
    if row.trend:
        content.append(_span(f"{row.trend.symbol} {row.trend.words}", f"trend-word trend-{row.trend.tone}"))
    return _el("td", content, class_="col-trend")


def _value_cell(row: BoardRow) -> str:
    ind = row.indicator
    interval = format_interval(row.ci_low, row.ci_high, ind.decimals)
    content = [_span(format_value(row.value, ind.decimals, short_unit(ind.unit)), "lan-value")]
    if interval:
        content.append(_span(interval, "ci", title="95 % konfidensintervall"))
    if row.standardised:
        content.append(_span(row.standardised, "coverage-note"))
    if row.compared_standardised:
        content.append(_span(COMPARED_STANDARDISED, "coverage-note"))
    if row.partial:
        content.append(_span(row.partial, "partial"))
    if row.missing:
        content.append(_span(row.missing, "coverage-note"))
    return _el("td", content, class_="col-lan")


def _row(row: BoardRow, base: str, lan: str, period: str, n_kommuner: int) -> str:
    ind = row.indicator
    unit = unit_suffix(ind.unit) or ind.unit
    indicator_href = f"{base}indikator/{ind.id}" + build_query(lan=lan, period=period)
    head = _el(
        "th",
        _el("a", _text(ind.title), href=indicator_href, class_="indicator-link", data_spa="1")
        + _span(unit, "indicator-unit"),
        scope="row",
        class_="col-ind",
    )
    if row.note:
        note = _el("td", _span(row.note, "muted"), colspan=4 + n_kommuner, class_="row-note")
        return _el("tr", head + note, class_="board-row board-row-empty")
    if row.withheld:  # the publishing ladder: one note across the kommun columns, not "–" in each
        note = _el("td", _span(row.withheld, "muted"), colspan=n_kommuner, class_="row-note")
        return _el(
            "tr",
            [head, _value_cell(row), _change_cell(row), _trend_cell(row), _target_cell(row), note],
            class_="board-row",
        )
    # the hot path, ~800 cells for a 49-kommun län: written out, each value escaped once. The
    # description is the link's accessible name (aria-label) and its tooltip; it is sent once, and
    # assets/rawhtml.js makes it the tooltip (see LABEL_TIPS)
    prefix = _text(f"{base}kommun/")
    query = _text(build_query(lan=lan, period=period, indikator=ind.id))
    cells = []
    for cell in row.cells:
        style = STYLES[cell.cls]
        mark = style.symbol if style.symbol and cell.cls != "no_data" else ""
        if cell.trend is not None and cell.trend.tone != "neutral":
            mark += f"{NBSP}{cell.trend.symbol}"  # only a certain trend earns a mark, on the symbol's line
        text = f"{mark}\n{cell.text}" if mark else cell.text
        words = _text(cell.description)
        cells.append(
            f'<td class="cell cmp-{_text(cell.cls)}" data-name="{_text(cell.name)}">'
            f'<a href="{prefix}{_text(cell.code)}{query}" class="cell-link" '
            f'aria-label="{words}" data-spa="1">{_text(text)}</a></td>'
        )
    return _el(
        "tr",
        [head, _value_cell(row), _change_cell(row), _trend_cell(row), _target_cell(row), *cells],
        class_="board-row",
    )


def board_table_html(
    sections: list[BoardSection],
    lan: str,
    lan_title: str,
    period: str,
    kommuner: list[tuple[str, str]],
    base: str,
) -> str:
    """The board: a scrolling region holding the table of the län's indicators × its kommuner.

    `base` is the app's root path ending in '/' (`dash.get_relative_path('/')`); `kommuner` is
    (code, name) in the order of the columns; `lan_title` the län's name for the caption.
    """
    previous = previous_comparable(period)
    since = f"sedan {format_period(previous)}" if previous else ""
    br = "<br>"
    heads = [
        _el("th", "Indikator", scope="col", class_="col-ind"),
        _el("th", "Länet" + br + _span(format_period(period), "th-sub"), scope="col", class_="col-lan"),
        _el("th", "Förändring" + br + _span(since, "th-sub"), scope="col", class_="col-change"),
        _el("th", "Trend" + br + _span("per år", "th-sub"), scope="col", class_="col-trend"),
        _el("th", "Mål", scope="col", class_="col-target"),
    ]
    for code, name in kommuner:
        link = _el(
            "a",
            _el("span", _text(name)),
            href=f"{base}kommun/{code}" + build_query(lan=lan, period=period),
            class_="kommun-head-link",
            title=f"Visa {name}",
            data_spa="1",
        )
        heads.append(_el("th", link, scope="col", class_="col-kommun"))
    width = FIXED_COLUMNS + len(kommuner)
    body = []
    for section in sections:
        title = _text(section.area.title)
        if section.note:
            title += _span(f" – {section.note.lower()}", "area-note")
        head = _el(
            "th",
            title,
            colspan=width,
            scope="colgroup",
            class_=f"area-head area-depth-{min(section.depth, 3)}",
            id=f"omrade-{section.area.id}",
        )
        body.append(_el("tr", head, class_="area-row"))
        body.extend(_row(r, base, lan, period, len(kommuner)) for r in section.rows)
    caption = f"Indikatorer för {lan_title} {format_period(period)}, med varje kommun jämförd med länet"
    selected = parse_period(period)
    if selected and selected.type == "quarter":
        caption += " (kvartal jämförs med samma kvartal året innan)"
    table = _el(
        "table",
        [
            _el("caption", _text(caption), class_="visually-hidden"),
            _el("thead", _el("tr", heads)),
            _el("tbody", body),
        ],
        class_="board",
        **{LABEL_TIPS: "1"},
    )
    return _el("div", table, class_="board-scroll", tabindex="0", role="region", aria_label="Länets mätavla")
