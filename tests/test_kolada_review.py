"""Adversarial review of `matavla kolada`: each test failed on the code before its fix.

Expected numbers are read off the inline files by hand.
"""

from __future__ import annotations

import http.client
import re
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from metrics.catalogue.loader import load_catalogue
from metrics.cli import main
from metrics.kolada import client as client_module
from metrics.kolada.client import KoladaClient, KoladaError, Response, TransportError, urllib_transport
from metrics.kolada.fetch import fetch_api, read_file
from metrics.kolada.store import ensure_tables
from tests.test_kolada import CATALOGUE, DATA, KPI, PAGE2, client, recorded, routes_for_first_fetch, stored


@pytest.fixture
def catalogue_path(tmp_path: Path) -> Path:
    path = tmp_path / "indicators.yaml"
    path.write_text(CATALOGUE, encoding="utf-8")
    return path


@pytest.fixture
def db() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(":memory:")
    ensure_tables(con)
    yield con
    con.close()


def test_a_title_row_with_a_comma_does_not_make_a_semicolon_table_unreadable(
    db, catalogue_path: Path, tmp_path: Path
) -> None:
    path = tmp_path / "titel.csv"
    path.write_text(
        "Fast läkarkontakt, andel (%)\nNyckeltal;Kommun-id;År;Kön;Värde\nN99901;0000;2024;T;63,2\n",
        encoding="utf-8",
    )
    read_file(db, load_catalogue(catalogue_path).catalogue.indicators, path)
    assert stored(db) == {("0000", 2024, "T"): 63.2}


@pytest.mark.parametrize("value", ["63,2 %", "1.234,5", "sextiotre"])
def test_a_value_that_is_not_a_number_names_the_file_and_row(
    db, catalogue_path: Path, tmp_path: Path, value: str
) -> None:
    # Before: stored silently as NULL ("Kolada has the cell but no value").
    path = tmp_path / "varde.csv"
    path.write_text(
        f"Nyckeltal;Kommun-id;År;Kön;Värde\nN99901;0000;2024;T;61,8\nN99901;0005;2024;T;{value}\n",
        encoding="utf-8",
    )
    with pytest.raises(KoladaError, match=rf"varde\.csv:3: värdet '{value}' är inget tal"):
        read_file(db, load_catalogue(catalogue_path).catalogue.indicators, path)
    assert stored(db) == {}


