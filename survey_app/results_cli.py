"""``flask results rescore``: score every submitted response again, for a new methodology
or instrument version (docs/operations.md, "Stored scores and rescoring").

Safe to rerun, and to stop: each chunk of responses is scored and committed whole.
"""

from __future__ import annotations

import time

import click
from flask.cli import with_appcontext
from tqdm import tqdm

from analysis import METHODOLOGY_VERSION
from instruments import InstrumentError
from survey_app.results_build_cli import build_command


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
    from survey_app.services.response_scores import rescore, rescore_plan

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


results_group.add_command(build_command)
