"""The pages' content kept per database version (source/version_memo.py).

Kommun, its trend, Jämför and Indikator build their content once per database version, catalogue
and choices; a new computation or an edited catalogue shows at once. The values are those of
test_plans.RESULTS, worked out by hand there: Linköping (0580) has fast läkarkontakt 55 % (53–57),
the län 45 %; the update below gives Linköping 30 % (28,7–31,3), below the län: worse.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.test_dashboard_board_table import parse, previous_rows_while_a_writer_holds_the_file, row_of
from tests.test_plans import RESULTS, ROOT, build_results, texts


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return build_results(tmp_path / "results.duckdb", RESULTS)


@pytest.fixture
def app(db: Path) -> Any:
    from metrics.dashboard.server import create_app

    return create_app(db_path=db, catalog_path=ROOT / "indicators.yaml")


def new_computation(db: Path, sql: str) -> None:
    """Change the results as a new computation would, and drop the cached snapshot."""
    from metrics.dashboard.source import data

    con = duckdb.connect(str(db))
    con.execute(sql)
    con.close()
    data._snapshots.clear()  # the file's version key may not change within the same second


LINKOPING_30 = (
    "UPDATE results SET value = 30.0, ci_low = 28.7, ci_high = 31.3, numerator = 1500 "
    "WHERE indicator = 'fast_lakarkontakt' AND area_code = '0580'"
)


def shown(content: Any) -> str:
    """The page's texts, one per line, with no-break spaces (between a number and its unit) as spaces."""
    return "\n".join(texts(content)).replace("\u00a0", " ")


def spine_value(content: list[Any]) -> str:
    """Linköping's fast läkarkontakt as the profile's spine table shows it."""
    from tests.markup_text import raw_markup

    markup = next(m for m in (raw_markup(c) for c in content) if m is not None)
    return row_of(parse(markup), "fast_lakarkontakt").find_all("strong")[0].text()


def test_the_kommun_profile_is_kept_and_rebuilt_for_a_new_computation(app: Any, db: Path) -> None:
    from metrics.dashboard.pages import kommun

    with app.server.test_request_context("/"):
        first = kommun.render("0580", "2024")
        assert kommun.render("0580", "2024") is first  # kept, not built again
        assert kommun.render("0581", "2024") is not first  # another kommun is its own entry
        assert spine_value(first) == "55,0 %"
    new_computation(db, LINKOPING_30)
    with app.server.test_request_context("/"):
        again = kommun.render("0580", "2024")
    assert again is not first and spine_value(again) == "30,0 %"
    summary = next(t for t in texts(again) if t.startswith("Linköping ligger"))
    assert "signifikant sämre på 1 indikator: Fast läkarkontakt" in summary


def test_the_kommun_trend_is_kept_and_rebuilt_for_a_new_computation(app: Any, db: Path) -> None:
    from metrics.dashboard.pages import kommun
    from metrics.dashboard.source.context import indicator_or_none

    with app.server.test_request_context("/"):
        indicator = indicator_or_none("fast_lakarkontakt")
        assert indicator is not None
        first = kommun.render_trend("0580", "2024", indicator)
        assert kommun.render_trend("0580", "2024", indicator) is first
        assert "55,0 %" in shown(first)
    new_computation(db, LINKOPING_30)
    with app.server.test_request_context("/"):
        indicator = indicator_or_none("fast_lakarkontakt")
        assert indicator is not None
        again = kommun.render_trend("0580", "2024", indicator)
    assert again is not first and "30,0 %" in shown(again) and "55,0 %" not in shown(again)


def test_jamfor_is_kept_per_choice_and_rebuilt_for_a_new_computation(app: Any, db: Path) -> None:
    from metrics.dashboard.pages import jamfor
    from metrics.dashboard.source.context import indicator_or_none

    with app.server.test_request_context("/"):
        indicator = indicator_or_none("fast_lakarkontakt")
        assert indicator is not None
        first = jamfor.render("05", indicator, "2024", [])
        assert jamfor.render("05", indicator, "2024", []) is first
        marked = jamfor.render("05", indicator, "2024", ["0580"])
        assert marked is not first and "tile-highlight" in str(marked) and "tile-highlight" not in str(first)
        assert "55,0 %" in shown(first)
    new_computation(db, LINKOPING_30)
    with app.server.test_request_context("/"):
        indicator = indicator_or_none("fast_lakarkontakt")
        assert indicator is not None
        again = jamfor.render("05", indicator, "2024", [])
    assert again is not first and "30,0 %" in shown(again) and "55,0 %" not in shown(again)


