"""From option codes to numbers: the respondents × items score matrix every summary uses.

Unscored answers (don't know, not applicable, no medication) and unanswered items become
NaN; reverse-scored items are mirrored within their scored range so that a higher score
always means a better experience.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.cli import UsageError
from instruments import Instrument, Item, ScoringRule


def scoring_rule(instrument: Instrument) -> ScoringRule:
    """Return the instrument's scoring rule; refuse one that is never scored (case mix)."""
    if instrument.scoring is None:
        raise UsageError(f"{instrument.key} is never scored (it has no scoring rule)")
    return instrument.scoring


def require_columns(answers: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Refuse a table that lacks any of ``columns``, naming them."""
    missing = [c for c in columns if c not in answers.columns]
    if missing:
        raise UsageError(f"{what}: missing column(s) {', '.join(missing)}")


def item_range(instrument: Instrument, item: Item) -> tuple[float, float]:
    """The lowest and highest score an item's scored options carry."""
    scored_range = instrument.response_sets[item.response_set].scored_range
    if scored_range is None:
        raise UsageError(f"{instrument.key}: item {item.id} has no scored options")
    return scored_range


def item_ranges(instrument: Instrument, items: Sequence[Item]) -> np.ndarray:
    """An items × (low, high) array of scored ranges."""
    return np.array([item_range(instrument, item) for item in items], dtype=float)


def item_scores(codes: pd.Series, instrument: Instrument, item: Item) -> np.ndarray:
    """One item's scores per respondent (NaN = not scored), reverse scoring applied.

    Codes are mapped once per distinct value (categories, or ``factorize``), then by array
    indexing: no per-row Python.
    """
    options = {o.code: o.score for o in instrument.options_for(item.id)}
    if isinstance(codes.dtype, pd.CategoricalDtype):
        positions, uniques = codes.cat.codes.to_numpy(), codes.cat.categories
    else:
        positions, uniques = pd.factorize(codes, use_na_sentinel=True)
    unknown = [str(u) for u in uniques if str(u) not in options]
    if unknown:
        raise UsageError(f"{instrument.key}: column {item.id}: unknown option code "
                         f"{unknown[0]!r} (codes: {', '.join(options)})")
    lookup = np.array([options[str(u)] if options[str(u)] is not None else np.nan
                       for u in uniques] + [np.nan], dtype=float)
    scores = lookup[positions]
    if item.reverse:
        low, high = item_range(instrument, item)
        scores = low + high - scores
    return scores


def score_matrix(answers: pd.DataFrame, instrument: Instrument,
                 items: Sequence[Item] | None = None) -> np.ndarray:
    """A respondents × items float matrix of scores for ``items`` (default: all items)."""
    chosen = list(instrument.items if items is None else items)
    require_columns(answers, [item.id for item in chosen], instrument.key)
    matrix = np.empty((len(answers), len(chosen)), dtype=float)
    for column, item in enumerate(chosen):
        matrix[:, column] = item_scores(answers[item.id], instrument, item)
    return matrix
