"""Generate the demo extracts: pseudonymised, realistic, the same for the same seed.

The files, and the contract variants each of them exercises:

| file | format |
|---|---|
| population.csv | `,` UTF-8; sex coded 1 (man) / 2 (kvinna) |
| listing_YYYY.csv | `;` Windows-1252 with CRLF line ends; named_gp as ja/nej; four quarterly snapshots |
| contacts_YYYY.csv | `,` UTF-8 (the large files); planned as 1/0 |
| inpatient.csv | `;` UTF-8; dates as YYYYMMDD; acute as 1/0; diagnoses with and without the dot |
| emergency.csv | `,` UTF-8; timestamps `YYYY-MM-DD HH:MM`; ends with ten deliberately bad rows |
| home_care.csv | `;` UTF-8; hours with decimal comma; sex as kvinna/man; named_care_contact as j/n |
| sip.parquet | Parquet with typed columns |
| survey.xlsx | Excel; kommun as numbers (the leading zero dropped, as a spreadsheet does) |
| costs.xlsx | Excel |
| staff_absence.xlsx | Excel; month as real date cells |
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa

from metrics.demo import variants
from metrics.demo.aggregates import costs_table, staff_absence_table, survey_table
from metrics.demo.calendar import quarter_ends
from metrics.demo.columns import hex_ids
from metrics.demo.hospital import inpatient_table, simulate_emergency, simulate_stays
from metrics.demo.municipal import home_care_table, simulate_home_care, simulate_sip
from metrics.demo.population import rng_for
from metrics.demo.primary_care import assign_listing, build_care_units, contacts_table, listing_table
from metrics.demo.register import BASE_YEAR, Register, build_register, population_table
from metrics.demo.selection import REAL_LAN, has_synthetic_population, kommuner_in, lan_names
from metrics.demo.writers import write_csv, write_parquet, write_xlsx
from metrics.errors import MatavlaError
from metrics.wording import thousands

DEFAULT_SEED = 20241231
FIRST_SUPPORTED_YEAR = 2015
# Above 1 every kommun's inhabitants are multiplied (a load test: ×20 of Östergötland is about
# Sweden's population); the kommuner, their care units and doctors stay the same.
MAX_SCALE = 20.0


def generate_demo(
    out_dir: Path,
    *,
    seed: int = DEFAULT_SEED,
    lan: Sequence[str] = ("05", "23"),
    years: Sequence[int] = (2020, 2021, 2022, 2023, 2024),
    scale: float = 1.0,
    progress: Callable[[str], None] | None = None,
) -> list[Path]:
    """Write the demo extracts into out_dir and return their paths.

    `scale` (0 < scale <= MAX_SCALE) multiplies the number of persons, and with them every
    person-level extract; every kommun stays present. At scale 1 the population on
    31 December 2024 is SCB's, kommun by kommun, in Östergötland (05) and Jämtland (23), and
    synthetic (a rank-size rule summing to Sweden's total, metrics/demo/synthetic.py) in the
    other 19 län; above 1 each kommun is that many times larger (for benchmarks: the same
    kommuner, care units and doctors, more inhabitants). `lan`: any of the 21 län codes.
    Raises MatavlaError for years outside 2015–2024 or with a gap, a scale outside
    (0, MAX_SCALE] or an unknown län code.
    """
    years = sorted(set(years))
    shown = ", ".join(str(y) for y in years) or "inga"
    if not years or years[0] < FIRST_SUPPORTED_YEAR or years[-1] > BASE_YEAR:
        raise MatavlaError(f"demodata finns för åren {FIRST_SUPPORTED_YEAR}–{BASE_YEAR}, inte för {shown}")
    if years != list(range(years[0], years[-1] + 1)):
        raise MatavlaError(f"demoåren måste följa på varandra utan lucka, inte {shown}")
    if not 0 < scale <= MAX_SCALE:
        raise MatavlaError(f"skalan måste vara större än 0 och högst {MAX_SCALE:g}, inte {scale:g}")
    say = progress or (lambda _message: None)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    paths: list[Path] = []

    def done(path: Path, rows: int) -> None:
        paths.append(path)
        say(f"  {path.name}: {thousands(rows)} rader ({time.perf_counter() - started:.1f} s)")

    kommuner = kommuner_in(tuple(lan))
    if has_synthetic_population(lan):
        # Said every time: a reader of the board must not take these kommuner's sizes for SCB's.
        say(
            "Obs: befolkningen i kommunerna utanför "
            f"{lan_names(REAL_LAN)} är påhittad (rangstorleksregel som summerar till Sveriges "
            "10 587 710 invånare), inte SCB:s siffror; vårdmönstren är påhittade överallt."
        )
    reg = build_register(kommuner, seed=seed, first_year=years[0], scale=scale)
    say(f"Personregister: {len(reg):,} personer".replace(",", " "))

    population = variants.sex_as_digits(population_table(reg, years))
    done(write_csv(population, out_dir / "population.csv"), population.num_rows)

    units = build_care_units(reg.kommuner, seed)
    listing = assign_listing(reg, units, seed)
    for year in years:
        snapshots = [listing_table(reg, units, listing, int(day)) for day in quarter_ends([year])]
        table = variants.bool_as(pa.concat_tables(snapshots), "named_gp", "ja", "nej")
        path = write_csv(table, out_dir / f"listing_{year}.csv", delimiter=";", encoding="cp1252", eol="\r\n")
        done(path, table.num_rows)

    home_care = simulate_home_care(reg, years, seed)
    for year in years:
        table = variants.bool_as(
            contacts_table(reg, units, listing, home_care, year, seed), "planned", "1", "0"
        )
        done(write_csv(table, out_dir / f"contacts_{year}.csv"), table.num_rows)

    stays = simulate_stays(reg, years, seed)
    table = variants.dates_compact(
        inpatient_table(reg, stays), "admission_date", "discharge_date", "ready_for_discharge_date"
    )
    table = variants.bool_as(table, "acute", "1", "0")
    done(write_csv(table, out_dir / "inpatient.csv", delimiter=";"), table.num_rows)

    table = variants.bool_as(simulate_emergency(reg, stays, years, seed), "admitted", "true", "false")
    table = variants.append_rows(table, _bad_emergency_rows(reg, years[-1], seed))
    done(write_csv(table, out_dir / "emergency.csv"), table.num_rows)

    table = variants.sex_as_words(home_care_table(reg, home_care))
    table = variants.bool_as(variants.with_decimal_comma(table, "hours"), "named_care_contact", "j", "n")
    done(write_csv(table, out_dir / "home_care.csv", delimiter=";"), table.num_rows)

    table = simulate_sip(reg, home_care, years, seed)
    done(write_parquet(table, out_dir / "sip.parquet"), table.num_rows)

    table = variants.kommun_as_number(survey_table(reg, years, seed))
    done(write_xlsx(table, out_dir / "survey.xlsx", sheet="Patientenkät"), table.num_rows)
    table = costs_table(reg, years, seed)
    done(write_xlsx(table, out_dir / "costs.xlsx", sheet="Kostnader"), table.num_rows)
    table = staff_absence_table(reg, years, seed)
    done(write_xlsx(table, out_dir / "staff_absence.xlsx", sheet="Sjukfrånvaro"), table.num_rows)
    return paths


def _bad_emergency_rows(reg: Register, year: int, seed: int) -> list[dict[str, object]]:
    """Ten rows the import must reject: an unknown kommun, an impossible age, departure before arrival."""
    rng = rng_for(seed, "bad_rows")
    ids = hex_ids("P", rng.integers(0, 2**32, 10, dtype=np.uint64)).to_pylist()
    code = reg.kommuner[0].code
    rows: list[dict[str, object]] = []
    for i, pid in enumerate(ids):
        rows.append(
            {
                "visit_id": f"AK{year % 100:02d}-X{i + 1:06d}",
                "person_id": pid,
                "kommun": "9999" if i < 4 else code,
                "sex": "K" if i % 2 else "M",
                "age": 130 if 4 <= i < 7 else 70 + i,
                "arrival": f"{year}-11-{10 + i:02d} 14:{10 + i:02d}",
                "departure": f"{year}-11-{10 + i:02d} {'12' if i >= 7 else '18'}:{20 + i:02d}",
                "admitted": "false",
            }
        )
    return rows
