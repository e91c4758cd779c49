"""The demo generator: deterministic, complete, contract-shaped and plausible."""

from __future__ import annotations

import csv
import functools
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from metrics.demo import generate_demo
from metrics.demo.hospital import is_avoidable
from metrics.demo.kommuner import KOMMUNER
from metrics.demo.population import population_2024
from metrics.demo.register import build_register
from metrics.demo.selection import kommuner_in
from metrics.errors import MatavlaError
from metrics.extracts.schema import EXTRACTS, MODES, PROFESSIONS, PROVIDERS, extract_for_filename

SCALE = 0.01
SEED = 7

# SCB, Folkmängd 31 december 2024 (the project's reference file).
SCB_2024 = {
    "0509": 5237, "0512": 3626, "0513": 9957, "0560": 5517, "0561": 11467, "0562": 21623, "0563": 7525,
    "0580": 168035, "0581": 144980, "0582": 14789, "0583": 43505, "0584": 7490, "0586": 28695,
    "2303": 5146, "2305": 6035, "2309": 15680, "2313": 11023, "2321": 12693, "2326": 7108, "2361": 10175,
    "2380": 64979,
}  # fmt: skip


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("demo")
    paths = generate_demo(out, seed=SEED, scale=SCALE)
    return {p.name: p for p in paths}


def read(path: Path) -> pd.DataFrame:
    """Any demo file as text columns, the way an importer sees it."""
    return _read(path).copy()


@functools.cache
def _read(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pq.read_table(path).to_pandas().astype(str)
    if path.suffix == ".xlsx":
        return pd.read_excel(path, dtype=str, engine="openpyxl")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252")
    delimiter = ";" if ";" in text.splitlines()[0] else ","
    return pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False)


def header(path: Path) -> list[str]:
    if path.suffix == ".parquet":
        return pq.read_schema(path).names
    if path.suffix == ".xlsx":
        workbook = load_workbook(path, read_only=True)  # read-only workbooks hold the file open
        try:
            return [str(c.value) for c in next(workbook.worksheets[0].iter_rows(max_row=1))]
        finally:
            workbook.close()
    first = path.read_bytes().split(b"\n", 1)[0].decode("cp1252").strip()
    return next(csv.reader([first], delimiter=";" if ";" in first else ","))


def test_same_seed_gives_byte_identical_files(demo: dict[str, Path], tmp_path: Path) -> None:
    again = generate_demo(tmp_path, seed=SEED, scale=SCALE)
    assert sorted(p.name for p in again) == sorted(demo)
    for path in again:
        assert path.read_bytes() == demo[path.name].read_bytes(), path.name


def test_another_seed_gives_other_persons(demo: dict[str, Path], tmp_path: Path) -> None:
    other = generate_demo(tmp_path, seed=SEED + 1, scale=SCALE, years=(2024,))
    ids = set(read(next(p for p in other if p.name == "listing_2024.csv"))["person_id"])
    assert not ids & set(read(demo["listing_2024.csv"])["person_id"])


def test_every_extract_has_a_file_with_exactly_the_contract_columns(demo: dict[str, Path]) -> None:
    found: dict[str, list[str]] = {}
    for name, path in demo.items():
        extract = extract_for_filename(Path(name).stem)
        assert extract is not None, name
        assert header(path) == list(extract.column_names), name
        found.setdefault(extract.name, []).append(name)
    assert set(found) == set(EXTRACTS)
    # Five years (2020–2024), so a recent trend (five annual points) can be computed.
    assert sorted(found["contacts"]) == [f"contacts_{y}.csv" for y in range(2020, 2025)]


