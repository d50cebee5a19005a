"""One response per invitation even when sessions race (two tabs, two servers), on
SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from patient_pages import some_answer
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import Answer, Response
from survey_app.services.journey import (
    Journey,
    LinkError,
    open_journey,
    record,
    record_answer,
    start,
    submit,
)

MakeInvitation = Callable[..., str]
Race = Callable[..., list[Any]]


def test_concurrent_starts_create_one_response(
    any_app: Flask, make_invitation: MakeInvitation, race: Race
) -> None:
    token = make_invitation(any_app)
    outcomes = race(any_app, lambda: start(open_journey(token)).id)
    assert len(set(outcomes)) == 1 and isinstance(outcomes[0], int)
    with any_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 1


def test_concurrent_answers_to_one_question_leave_one_answer(
    any_app: Flask, make_invitation: MakeInvitation, race: Race
) -> None:
    token = make_invitation(any_app)
    codes = iter(["1", "2", "3", "4"])
    lock = threading.Lock()

    def answer() -> str:
        with lock:
            code = next(codes)
        record_answer(open_journey(token), "ctm15-q1", code)
        return code

    outcomes = race(any_app, answer)
    assert sorted(outcomes) == ["1", "2", "3", "4"]
    with any_app.app_context():
        stored = db.session.scalars(select(Answer.code)).all()
        assert db.session.scalar(select(func.count()).select_from(Response)) == 1
    assert len(stored) == 1 and stored[0] in outcomes


def test_concurrent_submits_submit_once(
    any_app: Flask, make_invitation: MakeInvitation, race: Race
) -> None:
    token = make_invitation(any_app)
    with any_app.app_context():
        journey = open_journey(token)
        for question in journey.questions:
            record(journey, question.key, some_answer(question, -1))

    def submit_the_tab(tab: Journey) -> tuple[int, object]:
        response = submit(tab)
        return response.id, response.submitted_at

    # Each thread is a tab opened before anyone submitted; then all press Submit at once.
    outcomes = race(any_app, submit_the_tab, before=lambda: open_journey(token))
    assert len(set(outcomes)) == 1, outcomes
    with any_app.app_context():
        assert db.session.scalars(select(Response.status)).all() == ["submitted"]
        with pytest.raises(LinkError, match="already been completed"):
            open_journey(token)
