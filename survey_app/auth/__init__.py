"""Staff sign-in, roles and scope (Flask-Login), at ``/staff/…``.

    @staff_required("administrator")      # signed in, with one of these roles (403 if not)
    scope = current_scope()               # what the signed-in user may see by name

Staff sessions end after ``STAFF_IDLE_TIMEOUT`` of inactivity (30 minutes by default,
refreshed on every request) and at the latest ``STAFF_SESSION_LIFETIME`` after sign-in
(12 hours), however busy, so a copied cookie cannot be kept alive forever; signing out
ends the session on the server. That is enforced here rather than by shortening
``PERMANENT_SESSION_LIFETIME``: Flask applies that lifetime to every session cookie,
including the patient's CSRF token, and a patient may pause on one page for hours.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Blueprint, Flask, abort, current_app, g, redirect, request, session, url_for
from flask_login import LoginManager, current_user, login_user, logout_user
from werkzeug.wrappers import Response

from survey_app.auth.scope import Scope
from survey_app.models import StaffUser
from survey_app.services import accounts
from survey_app.web import STAFF_AREAS

__all__ = ["Scope", "bp", "current_scope", "current_staff", "init_app", "staff_required"]

STAFF_ROLES = ("administrator", "provider", "commissioner")
DEFAULT_IDLE_TIMEOUT = timedelta(minutes=30)
DEFAULT_SESSION_LIFETIME = timedelta(hours=12)
SEEN_AT = "staff_seen_at"
SIGNED_IN_AT = "staff_signed_in_at"
TIMED_OUT = "staff_timed_out"
# Pages a user with a temporary password may still open.
OPEN_WHILE_CHANGING_PASSWORD = frozenset(
    {"auth.change_password", "auth.sign_out", "static", "frontend_asset"}
)

bp = Blueprint("auth", __name__, url_prefix="/staff")
login_manager = LoginManager()
login_manager.login_view = "auth.sign_in"
login_manager.login_message = "Sign in to see this page."
login_manager.login_message_category = "info"
login_manager.session_protection = "strong"

View = TypeVar("View", bound=Callable[..., Any])


@login_manager.user_loader
def load_user(session_id: str) -> StaffUser | None:
    """Return the session's user (None once the password changed or the account closed)."""
    return accounts.user_for_session(session_id)


def current_staff() -> StaffUser:
    """Return the signed-in user (call only behind :func:`staff_required`)."""
    return cast(StaffUser, current_user._get_current_object())  # type: ignore[attr-defined]


def current_scope() -> Scope:
    """Return the signed-in user's scope (an empty scope when nobody is signed in)."""
    if "staff_scope" not in g:
        user = current_staff() if current_user.is_authenticated else None
        g.staff_scope = Scope.for_user(user)
    return cast(Scope, g.staff_scope)


def staff_required(*roles: str) -> Callable[[View], View]:
    """Require a signed-in user (else the sign-in page) with one of ``roles`` (else 403).

    With no roles, any staff role will do.
    """
    unknown = set(roles) - set(STAFF_ROLES)
    if unknown:
        raise ValueError(f"unknown staff roles {sorted(unknown)}; known: {STAFF_ROLES}")

    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if roles and current_staff().role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return cast(View, guarded)

    return decorate


def start_session(user: StaffUser) -> None:
    """Sign ``user`` in on a clean session (nothing from before carries over)."""
    session.clear()
    login_user(user)
    session[SEEN_AT] = session[SIGNED_IN_AT] = time.time()


def duration_setting(app: Flask, name: str, default: timedelta) -> timedelta:
    """Return the setting ``name`` (a timedelta or seconds) as a timedelta."""
    value = app.config.get(name, default)
    return value if isinstance(value, timedelta) else timedelta(seconds=float(value))


def session_over(now: float) -> str | None:
    """Say why this staff session has ended by itself ("idle timeout", "session lifetime"),
    or None while it is live. A session without its times (from before they were kept)
    has ended."""
    seen, signed_in = session.get(SEEN_AT), session.get(SIGNED_IN_AT)
    if seen is None or signed_in is None:
        return "session lifetime"
    lifetime = duration_setting(current_app, "STAFF_SESSION_LIFETIME", DEFAULT_SESSION_LIFETIME)
    if now - float(signed_in) > lifetime.total_seconds():
        return "session lifetime"
    idle = duration_setting(current_app, "STAFF_IDLE_TIMEOUT", DEFAULT_IDLE_TIMEOUT)
    if now - float(seen) > idle.total_seconds():
        return "idle timeout"
    return None


def enforce_staff_session() -> Response | None:
    """End idle and over-long staff sessions, refresh live ones, and hold a temporary
    password's user on the change-password page."""
    if not current_user.is_authenticated:
        return None
    now = time.time()
    ended_by = session_over(now)
    if ended_by is not None:
        user = current_staff()
        logout_user()
        session.pop(SEEN_AT, None)
        session.pop(SIGNED_IN_AT, None)
        session[TIMED_OUT] = True
        accounts.record_sign_out(user, ended_by=ended_by)
        return None
    session[SEEN_AT] = now
    if current_staff().must_change_password and (
        request.endpoint not in OPEN_WHILE_CHANGING_PASSWORD
    ):
        return redirect(url_for("auth.change_password"))
    return None


def keep_staff_pages_private(response: Response) -> Response:
    """Keep every staff page (the sign-in page and error pages included) and every page a
    signed-in user sees out of shared caches and browser history: nothing from the portal
    stays on a shared computer."""
    if request.path.startswith(STAFF_AREAS) or current_user.is_authenticated:
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    """Set up Flask-Login, the idle timeout, the staff pages and the administrators' pages."""
    from survey_app.admin import bp as admin_bp
    from survey_app.auth import commands, views  # noqa: F401  (registers routes, commands)

    login_manager.init_app(app)
    app.before_request(enforce_staff_session)
    app.after_request(keep_staff_pages_private)
    app.register_blueprint(bp)
    app.register_blueprint(admin_bp)
    app.cli.add_command(commands.staff_group)
