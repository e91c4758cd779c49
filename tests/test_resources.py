"""Bounded memory (issue 10): the settings, where they apply, and per-person measures one year at a
time with the very cells of the whole query.

Expected values are worked out by hand in the comments.
"""

from __future__ import annotations

import shutil

import duckdb
import pandas as pd
import pytest
from click.testing import CliRunner

from metrics.cli import main
from metrics.compute import engine
from metrics.compute.sandbox import run_indicator_query
from metrics.compute.sqlgen import by_year, indicator_sql
from metrics.db import connect
from metrics.errors import MatavlaError
from metrics.resources import (
    MEMORY_ENV,
    THREADS_ENV,
    Resources,
    apply_resources,
    machine_memory_bytes,
    parse_memory,
    parse_threads,
    resources_from_env,
)
from tests.indicator_cases import cell, compute, insert
from tests.test_indicators import LINKOPING, NORRKOPING, OSTERGOTLAND, contact

GIB = 2**30

# --- the settings ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8GB", 8 * 10**9),
        ("8 gb", 8 * 10**9),
        ("512MiB", 512 * 2**20),
        ("1,5GiB", 3 * 2**29),  # a Swedish decimal comma: 1.5 × 2³⁰ = 3 × 2²⁹
        ("1MB", 10**6),  # the smallest accepted (the out-of-memory tests use it)
        # DuckDB's own spellings, which MATAVLA_MEMORY_LIMIT took (passed to DuckDB) before it was parsed here
        ("8G", 8 * 10**9),
        ("512M", 512 * 10**6),
        ("8 gigabytes", 8 * 10**9),
        ("2 kilobytes", None),  # 2 000 B: too small, see the next test
    ],
)
def test_a_memory_limit_is_read_as_duckdb_reads_it(text, expected):
    if expected is None:
        with pytest.raises(MatavlaError, match="mindre än 1 MB"):
            parse_memory(text)
        return
    assert parse_memory(text) == expected
    if "," not in text and expected % 2**10 == 0:  # as DuckDB reads it (no decimal comma; KiB shown)
        ours, theirs = duckdb.connect(), duckdb.connect()
        ours.execute(f"SET memory_limit = '{expected // 2**10}KiB'")
        theirs.execute(f"SET memory_limit = '{text}'")
        shown = "SELECT current_setting('memory_limit')"
        assert ours.execute(shown).fetchone() == theirs.execute(shown).fetchone()


def test_a_share_of_the_machine(monkeypatch):
    # 40 % of 10 GiB = 4 GiB
    assert parse_memory("40%", machine=10 * GIB) == 4 * GIB
    assert parse_memory("100 %", machine=10 * GIB) == 10 * GIB


@pytest.mark.parametrize(
    "text",
    [
        "åtta",
        "8 gigabits",
        "8GBB",
        "-1GB",
        "0%",
        "150%",
        "500KB",
        "12",
        "0,000001%",  # of 10 GiB: 10 737 B, under 1 MB like "500KB"
        "2000TB",  # 2 × 10¹⁵ B > 2⁵⁰ B (1 PiB): a typo, not a machine
        "100000000000000000TB",  # DuckDB itself refused this with a ParserException (a traceback)
    ],
)
def test_a_bad_memory_limit_names_the_setting_in_swedish(text):
    with pytest.raises(MatavlaError) as error:
        parse_memory(text, machine=10 * GIB)
    message = str(error.value)
    assert MEMORY_ENV in message and f"'{text}'" in message and "tips:" in message


@pytest.mark.parametrize("text", ["0", "två", "-2", "1.5", "2000", "²"])  # '²'.isdigit() is True
def test_bad_threads_name_the_setting_in_swedish(text):
    with pytest.raises(MatavlaError, match=THREADS_ENV) as error:
        parse_threads(text)
    assert "trådar" in str(error.value)


def test_the_default_is_half_the_machine_and_duckdbs_threads(monkeypatch):
    monkeypatch.setattr("metrics.resources.machine_memory_bytes", lambda: 16 * GIB)
    assert resources_from_env({}) == Resources(memory_bytes=8 * GIB, threads=None)
    assert resources_from_env({MEMORY_ENV: "3GB", THREADS_ENV: "1"}) == Resources(3 * 10**9, 1)


def test_connect_applies_the_limit_threads_and_a_spill_folder_beside_the_database(tmp_path, monkeypatch):
    monkeypatch.setenv(MEMORY_ENV, "3GiB")
    monkeypatch.setenv(THREADS_ENV, "1")
    con = connect(tmp_path / "m.duckdb")
    settings = con.execute(
        "SELECT current_setting('memory_limit'), current_setting('threads'), "
        "current_setting('temp_directory')"
    ).fetchone()
    con.close()
    assert settings == ("3.0 GiB", 1, str(tmp_path / "m.duckdb.tmp"))
    reader = connect(tmp_path / "m.duckdb", read_only=True)  # export, audit: the same limit
    assert reader.execute("SELECT current_setting('memory_limit')").fetchone() == ("3.0 GiB",)
    reader.close()


