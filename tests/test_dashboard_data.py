"""The dashboard's reading of the aggregate tables, its views of them, and downloads.

A small results database is built by hand: Östergötland with three kommuner and one
indicator, so every number below can be checked with a pen.
"""

from __future__ import annotations

import base64
import io
import os
from pathlib import Path

import duckdb
import openpyxl
import pytest

from metrics.catalogue.loader import load_catalogue
from metrics.dashboard.logic.board import board, board_frame
from metrics.dashboard.logic.comparison import BETTER, NO_DATA, SUPPRESSED_CLASS, WORSE
from metrics.dashboard.logic.profile import profile_rows, profile_summary
from metrics.dashboard.source.data import DataUnavailable, coverage, read_snapshot, snapshot
from metrics.dashboard.views.downloads import DownloadInfo, csv_bytes, safe_filename, xlsx_bytes
from metrics.db import connect, set_meta

ROOT = Path(__file__).resolve().parents[1]
# the results columns these tests fill; the later ones (missing, complete, …) take their defaults
INSERT_RESULT = (
    "INSERT INTO results (indicator, area_code, area_level, period, period_type, period_start, breakdown, "
    "sex, age_band, numerator, denominator, value, ci_low, ci_high, suppressed, suppression) VALUES "
)
CATALOGUE = ROOT / "indicators.yaml"

# (area, level, period, value, ci_low, ci_high, numerator, denominator, suppressed)
ROWS = [
    ("05", "lan", "2023", 40.0, 39.0, 41.0, 4000, 10000, False),
    ("05", "lan", "2024", 45.0, 44.0, 46.0, 4500, 10000, False),
    ("0580", "kommun", "2023", 50.0, 48.0, 52.0, 2500, 5000, False),
    ("0580", "kommun", "2024", 55.0, 53.0, 57.0, 2750, 5000, False),  # better: 53 > 45
    ("0581", "kommun", "2023", 35.0, 33.0, 37.0, 1750, 5000, False),
    ("0581", "kommun", "2024", 35.0, 33.6, 36.4, 1750, 5000, False),  # worse: 36.4 < 45
    ("0512", "kommun", "2024", None, None, None, None, None, True),  # Ydre: too few
]


def build_db(path: Path, *, computed_at: str = "2025-01-15 09:30:00") -> Path:
    con = connect(path)
    for area, level, period, value, low, high, num, den, suppressed in ROWS:
        con.execute(
            INSERT_RESULT + "(?, ?, ?, ?, 'year', ?, 'total', NULL, NULL, ?, ?, ?, ?, ?, ?, ?)",
            [
                "fast_lakarkontakt",
                area,
                level,
                period,
                f"{period}-01-01",
                num,
                den,
                value,
                low,
                high,
                suppressed,
                "primary" if suppressed else None,
            ],
        )
    con.execute(
        "INSERT INTO indicator_runs VALUES ('fast_lakarkontakt', 'ok', NULL, 7, 0.1, ?), "
        "('kontinuitet_lakare', 'error', 'Binder Error: no such column', 0, 0.0, ?)",
        [computed_at, computed_at],
    )
    con.execute(
        "INSERT INTO import_log VALUES (1, 'listning.csv', 'listing', 'Region', 'h1', 'ok', "
        "10, 8, 2, 0, NULL, '2025-01-14 16:00:00', 1.0, NULL)"
    )
    con.execute(
        "INSERT INTO rejected_rows VALUES (1, 'listning.csv', 'listing', 4, 'ogiltigt personnummer', "
        '\'{"personnummer": "19121212-1212"}\'), '
        "(1, 'listning.csv', 'listing', 9, 'ogiltigt personnummer', '{\"personnummer\": \"x\"}')"
    )
    con.execute(
        "INSERT INTO listing (person_id, kommun, sex, age, snapshot_date, care_unit, named_gp) "
        "VALUES ('p1', '0580', 'K', 40, DATE '2024-03-31', 'VC A', true), "
        "('p2', '0581', 'M', 70, DATE '2024-12-31', 'VC B', false)"
    )
    set_meta(con, "computed_at", computed_at)
    con.close()
    return path


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    return build_db(tmp_path / "results.duckdb")


