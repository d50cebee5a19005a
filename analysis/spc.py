"""Change over time: XmR charts with NHS "Making Data Count" special-cause rules.

A unit's values in time order get a mean, process limits ``mean ∓ 2.66·AMR`` (AMR, the
average moving range, optionally screened of ranges ≥ 3.267·AMR) and "near" limits at two
thirds of that width. Points are flagged by four rules in priority order (outside the
limits, a 7-point trend, 2 of 3 between a near limit and the limit, a 7-point shift) and
called improvement or concern; a target gets an assurance verdict. See
docs/methodology.md, section 2.8.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis import METHODOLOGY_VERSION

LIMIT_FACTOR = 2.66
SCREEN_FACTOR = 3.267
RUN_LENGTH = 7
MIN_POINTS_FOR_FIRM_LIMITS = 12

OUTSIDE = "outside limits"
TREND = "trend"
TWO_OF_THREE = "two of three near limit"
SHIFT = "shift"
COMMON_CAUSE = "common cause"
IMPROVEMENT = "improvement"
CONCERN = "concern"
PASSING = "consistently passing"
FAILING = "consistently failing"
INCONSISTENT = "inconsistent"
POINT_COLUMNS = (
    "value", "moving_range", "mean", "lower", "upper", "near_lower", "near_upper",
    "special_cause", "variation",
)


@dataclass(frozen=True)
class XmrChart:
    """One series' chart: per-point flags plus the limits and the target verdict."""

    points: pd.DataFrame
    mean: float
    average_moving_range: float
    lower: float
    upper: float
    provisional: bool
    assurance: str | None


def _runs(flags: np.ndarray, min_length: int) -> np.ndarray:
    """Return True for positions inside a run of ≥ ``min_length`` consecutive True flags."""
    marked = np.zeros(flags.size, dtype=bool)
    start = None
    for index, flag in enumerate([*flags, False]):
        if flag and start is None:
            start = index
        elif not flag and start is not None:
            if index - start >= min_length:
                marked[start:index] = True
            start = None
    return marked


def _trend(y: np.ndarray, direction: int) -> np.ndarray:
    """Return points in 7 consecutive points each strictly beyond the previous one."""
    steps = np.sign(np.diff(y)) == direction
    in_run = _runs(steps, RUN_LENGTH - 1)
    marked = np.zeros(y.size, dtype=bool)
    marked[1:] |= in_run
    marked[:-1] |= in_run
    return marked


def _two_of_three(
    y: np.ndarray, mean: float, near: float, limit: float, direction: int
) -> np.ndarray:
    """Return near-limit points where 2 of 3 consecutive points lie between the near limit
    and the process limit; a point beyond the process limit is not counted (as in
    NHSRplotthedots, whose ``close_to_limits`` excludes ``outside_limits``)."""
    side = direction * (y - mean) > 0
    beyond = (direction * (y - near) > 0) & ~(direction * (y - limit) > 0)
    marked = np.zeros(y.size, dtype=bool)
    for start in range(max(0, y.size - 2)):
        window = slice(start, start + 3)
        if side[window].all() and beyond[window].sum() >= 2:
            marked[window] |= beyond[window]
    return marked


def _assurance(
    target: float | None, lower: float, upper: float, higher_is_better: bool
) -> str | None:
    """Return whether the process will consistently pass, fail or hit-and-miss the target."""
    if target is None or not np.isfinite(target):
        return None
    if target < lower:
        return PASSING if higher_is_better else FAILING
    if target > upper:
        return FAILING if higher_is_better else PASSING
    return INCONSISTENT


def xmr_chart(
    values: Sequence[float] | np.ndarray,
    *,
    screen: bool = True,
    higher_is_better: bool = True,
    target: float | None = None,
) -> XmrChart:
    """Return the XmR chart of one series given in time order (at least two values).

    Screening is skipped when it would remove every non-zero moving range (zero-width
    limits); a constant series gets limits equal to its value and no special cause.
    """
    y = np.asarray(values, dtype=float)
    if y.size < 2 or not np.isfinite(y).all():
        raise ValueError("an XmR chart needs at least two values and no missing ones")
    moving_range = np.abs(np.diff(y))
    amr = float(moving_range.mean())
    # A constant series has no variation: limits at its value (taken exactly, not from a
    # rounded mean) and no special cause.
    mean = float(y[0]) if amr == 0 else float(y.mean())
    if screen:
        kept = moving_range[moving_range < SCREEN_FACTOR * amr]
        # Screening that would leave no variation at all would make every point special.
        if kept.any():
            amr = float(kept.mean())
    width = LIMIT_FACTOR * amr
    lower, upper = mean - width, mean + width
    near_lower, near_upper = mean - width * 2 / 3, mean + width * 2 / 3

    trend_up = _trend(y, 1)
    rule_flags = [
        (OUTSIDE, (y > upper) | (y < lower)),
        (TREND, trend_up | _trend(y, -1)),
        (
            TWO_OF_THREE,
            _two_of_three(y, mean, near_upper, upper, 1)
            | _two_of_three(y, mean, near_lower, lower, -1),
        ),
        (SHIFT, _runs(y > mean, RUN_LENGTH) | _runs(y < mean, RUN_LENGTH)),
    ]
    rule = np.full(y.size, "", dtype=object)
    for name, flags in reversed(rule_flags):
        rule[flags] = name
    # Direction of a special cause: for a trend, the way it moves; otherwise its side.
    upward = np.where(rule == TREND, trend_up, y > mean)
    good = upward == higher_is_better
    variation = np.where(rule == "", COMMON_CAUSE, np.where(good, IMPROVEMENT, CONCERN))
    points = pd.DataFrame(
        {
            "value": y,
            "moving_range": np.r_[np.nan, moving_range],
            "mean": mean,
            "lower": lower,
            "upper": upper,
            "near_lower": near_lower,
            "near_upper": near_upper,
            "special_cause": rule,
            "variation": variation,
        }
    )
    return XmrChart(
        points=points,
        mean=mean,
        average_moving_range=amr,
        lower=lower,
        upper=upper,
        provisional=bool(y.size < MIN_POINTS_FOR_FIRM_LIMITS),
        assurance=_assurance(target, lower, upper, higher_is_better),
    )


def unit_trends(
    table: pd.DataFrame,
    *,
    units: Sequence[str],
    period: str,
    value: str,
    higher_is_better: bool = True,
    target: float | None = None,
    carry: Sequence[str] = (),
) -> pd.DataFrame:
    """Return an XmR chart per unit as one long table, periods sorted within each unit.

    Rows without a value (e.g. too few responses) are left out; units with fewer than two
    values get no chart. With no ``units`` the whole table is one series. Columns named in
    ``carry`` (e.g. ``n``) are copied beside each point.
    """
    frames = []
    usable = table.loc[table[value].notna()].sort_values([*units, period])
    groups = (usable.groupby(list(units), sort=True, observed=True) if units
              else [((), usable)])
    for key, series in groups:
        if len(series) < 2:
            continue
        chart = xmr_chart(series[value], higher_is_better=higher_is_better, target=target)
        points = chart.points.assign(provisional=chart.provisional, assurance=chart.assurance)
        for position, column in enumerate(carry, start=1):
            points.insert(position, column, series[column].to_numpy())
        points.insert(0, period, series[period].to_numpy())
        for position, (column, part) in enumerate(zip(units, key, strict=True)):
            points.insert(position, column, part)
        frames.append(points)
    if not frames:
        return pd.DataFrame()
    trends = pd.concat(frames, ignore_index=True)
    trends.insert(0, "methodology_version", METHODOLOGY_VERSION)
    return trends