def test_without_settings_duckdb_gets_half_the_machine_not_its_own_80_percent(tmp_path, monkeypatch):
    monkeypatch.delenv(MEMORY_ENV, raising=False)
    monkeypatch.setattr("metrics.resources.machine_memory_bytes", lambda: 8 * GIB)
    con = connect(tmp_path / "m.duckdb")
    assert con.execute("SELECT current_setting('memory_limit')").fetchone() == ("4.0 GiB",)  # 8 / 2
    con.close()


@pytest.mark.parametrize(
    ("name", "value"),
    [(MEMORY_ENV, "mycket"), (THREADS_ENV, "alla"), (MEMORY_ENV, "100000000000000000TB"), (THREADS_ENV, "²")],
)
def test_the_command_line_stops_on_a_bad_setting_with_its_name(tmp_path, name, value):
    result = CliRunner().invoke(main, ["compute", "--db", str(tmp_path / "x.duckdb")], env={name: value})
    assert result.exit_code == 1
    assert name in result.output and f"'{value}'" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "x.duckdb").exists()  # stopped before creating the database


# --- per-person measures one calendar year at a time --------------------------------------------

# p (Linköping): A 2023-12-10, A 2023-12-20, B 2024-01-05, B 2024-01-15, A 2024-02-01
# q (Norrköping): A 2024-03-01, B 2024-03-02
TWO_YEARS = [
    contact("c1", "p", staff="A", day="2023-12-10"),
    contact("c2", "p", staff="A", day="2023-12-20"),
    contact("c3", "p", staff="B", day="2024-01-05"),
    contact("c4", "p", staff="B", day="2024-01-15"),
    contact("c5", "p", staff="A", day="2024-02-01"),
    contact("c6", "q", staff="A", day="2024-03-01", kommun=NORRKOPING),
    contact("c7", "q", staff="B", day="2024-03-02", kommun=NORRKOPING),
]


def test_continuity_is_computed_a_year_at_a_time_and_no_period_sees_the_other_year(
    con, catalogue, monkeypatch
):
    assert by_year(catalogue.indicator("kontinuitet_lakare"))
    assert by_year(catalogue.indicator("kontinuitet_upc_lakare"))
    assert not by_year(catalogue.indicator("digitala_kontakter"))
    insert(con, "contacts", TWO_YEARS)
    queries: list[str] = []
    real = engine.run_indicator_query
    monkeypatch.setattr(
        engine, "run_indicator_query", lambda c, i, sql: queries.append(sql) or real(c, i, sql)
    )
    coc = compute(con, catalogue, "kontinuitet_lakare")
    assert len(queries) == 2  # 2023 and 2024
    assert "DATE '2023-01-01'" in queries[0] and "DATE '2024-01-01'" in queries[1]
    # COC = (Σnᵢ² − N) / (N(N − 1)), persons with N ≥ 2
    # p 2023: A A → (4 − 2) / (2 · 1) = 1
    assert cell(coc, LINKOPING, "2023")["value"] == pytest.approx(1.0)
    assert cell(coc, LINKOPING, "2023-Q4")["value"] == pytest.approx(1.0)
    assert cell(coc, LINKOPING, "2023-12")["value"] == pytest.approx(1.0)
    # p 2024: B B A → (2² + 1² − 3) / (3 · 2) = 2 / 6 = 1/3 (the two 2023 visits to A do not count)
    assert cell(coc, LINKOPING, "2024")["value"] == pytest.approx(1 / 3)
    assert cell(coc, LINKOPING, "2024-Q1")["value"] == pytest.approx(1 / 3)
    assert cell(coc, LINKOPING, "2024-01")["value"] == pytest.approx(1.0)  # B B
    # q 2024: A B → (1 + 1 − 2) / 2 = 0; the län's 2024: (1/3 + 0) / 2 persons = 1/6
    assert cell(coc, NORRKOPING, "2024")["value"] == pytest.approx(0.0)
    lan = cell(coc, OSTERGOTLAND, "2024")
    assert (lan["numerator"], lan["denominator"]) == (pytest.approx(1 / 3), 2)
    assert lan["value"] == pytest.approx(1 / 6)
    # UPC = max nᵢ / N: p 2024 has B twice of 3 → 2/3; 2023 A twice of 2 → 1
    upc = compute(con, catalogue, "kontinuitet_upc_lakare")
    assert cell(upc, LINKOPING, "2024")["value"] == pytest.approx(2 / 3)
    assert cell(upc, LINKOPING, "2023")["value"] == pytest.approx(1.0)


