"""The same schema, services and demo on a real PostgreSQL server.

``scripts/test`` starts the Debian cluster and exports ``TEST_DATABASE_URL``; every test
here creates its own database there (the ``pg_app`` fixture), runs the real migrations,
and drops it afterwards. The race tests in test_services_concurrency.py also run here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from patient_pages import some_answer
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from survey_app.extensions import db
from survey_app.models import Invitation, Response, utcnow
from survey_app.services.journey import (
    LinkError,
    decline,
    open_journey,
    record,
    record_answer,
    start,
    submit,
)

pytestmark = pytest.mark.postgres
MakeInvitation = Callable[..., str]


def test_migrations_match_the_models_on_postgres(
    pg_app: Flask, schema_differences: Callable[[Flask], list[Any]]
) -> None:
    with pg_app.app_context():
        assert db.engine.dialect.name == "postgresql"
    assert schema_differences(pg_app) == []


def test_the_journey_on_postgres(pg_app: Flask, make_invitation: MakeInvitation) -> None:
    token, other = make_invitation(pg_app), make_invitation(pg_app)
    with pg_app.app_context():
        journey = open_journey(token)
        assert start(journey).id == start(open_journey(token)).id
        for question in journey.questions:
            record(journey, question.key, some_answer(question))
        record_answer(journey, "ctm15-q1", "4")  # changing an answer overwrites it
        second_tab = open_journey(token)
        first, again = submit(journey), submit(second_tab)
        assert first.submitted_at == again.submitted_at
        assert open_journey_fails(token) == "completed"
        with pytest.raises(LinkError):
            record_answer(journey, "ctm15-q1", "1")
        decline(other)
        assert open_journey_fails(other) == "declined"
        assert db.session.scalar(select(func.count()).select_from(Response)) == 1


def open_journey_fails(token: str) -> str:
    with pytest.raises(LinkError) as raised:
        open_journey(token)
    return raised.value.kind


def test_database_refuses_a_second_response_on_postgres(
    pg_app: Flask, make_invitation: MakeInvitation
) -> None:
    make_invitation(pg_app)
    with pg_app.app_context():
        invitation_id = db.session.scalars(select(Invitation.id)).one()
        row = {"invitation_id": invitation_id, "mode": "online", "language": "en",
               "status": "in_progress", "started_at": utcnow(), "updated_at": utcnow()}
        db.session.execute(insert(Response), [row])
        with pytest.raises(IntegrityError):
            db.session.execute(insert(Response), [row])


def test_demo_on_postgres(pg_app: Flask) -> None:
    result = pg_app.test_cli_runner().invoke(
        args=["demo", "--events", "300", "--links", "2", "--base-url", "http://pg.test"]
    )
    assert result.exit_code == 0, result.output
    tokens = [line.rsplit("/", 1)[1] for line in result.output.splitlines()
              if line.startswith("http://pg.test/s/")]
    assert len(tokens) == 2
    with pg_app.app_context():
        submitted = db.session.scalar(
            select(func.count()).select_from(Response).where(Response.status == "submitted")
        )
        assert submitted and submitted > 80
        assert all(open_journey(token).answers == {} for token in tokens)
