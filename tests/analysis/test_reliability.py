"""Reliability and empirical-Bayes shrinkage: the closed form equals MixedLM's BLUP
(statistics.md §4)."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from analysis.reliability import reliability, shrink, suitable_for_high_stakes


def test_reliability_formula_and_high_stakes_flag():
    r = reliability(4.0, np.array([1.0, 4.0, 16.0]))
    assert r == pytest.approx([0.8, 0.5, 0.2])
    assert suitable_for_high_stakes(r).tolist() == [True, False, False]
    assert reliability(0.0, np.array([1.0])).tolist() == [0.0]


def test_closed_form_shrinkage_matches_mixedlm_random_intercepts():
    rng = np.random.default_rng(3)
    sizes = rng.integers(5, 80, 25)
    effects = rng.normal(0, 4, 25)
    groups = np.repeat(np.arange(25), sizes)
    frame = pd.DataFrame(
        {"group": groups, "score": 60 + effects[groups] + rng.normal(0, 12, groups.size)}
    )
    fit = smf.mixedlm("score ~ 1", frame, groups=frame["group"]).fit(reml=True)
    tau2 = float(fit.cov_re.iloc[0, 0])
    sigma2 = float(fit.scale)
    mu = float(fit.fe_params.iloc[0])
    means = frame.groupby("group")["score"].mean()
    n = frame.groupby("group").size()
    shrunk = shrink(means.to_numpy(), mu, reliability(tau2, sigma2 / n.to_numpy()))
    blup = np.array([mu + fit.random_effects[g].iloc[0] for g in means.index])
    assert shrunk == pytest.approx(blup, rel=1e-6)
    # Small units move further towards the overall mean than large ones.
    pulled = np.abs(shrunk - means.to_numpy()) / np.abs(means.to_numpy() - mu)
    assert pulled[np.argmin(sizes)] > pulled[np.argmax(sizes)]
