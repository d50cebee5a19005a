"""``python -m analysis funnel``: funnel-plot benchmarking of already-aggregated units.

Input columns ``unit, n, value`` (+ ``sd`` for means, the within-unit SD pooled across
units as σ); output columns ``unit, n, value, target, z, z_adjusted, phi, tau2, lower95,
upper95, lower998, upper998, band, methodology_version``. With ``--within`` (e.g.
``pathway,period``, as in ``benchmark --units`` output) each unit is compared only with the
units sharing those columns, which come first in the output. The output is a published
table (disclosure control, results of units under the minimum left empty) unless
``--unrounded`` is given.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from analysis import METHODOLOGY_VERSION
from analysis.cli import UsageError, say
from analysis.commands.csv_files import (
    DECIMALS,
    numeric_column,
    refuse_first,
    require_columns,
    split_list,
)
from analysis.csv_input import read_csv_table
from analysis.csv_output import output_target, write_tables
from analysis.disclosure import publish_table
from analysis.funnel import (
    FUNNEL_COLUMNS,
    MIN_RESPONDENTS,
    UNIT_LIMITS,
    funnel_mean,
    funnel_proportion,
)

PUBLISHED_STATISTICS = ["value", "z", "z_adjusted", *UNIT_LIMITS]
MAX_RESPONDENTS = 10**9  # more than any unit could have: a larger n is a typing error


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``funnel`` command."""
    parser = subparsers.add_parser(
        "funnel",
        help="benchmark aggregated units (unit, n, value[, sd]) on a funnel plot",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument("units", help="CSV with columns unit, n, value (+ sd for means)")
    parser.add_argument("--kind", choices=["mean", "proportion"], required=True)
    parser.add_argument("--target", type=float, help="target (default: the overall value)")
    parser.add_argument("--min-respondents", type=int, default=MIN_RESPONDENTS)
    parser.add_argument("--within", default="", metavar="COLUMNS",
                        help="compare each unit only with units sharing these columns, "
                             "comma-separated (e.g. pathway,period)")
    parser.add_argument("--unrounded", action="store_true",
                        help="analyst output: no disclosure control or suppression")
    parser.add_argument("-o", "--output", help="output CSV (default: standard output)")
    parser.set_defaults(func=run)


def read_units(path: str, kind: str, within: list[str] = ()) -> pd.DataFrame:
    """Read and check the units file; raise UsageError naming the first bad cell."""
    frame = read_csv_table(path, all_text=True)  # errors quote cells as typed
    required = ["unit", "n", "value", *(["sd"] if kind == "mean" else [])]
    require_columns(frame, [*required, *within], path)
    units = frame[[*within, "unit"]].copy()
    units["n"] = numeric_column(frame, "n", path, allow_missing=False)
    units["value"] = numeric_column(frame, "value", path)
    checks = [("n", (units["n"] < 0) | (units["n"] % 1 != 0), "is not a whole number ≥ 0"),
              ("n", units["n"] > MAX_RESPONDENTS,
               f"is more respondents than any unit has (at most {MAX_RESPONDENTS:,})")]
    if kind == "proportion":
        outside = (units["value"] < 0) | (units["value"] > 1)
        checks.append(("value", outside, "is not a proportion between 0 and 1"))
    else:
        units["sd"] = numeric_column(frame, "sd", path)
        checks.append(("sd", units["sd"] < 0, "is negative"))
    checks.append(("unit", frame["unit"].isna(), "is empty"))
    for column in within:
        checks.append((column, frame[column].isna(), "is empty"))
    again = "appears on an earlier row too" + (f" with the same {', '.join(within)}"
                                               if within else "")
    checks.append(("unit", frame[[*within, "unit"]].duplicated(), again))
    for field, bad, problem in checks:
        refuse_first(frame, bad, field, path, problem)
    return units


def _compare(units: pd.DataFrame, args: argparse.Namespace, where: str) -> pd.DataFrame:
    """Return the funnel table of one comparison set, unit (and --within) columns first."""
    n = units["n"].to_numpy()
    if args.kind == "mean":
        if not ((n >= 2) & units["sd"].gt(0).to_numpy()).any():
            raise UsageError(f"{args.units}: no unit{where} has n ≥ 2 and an sd, so σ is "
                             "unknown")
        table = funnel_mean(n, units["value"].to_numpy(), units["sd"].to_numpy(),
                            target=args.target, min_respondents=args.min_respondents)
    else:
        table = funnel_proportion(n, units["value"].to_numpy(), target=args.target,
                                  min_respondents=args.min_respondents)
    keys = units.drop(columns=[c for c in ("n", "value", "sd") if c in units.columns])
    table.index = units.index
    return pd.concat([keys, table], axis=1)


def run(args: argparse.Namespace) -> int:
    """Compute the funnel table (one per --within group) and write it."""
    if args.min_respondents < 1:
        raise UsageError("--min-respondents must be at least 1")
    if args.kind == "proportion" and args.target is not None and not 0 <= args.target <= 1:
        raise UsageError(f"--target {args.target} is not a proportion between 0 and 1")
    within = split_list(args.within, "--within")
    if {"unit", "n", "value", "sd"} & set(within):
        raise UsageError("--within names the columns that group units, not unit, n, value "
                         "or sd")
    output = output_target(args.output, inputs=[args.units])
    units = read_units(args.units, args.kind, within)
    groups = (units.groupby(within, sort=False).indices.items() if within
              else [((), np.arange(len(units)))])
    parts = []
    for key, positions in groups:
        named = dict(zip(within, key if isinstance(key, tuple) else (key,), strict=True))
        where = "".join(f" with {column} {value!r}" for column, value in named.items())
        parts.append(_compare(units.iloc[positions], args, where))
    table = pd.concat(parts).sort_index() if parts else _compare(units, args, "")
    table["n"] = table["n"].astype(np.int64)
    table = table[[*within, "unit", *FUNNEL_COLUMNS]].reset_index(drop=True)
    if not args.unrounded:
        table = publish_table(table, counts=["n"], statistics=PUBLISHED_STATISTICS,
                              minimum=args.min_respondents)
    table["methodology_version"] = METHODOLOGY_VERSION
    write_tables([(table, output)], decimals=DECIMALS)
    bands = ", ".join(f"{band}: {count}" for band, count in
                      table["band"].value_counts().to_dict().items())
    if len(parts) == 1:
        say(f"{len(table)} units; φ = {table['phi'].iloc[0]:.4f}, "
            f"τ² = {table['tau2'].iloc[0]:.6g}; {bands}")
    else:
        say(f"{len(table)} units in {len(parts)} comparisons (by {', '.join(within)}); {bands}")
    return 0
