"""A person_id that looks like a personnummer or samordningsnummer must be recognised."""

from __future__ import annotations

import duckdb
import pytest

from metrics.extracts.personnummer import looks_like_personnummer, luhn_valid, personnummer_sql

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
]

DOES_NOT_LOOK_LIKE = [
    "811218-9875",  # wrong check digit
    "19811218-9875",
    "121212-1213",
    "81121898761",  # 11 digits
    "811218--9876",
    "P811218-9876",  # a pseudonym with a prefix
    "",
    "abc",
]


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
    values = [v.strip() for v in LOOKS_LIKE + DOES_NOT_LOOK_LIKE]
    con = duckdb.connect()
    con.execute("CREATE TABLE ids (v VARCHAR)")
    con.executemany("INSERT INTO ids VALUES (?)", [[v] for v in values])
    rows = con.execute(f"SELECT v, {personnummer_sql('v')} FROM ids").fetchall()
    assert rows == [(v, looks_like_personnummer(v)) for v in values]


def test_sql_version_is_false_for_null() -> None:
    assert duckdb.execute(f"SELECT {personnummer_sql('CAST(NULL AS VARCHAR)')}").fetchone() == (False,)


@pytest.mark.parametrize("value", ["811318-9875", "811200-9876", "21811218-9876"])
def test_follows_the_contract_without_a_date_check(value):
    # Contract v1: 10 or 12 digits and a valid Luhn digit is enough to refuse the file,
    # even when the date part is impossible.
    assert looks_like_personnummer(value)
