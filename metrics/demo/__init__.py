"""Demo data: pseudonymised, realistic extracts for Östergötland and Jämtland, 2020–2024."""

from __future__ import annotations

from metrics.demo.generate import generate_demo

__all__ = ["generate_demo"]
