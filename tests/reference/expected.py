"""The 16 core indicators in plain pandas, from core-indicators.md (version 1.1) and nothing else.

Written from the contract's table and rules, not from metrics/compute: each indicator says which
rows it counts (its *universe*: the source rows after the indicator's own filters), what a row
or a person adds to the numerator and the denominator, and which periods and breakdowns it has.
The rules shared by all are applied once, in `expected_cells`:

- periods: year always; quarter and month where the events are dated and the indicator is not
  population-based;
- breakdowns by sex and age band (settings' lower limits 0, 20, 65, 75, 85, clipped to the
  indicator's age limit) wherever the source has sex and age;
- a `per 1 000` (or per 100 000, per inhabitant) indicator divides by `population` of the
  period's year, filtered to the same sex and age band;
- persons are counted under the kommun of the rows that count them; a person with such rows in
  several kommuner in one period (a mover) counts once, under the kommun (and sex and age band)
  of their latest row in the period: so the län counts distinct persons and still equals the
  sum of its kommuner. The per-person measures (COC, latest month) use all the person's rows in
  the period, wherever they were;
- coverage: a covered kommun × period × breakdown with no events has numerator 0 and its full
  denominator; a kommun × period no delivery covers is "saknas" and stays out of its län's (and
  area group's) numerator and denominator;
- län and area group = Σ numerator / Σ denominator over their covered kommuner.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tests.reference.data import COVERAGE, KOMMUNER, LAN, YEARS

AGE_BANDS = (0, 20, 65, 75, 85)
AVOIDABLE_CODES = ("I10", "I11", "I20", "I50", "J44", "J45", "E10", "E11", "E86", "D50", "N390")
DATED = ("year", "quarter", "month")
GROUPS = {"blekinge_vast": ("1060", "1082", "1083"), "blekinge_ost": ("1080", "1081")}
GROUP_LEVEL = "omrade"
KEY = ("indicator", "area_code", "area_level", "period", "breakdown", "sex", "age_band")

Tables = dict[str, pd.DataFrame]
Reducer = Callable[[pd.DataFrame, list[str]], pd.DataFrame]


@dataclass(frozen=True)
class Indicator:
    id: str
    source: str  # whose deliveries decide coverage
    periods: tuple[str, ...]
    multiplier: float
    universe: Callable[[Tables], pd.DataFrame]  # kommun, date, sex, age, person_id, num, den, ...
    population_age: int | None = None  # not None: the denominator is population aged >= this
    breakdowns: bool = True
    reduce: Reducer | None = None  # per-person measures: rows of a group -> one row per person
    # (a measure with `reduce` counts persons: each once per period, under their latest row)
    snapshot_last: bool = False  # only each kommun's last snapshot in the period counts

    @property
    def bands(self) -> tuple[int, ...]:
        low = self.population_age or 0
        if self.id == "aterinskrivning_30d_65":  # age >= 65 filter, row-based denominator
            low = 65
        return tuple(sorted({max(b, low) for b in AGE_BANDS}))


def band_label(age: int, bands: tuple[int, ...]) -> str:
    i = int(np.searchsorted(bands, age, side="right")) - 1
    if i < 0:
        raise ValueError(f"age {age} below the first band {bands[0]}")
    return f"{bands[i]}+" if i == len(bands) - 1 else f"{bands[i]}-{bands[i + 1] - 1}"


def band_labels(bands: tuple[int, ...]) -> dict[int, str]:
    """Age (0–120) -> its band's label, for ages from the first band's lower limit."""
    return {age: band_label(age, bands) for age in range(bands[0], 121)}


def period_label(dates: pd.Series, ptype: str) -> pd.Series:
    d = pd.to_datetime(dates)
    if ptype == "year":
        return d.dt.year.astype(str)
    if ptype == "quarter":
        return d.dt.year.astype(str) + "-Q" + d.dt.quarter.astype(str)
    return d.dt.strftime("%Y-%m")


def all_periods(ptype: str, years: tuple[int, ...]) -> list[tuple[str, int]]:
    """(label, year) of every period in the given years."""
    if ptype == "year":
        return [(str(y), y) for y in years]
    if ptype == "quarter":
        return [(f"{y}-Q{q}", y) for y in years for q in range(1, 5)]
    return [(f"{y}-{m:02d}", y) for y in years for m in range(1, 13)]


# --- the universes: rows each indicator counts, with what each adds ---------------------------


def _rows(df: pd.DataFrame, date: str, num: pd.Series | float, den: pd.Series | float = 1.0) -> pd.DataFrame:
    out = pd.DataFrame({"kommun": df["kommun"], "date": pd.to_datetime(df[date])})
    for col in ("sex", "age", "person_id"):
        if col in df:
            out[col] = df[col]
    out["num"] = num
    out["den"] = den
    return out.astype({"num": float, "den": float})


def _contacts(t: Tables) -> pd.DataFrame:
    return t["contacts"]


def fast_lakarkontakt(t: Tables) -> pd.DataFrame:
    ls = t["listing"]
    out = _rows(ls, "snapshot_date", 0.0)
    out["named"] = ls["named_gp"].astype(bool)
    return out


def kontinuitet_lakare(t: Tables) -> pd.DataFrame:
    c = t["contacts"]
    c = c[(c["profession"] == "lakare") & (c["staff_id"].fillna("") != "")]
    out = _rows(c, "contact_date", 0.0)
    out["staff_id"] = c["staff_id"]
    return out


def coc(rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """One row per person with N >= 2: num = (Σ n_i² − N) / (N (N − 1)), den = 1."""
    n_i = rows.groupby([*keys, "person_id", "staff_id"]).size().rename("n").reset_index()
    n_i["sq"] = n_i["n"].astype(float) ** 2
    per = n_i.groupby([*keys, "person_id"]).agg(N=("n", "sum"), sq=("sq", "sum")).reset_index()
    per = per[per["N"] >= 2]
    per["num"] = (per["sq"] - per["N"]) / (per["N"] * (per["N"] - 1))
    per["den"] = 1.0
    return per


def fast_omsorgskontakt(t: Tables) -> pd.DataFrame:
    hc = t["home_care"]
    out = _rows(hc, "month", 0.0)
    out["named"] = hc["named_care_contact"].astype(bool)
    return out


def latest_named(rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """One row per person: num = `named` (care contact, GP) on their latest row, den = 1."""
    last = rows.sort_values("date").groupby([*keys, "person_id"]).tail(1).copy()
    last["num"] = last["named"].astype(float)
    last["den"] = 1.0
    return last


def personalkontinuitet_hemtjanst(t: Tables) -> pd.DataFrame:
    hc = t["home_care"]
    hc = hc[hc["staff_14d"].notna()]
    return _rows(hc, "month", hc["staff_14d"].astype(float))


def digitala_kontakter(t: Tables) -> pd.DataFrame:
    c = _contacts(t)
    return _rows(c, "contact_date", c["mode"].isin(["video", "chatt"]).astype(float))


def proaktiva_kontakter(t: Tables) -> pd.DataFrame:
    c = _contacts(t)
    return _rows(c, "contact_date", c["planned"].astype(float))


def hembesok_75(t: Tables) -> pd.DataFrame:
    c = _contacts(t)
    c = c[c["age"] >= 75]
    return _rows(c, "contact_date", (c["mode"] == "hembesok").astype(float), 0.0)


def akutbesok_75(t: Tables) -> pd.DataFrame:
    e = t["emergency"]
    e = e[e["age"] >= 75]
    return _rows(e, "arrival", 1.0, 0.0)


def readmitted(inpatient: pd.DataFrame) -> pd.Series:
    """Per stay: an acute admission of the same person 1–30 days after its discharge date."""
    acute = inpatient.loc[inpatient["acute"].astype(bool), ["person_id", "admission_date"]]
    pairs = inpatient[["stay_id", "person_id", "discharge_date"]].merge(acute, on="person_id")
    gap = (pd.to_datetime(pairs["admission_date"]) - pd.to_datetime(pairs["discharge_date"])).dt.days
    hit = set(pairs.loc[(gap >= 1) & (gap <= 30), "stay_id"])
    return inpatient["stay_id"].isin(hit)


def aterinskrivning_30d_65(t: Tables) -> pd.DataFrame:
    ip = t["inpatient"]
    flag = readmitted(ip)  # over the whole table: the readmission may be younger, elsewhere, later
    keep = ip["age"] >= 65
    return _rows(ip[keep], "discharge_date", flag[keep].astype(float))


def utskrivningsklara_dagar_65(t: Tables) -> pd.DataFrame:
    ip = t["inpatient"]
    ip = ip[(ip["age"] >= 65) & ip["ready_for_discharge_date"].notna()]
    days = (pd.to_datetime(ip["discharge_date"]) - pd.to_datetime(ip["ready_for_discharge_date"])).dt.days
    return _rows(ip, "discharge_date", days.astype(float), 0.0)


def avoidable(diagnosis: pd.Series) -> pd.Series:
    code = diagnosis.str.replace(".", "", regex=False).str.upper()
    return code.apply(lambda c: any(c.startswith(prefix) for prefix in AVOIDABLE_CODES))


def undvikbar_slutenvard(t: Tables) -> pd.DataFrame:
    ip = t["inpatient"]
    hit = ip["acute"].astype(bool) & avoidable(ip["main_diagnosis"])
    return _rows(ip, "admission_date", hit.astype(float), 0.0)


def _yearly(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["date"] = pd.to_datetime(out["year"].astype(str) + "-01-01")
    return out


def kostnad_per_invanare(t: Tables) -> pd.DataFrame:
    c = _yearly(t["costs"])
    return _rows(c, "date", c["amount_sek"].astype(float), 0.0)


def sip_per_1000(t: Tables) -> pd.DataFrame:
    return _rows(t["sip"], "start_date", 1.0, 0.0)


def sip_delaktighet(t: Tables) -> pd.DataFrame:
    s = t["sip"]
    return _rows(s, "start_date", s["person_participated"].astype(float))


def npe_delaktighet(t: Tables) -> pd.DataFrame:
    s = _yearly(t["survey"])
    s = s[s["dimension"] == "delaktighet_och_involvering"]
    return _rows(s, "date", s["positive"].astype(float), s["responses"].astype(float))


def sjukfranvaro_personal(t: Tables) -> pd.DataFrame:
    a = t["staff_absence"]
    return _rows(a, "month", a["absence_hours"].astype(float), a["scheduled_hours"].astype(float))


INDICATORS = (
    Indicator(
        "fast_lakarkontakt", "listing", DATED, 100, fast_lakarkontakt, snapshot_last=True, reduce=latest_named
    ),
    Indicator("kontinuitet_lakare", "contacts", DATED, 1, kontinuitet_lakare, reduce=coc),
    Indicator("fast_omsorgskontakt", "home_care", DATED, 100, fast_omsorgskontakt, reduce=latest_named),
    Indicator("personalkontinuitet_hemtjanst", "home_care", DATED, 1, personalkontinuitet_hemtjanst),
    Indicator("digitala_kontakter", "contacts", DATED, 100, digitala_kontakter),
    Indicator("hembesok_75", "contacts", ("year",), 1000, hembesok_75, population_age=75),
    Indicator("akutbesok_75", "emergency", ("year",), 1000, akutbesok_75, population_age=75),
    Indicator("aterinskrivning_30d_65", "inpatient", DATED, 100, aterinskrivning_30d_65),
    Indicator(
        "utskrivningsklara_dagar_65",
        "inpatient",
        ("year",),
        1000,
        utskrivningsklara_dagar_65,
        population_age=65,
    ),
    Indicator(
        "undvikbar_slutenvard", "inpatient", ("year",), 100_000, undvikbar_slutenvard, population_age=0
    ),
    Indicator(
        "kostnad_per_invanare",
        "costs",
        ("year",),
        1,
        kostnad_per_invanare,
        population_age=0,
        breakdowns=False,
    ),
    Indicator("proaktiva_kontakter", "contacts", DATED, 100, proaktiva_kontakter),
    Indicator("sip_per_1000", "sip", ("year",), 1000, sip_per_1000, population_age=0),
    Indicator("sip_delaktighet", "sip", DATED, 100, sip_delaktighet),
    Indicator("npe_delaktighet", "survey", ("year",), 100, npe_delaktighet, breakdowns=False),
    Indicator("sjukfranvaro_personal", "staff_absence", DATED, 100, sjukfranvaro_personal, breakdowns=False),
)
BY_ID = {i.id: i for i in INDICATORS}


# --- the shared rules ---------------------------------------------------------------------------


def _breakdowns(ind: Indicator) -> list[tuple[str, str | None, str | None]]:
    """(breakdown, sex, age_band) of every cell of one kommun × period."""
    cells: list[tuple[str, str | None, str | None]] = [("total", None, None)]
    if ind.breakdowns:
        cells += [("sex", s, None) for s in ("K", "M")]
        bands = ind.bands
        cells += [("age_band", None, band_label(b, bands)) for b in bands]
    return cells


def _population(t: Tables, ind: Indicator) -> pd.DataFrame:
    """Population per kommun, year and breakdown cell, aged >= the indicator's limit."""
    assert ind.population_age is not None
    pop = t["population"]
    pop = pop[pop["age"] >= ind.population_age].copy()
    pop["age_band"] = pop["age"].astype(int).map(band_labels(ind.bands))
    parts = [pop.groupby(["kommun", "year"])["count"].sum().reset_index().assign(breakdown="total")]
    if ind.breakdowns:
        parts.append(
            pop.groupby(["kommun", "year", "sex"])["count"].sum().reset_index().assign(breakdown="sex")
        )
        parts.append(
            pop.groupby(["kommun", "year", "age_band"])["count"]
            .sum()
            .reset_index()
            .assign(breakdown="age_band")
        )
    out = pd.concat(parts, ignore_index=True)
    return out


