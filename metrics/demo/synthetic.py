"""Generated demo kommuner for the län without hand-made profiles: real codes and names,
SYNTHETIC populations and care patterns.

Only Östergötland (05) and Jämtland (23) have real 2024 populations in the project
(metrics/demo/kommuner.py). For the other 19 län we know Sweden's total and nothing else,
so their 269 kommuner get a population from an explicit rank-size rule:

* Within each län the kommuner are ranked: first those whose code ends in 80 or above, in
  code order (SCB numbers a län's towns from 80 up, the residence town at x80: 0180
  Stockholm, 1480 Göteborg), then the rest in code order.
* The kommun of rank r gets C / r inhabitants (Zipf, exponent 1), with one constant C for
  all 19 län, chosen so that these 269 kommuner and the 21 real ones sum to Sweden's
  10 587 710 (SCB, 31 December 2024). C is about 173 500; the smallest kommun (rank 49 in
  Västra Götaland) gets about 3 540, above MIN_POPULATION.
* Rounding to whole inhabitants keeps the exact total (largest remainder, ties by code).

So every residence town is about as large as every other, and a län's size follows its
number of kommuner: plausible for a demo, not a description of Sweden. The profile
parameters vary deterministically around the defaults (a hash of the kommun code, never a
random stream), with small kommuner older, more rural and with more hyrläkare.
"""

from __future__ import annotations

import hashlib
import math
from functools import cache

from metrics.demo.kommuner import KOMMUNER, CareUnit, DemoKommun
from metrics.geography import load_geography

SWEDEN_2024 = 10_587_710  # SCB, Folkmängd i riket 31 december 2024
MIN_POPULATION = 2_500  # no generated kommun is smaller (Sweden's smallest has about 2 400)
TOWN_FROM = 80  # SCB's kommun codes from x80 up are a län's towns, x80 its residence town
INHABITANTS_PER_UNIT = 12_000  # about the hand-made profiles' inhabitants per vårdcentral
MAX_UNITS = 16
# Sizes between these two populations map to 0..1 for the size-driven parameters.
_SMALL, _LARGE = math.log10(3_000), math.log10(150_000)


def rank_in_lan(codes: list[str]) -> dict[str, int]:
    """Rank 1, 2, … of each kommun code of one län: the towns (x80 and up) first, in code order."""
    ordered = sorted(codes, key=lambda code: (int(code[2:]) < TOWN_FROM, code))
    return {code: rank for rank, code in enumerate(ordered, start=1)}


def synthetic_populations() -> dict[str, int]:
    """Inhabitants of every kommun without a hand-made profile, by the rank-size rule above."""
    real = {k.code: k.population_2024 for k in KOMMUNER}
    geography = load_geography()
    ranks: dict[str, int] = {}
    for lan in geography.lan:
        codes = [k.code for k in geography.kommuner_in(lan) if k.code not in real]
        ranks.update(rank_in_lan(codes))
    remaining = SWEDEN_2024 - sum(real.values())
    constant = remaining / sum(1 / rank for rank in ranks.values())
    exact = {code: constant / rank for code, rank in ranks.items()}
    populations = {code: math.floor(value) for code, value in exact.items()}
    # Largest remainder: the inhabitants lost to rounding down go to the largest fractions.
    short = remaining - sum(populations.values())
    for code in sorted(exact, key=lambda c: (-(exact[c] - populations[c]), c))[:short]:
        populations[code] += 1
    return populations


