"""Stopping messages, and hearing back about the ones sent.

- :func:`cancel_remaining` — the moment a response is submitted or the survey declined,
  inside that same transaction (``journey.submit`` / ``journey.decline``), the
  invitation's messages not yet sent are cancelled.
- :func:`opt_out` — "Do not contact me about surveys again": an opt-out recorded by the
  event's patient key (so intake excludes the person from now on) and every message still
  to go to that person, for any survey, cancelled. Also inside the caller's transaction.
- :func:`record_receipt` — a delivery receipt from GOV.UK Notify (its callback, or
  :func:`poll_status` asking for it) marks a message delivered or failed.

Writers lock the invitation before its messages, as the journey does, so they queue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from survey_app.extensions import db
from survey_app.integrations.transport import TransportError
from survey_app.models import Invitation, Message, OptOut, TransitionEvent, utcnow
from survey_app.services.invitations import find_invitation
from survey_app.services.upsert import insert_for

UNSENT = ("scheduled", "sending")
# Notify's statuses for texts and emails, as ours (None: no news yet; "sent" is an
# international text whose network gives no receipt).
RECEIPT_STATUSES = {
    "delivered": "delivered",
    "permanent-failure": "failed",
    "temporary-failure": "failed",
    "technical-failure": "failed",
    "created": None, "sending": None, "pending": None, "sent": None,
}
REFERENCE = re.compile(r"^message-(\d{1,18})$")
POLL_AFTER = timedelta(hours=1)  # receipts normally come by callback within minutes
POLL_WITHIN = timedelta(days=7)  # Notify keeps a notification's status for 7 days

_messages = Message.__table__


def cancel_remaining(invitation_ids: list[int], reason: str) -> int:
    """Cancel the invitations' messages not yet sent (no commit); return how many."""
    cancelled = db.session.execute(
        update(_messages)
        .where(_messages.c.invitation_id.in_(invitation_ids), _messages.c.status.in_(UNSENT))
        .values(status="cancelled", last_error=reason))
    return cancelled.rowcount


def opt_out(invitation_id: int) -> bool:
    """Record that the invitation's person wants no more surveys and cancel everything
    still to go to them (no commit). False when the event has no patient key (no NHS
    number came with it), so only this invitation's messages can be stopped."""
    key = db.session.scalar(
        select(TransitionEvent.patient_key)
        .join(Invitation, Invitation.event_id == TransitionEvent.id)
        .where(Invitation.id == invitation_id))
    if key is None:
        cancel_remaining([invitation_id], "opted out")
        return False
    db.session.execute(insert_for(OptOut.__table__)
                       .values(patient_key=key, source="link", created_at=utcnow())
                       .on_conflict_do_nothing(index_elements=["patient_key"]))
    theirs = list(db.session.scalars(
        select(Invitation.id).join(TransitionEvent, TransitionEvent.id == Invitation.event_id)
        .where(TransitionEvent.patient_key == key)))
    cancel_remaining(theirs, "opted out")
    return True


def has_opted_out(token: str) -> bool:
    """Say whether the person a link was sent to has opted out of surveys."""
    invitation = find_invitation(token)
    return invitation is not None and db.session.scalar(
        select(OptOut.patient_key)
        .join(TransitionEvent, TransitionEvent.patient_key == OptOut.patient_key)
        .join(Invitation, Invitation.event_id == TransitionEvent.id)
        .where(Invitation.id == invitation.id)) is not None


def parse_time(value: object) -> datetime | None:
    """Return Notify's ISO time (``2026-05-14T12:15:30.000000Z``) as aware UTC, or None."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def record_receipt(notification_id: str, status: str, *, completed_at: object = None,
                   reference: object = None) -> bool:
    """Apply a delivery receipt (committed); say whether it is for one of our messages.

    Found by Notify's id, or by our reference when the receipt beats the sender's own
    record of the id. A receipt never moves a message backwards or revives a cancelled
    one that never went.
    """
    if status not in RECEIPT_STATUSES:
        raise ValueError(f"unknown Notify status {status!r}")
    match = REFERENCE.match(str(reference or ""))
    found = _messages.c.provider_reference == notification_id
    if match:
        found = or_(found, _messages.c.id == int(match.group(1)))
    message_id = db.session.scalar(select(_messages.c.id).where(found).limit(1))
    if message_id is None:
        return False
    new = RECEIPT_STATUSES[status]
    if new is not None:
        values: dict[str, object] = {"status": new}
        if new == "delivered":
            values["delivered_at"] = parse_time(completed_at) or utcnow()
        else:
            values["last_error"] = f"Notify: {status}"
        db.session.execute(update(_messages).where(
            _messages.c.id == message_id, _messages.c.status.in_(("sending", "sent")))
            .values(**values))
        db.session.execute(update(_messages).where(
            _messages.c.id == message_id, _messages.c.provider_reference.is_(None))
            .values(provider_reference=notification_id))
    db.session.commit()
    return True


@dataclass
class PollReport:
    asked: int = 0
    delivered: int = 0
    failed: int = 0
    stopped: str | None = None


def poll_status(transport, now: datetime | None = None, *, limit: int = 1000) -> PollReport:
    """Ask Notify for receipts that have not come by callback (sent over an hour ago and
    within Notify's 7 days), oldest first; stop at the first failure (e.g. 429)."""
    now = now or utcnow()
    report = PollReport()
    waiting = db.session.execute(
        select(_messages.c.provider_reference)
        .where(_messages.c.status == "sent", _messages.c.sent_via == "notify",
               _messages.c.provider_reference.is_not(None),
               _messages.c.sent_at <= now - POLL_AFTER, _messages.c.sent_at > now - POLL_WITHIN)
        .order_by(_messages.c.sent_at).limit(limit)).all()
    for (notification_id,) in waiting:
        try:
            status, completed_at = transport.status(notification_id)
        except TransportError as error:
            report.stopped = error.reason
            break
        report.asked += 1
        if status in RECEIPT_STATUSES:
            record_receipt(notification_id, status, completed_at=completed_at)
            new = RECEIPT_STATUSES[status]
            if new:
                setattr(report, new, getattr(report, new) + 1)
    return report
