"""The engine against an independent reference, cell by cell (issue 6, "Done when").

Independent data (tests/reference/data.py: Blekinge, 5 kommuner, 2022–2024, with zero-event
kommuner, kommuner that did not deliver, movers, readmissions at day 0/1/30/31, listing
snapshots on different days per kommun and a month without rows) is imported with the real
`matavla import` and computed with the real `matavla compute`, suppression switched off. A plain
pandas reference written from the contract (tests/reference/expected.py) says what every cell
must be. Per indicator:

- cells with events match the reference (numerator, denominator and value, to 1e-9 relative);
- covered cells without events have numerator 0 and their full denominator, and the län and
  area groups count them (contract 1.1, coverage);
- cells no delivery covers are missing ("saknas"): never published with numbers;
- the results have no cell the reference lacks.

At the bottom, the reference itself is checked against small cases worked out by hand.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from metrics.cli import main
from tests.reference import data, expected

ROOT = Path(__file__).resolve().parents[1]
REL = 1e-9
IDS = [i.id for i in expected.INDICATORS]


Row = dict[str, object]
Key = tuple[str, ...]  # (indicator, area_code, area_level, period, breakdown, sex, age_band)


@dataclass
class Run:
    results: pd.DataFrame  # the engine's results table
    cells: dict[str, dict[Key, Row]]  # indicator -> the engine's cells by key
    reference: dict[str, pd.DataFrame]  # indicator -> expected cells, with their key in `key`


def no_suppression_catalogue(folder: Path) -> Path:
    """The shipped catalogue, suppression off, with two area groups for Blekinge."""
    catalogue = yaml.safe_load((ROOT / "indicators.yaml").read_text(encoding="utf-8"))
    # min_denominator 0 hides nothing by denominator; the catalogue refuses max_count < min_count,
    # so the count rule is switched off by a band no count in these data reaches.
    catalogue["settings"]["suppression"] = {"min_denominator": 0, "min_count": 10**12, "max_count": 10**12}
    # ... and the publishing rule (docs/disclosure.md) off: every cell is published and compared
    catalogue["settings"]["publication"] = {
        "kommun_month_breakdowns": True,
        "kommun_months_min_population": 0,
        "kommun_quarter_breakdowns_min_population": 0,
    }
    catalogue["area_levels"] = [
        {
            "level": expected.GROUP_LEVEL,
            "title": "Område",
            "groups": [
                {"id": gid, "name": gid, "kommuner": list(members)}
                for gid, members in expected.GROUPS.items()
            ],
        }
    ]
    for indicator in catalogue["indicators"]:
        assert "suppression" not in indicator, "a per-indicator suppression would switch suppression back on"
    path = folder / "indicators.yaml"
    path.write_text(yaml.safe_dump(catalogue, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    folder = tmp_path_factory.mktemp("reference")
    ds = data.build()
    paths = data.write(ds, folder / "extracts")
    db = folder / "matavla.duckdb"
    cli = CliRunner()
    imported = cli.invoke(main, ["import", *map(str, paths), "--db", str(db)])
    assert imported.exit_code == 0, imported.output
    computed = cli.invoke(
        main, ["compute", "--db", str(db), "--catalog", str(no_suppression_catalogue(folder))]
    )
    assert computed.exit_code == 0, computed.output
    with duckdb.connect(str(db), read_only=True) as con:
        results = con.execute("SELECT * FROM results").df()
    reference = {}
    for indicator in expected.INDICATORS:
        cells = expected.expected_cells(ds.tables, indicator)
        reference[indicator.id] = cells.assign(key=_key(cells))
    return Run(results, {i: _cells_of(results, i) for i in IDS}, reference)


def _key(df: pd.DataFrame) -> pd.Series:
    parts = [df[c].astype(object).where(df[c].notna(), "") for c in expected.KEY]
    return pd.Series(list(zip(*parts, strict=True)), index=df.index)


def _close(a: float | None, b: float | None) -> bool:
    a_missing = a is None or (isinstance(a, float) and math.isnan(a))
    b_missing = b is None or (isinstance(b, float) and math.isnan(b))
    if a_missing or b_missing:
        return a_missing and b_missing
    return math.isclose(float(a), float(b), rel_tol=REL, abs_tol=1e-12)


def _cell(key: tuple[str, ...]) -> str:
    _, area, level, period, breakdown, sex, band = key
    what = {"total": "", "sex": f" kön {sex}", "age_band": f" ålder {band}"}[breakdown]
    return f"{level} {area} {period}{what}"


def _cells_of(results: pd.DataFrame, indicator: str) -> dict[Key, Row]:
    """The engine's cells of one indicator by key."""
    res = results[results["indicator"] == indicator]
    cells: dict[Key, Row] = {}
    for key, row in zip(_key(res), res.to_dict("records"), strict=True):
        assert key not in cells, f"{indicator}: two cells for {_cell(key)}"
        cells[key] = row
    return cells


