"""The migrations build the schema, and it is exactly the schema the models describe."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import flask_migrate
from flask import Flask
from sqlalchemy import inspect, text

from survey_app import create_app
from survey_app.extensions import db

TABLES = {
    "alembic_version", "organisation_types", "organisations", "pathways", "transition_events",
    "surveys", "survey_instruments", "invitations", "responses", "answers",
    "staff_users", "staff_memberships", "audit_events", "comments",
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
