"""Invitations: one per transition event and survey, reached by a random link token.

Only the token's SHA-256 hash is stored, so a copy of the database cannot be used to open
anyone's questionnaire. Status moves pending → sent → started → completed, or to declined
(stops reminders) or expired.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.extensions import db
from survey_app.models.checks import one_of
from survey_app.models.event import TransitionEvent
from survey_app.models.survey import Survey
from survey_app.models.time import UTCDateTime, utcnow

CHANNELS = ("sms", "email", "kiosk", "paper")
INVITATION_STATUSES = ("pending", "sent", "started", "completed", "declined", "expired")
CLOSED_STATUSES = ("completed", "declined", "expired")  # the survey window is over


class Invitation(db.Model):
    """The right of one transition event's patient to answer one survey once."""

    __tablename__ = "invitations"
    __table_args__ = (
        UniqueConstraint("event_id", "survey_id", name="uq_invitations_event_survey"),
        one_of("channel", CHANNELS, name="channel"),
        one_of("status", INVITATION_STATUSES, name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("transition_events.id"), index=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[TransitionEvent] = relationship()
    survey: Mapped[Survey] = relationship()

    def is_expired(self, now: datetime | None = None) -> bool:
        """Say whether the link has passed its expiry time."""
        return self.status == "expired" or (now or utcnow()) >= self.expires_at
