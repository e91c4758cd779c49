"""Review of the 'dashboard' branch (issue 7.5, 7.6): probes that found defects.

Each test names the probe; it failed on the merged branch before its fix.
"""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pandas as pd
import pytest

from metrics.dashboard.views.downloads import DownloadInfo, csv_bytes, xlsx_bytes

# ---- a period that exists for another indicator, not the one named --------------------------

ANNUAL_ONLY = "hembesok_75"  # the catalogue computes it per year only
MONTH = "2024-01"


@pytest.fixture(scope="module")
def loaded(demo_database: Any) -> tuple[Any, Any]:
    from metrics.catalogue.loader import load_catalogue
    from metrics.dashboard.source.data import read_snapshot

    return read_snapshot(demo_database.db_path), load_catalogue(demo_database.catalog_path).catalogue


@pytest.mark.parametrize(
    ("path", "params"),
    [
        (f"/indikator/{ANNUAL_ONLY}", {"period": MONTH}),
        ("/jamfor", {"indikator": ANNUAL_ONLY, "period": MONTH}),
        ("/jamfor", {"lan": "05", "indikator": ANNUAL_ONLY, "period": MONTH}),
    ],
)
def test_a_period_only_another_indicator_has_is_finns_inte_not_silently_another_period(
    loaded: tuple[Any, Any], path: str, params: dict[str, str]
) -> None:
    """The page used to show 2024 under an address saying 2024-01 (HTTP 200)."""
    from metrics.dashboard.logic.addresses import address_problem

    snap, cat = loaded
    # The precondition the probe needs: the month has results, but not for this indicator.
    assert MONTH in snap.periods() and MONTH not in snap.periods(indicator=ANNUAL_ONLY)
    problem = address_problem(path, params, snap, cat)
    assert problem is not None and f"”{MONTH}”" in problem.message
    # The choices are this indicator's periods: its years, newest first.
    assert [c.label for c in problem.choices] == ["2024", "2023", "2022", "2021", "2020"]


def test_a_period_the_named_indicator_has_is_still_fine(loaded: tuple[Any, Any]) -> None:
    from metrics.dashboard.logic.addresses import address_problem

    snap, cat = loaded
    assert address_problem(f"/indikator/{ANNUAL_ONLY}", {"period": "2024"}, snap, cat) is None
    params = {"indikator": "fast_lakarkontakt", "period": "2024-Q4"}
    assert address_problem("/jamfor", params, snap, cat) is None


def test_a_period_only_another_indicator_has_answers_404(demo_database: Any) -> None:
    from metrics.dashboard.server import create_app

    app = create_app(db_path=demo_database.db_path, catalog_path=demo_database.catalog_path)
    client = app.server.test_client()
    assert client.get(f"/indikator/{ANNUAL_ONLY}?period={MONTH}").status_code == 404
    assert client.get(f"/jamfor?indikator={ANNUAL_ONLY}&period={MONTH}").status_code == 404
    assert client.get(f"/indikator/{ANNUAL_ONLY}?period=2024").status_code == 200


# ---- spreadsheet formula injection in downloads ---------------------------------------------

DDE = "=cmd|' /C calc'!A0"  # OWASP "CSV injection": Excel runs it when the file is opened
HOSTILE_CELLS = [DDE, "+1+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", '=HYPERLINK("http://x.example")']


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Indikator": HOSTILE_CELLS,
            "Kommun": ["Linköping", "Norrköping", "Motala", "Boxholm"],
            "Värde": [-1.5, 2.0, 3.25, 0.0],  # negative numbers stay numbers
        }
    )


def info() -> DownloadInfo:
    definitions = [{"Id": "x", "Indikator": DDE, "Beskrivning": "=1+1", "Enhet": "%"}]
    return DownloadInfo("Mätavla – test", [("Indikator", DDE)], None, definitions=definitions)


def test_excel_download_never_holds_a_formula_from_catalogue_or_data_text() -> None:
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(frame(), info())))
    formulas = [
        f"{sheet.title}!{cell.coordinate}={cell.value}"
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]
    assert formulas == [], "catalogue text became a live Excel formula"
    # The text is still there, as written.
    values = [c.value for row in book["Data"].iter_rows(min_row=2) for c in row]
    assert DDE in values and -1.5 in values


def test_csv_download_cells_cannot_start_a_formula() -> None:
    text = csv_bytes(frame(), info()).decode("utf-8-sig")
    data_lines = [line for line in text.splitlines() if not line.startswith("#")]
    cells = [cell.strip('"') for line in data_lines[1:] for cell in line.split(";")]
    starts = [cell for cell in cells if cell[:1] in ("=", "+", "@")]
    assert starts == [], f"cells Excel would run as formulas: {starts}"
    assert "-1,5" in cells, "a negative number is still written as a number"


# ---- YAML aliases: the limit must not refuse an ordinary catalogue that reuses a block -------


def test_a_catalogue_reusing_one_condition_block_in_a_hundred_indicators_loads(tmp_path: Any) -> None:
    """Reusing a shared filter with an alias is what aliases are for; only explosive growth is refused.

    The block is 1 list + 20 conditions × (1 mapping + 3 keys + 3 values) = 141 values; used by
    100 indicators that is 14 100 expanded values – linear, harmless, and over the old 10 000.
    """
    from metrics.catalogue.yaml_loader import load_yaml

    block = "shared: &conditions\n" + "".join(
        f"  - {{column: c{j}, op: '=', value: {j}}}\n" for j in range(20)
    )
    indicators = "indicators:\n" + "".join(f"  - {{id: i{n}, where: *conditions}}\n" for n in range(100))
    path = tmp_path / "indicators.yaml"
    path.write_text(block + indicators, encoding="utf-8")
    loaded = load_yaml(path)
    assert len(loaded["indicators"]) == 100
    assert loaded["indicators"][99]["where"][19] == {"column": "c19", "op": "=", "value": 19}


# ---- MATAVLA_DB naming something that is not a database ---------------------------------------


@pytest.mark.parametrize("kind", ["directory", "text file", "truncated database"])
def test_a_database_path_that_is_no_duckdb_file_is_explained_in_swedish_with_the_fix(
    tmp_path: Any, demo_database: Any, kind: str
) -> None:
    """The page said 'kunde inte öppnas: IO Error: … is not a valid DuckDB database file!'."""
    from metrics.dashboard.source.data import DataUnavailable, connect_read_only

    path = tmp_path / "matavla.duckdb"
    if kind == "directory":
        path.mkdir()
    elif kind == "text file":
        path.write_text("kommun;värde\n0580;1\n", encoding="utf-8")
    else:
        path.write_bytes(demo_database.db_path.read_bytes()[:100_000])
    with pytest.raises(DataUnavailable) as excinfo:
        connect_read_only(path).close()
    message = str(excinfo.value)
    assert excinfo.value.kind == "broken"
    assert str(path) in message
    assert "Error" not in message, f"engine text on the page: {message}"
    assert "MATAVLA_DB" in message and "matavla import" in message, "the message must say how to fix it"
