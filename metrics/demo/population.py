"""Age pyramids, mortality and migration of the demo population."""

from __future__ import annotations

import zlib

import numpy as np

from metrics.demo.kommuner import DemoKommun

MAX_AGE = 100  # the population table's last age means "100 and over"
AGES = np.arange(MAX_AGE + 1)
MALE, FEMALE = 0, 1  # index of the sex axis; the extracts write M/K or 1/2

# Sweden's age distribution at the end of 2024, roughly: relative size of each single-year cohort.
_BASE_KNOTS = (
    (0, 0.93), (1, 0.97), (5, 1.08), (10, 1.18), (15, 1.17), (18, 1.13), (20, 1.17), (25, 1.32),
    (30, 1.40), (35, 1.38), (40, 1.29), (45, 1.24), (50, 1.28), (55, 1.26), (60, 1.16), (65, 1.06),
    (70, 1.03), (75, 0.98), (78, 0.92), (80, 0.76), (85, 0.50), (90, 0.25), (95, 0.075), (99, 0.018),
)  # fmt: skip
_MALE_SHARE_KNOTS = ((0, 0.513), (55, 0.508), (65, 0.495), (75, 0.47), (85, 0.41), (95, 0.28), (100, 0.2))
# How an "aging" kommun differs from the average: fewer young adults, more elderly.
_AGING_KNOTS = (
    (0, -0.15), (15, -0.05), (22, -0.4), (35, -0.35), (45, -0.1), (55, 0.12), (65, 0.35), (75, 0.45),
    (100, 0.45),
)  # fmt: skip


Knots = tuple[tuple[float, float], ...]  # (age, value) points of a piecewise-linear curve


def piecewise(knots: Knots, x: np.ndarray) -> np.ndarray:
    """The piecewise-linear curve through the knots, at x (constant beyond the ends)."""
    xs = np.array([k[0] for k in knots], dtype=float)
    ys = np.array([k[1] for k in knots], dtype=float)
    return np.interp(np.asarray(x, dtype=float), xs, ys)


def rng_for(seed: int, *parts: str | int) -> np.random.Generator:
    """An independent random stream per part of the demo, so that changing one part leaves the others."""
    keys = [zlib.crc32(str(p).encode("utf-8")) for p in parts]
    return np.random.default_rng(np.random.SeedSequence([seed, *keys]))


def age_distribution(kommun: DemoKommun, seed: int) -> np.ndarray:
    """Share of the kommun's inhabitants per sex and single age, shape (2, 101), summing to 1."""
    base = piecewise(_BASE_KNOTS, AGES.astype(float))
    # The 100+ group collects everyone above 99.
    base[MAX_AGE] = 0.03
    weight = base * np.exp(kommun.aging * piecewise(_AGING_KNOTS, AGES.astype(float)))
    weight *= 1.0 + kommun.students * 0.7 * np.exp(-(((AGES - 22.5) / 2.8) ** 2))
    # Each kommun's cohorts are a little uneven, fixed per kommun.
    weight *= np.exp(rng_for(seed, "pyramid", kommun.code).normal(0.0, 0.05, len(AGES)))
    male = piecewise(_MALE_SHARE_KNOTS, AGES.astype(float))
    dist = np.stack([weight * male, weight * (1.0 - male)])
    return dist / dist.sum()


def population_2024(kommun: DemoKommun, seed: int, scale: float = 1.0) -> np.ndarray:
    """Inhabitants on 31 December 2024 per sex and age, shape (2, 101).

    At scale 1 the total is the profile's population_2024 (SCB's in län 05 and 23, synthetic
    elsewhere); the split over sex and age is drawn from the seed.
    """
    total = max(1, round(kommun.population_2024 * scale))
    rng = rng_for(seed, "population_2024", kommun.code)
    return rng.multinomial(total, age_distribution(kommun, seed).ravel()).reshape(2, MAX_AGE + 1)


def mortality(ages: np.ndarray, male: np.ndarray) -> np.ndarray:
    """Probability of dying within a year at the given age (Gompertz, Swedish level)."""
    q = 8e-6 * np.exp(0.105 * ages.astype(float))
    q = np.where(ages == 0, 0.0022, q)
    q = q * np.where(male, 1.3, 1.0)
    return np.minimum(q, 0.45)


_MOVE_KNOTS = (
    (0, 0.06), (5, 0.04), (15, 0.035), (19, 0.09), (22, 0.15), (27, 0.13), (32, 0.08), (40, 0.045),
    (50, 0.03), (60, 0.022), (70, 0.016), (85, 0.025), (100, 0.025),
)  # fmt: skip


def move_rate(ages: np.ndarray) -> np.ndarray:
    """Probability of moving into (or out of) a kommun within a year, by age."""
    return piecewise(_MOVE_KNOTS, ages.astype(float))
