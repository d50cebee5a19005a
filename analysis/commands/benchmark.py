"""``python -m analysis benchmark``: the benchmark table from a scores CSV.

``scores.csv`` is the output of ``python -m analysis score`` (or any respondent-level CSV
with unit columns and a numeric measure column). The table is published — disclosure
control on counts, results of units under the minimum left empty — unless
``--unrounded`` is given. Optional extra outputs: case-mix coefficients, and XmR trends
and equity breakdowns at any level (``analysis/commands/benchmark_breakdowns.py``), both
published the same way; and ``--units``, the finest level's units as compared (exact n,
value, sd), the input of ``python -m analysis funnel --within``.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd

from analysis import METHODOLOGY_VERSION
from analysis.benchmark import VALUE_COLUMNS, BenchmarkResult, BenchmarkSpec, benchmark_table
from analysis.casemix import DEFAULT_ADJUSTERS
from analysis.cli import UsageError, say
from analysis.commands.benchmark_breakdowns import (
    add_level_options,
    equity_output,
    trend_output,
)
from analysis.commands.csv_files import DECIMALS, numeric_column, require_columns, split_list
from analysis.csv_input import read_csv_table
from analysis.csv_output import OutputTarget, distinct_targets, output_target, write_tables
from analysis.disclosure import publish_table
from analysis.equity import DEFAULT_CHARACTERISTICS
from analysis.funnel import MIN_RESPONDENTS

FOOTPRINT = "footprint"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``benchmark`` command."""
    parser = subparsers.add_parser(
        "benchmark", help="benchmark providers and pathways from a scores CSV",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument("scores", help="respondent-level CSV, e.g. from `python -m analysis score`")
    parser.add_argument("--measure", default="score",
                        help="numeric column(s), comma-separated (default: score); a 0/1 "
                             "column is benchmarked as a proportion")
    parser.add_argument("--by", default="provider,pathway,period",
                        help="unit columns, entity first (default: provider,pathway,period)")
    adjusters = parser.add_mutually_exclusive_group()
    adjusters.add_argument("--adjust", default="", metavar="COLUMNS",
                           help="case-mix adjusters, comma-separated")
    adjusters.add_argument("--adjust-default", action="store_true",
                           help="adjust for the default case mix: "
                                + ",".join(DEFAULT_ADJUSTERS))
    parser.add_argument("--peer-group",
                        help="providers to benchmark against: comma list, or a file with one "
                             "provider per line or a 'provider' column")
    parser.add_argument("--footprint-map",
                        help="CSV with columns provider, footprint (commissioner or alliance)")
    parser.add_argument("--kind", choices=["auto", "mean", "proportion"], default="auto")
    parser.add_argument("--target", type=float,
                        help="fixed target instead of the average (also used for the "
                             "trend's target assurance)")
    parser.add_argument("--min-respondents", type=int, default=MIN_RESPONDENTS)
    parser.add_argument("--coefficients", help="write the case-mix coefficients to this CSV")
    parser.add_argument("--trend", help="write XmR charts per unit over periods to this CSV")
    parser.add_argument("--equity", help="write equity breakdowns to this CSV")
    parser.add_argument("--equity-by", help="characteristics for --equity (default: those of "
                        + ",".join(DEFAULT_CHARACTERISTICS) + " present)")
    parser.add_argument("--units", help="write the finest level's units (unit, the other --by "
                        "columns, exact n, value, sd) to this CSV, the input of `funnel "
                        "--within`; exact counts, not for release")
    parser.add_argument("--unrounded", action="store_true",
                        help="analyst output: no disclosure control or suppression")
    parser.add_argument("-o", "--output", help="output CSV (default: standard output)")
    add_level_options(parser)
    parser.set_defaults(func=run)


def _peer_group(option: str | None) -> frozenset[str] | None:
    """Return the peer providers named on the command line or in a file."""
    if option is None:
        return None
    path = Path(option)
    if path.is_file():
        frame = read_csv_table(path, all_text=True) if path.suffix == ".csv" else None
        if frame is not None and "provider" in frame.columns:
            names = frame["provider"].dropna().str.strip().tolist()
        else:
            names = [line.strip() for line in _text_lines(path) if line.strip()]
    else:
        names = split_list(option, "--peer-group")
    if not names:
        raise UsageError(f"--peer-group {option!r} names no provider")
    return frozenset(names)


def _text_lines(path: Path) -> list[str]:
    """The lines of a plain-text list, or a UsageError naming the file."""
    try:
        return path.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc.strerror or exc})") from None


