"""Per-person measures without row_sql: UPC beside COC, and `having:` conditions over a person's rows.

Every expected value is worked out by hand in the test from the definition.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from metrics.catalogue.loader import load_catalogue
from metrics.compute.check import check_sql
from metrics.compute.sandbox import sql_problems
from metrics.compute.sqlgen import indicator_sql
from metrics.errors import CatalogueError
from tests.indicator_cases import cell, compute, empty_db, has_cell, insert
from tests.test_catalogue import HEADER
from tests.test_indicators import LINKOPING, NORRKOPING, OSTERGOTLAND, contact

# --- UPC: kontinuitet_upc_lakare -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("visits", "expected"),
    [
        ("AA", 2 / 2),  # max nᵢ = 2 of N = 2
        ("AB", 1 / 2),  # each doctor once: the most-visited has 1 of 2
        ("AAB", 2 / 3),  # A twice of three
        ("AABB", 2 / 4),  # a tie: the most-visited still has 2 of 4
        ("AAABBB", 3 / 6),
        ("AAAABCDE", 4 / 8),  # COC of the same visits is 3/14: UPC ignores how the rest spread
        ("ABACAD", 3 / 6),
    ],
)
def test_upc_is_the_share_of_visits_to_the_most_visited_doctor(con, catalogue, visits, expected):
    # Breslau & Reeb 1975: UPC = max nᵢ / N; each letter is a contact with that doctor
    insert(
        con,
        "contacts",
        [contact(f"c{i}", "p", staff=s, day=f"2024-0{1 + i % 9}-01") for i, s in enumerate(visits)],
    )
    year = cell(compute(con, catalogue, "kontinuitet_upc_lakare"), LINKOPING, "2024")
    assert year["denominator"] == 1
    assert year["value"] == pytest.approx(expected, abs=1e-9)


def test_upc_counts_the_same_persons_as_coc_and_is_a_mean_over_persons(con, catalogue):
    insert(
        con,
        "contacts",
        [
            contact("c1", "single", staff="A"),  # one visit: neither UPC nor COC
            contact("c2", "nurse", staff="A", profession="sjukskoterska"),
            contact("c3", "nurse", staff="A", profession="sjukskoterska"),  # not doctors
            contact("c4", "unknown", staff=""),
            contact("c5", "unknown", staff=""),  # no staff_id
            contact("c6", "p", staff="A"),
            contact("c7", "p", staff="A"),
            contact("c8", "p", staff="B"),  # AAB → 2/3
            contact("c9", "q", staff="A", kommun=NORRKOPING),
            contact("c10", "q", staff="B", kommun=NORRKOPING),  # AB → 1/2
        ],
    )
    upc = compute(con, catalogue, "kontinuitet_upc_lakare")
    coc = compute(con, catalogue, "kontinuitet_lakare")
    linkoping = cell(upc, LINKOPING, "2024")
    assert (linkoping["numerator"], linkoping["denominator"]) == (pytest.approx(2 / 3), 1)
    # län: the mean over persons, (2/3 + 1/2) / 2 = 7/12, not a mean of kommun means
    lan = cell(upc, OSTERGOTLAND, "2024")
    assert lan["denominator"] == 2
    assert lan["value"] == pytest.approx(7 / 12)
    # the same persons as COC, so the two can be compared
    assert cell(coc, OSTERGOTLAND, "2024")["denominator"] == 2


def test_upc_is_computed_within_each_period(con, catalogue):
    # January A, A; February B: the year is AAB (2/3), Q1 the same, January AA (1), February one visit
    insert(
        con,
        "contacts",
        [
            contact("c1", "p", staff="A", day="2024-01-10"),
            contact("c2", "p", staff="A", day="2024-01-20"),
            contact("c3", "p", staff="B", day="2024-02-10"),
        ],
    )
    results = compute(con, catalogue, "kontinuitet_upc_lakare")
    assert cell(results, LINKOPING, "2024")["value"] == pytest.approx(2 / 3)
    assert cell(results, LINKOPING, "2024-Q1")["value"] == pytest.approx(2 / 3)
    assert cell(results, LINKOPING, "2024-01")["value"] == pytest.approx(1.0)
    assert not has_cell(results, LINKOPING, "2024-02")


# --- having: teambaserad_vard_75 -----------------------------------------------------------------


def test_team_based_care_counts_persons_with_three_professions_in_the_year(con, catalogue):
    insert(
        con,
        "contacts",
        [
            # a: läkare, sjuksköterska, fysioterapeut → three professions: counted
            contact("a1", "a", age=80, profession="lakare", day="2024-01-05"),
            contact("a2", "a", age=80, profession="sjukskoterska", day="2024-05-05"),
            contact("a3", "a", age=80, profession="fysioterapeut", day="2024-11-05"),
            # b: four contacts but two professions: not counted
            contact("b1", "b", age=82, profession="lakare"),
            contact("b2", "b", age=82, profession="lakare"),
            contact("b3", "b", age=82, profession="sjukskoterska"),
            contact("b4", "b", age=82, profession="sjukskoterska"),
            # c: 'annan' is not a profession of its own: two professions, not counted
            contact("c1", "c", age=90, profession="lakare"),
            contact("c2", "c", age=90, profession="annan"),
            contact("c3", "c", age=90, profession="sjukskoterska"),
            # d: one contact: in the denominator only
            contact("d1", "d", age=76, profession="lakare"),
            # e: three professions but 70 years old: outside the indicator
            contact("e1", "e", age=70, profession="lakare"),
            contact("e2", "e", age=70, profession="sjukskoterska"),
            contact("e3", "e", age=70, profession="kurator"),
        ],
    )
    results = compute(con, catalogue, "teambaserad_vard_75")
    linkoping = cell(results, LINKOPING, "2024")
    # persons a, b, c, d (75+ with a contact); of them only a has three professions: 1 / 4 = 25 %
    assert (linkoping["numerator"], linkoping["denominator"]) == (1, 4)
    assert linkoping["value"] == pytest.approx(25.0)
    assert set(results["period"]) <= {"2024"}  # a yearly indicator


def test_team_based_care_counts_a_mover_once_with_all_their_professions(con, catalogue):
    # Contacts in Linköping (läkare, sjuksköterska), then in Norrköping (dietist): three professions
    # across the year, counted once, under the latest kommun; Linköping is left with nobody
    insert(
        con,
        "contacts",
        [
            contact("m1", "m", age=85, profession="lakare", day="2024-02-01"),
            contact("m2", "m", age=85, profession="sjukskoterska", day="2024-03-01"),
            contact("m3", "m", age=85, profession="dietist", day="2024-09-01", kommun=NORRKOPING),
            contact("x1", "x", age=85, profession="lakare", day="2024-02-01"),  # someone in Linköping
        ],
    )
    results = compute(con, catalogue, "teambaserad_vard_75")
    norrkoping = cell(results, NORRKOPING, "2024")
    assert (norrkoping["numerator"], norrkoping["denominator"]) == (1, 1)
    assert (
        cell(results, LINKOPING, "2024")["numerator"],
        cell(results, LINKOPING, "2024")["denominator"],
    ) == (
        0,
        1,
    )
    assert (
        cell(results, OSTERGOTLAND, "2024")["numerator"],
        cell(results, OSTERGOTLAND, "2024")["denominator"],
    ) == (
        1,
        2,
    )


SNAPSHOT = """\
  - id: fast_lakare_having
    title: Fast läkare (having)
    description: Listade med namngiven fast läkare.
    plan_areas: [kontinuitet]
    source: listing
    snapshot: last
    numerator: {count: persons, having: "bool_or(named_gp)"}
    denominator: persons
    multiplier: 100
    unit: "%"
    direction: higher
