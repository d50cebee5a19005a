"""Funnel-plot benchmarking with over-dispersion (Spiegelhalter 2005).

Each unit's indicator is compared with a target: a z-score, the dispersion ratio φ from
winsorised z-scores (or, for SHMI-style ratios, truncated ones), the DerSimonian–Laird
between-unit variance τ², the over-dispersion-adjusted z, funnel limits at the unit's size
and the band used in reports. Three indicator kinds share one engine: means, proportions
(arcsine square-root scale) and ratios O/E (log scale, exact Poisson limits when there is
no over-dispersion). Formulas and sources: docs/methodology.md, section 2.4.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analysis.intervals import normal_quantile

Z95 = normal_quantile(0.95)
Z998 = normal_quantile(0.998)
MIN_RESPONDENTS = 30
WINSOR_FRACTION = 0.1

MUCH_WORSE = "much worse"
WORSE = "worse"
AS_EXPECTED = "as expected"
BETTER = "better"
MUCH_BETTER = "much better"
TOO_FEW = "too few responses"
BANDS = (MUCH_WORSE, WORSE, AS_EXPECTED, BETTER, MUCH_BETTER, TOO_FEW)

FUNNEL_COLUMNS = [
    "n", "value", "target", "z", "z_adjusted", "phi", "tau2",
    "lower95", "upper95", "lower998", "upper998", "band",
]
# A unit's own limits: their width is a function of its n, so they are published with it.
UNIT_LIMITS = ["lower95", "upper95", "lower998", "upper998"]


@dataclass(frozen=True)
class Dispersion:
    """Over-dispersion of a set of units: ratio φ, between-unit variance τ², units used."""

    phi: float
    tau2: float
    units: int


def winsorised_phi(z: np.ndarray, fraction: float = WINSOR_FRACTION) -> float:
    """Return φ = mean of squared z-scores winsorised at the given percentiles (R type 7)."""
    z = np.asarray(z, dtype=float)
    if z.size == 0:
        return float("nan")
    low, high = np.percentile(z, [100 * fraction, 100 * (1 - fraction)])
    return float(np.mean(np.clip(z, low, high) ** 2))


def truncation_mask(z: np.ndarray, fraction: float = WINSOR_FRACTION) -> np.ndarray:
    """Return True for units kept after dropping the outer ``fraction`` by rank at each end.

    This is the SHMI method: ``floor(I·fraction)`` units are removed at each end.
    """
    z = np.asarray(z, dtype=float)
    drop = int(np.floor(z.size * fraction))
    keep = np.ones(z.size, dtype=bool)
    if drop:
        order = np.argsort(z, kind="stable")
        keep[order[:drop]] = False
        keep[order[-drop:]] = False
    return keep


def dersimonian_laird_tau2(phi: float, se: np.ndarray) -> float:
    """Return the DerSimonian–Laird τ² for units with standard errors ``se`` and ratio φ."""
    se = np.asarray(se, dtype=float)
    units = se.size
    if units < 2 or not np.isfinite(phi) or units * phi < units - 1:
        return 0.0
    w = 1.0 / se**2
    denominator = w.sum() - (w**2).sum() / w.sum()
    if denominator <= 0:
        return 0.0
    return max(0.0, (units * phi - (units - 1)) / denominator)


def estimate_dispersion(z: np.ndarray, se: np.ndarray, *, truncate: bool = False) -> Dispersion:
    """Return φ and τ² from the z-scores and standard errors of the eligible units."""
    z = np.asarray(z, dtype=float)
    se = np.asarray(se, dtype=float)
    if truncate:
        keep = truncation_mask(z)
        z, se = z[keep], se[keep]
        phi = float(np.mean(z**2)) if z.size else float("nan")
    else:
        phi = winsorised_phi(z)
    return Dispersion(phi=phi, tau2=dersimonian_laird_tau2(phi, se), units=int(z.size))


def assign_bands(z_adjusted: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """Return the report band for each unit; a value exactly on a limit is inside.

    A unit with enough respondents but no z-score (no benchmark to compare with, e.g. no
    peer in its stratum) gets no band (None) rather than a misleading "as expected".
    """
    z_adjusted = np.asarray(z_adjusted, dtype=float)
    eligible = np.asarray(eligible, dtype=bool)
    conditions = [
        ~eligible,
        z_adjusted < -Z998,
        z_adjusted < -Z95,
        z_adjusted > Z998,
        z_adjusted > Z95,
    ]
    choices = [TOO_FEW, MUCH_WORSE, WORSE, MUCH_BETTER, BETTER]
    bands = np.select(conditions, choices, default=AS_EXPECTED).astype(object)
    bands[eligible & ~np.isfinite(z_adjusted)] = None
    return bands


def _mask(reference: Sequence[bool] | np.ndarray | None, size: int) -> np.ndarray:
    """Return the peer-group mask (all units when None)."""
    if reference is None:
        return np.ones(size, dtype=bool)
    mask = np.asarray(reference, dtype=bool)
    if mask.size != size:
        raise ValueError("the peer-group mask must have one entry per unit")
    return mask


def _funnel(
    y: np.ndarray,
    se: np.ndarray,
    theta0: float,
    eligible: np.ndarray,
    peers: np.ndarray,
    *,
    truncate: bool = False,
) -> tuple[pd.DataFrame, Dispersion]:
    """Compute z, φ, τ², adjusted z and transformed-scale limits for one comparison set.

    A unit without a value counts as having too few responses, whatever its size.
    """
    eligible = eligible & ~np.isnan(y)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (y - theta0) / se
        used = eligible & peers & np.isfinite(z)
        dispersion = estimate_dispersion(z[used], se[used], truncate=truncate)
        spread = np.sqrt(se**2 + dispersion.tau2)
        z_adjusted = (y - theta0) / spread
    frame = pd.DataFrame(
        {
            "z": z,
            "z_adjusted": z_adjusted,
            "phi": dispersion.phi,
            "tau2": dispersion.tau2,
            "lower95": theta0 - Z95 * spread,
            "upper95": theta0 + Z95 * spread,
            "lower998": theta0 - Z998 * spread,
            "upper998": theta0 + Z998 * spread,
            "band": assign_bands(z_adjusted, eligible),
        }
    )
    return frame, dispersion


def pooled_sd(n: np.ndarray, sd: np.ndarray) -> float:
    """Return σ, the within-unit SD pooled across units: √(Σ(n−1)sd² / Σ(n−1))."""
    n = np.asarray(n, dtype=float)
    sd = np.asarray(sd, dtype=float)
    use = (n >= 2) & np.isfinite(sd)
    if not use.any():
        return float("nan")
    return float(np.sqrt(np.sum((n[use] - 1) * sd[use] ** 2) / np.sum(n[use] - 1)))


def comparison_basis(
    n: np.ndarray, min_respondents: int, reference: np.ndarray | None
) -> np.ndarray:
    """Return the units that set the target and σ: peers with enough respondents.

    Units under the minimum are left out so that, as the rule says, they do not move the
    comparison (φ, τ², target). If no peer has enough respondents the basis is empty:
    there is no target, so no unit gets a band (docs/methodology.md §2.4).
    """
    peers = _mask(reference, np.asarray(n).size)
    return peers & (np.asarray(n) >= min_respondents)


def _weighted_target(n: np.ndarray, value: np.ndarray, basis: np.ndarray) -> float:
    """Return the respondent-weighted mean of ``value`` over the basis units."""
    known = basis & np.isfinite(value) & (n > 0)
    if not known.any():
        return float("nan")
    return float(np.sum(n[known] * value[known]) / np.sum(n[known]))


def funnel_mean(
    n: np.ndarray,
    value: np.ndarray,
    sd: np.ndarray | None = None,
    *,
    sigma: float | None = None,
    target: float | None = None,
    min_respondents: int = MIN_RESPONDENTS,
    reference: np.ndarray | None = None,
) -> pd.DataFrame:
    """Benchmark unit means with standard error σ/√n against ``target``.

    σ is given, or pooled from the units' within-unit ``sd``. The default target is the
    respondent-weighted mean. Both come from the comparison basis (peers with at least
    ``min_respondents``; all units unless a peer-group mask is given).
    """
    n = np.asarray(n, dtype=float)
    value = np.asarray(value, dtype=float)
    peers = _mask(reference, n.size)
    basis = comparison_basis(n, min_respondents, peers)
    if sigma is None:
        if sd is None:
            raise ValueError("funnel_mean needs either the units' sd or sigma")
        sigma = pooled_sd(n[basis], np.asarray(sd, dtype=float)[basis])
    if target is None:
        target = _weighted_target(n, value, basis)
    with np.errstate(divide="ignore"):
        se = sigma / np.sqrt(n)
    frame, _ = _funnel(value, se, target, n >= min_respondents, peers)
    frame.insert(0, "target", target)
    frame.insert(0, "value", value)
    frame.insert(0, "n", n)
    return frame[FUNNEL_COLUMNS]


def arcsine(p: np.ndarray | float) -> np.ndarray:
    """Return the variance-stabilising transform asin(√p)."""
    return np.arcsin(np.sqrt(np.clip(p, 0.0, 1.0)))


def from_arcsine(value: pd.Series | np.ndarray) -> pd.Series | np.ndarray:
    """Back-transform a value on the arcsine scale to a proportion in [0, 1]."""
    return np.sin(np.clip(value, 0.0, np.pi / 2)) ** 2


def funnel_proportion(
    n: np.ndarray,
    value: np.ndarray,
    *,
    target: float | None = None,
    min_respondents: int = MIN_RESPONDENTS,
    reference: np.ndarray | None = None,
) -> pd.DataFrame:
    """Benchmark unit proportions on the arcsine scale, s = 1/(2√n).

    ``value`` is a proportion in [0, 1]; the default target is Σx/Σn over the comparison
    basis (see :func:`comparison_basis`). z-scores, φ and τ² are on the arcsine scale;
    limits are back-transformed.
    """
    n = np.asarray(n, dtype=float)
    value = np.asarray(value, dtype=float)
    peers = _mask(reference, n.size)
    if target is None:
        target = _weighted_target(n, value, comparison_basis(n, min_respondents, peers))
    with np.errstate(divide="ignore"):
        se = 1.0 / (2.0 * np.sqrt(n))
    frame, _ = _funnel(arcsine(value), se, float(arcsine(target)), n >= min_respondents, peers)
    for column in ("lower95", "upper95", "lower998", "upper998"):
        frame[column] = from_arcsine(frame[column])
    frame.insert(0, "target", target)
    frame.insert(0, "value", value)
    frame.insert(0, "n", n)
    return frame[FUNNEL_COLUMNS]


def poisson_limits(expected: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Return exact Poisson limits for O/E at expected count E (as in FunnelPlotR)."""
    expected = np.asarray(expected, dtype=float)
    alpha = 1 - level
    lower = stats.chi2.ppf(alpha / 2, 2 * expected) / 2 / expected
    upper = stats.chi2.ppf(1 - alpha / 2, 2 * (expected + 1)) / 2 / expected
    return lower, upper