def test_an_empty_value_is_still_a_cell_without_a_value(db, catalogue_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "tom.csv"
    path.write_text("Nyckeltal;Kommun-id;År;Kön;Värde\nN99901;0000;2024;T;\nN99901;0005;2024;T;..\n")
    read_file(db, load_catalogue(catalogue_path).catalogue.indicators, path)
    assert stored(db) == {("0000", 2024, "T"): None, ("0005", 2024, "T"): None}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("trasig.xlsx", b"not a zip", r"trasig\.xlsx: filen går inte att läsa som Excel"),
        (
            "tecken.csv",
            b"Nyckeltal;Kommun-id;\xc5r;K\xf6n;V\xe4rde\nN99901;0000;2024;T;63\x81\n",
            r"tecken\.csv: filen har tecken som varken är UTF-8 eller Windows-1252",
        ),
    ],
)
def test_a_broken_file_is_a_swedish_message_not_a_traceback(
    tmp_path: Path, catalogue_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = CliRunner().invoke(
        main,
        ["kolada", "--db", str(tmp_path / "m.duckdb"), "--catalog", str(catalogue_path), "--file", str(path)],
    )
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert result.output.startswith("Fel: ")
    assert re.search(message, result.output), result.output


# --- the client ----------------------------------------------------------------------------------


def test_a_next_url_that_drops_https_is_refused() -> None:
    # Same host, plain http: the rest of the fetch would go unencrypted (and could be altered).
    first = "https://api.kolada.se/v3/data/kpi/N99901/year/2024?per_page=5000"
    answers = {
        first: Response(
            200, b'{"values": [], "next_url": "http://api.kolada.se/v3/data/kpi/N99901/year/2024?page=2"}'
        )
    }
    c = KoladaClient(lambda url, timeout: answers[url], sleep=lambda _: None)
    with pytest.raises(KoladaError, match="annan adress"):
        list(c.values("N99901", [2024]))


class _Answer:
    def __init__(self, body: bytes) -> None:
        self.status = 200
        self.headers: dict[str, str] = {}
        self.body = body
        self.asked: list[int] = []

    def __enter__(self) -> _Answer:
        return self

    def __exit__(self, *args: object) -> None:
        return None

    def read(self, amount: int | None = None) -> bytes:
        self.asked.append(-1 if amount is None else amount)
        return self.body if amount is None else self.body[:amount]


def test_an_endless_answer_is_cut_off_not_read_into_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    huge = _Answer(b"x" * (client_module.MAX_BYTES + 10))
    monkeypatch.setattr(urllib.request, "urlopen", lambda request, timeout: huge)
    with pytest.raises(TransportError) as caught:
        urllib_transport("https://api.kolada.se/v3/kpi/N99901", 16)
    assert caught.value.kind == "too_large"
    assert -1 not in huge.asked  # never read without a limit


def test_a_connection_cut_mid_answer_is_retried_not_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def cut(request: object, timeout: float) -> object:
        raise http.client.IncompleteRead(b"{", 100)

    monkeypatch.setattr(urllib.request, "urlopen", cut)
    waits: list[float] = []
    c = KoladaClient(sleep=waits.append)
    with pytest.raises(KoladaError, match="efter 4 försök"):
        c.kpi("N99901")
    assert waits == [2.0, 4.0, 8.0]


def test_no_such_host_fails_at_once_without_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    # Offline: DNS cannot resolve api.kolada.se. Waiting 2 + 4 + 8 = 14 s changes nothing.
    def no_dns(request: object, timeout: float) -> object:
        raise urllib.error.URLError(socket.gaierror(-3, "Temporary failure in name resolution"))

    monkeypatch.setattr(urllib.request, "urlopen", no_dns)
    waits: list[float] = []
    c = KoladaClient(sleep=waits.append)
    with pytest.raises(KoladaError, match=r"ingen anslutning.*matavla kolada --file"):
        c.kpi("N99901")
    assert waits == []
    assert len(c.requests) == 1


# --- storing -------------------------------------------------------------------------------------


def test_a_full_fetch_removes_values_kolada_no_longer_has(db, catalogue_path: Path) -> None:
    # A full fetch (no from_date) gets no `isdeleted` markers: a cell Kolada dropped is simply not
    # in the answer. After `--full` the table must be what Kolada has, not old plus new.
    indicators = load_catalogue(catalogue_path).catalogue.indicators
    fetch_api(db, indicators, client(routes_for_first_fetch()), today=date(2024, 12, 31))
    assert len(stored(db)) == 11  # as in test_kolada: 6 riket + 2 + 2 + 1
    again = client({KPI: [recorded("kpi_N99901.json")], DATA: [recorded("data_N99901_page2.json")]})
    (report,) = fetch_api(db, indicators, again, full=True, today=date(2024, 12, 31))
    # Kolada now has only page 2's cells: Jämtland 2023 (64,0) and 2024 (no value), Linköping 2024
    assert stored(db) == {("0023", 2023, "T"): 64.0, ("0023", 2024, "T"): None, ("0580", 2024, "T"): 60.4}
    assert (report.written, report.deleted) == (3, 8)  # 11 before − 3 kept = 8 removed


def test_a_full_fetch_keeps_the_years_it_did_not_ask(db, catalogue_path: Path, tmp_path: Path) -> None:
    indicators = load_catalogue(catalogue_path).catalogue.indicators
    path = tmp_path / "gammal.csv"
    path.write_text("Nyckeltal;Kommun-id;År;Kön;Värde\nN99901;0000;2005;T;40,5\n", encoding="utf-8")
    read_file(db, indicators, path)  # 2005 is before FIRST_YEAR (2010): a full fetch never asks it
    again = client({KPI: [recorded("kpi_N99901.json")], DATA: [recorded("data_N99901_page2.json")]})
    fetch_api(db, indicators, again, full=True, today=date(2024, 12, 31))
    assert stored(db)[("0000", 2005, "T")] == 40.5


# --- the unit ------------------------------------------------------------------------------------


def test_a_kpi_whose_title_names_another_unit_is_refused_with_the_catalogue_line(db, tmp_path: Path) -> None:
    # The indicator is per 1 000 inv.; Kolada's N99901 is "…, andel (%)". Drawn on one axis, 63,2 %
    # would read as 63,2 per 1 000. Before: stored and drawn without a word.
    text = CATALOGUE.replace(
        '    unit: "%"\n    direction: higher\n', "    unit: per 1 000 inv.\n    direction: higher\n"
    )
    assert text != CATALOGUE
    path = tmp_path / "indicators.yaml"
    path.write_text(text, encoding="utf-8")
    indicators = load_catalogue(path).catalogue.indicators
    line = text.splitlines().index("    kolada: N99901") + 1
    with pytest.raises(KoladaError, match=rf"indicators\.yaml:{line}: .*N99901.*%.*per 1 000 inv\."):
        fetch_api(db, indicators, client(routes_for_first_fetch()), today=date(2024, 12, 31))
    assert stored(db) == {}


@pytest.mark.parametrize(
    ("unit", "title", "conflict"),
    [
        ("%", "Invånare med fast läkarkontakt, andel (%)", False),
        ("%", "Vårdtillfällen i slutenvård, antal/1000 inv", True),
        ("per 1 000 inv.", "Vårdtillfällen i slutenvård, antal/1000 inv", False),
        ("per 1 000 inv.", "Undvikbar slutenvård, antal/100 000 inv", True),
        ("per 100 000 inv.", "Undvikbar slutenvård, antal/100 000 inv", False),
        ("SEK", "Kostnad primärvård, kr/inv", False),
        ("SEK", "Invånare med fast läkarkontakt, andel (%)", True),
        ("index 0–1", "Invånare med fast läkarkontakt, andel (%)", False),  # no known unit: not judged
        ("%", "Ett nyckeltal utan enhet i titeln", False),
    ],
)
def test_the_unit_in_a_kolada_title_against_the_indicators(unit: str, title: str, conflict: bool) -> None:
    from metrics.kolada.fetch import unit_conflict

    assert (unit_conflict(unit, title) is not None) is conflict


# --- duplicates, flags and what the user is told -------------------------------------------------


def test_one_cell_twice_with_different_values_in_a_table_names_both_rows(
    db, catalogue_path: Path, tmp_path: Path
) -> None:
    # Before: the later row won silently (58,9 or 59,8 for Östergötland 2024 — which one is right?).
    path = tmp_path / "dubbel.csv"
    path.write_text(
        "Nyckeltal;Kommun-id;År;Kön;Värde\n"
        "N99901;0005;2024;T;58,9\n"
        "N99901;0000;2024;T;63,2\n"
        "N99901;5;2024;Totalt;59,8\n",  # 5: Excel's 0005
        encoding="utf-8",
    )
    with pytest.raises(KoladaError, match=r"dubbel\.csv:4: .*0005 2024 T.*rad 2"):
        read_file(db, load_catalogue(catalogue_path).catalogue.indicators, path)
    assert stored(db) == {}


def test_the_same_row_twice_in_a_table_is_read_once(db, catalogue_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "samma.csv"
    path.write_text(
        "Nyckeltal;Kommun-id;År;Kön;Värde\nN99901;0005;2024;T;58,9\nN99901;0005;2024;T;58,9\n",
        encoding="utf-8",
    )
    read_file(db, load_catalogue(catalogue_path).catalogue.indicators, path)
    assert stored(db) == {("0005", 2024, "T"): 58.9}


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--since", "2026-01-01", "--full"], "--since och --full"),
        (["--full", "--file", "x.csv"], "--since och --full gäller hämtning"),
        (["--since", "2026-01-01", "--file", "x.csv"], "--since och --full gäller hämtning"),
    ],
)
def test_flags_that_contradict_each_other_are_refused(
    tmp_path: Path, catalogue_path: Path, flags: list[str], message: str
) -> None:
    # Before: --full was silently ignored beside --since, and both beside --file.
    (tmp_path / "x.csv").write_text("Nyckeltal;Kommun-id;År;Kön;Värde\nN99901;0000;2024;T;63,2\n")
    flags = [str(tmp_path / f) if f == "x.csv" else f for f in flags]
    result = CliRunner().invoke(
        main, ["kolada", "--db", str(tmp_path / "m.duckdb"), "--catalog", str(catalogue_path), *flags]
    )
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (tmp_path / "m.duckdb").exists()


