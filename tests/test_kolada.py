"""Kolada as the national reference: catalogue key, client (no network), storage, file exports, CLI.

The client is driven by a fake transport that answers from the recorded responses in
tests/fixtures/kolada/ (see its README); no test opens a socket. The expected numbers are read
off the fixture files by hand.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from metrics.catalogue.loader import load_catalogue
from metrics.cli import main
from metrics.errors import CatalogueError
from metrics.kolada.areas import area_of
from metrics.kolada.client import KoladaClient, KoladaError, Response, TransportError
from metrics.kolada.fetch import fetch_api, read_file
from metrics.kolada.store import ensure_tables

FIXTURES = Path(__file__).parent / "fixtures" / "kolada"
BASE = "https://api.kolada.se/v3"
YEARS = ",".join(str(y) for y in range(2010, 2025))  # FIRST_YEAR 2010 to 'today' 2024-12-31
DATA = f"{BASE}/data/kpi/N99901/year/{YEARS}?per_page=5000"
PAGE2 = f"{DATA}&page=2"
KPI = f"{BASE}/kpi/N99901"


def recorded(name: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(status, (FIXTURES / name).read_bytes(), headers or {})


class FakeTransport:
    """Answers each URL from a queue of recorded responses (or raises a recorded failure)."""

    def __init__(self, routes: dict[str, list[Response | TransportError]]) -> None:
        self.routes = {url: list(answers) for url, answers in routes.items()}
        self.asked: list[str] = []

    def __call__(self, url: str, timeout: float) -> Response:
        self.asked.append(url)
        answers = self.routes.get(url)
        assert answers, f"unexpected request {url}"
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(answer, TransportError):
            raise answer
        return answer


def client(
    routes: dict[str, list[Response | TransportError]], sleeps: list[float] | None = None
) -> KoladaClient:
    waits = sleeps if sleeps is not None else []
    return KoladaClient(FakeTransport(routes), sleep=waits.append)


CATALOGUE = """\
version: 1
plan_areas:
  - {id: kontinuitet, title: Kontinuitet}
indicators:
  - id: fast_lakarkontakt
    title: Fast läkarkontakt
    description: Andel listade med fast läkarkontakt.
    plan_areas: [kontinuitet]
    source: listing
    numerator: {count: persons, where: named_gp}
    denominator: persons
    multiplier: 100
    unit: "%"
    direction: higher
    kolada: N99901
  - id: digitala
    title: Digitala kontakter
    description: Andel digitala kontakter.
    plan_areas: [kontinuitet]
    source: contacts
    numerator: {count: rows, where: "mode = 'video'"}
    denominator: rows
    multiplier: 100
    unit: "%"
    direction: neutral
