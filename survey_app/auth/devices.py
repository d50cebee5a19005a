"""Devices a staff member has signed in from before ("device cookies", after OWASP's
guidance on slowing online guessing without handing attackers a lockout weapon).

A successful sign-in leaves a signed, long-lived cookie naming the account and a random
device id. A sign-in from that browser is *trusted* for that account: the account lockout
that wrong passwords from elsewhere trigger does not stop it, and it is counted apart from
the per-address and service-wide throttles on failed sign-ins. So an attacker who sprays
an email from outside can lock out only untrusted browsers, never the owner's own.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

COOKIE = "staff_device"
DEFAULT_DAYS = 90


@dataclass(frozen=True)
class Device:
    """A browser that signed in to ``user_id`` before."""

    user_id: int
    device_id: str


def serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="staff-device")


def lifetime() -> timedelta:
    """How long a device stays trusted after its last sign-in (``STAFF_DEVICE_DAYS``)."""
    return timedelta(days=float(current_app.config.get("STAFF_DEVICE_DAYS", DEFAULT_DAYS)))


def known_device() -> Device | None:
    """Return the device this request's cookie proves, or None (absent, forged, expired)."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        data = serializer().loads(raw, max_age=lifetime().total_seconds())
        return Device(int(data["u"]), str(data["d"]))
    except (BadSignature, KeyError, TypeError, ValueError):
        return None


def remember_device(response: Response, user_id: int) -> None:
    """Mark this browser as one ``user_id`` signs in from, for another ``lifetime()``."""
    device = known_device()
    device_id = device.device_id if device else secrets.token_urlsafe(16)
    response.set_cookie(
        COOKIE, serializer().dumps({"u": user_id, "d": device_id}),
        max_age=int(lifetime().total_seconds()), path="/staff/",
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        httponly=True, samesite="Strict",
    )
