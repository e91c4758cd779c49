"""The worked example of docs/guide-analytiker.md holds: its definition, its error and its numbers.

The guide adds `mottagningsbesok` (contacts at the practice) and works its values out by hand
from the fixture extracts: Linköping 9 of 12 contacts, Norrköping 0 of 10, the län 9 of 22.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from metrics.cli import main

ROOT = Path(__file__).resolve().parents[1]
GUIDE = (ROOT / "docs" / "guide-analytiker.md").read_text(encoding="utf-8")
FIXTURES = ROOT / "tests" / "fixtures" / "extracts"


def example() -> str:
    """The guide's definition block (step 3.3), as written there."""
    blocks = re.findall(r"```yaml\n(.*?)```", GUIDE, re.S)
    [block] = [b for b in blocks if "- id: mottagningsbesok" in b]
    return block


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("guide") / "indicators.yaml"
    path.write_text(
        (ROOT / "indicators.yaml").read_text(encoding="utf-8") + "\n" + example(), encoding="utf-8"
    )
    return path


def test_the_guides_definition_passes_check(catalogue):
    result = CliRunner().invoke(main, ["check", "--catalog", str(catalogue)])
    assert result.exit_code == 0, result.output


def test_the_guides_typo_gives_the_message_it_shows(catalogue, tmp_path):
    typo = tmp_path / "indicators.yaml"
    typo.write_text(
        catalogue.read_text(encoding="utf-8").replace("mode = 'mottagning'", "mod = 'mottagning'")
    )
    result = CliRunner().invoke(main, ["check", "--catalog", str(typo)])
    shown = "indikator 'mottagningsbesok': okänd kolumn 'mod' i källan 'contacts' (tips: menade du 'mode'?)"
    assert result.exit_code == 1 and shown in result.output and shown in GUIDE


def test_the_guides_worked_values_are_what_compute_publishes(catalogue, tmp_path):
    db = tmp_path / "matavla.duckdb"
    runner = CliRunner()
    assert runner.invoke(main, ["import", str(FIXTURES), "--db", str(db)]).exit_code == 0
    computed = runner.invoke(
        main, ["compute", "--db", str(db), "--catalog", str(catalogue), "--indicator", "mottagningsbesok"]
    )
    assert computed.exit_code == 0, computed.output
    con = duckdb.connect(str(db), read_only=True)
    cells = {
        row[0]: row[1:]
        for row in con.execute(
            "SELECT area_code, numerator, denominator, round(value, 1), suppressed FROM results "
            "WHERE indicator = 'mottagningsbesok' AND period = '2024' AND breakdown = 'total' "
            "AND area_code IN ('0580', '0581', '05')"
        ).fetchall()
    }
    con.close()
    # By hand: 9 / 12 × 100 = 75.0; 0 / 10 × 100 = 0.0; (9 + 0) / (12 + 10) × 100 = 40.909… → 40.9
    assert cells == {
        "0580": (9, 12, 75.0, False),
        "0581": (0, 10, 0.0, False),
        "05": (9, 22, 40.9, False),
    }
    for shown in ("9 / 12 × 100 = **75,0 %**", "0 / 10 × 100 = **0,0 %**", "9 / 22 × 100 = **40,9 %**"):
        assert shown in GUIDE
