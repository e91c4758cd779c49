"""The person register behind every person-level extract.

Built backwards from the population on 31 December 2024: each year removes the
persons who were born or moved in during it and adds those who died or moved
out, so the population of every year is the register's count on 31 December
and 2024 equals the profiles' populations exactly at scale 1 (SCB's figures in
Östergötland and Jämtland, a synthetic rank-size rule elsewhere: metrics/demo/synthetic.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from metrics.demo.columns import hex_ids, labels, to_days, unique_codes, ymd
from metrics.demo.kommuner import DemoKommun
from metrics.demo.population import (
    MALE,
    MAX_AGE,
    mortality,
    move_rate,
    population_2024,
    rng_for,
)

BASE_YEAR = 2024  # the year whose population is known exactly
NEVER = 10**6  # a day far in the future: the person has not left
ALWAYS = -(10**6)  # a day far in the past: the person was there before the demo's first year


def year_start(year: int) -> int:
    return int(to_days([f"{year}-01-01"])[0])


def year_end(year: int) -> int:
    return int(to_days([f"{year}-12-31"])[0])


@dataclass
class Register:
    kommuner: tuple[DemoKommun, ...]
    person_id: pa.StringArray
    kommun: np.ndarray  # index into kommuner
    male: np.ndarray  # bool
    birth: np.ndarray  # day of birth, days since 1970-01-01
    arrived: np.ndarray  # first day in the kommun (birth, moving in, or ALWAYS)
    left: np.ndarray  # last day in the kommun (death, moving out, or NEVER)
    frailty: np.ndarray  # need of care relative to others of the same age, mean about 1
    died: np.ndarray  # bool: left by dying (rather than moving)
    code: np.ndarray  # the random number behind person_id; sorting by it sorts by person_id

    def __post_init__(self) -> None:
        year, month, day = ymd(self.birth)
        self.birth_year = year
        self.birth_md = month * 100 + day

    def __len__(self) -> int:
        return len(self.kommun)

    def age_at(self, days: np.ndarray, who: np.ndarray | None = None) -> np.ndarray:
        """Age in whole years on the given days, of all persons or of the persons `who`."""
        year, month, day = ymd(days)
        by = self.birth_year if who is None else self.birth_year[who]
        bmd = self.birth_md if who is None else self.birth_md[who]
        return (year - by - ((month * 100 + day) < bmd)).astype(np.int16)

    def need(self, year: int, last_year_of_life: float = 2.5) -> np.ndarray:
        """Frailty in the year, higher for those who die in it (care gathers in the last year of life)."""
        dying = self.died & (self.left >= year_start(year)) & (self.left <= year_end(year))
        return np.where(dying, self.frailty * last_year_of_life, self.frailty)

    def present_on(self, day: int) -> np.ndarray:
        return (self.arrived <= day) & (self.left >= day)

    def exposure(self, start: int, end: int) -> np.ndarray:
        """Fraction of the days start..end (inclusive) each person lived in the kommun."""
        first = np.maximum(self.arrived, start)
        last = np.minimum(self.left, end)
        return np.clip(last - first + 1, 0, None) / (end - start + 1)

    def population(self, year: int) -> np.ndarray:
        """Inhabitants on 31 December of year, shape (kommuner, 2, 101)."""
        alive = self.present_on(year_end(year))
        age = np.minimum(year - self.birth_year[alive], MAX_AGE)
        sex = np.where(self.male[alive], MALE, 1 - MALE)
        cells = (self.kommun[alive].astype(np.int64) * 2 + sex) * (MAX_AGE + 1) + age
        size = len(self.kommuner) * 2 * (MAX_AGE + 1)
        return np.bincount(cells, minlength=size).reshape(len(self.kommuner), 2, MAX_AGE + 1)


def _random_day_in(rng: np.random.Generator, years: np.ndarray, last_day_free: bool = False) -> np.ndarray:
    """A uniformly drawn day of each given year (optionally never 31 December)."""
    start = (years.astype(np.int64) - 1970).astype("datetime64[Y]")
    first = start.astype("datetime64[D]").astype(np.int64)
    ndays = (start + 1).astype("datetime64[D]").astype(np.int64) - first
    if last_day_free:
        ndays = ndays - 1
    return first + (rng.random(len(years)) * ndays).astype(np.int64)


def _birth_years(rng: np.random.Generator, ref_year: int, ages: np.ndarray) -> np.ndarray:
    """Birth years of persons of the given age on 31 December of ref_year (100 means 100 or more)."""
    extra = np.where(ages >= MAX_AGE, rng.geometric(0.45, len(ages)) - 1, 0)
    return ref_year - ages - extra


def _expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One row per person of a (kommuner, 2, 101) count array: kommun, male, age."""
    flat = counts.ravel()
    cell = np.repeat(np.arange(len(flat)), flat)
    kommun, sex, age = np.unravel_index(cell, counts.shape)
    return kommun.astype(np.int16), sex == MALE, age.astype(np.int64)


