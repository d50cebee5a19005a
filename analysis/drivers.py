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
    strata: Sequence[str] = (),
    min_respondents: int = MIN_RESPONDENTS,
) -> pd.DataFrame:
    """Return one row per provider × item with gap, z, driver correlation and priority rank.

    With ``strata`` (e.g. pathway and period) every stratum is analysed on its own, as if
    called once per stratum, in one pass (a national build has hundreds of strata); an
    item nobody in a stratum answered has no rows there.

    Columns: methodology_version, the strata, provider, item, n, value, benchmark, gap, z,
    driver_correlation, below_rank (1 = furthest below), priority (bool), priority_rank
    (1 = improve first; empty when not a priority), status.
    """
    items, strata = list(items), list(strata)
    missing = [c for c in [*items, overall, provider, *strata] if c not in responses.columns]
    if missing:
        raise KeyError(f"column(s) not found: {', '.join(missing)}")
    data = responses.loc[responses[overall].notna()]
    keys = strata or ["_all"]
    if not strata:
        data = data.assign(_all=0)
    groups = data.groupby(keys, sort=True, observed=True)
    strength = groups.apply(lambda rows: driver_strength(rows, items, overall),
                            include_groups=False) if len(data) else \
        pd.DataFrame(columns=items, dtype=float)
    important = strength.ge(strength.median(axis=1), axis=0)
    benchmark = groups[items].mean()
    summaries = summarise_measures(data, [*keys, provider],
                                   {item: measure_kind(data[item]) for item in items})
    table = pd.concat([summaries[item].assign(item=item) for item in items],
                      ignore_index=True)
    # Per stratum and item: the all-provider benchmark, the within-unit SD pooled over the
    # stratum's providers (analysis.funnel.pooled_sd) and the item's driver correlation.
    at = [*keys, "item"]
    sigma = table.groupby(at, sort=False).apply(
        lambda units: pooled_sd(units["n"].to_numpy(), units["sd"].to_numpy()),
        include_groups=False)
    stratum_item = pd.MultiIndex.from_frame(table[at])
    table["benchmark"] = benchmark.stack().reindex(stratum_item).to_numpy(np.float64)
    table["gap"] = table["value"] - table["benchmark"]
    table["z"] = table["gap"] / (sigma.reindex(stratum_item).to_numpy(np.float64)
                                 / np.sqrt(table["n"]))
    table["driver_correlation"] = strength.stack().reindex(stratum_item).to_numpy(np.float64)
    table["important"] = important.stack().reindex(stratum_item).fillna(False).to_numpy(bool)
    enough = table["n"] >= min_respondents
    unit = [table[c] for c in [*keys, provider]]
    table["status"] = np.where(enough, "shown", TOO_FEW)
    table["below_rank"] = table["gap"].groupby(unit).rank(method="min").astype("Int64")
    table["priority"] = enough & table["important"] & (table["gap"] < 0)
    urgency = (table["gap"] * table["driver_correlation"]).where(table["priority"])
    table["priority_rank"] = urgency.groupby(unit).rank(method="min").astype("Int64")
    table = table.sort_values([*keys, provider, "priority_rank", "below_rank"],
                              na_position="last", kind="stable")
    table.insert(0, "methodology_version", METHODOLOGY_VERSION)
    columns = [
        "methodology_version", *strata, provider, "item", "n", "value", "benchmark", "gap", "z",
        "driver_correlation", "below_rank", "priority", "priority_rank", "status",
    ]
    return table[columns].reset_index(drop=True)
