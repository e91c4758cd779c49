"""Building blocks shared by the pages: labelled controls, alerts, legends, tables, figures."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from dash import ctx, dcc, html, no_update
from dash.exceptions import MissingCallbackContextException

from metrics.dashboard.logic.comparison import STYLES
from metrics.dashboard.source.data import HOW_TO_LOAD, DataUnavailable

log = logging.getLogger(__name__)


def attrs(mapping: dict[str, str]) -> dict[str, Any]:
    """HTML attributes whose names Python keywords cannot spell (aria-label, data-spa)."""
    return dict(mapping)


GRAPH_CONFIG: Any = {
    "displaylogo": False,
    "displayModeBar": False,
    "responsive": True,
    "scrollZoom": False,
}


def control(
    label: str, component_id: str, component: Any, hint: str | None = None, wide: bool = False
) -> html.Div:
    """A control with its visible label (htmlFor points at the control)."""
    children: list[Any] = [html.Label(label, htmlFor=component_id, className="control-label")]
    children.append(component)
    if hint:
        children.append(html.Span(hint, className="control-hint"))
    return html.Div(children, className="control control-wide" if wide else "control")


DROPDOWN_LABELS: Any = {
    "select_all": "Välj alla",
    "deselect_all": "Avmarkera alla",
    "selected_count": "{num_selected} valda",
    "search": "Sök",
    "clear_search": "Rensa sökningen",
    "clear_selection": "Rensa valet",
    "no_options_found": "Inga träffar",
}


def dropdown(
    component_id: str,
    options: list[dict[str, str]],
    value: Any,
    *,
    multi: bool = False,
    placeholder: str = "Välj …",
    clearable: bool = False,
) -> dcc.Dropdown:
    return dcc.Dropdown(
        id=component_id,
        options=options,
        value=value,
        multi=multi,
        clearable=clearable or multi,
        searchable=True,
        placeholder=placeholder,
        labels=DROPDOWN_LABELS,
        className="matavla-dropdown",
    )


def alert(message: Any, *, kind: str = "error", title: str | None = None) -> html.Div:
    """A message in the page: 'error' (role alert), 'info' or 'empty' (role status)."""
    heading = title or {"error": "Något gick fel", "info": "Observera", "empty": "Ingen data än"}.get(
        kind, ""
    )
    return html.Div(
        [html.H2(heading, className="alert-title"), html.Div(message, className="alert-body")],
        className=f"alert alert-{kind}",
        role="alert" if kind == "error" else "status",
    )


def missing_database(path: Path) -> html.Div:
    """The configured database file does not exist: say which path, and the ways to fix it."""
    return alert(
        [
            html.P(
                [
                    "Mätavlan är inställd att läsa databasen ",
                    html.Code(str(path)),
                    ", men den filen finns inte.",
                ]
            ),
            html.P("Så rättar du det:"),
            html.Ul(
                [
                    html.Li(
                        [
                            "Ange sökvägen till er databas i miljövariabeln ",
                            html.Code("MATAVLA_DB"),
                            " (eller med ",
                            html.Code("matavla serve --db FIL"),
                            ") och starta om mätavlan.",
                        ]
                    ),
                    html.Li(
                        [
                            "Eller skapa databasen där: ",
                            html.Code(f"matavla import UTDRAG --db {path}"),
                            " och sedan ",
                            html.Code(f"matavla compute --db {path}"),
                            ".",
                        ]
                    ),
                    html.Li(["Eller prova med demodata: ", html.Code(f"matavla demo --db {path}"), "."]),
                ]
            ),
        ],
        kind="empty",
        title="Databasen finns inte",
    )


def no_data(exc: DataUnavailable) -> html.Div:
    """The friendly empty state: what to run to get data."""
    if exc.kind == "missing" and exc.path is not None:
        return missing_database(exc.path)
    if exc.kind in ("missing", "empty"):
        return alert(
            [
                html.P(
                    [
                        "Ingen data än – kör ",
                        html.Code("matavla import"),
                        " med era utdrag och sedan ",
                        html.Code("matavla compute"),
                        ".",
                    ]
                ),
                html.P(["För att prova med demodata: ", html.Code("matavla demo"), "."]),
                html.P(str(exc), className="muted"),
            ],
            kind="empty",
            title="Välkommen till Mätavla",
        )
    if exc.kind == "busy":
        return alert(str(exc), kind="info", title="Databasen uppdateras")
    return alert(str(exc))


# What a malformed input (a hand-edited address, a value of the wrong type) raises in a callback.
MALFORMED_INPUT = (TypeError, ValueError, KeyError, IndexError, AttributeError)


def error_message(exc: Exception) -> html.Div:
    """A Swedish message for the user; the exception itself goes only to the server log.

    Its text can quote values and code, which are neither the user's business nor safe to show.
    """
    if isinstance(exc, DataUnavailable):
        return no_data(exc)
    if isinstance(exc, MALFORMED_INPUT):
        return alert(
            [
                html.P(
                    "Ett av valen – i adressen eller i menyerna – kunde inte tolkas, så vyn kunde inte visas."
                ),
                html.P(
                    [
                        "Välj kommun, län, period och indikator i menyerna igen, eller börja om från ",
                        dcc.Link("länsöversikten", href="/"),
                        ".",
                    ]
                ),
            ],
            title="Valet kunde inte tolkas",
        )
    return alert(
        [
            html.P("Vyn kunde inte visas. Prova att ladda om sidan eller välja en annan period."),
            html.P("Felet är loggat på servern; kvarstår det, kontakta den som förvaltar mätavlan."),
        ]
    )


def triggered_id() -> Any:
    """The id of the control that fired the callback; None on the first call or outside Dash.

    Outside a request (tests, benchmarks) callbacks are plain functions and act as on
    their first call.
    """
    try:
        return ctx.triggered_id
    except MissingCallbackContextException:
        return None


F = TypeVar("F", bound=Callable[..., Any])


def safe(outputs: int = 1) -> Callable[[F], F]:
    """Wrap a callback so an exception becomes a Swedish message in its first output.

    The other outputs are left unchanged. The traceback goes to the server log.
    """

    def wrap(func: F) -> F:
        @functools.wraps(func)
        def inner(*args: Any, **kwargs: Any) -> Any:
            try:
                return func(*args, **kwargs)
            except Exception as exc:
                if not isinstance(exc, DataUnavailable):
                    log.exception("callback %s failed", func.__name__)
                message = error_message(exc)
                if outputs == 1:
                    return message
                return (message, *([no_update] * (outputs - 1)))

        return inner  # type: ignore[return-value]

    return wrap


def legend(classes: Sequence[str], *, title: str = "Jämfört med länet") -> html.Div:
    items = []
    for cls in classes:
        style = STYLES[cls]
        items.append(
            html.Li(
                [
                    html.Span(
                        style.symbol or "·", className=f"swatch cmp-{cls}", **attrs({"aria-hidden": "true"})
                    ),
                    html.Span(style.label),
                ]
            )
        )
    return html.Div(
        [html.Span(title, className="legend-title"), html.Ul(items, className="legend-items")],
        className="legend",
    )


def data_table(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    numeric: Sequence[int] = (),
    caption: str | None = None,
    class_name: str = "data-table",
    row_classes: Sequence[str | None] | None = None,
) -> html.Table:
    """A plain, accessible HTML table (th scope=col); `numeric` are right-aligned column indexes."""
    head = html.Thead(
        html.Tr(
            [
                html.Th(c, scope="col", className="num" if i in numeric else None)
                for i, c in enumerate(columns)
            ]
        )
    )
    classes = list(row_classes) if row_classes is not None else [None] * len(rows)
    body = html.Tbody(
        [
            html.Tr(
                [html.Td(v, className="num" if i in numeric else None) for i, v in enumerate(row)],
                className=cls,
            )
            for row, cls in zip(rows, classes, strict=True)
        ]
    )
    parts: list[Any] = [html.Caption(caption)] if caption else []
    return html.Table([*parts, head, body], className=class_name)


def scroll_region(child: Any, label: str, class_name: str = "table-scroll") -> html.Div:
    """A scrolling box that keyboard users can reach and scroll (tabindex 0, named region)."""
    return html.Div(child, className=class_name, tabIndex="0", role="region", **attrs({"aria-label": label}))


def as_table(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    numeric: Sequence[int] = (),
    summary: str = "Visa som tabell",
) -> html.Details:
    """The text alternative of a figure, folded away."""
    return html.Details(
        [
            html.Summary(summary),
            scroll_region(data_table(columns, rows, numeric=numeric), "Tabell: " + ", ".join(columns)),
        ],
        className="figure-table",
    )


def figure_block(
    graph_id: str,
    figure: dict[str, Any],
    *,
    title: str,
    description: str,
    table: html.Details | None = None,
    height: int | None = None,
) -> html.Figure:
    """A chart with a title, a description for screen readers and a table alternative."""
    graph = dcc.Graph(
        id=graph_id,
        figure=figure,
        config=GRAPH_CONFIG,
        style={"height": f"{height}px"} if height else {},  # dcc.Graph fails on style=None
        className="graph",
    )
    return html.Figure(
        [
            html.Figcaption(title, className="figure-title"),
            html.Div(graph, role="img", **attrs({"aria-label": f"{title}. {description}"})),
            html.P(description, className="visually-hidden"),
            table,
        ],
        className="figure",
    )


def download_bar(page: str) -> html.Div:
    """CSV and Excel buttons for the page's main download (ids '<page>-csv', '<page>-xlsx')."""
    return html.Div(
        [
            html.Button("Ladda ner CSV", id=f"{page}-csv", className="button button-secondary", n_clicks=0),
            html.Button(
                "Ladda ner Excel", id=f"{page}-xlsx", className="button button-secondary", n_clicks=0
            ),
            dcc.Download(id=f"{page}-download"),
        ],
        className="download-bar",
    )


def section(title: str, children: Any, *, intro: str | None = None, class_name: str = "") -> html.Section:
    parts: list[Any] = [html.H2(title, className="section-title")]
    if intro:
        parts.append(html.P(intro, className="section-intro"))
    # Dash does not render a list nested in a list, so children are spliced in.
    parts.extend(children if isinstance(children, list) else [children])
    return html.Section(parts, className=f"section {class_name}".strip())


def how_to_load() -> str:
    return HOW_TO_LOAD