TWO_KPIS = CATALOGUE.replace(
    '    unit: "%"\n    direction: neutral\n', '    unit: "%"\n    direction: neutral\n    kolada: N99902\n'
)


def test_a_kpi_stored_before_a_later_one_fails_is_still_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # N99901 is fetched and stored; N99902 then fails (404). Before: only the error was printed,
    # so the user could not tell that N99901 had been stored.
    assert TWO_KPIS != CATALOGUE
    catalog = tmp_path / "indicators.yaml"
    catalog.write_text(TWO_KPIS, encoding="utf-8")
    routes = routes_for_first_fetch()
    year = date.today().year
    years = ",".join(str(y) for y in range(2010, year + 1))
    data = f"https://api.kolada.se/v3/data/kpi/N99901/year/{years}?per_page=5000"
    answers = {
        "https://api.kolada.se/v3/kpi/N99901": routes[KPI][0],
        data: routes[DATA][0],
        PAGE2: routes[PAGE2][0],  # the fixture's next_url
        "https://api.kolada.se/v3/kpi/N99902": Response(404, b""),
    }

    def transport(url: str, timeout: float) -> Response:
        answer = answers[url]
        assert isinstance(answer, Response)
        return answer

    monkeypatch.setattr(client_module, "urllib_transport", transport)
    result = CliRunner().invoke(
        main, ["kolada", "--db", str(tmp_path / "m.duckdb"), "--catalog", str(catalog)]
    )
    assert result.exit_code == 1
    assert "N99901 (fast_lakarkontakt): 11 värden sparade" in result.output
    assert "Fel: Kolada känner inte till adressen https://api.kolada.se/v3/kpi/N99902" in result.output


