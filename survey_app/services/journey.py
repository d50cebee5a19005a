"""One invitation's questionnaire: open it by token, start, answer, submit or decline.

Exactly one response per invitation, whatever the patient's browser does (double clicks,
refreshes, two tabs, replayed POSTs): the database's UNIQUE constraints decide, writes are
``INSERT … ON CONFLICT`` or conditional ``UPDATE … WHERE status …``, and a submitted
response is never written again. Every writer touches rows in the same order (invitation,
then response, then answers) so concurrent writers queue instead of deadlocking.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

from sqlalchemy import delete, func, inspect, select, update

from survey_app.extensions import db
from survey_app.models import Answer, Comment, Invitation, Response, Survey, utcnow
from survey_app.models.response import MODES
from survey_app.results import scores as response_scores
from survey_app.services import message_status
from survey_app.services.invitations import find_invitation
from survey_app.services.masking import mask_identifiers
from survey_app.services.questionnaire import (
    Question,
    Section,
    build_questions,
    build_sections,
    load_instruments,
)
from survey_app.services.upsert import insert_for

# The about-you item whose answer is also kept on the response, for case-mix analysis.
COMPLETED_BY_ITEM = "completed_by"
OPEN_INVITATION_STATUSES = ("pending", "sent", "started")

_LINK_MESSAGES = {
    "unknown": "This survey link is not recognised.",
    "expired": "This survey link has expired.",
    "completed": "This survey has already been completed.",
    "declined": "You told us you did not want to take part in this survey.",
}

_invitations = Invitation.__table__
_responses = Response.__table__
_answers = Answer.__table__
_comments = Comment.__table__


class LinkError(Exception):
    """A link that cannot (or can no longer) be used; ``kind`` says why."""

    def __init__(self, kind: str) -> None:
        if kind not in _LINK_MESSAGES:
            raise ValueError(f"unknown link error kind {kind!r}")
        super().__init__(_LINK_MESSAGES[kind])
        self.kind = kind

    @property
    def status_code(self) -> int:
        """404 for a link we never issued, 410 Gone for one that was used up or expired."""
        return 404 if self.kind == "unknown" else 410


class IncompleteResponse(Exception):
    """Submit was asked for while a question is unanswered."""

    def __init__(self, question_key: str) -> None:
        super().__init__(f"question {question_key} has not been answered")
        self.question_key = question_key


@dataclass
class Journey:
    """An invitation's questionnaire as it stands in the database."""

    token: str
    invitation: Invitation
    survey: Survey
    response: Response | None
    questions: list[Question]
    answers: dict[str, str] = field(default_factory=dict)
    language: str = "en"

    @property
    def submitted(self) -> bool:
        """Say whether the response has been submitted (and so can no longer change)."""
        return self.response is not None and self.response.status == "submitted"

    @cached_property
    def sections(self) -> list[Section]:
        """Return the journey's sections (one per instrument), in order."""
        return build_sections(self.questions)

    def section(self, key: str) -> Section:
        """Return the section with ``key``; KeyError if the journey has none."""
        for section in self.sections:
            if section.key == key:
                return section
        raise KeyError(key)

    def section_of(self, question: Question) -> Section | None:
        """Return the section asking ``question``; None for a question asked early."""
        return next(
            (s for s in self.sections if any(q.key == question.key for q in s.questions)), None
        )

    @property
    def answered_count(self) -> int:
        """Return how many of the questions have an answer (an empty comment counts)."""
        return sum(question.key in self.answers for question in self.questions)

    @property
    def last_whole_day(self) -> date | None:
        """Return the last whole day the link still works, or None if it stops today.

        The day before the expiry date (in UTC, which the UK is never behind): "carry on
        until <that day>" is true all day, wherever in the UK the person is.
        """
        last = (self.invitation.expires_at - timedelta(days=1)).date()
        return last if last >= utcnow().date() else None

    @property
    def asks_who_is_answering(self) -> bool:
        """Say whether the journey asks who is filling it in (the person or someone else)."""
        return any(question.item.id == COMPLETED_BY_ITEM for question in self.questions)

    @property
    def asks_for_comments(self) -> bool:
        """Say whether any question asks for the person's own words (which staff read)."""
        return any(question.item.is_free_text for question in self.questions)

    def question(self, key: str) -> Question:
        """Return the question with ``key``; KeyError if the journey has none."""
        for question in self.questions:
            if question.key == key:
                return question
        raise KeyError(key)

    def first_unanswered(self) -> Question | None:
        """Return where to resume: the first question without an answer, or None."""
        return next((q for q in self.questions if q.key not in self.answers), None)

    def previous(self, key: str) -> Question | None:
        """Return the question before ``key``, or None at the first."""
        number = self.question(key).number
        return self.questions[number - 2] if number > 1 else None

    def next(self, key: str) -> Question | None:
        """Return the question after ``key``, or None at the last."""
        number = self.question(key).number
        return self.questions[number] if number < len(self.questions) else None


