"""``flask messages …``: send what is due, hear back from GOV.UK Notify, close survey windows,
read the outbox and check the templates (docs/operations.md, "Messages and reminders").

``send-due`` and ``close-windows`` are safe to run from cron or a systemd timer, and two
copies of ``send-due`` at once never send one message twice.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import Organisation


@click.group("messages")
def messages_group() -> None:
    """Invitations and reminders by SMS and email."""


def refuse_unsafe_links() -> None:
    """Production never sends links to the development address."""
    base = current_app.config["SURVEY_BASE_URL"]
    if current_app.config["APP_ENV"] == "production" and not base.startswith("https://"):
        raise click.ClickException(
            f"SURVEY_BASE_URL is {base!r}: set it to the survey's public https:// address "
            "(links in messages are built from it).")


@messages_group.command("send-due")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Send at most this many (default: everything due).")
@with_appcontext
def send_due_command(limit: int | None) -> None:
    """Send the invitations and reminders that are due (safe every minute)."""
    from survey_app.services.messages import configured_transport, send_due

    refuse_unsafe_links()
    transport = configured_transport()
    report = send_due(transport=transport, limit=limit)
    click.echo(f"{transport.name}: {report.sent} sent, {report.cancelled} cancelled, "
               f"{report.failed} failed, {report.retrying} to retry later"
               + (f", {report.recovered} recovered from a stopped run" if report.recovered
                  else "") + ".")
    if report.stopped:
        click.echo(f"Stopped: {report.stopped}.")
    if report.broken:
        raise click.ClickException("nothing more can be sent until this is fixed.")


@messages_group.command("poll-status")
@click.option("--limit", type=click.IntRange(min=1), default=1000,
              help="Ask about at most this many messages.")
@with_appcontext
def poll_status_command(limit: int) -> None:
    """Ask GOV.UK Notify for delivery receipts its callback has not brought."""
    from survey_app.services.message_status import poll_status
    from survey_app.services.messages import configured_transport

    transport = configured_transport()
    if transport.name != "notify":
        click.echo("Messages go to the outbox (NOTIFY_API_KEY is not set): nothing to ask.")
        return
    report = poll_status(transport, limit=limit)
    click.echo(f"Asked about {report.asked}: {report.delivered} delivered, "
               f"{report.failed} failed.")
    if report.stopped:
        raise click.ClickException(f"stopped: {report.stopped}")


@messages_group.command("close-windows")
@with_appcontext
def close_windows_command() -> None:
    """Expire links past their window; delete contact details of closed ones."""
    from survey_app.services.window_close import close_windows

    click.echo(f"{str(close_windows()).capitalize()}.")


@messages_group.command("outbox")
@click.option("--limit", type=click.IntRange(min=1), default=20, help="How many (newest).")
@click.option("--status", default=None, help="Only messages with this status.")
@click.option("--bodies", is_flag=True, help="Show the words too (they hold working links).")
@with_appcontext
def outbox_command(limit: int, status: str | None, bodies: bool) -> None:
    """List recent messages: status, channel, masked recipient (and words)."""
    from survey_app.services.outbox import recent_messages

    try:
        items = recent_messages(limit=limit, status=status, bodies=bodies)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    if not items:
        click.echo("No messages yet.")
    for item in items:
        when = (item.sent_at or item.due_at).strftime("%Y-%m-%d %H:%M")
        click.echo(f"#{item.id} {when} {item.provider} {item.kind} {item.channel} "
                   f"{item.status}{' via ' + item.sent_via if item.sent_via else ''} "
                   f"to {item.recipient}" + (f" ({item.last_error})" if item.last_error
                                             else ""))
        if item.body:
            click.echo("    " + item.body.replace("\n", "\n    "))


@messages_group.command("templates")
@with_appcontext
def templates_command() -> None:
    """Print each template as it is created in GOV.UK Notify, and check every SMS fits
    in 2 fragments with the longest organisation name and the link."""
    from survey_app.services.message_templates import SMS_FRAGMENTS, all_templates, sms_lengths

    ids = current_app.config.get("NOTIFY_TEMPLATE_IDS") or {}
    for template in all_templates():
        click.echo(f"== {template.name} ({template.channel}; Notify id: "
                   f"{ids.get(template.name, 'not set')}) ==")
        if template.subject:
            click.echo(f"Subject: {template.subject}")
        click.echo(template.body + "\n")
    longest = db.session.scalar(select(Organisation.name).where(
        Organisation.type_code == "provider").order_by(func.length(Organisation.name).desc(),
                                                       Organisation.name).limit(1))
    if longest is None:
        click.echo("No providers yet: the SMS lengths are checked once there are.")
        return
    base = current_app.config["SURVEY_BASE_URL"]
    too_long = []
    for name, length in sms_lengths(longest, base).items():
        click.echo(f"{name}: {length.characters} {length.encoding} characters, "
                   f"{length.fragments} fragment(s) for {longest!r} and {base}")
        if length.fragments > SMS_FRAGMENTS:
            too_long.append(name)
    if too_long:
        raise click.ClickException(f"{', '.join(too_long)} would take more than "
                                   f"{SMS_FRAGMENTS} fragments: shorten the words, the "
                                   "organisation's name or SURVEY_BASE_URL.")
