"""Coverage (contract 1.1): zero is zero, and what nobody delivered is missing, not zero.

Each case is small enough to work out by hand; the arithmetic is in the comments.
Suppression is off (tests/indicator_cases.py), so every number is the definition itself.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from metrics.catalogue.model import Measure
from metrics.cli import main
from metrics.errors import MatavlaError
from metrics.extracts import import_file
from metrics.extracts.coverage import parse_covers
from metrics.geography import load_geography
from tests.indicator_cases import cell, compute, has_cell, insert, is_missing

BERG, OSTERSUND, KROKOM = "2326", "2380", "2309"
JAMTLAND = "23"
LINKOPING, NORRKOPING, MOTALA = "0580", "0581", "0583"
OSTERGOTLAND = "05"
JAMTLAND_KOMMUNER = [k.code for k in load_geography().kommuner_in(JAMTLAND)]  # 8 kommuner


def stay(sid, kommun, admitted, *, sex="K", age=70, diagnosis="I50", acute=True, discharged=None):
    return (sid, f"p{sid}", kommun, sex, age, admitted, discharged or admitted, acute, diagnosis, None)


def inhabitants(kommun, count, *, year=2024, sex="K", age=70):
    return (kommun, year, sex, age, count)


# --- a covered kommun with no events is zero -----------------------------------------------------


def test_a_kommun_without_events_counts_as_zero_of_its_whole_population_in_the_lan(con, catalogue):
    # Berg in miniature: the region's inpatient extract has avoidable stays from Östersund only;
    # Berg (77 inhabitants) had none in 2024. Before coverage, Berg got no row and Jämtland's
    # denominator was 4 475 instead of 4 552.
    insert(con, "inpatient", [stay("s1", OSTERSUND, "2024-03-01"), stay("s2", OSTERSUND, "2024-11-20")])
    insert(con, "population", [inhabitants(OSTERSUND, 4475), inhabitants(BERG, 77)])
    results = compute(con, catalogue, "undvikbar_slutenvard")

    berg = cell(results, BERG, "2024")
    assert (berg["numerator"], berg["denominator"], berg["value"]) == (0, 77, 0)
    assert not berg["missing"]
    lan = cell(results, JAMTLAND, "2024")
    # (2 + 0) / (4 475 + 77) = 2 / 4 552 per 100 000 = 43.94
    assert (lan["numerator"], lan["denominator"]) == (2, 4552)
    assert lan["value"] == pytest.approx(2 / 4552 * 100_000)


def test_a_breakdown_cell_without_events_is_zero_of_its_own_inhabitants(con, catalogue):
    # Östersund: one woman aged 70 with an avoidable stay. Berg: no stays at all.
    insert(con, "inpatient", [stay("s1", OSTERSUND, "2024-05-01", sex="K", age=70)])
    insert(
        con,
        "population",
        [
            inhabitants(OSTERSUND, 100, sex="K", age=70),
            inhabitants(OSTERSUND, 80, sex="M", age=70),
            inhabitants(OSTERSUND, 50, sex="K", age=90),
            inhabitants(BERG, 30, sex="K", age=70),
            inhabitants(BERG, 20, sex="M", age=70),
        ],
    )
    results = compute(con, catalogue, "undvikbar_slutenvard")

    # Östersund's men and its 85+ band had no stays: 0 of 80 and 0 of 50
    men = cell(results, OSTERSUND, "2024", sex="M")
    assert (men["numerator"], men["denominator"]) == (0, 80)
    old = cell(results, OSTERSUND, "2024", age_band="85+")
    assert (old["numerator"], old["denominator"]) == (0, 50)
    # Berg's sex cells exist with zero events: women 0 of 30, men 0 of 20
    berg_women = cell(results, BERG, "2024", sex="K")
    assert (berg_women["numerator"], berg_women["denominator"]) == (0, 30)
    assert cell(results, BERG, "2024", sex="M")["denominator"] == 20
    # Jämtland's women: 1 / (100 + 50 + 30); men: 0 / (80 + 20)
    women = cell(results, JAMTLAND, "2024", sex="K")
    assert (women["numerator"], women["denominator"]) == (1, 180)
    assert cell(results, JAMTLAND, "2024", sex="M")["denominator"] == 100


def test_a_row_sql_population_rate_divides_by_the_whole_lan(con, catalogue):
    # The Linköping example in miniature: a row_sql indicator whose rows all come from Linköping.
    # Before coverage, Östergötland's denominator was Linköping's alone (300 here).
    base = catalogue.indicator("undvikbar_slutenvard")
    custom = dataclasses.replace(
        base,
        id="akuta_inskrivningar",
        date=None,
        row_sql="SELECT kommun, sex, age, admission_date AS date, 1 AS numerator FROM inpatient WHERE acute",
        numerator=Measure(kind="sum", expression="numerator", is_count=True),
        breakdowns=(),
    )
    catalogue = dataclasses.replace(catalogue, indicators=(*catalogue.indicators, custom))
    insert(con, "inpatient", [stay(f"s{i}", LINKOPING, "2024-06-01", diagnosis="K35") for i in range(6)])
    insert(
        con,
        "population",
        [inhabitants(LINKOPING, 300), inhabitants(NORRKOPING, 500), inhabitants(MOTALA, 200)],
    )
    results = compute(con, catalogue, "akuta_inskrivningar")

    # 6 stays / (300 + 500 + 200) inhabitants = 600 per 100 000, not 6 / 300 = 2 000
    lan = cell(results, OSTERGOTLAND, "2024")
    assert (lan["numerator"], lan["denominator"]) == (6, 1000)
    assert lan["value"] == pytest.approx(600.0)
    assert cell(results, NORRKOPING, "2024")["value"] == 0


# --- a kommun nobody delivered for is missing ----------------------------------------------------


def test_a_kommun_that_did_not_deliver_is_missing_and_left_out_of_the_lan(con, catalogue):
    # Costs come per kommun: Östersund and Krokom delivered 2024 (both principals), Berg did not.
    insert(
        con,
        "costs",
        [
            (OSTERSUND, 2024, "region", "primarvard", 600_000.0),
            (OSTERSUND, 2024, "kommun", "hemtjanst", 300_000.0),
            (KROKOM, 2024, "region", "primarvard", 100_000.0),
            (KROKOM, 2024, "kommun", "hemtjanst", 200_000.0),
        ],
    )
    insert(con, "population", [inhabitants(OSTERSUND, 100), inhabitants(KROKOM, 50), inhabitants(BERG, 77)])
    results = compute(con, catalogue, "kostnad_per_invanare")

    assert is_missing(results, BERG, "2024")
    berg = cell(results, BERG, "2024")
    assert not berg["suppressed"]  # missing is not the same as hidden
    assert berg[["numerator", "denominator", "value"]].isna().all()
    # Jämtland without Berg: (600 000 + 300 000 + 100 000 + 200 000) SEK / (100 + 50) inhabitants = 8 000 SEK
    lan = cell(results, JAMTLAND, "2024")
    assert (lan["numerator"], lan["denominator"]) == (1_200_000, 150)
    assert lan["value"] == pytest.approx(8000.0)
    # every other Jämtland kommun without costs is missing too; Östersund and Krokom are not
    kommun_rows = results[(results["area_level"] == "kommun") & (results["period"] == "2024")]
    assert set(kommun_rows.loc[kommun_rows["missing"], "area_code"]) == set(JAMTLAND_KOMMUNER) - {
        OSTERSUND,
        KROKOM,
    }


def test_a_month_outside_every_delivery_is_missing_and_not_zero(con, catalogue, tmp_path):
    # Home care, each kommun's own delivery: Linköping January–March, Norrköping only March.
    header = "month,person_id,kommun,sex,age,hours,named_care_contact,staff_14d\n"
    linkoping = tmp_path / "home_care_linkoping.csv"
    linkoping.write_text(
        header + "2024-01-01,a,0580,K,85,10,1,\n2024-03-01,a,0580,K,85,10,1,\n", encoding="utf-8"
    )
    norrkoping = tmp_path / "home_care_norrkoping.csv"
    norrkoping.write_text(header + "2024-03-01,b,0581,K,85,10,0,\n", encoding="utf-8")
    import_file(con, linkoping)
    import_file(con, norrkoping)
    results = compute(con, catalogue, "fast_omsorgskontakt")

    # February: Linköping is covered (its delivery spans January–March) but had no recipients,
    # so with a denominator of persons there is nothing to divide (no row, as before).
    assert not has_cell(results, LINKOPING, "2024-02") and not is_missing(results, LINKOPING, "2024-02")
    # Norrköping delivered nothing before March: January and February are missing
    assert is_missing(results, NORRKOPING, "2024-01")
    assert is_missing(results, NORRKOPING, "2024-02")
    assert not is_missing(results, NORRKOPING, "2024-03")
    # the län in January is Linköping's alone: 1 of 1
    january = cell(results, OSTERGOTLAND, "2024-01")
    assert (january["numerator"], january["denominator"]) == (1, 1)


# --- partial periods ------------------------------------------------------------------------------


def test_a_year_the_deliveries_do_not_cover_to_its_end_is_marked_incomplete(con, catalogue):
    # The region's contacts cover January 2023 to November 2024.
    insert(
        con,
        "contacts",
        [
            ("c1", "a", LINKOPING, "K", 50, "2023-01-10", "VC", "region", "lakare", "", "video", False),
            ("c2", "b", LINKOPING, "K", 50, "2024-11-30", "VC", "region", "lakare", "", "mottagning", False),
        ],
    )
    results = compute(con, catalogue, "digitala_kontakter")

    y2023, y2024 = cell(results, LINKOPING, "2023"), cell(results, LINKOPING, "2024")
    assert y2023["complete"] and y2023["data_through"] == pd.Timestamp("2023-12-31")
    assert not y2024["complete"]
    assert y2024["data_through"] == pd.Timestamp("2024-11-30")  # "t.o.m. november"
    assert not cell(results, OSTERGOTLAND, "2024")["complete"]
    assert not cell(results, LINKOPING, "2024-Q4")["complete"]


def test_a_snapshot_indicator_is_complete_when_the_last_snapshot_reaches_the_periods_end(con, catalogue):
    # Listing snapshots at the end of March and of December 2024 (none in January–February):
    # only each period's last snapshot counts, so 2024 and its first quarter are complete.
    insert(
        con,
        "listing",
        [
            ("2024-03-31", "a", LINKOPING, "K", 40, "VC", True),
            ("2024-12-31", "a", LINKOPING, "K", 40, "VC", True),
        ],
    )
    results = compute(con, catalogue, "fast_lakarkontakt")
    assert cell(results, LINKOPING, "2024")["complete"]
    assert cell(results, LINKOPING, "2024-Q1")["complete"]


# --- what an import covers ------------------------------------------------------------------------


INPATIENT_HEADER = (
    "stay_id,person_id,kommun,sex,age,admission_date,discharge_date,acute,main_diagnosis,"
    "ready_for_discharge_date\n"
)


def _inpatient_file(tmp_path: Path, rows: list[tuple[str, str, str]]) -> Path:
    """An inpatient CSV: (stay_id, kommun, admission_date) per row, an avoidable acute stay each."""
    lines = [f"{sid},p{sid},{kommun},K,70,{day},{day},1,I50," for sid, kommun, day in rows]
    path = tmp_path / "inpatient_2024.csv"
    path.write_text(INPATIENT_HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def _coverage(con) -> list[tuple[str, str, str, str]]:
    return [
        (k, f"{a:%Y-%m}", f"{b:%Y-%m}", basis)
        for k, a, b, basis in con.execute(
            "SELECT kommun, first_month, last_month, basis FROM coverage ORDER BY kommun"
        ).fetchall()
    ]


def test_a_region_file_covers_every_kommun_of_its_lan_from_its_first_to_its_last_month(con, tmp_path):
    # 40 stays in Jämtland (Östersund), March to October; 1 visitor from Linköping (1 of 41 < 5 %)
    rows = [(f"s{i}", OSTERSUND, f"2024-{3 + i % 8:02d}-15") for i in range(40)]
    rows.append(("v1", LINKOPING, "2024-05-01"))
    report = import_file(con, _inpatient_file(tmp_path, rows))

    assert _coverage(con) == [(k, "2024-03", "2024-10", "lan") for k in JAMTLAND_KOMMUNER]
    assert report.coverage == "täcker 8 kommuner (Jämtlands län) 2024-03–2024-10"


def test_a_national_file_is_told_to_say_riket_and_then_covers_every_kommun_in_sweden(con, tmp_path):
    # A national inpatient file: 100 stays in Stockholm (0180), 10 in the first kommun of each
    # other län. 20 län × 10 = 200 rows, each län 10 / 300 = 3.3 % < 5 %: the default rule covers
    # Stockholms län alone (26 kommuner) and takes the other 20 län for visitors.
    geography = load_geography()
    firsts = [geography.kommuner_in(lan)[0].code for lan in sorted(geography.lan) if lan != "01"]
    rows = [(f"s{i}", "0180", "2024-03-15") for i in range(100)]
    rows += [(f"v{k}{i}", kommun, "2024-03-15") for k, kommun in enumerate(firsts) for i in range(10)]
    report = import_file(con, _inpatient_file(tmp_path, rows))

    assert len(_coverage(con)) == 26
    assert report.coverage == (
        "täcker 26 kommuner (Stockholms län) 2024-03–2024-03; rader från 20 län till räknas som besök "
        "(under 5 % av filens rader) och täcks inte: är filen en nationell leverans, importera den igen "
        "med --replace --covers riket"
    )
    from metrics.extracts.options import ImportOptions

    report = import_file(
        con,
        _inpatient_file(tmp_path, rows),
        covers=parse_covers("riket"),
        options=ImportOptions(replace=True),
    )
    assert {k for k, *_ in _coverage(con)} == set(geography.kommuner)  # all 290
    assert (
        report.coverage
        == "täcker 290 kommuner ("
        + ", ".join(geography.lan[lan].name for lan in sorted(geography.lan))
        + ") 2024-03–2024-03"
    )


def test_covers_option_names_the_kommuner_a_file_covers(con, tmp_path, catalogue):
    # The file cannot show that only Östersund delivered: the user says so.
    path = _inpatient_file(tmp_path, [("s1", OSTERSUND, "2024-02-01"), ("s2", OSTERSUND, "2024-09-01")])
    import_file(con, path, covers=parse_covers(OSTERSUND, "2024-01:2024-12"))
    assert _coverage(con) == [(OSTERSUND, "2024-01", "2024-12", "option")]

    insert(con, "population", [inhabitants(OSTERSUND, 1000), inhabitants(BERG, 77)])
    results = compute(con, catalogue, "undvikbar_slutenvard")
    assert is_missing(results, BERG, "2024")  # nobody delivered Berg's stays
    lan = cell(results, JAMTLAND, "2024")
    assert (lan["numerator"], lan["denominator"]) == (2, 1000)  # Berg left out of both
    assert cell(results, OSTERSUND, "2024")["complete"]  # January–December stated


def test_covers_option_accepts_a_whole_lan_and_refuses_unknown_codes():
    assert parse_covers("lan:23").kommuner == tuple(JAMTLAND_KOMMUNER)
    assert parse_covers("2326, 2380").kommuner == (BERG, OSTERSUND)
    with pytest.raises(MatavlaError, match="okänd kommunkod '9999'"):
        parse_covers("9999")
    with pytest.raises(MatavlaError, match="okänd länskod"):
        parse_covers("lan:99")
    with pytest.raises(MatavlaError, match="ingen månad"):
        parse_covers("2326", "2024-13:2024-12")


def test_matavla_import_covers_on_the_command_line(tmp_path):
    path = _inpatient_file(tmp_path, [("s1", OSTERSUND, "2024-02-01")])
    db = tmp_path / "m.duckdb"
    result = CliRunner().invoke(
        main,
        ["import", str(path), "--db", str(db), "--covers", "lan:23", "--covers-period", "2024-01:2024-06"],
    )
    assert result.exit_code == 0, result.output
    assert "täcker 8 kommuner (Jämtlands län) 2024-01–2024-06" in result.output
    bad = CliRunner().invoke(main, ["import", str(path), "--db", str(db), "--covers", "Berg"])
    assert bad.exit_code == 1 and "okänd kommunkod 'Berg'" in bad.output
