"""The region's hospital extracts: inpatient stays and emergency-department visits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from metrics.demo.calendar import HOSPITAL_MONTHS, clamp_to_presence, kommun_trend, progress, sample_days
from metrics.demo.columns import date_column, labels, serial_ids, timestamps, to_days, ymd
from metrics.demo.population import piecewise, rng_for
from metrics.demo.register import Register, year_end, year_start

# Stays per person and year, by age, before frailty and kommun factors.
_STAY_KNOTS = ((0, 0.1), (1, 0.05), (5, 0.03), (15, 0.04), (20, 0.05), (40, 0.055), (55, 0.085), (65, 0.13),
               (75, 0.22), (85, 0.34), (95, 0.4))  # fmt: skip

# ICD-10-SE main diagnoses with relative weights. Avoidable ones (undvikbar slutenvård) first.
AVOIDABLE_PREFIXES = ("I10", "I11", "I20", "I50", "J44", "J45", "E10", "E11", "E86", "D50", "N390")
_AVOIDABLE = (("I50.0", 9), ("I50.9", 6), ("J44.1", 8), ("J44.0", 3), ("J44.9", 2), ("N39.0", 6), ("E86", 3),
              ("I10", 2), ("I11.0", 2), ("I20.0", 3), ("I20.9", 2), ("J45.9", 2), ("E11.9", 2), ("E11.6", 1),
              ("E10.1", 1), ("D50.0", 1), ("D50.9", 1))  # fmt: skip
_ACUTE_OLD = (("J18.9", 10), ("S72.0", 6), ("S72.1", 4), ("I63.9", 6), ("I21.4", 5), ("A41.9", 4),
              ("I48.9", 4), ("R07.4", 3), ("R55", 3), ("K56.6", 2), ("N17.9", 2), ("C34.9", 2), ("K80.2", 2),
              ("G45.9", 2), ("U07.1", 2), ("J96.0", 2), ("S06.0", 1))  # fmt: skip
_ACUTE_YOUNG = (("O80.0", 0), ("R10.4", 6), ("K35.8", 5), ("J18.9", 4), ("R07.4", 4), ("F32.2", 3),
                ("F10.2", 3), ("S82.6", 2), ("K80.2", 3), ("N10", 2), ("J45.9", 1), ("A08.4", 3),
                ("S06.0", 2), ("T39.1", 1))  # fmt: skip
_ELECTIVE = (("M17.1", 6), ("M16.1", 5), ("K40.9", 3), ("C50.9", 3), ("Z51.1", 3), ("N40", 2), ("I25.1", 3),
             ("K57.3", 2), ("C61", 2), ("M51.1", 2), ("I48.9", 2), ("C18.9", 2))  # fmt: skip
_DIAGNOSES = tuple(dict.fromkeys(c for c, _ in _AVOIDABLE + _ACUTE_OLD + _ACUTE_YOUNG + _ELECTIVE))
_DELIVERY = _DIAGNOSES.index("O80.0")


def _weights(table: tuple[tuple[str, int], ...]) -> np.ndarray:
    w = np.zeros(len(_DIAGNOSES))
    for code, weight in table:
        w[_DIAGNOSES.index(code)] = weight
    return w / w.sum()


def _draw(rng: np.random.Generator, probs: np.ndarray, n: int) -> np.ndarray:
    return rng.choice(len(probs), size=n, p=probs)


def is_avoidable(codes: np.ndarray) -> np.ndarray:
    """Codes (with or without the dot) on the avoidable-hospitalisation list."""
    plain = np.char.replace(np.asarray(codes, dtype=str), ".", "")
    return np.any([np.char.startswith(plain, p) for p in AVOIDABLE_PREFIXES], axis=0)


def _diagnoses(
    rng: np.random.Generator, reg: Register, person: np.ndarray, age: np.ndarray, acute: np.ndarray
) -> np.ndarray:
    n = len(person)
    kommun_avoidable = np.array([k.avoidable for k in reg.kommuner])[reg.kommun[person]]
    p_avoidable = kommun_avoidable * np.select([age < 18, age < 45, age < 65], [0.15, 0.3, 0.7], 1.0)
    avoidable = acute & (rng.random(n) < p_avoidable)
    old = age >= 60
    dx = np.empty(n, dtype=np.int64)
    for mask, table in (
        (avoidable, _AVOIDABLE),
        (acute & ~avoidable & old, _ACUTE_OLD),
        (acute & ~avoidable & ~old, _ACUTE_YOUNG),
        (~acute, _ELECTIVE),
    ):
        dx[mask] = _draw(rng, _weights(table), int(mask.sum()))
    # Deliveries: a large share of the stays of women aged 22-40.
    birth = acute & ~avoidable & ~reg.male[person] & (age >= 22) & (age <= 40) & (rng.random(n) < 0.55)
    dx[birth] = _DELIVERY
    return dx


def _remove_overlaps(person: np.ndarray, admit: np.ndarray, discharge: np.ndarray) -> np.ndarray:
    """Indices of stays, in (person, admission) order, that do not start before an earlier stay ended."""
    order = np.lexsort((discharge, admit, person))
    p, a, d = person[order], admit[order], discharge[order]
    big = 10**7
    running = np.maximum.accumulate(p.astype(np.int64) * big + d) - p.astype(np.int64) * big
    previous_end = np.concatenate([[-big], running[:-1]])
    same_person = np.concatenate([[False], p[1:] == p[:-1]])
    keep = ~same_person | (a > previous_end)
    return order[keep]


# Närvårdsplatser (Östergötland's plan) and beds for SÄBO, korttid and hemsjukvård (Jämtland's): from
# the day a kommun opens them, ramping up over a year, this share of the acute stays of its
# inhabitants aged 75+ no longer happens (half of it at 65-74, twice it for avoidable diagnoses).
NEAR_CARE_BEDS: dict[str, tuple[str, float]] = {
    "0583": ("2022-01-01", 0.16),  # Motala
    "0562": ("2023-01-01", 0.14),  # Finspång
    "2326": ("2021-07-01", 0.14),  # Berg
    "2361": ("2022-07-01", 0.10),  # Härjedalen
}


def _not_prevented(
    reg: Register, person: np.ndarray, admit: np.ndarray, acute: np.ndarray, dx: np.ndarray, seed: int
) -> np.ndarray:
    """Mask of the stays that still happen once the kommuner's närvårdsplatser are open."""
    rng = rng_for(seed, "inpatient", "near_care")
    never = int(to_days(["2100-01-01"])[0])
    opens = np.array(
        [
            int(to_days([NEAR_CARE_BEDS[k.code][0]])[0]) if k.code in NEAR_CARE_BEDS else never
            for k in reg.kommuner
        ]
    )
    effect = np.array([NEAR_CARE_BEDS.get(k.code, ("", 0.0))[1] for k in reg.kommuner])
    kommun = reg.kommun[person]
    age = reg.age_at(admit, person)
    ramp = np.clip((admit - opens[kommun]) / 365.0, 0.0, 1.0)
    by_age = np.select([age >= 75, age >= 65], [1.0, 0.5], 0.0)
    avoidable = dx < len(_AVOIDABLE)  # _DIAGNOSES lists the avoidable codes first
    p = np.where(acute, effect[kommun] * ramp * by_age * np.where(avoidable, 2.0, 1.0), 0.0)
    return rng.random(len(person)) >= p


