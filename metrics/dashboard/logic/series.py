"""Time series and breakdowns of one indicator, shaped for figures and their tables."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from metrics.dashboard.logic.coverage_notes import partial_text
from metrics.dashboard.logic.format import format_period, is_missing
from metrics.dashboard.logic.periods import parse_period
from metrics.dashboard.source.data import Snapshot

SEX_LABELS = {"K": "Kvinnor", "M": "Män"}


@dataclass(frozen=True)
class AreaSeries:
    area: str
    periods: list[str]  # labels as in results
    value: list[float | None]
    low: list[float | None]
    high: list[float | None]
    suppressed: list[bool]
    partial: tuple[str | None, ...] = ()  # per period: 't.o.m. november' when the län's data end early

    @property
    def labels(self) -> list[str]:
        """Period labels; a period covered in part says so, so that it never reads as a plain dip."""
        notes = self.partial or (None,) * len(self.periods)
        return [
            format_period(p) + (f" ({note})" if note else "")
            for p, note in zip(self.periods, notes, strict=True)
        ]


def _period_key(label: str) -> tuple[int, int, int]:
    period = parse_period(label)
    return period.sort_key if period else (0, 0, 0)


def _num(v: object) -> float | None:
    return None if is_missing(v) else float(v)  # type: ignore[arg-type]


def trend(
    snap: Snapshot, indicator: str, lan: str, areas: list[str], period_type: str = "year"
) -> dict[str, AreaSeries]:
    """Per area (kommun codes and/or the län code), the values over all periods of a type."""
    labels = [
        p
        for p in snap.periods_of(indicator, lan)
        if (parsed := parse_period(p)) and parsed.type == period_type
    ]
    labels.sort(key=_period_key)
    cells = [snap.cells(indicator, lan, label) for label in labels]
    # one note per period, from the län's row, so every area's series shares the same x labels
    partial = tuple(partial_text(c.get(lan), label) for c, label in zip(cells, labels, strict=True))
    result: dict[str, AreaSeries] = {}
    for area in areas:
        rows = [c.get(area) for c in cells]
        result[area] = AreaSeries(
            area,
            labels,
            [r.value if r else None for r in rows],
            [r.ci_low if r else None for r in rows],
            [r.ci_high if r else None for r in rows],
            [r.suppressed if r else False for r in rows],
            partial,
        )
    return result


def _band_key(label: str) -> int:
    digits = "".join(ch for ch in label.split("-")[0] if ch.isdigit())
    return int(digits) if digits else 0


def category_label(breakdown: str, key: str) -> str:
    if breakdown == "sex":
        return SEX_LABELS.get(key, key)
    return key.replace("-", "–") + " år"


@dataclass(frozen=True)
class BreakdownValues:
    categories: list[str]  # labels as shown
    value: list[float | None]
    low: list[float | None]
    high: list[float | None]
    suppressed: list[bool]


def breakdown(snap: Snapshot, indicator: str, lan: str, period: str, area: str, kind: str) -> BreakdownValues:
    """Values by sex ('sex') or age band ('age_band') for one area and period.

    The categories are those of any area of the län in the period (so every area's bars line up);
    a category the area has no row for is None. Read column by column as Python lists: a pandas
    selection per area and category cost ~4 ms a call, and a page makes up to six.
    """
    rows = snap.period_rows(indicator, lan, period, kind)
    column = "sex" if kind == "sex" else "age_band"
    if rows.empty:
        return BreakdownValues([], [], [], [], [])
    categories = rows[column].tolist()
    keys = sorted(
        {k for k in categories if not is_missing(k)}, key=_band_key if kind == "age_band" else (lambda k: k)
    )
    own = {
        k: (value, low, high, suppressed)
        for k, code, value, low, high, suppressed in zip(
            categories,
            rows["area_code"].tolist(),
            rows["value"].tolist(),
            rows["ci_low"].tolist(),
            rows["ci_high"].tolist(),
            rows["suppressed"].tolist(),
            strict=True,
        )
        if code == area and not is_missing(k)
    }
    found = [own.get(k) for k in keys]
    return BreakdownValues(
        [category_label(kind, k) for k in keys],
        [_num(f[0]) if f else None for f in found],
        [_num(f[1]) if f else None for f in found],
        [_num(f[2]) if f else None for f in found],
        [bool(f[3]) if f else False for f in found],
    )


def trend_frame(series: dict[str, AreaSeries], names: dict[str, str]) -> pd.DataFrame:
    records = []
    for area, s in series.items():
        for p, v, lo, hi, sup in zip(s.periods, s.value, s.low, s.high, s.suppressed, strict=True):
            records.append(
                {
                    "Område": names.get(area, area),
                    "Kod": area,
                    "Period": format_period(p),
                    "Värde": v,
                    "KI 95 % låg": lo,
                    "KI 95 % hög": hi,
                    "Anmärkning": "för få" if sup else "",
                }
            )
    return pd.DataFrame.from_records(records)
