"""``python -m analysis drivers``: what matters most, per provider, from a scores CSV.

Input: the output of ``python -m analysis score --item-indicators`` (or any respondent
CSV with a provider column, an overall measure and per-item columns). Output: one row per
provider × item with the columns of :func:`analysis.drivers.what_matters_most` —
methodology_version, provider, item, n, value, benchmark, gap, z, driver_correlation,
below_rank, priority, priority_rank, status — published (counts rounded, results of
providers under the minimum hidden) unless ``--unrounded`` is given.
"""

from __future__ import annotations

import argparse

from analysis.cli import UsageError, say
from analysis.commands.csv_files import DECIMALS, numeric_column, require_columns, split_list
from analysis.csv_input import read_csv_table
from analysis.csv_output import output_target, write_tables
from analysis.disclosure import publish_table
from analysis.drivers import UNIT_RESULTS, what_matters_most
from analysis.funnel import MIN_RESPONDENTS

DEFAULT_ITEM_SUFFIX = "_positive"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``drivers`` command."""
    parser = subparsers.add_parser(
        "drivers", help="what matters most: items furthest below the benchmark that drive "
                        "the overall score", description=__doc__.splitlines()[0])
    parser.add_argument("scores", help="scores CSV, e.g. from `score --item-indicators`")
    parser.add_argument("--by", default="provider", help="provider column (default: provider)")
    parser.add_argument("--measure", default="score", help="overall score (default: score)")
    parser.add_argument("--items", help="item columns, comma-separated (default: every "
                                        f"*{DEFAULT_ITEM_SUFFIX} column)")
    parser.add_argument("--min-respondents", type=int, default=MIN_RESPONDENTS)
    parser.add_argument("--unrounded", action="store_true",
                        help="analyst output: no disclosure control or suppression")
    parser.add_argument("-o", "--output", help="output CSV (default: standard output)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Read the scores, rank what matters most per provider and write the table."""
    by = split_list(args.by, "--by")
    if len(by) != 1:
        raise UsageError("--by takes one provider column")
    if args.min_respondents < 1:
        raise UsageError("--min-respondents must be at least 1")
    output = output_target(args.output, inputs=[args.scores])
    say(f"reading {args.scores} …")
    responses = read_csv_table(args.scores, text_columns=by)
    items = split_list(args.items, "--items") or [
        c for c in responses.columns if str(c).endswith(DEFAULT_ITEM_SUFFIX)]
    if not items:
        raise UsageError(f"{args.scores}: no *{DEFAULT_ITEM_SUFFIX} item columns; write them "
                         "with `python -m analysis score --item-indicators` or name them "
                         "with --items")
    require_columns(responses, [*by, args.measure, *items], args.scores)
    for column in [args.measure, *items]:
        responses[column] = numeric_column(responses, column, args.scores)
    say(f"ranking {len(items)} item(s) for {responses[by[0]].nunique():,} provider(s) …")
    table = what_matters_most(responses, items=items, overall=args.measure, provider=by[0],
                              min_respondents=args.min_respondents)
    if not args.unrounded:
        table = publish_table(table, counts=["n"], statistics=UNIT_RESULTS,
                              minimum=args.min_respondents)
    write_tables([(table, output)], decimals=DECIMALS)
    priorities = table.loc[table["priority"].astype(bool)]
    say(f"wrote {len(table):,} rows to {output.shown}: {len(priorities):,} priority item(s) "
        f"for {priorities[by[0]].nunique():,} provider(s)")
    return 0
