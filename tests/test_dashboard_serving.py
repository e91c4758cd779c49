"""How the dashboard serves (issue 10): scripts, styles and callback answers compressed when the
browser accepts it, the compressed static files kept, and every DuckDB connection the dashboard
opens under MATAVLA_MEMORY_LIMIT and MATAVLA_THREADS."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import dash
import pytest

from metrics.dashboard.server import _cache_key, _CompressedCache
from metrics.dashboard.source.connection import open_read_only
from tests.test_plans import RESULTS, ROOT, build_results


def _scripts(client: Any) -> list[str]:
    page = client.get("/").get_data(as_text=True)
    return re.findall(r'<script src="(/[^"]+)"', page)


def test_scripts_are_gzip_compressed_when_the_browser_accepts_it_and_plain_otherwise(
    dashboard_app: dash.Dash,
):
    client = dashboard_app.server.test_client()
    scripts = _scripts(client)
    renderer = next(s for s in scripts if "dash_renderer" in s or "dash-renderer" in s)
    plain = client.get(renderer, headers={"Accept-Encoding": "identity"})
    packed = client.get(renderer, headers={"Accept-Encoding": "gzip"})
    assert plain.headers.get("Content-Encoding") is None
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    # the same script, smaller: minified JavaScript packs to well under half
    assert gzip.decompress(packed.data) == plain.data
    assert len(packed.data) < len(plain.data) / 2


def test_brotli_is_preferred_where_the_browser_offers_it(dashboard_app: dash.Dash):
    client = dashboard_app.server.test_client()
    script = _scripts(client)[0]
    answer = client.get(script, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert answer.headers["Content-Encoding"] == "br"


def test_a_callback_answer_is_compressed_too(dashboard_app: dash.Dash):
    """The Data page's answer (tables of every extract) is well over the 500-byte threshold."""
    client = dashboard_app.server.test_client()
    layout = client.get("/_dash-layout", headers={"Accept-Encoding": "gzip"})
    assert layout.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(layout.data))["type"] == "Div"


def test_only_get_requests_for_static_files_are_kept_compressed_by_address():
    """A callback answer differs per request body, which the address does not carry: never kept
    by it (answers are kept by their digest, see below)."""
    cache = _CompressedCache()
    cache.set("gzip;GET /_dash-component-suites/dash/dcc/dash_core_components.v4m1.js?", b"js")
    cache.set("br;GET /assets/style.css?v=1", b"css")
    cache.set("gzip;POST /_dash-update-component?", b"answer")
    cache.set("gzip;GET /_dash-layout?", b"layout")
    assert cache.get("gzip;GET /_dash-component-suites/dash/dcc/dash_core_components.v4m1.js?") == b"js"
    assert cache.get("br;GET /assets/style.css?v=1") == b"css"
    assert cache.get("gzip;POST /_dash-update-component?") is None
    assert cache.get("gzip;GET /_dash-layout?") is None


def test_a_page_whose_query_names_a_static_folder_is_not_kept():
    """A preview page's address with `/assets/` in its query is still the page: kept, a withdrawn
    preview would go on being answered from the cache."""
    cache = _CompressedCache()
    cache.set("gzip;GET /forhandsgranskning/abc123?x=/assets/", b"preview")
    cache.set("gzip;GET /?next=/_dash-component-suites/", b"page")
    assert cache.get("gzip;GET /forhandsgranskning/abc123?x=/assets/") is None
    assert cache.get("gzip;GET /?next=/_dash-component-suites/") is None


