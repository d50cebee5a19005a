"""Item-level results: linear 0–100 mean, top box, % positive, bottom box and answer counts.

Proportions use scored answers as the denominator (unscored answers such as "Don't know"
are counted but are neither positive nor negative). For a reverse-scored item the bands
apply to the mirrored score, so "positive" always means a good experience.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.scoring_matrix import item_range, item_scores, require_columns, scoring_rule
from analysis.scoring_methods import to_percent
from instruments import Instrument, Item

BANDS = {"top_box": "top_box", "percent_positive": "positive", "bottom_box": "bottom_box"}
INDICATOR_BANDS = ("top_box", "positive")
# What item statistics are computed from once respondents are scored: each item's 0–100
# score and its indicators (a table's column levels, above the item ids).
SCORED_ITEM_VALUES = ("score", *INDICATOR_BANDS)


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
    for column, band in BANDS.items():
        summary[column] = float(np.isin(scores, _band_scores(instrument, item, band)).mean())
    return summary


def item_statistics_by(answers: pd.DataFrame, instrument: Instrument,
                       groups: pd.Categorical) -> pd.DataFrame:
    """The scored statistics of ``item_summary`` for many groups in one pass.

    ``groups`` gives each answers row's group; every category gets a row per item, with
    n = 0 and empty statistics where nobody in it gave a scored answer. Columns: group,
    item_id, n, mean, top_box, percent_positive, bottom_box. Sums by ``np.bincount``, so
    a provider report's items need no per-provider pass over the respondents.
    """
    require_columns(answers, [item.id for item in instrument.items], instrument.key)
    codes = np.asarray(groups.codes)
    size = len(groups.categories)
    parts = []
    for item in instrument.items:
        scores = item_scores(answers[item.id], instrument, item)
        scored = ~np.isnan(scores) & (codes >= 0)
        chosen, group = scores[scored], codes[scored]
        n = np.bincount(group, minlength=size)
        part = {"group": groups.categories, "item_id": item.id, "n": n}
        if instrument.scoring is None:
            part.update(dict.fromkeys(["mean", *BANDS], np.nan))
        else:
            low, high = item_range(instrument, item)
            percent = to_percent(chosen[:, None], np.array([[low, high]]))[:, 0]
            with np.errstate(invalid="ignore", divide="ignore"):
                part["mean"] = np.bincount(group, weights=percent, minlength=size) / n
                for column, band in BANDS.items():
                    inside = np.isin(chosen, _band_scores(instrument, item, band))
                    part[column] = np.bincount(group, weights=inside, minlength=size) / n
        parts.append(pd.DataFrame(part))
    return pd.concat(parts, ignore_index=True)


def scored_item_values(percent: np.ndarray, indicators: pd.DataFrame,
                       instrument: Instrument, index: pd.Index) -> pd.DataFrame:
    """Return the ``SCORED_ITEM_VALUES`` table of respondents already scored.

    ``percent`` is the respondents × items 0–100 matrix (``to_percent(score_matrix(…))``)
    and ``indicators`` the ``item_indicators`` of the same respondents.
    """
    items = [item.id for item in instrument.items]
    bands = [indicators[[f"{item}_{band}" for item in items]].to_numpy(dtype=float,
                                                                        na_value=np.nan)
             for band in INDICATOR_BANDS]
    return pd.DataFrame(np.hstack([percent, *bands]), index=index,
                        columns=pd.MultiIndex.from_product([SCORED_ITEM_VALUES, items]))


def scored_item_summary(values: pd.DataFrame) -> pd.DataFrame:
    """The scored statistics of ``item_summary`` from respondents already scored.

    ``values`` has a row per respondent and ``SCORED_ITEM_VALUES`` × item id columns: each
    item's 0–100 score (NaN = not answered or not scored) and its top-box and positive
    indicators (``item_indicators``). One row per item: item_id, n, mean, top_box,
    percent_positive (no bottom box: it has no indicator). The same numbers summed in the
    same order as ``item_summary`` sums them, so equal to the last bit to its results on
    the answers the values were scored from.
    """
    percent, top_box, positive = (values[name] for name in SCORED_ITEM_VALUES)
    rows = []
    for item in percent.columns:
        scores = percent[item].to_numpy(dtype=float)
        scored = ~np.isnan(scores)
        row: dict[str, object] = {"item_id": item, "n": int(scored.sum()), "mean": np.nan,
                                  "top_box": np.nan, "percent_positive": np.nan}
        if row["n"]:
            row["mean"] = float(scores[scored].mean())
            for column, band in (("top_box", top_box), ("percent_positive", positive)):
                row[column] = float(band[item].to_numpy(dtype=float)[scored].mean())
        rows.append(row)
    return pd.DataFrame(rows, columns=["item_id", "n", "mean", "top_box", "percent_positive"])


def scored_item_statistics_by(values: pd.DataFrame, groups: pd.Categorical) -> pd.DataFrame:
    """``scored_item_summary`` for many groups in one pass, as ``item_statistics_by``.

    Columns: group, item_id, n, mean, top_box, percent_positive; every category gets a row
    per item (n = 0 and empty statistics where nobody in it has a score of the item).
    Equal to the last bit to ``item_statistics_by`` on the answers scored.
    """
    percent, top_box, positive = (values[name] for name in SCORED_ITEM_VALUES)
    codes = np.asarray(groups.codes)
    size = len(groups.categories)
    parts = []
    for item in percent.columns:
        scores = percent[item].to_numpy(dtype=float)
        scored = ~np.isnan(scores) & (codes >= 0)
        group = codes[scored]
        n = np.bincount(group, minlength=size)
        part: dict[str, object] = {"group": groups.categories, "item_id": item, "n": n}
        with np.errstate(invalid="ignore", divide="ignore"):
            part["mean"] = np.bincount(group, weights=scores[scored], minlength=size) / n
            for column, band in (("top_box", top_box), ("percent_positive", positive)):
                inside = band[item].to_numpy(dtype=float)[scored]
                part[column] = np.bincount(group, weights=inside, minlength=size) / n
        parts.append(pd.DataFrame(part))
    if not parts:
        return pd.DataFrame(columns=["group", "item_id", "n", "mean", "top_box",
                                     "percent_positive"])
    return pd.concat(parts, ignore_index=True)


def _band_scores(instrument: Instrument, item: Item, band: str) -> list[float]:
    """The score values of one summary band (top_box, positive, bottom_box) for an item.

    Bands are declared as forward codes; comparing on score values means reverse scoring
    (already applied to an item's scores) carries over to the bands.
    """
    options = {o.code: o.score for o in instrument.options_for(item.id)}
    return [options[code] for code in getattr(scoring_rule(instrument).summary, band)]


def band_answers(instrument: Instrument, item: Item, band: str) -> list[str]:
    """The labels of the answers a summary band (top_box, positive, bottom_box) counts for
    ``item``, in option order. For a reverse-scored item they are the other end of the
    scale: i9's top box counts "Strongly disagree"."""
    options = [o for o in instrument.options_for(item.id) if o.scored]
    scores = item_scores(pd.Series([o.code for o in options]), instrument, item)
    wanted = _band_scores(instrument, item, band)
    return [o.label for o, score in zip(options, scores, strict=True) if score in wanted]


def item_indicators(answers: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """One 0/1 column per item and band: ``<item>_top_box``, ``<item>_positive``.

    A respondent's cell is 1 when the item's answer is in the band, 0 when it is another
    scored answer and empty when the item was not answered or not scored, so that the mean
    of a column over respondents is the item's top box or % positive (as in
    :func:`item_summary`) and ``benchmark`` treats it as a proportion.
    """
    require_columns(answers, [item.id for item in instrument.items], instrument.key)
    columns = {}
    for item in instrument.items:
        scores = item_scores(answers[item.id], instrument, item)
        for band in INDICATOR_BANDS:
            hit = np.isin(scores, _band_scores(instrument, item, band)).astype(float)
            values = np.where(np.isnan(scores), np.nan, hit)
            columns[f"{item.id}_{band}"] = pd.array(values, dtype="Int8")
    return pd.DataFrame(columns, index=answers.index)
