"""Scoring methods: how a matrix of item scores becomes one number per respondent.

Methods are code; which method an instrument uses, and its parameters, are data (the
instrument's ``scoring`` block). Each method takes a respondents × items matrix of scores
(NaN = no scored answer, reverse scoring already applied) and the scored range of each
item, and returns one raw score per respondent; the minimum-answers rule is applied by the
caller. Every operation is over whole arrays: no per-respondent Python loops.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from analysis.cli import UsageError

# (scores, item_ranges, parameters) -> respondent scores. item_ranges: items × (low, high).
Method = Callable[[np.ndarray, np.ndarray, Mapping[str, Any]], np.ndarray]


def row_mean(scores: np.ndarray) -> np.ndarray:
    """Mean of each row's non-missing values; NaN for a row with none (no warnings)."""
    count = scores.shape[1] - np.isnan(scores).sum(axis=1)
    total = np.nansum(scores, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def to_percent(scores: np.ndarray, item_ranges: np.ndarray) -> np.ndarray:
    """Rescale each item's scores linearly so its lowest option is 0 and highest 100."""
    low, high = item_ranges[:, 0], item_ranges[:, 1]
    percent = scores - low  # one new array, then in place: this runs on millions of cells
    percent *= 100.0 / (high - low)
    return percent


def linear_mean(scores: np.ndarray, item_ranges: np.ndarray,
                parameters: Mapping[str, Any]) -> np.ndarray:
    """Mean of the items' linear 0–100 scores (CTM: 100 × (mean − 1) / 3)."""
    if len(item_ranges) and (item_ranges == item_ranges[0]).all():
        # One shared range (CTM): rescaling the mean equals averaging rescaled items, and
        # touches one value per respondent instead of one per answer.
        low, high = item_ranges[0]
        return (row_mean(scores) - low) * (100.0 / (high - low))
    return row_mean(to_percent(scores, item_ranges))


def mean_of_scores(scores: np.ndarray, item_ranges: np.ndarray,
                   parameters: Mapping[str, Any]) -> np.ndarray:
    """Mean of the option scores as declared (they must already lie on 0–100)."""
    if item_ranges.size and (item_ranges.min() < 0 or item_ranges.max() > 100):
        raise UsageError("scoring method mean_of_scores needs option scores within 0–100")
    return row_mean(scores)


def summed(scores: np.ndarray, item_ranges: np.ndarray,
           parameters: Mapping[str, Any]) -> np.ndarray:
    """Sum of item scores; with ``prorate`` (default) missing items count at the row mean.

    Prorating keeps totals comparable between respondents who skipped different numbers of
    items (the usual rule for summed scales such as P3CEQ's 0–3 items).
    """
    if parameters.get("prorate", True):
        return row_mean(scores) * scores.shape[1]
    answered = (~np.isnan(scores)).any(axis=1)
    return np.where(answered, np.nansum(scores, axis=1), np.nan)


METHODS: dict[str, Method] = {
    "linear_mean": linear_mean,
    "mean_of_scores": mean_of_scores,
    "sum": summed,
}


def method_named(name: str, instrument_key: str) -> Method:
    """Return the scoring method ``name``, or a clear error naming the instrument."""
    try:
        return METHODS[name]
    except KeyError:
        raise UsageError(f"{instrument_key}: unknown scoring method {name!r} "
                         f"(known: {', '.join(sorted(METHODS))})") from None
