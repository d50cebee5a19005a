"""Closing survey windows: a phone number, email address or working link is kept only
while the person's link is open. ``flask messages close-windows``, safe from a timer.

    report = close_windows()

In one transaction: invitations still open past ``expires_at`` become expired and their
remaining messages are cancelled; then, for every closed invitation (completed, declined
or expired), the contact details (with the link token) are deleted and the words of its
messages erased. Message rows stay, holding only kinds, times and statuses (the funnel).
Running it again finds nothing more to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update

from survey_app.extensions import db
from survey_app.models import ContactDetails, Invitation, Message, utcnow
from survey_app.models.invitation import CLOSED_STATUSES
from survey_app.services import audit

OPEN = ("pending", "sent", "started")

_invitations = Invitation.__table__
_messages = Message.__table__


@dataclass
class WindowReport:
    """What one run closed and deleted."""

    expired: int = 0
    cancelled: int = 0
    contacts_deleted: int = 0
    bodies_erased: int = 0

    def __str__(self) -> str:
        return (f"{self.expired} invitations expired, {self.cancelled} messages cancelled, "
                f"{self.contacts_deleted} contact details deleted, "
                f"{self.bodies_erased} message bodies erased")


def close_windows(now: datetime | None = None) -> WindowReport:
    """Expire what is past its window; delete what closed windows no longer need."""
    now = now or utcnow()
    report = WindowReport()
    overdue = select(_invitations.c.id).where(_invitations.c.status.in_(OPEN),
                                              _invitations.c.expires_at <= now)
    if db.engine.dialect.name == "postgresql":
        overdue = overdue.with_for_update(skip_locked=True)  # a sending batch holds some
    report.expired = db.session.execute(
        update(_invitations).where(_invitations.c.id.in_(overdue),
                                   _invitations.c.status.in_(OPEN))
        .values(status="expired")).rowcount
    closed = select(_invitations.c.id).where(_invitations.c.status.in_(CLOSED_STATUSES))
    report.cancelled = db.session.execute(
        update(_messages).where(_messages.c.invitation_id.in_(closed),
                                _messages.c.status == "scheduled")
        .values(status="cancelled", last_error="survey window closed")).rowcount
    report.contacts_deleted = db.session.execute(
        delete(ContactDetails).where(ContactDetails.invitation_id.in_(closed))
        .execution_options(synchronize_session=False)).rowcount
    report.bodies_erased = db.session.execute(
        update(_messages).where(_messages.c.invitation_id.in_(closed),
                                _messages.c.body.is_not(None))
        .values(body=None)).rowcount
    if report.expired or report.contacts_deleted or report.bodies_erased:
        audit.record("survey_windows_closed", detail=str(report))
    db.session.commit()
    return report
