"""Contact details and messages: the only place a phone number, email address or working
survey link is kept, encrypted at rest, and deleted when the survey window closes.

``contact_details`` holds one row per invitation (phone, email and the link token, each a
Fernet token under ``CONTACT_ENCRYPTION_KEY``); ``messages`` is the outbox: one row per
invitation and kind (the invitation and at most two reminders, UNIQUE so nothing can be
sent twice), with its due time, status, and the rendered words (encrypted, since they
carry the link) until the window closes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.extensions import db
from survey_app.models.checks import one_of
from survey_app.models.invitation import Invitation
from survey_app.models.time import UTCDateTime, utcnow

MESSAGE_KINDS = ("invitation", "reminder_1", "reminder_2")
MESSAGE_CHANNELS = ("sms", "email")
MESSAGE_STATUSES = ("scheduled", "sending", "sent", "delivered", "failed", "cancelled")
# How a message went out: stored in the embedded outbox, or handed to GOV.UK Notify.
MESSAGE_TRANSPORTS = ("outbox", "notify")


class ContactDetails(db.Model):
    """How to reach one invited person, until their survey window closes."""

    __tablename__ = "contact_details"

    invitation_id: Mapped[int] = mapped_column(
        ForeignKey("invitations.id", ondelete="CASCADE"), primary_key=True)
    phone: Mapped[str | None] = mapped_column(Text)  # encrypted
    email: Mapped[str | None] = mapped_column(Text)  # encrypted
    link_token: Mapped[str] = mapped_column(Text)  # encrypted: reminders need the link
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    invitation: Mapped[Invitation] = relationship()


class Message(db.Model):
    """One SMS or email to send (or sent) for an invitation."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("invitation_id", "kind", name="uq_messages_invitation_kind"),
        one_of("kind", MESSAGE_KINDS, name="kind"),
        one_of("channel", MESSAGE_CHANNELS, name="channel"),
        one_of("status", MESSAGE_STATUSES, name="status"),
        one_of("sent_via", MESSAGE_TRANSPORTS, name="sent_via", nullable=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(
        ForeignKey("invitations.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    channel: Mapped[str] = mapped_column(String(5))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    status: Mapped[str] = mapped_column(String(10), default="scheduled", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(300))
    provider_reference: Mapped[str | None] = mapped_column(String(64), index=True)
    body: Mapped[str | None] = mapped_column(Text)  # encrypted; erased at window close
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Who is sending it: the run that claimed it (status "sending") and when, so two runs
    # never send one message and a run that died can be recovered (services/messages.py).
    claim_id: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_via: Mapped[str | None] = mapped_column(String(6))

    invitation: Mapped[Invitation] = relationship()
