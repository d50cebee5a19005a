"""Builders of small synthetic respondent tables with known provider effects and case mix.

Shared by the benchmarking tests (imported as a module, not a conftest, so it sits beside
other helpers' test files without clashing).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

AGE_EFFECT = {"18-64": 4.0, "65-79": 0.0, "80+": -6.0}
HEALTH_EFFECT = {"good": 8.0, "fair": 0.0, "poor": -12.0}


def make_respondents(
    *,
    rng: np.random.Generator,
    effects: np.ndarray,
    respondents_per_provider: int = 150,
    pathways: tuple[str, ...] = ("frailty",),
    periods: tuple[str, ...] = ("2025Q1",),
    noise_sd: float = 15.0,
    sicker_providers: tuple[int, ...] = (),
) -> pd.DataFrame:
    """Return respondents whose score = 60 + provider effect + case-mix effects + noise.

    Providers listed in ``sicker_providers`` see mostly older people in poor health, so
    their raw score is low even when their true effect is zero.
    """
    n = respondents_per_provider
    provider = np.repeat(np.arange(len(effects)), n)
    sicker = np.isin(provider, sicker_providers)
    age = _draw(rng, list(AGE_EFFECT), sicker, usual=[0.5, 0.3, 0.2], sick=[0.1, 0.3, 0.6])
    health = _draw(rng, list(HEALTH_EFFECT), sicker, usual=[0.5, 0.3, 0.2], sick=[0.1, 0.2, 0.7])
    score = (
        60.0
        + np.asarray(effects, dtype=float)[provider]
        + pd.Series(age).map(AGE_EFFECT).to_numpy()
        + pd.Series(health).map(HEALTH_EFFECT).to_numpy()
        + rng.normal(0.0, noise_sd, provider.size)
    )
    return pd.DataFrame(
        {
            "provider": np.char.add("P", np.char.zfill(provider.astype(str), 2)),
            "pathway": rng.choice(list(pathways), provider.size),
            "period": rng.choice(list(periods), provider.size),
            "age_band": age,
            "general_health": health,
            "score": score,
        }
    )


def _draw(
    rng: np.random.Generator,
    levels: list[str],
    sicker: np.ndarray,
    *,
    usual: list[float],
    sick: list[float],
) -> np.ndarray:
    """Draw one categorical adjuster, with a different mix for the sicker providers."""
    cumulative = np.where(sicker[:, None], np.cumsum(sick), np.cumsum(usual))
    codes = (rng.random(sicker.size)[:, None] > cumulative).sum(axis=1)
    return np.asarray(levels)[np.minimum(codes, len(levels) - 1)]
