"""The 16 core indicators of contract v1, each checked on rows small enough to compute by hand.

Suppression is switched off here (tests/test_compute_suppression.py covers it), so
every number below is the plain definition applied to the rows in the test.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.indicator_cases import cell, compute, has_cell, insert
from tests.test_contract_guards import CORE_IDS

LINKOPING, NORRKOPING, MOTALA = "0580", "0581", "0583"
OSTERGOTLAND = "05"


def contact(
    cid,
    person,
    kommun="0580",
    *,
    age=50,
    day="2024-03-01",
    profession="lakare",
    staff="",
    mode="mottagning",
    planned=False,
    sex="K",
):
    return (cid, person, kommun, sex, age, day, "Vårdcentralen", "region", profession, staff, mode, planned)


def population(kommun, year, count, *, age=50, sex="K"):
    return (kommun, year, sex, age, count)


# --- kontinuitet ---------------------------------------------------------------------------------


def test_fast_lakarkontakt_counts_the_last_snapshot_of_the_period_and_rolls_up_as_sums(con, catalogue):
    rows = [
        # the March snapshot counts for Q1 only: 1 of 2 with a named GP
        ("2024-03-31", "a", LINKOPING, "K", 70, "VC", True),
        ("2024-03-31", "b", LINKOPING, "M", 40, "VC", False),
        # the December snapshot is the year's last: Linköping 3 of 4, Norrköping 1 of 2
        ("2024-12-31", "a", LINKOPING, "K", 70, "VC", True),
        ("2024-12-31", "b", LINKOPING, "M", 40, "VC", True),
        ("2024-12-31", "c", LINKOPING, "K", 30, "VC", True),
        ("2024-12-31", "d", LINKOPING, "M", 30, "VC", False),
        ("2024-12-31", "e", NORRKOPING, "K", 80, "VC", True),
        ("2024-12-31", "f", NORRKOPING, "K", 80, "VC", False),
    ]
    insert(con, "listing", rows)
    results = compute(con, catalogue, "fast_lakarkontakt")

    assert cell(results, LINKOPING, "2024")["value"] == pytest.approx(75.0)
    assert cell(results, LINKOPING, "2024-Q1")["value"] == pytest.approx(50.0)
    assert cell(results, LINKOPING, "2024-Q4")["value"] == pytest.approx(75.0)
    # län = (3 + 1) / (4 + 2), not the mean of 75 % and 50 %
    lan = cell(results, OSTERGOTLAND, "2024")
    assert (lan["numerator"], lan["denominator"]) == (4, 6)
    assert lan["value"] == pytest.approx(100 * 4 / 6)
    # breakdowns add up to the total: women in Linköping 2 of 2, men 1 of 2
    assert cell(results, LINKOPING, "2024", sex="K")["value"] == pytest.approx(100.0)
    assert cell(results, LINKOPING, "2024", sex="M")["value"] == pytest.approx(50.0)
    assert cell(results, LINKOPING, "2024", age_band="20-64")["denominator"] == 3


@pytest.mark.parametrize(
    ("visits", "expected"),
    [
        ("AA", 1.0),
        ("AB", 0.0),
        ("AAB", 1 / 3),
        ("AABB", 1 / 3),
        ("AAABBB", 0.40),
        ("AAAABBBB", 3 / 7),  # 0.43
        ("AAAABCDE", 3 / 14),  # 0.21
    ],
)
def test_continuity_index_matches_the_published_worked_example(con, catalogue, visits, expected):
    # BJGP 2023;73(731):279-282: each letter is a contact with that doctor
    insert(
        con,
        "contacts",
        [contact(f"c{i}", "p", staff=s, day=f"2024-0{1 + i % 9}-01") for i, s in enumerate(visits)],
    )
    results = compute(con, catalogue, "kontinuitet_lakare")
    year = cell(results, LINKOPING, "2024")
    assert year["denominator"] == 1
    assert year["value"] == pytest.approx(expected, abs=1e-9)


def test_continuity_index_needs_two_doctor_contacts_with_known_staff(con, catalogue):
    insert(
        con,
        "contacts",
        [
            contact("c1", "single", staff="A"),  # one visit: no index
            contact("c2", "nurse", staff="A", profession="sjukskoterska"),
            contact("c3", "nurse", staff="A", profession="sjukskoterska"),  # not doctors
            contact("c4", "unknown", staff=""),
            contact("c5", "unknown", staff=""),  # no staff_id
            contact("c6", "p", staff="A"),
            contact("c7", "p", staff="B"),  # AB → 0
            contact("c8", "q", staff="A", kommun=NORRKOPING),
            contact("c9", "q", staff="A", kommun=NORRKOPING),  # AA → 1
        ],
    )
    results = compute(con, catalogue, "kontinuitet_lakare")
    assert cell(results, LINKOPING, "2024")["denominator"] == 1
    assert cell(results, LINKOPING, "2024")["value"] == pytest.approx(0.0)
    # län: mean over persons (0 + 1) / 2
    assert cell(results, OSTERGOTLAND, "2024")["value"] == pytest.approx(0.5)


def test_continuity_index_is_computed_within_each_period(con, catalogue):
    # A in January, A in February: the year has AA (index 1); each month has a single visit (no index)
    insert(
        con,
        "contacts",
        [contact("c1", "p", staff="A", day="2024-01-10"), contact("c2", "p", staff="A", day="2024-02-10")],
    )
    results = compute(con, catalogue, "kontinuitet_lakare")
    assert cell(results, LINKOPING, "2024")["value"] == pytest.approx(1.0)
    assert cell(results, LINKOPING, "2024-Q1")["value"] == pytest.approx(1.0)
    assert not has_cell(results, LINKOPING, "2024-01")


def test_fast_omsorgskontakt_looks_at_each_persons_latest_month(con, catalogue):
    rows = [
        ("2024-01-01", "a", LINKOPING, "K", 85, 10.0, True, 12),
        ("2024-02-01", "a", LINKOPING, "K", 85, 10.0, False, 12),  # latest month: no contact → not counted
        ("2024-01-01", "b", LINKOPING, "K", 85, 10.0, False, 12),
        ("2024-03-01", "b", LINKOPING, "K", 85, 10.0, True, 12),  # latest month: yes → counted
        ("2024-01-01", "c", LINKOPING, "M", 90, 5.0, True, None),
    ]
    insert(con, "home_care", rows)
    results = compute(con, catalogue, "fast_omsorgskontakt")
    year = cell(results, LINKOPING, "2024")
    assert (year["numerator"], year["denominator"]) == (2, 3)
    january = cell(results, LINKOPING, "2024-01")
    assert (january["numerator"], january["denominator"]) == (2, 3)  # a and c yes, b no
    february = cell(results, LINKOPING, "2024-02")
    assert (february["numerator"], february["denominator"]) == (0, 1)


def test_personalkontinuitet_is_the_mean_of_non_empty_staff_counts(con, catalogue):
    rows = [
        ("2024-01-01", "a", LINKOPING, "K", 85, 10.0, True, 10),
        ("2024-02-01", "a", LINKOPING, "K", 85, 10.0, True, 14),
        ("2024-02-01", "b", LINKOPING, "K", 85, 10.0, True, None),  # not measured: left out
        ("2024-03-01", "c", LINKOPING, "M", 90, 5.0, True, 6),
    ]
    insert(con, "home_care", rows)
    results = compute(con, catalogue, "personalkontinuitet_hemtjanst")
    year = cell(results, LINKOPING, "2024")
    assert (year["numerator"], year["denominator"]) == (30, 3)
    assert year["value"] == pytest.approx(10.0)
    assert pd_isna(year["ci_low"])  # means carry no interval in contract v1


# --- tillgänglighet ------------------------------------------------------------------------------


def test_digitala_kontakter_share_of_video_and_chat_with_wilson_interval(con, catalogue):
    modes = [
        "video",
        "chatt",
        "video",
        "telefon",
        "mottagning",
        "mottagning",
        "hembesok",
        "mottagning",
        "telefon",
        "mottagning",
    ]
    insert(con, "contacts", [contact(f"c{i}", f"p{i}", mode=m) for i, m in enumerate(modes)])
    results = compute(con, catalogue, "digitala_kontakter")
    year = cell(results, LINKOPING, "2024")
    assert (year["numerator"], year["denominator"]) == (3, 10)
    assert year["value"] == pytest.approx(30.0)
    # Wilson 95 % for 3/10, by hand: centre 0.35551, half-width 0.24773 → 10.78 %–60.32 %
    assert year["ci_low"] == pytest.approx(10.78, abs=0.01)
    assert year["ci_high"] == pytest.approx(60.32, abs=0.01)
    assert cell(results, LINKOPING, "2024-03")["value"] == pytest.approx(30.0)
    assert cell(results, LINKOPING, "2024-Q1")["denominator"] == 10


def test_hembesok_75_per_1000_inhabitants_of_the_same_age(con, catalogue):
    insert(
        con,
        "contacts",
        [
            contact("c1", "a", age=75, mode="hembesok"),
            contact("c2", "a", age=75, mode="hembesok"),
            contact("c3", "b", age=92, mode="hembesok", sex="M"),
            contact("c4", "c", age=74, mode="hembesok"),  # too young
            contact("c5", "d", age=80, mode="mottagning"),  # not a home visit
        ],
    )
    insert(
        con,
        "population",
        [
            population(LINKOPING, 2024, 150, age=75),
            population(LINKOPING, 2024, 50, age=92, sex="M"),
            population(LINKOPING, 2024, 5000, age=74),
        ],
    )
    results = compute(con, catalogue, "hembesok_75")
    year = cell(results, LINKOPING, "2024")
    assert (year["numerator"], year["denominator"]) == (3, 200)
    assert year["value"] == pytest.approx(15.0)
    # exact Poisson for 3 events (below 10): 0.6187–8.7673 → per 1 000 of 200
    assert year["ci_low"] == pytest.approx(0.6187 / 200 * 1000, abs=0.01)
    assert year["ci_high"] == pytest.approx(8.7673 / 200 * 1000, abs=0.01)
    # the age breakdown uses the same bands for the population
    assert cell(results, LINKOPING, "2024", age_band="85+")["denominator"] == 50
    assert cell(results, LINKOPING, "2024", sex="M")["value"] == pytest.approx(1000 / 50)
    # population-based indicators have years only
    assert set(results["period_type"]) == {"year"}


def test_population_rate_is_zero_in_every_kommun_the_delivery_covers_and_absent_where_none_does(
    con, catalogue
):
    insert(
        con,
        "contacts",
        [
            contact("c1", "a", age=80, mode="hembesok"),
            contact("c2", "b", kommun=MOTALA, age=30),  # Motala: contacts, none a home visit 75+
        ],
    )
    insert(
        con,
        "population",
        [
            population(LINKOPING, 2024, 100, age=80),
            population(MOTALA, 2024, 100, age=80),
            population(NORRKOPING, 2024, 100, age=80),  # no contacts at all from Norrköping
            population(LINKOPING, 2023, 100, age=80),  # no contacts at all in 2023
        ],
    )
    results = compute(con, catalogue, "hembesok_75")
    # The region's contacts cover all of Östergötland in 2024 (coverage, contract 1.1):
    # Motala and Norrköping had no home visits, so 0 of their 100 inhabitants aged 75+.
    assert cell(results, MOTALA, "2024")["value"] == 0
    norrkoping = cell(results, NORRKOPING, "2024")
    assert (norrkoping["numerator"], norrkoping["denominator"]) == (0, 100)
    # No delivery covers 2023: nothing is computed for it, not even a zero.
    assert not has_cell(results, LINKOPING, "2023")
    # the län: (1 + 0 + 0) / (100 + 100 + 100)
    assert cell(results, OSTERGOTLAND, "2024")["value"] == pytest.approx(1000 * 1 / 300)


def test_a_person_who_moves_counts_once_under_the_kommun_of_their_latest_row(con, catalogue):
    rows = [
        ("2024-01-01", "p", LINKOPING, "K", 85, 10.0, True, 12),
        ("2024-02-01", "p", NORRKOPING, "K", 85, 10.0, False, 12),  # latest month: Norrköping, no contact
    ]
    insert(con, "home_care", rows)
    results = compute(con, catalogue, "fast_omsorgskontakt")
    lan = cell(results, OSTERGOTLAND, "2024")
    assert (lan["numerator"], lan["denominator"]) == (0, 1)
    assert cell(results, NORRKOPING, "2024")["denominator"] == 1
    assert not has_cell(results, LINKOPING, "2024")


def test_continuity_follows_a_person_across_kommuner(con, catalogue):
    # doctor A in Linköping, then doctor A again after moving to Norrköping: AA → 1, counted once
    insert(
        con,
        "contacts",
        [
            contact("c1", "p", staff="A", day="2024-02-01"),
            contact("c2", "p", staff="A", kommun=NORRKOPING, day="2024-05-01"),
        ],
    )
    results = compute(con, catalogue, "kontinuitet_lakare")
    assert cell(results, NORRKOPING, "2024")["value"] == pytest.approx(1.0)
    assert cell(results, OSTERGOTLAND, "2024")["denominator"] == 1


def test_each_kommun_uses_its_own_last_snapshot_in_the_period(con, catalogue):
    rows = [("2024-12-31", f"a{i}", LINKOPING, "K", 40, "VC", i < 10) for i in range(20)]
    rows += [("2024-12-15", f"b{i}", "2380", "K", 40, "VC", i < 5) for i in range(20)]  # Östersund
    rows += [("2024-06-30", f"b{i}", "2380", "K", 40, "VC", False) for i in range(20)]
    insert(con, "listing", rows)
    results = compute(con, catalogue, "fast_lakarkontakt")
    assert cell(results, "2380", "2024")["value"] == pytest.approx(25.0)
    assert cell(results, "23", "2024")["value"] == pytest.approx(25.0)
    assert cell(results, "2380", "2024-12")["value"] == pytest.approx(25.0)


# --- resursanvändning ---------------------------------------------------------------------------


def test_akutbesok_75_dates_a_visit_by_its_arrival(con, catalogue):
    insert(
        con,
        "emergency",
        [
            (
                "v1",
                "a",
                LINKOPING,
                "K",
                80,
                "2023-12-31 23:30:00",
                "2024-01-01 04:00:00",
                False,
            ),  # counts in 2023
            ("v2", "a", LINKOPING, "K", 80, "2024-01-01 08:00:00", "2024-01-01 12:00:00", True),
            ("v3", "b", LINKOPING, "M", 76, "2024-06-01 08:00:00", "2024-06-01 09:00:00", False),
            ("v4", "c", LINKOPING, "M", 60, "2024-06-01 08:00:00", "2024-06-01 09:00:00", False),  # under 75
        ],
    )
    insert(con, "population", [population(LINKOPING, y, 400, age=80) for y in (2023, 2024)])
    results = compute(con, catalogue, "akutbesok_75")
    assert cell(results, LINKOPING, "2023")["numerator"] == 1
    assert cell(results, LINKOPING, "2024")["numerator"] == 2
    assert cell(results, LINKOPING, "2024")["value"] == pytest.approx(5.0)


def stay(
    sid, person, admission, discharge, *, acute=True, age=70, kommun=LINKOPING, diagnosis="J18", ready=None
):
    return (sid, person, kommun, "K", age, admission, discharge, acute, diagnosis, ready)


def test_readmission_window_is_1_to_30_days_and_may_fall_in_the_next_year(con, catalogue):
    insert(
        con,
        "inpatient",
        [
            stay("a1", "a", "2024-12-10", "2024-12-20"),
            stay("a2", "a", "2025-01-10", "2025-01-12"),  # 21 days later, next year: a1 counts in 2024
            stay("b1", "b", "2024-02-20", "2024-03-01"),
            stay("b2", "b", "2024-03-02", "2024-03-05"),  # day 1: b1 counts
            stay("c1", "c", "2024-04-20", "2024-05-01"),
            stay("c2", "c", "2024-05-31", "2024-06-02"),  # day 30: c1 counts
            stay("d1", "d", "2024-05-20", "2024-06-01"),
            stay("d2", "d", "2024-07-02", "2024-07-03"),  # day 31: too late
            stay("e1", "e", "2024-07-20", "2024-08-01"),
            stay("e2", "e", "2024-08-05", "2024-08-06", acute=False),  # planned: does not count
            stay("f1", "f", "2024-09-01", "2024-09-10", age=60),
            stay("f2", "f", "2024-09-12", "2024-09-14", age=60),  # under 65: not in the indicator
            stay("g1", "g", "2024-10-01", "2024-10-05"),
            stay("g2", "g", "2024-10-05", "2024-10-08"),  # day 0 (same day): not 1-30
        ],
    )
    results = compute(con, catalogue, "aterinskrivning_30d_65")
    year = cell(results, LINKOPING, "2024")
    # 2024 discharges of persons 65+: a1 b1 b2 c1 c2 d1 d2 e1 e2 g1 g2 = 11;
    # followed by an acute admission within 1-30 days: a1 b1 c1
    assert (year["numerator"], year["denominator"]) == (3, 11)
    assert cell(results, LINKOPING, "2025")["denominator"] == 1
    assert cell(results, LINKOPING, "2024-12")["numerator"] == 1  # a1, by its discharge month


def test_utskrivningsklara_dagar_sums_days_after_ready_for_discharge(con, catalogue):
    insert(
        con,
        "inpatient",
        [
            stay("s1", "a", "2024-01-01", "2024-01-10", ready="2024-01-07"),  # 3 days
            stay("s2", "b", "2024-02-01", "2024-02-10", ready="2024-02-05"),  # 5 days
            stay("s3", "c", "2024-03-01", "2024-03-10"),  # no ready date
            stay("s4", "d", "2024-03-01", "2024-03-10", ready="2024-03-01", age=64),  # under 65
        ],
    )
    insert(
        con,
        "population",
        [population(LINKOPING, 2024, 1000, age=70), population(LINKOPING, 2024, 9000, age=30)],
    )
    results = compute(con, catalogue, "utskrivningsklara_dagar_65")
    year = cell(results, LINKOPING, "2024")
    assert (year["numerator"], year["denominator"]) == (8, 1000)
    assert year["value"] == pytest.approx(8.0)
    assert pd_isna(year["ci_low"])  # sums of days carry no interval


def test_undvikbar_slutenvard_matches_code_prefixes_with_or_without_dot(con, catalogue):
    insert(
        con,
        "inpatient",
        [
            stay("s1", "a", "2024-01-01", "2024-01-05", diagnosis="J44.1"),
            stay("s2", "b", "2024-01-01", "2024-01-05", diagnosis="J441"),
            stay("s3", "c", "2024-01-01", "2024-01-05", diagnosis="i50.9"),
            stay("s4", "d", "2024-01-01", "2024-01-05", diagnosis="N39.0"),
            stay("s5", "e", "2024-01-01", "2024-01-05", diagnosis="N39.4"),  # N394 is not N390
            stay("s6", "f", "2024-01-01", "2024-01-05", diagnosis="K35"),  # not on the list
            stay("s7", "g", "2024-01-01", "2024-01-05", diagnosis="I10", acute=False),  # planned
            stay("s8", "h", "2023-12-30", "2024-01-02", diagnosis="I10"),  # admitted in 2023
            # discharged in December 2023: the delivery covers 2023 from December (coverage follows
            # the extract's date, discharge_date), so the stay admitted in 2023 has a year to count in
            stay("s9", "i", "2023-11-20", "2023-12-01", diagnosis="K35"),
        ],
    )
    insert(con, "population", [population(LINKOPING, y, 20000, age=40) for y in (2023, 2024)])
    results = compute(con, catalogue, "undvikbar_slutenvard")
    year = cell(results, LINKOPING, "2024")
    assert (year["numerator"], year["denominator"]) == (4, 20000)
    assert year["value"] == pytest.approx(20.0)
    assert cell(results, LINKOPING, "2023")["numerator"] == 1


def test_kostnad_per_invanare_adds_both_principals_and_all_areas(con, catalogue):
    insert(
        con,
        "costs",
        [
            (LINKOPING, 2024, "region", "primarvard", 1_000_000.0),
            (LINKOPING, 2024, "region", "slutenvard", 2_000_000.0),
            (LINKOPING, 2024, "kommun", "hemtjanst", 2_000_000.0),
            (LINKOPING, 2023, "kommun", "hemtjanst", 9_000_000.0),
        ],
    )
    insert(
        con, "population", [population(LINKOPING, 2024, 60, age=30), population(LINKOPING, 2024, 40, age=80)]
    )
    results = compute(con, catalogue, "kostnad_per_invanare")
    assert cell(results, LINKOPING, "2024")["value"] == pytest.approx(50_000.0)
    assert set(results["breakdown"]) == {"total"}


# --- fokusflyttning, samordning, delaktighet, arbetsmiljö --------------------------------------


def test_proaktiva_kontakter_share_of_planned_contacts(con, catalogue):
    insert(con, "contacts", [contact(f"c{i}", f"p{i}", planned=i < 4) for i in range(10)])
    results = compute(con, catalogue, "proaktiva_kontakter")
    assert cell(results, LINKOPING, "2024")["value"] == pytest.approx(40.0)


def test_sip_per_1000_counts_plans_started_in_the_year(con, catalogue):
    sips = [(f"s{i}", f"p{i}", LINKOPING, "K", 80, f"2024-0{i + 1}-15", "kommun", True) for i in range(5)]
    sips.append(("s9", "p9", LINKOPING, "K", 80, "2023-12-31", "region", True))
    insert(con, "sip", sips)
    insert(con, "population", [population(LINKOPING, y, 2500) for y in (2023, 2024)])
    results = compute(con, catalogue, "sip_per_1000")
    assert cell(results, LINKOPING, "2024")["value"] == pytest.approx(2.0)
    assert cell(results, LINKOPING, "2023")["value"] == pytest.approx(0.4)


def test_sip_delaktighet_share_where_the_person_took_part(con, catalogue):
    sips = [(f"s{i}", f"p{i}", LINKOPING, "K", 80, "2024-05-15", "kommun", i != 0) for i in range(4)]
    insert(con, "sip", sips)
    results = compute(con, catalogue, "sip_delaktighet")
    assert cell(results, LINKOPING, "2024")["value"] == pytest.approx(75.0)
    assert cell(results, LINKOPING, "2024-Q2")["value"] == pytest.approx(75.0)


def test_npe_delaktighet_uses_only_its_dimension_and_sums_answers_for_the_lan(con, catalogue):
    insert(
        con,
        "survey",
        [
            (LINKOPING, 2024, "delaktighet_och_involvering", 60, 80),
            (LINKOPING, 2024, "tillganglighet", 10, 10),
            (NORRKOPING, 2024, "delaktighet_och_involvering", 30, 50),
        ],
    )
    results = compute(con, catalogue, "npe_delaktighet")
    assert cell(results, LINKOPING, "2024")["value"] == pytest.approx(75.0)
    assert cell(results, OSTERGOTLAND, "2024")["value"] == pytest.approx(100 * 90 / 130)
    assert cell(results, LINKOPING, "2024")["ci_low"] < 75.0 < cell(results, LINKOPING, "2024")["ci_high"]


def test_sjukfranvaro_is_absence_hours_over_scheduled_hours(con, catalogue):
    insert(
        con,
        "staff_absence",
        [
            (LINKOPING, "2024-01-01", "region", 1000.0, 50.0),
            (LINKOPING, "2024-02-01", "kommun", 500.0, 30.0),
        ],
    )
    results = compute(con, catalogue, "sjukfranvaro_personal")
    assert cell(results, LINKOPING, "2024")["value"] == pytest.approx(100 * 80 / 1500)
    assert cell(results, LINKOPING, "2024-01")["value"] == pytest.approx(5.0)
    assert cell(results, LINKOPING, "2024-Q1")["value"] == pytest.approx(100 * 80 / 1500)


def test_area_groups_roll_up_like_the_lan(con, catalogue):
    # Närsjukvårdsområde Central = Linköping, Kinda, Ydre, Åtvidaberg
    insert(
        con,
        "contacts",
        [
            contact("c1", "a", planned=True),
            contact("c2", "b", kommun="0513"),
            contact("c3", "c", kommun=NORRKOPING, planned=True),
        ],
    )
    results = compute(con, catalogue, "proaktiva_kontakter")
    central = cell(results, "nso_central", "2024")
    assert central["area_level"] == "narsjukvardsomrade"
    assert (central["numerator"], central["denominator"]) == (1, 2)


def pd_isna(value) -> bool:
    return value != value or value is None


def test_every_core_indicator_of_the_contract_is_in_the_catalogue(catalogue):
    core = CORE_IDS
    assert core <= {i.id for i in catalogue.indicators}
    directions = {i.id: i.direction for i in catalogue.indicators}
    assert directions["digitala_kontakter"] == "neutral"
    assert directions["akutbesok_75"] == "lower"
    assert directions["fast_lakarkontakt"] == "higher"
    assert date(2024, 1, 1)  # keep the import used for readability of dates above