"""


def test_having_at_a_snapshot_is_evaluated_per_person_not_counted_as_rows(tmp_path):
    # At one snapshot each person is one row, which lets plain counts skip grouping by person;
    # a having: still needs the grouping. Two persons, one with a named GP: 1 / 2.
    path = tmp_path / "indicators.yaml"
    path.write_text(HEADER + SNAPSHOT, encoding="utf-8")
    catalogue = load_catalogue(path, strict=True).catalogue
    con = empty_db(catalogue)
    insert(
        con,
        "listing",
        [
            ("2024-12-31", "p", LINKOPING, "K", 50, "VC", True),
            ("2024-12-31", "q", LINKOPING, "M", 50, "VC", False),
        ],
    )
    year = cell(compute(con, catalogue, "fast_lakare_having"), LINKOPING, "2024")
    assert (year["numerator"], year["denominator"]) == (1, 2)


# --- validation ------------------------------------------------------------------------------------

TEAM = """\
  - id: team
    title: Team
    description: Flera yrkesgrupper.
    plan_areas: [kontinuitet]
    source: contacts
    numerator:
      count: {count}
      having: {having}{extra}
    denominator: persons
    multiplier: 100
    unit: "%"
    direction: higher
"""
HAVING_LINE = HEADER.count("\n") + 8


def team(count: str = "persons", having: str = '"count(DISTINCT profession) >= 3"', extra: str = "") -> str:
    return TEAM.format(count=count, having=having, extra=extra)


def load(tmp_path: Path, text: str):
    path = tmp_path / "indicators.yaml"
    path.write_text(HEADER + text, encoding="utf-8")
    return load_catalogue(path, strict=True).catalogue


def problems_of(tmp_path: Path, text: str) -> list:
    with pytest.raises(CatalogueError) as caught:
        load(tmp_path, text)
    return caught.value.problems


def test_having_is_checked_and_passes_the_sandbox(tmp_path):
    catalogue = load(tmp_path, team())
    indicator = catalogue.indicator("team")
    assert indicator.numerator.having == "count(DISTINCT profession) >= 3"
    assert sql_problems(indicator, indicator_sql(indicator)) == []
    assert check_sql(catalogue) == []


def test_having_is_refused_by_the_sandbox_like_where(tmp_path):
    hostile = "\"(SELECT count(*) FROM read_csv('/etc/passwd')) > 0\""
    indicator = load(tmp_path, team(having=hostile)).indicator("team")
    problems = sql_problems(indicator, indicator_sql(indicator))
    assert problems and "read_csv" in problems[0].message
    assert problems[0].line == HAVING_LINE - 1  # the numerator mapping, where its where: is reported too


def test_having_without_an_aggregate_is_a_check_error_with_a_hint(tmp_path):
    catalogue = load(tmp_path, team(having="\"profession = 'lakare'\""))
    problems = check_sql(catalogue)
    assert len(problems) == 1
    assert "having" in problems[0].message
    assert problems[0].hint is not None and "count(DISTINCT profession) >= 3" in problems[0].hint


def test_having_needs_count_persons(tmp_path):
    [problem] = problems_of(tmp_path, team(count="rows"))
    assert "having gäller bara count: persons" in problem.message
    assert problem.line == HAVING_LINE


def test_having_and_where_in_one_measure_are_refused_with_the_filter_hint(tmp_path):
    [problem] = problems_of(tmp_path, team(extra="\n      where: \"mode = 'video'\""))
    assert "både having och where" in problem.message
    assert problem.hint is not None and "FILTER" in problem.hint
    assert problem.line == HAVING_LINE


def test_a_misspelt_having_key_gets_a_suggestion(tmp_path):
    text = team().replace("having:", "havin:")
    problems = problems_of(tmp_path, text)
    assert any("okänd nyckel 'havin'" in p.message and p.hint == "menade du 'having'?" for p in problems)


def test_a_misspelt_per_person_statistic_gets_a_suggestion(tmp_path):
    text = """\
  - id: upc
    title: UPC
    description: Kontinuitet.
    plan_areas: [kontinuitet]
    source: contacts
    measure:
      per_person: usual_provder
      by: staff_id
    unit: index
    direction: higher
"""
    [problem] = problems_of(tmp_path, text)
    assert problem.hint == "menade du 'usual_provider'?"
    assert problem.line == HEADER.count("\n") + 7


def test_the_new_keys_leave_the_fingerprint_of_an_indicator_without_them_unchanged(tmp_path):
    # Stored runs carry each indicator's definition hash; a new model field that is unset must not
    # change it, or every published result would look out of date after an upgrade.
    from metrics.catalogue.fingerprint import _plain

    catalogue = load(tmp_path, team())
    plain_team = _plain(catalogue.indicator("team"))
    assert plain_team["numerator"]["having"] == "count(DISTINCT profession) >= 3"
    assert "having" not in plain_team["denominator"]  # persons, without having
    assert "extracts" not in plain_team  # a built-in source