def stored_answers(response_id: int, questions: list[Question]) -> dict[str, str]:
    """Return the response's answers as question key → option code, or → the person's own
    words for a free-text question ("" when they chose to say nothing)."""
    keys = {
        (q.instrument.id, q.instrument.version, q.item.id): q.key for q in questions
    }
    rows = db.session.execute(
        select(Answer.instrument_id, Answer.instrument_version, Answer.item_id, Answer.code)
        .where(Answer.response_id == response_id)
        .union_all(
            select(Comment.instrument_id, Comment.instrument_version, Comment.item_id,
                   func.coalesce(Comment.text, Comment.masked_text))
            .where(Comment.response_id == response_id)
        )
    )
    answers = {}
    for instrument_id, version, item_id, code in rows:
        key = keys.get((instrument_id, version, item_id))
        if key is not None:
            answers[key] = code
    return answers


def open_journey(token: str, *, language: str = "en") -> Journey:
    """Return the questionnaire a link opens; raise :class:`LinkError` if it cannot be used."""
    invitation = find_invitation(token)
    if invitation is None:
        raise LinkError("unknown")
    response = db.session.scalar(select(Response).where(Response.invitation_id == invitation.id))
    if invitation.status == "declined":
        raise LinkError("declined")
    if invitation.status == "completed" or (response and response.status == "submitted"):
        raise LinkError("completed")
    if invitation.is_expired():
        raise LinkError("expired")
    questions = build_questions(load_instruments(invitation.survey, language))
    answers = stored_answers(response.id, questions) if response else {}
    return Journey(token, invitation, invitation.survey, response, questions, answers, language)


def start(journey: Journey, *, mode: str | None = None) -> Response:
    """Return the invitation's response, creating it on first use (never a second one)."""
    if journey.response is not None:
        return journey.response
    mode = mode or ("kiosk" if journey.invitation.channel == "kiosk" else "online")
    if mode not in MODES:
        raise ValueError(f"mode {mode!r} is not one of {', '.join(MODES)}")
    invitation_id = journey.invitation.id
    now = utcnow()
    # Lock the invitation first, and only while it is open (not declined in the meantime).
    if not move_invitation(invitation_id, OPEN_INVITATION_STATUSES, status="started"):
        raise closed_link_error(invitation_id)
    db.session.execute(
        insert_for(_responses)
        .values(
            invitation_id=invitation_id, mode=mode, language=journey.language,
            status="in_progress", started_at=now, updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["invitation_id"])
    )
    db.session.commit()
    journey.response = db.session.scalars(
        select(Response).where(Response.invitation_id == invitation_id)
    ).one()
    return journey.response


def response_id_of(response: Response) -> int:
    """Return a response's id without reloading it (it may have been deleted by a decline)."""
    identity = inspect(response).identity
    assert identity is not None, "the response has not been saved"
    return int(identity[0])


def move_invitation(invitation_id: int, allowed: tuple[str, ...], **values: object) -> bool:
    """Change the invitation only while its status is one of ``allowed``; roll back and
    return False if it is not (declined, completed or expired in the meantime).

    The status check and the write are one conditional UPDATE, and the invitation row is
    the first every writer touches, so concurrent writers queue on it instead of racing.
    """
    moved = db.session.execute(
        update(_invitations)
        .where(_invitations.c.id == invitation_id, _invitations.c.status.in_(allowed))
        .values(**values)
    )
    if moved.rowcount == 0:
        db.session.rollback()
        return False
    return True


def closed_link_error(invitation_id: int) -> LinkError:
    """Explain, after a refused write, why the link no longer takes answers."""
    status = db.session.scalar(select(Invitation.status).where(Invitation.id == invitation_id))
    return LinkError(status if status in ("declined", "expired") else "completed")


def lock_open_response(journey: Journey, **changes: object) -> int:
    """Start the response if need be, then lock its row (setting ``changes`` and the time)
    while it is still in progress; return its id. A closed link raises LinkError."""
    response_id = response_id_of(start(journey))
    touched = db.session.execute(
        update(_responses)
        .where(_responses.c.id == response_id, _responses.c.status == "in_progress")
        .values(updated_at=utcnow(), **changes)
    )
    if touched.rowcount == 0:
        db.session.rollback()
        raise closed_link_error(journey.invitation.id)
    return response_id


