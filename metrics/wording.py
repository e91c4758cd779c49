"""Numbers in messages for the terminal and logs, written the Swedish way ("1 523 000 rader")."""

from __future__ import annotations


def thousands(n: float) -> str:
    """1523000 → '1 523 000' (whole numbers, space as thousands separator)."""
    return f"{n:,.0f}".replace(",", " ")


def rows(n: int) -> str:
    """'1 rad', '2 rader'."""
    return f"{thousands(n)} {'rad' if n == 1 else 'rader'}"