def _is_missing(row: Row) -> bool:
    # `missing` arrives with the coverage rule (results of a kommun no delivery covers)
    return bool(row.get("missing", False))


def mismatches(run: Run, indicator: str, cells: pd.DataFrame, limit: int = 25) -> list[str]:
    """Why each reference cell (not "saknas") is not what the results hold; [] when all agree."""
    res = run.cells[indicator]
    problems = []
    for ref in cells.itertuples(index=False):
        key = ref.key
        if key not in res:
            if not ref.optional:
                problems.append(f"{_cell(key)}: no cell, expected {ref.numerator:g}/{ref.denominator:g}")
            continue
        got = res[key]
        if _is_missing(got):
            problems.append(f"{_cell(key)}: marked missing, but a delivery covers it")
            continue
        expected_value = None if ref.optional else ref.value
        for name, want in (
            ("numerator", ref.numerator),
            ("denominator", ref.denominator),
            ("value", expected_value),
        ):
            if not _close(got[name], want):  # type: ignore[arg-type]
                problems.append(f"{_cell(key)}: {name} {got[name]!r}, expected {want!r}")
    if len(problems) > limit:
        problems = [*problems[:limit], f"… and {len(problems) - limit} more"]
    return problems


# --- the engine against the reference -------------------------------------------------------


# Found by this comparison and fixed: a kommun-period absent from an aggregate file (costs,
# staff_absence: one row per kommun and period) counted as covered for the file's whole span
# (test_a_kommun_year_missing_from_an_aggregate_file_is_missing_not_zero); and with `snapshot: last`
# a mover in two kommuners' last snapshots was counted twice
# (test_a_mover_in_two_kommuners_last_snapshots_counts_once_like_in_home_care).


@pytest.mark.parametrize("indicator", IDS)
def test_cells_with_events_match_the_reference(run: Run, indicator: str) -> None:
    ref = run.reference[indicator]
    cells = ref[ref["has_rows"] & ~ref["saknas"]]
    assert len(cells) > 0, "the data set must give this indicator events"
    problems = mismatches(run, indicator, cells)
    assert not problems, f"{len(problems)} cells differ from the reference:\n" + "\n".join(problems)


@pytest.mark.parametrize("indicator", IDS)
def test_covered_cells_without_events_have_numerator_0_and_full_denominator(run: Run, indicator: str) -> None:
    ref = run.reference[indicator]
    cells = ref[~ref["has_rows"] & ~ref["saknas"]]
    problems = mismatches(run, indicator, cells)
    assert not problems, f"{len(problems)} cells differ from the reference:\n" + "\n".join(problems)


@pytest.mark.parametrize("indicator", IDS)
def test_cells_no_delivery_covers_are_missing_not_zero(run: Run, indicator: str) -> None:
    ref = run.reference[indicator]
    res = run.cells[indicator]
    published = [
        _cell(key)
        for key in ref.loc[ref["saknas"], "key"]
        if key in res and not (_is_missing(res[key]) and pd.isna(res[key]["numerator"]))
    ]
    assert not published, "published although no delivery covers them:\n" + "\n".join(published[:25])


WITH_MISSING_KOMMUNER = [i.id for i in expected.INDICATORS if i.source in data.NOT_DELIVERED]