@dataclass
class Stays:
    person: np.ndarray
    admit: np.ndarray
    discharge: np.ndarray
    acute: np.ndarray
    diagnosis: np.ndarray  # index into _DIAGNOSES
    ready: np.ndarray  # utskrivningsklar day, where has_ready
    has_ready: np.ndarray
    without_dot: np.ndarray  # the source system writes this stay's diagnosis as J441 rather than J44.1


def _year_prefixed_ids(prefix: str, days: np.ndarray) -> pa.Array:
    """Ids numbered within each year, with the year in them, e.g. 'SV23-0001234' (rows in date order)."""
    year = ymd(days)[0]
    first = int(year.min()) if len(year) else 2000
    prefixes = pa.array([f"{prefix}{y % 100:02d}-" for y in range(first, int(year.max(initial=first)) + 1)])
    serial = np.arange(1, len(days) + 1) - np.searchsorted(year, year, side="left")
    return pc.binary_join_element_wise(prefixes.take(pa.array(year - first)), serial_ids("", serial, 7), "")


def simulate_stays(reg: Register, years: Sequence[int], seed: int) -> Stays:
    """Inpatient stays discharged in the years, with 30-day readmissions and utskrivningsklar dates."""
    rng = rng_for(seed, "inpatient")
    kommuner = reg.kommuner
    first_day, last_day = year_start(min(years)), year_end(max(years))
    persons, admits, acutes = [], [], []
    for year in years:
        start, end = year_start(year), year_end(year)
        age = reg.age_at(np.full(len(reg), (start + end) // 2))
        rate = piecewise(_STAY_KNOTS, age)
        rate = np.where(~reg.male & (age >= 22) & (age <= 40), rate + 0.06, rate)
        rate *= np.array([k.inpatient for k in kommuner])[reg.kommun] * reg.need(year) ** 1.2
        n = rng.poisson(rate * reg.exposure(start, end))
        person = np.repeat(np.arange(len(reg)), n)
        a = reg.age_at(np.full(len(person), (start + end) // 2), person)
        acute = rng.random(len(person)) < np.select([a < 18, a < 65], [0.75, 0.64], 0.8)
        day = np.where(
            acute,
            sample_days(rng, year, len(person), weekend=0.85, months=HOSPITAL_MONTHS),
            sample_days(rng, year, len(person), weekend=0.03, months=HOSPITAL_MONTHS**3),
        )
        day = clamp_to_presence(
            rng, day, np.maximum(reg.arrived[person], start), np.minimum(reg.left[person], end)
        )
        persons.append(person)
        admits.append(day)
        acutes.append(acute)
    person = np.concatenate(persons)
    admit = np.concatenate(admits)
    acute = np.concatenate(acutes)
    age = reg.age_at(admit, person)
    dx = _diagnoses(rng, reg, person, age, acute)
    los = _length_of_stay(rng, age, acute, dx)

    # Readmissions: some stays of the elderly are followed by an acute return within 30 days.
    readmit_p = np.array([k.readmission for k in kommuner])
    index_p, index_a, index_d, index_dx = person, admit, admit + los, dx
    for _ in range(2):
        old = reg.age_at(index_a, index_p) >= 65
        back = old & (rng.random(len(index_p)) < readmit_p[reg.kommun[index_p]])
        gap = np.minimum(rng.geometric(1 / 9.0, back.sum()), 30)
        r_person = index_p[back]
        r_admit = index_d[back] + gap
        r_age = reg.age_at(r_admit, r_person)
        r_acute = np.ones(len(r_person), dtype=bool)
        r_dx = np.where(
            rng.random(len(r_person)) < 0.45, index_dx[back], _diagnoses(rng, reg, r_person, r_age, r_acute)
        )
        r_los = _length_of_stay(rng, r_age, r_acute, r_dx)
        person = np.concatenate([person, r_person])
        admit = np.concatenate([admit, r_admit])
        acute = np.concatenate([acute, r_acute])
        dx = np.concatenate([dx, r_dx])
        los = np.concatenate([los, r_los])
        index_p, index_a, index_d, index_dx = r_person, r_admit, r_admit + r_los, r_dx

    discharge = admit + los
    keep = (admit >= first_day) & (discharge <= last_day) & (admit <= reg.left[person])
    keep_idx = np.flatnonzero(keep)
    keep_idx = keep_idx[_remove_overlaps(person[keep_idx], admit[keep_idx], discharge[keep_idx])]
    person, admit, discharge, acute, dx = (
        person[keep_idx],
        admit[keep_idx],
        discharge[keep_idx],
        acute[keep_idx],
        dx[keep_idx],
    )
    still = _not_prevented(reg, person, admit, acute, dx, seed)
    person, admit, discharge, acute, dx = (
        person[still],
        admit[still],
        discharge[still],
        acute[still],
        dx[still],
    )
    age = reg.age_at(admit, person)

    # Utskrivningsklar: reported for a share of the stays of persons aged 65+, 0-10 days before discharge.
    kommun = reg.kommun[person]
    share = np.array([k.ready_share for k in kommuner])[kommun]
    mean_days = np.array([k.ready_days for k in kommuner])[kommun]
    has_ready = (age >= 65) & (discharge > admit) & (rng.random(len(person)) < share)
    waited = np.minimum(rng.geometric(1 / (mean_days + 1)) - 1, 10)
    waited = np.minimum(waited, discharge - admit)
    ready = discharge - waited

    order = np.lexsort((person, admit))
    return Stays(
        person=person[order],
        admit=admit[order],
        discharge=discharge[order],
        acute=acute[order],
        diagnosis=dx[order],
        ready=ready[order],
        has_ready=has_ready[order],
        # One of the hospitals' systems drops the dot; ICD-10 codes arrive both ways.
        without_dot=rng.random(len(order)) < 0.35,
    )


def inpatient_table(reg: Register, stays: Stays) -> pa.Table:
    person = stays.person
    return pa.table(
        {
            "stay_id": _year_prefixed_ids("SV", stays.admit),
            "person_id": reg.person_id.take(pa.array(person)),
            "kommun": labels([k.code for k in reg.kommuner], reg.kommun[person]),
            "sex": labels(("K", "M"), reg.male[person].astype(np.int8)),
            "age": pa.array(reg.age_at(stays.admit, person).astype(np.int32)),
            "admission_date": date_column(stays.admit),
            "discharge_date": date_column(stays.discharge),
            "acute": pa.array(stays.acute),
            "main_diagnosis": labels(
                [c for code in _DIAGNOSES for c in (code, code.replace(".", ""))],
                stays.diagnosis * 2 + stays.without_dot,
            ),
            "ready_for_discharge_date": date_column(stays.ready, mask=~stays.has_ready),
        }
    )


def _length_of_stay(
    rng: np.random.Generator, age: np.ndarray, acute: np.ndarray, dx: np.ndarray
) -> np.ndarray:
    mean = np.where(acute, np.select([age < 18, age < 65, age < 80], [1.8, 3.0, 4.5], 5.5), 2.5)
    mean = np.where(dx == _DELIVERY, 2.0, mean)
    return (rng.geometric(1 / (mean + 1)) - 1).astype(np.int64)


# Emergency visits not leading to admission, per person and year, by age.
_ED_KNOTS = ((0, 0.24), (5, 0.12), (15, 0.14), (20, 0.19), (40, 0.13), (60, 0.12), (70, 0.13), (80, 0.17),
             (90, 0.22), (100, 0.22))  # fmt: skip
# Arrivals by hour of the day.
_HOURS = np.array([2, 1.5, 1.2, 1, 1, 1.2, 2, 3.5, 5.5, 7, 7.5, 7.5, 7, 6.8, 6.6, 6.4, 6.2, 6, 5.6, 5, 4.4,
                   3.8, 3.2, 2.6])  # fmt: skip


# Emergency visits that end at home, relative, on 1 January 2020 and 31 December 2024 (omställning
# akuta flöden): Linköping and Motala guide more patients to primary care and kommunal hemsjukvård
# (a way in 24/7 for the kommunsjuksköterska), Östersund and Krokom too; Norrköping and Finspång,
# with poor continuity in primary care, send more to the emergency department.
_ED_TREND = {
    "0580": (1.0, 0.86),
    "0583": (1.04, 0.86),
    "0581": (1.0, 1.08),
    "0562": (1.03, 1.1),
    "2380": (1.0, 0.9),
    "2309": (1.0, 0.92),
}
# Median time at the emergency department, relative, 2020 -> 2024, by the hospital whose emergency
# department the kommun uses: Linköping's new flows shorten it, Norrköping's crowding lengthens it.
_ED_HOSPITALS = (
    (("0580", "0512", "0513", "0560", "0561"), (1.12, 0.94)),  # Universitetssjukhuset i Linköping
    (("0581", "0562", "0582", "0563"), (1.0, 1.18)),  # Vrinnevisjukhuset i Norrköping
    (("0583", "0584", "0586", "0509"), (0.9, 0.9)),  # Lasarettet i Motala
    (("2303", "2305", "2309", "2313", "2321", "2326", "2361", "2380"), (1.06, 1.0)),  # Östersunds sjukhus
)


def _ed_stay_factor(code: str) -> tuple[float, float]:
    return next((trend for codes, trend in _ED_HOSPITALS if code in codes), (1.0, 1.0))


def simulate_emergency(reg: Register, stays: Stays, years: Sequence[int], seed: int) -> pa.Table:
    """ED visits: one before most acute admissions, plus visits that end at home."""
    rng = rng_for(seed, "emergency")
    kommuner = reg.kommuner
    ed_factor = np.array([k.emergency for k in kommuner])

    # Most acute admissions come through the emergency department (fewer where it is far away).
    p_via_ed = np.minimum(0.92, 0.8 * ed_factor[reg.kommun[stays.person]] + 0.08)
    via_ed = stays.acute & (rng.random(len(stays.person)) < p_via_ed)
    a_person = stays.person[via_ed]
    a_day = stays.admit[via_ed]

    parts_p, parts_d = [a_person], [a_day]
    for year in years:
        start, end = year_start(year), year_end(year)
        age = reg.age_at(np.full(len(reg), (start + end) // 2))
        t = float(progress(np.array([(start + end) // 2]))[0])
        trend = np.array([np.interp(t, (0.0, 1.0), _ED_TREND.get(k.code, (1.0, 1.0))) for k in kommuner])
        rate = piecewise(_ED_KNOTS, age) * ed_factor[reg.kommun] * trend[reg.kommun] * reg.need(year) ** 0.6
        n = rng.poisson(rate * reg.exposure(start, end))
        person = np.repeat(np.arange(len(reg)), n)
        day = sample_days(rng, year, len(person), weekend=1.05, months=HOSPITAL_MONTHS)
        day = clamp_to_presence(
            rng, day, np.maximum(reg.arrived[person], start), np.minimum(reg.left[person], end)
        )
        parts_p.append(person)
        parts_d.append(day)
    person = np.concatenate(parts_p)
    day = np.concatenate(parts_d)
    admitted = np.arange(len(person)) < len(a_person)

    hour = rng.choice(24, size=len(person), p=_HOURS / _HOURS.sum())
    arrival = day * 1440 + hour * 60 + rng.integers(0, 60, len(person))
    age = reg.age_at(day, person)
    median = np.where(admitted, 300.0, 200.0) * np.where(age >= 75, 1.2, 1.0)
    median *= kommun_trend([_ed_stay_factor(k.code) for k in kommuner], reg.kommun[person], day)
    stay_minutes = np.clip(rng.lognormal(np.log(median), 0.5), 20, 24 * 60).astype(np.int64)
    departure = arrival + stay_minutes

    order = np.lexsort((person, arrival))
    visit_id = _year_prefixed_ids("AK", day[order])
    return pa.table(
        {
            "visit_id": visit_id,
            "person_id": reg.person_id.take(pa.array(person[order])),
            "kommun": labels([k.code for k in kommuner], reg.kommun[person[order]]),
            "sex": labels(("K", "M"), reg.male[person[order]].astype(np.int8)),
            "age": pa.array(age[order].astype(np.int32)),
            "arrival": timestamps(arrival[order]),
            "departure": timestamps(departure[order]),
            "admitted": pa.array(admitted[order]),
        }
    )
