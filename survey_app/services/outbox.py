"""The outbox as administrators see it (``/admin/outbox``, ``flask messages outbox``): recent
messages with their status, channel and a masked recipient; the words only when asked for
(they carry a working survey link) and only until the survey window closes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import (
    ContactDetails,
    Invitation,
    Message,
    Organisation,
    TransitionEvent,
    utcnow,
)
from survey_app.services.protection import decrypt

STATUSES = ("scheduled", "sending", "sent", "delivered", "failed", "cancelled")


@dataclass(frozen=True)
class OutboxItem:
    """One message as the outbox lists it."""

    id: int
    provider: str
    kind: str
    channel: str
    status: str
    sent_via: str | None
    due_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    attempts: int
    recipient: str
    last_error: str | None
    body: str | None


def masked_recipient(channel: str, value: str | None) -> str:
    """Return enough of a phone number or email to recognise it, and no more."""
    if value is None:
        return "deleted (window closed)"
    if channel == "sms":
        digits = value.removeprefix("+44")
        return f"0{digits[:1]}*** ***{digits[-3:]}"
    name, _, domain = value.partition("@")
    return f"{name[:1]}***@{domain}"


def recent_messages(*, limit: int = 200, status: str | None = None, bodies: bool = False,
                    now: datetime | None = None) -> list[OutboxItem]:
    """Return the latest messages (sent, or due by ``now``), newest first."""
    if status is not None and status not in STATUSES:
        raise ValueError(f"status {status!r} is not one of {', '.join(STATUSES)}")
    latest = func.coalesce(Message.sent_at, Message.due_at)
    query = (
        select(Message, Organisation.code, ContactDetails.phone, ContactDetails.email)
        .join(Invitation, Invitation.id == Message.invitation_id)
        .join(TransitionEvent, TransitionEvent.id == Invitation.event_id)
        .join(Organisation, Organisation.id == TransitionEvent.provider_id)
        .outerjoin(ContactDetails, ContactDetails.invitation_id == Message.invitation_id)
        .where(latest <= (now or utcnow()))
        .order_by(latest.desc(), Message.id.desc()).limit(limit))
    if status is not None:
        query = query.where(Message.status == status)
    items = []
    for message, provider, phone, email in db.session.execute(query):
        encrypted = phone if message.channel == "sms" else email
        items.append(OutboxItem(
            id=message.id, provider=provider, kind=message.kind, channel=message.channel,
            status=message.status, sent_via=message.sent_via, due_at=message.due_at,
            sent_at=message.sent_at, delivered_at=message.delivered_at,
            attempts=message.attempts,
            recipient=masked_recipient(message.channel,
                                       decrypt(encrypted) if encrypted else None),
            last_error=message.last_error,
            body=decrypt(message.body) if bodies and message.body else None))
    return items
