"""Intervals reproduce the PHEindicatormethods reference values (statistics.md §1)."""

import numpy as np
import pytest

from analysis.intervals import normal_quantile, t_interval, wilson_interval

PHE_MEAN_VALUES = [
    33.09375, 48.38596, 64.83495, 67.98475, 22.93556, 71.23587, 38.78465, 82.37927,
]


def test_t_interval_matches_phe_mean_reference():
    values = np.array(PHE_MEAN_VALUES)
    mean, sd = values.mean(), values.std(ddof=1)
    assert mean == pytest.approx(53.704345, abs=1e-6)
    assert sd == pytest.approx(20.975575, abs=1e-6)
    assert t_interval(mean, sd, 8) == pytest.approx((36.168325, 71.240365), abs=1e-6)
    assert t_interval(mean, sd, 8, level=0.998) == pytest.approx((18.216705, 89.191985), abs=1e-6)


def test_t_interval_is_undefined_for_a_single_respondent():
    lower, upper = t_interval(np.array([50.0, 50.0]), np.array([10.0, 10.0]), np.array([1, 2]))
    assert np.isnan(lower[0]) and np.isnan(upper[0])
    assert np.isfinite(lower[1]) and np.isfinite(upper[1])


@pytest.mark.parametrize(
    ("x", "n", "level", "expected", "tolerance"),
    [
        (65, 100, 0.95, (0.552544, 0.736358), 1e-6),
        (65, 100, 0.998, (0.495495, 0.778354), 1e-6),
        (1, 100, 0.95, (0.0017674, 0.0544862), 1e-7),
        (999, 3456, 0.95, (0.274190, 0.304404), 1e-6),
    ],
)
def test_wilson_interval_matches_phe_reference(x, n, level, expected, tolerance):
    lower, upper = wilson_interval(x, n, level)
    assert (float(lower), float(upper)) == pytest.approx(expected, abs=tolerance)


def test_wilson_interval_is_empty_for_no_respondents_and_vectorised():
    lower, upper = wilson_interval(np.array([0, 65]), np.array([0, 100]))
    assert np.isnan(lower[0]) and np.isnan(upper[0])
    assert lower[1] == pytest.approx(0.552544, abs=1e-6)


def test_normal_quantiles_used_for_funnel_limits():
    assert normal_quantile(0.95) == pytest.approx(1.959964, abs=1e-6)
    assert normal_quantile(0.998) == pytest.approx(3.090232, abs=1e-6)
