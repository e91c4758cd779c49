"""Riket is one more published sum (riket = Σ län), so it exists only where the data cover Sweden.

With two of 21 län, a "riket" cell is the sum of two län: riket − one län = the other län, so
protecting it hides more län cells for a number that is not Sweden. So compute keeps riket only
for periods that all 21 län deliver with no kommun missing (`metrics.compute.riket`), and then
protects it: without the equation, a hidden län is riket − the other 20 län.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from metrics.compute import equations
from metrics.compute.engine import checked_indicator, finish_cells, write_areas
from metrics.compute.equations import sum_families
from metrics.compute.publication import publishing_plan
from metrics.compute.riket import covers_whole_country, whole_country_only
from metrics.extracts.coverage import COVERED_MONTHS, write_covered_months
from metrics.geography import RIKET, load_geography
from tests.indicator_cases import core_catalogue

COLUMNS = [
    "area_code",
    "area_level",
    "period_type",
    "period_start",
    "breakdown",
    "sex",
    "age_band",
    "numerator",
    "denominator",
]
LANS = sorted(load_geography().lan)


@pytest.fixture(scope="module")
def catalogue():
    return core_catalogue()


def _raw(cells: list[tuple[str, str, int | None, int | None]], year: int = 2022) -> pd.DataFrame:
    raw = pd.DataFrame(
        [
            (code, level, "year", pd.Timestamp(f"{year}-01-01"), "total", None, None, num, den)
            for code, level, num, den in cells
        ],
        columns=COLUMNS,
    )
    raw["missing"] = raw["numerator"].isna()
    raw["complete"], raw["data_through"] = True, pd.NaT
    return raw


# aterinskrivning_30d_65 (Wilson): a count of 1..4 or a denominator under 10 is hidden (primary).
# Jämtland (23) 3 of 27 readmissions: primary. Each of the other 20 län 100 of 1 000: shown.
# Riket = 3 + 20·100 = 2 003 of 27 + 20·1 000 = 20 027.
# Published without protecting riket: Jämtland = 2 003 − 2 000 = 3 of 20 027 − 20 000 = 27.
WHOLE = [(lan, "lan", 3, 27) if lan == "23" else (lan, "lan", 100, 1000) for lan in LANS]
WHOLE.append((RIKET, "riket", 2003, 20027))


@pytest.mark.parametrize("exact", [False, True], ids=["snabbkontroll", "lp"])
def test_with_all_21_lan_a_hidden_lan_is_not_riket_minus_the_other_lan(catalogue, exact):
    indicator = catalogue.indicator("aterinskrivning_30d_65")
    out = finish_cells(_raw(WHOLE), indicator, catalogue, exact_audit=exact).set_index("area_code")
    assert len(WHOLE) == 22 and RIKET in out.index  # riket is kept: all 21 län, none missing
    assert out.loc["23", "suppression"] == "primary"
    # riket and the other 20 län must not all be published while Jämtland is hidden
    others = [lan for lan in LANS if lan != "23"]
    assert out.loc[[RIKET, *others], "suppressed"].any()
    assert out.attrs["audit"].passed


# Two län: Jämtland 1 of 12 (Ragunda) and 2 of 15 (Bräcke) → 3 of 27, all primary;
# Västerbotten 10 of 60 and 20 of 80 → 30 of 140, all shown. A "riket" of the two would be
# 33 of 167 – not Sweden – and protecting it would hide Västerbotten or itself as well.
TWO = [
    ("2303", "kommun", 1, 12),
    ("2305", "kommun", 2, 15),
    ("23", "lan", 3, 27),
    ("2401", "kommun", 10, 60),
    ("2403", "kommun", 20, 80),
    ("24", "lan", 30, 140),
]


@pytest.mark.parametrize("exact", [False, True], ids=["snabbkontroll", "lp"])
def test_two_lan_publish_no_riket_and_hide_no_more_than_without_it(catalogue, exact):
    indicator = catalogue.indicator("aterinskrivning_30d_65")
    out = finish_cells(_raw([*TWO, (RIKET, "riket", 33, 167)]), indicator, catalogue, exact_audit=exact)
    assert RIKET not in set(out["area_code"])
    hidden = out.loc[out["suppressed"].astype(bool), "area_code"]
    assert sorted(hidden) == ["23", "2303", "2305"]  # Jämtland's three primary cells, nothing more
    assert out.attrs["audit"].passed


def test_riket_is_kept_only_for_periods_all_21_lan_deliver_with_no_kommun_missing():
    # 2023: all 21 län, nothing missing → kept. 2024: all 21 län, but Ödeshög (0509) missing → dropped.
    # 2022: 20 län (no Norrbotten) → dropped.
    y2023 = _raw([*((lan, "lan", 1, 10) for lan in LANS), (RIKET, "riket", 21, 210)], 2023)
    y2024 = _raw(
        [*((lan, "lan", 1, 10) for lan in LANS), ("0509", "kommun", None, None), (RIKET, "riket", 21, 210)],
        2024,
    )
    y2022 = _raw([*((lan, "lan", 1, 10) for lan in LANS if lan != "25"), (RIKET, "riket", 20, 200)], 2022)
    kept = whole_country_only(pd.concat([y2022, y2023, y2024], ignore_index=True))
    riket = kept[kept["area_code"] == RIKET]
    assert list(riket["period_start"].dt.year) == [2023]
    assert len(kept) == 20 + 22 + 23 - 1  # only the two riket cells went


def test_riket_is_the_sum_of_every_lan(catalogue):
    families = sum_families(catalogue)
    to_riket = [f for f in families if RIKET in f.values()]
    assert len(to_riket) == 1
    assert to_riket[0] == {code: RIKET for code in LANS}
    assert len(to_riket[0]) == 21


def _covered(con: duckdb.DuckDBPyConnection, kommuner: list[str]) -> None:
    con.execute(f"CREATE OR REPLACE TABLE {COVERED_MONTHS} (source VARCHAR, kommun VARCHAR, month DATE)")
    con.executemany(
        f"INSERT INTO {COVERED_MONTHS} VALUES ('listing', ?, DATE '2024-01-01')", [(k,) for k in kommuner]
    )


def _riket_rows(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    sql = "SELECT count(*), count(DISTINCT area_code) FROM areas WHERE area_level = 'riket'"
    row = con.execute(sql).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def test_the_roll_up_has_riket_only_when_the_deliveries_cover_all_21_lan(catalogue):
    geography = load_geography()
    con = duckdb.connect()
    write_areas(con, catalogue)  # no coverage yet: nothing is known to be covered
    assert _riket_rows(con) == (0, 0)
    # A region's delivery: every kommun of Östergötland and Jämtland (13 + 8 kommuner).
    _covered(con, [k.code for lan in ("05", "23") for k in geography.kommuner_in(lan)])
    write_areas(con, catalogue)
    assert not covers_whole_country(con) and _riket_rows(con) == (0, 0)
    # One kommun in each of the 21 län: every kommun (290) rolls up to riket ("00").
    _covered(con, [geography.kommuner_in(lan)[0].code for lan in LANS])
    write_areas(con, catalogue)
    assert covers_whole_country(con) and _riket_rows(con) == (290, 1)
    assert geography.area_name(RIKET) == "Riket"


def test_the_two_lan_demo_has_no_riket_and_hides_as_many_cells_as_without_riket(
    demo_database, tmp_path: Path
):
    """Östergötland and Jämtland: no riket rows, and the hidden cells are those of a catalogue
    whose sums know no riket at all (the län → riket family removed)."""
    con = duckdb.connect(str(demo_database.db_path), read_only=True)
    try:
        riket = con.execute("SELECT count(*) FROM results WHERE area_level = 'riket' OR area_code = '00'")
        assert riket.fetchone() == (0,)
    finally:
        con.close()
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_database.db_path, path)
    con = duckdb.connect(str(path))
    catalogue = core_catalogue()
    indicator = catalogue.indicator("fast_lakarkontakt")
    write_covered_months(con)
    write_areas(con, catalogue)  # as compute_all does, after the coverage
    plan = publishing_plan(con, catalogue.publication)
    cells, _ = checked_indicator(con, indicator, catalogue, exact_audit=False, plan=plan)

    def without_riket(cat):  # the catalogue's sums as before riket existed
        return [f for f in sum_families(cat) if RIKET not in f.values()]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(equations, "sum_families", without_riket)
        con.execute("DELETE FROM areas WHERE area_level = 'riket'")
        before, _ = checked_indicator(con, indicator, catalogue, exact_audit=False, plan=plan)
    con.close()
    assert RIKET not in set(cells["area_code"])
    assert cells["suppressed"].fillna(False).astype(bool).sum() > 0  # the small kommuner are hidden
    key = ["area_code", "period", "breakdown", "sex", "age_band"]
    hidden = cells.loc[cells["suppressed"].fillna(False).astype(bool), key]
    hidden_before = before.loc[before["suppressed"].fillna(False).astype(bool), key]
    pd.testing.assert_frame_equal(hidden.reset_index(drop=True), hidden_before.reset_index(drop=True))


def test_riket_through_the_queries_is_the_sum_of_all_21_lan(con, catalogue):
    """End to end (SQL roll-up, then finish_cells): one kommun per län delivers contacts."""
    from metrics.compute.engine import compute_indicator
    from tests.indicator_cases import cell, insert
    from tests.test_compute_suppression import contacts

    geography = load_geography()
    # Län number i (1..21): its first kommun has 25 contacts, i + 4 of them planned (proaktiva):
    # none is small (1–4 would be hidden, and riket with it: `riket_hidden`).
    # Riket: (5 + 6 + … + 25) = 315 planned of 21 · 25 = 525 → 60,0 %.
    for i, lan in enumerate(LANS, start=1):
        insert(con, "contacts", contacts(geography.kommuner_in(lan)[0].code, 25, i + 4, f"l{lan}-"))
    # One national file: 1/21 of its rows per län is under the default rule's 5 % (a region's
    # visitors), so it is imported with --covers naming every län, as docs/kolada.md says.
    con.executemany(
        "INSERT INTO coverage VALUES (1, 'contacts', ?, DATE '2024-05-01', DATE '2024-05-01', 'option')",
        [(code,) for code in geography.kommuner],
    )
    write_covered_months(con)
    write_areas(con, catalogue)
    results = compute_indicator(con, catalogue.indicator("proaktiva_kontakter"), catalogue, exact_audit=False)
    riket = cell(results, RIKET, "2024")
    assert riket["area_level"] == "riket"
    assert not riket["suppressed"]
    assert (riket["numerator"], riket["denominator"]) == (315, 525)
    assert riket["value"] == pytest.approx(60.0)


@pytest.mark.parametrize("exact", [False, True], ids=["snabbkontroll", "lp"])
def test_riket_is_published_only_where_every_lan_is_and_never_joins_the_lans_audit(catalogue, exact):
    """WHOLE (Jämtland 3 of 27: primary) once more. By the rule (metrics.compute.riket): riket is
    hidden because a län of it is hidden, and then nothing else need be: the other 20 län are
    published (riket − 20 län cannot be taken). With Jämtland 5 of 27 (not small) every län is
    published and riket is shown as their sum: 5 + 20·100 = 2 005 of 20 027. The old code put
    riket = Σ län into the LP, which joined all 21 län's hidden cells into one problem."""
    indicator = catalogue.indicator("aterinskrivning_30d_65")
    out = finish_cells(_raw(WHOLE), indicator, catalogue, exact_audit=exact).set_index("area_code")
    assert out.loc[RIKET, "suppressed"] and out.loc[RIKET, "suppression"] == "secondary"
    assert not out.loc[[lan for lan in LANS if lan != "23"], "suppressed"].astype(bool).any()
    assert out.attrs["audit"].passed

    shown = [(c, lvl, 5, 27) if c == "23" else (c, lvl, n, d) for c, lvl, n, d in WHOLE[:-1]]
    out = finish_cells(_raw([*shown, (RIKET, "riket", 2005, 20027)]), indicator, catalogue, exact_audit=exact)
    riket = out.set_index("area_code").loc[RIKET]
    assert not riket["suppressed"] and (riket["numerator"], riket["denominator"]) == (2005, 20027)
