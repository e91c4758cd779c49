"""The hand-made demo kommuner of Östergötland (05) and Jämtland (23): real codes, names and
2024 population, invented care patterns.

Population on 31 December 2024 is SCB's (Folkmängd i riket, län och kommuner) for these
21 kommuner only; the other 269 kommuner of Sweden get generated profiles with a SYNTHETIC
population (metrics/demo/synthetic.py). Everything else here is a made-up profile chosen
so that the demo dashboard has a story to tell: kommuner that improve their named-GP share
and those that do not, rural kommuner with many locum doctors and poor continuity, a large
town with long waits for discharge. No value describes a real vårdcentral or kommun.
"""

from __future__ import annotations

from dataclasses import dataclass

Trend = tuple[float, float]  # (value on 1 January 2020, value on 31 December 2024), linear between


@dataclass(frozen=True)
class CareUnit:
    name: str
    provider: str  # "region" or "private"
    weight: float  # relative share of the kommun's listed inhabitants


@dataclass(frozen=True)
class DemoKommun:
    code: str
    name: str
    population_2024: int  # SCB's for the profiles below; rank-size for the generated ones
    units: tuple[CareUnit, ...]
    aging: float = 0.0  # > 0 shifts the age pyramid towards the old, < 0 towards the young
    students: float = 0.0  # extra young adults aged 19-26 (university towns)
    mobility: float = 1.0  # how many move in and out each year, relative to the average
    outflow: float = 1.0  # out-migration relative to in-migration (> 1: a shrinking kommun)
    named_gp: Trend = (0.40, 0.42)  # share of listed persons with a named GP
    continuity: float = 1.0  # how often a patient meets their own doctor, relative
    locums: int = 2  # hyrläkare per vårdcentral, who see patients at random
    contacts: float = 1.0  # primary-care contacts per inhabitant, relative
    digital: float = 1.0  # digital share of contacts, relative
    planned: Trend = (0.30, 0.32)  # base share of planned contacts
    home_health: float = 1.0  # kommunal hemsjukvård visits, relative
    emergency: float = 1.0  # emergency-department visits, relative (distance matters)
    inpatient: float = 1.0  # hospital stays, relative
    avoidable: float = 0.13  # share of acute stays of the elderly with an avoidable diagnosis
    readmission: float = 0.09  # chance that a stay of a person aged 65+ is followed by a readmission
    ready_share: float = 0.30  # share of stays of persons aged 65+ reported utskrivningsklar
    ready_days: float = 1.5  # mean days from utskrivningsklar to discharge
    care_contact: Trend = (0.72, 0.75)  # hemtjänst recipients with a named fast omsorgskontakt
    staff_14d: float = 12.0  # mean distinct staff in 14 days (personalkontinuitet)
    sip: float = 1.0  # SIP starts, relative
    sip_participation: Trend = (0.72, 0.76)
    survey: float = 0.0  # patient-survey offset, percentage points
    cost: float = 1.0  # cost level, relative
    absence: float = 0.0  # staff sick-leave offset, percentage points

    @property
    def lan(self) -> str:
        return self.code[:2]


def _units(*names: str, private: tuple[str, ...] = ()) -> tuple[CareUnit, ...]:
    """Care units of equal size, the first with a larger share (the central one)."""
    units = [CareUnit(n, "region", 1.6 if i == 0 else 1.0) for i, n in enumerate(names)]
    units += [CareUnit(n, "private", 0.9) for n in private]
    return tuple(units)


