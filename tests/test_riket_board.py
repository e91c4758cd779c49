"""Riket on the board: computed only where every län is delivered, else Kolada's riket, named so.

The logic tests use hand-built results; the page tests the session's demo (Östergötland and
Jämtland: two of 21 län).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

import duckdb
import pandas as pd
import pytest

from metrics.catalogue.model import KoladaReference
from metrics.dashboard.logic.riket import (
    KOLADA_RIKET,
    latest_riket_reference,
    overview_frame,
    riket_cells,
    riket_overview,
    riket_reference,
)
from metrics.geography import RIKET, load_geography
from tests.indicator_cases import core_catalogue

LANS = sorted(load_geography().lan)


@pytest.fixture(scope="module")
def indicator():
    plain = core_catalogue().indicator("fast_lakarkontakt")  # a share in % with one decimal
    return dataclasses.replace(plain, kolada=KoladaReference("N99901"))


def _row(code: str, level: str, num: float | None, den: float | None, **extra: object) -> dict[str, object]:
    value = None if num is None or den is None else num / den * 100
    return {
        "indicator": "fast_lakarkontakt",
        "area_code": code,
        "area_level": level,
        "period": "2024",
        "breakdown": "total",
        "value": value,
        "suppressed": False,
        "missing": False,
        **extra,
    }


def results_for(lans: list[str], *, missing_kommun: bool = False, riket: bool = True) -> pd.DataFrame:
    # Län number i (1..) has numerator 10·i of denominator 100·i (10 %) – except the first,
    # 50 of 100 (50 %). With all 21 län: Σ numerators = 50 + 10·(2 + … + 21) = 50 + 10·230 = 2 350,
    # Σ denominators = 100 + 100·230 = 23 100 → riket 2 350 / 23 100 = 10,173… %.
    rows = []
    for i, code in enumerate(lans, start=1):
        num, den = (50, 100) if i == 1 else (10 * i, 100 * i)
        rows.append(_row(code, "lan", num, den))
    total_num = sum(50 if i == 1 else 10 * i for i in range(1, len(lans) + 1))
    total_den = sum(100 * i for i in range(1, len(lans) + 1))
    if riket:  # compute writes none unless all 21 län are delivered; an older database may have it
        rows.append(_row(RIKET, "riket", total_num, total_den))
    if missing_kommun:
        rows.append(_row("0580", "kommun", None, None, missing=True))
    return pd.DataFrame(rows)


def kolada_rows() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "kpi": "N99901",
                "area_level": "riket",
                "area_code": RIKET,
                "year": 2024,
                "gender": "T",
                "value": 63.2,
                "kpi_title": "Andel (%)",
                "publication_date": None,
                "source": "data_N99901_page1.json",
                "fetched_at": datetime(2026, 12, 2, 9, 30),
            }
        ]
    )


def test_riket_computed_from_all_21_lan_is_called_riket(indicator) -> None:
    results = results_for(LANS)
    cell = riket_cells(results, "fast_lakarkontakt")["2024"]
    assert cell.whole_country and len(cell.lans) == 21
    ref = riket_reference(results, kolada_rows(), indicator, "2024")
    assert ref is not None and ref.computed
    # 2 350 / 23 100 = 10,17 % → one decimal: 10,2 %
    assert ref.text(indicator) == "Riket: 10,2\u00a0% (mätavlan, alla 21 län)"


def test_with_two_lan_the_board_shows_riket_according_to_kolada(indicator) -> None:
    results = results_for(["05", "23"])
    cell = riket_cells(results, "fast_lakarkontakt")["2024"]
    assert not cell.whole_country and cell.lans == ("05", "23")
    ref = riket_reference(results, kolada_rows(), indicator, "2024")
    assert ref is not None and not ref.computed and ref.label == KOLADA_RIKET
    assert ref.text(indicator) == "Riket enligt Kolada: 63,2\u00a0% (Kolada N99901, 2024, hämtad 2026-12-02)"
    # no Kolada value: no riket at all (the sum of two län is not Sweden)
    assert riket_reference(results, kolada_rows().iloc[:0], indicator, "2024") is None
    # a quarter has no Kolada value
    assert riket_reference(results, kolada_rows(), indicator, "2024-Q1") is None


def test_all_21_lan_but_a_missing_kommun_is_not_the_whole_country(indicator) -> None:
    results = results_for(LANS, missing_kommun=True)
    assert not riket_cells(results, "fast_lakarkontakt")["2024"].whole_country
    ref = riket_reference(results, kolada_rows(), indicator, "2024")
    assert ref is not None and ref.label == KOLADA_RIKET
    assert latest_riket_reference(results, kolada_rows(), indicator) == ("2024", ref)


def test_the_overview_lists_riket_and_every_lan_and_the_download_names_the_source(indicator) -> None:
    results = results_for(["05", "23"], riket=False)  # as compute writes two län: no riket rows
    rows = riket_overview(results, kolada_rows(), [indicator], "2024")
    assert len(rows) == 1
    row = rows[0]
    # Östergötland (first): 50 / 100 = 50 %; Jämtland (second): 20 / 200 = 10 %
    assert row.lans == {"05": 50.0, "23": 10.0}
    assert row.coverage == ""  # no computed riket cell
    frame = overview_frame(rows, {"23": "Jämtlands län", "05": "Östergötlands län"})
    record = frame.iloc[0]
    assert record["Riket"] == 63.2
    assert record["Riket, källa"] == "Riket enligt Kolada (Kolada N99901, 2024, hämtad 2026-12-02)"
    assert record["Östergötlands län"] == 50.0 and record["Jämtlands län"] == 10.0
    assert "Levererade län sammanlagt" not in frame.columns  # no sum of two län is published


# --- the demo: two län ----------------------------------------------------------------------------


def test_the_demo_of_two_lan_has_no_riket_rows(demo_database) -> None:
    # riket only where all 21 län are delivered (metrics.compute.riket); see test_riket_disclosure
    con = duckdb.connect(str(demo_database.db_path), read_only=True)
    try:
        lans = con.execute(
            "SELECT count(DISTINCT area_code) FROM results WHERE area_level = 'lan' AND NOT missing"
        ).fetchone()
        riket = con.execute("SELECT count(*) FROM results WHERE area_level = 'riket'").fetchone()
    finally:
        con.close()
    assert lans == (2,) and riket == (0,)


def test_the_riket_page_lists_sweden_and_the_demo_lan(demo_database) -> None:
    from metrics.dashboard.server import create_app

    app = create_app(db_path=demo_database.db_path, catalog_path=demo_database.catalog_path)
    from metrics.dashboard.pages import riket

    with app.server.test_request_context("/riket"):
        page = str(riket.render("2024"))
    assert "Riket och länen" in page
    assert "Jämtlands län" in page and "Östergötlands län" in page
    assert "Mätavlan har data från 2 av 21 län" in page
    # the demo's catalogue names no Kolada KPI and computes no riket: a dash, "inget riket"
    assert "inget riket" in page and "data från 2 av 21 län)" not in page
    assert "räknar därför inte fram riket" in page and "`" not in page


# --- the indicator page's downloads carry the Kolada reference -------------------------------------


def test_the_indicator_download_has_kolada_riket_and_lan_with_source(tmp_path) -> None:
    from metrics.dashboard.server import create_app
    from tests.test_kolada_board import build_db, catalogue_with, store_fixtures

    db = build_db(tmp_path / "m.duckdb")
    catalog = catalogue_with(tmp_path, "N99901")
    store_fixtures(db, catalog, "data_N99901_page1.json", "data_N99901_page2.json")
    app = create_app(db_path=db, catalog_path=catalog)
    from metrics.dashboard.pages import indikator
    from metrics.dashboard.source.context import indicator_or_none

    with app.server.test_request_context("/"):
        ind = indicator_or_none("fast_lakarkontakt")
        assert ind is not None
        plain = indikator.data_frame(ind, "05", "year")
        frame = indikator.data_frame(ind, "05", "year", with_references=True)
    assert "Riket enligt Kolada" not in plain.columns  # the grid on the page stays as it was
    lan = frame[frame["Nivå"] == "Län"].set_index("Period")
    # the fixture's page 1: riket 2023 61,8 and 2024 63,2; Östergötland (0005) 57,5 and 58,9
    assert lan.loc["2024", "Riket enligt Kolada"] == 63.2
    assert lan.loc["2024", "Länet enligt Kolada"] == 58.9
    assert lan.loc["2023", "Riket enligt Kolada"] == 61.8
    assert lan.loc["2023", "Länet enligt Kolada"] == 57.5
    assert lan.loc["2024", "Kolada-nyckeltal"] == "N99901 (T)"
    assert lan.loc["2024", "Kolada-källa"] == "data_N99901_page1.json"
    assert lan.loc["2024", "Kolada hämtad"] == "2026-12-02"
    # the län's own values are unchanged beside them (test_dashboard_data: 2024 45,0 %)
    assert lan.loc["2024", frame.columns[4]] == pytest.approx(45.0)


def test_kolada_columns_are_empty_for_quarters(indicator) -> None:
    from metrics.dashboard.logic.riket import kolada_columns

    columns = kolada_columns(kolada_rows(), indicator, "05", pd.Series(["2024", "2024-Q1", "2023"]))
    assert columns["Riket enligt Kolada"].tolist()[:1] == [63.2]
    assert pd.isna(columns["Riket enligt Kolada"].iloc[1]) and pd.isna(columns["Riket enligt Kolada"].iloc[2])
    assert columns["Kolada-källa"].tolist() == ["data_N99901_page1.json", "", ""]


def test_a_lan_sees_itself_against_computed_riket_when_all_21_lan_are_delivered(tmp_path) -> None:
    from metrics.dashboard.server import create_app
    from metrics.db import connect
    from tests.test_dashboard_data import CATALOGUE, INSERT_RESULT, build_db
    from tests.test_kolada_board import texts

    db = build_db(tmp_path / "m.duckdb")  # Östergötland 2024: 4 500 of 10 000 = 45,0 %
    con = connect(db)
    # The other 20 län 2024: 1 000 of 4 000 each (25,0 %). Riket 2024: 4 500 + 20 · 1 000 = 24 500
    # of 10 000 + 20 · 4 000 = 90 000 → 27,22… % → 27,2 %
    others = [code for code in LANS if code != "05"]
    for code, level, num, den in [*((c, "lan", 1000, 4000) for c in others), (RIKET, "riket", 24500, 90000)]:
        con.execute(
            INSERT_RESULT + "(?, ?, ?, '2024', 'year', DATE '2024-01-01', 'total', NULL, NULL, ?, ?, ?, "
            "NULL, NULL, false, NULL)",
            ["fast_lakarkontakt", code, level, num, den, num / den * 100],
        )
    con.close()
    app = create_app(db_path=db, catalog_path=CATALOGUE)
    from metrics.dashboard.pages import indikator
    from metrics.dashboard.source.context import indicator_or_none

    with app.server.test_request_context("/"):
        ind = indicator_or_none("fast_lakarkontakt")
        assert ind is not None
        page = "\n".join(texts(indikator.render(ind, "05", "2024", [])))
        table = indikator.data_frame(ind, "05", "year")
    assert "Nationell referens" in page
    assert "Riket: 27,2\u00a0% (mätavlan, 2024, summan av alla 21 län)" in page
    riket_rows = table[table["Nivå"] == "Riket"]
    assert riket_rows["Område"].tolist() == ["Riket"] and riket_rows["Period"].tolist() == ["2024"]
    assert table["Nivå"].iloc[0] == "Riket"  # riket first, then the län, then its kommuner