def test_the_years_together_are_the_whole_query_row_for_row(con, catalogue):
    insert(con, "contacts", TWO_YEARS)
    compute(con, catalogue, "digitala_kontakter")  # writes covered_months
    for indicator_id in ("kontinuitet_lakare", "kontinuitet_upc_lakare"):
        indicator = catalogue.indicator(indicator_id)
        whole = run_indicator_query(con, indicator, indicator_sql(indicator))
        pd.testing.assert_frame_equal(engine.indicator_rows(con, indicator), whole)


def test_a_year_restriction_is_only_for_year_local_indicators(catalogue):
    # A readmission within 30 days of a December stay is in January: that query is not split.
    with pytest.raises(ValueError, match="one year at a time"):
        indicator_sql(catalogue.indicator("aterinskrivning_30d_65"), 2024)
    assert "DATE '2024-01-01'" in indicator_sql(catalogue.indicator("digitala_kontakter"), 2024)


def test_a_tiny_memory_limit_spills_and_gives_the_same_cells(demo_database, tmp_path):
    """The demo at 2 %, computed under 40 MB and one thread, against no limit and DuckDB's threads."""
    from metrics.catalogue.loader import load_catalogue

    catalogue = load_catalogue(demo_database.catalog_path).catalogue
    out = {}
    for name, resources in (("free", Resources(None, None)), ("tiny", Resources(40 * 10**6, 1))):
        db = tmp_path / f"{name}.duckdb"
        shutil.copy(demo_database.db_path, db)
        con = duckdb.connect(str(db))
        apply_resources(con, db, resources)
        engine.write_areas(con, catalogue)
        frames = []
        for indicator_id in ("kontinuitet_lakare", "digitala_kontakter", "fast_lakarkontakt"):
            indicator = catalogue.indicator(indicator_id)
            frames.append(engine.indicator_rows(con, indicator))
            # propagation, not the LP audit: the limit is on DuckDB, and the LP on digitala_kontakter
            # took minutes of CPU here (twice) for nothing this test checks
            frames.append(engine.compute_indicator(con, indicator, catalogue, exact_audit=False))
        limit = con.execute("SELECT current_setting('memory_limit')").fetchone()
        con.close()
        out[name] = (frames, limit)
    assert out["tiny"][1] == ("38.1 MiB",)  # 40 × 10⁶ B / 2²⁰
    for free, tiny in zip(out["free"][0], out["tiny"][0], strict=True):
        pd.testing.assert_frame_equal(free, tiny)
    assert len(out["tiny"][0][0]) > 1000  # a real table, not an empty one


# --- the machine's memory: physical, or a lower cgroup limit ------------------------------------


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_a_systemd_services_memory_max_is_found_in_the_processs_own_cgroup(tmp_path):
    """cgroup v2 without a namespace: the mount's root has no memory.max; the service's does."""
    root, own = tmp_path / "cgroup", tmp_path / "self_cgroup"
    _write(own, "0::/system.slice/matavla.service\n")
    _write(root / "system.slice" / "memory.max", "max\n")  # no limit on the slice
    _write(root / "system.slice" / "matavla.service" / "memory.max", "2147483648\n")  # MemoryMax=2G
    assert machine_memory_bytes(root, own) == 2 * GIB  # < this machine's physical memory


def test_a_cgroup_v1_limit_of_the_processs_own_cgroup_or_an_ancestor(tmp_path):
    root, own = tmp_path / "cgroup", tmp_path / "self_cgroup"
    _write(own, "5:cpu,cpuacct:/jobs/x\n4:memory:/jobs/x\n0::/\n")
    _write(root / "memory" / "memory.limit_in_bytes", "9223372036854771712\n")  # v1's "unlimited"
    _write(root / "memory" / "jobs" / "memory.limit_in_bytes", "1073741824\n")  # 1 GiB on the parent
    _write(root / "memory" / "jobs" / "x" / "memory.limit_in_bytes", "9223372036854771712\n")
    assert machine_memory_bytes(root, own) == GIB


def test_no_cgroup_files_leave_the_physical_memory(tmp_path):
    import os

    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert machine_memory_bytes(tmp_path / "none", tmp_path / "none_either") == physical
    _write(tmp_path / "self", "garbage\n0::relative\n")
    _write(tmp_path / "cgroup" / "memory.max", "max\n")
    assert machine_memory_bytes(tmp_path / "cgroup", tmp_path / "self") == physical


# --- preserve_insertion_order while importing ---------------------------------------------------


