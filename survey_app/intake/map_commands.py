"""``flask intake map add|list|remove``: a trust's local codes for HL7 v2 and FHIR intake.

    flask intake map add --provider RX1 --kind pathway --code 300 --value stroke
    flask intake map add --provider RX1 --kind site --code WARD7 --value RX101
    flask intake map add --kind died --code 04 --value no     # every provider
    flask intake map list --provider RX1
    flask intake map remove --provider RX1 --kind pathway --code 300
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from survey_app.intake.commands import field_errors, intake_group
from survey_app.models.intake import CODE_KINDS
from survey_app.services import code_mappings

KIND = click.Choice(CODE_KINDS)


@intake_group.group("map")
def map_group() -> None:
    """What a trust's local codes mean: site, pathway, setting, died."""


@map_group.command("add")
@click.option("--provider", metavar="CODE", help="The provider's own code (default: every "
                                                 "provider's).")
@click.option("--kind", required=True, type=KIND)
@click.option("--code", required=True, help="The code as the trust sends it, e.g. 300.")
@click.option("--value", required=True, help="What it means: a site code, pathway code, "
                                             "setting, or yes/no for died.")
@with_appcontext
def add_map_command(provider: str | None, kind: str, code: str, value: str) -> None:
    """Add a mapping (or change what a code means)."""
    mapping = field_errors(lambda: code_mappings.add_mapping(
        provider=provider, kind=kind, code=code, value=value))
    click.echo(f"Mapping {mapping.id}: {code_mappings.describe(mapping)}")


@map_group.command("list")
@click.option("--provider", metavar="CODE", help="Only this provider's (and every provider's).")
@click.option("--kind", type=KIND)
@with_appcontext
def list_map_command(provider: str | None, kind: str | None) -> None:
    """List the mappings."""
    found = field_errors(lambda: code_mappings.mappings(provider, kind))
    for mapping in found:
        click.echo(f"{mapping.id}: {code_mappings.describe(mapping)}")
    if not found:
        click.echo("No mappings.")


@map_group.command("remove")
@click.option("--provider", metavar="CODE", help="The provider's own code (default: every "
                                                 "provider's).")
@click.option("--kind", required=True, type=KIND)
@click.option("--code", required=True)
@with_appcontext
def remove_map_command(provider: str | None, kind: str, code: str) -> None:
    """Remove a mapping."""
    field_errors(lambda: code_mappings.remove_mapping(provider=provider, kind=kind, code=code))
    click.echo(f"Removed the {kind} mapping for {code.strip().upper()}.")
