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
from analysis.answers import normalise_answers
from analysis.answers_csv import read_answers_csv, write_csv_atomically
from analysis.cli import UsageError, say
from analysis.scoring import SCORED, score_respondents
from analysis.scoring_matrix import scoring_rule
from instruments import Instrument, InstrumentError, get_instrument


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
    parser.add_argument("-o", "--output", type=Path, required=True, help="scores CSV to write")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Read, check, score and write; report progress and a summary on stderr."""
    instrument = load_instrument(args.instrument, args.version)
    scoring_rule(instrument)  # refuse a never-scored instrument before reading the file
    started = time.perf_counter()
    say(f"Reading {args.input} …")
    raw = read_answers_csv(args.input, categorical=[item.id for item in instrument.items])
    say(f"Checking {len(raw):,} responses against {instrument.key} …")
    answers = normalise_answers(raw, instrument, source=str(args.input))
    say("Scoring …")
    scores = score_respondents(answers, instrument)
    say(f"Writing {args.output} …")
    write_csv_atomically(scores, args.output)
    say(summary(scores, instrument, args.output, time.perf_counter() - started))
    return 0


def load_instrument(instrument_id: str, version: str | None,
                    language: str = "en") -> Instrument:
    """Return a shipped instrument, turning an unknown id/version/language into a usage error."""
    try:
        return get_instrument(instrument_id, version, language)
    except InstrumentError as exc:
        raise UsageError(str(exc)) from None


def summary(scores: pd.DataFrame, instrument: Instrument, output: Path, seconds: float) -> str:
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
    lines.append(f"Wrote {output} in {seconds:.1f} s (methodology {METHODOLOGY_VERSION}).")
    return "\n".join(lines)