@pytest.fixture(scope="module")
def catalogue():  # type: ignore[no-untyped-def]
    return load_catalogue(CATALOGUE).catalogue


def test_the_snapshot_splits_results_by_indicator_lan_and_breakdown(db: Path) -> None:
    snap = read_snapshot(db)
    assert snap.lans == ("05",)
    assert snap.kommuner("05") == ["0512", "0580", "0581"]
    assert snap.periods(lan="05") == ["2023", "2024"]
    assert len(snap.period_rows("fast_lakarkontakt", "05", "2024")) == 4
    assert snap.computed_at == "2025-01-15 09:30:00"


def test_the_cached_snapshot_is_reread_when_the_database_changes(db: Path) -> None:
    first = snapshot(db)
    assert snapshot(db) is first
    # DuckDB refuses a writer in a process that has the file open: let the background reader finish
    first.wait_until_read()
    con = duckdb.connect(str(db))
    con.execute("UPDATE meta SET value = '2025-02-01 08:00:00' WHERE key = 'computed_at'")
    con.close()
    stat = db.stat()
    os.utime(db, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert snapshot(db).computed_at == "2025-02-01 08:00:00"


def test_a_missing_database_says_how_to_load_data(tmp_path: Path) -> None:
    with pytest.raises(DataUnavailable) as err:
        snapshot(tmp_path / "nothing.duckdb")
    assert err.value.kind == "missing"
    assert "matavla import" in str(err.value)


def test_a_database_without_results_table_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "bare.duckdb"
    duckdb.connect(str(path)).close()
    with pytest.raises(DataUnavailable) as err:
        read_snapshot(path)
    assert err.value.kind == "empty"


def test_the_board_classifies_each_kommun_against_the_lan(db: Path, catalogue) -> None:  # type: ignore[no-untyped-def]
    sections = board(read_snapshot(db), catalogue, "05", "2024")
    row = next(r for s in sections for r in s.rows if r.indicator.id == "fast_lakarkontakt")
    assert row.value == 45.0
    # 40 % → 45 % of 10 000: the 95 % interval of the difference is about 5 ± 1,4 pp, so certain
    assert (
        row.change is not None
        and row.change.words == "säker förbättring"
        and row.change.diff == pytest.approx(5.0)
    )
    assert row.target is not None and row.target.text == "Målet ej uppnått" and row.target.met is False
    assert row.trend_years == ["2023", "2024"] and row.trend_values == [40.0, 45.0]
    cells = {c.code: c for c in row.cells}
    assert [c.name for c in row.cells] == ["Linköping", "Norrköping", "Ydre"]  # Swedish alphabetical
    assert cells["0580"].cls == BETTER
    assert cells["0581"].cls == WORSE
    assert cells["0512"].cls == SUPPRESSED_CLASS and cells["0512"].text == "för få"
    other = next(r for s in sections for r in s.rows if r.indicator.id == "kontinuitet_lakare")
    assert other.note is not None and other.cells == []


def test_the_board_download_holds_the_lan_and_every_kommun(db: Path, catalogue) -> None:  # type: ignore[no-untyped-def]
    sections = board(read_snapshot(db), catalogue, "05", "2024")
    frame = board_frame(sections, "Östergötlands län", "2024")
    rows = frame[frame["Indikator-id"] == "fast_lakarkontakt"]
    assert rows["Område"].tolist() == ["Östergötlands län", "Linköping", "Norrköping", "Ydre"]
    assert rows["Jämfört med länet"].tolist()[1:] == [
        "signifikant bättre än länet",
        "signifikant sämre än länet",
        "för få",
    ]


def test_a_quarter_leaves_year_only_indicators_empty_with_a_reason(db: Path, catalogue) -> None:  # type: ignore[no-untyped-def]
    sections = board(read_snapshot(db), catalogue, "05", "2024-Q2")
    hembesok = next(r for s in sections for r in s.rows if r.indicator.id == "hembesok_75")
    assert hembesok.note == "Redovisas bara per år"


def test_a_quarter_never_mixes_in_yearly_values_or_yearly_trends(db: Path, catalogue) -> None:  # type: ignore[no-untyped-def]
    """A yearly-only indicator says so in a quarter, with no cells, no verdicts and no trend marker;
    a quarterly indicator's yearly trend is not shown as if it were the quarter's."""
    con = duckdb.connect(str(db))
    for code, level in (("05", "lan"), ("0580", "kommun")):
        con.execute(
            INSERT_RESULT + f"('fast_lakarkontakt', '{code}', '{level}', '2024-Q2', 'quarter', '2024-04-01', "
            "'total', NULL, NULL, 3000, 7500, 40.0, 39.0, 41.0, false, NULL)"
        )
    con.execute("UPDATE results SET trend = 'improving'")  # even a stray trend on a quarter row
    con.close()
    snap = read_snapshot(db)
    yearly = {r.indicator.id: r for s in board(snap, catalogue, "05", "2024") for r in s.rows}
    assert yearly["fast_lakarkontakt"].trend is not None  # shown in the yearly view
    rows = {r.indicator.id: r for s in board(snap, catalogue, "05", "2024-Q2") for r in s.rows}
    yearly_only = rows["hembesok_75"]
    assert yearly_only.note == "Redovisas bara per år"
    assert yearly_only.cells == [] and yearly_only.value is None and yearly_only.change is None
    assert yearly_only.trend is None and yearly_only.target is None
    assert rows["fast_lakarkontakt"].value == 40.0 and rows["fast_lakarkontakt"].note is None
    assert all(r.trend is None for r in rows.values())  # the trend marker is a yearly verdict
    profile = {r.indicator.id: r for r in profile_rows(snap, catalogue, "0580", "05", "2024-Q2")}
    assert profile["hembesok_75"].note == "Redovisas bara per år"
    assert profile["hembesok_75"].trend is None and profile["hembesok_75"].value is None
    assert profile["fast_lakarkontakt"].value == 40.0
    assert all(r.trend is None for r in profile.values())


def test_the_kommun_summary_names_what_is_better_and_worse(db: Path, catalogue) -> None:  # type: ignore[no-untyped-def]
    snap = read_snapshot(db)
    rows = profile_rows(snap, catalogue, "0580", "05", "2024")
    first = next(r for r in rows if r.indicator.id == "fast_lakarkontakt")
    assert first.cls == BETTER and first.geometry is not None and first.geometry.marker is not None
    assert first.geometry.marker > 50
    assert next(r for r in rows if r.indicator.id == "kontinuitet_lakare").cls == NO_DATA
    text = profile_summary("Linköping", rows, "2024")
    assert text.startswith(
        "Linköping ligger signifikant bättre än länet på 1 indikator: Fast läkarkontakt (2024)."
    )
    worse = profile_summary("Norrköping", profile_rows(snap, catalogue, "0581", "05", "2024"), "2024")
    assert worse.startswith("Norrköping ligger signifikant sämre än länet på 1 indikator: Fast läkarkontakt")


def test_coverage_reports_counts_and_row_numbers_but_never_raw_values(db: Path) -> None:
    cov = coverage(db)
    listing = cov.extracts.set_index("extract").loc["listing"]
    assert listing["rows"] == 2 and listing["kommuner"] == 2
    assert str(listing["first"]) == "2024-03-31" and str(listing["last"]) == "2024-12-31"
    assert cov.rejected.to_dict("records") == [
        {
            "file": "listning.csv",
            "extract": "listing",
            "reason": "ogiltigt personnummer",
            "rows": 2,
            "row_numbers": "4, 9",
        }
    ]
    assert "19121212" not in cov.rejected.to_csv() and "raw" not in cov.rejected.columns
    assert cov.runs["status"].tolist() == ["error", "ok"]  # failures first


def test_csv_download_has_header_lines_semicolons_and_decimal_commas(db: Path, catalogue) -> None:  # type: ignore[no-untyped-def]
    frame = board_frame(board(read_snapshot(db), catalogue, "05", "2024"), "Östergötlands län", "2024")
    info = DownloadInfo("Mätavla – Länsöversikt", [("Län", "Östergötlands län")], "2025-01-15 09:30:00")
    text = csv_bytes(frame, info).decode("utf-8")
    assert text.startswith(
        "\ufeff# Mätavla – Länsöversikt\n# Län: Östergötlands län\n# Data beräknad: 2025-01-15 09:30\n"
    )
    header = next(line for line in text.splitlines() if not line.startswith(("#", "\ufeff#")))
    assert header.startswith("Planområde;Indikator;")
    assert ";45,0;" in text and ";55,0;" in text


def test_excel_download_has_the_data_and_a_sheet_about_it(db: Path, catalogue) -> None:  # type: ignore[no-untyped-def]
    frame = board_frame(board(read_snapshot(db), catalogue, "05", "2024"), "Östergötlands län", "2024")
    info = DownloadInfo(
        "Mätavla – Länsöversikt",
        [("Län", "Östergötlands län")],
        "2025-01-15 09:30:00",
        definitions=[{"Id": "fast_lakarkontakt", "Indikator": "Fast läkarkontakt"}],
    )
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(frame, info)))
    assert book.sheetnames == ["Data", "Om datan"]
    about = [[c for c in row if c is not None] for row in book["Om datan"].iter_rows(values_only=True)]
    assert ["Data beräknad", "2025-01-15 09:30"] in about
    assert ["fast_lakarkontakt", "Fast läkarkontakt"] in about
    assert book["Data"]["A1"].value == "Planområde"


