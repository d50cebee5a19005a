"""``python -m analysis response-rate``: response rates from a CSV of invitations.

Input: one row per invitation with the unit columns, ``mode`` (sms, email, kiosk, paper)
and ``responded`` (true/false, yes/no or 1/0). Output columns: methodology_version, the
unit columns, mode (``all`` for every mode together), invited, responded, rate, ci_lower,
ci_upper (Wilson 95%). With ``mode`` among ``--by`` each unit gets a row per mode and one
for all modes; otherwise only the all-modes row. Published (counts rounded, rates on 1–7
responses hidden) unless ``--unrounded`` is given.
"""

from __future__ import annotations

import argparse

import pandas as pd

from analysis.cli import UsageError, say
from analysis.commands.csv_files import DECIMALS, refuse_first, require_columns, split_list
from analysis.csv_input import read_csv_table
from analysis.csv_output import output_target, write_tables
from analysis.response_rate import ALL_MODES, publish_rates, response_rates

ANSWERS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``response-rate`` command."""
    parser = subparsers.add_parser(
        "response-rate", help="response rates by unit and mode from an invitations CSV",
        description=__doc__.splitlines()[0])
    parser.add_argument("invitations", help="CSV with one row per invitation")
    parser.add_argument("--by", default="provider,mode",
                        help="unit columns, plus 'mode' for a row per mode "
                             "(default: provider,mode)")
    parser.add_argument("--mode-column", default="mode")
    parser.add_argument("--responded-column", default="responded")
    parser.add_argument("--unrounded", action="store_true",
                        help="analyst output: no disclosure control")
    parser.add_argument("-o", "--output", help="output CSV (default: standard output)")
    parser.set_defaults(func=run)


def read_invitations(path: str, by: list[str], responded: str) -> pd.DataFrame:
    """Read the invitations; refuse a ``responded`` cell that is not true/false by name."""
    frame = read_csv_table(path, all_text=True)
    require_columns(frame, [*by, responded], path)
    answer = frame[responded].str.strip().str.casefold().map(ANSWERS)
    refuse_first(frame, answer.isna(), responded, path,
                 "is not one of true/false, yes/no, 1/0")
    return frame.assign(**{responded: answer.astype(bool)})


def run(args: argparse.Namespace) -> int:
    """Count invitations and responses per unit (and mode) and write the rates."""
    mode, responded = args.mode_column, args.responded_column
    columns = split_list(args.by, "--by")
    by = [c for c in columns if c != mode]
    if not by:
        raise UsageError("--by needs at least one unit column besides the mode")
    output = output_target(args.output, inputs=[args.invitations])
    say(f"reading {args.invitations} …")
    by_mode = mode in columns
    invitations = read_invitations(args.invitations, columns, responded)
    if not by_mode:  # one group per unit: the per-mode rows would repeat the overall one
        invitations[mode] = ALL_MODES
    table = response_rates(invitations, by=by, mode=mode, responded=responded)
    if not by_mode:
        table = table.drop_duplicates([*by, mode], ignore_index=True)
    if not args.unrounded:
        table = publish_rates(table)
    write_tables([(table, output)], decimals=DECIMALS)
    invited, answered = len(invitations), int(invitations[responded].sum())
    say(f"{invited:,} invitations, {answered:,} responses ({answered / invited:.1%}); "
        f"wrote {len(table):,} rows to {output.shown}")
    return 0