def record_answer(journey: Journey, key: str, code: str) -> None:
    """Save (or change) the answer to one question; refused once the response is submitted."""
    question = journey.question(key)
    if code not in {option.code for option in question.options}:
        raise ValueError(f"{code!r} is not an answer option for question {key}")
    changes = {"completed_by": code} if question.item.id == COMPLETED_BY_ITEM else {}
    response_id = lock_open_response(journey, **changes)
    now = utcnow()
    db.session.execute(
        insert_for(_answers)
        .values(
            response_id=response_id, instrument_id=question.instrument.id,
            instrument_version=question.instrument.version, item_id=question.item.id,
            code=code, answered_at=now,
        )
        .on_conflict_do_update(
            index_elements=["response_id", "instrument_id", "instrument_version", "item_id"],
            set_={"code": code, "answered_at": now},
        )
    )
    db.session.commit()
    journey.answers[key] = code


def record(journey: Journey, key: str, value: str) -> None:
    """Save the answer to any question: an option code, or a free-text question's words."""
    if journey.question(key).item.is_free_text:
        record_comment(journey, key, value)
    else:
        record_answer(journey, key, value)


def record_comment(journey: Journey, key: str, text: str) -> None:
    """Save (or change) the words given to a free-text question, with identifiers masked
    for providers; empty words record "no comment". Refused once submitted."""
    question = journey.question(key)
    limit = question.item.max_length
    if not question.item.is_free_text or limit is None:
        raise ValueError(f"question {key} is not a free-text question")
    words = text.replace("\r\n", "\n").strip()
    if len(words) > limit:
        raise ValueError(f"a comment on question {key} can be at most {limit} characters")
    response_id = lock_open_response(journey)
    now = utcnow()
    words_now = {"text": words, "masked_text": mask_identifiers(words), "updated_at": now}
    db.session.execute(
        insert_for(_comments)
        .values(
            response_id=response_id, instrument_id=question.instrument.id,
            instrument_version=question.instrument.version, item_id=question.item.id,
            created_at=now, **words_now,
        )
        .on_conflict_do_update(
            index_elements=["response_id", "instrument_id", "instrument_version", "item_id"],
            set_=words_now,
        )
    )
    db.session.commit()
    journey.answers[key] = words


def submit(journey: Journey) -> Response:
    """Submit the response once every question is answered, storing its scores in the same
    transaction; a repeat returns it unchanged."""
    if journey.response is None:
        raise IncompleteResponse(journey.questions[0].key)
    response_id, invitation_id = response_id_of(journey.response), journey.invitation.id
    journey.answers = stored_answers(response_id, journey.questions)
    missing = journey.first_unanswered()
    if missing is not None:
        raise IncompleteResponse(missing.key)
    now = utcnow()
    if not move_invitation(
        invitation_id, (*OPEN_INVITATION_STATUSES, "completed"), status="completed"
    ):
        raise closed_link_error(invitation_id)
    submitted = db.session.execute(
        update(_responses)
        .where(_responses.c.id == response_id, _responses.c.status != "submitted")
        .values(status="submitted", submitted_at=now, updated_at=now)
    )
    if submitted.rowcount:  # scored in this transaction: a failure rolls the submission back
        response_scores.store_submitted(response_id, journey.survey.instrument_keys)
    message_status.cancel_remaining([invitation_id], "response submitted")
    db.session.commit()
    journey.response = db.session.get(Response, response_id, populate_existing=True)
    if journey.response is None:  # declined (and so deleted) between reading and writing
        raise closed_link_error(invitation_id)
    return journey.response


def decline(token: str, *, opt_out: bool = False) -> None:
    """Record "I don't want to take part": stop reminders and discard any partial answers;
    with ``opt_out``, also "do not contact me about surveys again" (recorded by patient
    key, every message still to go to the person cancelled)."""
    invitation = find_invitation(token)
    if invitation is None:
        raise LinkError("unknown")
    invitation_id = invitation.id
    # Any link not yet completed or declined can be declined, even an expired one.
    if not move_invitation(
        invitation_id, (*OPEN_INVITATION_STATUSES, "expired"),
        status="declined", declined_at=utcnow(),
    ):
        if closed_link_error(invitation_id).kind == "completed":
            raise LinkError("completed")
        if opt_out:  # already declined, now opting out as well
            message_status.opt_out(invitation_id)
            db.session.commit()
        return  # already declined: nothing more to do
    message_status.cancel_remaining([invitation_id], "declined")
    if opt_out:
        message_status.opt_out(invitation_id)
    unsent = select(_responses.c.id).where(
        _responses.c.invitation_id == invitation_id, _responses.c.status == "in_progress"
    )
    db.session.execute(delete(_answers).where(_answers.c.response_id.in_(unsent)))
    db.session.execute(delete(_comments).where(_comments.c.response_id.in_(unsent)))
    db.session.execute(
        delete(_responses).where(
            _responses.c.invitation_id == invitation_id, _responses.c.status == "in_progress"
        )
    )
    db.session.commit()