# fmt: off
KOMMUNER: tuple[DemoKommun, ...] = (
    # --- Östergötlands län (05) ---
    DemoKommun(
        "0509", "Ödeshög", 5237, _units("Vårdcentralen Ödeshög"),
        aging=1.1, mobility=0.8, outflow=1.05, named_gp=(0.46, 0.47), continuity=0.9,
        home_health=1.2, ready_days=1.2, staff_14d=9.5, survey=2.0, cost=1.04,
    ),
    DemoKommun(
        "0512", "Ydre", 3626, _units("Vårdcentralen Österbymo"),
        aging=1.3, mobility=0.7, outflow=1.08, named_gp=(0.60, 0.63), continuity=1.25, locums=1,
        home_health=1.3, emergency=0.8, care_contact=(0.86, 0.88), staff_14d=8.6,
        sip_participation=(0.82, 0.86), survey=5.0, cost=1.05,
    ),
    DemoKommun(
        "0513", "Kinda", 9957, _units("Vårdcentralen Kisa", "Vårdcentralen Rimforsa"),
        aging=0.8, mobility=0.8, outflow=1.03, named_gp=(0.50, 0.52), continuity=1.05,
        staff_14d=10.0, survey=2.0,
    ),
    DemoKommun(
        "0560", "Boxholm", 5517, _units("Vårdcentralen Boxholm"),
        aging=0.5, mobility=0.9, named_gp=(0.42, 0.40), continuity=0.85, locums=3,
        staff_14d=10.5, sip=0.8,
    ),
    DemoKommun(
        "0561", "Åtvidaberg", 11467, _units("Vårdcentralen Åtvidaberg"),
        aging=0.6, mobility=0.85, outflow=1.02, named_gp=(0.38, 0.41), staff_14d=11.0,
    ),
    DemoKommun(
        "0562", "Finspång", 21623, _units("Vårdcentralen Finspång", private=("Läkarhuset Grosvad",)),
        aging=0.35, outflow=1.01, named_gp=(0.27, 0.25), continuity=0.7, locums=5, avoidable=0.16,
        readmission=0.11, staff_14d=14.0, survey=-4.0, absence=1.2,
    ),
    DemoKommun(
        "0563", "Valdemarsvik", 7525, _units("Vårdcentralen Valdemarsvik"),
        aging=1.0, mobility=0.8, outflow=1.04, named_gp=(0.48, 0.50), home_health=1.15,
        staff_14d=9.5, cost=1.03,
    ),
    DemoKommun(
        "0580", "Linköping", 168035,
        _units(
            "Vårdcentralen Ekholmen", "Vårdcentralen Ryd", "Vårdcentralen Skäggetorp",
            "Vårdcentralen Berga", "Vårdcentralen Lambohov", "Vårdcentralen Kärna",
            "Vårdcentralen Johannelund", "Vårdcentralen Linghem", "Vårdcentralen Ljungsbro",
            private=(
                "Läkarhuset Vasastaden", "Läkarhuset Valla", "Läkarhuset Åbylund", "Läkarhuset Hjulsbro",
            ),
        ),
        aging=-0.45, students=1.0, mobility=1.3, outflow=0.93, named_gp=(0.30, 0.56), continuity=1.05,
        digital=1.15, planned=(0.27, 0.36), ready_days=1.3, staff_14d=16.0, sip=1.1,
        sip_participation=(0.70, 0.80), survey=1.0, absence=-0.5,
    ),
    DemoKommun(
        "0581", "Norrköping", 144980,
        _units(
            "Vårdcentralen Hageby", "Vårdcentralen Navestad", "Vårdcentralen Kneippen",
            "Vårdcentralen Vrinnevi", "Vårdcentralen Åby", "Vårdcentralen Kolmården",
            "Vårdcentralen Skärblacka", "Vårdcentralen Ingelsta",
            private=("Läkarhuset Söder", "Läkarhuset Lindö", "Läkarhuset Ektorp"),
        ),
        aging=-0.1, students=0.3, mobility=1.2, outflow=0.97, named_gp=(0.24, 0.27), continuity=0.8,
        locums=3, digital=1.1, planned=(0.26, 0.27), emergency=1.06, avoidable=0.155, readmission=0.11,
        ready_share=0.36, ready_days=3.6, care_contact=(0.63, 0.65), staff_14d=18.5,
        sip_participation=(0.64, 0.66), survey=-3.0, absence=1.0,
    ),
    DemoKommun(
        "0582", "Söderköping", 14789, _units("Vårdcentralen Söderköping"),
        aging=0.55, outflow=0.98, named_gp=(0.44, 0.46), continuity=1.05, staff_14d=11.5, survey=2.0,
    ),
    DemoKommun(
        "0583", "Motala", 43505,
        _units(
            "Vårdcentralen Motala Centrum", "Vårdcentralen Charlottenborg", "Vårdcentralen Borensberg",
            private=("Läkarhuset Motala",),
        ),
        aging=0.15, outflow=0.99, named_gp=(0.33, 0.58), continuity=1.0, planned=(0.28, 0.38),
        home_health=1.1, care_contact=(0.68, 0.84), staff_14d=14.5, sip=1.3,
        sip_participation=(0.66, 0.82), survey=0.5,
    ),
    DemoKommun(
        "0584", "Vadstena", 7490, _units("Vårdcentralen Vadstena"),
        aging=1.0, mobility=0.85, named_gp=(0.55, 0.57), continuity=1.1, staff_14d=9.0, survey=3.0,
        cost=1.04,
    ),
    DemoKommun(
        "0586", "Mjölby", 28695,
        _units("Vårdcentralen Mjölby", "Vårdcentralen Skänninge", private=("Läkarhuset Mjölby",)),
        aging=0.05, outflow=0.96, named_gp=(0.36, 0.39), staff_14d=13.0,
    ),
    # --- Jämtlands län (23) ---
    DemoKommun(
        "2303", "Ragunda", 5146, _units("Hälsocentralen Hammarstrand"),
        aging=1.3, mobility=0.8, outflow=1.1, named_gp=(0.24, 0.22), continuity=0.55, locums=6,
        digital=1.3, emergency=0.75, avoidable=0.18, readmission=0.12, ready_days=2.5,
        care_contact=(0.74, 0.72), staff_14d=10.5, cost=1.08, absence=0.8,
    ),
    DemoKommun(
        "2305", "Bräcke", 6035, _units("Hälsocentralen Bräcke"),
        aging=1.0, mobility=0.8, outflow=1.06, named_gp=(0.35, 0.37), continuity=0.8, locums=4,
        digital=1.3, emergency=0.8, staff_14d=10.0, cost=1.05,
    ),
    DemoKommun(
        "2309", "Krokom", 15680, _units("Hälsocentralen Krokom", "Hälsocentralen Föllinge"),
        aging=-0.05, outflow=0.97, named_gp=(0.43, 0.46), digital=1.2, staff_14d=11.0, survey=1.0,
    ),
    DemoKommun(
        "2313", "Strömsund", 11023,
        _units("Hälsocentralen Strömsund", "Hälsocentralen Hammerdal", "Hälsocentralen Gäddede"),
        aging=1.3, mobility=0.75, outflow=1.09, named_gp=(0.22, 0.21), continuity=0.55, locums=6,
        digital=1.35, emergency=0.7, avoidable=0.17, readmission=0.12, ready_days=2.2,
        staff_14d=11.5, cost=1.09, absence=1.0, survey=-2.0,
    ),
    DemoKommun(
        "2321", "Åre", 12693, _units("Hälsocentralen Järpen", "Hälsocentralen Åre"),
        aging=-0.35, mobility=1.4, outflow=0.92, named_gp=(0.31, 0.35), continuity=0.9, locums=3,
        digital=1.25, emergency=0.95, staff_14d=11.0,
    ),
    DemoKommun(
        "2326", "Berg", 7108, _units("Hälsocentralen Svenstavik", "Hälsocentralen Myrviken"),
        aging=1.3, mobility=0.8, outflow=1.05, named_gp=(0.52, 0.55), continuity=1.1, digital=1.3,
        emergency=0.75, care_contact=(0.82, 0.86), staff_14d=9.0, sip=1.4,
        sip_participation=(0.78, 0.86), cost=1.06,
    ),
    DemoKommun(
        "2361", "Härjedalen", 10175,
        _units("Hälsocentralen Sveg", "Hälsocentralen Funäsdalen", "Hälsocentralen Hede"),
        aging=1.2, mobility=0.9, outflow=1.06, named_gp=(0.26, 0.28), continuity=0.6, locums=5,
        digital=1.4, emergency=0.78, avoidable=0.16, readmission=0.115, ready_share=0.34, ready_days=3.2,
        staff_14d=12.5, cost=1.1, absence=0.6,
    ),
    DemoKommun(
        "2380", "Östersund", 64979,
        _units(
            "Hälsocentralen Odenslund", "Hälsocentralen Lugnvik", "Hälsocentralen Torvalla",
            "Hälsocentralen Brittsbo", "Hälsocentralen Frösön", "Hälsocentralen Brunflo",
            private=("Läkarhuset Storsjön", "Läkarhuset Kärnan"),
        ),
        aging=-0.2, students=0.5, mobility=1.15, outflow=0.96, named_gp=(0.29, 0.57), continuity=1.0,
        digital=1.2, planned=(0.29, 0.37), staff_14d=15.5, sip=1.5, sip_participation=(0.70, 0.84),
        survey=1.0,
    ),
)
# fmt: on

# A nationwide digital provider that anyone can use for chatt and video.
DIGITAL_UNIT = CareUnit("Nätvårdcentralen Digital", "private", 0.0)
