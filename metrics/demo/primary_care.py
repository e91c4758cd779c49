"""Primary care: vårdcentraler and their doctors, listing, and contacts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from metrics.demo.calendar import (
    PRIMARY_CARE_MONTHS,
    STORY_END,
    clamp_to_presence,
    days_in_month,
    kommun_trend,
)
from metrics.demo.calendar import progress as story_progress
from metrics.demo.calendar import sample_days as sample_event_days
from metrics.demo.columns import (
    date_column,
    hex_ids,
    labels,
    sample_categories,
    serial_ids,
    unique_codes,
)
from metrics.demo.kommuner import DIGITAL_UNIT, DemoKommun, Trend
from metrics.demo.municipal import HomeCare
from metrics.demo.population import piecewise, rng_for
from metrics.demo.register import ALWAYS, Register, year_end, year_start
from metrics.extracts.schema import MODES, PROFESSIONS, PROVIDERS

LISTED_SHARE = 0.965
PATIENTS_PER_DOCTOR = 1700
LOCUM_SLOTS = 6  # hyrläkare change every half year; the story has six half years


@dataclass
class CareUnits:
    """Every unit that appears in the extracts: vårdcentraler, the digital one, kommunal hemsjukvård.

    Index order: the listing units of all kommuner, then the digital unit, then one
    hemsjukvård unit per kommun.
    """

    names: list[str]
    provider: np.ndarray  # index into PROVIDERS
    n_doctors: np.ndarray
    doctor_start: np.ndarray  # first index into staff_ids of the unit's own doctors
    n_locums: np.ndarray
    locum_start: np.ndarray  # LOCUM_SLOTS blocks of n_locums ids
    n_staff: np.ndarray  # nurses, physiotherapists and others
    staff_start: np.ndarray
    staff_ids: pa.StringArray
    digital: int
    home_health_start: int
    local_probs: np.ndarray  # (kommuner, max units): how inhabitants choose among the kommun's units
    unit_offset: np.ndarray  # first unit of each kommun

    def local_unit(self, rng: np.random.Generator, kommun: np.ndarray) -> np.ndarray:
        """A unit of each person's own kommun, chosen by the units' sizes."""
        return self.unit_offset[kommun] + sample_categories(rng, self.local_probs, kommun)


def build_care_units(kommuner: tuple[DemoKommun, ...], seed: int) -> CareUnits:
    rng = rng_for(seed, "care_units")
    names: list[str] = []
    provider: list[int] = []
    n_doctors: list[int] = []
    n_locums: list[int] = []
    offsets: list[int] = []
    width = max(len(k.units) for k in kommuner)
    local_probs = np.zeros((len(kommuner), width))
    for i, k in enumerate(kommuner):
        offsets.append(len(names))
        weights = np.array([u.weight for u in k.units])
        local_probs[i, : len(weights)] = weights / weights.sum()
        for unit, share in zip(k.units, weights / weights.sum(), strict=True):
            names.append(unit.name)
            provider.append(PROVIDERS.index(unit.provider))
            # Sized by the real population whatever the scale, so that continuity looks the same.
            n_doctors.append(max(1, round(k.population_2024 * share * LISTED_SHARE / PATIENTS_PER_DOCTOR)))
            n_locums.append(k.locums)
    digital = len(names)
    names.append(DIGITAL_UNIT.name)
    provider.append(PROVIDERS.index(DIGITAL_UNIT.provider))
    n_doctors.append(120)
    n_locums.append(0)
    home_health_start = len(names)
    for k in kommuner:
        names.append(f"Hemsjukvården {k.name}")
        provider.append(PROVIDERS.index("kommun"))
        n_doctors.append(0)
        n_locums.append(0)

    doctors = np.array(n_doctors)
    locums = np.array(n_locums)
    staff = np.maximum(3, np.rint(doctors * 2.5)).astype(np.int64)
    for i, k in enumerate(kommuner):
        staff[home_health_start + i] = max(4, round(k.population_2024 / 700))
    sizes = np.stack([doctors, locums * LOCUM_SLOTS, staff], axis=1).ravel()
    starts = (np.cumsum(sizes) - sizes).reshape(-1, 3)
    ids = unique_codes(rng, int(sizes.sum()), bits=24)
    # Doctors' ids (own and locums) start with L, everyone else's with S.
    is_doctor = np.zeros(len(ids), dtype=bool)
    for first, count in zip(starts[:, 0], doctors + locums * LOCUM_SLOTS, strict=True):
        is_doctor[first : first + count] = True
    staff_ids = pc.if_else(pa.array(is_doctor), hex_ids("L", ids, 6), hex_ids("S", ids, 6))

    return CareUnits(
        names=names,
        provider=np.array(provider),
        n_doctors=doctors,
        doctor_start=starts[:, 0],
        n_locums=locums,
        locum_start=starts[:, 1],
        n_staff=staff,
        staff_start=starts[:, 2],
        staff_ids=staff_ids,
        digital=digital,
        home_health_start=home_health_start,
        local_probs=local_probs,
        unit_offset=np.array(offsets),
    )


@dataclass
class Listing:
    """Where each person is listed, since when, and their doctor."""

    unit: np.ndarray  # -1: not listed
    since: np.ndarray  # first day listed
    gp: np.ndarray  # index into CareUnits.staff_ids of the person's (named or usual) doctor
    u_named: np.ndarray  # the person has a named GP on a day when u_named < that day's probability


_NAMED_AGE_KNOTS = ((0, 0.6), (17, 0.6), (25, 0.8), (45, 1.0), (65, 1.2), (75, 1.45), (100, 1.5))


def assign_listing(reg: Register, units: CareUnits, seed: int) -> Listing:
    rng = rng_for(seed, "listing")
    n = len(reg)
    listed = rng.random(n) < LISTED_SHARE
    age = reg.age_at(np.full(n, STORY_END))
    r = rng.random(n)
    digital_p = np.where((age >= 20) & (age < 45), 0.04, 0.01)
    to_digital = listed & (r < digital_p)
    elsewhere = listed & ~to_digital & (r < digital_p + 0.03)

    unit = np.full(n, -1, dtype=np.int64)
    own = listed & ~to_digital
    unit[own] = units.local_unit(rng, reg.kommun[own])
    unit[to_digital] = units.digital
    # Some are listed in a neighbouring kommun of the same län, most often the large town.
    if elsewhere.any():
        lan = np.array([k.lan for k in reg.kommuner])
        sizes = np.array([k.population_2024 for k in reg.kommuner], dtype=float)
        same_lan = (lan[:, None] == lan[None, :]) * sizes[None, :]
        other = sample_categories(rng, same_lan / same_lan.sum(axis=1, keepdims=True), reg.kommun[elsewhere])
        unit[elsewhere] = units.local_unit(rng, other)

    lag = rng.integers(7, 120, n)
    since = np.where(reg.arrived == ALWAYS, ALWAYS, reg.arrived + lag)
    safe_unit = np.maximum(unit, 0)
    gp = units.doctor_start[safe_unit] + (rng.random(n) * units.n_doctors[safe_unit]).astype(np.int64)
    return Listing(unit=unit, since=since, gp=gp, u_named=rng.random(n))


def named_probability(
    reg: Register, listing: Listing, units: CareUnits, who: np.ndarray, days: np.ndarray, ages: np.ndarray
) -> np.ndarray:
    p = kommun_trend([k.named_gp for k in reg.kommuner], reg.kommun[who], days) / 0.95
    p = p * piecewise(_NAMED_AGE_KNOTS, ages)
    p = np.where(listing.unit[who] == units.digital, p * 0.2, p)
    return np.minimum(p, 0.97)


def listing_table(reg: Register, units: CareUnits, listing: Listing, day: int) -> pa.Table:
    """The listing snapshot of one day."""
    who = np.flatnonzero((listing.unit >= 0) & reg.present_on(day) & (listing.since <= day))
    who = who[np.lexsort((reg.code[who], listing.unit[who]))]  # by care unit, then person_id
    days = np.full(len(who), day)
    age = reg.age_at(days, who)
    named = listing.u_named[who] < named_probability(reg, listing, units, who, days, age)
    return pa.table(
        {
            "snapshot_date": date_column(days),
            "person_id": reg.person_id.take(pa.array(who)),
            "kommun": labels([k.code for k in reg.kommuner], reg.kommun[who]),
            "sex": labels(("K", "M"), reg.male[who].astype(np.int8)),
            "age": pa.array(age.astype(np.int32)),
            "care_unit": labels(units.names, listing.unit[who]),
            "named_gp": pa.array(named),
        }
    )


# Region and private contacts per person and year, by age (before the frailty and kommun factors).
_RATE_KNOTS = ((0, 5.0), (1, 3.2), (4, 2.0), (7, 1.4), (13, 1.3), (18, 1.8), (25, 2.0), (35, 2.1), (45, 2.4),
               (55, 2.8), (65, 3.6), (75, 5.0), (85, 6.3), (95, 6.5))  # fmt: skip
_RATE_LEVEL = 1.04  # calibrated: about 3.4 contacts per inhabitant and year in Östergötland
_YEAR_LEVEL = {2020: 0.9, 2021: 0.95, 2022: 0.97, 2023: 1.0, 2024: 1.02}  # 2020: the pandemic
_DIGITAL_AGE_KNOTS = ((0, 0.7), (15, 1.1), (20, 1.6), (40, 1.4), (55, 1.0), (65, 0.6), (75, 0.3), (85, 0.15))
_HOME_VISIT_AGE_KNOTS = ((0, 0.002), (64, 0.003), (65, 0.01), (75, 0.04), (85, 0.07), (100, 0.08))

# Profession by mode (rows: MODES; columns: PROFESSIONS) at vårdcentraler.
_PROFESSION_BY_MODE = np.array(
    [
        [0.40, 0.28, 0.05, 0.12, 0.02, 0.04, 0.03, 0.02, 0.04],  # mottagning
        [0.35, 0.45, 0.05, 0.06, 0.06, 0.00, 0.00, 0.00, 0.03],  # hembesok
        [0.30, 0.60, 0.02, 0.02, 0.01, 0.01, 0.01, 0.00, 0.03],  # telefon
        [0.45, 0.15, 0.00, 0.07, 0.01, 0.17, 0.12, 0.02, 0.01],  # video
        [0.35, 0.58, 0.00, 0.02, 0.00, 0.03, 0.01, 0.00, 0.01],  # chatt
    ]
)
# Kommunal hemsjukvård: nurses, assistant nurses and rehabilitation staff at home.
_HOME_HEALTH_MODES = np.array([[0.03, 0.86, 0.11, 0.0, 0.0]])
_HOME_HEALTH_PROFESSIONS = np.array([[0.0, 0.55, 0.18, 0.11, 0.13, 0.0, 0.0, 0.0, 0.03]])
# Log-odds of a planned contact, relative to the kommun's base.
_PLANNED_BY_MODE = np.array([0.0, 1.3, -0.35, 0.1, -1.2])
_PLANNED_BY_PROFESSION = np.array([-0.15, 0.25, 0.3, 0.5, 0.8, 1.2, 1.0, 1.4, 0.0])

LAKARE = PROFESSIONS.index("lakare")
SJUKSKOTERSKA = PROFESSIONS.index("sjukskoterska")

# Issue 9 stories, by kommun code (Trend: value on 1 January 2020 and on 31 December 2024). Kept here
# rather than in DemoKommun so that they draw on random streams of their own and leave the others.
# Chance that a nurse contact at the person's own vårdcentral is with "their" nurse.
_OWN_NURSE: dict[str, Trend] = {
    "0580": (0.30, 0.50), "0583": (0.28, 0.55), "0581": (0.25, 0.24), "0562": (0.20, 0.17),
    "0512": (0.45, 0.50), "2380": (0.30, 0.52), "2326": (0.40, 0.55), "2313": (0.18, 0.16),
    "2303": (0.18, 0.18), "2361": (0.20, 0.22),
}  # fmt: skip
_OWN_NURSE_DEFAULT = (0.35, 0.40)
# Kommunal hemsjukvård: chance that a visit is with the person's usual nurse or therapist.
_OWN_HOME_NURSE: dict[str, Trend] = {
    "0583": (0.35, 0.70), "2326": (0.45, 0.70), "0581": (0.30, 0.28), "2380": (0.35, 0.60),
    "0580": (0.35, 0.55),
}  # fmt: skip
_OWN_HOME_NURSE_DEFAULT = (0.40, 0.45)
# Extra doctors' home visits to persons 75+ (share of their doctors' contacts at a mottagning made
# into a home visit): mobile teams and äldrevårdsmottagningar that grow in some kommuner.
_DOCTOR_HOME_VISITS: dict[str, Trend] = {
    "0583": (0.01, 0.06), "0512": (0.02, 0.05), "0580": (0.01, 0.035), "0581": (0.005, 0.005),
    "2326": (0.02, 0.07), "2380": (0.01, 0.045), "2303": (0.015, 0.04), "2313": (0.005, 0.01),
}  # fmt: skip
_DOCTOR_HOME_VISITS_DEFAULT = (0.01, 0.015)
# Kommunal hälso- och sjukvård grows where kommuner build up hemsjukvård: the share of the
# simulated visits that take place (the rest are dropped).
_HOME_HEALTH_GROWTH: dict[str, Trend] = {
    "0583": (0.65, 1.0), "2326": (0.70, 1.0), "2380": (0.75, 1.0), "0580": (0.80, 0.95),
    "0581": (0.85, 0.85), "2313": (0.90, 0.85),
}  # fmt: skip
_HOME_HEALTH_GROWTH_DEFAULT = (0.80, 0.88)


def _profile(table: dict[str, Trend], default: Trend, kommuner: tuple[DemoKommun, ...]) -> list[Trend]:
    return [table.get(k.code, default) for k in kommuner]


def _region_contacts(rng: np.random.Generator, reg: Register, year: int) -> tuple[np.ndarray, np.ndarray]:
    start, end = year_start(year), year_end(year)
    age = reg.age_at(np.full(len(reg), (start + end) // 2))
    rate = piecewise(_RATE_KNOTS, age)
    rate *= np.where(~reg.male & (age >= 15) & (age < 65), 1.3, 1.05)
    rate *= np.array([k.contacts for k in reg.kommuner])[reg.kommun]
    rate *= _RATE_LEVEL * _YEAR_LEVEL.get(year, 1.02) * reg.need(year)
    n = rng.poisson(rate * reg.exposure(start, end))
    person = np.repeat(np.arange(len(reg)), n)
    day = sample_event_days(rng, year, len(person), weekend=0.1, months=PRIMARY_CARE_MONTHS)
    day = clamp_to_presence(
        rng, day, np.maximum(reg.arrived[person], start), np.minimum(reg.left[person], end)
    )
    return person, day


def _home_health_contacts(
    rng: np.random.Generator, reg: Register, home_care: HomeCare, year: int
) -> tuple[np.ndarray, np.ndarray]:
    start, end = year_start(year), year_end(year)
    factor = np.array([k.home_health for k in reg.kommuner])
    # Recipients of hemtjänst: about two visits a month, more for those with many hours.
    rows = np.flatnonzero((home_care.month >= start) & (home_care.month <= end))
    who = home_care.person[rows]
    lam = 2.0 * factor[reg.kommun[who]] * (home_care.hours_tenths[rows] / 250.0) ** 0.3
    n = rng.poisson(lam)
    person = np.repeat(who, n)
    month = np.repeat(home_care.month[rows], n)
    day_a = month + (rng.random(len(person)) * days_in_month(month)).astype(np.int64)
    # Others aged 65+, mostly 80+: an occasional visit.
    age = reg.age_at(np.full(len(reg), (start + end) // 2))
    lam_other = np.where(age >= 80, 0.5, np.where(age >= 65, 0.05, 0.0)) * factor[reg.kommun]
    n_other = rng.poisson(lam_other * reg.exposure(start, end))
    other = np.repeat(np.arange(len(reg)), n_other)
    day_b = sample_event_days(rng, year, len(other), weekend=0.8, months=np.ones(12))
    person = np.concatenate([person, other])
    day = np.concatenate([day_a, day_b])
    day = clamp_to_presence(
        rng, day, np.maximum(reg.arrived[person], start), np.minimum(reg.left[person], end)
    )
    return person, day


def contacts_table(
    reg: Register, units: CareUnits, listing: Listing, home_care: HomeCare, year: int, seed: int
) -> pa.Table:
    """All primary-care contacts of one year, in date order."""
    rng = rng_for(seed, "contacts", year)
    kommuner = reg.kommuner
    p_region, d_region = _region_contacts(rng, reg, year)
    p_home, d_home = _home_health_contacts(rng, reg, home_care, year)
    person = np.concatenate([p_region, p_home])
    day = np.concatenate([d_region, d_home])
    home_health = np.arange(len(person)) >= len(p_region)
    n = len(person)

    age = reg.age_at(day, person)
    kommun = reg.kommun[person]
    t = story_progress(day)

    # Mode: digital contacts grow from about 5 % to 15 %; home visits are for the old.
    digital = (0.04 + 0.125 * t) * np.array([k.digital for k in kommuner])[kommun]
    digital = np.minimum(0.5, digital * piecewise(_DIGITAL_AGE_KNOTS, age))
    home_visit = piecewise(_HOME_VISIT_AGE_KNOTS, age)
    home_visit *= np.array([k.home_health for k in kommuner])[kommun]
    phone = np.where(age >= 65, 0.3, 0.23)
    u = rng.random(n)
    mode = np.select(
        [u < digital * 0.6, u < digital, u < digital + home_visit, u < digital + home_visit + phone],
        [MODES.index("chatt"), MODES.index("video"), MODES.index("hembesok"), MODES.index("telefon")],
        MODES.index("mottagning"),
    ).astype(np.int8)
    mode[home_health] = sample_categories(rng, _HOME_HEALTH_MODES, np.zeros(home_health.sum(), dtype=np.int8))
    is_digital = (mode == MODES.index("video")) | (mode == MODES.index("chatt"))

    # Care unit: the person's own vårdcentral mostly; digital contacts often at the digital unit.
    listed_now = (listing.unit[person] >= 0) & (listing.since[person] <= day)
    own_unit = np.where(listed_now, listing.unit[person], -1)
    unit = units.local_unit(rng, kommun)
    go_own = (own_unit >= 0) & (own_unit != units.digital) & (rng.random(n) < 0.88)
    unit = np.where(go_own, own_unit, unit)
    named = listing.u_named[person] < named_probability(reg, listing, units, person, day, age)
    # Digital contacts often go to the digital unit, less often for those with a named GP at their own unit.
    p_digital_unit = (0.3 + 0.3 * t) * np.where(named, 0.4, 1.0)
    go_digital = is_digital & ((own_unit == units.digital) | (rng.random(n) < p_digital_unit))
    unit = np.where(go_digital, units.digital, unit)
    unit = np.where(home_health, units.home_health_start + kommun, unit)

    profession = sample_categories(rng, _PROFESSION_BY_MODE, mode)
    profession[home_health] = sample_categories(
        rng, _HOME_HEALTH_PROFESSIONS, np.zeros(home_health.sum(), dtype=np.int8)
    )

    # Staff: a doctor's patient meets their own doctor often if they have a named GP, and in
    # kommuner with few hyrläkare; otherwise any of the unit's doctors or this half year's locums.
    staff = units.staff_start[unit] + (rng.random(n) * units.n_staff[unit]).astype(np.int64)
    doctor = profession == LAKARE
    continuity = np.array([k.continuity for k in kommuner])[kommun]
    p_own = np.minimum(0.95, np.where(named, 0.75, 0.2) * continuity)
    sees_own = doctor & (unit == own_unit) & (rng.random(n) < p_own)
    pool = units.n_doctors[unit] + units.n_locums[unit]
    pick = (rng.random(n) * pool).astype(np.int64)
    half_year = np.clip(2 * (year - 2022) + (day > year_start(year) + 181), 0, LOCUM_SLOTS - 1)
    locum = units.locum_start[unit] + half_year * units.n_locums[unit] + (pick - units.n_doctors[unit])
    any_doctor = np.where(pick < units.n_doctors[unit], units.doctor_start[unit] + pick, locum)
    staff = np.where(doctor, np.where(sees_own, listing.gp[person], any_doctor), staff)
    no_staff = np.where(doctor, rng.random(n) < 0.03, rng.random(n) < 0.25)

    # Planned (proactive) contacts: the kommun's level, by mode and profession, more for the old.
    base = kommun_trend([k.planned for k in kommuner], kommun, day)
    logit = np.log(base / (1 - base)) + _PLANNED_BY_MODE[mode] + _PLANNED_BY_PROFESSION[profession]
    logit += np.select([age < 18, age >= 65], [-0.3, 0.35], 0.0) + np.where(home_health, 0.6, 0.0)
    planned = rng.random(n) < 1 / (1 + np.exp(-logit))

    # Issue 9 stories, on a stream of their own: nurses' continuity, doctors' home visits to the
    # old, and the growth of kommunal hälso- och sjukvård.
    story = rng_for(seed, "contacts_issue9", year)
    own_nurse = units.staff_start[np.maximum(own_unit, 0)] + (
        reg.code[person] % units.n_staff[np.maximum(own_unit, 0)].astype(np.uint64)
    ).astype(np.int64)
    p_nurse = kommun_trend(_profile(_OWN_NURSE, _OWN_NURSE_DEFAULT, kommuner), kommun, day)
    nurse_here = (profession == SJUKSKOTERSKA) & ~home_health & (unit == own_unit) & (own_unit >= 0)
    staff = np.where(nurse_here & (story.random(n) < p_nurse), own_nurse, staff)
    hh_unit = units.home_health_start + kommun
    own_home = units.staff_start[hh_unit] + (
        (reg.code[person] >> np.uint64(7)) % units.n_staff[hh_unit].astype(np.uint64)
    ).astype(np.int64)
    p_home = kommun_trend(_profile(_OWN_HOME_NURSE, _OWN_HOME_NURSE_DEFAULT, kommuner), kommun, day)
    staff = np.where(home_health & (story.random(n) < p_home), own_home, staff)
    p_visit = kommun_trend(_profile(_DOCTOR_HOME_VISITS, _DOCTOR_HOME_VISITS_DEFAULT, kommuner), kommun, day)
    at_mottagning = (mode == MODES.index("mottagning")) & (unit != units.digital)
    to_home = doctor & ~home_health & at_mottagning & (age >= 75)
    to_home &= story.random(n) < p_visit
    mode = np.where(to_home, MODES.index("hembesok"), mode).astype(np.int8)
    planned |= to_home & (story.random(n) < 0.8)
    growth = _profile(_HOME_HEALTH_GROWTH, _HOME_HEALTH_GROWTH_DEFAULT, kommuner)
    keep_share = kommun_trend(growth, kommun, day)
    keep = ~home_health | (story.random(n) < keep_share)
    person, day, kommun, age, unit = person[keep], day[keep], kommun[keep], age[keep], unit[keep]
    profession, staff, no_staff = profession[keep], staff[keep], no_staff[keep]
    mode, planned = mode[keep], planned[keep]
    n = len(person)

    # Date order, random within a day (a stable radix sort of a shuffled day-of-year).
    shuffled = rng.permutation(n)
    order = shuffled[np.argsort((day[shuffled] - year_start(year)).astype(np.int16), kind="stable")]
    prefix = f"K{year % 100:02d}-"
    return pa.table(
        {
            "contact_id": serial_ids(prefix, np.arange(1, n + 1), 7),
            "person_id": reg.person_id.take(pa.array(person[order])),
            "kommun": labels([k.code for k in kommuner], kommun[order]),
            "sex": labels(("K", "M"), reg.male[person[order]].astype(np.int8)),
            "age": pa.array(age[order].astype(np.int32)),
            "contact_date": date_column(day[order]),
            "care_unit": labels(units.names, unit[order]),
            "provider": labels(PROVIDERS, units.provider[unit[order]]),
            "profession": labels(PROFESSIONS, profession[order]),
            "staff_id": units.staff_ids.take(pa.array(staff[order], mask=no_staff[order])),
            "mode": labels(MODES, mode[order]),
            "planned": pa.array(planned[order]),
        }
    )