def test_an_import_runs_without_insertion_order_and_restores_it_even_on_error(tmp_path, monkeypatch):
    from metrics.extracts import importer

    con = connect(tmp_path / "m.duckdb")
    order = "SELECT current_setting('preserve_insertion_order')"
    seen = []

    def spy(c, paths, **kwargs):
        seen.append(c.execute(order).fetchone()[0])
        if paths == ["fails"]:
            raise MatavlaError("boom")
        return []

    monkeypatch.setattr(importer, "_import_paths", spy)
    assert importer.import_paths(con, ["ok"]) == []
    with pytest.raises(MatavlaError, match="boom"):
        importer.import_paths(con, ["fails"])
    assert seen == [False, False]  # off during both imports
    assert con.execute(order).fetchone() == (True,)  # DuckDB's default back after each
    con.execute("SET preserve_insertion_order = false")  # a caller's own choice is kept too
    importer.import_paths(con, ["ok"])
    assert con.execute(order).fetchone() == (False,)
    con.close()


def test_a_covered_year_without_any_cell_changes_nothing_not_even_a_dtype(con, catalogue):
    """Every Östergötland kommun delivers 2023 (one nurse contact each: no läkare, so no person
    with N ≥ 2 and no row in 2023's query); p sees läkare A and B in 2024."""
    kommuner = [
        row[0]
        for row in con.execute(
            f"SELECT kommun FROM areas WHERE area_level = 'lan' AND area_code = '{OSTERGOTLAND}'"
        ).fetchall()
    ]
    rows = [contact(f"n{k}", f"x{k}", k, day="2023-05-01", profession="sjukskoterska") for k in kommuner]
    rows += [contact("c1", "p", staff="A", day="2024-03-01"), contact("c2", "p", staff="B", day="2024-03-05")]
    insert(con, "contacts", rows)
    coc = compute(con, catalogue, "kontinuitet_lakare")  # writes covered_months
    # p 2024: A B → (1 + 1 − 2) / (2 · 1) = 0
    assert cell(coc, LINKOPING, "2024")["value"] == pytest.approx(0.0)
    indicator = catalogue.indicator("kontinuitet_lakare")
    assert len(run_indicator_query(con, indicator, indicator_sql(indicator, 2023))) == 0
    whole = run_indicator_query(con, indicator, indicator_sql(indicator))
    pd.testing.assert_frame_equal(engine.indicator_rows(con, indicator), whole)


# --- MATAVLA_AUDIT_SECONDS: the LP audit's cap for one run -------------------------------------


def test_the_audit_budget_is_the_catalogues_unless_the_environment_overrides_it(monkeypatch, catalogue):
    from metrics.compute.audit_budget import ITERATIONS_PER_SECOND, audit_budgets
    from metrics.resources import audit_seconds_override

    for name in ("MATAVLA_AUDIT_SECONDS", "MATAVLA_AUDIT_ITERATIONS", "MATAVLA_AUDIT_LAST_RUNG_ITERATIONS"):
        monkeypatch.delenv(name, raising=False)
    assert audit_seconds_override() is None
    assert catalogue.publication.audit_seconds == 120  # the shipped default, in nominal seconds
    assert audit_budgets(catalogue).rungs == 120 * ITERATIONS_PER_SECOND
    monkeypatch.setenv("MATAVLA_AUDIT_SECONDS", "7,5")  # a decimal comma, as Swedish users write
    assert audit_seconds_override() == 7.5
    assert audit_budgets(catalogue).rungs == round(7.5 * ITERATIONS_PER_SECOND)


@pytest.mark.parametrize("text", ["0", "-3", "abc", "inf", "nan"])
def test_a_bad_audit_cap_names_the_setting_in_swedish(text):
    from metrics.resources import audit_seconds_override

    with pytest.raises(MatavlaError) as error:
        audit_seconds_override({"MATAVLA_AUDIT_SECONDS": text})
    assert "MATAVLA_AUDIT_SECONDS" in str(error.value) and "sekunder" in str(error.value)


@pytest.mark.parametrize("name", ["MATAVLA_AUDIT_ITERATIONS", "MATAVLA_AUDIT_LAST_RUNG_ITERATIONS"])
@pytest.mark.parametrize("text", ["-3", "2,5", "1e6", "10²", "många"])
def test_a_bad_iteration_budget_names_the_setting_in_swedish(name, text):
    # "10²" passed str.isdigit() and then crashed int() with a Python ValueError.
    from metrics.resources import audit_iterations_override

    with pytest.raises(MatavlaError) as error:
        audit_iterations_override(name, {name: text})
    assert name in str(error.value) and "simplexiterationer" in str(error.value)


def test_an_iteration_budget_may_group_its_digits():
    from metrics.resources import audit_iterations_override

    name = "MATAVLA_AUDIT_ITERATIONS"
    assert audit_iterations_override(name, {name: " 2 000 000 "}) == 2_000_000
    assert audit_iterations_override(name, {name: "2_000_000"}) == 2_000_000
    assert audit_iterations_override(name, {name: "0"}) == 0
    assert audit_iterations_override(name, {}) is None
