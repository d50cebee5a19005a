"""Staff users for tests: create one and sign in over real HTTP, as a browser would.

    staff = make_staff(app, role="provider", organisations=("RX1",))
    sign_in(client, staff.email, staff.password)

Plain functions (not fixtures) so the portal-results tests can use them too. Accounts
made here are hashed with argon2's cheapest parameters (``PASSWORD_HASH_PROFILE``, honoured
only when APP_ENV is test), which keeps the suite fast; test_auth checks the real profile.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from flask import Flask
from flask.testing import FlaskClient
from patient_pages import csrf_token
from sqlalchemy import select
from werkzeug.test import TestResponse

from survey_app.extensions import db
from survey_app.models import Organisation
from survey_app.services import accounts

DEFAULT_PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Staff:
    """A created account: what a test needs after the app context has closed."""

    id: int
    email: str
    password: str
    role: str
    organisation_ids: tuple[int, ...]


def organisation(code: str, *, type_code: str = "provider") -> Organisation:
    """Return the organisation ``code``, creating a fictional one of ``type_code`` if needed."""
    org = db.session.scalar(select(Organisation).where(Organisation.code == code))
    if org is None:
        org = Organisation(code=code, name=f"Test {type_code.title()} {code}",
                           type_code=type_code, effective_from=date(2020, 4, 1))
        db.session.add(org)
        db.session.flush()
    return org


def make_staff(
    app: Flask,
    *,
    role: str,
    organisations: Iterable[str] = (),
    password: str = DEFAULT_PASSWORD,
    email: str | None = None,
) -> Staff:
    """Create a staff account of ``role`` belonging to the organisations with these codes
    (fictional ones are created when missing; commissioner users get commissioners)."""
    kind = "commissioner" if role == "commissioner" else "provider"
    app.config.setdefault("PASSWORD_HASH_PROFILE", "CHEAPEST")
    with app.app_context():
        ids = [organisation(code, type_code=kind).id for code in organisations]
        user, _ = accounts.create_user(
            email=email or f"{role}.{'-'.join(organisations) or 'all'}@example.nhs.uk",
            full_name=f"Test {role.title()}", role=role, organisation_ids=ids,
            password=password,
        )
        return Staff(user.id, user.email, password, role, tuple(ids))


def sign_in(client: FlaskClient, email: str, password: str) -> TestResponse:
    """Sign in through the sign-in page (with its CSRF token); return the POST's response."""
    page = client.get("/staff/sign-in")
    data = {"email": email, "password": password}
    if "csrf_token" in page.get_data(as_text=True):  # absent when a test turned CSRF off
        data["csrf_token"] = csrf_token(page)
    return client.post("/staff/sign-in", data=data)


def signed_in(
    app: Flask, *, role: str = "administrator", organisations: Iterable[str] = ()
) -> tuple[FlaskClient, Staff]:
    """Return a client already signed in as a new ``role`` user, and that user."""
    staff = make_staff(app, role=role, organisations=organisations)
    client = app.test_client()
    response = sign_in(client, staff.email, staff.password)
    assert response.status_code == 302, "sign-in failed"
    return client, staff


def submit_form(client: FlaskClient, path: str, data: dict[str, object]) -> TestResponse:
    """Open the form page at ``path`` and post ``data`` to it with the page's CSRF token."""
    page = client.get(path)
    assert page.status_code == 200, f"GET {path} answered {page.status_code}"
    return client.post(path, data={**data, "csrf_token": csrf_token(page)})
