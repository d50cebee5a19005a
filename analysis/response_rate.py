"""Response rates where invitations were sent, overall and by mode (SMS, email, kiosk, paper).

Input is one row per invitation with its unit columns, its ``mode`` and whether it led to
a response. Each unit gets invited, responded, the rate and its Wilson 95% interval, for
every mode and for all modes together. See docs/methodology.md, 2.10.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis import METHODOLOGY_VERSION
from analysis.disclosure import publish_table
from analysis.intervals import wilson_interval

MODES = ("sms", "email", "kiosk", "paper")
ALL_MODES = "all"


def _rates(invitations: pd.DataFrame, keys: list[str], responded: str) -> pd.DataFrame:
    """Count invitations and responses per key and add the rate with its interval."""
    counts = invitations.groupby(keys, sort=True, observed=True)[responded].agg(["size", "sum"])
    counts = counts.rename(columns={"size": "invited", "sum": "responded"}).reset_index()
    invited = counts["invited"].to_numpy(dtype=float)
    answered = counts["responded"].to_numpy(dtype=float)
    counts["rate"] = np.where(invited > 0, answered / np.where(invited > 0, invited, 1), np.nan)
    counts["ci_lower"], counts["ci_upper"] = wilson_interval(answered, invited)
    return counts


def response_rates(
    invitations: pd.DataFrame,
    *,
    by: Sequence[str],
    mode: str = "mode",
    responded: str = "responded",
) -> pd.DataFrame:
    """Return invited, responded, rate, ci_lower, ci_upper per unit × mode and unit overall.

    Modes are compared case-insensitively; ``responded`` must be true/false (or 1/0).
    """
    missing = [c for c in [*by, mode, responded] if c not in invitations.columns]
    if missing:
        raise KeyError(f"column(s) not found: {', '.join(missing)}")
    answered = invitations[responded]
    if not answered.dropna().isin([0, 1, True, False]).all() or answered.isna().any():
        raise ValueError(f"column {responded!r} must hold true/false for every invitation")
    data = invitations.assign(
        **{mode: invitations[mode].astype("string").str.strip().str.lower(),
           responded: answered.astype(bool)}
    )
    by_mode = _rates(data, [*by, mode], responded)
    overall = _rates(data, list(by), responded).assign(**{mode: ALL_MODES})
    table = pd.concat([by_mode, overall[by_mode.columns]], ignore_index=True)
    table = table.sort_values([*by, mode], kind="stable", ignore_index=True)
    table.insert(0, "methodology_version", METHODOLOGY_VERSION)
    return table


def publish_rates(table: pd.DataFrame) -> pd.DataFrame:
    """Return a response-rate table as published: both counts rounded; the rate and its
    interval ``*`` when the people who answered or, with nobody answering, the people
    invited number 1–7 (the interval of 0 of n gives n away: its upper end is z²/(n + z²))."""
    base = table["responded"].where(table["responded"] > 0, table["invited"])
    published = publish_table(table.assign(_base=base), counts=["_base", "invited", "responded"],
                              statistics=["rate", "ci_lower", "ci_upper"])
    return published.drop(columns="_base")
