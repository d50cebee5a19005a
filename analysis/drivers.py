"""What matters most: where each provider is furthest below the benchmark, and which items
move the overall score, so a report can say where to improve.

For every provider and item (an item score 0–100 or a 0/1 top-box/% positive indicator):
the provider's value, the all-provider benchmark, the gap and its z-score; and, across all
respondents, the item's correlation with the overall score (key-driver analysis, as in
England's national patient surveys). Items below the benchmark that are also strong
drivers (correlation at or above the median item's) are the priorities, ranked by
gap × correlation. See docs/methodology.md, 2.11.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis import METHODOLOGY_VERSION
from analysis.funnel import MIN_RESPONDENTS, TOO_FEW, pooled_sd
from analysis.summary import measure_kind, summarise_measures

# A provider's own results (hidden with its n in published tables): the ranks too, since
# they order its values.
UNIT_RESULTS = ["value", "gap", "z", "below_rank", "priority_rank"]


def driver_strength(responses: pd.DataFrame, items: Sequence[str], overall: str) -> pd.Series:
    """Return each item's Pearson correlation with the overall score (pairwise complete)."""
    values = responses[list(items)].astype(np.float64)
    return values.corrwith(responses[overall].astype(np.float64)).rename("driver_correlation")


def what_matters_most(
    responses: pd.DataFrame,
    *,
    items: Sequence[str],
    overall: str = "score",
    provider: str = "provider",
    min_respondents: int = MIN_RESPONDENTS,
) -> pd.DataFrame:
    """Return one row per provider × item with gap, z, driver correlation and priority rank.

    Columns: methodology_version, provider, item, n, value, benchmark, gap, z,
    driver_correlation, below_rank (1 = furthest below), priority (bool), priority_rank
    (1 = improve first; empty when not a priority), status.
    """
    missing = [c for c in [*items, overall, provider] if c not in responses.columns]
    if missing:
        raise KeyError(f"column(s) not found: {', '.join(missing)}")
    data = responses.loc[responses[overall].notna()]
    strength = driver_strength(data, items, overall)
    important = strength >= strength.median()
    summaries = summarise_measures(data, [provider],
                                   {item: measure_kind(data[item]) for item in items})
    table = pd.concat([summaries[item].assign(item=item) for item in items],
                      ignore_index=True)
    # Per item (scalars, numpy): the all-provider benchmark and the pooled within-unit SD.
    benchmark = {item: float(data[item].astype(np.float64).mean()) for item in items}
    sigma = {item: pooled_sd(summaries[item]["n"].to_numpy(), summaries[item]["sd"].to_numpy())
             for item in items}
    table["benchmark"] = table["item"].map(benchmark).astype(np.float64)
    table["gap"] = table["value"] - table["benchmark"]
    table["z"] = table["gap"] / (table["item"].map(sigma).astype(np.float64)
                                 / np.sqrt(table["n"]))
    table["driver_correlation"] = table["item"].map(strength)
    table["important"] = table["item"].map(important).astype(bool)
    enough = table["n"] >= min_respondents
    table["status"] = np.where(enough, "shown", TOO_FEW)
    table["below_rank"] = table.groupby(provider)["gap"].rank(method="min").astype("Int64")
    table["priority"] = enough & table["important"] & (table["gap"] < 0)
    urgency = (table["gap"] * table["driver_correlation"]).where(table["priority"])
    table["priority_rank"] = urgency.groupby(table[provider]).rank(method="min").astype("Int64")
    table = table.sort_values([provider, "priority_rank", "below_rank"], na_position="last")
    table.insert(0, "methodology_version", METHODOLOGY_VERSION)
    columns = [
        "methodology_version", provider, "item", "n", "value", "benchmark", "gap", "z",
        "driver_correlation", "below_rank", "priority", "priority_rank", "status",
    ]
    return table[columns].reset_index(drop=True)
