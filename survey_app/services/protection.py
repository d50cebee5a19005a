"""The two secrets that protect patients' identifiers, kept apart from ``SECRET_KEY``.

- ``CONTACT_ENCRYPTION_KEY``: Fernet key(s) (``cryptography``) encrypting phone numbers,
  email addresses, survey links kept for reminders and the outbox's words. Several keys,
  comma-separated, rotate: the first encrypts, any decrypts (``MultiFernet``).
- ``PATIENT_KEY_SECRET``: the HMAC key that turns an NHS number into a *patient key*, so
  the same person is recognised across discharges (opt-outs, "surveyed recently") without
  the number being stored. Without the secret, a patient key cannot be matched against a
  list of NHS numbers.

Production refuses to start without either (:mod:`survey_app.config`).
"""

from __future__ import annotations

import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, MultiFernet
from flask import current_app


@cache
def _fernet(keys: str) -> MultiFernet:
    return MultiFernet([Fernet(key.strip().encode()) for key in keys.split(",") if key.strip()])


def cipher() -> MultiFernet:
    """Return the contact-details cipher for the running app."""
    return _fernet(current_app.config["CONTACT_ENCRYPTION_KEY"])


def encrypt(text: str) -> str:
    """Return ``text`` encrypted (a URL-safe Fernet token)."""
    return cipher().encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    """Return the text a token from :func:`encrypt` holds."""
    return cipher().decrypt(token.encode("ascii")).decode("utf-8")


def patient_key(nhs_number: str) -> str:
    """Return the keyed HMAC-SHA256 of a (normalised, 10-digit) NHS number, as hex."""
    secret = current_app.config["PATIENT_KEY_SECRET"].encode("utf-8")
    return hmac.new(secret, nhs_number.encode("ascii"), hashlib.sha256).hexdigest()
