"""Staff accounts: sign-in with lockout, passwords, roles, organisations and deactivation.

Every rule about accounts lives here so the sign-in page, the administrators' pages and the
``flask staff`` command behave the same. Each verb commits its change together with its
audit event. Failures raise :class:`FieldError` naming the field and saying what to do.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import Organisation, StaffMembership, StaffUser, utcnow
from survey_app.models.user import ROLES, new_session_nonce
from survey_app.services import audit
from survey_app.services.errors import FieldError
from survey_app.services.passwords import (
    check_new_password,
    dummy_hash,
    hash_password,
    password_hasher,
    temporary_password,
    verify,
)

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Organisation types a user can belong to, per role; administrators see everything.
MEMBERSHIP_TYPES = {"provider": ("provider",), "commissioner": ("commissioner",)}
DEFAULT_LOCKOUT_ATTEMPTS = 5
DEFAULT_LOCKOUT_MINUTES = 15



def normalise_email(email: str) -> str:
    """Return ``email`` trimmed and lower-cased: the form accounts are stored and found by."""
    return email.strip().lower()


def find_user(email: str) -> StaffUser | None:
    """Return the account with this email address, if any."""
    return db.session.scalar(select(StaffUser).where(StaffUser.email == normalise_email(email)))


def user_for_session(session_id: str) -> StaffUser | None:
    """Return the active user a session id (``"<id>:<nonce>"``) belongs to, or None.

    A changed nonce (password change, reset, deactivation) makes older sessions worthless.
    """
    user_id, _, nonce = session_id.partition(":")
    if not user_id.isdigit() or not nonce:
        return None
    user = db.session.get(StaffUser, int(user_id))
    if user is None or not user.active or not secrets.compare_digest(user.session_nonce, nonce):
        return None
    return user


def lockout_policy() -> tuple[int, timedelta]:
    """Return (failed attempts allowed, lockout length) from the app settings."""
    config = current_app.config
    attempts = int(config.get("STAFF_LOCKOUT_ATTEMPTS", DEFAULT_LOCKOUT_ATTEMPTS))
    minutes = float(config.get("STAFF_LOCKOUT_MINUTES", DEFAULT_LOCKOUT_MINUTES))
    return attempts, timedelta(minutes=minutes)


def authenticate(
    email: str, password: str, *, trusted_user_id: int | None = None
) -> StaffUser | None:
    """Return the user if the email and password are right and the account may sign in.

    Unknown, inactive and locked accounts and wrong passwords all return None (the page
    shows one message for all, so it never tells an attacker which emails exist). Each
    wrong password counts towards a lockout; a success clears the count. A browser the
    account signed in from before (``trusted_user_id``) is neither stopped by the lockout
    nor counted towards it, so strangers' wrong guesses cannot lock the owner out.
    """
    user = find_user(email)
    now = utcnow()
    if user is None or not user.active:
        verify(dummy_hash(password_hasher()), password)
        audit.record("sign_in_failed", actor=user, actor_email=normalise_email(email)[:254],
                     detail="unknown email" if user is None else "account deactivated")
        db.session.commit()
        return None
    trusted = user.id == trusted_user_id
    if user.is_locked(now) and not trusted:
        verify(dummy_hash(password_hasher()), password)
        audit.record("sign_in_failed", actor=user, detail="account locked")
        db.session.commit()
        return None
    if not verify(user.password_hash, password):
        if trusted:
            audit.record("sign_in_failed", actor=user, detail="wrong password (known device)")
        else:
            register_failure(user)
        db.session.commit()
        return None
    if password_hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    if not trusted:  # the owner's own device leaves strangers' count and lockout in place
        user.failed_attempts = 0
        user.locked_until = None
    user.last_signed_in_at = now
    audit.record("sign_in", actor=user)
    db.session.commit()
    return user


def register_failure(user: StaffUser) -> None:
    """Count a wrong password; at the limit, lock the account and start a fresh count."""
    attempts, length = lockout_policy()
    user.failed_attempts += 1
    audit.record("sign_in_failed", actor=user, detail=f"wrong password ({user.failed_attempts})")
    if user.failed_attempts >= attempts:
        user.locked_until = utcnow() + length
        user.failed_attempts = 0
        audit.record("lockout", actor=user, object_type="staff_user", object_id=user.id,
                     detail=f"locked for {length} after {attempts} failed attempts")


def record_sign_out(user: StaffUser, *, ended_by: str | None = None) -> None:
    """Sign ``user`` out on the server and audit it.

    Signing out changes the session nonce, so every copy of the session cookie (another
    tab, another device, one copied by an attacker) stops working at once. A session that
    ended by itself (``ended_by``: "idle timeout", "session lifetime") needs no new nonce:
    any copy of it carries the same old times and ends the same way.
    """
    if ended_by is None:
        user.session_nonce = new_session_nonce()
    audit.record("sign_out", actor=user, detail=ended_by)
    db.session.commit()


def set_password(user: StaffUser, password: str, *, must_change: bool) -> None:
    """Store a new hash and end the user's other sessions (the nonce changes)."""
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    user.must_change_password = must_change
    user.failed_attempts = 0
    user.locked_until = None
    user.session_nonce = new_session_nonce()


