"""Responses and answers: what one invited person said.

One response per invitation (UNIQUE) and one answer per item (UNIQUE) are database rules,
so a double click, two tabs or two servers can never create a second response. A
response's status and submitted time must agree (CHECK).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.extensions import db
from survey_app.models.checks import one_of
from survey_app.models.invitation import Invitation
from survey_app.models.time import UTCDateTime, utcnow

MODES = ("online", "kiosk", "paper", "telephone")
RESPONSE_STATUSES = ("in_progress", "submitted")


class Response(db.Model):
    """One person's questionnaire, in progress or submitted."""

    __tablename__ = "responses"
    __table_args__ = (
        one_of("mode", MODES, name="mode"),
        one_of("status", RESPONSE_STATUSES, name="status"),
        CheckConstraint(
            "(status = 'submitted' AND submitted_at IS NOT NULL)"
            " OR (status = 'in_progress' AND submitted_at IS NULL)",
            name="submitted_at_matches_status",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id"), unique=True)
    mode: Mapped[str] = mapped_column(String(12))
    language: Mapped[str] = mapped_column(String(12))
    completed_by: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(12), default="in_progress")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    invitation: Mapped[Invitation] = relationship()
    answers: Mapped[list[Answer]] = relationship(
        back_populates="response", cascade="all, delete-orphan", passive_deletes=True
    )


class Answer(db.Model):
    """The option chosen for one item of one instrument version."""

    __tablename__ = "answers"
    __table_args__ = (
        UniqueConstraint(
            "response_id", "instrument_id", "instrument_version", "item_id", name="uq_answers_item"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"))
    instrument_id: Mapped[str] = mapped_column(String(60))
    instrument_version: Mapped[str] = mapped_column(String(20))
    item_id: Mapped[str] = mapped_column(String(60))
    code: Mapped[str] = mapped_column(String(20))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    response: Mapped[Response] = relationship(back_populates="answers")
