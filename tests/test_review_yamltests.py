"""Review of `matavla test` and `matavla preview` (issue 8 §1–2): defects found, pinned down."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from metrics.catalogue.loader import load_catalogue
from metrics.cli import main
from metrics.compute.yaml_tests import run_catalogue_tests

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "indicators.yaml"

# A second test of sjukfranvaro_personal (staff_absence: each kommun delivers its own file).
# Linköping delivers January: 50 of 1 000 hours. Norrköping delivers nothing, so it must be
# "saknas" – and a test must be able to say so, although it names Norrköping in `expect`.
NO_DELIVERY = """\
      - name: Utan leverans från Norrköping saknas kommunen
        kommun: "0580"
        rows:
          staff_absence:
            - {month: 2024-01-01, principal: region, scheduled_hours: 1000, absence_hours: 50}
        expect:
          - {period: 2024-01, numerator: 50, denominator: 1000, value: 5.0}   # 50 / 1 000 × 100
          - {kommun: "0581", period: 2024-01, missing: true}
"""


def _with_test(tmp_path: Path, before: str, test: str) -> Path:
    """The shipped catalogue with `test` added to the indicator that ends just before `before`."""
    text = SHIPPED.read_text(encoding="utf-8")
    path = tmp_path / "indicators.yaml"
    path.write_text(text.replace(before, test + before, 1), encoding="utf-8")
    return path


def test_a_kommun_expected_missing_is_not_counted_as_delivering(tmp_path):
    catalogue = load_catalogue(
        _with_test(tmp_path, "\n  # --- Beyond the contract", NO_DELIVERY), strict=True
    )
    outcomes = run_catalogue_tests(catalogue.catalogue, ["sjukfranvaro_personal"])
    assert len(outcomes) == 2
    assert [str(f) for o in outcomes for f in o.failures] == []


@pytest.fixture
def board(demo_database, tmp_path) -> Path:
    path = tmp_path / "matavla.duckdb"
    shutil.copy(demo_database.db_path, path)
    return path


def test_preview_prints_the_unit_with_its_dots(board):
    # hembesok_75's unit is "per 1 000 inv."; only the seconds get a decimal comma.
    result = CliRunner().invoke(
        main, ["preview", "hembesok_75", "--db", str(board), "--catalog", str(SHIPPED)]
    )
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert "Hembesök, 75 år och äldre (per 1 000 inv.), inte publicerad" in first, first


# Emergency visits of persons with an inpatient stay in the data: the two extracts are joined on
# person_id. Rows that leave person_id out are different persons – also across extracts.
JOINED = """\
  - id: akut_med_slutenvard
    title: Akutbesök av personer med vårdtillfälle
    description: Andel akutbesök av personer som också har ett vårdtillfälle.
    plan_areas: [resursanvandning]
    sources: [emergency, inpatient]
    row_sql: |
      SELECT e.kommun, e.sex, e.age, CAST(e.arrival AS DATE) AS date,
             CASE WHEN EXISTS (SELECT 1 FROM inpatient i WHERE i.person_id = e.person_id)
                  THEN 1 ELSE 0 END AS numerator,
             1 AS denominator
      FROM emergency e
    multiplier: 100
    unit: "%"
    direction: neutral
    tests:
      - name: Rader utan person_id är olika personer, också mellan utdragen
        kommun: "0580"
        period: 2024
        rows:
          emergency: [{}, {person_id: p}]
          inpatient: [{}, {person_id: p}]
        # only the visit of p has a stay of the same person: 1 / 2 × 100 = 50 %
        expect: {numerator: 1, denominator: 2, value: 50}