@pytest.mark.parametrize("indicator", WITH_MISSING_KOMMUNER)
def test_a_kommun_no_delivery_covers_is_shown_as_missing(run: Run, indicator: str) -> None:
    """The contract: "missing ('saknas') … and shown as missing": a kommun total marked missing."""
    ref = run.reference[indicator]
    wanted = ref[ref["saknas"] & (ref["area_level"] == "kommun") & (ref["breakdown"] == "total")]
    assert len(wanted) > 0
    res = run.cells[indicator]
    not_shown = [_cell(k) for k in wanted["key"] if k not in res or not _is_missing(res[k])]
    assert not not_shown, "not marked missing:\n" + "\n".join(not_shown[:25])


def test_whole_year_deliveries_give_complete_periods(run: Run) -> None:
    """Every delivery here covers whole years, so no period may be marked partial ("t.o.m."):
    not the empty July, not a kommun whose listing snapshot falls mid-month. The exceptions are
    the readmission indicators (follow_up_days: 30 and 7): a December 2024 stay's readmission may
    come in January 2025, which no delivery reaches, so December, Q4 and the year 2024 are not complete."""
    assert "complete" in run.results.columns
    catalogue = yaml.safe_load((ROOT / "indicators.yaml").read_text(encoding="utf-8"))
    follow_up = {i["id"] for i in catalogue["indicators"] if i.get("follow_up_days")}
    assert "aterinskrivning_30d_65" in follow_up
    shown = run.results[~run.results["missing"].astype(bool)]
    partial = shown[~shown["complete"].astype(bool)]
    followed_up = partial["indicator"].isin(follow_up)
    assert partial[~followed_up].empty, (
        partial.loc[~followed_up, ["indicator", "area_code", "period"]].head(25).to_string()
    )
    for indicator in follow_up:
        periods = set(partial.loc[partial["indicator"] == indicator, "period"])
        assert periods == {"2024-12", "2024-Q4", "2024"}, indicator


@pytest.mark.parametrize("indicator", IDS)
def test_results_have_no_cell_the_reference_lacks(run: Run, indicator: str) -> None:
    known = set(run.reference[indicator]["key"])
    res = run.cells[indicator]
    extra = sorted(_cell(k) for k in res if k not in known)
    assert not extra, f"{len(extra)} cells the reference does not have:\n" + "\n".join(extra[:25])


def test_the_reference_covers_every_core_indicator_of_the_catalogue() -> None:
    catalogue = yaml.safe_load((ROOT / "indicators.yaml").read_text(encoding="utf-8"))
    assert [i["id"] for i in catalogue["indicators"][:16]] == IDS


def test_the_data_set_has_the_shapes_it_promises() -> None:
    ds = data.build()
    t = ds.tables
    readmits = expected.readmitted(t["inpatient"])
    assert readmits.sum() >= len([r for r in data.READMISSIONS if 1 <= r[1] <= 30 and r[2]])
    c, ip, em, sip = t["contacts"], t["inpatient"], t["emergency"], t["sip"]
    assert not ((c["kommun"] == "1060") & (c["mode"] == "hembesok")).any()
    assert not (
        (c["kommun"] == "1083")
        & (c["mode"].isin(["video", "chatt"]))
        & (pd.to_datetime(c["contact_date"]).dt.year == 2022)
    ).any()
    assert not (
        expected.avoidable(ip["main_diagnosis"])
        & (ip["kommun"] == "1083")
        & (pd.to_datetime(ip["admission_date"]).dt.year == 2023)
    ).any()
    assert not ((em["kommun"] == "1082") & (pd.to_datetime(em["arrival"]).dt.year == 2024)).any()
    assert not ((sip["kommun"] == "1083") & (pd.to_datetime(sip["start_date"]).dt.year == 2022)).any()
    for table, column in ((c, "contact_date"), (sip, "start_date")):
        months = set(pd.to_datetime(table[column]).dt.strftime("%Y-%m"))
        assert "2023-07" not in months and {"2022-01", "2023-06", "2024-12"} <= months
    movers = t["listing"].groupby("person_id")["kommun"].nunique()
    assert (movers > 1).sum() >= 10
    snap_days = t["listing"].groupby("kommun")["snapshot_date"].apply(lambda s: {d.day for d in s})
    assert len({frozenset(d) for d in snap_days}) == len(data.KOMMUNER)


