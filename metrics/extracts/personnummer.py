"""Recognise Swedish personnummer and samordningsnummer, so that they are never stored.

The contract says a value that looks like one makes the whole file fail.
"Looks like" is the contract v1 rule applied to the *normalised* value: Unicode
NFKC (full-width and other digit forms become 0-9, and so do the decimal
digits of every other script, e.g. Arabic-Indic), then every space (also
no-break and thin spaces), every dash or hyphen variant and every quote mark
removed; what remains must be 10 or 12 digits, optionally with `+` before the
last four, with a valid Luhn check digit over the last ten. So `19121212 1212`,
`12 12 12-1212`, `'121212-1212'` and `１２１２１２‐１２１２` are all refused. No date
test is added: a pseudonym of that shape is refused as well, because the
contract is the interface other regions rely on; a 10-digit id whose last digit
fails the Luhn test is not refused.

Two implementations of the same rule: a Python one for single values and tests,
and a SQL one that DuckDB evaluates vectorised over a whole file. The SQL one
handles plain ASCII values itself and marks values with other characters as
candidates, which are rare and are normalised (NFKC) and checked in Python.
"""

from __future__ import annotations

import re
import unicodedata

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


# Removed before the rule is applied: white space (Python's \s is Unicode-aware: no-break,
# thin and ideographic spaces), invisible format characters, dashes and hyphens of every
# kind (and the minus sign), and quote marks.
_DASHES = (
    "\\-\u058a\u05be\u1400\u1806\u2010-\u2015\u2212\u2e17\u2e1a\u2e3a\u2e3b\u2e40"
    "\u301c\u3030\u30a0\ufe31\ufe32\ufe58\ufe63\uff0d"
)
_QUOTES = "'\"`\u00b4\u2018-\u201f\u2032-\u2037\u00ab\u00bb\u2039\u203a\uff02\uff07"
_INVISIBLE = "\u00ad\u180e\u200b-\u200f\u2060-\u2064\ufeff"
_STRIP = re.compile(f"[\\s{_DASHES}{_QUOTES}{_INVISIBLE}]")
# In running text (a file name, a line that could not be split): the shapes a personnummer
# is written in, with spaces or a dash where people put them, between non-digits.
_IN_TEXT = re.compile(r"(?<![0-9])(?=((?:[0-9]{2})?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[-+]? ?[0-9]{4})(?![0-9]))")


def _nfkc_digits(value: str) -> str:
    """NFKC, and every decimal digit of any script as 0-9.

    NFKC folds full-width digits but keeps Arabic-Indic (U+0660), Devanagari (U+0966) and the
    other scripts' digits, and a personnummer can be written in those too.
    """
    text = unicodedata.normalize("NFKC", value)
    if text.isascii():
        return text
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() and not c.isascii() else c for c in text)


def normalise(value: str) -> str:
    """NFKC with ASCII digits, then without spaces, dashes, quotes and invisible characters."""
    return _STRIP.sub("", _nfkc_digits(value))


def looks_like_personnummer(value: str) -> bool:
    """True when `value` looks like a personnummer or samordningsnummer (see module docstring)."""
    text = normalise(value)
    if not _REGEX.fullmatch(text) or not text.isascii():
        return False
    return luhn_valid(text.replace("+", "")[-10:])


def contains_personnummer(text: str) -> bool:
    """True when running text (e.g. a file name) contains a personnummer in one of its usual shapes."""
    return any(looks_like_personnummer(m.group(1)) for m in _IN_TEXT.finditer(_running_text(text)))


# In a cell's text the number must stand apart from letters too: `P1234567897` is a pseudonym
# (one in ten such ids passes the Luhn test), `pat 19121212-1212 vc` is a personnummer.
_IN_CELL = re.compile(
    r"(?<![^\W_])(?=((?:[0-9]{2})?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[-+]? ?[0-9]{4})(?![^\W_]))"
)


