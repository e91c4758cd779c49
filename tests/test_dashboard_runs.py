"""The board names its run, shows stale results as stale, and survives a broken indicators.yaml."""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from metrics.catalogue.loader import load_catalogue
from metrics.compute.engine import compute_all
from metrics.dashboard.source import context
from metrics.dashboard.source.runinfo import IndicatorRun, RunInfo, definition_changed, run_label, stale_text
from metrics.errors import CatalogueError
from tests.test_compute_runs import ID, PERSON_ID, new_db

ROOT = Path(__file__).resolve().parents[1]


def break_file(path: Path) -> None:
    """A tab in the indentation (YAML forbids it), saved a second later so the file version changes."""
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("\n  - id: ", "\n\t- id: ", 1), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "indicators.yaml"
    shutil.copy(ROOT / "indicators.yaml", path)
    yield path
    context._catalogues.pop(str(path.resolve()), None)
    context._last_good.pop(str(path.resolve()), None)


def forget_catalogues(path: Path) -> None:
    """As after a restart: this process has loaded no catalogue."""
    context._catalogues.pop(str(path.resolve()), None)
    context._last_good.pop(str(path.resolve()), None)


def test_a_broken_catalogue_file_keeps_the_last_valid_catalogue(catalog: Path) -> None:
    good = context.load_catalogue_cached(catalog)
    break_file(catalog)
    with pytest.raises(CatalogueError):
        load_catalogue(catalog)  # the file really is broken

    assert context.load_catalogue_cached(catalog) is good
    state = context.catalogue_state(catalog)
    assert state.source == "last_good" and state.broken_since is not None
    assert state.problem is not None and state.problem.startswith("indicators.yaml:")  # names the line
    assert str(catalog.parent) not in state.problem  # not the server's path


def test_after_a_restart_the_catalogue_stored_with_the_last_run_is_served(
    catalog: Path, tmp_path: Path
) -> None:
    db = tmp_path / "board.duckdb"
    cat = load_catalogue(catalog).catalogue
    con = new_db(db, cat)
    compute_all(con, cat, catalogue_source=catalog.read_bytes())
    con.close()
    break_file(catalog)
    forget_catalogues(catalog)

    served = context.load_catalogue_cached(catalog, db)
    assert [i.id for i in served.indicators] == [i.id for i in cat.indicators]
    assert context.catalogue_state(catalog, db).source == "run"

    forget_catalogues(catalog)
    with pytest.raises(CatalogueError, match="ingen giltig katalog"):  # nothing to fall back on: say so
        context.load_catalogue_cached(catalog, tmp_path / "no.duckdb")


def test_the_footer_names_the_run() -> None:
    info = RunInfo(run=41, finished_at=datetime(2026, 3, 2, 14, 5))
    assert run_label(info, "2026-03-02 14:04:58") == "Beräknad 2026-03-02 14:05, körning 41"
    assert run_label(RunInfo(), "2025-01-15 09:30:00") == "Data beräknad 2025-01-15 09:30"  # before runs


def test_stale_results_say_which_run_they_come_from_and_why() -> None:
    state = IndicatorRun(
        "stale",
        40,
        datetime(2026, 2, 1, 8, 0),
        "h",
        "indikator 'x': okänd kolumn",
        datetime(2026, 3, 2, 9, 0),
    )
    assert stale_text(state) == (
        "Visar resultat från körning 40 (2026-02-01) – beräkningen 2026-03-02 misslyckades: "
        "indikator 'x': okänd kolumn"
    )
    assert stale_text(dataclasses.replace(state, status="ok")) is None


def test_a_changed_definition_is_noticed_but_a_new_title_is_not() -> None:
    from metrics.catalogue.fingerprint import definition_hash

    cat = load_catalogue(ROOT / "indicators.yaml").catalogue
    ind = cat.indicator(ID)
    state = IndicatorRun("ok", 1, None, definition_hash(ind, cat))
    assert not definition_changed(state, dataclasses.replace(ind, title="Nytt namn", line=99), cat)
    assert definition_changed(state, dataclasses.replace(ind, where="provider = 'region'"), cat)
    assert definition_changed(state, dataclasses.replace(ind, multiplier=1000), cat)


def test_the_pages_show_stale_results_the_run_and_a_broken_catalogue(catalog: Path, tmp_path: Path) -> None:
    """Data page and indicator page, rendered in the app, after a failed compute and a broken file."""
    from metrics.dashboard.server import create_app

    db = tmp_path / "board.duckdb"
    cat = load_catalogue(catalog).catalogue
    con = new_db(db, cat)
    compute_all(con, cat, catalogue_source=catalog.read_bytes())
    # run 2 fails with a database error that quotes a person-level value
    failing = dataclasses.replace(cat.indicator(ID), where="CAST(person_id AS INTEGER) > 0")
    compute_all(con, dataclasses.replace(cat, indicators=(failing,)), only=[ID])
    con.close()

    app = create_app(db_path=db, catalog_path=catalog)
    from metrics.dashboard.pages import dataunderlag, indikator  # after the app: pages register with it

    with app.server.test_request_context("/"):
        data_page = str([c.to_plotly_json() if c is not None else None for c in dataunderlag.render()])
        indicator_page = str(indikator.run_notices(context.indicator_or_none(ID)))  # type: ignore[arg-type]
    assert "Inaktuell" in data_page and "körning 2" in data_page
    assert "Visar resultat från körning 1" in data_page
    assert "Visar resultat från körning 1" in indicator_page
    assert PERSON_ID not in data_page and "Could not convert" not in data_page

    break_file(catalog)
    with app.server.test_request_context("/"):
        data_page = str([c.to_plotly_json() if c is not None else None for c in dataunderlag.render()])
        assert context.indicator_or_none(ID) is not None  # the pages keep their indicators
    assert "indicators.yaml har fel sedan" in data_page
    assert "tavlan visar den senast giltiga katalogen" in data_page


def test_the_indicator_page_says_when_the_definition_changed_after_the_results(
    catalog: Path, tmp_path: Path
) -> None:
    from metrics.dashboard.server import create_app

    db = tmp_path / "board.duckdb"
    cat = load_catalogue(catalog).catalogue
    con = new_db(db, cat)
    compute_all(con, cat, only=[ID])
    con.close()
    app = create_app(db_path=db, catalog_path=catalog)
    from metrics.dashboard.pages import indikator

    with app.server.test_request_context("/"):
        assert "Definitionen har ändrats" not in str(indikator.run_notices(cat.indicator(ID)))
    text = catalog.read_text(encoding="utf-8")
    at = text.index(f"id: {ID}")  # this indicator's multiplier, 100 → 1000
    catalog.write_text(
        text[:at] + text[at:].replace("multiplier: 100\n", "multiplier: 1000\n", 1), encoding="utf-8"
    )
    stat = catalog.stat()
    os.utime(catalog, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    with app.server.test_request_context("/"):
        changed = context.indicator_or_none(ID)
        assert changed is not None
        notices = str(indikator.run_notices(changed))
    assert "Definitionen har ändrats efter senaste beräkningen" in notices