def test_the_contract_variants_are_where_the_report_says(demo: dict[str, Path]) -> None:
    listing = demo["listing_2024.csv"].read_bytes()
    assert "Vårdcentralen".encode("cp1252") in listing and b"\r\n" in listing
    assert set(read(demo["listing_2024.csv"])["named_gp"]) == {"ja", "nej"}
    assert set(read(demo["population.csv"])["sex"]) == {"1", "2"}
    inpatient = read(demo["inpatient.csv"])
    assert inpatient["admission_date"].str.fullmatch(r"20\d{6}").all()
    codes = inpatient["main_diagnosis"]
    assert codes.str.contains(".", regex=False).any() and (~codes.str.contains(".", regex=False)).any()
    home_care = read(demo["home_care.csv"])
    assert home_care["hours"].str.fullmatch(r"\d+,\d").all()
    assert set(home_care["sex"]) == {"kvinna", "man"}
    assert read(demo["emergency.csv"])["arrival"].str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d").all()
    survey_kommun = [c[0].value for c in load_workbook(demo["survey.xlsx"]).active.iter_rows(min_row=2)]
    assert 580 in survey_kommun  # a number: the spreadsheet dropped the zero of 0580
    month = load_workbook(demo["staff_absence.xlsx"]).active["B2"]
    assert month.is_date


def test_every_kommun_is_present(demo: dict[str, Path]) -> None:
    for name in (
        "population.csv",
        "listing_2024.csv",
        "contacts_2024.csv",
        "costs.xlsx",
        "staff_absence.xlsx",
    ):
        assert set(read(demo[name])["kommun"]) == set(SCB_2024), name
    assert {c.zfill(4) for c in read(demo["survey.xlsx"])["kommun"]} == set(SCB_2024)


def test_population_2024_is_scb_kommun_by_kommun() -> None:
    assert {k.code: k.population_2024 for k in KOMMUNER} == SCB_2024
    for kommun in KOMMUNER:
        assert population_2024(kommun, SEED).sum() == SCB_2024[kommun.code]
    # The register is built backwards from those figures, so its 31 December 2024 count is exact too.
    register = build_register(kommuner_in(("05", "23")), seed=SEED, first_year=2024)
    counts = register.population(2024).sum(axis=(1, 2))
    assert dict(zip((k.code for k in register.kommuner), counts.tolist(), strict=True)) == SCB_2024
    assert counts[:13].sum() == 472_446 and counts[13:].sum() == 132_839


def test_population_of_earlier_years_differs_a_little(demo: dict[str, Path]) -> None:
    pop = read(demo["population.csv"]).astype({"count": int, "year": int})
    totals = pop.groupby("year")["count"].sum()
    assert totals[2022] != totals[2024]
    assert abs(totals[2022] / totals[2024] - 1) < 0.03


def test_no_person_id_looks_like_a_personnummer(demo: dict[str, Path]) -> None:
    digits_only = re.compile(r"\d{6}[-+]?\d{4}|\d{8}[-+]?\d{4}")
    for name, path in demo.items():
        if "person_id" not in header(path):
            continue
        ids = read(path)["person_id"]
        assert ids.str.fullmatch(r"P[0-9a-f]{8}").all(), name
        assert not ids.str.fullmatch(digits_only).any(), name


def test_person_level_values_are_in_range(demo: dict[str, Path]) -> None:
    for name, path in demo.items():
        extract = extract_for_filename(path.stem)
        if extract is None or not extract.person_level or name == "emergency.csv":
            continue
        df = read(path)
        assert df["age"].astype(int).between(0, 120).all(), name
        assert set(df["kommun"]) <= set(SCB_2024), name

    contacts = pd.concat([read(demo[f"contacts_{y}.csv"]) for y in range(2020, 2025)])
    assert contacts["contact_id"].is_unique
    assert set(contacts["provider"]) == set(PROVIDERS)
    assert set(contacts["profession"]) <= set(PROFESSIONS)
    assert set(contacts["mode"]) == set(MODES)
    assert set(contacts["planned"]) == {"0", "1"}
    assert contacts["contact_date"].str[:4].isin([str(y) for y in range(2020, 2025)]).all()
    assert (contacts.loc[contacts["profession"] == "lakare", "staff_id"] != "").mean() > 0.9

    stays = read(demo["inpatient.csv"])
    admitted, discharged = stays["admission_date"].astype(int), stays["discharge_date"].astype(int)
    assert (discharged >= admitted).all()
    has_ready = stays["ready_for_discharge_date"] != ""
    ready = stays.loc[has_ready, "ready_for_discharge_date"].astype(int)
    assert has_ready.any()
    assert ((ready >= admitted[has_ready]) & (ready <= discharged[has_ready])).all()

    home_care = read(demo["home_care.csv"])
    assert (home_care["month"].str[-2:] == "01").all()
    assert (home_care["hours"].str.replace(",", ".").astype(float) > 0).all()
    staff = home_care["staff_14d"]
    assert (staff == "").any() and staff[staff != ""].astype(int).between(1, 45).all()

    sip = read(demo["sip.parquet"])
    assert set(sip["person_participated"]) <= {"True", "False"}


