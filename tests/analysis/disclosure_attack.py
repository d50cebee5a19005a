"""A reader's attempt to recover the exact n of a unit published as ``*`` from the other
published columns: the width of its own funnel limits and its reliability both give
σ²/n, and σ² follows from peers whose (rounded) n is shown.

Imported by the disclosure tests as a module, like ``synthetic_providers``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.disclosure import SUPPRESSED
from analysis.funnel import Z95


def _numbers(column: pd.Series) -> pd.Series:
    """Return a published column as floats, ``*`` and empty cells as NaN."""
    return pd.to_numeric(column.where(column != SUPPRESSED), errors="coerce").astype(float)


def recovered_counts(published: pd.DataFrame, strata: Sequence[str] = ()) -> dict[object, int]:
    """Return {row label: n worked out} for every ``*`` row whose n the table gives away."""
    found: dict[object, int] = {}
    groups = published.groupby(list(strata), sort=False) if strata else [((), published)]
    for _, part in groups:
        def number(name: str, part: pd.DataFrame = part) -> pd.Series:
            if name not in part.columns:
                return pd.Series(np.nan, index=part.index)
            return _numbers(part[name])
        n, tau2 = number("n"), number("tau2").fillna(0.0)
        # σ²/n from the 95% limit's half-width, √(σ²/n + τ²) …
        per_n = ((number("upper95") - number("target")) / Z95) ** 2 - tau2
        # … or from the reliability, τ² / (τ² + σ²/n)
        reliability = number("reliability")
        per_n = per_n.fillna(tau2 * (1 - reliability) / reliability.where(reliability > 0))
        sigma2 = (per_n * n).median()  # peers with a shown (rounded) count
        for label in part.index[part["n"].astype(object) == SUPPRESSED]:
            if np.isfinite(sigma2) and np.isfinite(per_n[label]) and per_n[label] > 0:
                found[label] = round(sigma2 / per_n[label])
    return found


def zero_of_n(published: pd.DataFrame) -> dict[object, int]:
    """Return {row label: invitations} for ``*`` invitation counts that nobody answered, from
    the upper end of the Wilson interval of 0 of n, z² / (n + z²)."""
    upper = _numbers(published["ci_upper"])
    hidden = (published["invited"].astype(object) == SUPPRESSED) & (upper > 0)
    return {label: round(Z95**2 * (1 - upper[label]) / upper[label])
            for label in published.index[hidden]}
