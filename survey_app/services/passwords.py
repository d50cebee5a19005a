"""Passwords: argon2id hashing, the rules a new password must meet, one-time passwords.

Length is the only rule (NCSC guidance: no composition rules, which push people towards
predictable patterns). Hashes use argon2-cffi's RFC 9106 low-memory profile.
"""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

from survey_app.services.errors import FieldError

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128
STANDARD_HASH_PROFILE = "RFC_9106_LOW_MEMORY"  # argon2-cffi's default: argon2id, 64 MiB
# Tests may hash with argon2's cheapest parameters to stay fast; nothing else may.
HASH_PROFILES = {STANDARD_HASH_PROFILE: profiles.RFC_9106_LOW_MEMORY, "CHEAPEST": profiles.CHEAPEST}


@cache
def hasher_for(profile: str) -> PasswordHasher:
    """Return the argon2 hasher for a named parameter profile."""
    return PasswordHasher.from_parameters(HASH_PROFILES[profile])


def password_hasher() -> PasswordHasher:
    """Return the app's argon2 hasher (``PASSWORD_HASH_PROFILE``, standard by default).

    The cheap profile exists for the test suite only; any other environment refuses it.
    """
    profile = str(current_app.config.get("PASSWORD_HASH_PROFILE", STANDARD_HASH_PROFILE))
    if profile not in HASH_PROFILES:
        raise RuntimeError(f"PASSWORD_HASH_PROFILE={profile!r}; known: {list(HASH_PROFILES)}")
    if profile != STANDARD_HASH_PROFILE and current_app.config.get("APP_ENV") != "test":
        raise RuntimeError(f"PASSWORD_HASH_PROFILE={profile!r} is only allowed in tests")
    return hasher_for(profile)


def hash_password(password: str) -> str:
    """Return the argon2 hash stored in place of ``password``."""
    return password_hasher().hash(password)


@cache
def dummy_hash(hasher: PasswordHasher) -> str:
    """Return a hash to verify against when no account matches, so that unknown emails
    take as long to refuse as wrong passwords (no timing hint that an account exists)."""
    return hasher.hash(secrets.token_urlsafe(16))


def verify(password_hash: str, password: str) -> bool:
    """Say whether ``password`` matches the argon2 ``password_hash``."""
    try:
        return password_hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_new_password(password: str, email: str) -> None:
    """Raise :class:`FieldError` unless ``password`` is acceptable for ``email``."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise FieldError(
            "new_password", f"Password must be {MIN_PASSWORD_LENGTH} characters or more"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise FieldError(
            "new_password", f"Password must be {MAX_PASSWORD_LENGTH} characters or fewer"
        )
    if password.strip().lower() == email.strip().lower():
        raise FieldError("new_password", "Password must not be your email address")


def temporary_password() -> str:
    """Return a random one-time password (about 96 bits), shown once to an administrator."""
    return secrets.token_urlsafe(12)
