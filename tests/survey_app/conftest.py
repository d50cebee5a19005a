"""Fixtures for the web app: ``app`` (a temp SQLite file built by the real migrations),
``client``, ``runner`` and ``make_invitation``.

The migrations run once per test process into a template file, which each test copies:
every test still gets a schema built by the real migrations, for the cost of a file copy.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import flask_migrate
import psycopg
import pytest
from event_data import make_event
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from log_scan import personal_data_in
from sqlalchemy import CheckConstraint, inspect
from sqlalchemy.engine import make_url

from survey_app import create_app
from survey_app.extensions import db
from survey_app.models import utcnow
from survey_app.services.invitations import issue_invitation
from survey_app.services.surveys import ensure_survey


class Collect(logging.Handler):
    """Keep every formatted log record of one test."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture(autouse=True)
def logs_without_personal_data() -> Iterator[None]:
    """Fail any test whose log lines hold a survey token, an email address, a phone
    number or an NHS number (the app's own, the development server's, alembic's)."""
    collect = Collect()
    collect.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s %(exc_text)s"))
    root = logging.getLogger()
    quiet = logging.getLogger("sqlalchemy")
    levels = root.level, quiet.level
    root.addHandler(collect)
    root.setLevel(logging.INFO)
    quiet.setLevel(logging.WARNING)  # SQL echo is not a log the app writes
    try:
        yield
    finally:
        root.removeHandler(collect)
        root.setLevel(levels[0])
        quiet.setLevel(levels[1])
    found = [hit for line in collect.lines for hit in personal_data_in(line)]
    assert found == [], "personal data in the logs"


def sqlite_settings(path: Path) -> dict[str, Any]:
    """Return create_app overrides for a test app on the SQLite file ``path``."""
    return {"APP_ENV": "test", "TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"}


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build one SQLite database by running every migration; tests copy it."""
    path = tmp_path_factory.mktemp("template") / "migrated.db"
    app = create_app(sqlite_settings(path))
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()
    return path


@pytest.fixture
def app(tmp_path: Path, migrated_template: Path) -> Iterator[Flask]:
    """An app on its own migrated SQLite file (CSRF protection left on)."""
    path = tmp_path / "survey.db"
    shutil.copyfile(migrated_template, path)
    app = create_app(sqlite_settings(path))
    yield app
    with app.app_context():
        db.engine.dispose()


def postgres_server_url() -> str:
    """Return the PostgreSQL server to test on, or fail the test saying how to get one."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.fail(
            "TEST_DATABASE_URL is not set. Run the suite with scripts/test, or start "
            "PostgreSQL with `source scripts/lib.sh && start_postgres` (it exports the URL)."
        )
    return url


def admin_connection(url: str) -> psycopg.Connection[Any]:
    """Connect to the server's maintenance database, outside any transaction."""
    libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    return psycopg.connect(libpq, autocommit=True)


@pytest.fixture
def pg_app() -> Iterator[Flask]:
    """An app on a fresh PostgreSQL database built by the migrations, dropped afterwards."""
    url = postgres_server_url()
    name = f"survey_test_{secrets.token_hex(6)}"
    with admin_connection(url) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    database = make_url(url).set(database=name).render_as_string(hide_password=False)
    app = create_app({"APP_ENV": "test", "TESTING": True, "SQLALCHEMY_DATABASE_URI": database})
    try:
        with app.app_context():
            flask_migrate.upgrade()
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        with admin_connection(url) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_app(request: pytest.FixtureRequest) -> Flask:
    """The app on each supported database in turn: SQLite, then PostgreSQL."""
    return request.getfixturevalue("app" if request.param == "sqlite" else "pg_app")


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


def create_invitation(
    app: Flask, *, survey: str = "leaving-hospital", channel: str = "sms", expired: bool = False
) -> str:
    """Create an invitation (and whatever rows it needs); return its plain token."""
    with app.app_context():
        event = make_event()
        expires_at = utcnow() - timedelta(days=1) if expired else None
        _invitation, token = issue_invitation(
            event=event, survey=ensure_survey(survey), channel=channel, expires_at=expires_at
        )
        return token


@pytest.fixture
def make_invitation() -> Callable[..., str]:
    """The factory ``make_invitation(app, *, survey=…, channel=…, expired=…) -> token``."""
    return create_invitation


def check_constraints(app: Flask) -> tuple[dict[str, str], dict[str, str]]:
    """Return the CHECK constraints (name → SQL) in the database and in the models.

    Alembic's comparison ignores CHECK constraints, so they are compared here. PostgreSQL
    rewrites their SQL when storing it, so there only the names are compared.
    """
    with app.app_context():
        inspector = inspect(db.engine)
        keep_sql = db.engine.dialect.name == "sqlite"
        in_database = {
            check["name"]: check["sqltext"] if keep_sql else ""
            for table in db.metadata.tables
            for check in inspector.get_check_constraints(table)
        }
        in_models = {
            str(check.name): str(check.sqltext) if keep_sql else ""
            for table in db.metadata.tables.values()
            for check in table.constraints
            if isinstance(check, CheckConstraint)
        }
    return in_database, in_models


def differences_from_models(app: Flask) -> list[Any]:
    """Return the differences between the migrated database and the models ([] if none)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences: list[Any] = list(compare_metadata(context, db.metadata))
    in_database, in_models = check_constraints(app)
    differences += [
        ("check_constraint", name, in_database.get(name), in_models.get(name))
        for name in sorted(set(in_database) | set(in_models))
        if in_database.get(name) != in_models.get(name)
    ]
    return differences


@pytest.fixture
def schema_differences() -> Callable[[Flask], list[Any]]:
    """The check ``schema_differences(app) -> []`` when models and migrations agree."""
    return differences_from_models


def run_race(
    app: Flask,
    work: Callable[..., Any],
    *,
    before: Callable[[], Any] | None = None,
    racers: int = 4,
) -> list[Any]:
    """Run ``work`` in several threads, each with its own app context and DB session,
    released together; return what each returned or raised.

    ``before`` (if given) runs in each thread first, e.g. to open a journey the way a browser
    tab would have, and its result is passed to ``work``.
    """
    barrier = threading.Barrier(racers)
    outcomes: list[Any] = [None] * racers

    def run(index: int) -> None:
        with app.app_context():
            try:
                prepared = before() if before else None
                barrier.wait()
                outcomes[index] = work(prepared) if before else work()
            except Exception as exc:  # collected and asserted on by the test
                outcomes[index] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.fixture
def race() -> Callable[..., list[Any]]:
    """``race(app, work, before=None)``: run ``work`` in 4 threads at once, each with its
    own session."""
    return run_race
