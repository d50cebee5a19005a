"""Trends and equity breakdowns at any level of a benchmark table.

The benchmark table has one layer per level (provider × pathway × period, provider ×
period, …, all providers × period). Small units at the finest level often have too few
responses to show, while their roll-ups do, so the XmR trend over periods (§2.8) and the
equity breakdown (§2.9) can be drawn for any level. Rows keep the benchmark table's unit
columns, with "all" where a level rolls a column up, and a ``level`` column.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from analysis.benchmark import ALL, BenchmarkSpec, Level, unit_columns
from analysis.equity import DEFAULT_CHARACTERISTICS, equity_breakdown
from analysis.spc import POINT_COLUMNS, unit_trends


def levels_with_period(levels: Sequence[Level], spec: BenchmarkSpec) -> list[Level]:
    """Return the levels that have a period dimension, so a trend can be drawn."""
    return [level for level in levels if spec.period in level.columns]


def level_trends(
    table: pd.DataFrame,
    levels: Sequence[Level],
    spec: BenchmarkSpec,
    *,
    value: str,
    charted: pd.Series,
) -> pd.DataFrame:
    """Return an XmR chart per unit over periods for each of ``levels``.

    ``table`` is one measure's benchmark table; only rows where ``charted`` is True (e.g.
    enough respondents to publish) become points, and a unit needs two such periods. Each
    point keeps its ``n`` so that the caller can publish the table.
    """
    entities = [c for c in unit_columns(spec) if c != spec.period]
    frames = []
    for level in levels:
        rows = table.loc[(table["level"] == level.name) & charted]
        trend = unit_trends(rows, units=entities, period=spec.period, value=value,
                            target=spec.target, carry=["n"])
        if len(trend):
            trend.insert(1, "level", level.name)
            frames.append(trend)
    if not frames:
        columns = ["methodology_version", "level", *entities, spec.period, "value", "n",
                   *POINT_COLUMNS[1:], "provisional", "assurance"]
        frames.append(pd.DataFrame(columns=columns))
    trends = pd.concat(frames, ignore_index=True)
    trends.insert(2, "measure", spec.measure)
    return trends


def level_equity(
    responses: pd.DataFrame,
    levels: Sequence[Level],
    spec: BenchmarkSpec,
    *,
    kind: str,
    characteristics: Sequence[str] = DEFAULT_CHARACTERISTICS,
) -> pd.DataFrame:
    """Return the equity breakdown of ``spec.measure`` for each of ``levels``.

    A column a level rolls up is set to "all" for every respondent, so that e.g. the
    provider × period level is a breakdown of every provider's responses in a period.
    """
    columns = unit_columns(spec)
    frames = []
    for level in levels:
        rolled_up = {c: ALL for c in columns if c not in level.columns}
        data = responses.assign(**rolled_up)
        for column in level.columns:
            data[column] = data[column].astype(object)
        table = equity_breakdown(data, measure=spec.measure, by=columns,
                                 characteristics=characteristics, kind=kind,
                                 min_respondents=spec.min_respondents)
        table.insert(1, "level", level.name)
        frames.append(table)
    equity = pd.concat(frames, ignore_index=True)
    equity.insert(2, "measure", spec.measure)
    return equity


def choose_levels(
    levels: Sequence[Level], names: Sequence[str] | None, default: Sequence[Level]
) -> list[Level]:
    """Return the levels named (columns joined by "/" or "×"), or ``default`` when None.

    Raises ValueError naming an unknown level and listing the available ones.
    """
    if not names:
        return list(default)
    by_key = {_key(level.name): level for level in levels}
    chosen = []
    for name in names:
        level = by_key.get(_key(name))
        if level is None:
            available = ", ".join(level.name.replace(" × ", "/") for level in levels)
            raise ValueError(f"no level {name!r}; the levels are {available}")
        chosen.append(level)
    return list(dict.fromkeys(chosen))


def _key(name: str) -> tuple[str, ...]:
    """Return a level name as its parts, whichever separator and spacing was typed."""
    parts = name.replace("×", "/").split("/")
    return tuple(part.strip().casefold() for part in parts if part.strip())
