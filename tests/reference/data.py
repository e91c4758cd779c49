"""A small independent data set for Blekinge län (5 kommuner, 2022–2024), written as contract CSV.

Deliberately unlike metrics/demo: one län that the demo does not have, a few hundred persons,
and the awkward shapes real deliveries have:

- zero events: Olofström (1060) never has a home visit; Sölvesborg (1083) has no avoidable
  hospitalisation in 2023 and no SIP in 2022; Karlshamn (1082) has no emergency visit at all
  in 2024; Sölvesborg has no video or chat contact in 2022;
- kommuner that did not deliver: home care from Olofström starts in 2023, Karlshamn is
  missing from the 2023 patient survey, Sölvesborg's 2024 costs and Ronneby's (1081) 2022
  staff absence were never delivered;
- persons who move between kommuner (rows follow the residence at the event), one of them
  between two kommuners' March 2023 listing snapshots, so they are in both;
- readmissions placed on day 0, 1, 30 and 31 after discharge, one in the next year, one
  planned (not acute) and one after a move;
- listing snapshots on different days per kommun, Karlshamn twice a month;
- July 2023 has no contacts and no SIP at all (the region still delivered the year);
- a few value variants the contract accepts (sex 1/2, ja/nej, YYYYMMDD, `;` with decimal comma,
  ICD codes with a dot and in lower case).

Every delivery is shaped so that what it covers is plain from the file itself (a region file
spans its whole period, a kommun's own file starts and ends in the months it covers); the
same coverage is stated in `COVERAGE` for the reference implementation.
"""

from __future__ import annotations

import calendar
import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

LAN = "10"  # Blekinge län
KOMMUNER = ("1060", "1080", "1081", "1082", "1083")  # Olofström, Karlskrona, Ronneby, Karlshamn, Sölvesborg
YEARS = (2022, 2023, 2024)
SEED = 1010
N_PERSONS = 320
EMPTY_MONTH = (2023, 7)  # no contacts and no SIP anywhere

# Who delivered what: (kommun, year) pairs NOT covered by any delivery of that source.
NOT_DELIVERED: dict[str, set[tuple[str, int]]] = {
    "home_care": {("1060", 2022)},
    "survey": {("1082", 2023)},
    "costs": {("1083", 2024)},
    "staff_absence": {("1081", 2022)},
}
SOURCES = (
    "population",
    "listing",
    "contacts",
    "inpatient",
    "emergency",
    "home_care",
    "sip",
    "survey",
    "costs",
    "staff_absence",
)
# source -> the (kommun, year) pairs a delivery covers (whole years only, by construction).
COVERAGE: dict[str, set[tuple[str, int]]] = {
    source: {(k, y) for k in KOMMUNER for y in YEARS} - NOT_DELIVERED.get(source, set()) for source in SOURCES
}

# Listing snapshot days per kommun (0 = last day of the month); Karlshamn delivers twice a month.
SNAPSHOT_DAYS = {"1060": (28,), "1080": (0,), "1081": (15,), "1082": (1, 16), "1083": (20,)}
AVOIDABLE = ("I50.9", "J44.1", "E11.9", "N39.0", "E86", "I10", "D50.0", "J45.9")
# N39.1 is not N390 (the list has N390, not N39); E86.0 is avoidable by its prefix E86.
OTHER_DIAGNOSES = ("N39.1", "S72.0", "I63.9", "C34.1", "K35.8", "R07.4", "E86.0")
AVOIDABLE_PREFIXES = ("I10", "I11", "I20", "I50", "J44", "J45", "E10", "E11", "E86", "D50", "N390")
PROFESSIONS = ("lakare", "sjukskoterska", "fysioterapeut", "arbetsterapeut", "annan")
PROFESSION_P = (0.5, 0.3, 0.08, 0.07, 0.05)


@dataclass
class Person:
    person_id: str
    sex: str  # K or M
    age_2022: int
    home: str  # kommun until the move
    moves_to: str | None = None
    move_date: date | None = None
    listed: bool = True
    named_gp_p: float = 0.6
    care_contact_p: float = 0.7
    doctor: int = 0

    def kommun(self, day: date) -> str:
        if self.moves_to is not None and self.move_date is not None and day >= self.move_date:
            return self.moves_to
        return self.home

    def age(self, day: date) -> int:
        # Everyone has their birthday on 1 January: a person's age band never changes within a
        # year, which keeps person counts additive over breakdowns (and the reference simple).
        return self.age_2022 + (day.year - 2022)


