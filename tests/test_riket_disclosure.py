"""Riket is one more published sum: riket = Σ län, so suppression must protect it.

Without the equation, a hidden län is recovered as riket − the other län.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from metrics.compute.engine import finish_cells, write_areas
from metrics.compute.equations import sum_families
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


@pytest.fixture(scope="module")
def catalogue():
    return core_catalogue()


def _raw(cells: list[tuple[str, str, int, int]]) -> pd.DataFrame:
    raw = pd.DataFrame(
        [
            (code, level, "year", pd.Timestamp("2022-01-01"), "total", None, None, num, den)
            for code, level, num, den in cells
        ],
        columns=COLUMNS,
    )
    raw["missing"], raw["complete"], raw["data_through"] = False, True, pd.NaT
    return raw


# aterinskrivning_30d_65 (Wilson): a count of 1..4 or a denominator under 10 is hidden (primary).
# Jämtland: Ragunda 1 of 12 and Bräcke 2 of 15 readmissions → the län 3 of 27, all three primary.
# Västerbotten: Nordmaling 10 of 60, Bjurholm 20 of 80 → the län 30 of 140, all shown.
# Riket (these two län delivered) = 3 + 30 = 33 of 27 + 140 = 167.
# Published without protecting riket: Jämtland = 33 − 30 = 3 readmissions of 167 − 140 = 27.
CELLS = [
    ("2303", "kommun", 1, 12),
    ("2305", "kommun", 2, 15),
    ("23", "lan", 3, 27),
    ("2401", "kommun", 10, 60),
    ("2403", "kommun", 20, 80),
    ("24", "lan", 30, 140),
    (RIKET, "riket", 33, 167),
]


@pytest.mark.parametrize("exact", [False, True], ids=["snabbkontroll", "lp"])
def test_a_hidden_lan_is_not_riket_minus_the_other_lan(catalogue, exact):
    indicator = catalogue.indicator("aterinskrivning_30d_65")
    out = finish_cells(_raw(CELLS), indicator, catalogue, exact_audit=exact).set_index("area_code")
    assert out.loc[["2303", "2305", "23"], "suppression"].eq("primary").all()
    # riket − Västerbotten must not both be published while Jämtland is hidden
    assert out.loc[RIKET, "suppressed"] or out.loc["24", "suppressed"]
    assert out.attrs["audit"].passed


def test_riket_is_the_sum_of_every_lan(catalogue):
    families = sum_families(catalogue)
    to_riket = [f for f in families if RIKET in f.values()]
    assert len(to_riket) == 1
    assert to_riket[0] == {code: RIKET for code in load_geography().lan}
    assert len(to_riket[0]) == 21


def test_every_kommun_rolls_up_to_riket(catalogue):
    con = duckdb.connect()
    write_areas(con, catalogue)
    rows = con.execute(
        "SELECT count(*), count(DISTINCT area_code) FROM areas WHERE area_level = 'riket'"
    ).fetchone()
    assert rows == (290, 1)
    assert load_geography().area_name(RIKET) == "Riket"
