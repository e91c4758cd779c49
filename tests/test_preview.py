"""`matavla preview`: one indicator on the real data, shown to the analyst, never published.

The board's database must come out of a preview byte for byte as it went in, also while the
board holds it open; the preview reaches the board only through the link the command prints.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from metrics.cli import main
from metrics.previews import previews_folder

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "indicators.yaml"
LINK = re.compile(r"Visa på tavlan: http://127\.0\.0\.1:8050/forhandsgranskning/([A-Za-z0-9_-]{22,})")

HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute("SELECT count(*) FROM results").fetchall()
print("holding", flush=True)
time.sleep(300)
"""


@pytest.fixture
def board(demo_database, tmp_path) -> Path:
    """A copy of the computed demo database, so that nothing else holds it."""
    path = tmp_path / "matavla.duckdb"
    shutil.copy(demo_database.db_path, path)
    return path


def _catalogue(tmp_path: Path, old: str, new: str) -> Path:
    text = SHIPPED.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "indicators.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


# The analyst's edit: SIP where the person did NOT take part, under the published id.
EDIT = (
    "numerator: {count: rows, where: person_participated}",
    "numerator: {count: rows, where: NOT person_participated}",
)


def _published(db: Path, indicator: str, area: str, period: str) -> tuple[float, float, float]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute(
            "SELECT numerator, denominator, value FROM results WHERE indicator = ? AND area_code = ? "
            "AND period = ? AND breakdown = 'total'",
            [indicator, area, period],
        ).fetchone()
    finally:
        con.close()
    assert row is not None
    return row


def _fingerprint(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


def test_preview_writes_nothing_to_the_board_database_while_the_board_holds_it(board, tmp_path):
    catalogue = _catalogue(tmp_path, *EDIT)
    before = _fingerprint(board)
    files_before = sorted(p.name for p in board.parent.iterdir())
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(board)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        result = CliRunner().invoke(
            main,
            ["preview", "sip_delaktighet", "--db", str(board), "--catalog", str(catalogue), "--wait", "5"],
        )
    finally:
        holder.kill()
        holder.wait()
    assert result.exit_code == 0, result.output
    assert "Förhandsgranskning av sip_delaktighet" in result.output
    assert LINK.search(result.output)
    # The database file: same bytes, same modification time, no new file (WAL) beside it.
    assert _fingerprint(board) == before
    assert sorted(p.name for p in board.parent.iterdir()) == sorted(
        [*files_before, previews_folder(board).name]
    )


# proaktiva_kontakter rather than sip_delaktighet: at the tests' 2 % scale, with the publishing
# rule and the LP audit, Östergötland's yearly SIP participation is secondarily suppressed (a few
# dozen SIPs a year), and the preview has nothing published to compare it with.
PLANNED_EDIT = ("numerator: {count: rows, where: planned}", "numerator: {count: rows, where: NOT planned}")


def test_preview_prints_kommun_by_year_with_the_change_against_the_published_value(board, tmp_path):
    catalogue = _catalogue(tmp_path, *PLANNED_EDIT)
    result = CliRunner().invoke(
        main, ["preview", "proaktiva_kontakter", "--db", str(board), "--catalog", str(catalogue)]
    )
    assert result.exit_code == 0, result.output
    header = next(line for line in result.output.splitlines() if re.fullmatch(r"\s+(\d{4}\s*)+", line))
    assert header.split()[-1] == "2024"
    # Published: p = planned / all contacts. Preview: (all − planned) / all = 100 − p.
    numerator, denominator, value = _published(board, "proaktiva_kontakter", "05", "2024")
    preview = round((denominator - numerator) / denominator * 100, 1)
    change = round(preview - round(value, 1), 1)
    swedish = f"{preview:.1f}".replace(".", ",")
    change_text = ("+" if change > 0 else "\u2212" if change < 0 else "±") + f"{abs(change):.1f}".replace(
        ".", ","
    )
    lan = next(line for line in result.output.splitlines() if line.startswith("Östergötlands län"))
    assert lan.rstrip().endswith(f"{swedish} ({change_text})")
    assert "Inom parentes: ändringen mot det publicerade värdet" in result.output
    # The board still has the published definition's numbers.
    assert _published(board, "proaktiva_kontakter", "05", "2024")[2] == value


def test_a_new_indicator_is_previewed_with_nothing_to_compare(board, tmp_path):
    new = """  - id: sip_ej_delaktig
    title: SIP utan personens deltagande
    description: Andel påbörjade SIP där personen inte deltog.
    plan_areas: [delaktighet]
    source: sip
    numerator: {count: rows, where: NOT person_participated}
    denominator: rows
    multiplier: 100
    unit: "%"
    direction: lower
"""
    catalogue = tmp_path / "indicators.yaml"
    catalogue.write_text(SHIPPED.read_text(encoding="utf-8").rstrip("\n") + "\n\n" + new, encoding="utf-8")
    result = CliRunner().invoke(
        main, ["preview", "sip_ej_delaktig", "--db", str(board), "--catalog", str(catalogue)]
    )
    assert result.exit_code == 0, result.output
    assert "Indikatorn är inte publicerad: inget att jämföra med." in result.output
    assert "(±" not in result.output and "(+" not in result.output


def test_preview_of_an_unknown_indicator_suggests_a_name(board):
    result = CliRunner().invoke(
        main, ["preview", "sip_delaktihet", "--db", str(board), "--catalog", str(SHIPPED)]
    )
    assert result.exit_code == 1
    assert "menade du 'sip_delaktighet'?" in result.output


def test_the_board_serves_the_preview_behind_its_link_with_a_banner(board, tmp_path):
    from metrics.dashboard.server import create_app

    catalogue = _catalogue(tmp_path, *EDIT)
    result = CliRunner().invoke(
        main, ["preview", "sip_delaktighet", "--db", str(board), "--catalog", str(catalogue)]
    )
    match = LINK.search(result.output)
    assert match, result.output
    client = create_app(db_path=board, catalog_path=SHIPPED).server.test_client()
    page = client.get(f"/forhandsgranskning/{match.group(1)}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Förhandsgranskning – inte publicerad" in html
    assert "Personens delaktighet i SIP" in html and "0580 Linköping" in html
    assert page.headers["Cache-Control"] == "no-store"
    # Another token, a malformed one, or a path out of the folder: "finns inte", 404.
    for wrong in ("A" * 22, "x", "..%2F..%2Fmatavla"):
        assert client.get(f"/forhandsgranskning/{wrong}").status_code == 404
