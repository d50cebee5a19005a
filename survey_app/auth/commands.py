"""``flask --app wsgi staff …``: create staff accounts from the command line.

    flask --app wsgi staff create --email a@nhs.net --name "A Person" --role administrator
    echo "$PASSWORD" | flask --app wsgi staff create … --password-stdin
    flask --app wsgi staff demo      # demo administrator + provider user, fresh passwords
"""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Organisation
from survey_app.models.user import ROLES
from survey_app.services import accounts
from survey_app.services.errors import FieldError

staff_group = click.Group("staff", help="Manage staff accounts for the portal.")


def organisation_ids(codes: tuple[str, ...]) -> list[int]:
    """Return the ids of organisations ``codes``; a clear error names any unknown code."""
    found = {code: org_id for code, org_id in db.session.execute(
        select(Organisation.code, Organisation.id).where(Organisation.code.in_(codes))
    )}
    missing = [code for code in codes if code not in found]
    if missing:
        raise click.ClickException(f"No organisation with code {', '.join(missing)}.")
    return [found[code] for code in codes]


@staff_group.command("create")
@click.option("--email", required=True, help="Sign-in email address.")
@click.option("--name", "full_name", required=True, help="The person's full name.")
@click.option("--role", required=True, type=click.Choice(list(ROLES)))
@click.option(
    "--organisation", "codes", multiple=True,
    help="Organisation code the user belongs to (repeat for several; not for administrators).",
)
@click.option(
    "--password-stdin", is_flag=True,
    help="Read the password from standard input instead of prompting.",
)
@with_appcontext
def create_command(
    email: str, full_name: str, role: str, codes: tuple[str, ...], password_stdin: bool
) -> None:
    """Create a staff account (the first administrator, or any other)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user, _ = accounts.create_user(
            email=email, full_name=full_name, role=role,
            organisation_ids=organisation_ids(codes), password=password,
        )
    except FieldError as error:
        raise click.ClickException(f"{error}.") from error
    click.echo(f"Created {ROLES[user.role].lower()} {user.email}.")


@staff_group.command("demo")
@with_appcontext
def demo_command() -> None:
    """Create the demo's staff users (after `flask demo`) and print their passwords."""
    echo_demo_staff()


def echo_demo_staff(sign_in_url: str = "/staff/sign-in") -> None:
    """Create (or re-key) the demo's staff users and print how to sign in as them."""
    credentials = accounts.create_demo_staff()
    click.echo(f"Demo staff accounts (sign in at {sign_in_url}; passwords change each run):")
    for email, password, role in credentials:
        click.echo(f"  {ROLES[role]:<18} {email:<24} {password}")
    if not any(role == "provider" for _email, _password, role in credentials):
        click.echo("  (no provider user: load the demo data first with `flask demo`)")
