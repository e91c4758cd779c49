"""Kolada's kommun groups ("liknande kommuner") as an optional reference, where an indicator chooses one.

Kolada's data answer holds the groups' values beside riket, the län and the kommuner (the recorded
page 2 in tests/fixtures/kolada/ has the group G36186, 2024 T: 59,0). They are kept only for the
groups an indicator names under `kolada: groups:`. Each chosen group's title and members come
from `/v3/municipality_groups/{ids}`, recorded in the shape the sources document (see
tests/fixtures/kolada/README.md and metrics/kolada/groups.py: RKA's API description on GitHub,
rKolada's `member_id`/`member_title`, koladapy's `values[0]` and `next_url` paging).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from metrics.catalogue.loader import load_catalogue
from metrics.dashboard.logic.references import KoladaGroup, national_reference
from metrics.dashboard.logic.riket import group_name, kolada_columns
from metrics.dashboard.source.references import read_groups
from metrics.errors import CatalogueError
from metrics.kolada.client import KoladaError, Response, TransportError
from metrics.kolada.fetch import fetch_api, read_file
from metrics.kolada.groups import parse_group, store_groups
from tests.test_kolada import (  # noqa: F401
    BASE,
    CATALOGUE,
    FIXTURES,
    KPI,
    client,
    db,
    recorded,
    routes_for_first_fetch,
    stored,
)

GROUP = f"{BASE}/municipality_groups/G36186?per_page=5000"
TWO_GROUPS = f"{BASE}/municipality_groups/G36186,G36187?per_page=5000"
TITLE = "Större städer, hälso- och sjukvård"  # G36186's title in the recorded answer
Routes = dict[str, list[Response | TransportError]]

WHEN = datetime(2026, 12, 2, 9, 30)


def reference_rows(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The stored reference values as the board reads them (metrics.dashboard.source.references)."""
    return con.execute(
        "SELECT kpi, area_level, area_code, year, gender, value, kpi_title, publication_date, source, "
        "fetched_at FROM kolada_reference"
    ).df()


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
    routes: Routes = {**routes_for_first_fetch(), GROUP: [recorded("municipality_groups_G36186.json")]}
    (report,) = fetch_api(db, indicators, client(routes), today=date(2024, 12, 31), now=lambda: WHEN)
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
    rows = reference_rows(db)
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


# --- the groups' titles and members ---------------------------------------------------------------


def test_the_groups_titles_and_members_are_fetched_through_every_page_and_stored(
    db,  # noqa: F811
    tmp_path: Path,
) -> None:
    catalog = catalogue_with(tmp_path, "{kpi: N99901, groups: [G36187, G36186]}")
    indicators = load_catalogue(catalog).catalogue.indicators
    routes: Routes = {
        **routes_for_first_fetch(),
        TWO_GROUPS: [recorded("municipality_groups_G36186_G36187_page1.json")],
        f"{TWO_GROUPS}&page=2": [recorded("municipality_groups_G36186_G36187_page2.json")],
    }
    fake = client(routes)
    said: list[str] = []
    fetch_api(db, indicators, fake, today=date(2024, 12, 31), now=lambda: WHEN, groups_stored=said.append)
    # the groups are asked first, both in one request (ids sorted), then the next page it names
    assert fake.requests[:2] == [TWO_GROUPS, f"{TWO_GROUPS}&page=2"]
    groups = db.execute(
        "SELECT group_id, title, members, source, fetched_at FROM kolada_groups ORDER BY 1"
    ).fetchall()
    assert groups == [
        ("G36186", TITLE, 7, TWO_GROUPS, WHEN),  # on page 1: 7 members
        ("G36187", "Glesbygdskommuner, hälso- och sjukvård", 3, f"{TWO_GROUPS}&page=2", WHEN),
    ]
    members = db.execute(
        "SELECT kolada_id, title FROM kolada_group_members WHERE group_id = 'G36187' ORDER BY 1"
    ).fetchall()
    assert members == [("2313", "Strömsund"), ("2326", "Berg"), ("2361", "Härjedalen")]
    other = "Glesbygdskommuner, hälso- och sjukvård"
    assert said == [
        f"kommungrupp G36186 ”{TITLE}”: 7 kommuner; källa: {TWO_GROUPS}",
        f"kommungrupp G36187 ”{other}”: 3 kommuner; källa: {TWO_GROUPS}&page=2",
    ]


