"""Run the `tests:` written next to the indicators (`matavla test`).

Each test gets a throw-away in-memory DuckDB. Its rows (completed by
`metrics.compute.test_rows`) are written as one CSV file per extract and imported by
the real importer, with its checks; the indicator is computed by the engine's own
`compute_indicator`, as `matavla compute` does. Nothing here re-implements either: a test
that passes here passes because production would compute the same numbers.

Suppression is off (every cell shown) unless the test says `suppression: on`.
"""

from __future__ import annotations

import csv
import dataclasses
import math
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd

from metrics.catalogue.model import Catalogue, Indicator, SuppressionSettings
from metrics.catalogue.tests_spec import NUMBER_CHECKS, Expectation, TestCase
from metrics.compute.engine import compute_indicator, write_areas
from metrics.compute.test_rows import complete_rows, csv_text
from metrics.db import ensure_schema
from metrics.errors import MatavlaError, Problem
from metrics.extracts.coverage import SCOPES, Covers, write_covered_months
from metrics.extracts.declared_tables import ensure_declared_tables
from metrics.extracts.importer import import_file
from metrics.extracts.options import ImportOptions
from metrics.extracts.schema import EXTRACTS
from metrics.geography import load_geography

Fail = Callable[..., None]  # (line, message, hint=None): records one failure of the test

# Never hides a cell: no denominator is below 0 and no count lies between 1 and 0.
NO_SUPPRESSION = SuppressionSettings(min_denominator=0, min_count=1, max_count=0)
LABELS = {
    "numerator": "täljare",
    "denominator": "nämnare",
    "value": "värde",
    "missing": "saknas",
    "suppressed": "undertryckt",
    "exists": "finns",
}


@dataclass(frozen=True)
class TestOutcome:
    indicator: str
    name: str
    file: str
    line: int
    failures: tuple[Problem, ...] = field(default_factory=tuple)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failures


def run_catalogue_tests(catalogue: Catalogue, only: Sequence[str] | None = None) -> list[TestOutcome]:
    """Every test of the catalogue's indicators (or of `only` these), in catalogue order."""
    known = [i.id for i in catalogue.indicators]
    if unknown := [i for i in only or () if i not in known]:
        from metrics.catalogue.problems import did_you_mean

        hint = did_you_mean(unknown[0], known) or "`matavla check` visar katalogens indikatorer och fel"
        raise MatavlaError(
            f"indikatorn '{unknown[0]}' finns inte i katalogen, eller lämnades utanför för ett fel ({hint})"
        )
    cases = [
        (indicator, test)
        for indicator in catalogue.indicators
        if not only or indicator.id in only
        for test in indicator.tests
    ]
    # Each test has its own database; DuckDB works outside the GIL, so tests overlap on threads.
    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        return list(pool.map(lambda case: run_test(case[0], catalogue, case[1]), cases))


def run_test(indicator: Indicator, catalogue: Catalogue, test: TestCase) -> TestOutcome:
    started = time.perf_counter()
    failures: list[Problem] = []

    def fail(line: int, message: str, hint: str | None = None) -> None:
        failures.append(Problem(f"{indicator.id}, test '{test.name}': {message}", indicator.file, line, hint))

    # One thread: a test's handful of rows is faster planned than shared out.
    con = duckdb.connect(config={"threads": 1})
    try:
        ensure_schema(con)
        with tempfile.TemporaryDirectory(prefix="matavla-test-") as folder:
            for source in test.rows:
                _import_rows(con, Path(folder), catalogue, indicator, test, source, fail)
        if not failures:
            # What compute_all does before computing (metrics.compute.engine).
            write_areas(con, catalogue)
            ensure_declared_tables(con, catalogue.extracts)
            write_covered_months(con)
            tested = indicator
            if not test.suppression:
                tested = dataclasses.replace(indicator, suppression=NO_SUPPRESSION)
            try:
                results = compute_indicator(con, tested, catalogue)
            except MatavlaError as exc:
                fail(test.line, f"indikatorn kunde inte beräknas: {exc}")
            except Exception as exc:  # any failure is this test's, never the whole run's
                fail(test.line, f"indikatorn kunde inte beräknas ({type(exc).__name__})", "kör matavla check")
            else:
                for expectation in test.expectations:
                    _compare(results, expectation, indicator, fail)
    finally:
        con.close()
    return TestOutcome(
        indicator.id, test.name, indicator.file, test.line, tuple(failures), time.perf_counter() - started
    )


def _import_rows(
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    catalogue: Catalogue,
    indicator: Indicator,
    test: TestCase,
    source: str,
    fail: Fail,
) -> None:
    """Write the test's rows of `source` as a CSV file and import it like any delivery."""
    declared = {e.name: e for e in catalogue.extracts}
    extract = declared.get(source) or EXTRACTS[source]
    rows = test.rows[source]
    line = test.key_lines.get("rows", test.line)
    if not rows:
        return
    complete = complete_rows(test, extract, indicator)
    if any(r.get("kommun") is None for r in complete):
        fail(line, f"raderna i {source} saknar kommun", 'ange kommun: "0580" i testet eller på raden')
        return
    path = folder / f"{source}.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(extract.column_names)
        writer.writerows([csv_text(r[c]) for c in extract.column_names] for r in complete)
    covers = None
    if SCOPES.get(source, extract.scope or "lan") == "kommun":
        # A kommun's own delivery covers only the kommuner it has rows for; in a test, a kommun
        # named in the expectations delivered too (with no rows: zero events), not "saknas".
        named = {e.area_code for e in test.expectations if e.area_level == "kommun"}
        covers = Covers(tuple(sorted(named | {str(r["kommun"]) for r in complete})))
    try:
        import_file(
            con, path, source=source, covers=covers, options=ImportOptions(declared=catalogue.extracts)
        )
    except MatavlaError as exc:
        fail(line, f"raderna i {source} kunde inte importeras: {exc}")
        return
    rejected = con.execute(
        "SELECT row_number, reason FROM rejected_rows WHERE extract = ? ORDER BY row_number", [source]
    ).fetchall()
    for row_number, reason in rejected:
        index = int(row_number) - 2  # the header is line 1 of the file
        row_line = rows[index].line if 0 <= index < len(rows) else line
        fail(row_line, f"importen avvisade raden i {source}: {reason}", "rätta värdet på raden")


