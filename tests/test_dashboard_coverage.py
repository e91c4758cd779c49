"""What the board says about coverage: 'saknas', 'Länet exklusive …', 't.o.m. november'.

A small results table is written by hand (Jämtland, one indicator), so every expectation
can be read off the rows below.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from metrics.catalogue.loader import load_catalogue
from metrics.dashboard.logic.board import board_frame, board_row
from metrics.dashboard.logic.comparison import NO_DATA
from metrics.dashboard.logic.delivered import coverage_rows, months_text
from metrics.dashboard.logic.urlstate import resolve_period
from metrics.dashboard.source.data import read_snapshot
from metrics.db import connect
from metrics.geography import load_geography

ROOT = Path(__file__).resolve().parents[1]
BERG, OSTERSUND, KROKOM = "2326", "2380", "2309"
JAMTLAND = "23"
INSERT = (
    "INSERT INTO results (indicator, area_code, area_level, period, period_type, period_start, breakdown, "
    "numerator, denominator, value, ci_low, ci_high, suppressed, missing, complete, data_through) "
    "VALUES (?, ?, ?, ?, 'year', ?, 'total', ?, ?, ?, NULL, NULL, false, ?, ?, ?)"
)

# (area, level, period, numerator, denominator, missing, complete, data_through)
ROWS = [
    (JAMTLAND, "lan", "2023", 60, 1000, False, True, "2023-12-31"),
    (JAMTLAND, "lan", "2024", 50, 900, False, False, "2024-11-30"),  # January–November only
    (OSTERSUND, "kommun", "2023", 40, 600, False, True, "2023-12-31"),
    (OSTERSUND, "kommun", "2024", 35, 600, False, False, "2024-11-30"),
    (KROKOM, "kommun", "2023", 20, 400, False, True, "2023-12-31"),
    (KROKOM, "kommun", "2024", 15, 300, False, False, "2024-11-30"),
    (BERG, "kommun", "2023", None, None, True, False, None),  # Berg delivered nothing
    (BERG, "kommun", "2024", None, None, True, False, None),
]


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue(ROOT / "indicators.yaml", strict=True).catalogue


@pytest.fixture
def snap(tmp_path: Path):
    con = connect(tmp_path / "m.duckdb")
    for area, level, period, num, den, missing, complete, through in ROWS:
        value = None if num is None else 1000 * num / den
        con.execute(
            INSERT,
            [
                "sip_per_1000",
                area,
                level,
                period,
                f"{period}-01-01",
                num,
                den,
                value,
                missing,
                complete,
                through,
            ],
        )
    con.close()
    return read_snapshot(tmp_path / "m.duckdb")


def test_a_kommun_that_did_not_deliver_shows_saknas_and_the_lan_names_it(snap, catalogue):
    indicator = catalogue.indicator("sip_per_1000")
    kommuner = [OSTERSUND, BERG, KROKOM]
    row = board_row(snap, indicator, JAMTLAND, "2023", kommuner)

    berg = next(c for c in row.cells if c.code == BERG)
    assert (berg.text, berg.cls) == ("saknas", NO_DATA)  # not "för få"
    assert row.missing == "Länet exklusive Berg: uppgift saknas"
    assert row.partial is None
    frame = board_frame([_section(row, catalogue)], "Jämtlands län", "2023")
    assert "Länet exklusive Berg: uppgift saknas" in frame["Anmärkning"].tolist()


def test_a_year_covered_to_november_is_marked_and_not_compared_with_the_full_year_before(snap, catalogue):
    indicator = catalogue.indicator("sip_per_1000")
    row = board_row(snap, indicator, JAMTLAND, "2024", [OSTERSUND, BERG, KROKOM])

    assert row.partial == "t.o.m. november"
    # 50/900 against 60/1000 would read as a fall; eleven months against twelve is no change
    assert row.change is None and row.previous_period is None
    # nor does the trend end in a dip: 2023 is 1 000 · 60 / 1 000 = 60, the partial 2024 is left out
    assert row.trend_years == ["2023", "2024"] and row.trend_values == [pytest.approx(60.0), None]


def test_the_board_opens_on_the_latest_complete_year(snap):
    assert snap.partial_periods(JAMTLAND) == frozenset({"2024"})
    assert resolve_period(None, snap.periods(lan=JAMTLAND), snap.partial_periods(JAMTLAND)) == "2023"
    # a stray far-future year does not win either, as long as it is partial
    assert resolve_period(None, ["2023", "2024", "2099"], {"2099"}) == "2024"
    # an explicit choice is kept
    assert resolve_period("2024", ["2023", "2024"], {"2024"}) == "2024"


def test_months_are_written_as_runs():
    assert months_text(list(range(1, 13))) == "jan–dec"
    assert months_text(list(range(1, 12))) == "jan–nov"
    assert months_text([1, 2, 3, 5, 6]) == "jan–mar, maj–jun"
    assert months_text([]) == "–"


def test_the_data_page_groups_a_whole_lan_and_lists_a_kommun_that_differs():
    jamtland = [k.code for k in load_geography().kommuner_in(JAMTLAND)]
    months = pd.date_range("2023-01-01", "2024-11-01", freq="MS")
    rows = [("contacts", k, m.date()) for k in jamtland for m in months]
    # home care: every Jämtland kommun for 2023, all but Berg for 2024
    rows += [("home_care", k, m.date()) for k in jamtland for m in months if k != BERG or m.year == 2023]
    years, table = coverage_rows(pd.DataFrame(rows, columns=["extract", "kommun", "month"]))

    assert years == [2023, 2024]
    contacts = [r for r in table if r.extract == "contacts"]
    assert [(r.areas, r.by_year) for r in contacts] == [
        ("Jämtlands län, alla 8 kommuner", {2023: "jan–dec", 2024: "jan–nov"})
    ]
    assert str(contacts[0].data_through) == "2024-11-30"
    home_care = {r.areas: r.by_year for r in table if r.extract == "home_care"}
    assert home_care["Berg"] == {2023: "jan–dec", 2024: "–"}
    assert home_care["Östersund"] == {2023: "jan–dec", 2024: "jan–nov"}


def _section(row, catalogue):  # type: ignore[no-untyped-def]
    from metrics.dashboard.logic.board import BoardSection
    from metrics.dashboard.logic.plan import plan_of

    return BoardSection(plan_of(catalogue, "23").nodes[0], [row])


def test_the_pages_show_saknas_and_the_partial_period(tmp_path: Path, snap) -> None:
    """Länsöversikt, Jämför, Kommun and Data render the notes (the fixture's database is written)."""
    from metrics.dashboard.server import create_app

    con = connect(tmp_path / "m.duckdb")
    con.execute("INSERT INTO coverage VALUES (1, 'sip', '2380', DATE '2023-01-01', DATE '2024-11-01', 'lan')")
    con.close()
    app = create_app(db_path=tmp_path / "m.duckdb", catalog_path=ROOT / "indicators.yaml")
    from metrics.dashboard.pages import dataunderlag, jamfor, kommun, lansoversikt
    from metrics.dashboard.source.context import indicator_or_none

    with app.server.test_request_context("/"):
        board = str(lansoversikt.render(JAMTLAND, "2024"))
        ind = indicator_or_none("sip_per_1000")
        assert ind is not None
        compare = str(jamfor.render(JAMTLAND, ind, "2024", []))
        berg = str(kommun.render(BERG, "2024"))
        data = str(dataunderlag.render())
    assert "t.o.m. november" in board and "Länet exklusive Berg: uppgift saknas" in board
    assert "jämförs inte" in board
    assert "Länet exklusive Berg: uppgift saknas" in compare and "saknas" in compare
    assert "Uppgift saknas (ingen leverans)" in berg
    assert "Täckning" in data and "jan–nov" in data and "2024-11-30" in data


def test_a_year_waiting_only_for_follow_up_does_not_hold_the_board_back(tmp_path: Path):
    # Readmissions (follow_up_days: 30): 2024's data reach 31 December, but its last readmissions
    # would come in January 2025, so the indicator's 2024 is not complete. Every other indicator's
    # 2024 is; the board still opens on 2024 (the readmission row itself says it is incomplete).
    con = connect(tmp_path / "m.duckdb")
    for period, complete, through in (("2023", True, "2023-12-31"), ("2024", False, "2024-12-31")):
        con.execute(
            INSERT,
            [
                "aterinskrivning_30d_65",
                JAMTLAND,
                "lan",
                period,
                f"{period}-01-01",
                5,
                50,
                10.0,
                False,
                complete,
                through,
            ],
        )
    con.close()
    snap = read_snapshot(tmp_path / "m.duckdb")
    assert snap.partial_periods(JAMTLAND) == frozenset()
    assert resolve_period(None, snap.periods(lan=JAMTLAND), snap.partial_periods(JAMTLAND)) == "2024"
