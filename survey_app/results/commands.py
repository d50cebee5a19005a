"""``flask results``: ``rescore`` scores every submitted response again, for a new
methodology or instrument version (docs/operations.md, "Stored scores and rescoring");
safe to rerun and to stop, each chunk of responses is scored and committed whole.
``build`` builds and stores a results snapshot ("Results snapshots"); safe from a timer:
nothing is built when the latest snapshot is of the current data, and a second build
started while one runs stops at once (exit status 75, "try again later").
``export-scores`` writes the stored scores the results are built from, for
``python -m analysis benchmark`` ("Exporting answers for analysis").
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import click
from flask.cli import with_appcontext
from tqdm import tqdm

from analysis import METHODOLOGY_VERSION
from instruments import InstrumentError

BUSY = 75  # EX_TEMPFAIL: another build is running
WORKERS = min(2, os.cpu_count() or 1)  # bundle processes: each holds a copy of its tables


@click.group("results")
def results_group() -> None:
    """Results: the respondent scores stored with each submitted response, and the
    snapshots of published tables built from them."""


@results_group.command("rescore")
@click.option("--instrument", "instrument_id", default=None,
              help="Only this instrument, e.g. ctm15 (default: every scored instrument).")
@click.option("--version", default=None,
              help="Only this version of --instrument (default: every version in use).")
@with_appcontext
def rescore_command(instrument_id: str | None, version: str | None) -> None:
    """Score every submitted response again and store the scores."""
    from survey_app.results.scores import rescore, rescore_plan

    if version is not None and instrument_id is None:
        raise click.UsageError("--version needs --instrument")
    started = time.perf_counter()
    try:
        plan = rescore_plan(instrument_id, version)
    except InstrumentError as exc:
        raise click.ClickException(str(exc)) from exc
    with tqdm(total=plan.total, desc="rescoring", unit=" scores", leave=False) as bar:
        summary = rescore(plan, progress=bar.update)
    for key, statuses in summary.statuses.items():
        click.echo(f"{key}: {sum(statuses.values()):,} submitted responses "
                   f"({statuses['scored']:,} scored, {statuses['too_few_answers']:,} with "
                   "too few answers).")
    if not summary.statuses:
        click.echo("No scored instrument is in use" + (
            f" as {instrument_id}{'@' + version if version else ''}" if instrument_id else "")
            + ": nothing to score.")
    click.echo(f"Rescored {plan.total:,} scores in {time.perf_counter() - started:.1f} s "
               f"(methodology {METHODOLOGY_VERSION}).")


@results_group.command("build")
@click.option("--force", is_flag=True,
              help="Build even if the latest snapshot is of the current data.")
@click.option("--workers", default=WORKERS, show_default=True, type=click.IntRange(1),
              help="Processes computing the bundles.")
@with_appcontext
def build_command(force: bool, workers: int) -> None:
    """Build every benchmark table and store them as a new snapshot."""
    if not _build(force, workers):
        raise SystemExit(BUSY)


@results_group.command("watch")
@click.option("--every", default=30, show_default=True, type=click.IntRange(1),
              help="Seconds between checks.")
@click.option("--burst", default=100, show_default=True, type=click.IntRange(1),
              help="Build at once after this many new submissions.")
@click.option("--max-wait", default=15, show_default=True, type=click.IntRange(1),
              help="Minutes any other change waits for a build.")
@click.option("--once", is_flag=True, help="Check once (from a timer) instead of looping.")
@click.option("--workers", default=WORKERS, show_default=True, type=click.IntRange(1),
              help="Processes computing the bundles.")
@with_appcontext
def watch_command(every: int, burst: int, max_wait: int, once: bool, workers: int) -> None:
    """Build a snapshot whenever one is due: after an intake batch, a burst of
    submissions, or any change once the latest snapshot is --max-wait minutes old."""
    from datetime import timedelta

    from survey_app.extensions import db
    from survey_app.results.build import due

    while True:
        reason = due(burst=burst, max_wait=timedelta(minutes=max_wait))
        db.session.remove()  # no transaction held open while waiting
        if reason is not None:
            click.echo(f"Building: {reason}.")
            _build(True, workers)
        elif once:
            click.echo("No build is due.")
        if once:
            return
        time.sleep(every)


def _build(force: bool, workers: int) -> bool:
    """Run one build with a progress bar and say what it did; False if another build was
    running (the latest complete snapshot stays in use)."""
    from survey_app.results.build import BuildRunning, build

    started = time.perf_counter()
    with tqdm(total=0, desc="bundles", unit=" bundle", leave=False) as bar:
        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        try:
            summary = build(force=force, workers=workers, progress=progress)
        except BuildRunning as exc:
            click.echo(f"Not built: {exc}; the latest complete snapshot stays in use.",
                       err=True)
            return False
    if summary.skipped:
        click.echo(f"Nothing to build: {summary.skipped} (use --force to rebuild).")
    else:
        click.echo(f"Built snapshot {summary.snapshot_id}: {summary.tables:,} tables for "
                   f"{summary.bundles:,} bundles in {time.perf_counter() - started:.1f} s.")
    return True


# Scores are written to 10 places (the benchmark writes 6), so `analysis benchmark` on the
# export reproduces every stored number to the last place it writes.
SCORE_DECIMALS = 10


@results_group.command("export-scores")
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
    help="CSV file to write (replaced whole, never half-written).",
)
@with_appcontext
def export_scores_command(output: Path) -> None:
    """Write the stored respondent scores the results are built from, one row per
    submitted response, as a CSV for `python -m analysis benchmark`."""
    from analysis.answers_csv import write_csv_atomically
    from analysis.cli import UsageError
    from survey_app.results.data import UnscoredResponses, load_respondents

    try:
        table, _items = load_respondents()
        write_csv_atomically(table, output, decimals=SCORE_DECIMALS)
    except (UnscoredResponses, UsageError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Wrote the scores of {len(table):,} submitted responses to {output}.")
