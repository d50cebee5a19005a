"""Settings from the environment; production fails closed.

``APP_ENV`` picks the environment (development, test or production). Development and the
demo use SQLite in the instance folder; ``DATABASE_URL`` selects another database
(PostgreSQL URLs are mapped to the psycopg 3 driver). Production refuses to start without a
real ``SECRET_KEY`` and ``DATABASE_URL``: a hard-coded fallback secret would let anyone
forge sessions and CSRF tokens. Development keeps a random key in the instance folder;
tests get a fresh one per process.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

ENVIRONMENTS = ("development", "test", "production")
MIN_SECRET_KEY_LENGTH = 32
# A random key of that length uses many different characters (even a hex key has ~14);
# "aaaa…" or "abab…" is long enough but guessable.
MIN_SECRET_KEY_DISTINCT = 10
# Values copied from tutorials and templates; never acceptable as a production secret.
KNOWN_DEV_SECRETS = frozenset(
    {"dev", "development", "secret", "changeme", "change-me", "test", "please-change-me"}
)
# The largest request a form sends: a free-text answer of up to 5,000 characters (the most
# an instrument may allow, instruments.schema.FREE_TEXT_LIMIT), at most 4 bytes each in
# UTF-8 and 3 times that URL-encoded (60,000 bytes), with the CSRF token and field names.
MAX_REQUEST_BYTES = 64 * 1024
# HL7 v2 messages and FHIR Bundles posted to /intake/* by an integration engine: a Bundle
# of a day's discharges at a large trust (about 2,000 Encounters with their Patients).
INTAKE_REQUEST_BYTES = 10 * 1024 * 1024


# Tunable from the environment as they are (see docs/operations.md): rate limits in
# Flask-Limiter's notation ("240 per minute;2000 per day") and numbers (seconds, minutes,
# counts, days) checked at start-up.
LIMIT_SETTINGS = (
    "PATIENT_RATE_LIMIT", "UNKNOWN_LINK_RATE_LIMIT", "STAFF_SIGN_IN_RATE_LIMIT",
    "STAFF_ADDRESS_FAILURE_LIMIT", "STAFF_SERVICE_FAILURE_LIMIT", "RATELIMIT_KEY_PREFIX",
)
NUMBER_SETTINGS = (
    "STAFF_IDLE_TIMEOUT", "STAFF_SESSION_LIFETIME", "STAFF_LOCKOUT_ATTEMPTS",
    "STAFF_LOCKOUT_MINUTES", "STAFF_DEVICE_DAYS",
)


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete; the message says which variable and why."""


def database_url(raw: str) -> str:
    """Return ``raw`` with PostgreSQL URLs mapped to the psycopg 3 driver SQLAlchemy needs."""
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix) :]
    return raw


def sqlite_url(instance_path: str) -> str:
    """Return the embedded default database: ``survey.db`` in the instance folder."""
    return f"sqlite:///{Path(instance_path) / 'survey.db'}"


def check_production_secret(key: str | None) -> str:
    """Return ``key`` if it is fit for production, else raise :class:`ConfigError`."""
    if not key:
        raise ConfigError(
            "SECRET_KEY is not set. Production needs a random secret of at least "
            f"{MIN_SECRET_KEY_LENGTH} characters, e.g. python -c "
            "'import secrets; print(secrets.token_urlsafe(48))'."
        )
    if (
        key.lower() in KNOWN_DEV_SECRETS
        or len(key) < MIN_SECRET_KEY_LENGTH
        or len(set(key)) < MIN_SECRET_KEY_DISTINCT
    ):
        raise ConfigError(
            f"SECRET_KEY is too weak for production: it must be random and at least "
            f"{MIN_SECRET_KEY_LENGTH} characters long (got {len(key)} characters)."
        )
    return key


def check_rate_limit_storage(uri: str, *, workers: int, servers: int) -> str:
    """Return ``uri`` unless it is the per-process memory store and several processes serve.

    Each process has its own ``memory://`` counts, so limits would multiply by the number of
    workers and machines; production needs a shared store such as Redis then.
    """
    if uri.startswith("memory://") and (workers > 1 or servers > 1):
        raise ConfigError(
            f"RATELIMIT_STORAGE_URI is {uri!r} but {workers} worker(s) on {servers} "
            "server(s) serve the app: each process would keep its own rate-limit counts. "
            "Set RATELIMIT_STORAGE_URI=redis://host:6379/0 (a shared store), or run one "
            "worker on one server."
        )
    return uri


