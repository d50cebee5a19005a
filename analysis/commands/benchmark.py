"""``python -m analysis benchmark``: the benchmark table from a scores CSV.

``scores.csv`` is the output of ``python -m analysis score`` (or any respondent-level CSV
with unit columns and a numeric measure column). The table is published — disclosure
control on counts, results of units under the minimum left empty — unless
``--unrounded`` is given. Optional extra outputs: case-mix coefficients, XmR trends per
unit and equity breakdowns.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import pandas as pd

from analysis import METHODOLOGY_VERSION
from analysis.benchmark import VALUE_COLUMNS, BenchmarkResult, BenchmarkSpec, benchmark_table
from analysis.casemix import DEFAULT_ADJUSTERS
from analysis.cli import UsageError, say
from analysis.commands.csv_files import (
    numeric_column,
    read_csv,
    require_columns,
    split_list,
    write_csv,
)
from analysis.disclosure import publish_table
from analysis.equity import DEFAULT_CHARACTERISTICS, equity_breakdown
from analysis.funnel import MIN_RESPONDENTS, TOO_FEW
from analysis.spc import unit_trends

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
    parser.add_argument("--adjust", nargs="?", const=",".join(DEFAULT_ADJUSTERS), default="",
                        help="case-mix adjusters (alone: " + ",".join(DEFAULT_ADJUSTERS) + ")")
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
    parser.add_argument("--unrounded", action="store_true",
                        help="analyst output: no disclosure control or suppression")
    parser.add_argument("-o", "--output", help="output CSV (default: standard output)")
    parser.set_defaults(func=run)


def _peer_group(option: str | None) -> frozenset[str] | None:
    """Return the peer providers named on the command line or in a file."""
    if option is None:
        return None
    path = Path(option)
    if path.is_file():
        frame = read_csv(path, text_columns=["provider"]) if path.suffix == ".csv" else None
        if frame is not None and "provider" in frame.columns:
            names = frame["provider"].dropna().str.strip().tolist()
        else:
            names = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    else:
        names = split_list(option)
    if not names:
        raise UsageError(f"--peer-group {option!r} names no provider")
    return frozenset(names)


def _add_footprints(responses: pd.DataFrame, path: str) -> pd.DataFrame:
    """Join each respondent's provider to its commissioner or alliance footprint."""
    mapping = read_csv(path, text_columns=["provider", FOOTPRINT])
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
    responses = read_csv(args.scores, text_columns=[*by, *adjust, "provider"])
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


def _trend(result: BenchmarkResult, spec: BenchmarkSpec) -> pd.DataFrame:
    """Return an XmR chart per unit over the periods that have enough responses."""
    units = [c for c in spec.by if c != spec.period]
    table = result.table
    rows = table.loc[(table["level"] == result.levels[0].name) & (table["band"] != TOO_FEW)]
    value = "adjusted_value" if spec.adjust else "value"
    trend = unit_trends(rows, units=units, period=spec.period, value=value, target=spec.target)
    return trend.assign(measure=spec.measure) if len(trend) else trend


def _equity(args: argparse.Namespace, result: BenchmarkResult, responses: pd.DataFrame,
            spec: BenchmarkSpec) -> pd.DataFrame:
    """Return the equity breakdown of one measure, published unless --unrounded."""
    wanted = split_list(args.equity_by) or [
        c for c in DEFAULT_CHARACTERISTICS if c in responses.columns
    ]
    table = equity_breakdown(responses, measure=spec.measure, by=list(spec.by),
                             characteristics=wanted, kind=result.kind,
                             min_respondents=spec.min_respondents)
    table.insert(1, "measure", spec.measure)
    if args.unrounded:
        return table
    return publish_table(table, counts=["n"], minimum=spec.min_respondents,
                         statistics=["value", "ci_lower", "ci_upper", "unit_value",
                                     "difference"])


def _check_options(args: argparse.Namespace, measures: list[str], by: list[str],
                   adjust: list[str]) -> None:
    """Refuse inconsistent options before any file is read or written."""
    if not measures or not by:
        raise UsageError("--measure and --by need at least one column each")
    if args.min_respondents < 1:
        raise UsageError("--min-respondents must be at least 1")
    if args.coefficients and not adjust:
        raise UsageError("--coefficients needs --adjust")
    if args.trend and "period" not in by:
        raise UsageError("--trend needs 'period' among --by")


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
    """Build the benchmark table of each measure and write it with any extra outputs."""
    measures, by, adjust = split_list(args.measure), split_list(args.by), split_list(args.adjust)
    _check_options(args, measures, by, adjust)
    responses = _read_scores(args, measures, by, adjust)
    say(f"read {len(responses):,} respondents from {args.scores}")
    if args.footprint_map:
        responses = _add_footprints(responses, args.footprint_map)
    base = BenchmarkSpec(
        by=tuple(by), adjust=tuple(adjust),
        kind=None if args.kind == "auto" else args.kind, min_respondents=args.min_respondents,
        peer_group=_peer_group(args.peer_group), target=args.target,
        footprint=FOOTPRINT if args.footprint_map else None,
    )
    if base.peer_group is not None:
        unknown = sorted(base.peer_group - set(responses[base.provider].dropna().astype(str)))
        if unknown:
            raise UsageError(f"--peer-group: no respondents for provider(s) {', '.join(unknown)}")
    specs = [replace(base, measure=measure) for measure in measures]
    results = []
    for number, spec in enumerate(specs, start=1):
        say(f"benchmarking {spec.measure} ({number} of {len(specs)}) …")
        try:
            results.append(benchmark_table(responses, spec))
        except (KeyError, ValueError) as exc:
            raise UsageError(f"{args.scores}: {exc.args[0]}") from exc
    pairs = list(zip(results, specs, strict=True))
    tables: dict[str, pd.DataFrame] = {}
    if args.coefficients:
        tables[args.coefficients] = _coefficients(results)
    if args.trend:
        tables[args.trend] = pd.concat([_trend(r, s) for r, s in pairs], ignore_index=True)
    if args.equity:
        tables[args.equity] = pd.concat(
            [_equity(args, r, responses, s) for r, s in pairs], ignore_index=True
        )
    table = pd.concat([result.table for result in results], ignore_index=True)
    if not args.unrounded:
        statistics = [c for c in VALUE_COLUMNS if c in table.columns]
        table = publish_table(table, counts=["n"], statistics=statistics,
                              minimum=base.min_respondents)
    write_csv(table, args.output)
    for path, extra in tables.items():
        write_csv(extra, path)
        say(f"wrote {len(extra):,} rows to {path}")
    _summary(results)
    return 0