def _cell_name(expectation: Expectation) -> str:
    geography = load_geography()
    if expectation.area_level == "lan":
        where = f"{geography.area_name(expectation.area_code)} ({expectation.area_code})"
    elif expectation.area_level == "kommun":
        where = f"{expectation.area_code} {geography.area_name(expectation.area_code)}"
    else:
        where = expectation.area_code
    extra = f", kön {expectation.sex}" if expectation.sex else ""
    extra += f", åldersband {expectation.age_band}" if expectation.age_band else ""
    return f"{where} {expectation.period}{extra}"


def _cell(results: pd.DataFrame, expectation: Expectation) -> pd.DataFrame:
    match = (
        (results["area_code"] == expectation.area_code)
        & (results["period"] == expectation.period)
        & (results["breakdown"] == expectation.breakdown)
    )
    if expectation.area_level is not None:
        match &= results["area_level"] == expectation.area_level
    if expectation.sex:
        match &= results["sex"] == expectation.sex
    if expectation.age_band:
        match &= results["age_band"] == expectation.age_band
    return results[match]


def _compare(results: pd.DataFrame, expectation: Expectation, indicator: Indicator, fail: Fail) -> None:
    cell = _cell(results, expectation)
    name = _cell_name(expectation)
    wants_absent = any(key == "exists" and not expected for key, expected, _ in expectation.checks)
    if cell.empty:
        if not wants_absent:
            fail(
                expectation.line,
                f"{name}: cellen finns inte i resultatet",
                _what_exists(results, expectation),
            )
        return
    if wants_absent:
        fail(expectation.line, f"{name}: cellen väntades saknas i resultatet, men finns")
        return
    row = cell.iloc[0]
    for key, expected, line in expectation.checks:
        if key == "exists":
            continue
        actual = row[key]
        if key in NUMBER_CHECKS and bool(row["missing"]) and expected is not None:
            fail(
                line,
                f"{name}: {LABELS[key]} väntades {_shown(expected)}, men kommunen saknas "
                "(ingen leverans av utdraget täcker den)",
                "ge kommunen rader i testet",
            )
            continue
        if key in ("missing", "suppressed"):
            if bool(actual) != expected:
                fail(line, f"{name}: {LABELS[key]} väntades {_yes(expected)}, blev {_yes(bool(actual))}")
            continue
        if _same(key, expected, actual, indicator):
            continue
        fail(line, f"{name}: {LABELS[key]} väntades {_shown(expected)}, blev {_shown(actual)}")


def _same(key: str, expected: float | None, actual: object, indicator: Indicator) -> bool:
    number = float(actual) if actual is not None and not pd.isna(actual) else None  # type: ignore[arg-type]
    if expected is None or number is None:
        return expected is None and number is None
    if key == "value":
        # As many decimals as the board shows, or as the test writes if it writes more.
        decimals = max(indicator.decimals, _decimals(expected))
        return round(number, decimals) == round(expected, decimals)
    return math.isclose(number, expected, rel_tol=1e-9, abs_tol=1e-9)


def _decimals(value: float) -> int:
    exponent = Decimal(repr(value)).normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _yes(flag: bool) -> str:
    return "ja" if flag else "nej"


def _shown(value: object) -> str:
    """1234.5 → '1 234,5'; at most four decimals; no value → 'inget värde'."""
    if value is None or pd.isna(value):
        return "inget värde"
    number = float(value)  # type: ignore[arg-type]
    text = f"{number:,.4f}".rstrip("0").rstrip(".")
    return text.replace(",", " ").replace(".", ",")


def _what_exists(results: pd.DataFrame, expectation: Expectation) -> str:
    here = results[results["area_code"] == expectation.area_code]
    if here.empty:
        areas = sorted(results.loc[results["area_level"].isin(["kommun", "lan"]), "area_code"].unique())
        if not areas:
            return "resultatet är tomt: kontrollera raderna och att de ligger i testets period"
        return "resultatet har " + ", ".join(areas[:12])
    periods = sorted(here["period"].unique())
    return f"resultatet har för {expectation.area_code} perioderna {', '.join(periods[:12])}"


def summary(outcomes: Sequence[TestOutcome], seconds: float) -> str:
    """'34 tester i 16 indikatorer: 33 gick igenom, 1 misslyckades (2,3 s).'"""
    failed = sum(1 for o in outcomes if not o.ok)
    indicators = len({o.indicator for o in outcomes})
    text = (
        f"{len(outcomes)} {'test' if len(outcomes) == 1 else 'tester'} i {indicators} "
        f"{'indikator' if indicators == 1 else 'indikatorer'}: {len(outcomes) - failed} gick igenom"
    )
    if failed:
        text += f", {failed} misslyckades"
    return text + f" ({seconds:.1f} s).".replace(".", ",", 1)
