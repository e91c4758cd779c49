"""Days, weekdays and seasons: when contacts, admissions and visits happen."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from metrics.demo.columns import to_days, ymd

STORY_START = int(to_days(["2020-01-01"])[0])  # the trends of the kommun profiles run between these days
STORY_END = int(to_days(["2024-12-31"])[0])

# Relative volume of primary care per month: winter infections, summer holidays.
PRIMARY_CARE_MONTHS = np.array([1.12, 1.13, 1.07, 1.0, 0.98, 0.93, 0.6, 0.86, 1.04, 1.06, 1.09, 0.96])
# Hospital admissions vary less; the winter peak is the influenza and RS season.
HOSPITAL_MONTHS = np.array([1.14, 1.12, 1.04, 0.98, 0.96, 0.93, 0.86, 0.92, 0.97, 1.0, 1.03, 1.1])


def progress(days: np.ndarray) -> np.ndarray:
    """How far into the story (2020-2024) each day is, 0 to 1."""
    t = (np.asarray(days) - STORY_START) * (1.0 / (STORY_END - STORY_START))
    return np.minimum(np.maximum(t, 0.0), 1.0)


def kommun_trend(trends: Sequence[tuple[float, float]], kommun: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Each row's value of its kommun's trend (trends[kommun]) on its day."""
    table = np.asarray(trends, dtype=float)
    start, end = table[kommun, 0], table[kommun, 1]
    return start + (end - start) * progress(days)


def days_of_year(year: int) -> np.ndarray:
    first, last = to_days([f"{year}-01-01", f"{year}-12-31"])
    return np.arange(first, last + 1)


def weekday(days: np.ndarray) -> np.ndarray:
    """0 = Monday … 6 = Sunday (1970-01-01 was a Thursday)."""
    return (days + 3) % 7


def _holidays(days: np.ndarray) -> np.ndarray:
    _, month, day = ymd(days)
    md = month * 100 + day
    fixed = np.isin(md, [101, 106, 501, 606, 1224, 1225, 1226, 1231])
    midsummer_eve = (month == 6) & (day >= 19) & (day <= 25) & (weekday(days) == 4)
    return fixed | midsummer_eve


def day_weights(year: int, *, weekend: float, months: np.ndarray) -> np.ndarray:
    """Probability of each day of the year, for events that happen less at weekends and holidays."""
    days = days_of_year(year)
    _, month, _ = ymd(days)
    w = months[month - 1].copy()
    wd = weekday(days)
    w *= np.select([wd == 0, wd == 4, wd >= 5], [1.12, 0.9, weekend], 1.03)
    w = np.where(_holidays(days), w * min(1.0, weekend * 1.2), w)
    return w / w.sum()


def sample_days(
    rng: np.random.Generator, year: int, n: int, *, weekend: float, months: np.ndarray
) -> np.ndarray:
    days = days_of_year(year)
    return days[rng.choice(len(days), size=n, p=day_weights(year, weekend=weekend, months=months))]


def clamp_to_presence(
    rng: np.random.Generator, days: np.ndarray, first: np.ndarray, last: np.ndarray
) -> np.ndarray:
    """Days outside first..last are moved to a random day within it (first <= last for every row)."""
    outside = (days < first) | (days > last)
    span = last[outside] - first[outside] + 1
    moved = days.copy()
    moved[outside] = first[outside] + (rng.random(outside.sum()) * span).astype(np.int64)
    return moved


def quarter_ends(years: Sequence[int]) -> np.ndarray:
    return to_days([f"{y}-{md}" for y in years for md in ("03-31", "06-30", "09-30", "12-31")])


def days_in_month(month_start: np.ndarray) -> np.ndarray:
    """Number of days of the months that begin on the given days."""
    month = np.asarray(month_start).astype("datetime64[D]").astype("datetime64[M]")
    return ((month + 1).astype("datetime64[D]") - month.astype("datetime64[D]")).astype(np.int64)


def month_starts(years: Sequence[int]) -> np.ndarray:
    return to_days([f"{y}-{m:02d}-01" for y in years for m in range(1, 13)])