# --- the reference itself, on cases worked out by hand ------------------------------------------


def _tiny(**tables: list[dict[str, object]]) -> expected.Tables:
    return {name: pd.DataFrame(rows) for name, rows in tables.items()}


def _one(cells: pd.DataFrame, area: str, period: str, breakdown: str = "total", **which: str) -> pd.Series:
    rows = cells[
        (cells["area_code"] == area) & (cells["period"] == period) & (cells["breakdown"] == breakdown)
    ]
    for column, value in which.items():
        rows = rows[rows[column] == value]
    assert len(rows) == 1, rows
    return rows.iloc[0]


ONE_YEAR = (2023,)
ALL_COVERED = {s: {(k, 2023) for k in data.KOMMUNER} for s in data.SOURCES}


def _population(counts: dict[tuple[str, str, int], int]) -> list[dict[str, object]]:
    """Population rows for 2023: {(kommun, sex, age): count}; every other cell 0."""
    return [
        {"kommun": k, "year": 2023, "sex": s, "age": a, "count": counts.get((k, s, a), 0)}
        for k in data.KOMMUNER
        for s in ("K", "M")
        for a in range(101)
    ]


def _sip(
    sid: str, kommun: str, day: date, participated: bool, sex: str = "K", age: int = 70
) -> dict[str, object]:
    return {
        "sip_id": sid,
        "person_id": f"p-{sid}",
        "kommun": kommun,
        "sex": sex,
        "age": age,
        "start_date": day,
        "initiated_by": "kommun",
        "person_participated": participated,
    }


def test_reference_proportion_sip_delaktighet_by_hand() -> None:
    t = _tiny(
        sip=[
            _sip("a", "1080", date(2023, 1, 5), True),
            _sip("b", "1080", date(2023, 2, 9), False),
            _sip("c", "1080", date(2023, 2, 20), True, sex="M", age=30),
            _sip("d", "1081", date(2023, 5, 1), True),
        ],
        population=_population({}),
    )
    cells = expected.expected_cells(t, expected.BY_ID["sip_delaktighet"], ALL_COVERED, ONE_YEAR)
    # Karlskrona 2023: participated a, c of a, b, c -> 2 / 3 = 66.666…%
    assert _one(cells, "1080", "2023")[["numerator", "denominator"]].tolist() == [2, 3]
    assert _one(cells, "1080", "2023")["value"] == pytest.approx(200 / 3)
    # Karlskrona, February: c of b, c -> 1 / 2 = 50 %; Q1 = the year's three SIPs
    assert _one(cells, "1080", "2023-02")["value"] == pytest.approx(50)
    assert _one(cells, "1080", "2023-Q1")[["numerator", "denominator"]].tolist() == [2, 3]
    # men in Karlskrona: only c -> 1 / 1; age band 20-64: only c
    assert _one(cells, "1080", "2023", "sex", sex="M")["value"] == pytest.approx(100)
    assert _one(cells, "1080", "2023", "age_band", age_band="20-64")[
        ["numerator", "denominator"]
    ].tolist() == [1, 1]
    # Blekinge 2023: (2 + 1) / (3 + 1) = 75 %, not the mean of 66.7 % and 100 %
    assert _one(cells, "10", "2023")["value"] == pytest.approx(75)
    # Olofström (covered, no SIP): 0 / 0, value undefined, optional
    olof = _one(cells, "1060", "2023")
    assert (olof["numerator"], olof["denominator"], olof["optional"]) == (0, 0, True)
    assert math.isnan(olof["value"])


