"""Stats stage: confidence intervals, funnel limits and suppression, as pure numpy functions.

Knows nothing of DuckDB or Dash; the compute stage calls these on whole result columns.
"""

from __future__ import annotations

from metrics.stats.intervals import (
    EXACT_POISSON_BELOW,
    Z95,
    Z998,
    funnel_limits,
    poisson_count_interval,
    rate_interval,
    wilson_interval,
)
from metrics.stats.suppression import (
    SuppressionRule,
    equations_from_pairs,
    primary_suppression,
    secondary_suppression,
)

__all__ = [
    "EXACT_POISSON_BELOW",
    "Z95",
    "Z998",
    "SuppressionRule",
    "equations_from_pairs",
    "funnel_limits",
    "poisson_count_interval",
    "primary_suppression",
    "rate_interval",
    "secondary_suppression",
    "wilson_interval",
]
