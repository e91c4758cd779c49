"""Kolada's kommun groups ("liknande kommuner") as an optional reference, where an indicator chooses one.

Kolada's data answer holds the groups' values beside riket, the län and the kommuner (the recorded
page 2 in tests/fixtures/kolada/ has the group G36186, 2024 T: 59,0). They are kept only for the
groups an indicator names under `kolada: groups:`.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from metrics.catalogue.loader import load_catalogue
from metrics.dashboard.logic.references import national_reference
from metrics.dashboard.logic.riket import kolada_columns
from metrics.errors import CatalogueError
from metrics.kolada.fetch import fetch_api, read_file
from tests.test_kolada import CATALOGUE, FIXTURES, client, db, routes_for_first_fetch, stored  # noqa: F401

WHEN = datetime(2026, 12, 2, 9, 30)


def catalogue_with(tmp_path: Path, kolada: str) -> Path:
    path = tmp_path / "indicators.yaml"
    path.write_text(CATALOGUE.replace("    kolada: N99901\n", f"    kolada: {kolada}\n"), encoding="utf-8")
    return path


def test_the_catalogue_names_groups_and_refuses_other_ids(tmp_path: Path) -> None:
    good = load_catalogue(catalogue_with(tmp_path, "{kpi: N99901, groups: [G36186]}")).catalogue
    ref = good.indicator("fast_lakarkontakt").kolada
    assert ref is not None and ref.groups == ("G36186",)
    with pytest.raises(CatalogueError) as excinfo:
        load_catalogue(catalogue_with(tmp_path, "{kpi: N99901, groups: ['0580']}"), strict=True)
    # the offending id is named, on the indicator's kolada line (15 in CATALOGUE)
    (problem,) = excinfo.value.problems
    assert problem.line == 15
    assert "kolada.groups: '0580' är inget kommungrupps-id i Kolada" in problem.message
    with pytest.raises(CatalogueError, match=r"kolada.groups ska vara en lista med Koladas kommungrupps-id"):
        load_catalogue(catalogue_with(tmp_path, "{kpi: N99901, groups: {G1: 1}}"), strict=True)


def test_a_chosen_group_is_fetched_and_stored_from_the_recorded_answer(db, tmp_path: Path) -> None:  # noqa: F811
    catalog = catalogue_with(tmp_path, "{kpi: N99901, groups: [G36186]}")
    indicators = load_catalogue(catalog).catalogue.indicators
    (report,) = fetch_api(
        db, indicators, client(routes_for_first_fetch()), today=date(2024, 12, 31), now=lambda: WHEN
    )
    values = stored(db)
    # the 11 values of riket, län and Linköping (test_kolada) and the group's 2024 T: 59,0
    assert len(values) == 12
    assert values[("G36186", 2024, "T")] == 59.0
    row = db.execute(
        "SELECT area_level, area_code FROM kolada_reference WHERE kolada_id = 'G36186'"
    ).fetchone()
    assert row == ("grupp", "G36186")
    assert report.areas["grupp"] == 1
    assert "(1 riket, 2 län, 1 kommun, 1 kommungrupp)" in report.line()


def test_an_unchosen_group_is_left_out_of_a_file_too(db, tmp_path: Path) -> None:  # noqa: F811
    plain = load_catalogue(catalogue_with(tmp_path, "N99901")).catalogue.indicators
    _, notes = read_file(db, plain, FIXTURES / "data_N99901_page2.json", now=lambda: WHEN)
    assert ("G36186", 2024, "T") not in stored(db)
    assert any("kommungrupper som ingen indikator väljer" in n for n in notes)
    chosen = load_catalogue(catalogue_with(tmp_path, "{kpi: N99901, groups: [G36186]}")).catalogue.indicators
    read_file(db, chosen, FIXTURES / "data_N99901_page2.json", now=lambda: WHEN)
    assert stored(db)[("G36186", 2024, "T")] == 59.0


def test_the_indicator_page_and_its_download_show_the_group(db, tmp_path: Path) -> None:  # noqa: F811
    catalog = catalogue_with(tmp_path, "{kpi: N99901, groups: [G36186]}")
    indicator = load_catalogue(catalog).catalogue.indicator("fast_lakarkontakt")
    for page in ("data_N99901_page1.json", "data_N99901_page2.json"):
        read_file(db, [indicator], FIXTURES / page, now=lambda: WHEN)
    rows = db.execute(
        "SELECT kpi, area_level, area_code, year, gender, value, kpi_title, publication_date, source, "
        "fetched_at FROM kolada_reference"
    ).df()
    ref = national_reference(rows, indicator, "05", "Östergötlands län")
    assert ref is not None
    assert [line.text for line in ref.lines] == [
        "Riket enligt Kolada: 63,2\u00a0% (Kolada N99901, 2024, hämtad 2026-12-02)",
        "Östergötlands län enligt Kolada: 58,9\u00a0% (Kolada N99901, 2024, hämtad 2026-12-02)",
        "Kommungrupp G36186 enligt Kolada: 59,0\u00a0% (Kolada N99901, 2024, hämtad 2026-12-02)",
    ]
    columns = kolada_columns(rows, indicator, "05", pd.Series(["2024", "2023"]))
    # the group has 2024 only; riket and Östergötland are on page 1, the group on page 2
    assert columns["Kommungrupp G36186 enligt Kolada"].iloc[0] == 59.0
    assert pd.isna(columns["Kommungrupp G36186 enligt Kolada"].iloc[1])
    assert columns["Kolada-källa"].tolist() == [
        "data_N99901_page1.json; data_N99901_page2.json",
        "data_N99901_page1.json",
    ]