def _running_text(text: str) -> str:
    """Digits as 0-9, dashes as '-', white space as one space, without quotes and invisible characters."""
    spaced = re.sub(f"[{_DASHES}]", "-", _nfkc_digits(text))
    return re.sub(f"[{_QUOTES}{_INVISIBLE}]", "", re.sub(r"\s+", " ", spaced))


def mentions_personnummer(text: str) -> bool:
    """True when a cell's text holds a personnummer among other words (`pat 19121212-1212 vc`)."""
    return any(looks_like_personnummer(m.group(1)) for m in _IN_CELL.finditer(_running_text(text)))


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


# Plain ASCII values made only of digits, spaces, quotes, '-' and '+' go through the SQL rule.
_ASCII_SHAPE = r"[0-9\s'\"`+-]+"
_ASCII_STRIP = r"[\s'\"`-]"
# Values with other characters that could normalise to a personnummer: numbers of any script,
# spaces, dashes, quotes and format characters only. Checked in Python (NFKC).
_UNICODE_SHAPE = r"[\p{N}\p{Z}\p{Pd}\p{Pi}\p{Pf}\p{Cf}\s'\"`´+\x{2212}\x{FF02}\x{FF07}\x{FF0B}]+"


def _text(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def long_enough_sql(expr: str) -> str:
    """True for a value that may hold a personnummer: ten digits at least, each a byte or more.

    Every test here (`ascii_personnummer_sql`, `unicode_candidate_sql`, `embedded_candidate_sql`)
    is false for a shorter value, so a scan may leave out the rows where no column is this long.
    """
    return f"strlen({expr}) >= 10"


def _could_be_sql(expr: str) -> str:
    """Cheap tests that rule out nearly every value: at least 10 bytes, and a first character
    that is a digit, a quote or not ASCII (values are trimmed before the check)."""
    return (
        f"{long_enough_sql(expr)} AND (ascii({expr}) BETWEEN 48 AND 57 OR ascii({expr}) IN (34, 39, 96) "
        f"OR ascii({expr}) > 127)"
    )


def ascii_personnummer_sql(expr: str) -> str:
    """A DuckDB boolean: is the text `expr` plain ASCII and, normalised, a personnummer?

    Cheap tests first, so that the regular expressions and the Luhn arithmetic only run
    on the few values of the right shape.
    """
    stripped = f"regexp_replace({expr}, {_text(_ASCII_STRIP)}, '', 'g')"
    return (
        f"(CASE WHEN {expr} IS NULL OR NOT ({_could_be_sql(expr)}) THEN false "
        f"WHEN strlen({expr}) <> length({expr}) THEN false "
        f"WHEN NOT regexp_full_match({expr}, {_text(_ASCII_SHAPE)}) THEN false "
        f"ELSE {personnummer_sql(stripped)} END)"
    )


def unicode_candidate_sql(expr: str) -> str:
    """A DuckDB boolean: does `expr` hold non-ASCII characters and could it normalise to one?"""
    return (
        f"(CASE WHEN {expr} IS NULL OR NOT ({_could_be_sql(expr)}) THEN false "
        f"WHEN strlen({expr}) = length({expr}) THEN false "
        f"ELSE regexp_full_match({expr}, {_text(_UNICODE_SHAPE)}) END)"
    )


# Ten digits (of any script) with no letter between them, apart from a letter or digit before:
# a superset of `_IN_CELL` after normalisation, checked in Python. (Bounded repeats of these
# large classes, `{0,4}`, made RE2 about 50 times slower.)
_EMBEDDED_SHAPE = r"(^|[^\p{L}\p{N}])(\p{N}[^\p{L}\p{N}]*){9}\p{N}"


def embedded_candidate_sql(expr: str) -> str:
    """A DuckDB boolean: could `expr` hold a personnummer among other text? (Checked in Python.)

    Values made only of a personnummer's characters are left to the two rules above.
    """
    return (
        f"(CASE WHEN {expr} IS NULL OR strlen({expr}) < 11 THEN false "
        f"WHEN regexp_full_match({expr}, {_text(_ASCII_SHAPE)}) THEN false "
        f"ELSE regexp_matches({expr}, {_text(_EMBEDDED_SHAPE)}) END)"
    )