def test_download_names_are_plain_ascii() -> None:
    assert (
        safe_filename("Länsöversikt", "05", "2024-Q1", extension="csv")
        == "matavla_lansoversikt_05_2024-q1.csv"
    )


def test_every_page_renders_from_the_fixture(db: Path) -> None:
    """The pages' layouts and callback bodies run against the fixture without errors."""
    from metrics.dashboard.server import create_app

    app = create_app(db_path=db, catalog_path=CATALOGUE)
    client = app.server.test_client()
    page = client.get("/")
    assert page.status_code == 200
    assert '<html lang="sv">' in page.get_data(as_text=True)
    assert client.get("/_dash-layout").status_code == 200

    from metrics.dashboard.pages import dataunderlag, indikator, jamfor, kommun, lansoversikt
    from metrics.dashboard.source.context import indicator_or_none

    with app.server.test_request_context("/"):
        assert lansoversikt.render("05", "2024")
        assert kommun.render("0580", "2024")
        ind = indicator_or_none("fast_lakarkontakt")
        assert ind is not None
        assert kommun.render_trend("0580", "2024", ind)
        assert jamfor.render("05", ind, "2024", ["0580"])
        assert indikator.render(ind, "05", "2024", ["0580"])
        assert dataunderlag.render()
        _content, state = lansoversikt.update("05", "2024")
        assert state["href"] == "/?lan=05&period=2024"

        # the page downloads: an Excel file with the data date and the definitions
        sent = lansoversikt.download_board(0, 1, "05", "2024")
        assert sent["filename"] == "matavla_lansoversikt_05_2024.xlsx"
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(str(sent["content"]))))
        about = [c for r in book["Om datan"].iter_rows(values_only=True) for c in r if c]
        assert "2025-01-15 09:30" in about and "Fast läkarkontakt" in about
        assert jamfor.download_comparison(0, 1, "05", "fast_lakarkontakt", "2024", ["0580"])[
            "filename"
        ].endswith(".xlsx")
        assert indikator.download_indicator(0, 1, "fast_lakarkontakt", "05", "2024")
        assert kommun.download_profile(0, 1, "0580", "2024", "fast_lakarkontakt")
        assert dataunderlag.download_data(0, 1)


