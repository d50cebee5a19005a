"""The audit trail: one row per sign-in, failure, lockout, download or administrative change.

``record`` only adds the row to the session; the service that calls it commits, so the
event and the change it describes are stored together or not at all.
"""

from __future__ import annotations

from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import AuditEvent, StaffUser

DETAIL_LIMIT = 500


def record(
    action: str,
    *,
    actor: StaffUser | None = None,
    actor_email: str | None = None,
    object_type: str | None = None,
    object_id: object = None,
    detail: str | None = None,
) -> AuditEvent:
    """Add an audit event for ``action`` (e.g. ``"sign_in_failed"``, ``"download"``)."""
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        actor_email=actor.email if actor is not None else actor_email,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        detail=detail[:DETAIL_LIMIT] if detail else None,
    )
    db.session.add(event)
    return event


def recent(limit: int = 200) -> list[AuditEvent]:
    """Return the latest audit events, newest first."""
    query = select(AuditEvent).order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    return list(db.session.scalars(query.limit(limit)))
