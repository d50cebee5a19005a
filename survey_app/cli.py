"""Command-line verbs added to ``flask``: ``demo``, ``export-answers`` and
``export-invitations``.

(``flask db …`` comes from Flask-Migrate.)
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext

from analysis.answers_csv import write_csv_atomically
from analysis.cli import UsageError
from instruments import InstrumentError


@click.command("export-answers")
@click.option("--instrument", "instrument_id", required=True, help="Instrument id, e.g. ctm15.")
@click.option("--version", default=None, help="Instrument version (default: latest).")
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
    help="CSV file to write (replaced whole, never half-written).",
)
@with_appcontext
def export_answers_command(instrument_id: str, version: str | None, output: Path) -> None:
    """Write submitted answers to one instrument as a CSV for `python -m analysis score`."""
    from survey_app.services.export import answers_table

    try:
        table = answers_table(instrument_id, version)
        write_csv_atomically(table, output)
    except (InstrumentError, UsageError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Wrote {len(table)} submitted responses to {output}.")


@click.command("export-invitations")
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
    help="CSV file to write (replaced whole, never half-written).",
)
@with_appcontext
def export_invitations_command(output: Path) -> None:
    """Write sent invitations (unit, mode, responded) as a CSV for
    `python -m analysis response-rate`."""
    from survey_app.services.export import invitations_table

    table = invitations_table()
    try:
        write_csv_atomically(table, output)
    except UsageError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Wrote {len(table)} sent invitations ({int(table['responded'].sum())} "
               f"answered) to {output}.")


def init_app(app: Flask) -> None:
    """Register the app's own commands."""
    from survey_app.comments_cli import comments_group
    from survey_app.demo.command import demo_command
    from survey_app.messages_cli import messages_group
    from survey_app.reports.command import reports_group
    from survey_app.results.commands import results_group

    app.cli.add_command(demo_command)
    app.cli.add_command(export_answers_command)
    app.cli.add_command(export_invitations_command)
    app.cli.add_command(reports_group)
    app.cli.add_command(comments_group)
    app.cli.add_command(messages_group)
    app.cli.add_command(results_group)