# --- tests the mutations showed missing (each mutation survived the suite before) ----------------


def test_gender_letters_and_words_in_a_table_keep_women_and_men_apart(
    db, catalogue_path: Path, tmp_path: Path
) -> None:
    # Mutating "k" → M or "män" → K passed every test before.
    path = tmp_path / "kon.csv"
    path.write_text(
        "Nyckeltal;Kommun-id;År;Kön;Värde\n"
        "N99901;0000;2024;K;65,0\n"
        "N99901;0000;2024;M;61,4\n"
        "N99901;0005;2024;Kvinnor;60,2\n"
        "N99901;0005;2024;Män;57,6\n"
        "N99901;0580;2024;t;60,4\n",
        encoding="utf-8",
    )
    read_file(db, load_catalogue(catalogue_path).catalogue.indicators, path)
    assert stored(db) == {
        ("0000", 2024, "K"): 65.0,
        ("0000", 2024, "M"): 61.4,
        ("0005", 2024, "K"): 60.2,
        ("0005", 2024, "M"): 57.6,
        ("0580", 2024, "T"): 60.4,
    }


def test_the_later_of_two_saved_pages_wins_a_cell(db, catalogue_path: Path, tmp_path: Path) -> None:
    # Riket 2024 T saved on two pages: 63,2 then the revised 63,4. keep="first" passed before.
    import json

    def page(value: float) -> dict[str, object]:
        cell = {"gender": "T", "value": value, "isdeleted": False}
        return {"values": [{"kpi": "N99901", "municipality": "0000", "period": 2024, "values": [cell]}]}

    path = tmp_path / "sidor.json"
    path.write_text(json.dumps([page(63.2), page(63.4)]), encoding="utf-8")
    read_file(db, load_catalogue(catalogue_path).catalogue.indicators, path)
    assert stored(db) == {("0000", 2024, "T"): 63.4}


