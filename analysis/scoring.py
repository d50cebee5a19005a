"""The scoring engine: respondent scores, theme scores and item summaries.

Rules (docs/methodology.md §1): unscored answers are left out; a respondent with fewer
scored answers than the instrument's ``min_scored`` is kept with an empty score and the
status ``too_few_answers``; the method and its parameters come from the instrument file.
Instruments a definition derives (CTM-3 from a CTM-15 response) are scored from the
same answers through their items' ``source_item``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from analysis.answers import RESPONSE_ID, AnswerError, normalise_answers
from analysis.cli import UsageError
from analysis.scoring_items import item_summary
from analysis.scoring_matrix import (
    item_ranges,
    require_columns,
    score_matrix,
    scoring_rule,
)
from analysis.scoring_methods import Method, method_named
from instruments import Instrument

__all__ = [
    "AnswerError",
    "OUTCOME_COLUMNS",
    "item_summary",
    "normalise_answers",
    "output_columns",
    "score_respondents",
    "theme_scores",
]

SCORED = "scored"
TOO_FEW_ANSWERS = "too_few_answers"
OUTCOME_COLUMNS = ("score", "n_scored", "status")


def output_columns(instrument: Instrument) -> list[str]:
    """The columns scoring adds: score, n_scored, status, subscale and derived scores."""
    return [*OUTCOME_COLUMNS,
            *(f"{name}_score" for name in scoring_rule(instrument).subscales),
            *(f"{derived.id}_score" for derived in instrument.derived_instruments)]


def score_respondents(answers: pd.DataFrame, instrument: Instrument, *,
                      source: str = "input") -> pd.DataFrame:
    """Score each respondent; keep every row, carrying non-item columns through unchanged.

    ``answers`` holds ``response_id``, one column per item id with option codes (or NA),
    and any other columns. The result has ``response_id``, the carried columns, ``score``
    (or NA), ``n_scored``, ``status``, then ``<subscale>_score`` and ``<derived>_score``.
    ``source`` names the table (its file) in errors.
    """
    rule = scoring_rule(instrument)
    require_columns(answers, [RESPONSE_ID], instrument.key)
    added = output_columns(instrument)
    item_ids = {item.id for item in instrument.items}
    carried = [c for c in answers.columns if c != RESPONSE_ID and c not in item_ids]
    clash = [c for c in carried if c in added]
    if clash:
        raise UsageError(f"{source}: line 1, column {clash[0]}: the name is reserved for "
                         "scoring output; rename the column")

    method = method_named(rule.method, instrument.key)
    matrix = score_matrix(answers, instrument)
    ranges = item_ranges(instrument, instrument.items)
    score, n_scored = _method_score(method, matrix, ranges, rule.parameters, rule.min_scored)

    result = answers[[RESPONSE_ID, *carried]]  # a new frame (copy-on-write): answers unchanged
    result["score"] = score
    result["n_scored"] = n_scored
    result["status"] = pd.Categorical.from_codes(
        (n_scored >= rule.min_scored).astype(np.int8), categories=[TOO_FEW_ANSWERS, SCORED])
    positions = {item.id: index for index, item in enumerate(instrument.items)}
    for name, subscale in rule.subscales.items():
        columns = [positions[item_id] for item_id in subscale.items]
        result[f"{name}_score"] = _method_score(method, matrix[:, columns], ranges[columns],
                                                rule.parameters, subscale.min_scored)[0]
    for derived in instrument.derived_instruments:
        result[f"{derived.id}_score"] = _derived_score(answers, derived)
    return result


def theme_scores(answers: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """Score each respondent per theme (the instrument's method on that theme's items).

    *Platform rule*: a theme score needs at least half of the theme's items (rounded up)
    to have scored answers; otherwise it is empty.
    """
    rule = scoring_rule(instrument)
    require_columns(answers, [RESPONSE_ID], instrument.key)
    method = method_named(rule.method, instrument.key)
    matrix = score_matrix(answers, instrument)
    ranges = item_ranges(instrument, instrument.items)
    result = answers[[RESPONSE_ID]]
    for theme in instrument.themes:
        columns = [i for i, item in enumerate(instrument.items) if item.theme == theme]
        if columns:
            result[theme] = _method_score(method, matrix[:, columns], ranges[columns],
                                          rule.parameters, math.ceil(len(columns) / 2))[0]
    return result


def _method_score(method: Method, matrix: np.ndarray, ranges: np.ndarray,
                  parameters: Mapping[str, Any], min_scored: int) -> tuple[np.ndarray, np.ndarray]:
    """Apply a method, blanking rows with fewer than ``min_scored`` scored answers."""
    n_scored = (~np.isnan(matrix)).sum(axis=1)
    score = np.where(n_scored >= min_scored, method(matrix, ranges, parameters), np.nan)
    return score, n_scored


def _derived_score(answers: pd.DataFrame, derived: Instrument) -> np.ndarray:
    """Score a derived instrument from the source columns its items declare."""
    renamed = {item.source_item: item.id for item in derived.items}
    subset = answers[[RESPONSE_ID, *renamed]].rename(columns=renamed)
    return score_respondents(subset, derived)["score"].to_numpy()
