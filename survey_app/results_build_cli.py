"""``flask results build [--force]``: build and store a results snapshot (every published
table the portal and reports read; docs/operations.md, "Results snapshots").

Safe from a timer: nothing is built when the latest snapshot is of the current data, and
a second build started while one runs stops at once (exit status 75, "try again later").
"""

from __future__ import annotations

import time

import click
from flask.cli import with_appcontext
from tqdm import tqdm

BUSY = 75  # EX_TEMPFAIL: another build is running


@click.command("build")
@click.option("--force", is_flag=True,
              help="Build even if the latest snapshot is of the current data.")
@click.option("--sites-of", "site_providers", multiple=True,
              help="Build site filters for this provider only (repeatable; default: all).")
@with_appcontext
def build_command(force: bool, site_providers: tuple[str, ...]) -> None:
    """Build every benchmark table and store them as a new snapshot."""
    from survey_app.services.results_build import BuildRunning, build

    started = time.perf_counter()
    with tqdm(total=0, desc="filters", unit=" filter", leave=False) as bar:
        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        try:
            summary = build(force=force, progress=progress,
                            site_providers=site_providers or None)
        except BuildRunning as exc:
            click.echo(f"Not built: {exc}; the latest complete snapshot stays in use.",
                       err=True)
            raise SystemExit(BUSY) from None
    if summary.skipped:
        click.echo(f"Nothing to build: {summary.skipped} (use --force to rebuild).")
        return
    click.echo(f"Built snapshot {summary.snapshot_id}: {summary.tables:,} tables for "
               f"{summary.filters:,} filters in {time.perf_counter() - started:.1f} s.")