@dataclass
class Dataset:
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # extract -> all rows, typed
    files: dict[str, list[tuple[str, pd.DataFrame]]] = field(default_factory=dict)  # extract -> files


def month_starts() -> list[date]:
    return [date(y, m, 1) for y in YEARS for m in range(1, 13)]


def last_day(d: date) -> date:
    return date(d.year, d.month, calendar.monthrange(d.year, d.month)[1])


def _random_day(rng: np.random.Generator, year: int) -> date:
    start = date(year, 1, 1)
    return start + timedelta(days=int(rng.integers(0, 366 if calendar.isleap(year) else 365)))


def make_persons(rng: np.random.Generator) -> list[Person]:
    persons = []
    weights = np.array([0.12, 0.35, 0.2, 0.2, 0.13])
    for n in range(N_PERSONS):
        band = rng.choice(4, p=[0.3, 0.25, 0.3, 0.15])
        age = int(rng.integers(*[(0, 65), (65, 75), (75, 85), (85, 99)][band]))
        p = Person(
            person_id=f"blk-{n:04d}",
            sex=str(rng.choice(["K", "M"])),
            age_2022=age,
            home=str(rng.choice(KOMMUNER, p=weights)),
            listed=bool(rng.random() < 0.92),
            named_gp_p=float(rng.choice([0.1, 0.5, 0.9])),
            care_contact_p=float(rng.choice([0.2, 0.8, 1.0])),
            doctor=int(rng.integers(0, 3)),
        )
        if n % 16 == 5:  # 20 movers
            p.moves_to = str(rng.choice([k for k in KOMMUNER if k != p.home]))
            p.move_date = date(2022, 3, 1) + timedelta(days=int(rng.integers(0, 960)))
        persons.append(p)
    # In Olofström's last March snapshot (28th) and, after moving on the 29th, in Karlskrona's (31st).
    first_mover = persons[5]
    first_mover.home, first_mover.moves_to, first_mover.move_date = "1060", "1080", date(2023, 3, 29)
    first_mover.listed = True
    return persons