def _add_footprints(responses: pd.DataFrame, path: str, scores: str) -> pd.DataFrame:
    """Join each respondent's provider to its commissioner or alliance footprint."""
    if FOOTPRINT in responses.columns:
        raise UsageError(f"{scores}: already has a '{FOOTPRINT}' column; drop --footprint-map "
                         f"to use it, or rename it to use {path}")
    if "provider" not in responses.columns:
        raise UsageError(f"{scores}: --footprint-map needs a 'provider' column")
    mapping = read_csv_table(path, text_columns=["provider", FOOTPRINT])
    require_columns(mapping, ["provider", FOOTPRINT], path)
    repeated = mapping["provider"].duplicated()
    if repeated.any():
        index = int(repeated.to_numpy().nonzero()[0][0])
        raise UsageError(f"{path}: row {index + 1} (line {index + 2}), field 'provider': "
                         f"value '{mapping['provider'].iloc[index]}' is mapped twice")
    return responses.merge(mapping[["provider", FOOTPRINT]], on="provider", how="left")


def _read_scores(args: argparse.Namespace, measures: list[str], by: list[str],
                 adjust: list[str]) -> pd.DataFrame:
    """Read the scores file, check its columns and make the measures numeric."""
    responses = read_csv_table(args.scores, text_columns=[*by, *adjust, "provider"])
    require_columns(responses, [*measures, *by, *adjust, *split_list(args.equity_by)],
                    args.scores)
    for measure in measures:
        responses[measure] = numeric_column(responses, measure, args.scores)
    unit_missing = responses[by].isna().any(axis=1)
    if unit_missing.any():
        say(f"{int(unit_missing.sum())} respondent(s) with an empty {'/'.join(by)} left out")
        responses = responses.loc[~unit_missing]
    return responses


def _coefficients(results: list[BenchmarkResult]) -> pd.DataFrame:
    """Return every measure's case-mix coefficients as one table."""
    return pd.concat(
        [
            result.model.coefficients.assign(
                measure=result.model.measure, respondents=result.model.respondents,
                methodology_version=METHODOLOGY_VERSION,
            )
            for result in results
            if result.model is not None
        ],
        ignore_index=True,
    )


def _options(args: argparse.Namespace) -> tuple[list[str], list[str], list[str]]:
    """Return the measures, unit columns and adjusters; refuse inconsistent options."""
    measures, by = split_list(args.measure, "--measure"), split_list(args.by, "--by")
    adjust = (list(DEFAULT_ADJUSTERS) if args.adjust_default
              else split_list(args.adjust, "--adjust"))
    if not measures or not by:
        raise UsageError("--measure and --by need at least one column each")
    if args.min_respondents < 1:
        raise UsageError("--min-respondents must be at least 1")
    provider = BenchmarkSpec.provider
    if provider in adjust:
        raise UsageError(f"--adjust: '{provider}' is the provider fixed effect, always "
                         "allowed for; it cannot also be an adjuster")
    if args.coefficients and not adjust:
        raise UsageError("--coefficients needs --adjust")
    if args.trend and "period" not in by:
        raise UsageError("--trend needs 'period' among --by")
    if args.units and len(measures) > 1:
        raise UsageError("--units writes one measure's units: give one --measure")
    if args.units and "unit" in by[1:]:
        raise UsageError("--units names the first --by column 'unit': no other may be 'unit'")
    return measures, by, adjust


