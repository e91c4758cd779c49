"""A person_id that looks like a personnummer or samordningsnummer must be recognised."""

from __future__ import annotations

import duckdb
import pytest

from metrics.extracts.personnummer import (
    ascii_personnummer_sql,
    contains_personnummer,
    looks_like_personnummer,
    luhn_valid,
    personnummer_sql,
    unicode_candidate_sql,
)

# Skatteverket's and the usual textbook examples.
LOOKS_LIKE = [
    "811218-9876",
    "19811218-9876",
    "8112189876",
    "198112189876",
    "811218+9876",  # '+' marks a person aged 100 or more
    "121212-1212",  # Tolvan Tolvansson
    "19121212-1212",
    "701063-2391",  # samordningsnummer: day 03 + 60
    " 811218-9876 ",
    "811218--9876",  # spaces, dashes and quotes are removed before the rule applies
]

DOES_NOT_LOOK_LIKE = [
    "811218-9875",  # wrong check digit
    "19811218-9875",
    "121212-1213",
    "81121898761",  # 11 digits
    "P811218-9876",  # a pseudonym with a prefix
    "",
    "abc",
]


# The shapes the probe got stored in contacts.person_id (issue 7): all Tolvan Tolvansson.
ASCII_SHAPES = ["19121212 1212", "121212 1212", "12 12 12-1212", "'121212-1212'", '"19121212-1212"']
UNICODE_SHAPES = [
    "121212\u00a01212",  # no-break space
    "121212\u20111212",  # non-breaking hyphen
    "121212\u20101212",  # hyphen
    "121212\u22121212",  # minus sign
    "121212\u20131212",  # en dash
    "\uff11\uff12\uff11\uff12\uff11\uff12\uff0d\uff11\uff12\uff11\uff12",  # full-width digits and dash
    "\u2018121212-1212\u2019",  # typographic quotes
    "121212\u200b-1212",  # a zero-width space
]
# Pseudonyms and other values that merely contain digits are not refused.
NOT_PERSONNUMMER = [
    "P60654173",
    "1234567890",  # ten digits, Luhn fails
    "K24-0000001",
    "2024-01-15",
    "20240115",
    "S60ee87",
    "12 12 12-1213",  # wrong check digit in any shape
    "\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19\uff10",  # full-width 1234567890, Luhn fails
    "Vårdcentralen 121212",
]


@pytest.mark.parametrize("value", ASCII_SHAPES + UNICODE_SHAPES)
def test_every_shape_of_a_personnummer_is_recognised(value: str) -> None:
    assert looks_like_personnummer(value)


@pytest.mark.parametrize("value", NOT_PERSONNUMMER)
def test_values_that_merely_contain_digits_are_not(value: str) -> None:
    assert not looks_like_personnummer(value)


@pytest.mark.parametrize("value", UNICODE_SHAPES)
def test_non_ascii_shapes_are_candidates_for_the_python_check_in_sql(value: str) -> None:
    # The SQL rule handles ASCII; other values of the right characters go to NFKC in Python.
    sql = f"SELECT {ascii_personnummer_sql('v')}, {unicode_candidate_sql('v')} FROM (SELECT ?::VARCHAR AS v)"
    assert duckdb.execute(sql, [value]).fetchone() == (False, True)


@pytest.mark.parametrize(
    "name",
    [
        "contacts_19121212-1212.csv",
        "contacts 121212 1212.xlsx",
        "listing_12 12 12-1212.csv",
        "sip_1212121212.parquet",
    ],
)
def test_a_personnummer_in_running_text_is_found(name: str) -> None:
    assert contains_personnummer(name)


@pytest.mark.parametrize(
    "name", ["contacts_2024.csv", "contacts_202401-202412.csv", "listing_20240101_20241231.csv", "costs.xlsx"]
)
def test_dates_in_file_names_are_not_personnummer(name: str) -> None:
    assert not contains_personnummer(name)


@pytest.mark.parametrize("digits", ["8112189876", "1212121212", "7010632391", "79927398713", "0"])
def test_luhn_accepts_valid_check_digits(digits: str) -> None:
    assert luhn_valid(digits)


@pytest.mark.parametrize("digits", ["8112189875", "1212121213", "79927398710", "12a4", ""])
def test_luhn_refuses_wrong_check_digits(digits: str) -> None:
    assert not luhn_valid(digits)


@pytest.mark.parametrize("value", LOOKS_LIKE)
def test_recognises_personnummer_and_samordningsnummer(value: str) -> None:
    assert looks_like_personnummer(value)


@pytest.mark.parametrize("value", DOES_NOT_LOOK_LIKE)
def test_does_not_flag_other_values(value: str) -> None:
    assert not looks_like_personnummer(value)


def test_sql_version_agrees_with_python_version() -> None:
    values = [v.strip() for v in LOOKS_LIKE + DOES_NOT_LOOK_LIKE + ASCII_SHAPES]
    con = duckdb.connect()
    con.execute("CREATE TABLE ids (v VARCHAR)")
    con.executemany("INSERT INTO ids VALUES (?)", [[v] for v in values])
    rows = con.execute(f"SELECT v, {ascii_personnummer_sql('v')} FROM ids").fetchall()
    assert rows == [(v, looks_like_personnummer(v)) for v in values]


def test_sql_version_is_false_for_null() -> None:
    assert duckdb.execute(f"SELECT {personnummer_sql('CAST(NULL AS VARCHAR)')}").fetchone() == (False,)


@pytest.mark.parametrize("value", ["811318-9875", "811200-9876", "21811218-9876"])
def test_follows_the_contract_without_a_date_check(value):
    # Contract v1: 10 or 12 digits and a valid Luhn digit is enough to refuse the file,
    # even when the date part is impossible.
    assert looks_like_personnummer(value)