def build_register(
    kommuner: Sequence[DemoKommun], *, seed: int, first_year: int, scale: float = 1.0
) -> Register:
    """Everyone who lived in the kommuner at some time from 1 January of first_year to the end of 2024."""
    rng = rng_for(seed, "register")
    kommuner = tuple(kommuner)
    mobility = np.array([k.mobility for k in kommuner])
    outflow = np.array([k.outflow for k in kommuner])

    counts = np.stack([population_2024(k, seed, scale) for k in kommuner])
    kommun, male, age = _expand(counts)
    byear = [_birth_years(rng, BASE_YEAR, age)]
    kommuns, males = [kommun], [male]
    died = [np.zeros(len(kommun), dtype=bool)]
    left = [np.full(len(kommun), NEVER, dtype=np.int64)]
    n_total = len(kommun)
    current = np.arange(n_total)
    arrivals: list[tuple[np.ndarray, np.ndarray]] = []  # (persons, day they arrived)

    ages_grid = np.arange(MAX_AGE + 1)
    for year in range(BASE_YEAR, first_year - 1, -1):
        all_kommun = np.concatenate(kommuns)
        all_male = np.concatenate(males)
        all_byear = np.concatenate(byear)
        k_cur = all_kommun[current]
        age_end = year - all_byear[current]

        # Who of the inhabitants on 31 December arrived during the year: the newborn and those moving in.
        born = age_end == 0
        moved_in = ~born & (rng.random(len(current)) < move_rate(age_end) * mobility[k_cur])
        arrivals.append((current[moved_in], _random_day_in(rng, np.full(moved_in.sum(), year))))

        # Who left during the year: drawn per cell from the cohort one year younger at the start of the year.
        sex = np.where(all_male[current], MALE, 1 - MALE)
        cells = (k_cur.astype(np.int64) * 2 + sex) * (MAX_AGE + 1) + np.minimum(age_end, MAX_AGE)
        end_counts = np.bincount(cells, minlength=len(kommuner) * 2 * (MAX_AGE + 1)).reshape(
            len(kommuner), 2, MAX_AGE + 1
        )
        start_counts = np.concatenate([end_counts[:, :, 1:], end_counts[:, :, -1:]], axis=2)
        is_male = (np.arange(2) == MALE)[None, :, None]
        deaths = rng.poisson(start_counts * mortality(ages_grid[None, None, :], is_male))
        movers = rng.poisson(
            start_counts * move_rate(ages_grid + 0.5)[None, None, :] * (mobility * outflow)[:, None, None]
        )
        # On 31 December of the year before: those who stayed, and those who were to leave.
        previous = [current[~(born | moved_in)]]
        for n_cells, dead in ((deaths, True), (movers, False)):
            k_new, male_new, age_new = _expand(n_cells)
            kommuns.append(k_new)
            males.append(male_new)
            byear.append(_birth_years(rng, year - 1, age_new))
            died.append(np.full(len(k_new), dead))
            left.append(_random_day_in(rng, np.full(len(k_new), year), last_day_free=True))
            previous.append(np.arange(n_total, n_total + len(k_new)))
            n_total += len(k_new)
        current = np.concatenate(previous)

    kommun = np.concatenate(kommuns)
    male = np.concatenate(males)
    birth_year = np.concatenate(byear)
    birth = _random_day_in(rng, birth_year)
    arrived = np.full(n_total, ALWAYS, dtype=np.int64)
    newborn = birth >= year_start(first_year)
    arrived[newborn] = birth[newborn]
    for persons, days in arrivals:
        arrived[persons] = days
    frailty = rng.gamma(1.5, 1 / 1.5, n_total)
    codes = unique_codes(rng, n_total)
    return Register(
        kommuner=kommuner,
        person_id=hex_ids("P", codes),
        code=codes,
        kommun=kommun,
        male=male,
        birth=birth,
        arrived=arrived,
        left=np.concatenate(left),
        frailty=frailty,
        died=np.concatenate(died),
    )


def population_table(reg: Register, years: Sequence[int]) -> pa.Table:
    """The population extract: inhabitants per kommun, year, sex and age on 31 December."""
    parts = []
    for year in years:
        counts = reg.population(year)  # (kommuner, sex, age)
        kommun, sex, age = np.unravel_index(np.arange(counts.size), counts.shape)
        parts.append((kommun, np.full(counts.size, year), sex, age, counts.ravel()))
    kommun, years_col, sex, age, count = (np.concatenate(c) for c in zip(*parts, strict=True))
    return pa.table(
        {
            "kommun": labels([k.code for k in reg.kommuner], kommun),
            "year": pa.array(years_col.astype(np.int32)),
            "sex": labels(("M", "K") if MALE == 0 else ("K", "M"), sex),
            "age": pa.array(age.astype(np.int32)),
            "count": pa.array(count.astype(np.int64)),
        }
    )