"""


def test_default_person_ids_differ_between_extracts(tmp_path):
    path = tmp_path / "indicators.yaml"
    path.write_text(SHIPPED.read_text(encoding="utf-8").rstrip("\n") + "\n\n" + JOINED, encoding="utf-8")
    catalogue = load_catalogue(path, strict=True).catalogue
    outcomes = run_catalogue_tests(catalogue, ["akut_med_slutenvard"])
    assert len(outcomes) == 1
    assert [str(f) for o in outcomes for f in o.failures] == []


def test_a_date_that_does_not_exist_is_a_yaml_error_at_its_line(tmp_path):
    # PyYAML reads 2024-02-30 as a date and raised ValueError: a traceback instead of a line.
    path = tmp_path / "indicators.yaml"
    text = SHIPPED.read_text(encoding="utf-8")
    old = "- {snapshot_date: 2024-06-30, person_id: a, named_gp: true}"
    path.write_text(text.replace(old, old.replace("2024-06-30", "2024-06-31"), 1), encoding="utf-8")
    line = next(n for n, row in enumerate(path.read_text().splitlines(), 1) if "2024-06-31" in row)
    result = CliRunner().invoke(main, ["test", "fast_lakarkontakt", "--catalog", str(path)])
    assert result.exit_code == 1
    assert f"indicators.yaml:{line}: YAML-fel: '2024-06-31' är inget giltigt datum" in result.output
    assert isinstance(result.exception, SystemExit)  # a message and exit 1, not a crash
    assert str(tmp_path) not in result.output  # the file's name, as in every other message


def test_the_preview_marks_a_period_the_data_do_not_cover_as_the_board_does():
    # The board shows a year the data cover only in part as "ofullständig period"; the preview
    # showed it as a plain value beside the complete years.
    import pandas as pd

    from metrics.previews import cell_text, preview_grid

    def cell(period: str, value: float, complete: bool, area: str = "0580") -> dict[str, object]:
        return {
            "area_code": area,
            "area_level": "kommun" if len(area) == 4 else "lan",
            "period": period,
            "period_type": "year",
            "breakdown": "total",
            "value": value,
            "published_value": 50.0,
            "suppressed": False,
            "missing": False,
            "complete": complete,
        }

    results = pd.DataFrame(
        [cell("2023", 50.0, True), cell("2024", 56.25, False), cell("2024", 50.0, True, "05")]
    )
    periods, rows = preview_grid(results)
    assert periods == ["2023", "2024"]
    assert [r.code for r in rows] == ["05", "0580"]
    whole, partial = rows[1].cells
    assert cell_text(whole, 1) == ("50,0", "±0")
    # 56,25 → 56,2 (half to even, as f-strings round) and 56,2 − 50,0 = +6,2
    assert cell_text(partial, 1) == ("56,2", "+6,2, ofullständig period")


def test_a_preview_escapes_its_texts_and_stores_no_hidden_numbers(board, tmp_path):
    import pandas as pd

    from metrics.dashboard.server import create_app
    from metrics.previews import previews_folder

    # sip_delaktighet with a title that is HTML, and a threshold that hides most kommuner.
    text = SHIPPED.read_text(encoding="utf-8")
    text = text.replace(
        "    title: Personens delaktighet i SIP\n",
        "    title: <script>alert(1)</script> SIP\n    suppression: {min_denominator: 200}\n",
        1,
    )
    catalogue = tmp_path / "indicators.yaml"
    catalogue.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(
        main, ["preview", "sip_delaktighet", "--db", str(board), "--catalog", str(catalogue)]
    )
    assert result.exit_code == 0, result.output
    token = result.output.split("/forhandsgranskning/")[1].split()[0]
    stored = pd.read_parquet(previews_folder(board) / f"{token}.parquet")
    hidden = stored[stored["suppressed"].astype(bool)]
    assert len(hidden) > 0
    assert hidden[["numerator", "denominator", "value", "ci_low", "ci_high"]].isna().all().all()
    html = create_app(db_path=board, catalog_path=SHIPPED).server.test_client()
    page = html.get(f"/forhandsgranskning/{token}").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; SIP" in page
    assert "för få" in page


def test_a_mistake_in_a_test_leaves_the_definition_in_the_catalogue(tmp_path):
    # A test row with a misspelt column dropped the whole indicator: `matavla compute` then
    # stopped publishing new numbers for it until the *test* was fixed.
    text = SHIPPED.read_text(encoding="utf-8")
    old = "listing: [{named_gp: true}, {named_gp: true}, {named_gp: false}]"
    path = tmp_path / "indicators.yaml"
    path.write_text(
        text.replace(old, old.replace("named_gp: false", "named_gpp: false"), 1), encoding="utf-8"
    )
    loaded = load_catalogue(path)
    assert [str(p) for p in loaded.problems if p.level == "error"] == [
        f"indicators.yaml:{_line_of(path, 'named_gpp')}: indikator 'fast_lakarkontakt', test 'Två av tre "
        "listade har fast läkarkontakt': okänd kolumn 'named_gpp' i utdraget 'listing' "
        "(tips: menade du 'named_gp'?)"
    ]
    indicator = loaded.catalogue.indicator("fast_lakarkontakt")
    assert indicator.tests == ()  # none of its tests runs until the mistake is fixed
    result = CliRunner().invoke(main, ["test", "fast_lakarkontakt", "--catalog", str(path)])
    assert result.exit_code == 1
    assert "Obs: utan tester: fast_lakarkontakt" in result.output


def _line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


# A row without `age` gets the indicator's own lower age limit, so it moves with a wrong limit:
# the limit is tested only by rows that write their age. Both tests passed with 66 and 76.
WRONG_AGE_LIMITS = [
    (
        "aterinskrivning_30d_65",
        ("WHERE s.age >= 65\n    age: {min: 65}", "WHERE s.age >= 66\n    age: {min: 66}"),
    ),
    ("teambaserad_vard_75", ("age: {min: 75}\n    periods: [year]", "age: {min: 76}\n    periods: [year]")),
]


@pytest.mark.parametrize(("indicator", "edit"), WRONG_AGE_LIMITS, ids=[w[0] for w in WRONG_AGE_LIMITS])
def test_a_wrong_age_limit_fails_the_indicators_test(tmp_path, indicator, edit):
    text = SHIPPED.read_text(encoding="utf-8")
    assert text.count(edit[0]) == 1
    path = tmp_path / "indicators.yaml"
    path.write_text(text.replace(*edit), encoding="utf-8")
    outcomes = run_catalogue_tests(load_catalogue(path, strict=True).catalogue, [indicator])
    assert outcomes and any(not o.ok for o in outcomes)