def _under_latest_row(rows: pd.DataFrame, breakdowns: bool) -> pd.DataFrame:
    """Every row of a person in a period moved under the kommun, sex and band of their latest row."""
    where = ["kommun", *(["sex", "age_band"] if breakdowns else [])]
    latest = rows.sort_values("date", kind="stable").groupby(["period", "person_id"]).tail(1)
    moved = rows.drop(columns=where).merge(
        latest[["period", "person_id", *where]], on=["period", "person_id"]
    )
    assert len(moved) == len(rows)
    return moved


def _text(value: object) -> str | None:
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def kommun_cells(t: Tables, ind: Indicator) -> pd.DataFrame:
    """Numerator and denominator of every kommun cell that has rows in the indicator's universe."""
    base = ind.universe(t)
    if ind.breakdowns:
        base = base.assign(age_band=base["age"].astype(int).map(band_labels(ind.bands)))
    frames = []
    for ptype in ind.periods:
        rows = base.assign(period=period_label(base["date"], ptype))
        if ind.snapshot_last:
            last = rows.groupby(["kommun", "period"])["date"].transform("max")
            rows = rows[rows["date"] == last]
        if ind.reduce is not None:
            rows = _under_latest_row(rows, ind.breakdowns)
        for breakdown in ("total", "sex", "age_band") if ind.breakdowns else ("total",):
            extra = {"total": [], "sex": ["sex"], "age_band": ["age_band"]}[breakdown]
            keys = ["kommun", "period", *extra]
            units = ind.reduce(rows, keys) if ind.reduce else rows
            agg = units.groupby(keys).agg(numerator=("num", "sum"), denominator=("den", "sum")).reset_index()
            n_rows = rows.groupby(keys).size().rename("rows").reset_index()
            agg = n_rows.merge(agg, on=keys, how="left").fillna({"numerator": 0.0, "denominator": 0.0})
            frames.append(agg.assign(period_type=ptype, breakdown=breakdown))
    out = pd.concat(frames, ignore_index=True)
    for col in ("sex", "age_band"):
        if col not in out:
            out[col] = None
    return out


