"""Simulation: synthetic providers with known true effects and case mix (issue 4).

Case-mix-adjusted scores must recover the true provider effects better than raw scores,
and a provider with no true effect but a much sicker, older case mix must be banded
"as expected" in at least 95% of simulated datasets once adjusted (and is not, unadjusted:
the check can fail).
"""

import numpy as np
import pytest
from synthetic_providers import make_respondents

from analysis.benchmark import BenchmarkSpec, benchmark_table
from analysis.funnel import AS_EXPECTED

DATASETS = 200
RAW_EVERY = 4  # the unadjusted comparison only needs to show the check can fail
PROVIDERS = 30
NULL_PROVIDER = "P00"
ADJUSTED = BenchmarkSpec(by=("provider",), adjust=("age_band", "general_health"))
RAW = BenchmarkSpec(by=("provider",))


@pytest.fixture(scope="module")
def simulation() -> dict[str, np.ndarray]:
    """Run the benchmark on many seeded datasets; keep errors and the null provider's bands."""
    rng = np.random.default_rng(20261122)
    raw_error, adjusted_error, raw_band, adjusted_band = [], [], [], []
    for dataset in range(DATASETS):
        effects = rng.normal(0.0, 3.0, PROVIDERS)
        effects[0] = 0.0
        sicker = (0, 1, 2)  # the null provider and two others see older, sicker patients
        responses = make_respondents(
            rng=rng, effects=effects, respondents_per_provider=120, sicker_providers=sicker
        )
        truth = effects - effects.mean()
        runs = [(ADJUSTED, adjusted_error, adjusted_band, "adjusted_value")]
        if dataset % RAW_EVERY == 0:
            runs.append((RAW, raw_error, raw_band, "value"))
        for spec, errors, bands, column in runs:
            table = benchmark_table(responses, spec).table
            units = table.loc[table["level"] == "provider"].sort_values("provider")
            estimate = units[column].to_numpy()
            errors.append(np.sqrt(np.mean((estimate - estimate.mean() - truth) ** 2)))
            bands.append(units.loc[units["provider"] == NULL_PROVIDER, "band"].iloc[0])
    return {
        "raw_error": np.array(raw_error),
        "adjusted_error": np.array(adjusted_error),
        "raw_band": np.array(raw_band),
        "adjusted_band": np.array(adjusted_band),
    }


def test_adjusted_scores_recover_the_true_effects_better_than_raw(simulation):
    adjusted = simulation["adjusted_error"][::RAW_EVERY]
    assert simulation["adjusted_error"].mean() < 0.5 * simulation["raw_error"].mean()
    assert (adjusted < simulation["raw_error"]).mean() >= 0.95


def test_a_provider_with_no_true_effect_is_as_expected_in_95_percent(simulation):
    assert (simulation["adjusted_band"] == AS_EXPECTED).mean() >= 0.95
    # Without adjustment its older, sicker patients make it look worse than it is.
    assert (simulation["raw_band"] == AS_EXPECTED).mean() < 0.5