def whole_number(environ: Mapping[str, str], name: str, default: int) -> int:
    """Return the non-negative integer setting ``name``, or raise naming it."""
    raw = environ.get(name, str(default))
    if not raw.strip().isdigit():
        raise ConfigError(f"{name}={raw!r} must be a whole number (0 or more).")
    return int(raw)


def tunable_settings(environ: Mapping[str, str]) -> dict[str, Any]:
    """Return the limits and durations set in the environment, numbers checked."""
    tuned: dict[str, Any] = {name: environ[name] for name in LIMIT_SETTINGS if name in environ}
    for name in NUMBER_SETTINGS:
        if name in environ:
            try:
                tuned[name] = float(environ[name])
            except ValueError:
                raise ConfigError(f"{name}={environ[name]!r} must be a number.") from None
    return tuned


def instance_secret(instance_path: str, name: str = "secret_key") -> str:
    """Return a development secret kept in the instance folder, creating it if needed.

    Kept in a file (readable by its owner only) so sessions, half-filled forms and encrypted
    contact details survive a restart of the development server; it is random per
    installation, never a constant.
    """
    path = Path(instance_path) / name
    if not path.exists():
        os.makedirs(instance_path, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(new_secret(name))
    return path.read_text().strip()


def development_secret(env: str, instance_path: str, name: str = "secret_key") -> str:
    """Return a secret for development (kept in the instance folder) or tests (per process)."""
    return instance_secret(instance_path, name) if env == "development" else new_secret(name)


def new_secret(name: str) -> str:
    """Return a fresh random secret of the kind ``name`` needs (a Fernet key for contacts)."""
    if name == "contact_key":
        return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")
    return secrets.token_urlsafe(48)


def check_contact_key(raw: str | None) -> str:
    """Return the Fernet key list ``raw`` if every key is a valid Fernet key."""
    keys = [key.strip() for key in (raw or "").split(",") if key.strip()]
    if not keys:
        raise ConfigError(
            "CONTACT_ENCRYPTION_KEY is not set. Production encrypts contact details with it: "
            "generate one with python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'."
        )
    for key in keys:
        try:
            if len(base64.urlsafe_b64decode(key.encode("ascii"))) != 32:
                raise ValueError
        except (ValueError, UnicodeEncodeError):
            raise ConfigError("CONTACT_ENCRYPTION_KEY holds a key that is not a Fernet key "
                              "(32 url-safe base64-encoded bytes).") from None
    return ",".join(keys)


NOTIFY_KEY_PATTERN = re.compile(r"^.+-[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}"
                                r"-[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}$")
UUID_PATTERN = re.compile(r"^[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}$")


def messaging_settings(environ: Mapping[str, str]) -> dict[str, Any]:
    """Return the sending settings (docs/operations.md, "Messages and reminders"), checked:
    a GOV.UK Notify key as Notify issues it, template ids as ``name=uuid,…``, a callback
    token of at least 10 characters (Notify's minimum)."""
    key = environ.get("NOTIFY_API_KEY", "").strip()
    if key and not NOTIFY_KEY_PATTERN.match(key):
        raise ConfigError("NOTIFY_API_KEY is not a GOV.UK Notify API key (name-service id-"
                          "secret, as shown once on Notify's API integration page).")
    templates: dict[str, str] = {}
    listed = environ.get("NOTIFY_TEMPLATE_IDS", "").split(",")
    for part in filter(None, (piece.strip() for piece in listed)):
        name, _, template_id = (text.strip() for text in part.partition("="))
        if not name or not UUID_PATTERN.match(template_id.lower()):
            raise ConfigError(f"NOTIFY_TEMPLATE_IDS: {part!r} is not name=template-uuid.")
        templates[name] = template_id.lower()
    token = environ.get("NOTIFY_CALLBACK_TOKEN", "").strip()
    if token and len(token) < 10:
        raise ConfigError("NOTIFY_CALLBACK_TOKEN must be at least 10 characters (Notify's "
                          "minimum for a callback bearer token).")
    return {
        "NOTIFY_API_KEY": key or None,
        "NOTIFY_BASE_URL": environ.get("NOTIFY_BASE_URL", "https://api.notifications.service.gov.uk"),
        "NOTIFY_CALLBACK_TOKEN": token or None,
        "NOTIFY_TEMPLATE_IDS": templates,
        "NOTIFY_RATE_PER_MINUTE": whole_number(environ, "NOTIFY_RATE_PER_MINUTE", 3000),
        "MESSAGE_MAX_ATTEMPTS": whole_number(environ, "MESSAGE_MAX_ATTEMPTS", 6),
        "SURVEY_BASE_URL": environ.get("SURVEY_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
    }


def check_production(
    environ: Mapping[str, str], *, key: str | None, url: str | None,
    contact_key: str | None, patient_secret: str | None, storage: str,
) -> str:
    """Refuse an unsafe or incomplete production configuration; return the contact keys."""
    check_production_secret(key)
    if not url:
        raise ConfigError(
            "DATABASE_URL is not set. Production needs a real database, e.g. "
            "postgresql://user:password@host:5432/survey."
        )
    checked_contact_key = check_contact_key(contact_key)
    if not patient_secret or len(patient_secret) < MIN_SECRET_KEY_LENGTH:
        raise ConfigError(
            "PATIENT_KEY_SECRET is not set (or shorter than "
            f"{MIN_SECRET_KEY_LENGTH} characters). Production turns NHS numbers into "
            "patient keys with it; keep it apart from SECRET_KEY and never change it "
            "(old keys would stop matching)."
        )
    check_rate_limit_storage(storage, workers=whole_number(environ, "WEB_CONCURRENCY", 1),
                             servers=whole_number(environ, "APP_SERVERS", 1))
    return checked_contact_key


def settings_from_environment(
    environ: Mapping[str, str], instance_path: str, overrides: Mapping[str, Any]
) -> dict[str, Any]:
    """Build the settings dictionary; ``overrides`` (tests) win over the environment."""
    env = str(overrides.get("APP_ENV") or environ.get("APP_ENV") or "development").lower()
    if env not in ENVIRONMENTS:
        raise ConfigError(f"APP_ENV={env!r} is not one of {', '.join(ENVIRONMENTS)}.")
    url = overrides.get("SQLALCHEMY_DATABASE_URI") or environ.get("DATABASE_URL")
    key = overrides.get("SECRET_KEY") or environ.get("SECRET_KEY")
    contact_key = overrides.get("CONTACT_ENCRYPTION_KEY") or environ.get("CONTACT_ENCRYPTION_KEY")
    patient_secret = overrides.get("PATIENT_KEY_SECRET") or environ.get("PATIENT_KEY_SECRET")
    storage = environ.get("RATELIMIT_STORAGE_URI", "memory://")
    if env == "production":
        contact_key = check_production(environ, key=key, url=url, contact_key=contact_key,
                                       patient_secret=patient_secret, storage=storage)
    settings: dict[str, Any] = {
        "APP_ENV": env,
        "SECRET_KEY": key or development_secret(env, instance_path),
        "CONTACT_ENCRYPTION_KEY": contact_key
        or development_secret(env, instance_path, "contact_key"),
        "PATIENT_KEY_SECRET": patient_secret
        or development_secret(env, instance_path, "patient_key_secret"),
        "SQLALCHEMY_DATABASE_URI": database_url(url) if url else sqlite_url(instance_path),
        # hide_parameters: a failed statement is logged without its values (answers, emails).
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
        "TESTING": env == "test",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env == "production",
        "WTF_CSRF_TIME_LIMIT": None,  # a frail respondent may pause for hours on one page
        "MAX_CONTENT_LENGTH": whole_number(environ, "MAX_CONTENT_LENGTH", MAX_REQUEST_BYTES),
        "INTAKE_MAX_CONTENT_LENGTH": whole_number(environ, "INTAKE_MAX_CONTENT_LENGTH",
                                                  INTAKE_REQUEST_BYTES),
        # PID-3 identifier types or assigning authorities that mark the NHS number.
        "HL7_NHS_NUMBER_CODES": environ.get("HL7_NHS_NUMBER_CODES",
                                            "NH,NHS,NHSNBR,2.16.840.1.113883.2.1.4.1"),
        "INVITATION_VALID_DAYS": whole_number(environ, "INVITATION_VALID_DAYS", 42),
        "RATELIMIT_STORAGE_URI": storage,
        "RATELIMIT_STRATEGY": "moving-window",  # no double burst at a window's edge
        "TRUSTED_PROXIES": whole_number(environ, "TRUSTED_PROXIES", 0),
        "RATELIMIT_ENABLED": env != "test",
        "BABEL_DEFAULT_LOCALE": "en",
    }
    settings.update(messaging_settings(environ))
    settings.update(tunable_settings(environ))
    settings.update(overrides)
    if settings.get("SQLALCHEMY_DATABASE_URI"):
        settings["SQLALCHEMY_DATABASE_URI"] = database_url(settings["SQLALCHEMY_DATABASE_URI"])
    return settings


def init_app(app: Flask, overrides: Mapping[str, Any] | None = None) -> None:
    """Load settings into ``app.config`` and make sure the instance folder exists."""
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(settings_from_environment(os.environ, app.instance_path, overrides or {}))
