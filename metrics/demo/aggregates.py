"""Aggregated extracts: patient survey, costs and staff sick leave per kommun."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from metrics.demo.calendar import month_starts, progress
from metrics.demo.columns import date_column, labels, ymd
from metrics.demo.population import age_distribution, rng_for
from metrics.demo.register import Register, year_end
from metrics.extracts.schema import PRINCIPALS

# Nationell patientenkät: dimension and its typical share of positive answers.
SURVEY_DIMENSIONS = (
    ("delaktighet_och_involvering", 0.75),
    ("kontinuitet_och_koordinering", 0.66),
    ("tillganglighet", 0.72),
    ("helhetsintryck", 0.80),
    ("respekt_och_bemotande", 0.86),
    ("emotionellt_stod", 0.79),
    ("information_och_kunskap", 0.73),
)
# Person-centred work (förhållningssätt Nära vård): change 2020 -> 2024 of the share of positive
# answers in the dimensions about the meeting itself, where a kommun's story has it.
_PERSON_CENTRED = {
    "0583": 0.06,
    "0580": 0.04,
    "2380": 0.05,
    "2326": 0.04,
    "0581": -0.03,
    "0562": -0.03,
    "2313": -0.02,
}
_MEETING = {
    "helhetsintryck": 1.0,
    "respekt_och_bemotande": 0.8,
    "emotionellt_stod": 0.9,
    "information_och_kunskap": 1.0,
}


def survey_table(reg: Register, years: Sequence[int], seed: int) -> pa.Table:
    """Answers per kommun, year and dimension; small kommuner get few answers and noisy shares.

    The number of answers follows the real population, whatever the scale: a survey
    sample is not a count of persons in the register.
    """
    rng = rng_for(seed, "survey")
    rows: dict[str, list] = {k: [] for k in ("kommun", "year", "dimension", "positive", "responses")}
    for i, k in enumerate(reg.kommuner):
        base_n = 15 + 0.0075 * k.population_2024
        named_mid = sum(k.named_gp) / 2
        for year in years:
            year_n = base_n * rng.lognormal(0.0, 0.08)
            t = float(progress(np.array([year_end(year)]))[0])
            for dim, level in SURVEY_DIMENSIONS:
                n = max(12, round(year_n * rng.uniform(0.94, 1.0)))
                share = level + k.survey / 100 + 0.15 * (named_mid - 0.4)
                if dim == "kontinuitet_och_koordinering":
                    share += 0.25 * (k.named_gp[0] + (k.named_gp[1] - k.named_gp[0]) * t - 0.4)
                if dim == "tillganglighet":
                    share += 0.03 * t  # digital access helps a little, more where it is used more
                    share += 0.12 * t * (k.digital - 1.0)
                share += _MEETING.get(dim, 0.0) * _PERSON_CENTRED.get(k.code, 0.0) * t
                share = float(np.clip(share, 0.55, 0.93))
                rows["kommun"].append(i)
                rows["year"].append(year)
                rows["dimension"].append(dim)
                rows["positive"].append(int(rng.binomial(n, share)))
                rows["responses"].append(n)
    return pa.table(
        {
            "kommun": labels([k.code for k in reg.kommuner], np.array(rows["kommun"])),
            "year": pa.array(rows["year"], pa.int32()),
            "dimension": pa.array(rows["dimension"]),
            "positive": pa.array(rows["positive"], pa.int32()),
            "responses": pa.array(rows["responses"], pa.int32()),
        }
    )


# SEK per inhabitant and year (2022 prices) by principal, area and age band 0-17, 18-64, 65-79, 80+.
COST_AREAS: tuple[tuple[str, str, tuple[float, float, float, float]], ...] = (
    ("region", "primarvard", (8_500, 9_000, 15_000, 21_000)),
    ("region", "specialiserad_oppenvard", (9_500, 15_000, 27_000, 25_000)),
    ("region", "slutenvard", (8_500, 13_500, 31_000, 48_000)),
    ("kommun", "hemtjanst", (0, 600, 7_000, 60_000)),
    ("kommun", "sarskilt_boende", (0, 300, 8_000, 145_000)),
    ("kommun", "korttidsvard", (0, 40, 1_000, 8_000)),
)
_PRICE_LEVEL = {2020: 0.94, 2021: 0.96, 2022: 1.0, 2023: 1.05, 2024: 1.085}
_AGE_BANDS = (0, 18, 65, 80, 200)
# Volume of an area relative to 2020 on 31 December 2024, linear between ("primärvården som nav"):
# Östergötland moves money to primary care, most where new vårdcentraler open; the kommuner that
# open närvårdsplatser (see hospital.NEAR_CARE_BEDS) need less slutenvård and korttidsvård, while
# Norrköping's long waits for discharge fill its korttidsplatser.
_COST_TREND: dict[tuple[str, str], dict[str, float]] = {
    ("05", "primarvard"): {"": 1.1, "0580": 1.16, "0583": 1.18},
    ("23", "primarvard"): {"": 1.01, "2380": 1.07},
    ("05", "slutenvard"): {"0583": 0.92, "0562": 0.95},
    ("23", "slutenvard"): {"2326": 0.93, "2361": 0.95},
    ("05", "korttidsvard"): {"0583": 0.8, "0562": 0.86, "0581": 1.15},
    ("23", "korttidsvard"): {"2326": 0.82, "2361": 0.88},
}


def _cost_trend(code: str, area: str, t: float) -> float:
    by_kommun = _COST_TREND.get((code[:2], area), {})
    end = by_kommun.get(code, by_kommun.get("", 1.0))
    return 1.0 + (end - 1.0) * t


def costs_table(reg: Register, years: Sequence[int], seed: int) -> pa.Table:
    """Costs per kommun, year, principal and area, from the register's population by age."""
    rng = rng_for(seed, "costs")
    rows: dict[str, list] = {k: [] for k in ("kommun", "year", "principal", "area", "amount_sek")}
    for year in years:
        pop = reg.population(year).sum(axis=1)  # (kommuner, age)
        bands = np.stack([pop[:, lo:hi].sum(axis=1) for lo, hi in itertools.pairwise(_AGE_BANDS)], axis=1)
        price = _PRICE_LEVEL.get(year, 1.085 * 1.03 ** (year - 2024))
        t = float(progress(np.array([year_end(year)]))[0])
        for i, k in enumerate(reg.kommuner):
            for principal, area, per_age in COST_AREAS:
                level = 1.0 + (k.cost - 1.0) * (0.7 if principal == "kommun" else 0.35)
                level *= _cost_trend(k.code, area, t)
                # The region's costs per kommun are allocations of its accounts, smoother than a kommun's own.
                noise = rng.lognormal(0.0, 0.035 if principal == "kommun" else 0.012)
                amount = float(bands[i] @ np.array(per_age)) * price * level * noise
                rows["kommun"].append(i)
                rows["year"].append(year)
                rows["principal"].append(principal)
                rows["area"].append(area)
                rows["amount_sek"].append(round(amount))
    return pa.table(
        {
            "kommun": labels([k.code for k in reg.kommuner], np.array(rows["kommun"])),
            "year": pa.array(rows["year"], pa.int32()),
            "principal": pa.array(rows["principal"]),
            "area": pa.array(rows["area"]),
            "amount_sek": pa.array(rows["amount_sek"], pa.float64()),
        }
    )


