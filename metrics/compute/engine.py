"""Compute every indicator into the `results` table.

Each indicator is computed on its own: one that fails is reported by id and
recorded in `indicator_runs`; the others are written. The whole `results`
table is replaced in one transaction, so the dashboard never sees half a run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb
import numpy as np
import pandas as pd

from metrics.catalogue.model import Catalogue, Indicator
from metrics.compute.sqlgen import AREAS_TABLE, indicator_sql
from metrics.db import set_meta
from metrics.geography import load_geography
from metrics.stats.intervals import rate_interval, wilson_interval
from metrics.stats.suppression import (
    Equation,
    SuppressionRule,
    equations_from_pairs,
    primary_suppression,
    secondary_suppression,
)

RESULT_COLUMNS = [
    "indicator",
    "area_code",
    "area_level",
    "period",
    "period_type",
    "period_start",
    "breakdown",
    "sex",
    "age_band",
    "numerator",
    "denominator",
    "value",
    "ci_low",
    "ci_high",
    "suppressed",
    "suppression",
]


@dataclass(frozen=True)
class RunReport:
    indicator: str
    ok: bool
    rows: int
    seconds: float
    message: str | None = None


def write_areas(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> None:
    """The kommun → area map used by every roll-up: itself, its län, and its configured groups."""
    geography = load_geography()
    rows: list[tuple[str, str, str]] = []
    for kommun in geography.kommuner.values():
        rows.append((kommun.code, kommun.code, "kommun"))
        rows.append((kommun.code, kommun.lan, "lan"))
    for level in catalogue.area_levels:
        for group in level.groups:
            rows.extend((code, group.id, level.level) for code in group.kommuner)
    con.execute(
        f"CREATE OR REPLACE TABLE {AREAS_TABLE} (kommun VARCHAR, area_code VARCHAR, area_level VARCHAR)"
    )
    con.executemany(f"INSERT INTO {AREAS_TABLE} VALUES (?, ?, ?)", rows)


def period_labels(period_type: pd.Series, period_start: pd.Series) -> pd.Series:
    """'2024', '2024-Q1' or '2024-01'."""
    start = pd.to_datetime(period_start)
    year = start.dt.year.astype(str)
    quarter = year + "-Q" + start.dt.quarter.astype(str)
    month = year + "-" + start.dt.month.astype(str).str.zfill(2)
    return pd.Series(
        np.select([period_type == "year", period_type == "quarter"], [year, quarter], default=month),
        index=period_type.index,
    )


def suppression_equations(cells: pd.DataFrame, catalogue: Catalogue) -> list[Equation]:
    """Every 'parent = Σ children' relation among the cells, so hidden values stay hidden.

    A län (or area group) is the sum of its kommuner, and an area's total is the
    sum of its sex cells and of its age-band cells.
    """
    geography = load_geography()
    parents: dict[str, list[str]] = {code: [k.lan] for code, k in geography.kommuner.items()}
    for level in catalogue.area_levels:
        for group in level.groups:
            for code in group.kommuner:
                parents.setdefault(code, []).append(group.id)

    equations: list[Equation] = []
    cell = cells.reset_index(drop=True).assign(idx=lambda d: np.arange(len(d)))
    keys = ["period", "breakdown", "sex", "age_band"]
    filled = cell.fillna({"sex": "", "age_band": ""})

    # area equations: parent area cell = Σ kommun cells
    kommuner = filled[filled["area_level"] == "kommun"]
    links = [(code, parent) for code, ps in parents.items() for parent in ps]
    link = pd.DataFrame(links, columns=["area_code", "parent_code"])
    children = kommuner.merge(link, on="area_code")
    parent_cells = filled[filled["area_level"] != "kommun"].rename(
        columns={"area_code": "parent_code", "idx": "parent_idx"}
    )[["parent_code", *keys, "parent_idx"]]
    joined = children.merge(parent_cells, on=["parent_code", *keys])
    equations.extend(equations_from_pairs(joined["parent_idx"].to_numpy(), joined["idx"].to_numpy()))

    # level equations: län = Σ the level's groups in it + the län's kommuner outside them; without
    # these, a hidden kommun could be recovered as län − group − shown kommuner
    for level in catalogue.area_levels:
        level_links: list[tuple[str, str]] = []
        for lan in {k.lan for k in geography.kommuner.values()}:
            members = {code for code, k in geography.kommuner.items() if k.lan == lan}
            groups = [g for g in level.groups if set(g.kommuner) <= members]
            if not groups:
                continue
            covered = {code for g in groups for code in g.kommuner}
            level_links += [(g.id, lan) for g in groups]
            level_links += [(code, lan) for code in sorted(members - covered)]
        if not level_links:
            continue
        link = pd.DataFrame(level_links, columns=["area_code", "parent_code"])
        parts = filled.merge(link, on="area_code")
        joined = parts.merge(parent_cells, on=["parent_code", *keys])
        equations.extend(equations_from_pairs(joined["parent_idx"].to_numpy(), joined["idx"].to_numpy()))

    # breakdown equations: total = Σ sex cells; total = Σ age-band cells
    totals = filled[filled["breakdown"] == "total"][["area_code", "period", "idx"]].rename(
        columns={"idx": "parent_idx"}
    )
    for breakdown in ("sex", "age_band"):
        parts = filled[filled["breakdown"] == breakdown][["area_code", "period", "idx"]]
        if parts.empty:
            continue
        joined = parts.merge(totals, on=["area_code", "period"])
        equations.extend(equations_from_pairs(joined["parent_idx"].to_numpy(), joined["idx"].to_numpy()))
    return equations


def finish_cells(raw: pd.DataFrame, indicator: Indicator, catalogue: Catalogue) -> pd.DataFrame:
    """From summed numerators and denominators to values, intervals and suppression."""
    df = raw.copy()
    df["period"] = period_labels(df["period_type"], df["period_start"])
    num = df["numerator"].astype(float).to_numpy()
    den = df["denominator"].astype(float).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(den > 0, num / den * indicator.multiplier, np.nan)
    df["value"] = value
    if indicator.interval == "wilson":
        low, high = wilson_interval(num, den)
        df["ci_low"], df["ci_high"] = low * indicator.multiplier, high * indicator.multiplier
    elif indicator.interval == "poisson":
        low, high = rate_interval(num, den, indicator.multiplier)
        df["ci_low"], df["ci_high"] = low, high
    else:
        df["ci_low"] = df["ci_high"] = np.nan

    rule = SuppressionRule(
        min_denominator=indicator.suppression.min_denominator,
        min_count=indicator.suppression.min_count,
        max_count=indicator.suppression.max_count,
    )
    primary = primary_suppression(num, den, rule, indicator.numerator.is_count)
    final = secondary_suppression(primary, den, suppression_equations(df, catalogue))
    df["suppressed"] = final
    df["suppression"] = pd.Series(np.where(primary, "primary", "secondary"), index=df.index).where(final)
    # Hidden cells keep no numbers at all: what is not stored cannot leak.
    for column in ("numerator", "denominator", "value", "ci_low", "ci_high"):
        df.loc[final, column] = np.nan
    df["indicator"] = indicator.id
    return df[RESULT_COLUMNS]


def compute_indicator(
    con: duckdb.DuckDBPyConnection, indicator: Indicator, catalogue: Catalogue
) -> pd.DataFrame:
    raw = con.execute(indicator_sql(indicator)).df()
    return finish_cells(raw, indicator, catalogue)


def compute_all(
    con: duckdb.DuckDBPyConnection,
    catalogue: Catalogue,
    *,
    only: Sequence[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[RunReport]:
    """Compute the catalogue's indicators (or `only` these) and replace their results."""
    write_areas(con, catalogue)
    reports: list[RunReport] = []
    frames: list[pd.DataFrame] = []
    selected = [i for i in catalogue.indicators if only is None or i.id in only]
    for number, indicator in enumerate(selected, start=1):
        started = time.perf_counter()
        try:
            frame = compute_indicator(con, indicator, catalogue)
        except Exception as exc:  # one indicator's failure, whatever it is, must not stop the others
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            reports.append(RunReport(indicator.id, False, 0, time.perf_counter() - started, message))
            if progress:
                progress(f"[{number}/{len(selected)}] {indicator.id}: FEL – {message}")
            continue
        frames.append(frame)
        seconds = time.perf_counter() - started
        reports.append(RunReport(indicator.id, True, len(frame), seconds))
        if progress:
            progress(
                f"[{number}/{len(selected)}] {indicator.id}: {len(frame):,} celler ({seconds:.1f} s)".replace(
                    ",", " "
                )
            )

    now = datetime.now().replace(microsecond=0)
    results = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=RESULT_COLUMNS)
    con.execute("BEGIN TRANSACTION")
    try:
        if only is None:
            con.execute("DELETE FROM results")
            con.execute("DELETE FROM indicator_runs")
        else:
            ids = [r.indicator for r in reports]
            con.execute("DELETE FROM results WHERE list_contains(?, indicator)", [ids])
            con.execute("DELETE FROM indicator_runs WHERE list_contains(?, indicator)", [ids])
        con.register("new_results", results)
        con.execute(f"INSERT INTO results SELECT {', '.join(RESULT_COLUMNS)} FROM new_results")
        con.unregister("new_results")
        con.executemany(
            "INSERT INTO indicator_runs VALUES (?, ?, ?, ?, ?, ?)",
            [(r.indicator, "ok" if r.ok else "error", r.message, r.rows, r.seconds, now) for r in reports],
        )
        set_meta(con, "computed_at", now.isoformat(sep=" "))
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return reports