def funnel_ratio(
    observed: np.ndarray,
    expected: np.ndarray,
    *,
    overdispersion: bool = True,
    min_expected: float = 0.0,
    reference: np.ndarray | None = None,
) -> pd.DataFrame:
    """Benchmark ratios O/E on the log scale, s = 1/√E, SHMI-style truncated φ.

    Without over-dispersion (τ² = 0, or ``overdispersion=False``) the limits are exact
    Poisson; otherwise exp(±z√(1/E + τ²)).
    """
    observed = np.asarray(observed, dtype=float)
    expected = np.asarray(expected, dtype=float)
    peers = _mask(reference, expected.size)
    with np.errstate(divide="ignore"):
        y = np.log(observed / expected)
    se = 1.0 / np.sqrt(expected)
    eligible = (expected >= min_expected) & ~np.isnan(y)
    frame, dispersion = _funnel(y, se, 0.0, eligible, peers, truncate=True)
    if not overdispersion:
        frame["tau2"] = 0.0
        frame["z_adjusted"] = frame["z"]
        frame["band"] = assign_bands(frame["z"].to_numpy(), eligible)
    if not overdispersion or dispersion.tau2 == 0:
        frame["lower95"], frame["upper95"] = poisson_limits(expected, 0.95)
        frame["lower998"], frame["upper998"] = poisson_limits(expected, 0.998)
    else:
        for column in ("lower95", "upper95", "lower998", "upper998"):
            frame[column] = np.exp(frame[column])
    frame.insert(0, "target", 1.0)
    frame.insert(0, "value", observed / expected)
    frame.insert(0, "n", expected)
    return frame[FUNNEL_COLUMNS]


def aggregate_ratios(
    table: pd.DataFrame, by: str | list[str], observed: str, expected: str
) -> pd.DataFrame:
    """Return ΣO, ΣE and the ratio ΣO/ΣE per group (rows aggregated before benchmarking)."""
    totals = table.groupby(by, sort=True, observed=True)[[observed, expected]].sum()
    totals["ratio"] = totals[observed] / totals[expected]
    return totals.reset_index()
