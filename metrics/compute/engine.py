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
from metrics.compute.disclosure import protect_cells, record_audit
from metrics.compute.sqlgen import AREAS_TABLE, indicator_sql
from metrics.db import RESULT_COLUMNS, set_meta
from metrics.errors import DisclosureError
from metrics.geography import load_geography
from metrics.stats.audit import AuditResult
from metrics.stats.intervals import rate_interval, wilson_interval
from metrics.stats.suppression import SuppressionRule, primary_suppression
from metrics.wording import thousands


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
    # secondary suppression over every published sum, proven by the exact audit (or DisclosureError)
    final, audit = protect_cells(df, primary, num, den, indicator, catalogue)
    df["suppressed"] = final
    df["suppression"] = pd.Series(np.where(primary, "primary", "secondary"), index=df.index).where(final)
    # Hidden cells keep no numbers at all: what is not stored cannot leak.
    for column in ("numerator", "denominator", "value", "ci_low", "ci_high"):
        df.loc[final, column] = np.nan
    df["indicator"] = indicator.id
    out = df[list(RESULT_COLUMNS)]
    out.attrs["audit"] = audit
    return out


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
    audits: dict[str, AuditResult] = {}
    refused: list[str] = []
    selected = [i for i in catalogue.indicators if only is None or i.id in only]
    for number, indicator in enumerate(selected, start=1):
        started = time.perf_counter()
        try:
            frame = compute_indicator(con, indicator, catalogue)
        except Exception as exc:  # one indicator's failure, whatever it is, must not stop the others
            if isinstance(exc, DisclosureError):
                refused.append(indicator.id)
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            reports.append(RunReport(indicator.id, False, 0, time.perf_counter() - started, message))
            if progress:
                progress(f"[{number}/{len(selected)}] {indicator.id}: FEL – {message}")
            continue
        audits[indicator.id] = frame.attrs.pop("audit")
        frames.append(frame)
        seconds = time.perf_counter() - started
        reports.append(RunReport(indicator.id, True, len(frame), seconds))
        if progress:
            progress(
                f"[{number}/{len(selected)}] {indicator.id}: {thousands(len(frame))} celler ({seconds:.1f} s)"
            )

    now = datetime.now().replace(microsecond=0)
    results = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(RESULT_COLUMNS))
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
        record_audit(con, audits, now.isoformat(sep=" "), refused, replace_all=only is None)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return reports
