"""Case-mix adjustment: the within transformation gives the fixed-effects OLS answer
(statistics.md §2)."""

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from analysis.casemix import MISSING_LEVEL, adjusted_values, design_matrix, fit_case_mix


@pytest.fixture(scope="module")
def respondents() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 3000
    frame = pd.DataFrame(
        {
            "provider": rng.choice([f"P{i}" for i in range(12)], n),
            "age_band": rng.choice(["18-64", "65-79", "80+", None], n, p=[0.4, 0.3, 0.2, 0.1]),
            "sex": rng.choice(["female", "male"], n),
            "days_to_response": rng.normal(10, 3, n),
        }
    )
    frame.loc[::97, "days_to_response"] = np.nan
    frame["score"] = (
        55
        + frame["age_band"].map({"65-79": 4.0, "80+": 9.0}).fillna(0.0)
        + 0.5 * frame["days_to_response"].fillna(10)
        + frame["provider"].str[1:].astype(int) * 0.8
        + rng.normal(0, 15, n)
    )
    return frame


def test_coefficients_equal_the_full_dummy_model(respondents):
    adjusters = ["age_band", "sex", "days_to_response"]
    model = fit_case_mix(respondents, "score", adjusters)
    design = design_matrix(respondents, adjusters)
    full = pd.concat([design, respondents[["score", "provider"]]], axis=1)
    full.columns = [f"x{i}" for i in range(design.shape[1])] + ["score", "provider"]
    formula = "score ~ C(provider) + " + " + ".join(full.columns[: design.shape[1]])
    reference = smf.ols(formula, full).fit()
    expected = reference.params[[f"x{i}" for i in range(design.shape[1])]].to_numpy()
    expected_se = reference.bse[[f"x{i}" for i in range(design.shape[1])]].to_numpy()
    assert model.coefficients["coefficient"].to_numpy() == pytest.approx(expected, rel=1e-8)
    assert model.coefficients["std_error"].to_numpy() == pytest.approx(expected_se, rel=1e-8)
    assert model.respondents == len(respondents)


def test_missing_values_get_their_own_level_and_reference_is_most_common(respondents):
    model = fit_case_mix(respondents, "score", ["age_band", "sex", "days_to_response"])
    terms = model.coefficients["term"].tolist()
    assert f"age_band={MISSING_LEVEL}" in terms
    assert "age_band=18-64" not in terms  # the most common level is the reference
    assert f"days_to_response={MISSING_LEVEL}" in terms
    age_80 = model.coefficients.set_index("term").loc["age_band=80+", "coefficient"]
    assert age_80 == pytest.approx(9.0, abs=2.0)


def test_adjusted_unit_mean_removes_the_case_mix_difference(respondents):
    adjusters = ["age_band", "sex"]
    model = fit_case_mix(respondents, "score", adjusters)
    adjusted = adjusted_values(respondents, model)
    design = design_matrix(respondents, adjusters)
    for provider in ["P0", "P5"]:
        rows = respondents["provider"] == provider
        raw = respondents.loc[rows, "score"].mean()
        shift = ((design[rows].mean() - design.mean()) * model.beta).sum()
        assert adjusted[rows].mean() == pytest.approx(raw - shift)
    assert adjusted.mean() == pytest.approx(respondents["score"].mean())


def test_a_provider_with_an_older_case_mix_is_adjusted_upwards(respondents):
    older = respondents.assign(age_band="80+").iloc[:200].assign(provider="OLD")
    frame = pd.concat([respondents, older], ignore_index=True)
    model = fit_case_mix(frame, "score", ["age_band"])
    adjusted = adjusted_values(frame, model)
    rows = frame["provider"] == "OLD"
    assert adjusted[rows].mean() < frame.loc[rows, "score"].mean()


def test_unknown_adjuster_and_empty_measure_are_refused(respondents):
    with pytest.raises(KeyError, match="ethnicity"):
        fit_case_mix(respondents, "score", ["ethnicity"])
    with pytest.raises(ValueError, match="no respondent"):
        fit_case_mix(respondents.assign(score=np.nan), "score", ["sex"])


def test_a_level_constant_within_providers_is_reported_not_estimable(respondents):
    """Only provider P0 has kiosk respondents and all of them are kiosk: the provider's own
    fixed effect absorbs the kiosk effect, so its β is not identifiable. It must get no
    adjustment and be reported as such, not an arbitrary pseudo-inverse value."""
    frame = respondents.assign(
        mode=np.where(respondents["provider"] == "P0", "kiosk", "online")
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # statsmodels warns on a rank-deficient design
        model = fit_case_mix(frame, "score", ["age_band", "mode"])
    table = model.coefficients.set_index("term")
    assert not table.loc["mode=kiosk", "estimable"]
    assert np.isnan(table.loc["mode=kiosk", "coefficient"])
    assert model.beta["mode=kiosk"] == 0.0
    assert table.loc["age_band=80+", "estimable"]
    # The estimable part is unchanged by the absorbed column.
    without = fit_case_mix(frame, "score", ["age_band"]).coefficients.set_index("term")
    assert table.loc["age_band=80+", "coefficient"] == pytest.approx(
        without.loc["age_band=80+", "coefficient"], rel=1e-9
    )
    adjusted = adjusted_values(frame, model)
    assert np.isfinite(adjusted).all()


def test_with_nothing_varying_within_providers_there_is_no_adjustment():
    """One respondent per provider: every adjuster is absorbed, so nothing is adjusted."""
    frame = pd.DataFrame(
        {"provider": ["P1", "P2", "P3"], "sex": ["female", "male", "female"],
         "score": [60.0, 70.0, 80.0]}
    )
    model = fit_case_mix(frame, "score", ["sex"])
    assert not model.coefficients["estimable"].any()
    assert (model.beta == 0.0).all()
    assert adjusted_values(frame, model).tolist() == [60.0, 70.0, 80.0]