"""


@pytest.fixture
def catalogue_path(tmp_path: Path) -> Path:
    path = tmp_path / "indicators.yaml"
    path.write_text(CATALOGUE, encoding="utf-8")
    return path


@pytest.fixture
def db() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    ensure_tables(con)
    yield con
    con.close()


def stored(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, int, str], float | None]:
    rows = con.execute("SELECT kolada_id, year, gender, value FROM kolada_reference").fetchall()
    return {(k, y, g): v for k, y, g, v in rows}


# --- the catalogue key ------------------------------------------------------------------------


def test_kolada_key_names_a_kpi_and_the_gender_shown(catalogue_path: Path) -> None:
    text = CATALOGUE.replace("kolada: N99901", "kolada: {kpi: n99901, gender: K}")
    catalogue_path.write_text(text, encoding="utf-8")
    indicator = load_catalogue(catalogue_path).catalogue.indicator("fast_lakarkontakt")
    assert indicator.kolada is not None
    assert (indicator.kolada.kpi, indicator.kolada.gender) == ("N99901", "K")
    assert load_catalogue(catalogue_path).catalogue.indicator("digitala").kolada is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "N9990",
            "indicators.yaml:15: indikator 'fast_lakarkontakt': kolada-nyckeltalet 'N9990' är inget giltigt",
        ),
        (
            "{kpi: N99901, gender: X}",
            "indicators.yaml:15: indikator 'fast_lakarkontakt': kolada.gender ska vara T",
        ),
        (
            "{kpi: N99901, kon: T}",
            "indicators.yaml:15: indikator 'fast_lakarkontakt': kolada: okänd nyckel 'kon'",
        ),
        ("[N99901]", "indicators.yaml:15: indikator 'fast_lakarkontakt': kolada ska vara ett nyckeltals-id"),
    ],
)
def test_a_wrong_kolada_key_is_named_with_its_line(catalogue_path: Path, value: str, message: str) -> None:
    catalogue_path.write_text(CATALOGUE.replace("kolada: N99901", f"kolada: {value}"), encoding="utf-8")
    with pytest.raises(CatalogueError) as exc:
        load_catalogue(catalogue_path, strict=True)
    assert any(str(p).startswith(message) for p in exc.value.problems), [str(p) for p in exc.value.problems]


def test_naming_a_kolada_kpi_does_not_make_results_look_out_of_date(catalogue_path: Path) -> None:
    from metrics.catalogue.fingerprint import definition_hash

    with_kpi = load_catalogue(catalogue_path).catalogue
    catalogue_path.write_text(CATALOGUE.replace("    kolada: N99901\n", ""), encoding="utf-8")
    without = load_catalogue(catalogue_path).catalogue
    assert definition_hash(with_kpi.indicator("fast_lakarkontakt"), with_kpi) == definition_hash(
        without.indicator("fast_lakarkontakt"), without
    )


# --- areas --------------------------------------------------------------------------------------


def test_kolada_area_ids_map_to_riket_lan_and_kommun() -> None:
    assert area_of("0000") == ("riket", "00")
    assert area_of("0005") == ("lan", "05")  # Region Östergötland
    assert area_of("0023") == ("lan", "23")  # Region Jämtland Härjedalen
    assert area_of("0580") == ("kommun", "0580")  # Linköping
    assert area_of("0026") is None  # no län 26
    assert area_of("G36186") is None  # a kommun group


# --- the client ---------------------------------------------------------------------------------


def test_values_follow_next_url_to_the_last_page() -> None:
    c = client({DATA: [recorded("data_N99901_page1.json")], PAGE2: [recorded("data_N99901_page2.json")]})
    pages = list(c.values("N99901", range(2010, 2025)))
    assert [p.url for p in pages] == [DATA, PAGE2]
    # page 1 has 4 records, page 2 has 4 (one of them a group)
    assert [len(p.values) for p in pages] == [4, 4]


def test_from_date_is_sent_and_years_go_in_chunks_of_25() -> None:
    years = ",".join(str(y) for y in range(1990, 2015))
    first = f"{BASE}/data/kpi/N99901/year/{years}?per_page=5000&from_date=2025-01-31"
    second = f"{BASE}/data/kpi/N99901/year/2015,2016?per_page=5000&from_date=2025-01-31"
    empty = recorded("data_empty.json")
    c = client({first: [empty], second: [empty]})
    # 1990–2016 is 27 years: 25 in the first request, 2 in the second
    assert list(c.values("N99901", range(1990, 2017), since=date(2025, 1, 31))) != []
    assert c.requests == [first, second]


def test_a_timeout_and_a_503_are_retried_with_growing_waits() -> None:
    sleeps: list[float] = []
    answers: list[Response | TransportError] = [
        TransportError("timeout"),
        Response(503, b"", {}),
        recorded("kpi_N99901.json"),
    ]
    c = client({KPI: answers}, sleeps)
    meta = c.kpi("N99901")
    assert meta is not None and meta["publication_date"] == "2025-04-30"
    assert sleeps == [2.0, 4.0]  # backoff 2 s × 2^attempt: 2, then 4
    assert len(c.requests) == 3


def test_429_waits_as_long_as_retry_after_says() -> None:
    sleeps: list[float] = []
    c = client({KPI: [Response(429, b"", {"Retry-After": "7"}), recorded("kpi_N99901.json")]}, sleeps)
    assert c.kpi("N99901") is not None
    assert sleeps == [7.0]  # max(2 s backoff, 7 s Retry-After)


def test_offline_gives_up_after_the_retries_with_a_swedish_message_naming_the_file_route() -> None:
    sleeps: list[float] = []
    c = client({KPI: [TransportError("offline", "Name or service not known")]}, sleeps)
    with pytest.raises(KoladaError) as exc:
        c.kpi("N99901")
    text = str(exc.value)
    assert "kunde inte hämta från Kolada efter 4 försök (ingen anslutning)" in text
    assert "matavla kolada --file" in text
    assert sleeps == [2.0, 4.0, 8.0]


def test_a_404_is_not_retried() -> None:
    c = client({KPI: [Response(404, b"", {})]})
    with pytest.raises(KoladaError, match="HTTP 404"):
        c.kpi("N99901")
    assert len(c.requests) == 1


def test_a_next_url_to_another_host_is_refused() -> None:
    page = Response(200, b'{"values": [], "next_url": "https://example.org/steal"}', {})
    c = client({DATA: [page]})
    with pytest.raises(KoladaError, match="annan adress"):
        list(c.values("N99901", range(2010, 2025)))


def test_the_real_transport_is_the_default_but_tests_never_use_it() -> None:
    from metrics.kolada.client import urllib_transport

    assert KoladaClient().transport is urllib_transport


# --- fetching and storing ------------------------------------------------------------------------


def routes_for_first_fetch() -> dict[str, list[Response | TransportError]]:
    return {
        KPI: [recorded("kpi_N99901.json")],
        DATA: [recorded("data_N99901_page1.json")],
        PAGE2: [recorded("data_N99901_page2.json")],
    }


def test_a_fetch_stores_riket_lan_and_kommun_values_with_provenance(db, catalogue_path: Path) -> None:
    indicators = load_catalogue(catalogue_path).catalogue.indicators
    when = datetime(2026, 12, 2, 9, 30)
    reports = fetch_api(
        db, indicators, client(routes_for_first_fetch()), today=date(2024, 12, 31), now=lambda: when
    )
    values = stored(db)
    # Read off the fixture pages: riket 2023 and 2024 in T, K and M (6), Östergötland 2023 and 2024 (2),
    # Jämtland 2023 and 2024 (2, 2024 without a value), Linköping 2024 (1); the group G36186 is left out.
    assert len(values) == 11
    assert values[("0000", 2024, "T")] == 63.2
    assert values[("0000", 2024, "K")] == 65.0
    assert values[("0005", 2024, "T")] == 58.9
    assert values[("0023", 2024, "T")] is None
    assert values[("0580", 2024, "T")] == 60.4
    assert ("G36186", 2024, "T") not in values
    row = db.execute(
        "SELECT area_level, area_code, kpi_title, publication_date, source, fetched_at FROM kolada_reference "
        "WHERE kolada_id = '0000' AND year = 2024 AND gender = 'T'"
    ).fetchone()
    assert row == (
        "riket",
        "00",
        "Invånare med fast läkarkontakt i primärvården, andel (%)",
        "2025-04-30",
        DATA,
        when,
    )
    assert db.execute("SELECT source FROM kolada_reference WHERE kolada_id = '0580'").fetchone() == (PAGE2,)
    (report,) = reports
    assert report.written == 11
    assert report.areas == {"riket": 1, "lan": 2, "kommun": 1}  # Jämtland 2023 has a value


def test_an_update_asks_from_the_day_before_the_last_fetch_and_replaces_by_key(
    db, catalogue_path: Path
) -> None:
    indicators = load_catalogue(catalogue_path).catalogue.indicators
    fetch_api(
        db,
        indicators,
        client(routes_for_first_fetch()),
        today=date(2024, 12, 31),
        now=lambda: datetime(2026, 12, 2),
    )
    update_url = f"{DATA}&from_date=2026-12-01"  # last fetch 2026-12-02, minus one day
    c = client({KPI: [recorded("kpi_N99901.json")], update_url: [recorded("data_N99901_update.json")]})
    (report,) = fetch_api(db, indicators, c, today=date(2024, 12, 31), now=lambda: datetime(2026, 12, 9))
    assert c.requests == [KPI, update_url]
    values = stored(db)
    assert values[("0000", 2024, "T")] == 63.4  # revised in Kolada: 63,2 → 63,4
    assert ("0580", 2024, "T") not in values  # Kolada marks it deleted
    assert len(values) == 10  # 11 − 1 deleted; the revision replaced, not added
    assert (report.written, report.deleted) == (1, 1)


def test_an_interrupted_fetch_stores_nothing(db, catalogue_path: Path) -> None:
    indicators = load_catalogue(catalogue_path).catalogue.indicators
    routes = routes_for_first_fetch()
    routes[PAGE2] = [TransportError("timeout")]
    with pytest.raises(KoladaError, match="tidsgränsen gick ut"):
        fetch_api(db, indicators, client(routes), today=date(2024, 12, 31))
    assert stored(db) == {}


def test_an_empty_answer_stores_nothing_and_says_so(db, catalogue_path: Path) -> None:
    indicators = load_catalogue(catalogue_path).catalogue.indicators
    c = client({KPI: [recorded("kpi_N99901.json")], DATA: [recorded("data_empty.json")]})
    (report,) = fetch_api(db, indicators, c, today=date(2024, 12, 31))
    assert report.written == 0 and stored(db) == {}
    assert "0 värden sparade" in report.line()


# --- file exports ------------------------------------------------------------------------------


def test_a_csv_export_is_read_with_swedish_headers_and_decimal_commas(db, catalogue_path: Path) -> None:
    indicators = load_catalogue(catalogue_path).catalogue.indicators
    reports, notes = read_file(
        db, indicators, FIXTURES / "export_N99901.csv", now=lambda: datetime(2026, 12, 2)
    )
    values = stored(db)
    # 5 rows of N99901 for areas we keep (the group row is left out, N00002 is no indicator's KPI)
    assert values == {
        ("0000", 2024, "T"): 63.2,
        ("0000", 2023, "T"): 61.8,
        ("0005", 2024, "T"): 58.9,
        ("0005", 2024, "K"): 60.2,
        ("0580", 2024, "T"): 60.4,  # written 580 in the file: Excel had dropped the leading zero
    }
    assert db.execute("SELECT DISTINCT source FROM kolada_reference").fetchall() == [("export_N99901.csv",)]
    assert any("N00002" in n for n in notes)
    assert reports[0].written == 5


def test_the_api_json_saved_as_a_file_is_read_as_the_api_gives_it(db, catalogue_path: Path) -> None:
    indicators = load_catalogue(catalogue_path).catalogue.indicators
    read_file(db, indicators, FIXTURES / "data_N99901_page2.json")
    assert stored(db) == {("0023", 2023, "T"): 64.0, ("0023", 2024, "T"): None, ("0580", 2024, "T"): 60.4}


def test_a_table_without_the_wanted_columns_is_refused_with_what_it_has(
    db, catalogue_path: Path, tmp_path: Path
) -> None:
    path = tmp_path / "fel.csv"
    path.write_text("Kommun;År;Antal\nLinköping;2024;3\n", encoding="utf-8")
    indicators = load_catalogue(catalogue_path).catalogue.indicators
    with pytest.raises(
        KoladaError, match=r"fel\.csv: hittar inte kolumnerna .* \(kolumner i filen: Kommun, År, Antal\)"
    ):
        read_file(db, indicators, path)


def test_a_bad_gender_names_the_file_and_line(db, catalogue_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "kon.csv"
    path.write_text(
        "Nyckeltal;Kommun-id;År;Kön;Värde\nN99901;0000;2024;Totalt;1\nN99901;0000;2024;Båda;2\n",
        encoding="utf-8",
    )
    indicators = load_catalogue(catalogue_path).catalogue.indicators
    with pytest.raises(KoladaError, match=r"kon\.csv:3: okänt kön 'Båda'"):
        read_file(db, indicators, path)


# --- the command ---------------------------------------------------------------------------------


def test_matavla_kolada_file_stores_and_reports(tmp_path: Path, catalogue_path: Path) -> None:
    db_path = tmp_path / "m.duckdb"
    result = CliRunner().invoke(
        main,
        [
            "kolada",
            "--db",
            str(db_path),
            "--catalog",
            str(catalogue_path),
            "--file",
            str(FIXTURES / "export_N99901.csv"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (
        "N99901 (fast_lakarkontakt): 5 värden sparade (1 riket, 1 län, 1 kommun); källa: export_N99901.csv"
        in result.output
    )
    # again: replaced by key, still 5 rows
    CliRunner().invoke(
        main,
        [
            "kolada",
            "--db",
            str(db_path),
            "--catalog",
            str(catalogue_path),
            "--file",
            str(FIXTURES / "export_N99901.csv"),
        ],
    )
    con = duckdb.connect(str(db_path), read_only=True)
    assert con.execute("SELECT count(*) FROM kolada_reference").fetchone() == (5,)
    con.close()


def test_matavla_kolada_without_any_kpi_in_the_catalogue_says_what_to_add(
    tmp_path: Path, catalogue_path: Path
) -> None:
    result = CliRunner().invoke(
        main,
        [
            "kolada",
            "--db",
            str(tmp_path / "m.duckdb"),
            "--catalog",
            str(catalogue_path),
            "--indicator",
            "digitala",
        ],
    )
    assert result.exit_code == 1
    assert "Fel: indikatorn digitala nämner inget nyckeltal i Kolada" in result.output
    assert "kolada: N00945" in result.output


def test_matavla_kolada_offline_fails_in_swedish_without_a_traceback(
    tmp_path: Path, catalogue_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from metrics.kolada import client as client_module

    def offline(url: str, timeout: float) -> Response:
        raise TransportError("offline", "Temporary failure in name resolution")

    monkeypatch.setattr(client_module, "urllib_transport", offline)
    monkeypatch.setattr(client_module.time, "sleep", lambda _s: None)
    result = CliRunner().invoke(
        main, ["kolada", "--db", str(tmp_path / "m.duckdb"), "--catalog", str(catalogue_path)]
    )
    assert result.exit_code == 1
    assert "Fel: kunde inte hämta från Kolada efter 4 försök (ingen anslutning)" in result.output
    assert "matavla kolada --file FIL" in result.output
    assert "Traceback" not in result.output


def test_fixture_text() -> None:
    """The fixtures' README lists every recorded file."""
    readme = (FIXTURES / "README.md").read_text(encoding="utf-8")
    for path in FIXTURES.iterdir():
        if path.name != "README.md":
            assert f"`{path.name}`" in readme, path.name


