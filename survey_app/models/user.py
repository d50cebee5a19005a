"""Staff accounts for the portal: who may sign in, with which role, for which organisations.

Passwords are stored only as argon2 hashes. ``failed_attempts`` and ``locked_until`` carry
the lockout; ``session_nonce`` is part of the Flask-Login id, so changing it (password
change, reset, deactivation) ends every session the account had open.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.extensions import db
from survey_app.models.checks import one_of
from survey_app.models.organisation import Organisation
from survey_app.models.time import UTCDateTime, utcnow

# The commissioner role is reserved for the contracts issue; it signs in but sees no
# provider pages until that work gives it a scope.
ROLES = {
    "administrator": "Administrator",
    "provider": "Provider user",
    "commissioner": "Commissioner user",
}


def new_session_nonce() -> str:
    """Return a fresh random value that invalidates sessions issued under the old one."""
    return secrets.token_hex(16)


class StaffMembership(db.Model):
    """A staff user's right to see one organisation's data by name."""

    __tablename__ = "staff_memberships"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id"), primary_key=True, index=True
    )

    organisation: Mapped[Organisation] = relationship()


class StaffUser(db.Model):
    """One person who signs in to the portal (never a patient)."""

    __tablename__ = "staff_users"
    __table_args__ = (one_of("role", ROLES, name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    session_nonce: Mapped[str] = mapped_column(String(32), default=new_session_nonce)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_signed_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    memberships: Mapped[list[StaffMembership]] = relationship(cascade="all, delete-orphan")

    @property
    def organisations(self) -> list[Organisation]:
        """Return the organisations this user belongs to, ordered by code."""
        return sorted((m.organisation for m in self.memberships), key=lambda org: org.code)

    @property
    def is_administrator(self) -> bool:
        return self.role == "administrator"

    def is_locked(self, now: datetime | None = None) -> bool:
        """Say whether the account is inside a lockout period."""
        return self.locked_until is not None and (now or utcnow()) < self.locked_until

    # Flask-Login's user protocol.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """Return the session id: the row id plus the nonce that revokes old sessions."""
        return f"{self.id}:{self.session_nonce}"


class AuditEvent(db.Model):
    """One security-relevant thing that happened: who, what, when, to which object.

    ``actor_email`` keeps what was typed at a failed sign-in even when no account matches,
    and keeps the trail readable if an account is later removed.
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL"), index=True
    )
    actor_email: Mapped[str | None] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(40), index=True)
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(60))
    detail: Mapped[str | None] = mapped_column(String(500))

    actor: Mapped[StaffUser | None] = relationship()
