"""``flask comments erase-raw-text``: apply the retention rule to free-text comments.

Run daily (e.g. from cron). Raw words are erased once older than the retention period,
except for safety concerns still awaiting follow-up; the masked words stay
(docs/operations.md, "Free-text comments").
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from survey_app.services.comments import DEFAULT_RAW_TEXT_DAYS, erase_raw_text


@click.group("comments")
def comments_group() -> None:
    """Free-text comments: retention."""


@comments_group.command("erase-raw-text")
@click.option(
    "--days", type=click.IntRange(min=1), default=None,
    help=f"Keep raw words this many days (default: COMMENT_RAW_TEXT_DAYS, else "
         f"{DEFAULT_RAW_TEXT_DAYS}).",
)
@with_appcontext
def erase_raw_text_command(days: int | None) -> None:
    """Erase raw comment words past the retention period, keeping the masked words."""
    keep = days or int(current_app.config.get("COMMENT_RAW_TEXT_DAYS", DEFAULT_RAW_TEXT_DAYS))
    erased = erase_raw_text(keep_days=keep)
    click.echo(f"Erased the raw words of {erased} comments older than {keep} days.")