def test_a_kommun_level_kpi_is_stored_in_bulk_within_seconds(db) -> None:
    """290 kommuner × 15 years × 3 genders = 13 050 values; row by row this took 71 s."""
    import time

    from metrics.geography import load_geography
    from metrics.kolada.store import Provenance, store
    from metrics.kolada.values import ReferenceValue

    values = [
        (ReferenceValue("N99901", k, "kommun", k, y, g, 50.0, None), "url")
        for k in load_geography().kommuner
        for y in range(2010, 2025)
        for g in "TKM"
    ]
    assert len(values) == 13_050
    provenance = {"N99901": Provenance("t", None, datetime(2026, 12, 2))}
    started = time.perf_counter()
    assert store(db, values, provenance, source_label="api", from_date=None) == (13_050, 0)
    assert store(db, values, provenance, source_label="api", from_date=None) == (13_050, 0)
    assert time.perf_counter() - started < 20
    assert db.execute("SELECT count(*) FROM kolada_reference").fetchone() == (13_050,)


def test_an_excel_export_and_a_json_list_of_pages_are_read(db, catalogue_path: Path, tmp_path: Path) -> None:
    import json

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Fast läkarkontakt, Kolada"])  # a title row above the header
    sheet.append(["Nyckeltal", "Kommun-id", "År", "Kön", "Värde"])
    sheet.append(["N99901", "0000", 2024, "T", 63.2])
    sheet.append(["N99901", 580, 2024, "M", 58.1])  # Excel made the code a number
    path = tmp_path / "kolada.xlsx"
    book.save(path)
    indicators = load_catalogue(catalogue_path).catalogue.indicators
    read_file(db, indicators, path)
    assert stored(db) == {("0000", 2024, "T"): 63.2, ("0580", 2024, "M"): 58.1}

    pages = [
        json.loads((FIXTURES / n).read_text()) for n in ("data_N99901_page1.json", "data_N99901_page2.json")
    ]
    both = tmp_path / "sidor.json"
    both.write_text(json.dumps(pages), encoding="utf-8")
    read_file(db, indicators, both)
    # 11 values from the two pages (as in the API fetch); 0580 M 2024 from the Excel file stays
    assert len(stored(db)) == 12


def test_an_explicit_since_is_the_from_date_asked(db, catalogue_path: Path) -> None:
    indicators = load_catalogue(catalogue_path).catalogue.indicators
    url = f"{DATA}&from_date=2026-06-30"
    c = client({KPI: [recorded("kpi_N99901.json")], url: [recorded("data_N99901_update.json")]})
    fetch_api(db, indicators, c, since=date(2026, 6, 30), today=date(2024, 12, 31))
    assert c.requests == [KPI, url]


def test_matavla_kolada_names_an_unknown_indicator(tmp_path: Path, catalogue_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "kolada",
            "--db",
            str(tmp_path / "m.duckdb"),
            "--catalog",
            str(catalogue_path),
            "--indicator",
            "finns_inte",
        ],
    )
    assert result.exit_code == 1
    assert "Fel: okänd indikator finns_inte i indicators.yaml" in result.output
