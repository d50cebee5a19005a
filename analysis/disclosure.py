"""Disclosure control for published tables (NHS Digital small-numbers rule).

Every CSV or report table the platform publishes passes through :func:`publish_table`, so
the rule lives in one place: a count of 0 stays 0, 1–7 becomes ``*``, any other count is
rounded to the nearest 5 without crossing the minimum respondents (so 28 is published as
25, never as 30 beside "too few responses"), and a statistic (mean, percentage,
interval …) built on 1–7 people becomes ``*``. Totals must be computed from unrounded
counts *before* publishing, which this design guarantees because callers hand over raw
counts. See docs/methodology.md, section 2.7.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.funnel import MIN_RESPONDENTS

SUPPRESSED = "*"
SMALLEST_SHOWN = 8


def _is_small(counts: pd.Series) -> pd.Series:
    """Return True where a count is 1–7 people (the suppressed range)."""
    numeric = pd.to_numeric(counts, errors="coerce")
    return ((numeric >= 1) & (numeric < SMALLEST_SHOWN)).fillna(False).astype(bool)


def shown(counts: pd.Series, minimum: int | None = None) -> pd.Series:
    """Return True for rows whose statistics :func:`publish_table` shows.

    A row is hidden when its count is 1–7 (``*``) or under ``minimum`` (left empty); a
    caller that must leave such rows out altogether (e.g. points of a trend, whose moving
    ranges would give a hidden value away) selects rows with this.
    """
    numeric = pd.to_numeric(counts, errors="coerce")
    under = (numeric < minimum).fillna(False).astype(bool) if minimum is not None else False
    return ~_is_small(counts) & ~under


def round_count(count: float | int | None, minimum: int = MIN_RESPONDENTS) -> int | str | None:
    """Return one count as published: 0 → 0, 1–7 → ``*``, otherwise nearest 5, but never
    across ``minimum``: a count under it stays under it (28, 29 → 25 with 30), one at or
    above it stays at or above it (32 → 35 with 32)."""
    if count is None or pd.isna(count):
        return None
    if count < 0:
        raise ValueError(f"a count cannot be negative: {count}")
    if count == 0:
        return 0
    if count < SMALLEST_SHOWN:
        return SUPPRESSED
    rounded = int(np.floor(count / 5 + 0.5) * 5)
    if count < minimum:
        return min(rounded, (int(np.ceil(minimum)) - 1) // 5 * 5)
    return max(rounded, int(np.ceil(minimum / 5)) * 5)


def publish_table(
    table: pd.DataFrame,
    *,
    counts: Sequence[str],
    statistics: Sequence[str] = (),
    base: str | None = None,
    minimum: int | None = None,
) -> pd.DataFrame:
    """Return a copy of ``table`` safe to publish.

    ``counts`` are the columns of people counts to round or suppress, never across
    ``minimum`` (the platform's minimum respondents when None); ``statistics`` are the
    columns (means, proportions, limits …) to replace by ``*`` on rows whose ``base`` count
    (default: the first of ``counts``) is 1–7. With ``minimum``, statistics of larger rows
    still under it are left empty: those rows are labelled "too few responses" rather
    than shown.
    """
    if not counts:
        raise ValueError("publish_table needs at least one count column")
    base = base or counts[0]
    missing = [c for c in [*counts, *statistics, base] if c not in table.columns]
    if missing:
        raise KeyError(f"publish_table: no column(s) {', '.join(missing)} in the table")
    published = table.copy()
    small_base = _is_small(table[base])
    under_minimum = pd.Series(False, index=table.index)
    if minimum is not None:
        under_minimum = (pd.to_numeric(table[base], errors="coerce") < minimum).fillna(False)
    limit = MIN_RESPONDENTS if minimum is None else minimum
    for column in counts:
        published[column] = pd.Series(
            [round_count(value, limit) for value in table[column]], index=table.index,
            dtype=object,
        )
    for column in statistics:
        values = table[column].astype(object).where(~under_minimum, None)
        published[column] = values.where(~small_base, SUPPRESSED)
    return published