def _outputs(args: argparse.Namespace) -> dict[str, OutputTarget]:
    """Check every output path before any work: the table and each extra output."""
    inputs = [args.scores, args.footprint_map, args.peer_group]
    targets = {"output": output_target(args.output, inputs=inputs)}
    for name in ("coefficients", "trend", "equity", "units"):
        if getattr(args, name):
            targets[name] = output_target(getattr(args, name), inputs=inputs)
    distinct_targets(list(targets.values()))
    return targets


def _summary(results: list[BenchmarkResult]) -> None:
    """Print, per measure and level, the number of units and of each band."""
    for result in results:
        table = result.table
        for level in result.levels:
            rows = table.loc[table["level"] == level.name]
            bands = rows["band"].dropna().value_counts().to_dict()
            say(f"{table['measure'].iloc[0]} — {level.name}: {len(rows):,} units"
                + ("; " + ", ".join(f"{b}: {c:,}" for b, c in bands.items()) if bands else ""))


def run(args: argparse.Namespace) -> int:
    """Build the benchmark table of each measure; write it and any extra outputs together."""
    started = time.perf_counter()
    measures, by, adjust = _options(args)
    outputs = _outputs(args)
    say(f"reading {args.scores} …")
    responses = _read_scores(args, measures, by, adjust)
    say(f"read {len(responses):,} respondents from {args.scores}")
    if args.footprint_map:
        responses = _add_footprints(responses, args.footprint_map, args.scores)
    base = BenchmarkSpec(
        by=tuple(by), adjust=tuple(adjust),
        kind=None if args.kind == "auto" else args.kind, min_respondents=args.min_respondents,
        peer_group=_peer_group(args.peer_group), target=args.target,
        footprint=FOOTPRINT if args.footprint_map else None,
    )
    if base.peer_group is not None:
        if base.provider not in responses.columns:
            raise UsageError(f"{args.scores}: --peer-group needs a '{base.provider}' column")
        unknown = sorted(base.peer_group - set(responses[base.provider].dropna().astype(str)))
        if unknown:
            raise UsageError(f"--peer-group: no respondents for provider(s) {', '.join(unknown)}")
    specs = [replace(base, measure=measure) for measure in measures]
    results = []
    for number, spec in enumerate(specs, start=1):
        say(f"benchmarking {spec.measure} ({number} of {len(specs)}) …")
        try:
            results.append(benchmark_table(responses, spec, progress=say))
        except (KeyError, ValueError) as exc:
            raise UsageError(f"{args.scores}: {exc.args[0]}") from exc
    pairs = list(zip(results, specs, strict=True))
    tables: dict[str, pd.DataFrame] = {}
    if args.coefficients:
        tables["coefficients"] = _coefficients(results)
    if args.trend:
        tables["trend"] = pd.concat([trend_output(args, r, s, say) for r, s in pairs],
                                    ignore_index=True)
    if args.equity:
        tables["equity"] = pd.concat(
            [equity_output(args, r, responses, s) for r, s in pairs], ignore_index=True
        )
    if args.units:
        units = results[0].units
        assert units is not None
        tables["units"] = units.rename(columns={by[0]: "unit"}).assign(
            methodology_version=METHODOLOGY_VERSION)
    table = pd.concat([result.table for result in results], ignore_index=True)
    if not args.unrounded:
        statistics = [c for c in VALUE_COLUMNS if c in table.columns]
        table = publish_table(table, counts=["n"], statistics=statistics,
                              minimum=base.min_respondents)
    say(f"writing {1 + len(tables)} file(s) …")
    write_tables([(table, outputs["output"]),
                  *((extra, outputs[name]) for name, extra in tables.items())],
                 decimals=DECIMALS)
    say(f"wrote {len(table):,} rows to {outputs['output'].shown}")
    for name, extra in tables.items():
        say(f"wrote {len(extra):,} rows to {outputs[name].shown}")
    _summary(results)
    say(f"done in {time.perf_counter() - started:.1f} s (methodology {METHODOLOGY_VERSION})")
    return 0
