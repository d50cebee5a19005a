"""Credentials for hospital integration engines posting HL7 v2 or FHIR to the intake
endpoints: created by an administrator (the secret shown once), stored as a SHA-256,
limited to one provider, revocable at once, every use timestamped."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import IntakeCredential, Organisation, StaffUser, utcnow
from survey_app.services import audit

PREFIX = "ctsi_"  # recognisable in a leaked config file or a secret scanner


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_credential(
    provider: Organisation, name: str, *, actor: StaffUser | None = None
) -> tuple[IntakeCredential, str]:
    """Create a credential for ``provider``; return it and its secret (shown only now)."""
    secret = PREFIX + secrets.token_urlsafe(32)
    credential = IntakeCredential(provider=provider, name=name.strip()[:100],
                                  token_hash=digest(secret), created_by=actor)
    db.session.add(credential)
    db.session.flush()
    audit.record("intake_credential_created", actor=actor, object_type="intake_credential",
                 object_id=credential.id, detail=f"{provider.code}: {credential.name}")
    db.session.commit()
    return credential, secret


def revoke_credential(credential: IntakeCredential, *, actor: StaffUser | None = None) -> None:
    """Stop a credential working from now on."""
    credential.revoked_at = utcnow()
    audit.record("intake_credential_revoked", actor=actor, object_type="intake_credential",
                 object_id=credential.id, detail=credential.name)
    db.session.commit()


def credential_for(secret: str) -> IntakeCredential | None:
    """Return the live credential this secret belongs to (and note its use), or None."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    credential = db.session.scalar(
        select(IntakeCredential).where(IntakeCredential.token_hash == digest(secret)))
    if credential is None or credential.revoked_at is not None:
        return None
    credential.last_used_at = utcnow()
    db.session.commit()
    return credential
