"""``python -m analysis funnel``: funnel-plot benchmarking of already-aggregated units.

Input columns ``unit, n, value`` (+ ``sd`` for means, the within-unit SD pooled across
units as σ); output columns ``unit, n, value, target, z, z_adjusted, phi, tau2, lower95,
upper95, lower998, upper998, band, methodology_version``. The output is a published
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
    parser.add_argument("--unrounded", action="store_true",
                        help="analyst output: no disclosure control or suppression")
    parser.add_argument("-o", "--output", help="output CSV (default: standard output)")
    parser.set_defaults(func=run)


def read_units(path: str, kind: str) -> pd.DataFrame:
    """Read and check the units file; raise UsageError naming the first bad cell."""
    frame = read_csv_table(path, all_text=True)  # errors quote cells as typed
    required = ["unit", "n", "value", *(["sd"] if kind == "mean" else [])]
    require_columns(frame, required, path)
    units = pd.DataFrame({"unit": frame["unit"]})
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
    checks.append(("unit", frame["unit"].duplicated(), "appears on an earlier row too"))
    for field, bad, problem in checks:
        refuse_first(frame, bad, field, path, problem)
    return units


def run(args: argparse.Namespace) -> int:
    """Compute the funnel table and write it."""
    if args.min_respondents < 1:
        raise UsageError("--min-respondents must be at least 1")
    if args.kind == "proportion" and args.target is not None and not 0 <= args.target <= 1:
        raise UsageError(f"--target {args.target} is not a proportion between 0 and 1")
    output = output_target(args.output, inputs=[args.units])
    units = read_units(args.units, args.kind)
    n = units["n"].to_numpy()
    if args.kind == "mean":
        if not ((n >= 2) & units["sd"].gt(0).to_numpy()).any():
            raise UsageError(f"{args.units}: no unit has n ≥ 2 and an sd, so σ is unknown")
        table = funnel_mean(n, units["value"].to_numpy(), units["sd"].to_numpy(),
                            target=args.target, min_respondents=args.min_respondents)
    else:
        table = funnel_proportion(n, units["value"].to_numpy(), target=args.target,
                                  min_respondents=args.min_respondents)
    table.insert(0, "unit", units["unit"].to_numpy())
    table["n"] = table["n"].astype(np.int64)
    table = table[["unit", *FUNNEL_COLUMNS]]
    if not args.unrounded:
        table = publish_table(table, counts=["n"], statistics=PUBLISHED_STATISTICS,
                              minimum=args.min_respondents)
    table["methodology_version"] = METHODOLOGY_VERSION
    write_tables([(table, output)], decimals=DECIMALS)
    bands = table["band"].value_counts().to_dict()
    say(f"{len(table)} units; φ = {table['phi'].iloc[0]:.4f}, τ² = {table['tau2'].iloc[0]:.6g}; "
        + ", ".join(f"{band}: {count}" for band, count in bands.items()))
    return 0
