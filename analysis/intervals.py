"""Confidence intervals for a group's score: Student t for means, Wilson for proportions.

Both are vectorised so the benchmark table can compute tens of thousands of intervals at
once. Methods and reference values: docs/methodology.md, section 2.2.
"""

from __future__ import annotations

import numpy as np
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

ArrayLike = float | np.ndarray


def normal_quantile(level: float) -> float:
    """Return the two-sided standard-normal multiplier for a confidence level (0.95 → 1.96)."""
    return float(stats.norm.ppf(1 - (1 - level) / 2))


def t_interval(
    mean: ArrayLike, sd: ArrayLike, n: ArrayLike, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Return the Student-t interval ``mean ∓ t(n−1)·sd/√n``; NaN where n < 2."""
    n = np.asarray(n, dtype=float)
    mean = np.asarray(mean, dtype=float)
    sd = np.asarray(sd, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        df = np.where(n >= 2, n - 1, np.nan)
        half = stats.t.ppf(1 - (1 - level) / 2, df) * sd / np.sqrt(n)
    return mean - half, mean + half


def wilson_interval(
    successes: ArrayLike, n: ArrayLike, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Return the Wilson score interval for ``successes`` out of ``n``; NaN where n is 0.

    Uses statsmodels' implementation (``proportion_confint(method="wilson")``), which
    matches the PHEindicatormethods reference values.
    """
    successes = np.asarray(successes, dtype=float)
    n = np.asarray(n, dtype=float)
    safe_n = np.where(n > 0, n, 1.0)
    lower, upper = proportion_confint(successes, safe_n, alpha=1 - level, method="wilson")
    lower = np.where(n > 0, lower, np.nan)
    upper = np.where(n > 0, upper, np.nan)
    return np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