# Sick-leave percentage points added per month: winter infections, a summer low.
_ABSENCE_SEASON = np.array([1.6, 1.5, 0.8, 0.2, -0.3, -0.6, -1.2, -0.9, 0.0, 0.5, 0.9, 1.3])
_ABSENCE_EXTRA = {(2022, 1): 2.5, (2022, 2): 1.2, (2022, 12): 0.6}  # omicron, then a hard flu season
# Percentage points added on 1 January 2020 and on 31 December 2024, linear between (god arbetsmiljö):
# Motala's elderly care and Östersund's primary care work on their working environment; Norrköping's
# and Strömsund's elderly care, and Härjedalen's primary care short of doctors, go the other way.
_ABSENCE_TREND = {
    ("0583", "kommun"): (0.6, -1.4),
    ("0580", "region"): (0.3, -0.7),
    ("0581", "kommun"): (-0.2, 1.6),
    ("2313", "kommun"): (0.3, 1.5),
    ("2380", "region"): (0.4, -1.0),
    ("2361", "region"): (-0.3, 1.2),
}


def staff_absence_table(reg: Register, years: Sequence[int], seed: int) -> pa.Table:
    """Scheduled and sick-leave hours per kommun, month and principal (staff volume at real scale)."""
    rng = rng_for(seed, "staff_absence")
    months = month_starts(years)
    year, month, _ = ymd(months)
    extra = np.array([_ABSENCE_EXTRA.get((int(y), int(m)), 0.0) for y, m in zip(year, month, strict=True)])
    holiday = np.where(month == 7, 0.82, np.where(np.isin(month, [6, 8, 12]), 0.93, 1.0))
    rows: dict[str, list] = {k: [] for k in ("kommun", "month", "principal", "scheduled", "absence")}
    for i, k in enumerate(reg.kommuner):
        old = age_distribution(k, seed)[:, 65:].sum()
        for principal in PRINCIPALS:
            if principal == "region":
                fte = 1.25 * k.population_2024 / 1000  # primary care staff
                base = 5.3
            else:
                fte = 0.085 * k.population_2024 * old  # elderly care staff
                base = 7.9
            scheduled = fte * 150.0 * holiday * rng.lognormal(0.0, 0.01, len(months))
            noise = rng.normal(0.0, 3.0 / np.sqrt(fte), len(months))  # small workplaces vary more
            start, end = _ABSENCE_TREND.get((k.code, principal), (0.0, 0.0))
            trend = start + (end - start) * progress(months)
            pct = np.clip(base + k.absence + _ABSENCE_SEASON[month - 1] + extra + trend + noise, 2.0, 16.0)
            rows["kommun"].extend([i] * len(months))
            rows["month"].extend(months.tolist())
            rows["principal"].extend([principal] * len(months))
            rows["scheduled"].extend(np.round(scheduled, 1).tolist())
            rows["absence"].extend(np.round(scheduled * pct / 100, 1).tolist())
    return pa.table(
        {
            "kommun": labels([k.code for k in reg.kommuner], np.array(rows["kommun"])),
            "month": date_column(np.array(rows["month"])),
            "principal": pa.array(rows["principal"]),
            "scheduled_hours": pa.array(rows["scheduled"], pa.float64()),
            "absence_hours": pa.array(rows["absence"], pa.float64()),
        }
    )