def change_password(user: StaffUser, current: str, new: str) -> None:
    """Change the user's own password after checking the current one."""
    if not verify(user.password_hash, current):
        raise FieldError("current_password", "Your current password is not right")
    check_new_password(new, user.email)
    if verify(user.password_hash, new):
        raise FieldError("new_password", "Choose a password you have not just used")
    set_password(user, new, must_change=False)
    audit.record("password_changed", actor=user, object_type="staff_user", object_id=user.id)
    db.session.commit()


def reset_password(user: StaffUser, *, actor: StaffUser | None) -> str:
    """Give ``user`` a one-time temporary password they must change; return it.

    Also lifts any lockout and ends the user's sessions.
    """
    password = temporary_password()
    set_password(user, password, must_change=True)
    audit.record("password_reset", actor=actor, object_type="staff_user", object_id=user.id,
                 detail=user.email)
    db.session.commit()
    return password


def check_profile(email: str, full_name: str, role: str) -> None:
    """Raise :class:`FieldError` for a malformed email, empty name or unknown role."""
    if not EMAIL_PATTERN.match(email) or len(email) > 254:
        raise FieldError("email", "Enter an email address in the right format, "
                                    "like name@nhs.net")
    if not full_name.strip():
        raise FieldError("full_name", "Enter the person's full name")
    if role not in ROLES:
        raise FieldError("role", f"Role must be one of: {', '.join(ROLES)}")


def checked_organisation_ids(role: str, organisation_ids: Iterable[int]) -> list[int]:
    """Return the ids a ``role`` user may belong to, checking the organisations suit it.

    Administrators see every organisation, so they hold none; provider and commissioner
    users need at least one organisation of their kind.
    """
    ids = sorted(set(organisation_ids))
    if role == "administrator":
        return []
    allowed = MEMBERSHIP_TYPES[role]
    found = {org.id: org for org in db.session.scalars(
        select(Organisation).where(Organisation.id.in_(ids))
    )}
    for org_id in ids:
        org = found.get(org_id)
        if org is None:
            raise FieldError("organisations", f"There is no organisation with id {org_id}")
        if org.type_code not in allowed:
            raise FieldError(
                "organisations",
                f"{org.name} ({org.code}) is a {org.type_code}; a {ROLES[role].lower()} "
                f"can only belong to: {', '.join(allowed)}",
            )
    if not ids:
        raise FieldError("organisations", f"Select at least one {allowed[0]} organisation")
    return ids


def set_memberships(user: StaffUser, organisation_ids: list[int]) -> None:
    """Make the user's memberships exactly ``organisation_ids``, keeping rows that stay."""
    wanted = set(organisation_ids)
    kept = [m for m in user.memberships if m.organisation_id in wanted]
    have = {m.organisation_id for m in kept}
    user.memberships = kept + [
        StaffMembership(organisation_id=org_id) for org_id in sorted(wanted - have)
    ]