def test_reference_per_1000_sip_and_coverage_by_hand() -> None:
    t = _tiny(
        sip=[_sip("a", "1080", date(2023, 3, 1), True), _sip("b", "1080", date(2023, 4, 1), False)],
        population=_population(
            {("1080", "K", 40): 400, ("1080", "M", 70): 100, ("1083", "K", 50): 250, ("1082", "M", 90): 50}
        ),
    )
    coverage = {**ALL_COVERED, "sip": ALL_COVERED["sip"] - {("1082", 2023)}}
    cells = expected.expected_cells(t, expected.BY_ID["sip_per_1000"], coverage, ONE_YEAR)
    # Karlskrona: 2 SIPs / 500 inhabitants x 1000 = 4.0
    assert _one(cells, "1080", "2023")["value"] == pytest.approx(4.0)
    # Sölvesborg, covered with no SIP: 0 / 250 = 0 (a value, not missing)
    assert _one(cells, "1083", "2023")[["numerator", "denominator", "value"]].tolist() == [0, 250, 0]
    # Karlshamn did not deliver: missing, left out of the län: (2 + 0) / (500 + 250) x 1000 = 2.666…
    assert _one(cells, "1082", "2023")["saknas"]
    assert _one(cells, "10", "2023")[["numerator", "denominator"]].tolist() == [2, 750]
    assert _one(cells, "10", "2023")["value"] == pytest.approx(2000 / 750)
    # men in the län: Karlskrona's 100 (Karlshamn's 50 men are missing) -> 0 SIPs by men / 100 = 0
    assert _one(cells, "10", "2023", "sex", sex="M")[["numerator", "denominator"]].tolist() == [0, 100]
    # only years for a population rate
    assert set(cells["period_type"]) == {"year"}


def _contact(
    cid: str, person: str, staff: str, day: int = 10, profession: str = "lakare"
) -> dict[str, object]:
    return {
        "contact_id": cid,
        "person_id": person,
        "kommun": "1080",
        "sex": "K",
        "age": 50,
        "contact_date": date(2023, 3, day),
        "care_unit": "vc",
        "provider": "region",
        "profession": profession,
        "staff_id": staff,
        "mode": "mottagning",
        "planned": False,
    }


def test_reference_coc_mean_by_hand() -> None:
    t = _tiny(
        contacts=[
            _contact("1", "A", "x"),
            _contact("2", "A", "x"),
            _contact("3", "A", "y"),  # N=3
            _contact("4", "B", "x"),
            _contact("5", "B", "x"),  # N=2
            _contact("6", "C", "x"),  # N=1: not counted
            _contact("7", "D", "x"),
            _contact("8", "D", ""),  # empty staff_id: N=1
            _contact("9", "E", "x", profession="sjukskoterska"),
            _contact("10", "E", "y"),  # one lakare contact
        ],
        population=_population({}),
    )
    cells = expected.expected_cells(t, expected.BY_ID["kontinuitet_lakare"], ALL_COVERED, ONE_YEAR)
    # A: n = (2, 1), Σn² = 5, COC = (5 − 3) / (3 · 2) = 1/3;  B: n = (2), COC = (4 − 2) / (2 · 1) = 1
    # mean over A and B = (1/3 + 1) / 2 = 2/3
    cell = _one(cells, "1080", "2023")
    assert cell["numerator"] == pytest.approx(4 / 3) and cell["denominator"] == 2
    assert cell["value"] == pytest.approx(2 / 3)


