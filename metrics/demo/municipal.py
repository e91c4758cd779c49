"""The kommun's extracts: hemtjänst per recipient and month, and SIP."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from metrics.demo.calendar import (
    PRIMARY_CARE_MONTHS,
    clamp_to_presence,
    days_in_month,
    kommun_trend,
    month_starts,
    sample_days,
)
from metrics.demo.columns import date_column, labels, serial_ids
from metrics.demo.population import piecewise, rng_for
from metrics.demo.register import Register, year_end, year_start

# Share of inhabitants with hemtjänst at a given age (point prevalence).
_HOME_CARE_KNOTS = ((64, 0.0), (65, 0.008), (70, 0.015), (75, 0.035), (80, 0.08), (85, 0.17), (90, 0.29),
                    (95, 0.4), (100, 0.45))  # fmt: skip
_EPISODE_MONTHS = 30.0  # mean length of a hemtjänst episode
_LEAD_IN = 24  # episodes may have started up to this many months before the first month

# Kommuner that did not report personalkontinuitet (staff_14d) for a whole year: a gap the data shows.
STAFF_14D_NOT_MEASURED = {("2305", 2022)}


@dataclass
class HomeCare:
    """One row per recipient and month."""

    person: np.ndarray
    month: np.ndarray  # first day of the month
    age: np.ndarray
    hours_tenths: np.ndarray
    named_contact: np.ndarray
    staff_14d: np.ndarray
    staff_14d_missing: np.ndarray

    def recipients_in(self, year: int) -> np.ndarray:
        """Persons with hemtjänst at some time in the year."""
        in_year = (self.month >= year_start(year)) & (self.month <= year_end(year))
        return np.unique(self.person[in_year])


def simulate_home_care(reg: Register, years: Sequence[int], seed: int) -> HomeCare:
    rng = rng_for(seed, "home_care")
    starts = month_starts(years)
    n_months = len(starts)
    ends = starts + days_in_month(starts) - 1
    mid = starts[n_months // 2]

    age_mid = reg.age_at(np.full(len(reg), mid))
    prevalence = piecewise(_HOME_CARE_KNOTS, age_mid)
    factor = (n_months + _LEAD_IN) / _EPISODE_MONTHS
    p = np.minimum(0.95, 0.7 * prevalence * factor * reg.frailty**0.6)
    chosen = np.flatnonzero(rng.random(len(reg)) < p)

    first = rng.integers(-_LEAD_IN, n_months, len(chosen))
    length = rng.geometric(1.0 / _EPISODE_MONTHS, len(chosen))
    lo = np.maximum(first, 0)
    hi = np.minimum(first + length, n_months)
    n_rows = np.clip(hi - lo, 0, None)
    person = np.repeat(chosen, n_rows)
    offset = np.arange(len(person)) - np.repeat(np.cumsum(n_rows) - n_rows, n_rows)
    month_idx = np.repeat(lo, n_rows) + offset
    months_in_care = month_idx - np.repeat(first, n_rows)

    here = (reg.arrived[person] <= ends[month_idx]) & (reg.left[person] >= starts[month_idx])
    person, month_idx, months_in_care = person[here], month_idx[here], months_in_care[here]
    month = starts[month_idx]
    age = reg.age_at(month, person)

    # Hours: a level per person, growing slowly with time in care, varying month to month.
    level = rng.lognormal(np.log(17.0), 0.85, len(reg))[person]
    level *= np.clip(1 + 0.035 * (age - 82), 0.6, 1.8) * (1 + 0.012 * np.minimum(months_in_care, 48))
    hours = np.clip(level * rng.lognormal(0.0, 0.15, len(person)), 1.0, 280.0)
    hours = np.where(months_in_care == 0, hours * 0.55, hours)

    kommun = reg.kommun[person]
    kommuner = reg.kommuner
    share = kommun_trend([k.care_contact for k in kommuner], kommun, month)
    named = (rng.random(len(reg))[person] < share) & (rng.random(len(person)) > 0.03)

    mean_staff = np.array([k.staff_14d for k in kommuner])[kommun] * (hours / 30.0) ** 0.22
    staff = np.clip(np.rint(mean_staff * rng.gamma(9.0, 1 / 9.0, len(person))), 1, 45).astype(np.int16)
    missing = rng.random(len(person)) < 0.07
    for code, year in STAFF_14D_NOT_MEASURED:
        k = [i for i, km in enumerate(kommuner) if km.code == code]
        if k:
            missing |= (kommun == k[0]) & (month >= year_start(year)) & (month <= year_end(year))

    order = np.lexsort((person, month))
    return HomeCare(
        person=person[order],
        month=month[order],
        age=age[order],
        hours_tenths=np.rint(hours[order] * 10).astype(np.int64),
        named_contact=named[order],
        staff_14d=staff[order],
        staff_14d_missing=missing[order],
    )


# SIP starts per inhabitant and year, by age.
_SIP_KNOTS = ((0, 0.001), (6, 0.0055), (17, 0.006), (19, 0.003), (30, 0.0025), (64, 0.003), (70, 0.006),
              (80, 0.015), (90, 0.03), (100, 0.03))  # fmt: skip
INITIATORS = ("region", "kommun", "person", "annan")
# Who initiates a SIP: children (school, social services), adults, the elderly.
_INITIATOR_PROBS = np.array([[0.33, 0.37, 0.08, 0.22], [0.42, 0.40, 0.10, 0.08], [0.45, 0.48, 0.04, 0.03]])


def simulate_sip(reg: Register, home_care: HomeCare, years: Sequence[int], seed: int) -> pa.Table:
    rng = rng_for(seed, "sip")
    kommuner = reg.kommuner
    parts = []
    for year in years:
        start, end = year_start(year), year_end(year)
        age = reg.age_at(np.full(len(reg), (start + end) // 2))
        rate = piecewise(_SIP_KNOTS, age)
        rate *= 0.75 * np.array([k.sip for k in kommuner])[reg.kommun] * (1 + 0.12 * (year - 2022))
        rate[home_care.recipients_in(year)] *= 2.5
        n = rng.poisson(rate * reg.exposure(start, end) * reg.need(year) ** 0.5)
        person = np.repeat(np.arange(len(reg)), n)
        day = sample_days(rng, year, len(person), weekend=0.02, months=PRIMARY_CARE_MONTHS)
        day = clamp_to_presence(
            rng, day, np.maximum(reg.arrived[person], start), np.minimum(reg.left[person], end)
        )
        parts.append((person, day))
    person = np.concatenate([p for p, _ in parts])
    day = np.concatenate([d for _, d in parts])
    order = np.lexsort((person, day))
    person, day = person[order], day[order]

    age = reg.age_at(day, person)
    kommun = reg.kommun[person]
    participation = kommun_trend([k.sip_participation for k in kommuner], kommun, day)
    participation = np.where(age < 18, participation * 0.93, participation)
    group = np.select([age < 18, age < 65], [0, 1], 2)
    cdf = np.cumsum(_INITIATOR_PROBS, axis=1)[group]
    initiator = (rng.random(len(day))[:, None] >= cdf[:, :-1]).sum(axis=1)
    return pa.table(
        {
            "sip_id": serial_ids("SIP-", np.arange(1, len(day) + 1), 6),
            "person_id": reg.person_id.take(pa.array(person)),
            "kommun": labels([k.code for k in kommuner], kommun),
            "sex": labels(("K", "M"), reg.male[person].astype(np.int8)),
            "age": pa.array(age.astype(np.int32)),
            "start_date": date_column(day),
            "initiated_by": labels(INITIATORS, initiator),
            "person_participated": pa.array(rng.random(len(day)) < participation),
        }
    )


def home_care_table(reg: Register, hc: HomeCare) -> pa.Table:
    return pa.table(
        {
            "month": date_column(hc.month),
            "person_id": reg.person_id.take(pa.array(hc.person)),
            "kommun": labels([k.code for k in reg.kommuner], reg.kommun[hc.person]),
            "sex": labels(("K", "M"), reg.male[hc.person].astype(np.int8)),
            "age": pa.array(hc.age.astype(np.int32)),
            "hours": pa.array(hc.hours_tenths / 10.0),
            "named_care_contact": pa.array(hc.named_contact),
            "staff_14d": pa.array(hc.staff_14d.astype(np.int32), mask=hc.staff_14d_missing),
        }
    )
