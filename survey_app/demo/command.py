"""``flask --app wsgi demo``: load the synthetic demo and print working survey links."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import click
from flask.cli import with_appcontext
from sqlalchemy import exists, inspect, select

from survey_app.auth.commands import echo_demo_staff
from survey_app.demo.links import NoProviders, issue_fresh_links
from survey_app.demo.loader import DEMO_SURVEY, load_demo
from survey_app.extensions import db
from survey_app.models import Organisation


def check_base_url(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    """Refuse a base URL that would print links nobody can open."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise click.BadParameter(
            f"{value!r} is not a web address like https://surveys.example.nhs.uk"
        )
    return value.rstrip("/")


@click.command("demo")
@click.option(
    "--base-url", default="http://127.0.0.1:5000", show_default=True, callback=check_base_url,
    help="Scheme, host and port the printed survey links start with.",
)
@click.option(
    "--if-empty", is_flag=True,
    help="Load the demo only into an empty database; otherwise just print fresh links.",
)
@click.option("--seed", default=2026, show_default=True, help="Random seed (same seed, same data).")
@click.option(
    "--events", "event_count", default=16000, show_default=True, type=click.IntRange(min=20),
    help="Number of discharges to invent (about 55% respond).",
)
@click.option(
    "--links", default=5, show_default=True, type=click.IntRange(1, 100),
    help="Number of fresh, unanswered survey links to print.",
)
@with_appcontext
def demo_command(base_url: str, if_empty: bool, seed: int, event_count: int, links: int) -> None:
    """Load a realistic synthetic demo (fictional providers) and print survey links."""
    if not inspect(db.engine).has_table("invitations"):
        raise click.ClickException(
            "The database has no tables yet: run `flask --app wsgi db upgrade` first."
        )
    has_data = db.session.scalar(select(exists().where(Organisation.id.isnot(None))))
    if has_data and not if_empty:
        raise click.ClickException(
            "The database already holds organisations, so the demo was not loaded again. "
            "Use --if-empty to keep the data and only print fresh links, or start from an "
            "empty database."
        )
    if has_data:
        click.echo("Demo data already present: skipping the bulk load.")
    else:
        click.echo(f"Loading the demo ({event_count} discharges, seed {seed}) …")
        began = time.perf_counter()
        summary = load_demo(seed=seed, event_count=event_count)
        click.echo(
            f"Loaded {summary.organisations} organisations, {summary.pathways} pathways, "
            f"{summary.events} discharges, {summary.invitations} invitations, "
            f"{summary.submitted} submitted and {summary.partial} partial responses "
            f"({summary.answers} answers, {summary.comments} comments), "
            f"{summary.declined} declined, "
            f"in {time.perf_counter() - began:.1f} s."
        )
    try:
        tokens = issue_fresh_links(links, survey_slug=DEMO_SURVEY, seed=seed)
    except NoProviders as exc:
        raise click.ClickException(f"Cannot issue survey links: {exc}.") from exc
    click.echo(f"{len(tokens)} fresh survey links (each works once):")
    for token in tokens:
        click.echo(f"{base_url}/s/{token}")
    echo_demo_staff(f"{base_url}/staff/sign-in")
