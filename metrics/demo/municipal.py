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

# Issue 9 stories, by kommun code. How common hemtjänst is, relative to the age structure's
# expectation; hours per recipient (Trend: 1 January 2020, 31 December 2024), relative.
_HOME_CARE_LEVEL = {
    "0581": 1.15, "0562": 1.1, "0580": 0.9, "0512": 0.85, "0513": 0.9, "2313": 1.15, "2361": 1.1,
    "2303": 1.05, "2380": 0.95, "2326": 0.85,
}  # fmt: skip
_HOURS_TREND = {
    "0581": (1.05, 1.18), "0562": (1.05, 1.12), "0580": (1.0, 0.9), "0583": (1.0, 0.9),
    "2380": (1.0, 0.88), "2326": (0.95, 0.88), "2313": (1.1, 1.15), "2361": (1.05, 1.12),
}  # fmt: skip
_HOURS_TREND_DEFAULT = (1.0, 1.02)


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
    factor = (n_months + _LEAD_IN + 2 * _EPISODE_MONTHS) / _EPISODE_MONTHS
    level = np.array([_HOME_CARE_LEVEL.get(k.code, 1.0) for k in reg.kommuner])[reg.kommun]
    p = np.minimum(0.95, 0.75 * prevalence * factor * level * reg.frailty**0.6)
    chosen = np.flatnonzero(rng.random(len(reg)) < p)

    # Episodes start more often when the person is older: prevalence is drawn at the middle of the
    # years, and uniform starts made hemtjänst shrink year by year (6.4 % → 4.7 % of 65+ in
    # Östergötland 2020–2024), because the same persons are 2.5 years younger in 2020 than at the
    # middle and 2.5 years older in 2024.
    offsets = np.arange(-_LEAD_IN, n_months)
    ages = age_mid[chosen, None] + (offsets[None, :] - n_months // 2) / 12.0
    density = piecewise(_HOME_CARE_KNOTS, ages.ravel()).reshape(ages.shape) + 1e-6
    # The first month also stands for every earlier start: episodes are memoryless (geometric), so
    # one still running then has the same remaining length. Without it care ramps up from 2020;
    # twice the mean episode is calibrated so that the share of 65+ with hemtjänst in the two län
    # stays about level 2020–2024 (as it has in Sweden) and the kommuner's own stories show.
    density[:, 0] *= 2 * _EPISODE_MONTHS
    weights = np.cumsum(density, axis=1)
    u = rng.random(len(chosen)) * weights[:, -1]
    first = offsets[np.minimum((weights < u[:, None]).sum(axis=1), len(offsets) - 1)]
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
    trend = [_HOURS_TREND.get(k.code, _HOURS_TREND_DEFAULT) for k in kommuner]
    hours = np.clip(hours * kommun_trend(trend, kommun, month), 1.0, 280.0)
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
# Issue 9: where primärvården becomes the hub, the region takes the initiative more often (moved
# from the kommun's share), and where participation is worked on, more persons ask for a SIP
# themselves (moved from 'annan' and the kommun). Percentage points, Trend 2020 → 2024.
_SIP_REGION_SHIFT = {
    "0580": (0.0, 0.10), "0583": (0.0, 0.14), "2380": (-0.02, 0.10), "2326": (0.02, 0.10),
    "0581": (-0.05, -0.06), "0562": (-0.04, -0.07), "2313": (-0.03, -0.04), "2303": (-0.02, -0.04),
}  # fmt: skip
_SIP_PERSON_SHIFT = {
    "0512": (0.02, 0.05), "0583": (0.0, 0.05), "2326": (0.01, 0.06), "2380": (0.0, 0.04),
    "0581": (-0.02, -0.02),
}  # fmt: skip


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
    probs = _INITIATOR_PROBS[group].copy()
    region = kommun_trend([_SIP_REGION_SHIFT.get(k.code, (0.0, 0.02)) for k in kommuner], kommun, day)
    own = kommun_trend([_SIP_PERSON_SHIFT.get(k.code, (0.0, 0.01)) for k in kommuner], kommun, day)
    probs[:, 0] += region
    probs[:, 1] -= region + own / 2
    probs[:, 2] += own
    probs[:, 3] -= own / 2
    probs = np.maximum(probs, 0.005)
    cdf = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
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
