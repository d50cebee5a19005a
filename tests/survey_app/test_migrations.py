"""The migrations build the schema, and it is exactly the schema the models describe."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import flask_migrate
from comment_data import comment_on
from flask import Flask
from sqlalchemy import DateTime, column, inspect, select, table, text, update
from staff import make_staff

from survey_app import create_app
from survey_app.extensions import db
from survey_app.models import Comment, CommentFollowUp

TABLES = {
    "alembic_version", "organisation_types", "organisations", "pathways", "transition_events",
    "surveys", "survey_instruments", "invitations", "responses", "answers",
    "staff_users", "staff_memberships", "audit_events", "comments", "comment_follow_ups",
    "intake_batches", "intake_issues", "intake_credentials", "opt_outs", "survey_routes",
    "exclusion_rules", "code_mappings", "contact_details", "messages", "response_scores",
    "results_snapshots", "results_snapshot_tables",
}


def test_migrations_build_every_table(app: Flask) -> None:
    with app.app_context():
        assert set(inspect(db.engine).get_table_names()) == TABLES


def test_models_and_migrations_agree(
    app: Flask, schema_differences: Callable[[Flask], list[Any]]
) -> None:
    assert schema_differences(app) == []


def test_the_comparison_notices_a_model_the_migrations_lack(
    app: Flask, schema_differences: Callable[[Flask], list[Any]]
) -> None:
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(text("DROP INDEX ix_responses_submitted_at"))
    assert [diff[0] for diff in schema_differences(app)] == ["add_index"]


def test_standard_organisation_types_are_loaded_as_data(app: Flask) -> None:
    with app.app_context():
        codes = db.session.scalars(text("SELECT code FROM organisation_types")).all()
    assert set(codes) == {"provider", "site", "commissioner", "system"}


def test_downgrade_to_nothing_and_upgrade_again(tmp_path: Path) -> None:
    app = create_app(
        {"APP_ENV": "test", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'r.db'}"}
    )
    with app.app_context():
        flask_migrate.upgrade()
        flask_migrate.downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) == {"alembic_version"}
        flask_migrate.upgrade()
        assert set(inspect(db.engine).get_table_names()) == TABLES
        db.engine.dispose()


def test_the_comparison_notices_a_check_constraint_that_differs(
    app: Flask, schema_differences: Callable[[Flask], list[Any]]
) -> None:
    checks = db.metadata.tables["responses"].constraints
    mode_check = next(c for c in checks if getattr(c, "name", "") == "ck_responses_mode")
    original = mode_check.sqltext
    mode_check.sqltext = text("mode IN ('online')")
    try:
        assert [diff[1] for diff in schema_differences(app)] == ["ck_responses_mode"]
    finally:
        mode_check.sqltext = original


# 0004 moved each comment's one follow_up_note into comment_follow_ups (a row per note).
COMMENTS_AT_0003 = table(
    "comments", column("id"), column("flagged_at", DateTime(timezone=True)),
    column("flag_reason"), column("followed_up_at", DateTime(timezone=True)),
    column("followed_up_by_id"), column("follow_up_note"),
)
FLAGGED = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
FOLLOWED_UP = datetime(2026, 5, 5, 14, 15, tzinfo=UTC)


def flagged_comment(app: Flask) -> tuple[int, int]:
    """Return a flagged comment's id and a staff member's, made at the newest revision."""
    with app.app_context():
        comment_id = comment_on("RX1", "Nobody came to help")
        db.session.commit()
    staff = make_staff(app, role="provider", organisations=("RX1",))
    with app.app_context():
        db.session.execute(update(Comment).where(Comment.id == comment_id).values(
            flagged_at=FLAGGED, flag_reason="Alone at home", flagged_by_id=staff.id))
        db.session.commit()
        db.session.remove()
    return comment_id, staff.id


def test_0004_keeps_a_note_from_before_as_the_first_follow_up_note(any_app: Flask) -> None:
    comment_id, staff_id = flagged_comment(any_app)
    with any_app.app_context():
        flask_migrate.downgrade(revision="0003_comments")
        with db.engine.begin() as connection:
            connection.execute(COMMENTS_AT_0003.update().values(
                followed_up_at=FOLLOWED_UP, followed_up_by_id=staff_id,
                follow_up_note="GP rang the patient"))
        flask_migrate.upgrade()
        notes = db.session.execute(select(
            CommentFollowUp.comment_id, CommentFollowUp.written_at,
            CommentFollowUp.written_by_id, CommentFollowUp.note)).all()
        comment = db.session.get(Comment, comment_id)
        assert [tuple(note) for note in notes] == [
            (comment_id, FOLLOWED_UP, staff_id, "GP rang the patient")]
        assert (comment.followed_up_at, comment.followed_up_by_id) == (FOLLOWED_UP, staff_id)
        db.session.remove()


def test_downgrading_0004_keeps_each_comments_latest_note(any_app: Flask) -> None:
    comment_id, staff_id = flagged_comment(any_app)
    with any_app.app_context():
        db.session.execute(update(Comment).where(Comment.id == comment_id).values(
            followed_up_at=FOLLOWED_UP, followed_up_by_id=staff_id))
        db.session.add_all([
            CommentFollowUp(comment_id=comment_id, written_at=FOLLOWED_UP + timedelta(days=1),
                            written_by_id=staff_id, note="District nurse visited"),
            CommentFollowUp(comment_id=comment_id, written_at=FOLLOWED_UP,
                            written_by_id=staff_id, note="GP rang the patient"),
        ])
        db.session.commit()
        db.session.remove()
        flask_migrate.downgrade(revision="0003_comments")
        with db.engine.connect() as connection:
            kept = connection.execute(select(COMMENTS_AT_0003.c.follow_up_note)).scalars().all()
        assert kept == ["District nurse visited"]
        flask_migrate.upgrade()
        db.session.remove()
