"""Sign in, sign out, change password, and the staff landing page. Rules live in
:mod:`survey_app.services.accounts`; these views only translate between HTTP and it."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import current_app, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, logout_user
from werkzeug.wrappers import Response

from survey_app.auth import (
    TIMED_OUT,
    bp,
    current_scope,
    current_staff,
    staff_required,
    start_session,
)
from survey_app.auth.devices import known_device, remember_device
from survey_app.auth.forms import ChangePasswordForm, SignInForm, add_error
from survey_app.extensions import limiter
from survey_app.services import accounts
from survey_app.services.errors import FieldError
from survey_app.web import render_error

# Per email typed and browser (a known device has its own count, so strangers using up the
# count for an email cannot keep its owner out); failed sign-ins from browsers that are not
# known devices, per address and across the whole service (password spraying).
DEFAULT_SIGN_IN_RATE_LIMIT = "20 per 15 minutes"
DEFAULT_ADDRESS_FAILURE_LIMIT = "10 per 15 minutes"
DEFAULT_SERVICE_FAILURE_LIMIT = "60 per minute"
SIGN_IN_FAILED = (
    "Enter a correct email address and password. After {attempts} wrong attempts an "
    "account is locked for {minutes} minutes, except on devices it has signed in from "
    "before; ask an administrator if you are locked out."
)


def setting(name: str, default: str) -> Callable[[], str]:
    """Return a callable reading the limit ``name`` from the app settings."""
    return lambda: str(current_app.config.get(name, default))


def submitted_email_key() -> str:
    """Key the sign-in limit by the email typed (hashed) and the browser's device id:
    staff in one trust share an address, while an attacker works one account at a time."""
    email = accounts.normalise_email(request.form.get("email", ""))
    device = known_device()
    return "sign-in:" + hashlib.sha256(email.encode()).hexdigest() + ":" + (
        device.device_id if device else "new")


def sign_in_failed(response: Response) -> bool:
    """A sign-in that did not lead on (success redirects)."""
    return response.status_code != 302


def from_known_device() -> bool:
    return known_device() is not None


def safe_next(target: str | None) -> str | None:
    """Return ``target`` if it is a path on this site (no open redirects), else None."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(setting("STAFF_SIGN_IN_RATE_LIMIT", DEFAULT_SIGN_IN_RATE_LIMIT),
               key_func=submitted_email_key, methods=["POST"], scope="sign-in email")
@limiter.limit(setting("STAFF_ADDRESS_FAILURE_LIMIT", DEFAULT_ADDRESS_FAILURE_LIMIT),
               key_func=get_remote_address, methods=["POST"], scope="sign-in address",
               deduct_when=sign_in_failed, exempt_when=from_known_device)
@limiter.limit(setting("STAFF_SERVICE_FAILURE_LIMIT", DEFAULT_SERVICE_FAILURE_LIMIT),
               key_func=lambda: "service", methods=["POST"], scope="sign-in service",
               deduct_when=sign_in_failed, exempt_when=from_known_device)
def sign_in() -> str | Response:
    """Ask for email and password; one message for every kind of failure."""
    if current_user.is_authenticated:
        return redirect(url_for("auth.home"))
    form = SignInForm()
    failed = False
    if form.validate_on_submit():
        device = known_device()
        user = accounts.authenticate(form.email.data or "", form.password.data or "",
                                     trusted_user_id=device.user_id if device else None)
        if user is not None:
            next_page = safe_next(request.args.get("next"))
            start_session(user)
            response = redirect(next_page or url_for("auth.home"))
            remember_device(response, user.id)
            return response
        attempts, length = accounts.lockout_policy()
        add_error(form.email, SIGN_IN_FAILED.format(
            attempts=attempts, minutes=round(length.total_seconds() / 60)
        ))
        failed = True
    return render_template(
        "auth/sign_in.html",
        form=form,
        timed_out=session.pop(TIMED_OUT, False),
        has_error=bool(form.errors) or failed,
    )


@bp.post("/sign-out")
@staff_required()
def sign_out() -> Response:
    """End the session and say so."""
    accounts.record_sign_out(current_staff())
    logout_user()
    session.clear()
    return redirect(url_for("auth.signed_out"))


@bp.get("/signed-out")
def signed_out() -> str:
    return render_template("auth/signed_out.html")


@bp.route("/password", methods=["GET", "POST"])
@staff_required()
def change_password() -> str | Response:
    """Change one's own password (required after an administrator's reset)."""
    user = current_staff()
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(
                user, form.current_password.data or "", form.new_password.data or ""
            )
        except FieldError as error:
            add_error(form[error.field], error.message)
        else:
            start_session(user)  # the nonce changed: re-issue this session; others end
            return redirect(url_for("auth.home", changed="yes"))
    return render_template(
        "auth/change_password.html", form=form, forced=user.must_change_password,
        has_error=bool(form.errors),
    )


@bp.get("/")
@staff_required()
def home() -> str:
    """The staff landing page: what this user can open."""
    return render_template(
        "auth/home.html",
        user=current_staff(),
        providers=current_scope().visible_providers(),
        changed=request.args.get("changed") == "yes",
    )


@bp.errorhandler(429)
def too_many_sign_ins(_error: Exception) -> tuple[str, int]:
    """Explain the sign-in rate limit in staff terms (the shared page talks to patients)."""
    return render_error(429, body="Wait 15 minutes, then try again. If you cannot sign in, "
                                  "ask an administrator to reset your password.")
