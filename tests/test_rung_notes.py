"""The publishing ladder on the board: an indicator published on a coarser rung for kommuner
(docs/disclosure.md, "The publishing ladder") says which kommun values are not published and why,
instead of showing them as "saknas" (which means the kommun did not deliver).

Rungs: 1 no kommun months; 2 also no kommun quarters by sex and age band; 3 only years per kommun;
4 no kommun values at all (only län and areas).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from metrics.dashboard.logic.rung_notes import ladder_note, rung_note, rungs

MONTHS = (
    "Månadsvärden per kommun visas inte för den här indikatorn: röjandekontrollen kunde inte "
    "bevisa skyddet av så fin indelning – se kvartal."
)
QUARTER_BREAKDOWNS = (
    "Kvartalsvärden per kön och åldersgrupp visas inte per kommun för den här indikatorn: "
    "röjandekontrollen kunde inte bevisa skyddet av så fin indelning – välj år."
)
YEARS_ONLY = (
    "Bara årsvärden visas per kommun för den här indikatorn: röjandekontrollen kunde inte "
    "bevisa skyddet av så fin indelning – se år."
)
NONE_AT_ALL = (
    "Inga kommunvärden visas för den här indikatorn, bara län och områden: röjandekontrollen "
    "kunde inte bevisa skyddet av kommunernas värden."
)


# (rung, period type, breakdown) → the note; worked out from the ladder's definition above
@pytest.mark.parametrize(
    ("rung", "period_type", "breakdown", "expected"),
    [
        # rung 0: the catalogue's own rule only – nothing for the ladder to say
        (0, "month", "total", None),
        (0, "quarter", "sex", None),
        (0, "year", "total", None),
        # rung 1: only the months go
        (1, "month", "total", MONTHS),
        (1, "month", "sex", MONTHS),
        (1, "quarter", "total", None),
        (1, "quarter", "age_band", None),
        (1, "year", "sex", None),
        # rung 2: months, and quarters by sex and age band; quarter totals stay
        (2, "month", "total", MONTHS),
        (2, "month", "age_band", MONTHS),
        (2, "quarter", "total", None),
        (2, "quarter", "sex", QUARTER_BREAKDOWNS),
        (2, "quarter", "age_band", QUARTER_BREAKDOWNS),
        (2, "year", "sex", None),
        # rung 3: only years per kommun, with their breakdowns
        (3, "month", "total", YEARS_ONLY),
        (3, "quarter", "total", YEARS_ONLY),
        (3, "quarter", "sex", YEARS_ONLY),
        (3, "year", "total", None),
        (3, "year", "age_band", None),
        # rung 4: no kommun values whatever the choice
        (4, "month", "total", NONE_AT_ALL),
        (4, "quarter", "sex", NONE_AT_ALL),
        (4, "year", "total", NONE_AT_ALL),
        (4, "year", "age_band", NONE_AT_ALL),
    ],
)
def test_each_rung_names_what_is_not_published_for_the_chosen_period_and_breakdown(
    rung: int, period_type: str, breakdown: str, expected: str | None
) -> None:
    assert rung_note(rung, period_type, breakdown) == expected


def test_the_notes_never_say_the_values_are_missing() -> None:
    # "saknas" means the kommun did not deliver; withheld values were delivered
    for note in (MONTHS, QUARTER_BREAKDOWNS, YEARS_ONLY, NONE_AT_ALL):
        assert "saknas" not in note


def test_the_rungs_are_read_from_computes_audit_record() -> None:
    record = json.dumps({"passed": True, "ladder": {"digitala_kontakter": 4, "aterinskrivning_30d_65": 1}})
    ladder = rungs(record)
    assert ladder == {"digitala_kontakter": 4, "aterinskrivning_30d_65": 1}
    assert rungs(None) == {} and rungs(json.dumps({"passed": True})) == {}  # before the ladder
    assert ladder_note(ladder, "digitala_kontakter", "year") == NONE_AT_ALL
    assert ladder_note(ladder, "aterinskrivning_30d_65", "month") == MONTHS
    assert ladder_note(ladder, "fast_lakarkontakt", "month") is None  # not on the ladder: rung 0


def _board_with_a_ladder(tmp_path: Path) -> Path:
    """tests/test_dashboard_data.py's Östergötland (kommuner 0512 Ydre, 0580 Linköping, 0581
    Norrköping), as compute would publish it with fast_lakarkontakt on rung 4 and
    aterinskrivning_30d_65 on rung 2."""
    import duckdb

    from metrics.db import set_meta
    from tests.test_dashboard_data import INSERT_RESULT, build_db

    db = build_db(tmp_path / "results.duckdb")
    con = duckdb.connect(str(db))
    # rung 4: no kommun cells of fast_lakarkontakt; the län's and the närsjukvårdsområden's stay
    con.execute("DELETE FROM results WHERE indicator = 'fast_lakarkontakt' AND area_level = 'kommun'")
    con.execute(
        INSERT_RESULT + "('fast_lakarkontakt', 'nso_central', 'narsjukvardsomrade', '2024', 'year', "
        "'2024-01-01', 'total', NULL, NULL, 2800, 5600, 50.0, 48.7, 51.3, false, NULL), "
        "('fast_lakarkontakt', 'nso_vast', 'narsjukvardsomrade', '2024', 'year', "
        "'2024-01-01', 'total', NULL, NULL, 1200, 3000, 40.0, 38.2, 41.8, false, NULL), "
        "('fast_lakarkontakt', 'nso_ost', 'narsjukvardsomrade', '2024', 'year', "
        "'2024-01-01', 'total', NULL, NULL, 1750, 5000, 35.0, 33.7, 36.3, false, NULL)"
    )
    # the län's values by sex in 2024 (län cells stay on every rung)
    con.execute(
        INSERT_RESULT + "('fast_lakarkontakt', '05', 'lan', '2024', 'year', '2024-01-01', 'sex', 'K', NULL, "
        "2300, 5000, 46.0, 44.6, 47.4, false, NULL), "
        "('fast_lakarkontakt', '05', 'lan', '2024', 'year', '2024-01-01', 'sex', 'M', NULL, "
        "2200, 5000, 44.0, 42.6, 45.4, false, NULL)"
    )
    # rung 2: the län's month, quarter and quarter by sex; Linköping's year and quarter total
    con.execute(
        INSERT_RESULT + "('aterinskrivning_30d_65', '05', 'lan', '2024-03', 'month', '2024-03-01', "
        "'total', NULL, NULL, 30, 200, 15.0, 10.4, 20.7, false, NULL), "
        "('aterinskrivning_30d_65', '05', 'lan', '2024', 'year', '2024-01-01', "
        "'total', NULL, NULL, 360, 2400, 15.0, 13.6, 16.5, false, NULL), "
        "('aterinskrivning_30d_65', '0580', 'kommun', '2024', 'year', '2024-01-01', "
        "'total', NULL, NULL, 120, 1000, 12.0, 10.1, 14.2, false, NULL), "
        "('aterinskrivning_30d_65', '05', 'lan', '2024-Q1', 'quarter', '2024-01-01', "
        "'total', NULL, NULL, 90, 600, 15.0, 12.4, 18.0, false, NULL), "
        "('aterinskrivning_30d_65', '05', 'lan', '2024-Q1', 'quarter', '2024-01-01', "
        "'sex', 'K', NULL, 48, 300, 16.0, 12.3, 20.5, false, NULL), "
        "('aterinskrivning_30d_65', '0580', 'kommun', '2024-Q1', 'quarter', '2024-01-01', "
        "'total', NULL, NULL, 30, 250, 12.0, 8.6, 16.6, false, NULL)"
    )
    # an indicator on rung 0 keeps the three kommuner on the board (its columns come from results)
    con.execute(
        INSERT_RESULT + "('kontinuitet_lakare', '05', 'lan', '2024', 'year', '2024-01-01', 'total', "
        "NULL, NULL, NULL, NULL, 0.30, NULL, NULL, false, NULL), "
        "('kontinuitet_lakare', '0512', 'kommun', '2024', 'year', '2024-01-01', 'total', "
        "NULL, NULL, NULL, NULL, 0.28, NULL, NULL, false, NULL), "
        "('kontinuitet_lakare', '0580', 'kommun', '2024', 'year', '2024-01-01', 'total', "
        "NULL, NULL, NULL, NULL, 0.31, NULL, NULL, false, NULL), "
        "('kontinuitet_lakare', '0581', 'kommun', '2024', 'year', '2024-01-01', 'total', "
        "NULL, NULL, NULL, NULL, 0.29, NULL, NULL, false, NULL)"
    )
    ladder = {"fast_lakarkontakt": 4, "aterinskrivning_30d_65": 2}
    set_meta(con, "audit", json.dumps({"passed": True, "check": "snabbkontroll", "ladder": ladder}))
    con.close()
    return db


@pytest.fixture()
def app(tmp_path: Path):  # type: ignore[no-untyped-def]
    from metrics.dashboard.server import create_app
    from tests.test_dashboard_data import CATALOGUE

    return create_app(db_path=_board_with_a_ladder(tmp_path), catalog_path=CATALOGUE)


def _indicator(indicator_id: str):  # type: ignore[no-untyped-def]
    from metrics.dashboard.source.context import indicator_or_none

    found = indicator_or_none(indicator_id)
    assert found is not None
    return found


def test_the_kommun_page_says_what_the_ladder_does_not_publish(app) -> None:  # type: ignore[no-untyped-def]
    from metrics.dashboard.pages import kommun  # after the app: Dash registers the pages

    with app.server.test_request_context("/"):
        fast, readmissions = _indicator("fast_lakarkontakt"), _indicator("aterinskrivning_30d_65")
        # the profile row of fast_lakarkontakt says why, not "Ingen data för perioden"
        profile = str(kommun.render("0580", "2024"))
        assert profile.count(NONE_AT_ALL) == 1
        # its trend and breakdowns: the note once, and no "saknas" (= not delivered) anywhere,
        # not even in the hover of an empty kommun line
        trend = str(kommun.render_trend("0580", "2024", fast))
        assert trend.count(NONE_AT_ALL) == 1
        assert "saknas" not in trend
        # no empty Linköping line or bars: the län's line and its bars by sex (46,0 % and 44,0 %)
        assert "'name': 'Linköping'" not in trend
        assert "Tabell: Kön, Östergötlands län, 95 % KI" in trend and "46,0" in trend
        # rung 2: Linköping's months of readmissions are withheld
        months = str(kommun.render_trend("0580", "2024-03", readmissions))
        assert months.count(MONTHS) == 1
        assert "saknas" not in months
        # … its quarter total is drawn (12,0 %), its quarter by sex is not: the note, the län's bar
        quarter = str(kommun.render_trend("0580", "2024-Q1", readmissions))
        assert quarter.count(QUARTER_BREAKDOWNS) == 1 and MONTHS not in quarter
        assert quarter.count("'name': 'Linköping'") == 1  # the trend line only
        assert "12,0" in quarter and "16,0" in quarter
        # its years are all published
        assert "röjandekontrollen" not in str(kommun.render_trend("0580", "2024", readmissions))


def test_the_indicator_page_says_what_the_ladder_does_not_publish(app) -> None:  # type: ignore[no-untyped-def]
    from metrics.dashboard.pages import indikator

    with app.server.test_request_context("/"):
        fast, readmissions = _indicator("fast_lakarkontakt"), _indicator("aterinskrivning_30d_65")
        # the note, instead of facets holding the län's line alone and of an empty Linköping
        # series beside the län's bars by sex (46,0 % and 44,0 %)
        page = str(indikator.render(fast, "05", "2024", ["0580"]))
        assert page.count(NONE_AT_ALL) == 2  # facets, breakdowns
        assert "indikator-facets" not in page
        assert "'name': 'Linköping'" not in page and "46,0" in page
        assert MONTHS in str(indikator.render(readmissions, "05", "2024-03", []))
        years = str(indikator.render(readmissions, "05", "2024", []))  # kommun years are published
        assert "röjandekontrollen" not in years and "indikator-facets" in years


def test_the_comparison_page_says_what_the_ladder_does_not_publish(app) -> None:  # type: ignore[no-untyped-def]
    from metrics.dashboard.pages import jamfor

    with app.server.test_request_context("/"):
        fast = _indicator("fast_lakarkontakt")
        # the note instead of three kommun bars "saknas"; the areas keep their values
        compared = str(jamfor.render("05", fast, "2024", []))
        assert compared.count(NONE_AT_ALL) == 1
        assert "saknas" not in compared
        assert "Närsjukvårdsområde Central 50,0" in compared  # 2 800 / 5 600 = 50,0 %


def test_the_board_says_once_across_the_kommun_columns_what_the_ladder_does_not_publish(
    tmp_path: Path,
) -> None:
    from metrics.catalogue.loader import load_catalogue
    from metrics.dashboard.logic.board import board, board_frame, board_rows
    from metrics.dashboard.logic.choices import kommuner_by_name
    from metrics.dashboard.source.data import read_snapshot
    from metrics.dashboard.views.board_table import board_table_html
    from tests.test_dashboard_data import CATALOGUE

    snap = read_snapshot(_board_with_a_ladder(tmp_path))
    cat = load_catalogue(CATALOGUE).catalogue
    row = board_rows(snap, cat, "05", "2024")["fast_lakarkontakt"]
    # the län keeps its 45,0 % (4 500 / 10 000); no kommun cell, each of which would say "saknas"
    assert row.value == 45.0 and row.cells == [] and row.withheld == NONE_AT_ALL
    sections = board(snap, cat, "05", "2024")
    page = board_table_html(sections, "05", "Östergötlands län", "2024", kommuner_by_name(snap, "05"), "/")
    fast = next(tr for tr in page.split("<tr") if "indikator/fast_lakarkontakt" in tr)
    assert fast.count(NONE_AT_ALL) == 1 and "saknas" not in fast
    assert 'colspan="3"' in fast  # across Ydre, Linköping and Norrköping
    frame = board_frame(sections, "Östergötlands län", "2024")
    fast_rows = frame[frame["Indikator-id"] == "fast_lakarkontakt"]
    assert fast_rows["Område"].drop_duplicates().tolist() == ["Östergötlands län"]
    assert set(fast_rows["Anmärkning"]) == {NONE_AT_ALL}
