"""``flask intake …``: bringing discharges in and the rules that govern them.

    flask intake route add --survey leaving-hospital --pathway stroke
    flask intake exclude add --to-setting hospice --reason "bereavement pathway"
    flask intake opt-out            # NHS number read from standard input, never the shell
    flask intake credential create --provider RX1 --name "Trust integration engine"

Other subcommands (csv, hl7, mllp, map, template) register themselves on ``intake_group``.
"""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import ExclusionRule, IntakeCredential, SurveyRoute
from survey_app.services import intake_credentials, intake_rules
from survey_app.services.errors import FieldError


@click.group("intake")
def intake_group() -> None:
    """Bring discharges in (CSV, HL7 v2, FHIR) and set the rules for who is surveyed."""


def field_errors(action):  # type: ignore[no-untyped-def]
    """Run ``action``; turn a FieldError into a clear message and exit status 1."""
    try:
        return action()
    except FieldError as error:
        raise click.ClickException(f"{error.field}: {error.message}") from None


@intake_group.group("route")
def route_group() -> None:
    """Which survey each discharge gets (the most specific matching route wins)."""


@route_group.command("add")
@click.option("--survey", "survey_slug", required=True, help="Survey slug, e.g. leaving-hospital.")
@click.option("--provider", help="Only this provider's discharges (ODS code).")
@click.option("--site", help="Only this site's discharges (ODS code).")
@click.option("--pathway", "pathway_code", help="Only this pathway (code).")
@click.option("--care-type", help="Only this care type.")
@with_appcontext
def add_route_command(**options: str | None) -> None:
    """Add a route to a survey."""
    route = field_errors(lambda: intake_rules.add_route(**options))  # type: ignore[arg-type]
    click.echo(f"Route {route.id}: {intake_rules.describe_route(route)}")


@route_group.command("list")
@with_appcontext
def list_routes_command() -> None:
    """List the routes."""
    for route in db.session.scalars(select(SurveyRoute).order_by(SurveyRoute.id)):
        click.echo(f"{route.id}: {intake_rules.describe_route(route)}")


@route_group.command("remove")
@click.argument("route_id", type=int)
@with_appcontext
def remove_route_command(route_id: int) -> None:
    """Remove a route by its number."""
    route = db.session.get(SurveyRoute, route_id)
    if route is None:
        raise click.ClickException(f"There is no route {route_id}")
    db.session.delete(route)
    db.session.commit()
    click.echo(f"Removed route {route_id}.")


@intake_group.group("exclude")
def exclude_group() -> None:
    """Discharges a trust must not survey."""


@exclude_group.command("add")
@click.option("--reason", required=True, help="Why, e.g. bereavement pathway.")
@click.option("--provider", help="Only at this provider (ODS code); default everywhere.")
@click.option("--pathway", "pathway_code", help="This pathway (code).")
@click.option("--to-setting", help="Discharges to this setting, e.g. hospice.")
@with_appcontext
def add_exclusion_command(**options: str | None) -> None:
    """Add an exclusion rule."""
    rule = field_errors(lambda: intake_rules.add_exclusion(**options))  # type: ignore[arg-type]
    click.echo(f"Exclusion {rule.id}: {rule.reason}")


@exclude_group.command("list")
@with_appcontext
def list_exclusions_command() -> None:
    """List the exclusion rules."""
    for rule in db.session.scalars(select(ExclusionRule).order_by(ExclusionRule.id)):
        click.echo(f"{rule.id}: pathway {rule.pathway_id or 'any'}, to "
                   f"{rule.to_setting or 'anywhere'}, provider {rule.provider_id or 'any'}: "
                   f"{rule.reason}")


@intake_group.command("opt-out")
@with_appcontext
def opt_out_command() -> None:
    """Record that someone is not to be contacted again (NHS number on standard input)."""
    number = sys.stdin.readline().strip()
    added = field_errors(lambda: intake_rules.record_opt_out(number))
    click.echo("Recorded: they will not be contacted again." if added
               else "They had already opted out.")


@intake_group.group("credential")
def credential_group() -> None:
    """Secrets that hospital integration engines post HL7 v2 or FHIR with."""


@credential_group.command("create")
@click.option("--provider", required=True, help="The provider it posts for (ODS code).")
@click.option("--name", required=True, help="What uses it, e.g. the trust's engine.")
@with_appcontext
def create_credential_command(provider: str, name: str) -> None:
    """Create a credential; its secret is printed once."""
    org = field_errors(lambda: intake_rules.organisation(provider, "provider", "provider"))
    credential, secret = intake_credentials.create_credential(org, name)
    click.echo(f"Credential {credential.id} for {org.code}. Its secret (shown only now):")
    click.echo(secret)


@credential_group.command("revoke")
@click.argument("credential_id", type=int)
@with_appcontext
def revoke_credential_command(credential_id: int) -> None:
    """Stop a credential working at once."""
    credential = db.session.get(IntakeCredential, credential_id)
    if credential is None:
        raise click.ClickException(f"There is no credential {credential_id}")
    intake_credentials.revoke_credential(credential)
    click.echo(f"Revoked credential {credential_id} ({credential.name}).")
