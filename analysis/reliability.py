"""Reliability of a unit's score and its empirical-Bayes (shrunken) estimate.

Reliability ``R = τ² / (τ² + s²)`` says how much of the spread between units is real rather
than sampling noise (τ² between-unit variance, s² = σ²/n the unit's sampling variance). The
shrunken estimate ``θ₀ + R (Y − θ₀)`` pulls a small, noisy unit towards the target; it is
the best linear unbiased predictor of a random-intercept model with those variances, so
it matches statsmodels ``MixedLM`` given the same τ², σ² and θ₀. See
docs/methodology.md, section 2.5.
"""

from __future__ import annotations

import numpy as np

HIGH_STAKES_RELIABILITY = 0.7


def reliability(tau2: float | np.ndarray, sampling_variance: np.ndarray) -> np.ndarray:
    """Return R = τ²/(τ² + s²); 0 when there is no between-unit variance."""
    sampling_variance = np.asarray(sampling_variance, dtype=float)
    tau2 = np.asarray(tau2, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(tau2 > 0, tau2 / (tau2 + sampling_variance), 0.0)
    return np.where(np.isfinite(sampling_variance), r, np.nan)


def shrink(value: np.ndarray, target: float | np.ndarray, r: np.ndarray) -> np.ndarray:
    """Return the empirical-Bayes estimate θ₀ + R (Y − θ₀)."""
    value = np.asarray(value, dtype=float)
    return target + np.asarray(r, dtype=float) * (value - target)


def suitable_for_high_stakes(r: np.ndarray) -> np.ndarray:
    """Return True where R ≥ 0.7, the usual floor for payment or published league use."""
    return np.asarray(r, dtype=float) >= HIGH_STAKES_RELIABILITY
