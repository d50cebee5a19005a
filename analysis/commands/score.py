"""``python -m analysis score``: score a CSV of responses with one instrument.

Example: ``python -m analysis score --instrument ctm15 responses.csv -o scores.csv``.
Any problem in the input stops the command (exit status 2) before anything is written.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from analysis import METHODOLOGY_VERSION
from analysis.answers import RESPONSE_ID, normalise_answers
from analysis.cli import UsageError, say
from analysis.csv_input import read_csv_table
from analysis.csv_output import OutputTarget, output_target, write_tables
from analysis.scoring import SCORED, score_respondents, theme_scores
from analysis.scoring_items import item_indicators
from analysis.scoring_matrix import scoring_rule
from instruments import Instrument, InstrumentError, get_instrument

THEME_PREFIX = "theme_"
DECIMALS = 4  # 66.6667: enough for any reported score, and fast to format at a million rows


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``score`` command."""
    parser = subparsers.add_parser(
        "score",
        help="score responses from a CSV file",
        description="Score one row per respondent. Item cells may hold an option's code, "
                    "short code or label (any case); empty = not answered. Other columns "
                    "are carried through unchanged.",
    )
    parser.add_argument("--instrument", required=True, help="instrument id, e.g. ctm15")
    parser.add_argument("--version", help="instrument version (default: latest)")
    parser.add_argument("input", type=Path, help="responses CSV (response_id + item columns)")
    parser.add_argument("-o", "--output", required=True,
                        help="scores CSV to write ('-': standard output)")
    parser.add_argument("--themes", action="store_true",
                        help="also write each theme's score as theme_<id> (e.g. for I statements)")
    parser.add_argument("--item-indicators", action="store_true",
                        help="also write 0/1 columns <item>_top_box and <item>_positive "
                             "(empty when the item is not scored), for benchmark and drivers")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Read, check, score and write; report progress and a summary on stderr."""
    instrument = load_instrument(args.instrument, args.version)
    scoring_rule(instrument)  # refuse a never-scored instrument before reading the file
    if args.themes and not instrument.themes:
        raise UsageError(f"--themes: {instrument.key} has no themes")
    output = output_target(args.output, inputs=[args.input])
    started = time.perf_counter()
    say(f"Reading {args.input} …")
    raw = read_csv_table(args.input, all_text=True,
                         categorical=[item.id for item in instrument.items])
    say(f"Checking {len(raw):,} responses against {instrument.key} …")
    answers = normalise_answers(raw, instrument, source=str(args.input))
    say("Scoring …")
    scores = score_respondents(answers, instrument, source=str(args.input))
    scores = add_optional_columns(scores, answers, instrument, args)
    say(f"Writing {output.shown} …")
    write_tables([(scores, output)], decimals=DECIMALS)
    say(summary(scores, instrument, output, time.perf_counter() - started))
    return 0


def add_optional_columns(scores: pd.DataFrame, answers: pd.DataFrame, instrument: Instrument,
                         args: argparse.Namespace) -> pd.DataFrame:
    """Append the opt-in theme scores and item indicators; the default output is unchanged."""
    extra = []
    if args.themes:
        themes = theme_scores(answers, instrument).drop(columns=RESPONSE_ID)
        extra.append(themes.rename(columns=lambda theme: f"{THEME_PREFIX}{theme}"))
    if args.item_indicators:
        extra.append(item_indicators(answers, instrument))
    if not extra:
        return scores
    added = pd.concat(extra, axis=1)
    clash = [c for c in added.columns if c in scores.columns]
    if clash:
        raise UsageError(f"{args.input}: line 1, column {clash[0]}: the name is reserved for "
                         "scoring output; rename the column")
    return pd.concat([scores, added.set_axis(scores.index)], axis=1)


def load_instrument(instrument_id: str, version: str | None,
                    language: str = "en") -> Instrument:
    """Return a shipped instrument, turning an unknown id/version/language into a usage error."""
    try:
        return get_instrument(instrument_id, version, language)
    except InstrumentError as exc:
        raise UsageError(str(exc)) from None


def summary(scores: pd.DataFrame, instrument: Instrument, output: OutputTarget,
            seconds: float) -> str:
    """One paragraph an analyst can paste into a log."""
    scored = int((scores["status"] == SCORED).sum())
    total = len(scores)
    mean = scores["score"].mean()
    lines = [
        f"{instrument.key}: scored {scored:,} of {total:,} respondents "
        f"({total - scored:,} with too few answers).",
        f"Mean score {mean:.1f}." if scored else "No respondent could be scored.",
    ]
    lines += [f"Mean {c} {scores[c].mean():.1f} ({scores[c].notna().sum():,} scored)."
              for c in scores.columns if c.endswith("_score") and scores[c].notna().any()]
    lines.append(f"Wrote {output.shown} in {seconds:.1f} s (methodology {METHODOLOGY_VERSION}).")
    return "\n".join(lines)