def test_reference_sum_per_1000_utskrivningsklara_and_readmission_days_by_hand() -> None:
    def stay(
        sid: str,
        person: str,
        admitted: date,
        discharged: date,
        acute: bool = True,
        ready: date | None = None,
        age: int = 70,
    ) -> dict[str, object]:
        return {
            "stay_id": sid,
            "person_id": person,
            "kommun": "1081",
            "sex": "M",
            "age": age,
            "admission_date": admitted,
            "discharge_date": discharged,
            "acute": acute,
            "main_diagnosis": "J44.1",
            "ready_for_discharge_date": ready,
        }

    t = _tiny(
        inpatient=[
            stay("a", "P", date(2023, 3, 1), date(2023, 3, 10), ready=date(2023, 3, 7)),  # 3 days
            stay("b", "P", date(2023, 3, 10), date(2023, 3, 12)),  # day 0 after a: a not readmitted
            stay("c", "Q", date(2023, 5, 1), date(2023, 5, 2), ready=date(2023, 5, 2)),  # 0 days
            stay("d", "Q", date(2023, 6, 1), date(2023, 6, 3), age=50),  # day 30 after c: c readmitted
            stay("e", "R", date(2023, 8, 1), date(2023, 8, 9), ready=date(2023, 8, 4)),  # 5 days
            stay("f", "R", date(2023, 9, 9), date(2023, 9, 10), acute=False),  # day 31 and planned
            stay("g", "S", date(2023, 10, 1), date(2023, 10, 1)),
            stay("h", "S", date(2023, 10, 2), date(2023, 10, 5), acute=True),  # day 1 after g
        ],
        population=_population({("1081", "M", 70): 1500, ("1081", "K", 80): 500, ("1081", "K", 30): 999}),
    )
    days = expected.expected_cells(t, expected.BY_ID["utskrivningsklara_dagar_65"], ALL_COVERED, ONE_YEAR)
    # Σ (discharge − ready) over stays of 65+ with a ready date: 3 + 0 + 5 = 8 days;
    # inhabitants 65+: 1500 + 500 = 2000 -> 8 / 2000 x 1000 = 4.0 days per 1 000
    assert _one(days, "1081", "2023")[["numerator", "denominator", "value"]].tolist() == [8, 2000, 4.0]
    readmit = expected.expected_cells(t, expected.BY_ID["aterinskrivning_30d_65"], ALL_COVERED, ONE_YEAR)
    # stays of 65+: a, b, c, e, f, g, h (d is 50). Readmitted: c (d on day 30, d's age does not
    # matter), g (h on day 1). Not: a (b on day 0), e (f on day 31 and planned), b, f, h.
    # 2 / 7 = 28.571…%
    cell = _one(readmit, "1081", "2023")
    assert cell[["numerator", "denominator"]].tolist() == [2, 7]
    assert _one(readmit, "1081", "2023-05")[["numerator", "denominator"]].tolist() == [1, 1]  # c
    assert _one(readmit, "1081", "2023-03")[["numerator", "denominator"]].tolist() == [0, 2]  # a, b


def test_reference_sums_of_aggregates_by_hand() -> None:
    def absence(
        kommun: str, month: int, principal: str, scheduled: float, absent: float
    ) -> dict[str, object]:
        return {"kommun": kommun, "month": date(2023, month, 1), "principal": principal,
                "scheduled_hours": scheduled, "absence_hours": absent}  # fmt: skip

    t = _tiny(
        staff_absence=[
            absence("1081", 1, "region", 1000.0, 50.0),
            absence("1081", 1, "kommun", 3000.0, 270.0),
            absence("1081", 2, "region", 1000.0, 0.0),
            absence("1080", 4, "kommun", 500.0, 25.0),
        ],
        costs=[
            {
                "kommun": "1081",
                "year": 2023,
                "principal": "region",
                "area": "primarvard",
                "amount_sek": 1500.5,
            },
            {
                "kommun": "1081",
                "year": 2023,
                "principal": "kommun",
                "area": "hemtjanst",
                "amount_sek": 2499.5,
            },
        ],
        population=_population({("1081", "K", 30): 3, ("1081", "M", 80): 5}),
    )
    coverage = {**ALL_COVERED, "staff_absence": ALL_COVERED["staff_absence"] - {("1082", 2023)}}
    cells = expected.expected_cells(t, expected.BY_ID["sjukfranvaro_personal"], coverage, ONE_YEAR)
    # Ronneby January: (50 + 270) / (1000 + 3000) = 8 %; Q1: 320 / 5000 = 6.4 %
    assert _one(cells, "1081", "2023-01")["value"] == pytest.approx(8.0)
    assert _one(cells, "1081", "2023-Q1")[["numerator", "denominator"]].tolist() == [320, 5000]
    # Karlshamn did not deliver: missing, out of the län: (320 + 25) / (5000 + 500) = 6.2727… %
    assert _one(cells, "1082", "2023")["saknas"]
    assert _one(cells, "10", "2023")[["numerator", "denominator"]].tolist() == [345, 5500]
    assert _one(cells, "10", "2023")["value"] == pytest.approx(100 * 345 / 5500)
    # no breakdowns for an aggregate without sex and age
    assert set(cells["breakdown"]) == {"total"}
    costs = expected.expected_cells(t, expected.BY_ID["kostnad_per_invanare"], ALL_COVERED, ONE_YEAR)
    # Ronneby: (1500.5 + 2499.5) SEK / (3 + 5) inhabitants = 500 SEK
    assert _one(costs, "1081", "2023")[["numerator", "denominator", "value"]].tolist() == [4000, 8, 500]


