"""Demo data: pseudonymised, realistic extracts for any of the 21 län, 2015–2024 (by default
Östergötland and Jämtland 2020–2024; only their kommuner have SCB's population, the others a
synthetic one)."""

from __future__ import annotations

from metrics.demo.generate import generate_demo

__all__ = ["generate_demo"]