def test_indikator_is_kept_and_rebuilt_for_an_edited_catalogue(tmp_path: Path, db: Path) -> None:
    import os

    from metrics.dashboard.pages import indikator
    from metrics.dashboard.server import create_app
    from metrics.dashboard.source.context import indicator_or_none

    catalogue = tmp_path / "indicators.yaml"
    text = (ROOT / "indicators.yaml").read_text(encoding="utf-8")
    catalogue.write_text(text, encoding="utf-8")
    app = create_app(db_path=db, catalog_path=catalogue)
    with app.server.test_request_context("/"):
        indicator = indicator_or_none("fast_lakarkontakt")
        assert indicator is not None
        first = indikator.render(indicator, "05", "2024", [])
        assert indikator.render(indicator, "05", "2024", []) is first
        assert indikator.render(indicator, "05", "2024", ["0580"]) is not first
    marker = "  - id: fast_lakarkontakt\n    title: Fast läkarkontakt\n"
    catalogue.write_text(
        text.replace(marker, "  - id: fast_lakarkontakt\n    title: Fast läkarkontakt (ny titel)\n"),
        encoding="utf-8",
    )
    stat = catalogue.stat()
    os.utime(catalogue, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # a later modification
    with app.server.test_request_context("/"):
        indicator = indicator_or_none("fast_lakarkontakt")
        assert indicator is not None
        again = indikator.render(indicator, "05", "2024", [])
    assert again is not first
    assert "Fast läkarkontakt (ny titel) · Östergötlands län" in texts(again)


def test_indikator_is_rebuilt_for_a_new_computation(app: Any, db: Path) -> None:
    from metrics.dashboard.pages import indikator
    from metrics.dashboard.source.context import indicator_or_none

    with app.server.test_request_context("/"):
        indicator = indicator_or_none("fast_lakarkontakt")
        assert indicator is not None
        first = indikator.render(indicator, "05", "2024", [])
        assert "55,0 %" in shown(first)
    new_computation(db, LINKOPING_30)
    with app.server.test_request_context("/"):
        indicator = indicator_or_none("fast_lakarkontakt")
        assert indicator is not None
        again = indikator.render(indicator, "05", "2024", [])
    assert "30,0 %" in shown(again) and "55,0 %" not in shown(again)


def test_the_default_kommun_is_the_largest_and_found_again_for_a_new_computation(
    tmp_path: Path,
) -> None:
    from metrics.dashboard.server import create_app
    from metrics.dashboard.views.page import default_kommun

    # akutbesok_75, the first indicator by id: Linköping 6 000, Motala 5 000 → Linköping
    rows = [(*r[:5], 6000, *r[6:]) if r[0] == "akutbesok_75" and r[1] == "0580" else r for r in RESULTS]
    db = build_results(tmp_path / "results.duckdb", rows)
    app = create_app(db_path=db, catalog_path=ROOT / "indicators.yaml")
    with app.server.test_request_context("/"):
        assert default_kommun("05") == "0580"
        assert default_kommun(None) is None
    new_computation(
        db, "UPDATE results SET denominator = 9000 WHERE indicator = 'akutbesok_75' AND area_code = '0581'"
    )
    with app.server.test_request_context("/"):
        assert default_kommun("05") == "0581"  # Motala 9 000 > Linköping 6 000


def test_a_profile_built_from_the_previous_rows_while_a_writer_holds_the_file_is_not_kept(
    app: Any,
) -> None:
    from metrics.dashboard.pages import kommun

    with previous_rows_while_a_writer_holds_the_file(app), app.server.test_request_context("/"):
        assert spine_value(kommun.render("0580", "2024")) == "30,0 %"  # the previous rows, shown
    with app.server.test_request_context("/"):
        assert spine_value(kommun.render("0580", "2024")) == "55,0 %"  # this version's, not a kept one


def test_jamfor_draws_the_map_again_when_the_boundaries_file_changes(tmp_path: Path) -> None:
    from metrics.dashboard.pages.jamfor import _map_version

    path = tmp_path / "kommuner.geojson"
    assert _map_version(None) is None
    assert _map_version(path) == -1  # missing
    path.write_text("{}", encoding="utf-8")
    before = _map_version(path)
    stat = path.stat()
    import os

    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert _map_version(path) != before


def grid_of(content: Any) -> Any:
    """The Indikator page's grid (id 'indikator-grid') in its content."""
    if isinstance(content, (list, tuple)):
        return next((g for c in content if (g := grid_of(c)) is not None), None)
    if getattr(content, "id", None) == "indikator-grid":
        return content
    children = getattr(content, "children", None)
    return grid_of(children) if children is not None else None


def test_indikators_grid_is_shared_by_the_periods_of_a_type_and_rebuilt_for_a_new_computation(
    app: Any, db: Path
) -> None:
    from metrics.dashboard.pages import indikator
    from metrics.dashboard.source.context import indicator_or_none

    with app.server.test_request_context("/"):
        indicator = indicator_or_none("fast_lakarkontakt")
        assert indicator is not None
        grid = grid_of(indikator.render(indicator, "05", "2024", []))
        assert grid is not None
        assert grid_of(indikator.render(indicator, "05", "2023", ["0581"])) is grid  # years: one grid
    linkoping = [r for r in grid.rowData if r["Område"] == "Linköping" and r["Period"] == "2024"]
    assert [(r["KI 95 % låg"], r["KI 95 % hög"]) for r in linkoping] == [(53.0, 57.0)]
    new_computation(db, LINKOPING_30)
    with app.server.test_request_context("/"):
        indicator = indicator_or_none("fast_lakarkontakt")
        assert indicator is not None
        again = grid_of(indikator.render(indicator, "05", "2024", []))
    linkoping = [r for r in again.rowData if r["Område"] == "Linköping" and r["Period"] == "2024"]
    assert [(r["KI 95 % låg"], r["KI 95 % hög"]) for r in linkoping] == [(28.7, 31.3)]


def test_a_marked_value_that_is_not_a_kommun_code_is_ignored_not_an_error(app: Any) -> None:
    """The marked kommuner key what is kept: a forged answer holding a list or dict (unhashable)
    must not break the page."""
    import json

    from metrics.dashboard.pages import indikator, jamfor

    with app.server.test_request_context("/"):
        compare, _ = jamfor.update("05", "fast_lakarkontakt", "2024", [{"x": 1}, ["0581"], "0580"])
        same, _ = jamfor.update("05", "fast_lakarkontakt", "2024", ["0580"])
        page, _ = indikator.update("fast_lakarkontakt", "05", "2024", [{"x": 1}, "0580"])
        plain, _ = indikator.update("fast_lakarkontakt", "05", "2024", ["0580"])
    assert json.dumps(compare) == json.dumps(same) and "tile-highlight" in json.dumps(compare)
    assert json.dumps(page) == json.dumps(plain)


def test_the_riket_page_is_kept_and_rebuilt_for_a_new_computation(app: Any, db: Path) -> None:
    # Building it reads every indicator's riket and län totals: 0.4 s of CPU with 21 län, per
    # answer, before it was kept (benchmarks/bench_page_callbacks.py --riket).
    from metrics.dashboard.pages import riket

    with app.server.test_request_context("/"):
        first = riket.render("2024")
        assert riket.render("2024") is first
        assert "45,0 %" in shown(first)  # Östergötland's fast läkarkontakt
    new_computation(
        db,
        "UPDATE results SET value = 40.0, ci_low = 39.0, ci_high = 41.0 "
        "WHERE indicator = 'fast_lakarkontakt' AND area_code = '05'",
    )
    with app.server.test_request_context("/"):
        again = riket.render("2024")
    assert again is not first and "40,0 %" in shown(again) and "45,0 %" not in shown(again)