def test_a_group_kolada_does_not_know_stops_the_fetch_before_anything_is_stored(
    db,  # noqa: F811
    tmp_path: Path,
) -> None:
    catalog = catalogue_with(tmp_path, "{kpi: N99901, groups: [G36186]}")
    indicators = load_catalogue(catalog).catalogue.indicators
    routes: Routes = {**routes_for_first_fetch(), GROUP: [recorded("municipality_groups_none.json")]}
    fake = client(routes)
    with pytest.raises(KoladaError) as excinfo:
        fetch_api(db, indicators, fake, today=date(2024, 12, 31), now=lambda: WHEN)
    # named on the indicator's kolada line (15 in CATALOGUE), with the indicator
    assert str(excinfo.value).startswith(
        "indicators.yaml:15: Kolada har ingen kommungrupp G36186 (indikator fast_lakarkontakt)"
    )
    assert KPI not in fake.requests  # no KPI was asked, so no value was stored
    assert stored(db) == {}


def test_a_member_is_read_by_member_id_or_by_id() -> None:
    # rKolada's v3 shape (member_id/member_title) and RKA's README drawing (id/title) read alike;
    # a member without an id is left out, one listed twice is kept once
    group = parse_group(
        {
            "id": "g1",
            "title": " Testgrupp ",
            "members": [
                {"member_id": "0580", "member_title": "Linköping"},
                {"id": "0581", "title": "Norrköping"},
                {"member_title": "utan id"},
                {"member_id": "0580", "member_title": "Linköping"},
            ],
        },
        "u",
    )
    assert group is not None
    assert (group.group_id, group.title) == ("G1", "Testgrupp")
    assert group.members == (("0580", "Linköping"), ("0581", "Norrköping"))
    assert parse_group({"title": "utan id"}, "u") is None


def test_the_group_is_named_by_its_title_and_its_members_are_listed(
    db,  # noqa: F811
    tmp_path: Path,
) -> None:
    catalog = catalogue_with(tmp_path, "{kpi: N99901, groups: [G36186]}")
    indicator = load_catalogue(catalog).catalogue.indicator("fast_lakarkontakt")
    for page in ("data_N99901_page1.json", "data_N99901_page2.json"):
        read_file(db, [indicator], FIXTURES / page, now=lambda: WHEN)
    group = parse_group(json.loads(recorded("municipality_groups_G36186.json").body)["values"][0], GROUP)
    assert group is not None
    path = tmp_path / "groups.duckdb"
    con = duckdb.connect(str(path))
    store_groups(con, [group], WHEN)
    con.close()
    groups = read_groups(path)
    assert list(groups) == ["G36186"]
    rows = reference_rows(db)
    ref = national_reference(rows, indicator, "05", "Östergötlands län", groups)
    assert ref is not None
    name = f"Liknande kommuner: {TITLE} (Kolada, grupp G36186)"
    assert ref.lines[-1].text == f"{name}: 59,0\u00a0% (Kolada N99901, 2024, hämtad 2026-12-02)"
    # the 7 members in Swedish order (Ö last), from the recorded answer
    assert ref.groups == [
        f"{name} består av Gävle, Jönköping, Linköping, Norrköping, Umeå, Västerås, Örebro "
        f"(7 kommuner enligt Kolada, {GROUP}, hämtad 2026-12-02)"
    ]
    columns = kolada_columns(rows, indicator, "05", pd.Series(["2024"]), {"G36186": TITLE})
    assert columns[name].tolist() == [59.0]


def test_a_title_that_says_liknande_kommuner_is_not_said_twice_and_no_title_keeps_the_id() -> None:
    assert (
        group_name("G1", "Liknande kommuner, äldreomsorg")
        == "Liknande kommuner, äldreomsorg (Kolada, grupp G1)"
    )
    assert group_name("G1", "Större städer") == "Liknande kommuner: Större städer (Kolada, grupp G1)"
    assert group_name("G1", None) == "Kommungrupp G1 enligt Kolada"


