"""``flask --app wsgi reports build --period 2026-Q2 [--out DIR] [--workers N]``.

Builds every provider's PDF report for a period from the latest stored results snapshot
(``flask results build``), the one the portal shows, so a PDF always matches the page. Its
tables are read once, in this process, before the worker processes start; they inherit
them (fork) and only lay out and render their providers' reports. Peers are
anonymised exactly as in the portal: each report uses the scope of its own provider. A
provider none of whose patients answered in the period gets no report (it would be pages
of "nobody answered"): the command names it, and refuses it when asked for by name.
"""

from __future__ import annotations

import gc
import multiprocessing
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import click
from flask.cli import with_appcontext
from tqdm import tqdm

from survey_app import results
from survey_app.auth.scope import Scope
from survey_app.extensions import db
from survey_app.reports.formatting import uk_time
from survey_app.reports.pdf import collector_paused, report_pdf
from survey_app.results.data import Names
from survey_app.results.periods import UnknownPeriod, period_label
from survey_app.results.report import build_report
from survey_app.results.tables import Bundle
from survey_app.results.views import answered

# Set in the parent just before the pool forks; each worker reads its inherited copy.
_SHARED: dict[str, object] = {}


@dataclass(frozen=True)
class Job:
    """One report to build: whose, which period, where to, with which peer labels."""

    provider: str
    period: str
    path: Path
    labels: dict[str, str]


@dataclass(frozen=True)
class Outcome:
    """What became of one job."""

    provider: str
    path: Path
    seconds: float
    error: str | None = None


def build_one(job: Job) -> Outcome:
    """Build and write one report (in a worker); a failure is reported, not raised."""
    started = time.perf_counter()
    try:
        bundle = _SHARED["bundle"]
        names = _SHARED["names"]
        assert isinstance(bundle, Bundle) and isinstance(names, Names)
        with collector_paused():  # the content and charts too, not just WeasyPrint
            report = build_report(bundle, names, job.labels, job.provider, job.period)
            pdf = report_pdf(report)
        partial = job.path.with_suffix(".pdf.partial")
        partial.write_bytes(pdf)
        partial.replace(job.path)  # never leave a half-written PDF under the real name
    except Exception as exc:  # one bad report must not stop the other 499
        return Outcome(job.provider, job.path, time.perf_counter() - started,
                       f"{type(exc).__name__}: {exc}")
    return Outcome(job.provider, job.path, time.perf_counter() - started)


def jobs_for(snap: results.Snapshot, period: str, out: Path,
             only: tuple[str, ...] = ()) -> tuple[list[Job], list[str]]:
    """Return one job per provider whose patients answered in ``period`` (or per one of
    ``only``), and the providers with results elsewhere but nobody answering in it.

    A report of a period nobody of a provider answered in would be pages of "nobody
    answered", so none is built: a provider named in ``only`` is refused, the others are
    listed as skipped.
    """
    bundle = snap.bundle
    providers = sorted(set(bundle.respondents["provider"]) | set(
        bundle.invitations.get("provider", [])))
    unknown = sorted(set(only) - set(providers))
    if unknown:
        raise click.BadParameter(f"no results for provider(s) {', '.join(unknown)}",
                                 param_hint="--provider")
    if only:
        providers = [code for code in providers if code in only]
    silent = [code for code in providers if not answered(bundle, code, period)]
    if only and silent:
        raise click.BadParameter(
            f"nobody of {', '.join(silent)} answered the survey in {period}, so there is no "
            "report to build", param_hint="--provider")
    providers = [code for code in providers if code not in silent]
    jobs = []
    for code in providers:
        organisation_id = snap.names.organisation_ids.get(code)
        if organisation_id is None:
            continue
        scope = Scope.for_providers([organisation_id])
        labels = results.provider_labels(scope, snap.names, bundle)
        jobs.append(Job(code, period, out / f"{code}-benchmark-{period}.pdf", labels))
    return jobs, silent


def run_jobs(jobs: list[Job], workers: int) -> Iterator[Outcome]:
    """Yield outcomes as they finish, from ``workers`` forked processes (1: in-process)."""
    if workers <= 1:
        yield from map(build_one, jobs)
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(build_one, job) for job in jobs]
        for future in as_completed(futures):
            yield future.result()


def build_all(bundle: Bundle, names: Names, jobs: list[Job], workers: int,
              progress: bool = True) -> list[Outcome]:
    """Share the bundle with the workers and build every job, with a progress bar."""
    _SHARED.update(bundle=bundle, names=names)
    # Everything alive now (the bundle above all) is read-only from here on: frozen, the
    # collector never rescans it, nor writes to it in the forked workers' shared pages.
    gc.freeze()
    outcomes = []
    try:
        with tqdm(total=len(jobs), desc="reports", unit=" report",
                  disable=not progress) as bar:
            for outcome in run_jobs(jobs, workers):
                outcomes.append(outcome)
                bar.update(1)
    finally:
        gc.unfreeze()
    return outcomes


@click.group("reports")
def reports_group() -> None:
    """Build providers' benchmark reports."""


@reports_group.command("build")
@click.option("--period", required=True, help="Calendar quarter, e.g. 2026-Q2.")
@click.option("--out", "out", default="reports", show_default=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the PDFs (created if missing).")
@click.option("--workers", default=max(1, multiprocessing.cpu_count()), show_default=True,
              type=click.IntRange(min=1), help="Processes rendering reports in parallel.")
@click.option("--provider", "providers", multiple=True,
              help="Only this provider's report (repeatable); default: every provider.")
@with_appcontext
def build_command(period: str, out: Path, workers: int, providers: tuple[str, ...]) -> None:
    """Build every provider's PDF benchmark report for one period, in parallel."""
    started = time.perf_counter()
    try:
        period = period_label(period)
    except UnknownPeriod as exc:
        raise click.BadParameter(str(exc), param_hint="--period") from exc
    try:
        snap = results.snapshot()
    except results.NotBuilt as exc:
        raise click.ClickException(f"No results to report: {exc}. Run flask results build "
                                   "first.") from exc
    click.echo(f"Reading results snapshot {snap.snapshot_id} (built "
               f"{uk_time(snap.built_at)}) …")
    if period not in snap.bundle.periods:
        known = ", ".join(snap.bundle.periods) or "none"
        raise click.ClickException(f"No results for {period}. Periods with results: {known}.")
    jobs, silent = jobs_for(snap, period, out, providers)
    snap.bundle.compute_all(period)
    out.mkdir(parents=True, exist_ok=True)
    db.session.remove()
    db.engine.dispose()  # workers must not inherit (and later close) our connections
    if silent:
        click.echo(f"No report for {', '.join(silent)}: none of their patients answered the "
                   f"survey in {period}.")
    click.echo(f"Results read in {time.perf_counter() - started:.1f} s; "
               f"building {len(jobs)} reports with {workers} worker(s) …")
    outcomes = build_all(snap.bundle, snap.names, jobs, workers)
    failed = [o for o in outcomes if o.error]
    built = len(outcomes) - len(failed)
    seconds = [o.seconds for o in outcomes if not o.error]
    click.echo(f"Built {built} of {len(jobs)} reports for {period} in {out} in "
               f"{time.perf_counter() - started:.1f} s"
               + (f" (median {sorted(seconds)[len(seconds) // 2]:.1f} s per report)."
                  if seconds else "."))
    for outcome in failed:
        click.echo(f"FAILED {outcome.provider}: {outcome.error}", err=True)
    if failed:
        raise click.ClickException(f"{len(failed)} report(s) failed; see the lines above.")
