"""The scoring methods on plain arrays: the arithmetic each instrument file can name."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from analysis.cli import UsageError
from analysis.scoring_methods import (
    METHODS,
    linear_mean,
    mean_of_scores,
    method_named,
    row_mean,
    summed,
)
from instruments.schema import SCORING_METHODS

NAN = np.nan


def test_row_mean_ignores_missing_and_is_empty_without_answers() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an all-missing row must not warn
        result = row_mean(np.array([[1.0, NAN, 3.0], [NAN, NAN, NAN]]))
    assert result[0] == 2.0 and np.isnan(result[1])


def test_linear_mean_rescales_each_item_by_its_own_range() -> None:
    scores = np.array([[4.0, 0.0], [1.0, 10.0], [2.5, NAN]])
    ranges = np.array([[1.0, 4.0], [0.0, 10.0]])
    assert list(linear_mean(scores, ranges, {})) == [50.0, 50.0, 50.0]


def test_linear_mean_shared_range_matches_the_per_item_arithmetic() -> None:
    rng = np.random.default_rng(1)
    scores = rng.integers(1, 5, (200, 15)).astype(float)
    scores[rng.random((200, 15)) < 0.3] = NAN
    ranges = np.tile([1.0, 4.0], (15, 1))
    expected = np.nanmean((scores - 1) / 3 * 100, axis=1)
    np.testing.assert_allclose(linear_mean(scores, ranges, {}), expected)


def test_mean_of_scores_needs_a_0_100_scale() -> None:
    assert list(mean_of_scores(np.array([[0.0, 100.0, NAN]]), np.tile([0.0, 100.0], (3, 1)),
                               {})) == [50.0]
    with pytest.raises(UsageError, match="within 0–100"):
        mean_of_scores(np.array([[1.0]]), np.array([[1.0, 400.0]]), {})


def test_sum_prorates_unless_told_not_to() -> None:
    scores = np.array([[3.0, 1.0, NAN, 2.0], [NAN] * 4])
    ranges = np.tile([0.0, 3.0], (4, 1))
    prorated, plain = summed(scores, ranges, {}), summed(scores, ranges, {"prorate": False})
    assert prorated[0] == 8.0 and plain[0] == 6.0
    assert np.isnan(prorated[1]) and np.isnan(plain[1])


def test_unknown_method_names_the_instrument() -> None:
    with pytest.raises(UsageError, match="demo@1: unknown scoring method 'median'"):
        method_named("median", "demo@1")


def test_every_method_an_instrument_may_name_is_implemented() -> None:
    # instruments/ declares the names (to refuse an unknown one at load); analysis has the code.
    assert set(SCORING_METHODS) == set(METHODS)
