"""``flask intake hl7 FILE`` and ``flask intake mllp``: HL7 v2 ADT^A03 discharges.

    flask intake hl7 discharges.hl7 --provider RX1
    flask intake mllp --host 10.0.0.5 --port 2575 --credential-provider RX1

A file is one batch: messages separated by blank lines, ``\\r`` or ``\\n`` segment ends and
MSH starts, or MLLP frames. A file with an unreadable message imports nothing and exits
with status 2, naming each such message.
"""

from __future__ import annotations

import re
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from tqdm import tqdm

from survey_app.extensions import db
from survey_app.intake.commands import intake_group
from survey_app.integrations.hl7_discharge import ORIGINS, Hl7Import, Hl7Options, import_hl7
from survey_app.integrations.mllp import Listener, serve
from survey_app.models import IntakeIssue
from survey_app.services import intake_rules
from survey_app.services.errors import FieldError
from survey_app.services.intake import exclusion_counts

MESSAGE_START = re.compile(rb"(?:^|[\r\n\x0b])[ \t]*MSH")


def provider_option(code: str | None, option: str):  # type: ignore[no-untyped-def]
    try:
        return intake_rules.organisation(code, "provider", "provider")
    except FieldError as error:
        raise click.BadParameter(error.message, param_hint=option) from None


@intake_group.command("hl7")
@click.argument("path", metavar="FILE",
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--provider", "provider_code", metavar="CODE",
              help="The provider these discharges are of (ODS code); default: each "
                   "message's MSH-4.")
@click.option("--problems", "shown", default=10, show_default=True,
              help="How many problems to list (the batch report has them all).")
@with_appcontext
def hl7_command(path: Path, provider_code: str | None, shown: int) -> None:
    """Import the ADT^A03 messages in a file."""
    provider = provider_option(provider_code, "--provider")
    data = path.read_bytes()
    total = len(MESSAGE_START.findall(data))
    with tqdm(total=total, desc=path.name, unit=" messages", leave=False) as bar:
        result = import_hl7(data, source="hl7_file", provider=provider, filename=path.name,
                            options=Hl7Options.from_config(current_app.config),
                            keep_outcomes=False, progress=bar.update)
    if result.batch.status == "refused":
        click.echo(f"Refused (batch {result.batch.id}; nothing was imported): "
                   f"{result.batch.refusal.split(':')[0]}.", err=True)
        for line in result.refusals:
            click.echo(f"  {line}", err=True)
        raise SystemExit(2)
    click.echo("\n".join(summary(result, shown)))


def summary(result: Hl7Import, shown: int) -> list[str]:
    """The end-of-import summary: counts, exclusions by reason, the first problems."""
    batch = result.batch
    lines = [f"Batch {batch.id}: {batch.filename} (SHA-256 {batch.sha256})"]
    lines += [f"  {name:<11}{count:>9,}" for name, count in (
        ("received", batch.received), ("accepted", batch.accepted),
        ("duplicates", batch.duplicates), ("rejected", batch.rejected),
        ("excluded", batch.excluded), ("invited", batch.invited))]
    lines += [f"    {count:>9,}  {reason}" for reason, count in
              sorted(exclusion_counts(batch.id).items())]
    problems = db.session.scalars(select(IntakeIssue).where(IntakeIssue.batch_id == batch.id)
                                  .order_by(IntakeIssue.id).limit(shown)).all()
    if problems:
        lines.append(f"Problems (the first {len(problems)} of {batch.rejected:,} messages "
                     f"rejected; the batch report has them all):")
        lines += [f"  {issue.location}, {ORIGINS.get(issue.field or '', '')} {issue.field}"
                  + (f" ({issue.value})" if issue.value else "") + f": {issue.problem}"
                  for issue in problems]
    return lines


@intake_group.command("mllp")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on: an internal interface or VPN only.")
@click.option("--port", default=2575, show_default=True, type=click.IntRange(0, 65535))
@click.option("--credential-provider", "provider_code", envvar="MLLP_PROVIDER",
              required=True, metavar="CODE",
              help="The provider this listener receives for (ODS code; or MLLP_PROVIDER). "
                   "MLLP has no authentication: whoever reaches the port sends as it.")
@with_appcontext
def mllp_command(host: str, port: int, provider_code: str) -> None:
    """Listen for MLLP-framed ADT^A03 messages and answer each with its ACK."""
    provider = provider_option(provider_code, "--credential-provider")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    listener = Listener(app, provider.code, Hl7Options.from_config(app.config),
                        limit=int(app.config["INTAKE_MAX_CONTENT_LENGTH"]))
    if host in ("0.0.0.0", "::", ""):
        click.echo("Warning: listening on every interface. MLLP has no authentication; "
                   "listen on an internal interface or VPN only.", err=True)
    serve(listener, host, port, started=lambda bound: click.echo(
        f"Listening for MLLP on {host}:{bound} for {provider.code} (Ctrl-C stops).",
    ))