def test_reference_latest_month_and_snapshot_rules_by_hand() -> None:
    def month(m: int, person: str, kommun: str, named: bool) -> dict[str, object]:
        return {
            "month": date(2023, m, 1),
            "person_id": person,
            "kommun": kommun,
            "sex": "K",
            "age": 80,
            "hours": 10.0,
            "named_care_contact": named,
            "staff_14d": None,
        }

    t = _tiny(
        home_care=[
            month(1, "A", "1080", False),
            month(2, "A", "1080", True),  # latest (Feb) named
            month(3, "M", "1080", True),
            month(4, "M", "1081", False),  # moves in April
            month(5, "M", "1081", True),
        ],
        population=_population({}),
    )
    cells = expected.expected_cells(t, expected.BY_ID["fast_omsorgskontakt"], ALL_COVERED, ONE_YEAR)
    # M moved to Ronneby in April: in 2023 M counts once, under the latest row (May, Ronneby, named).
    # Karlskrona 2023: A only (latest Feb, named) -> 1 / 1
    assert _one(cells, "1080", "2023")[["numerator", "denominator"]].tolist() == [1, 1]
    # Ronneby 2023: M -> 1 / 1; Ronneby April alone: M's latest April row is not named -> 0 / 1
    assert _one(cells, "1081", "2023")[["numerator", "denominator"]].tolist() == [1, 1]
    assert _one(cells, "1081", "2023-04")[["numerator", "denominator"]].tolist() == [0, 1]
    # Karlskrona March: M still lived there (named) -> 1 / 1; Q2 belongs to Ronneby (1 / 1)
    assert _one(cells, "1080", "2023-03")[["numerator", "denominator"]].tolist() == [1, 1]
    assert _one(cells, "1081", "2023-Q2")[["numerator", "denominator"]].tolist() == [1, 1]
    # län 2023: two distinct persons, both named at their latest month -> 2 / 2
    assert _one(cells, "10", "2023")[["numerator", "denominator"]].tolist() == [2, 2]

    def listed(day: date, person: str, kommun: str, named: bool) -> dict[str, object]:
        return {
            "snapshot_date": day,
            "person_id": person,
            "kommun": kommun,
            "sex": "M",
            "age": 40,
            "care_unit": "vc",
            "named_gp": named,
        }

    t = _tiny(
        listing=[
            listed(date(2023, 3, 1), "A", "1080", True),
            listed(date(2023, 3, 1), "B", "1080", True),
            listed(date(2023, 3, 16), "A", "1080", True),
            listed(date(2023, 3, 16), "B", "1080", False),
            listed(date(2023, 3, 1), "F", "1080", True),  # not listed any more at the last snapshot
            listed(date(2023, 3, 28), "C", "1082", True),  # Karlshamn's snapshot is on another day
            listed(date(2023, 3, 16), "D", "1080", True),  # D moves: in both kommuners' last snapshots,
            listed(date(2023, 3, 28), "D", "1082", False),  # counted once, under the later (Karlshamn)
        ],
        population=_population({}),
    )
    cells = expected.expected_cells(t, expected.BY_ID["fast_lakarkontakt"], ALL_COVERED, ONE_YEAR)
    # Karlskrona's last snapshot in March is the 16th: A named, B not (D counts in Karlshamn) -> 1 / 2
    assert _one(cells, "1080", "2023-03")[["numerator", "denominator"]].tolist() == [1, 2]
    # Karlshamn's own last snapshot (28th) counts, though Karlskrona's is earlier: C named, D not -> 1 / 2
    assert _one(cells, "1082", "2023-Q1")[["numerator", "denominator"]].tolist() == [1, 2]
    # län Q1: four distinct persons, A and C named -> 2 / 4
    assert _one(cells, "10", "2023-Q1")[["numerator", "denominator"]].tolist() == [2, 4]


# --- minimal reproducers of what the comparison found ---------------------------------------------