def test_a_group_not_fetched_is_named_by_its_id_and_lists_no_members(db, tmp_path: Path) -> None:  # noqa: F811
    catalog = catalogue_with(tmp_path, "{kpi: N99901, groups: [G36186]}")
    indicator = load_catalogue(catalog).catalogue.indicator("fast_lakarkontakt")
    read_file(db, [indicator], FIXTURES / "data_N99901_page2.json", now=lambda: WHEN)
    rows = reference_rows(db)
    other = {"G1": KoladaGroup("G1", "Annan grupp", ("Berg",), "u", WHEN)}  # another group's title
    ref = national_reference(rows, indicator, "05", "Östergötlands län", other)
    assert ref is not None
    assert ref.lines[-1].name == "Kommungrupp G36186 enligt Kolada"
    assert ref.groups == []


def test_a_404_on_the_groups_request_points_at_the_group_ids_not_the_kpi(
    db,  # noqa: F811
    tmp_path: Path,
) -> None:
    # Kolada answering 404 on /municipality_groups/G36186: the hint must name what to check,
    # the group ids under kolada: groups:, not the KPI's id; nothing is stored
    catalog = catalogue_with(tmp_path, "{kpi: N99901, groups: [G36186]}")
    indicators = load_catalogue(catalog).catalogue.indicators
    routes: Routes = {**routes_for_first_fetch(), GROUP: [Response(404, b"", {})]}
    with pytest.raises(KoladaError) as excinfo:
        fetch_api(db, indicators, client(routes), today=date(2024, 12, 31), now=lambda: WHEN)
    text = str(excinfo.value)
    assert f"Kolada känner inte till adressen {GROUP} (HTTP 404)" in text
    assert "kommungruppernas id under kolada: groups:" in text
    assert "nyckeltalets id" not in text
    assert stored(db) == {}


def test_a_groups_page_2_that_fails_keeps_the_groups_stored_before_whole(
    db,  # noqa: F811
    tmp_path: Path,
) -> None:
    # Stored once from both pages (G36186: 7 members on page 1, G36187: 3 on page 2); a later run
    # whose page 2 times out (4 tries) must neither replace G36186 from page 1 alone nor drop G36187.
    catalog = catalogue_with(tmp_path, "{kpi: N99901, groups: [G36187, G36186]}")
    indicators = load_catalogue(catalog).catalogue.indicators
    page1 = recorded("municipality_groups_G36186_G36187_page1.json")
    page2 = recorded("municipality_groups_G36186_G36187_page2.json")
    first: Routes = {**routes_for_first_fetch(), TWO_GROUPS: [page1], f"{TWO_GROUPS}&page=2": [page2]}
    fetch_api(db, indicators, client(first), today=date(2024, 12, 31), now=lambda: WHEN)
    later = datetime(2026, 12, 3, 8, 0)
    failing: Routes = {TWO_GROUPS: [page1], f"{TWO_GROUPS}&page=2": [TransportError("timeout")] * 4}
    with pytest.raises(KoladaError, match="efter 4 försök"):
        fetch_api(db, indicators, client(failing), today=date(2024, 12, 31), now=lambda: later)
    assert db.execute("SELECT group_id, members, fetched_at FROM kolada_groups ORDER BY 1").fetchall() == [
        ("G36186", 7, WHEN),
        ("G36187", 3, WHEN),
    ]
    assert db.execute("SELECT count(*) FROM kolada_group_members").fetchone() == (10,)  # 7 + 3


def test_a_member_without_a_name_in_kolada_is_named_by_its_kommunkod(tmp_path: Path) -> None:
    # an answer whose members carry only an id (the shape is not Kolada-documented): 0580 and 2480
    # are Linköping and Umeå in SCB's kommun codes; an unknown code stays as it is
    group = parse_group(
        {"id": "G1", "title": "Testgrupp", "members": [{"id": "0580"}, {"id": "2480"}, {"id": "9999"}]}, "u"
    )
    assert group is not None
    path = tmp_path / "groups.duckdb"
    con = duckdb.connect(str(path))
    store_groups(con, [group], WHEN)
    con.close()
    assert read_groups(path)["G1"].members == ("Linköping", "Umeå", "9999")
