"""The national demo: any set of the 21 län, the 269 kommuner outside 05 and 23 with a
synthetic (rank-size) population that sums, with the 21 real ones, to Sweden's."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from metrics.cli import main
from metrics.db import connect
from metrics.demo import generate_demo
from metrics.demo.kommuner import KOMMUNER
from metrics.demo.pipeline import demo_covers, parse_lan, years_shown
from metrics.demo.selection import ALL_LAN, DEMO_LAN, all_kommuner, kommuner_in, lan_names
from metrics.demo.synthetic import (
    MIN_POPULATION,
    rank_in_lan,
    synthetic_kommuner,
    synthetic_populations,
)
from metrics.errors import MatavlaError
from metrics.extracts.coverage import COVERED_MONTHS, Covers, write_covered_months
from metrics.extracts.importer import import_paths
from metrics.geography import load_geography

SWEDEN_2024 = 10_587_710  # SCB, Folkmängd i riket 31 december 2024
OSTERGOTLAND_2024, JAMTLAND_2024 = 472_446, 132_839  # SCB, the sums of the reference file


@pytest.fixture(scope="module")
def national(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("national")
    paths = generate_demo(out, lan=ALL_LAN, years=(2024,), scale=0.002)
    return {p.name: p for p in paths}


def _kommuner_in_csv(path: Path, delimiter: str = ",", encoding: str = "utf-8") -> set[str]:
    with path.open(encoding=encoding, newline="") as f:
        return {row["kommun"] for row in csv.DictReader(f, delimiter=delimiter)}


def test_all_290_kommuner_and_21_lan_are_generated(national: dict[str, Path]) -> None:
    codes = set(load_geography().kommuner)
    assert len(codes) == 290
    assert _kommuner_in_csv(national["population.csv"]) == codes
    assert _kommuner_in_csv(national["listing_2024.csv"], ";", "cp1252") == codes
    assert {code[:2] for code in _kommuner_in_csv(national["population.csv"])} == set(ALL_LAN)
    assert len(ALL_LAN) == 21


def _covered_lan(paths: list[Path], db: Path, covers: Covers) -> dict[str, int]:
    """Import the files and count, per source, the län whose every kommun is covered."""
    con = connect(db)
    try:
        import_paths(con, paths, covers=covers)
        write_covered_months(con)
        rows = con.execute(f"SELECT DISTINCT source, kommun FROM {COVERED_MONTHS}").fetchall()
    finally:
        con.close()
    geography = load_geography()
    covered: dict[str, set[str]] = {}
    for source, kommun in rows:
        covered.setdefault(source, set()).add(kommun)
    return {
        source: sum(1 for lan in geography.lan if {k.code for k in geography.kommuner_in(lan)} <= kommuner)
        for source, kommuner in covered.items()
    }


def test_the_national_demo_says_its_files_cover_every_kommun(
    national: dict[str, Path], tmp_path: Path
) -> None:
    paths = [national[name] for name in ("listing_2024.csv", "home_care.csv")]
    # By the default rule a län with under 5 % of a region file's rows is visitors: in one file
    # of all Sweden that is most län (Gotland has about 2 % of the listing rows), and a small
    # kommun without hemtjänst rows at this scale would be 'saknas'.
    default = _covered_lan(paths, tmp_path / "default.duckdb", Covers())
    assert default["listing"] < 21 and default["home_care"] < 21
    said = _covered_lan(paths, tmp_path / "said.duckdb", Covers(demo_covers(ALL_LAN)))
    assert said == {"listing": 21, "home_care": 21}
    assert len(demo_covers(ALL_LAN)) == 290
    assert demo_covers(("05", "23")) == () and demo_covers(("05",)) == ()  # the default rule, as before


def test_the_synthetic_populations_and_the_real_ones_sum_to_sweden() -> None:
    kommuner = all_kommuner()
    assert len(kommuner) == 290
    assert sum(k.population_2024 for k in kommuner) == SWEDEN_2024
    real = sum(k.population_2024 for k in kommuner if k.lan in ("05", "23"))
    assert real == OSTERGOTLAND_2024 + JAMTLAND_2024
    synthetic = synthetic_kommuner()
    assert len(synthetic) == 269
    assert sum(k.population_2024 for k in synthetic) == SWEDEN_2024 - 472_446 - 132_839  # 9 982 425
    assert min(k.population_2024 for k in synthetic) >= MIN_POPULATION


def test_the_rank_size_rule_puts_the_towns_first_and_halves_at_rank_two() -> None:
    # Blekinge: 1080 Karlskrona (residence town), 1081-1083 towns, 1060 Olofström last.
    assert rank_in_lan(["1060", "1080", "1081", "1082", "1083"]) == {
        "1080": 1,
        "1081": 2,
        "1082": 3,
        "1083": 4,
        "1060": 5,
    }
    populations = synthetic_populations()
    # C = 9 982 425 / (the sum of 1/rank over the 19 län's ranks: 57.5265) = 173 527.3; rank r
    # gets C / r, rounded down or up (largest remainder), the same C in every län.
    assert populations["1080"] in (173_527, 173_528) and populations["0180"] in (173_527, 173_528)
    assert populations["1081"] in (86_763, 86_764)
    assert populations["1060"] in (34_705, 34_706)


def test_the_hand_made_profiles_stay_exactly_as_they_were() -> None:
    by_code = {k.code: k for k in all_kommuner()}
    assert by_code["0512"] is next(k for k in KOMMUNER if k.code == "0512")
    assert by_code["0512"].population_2024 == 3626  # Ydre, SCB 2024
    assert by_code["0580"].population_2024 == 168035  # Linköping, SCB 2024
    assert by_code["0580"].named_gp == (0.30, 0.56)
    assert by_code["2380"].units[0].name == "Hälsocentralen Odenslund"
    assert kommuner_in(("05", "23")) == KOMMUNER
    assert kommuner_in(("23", "05")) == KOMMUNER  # code order whatever the order asked for


def test_generated_profiles_are_generic_deterministic_and_differ() -> None:
    by_code = {k.code: k for k in synthetic_kommuner()}
    falkoping = by_code["1499"]
    assert falkoping.name == "Falköping"
    assert falkoping.units[0].name == "Vårdcentralen Falköping"
    goteborg = by_code["1480"]
    assert [u.name for u in goteborg.units[:2]] == ["Vårdcentralen Göteborg", "Vårdcentralen Göteborg 2"]
    assert any(u.provider == "private" for u in goteborg.units)
    names = [u.name for k in all_kommuner() for u in k.units]
    assert len(names) == len(set(names))  # a unit's name identifies it in the extracts
    assert len({k.named_gp for k in by_code.values()}) > 200
    for k in by_code.values():
        assert 0.2 <= k.named_gp[0] <= 0.6 and 0.2 <= k.named_gp[1] <= 0.7, k.code
        assert 1 <= k.locums <= 5 and 0.5 <= k.ready_days <= 3.0, k.code


def test_every_lan_has_its_name() -> None:
    assert len(DEMO_LAN) == 21
    assert DEMO_LAN["14"] == "Västra Götaland" and DEMO_LAN["12"] == "Skåne" and DEMO_LAN["08"] == "Kalmar"
    assert lan_names(["05", "23"]) == "Östergötland och Jämtland"
    assert lan_names(["01", "14"]) == "Stockholm och Västra Götaland"
    assert lan_names(ALL_LAN) == "alla 21 län"


def test_lan_all_and_a_list_of_codes_are_understood() -> None:
    assert parse_lan("all") == list(ALL_LAN)
    assert parse_lan("01,14") == ["01", "14"]
    assert parse_lan("5, 23") == ["05", "23"]


def test_one_year_is_shown_as_one_year() -> None:
    assert years_shown([2024]) == "2024"  # was '2024–2024' in 'Genererar demodata (… 2024–2024 …)'
    assert years_shown([2020, 2021, 2022]) == "2020–2022"


def test_an_unknown_lan_is_refused_in_swedish_naming_the_valid_ones() -> None:
    with pytest.raises(MatavlaError) as excinfo:
        parse_lan("01,02")
    message = str(excinfo.value)
    assert "okänd länskod 02" in message
    assert "01, 03, 04, 05" in message and "25" in message and "--lan all" in message
    with pytest.raises(MatavlaError, match="okänd länskod 11"):
        kommuner_in(("11",))


def test_the_cli_refuses_an_unknown_lan_before_generating(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["demo", "--db", str(tmp_path / "x.duckdb"), "--lan", "02"])
    assert result.exit_code != 0
    assert "okänd länskod 02" in result.output
    assert not (tmp_path / "x.duckdb").exists()


def test_the_demo_says_which_populations_are_synthetic(tmp_path: Path) -> None:
    said: list[str] = []
    generate_demo(tmp_path / "gotland", lan=("09",), years=(2024,), scale=0.001, progress=said.append)
    assert any("påhittad" in line and "inte SCB:s" in line for line in said)
    said.clear()
    generate_demo(tmp_path / "ydre", lan=("05",), years=(2024,), scale=0.001, progress=said.append)
    assert not any("påhittad" in line for line in said)
    help_text = CliRunner().invoke(main, ["demo", "--help"]).output
    assert "påhittad" in help_text and "SCB" in help_text


def test_running_ids_stay_distinct_beyond_the_default_width() -> None:
    """At ×20 a year has 32 M contacts; cut to seven digits, 10 000 001 was the id of contact 1."""
    from metrics.demo.columns import serial_ids

    ids = serial_ids("K24-", np.array([1, 9_999_999, 10_000_000, 10_000_001])).to_pylist()
    assert ids == ["K24-00000001", "K24-09999999", "K24-10000000", "K24-10000001"]
    # Within the width, nothing changes (the default demo's files stay byte-identical).
    assert serial_ids("K24-", np.array([1, 1234])).to_pylist() == ["K24-0000001", "K24-0001234"]
