"""Data: what is loaded – extracts and their coverage, rejected rows, the import log, computations."""

from __future__ import annotations

from typing import Any

import dash
import pandas as pd
from dash import Input, Output, callback, dcc, html

from metrics.dashboard.logic.audit_status import AuditOverview, audit_overview
from metrics.dashboard.logic.delivered import coverage_rows, delivered
from metrics.dashboard.logic.extract_status import (
    ExtractStatus,
    extract_statuses,
    missing_text,
    readers_text,
)
from metrics.dashboard.logic.format import format_date, format_int, format_number, is_missing, plural
from metrics.dashboard.logic.urlstate import page_state, parse_state
from metrics.dashboard.source.audit import read_audit
from metrics.dashboard.source.context import catalogue, catalogue_notice, settings
from metrics.dashboard.source.data import Coverage, DataUnavailable, coverage
from metrics.dashboard.source.runinfo import DEFINITION_CHANGED, definition_changed, stale_text
from metrics.dashboard.views.components import (
    alert,
    data_table,
    download_bar,
    no_data,
    safe,
    scroll_region,
    section,
)
from metrics.dashboard.views.downloads import DownloadInfo, download
from metrics.dashboard.views.page import download_kind, page_head

PAGE = "data"


def layout(**params: Any) -> html.Div:
    state = parse_state(params)
    return html.Div(
        [
            page_head(
                "Dataunderlag",
                "Vad som finns inläst: utdragen och vilka perioder och kommuner de täcker, rader som "
                "avvisades vid importen (bara radnummer och orsak – aldrig själva värdena), importloggen "
                "och hur beräkningen gick.",
            ),
            html.Div(
                [
                    html.P("Ladda ner tabellerna på sidan:", className="muted"),
                    html.Div(download_bar(PAGE), className="toolbar-actions"),
                ],
                className="toolbar toolbar-slim",
            ),
            html.Div(id=f"{PAGE}-content", className="page-content"),
            dcc.Store(id=f"{PAGE}-state", data={"lan": state.lan, "period": state.period}),
        ],
        className="page",
    )


def _range(first: Any, last: Any) -> str:
    """'2022-01-01 – 2024-12-31', or years ('2022 – 2024') for extracts dated by year."""
    if is_missing(first):
        return "–"
    a = str(first) if isinstance(first, int) else format_date(first)
    b = str(last) if isinstance(last, int) else format_date(last)
    return a if a == b else f"{a} – {b}"


def _cards(cov: Coverage, audit: AuditOverview) -> html.Ul:
    failed = int((cov.runs["status"] == "error").sum()) if not cov.runs.empty else 0
    stale = int((cov.runs["status"] == "stale").sum()) if not cov.runs.empty else 0
    ok = int((cov.runs["status"] == "ok").sum()) if not cov.runs.empty else 0
    rejected = int(cov.rejected["rows"].sum()) if not cov.rejected.empty else 0
    computed = format_date(cov.computed_at, with_time=True) if cov.computed_at else "Inte beräknad"
    if cov.run_info.run is not None:
        computed += f" · körning {cov.run_info.run}"
    counts = f"{ok} ok" + (f" · {stale} inaktuella" if stale else "") + (f" · {failed} fel" if failed else "")
    items = [
        ("Data beräknad", computed, "neutral", None),
        ("Indikatorer", counts, "bad" if failed or stale else "good", None),
        ("Resultatrader", format_int(cov.result_rows), "neutral", None),
        ("Avvisade rader", format_int(rejected), "bad" if rejected else "neutral", None),
        ("Röjandekontroll", audit.value, audit.tone, audit.label),
    ]
    return html.Ul(
        [
            html.Li(
                [
                    html.Span(t, className="kpi-title"),
                    html.Span(v, className=f"kpi-value kpi-{tone}"),
                    html.Span(label, className="kpi-label") if label else None,
                ],
                className="kpi",
            )
            for t, v, tone, label in items
        ],
        className="kpis kpis-5",
    )


def _audit_section(audit: AuditOverview) -> html.Section | None:
    """The check's details, one line each, beneath the cards (the card holds only the verdict)."""
    if not audit.notes:
        return None
    return section(
        "Röjandekontroll",
        html.Ul([html.Li(note) for note in audit.notes], className="card audit-notes"),
        intro=(
            "Vad kontrollen av dolda celler fann vid den senaste beräkningen, och vad som inte "
            "publiceras för att skydda små tal (docs/disclosure.md)."
        ),
    )


