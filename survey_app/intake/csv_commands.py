"""``flask intake csv FILE`` and ``flask intake template -o FILE``: discharges from CSV.

    flask intake csv discharges-2026-11-30.csv --provider RX1
    flask intake template -o discharges.csv

A refused file (one that cannot be read as the documented table) exits with status 2 and
the reason, having imported nothing.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from tqdm import tqdm

from survey_app.intake.commands import intake_group
from survey_app.integrations.csv_discharge import import_csv, template_csv
from survey_app.models import IntakeBatch
from survey_app.services import intake_reports, intake_rules
from survey_app.services.errors import FieldError


@intake_group.command("csv")
@click.argument("path", metavar="FILE",
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--provider", "provider_code", metavar="CODE",
              help="Only this provider's discharges (ODS code); rows of others are rejected.")
@click.option("--problems", "shown", default=10, show_default=True,
              help="How many problems to list (the batch report has them all).")
@with_appcontext
def csv_command(path: Path, provider_code: str | None, shown: int) -> None:
    """Import the discharges in a CSV file (the columns of `flask intake template`)."""
    try:
        provider = intake_rules.organisation(provider_code, "provider", "provider")
    except FieldError as error:
        raise click.BadParameter(error.message, param_hint="--provider") from None
    with path.open("rb") as handle, tqdm(desc=path.name, unit=" rows", leave=False) as bar:
        batch = import_csv(handle, path.name, provider=provider, progress=bar.update)
    if batch.status == "refused":
        click.echo(f"Refused (batch {batch.id}; nothing was imported): {batch.refusal}", err=True)
        raise SystemExit(2)
    click.echo("\n".join(summary_lines(batch, shown)))


def summary_lines(batch: IntakeBatch, shown: int) -> list[str]:
    """The end-of-import summary: counts, exclusions by reason, the first problems."""
    lines = [f"Batch {batch.id}: {batch.filename} (SHA-256 {batch.sha256})"]
    lines += [f"  {name:<11}{count:>9,}" for name, count in (
        ("received", batch.received), ("accepted", batch.accepted),
        ("duplicates", batch.duplicates), ("rejected", batch.rejected),
        ("excluded", batch.excluded), ("invited", batch.invited))]
    lines += [f"    {name}: {count:,}" for name, count in intake_reports.exclusions(batch)]
    problems = intake_reports.issues(batch, size=max(shown, 1))
    if problems.total and shown:
        lines.append(f"Problems (the first {min(shown, problems.total)} of {problems.total:,}):")
        lines += [f"  {issue.location}, {issue.field or 'row'}"
                  + (f" ({issue.value})" if issue.value else "") + f": {issue.problem}"
                  for issue in problems.items]
    if problems.total:
        lines.append(f"See the batch report for all: /admin/intake/{batch.id}")
    return lines


@intake_group.command("template")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the template (a CSV file).")
def template_command(output: Path) -> None:
    """Write the CSV template: the documented columns and one example row."""
    output.write_bytes(template_csv())
    click.echo(f"Wrote the CSV template to {output}.")
