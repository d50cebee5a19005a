"""Retention: raw comment words are erased after the retention period, masked words stay,
and a safety concern awaiting follow-up keeps its raw words."""

from __future__ import annotations

from datetime import timedelta

from comment_data import comment_on
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select, update

from survey_app.auth.scope import Scope
from survey_app.extensions import db
from survey_app.models import Comment, Organisation, utcnow
from survey_app.services.comments import erase_raw_text, flagged_comments


def words(app: Flask) -> dict[int, tuple[str | None, str]]:
    with app.app_context():
        return {row.id: (row.text, row.masked_text) for row in db.session.execute(
            select(Comment.id, Comment.text, Comment.masked_text))}


def test_raw_words_are_erased_after_the_period_except_open_safety_concerns(
    any_app: Flask
) -> None:
    app = any_app
    with app.app_context():
        old, open_concern, closed_concern, recent = (
            comment_on("RX1", f"Ring Mr Smith on 07700 90012{n}") for n in range(4))
        long_ago = utcnow() - timedelta(days=91)
        db.session.execute(update(Comment).where(Comment.id != recent).values(
            updated_at=long_ago))
        db.session.execute(update(Comment).where(Comment.id.in_([open_concern, closed_concern]))
                           .values(flagged_at=long_ago, flag_reason="call back"))
        db.session.execute(update(Comment).where(Comment.id == closed_concern)
                           .values(followed_up_at=long_ago))
        db.session.commit()
        assert erase_raw_text(keep_days=90) == 2
        provider = db.session.scalars(select(Organisation).where(Organisation.code == "RX1")).one()
        flagged = flagged_comments(Scope.for_providers([provider.id]), provider)
        assert [(c.id, c.status) for c in flagged] == [
            (open_concern, "awaiting_follow_up"), (closed_concern, "followed_up")]
    kept = words(app)
    assert kept[old] == (None, "Ring Mr [name] on [phone]")
    assert kept[closed_concern][0] is None
    assert kept[open_concern][0] == "Ring Mr Smith on 07700 900121"
    assert kept[recent][0] == "Ring Mr Smith on 07700 900123"


def test_the_command_applies_the_configured_period(app: Flask, runner: FlaskCliRunner) -> None:
    with app.app_context():
        comment_on("RX1", "Thank you Nurse Jane")
        db.session.execute(update(Comment).values(updated_at=utcnow() - timedelta(days=10)))
        db.session.commit()
    app.config["COMMENT_RAW_TEXT_DAYS"] = 30
    result = runner.invoke(args=["comments", "erase-raw-text"])
    assert result.exit_code == 0, result.output
    assert "Erased the raw words of 0 comments older than 30 days." in result.output
    result = runner.invoke(args=["comments", "erase-raw-text", "--days", "7"])
    assert "Erased the raw words of 1 comments older than 7 days." in result.output
    assert list(words(app).values()) == [(None, "Thank you Nurse [name]")]