def _readers(status: ExtractStatus) -> Any:
    """The indicators that read an extract; more than three fold under their count."""
    if len(status.indicators) <= 3:
        return readers_text(status)
    return html.Details(
        [html.Summary(f"{len(status.indicators)} indikatorer"), html.Span("; ".join(status.indicators))]
    )


def render() -> list[Any]:
    cat = catalogue()
    cov = coverage(settings().db_path, cat.extracts)
    titles = {ind.id: ind.title for ind in cat.indicators}
    current = {ind.id: ind for ind in cat.indicators}
    notice = catalogue_notice()
    audit = audit_overview(*read_audit(settings().db_path), name=lambda i: titles.get(i, i))

    runs = cov.runs
    run_rows = []
    run_classes = []
    for r in runs.itertuples(index=False):
        error = r.status in ("error", "stale")
        state = cov.run_info.of(r.indicator)
        message = stale_text(state) or r.message or ""
        if r.indicator in current and definition_changed(state, current[r.indicator], cat):
            message = f"{message} {DEFINITION_CHANGED}".strip()
        status = {"error": "Fel", "stale": "Inaktuell"}.get(r.status, "OK")
        run_rows.append(
            [
                titles.get(r.indicator, r.indicator),
                html.Span(status, className="status-error" if error else "status-ok"),
                message,
                format_int(r.rows),
                format_number(r.seconds, 1),
                format_date(r.computed_at, with_time=True),
            ]
        )
        run_classes.append("row-error" if error else None)
    runs_table = data_table(
        ["Indikator", "Status", "Meddelande", "Rader", "Sekunder", "Beräknad"],
        run_rows,
        numeric=(3, 4),
        row_classes=run_classes,  # failed indicators in red
    )
    missing = (
        [ind.title for ind in cat.indicators if ind.id not in set(runs["indicator"])]
        if not runs.empty
        else []
    )

    statuses = extract_statuses(cat, cov.extracts)
    extract_rows = [
        [
            html.Span([html.Strong(r.title), html.Span(f" ({r.extract})", className="muted")]),
            html.Span(r.status, className=f"extract-status tone-{r.tone}"),
            r.declared_in,
            _readers(r),
            format_int(r.rows),
            _range(r.first, r.last),
            format_int(r.kommuner) if r.kommuner is not None else "–",
            format_date(r.last_import, with_time=True) if r.last_import is not None else "–",
        ]
        for r in statuses
    ]
    missing_extracts = missing_text(statuses)

    rejected = cov.rejected
    rejected_rows = [
        [r.file, r.extract, r.reason, format_int(r.rows), r.row_numbers]
        for r in rejected.itertuples(index=False)
    ]

    log = cov.import_log
    log_rows = (
        [
            [
                format_date(r.imported_at, with_time=True),
                r.file,
                r.extract,
                r.source or "",
                "oförändrad" if r.status == "unchanged" else r.status,
                format_int(r.rows_read),
                format_int(r.rows_accepted),
                format_int(r.rows_rejected),
                format_int(r.rows_replaced),
            ]
            for r in log.itertuples(index=False)
        ]
        if not log.empty
        else []
    )

    return [
        alert(notice, kind="info", title="Katalogen har fel") if notice else None,
        _cards(cov, audit),
        _audit_section(audit),
        section(
            "Beräkning av indikatorer",
            [
                scroll_region(
                    runs_table,
                    "Tabell: beräkning av indikatorer",
                    "card table-scroll",
                )
                if run_rows
                else html.P("Ingen beräkning har körts (`matavla compute`).", className="muted"),
                html.P(f"Saknar resultat: {', '.join(missing)}.", className="muted") if missing else None,
            ],
            intro=(
                "Indikatorer som inte kunde beräknas visas i rött med felmeddelandet; de andra beräknas "
                "ändå. En indikator som tidigare har beräknats behåller sina senaste giltiga resultat "
                "(inaktuell)."
            ),
        ),
        section(
            "Utdrag",
            [
                alert(missing_extracts, kind="info", title="Utdrag saknas") if missing_extracts else None,
                scroll_region(
                    data_table(
                        [
                            "Utdrag",
                            "Status",
                            "Deklarerat i",
                            "Läses av",
                            "Rader",
                            "Period (första – sista)",
                            "Kommuner",
                            "Senast importerad",
                        ],
                        extract_rows,
                        numeric=(4, 6),
                        row_classes=["row-error" if r.missing else None for r in statuses],
                    ),
                    "Tabell: utdrag",
                    "card table-scroll",
                ),
            ],
            intro=(
                "Varje utdrag som kontraktet eller katalogen deklarerar, vilka indikatorer som läser det "
                "och vad som är importerat: antal rader, datumintervall, antal kommuner och senaste "
                "import. Ett utdrag som en indikator läser men som inte är importerat står som saknas."
            ),
        ),
        _coverage_section(),
        section(
            "Avvisade rader",
            scroll_region(
                data_table(["Fil", "Utdrag", "Orsak", "Rader", "Radnummer"], rejected_rows, numeric=(3,)),
                "Tabell: avvisade rader",
                "card table-scroll",
            )
            if rejected_rows
            else html.P("Inga rader har avvisats.", className="muted"),
            intro="Per fil och orsak. Radnumren avser raden i filen (rubrikraden är rad 1).",
        ),
        section(
            "Importlogg",
            scroll_region(
                data_table(
                    [
                        "Importerad",
                        "Fil",
                        "Utdrag",
                        "Källa",
                        "Status",
                        "Lästa",
                        "Godkända",
                        "Avvisade",
                        "Ersatta",
                    ],
                    log_rows,
                    numeric=(5, 6, 7, 8),
                ),
                "Tabell: importlogg",
                "card table-scroll",
            )
            if log_rows
            else html.P("Inget har importerats ännu (`matavla import`).", className="muted"),
            intro=plural(len(log_rows), "import", "importer") + ", senaste först.",
        ),
    ]


