"""The journey services: open by token, start, answer, resume, submit, decline."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from flask import Flask
from patient_pages import some_answer
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import Answer, Invitation, Response, utcnow
from survey_app.services.journey import (
    IncompleteResponse,
    Journey,
    LinkError,
    decline,
    open_journey,
    record,
    record_answer,
    start,
    submit,
)

MakeInvitation = Callable[..., str]


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield


@pytest.fixture
def token(app: Flask, make_invitation: MakeInvitation) -> str:
    return make_invitation(app)


def answer_everything(journey: Journey) -> None:
    for question in journey.questions:
        record(journey, question.key, some_answer(question))


def labels(options: list) -> list[str]:
    return [option.label for option in options]


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.usefixtures("ctx")
class TestOpening:
    def test_asks_who_is_filling_it_in_first_then_bundle_order(self, token: str) -> None:
        journey = open_journey(token)
        keys = [q.key for q in journey.questions]
        assert keys[0] == "about_you-completed_by"
        assert keys[1:3] == ["ctm15-q1", "ctm15-q2"]
        assert keys.index("ctm15-q15") < keys.index("i_statements-i1") < keys.index(
            "about_you-age_band"
        )
        assert [q.number for q in journey.questions] == list(range(1, len(keys) + 1))
        assert {q.total for q in journey.questions} == {len(keys)}
        assert journey.question("ctm15-q4").attribution == "CTM-15 © Eric A. Coleman, MD, MPH"
        assert journey.previous(keys[0]) is None and journey.next(keys[-1]) is None
        assert journey.next(keys[0]).key == keys[1] and journey.previous(keys[1]).key == keys[0]
        with pytest.raises(KeyError):
            journey.question("ctm15-q99")

    def test_each_instrument_is_a_section_titled_from_its_definition(self, token: str) -> None:
        journey = open_journey(token)
        sections = journey.sections
        assert [(s.number, s.total, s.title, len(s.questions)) for s in sections] == [
            (1, 4, "Leaving hospital", 15), (2, 4, "Joined-up care", 12),
            (3, 4, "Your comments", 1), (4, 4, "About you", 4),
        ]
        assert [s.has_page for s in sections] == [True, True, False, True]
        early = journey.question("about_you-completed_by")
        assert journey.section_of(early) is None  # asked before every section
        i3 = journey.question("i_statements-i3")
        assert journey.section_of(i3) is sections[1] and sections[1].position(i3) == 3
        assert journey.section("about_you") is sections[3]
        with pytest.raises(KeyError):
            journey.section("no-such-section")

    def test_a_section_names_its_answer_scale_and_the_answers_only_some_offer(
        self, token: str
    ) -> None:
        ctm15, i_statements, comments, about_you = open_journey(token).sections
        common, extra = ctm15.answer_scale
        assert labels(common) == ["Strongly disagree", "Disagree", "Agree", "Strongly agree",
                                  "Don't know / Don't remember / Not applicable"]
        assert labels(extra) == ["I was not given any medication when I left the hospital"]
        common, extra = i_statements.answer_scale
        assert labels(common)[2] == "Neither agree nor disagree" and len(common) == 6
        assert extra == []
        assert comments.answer_scale == about_you.answer_scale == ([], [])  # no one scale

    def test_counts_answers_for_a_welcome_back(self, token: str) -> None:
        journey = open_journey(token)
        assert journey.answered_count == 0
        for question in journey.questions[:3]:
            record(journey, question.key, some_answer(question))
        assert open_journey(token).answered_count == 3

    def test_unknown_link_is_404(self) -> None:
        with pytest.raises(LinkError) as raised:
            open_journey("not-a-token-we-issued")
        assert (raised.value.kind, raised.value.status_code) == ("unknown", 404)

    def test_expired_link_is_410(self, app: Flask, make_invitation: MakeInvitation) -> None:
        with pytest.raises(LinkError) as raised:
            open_journey(make_invitation(app, expired=True))
        assert (raised.value.kind, raised.value.status_code) == ("expired", 410)

    def test_opening_does_not_create_a_response(self, token: str) -> None:
        journey = open_journey(token)
        assert journey.response is None and journey.answers == {} and not journey.submitted
        assert count(Response) == 0


@pytest.mark.usefixtures("ctx")
class TestAnswering:
    def test_start_is_idempotent(self, token: str) -> None:
        first = start(open_journey(token))
        again = start(open_journey(token))
        assert first.id == again.id and count(Response) == 1
        assert db.session.scalars(select(Invitation.status)).one() == "started"

    def test_answers_are_saved_and_resume_at_first_unanswered(self, token: str) -> None:
        journey = open_journey(token)
        for question in journey.questions[:3]:
            record(journey, question.key, some_answer(question))
        resumed = open_journey(token)  # e.g. later, on another device
        assert resumed.first_unanswered() == resumed.questions[3]
        assert resumed.answers == {q.key: q.options[0].code for q in journey.questions[:3]}

    def test_changing_an_answer_overwrites_it(self, token: str) -> None:
        journey = open_journey(token)
        record_answer(journey, "ctm15-q1", "1")
        record_answer(journey, "ctm15-q1", "4")
        assert open_journey(token).answers == {"ctm15-q1": "4"}
        assert count(Answer) == 1

    def test_a_code_that_is_not_an_option_is_refused(self, token: str) -> None:
        journey = open_journey(token)
        with pytest.raises(ValueError, match="'7' is not an answer option for question ctm15-q1"):
            record_answer(journey, "ctm15-q1", "7")
        assert count(Answer) == 0

    def test_who_completed_it_is_kept_on_the_response(self, token: str) -> None:
        journey = open_journey(token, language="en")
        record_answer(journey, "about_you-completed_by", "3")
        response = db.session.scalars(select(Response)).one()
        assert (response.completed_by, response.language, response.mode) == ("3", "en", "online")

    def test_answers_record_the_instrument_version(self, token: str) -> None:
        record_answer(open_journey(token), "i_statements-i2", "5")
        answer = db.session.scalars(select(Answer)).one()
        assert (answer.instrument_id, answer.instrument_version, answer.item_id) == (
            "i_statements", "1", "i2"
        )


@pytest.mark.usefixtures("ctx")
class TestSubmitting:
    def test_submit_refuses_until_everything_is_answered(self, token: str) -> None:
        journey = open_journey(token)
        with pytest.raises(IncompleteResponse) as raised:
            submit(journey)
        assert raised.value.question_key == "about_you-completed_by"
        record_answer(journey, "about_you-completed_by", "1")
        with pytest.raises(IncompleteResponse) as raised:
            submit(journey)
        assert raised.value.question_key == "ctm15-q1"

    def test_submit_is_idempotent_and_closes_the_link(self, token: str) -> None:
        journey = open_journey(token)
        answer_everything(journey)
        first = submit(journey)
        again = submit(journey)  # a double click or a replayed POST
        assert first.id == again.id and first.submitted_at == again.submitted_at
        assert again.status == "submitted" and journey.submitted
        assert db.session.scalars(select(Invitation.status)).one() == "completed"
        with pytest.raises(LinkError) as raised:
            open_journey(token)
        assert (raised.value.kind, raised.value.status_code) == ("completed", 410)

    def test_a_submitted_response_never_changes(self, token: str) -> None:
        stale = open_journey(token)  # e.g. a second tab opened before submitting
        answer_everything(stale)
        submit(open_journey(token))
        before = db.session.execute(select(Answer.item_id, Answer.code)).all()
        with pytest.raises(LinkError) as raised:
            record_answer(stale, "ctm15-q1", "4")
        assert raised.value.kind == "completed"
        assert db.session.execute(select(Answer.item_id, Answer.code)).all() == before

    def test_submit_after_the_link_expired_mid_journey_still_counts(self, token: str) -> None:
        journey = open_journey(token)
        answer_everything(journey)
        db.session.execute(
            Invitation.__table__.update().values(expires_at=utcnow() - timedelta(minutes=1))
        )
        db.session.commit()
        assert submit(journey).status == "submitted"


@pytest.mark.usefixtures("ctx")
class TestDeclining:
    def test_decline_is_recorded_discards_partial_answers_and_closes_link(
        self, token: str
    ) -> None:
        journey = open_journey(token)
        record_answer(journey, "about_you-completed_by", "1")
        decline(token)
        decline(token)  # twice is fine
        invitation = db.session.scalars(select(Invitation)).one()
        assert invitation.status == "declined" and invitation.declined_at is not None
        assert count(Response) == 0 and count(Answer) == 0
        with pytest.raises(LinkError) as raised:
            open_journey(token)
        assert (raised.value.kind, raised.value.status_code) == ("declined", 410)
        with pytest.raises(LinkError) as raised:
            record_answer(journey, "ctm15-q1", "3")  # a tab left open
        assert raised.value.kind == "declined"

    def test_a_page_opened_before_declining_cannot_start_a_response(self, token: str) -> None:
        stale = open_journey(token)
        decline(token)
        with pytest.raises(LinkError) as raised:
            record_answer(stale, "about_you-completed_by", "1")
        assert raised.value.kind == "declined"
        assert count(Response) == 0 and count(Answer) == 0

    def test_an_expired_invitation_can_still_be_declined(self, token: str) -> None:
        """Saying "I don't want to take part" is always recorded, so nothing follows."""
        invitation = db.session.scalars(select(Invitation)).one()
        invitation.status = "expired"
        db.session.commit()
        decline(token)
        db.session.refresh(invitation)
        assert invitation.status == "declined" and invitation.declined_at is not None

    def test_cannot_decline_after_submitting_or_an_unknown_link(self, token: str) -> None:
        journey = open_journey(token)
        answer_everything(journey)
        submit(journey)
        with pytest.raises(LinkError, match="already been completed"):
            decline(token)
        with pytest.raises(LinkError) as raised:
            decline("nope")
        assert raised.value.kind == "unknown"
        assert db.session.scalars(select(Response.status)).one() == "submitted"