def test_a_long_retry_after_is_capped_at_max_wait() -> None:
    url = "https://api.kolada.se/v3/kpi/N99901"
    answers = [Response(429, b"", {"Retry-After": "3600"}), Response(200, b'{"values": []}')]
    waits: list[float] = []
    c = KoladaClient(lambda u, t: answers.pop(0), sleep=waits.append)
    assert c.kpi("N99901") is None
    assert waits == [60.0]  # max_wait, not an hour
    assert c.requests == [url, url]


@pytest.mark.parametrize("status", [400, 403])
def test_a_client_error_other_than_429_is_not_retried(status: int) -> None:
    waits: list[float] = []
    c = KoladaClient(lambda u, t: Response(status, b""), sleep=waits.append)
    with pytest.raises(KoladaError, match=f"HTTP {status}"):
        c.kpi("N99901")
    assert waits == [] and len(c.requests) == 1


def test_an_excel_value_formatted_as_percent_is_read_as_shown(
    db, catalogue_path: Path, tmp_path: Path
) -> None:
    # Excel shows 63,2 % but stores 0.632. Before: 0,632 was stored, and drawn as 0,6 % beside 58,9 %.
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Nyckeltal", "Kommun-id", "År", "Kön", "Värde"])
    sheet.append(["N99901", "0000", 2024, "T", 0.632])
    sheet.cell(row=2, column=5).number_format = "0.0%"
    sheet.append(["N99901", "0005", 2024, "T", 58.9])  # a plain number stays as it is
    path = tmp_path / "procent.xlsx"
    book.save(path)
    read_file(db, load_catalogue(catalogue_path).catalogue.indicators, path)
    assert stored(db) == {("0000", 2024, "T"): 63.2, ("0005", 2024, "T"): 58.9}


def test_an_update_after_only_a_since_fetch_asks_everything(db, catalogue_path: Path) -> None:
    # `--since` on a KPI never fetched in full stores only the changes. Before, the next plain run
    # then asked from the day before that fetch, so the history before it never came.
    indicators = load_catalogue(catalogue_path).catalogue.indicators
    since = client(
        {
            KPI: [recorded("kpi_N99901.json")],
            f"{DATA}&from_date=2026-06-30": [recorded("data_N99901_update.json")],
        }
    )
    fetch_api(db, indicators, since, since=date(2026, 6, 30), today=date(2024, 12, 31))
    plain = client(routes_for_first_fetch())
    fetch_api(db, indicators, plain, today=date(2024, 12, 31))
    assert plain.requests == [KPI, DATA, PAGE2]  # no from_date: the whole history


def test_a_certificate_that_cannot_be_verified_fails_at_once_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A proxy that intercepts TLS: retrying in 2, 4 and 8 s changes nothing, and "ingen anslutning"
    # hid the cause. Before: 4 attempts, 14 s of waiting, and the wrong reason.
    import ssl

    def intercepted(request: object, timeout: float) -> object:
        raise urllib.error.URLError(ssl.SSLCertVerificationError(1, "certificate verify failed"))

    monkeypatch.setattr(urllib.request, "urlopen", intercepted)
    waits: list[float] = []
    c = KoladaClient(sleep=waits.append)
    with pytest.raises(KoladaError, match=r"certifikat.*SSL_CERT_FILE"):
        c.kpi("N99901")
    assert waits == [] and len(c.requests) == 1