def test_the_kept_files_are_bounded_in_size():
    """Dash answers any path with its page, so `/x/assets/1`, `/x/assets/2`, … would each be kept:
    the cache stops taking entries at MAX_BYTES (here 3 entries of a third of it, plus one more)."""
    cache = _CompressedCache()
    third = b"x" * (cache.MAX_BYTES // 3)
    for n in range(4):
        cache.set(f"gzip;GET /x/assets/{n}?", third)
    kept = [n for n in range(4) if cache.get(f"gzip;GET /x/assets/{n}?") is not None]
    assert kept == [0, 1, 2]  # 3 × MAX_BYTES//3 ≤ MAX_BYTES; a fourth would exceed it


def _callbacks(tmp_path: Path) -> tuple[Any, dict[str, bytes]]:
    """An app over the hand-worked results of test_plans and the page callbacks a browser sends."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_dashboard_load import callback_payloads

    from metrics.dashboard.server import create_app

    db = build_results(tmp_path / "results.duckdb", RESULTS)
    catalog = ROOT / "indicators.yaml"
    cases = dict(callback_payloads(db, catalog, ["05"]))
    return create_app(db_path=db, catalog_path=catalog).server.test_client(), cases


def _post(client: Any, body: bytes, encoding: str) -> Any:
    headers = {"Content-Type": "application/json", "Accept-Encoding": encoding}
    answer = client.post("/_dash-update-component", data=body, headers=headers)
    assert answer.status_code == 200
    return answer


@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_a_callback_answer_sent_again_is_compressed_once(tmp_path: Path, monkeypatch, encoding: str):
    """The same answer (by its bytes) is compressed once and then sent as kept; another answer is
    compressed anew; each decompresses to the answer sent to a browser that accepts no compression."""
    import brotli
    import flask_compress.flask_compress as compressing

    client, cases = _callbacks(tmp_path)
    compressed: list[int] = []
    real = compressing._compress_data

    def counted(app: Any, data: bytes, algorithm: str) -> bytes:
        compressed.append(len(data))
        return real(app, data, algorithm)

    monkeypatch.setattr(compressing, "_compress_data", counted)
    unpack = gzip.decompress if encoding == "gzip" else brotli.decompress
    board, jamfor = cases["Länsöversikt 05"], cases["Jämför 05"]
    plain_board = _post(client, board, "identity").data
    plain_jamfor = _post(client, jamfor, "identity").data
    assert compressed == []  # nothing asked for compression
    first = _post(client, board, encoding)
    again = _post(client, board, encoding)
    assert first.headers["Content-Encoding"] == again.headers["Content-Encoding"] == encoding
    assert unpack(first.data) == unpack(again.data) == plain_board
    assert compressed == [len(plain_board)]  # the second was the kept one
    other = _post(client, jamfor, encoding)
    assert unpack(other.data) == plain_jamfor
    assert compressed == [len(plain_board), len(plain_jamfor)]


@pytest.mark.parametrize("held_context", [False, True])
def test_a_changed_answer_to_the_same_request_is_compressed_anew(held_context: bool):
    """The key is the answer, not the request: the same request answered otherwise (say, after a
    new database version) never gets the answer kept before, also when the caller holds one
    application context (one `flask.g`) around both requests."""
    from contextlib import nullcontext

    import flask
    import flask_compress

    from metrics.dashboard.server import _digest_answer

    server = flask.Flask(__name__)
    first, second = b'{"a": "' + b"1" * 2000 + b'"}', b'{"a": "' + b"2" * 2000 + b'"}'
    answers = iter([first, second])

    @server.post("/_dash-update-component")
    def update() -> Any:
        return flask.Response(next(answers), mimetype="application/json")

    server.config.update(COMPRESS_CACHE_BACKEND=_CompressedCache, COMPRESS_CACHE_KEY=_cache_key)
    flask_compress.Compress(server)
    server.after_request(_digest_answer)
    client = server.test_client()
    with server.app_context() if held_context else nullcontext():
        sent = [
            gzip.decompress(client.post("/_dash-update-component", headers={"Accept-Encoding": "gzip"}).data)
            for _ in range(2)
        ]
    assert sent == [first, second]


def test_the_kept_answers_are_bounded_and_the_least_recently_sent_go_first():
    cache = _CompressedCache()
    # a quarter of the cap with its key and overhead (`ANSWER_OVERHEAD`)
    quarter = b"x" * (cache.MAX_ANSWER_BYTES // 4 - 1024)
    for n in range(4):
        cache.set(f"gzip;answer {n}", quarter)
    assert cache.get("gzip;answer 0") == quarter  # sent again: now the most recent
    cache.set("gzip;answer 4", quarter)  # five quarters: the least recently sent (1) goes
    kept = [n for n in range(5) if cache.get(f"gzip;answer {n}") is not None]
    assert kept == [0, 2, 3, 4]
    cache.set("gzip;answer big", b"x" * (cache.MAX_ANSWER_BYTES + 1))  # larger than all: not kept
    assert cache.get("gzip;answer big") is None
    assert [n for n in range(5) if cache.get(f"gzip;answer {n}") is not None] == [0, 2, 3, 4]


def test_the_cache_key_tells_versions_and_methods_apart(dashboard_app: dash.Dash):
    with dashboard_app.server.test_request_context("/assets/style.css?v=2", method="GET"):
        import flask

        assert _cache_key(flask.request) == "GET /assets/style.css?v=2"


def test_the_dashboards_connections_get_the_memory_limit_and_threads(demo_database, monkeypatch):
    # 300 MB = 300 000 000 bytes = 292 968 KiB (rounded down) = 286.1 MiB as DuckDB prints it
    monkeypatch.setenv("MATAVLA_MEMORY_LIMIT", "300MB")
    monkeypatch.setenv("MATAVLA_THREADS", "1")
    con = open_read_only(demo_database.db_path)
    try:
        limit, threads = con.execute(
            "SELECT current_setting('memory_limit'), current_setting('threads')"
        ).fetchone()  # type: ignore[misc]
    finally:
        con.close()
    assert (limit, threads) == ("286.1 MiB", 1)


def test_every_reader_of_the_dashboard_opens_through_the_limits(demo_database, monkeypatch):
    """The snapshot, the Data page, the stored catalogues and the audit all read under the limit
    (DuckDB refuses a second configuration of an open database, so one reader without it would
    fail while another holds the file)."""
    from metrics.dashboard.source import audit, connection, data, runinfo

    opened: list[object] = []
    real = connection.open_read_only

    def spy(path: Any) -> Any:
        opened.append(path)
        return real(path)

    for module in (data, runinfo, audit):
        monkeypatch.setattr(module, "open_read_only", spy)
    data.read_snapshot(demo_database.db_path)
    data.read_coverage(demo_database.db_path)
    runinfo.stored_catalogues(demo_database.db_path)
    audit.read_audit(demo_database.db_path)
    assert len(opened) == 4


@pytest.mark.parametrize("value", ["mycket", "0"])
def test_a_bad_limit_stops_the_dashboards_reader_with_the_settings_name(demo_database, monkeypatch, value):
    from metrics.errors import MatavlaError

    monkeypatch.setenv("MATAVLA_MEMORY_LIMIT", value)
    with pytest.raises(MatavlaError, match="MATAVLA_MEMORY_LIMIT"):
        open_read_only(demo_database.db_path)


def test_a_worker_starts_without_reading_the_results_rows(demo_database, monkeypatch):
    """Start-up reads aggregates only; a län's rows are read when a page first asks for the län,
    and only that län's: Jämtland's cells hold Jämtland's kommuner (23xx), the län and its groups."""
    from metrics.dashboard.server import create_app
    from metrics.dashboard.source import data
    from metrics.dashboard.source.context import current_snapshot
    from metrics.geography import load_geography

    data._snapshots.clear()  # a new worker: nothing read yet in this process
    # before its background reader (see the tests below) has reached any län
    monkeypatch.setattr(data.Snapshot, "read_all_in_background", lambda self: None)
    app = create_app(db_path=demo_database.db_path, catalog_path=demo_database.catalog_path)
    with app.server.test_request_context("/"):
        snap = current_snapshot()
        assert snap.loaded_lans() == ()
        assert snap.lans == ("05", "23") and snap.result_rows > 0
        # a year: past the LP cap an indicator publishes kommun cells by year only (the ladder)
        period = [p for p in snap.periods(lan="23") if p.isdigit()][-1]
        indicator = sorted(snap.indicators())[0]
        cells = snap.cells(indicator, "23", period)
        assert snap.loaded_lans() == ("23",)
    geography = load_geography()
    kommuner = {code for code in cells if code in geography.kommuner}
    assert kommuner and all(geography.kommuner[code].lan == "23" for code in kommuner)
    assert "23" in cells and "05" not in cells


def test_an_unknown_lan_reads_nothing_and_has_no_rows(dashboard_app: dash.Dash):
    from metrics.dashboard.source.context import current_snapshot

    with dashboard_app.server.test_request_context("/"):
        snap = current_snapshot()
        assert snap.rows("fast_lakarkontakt", "99").empty
        assert snap.cells("fast_lakarkontakt", "99", "2024") == {}
        assert "99" in snap.loaded_lans()  # remembered as empty, not asked of the database again


# --- a writer holds the database: the board keeps showing the last numbers (issue 6) ------------

WRITE_AND_HOLD = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("CREATE TABLE IF NOT EXISTS writer_was_here (x INTEGER)")
con.execute("INSERT INTO writer_was_here VALUES (1)")
print("holding", flush=True)
sys.stdin.read()
con.close()
"""


class Writer:
    """Another process (an import or compute) that has written to the database and still holds it;
    it lets go, closing its connection as a finished run does, when the block ends."""

    def __init__(self, db: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", WRITE_AND_HOLD, str(db)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def __enter__(self) -> Writer:
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "holding"
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        self.process.wait(timeout=60)
        self.process.stdout.close()


def _board(app: dash.Dash, lan: str) -> str:
    from metrics.dashboard.pages import lansoversikt

    with app.server.test_request_context("/"):
        content, _state = lansoversikt.update(lan, "2024")
    return str(content)


@pytest.fixture
def own_copy(demo_database, tmp_path) -> Path:
    """The demo database copied, so that a writer may change it; no snapshot read yet."""
    from metrics.dashboard.source import data

    db = tmp_path / "matavla.duckdb"
    shutil.copyfile(demo_database.db_path, db)
    data._snapshots.clear()
    return db


def test_a_lan_no_viewer_has_asked_for_shows_its_numbers_while_a_writer_holds_the_database(
    demo_database, own_copy
):
    """A worker has served Östergötland only; then the monthly compute holds the file. Jämtland's
    board must still show Jämtland's numbers (the same board as once the run is done: the run here
    changes no result), not "Databasen uppdateras"."""
    from metrics.dashboard.server import create_app
    from metrics.dashboard.source.context import current_snapshot

    app = create_app(db_path=own_copy, catalog_path=demo_database.catalog_path)
    assert "uppdateras" not in _board(app, "05")  # a viewer asks for Östergötland only
    with app.server.test_request_context("/"):
        snap = current_snapshot()
    assert "23" in snap.periods_by_lan
    snap.wait_until_read(timeout=120)  # the worker's background reader has had its time
    with Writer(own_copy):
        during = _board(app, "23")
    after = _board(app, "23")  # the run is over: read afresh
    assert "uppdateras" not in during
    assert "Jämtlands län · 2024" in after  # the page is Jämtland's board, read when free
    assert during == after


def test_a_lan_the_new_version_has_not_read_yet_shows_the_previous_rows_while_a_writer_holds_it(
    demo_database, own_copy, monkeypatch
):
    """Import, then compute: between them a viewer's request reads the new version's aggregates,
    and the compute holds the file before Jämtland's rows of that version were read. The board
    shows the rows the worker read before (the last good numbers), not "Databasen uppdateras"."""
    from metrics.dashboard.server import create_app
    from metrics.dashboard.source import data
    from metrics.dashboard.source.context import current_snapshot

    # no background reader: the compute comes before it reaches Jämtland
    monkeypatch.setattr(data.Snapshot, "read_all_in_background", lambda self: None)
    app = create_app(db_path=own_copy, catalog_path=demo_database.catalog_path)
    first = _board(app, "23")  # version 1: Jämtland's rows read
    with Writer(own_copy):  # the import
        pass
    assert _board(app, "05")  # version 2: aggregates and Östergötland read, not Jämtland
    with app.server.test_request_context("/"):
        assert current_snapshot().loaded_lans() == ("05",)
    with Writer(own_copy):  # the compute
        during = _board(app, "23")
    assert "uppdateras" not in during
    assert during == first
