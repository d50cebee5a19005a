"""The trend and equity outputs of ``python -m analysis benchmark``, at chosen levels.

Both are published through :func:`analysis.disclosure.publish_table`, like the main
table, unless ``--unrounded`` is given. A trend point is charted only where the main
table shows the unit's value (enough respondents, and not 1–7 people when published), so
neither a point nor a moving range can give away a hidden value.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

import pandas as pd

from analysis.benchmark import BenchmarkResult, BenchmarkSpec, Level, unit_columns
from analysis.breakdowns import choose_levels, level_equity, level_trends, levels_with_period
from analysis.cli import UsageError
from analysis.commands.csv_files import split_list
from analysis.disclosure import SMALLEST_SHOWN, publish_table, shown
from analysis.equity import DEFAULT_CHARACTERISTICS

TREND_STATISTICS = ["value", "moving_range"]
EQUITY_STATISTICS = ["value", "ci_lower", "ci_upper", "unit_value", "difference"]


def add_level_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--trend-levels`` and ``--equity-levels`` to the benchmark parser."""
    parser.add_argument("--trend-levels", metavar="LEVELS",
                        help="levels to chart over periods, comma-separated, columns joined "
                             "by '/', e.g. provider/period,all providers/period (default: "
                             "every level with a period)")
    parser.add_argument("--equity-levels", metavar="LEVELS",
                        help="levels for --equity, written as for --trend-levels "
                             "(default: every level)")


def _levels(option: str | None, name: str, result: BenchmarkResult,
            default: Sequence[Level]) -> list[Level]:
    """Return the levels an option names, as a UsageError when one is unknown."""
    try:
        return choose_levels(result.levels, split_list(option, name), default)
    except ValueError as exc:
        raise UsageError(f"{name}: {exc}") from None


def trend_output(args: argparse.Namespace, result: BenchmarkResult, spec: BenchmarkSpec,
                 say: Callable[[str], None]) -> pd.DataFrame:
    """Return one measure's XmR trends at the chosen levels, published unless --unrounded."""
    with_period = levels_with_period(result.levels, spec)
    levels = _levels(args.trend_levels, "--trend-levels", result, with_period)
    flat = [level.name for level in levels if level not in with_period]
    if flat:
        raise UsageError(f"--trend-levels: {', '.join(flat)} has no period to chart over")
    table = result.table
    value = "adjusted_value" if spec.adjust else "value"
    if args.unrounded:
        charted, smallest = table["n"] >= spec.min_respondents, spec.min_respondents
    else:
        charted = shown(table["n"], spec.min_respondents)
        smallest = max(spec.min_respondents, SMALLEST_SHOWN)
    charted &= table[value].notna()
    trend = level_trends(table, levels, spec, value=value, charted=charted)
    _say_trend(trend, levels, spec, say, smallest=smallest)
    if args.unrounded:
        return trend
    return publish_table(trend, counts=["n"], statistics=TREND_STATISTICS,
                         minimum=spec.min_respondents)


def _say_trend(trend: pd.DataFrame, levels: Sequence[Level], spec: BenchmarkSpec,
               say: Callable[[str], None], *, smallest: int) -> None:
    """Say how many units each level charted, and why a level charted none."""
    for level in levels:
        points = trend.loc[trend["level"] == level.name]
        if points.empty:
            say(f"trend {spec.measure} — {level.name}: nothing charted (no unit has two "
                f"periods with at least {smallest} respondents)")
            continue
        entities = [c for c in unit_columns(spec) if c != spec.period]
        units = len(points[entities].drop_duplicates())
        say(f"trend {spec.measure} — {level.name}: {units:,} unit(s) charted, "
            f"{len(points):,} points")


def equity_output(args: argparse.Namespace, result: BenchmarkResult, responses: pd.DataFrame,
                  spec: BenchmarkSpec) -> pd.DataFrame:
    """Return one measure's equity breakdown at the chosen levels, published unless
    --unrounded."""
    levels = _levels(args.equity_levels, "--equity-levels", result, result.levels)
    wanted = split_list(args.equity_by) or [
        c for c in DEFAULT_CHARACTERISTICS if c in responses.columns
    ]
    table = level_equity(responses, levels, spec, kind=result.kind, characteristics=wanted)
    if args.unrounded:
        return table
    return publish_table(table, counts=["n"], minimum=spec.min_respondents,
                         statistics=EQUITY_STATISTICS)