def test_a_callback_error_becomes_a_swedish_message() -> None:
    from metrics.dashboard.views.components import safe

    @safe(outputs=2)
    def broken() -> tuple[object, object]:
        raise ValueError("boom")

    message, other = broken()
    # a ValueError is what a malformed input raises: say so, and never show the exception's text
    assert "Valet kunde inte tolkas" in str(message.to_plotly_json())
    assert "boom" not in str(message.to_plotly_json())
    assert other is not None

    @safe()
    def failing() -> object:
        raise RuntimeError("intern detalj")

    shown = str(failing().to_plotly_json())
    assert "Något gick fel" in shown and "intern detalj" not in shown and "RuntimeError" not in shown


def test_an_empty_database_shows_how_to_load_data(tmp_path: Path) -> None:
    from metrics.dashboard.server import create_app

    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()  # a database without results (a missing one is tested elsewhere)
    app = create_app(db_path=empty, catalog_path=CATALOGUE)
    from metrics.dashboard.pages import lansoversikt

    with app.server.test_request_context("/"):
        layout = lansoversikt.layout()
    text = str(layout.to_plotly_json())
    assert "Ingen data än – kör " in text and "matavla import" in text


def test_jamfor_shows_the_lans_narsjukvardsomraden_against_the_lan(db: Path) -> None:
    """Area groups of the chosen län get a bar each; groups without results say so."""
    from metrics.dashboard.server import create_app

    con = duckdb.connect(str(db))
    con.execute(
        INSERT_RESULT + "('fast_lakarkontakt', 'nso_central', 'narsjukvardsomrade', '2024', "
        "'year', '2024-01-01', 'total', NULL, NULL, 3000, 7500, 40.0, 39.0, 41.0, false, NULL)"
    )
    con.close()
    app = create_app(db_path=db, catalog_path=CATALOGUE)
    from metrics.dashboard.pages import jamfor
    from metrics.dashboard.source.context import indicator_or_none

    with app.server.test_request_context("/"):
        ind = indicator_or_none("fast_lakarkontakt")
        assert ind is not None
        [(level, bars)] = jamfor.area_group_bars(ind, "05", "2024")
        assert jamfor.area_group_bars(ind, "23", "2024") == []
        content = str([c.to_plotly_json() for c in jamfor.render("05", ind, "2024", [])])
    assert level.level == "narsjukvardsomrade"
    by_code = {b.code: b.cls for b in bars}
    assert by_code["nso_central"] == WORSE  # 39–41 lies below the län's 45
    assert by_code["nso_vast"] == NO_DATA
    assert "Per närsjukvårdsområde" in content and "Närsjukvårdsområde Central" in content


def test_the_period_choice_offers_months_for_an_indicator_computed_per_month(
    db: Path,
    catalogue,  # type: ignore[no-untyped-def]
) -> None:
    from metrics.dashboard.logic.choices import indicator_period_options, lan_period_options

    con = duckdb.connect(str(db))
    con.execute(
        INSERT_RESULT + "('fast_lakarkontakt', '05', 'lan', '2024-01', "
        "'month', '2024-01-01', 'total', NULL, NULL, 300, 1000, 30.0, 27.0, 33.0, false, NULL)"
    )
    con.close()
    snap = read_snapshot(db)
    options = indicator_period_options(snap, "05", catalogue.indicator("fast_lakarkontakt"))
    assert options[-1] == {"label": "januari 2024", "value": "2024-01"}
    assert [o["value"] for o in options[:2]] == ["2024", "2023"]
    # Länsöversikt keeps years and quarters
    assert "2024-01" not in [o["value"] for o in lan_period_options(snap, "05")]