def test_hospital_stays_look_like_swedish_ones(demo: dict[str, Path]) -> None:
    stays = read(demo["inpatient.csv"]).astype({"age": int})
    stays["admitted"] = pd.to_datetime(stays["admission_date"], format="%Y%m%d")
    stays["discharged"] = pd.to_datetime(stays["discharge_date"], format="%Y%m%d")
    acute = stays["acute"] == "1"
    assert 0.6 < acute.mean() < 0.8
    old = stays[stays["age"] >= 65]
    avoidable = is_avoidable(old.loc[old["acute"] == "1", "main_diagnosis"].to_numpy())
    assert 0.08 < avoidable.mean() < 0.3

    # Readmission: an acute admission of the same person 1-30 days after a discharge.
    later = stays[acute][["person_id", "admitted"]]
    pairs = old[["person_id", "discharged", "stay_id"]].merge(later, on="person_id")
    gap = (pairs["admitted"] - pairs["discharged"]).dt.days
    readmitted = pairs.loc[gap.between(1, 30), "stay_id"].nunique()
    assert 0.08 < readmitted / len(old) < 0.25


def test_emergency_has_exactly_ten_bad_rows(demo: dict[str, Path]) -> None:
    visits = read(demo["emergency.csv"])
    unknown_kommun = visits["kommun"] == "9999"
    impossible_age = visits["age"].astype(int) > 120
    backwards = visits["departure"] < visits["arrival"]
    assert (unknown_kommun.sum(), impossible_age.sum(), backwards.sum()) == (4, 3, 3)
    good = visits[~(unknown_kommun | impossible_age | backwards)]
    assert visits["visit_id"].is_unique and len(good) == len(visits) - 10


def test_aggregates_are_consistent(demo: dict[str, Path]) -> None:
    survey = read(demo["survey.xlsx"]).astype({"positive": int, "responses": int})
    assert (survey["responses"] >= survey["positive"]).all()
    share = survey["positive"].sum() / survey["responses"].sum()
    assert 0.6 < share < 0.85
    costs = read(demo["costs.xlsx"]).astype({"amount_sek": float})
    assert (costs["amount_sek"] >= 0).all() and set(costs["principal"]) == {"region", "kommun"}
    absence = read(demo["staff_absence.xlsx"]).astype({"scheduled_hours": float, "absence_hours": float})
    pct = absence["absence_hours"] / absence["scheduled_hours"]
    assert (absence["scheduled_hours"] > 0).all() and pct.between(0.0, 0.2).all()
    assert 0.05 < absence["absence_hours"].sum() / absence["scheduled_hours"].sum() < 0.10


