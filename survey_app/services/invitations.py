"""Issue invitations and find them again from the link a patient was sent.

The token is shown once, at issue, and only its SHA-256 hash is stored: a leaked database
copy cannot open anyone's questionnaire. 32 random bytes give 256 bits, well above the
128-bit floor.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from survey_app.extensions import db
from survey_app.models import Invitation, Survey, TransitionEvent, utcnow

TOKEN_BYTES = 32


class InvitationExists(ValueError):
    """The event already has an invitation to this survey (one per event and survey)."""


def new_token() -> str:
    """Return a fresh URL-safe random token."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """Return the stored form of a token: its SHA-256 as 64 hex digits."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def default_expiry(now: datetime | None = None) -> datetime:
    """Return when a link issued now stops working (``INVITATION_VALID_DAYS`` setting)."""
    days = int(current_app.config.get("INVITATION_VALID_DAYS", 42))
    return (now or utcnow()) + timedelta(days=days)


def issue_invitation(
    *,
    event: TransitionEvent,
    survey: Survey,
    channel: str = "sms",
    expires_at: datetime | None = None,
) -> tuple[Invitation, str]:
    """Create and commit an invitation; return it with its plain token (shown only now)."""
    token = new_token()
    now = utcnow()
    invitation = Invitation(
        event=event,
        survey=survey,
        token_hash=hash_token(token),
        channel=channel,
        status="pending",
        created_at=now,
        expires_at=expires_at or default_expiry(now),
    )
    db.session.add(invitation)
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise InvitationExists(
            f"transition event {event.id} already has an invitation to survey {survey.slug!r}"
        ) from exc
    return invitation, token


def find_invitation(token: str) -> Invitation | None:
    """Return the invitation a token opens, or None for a token we never issued."""
    if not token or len(token) > 200:
        return None
    return db.session.scalar(select(Invitation).where(Invitation.token_hash == hash_token(token)))
