"""The kommun profile's spine table as one HTML string, escaped throughout.

As Dash components the table of a kommun's ~50 indicators was ~1 700 objects: three quarters of
the callback's time went to building and serialising them, and the browser's React rebuilt them
all. As one string (sent as one property, see views/rawhtml.py) it is built in a few milliseconds.

Every text and attribute value goes through views/rawhtml.py's `el`, `span` and `text`
(indicator, heading and kommun names come from analysts' YAML and the geography file), so a name
holding markup is shown as written. Links carry `data-spa` so they navigate inside the app as
dcc.Link did (assets/links.js).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from metrics.dashboard.logic.board import NOT_FOLLOWED
from metrics.dashboard.logic.comparison import STYLES, class_sentence
from metrics.dashboard.logic.format import format_interval, format_period, format_value, short_unit
from metrics.dashboard.logic.profile import ProfileRow
from metrics.dashboard.logic.standardised import COMPARED_STANDARDISED
from metrics.dashboard.logic.urlstate import build_query
from metrics.dashboard.views.rawhtml import el, span, text

COLUMNS = 7

PlanHeadings = Iterable[tuple[int, str, bool, tuple[str, ...]]]


def _percent(value: float) -> str:
    return f"{value:.1f}%"


def _spine(row: ProfileRow, kommun: str) -> str:
    g = row.geometry
    if g is None:
        return span("–", "muted")
    ind = row.indicator
    parts = [
        el(
            "div",
            class_="spine-range",
            style=f"left:{_percent(g.bar_left)};width:{_percent(g.bar_right - g.bar_left)}",
        ),
        el(
            "div",
            class_="spine-quartiles",
            style=f"left:{_percent(g.quartile_left)};width:{_percent(g.quartile_right - g.quartile_left)}",
        ),
        el("div", class_="spine-lan", style=f"left:{_percent(g.reference)}"),
    ]
    if g.marker is not None:
        parts.append(
            el(
                "div",
                text(STYLES[row.cls].symbol),
                class_=f"spine-marker cmp-{row.cls}",
                style=f"left:{_percent(g.marker)}",
            )
        )
    if ind.direction == "neutral":
        # a descriptive indicator has no better side: its own axis says lower and higher
        parts.append(
            el(
                "div",
                span("◀ lägre") + span("högre ▶"),
                class_="spine-axis spine-axis-neutral",
                aria_hidden="true",
            )
        )
    label = (
        f"{kommun}: {format_value(row.value, ind.decimals, ind.unit)}; länet "
        f"{format_value(row.lan_value, ind.decimals, ind.unit)}; "
        f"länets kommuner från {format_value(g.left_value, ind.decimals, ind.unit)} till "
        f"{format_value(g.right_value, ind.decimals, ind.unit)}"
    )
    neutral = " spine-neutral" if ind.direction == "neutral" else ""
    return el("div", parts, class_=f"spine{neutral}", role="img", aria_label=label)


def _row(r: ProfileRow, kommun: str, lan: str, period: str, base: str) -> str:
    """One indicator's row: the kommun's value, the län's, the spread and the verdict."""
    ind = r.indicator
    href = f"{base}indikator/{ind.id}" + build_query(lan=lan, period=period)
    title = el(
        "th",
        el("a", text(ind.title), href=href, class_="indicator-link", data_spa="1")
        + span(ind.unit, "indicator-unit"),
        scope="row",
    )
    if r.note:
        return el("tr", title + el("td", span(r.note, "muted"), colspan=COLUMNS - 1))
    interval = format_interval(r.ci_low, r.ci_high, ind.decimals)
    unit = short_unit(ind.unit)
    value = "för få" if r.suppressed else format_value(r.value, ind.decimals, unit)
    style = STYLES[r.cls]
    g = r.geometry
    shown = [el("strong", text(value))]
    if interval:
        shown.append(span(interval, "ci"))
    if r.standardised:
        shown.append(span(r.standardised, "ci"))
    if r.compared_standardised:
        shown.append(span(COMPARED_STANDARDISED, "ci"))
    sentence = class_sentence(r.cls, ind.direction)
    pill = el(
        "span",
        [
            span(style.symbol, aria_hidden="true") if style.symbol else "",
            span(style.short, aria_hidden="true"),
            span(sentence, "visually-hidden"),
        ],
        class_=f"class-pill cmp-{r.cls}",
        title=sentence,
    )
    verdict = pill
    if r.trend:
        verdict += span(f"{r.trend.symbol} {r.trend.words}", f"trend-word trend-{r.trend.tone}")
    return el(
        "tr",
        [
            title,
            el("td", shown, class_="num"),
            el("td", text(format_value(r.lan_value, ind.decimals, unit)), class_="num"),
            el(
                "td",
                text(format_value(g.left_value, ind.decimals, unit) if g else "–"),
                class_="num muted col-range",
            ),
            el("td", _spine(r, kommun), class_="spine-cell"),
            el(
                "td",
                text(format_value(g.right_value, ind.decimals, unit) if g else "–"),
                class_="muted col-range",
            ),
            el("td", verdict, class_="col-verdict"),
        ],
    )


def spine_table_html(
    rows: list[ProfileRow],
    headings: PlanHeadings,
    kommun: str,
    lan: str,
    lan_title: str,
    period: str,
    base: str,
) -> str:
    """The table of the kommun's indicators under the län's plan headings, in a scrolling region.

    `headings` are the plan's headings in order: (depth, title, follows any indicator, the
    indicator ids under it); an indicator under two headings shows under both, and a heading
    without indicators says so. `kommun` is the kommun's name; `base` the app's root path
    ending in '/' (`dash.get_relative_path('/')`).
    """
    axis = el(
        "div",
        span("◀ sämre") + span("länet") + span("bättre ▶"),
        title="Beskrivande indikatorer har egen axel: lägre till vänster, högre till höger",
        class_="spine-axis",
    )
    head = el(
        "tr",
        [
            el("th", "Indikator", scope="col"),
            el("th", text(kommun), scope="col", class_="num"),
            el("th", "Länet", scope="col", class_="num"),
            el("th", "Sämst / lägst", scope="col", class_="num col-range"),
            el("th", axis, scope="col", class_="spine-cell"),
            el("th", "Bäst / högst", scope="col", class_="col-range"),
            el("th", "Mot länet · trend", scope="col", class_="col-verdict"),
        ],
    )
    by_id: Mapping[str, ProfileRow] = {r.indicator.id: r for r in rows}
    body: list[str] = []
    for depth, title, followed, indicators in headings:
        heading = text(title)
        if not followed:
            heading += span(f" – {NOT_FOLLOWED.lower()}", "area-note")
        body.append(
            el(
                "tr",
                el(
                    "th",
                    heading,
                    colspan=COLUMNS,
                    scope="colgroup",
                    class_=f"area-head area-depth-{min(depth, 3)}",
                ),
            )
        )
        body += [_row(by_id[i], kommun, lan, period, base) for i in indicators if i in by_id]
    table = el(
        "table",
        [
            el(
                "caption",
                text(f"{kommun} jämfört med {lan_title}, {format_period(period)}"),
                class_="visually-hidden",
            ),
            el("thead", head),
            el("tbody", body),
        ],
        class_="spine-table",
    )
    return el(
        "div",
        table,
        class_="board-scroll",
        tabindex="0",
        role="region",
        aria_label=f"{kommun} jämfört med länet",
    )
