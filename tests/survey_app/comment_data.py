"""Comments for tests: a whole survey answered through the journey service, with words.

    comment_id = comment_on("RX1", "Dr Patel was kind", pathway="stroke")

A plain function (not a fixture), called inside an app context, so the portal and
retention tests build their worlds the way patients would.
"""

from __future__ import annotations

from datetime import date

from event_data import make_event
from patient_pages import some_answer
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Comment
from survey_app.services.invitations import issue_invitation
from survey_app.services.journey import open_journey, record, submit
from survey_app.services.surveys import ensure_survey

KEY = "comments-anything_else"


def comment_on(provider: str, words: str, *, pathway: str = "stroke", submitted: bool = True,
               discharged: date | None = None) -> int:
    """Answer a whole survey at ``provider`` with ``words`` as the comment; return its id."""
    event = make_event(provider_code=provider, pathway_code=pathway)
    if discharged is not None:
        event.discharge_date = discharged
    _, token = issue_invitation(event=event, survey=ensure_survey("leaving-hospital"),
                                channel="sms")
    journey = open_journey(token)
    for question in journey.questions:
        record(journey, question.key, words if question.key == KEY else some_answer(question))
    if submitted:
        submit(journey)
    return db.session.scalars(select(Comment.id).order_by(Comment.id.desc())).first()
