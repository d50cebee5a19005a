"""Item-level results: linear 0–100 mean, top box, % positive, bottom box and answer counts.

Proportions use scored answers as the denominator (unscored answers such as "Don't know"
are counted but are neither positive nor negative). For a reverse-scored item the bands
apply to the mirrored score, so "positive" always means a good experience.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.scoring_matrix import item_range, item_scores, require_columns
from analysis.scoring_methods import to_percent
from instruments import Instrument, Item

BANDS = {"top_box": "top_box", "percent_positive": "positive", "bottom_box": "bottom_box"}


def item_summary(answers: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """One row per item: n, mean, top_box, percent_positive, bottom_box, count_<code>.

    ``n`` is the number of scored answers, ``n_answered`` of all answers; ``count_<code>``
    counts every option, scored or not (NA where the item does not offer that option). For
    an instrument that is never scored (case mix) only the counts are filled in.
    """
    require_columns(answers, [item.id for item in instrument.items], instrument.key)
    all_codes = list(dict.fromkeys(o.code for rs in instrument.response_sets.values()
                                   for o in rs.options))
    rows = [_summarise_item(answers[item.id], instrument, item, all_codes)
            for item in instrument.items]
    return pd.DataFrame(rows)


def _summarise_item(codes: pd.Series, instrument: Instrument, item: Item,
                    all_codes: list[str]) -> dict[str, object]:
    counts = codes.value_counts(dropna=True)
    offered = {o.code for o in instrument.options_for(item.id)}
    row: dict[str, object] = {"item_id": item.id, "theme": item.theme}
    row.update(_scored_summary(codes, instrument, item))
    row["n_answered"] = int(codes.notna().sum())
    for code in all_codes:
        row[f"count_{code}"] = int(counts.get(code, 0)) if code in offered else pd.NA
    return row


def _scored_summary(codes: pd.Series, instrument: Instrument,
                    item: Item) -> dict[str, object]:
    rule = instrument.scoring
    empty = {"n": 0, "mean": np.nan, **dict.fromkeys(BANDS, np.nan)}
    if rule is None:
        return empty
    scores = item_scores(codes, instrument, item)
    scores = scores[~np.isnan(scores)]
    if scores.size == 0:
        return empty
    low, high = item_range(instrument, item)
    percent = to_percent(scores[:, None], np.array([[low, high]]))[:, 0]
    summary: dict[str, object] = {"n": int(scores.size), "mean": float(percent.mean())}
    options = {o.code: o.score for o in instrument.options_for(item.id)}
    for column, band in BANDS.items():
        # Bands are declared as forward codes; compare on score values so that reverse
        # scoring (already applied to ``scores``) carries over to the bands.
        values = [options[code] for code in getattr(rule.summary, band)]
        summary[column] = float(np.isin(scores, values).mean())
    return summary