def create_user(
    *,
    email: str,
    full_name: str,
    role: str,
    organisation_ids: Iterable[int] = (),
    password: str | None = None,
    actor: StaffUser | None = None,
) -> tuple[StaffUser, str | None]:
    """Create an account; return it and the temporary password if none was given.

    Without ``password`` the account gets a one-time temporary password (returned, never
    stored in clear) that must be changed at first sign-in.
    """
    email = normalise_email(email)
    check_profile(email, full_name, role)
    if db.session.scalar(select(func.count()).where(StaffUser.email == email)):
        raise FieldError("email", f"There is already an account for {email}")
    organisations = checked_organisation_ids(role, organisation_ids)
    temporary = None
    if password is None:
        temporary = password = temporary_password()
    else:
        check_new_password(password, email)
    user = StaffUser(email=email, full_name=full_name.strip(), role=role)
    set_password(user, password, must_change=temporary is not None)
    set_memberships(user, organisations)
    db.session.add(user)
    db.session.flush()
    audit.record("user_created", actor=actor, object_type="staff_user", object_id=user.id,
                 detail=f"{email} as {role}")
    db.session.commit()
    return user, temporary


def update_user(
    user: StaffUser,
    *,
    full_name: str,
    role: str,
    organisation_ids: Iterable[int],
    active: bool,
    actor: StaffUser,
) -> None:
    """Change a user's name, role, organisations or active flag.

    Administrators cannot deactivate or demote themselves, so the portal always keeps at
    least the administrator making the change. Deactivating ends the user's sessions.
    """
    check_profile(user.email, full_name, role)
    if user.id == actor.id and (not active or role != "administrator"):
        raise FieldError("role" if active else "active",
                           "You cannot deactivate or change the role of your own account")
    set_memberships(user, checked_organisation_ids(role, organisation_ids))
    changes = []
    if user.role != role:
        changes.append(f"role {user.role} → {role}")
    if user.active != active:
        changes.append("reactivated" if active else "deactivated")
        user.session_nonce = new_session_nonce()
    user.full_name = full_name.strip()
    user.role = role
    user.active = active
    action = "user_deactivated" if "deactivated" in changes else "user_updated"
    audit.record(action, actor=actor, object_type="staff_user", object_id=user.id,
                 detail="; ".join([user.email, *changes]))
    db.session.commit()


def list_users() -> list[StaffUser]:
    """Return every account, by email."""
    return list(db.session.scalars(select(StaffUser).order_by(StaffUser.email)))


def membership_choices(role: str | None = None) -> list[Organisation]:
    """Return the organisations a user can be given (providers and commissioners), by code."""
    types = MEMBERSHIP_TYPES.get(role or "", ("provider", "commissioner"))
    query = select(Organisation).where(Organisation.type_code.in_(types))
    return list(db.session.scalars(query.order_by(Organisation.code)))


DEMO_STAFF = (
    ("admin@demo.invalid", "Demo Administrator", "administrator"),
    ("provider@demo.invalid", "Demo Provider User", "provider"),
)


def create_demo_staff() -> list[tuple[str, str, str]]:
    """Create (or re-key) the demo's administrator and provider user; return their
    (email, fresh random password, role). The provider user belongs to the first provider
    by code. Passwords are random each run and printed once, never fixed in code."""
    first_provider = next(iter(membership_choices("provider")), None)
    credentials = []
    for email, name, role in DEMO_STAFF:
        if role == "provider" and first_provider is None:
            continue
        password = temporary_password()
        user = find_user(email)
        if user is None:
            org_ids = [first_provider.id] if role == "provider" and first_provider else []
            create_user(email=email, full_name=name, role=role, organisation_ids=org_ids,
                        password=password)
        else:
            set_password(user, password, must_change=False)
            user.active = True
            audit.record("password_reset", object_type="staff_user", object_id=user.id,
                         detail=f"{email} (demo)")
            db.session.commit()
        credentials.append((email, password, role))
    return credentials