def test_digital_contacts_grow_and_named_gps_improve_where_the_story_says(demo: dict[str, Path]) -> None:
    digital = {}
    for year in (2020, 2024):  # the story runs from 1 January 2020 to 31 December 2024
        contacts = read(demo[f"contacts_{year}.csv"])
        digital[year] = contacts["mode"].isin(["video", "chatt"]).mean()
    assert 0.03 < digital[2020] < 0.08 and 0.11 < digital[2024] < 0.18

    def named_share(year: int, kommun: str) -> float:
        listing = read(demo[f"listing_{year}.csv"])
        last = listing[(listing["snapshot_date"] == f"{year}-12-31") & (listing["kommun"] == kommun)]
        return float(np.mean(last["named_gp"] == "ja"))

    assert named_share(2024, "0580") - named_share(2020, "0580") > 0.1  # Linköping improves
    assert abs(named_share(2024, "0581") - named_share(2020, "0581")) < 0.06  # Norrköping does not


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(MatavlaError, match="skalan"):
        generate_demo(tmp_path, scale=0)
    with pytest.raises(MatavlaError, match="2015–2024"):
        generate_demo(tmp_path, years=(2025,))
    with pytest.raises(MatavlaError, match="utan lucka"):
        generate_demo(tmp_path, years=(2022, 2024))
    with pytest.raises(MatavlaError, match="okänd länskod 99"):
        generate_demo(tmp_path, lan=("99",))


def test_the_demo_caps_the_lp_audit_unless_the_environment_says_otherwise(tmp_path, monkeypatch):
    """The demo's compute gets 160 nominal seconds of LP per indicator (its first start should take
    minutes; at 30, 75 000 iterations, the full-scale demo refused sip_delaktighet, which needs
    359 000 on rung 0); an operator's MATAVLA_AUDIT_SECONDS wins, and the process's environment
    is left as it was."""
    import os

    from metrics.demo import pipeline

    seen: list[str | None] = []

    def fake_compute_all(*args, **kwargs):
        seen.append(os.environ.get("MATAVLA_AUDIT_SECONDS"))
        return []

    monkeypatch.setattr(pipeline, "compute_all", fake_compute_all)
    monkeypatch.delenv("MATAVLA_AUDIT_SECONDS", raising=False)
    catalog = Path(__file__).resolve().parents[1] / "indicators.yaml"
    pipeline.build_demo(tmp_path / "a.duckdb", catalog, out_dir=tmp_path / "a", scale=0.002, years=[2024])
    assert seen == ["160"] and "MATAVLA_AUDIT_SECONDS" not in os.environ
    monkeypatch.setenv("MATAVLA_AUDIT_SECONDS", "5")
    pipeline.build_demo(tmp_path / "b.duckdb", catalog, out_dir=tmp_path / "b", scale=0.002, years=[2024])
    assert seen == ["160", "5"] and os.environ["MATAVLA_AUDIT_SECONDS"] == "5"


def test_an_indicator_the_lp_cannot_prove_is_refused_but_the_demo_still_starts(tmp_path, monkeypatch):
    """The first start used to fail whole when one indicator was refused by the disclosure audit
    (the full-scale demo at its old budget: sip_delaktighet); a refusal is an outcome the board
    shows, any other failure still stops the build."""
    from metrics.compute.engine import RunReport
    from metrics.compute.runs import Failure
    from metrics.demo import pipeline
    from metrics.errors import MatavlaError

    refusal = Failure("DisclosureError", "LP-granskningen kunde inte bevisa skyddet …")
    reports = [
        RunReport("fast_lakarkontakt", True, 10, 0.1),
        RunReport("sip_delaktighet", False, 0, 0.1, refusal.message, refusal),
    ]
    monkeypatch.setattr(pipeline, "compute_all", lambda *a, **k: reports)
    catalog = Path(__file__).resolve().parents[1] / "indicators.yaml"
    said: list[str] = []
    pipeline.build_demo(
        tmp_path / "a.duckdb",
        catalog,
        out_dir=tmp_path / "a",
        scale=0.002,
        years=[2024],
        progress=said.append,
    )
    assert any(line.startswith("sip_delaktighet publiceras inte: LP-granskningen") for line in said)
    broken = Failure("ConversionException", "beräkningen stoppades av ett fel i databasen")
    reports.append(RunReport("kontinuitet_lakare", False, 0, 0.1, broken.message, broken))
    with pytest.raises(MatavlaError, match="kontinuitet_lakare") as excinfo:
        pipeline.build_demo(tmp_path / "b.duckdb", catalog, out_dir=tmp_path / "b", scale=0.002, years=[2024])
    assert "sip_delaktighet" not in str(excinfo.value)