def test_an_infinite_value_in_a_table_is_refused(db, catalogue_path: Path, tmp_path: Path) -> None:
    # float("inf") parses: before, 'inf' was stored and drawn as a value.
    path = tmp_path / "inf.csv"
    path.write_text("Nyckeltal;Kommun-id;År;Kön;Värde\nN99901;0000;2024;T;inf\n", encoding="utf-8")
    with pytest.raises(KoladaError, match=r"inf\.csv:2: värdet 'inf' är inget tal"):
        read_file(db, load_catalogue(catalogue_path).catalogue.indicators, path)


def test_the_note_on_other_kpis_names_the_chosen_indicators(tmp_path: Path) -> None:
    # With --indicator digitala, N99901 belongs to fast_lakarkontakt: "no indicator names it" was wrong.
    catalog = tmp_path / "indicators.yaml"
    catalog.write_text(TWO_KPIS, encoding="utf-8")
    path = tmp_path / "k.csv"
    path.write_text(
        "Nyckeltal;Kommun-id;År;Kön;Värde\nN99901;0000;2024;T;63,2\nN99902;0000;2024;T;12,5\n",
        encoding="utf-8",
    )
    args = ["kolada", "--db", str(tmp_path / "m.duckdb"), "--catalog", str(catalog), "--file", str(path)]
    result = CliRunner().invoke(main, [*args, "--indicator", "digitala"])
    assert result.exit_code == 0, result.output
    assert "k.csv: nyckeltal som ingen vald indikator nämner lästes inte: N99901" in result.output
    assert "N99902 (digitala): 1 värde sparade" in result.output


def test_a_gender_asked_of_a_kpi_not_divided_by_gender_is_refused_with_the_line(db, tmp_path: Path) -> None:
    # kolada: {kpi: N99901, gender: K} on a KPI Kolada does not divide by gender: before, the fetch
    # succeeded and the page silently showed nothing (no K values exist).
    import json

    text = CATALOGUE.replace("    kolada: N99901\n", "    kolada: {kpi: N99901, gender: K}\n")
    assert text != CATALOGUE
    path = tmp_path / "indicators.yaml"
    path.write_text(text, encoding="utf-8")
    line = text.splitlines().index("    kolada: {kpi: N99901, gender: K}") + 1
    meta = json.loads((Path(__file__).parent / "fixtures/kolada/kpi_N99901.json").read_text())
    meta["values"][0]["is_divided_by_gender"] = False
    routes = routes_for_first_fetch()
    routes[KPI] = [Response(200, json.dumps(meta).encode())]
    indicators = load_catalogue(path).catalogue.indicators
    with pytest.raises(
        KoladaError,
        match=rf"indicators\.yaml:{line}: Kolada delar inte nyckeltalet N99901 efter kön.*gender: K",
    ):
        fetch_api(db, indicators, client(routes), today=date(2024, 12, 31))


def test_the_fetch_log_counts_what_a_full_fetch_removed(db, catalogue_path: Path) -> None:
    indicators = load_catalogue(catalogue_path).catalogue.indicators
    fetch_api(db, indicators, client(routes_for_first_fetch()), today=date(2024, 12, 31))
    again = client({KPI: [recorded("kpi_N99901.json")], DATA: [recorded("data_N99901_page2.json")]})
    fetch_api(db, indicators, again, full=True, today=date(2024, 12, 31))
    log = db.execute("SELECT written, deleted FROM kolada_fetches ORDER BY rowid").fetchall()
    assert log == [(11, 0), (3, 8)]  # as the report: 11 − 3 kept = 8 removed


def test_an_empty_full_answer_removes_nothing(db, catalogue_path: Path) -> None:
    # A full answer with no values at all is more likely a Kolada hiccup than a KPI emptied:
    # the replace of a full fetch must not wipe the stored reference on it.
    indicators = load_catalogue(catalogue_path).catalogue.indicators
    fetch_api(db, indicators, client(routes_for_first_fetch()), today=date(2024, 12, 31))
    empty = client({KPI: [recorded("kpi_N99901.json")], DATA: [recorded("data_empty.json")]})
    (report,) = fetch_api(db, indicators, empty, full=True, today=date(2024, 12, 31))
    assert len(stored(db)) == 11 and report.deleted == 0