def _jitter(code: str, key: str) -> float:
    """A number in [-1, 1) fixed by the kommun code and the parameter (the same on every run)."""
    digest = hashlib.blake2b(f"{code}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**63 - 1.0


def generic_units(name: str, population: int) -> tuple[CareUnit, ...]:
    """'Vårdcentralen <Name>', '… <Name> 2', …: about one unit per INHABITANTS_PER_UNIT, every
    fourth of them private ('Läkarhuset <Name>'), the first region unit larger (the central one)."""
    count = min(MAX_UNITS, max(1, round(population / INHABITANTS_PER_UNIT)))
    private = count // 4

    def numbered(prefix: str, n: int) -> list[str]:
        return [f"{prefix} {name}" + (f" {i}" if i > 1 else "") for i in range(1, n + 1)]

    region = [
        CareUnit(unit, "region", 1.6 if i == 0 else 1.0)
        for i, unit in enumerate(numbered("Vårdcentralen", count - private))
    ]
    return tuple(region + [CareUnit(unit, "private", 0.9) for unit in numbered("Läkarhuset", private)])


def synthetic_kommun(code: str, name: str, population: int, rank: int) -> DemoKommun:
    """A plausible profile: the defaults, shifted by the kommun's size and a fixed jitter per parameter
    (rounded, so that a printed profile reads like a hand-made one)."""

    def j(key: str) -> float:
        return _jitter(code, key)

    def u(key: str) -> float:  # in [0, 1)
        return (_jitter(code, key) + 1.0) / 2.0

    size = min(1.0, max(0.0, (math.log10(population) - _SMALL) / (_LARGE - _SMALL)))
    rural = 1.0 - size
    named = 0.40 + 0.12 * j("named_gp")
    care_contact = 0.74 + 0.08 * j("care_contact")
    sip_participation = 0.73 + 0.06 * j("sip_participation")
    planned = 0.30 + 0.03 * j("planned")
    return DemoKommun(
        code,
        name,
        population,
        generic_units(name, population),
        aging=round(1.2 - 1.5 * size + 0.3 * j("aging"), 3),
        # The residence town of a large län has a university (Uppsala, Lund, Umeå …).
        students=round(0.3 + 0.5 * u("students"), 3) if rank == 1 and population >= 60_000 else 0.0,
        mobility=round(0.8 + 0.5 * size + 0.1 * j("mobility"), 3),
        outflow=round(1.06 - 0.1 * size + 0.02 * j("outflow"), 3),
        named_gp=(round(named, 3), round(named + 0.04 + 0.06 * j("named_gp_trend"), 3)),
        continuity=round(1.0 + 0.2 * j("continuity"), 3),
        locums=max(1, round(1 + 4 * rural * u("locums"))),
        contacts=round(1.0 + 0.08 * j("contacts"), 3),
        digital=round(1.1 + 0.2 * j("digital"), 3),
        planned=(round(planned, 3), round(planned + 0.02 + 0.03 * u("planned_trend"), 3)),
        home_health=round(1.0 + 0.15 * j("home_health"), 3),
        emergency=round(1.0 - 0.2 * rural + 0.05 * j("emergency"), 3),
        inpatient=round(1.0 + 0.08 * j("inpatient"), 3),
        avoidable=round(0.14 + 0.02 * j("avoidable"), 3),
        readmission=round(0.10 + 0.015 * j("readmission"), 3),
        ready_share=round(0.31 + 0.04 * j("ready_share"), 3),
        ready_days=round(1.8 + 1.0 * j("ready_days"), 2),
        care_contact=(round(care_contact, 3), round(care_contact + 0.02 + 0.04 * u("care_contact_trend"), 3)),
        staff_14d=round(9.0 + 8.0 * size + 1.0 * j("staff_14d"), 1),
        sip=round(1.0 + 0.25 * j("sip"), 3),
        sip_participation=(
            round(sip_participation, 3),
            round(sip_participation + 0.03 + 0.05 * u("sip_participation_trend"), 3),
        ),
        survey=round(3.0 * j("survey"), 1),
        cost=round(1.03 - 0.05 * size + 0.03 * j("cost"), 3),
        absence=round(0.8 * j("absence"), 2),
    )


@cache
def synthetic_kommuner() -> tuple[DemoKommun, ...]:
    """The generated profiles of every kommun without a hand-made one, in code order."""
    geography = load_geography()
    populations = synthetic_populations()
    kommuner = []
    for lan in geography.lan:
        codes = [k.code for k in geography.kommuner_in(lan) if k.code in populations]
        for code, rank in rank_in_lan(codes).items():
            name = geography.kommuner[code].name
            kommuner.append(synthetic_kommun(code, name, populations[code], rank))
    return tuple(sorted(kommuner, key=lambda k: k.code))
