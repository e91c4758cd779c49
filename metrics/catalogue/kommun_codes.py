"""Kommun codes written without quotes: what YAML made of them, and how to write them.

YAML reads `2380` as a number and `0513` as an *octal* number (331), while `0580`
(not octal: it has an 8) stays text. An analyst who sees "okänd kommunkod '331'"
cannot know why; this module says what happened.
"""

from __future__ import annotations

from collections.abc import Container


def unquoted_note(value: object, known: Container[str]) -> tuple[str, str] | None:
    """(message, hint) when `value` is a number YAML made of an unquoted code; else None."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    octal = f"0{value:o}"
    if octal in known:
        return (
            f"kommunkoden {octal} står utan citattecken, så YAML läste den som det oktala talet {value}",
            f'skriv koden inom citattecken: "{octal}"',
        )
    padded = f"{value:04d}"
    return (
        f"kommunkoden {value} står utan citattecken, så YAML läste den som ett tal "
        "(inledande nollor försvinner)",
        f'skriv koden med fyra siffror inom citattecken, t.ex. "{padded}"',
    )