def _coverage_section() -> html.Section:
    """Extract × kommun × month: what the deliveries cover, and each extract's 'data t.o.m.'."""
    years, rows = coverage_rows(delivered(settings().db_path))
    table = data_table(
        ["Utdrag", "Kommuner", *(str(y) for y in years), "Data t.o.m."],
        [
            [r.extract, r.areas, *(r.by_year.get(y, "–") for y in years), format_date(r.data_through)]
            for r in rows
        ],
    )
    return section(
        "Täckning",
        scroll_region(
            table,
            "Tabell: täckning per utdrag, kommun och månad",
            "card table-scroll",
        )
        if rows
        else html.P("Ingen import har registrerat vad den täcker än.", className="muted"),
        intro=(
            "Vilka kommuner och månader varje utdrag täcker. En kommun som täcks men saknar händelser "
            "räknas som noll; en kommun som inte täcks visas som ”saknas” och räknas inte in i länet. "
            "Ett år eller kvartal efter ”data t.o.m.” är ofullständigt och markeras på tavlan."
        ),
    )


@callback(
    Output(f"{PAGE}-content", "children"),
    Output("app-query", "data", allow_duplicate=True),
    Input(f"{PAGE}-state", "data"),
    prevent_initial_call="initial_duplicate",
)
@safe(outputs=2)
def update(carried: dict[str, str | None] | None) -> tuple[Any, Any]:
    """The page has no controls; it carries the other pages' län and period along in the URL."""
    carried = carried or {}
    state = page_state(
        PAGE,
        dash.get_relative_path("/data"),
        replace=True,
        lan=carried.get("lan"),
        period=carried.get("period"),
    )
    try:
        return render(), state
    except DataUnavailable as exc:
        return no_data(exc), state


@callback(
    Output(f"{PAGE}-download", "data"),
    Input(f"{PAGE}-csv", "n_clicks"),
    Input(f"{PAGE}-xlsx", "n_clicks"),
    prevent_initial_call=True,
)
def download_data(_csv: int, _xlsx: int) -> Any:
    cat = catalogue()
    cov = coverage(settings().db_path, cat.extracts)
    extracts = pd.DataFrame(
        [
            {
                "Utdrag": r.extract,
                "Namn": r.title,
                "Status": r.status,
                "Deklarerat i": r.declared_in,
                "Läses av": "; ".join(r.indicators),
                "Rader": r.rows,
                "Första": r.first,
                "Sista": r.last,
                "Kommuner": r.kommuner,
                "Senast importerad": r.last_import,
            }
            for r in extract_statuses(cat, cov.extracts)
        ]
    )
    info = DownloadInfo(
        title="Mätavla – Dataunderlag",
        view=[("Innehåll", "Utdrag, beräkningar, avvisade rader och importlogg")],
        computed_at=cov.computed_at,
    )
    kind = download_kind(PAGE)
    extra = {
        "Beräkningar": cov.runs,
        "Avvisade rader": cov.rejected,
        "Importlogg": cov.import_log,
    }
    return download(kind, extracts, info, ["dataunderlag"], extra=extra if kind == "xlsx" else None)


dash.register_page(
    __name__,
    path="/data",
    name="Data",
    title="Dataunderlag – Mätavla",
    description="Inlästa utdrag, avvisade rader, importlogg och beräkningar",
    order=5,
    layout=layout,
)