def expected_cells(
    t: Tables,
    ind: Indicator,
    coverage: dict[str, set[tuple[str, int]]] = COVERAGE,
    years: tuple[int, ...] = YEARS,
) -> pd.DataFrame:
    """Every cell the results must have for one indicator, kommun, län and area groups.

    `coverage` maps a source to the (kommun, year) pairs its deliveries cover (whole years).
    Columns: KEY, period_type, numerator, denominator, value, saknas (no delivery covers it),
    has_rows (events in the cell, or, for a län or group, in each covered member) and optional
    (denominator 0: the value is undefined, so the engine may leave the cell out).
    """
    found = kommun_cells(t, ind)
    found_by_key = {
        (r.kommun, r.period, r.breakdown, _text(r.sex), _text(r.age_band)): r
        for r in found.itertuples(index=False)
    }
    pop = _population(t, ind) if ind.population_age is not None else None
    pop_by_key = {}
    if pop is not None:
        for r in pop.itertuples(index=False):
            key = (
                r.kommun,
                r.year,
                r.breakdown,
                _text(getattr(r, "sex", None)),
                _text(getattr(r, "age_band", None)),
            )
            pop_by_key[key] = float(r.count)

    rows = []
    for ptype in ind.periods:
        for period, year in all_periods(ptype, years):
            for k in KOMMUNER:
                covered = (k, year) in coverage[ind.source]
                for breakdown, sex, band in _breakdowns(ind):
                    hit = found_by_key.get((k, period, breakdown, sex, band))
                    num = float(hit.numerator) if hit is not None else 0.0
                    den = float(hit.denominator) if hit is not None else 0.0
                    if pop is not None:
                        den = pop_by_key.get((k, year, breakdown, sex, band), 0.0)
                    if not covered:
                        assert hit is None, f"{ind.id}: rows in {k} {period}, which no delivery covers"
                    rows.append(
                        (
                            k,
                            "kommun",
                            period,
                            ptype,
                            breakdown,
                            sex,
                            band,
                            num,
                            den,
                            not covered,
                            hit is not None,
                        )
                    )
    cells = pd.DataFrame(
        rows,
        columns=[
            "area_code",
            "area_level",
            "period",
            "period_type",
            "breakdown",
            "sex",
            "age_band",
            "numerator",
            "denominator",
            "saknas",
            "has_rows",
        ],
    )

    def roll_up(members: tuple[str, ...], code: str, level: str) -> pd.DataFrame:
        part = cells[cells["area_code"].isin(members) & (cells["area_level"] == "kommun")]
        keys = ["period", "period_type", "breakdown", "sex", "age_band"]
        covered = part[~part["saknas"]]
        # A covered member without events still counts: with its full denominator it changes the
        # sum whenever that denominator is not 0.
        flags = covered.assign(
            any_rows=covered["has_rows"].astype(int),
            quiet=(~covered["has_rows"] & (covered["denominator"] != 0)).astype(int),
        )
        agg = (
            flags.groupby(keys, dropna=False)[["numerator", "denominator", "any_rows", "quiet"]]
            .sum()
            .reset_index()
        )
        agg["has_rows"] = (agg["any_rows"] > 0) & (agg["quiet"] == 0)
        missing = part.assign(saknas=part["saknas"].astype(int)).groupby(keys, dropna=False)["saknas"].min()
        missing = (missing == 1).reset_index()
        out = missing.merge(agg.drop(columns=["any_rows", "quiet"]), on=keys, how="left")
        out = out.fillna({"numerator": 0.0, "denominator": 0.0, "has_rows": False})
        return out.assign(area_code=code, area_level=level)

    aggregates = [roll_up(KOMMUNER, LAN, "lan")]
    aggregates += [roll_up(members, gid, GROUP_LEVEL) for gid, members in GROUPS.items()]
    cells = pd.concat([cells, *aggregates], ignore_index=True)
    cells["indicator"] = ind.id
    cells.loc[cells["saknas"], ["numerator", "denominator"]] = np.nan
    den = cells["denominator"]
    cells["value"] = np.where(den > 0, cells["numerator"] / den.where(den > 0) * ind.multiplier, np.nan)
    cells["optional"] = ~cells["saknas"] & (den == 0)
    cells["has_rows"] = cells["has_rows"].astype(bool)
    return cells[[*KEY, "period_type", "numerator", "denominator", "value", "saknas", "has_rows", "optional"]]