def make_population(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for k in KOMMUNER:
        for y in YEARS:
            for sex in ("K", "M"):
                for age in range(101):
                    rows.append((k, y, sex, age, int(rng.integers(0, 25))))
    return pd.DataFrame(rows, columns=["kommun", "year", "sex", "age", "count"])


def make_listing(rng: np.random.Generator, persons: list[Person]) -> pd.DataFrame:
    rows = []
    for month in month_starts():
        for k in KOMMUNER:
            for day in SNAPSHOT_DAYS[k]:
                snap = last_day(month) if day == 0 else month.replace(day=day)
                for p in persons:
                    if p.listed and p.kommun(snap) == k:
                        named = bool(rng.random() < p.named_gp_p)
                        rows.append((snap, p.person_id, k, p.sex, p.age(snap), f"VC {k}", named))
    return pd.DataFrame(
        rows, columns=["snapshot_date", "person_id", "kommun", "sex", "age", "care_unit", "named_gp"]
    )


def make_contacts(rng: np.random.Generator, persons: list[Person]) -> pd.DataFrame:
    rows = []
    n = 0
    for p in persons:
        for y in YEARS:
            for _ in range(int(rng.poisson(7 if p.age_2022 >= 65 else 4))):
                d = _random_day(rng, y)
                if (d.year, d.month) == EMPTY_MONTH:
                    continue
                k, age = p.kommun(d), p.age(d)
                profession = str(rng.choice(PROFESSIONS, p=PROFESSION_P))
                if profession == "lakare":
                    doctor = p.doctor if rng.random() < 0.7 else int(rng.integers(0, 3))
                    staff = "" if rng.random() < 0.1 else f"lak-{k}-{doctor}"
                else:
                    staff = "" if rng.random() < 0.3 else f"ssk-{k}-{int(rng.integers(0, 4))}"
                r = rng.random()
                if age >= 75 and r < 0.2:
                    mode = "hembesok"
                elif r < 0.3:
                    mode = "video"
                elif r < 0.36:
                    mode = "chatt"
                elif r < 0.6:
                    mode = "telefon"
                else:
                    mode = "mottagning"
                if k == "1060" and mode == "hembesok":
                    mode = "mottagning"  # Olofström: no home visits at all
                if k == "1083" and y == 2022 and mode in ("video", "chatt"):
                    mode = "telefon"  # Sölvesborg 2022: no digital contacts
                provider = str(rng.choice(["region", "private", "kommun"]))
                planned = bool(rng.random() < 0.4)
                n += 1
                rows.append(
                    (
                        f"k{n:06d}",
                        p.person_id,
                        k,
                        p.sex,
                        age,
                        d,
                        f"VC {k}",
                        provider,
                        profession,
                        staff,
                        mode,
                        planned,
                    )
                )
    columns = [
        "contact_id",
        "person_id",
        "kommun",
        "sex",
        "age",
        "contact_date",
        "care_unit",
        "provider",
        "profession",
        "staff_id",
        "mode",
        "planned",
    ]
    return pd.DataFrame(rows, columns=columns)


# Designed readmission cases: (discharge of the first stay, days to the next admission, acute?).
READMISSIONS = (
    (date(2023, 3, 10), 0, True),  # day 0: not a readmission
    (date(2023, 5, 2), 1, True),  # day 1: readmission
    (date(2023, 8, 1), 30, True),  # day 30: readmission
    (date(2023, 10, 1), 31, True),  # day 31: not a readmission
    (date(2023, 12, 20), 16, True),  # falls in 2024: still counts for December 2023
    (date(2024, 2, 10), 5, False),  # planned, not acute: not a readmission
)


def make_inpatient(rng: np.random.Generator, persons: list[Person]) -> pd.DataFrame:
    rows: list[tuple[object, ...]] = []

    def stay(p: Person, admission: date, los: int, acute: bool, diagnosis: str, ready: date | None) -> None:
        k = p.kommun(admission)
        if (
            k == "1083"
            and admission.year == 2023
            and diagnosis.replace(".", "").startswith(AVOIDABLE_PREFIXES)
        ):
            diagnosis = "S72.0"  # Sölvesborg 2023: no avoidable hospitalisation
        rows.append(
            (
                f"s{len(rows) + 1:05d}",
                p.person_id,
                k,
                p.sex,
                p.age(admission),
                admission,
                admission + timedelta(days=los),
                acute,
                diagnosis,
                ready,
            )
        )

    elderly = [p for p in persons if p.age_2022 >= 66 and p.moves_to is None]
    designed = elderly[: len(READMISSIONS)]
    for p, (discharge, gap, acute) in zip(designed, READMISSIONS, strict=True):
        stay(p, discharge - timedelta(days=4), 4, True, "I50.9", discharge - timedelta(days=2))
        stay(p, discharge + timedelta(days=gap), 3, acute, "J44.1", None)
    mover = next(p for p in persons if p.moves_to is not None and p.age_2022 >= 66)
    assert mover.move_date is not None
    first = mover.move_date - timedelta(days=6)  # discharged in the old kommun, readmitted in the new
    stay(mover, first, 2, True, "E11.9", None)
    stay(mover, mover.move_date + timedelta(days=5), 2, True, "I10", None)

    skip = {p.person_id for p in [*designed, mover]}
    for p in persons:
        if p.age_2022 < 50 or p.person_id in skip:
            continue
        for y in YEARS:
            for _ in range(int(rng.poisson(0.6))):
                admission = _random_day(rng, y)
                los = min(int(rng.integers(0, 11)), (date(2024, 12, 31) - admission).days)
                acute = bool(rng.random() < 0.7)
                pool = AVOIDABLE if rng.random() < 0.4 else OTHER_DIAGNOSES
                diagnosis = str(rng.choice(pool))
                ready = None
                if los >= 2 and rng.random() < 0.5:
                    ready = admission + timedelta(days=los - int(rng.integers(0, los)))
                stay(p, admission, los, acute, diagnosis, ready)
    columns = [
        "stay_id",
        "person_id",
        "kommun",
        "sex",
        "age",
        "admission_date",
        "discharge_date",
        "acute",
        "main_diagnosis",
        "ready_for_discharge_date",
    ]
    return pd.DataFrame(rows, columns=columns)


def make_emergency(rng: np.random.Generator, persons: list[Person]) -> pd.DataFrame:
    rows = []

    def visit(p: Person, arrival: datetime) -> None:
        k, age = p.kommun(arrival.date()), p.age(arrival.date())
        if k == "1082" and arrival.year == 2024:
            return  # Karlshamn 2024: no emergency visit at all
        departure = arrival + timedelta(minutes=int(rng.integers(30, 600)))
        rows.append(
            (
                f"v{len(rows) + 1:05d}",
                p.person_id,
                k,
                p.sex,
                age,
                arrival,
                departure,
                bool(rng.random() < 0.2),
            )
        )

    for p in persons:
        for y in YEARS:
            for _ in range(int(rng.poisson(0.9 if p.age_2022 >= 75 else 0.3))):
                day = _random_day(rng, y)
                visit(
                    p,
                    datetime(
                        day.year, day.month, day.day, int(rng.integers(0, 24)), int(rng.integers(0, 60))
                    ),
                )
    old = next(p for p in persons if p.age_2022 >= 80 and p.moves_to is None and p.home != "1082")
    visit(old, datetime(2023, 12, 31, 23, 50))  # arrives in 2023, leaves in 2024: counts in 2023
    return pd.DataFrame(
        rows, columns=["visit_id", "person_id", "kommun", "sex", "age", "arrival", "departure", "admitted"]
    )


def make_home_care(rng: np.random.Generator, persons: list[Person]) -> pd.DataFrame:
    months = month_starts()
    rows = []
    anchors = {
        k: next(p for p in persons if p.home == k and p.moves_to is None and p.age_2022 >= 70)
        for k in KOMMUNER
    }
    for p in persons:
        if p.age_2022 < 65:
            continue
        if p in anchors.values():
            first, last = 0, len(months) - 1  # someone in every month, so each file spans its years
        elif rng.random() < (0.6 if p.age_2022 >= 85 else 0.3) or p.moves_to is not None:
            first = int(rng.integers(0, len(months)))
            last = int(rng.integers(first, len(months)))
        else:
            continue
        for m in months[first : last + 1]:
            k = p.kommun(m)
            if (k, m.year) in NOT_DELIVERED["home_care"]:
                continue
            staff = None if rng.random() < 0.15 else int(rng.integers(2, 21))
            rows.append(
                (
                    m,
                    p.person_id,
                    k,
                    p.sex,
                    p.age(m),
                    round(float(rng.uniform(2, 120)), 1),
                    bool(rng.random() < p.care_contact_p),
                    staff,
                )
            )
    return pd.DataFrame(
        rows,
        columns=["month", "person_id", "kommun", "sex", "age", "hours", "named_care_contact", "staff_14d"],
    )


def make_sip(rng: np.random.Generator, persons: list[Person]) -> pd.DataFrame:
    rows = []

    def sip(p: Person, start: date) -> None:
        k = p.kommun(start)
        if (start.year, start.month) == EMPTY_MONTH or (k == "1083" and start.year == 2022):
            return  # no SIP in July 2023; none in Sölvesborg in 2022
        rows.append(
            (
                f"sip{len(rows) + 1:04d}",
                p.person_id,
                k,
                p.sex,
                p.age(start),
                start,
                str(rng.choice(["region", "kommun", "person", "annan"])),
                bool(rng.random() < 0.65),
            )
        )

    for p in persons:
        for y in YEARS:
            for _ in range(int(rng.poisson(0.35 if p.age_2022 >= 65 else 0.08))):
                sip(p, _random_day(rng, y))
    karlskrona = next(p for p in persons if p.home == "1080" and p.moves_to is None)
    sip(karlskrona, date(2022, 1, 3))  # the region's file spans January 2022 to December 2024
    sip(karlskrona, date(2024, 12, 30))
    return pd.DataFrame(
        rows,
        columns=[
            "sip_id",
            "person_id",
            "kommun",
            "sex",
            "age",
            "start_date",
            "initiated_by",
            "person_participated",
        ],
    )


def make_survey(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    dims = ("delaktighet_och_involvering", "kontinuitet_och_koordinering", "tillganglighet", "helhetsintryck")
    for y in YEARS:
        for k in KOMMUNER:
            if (k, y) in NOT_DELIVERED["survey"]:
                continue
            for d in dims:
                responses = int(rng.integers(15, 220))
                positive = 0 if (k, y, d) == ("1060", 2024, dims[0]) else int(rng.integers(0, responses + 1))
                rows.append((k, y, d, positive, responses))
    return pd.DataFrame(rows, columns=["kommun", "year", "dimension", "positive", "responses"])


def make_costs(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    areas = (
        "primarvard",
        "specialiserad_oppenvard",
        "slutenvard",
        "hemtjanst",
        "sarskilt_boende",
        "korttidsvard",
    )
    for k in KOMMUNER:
        for y in YEARS:
            if (k, y) in NOT_DELIVERED["costs"]:
                continue
            for principal in ("region", "kommun"):
                for a in areas:
                    rows.append((k, y, principal, a, round(float(rng.uniform(1e5, 9e6)), 2)))
    return pd.DataFrame(rows, columns=["kommun", "year", "principal", "area", "amount_sek"])


def make_staff_absence(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for k in KOMMUNER:
        for m in month_starts():
            if (k, m.year) in NOT_DELIVERED["staff_absence"]:
                continue
            for principal in ("region", "kommun"):
                scheduled = round(float(rng.uniform(800, 9000)), 2)
                absence = (
                    0.0
                    if (k, m, principal) == ("1080", date(2023, 2, 1), "kommun")
                    else round(float(rng.uniform(0, 0.12)) * scheduled, 2)
                )
                rows.append((k, m, principal, scheduled, absence))
    return pd.DataFrame(rows, columns=["kommun", "month", "principal", "scheduled_hours", "absence_hours"])


def build() -> Dataset:
    """The whole data set, deterministic for SEED."""
    rng = np.random.default_rng(SEED)
    persons = make_persons(rng)
    ds = Dataset()
    ds.tables = {
        "population": make_population(rng),
        "listing": make_listing(rng, persons),
        "contacts": make_contacts(rng, persons),
        "inpatient": make_inpatient(rng, persons),
        "emergency": make_emergency(rng, persons),
        "home_care": make_home_care(rng, persons),
        "sip": make_sip(rng, persons),
        "survey": make_survey(rng),
        "costs": make_costs(rng),
        "staff_absence": make_staff_absence(rng),
    }
    t = ds.tables
    # How the files are cut: the region delivers one file per source; each kommun delivers its
    # own home care; the survey comes one file per year; costs and absence as one file each.
    ds.files = {name: [(f"{name}.csv", df)] for name, df in t.items()}
    hc = t["home_care"]
    ds.files["home_care"] = [(f"home_care_{k}.csv", hc[hc["kommun"] == k]) for k in KOMMUNER]
    sv = t["survey"]
    ds.files["survey"] = [(f"survey_{y}.csv", sv[sv["year"] == y]) for y in YEARS]
    return ds


# --- writing ----------------------------------------------------------------------------------


def _text(value: object, *, bool_words: tuple[str, str] = ("1", "0"), decimal_comma: bool = False) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, bool | np.bool_):
        return bool_words[0] if value else bool_words[1]
    if isinstance(value, datetime | pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float | np.floating):
        text = repr(float(value))
        return text.replace(".", ",") if decimal_comma else text
    return str(value)


def write_csv(path: Path, df: pd.DataFrame, extract: str) -> None:
    """One contract CSV; a few files use accepted variants instead of the plain form."""
    sep = ";" if extract == "costs" else ","
    bool_words = ("ja", "nej") if extract == "sip" else ("1", "0")
    decimal_comma = extract == "costs"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, delimiter=sep)
        writer.writerow(df.columns)
        for row in df.itertuples(index=False):
            cells = [_text(v, bool_words=bool_words, decimal_comma=decimal_comma) for v in row]
            if extract == "emergency":  # sex as in the personnummer: 1 man, 2 kvinna
                i = list(df.columns).index("sex")
                cells[i] = {"M": "1", "K": "2"}[cells[i]]
            if extract == "sip":  # dates as YYYYMMDD
                i = list(df.columns).index("start_date")
                cells[i] = cells[i].replace("-", "")
            if extract == "inpatient" and int(cells[0][1:]) % 2:  # some codes in lower case: j44.1
                i = list(df.columns).index("main_diagnosis")
                cells[i] = cells[i].lower()
            writer.writerow(cells)


def write(ds: Dataset, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for extract, files in ds.files.items():
        for name, df in files:
            path = folder / name
            write_csv(path, df, extract)
            paths.append(path)
    return paths


def rows_per_file(ds: Dataset) -> Iterable[tuple[str, int]]:
    for files in ds.files.values():
        for name, df in files:
            yield name, len(df)
