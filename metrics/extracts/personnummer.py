"""Recognise Swedish personnummer and samordningsnummer, so that they are never stored.

The contract says a `person_id` that looks like one makes the whole file fail.
"Looks like" means exactly what contract v1 says: 10 or 12 digits, optionally with
`-` or `+` before the last four, and a valid Luhn check digit over the last ten
digits. No date test is added: a pseudonym of that shape is refused as well, because
the contract is the interface other regions rely on.

Two implementations of the same rule: a Python one for single values and tests,
and a SQL one that DuckDB evaluates vectorised over a whole file.
"""

from __future__ import annotations

import re

# Six or eight digits, an optional separator, four digits: 10 or 12 digits in all.
PATTERN = r"([0-9]{8}|[0-9]{6})[-+]?[0-9]{4}"
_REGEX = re.compile(PATTERN)


def luhn_valid(digits: str) -> bool:
    """True when the last digit of `digits` is the Luhn check digit of the others."""
    if not digits.isdigit():
        return False
    total = 0
    # Weights 2, 1, 2, 1, … from the right-most digit before the check digit.
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def looks_like_personnummer(value: str) -> bool:
    """True when `value` looks like a personnummer or samordningsnummer (see module docstring)."""
    text = value.strip()
    if not _REGEX.fullmatch(text):
        return False
    digits = text.replace("-", "").replace("+", "")
    return luhn_valid(digits[-10:])


def personnummer_sql(expr: str) -> str:
    """A DuckDB boolean expression: does the text `expr` look like a personnummer?

    The regular expression runs first, so the Luhn arithmetic (plain integer
    expressions, no lambdas) only sees candidates of the right shape.
    """
    ten = f"right(replace(replace({expr}, '-', ''), '+', ''), 10)"
    terms = []
    for i in range(1, 11):
        digit = f"(ascii(substr({ten}, {i}, 1)) - 48)"
        if i % 2 == 1:  # weight 2; the digit sum of 2d is 2d - 9 when 2d > 9
            terms.append(f"(2 * {digit} - CASE WHEN {digit} >= 5 THEN 9 ELSE 0 END)")
        else:
            terms.append(digit)
    luhn = " + ".join(terms)
    return f"(CASE WHEN regexp_full_match({expr}, '{PATTERN}') THEN ({luhn}) % 10 = 0 ELSE false END)"