def test_a_mover_in_two_kommuners_last_snapshots_counts_once_like_in_home_care() -> None:
    """A person counts once per period, under their latest row, as the engine already does for
    `latest: true` (fast_omsorgskontakt) and the COC measure, so that the län counts distinct persons.

    D is in Olofström's last March snapshot (28th), moves, and is in Karlskrona's (31st).
    Expected: Olofström 0 / 0 (no cell or an empty one), Karlskrona 0 / 1, län 0 / 1.
    """
    from tests.indicator_cases import compute, core_catalogue, empty_db, insert

    catalogue = core_catalogue()
    con = empty_db(catalogue)
    insert(
        con,
        "listing",
        [
            (date(2023, 3, 28), "D", "1060", "M", 40, "vc", True),
            (date(2023, 3, 31), "D", "1080", "M", 40, "vc", False),
            (date(2023, 3, 31), "E", "1080", "K", 40, "vc", True),
        ],
    )
    res = compute(con, catalogue, "fast_lakarkontakt")
    total = res[(res["breakdown"] == "total") & (res["period"] == "2023-03")].set_index("area_code")
    # Karlskrona: D (not named) and E (named) -> 1 / 2; the län: the same two persons -> 1 / 2
    assert total.loc["1080", ["numerator", "denominator"]].tolist() == [1, 2]
    assert total.loc["10", ["numerator", "denominator"]].tolist() == [1, 2]
    assert "1060" not in total.index or total.loc["1060", "denominator"] == 0


def test_a_kommun_year_missing_from_an_aggregate_file_is_missing_not_zero(tmp_path: Path) -> None:
    """Costs are one row per kommun, year, principal and area: a kommun-year without rows was not
    delivered (zero costs would be rows with 0), so it is missing, not 0 SEK per inhabitant."""
    (tmp_path / "costs.csv").write_text(
        "kommun;year;principal;area;amount_sek\n"
        "1080;2022;region;primarvard;1000\n"
        "1080;2022;kommun;hemtjanst;200\n"
        "1080;2023;region;primarvard;3000\n"
        "1080;2023;kommun;hemtjanst;0\n"
        "1083;2022;region;primarvard;500\n"
        "1083;2022;kommun;hemtjanst;100\n"
        "1083;2023;region;primarvard;700\n",  # Sölvesborg's own costs for 2023 never came
        encoding="utf-8",
    )
    population = ["kommun,year,sex,age,count"]
    population += [f"{k},{y},K,40,{n}" for k, n in (("1080", 10), ("1083", 5)) for y in (2022, 2023)]
    (tmp_path / "population.csv").write_text("\n".join(population) + "\n", encoding="utf-8")
    db = str(tmp_path / "db.duckdb")
    cli = CliRunner()
    imported = cli.invoke(
        main, ["import", str(tmp_path / "costs.csv"), str(tmp_path / "population.csv"), "--db", db]
    )
    assert imported.exit_code == 0, imported.output
    catalogue = str(no_suppression_catalogue(tmp_path))
    computed = cli.invoke(
        main, ["compute", "--db", db, "--catalog", catalogue, "--indicator", "kostnad_per_invanare"]
    )
    assert computed.exit_code == 0, computed.output
    with duckdb.connect(db, read_only=True) as con:
        res = con.execute("SELECT * FROM results WHERE breakdown = 'total'").df()
    cells = {(r["area_code"], r["period"]): r for r in res.to_dict("records")}
    # 2022: Karlskrona (1000 + 200) / 10 = 120, Sölvesborg (500 + 100) / 5 = 120, län 1800 / 15 = 120
    assert (cells[("10", "2022")]["numerator"], cells[("10", "2022")]["denominator"]) == (1800, 15)
    # 2023: Sölvesborg delivered the region's costs only (a kommun's own costs of 0 kr would be a
    # row with 0, as Karlskrona's), so the län is Karlskrona alone: (3000 + 0) / 10 = 300 SEK
    assert (cells[("10", "2023")]["numerator"], cells[("10", "2023")]["denominator"]) == (3000, 10)
    assert cells[("10", "2023")]["value"] == pytest.approx(300)
    solvesborg = cells.get(("1083", "2023"))
    assert solvesborg is None or (_is_missing(solvesborg) and pd.isna(solvesborg["numerator"]))
